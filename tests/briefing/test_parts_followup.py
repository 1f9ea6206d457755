"""The briefing's follow-up of the previous conference and rank-history appendix
(helpers.briefing.parts_followup), and the packs' history sheets (helpers.packs.history): on
hand-made tables and on three sample weeks (two run, every figure bound to a table value)."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
from datetime import date

import pandas as pd
import pytest

from helpers import briefing, i18n, packs, progress, store
from helpers.config import load_plan
from helpers.paths import Workspace
from helpers.progress import history
from tests.briefing.builders import (
    SUMMARY_SHEET,
    _number_pattern,
    build_progress_tables,
    pdf_text,
    squash,
)

WEEK = "2025-11-23"


@pytest.fixture
def data(tmp_ws) -> briefing.BriefingData:
    build_progress_tables(tmp_ws, WEEK)
    return briefing.load_briefing_data(tmp_ws, WEEK)


def with_history(data: briefing.BriefingData, then_recomputed: bool = False):
    """The hand-made week with a previous week: units ranked 1..3 named then, the leaders of
    this week leaders then; shares 2 points lower then."""
    now_units = data.units
    then_units = now_units.assign(
        veh_share_cleaned_cleanable=now_units["veh_share_cleaned_cleanable"] - 0.02,
        is_laggard=now_units["rank"].isin([1, 2, 3]) | now_units["is_laggard"],
    )
    then_city = data.city.assign(
        cleaned=data.city["cleaned"] - 500, required_rate=data.city["required_rate"] + 3.5
    )
    then = history.WeekTables("2025-11-16", then_units, then_city, recomputed=then_recomputed)
    now = history.WeekTables(WEEK, now_units, data.city)
    tables = history.build([then], now)
    return dataclasses.replace(
        data, followup=tables["followup"], rank_history=tables["rank_history"]
    ), tables


def test_first_week_says_there_was_no_previous_conference_in_one_line(data):
    for lang in ("vi", "en"):
        part = briefing.followup(data, lang)
        assert i18n.t("briefing.followup.none", lang) in part
        assert "<table" not in part


def test_followup_lists_each_laggard_then_with_its_outcome_and_run(data):
    shown, tables = with_history(data)
    part = briefing.followup(shown, "en")
    lag = tables["followup"].loc[tables["followup"]["subject"] == "laggard"]
    assert len(lag) >= 3
    for _, r in lag.iterrows():
        assert r["unit_name"] in part
    for outcome in lag["outcome"].unique():
        assert i18n.t(f"briefing.followup.outcome_{outcome}", "en") in part
    assert "recomputed" not in part


def test_a_recomputed_previous_week_is_said_so(data):
    shown, _ = with_history(data, then_recomputed=True)
    assert i18n.t("briefing.followup.recomputed", "en") in briefing.followup(shown, "en")
    assert i18n.t("briefing.followup.recomputed", "vi") in briefing.followup(shown, "vi")


def test_rank_history_appendix_has_a_line_per_unit(data):
    shown, tables = with_history(data)
    part = briefing.rank_history(shown, "en")
    assert part.count("<polyline") == len(data.units)
    assert part.count("<tr>") == len(data.units) + 1


def test_rank_history_appendix_marks_a_recomputed_week(data):
    shown, _ = with_history(data, then_recomputed=True)
    part = briefing.rank_history(shown, "en")
    note = html.escape(i18n.t("briefing.history.recomputed_note", "en")).replace("&#x27;", "&#39;")
    assert "16/11*" in part and note in part


# --- every figure of the follow-up is a value of the followup table ----------------------------


def followup_allowed(followup: pd.DataFrame, lang: str) -> set[str]:
    """Every way the section may print a value of ``followup``: counts, ranks, shares,
    share gains in points, paces (one decimal), dates; and the counts of its rows."""
    out: set[str] = set()
    for _, row in followup.iterrows():
        for _col, value in row.items():
            if value is None or isinstance(value, str) or hasattr(value, "__len__"):
                continue  # texts and the rules that named a unit (lists): no figures
            if isinstance(value, date):
                out |= {i18n.fmt_date(value, lang), i18n.fmt_date(value, lang)[:5]}
                continue
            if pd.isna(value) or isinstance(value, bool):
                continue
            v = float(value)
            out |= {
                i18n.fmt_int(abs(v), lang),
                progress.pct_text(abs(v), lang),
                i18n.fmt_num(abs(v), lang, 1),
                i18n.fmt_num(abs(v) * 100, lang, 1),
            }
    lag = followup.loc[followup["subject"] == "laggard"]
    lead = followup.loc[followup["subject"] == "leader"]
    out |= {
        i18n.fmt_int(n, lang)
        for n in (
            len(lag),
            int(lag["improved"].fillna(False).astype(bool).sum()),
            int((lead["outcome"] == "kept").sum()),
            int((lead["outcome"] == "lost").sum()),
        )
    }
    return out


def check_followup_figures(text: str, followup: pd.DataFrame, lang: str, min_figures: int) -> None:
    text = text.replace(i18n.t("briefing.sections.followup", lang), "")
    for name in followup["unit_name"].dropna().unique():
        text = text.replace(str(name), " ")
    dates = r"\d{2}/\d{2}(?:/\d{4})?"  # 16/11/2025, or 16/11 in a column heading
    figures = re.findall(dates, re.sub(r"/\s+", "/", text))
    text = re.sub(dates, " ", re.sub(r"/\s+", "/", text))
    number = _number_pattern(lang).pattern
    figures += [m.replace(" ", "") for m in re.findall(rf"(?:{number})\s*%", text)]
    text = re.sub(rf"(?:{number})\s*%", " ", text)
    figures += re.findall(number, text)
    assert len(figures) >= min_figures, figures
    allowed = followup_allowed(followup, lang)
    strays = [f for f in figures if f not in allowed]
    assert not strays, (lang, strays)


def followup_pdf_text(data, lang, tmp_path) -> str:
    pdf = tmp_path / f"followup-{lang}.pdf"
    briefing.write_pdf(SUMMARY_SHEET.format(body=briefing.followup(data, lang)), pdf)
    return pdf_text(pdf)[0]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_followup_figures_are_table_values(data, tmp_path, lang):
    shown, tables = with_history(data)
    text = followup_pdf_text(shown, lang, tmp_path)
    check_followup_figures(text, tables["followup"], lang, min_figures=20)


def test_followup_figure_check_catches_a_figure_no_table_gives(data, tmp_path):
    shown, tables = with_history(data)
    text = followup_pdf_text(shown, "en", tmp_path)
    with pytest.raises(AssertionError, match="98,765"):
        check_followup_figures(text + " 98,765 records", tables["followup"], "en", 20)


# --- three sample weeks: 30 Nov with 17 and 23 Nov run before it --------------------------------


@pytest.fixture(scope="module")
def three_weeks(progressed, sample_week, tmp_path_factory) -> tuple[Workspace, str]:
    """A workspace over the sample's deliveries where 17 Nov and 23 Nov were run (23 Nov's
    folder copied from the session's run) and 30 Nov is run now."""
    from helpers import ingest, reconcile
    from tests.conftest import make_workspace

    root = make_workspace(tmp_path_factory.mktemp("three-weeks"))
    ws = Workspace(raw=progressed.raw, processed=root.processed, output=root.output, truth=None)
    plan = load_plan()
    shutil.copytree(progressed.processed_week(sample_week), ws.processed_week(sample_week))
    for week in ("2025-11-17", "2025-11-30"):
        ingest.ingest_week(ws, week)
        reconcile.reconcile_week(ws, week, plan)
    progress.progress_week(ws, "2025-11-17", plan)
    progress.progress_week(ws, sample_week, plan)  # again: now with 17 Nov's run to read
    progress.progress_week(ws, "2025-11-30", plan)
    return ws, "2025-11-30"


@pytest.mark.slow
def test_sample_session_week_recomputes_the_never_run_first_week(progressed, sample_week):
    hist = store.load(progressed, "rank_history", sample_week)
    first = hist.loc[hist["week"] == date(2025, 11, 17)]
    assert len(first) == 126 and first["recomputed"].all()
    follow = store.load(progressed, "followup", sample_week)
    assert follow["prev_recomputed"].all() and (follow["subject"] == "city").sum() == 2


@pytest.mark.slow
def test_sample_history_reads_the_weeks_that_were_run(three_weeks):
    ws, week = three_weeks
    hist = store.load(ws, "rank_history", week)
    assert sorted(hist["week"].unique()) == [date(2025, 11, d) for d in (17, 23, 30)]
    assert not hist["recomputed"].any()
    told = store.load(ws, "unit_progress", "2025-11-23").set_index("unit_code")
    then = hist.loc[hist["week"] == date(2025, 11, 23)].set_index("unit_code")
    assert (then["rank"] == told.loc[then.index, "rank"]).all()
    follow = store.load(ws, "followup", week)
    lag = follow.loc[follow["subject"] == "laggard"].set_index("unit_code")
    assert set(lag.index) == set(told.index[told["is_laggard"]])
    first = store.load(ws, "unit_progress", "2025-11-17").set_index("unit_code")
    both = [u for u in lag.index if first.loc[u, "is_laggard"]]
    assert both and (lag.loc[both, "named_in_row"] == 2).all()
    once = [u for u in lag.index if not first.loc[u, "is_laggard"]]
    assert (lag.loc[once, "named_in_row"] == 1).all()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_followup_section_in_both_languages(three_weeks, tmp_path, lang):
    ws, week = three_weeks
    data = briefing.load_briefing_data(ws, week)
    text = followup_pdf_text(data, lang, tmp_path)
    assert squash(i18n.t("briefing.sections.followup", lang)) in squash(text)
    check_followup_figures(text, data.followup, lang, min_figures=20)
    part = briefing.rank_history(data, lang)
    assert part.count("<polyline") == 126


@pytest.mark.slow
def test_sample_packs_hold_the_rank_history(three_weeks, tmp_path):
    from tests.packs.builders import _read

    ws, week = three_weeks
    hist = store.load(ws, "rank_history", week)
    top = hist.loc[(hist["week"] == date(2025, 11, 30)) & (hist["rank"] == 1), "unit_code"]
    unit = sorted(top)[0]
    result = packs.build_packs(ws, week, tmp_path, "en", workers=1, units=[unit])
    city = _read(result.city)[i18n.t("excel.sheets.rank_history", "en")]
    assert len(city) == 127
    assert city[0][2] == i18n.t("excel.history.rank_at", "en", week="17/11")
    mine = hist.loc[hist["unit_code"] == unit].sort_values("week")
    row = next(r for r in city[1:] if r[0] == unit)
    assert list(row[2:5]) == list(mine["rank"])
    assert list(row[5:8]) == pytest.approx(list(mine["share_cleaned"]))
    pack = next((tmp_path / "units").glob(f"{unit}*.xlsx"))
    # unit packs are written in the plan's unit-pack language (vi by default)
    unit_lang = load_plan().unit_packs.get("lang") or "vi"
    own = _read(pack, ws)[i18n.t("excel.sheets.unit_history", unit_lang)]
    assert len(own) == 4  # header and three weeks
    assert [r[1] for r in own[1:]] == list(mine["rank"])
    assert [r[2] for r in own[1:]] == pytest.approx(list(mine["share_cleaned"]))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_each_follow_up_verdict_badge_reads_as_its_own_label(lang):
    # a badge follows a full sentence ("... từ số đã điều chỉnh. không đạt"): capitalised
    codes = ["improved", "not_improved", "kept", "lost", "met", "missed", "no_target"]
    labels = [i18n.t(f"briefing.followup.outcome_{c}", lang) for c in codes]
    assert all(label[0].isupper() for label in labels), labels
