"""One unit's pack (helpers.packs.unit): its sheets, its summary against the city, the final week's
verdict, the daily sheet."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest

from helpers import packs, store
from helpers.config import load_plan
from helpers.i18n import t
from helpers.packs.units_table import metric_header
from helpers.paths import Workspace
from helpers.progress.deadline import deadline_note, peak_day_text
from helpers.statuses import DIFFICULT_GROUPS, LICENCE_STATUSES, VEHICLE_STATUSES
from tests.packs.builders import (
    PLAIN,
    U1,
    U2,
    U3,
    UNITS,
    WEEK,
    assert_tall_enough,
    build,
    cells,
    table_rows,
    unit_file,
    write_week,
)

# --------------------------------------------------------------------------------------------
# unit packs
# --------------------------------------------------------------------------------------------


def test_one_pack_per_unit_named_by_code_and_slug(built):
    week_ws, out, _ = built["vi"]
    result = built["vi"][2]
    assert sorted(p.name for p in (out / "units").iterdir()) == sorted(
        unit_file(out, c).name for c in (U1, U2, U3)
    )
    assert list(result.units["unit_code"]) == sorted([U1, U2, U3])


def test_unit_pack_sheets_and_headers(built):
    week_ws, out, _ = built["vi"]
    wb = openpyxl.load_workbook(unit_file(out, U1))
    assert wb.sheetnames == [
        t(f"excel.sheets.{k}", "vi")
        for k in ("unit_summary", "unit_daily", *packs.LISTS)
        for k in ((k, "door_to_door_groups") if k == "door_to_door" else (k,))
    ]
    for key in packs.LISTS:
        ws = wb[t(f"excel.sheets.{key}", "vi")]
        assert [c.value for c in ws[1]] == [c.header for c in packs.worklist_columns(key, "vi")]
        assert ws.freeze_panes == "B2" and ws.tables


def test_pending_reviews_oldest_first_with_days_waiting(built):
    week_ws, out, _ = built["en"]
    rows = table_rows(openpyxl.load_workbook(unit_file(out, U1))["Pending reviews"])
    assert [r["Submitted at"] for r in rows] == [
        datetime(2025, 11, 12, 8),
        datetime(2025, 11, 20, 10),
    ]
    assert [r["Days waiting"] for r in rows] == [11, 3]
    assert [r["No."] for r in rows] == [1, 2]


def test_daily_sheet_is_the_units_last_14_days_against_its_required_rate(built):
    week_ws, out, _ = built["en"]
    wb = openpyxl.load_workbook(unit_file(out, U1))
    ws = wb["Daily meeting"]
    rows = table_rows(ws)
    daily = store.load(week_ws, "unit_daily", WEEK)
    units = store.load(week_ws, "unit_progress", WEEK).set_index("unit_code")
    mine = daily.loc[
        (daily["unit_code"] == U1)
        & (pd.to_datetime(daily["date"]) > pd.Timestamp(WEEK) - pd.Timedelta(days=14))
    ]
    assert [r["Date"] for r in rows] == sorted(pd.to_datetime(mine["date"]).unique())
    assert len(rows) == 14
    for prefix, kind in (("Vehicles", "vehicle"), ("Licences", "licence")):
        want = mine.loc[mine["kind"] == kind].set_index(
            pd.to_datetime(mine.loc[mine["kind"] == kind, "date"])
        )
        for r in rows:
            for what, col in (
                ("submitted that day", "submitted_day"),
                ("approved that day", "approved_day"),
                ("cleaned that day", "cleaned_day"),
            ):
                expected = want[col].get(r["Date"])  # a day without a row: 0, never blank
                assert r[f"{prefix}: {what}"] == (0 if expected is None else int(expected))
        rate = units.at[U1, f"{'veh' if kind == 'vehicle' else 'lic'}_required_rate"]
        targets = [r[f"{prefix}: daily target to finish the peak"] for r in rows]
        assert targets == [pytest.approx(rate)] * len(rows)
    assert len(ws._charts) == 2  # a native chart per kind of record
    assert (
        "Daily meeting" not in openpyxl.load_workbook(out / f"city-pack-{WEEK}-en.xlsx").sheetnames
    )


def test_elsewhere_list_names_the_unit_where_the_owner_lives(built):
    week_ws, out, _ = built["en"]
    rows = table_rows(openpyxl.load_workbook(unit_file(out, U1))["Owner lives elsewhere"])
    name = UNITS.set_index("unit_code").at[U3, "unit_name"]
    assert [r["Unit where the owner lives (forward to)"] for r in rows] == [name]


def test_unit_summary_compares_the_unit_with_the_city(built):
    week_ws, out, _ = built["en"]
    ws = openpyxl.load_workbook(unit_file(out, U1))["Summary"]
    values = {r[0]: r[1:] for r in cells(ws) if r[0]}
    unit = store.load(week_ws, "unit_progress", WEEK).set_index("unit_code").loc[U1]
    city = store.load(week_ws, "city_progress", WEEK).set_index("kind")
    assert values["Vehicles: cleaned"][:2] == (unit["veh_cleaned"], city.at["vehicle", "cleaned"])
    assert values["Rank among 126 units (vehicles, % of cleanable cleaned)"][0] == unit["rank"]
    lists = {r[0]: r[1] for r in cells(ws) if r[0] in ("Pending reviews", "Door to door")}
    assert lists == {"Pending reviews": 2, "Door to door": 5}  # a row per record not submitted
    assert any(str(r[0]).startswith("Praised: good") for r in cells(ws) if r[0])


def test_unit_pack_week_line_counts_days_on_the_deadline_in_force():
    plan = load_plan()
    for week, said in (
        ("2026-01-11", "day 63 of 71 of the extended peak"),
        ("2025-11-23", "day 14 of 60 of the peak"),
    ):
        line = packs.tx(
            "summary.week_line",
            "en",
            week="w",
            conference="c",
            peak_day=peak_day_text(plan, date.fromisoformat(week), "en"),
            deadline=deadline_note(plan, date.fromisoformat(week), "en"),
        )
        assert said in line


def test_unit_summary_says_why_pending_figures_differ(built):
    week_ws, out, _ = built["en"]
    ws = openpyxl.load_workbook(unit_file(out, U1))["Summary"]
    unit = store.load(week_ws, "unit_progress", WEEK).set_index("unit_code").loc[U1]
    note = next(str(r[0]) for r in cells(ws) if r[0] and str(r[0]).startswith("The pending sheet"))
    assert note.startswith("The pending sheet lists 2 records whose latest submission awaits")
    assert f"records pending ({int(unit['veh_pending'] + unit['lic_pending'])})" in note
    assert f"submissions awaiting review ({int(unit['backlog_pending'])})" in note


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_unit_summary_texts_are_tall_enough_for_their_wrapped_lines(week_ws, tmp_path, lang):
    # a laggard reason of three rules, as the final week writes them: its row was set to one
    # line per 120 characters in a column of 60, and the last rule was cut off
    laggards = store.load(week_ws, "laggards", WEEK)
    laggards[f"reason_{lang}"] = (
        "in the bottom 10% of units (rank 120 of 126); oldest pending review 25 days old "
        "(90 waiting in all); at the current pace finishes on 17/03/2026, 57 days after the "
        "deadline"
    )
    store.save(week_ws, laggards, "laggards", WEEK)
    result = build(week_ws, tmp_path, lang, units=list(laggards["unit_code"].iloc[:1]))
    sheet = openpyxl.load_workbook(tmp_path / "units" / result.units["file"].iloc[0])[
        t("excel.sheets.unit_summary", lang)
    ]
    wrapped = [
        cell
        for (cell,) in sheet.iter_rows(min_col=1, max_col=1)
        if isinstance(cell.value, str) and cell.alignment.wrap_text
    ]
    reason = laggards[f"reason_{lang}"].iloc[0]
    assert reason in [c.value for c in wrapped]
    for cell in wrapped:
        assert_tall_enough(sheet, cell)


def test_difficult_sheet_gives_each_group_open_and_resolved(tmp_ws, tmp_path):
    units = pd.DataFrame(
        {
            "unit_code": ["00004"],
            "veh_group_owner_deceased": [3],
            "veh_resolved_owner_deceased": [1],
        }
    )
    assert packs.metric_header("veh_resolved_owner_deceased", "en") == (
        "Vehicles: Owner deceased, resolved"
    )
    assert packs.difficult_columns(units) == [
        "veh_group_owner_deceased",
        "veh_resolved_owner_deceased",
    ]


def write_final_tables(ws: Workspace) -> None:
    """The campaign summary's tables of the hand-made week, as a week reaching the end."""
    units = store.load(ws, "unit_progress", WEEK)
    ended = replace(PLAIN, end=date(2025, 11, 23), extension=None, pending_extension=None)
    from helpers.progress.final import final_tables

    for name, frame in final_tables(
        units.assign(
            **{
                f"{p}_{c}": 0
                for p in ("veh", "lic")
                for c in ("difficult_open", "remaining")
                if f"{p}_{c}" not in units
            },
            **{
                f"{p}_resolved_{g}": 0
                for p, k in (("veh", VEHICLE_STATUSES), ("lic", LICENCE_STATUSES))
                for g in k
                if g in DIFFICULT_GROUPS
            },
        ),
        store.load(ws, "city_progress", WEEK),
        store.load(ws, "org_summary", WEEK),
        ended,
        as_of=date(2025, 11, 23),
    ).items():
        store.save(ws, frame, name, WEEK)


def test_the_final_week_pack_says_the_units_verdict_and_what_it_hands_over(tmp_ws, tmp_path):
    write_week(tmp_ws)
    write_final_tables(tmp_ws)
    ended = replace(PLAIN, end=date(2025, 11, 23), extension=None, pending_extension=None)
    last = store.load(tmp_ws, "final_units", WEEK).iloc[-1]  # the last-ranked: criticised
    code = str(last["unit_code"])
    build(tmp_ws, tmp_path / "out", "vi", units=[code], city=False, plan=ended)
    ws = openpyxl.load_workbook(unit_file(tmp_path / "out", code))[
        t("excel.sheets.unit_summary", "vi")
    ]
    texts = [str(c) for r in cells(ws) for c in r if c]
    assert t("excel.unit.final_heading", "vi") in texts
    verdicts = store.load(tmp_ws, "final_verdicts", WEEK)
    mine = verdicts.loc[verdicts["unit_code"] == code]
    assert len(mine) and all(any(r in x for x in texts) for r in mine["reason_vi"])
    handover = store.load(tmp_ws, "final_handover", WEEK)
    opened = handover.loc[handover["unit_code"] == code, "open"]
    assert len(opened) and all(
        any(f"còn {n} hồ sơ" in x for x in texts) for n in opened.astype(int)
    )
    # no next conference: what is left, never "targets by 30/11"
    assert not any(x.startswith("Chỉ tiêu đến ngày") for x in texts)
    assert any(x.startswith("Còn phải xử lý sau đợt cao điểm") for x in texts)


def test_the_daily_sheet_has_every_day_zeros_and_says_why_no_target(tmp_ws, tmp_path):
    """Days without activity are 0 (the chart skipped them), licence days missing are 0 (not
    blank), and once the deadline is reached the blank target says why; whole-record ticks."""
    write_week(tmp_ws)
    units = store.load(tmp_ws, "unit_progress", WEEK)
    units.loc[units["unit_code"] == U1, ["veh_required_rate", "lic_required_rate"]] = np.nan
    store.save(tmp_ws, units, "unit_progress", WEEK)
    daily = store.load(tmp_ws, "unit_daily", WEEK)
    quiet = pd.Timestamp(WEEK) - pd.Timedelta(days=3)
    daily = daily.loc[pd.to_datetime(daily["date"]) != quiet]  # a day with no activity at all
    daily = daily.assign(cleaned_day=np.where(daily["kind"] == "licence", 0, daily["cleaned_day"]))
    store.save(tmp_ws, daily, "unit_daily", WEEK)
    ended = replace(PLAIN, end=date(2025, 11, 23), extension=None, pending_extension=None)
    build(tmp_ws, tmp_path / "out", "vi", units=[U1], city=False, plan=ended)
    ws = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))[t("excel.sheets.unit_daily", "vi")]
    rows = [r for r in cells(ws)[1:] if isinstance(r[0], datetime)]  # the note is below them
    assert len(rows) == 14  # every day of the window, the quiet one included
    assert [r[0].date() for r in rows][-4] == quiet.date()
    assert rows[-4][1:4] == (0, 0, 0) and rows[-4][5:8] == (0, 0, 0)
    assert all(v is not None for r in rows for v in r[5:8])  # licences: 0, never blank
    notes = [c.value for r in ws.iter_rows(min_row=16) for c in r if isinstance(c.value, str)]
    assert any(x.startswith("Không còn chỉ tiêu mỗi ngày") for x in notes), notes
    licences = ws._charts[1]
    assert licences.y_axis.majorUnit == 1  # licences cleaned 0: ticks 0, 1, never 0, 1, 1
    assert len(licences.series) == 1  # no target line past the deadline: the note says why


def test_the_daily_sheets_charts_and_note_sit_below_the_table(built):
    # beside the table they widened the printed page: fitted to one page wide, the table
    # printed at 5-6 pt (ward-chief review); below it, on a page of their own
    _, out, _ = built["en"]
    ws = openpyxl.load_workbook(unit_file(out, U1))["Daily meeting"]
    last_row = 1 + len(table_rows(ws))
    anchors = [chart.anchor._from for chart in ws._charts]
    assert len(anchors) == 2 and all(a.col == 0 and a.row >= last_row for a in anchors)
    assert ws.max_column == len(next(ws.iter_rows(max_row=1)))  # nothing right of the table
    assert [b.id for b in ws.row_breaks.brk][0] == last_row + 1  # then one before each chart
    assert len(ws.row_breaks.brk) == 2


@pytest.mark.parametrize(
    ("standing", "vi", "en"),
    [
        ("not_finished", "Chưa hoàn thành", "Not finished"),
        ("finished", "Đã hoàn thành", "Finished"),
    ],
)
def test_unit_summary_says_the_outcome_once_the_deadline_is_reached(
    tmp_ws, tmp_path, standing, vi, en
):
    # on the deadline a unit has finished or not: never "at risk of delay"
    write_week(tmp_ws)
    units = store.load(tmp_ws, "unit_progress", WEEK)
    units.loc[units["unit_code"] == U1, "standing"] = standing
    store.save(tmp_ws, units, "unit_progress", WEEK)
    for lang, label in (("vi", vi), ("en", en)):
        build(tmp_ws, tmp_path / lang, lang, units=[U1], city=False)
        ws = openpyxl.load_workbook(unit_file(tmp_path / lang, U1))[
            t("excel.sheets.unit_summary", lang)
        ]
        row = next(r for r in cells(ws) if r[0] == metric_header("standing", lang))
        assert row[1] == label
