"""Notebook tables read as the briefing's: numbers formatted, texts whole, every row."""

from __future__ import annotations

import pandas as pd

from helpers import i18n
from helpers.display import readable, unit_options, unit_picker


def cells(styler) -> list[list[str]]:
    """The shown text of every body cell, as the HTML renders it."""
    ctx = styler._translate(False, False)
    return [[c["display_value"] for c in row if c["type"] == "td"] for row in ctx["body"]]


def test_counts_shares_and_answers_are_written_in_the_languages_format():
    frame = pd.DataFrame(
        {"rows": [60420], "as_float": [3.0], "share": [0.4123], "ok": [True], "rate": [2.25]}
    )
    assert cells(readable(frame, "vi", shares=["share"])) == [
        ["60.420", "3", "41,2%", i18n.t("display.answer_yes", "vi"), "2,2"]
    ]
    assert cells(readable(frame, "en", shares=["share"]))[0][:3] == ["60,420", "3", "41.2%"]


def test_a_missing_value_is_a_dash_never_nan():
    frame = pd.DataFrame({"n": [1.0, float("nan")], "text": ["a", None], "when": [pd.NaT] * 2})
    shown = cells(readable(frame, "vi"))
    assert shown == [["1", "a", "–"], ["–", "–", "–"]]


def test_long_texts_are_shown_whole_and_every_row_is_there():
    reason = "Số định danh không đúng 12 chữ số, thiếu số 0 ở đầu hoặc có ký tự lạ " * 2
    frame = pd.DataFrame({"reason": [reason] * 132, "n": range(132)})
    html = readable(frame, "vi").to_html()
    assert html.count(reason.strip()) == 132
    assert "..." not in html and "…" not in html


def test_a_labelled_index_is_kept_and_row_numbers_are_hidden():
    card = pd.DataFrame({"x": [1]}, index=pd.Index(["Được giao"], name=""))
    assert "Được giao" in readable(card, "vi").to_html()
    assert ">0<" not in readable(pd.DataFrame({"x": [5]}), "vi").to_html()


def test_readable_leaves_the_table_unchanged():
    frame = pd.DataFrame({"n": [60420]})
    readable(frame, "vi")
    assert frame["n"].tolist() == [60420]


def test_the_unit_list_offers_all_126_units_by_name():
    options = unit_options()
    assert len(options) == 126
    assert [name for name, _ in options] == sorted(name for name, _ in options)


def test_the_unit_picker_shows_the_parameters_unit_until_another_is_chosen():
    picker = unit_picker("00008", "vi")
    assert picker.value == "00008" and picker.label == "Phường Ngọc Hà"
    assert repr(picker) == f"{i18n.t('display.unit', 'vi')} Phường Ngọc Hà"
    picker.value = "00004"
    assert picker.label == "Phường Ba Đình"


def test_a_units_self_reports_show_counts_formatted_and_a_day_without_a_report_blank():
    from datetime import date

    from helpers import progress

    measures = ("vehicles_collected", "vehicles_approved", "licences_collected", "licences_cleaned")
    check = pd.DataFrame(
        {
            "report_date": [date(2025, 12, 8), date(2025, 12, 9)],
            "unit_code": ["00008"] * 2,
            "has_report": [False, True],
            "ratio": [0.0, 1.0],
            "overstated": [False, False],
            **{f"reported_{m}": [0, 1200] for m in measures},
            **{f"system_{m}": [3, 1200] for m in measures},
        }
    )
    shown = cells(progress.unit_self_reports(check, "00008", "vi"))
    assert shown[0][2:4] == ["", "3"] and shown[1][2:4] == ["1.200", "1.200"]
