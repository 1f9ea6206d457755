"""End to end: the briefings the real runner wrote for the generated sample (weekly_report), and
the summary's figures in every sample week and language (slow)."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, timedelta

import pandas as pd
import pytest

from helpers import briefing, i18n, progress, store
from helpers.config import load_plan
from tests.briefing.builders import (
    SUMMARY_SHEET,
    check_briefing_pdf,
    check_summary_figures,
    contents_of,
    pdf_text,
    personal_data_in,
    sections_of,
    squash,
)
from tests.pii import notebook_text, personal_tokens

# --------------------------------------------------------------------------------------
# end to end on the generated sample: the briefings the real runner wrote (weekly_report)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_briefing_agrees_with_the_processed_tables(
    weekly_report, progressed, sample_week, lang
):
    check_briefing_pdf(
        weekly_report / f"briefing-{sample_week}-{lang}.pdf", progressed, sample_week, lang
    )


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_briefing_carries_no_personal_data(weekly_report, progressed, sample_week, lang):
    tokens = personal_tokens(progressed, sample_week)
    assert len(tokens.ids) > 100 and len(tokens.plates) > 100 and len(tokens.names) > 100
    documents = {  # what the chair reads, what is mailed, what is kept with the run
        "pdf": pdf_text(weekly_report / f"briefing-{sample_week}-{lang}.pdf")[0],
        "html": (weekly_report / f"briefing-{sample_week}-{lang}.html").read_text("utf-8"),
        "notebook": notebook_text(weekly_report / "notebooks" / f"04_briefing-{lang}.ipynb"),
    }
    for where, text in documents.items():
        leaked = personal_data_in(text, tokens)
        assert not leaked, f"{where} ({lang}) carries personal data, e.g. {leaked[:3]}"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_briefing_contents_list_every_section(weekly_report, sample_week, lang):
    page = (weekly_report / f"briefing-{sample_week}-{lang}.html").read_text("utf-8")
    assert len(sections_of(page)) >= 9
    assert contents_of(page) == sections_of(page)
    _, pages = pdf_text(weekly_report / f"briefing-{sample_week}-{lang}.pdf")
    note = squash(i18n.t("briefing.cover.note", lang))
    assert note in squash(pages[0]), "the cover runs onto a second page"
    assert squash(i18n.t("briefing.sections.summary", lang)) in squash(pages[1])


@pytest.mark.slow
def test_summary_figures_are_table_values_in_every_sample_week_and_language(
    sample_ws, tmp_path_factory
):
    """The sample campaign week by week in order (some weeks skipped, a registry re-delivered in
    mid-week, then the final week without the extension): every figure of page 2 is a table
    value, and what the pages remember of earlier conferences holds (docs/rules.md,
    "Conferences and their periods", "Namings and their kinds")."""
    from helpers import ingest, reconcile
    from helpers.progress import RANK_SHARE
    from tests.conftest import make_workspace

    root = tmp_path_factory.mktemp("every-week")
    ws = make_workspace(root)
    for folder in sample_ws.raw.iterdir():  # the sample's deliveries, as they are
        (ws.raw / folder.name).symlink_to(folder, target_is_directory=True)
    # a registry re-delivered on a Wednesday: no conference, never "the previous conference"
    (ws.raw / "2025-12-10").mkdir()
    shutil.copy2(
        sample_ws.raw / "2025-12-07" / "registry_licences.parquet",
        ws.raw / "2025-12-10" / "registry_licences.parquet",
    )
    plan = load_plan()
    weeks = sorted(d for d in ws.deliveries() if d != "2025-12-10")
    assert len(weeks) >= 10 and weeks[-1] == "2026-01-19"
    # every week: 14/12 first with 30/11 and 07/12 skipped (its previous conference is
    # recomputed), then the skipped weeks run late (an analyst catching up), then the rest in
    # order; the final week again without the extension (overdue). Page 2 is printed and read
    # for the weeks the reviewers read (the first two, 14/12, the last before the extension
    # was decided, the first after peak.end (extended) and the final one).
    order = [weeks[0], weeks[1], "2025-12-14"]
    order += [w for w in weeks if w not in order]
    assert sorted(order) == weeks
    printed = {weeks[0], weeks[1], "2025-12-14", "2026-01-04", "2026-01-11", "2026-01-19"}
    runs = [(week, plan) for week in order] + [
        ("2026-01-19", dataclasses.replace(plan, extension=None))
    ]
    told: dict[str, dict[str, pd.DataFrame]] = {}
    for week, week_plan in runs:
        if not store.exists(ws, "vehicle_status", week):
            ingest.ingest_week(ws, week)
            reconcile.reconcile_week(ws, week, week_plan)
        tables = progress.progress_week(ws, week, week_plan)
        # the conference reviews the days after the previous delivery of the week's submissions
        previous = max((w for w in weeks if w < week), default=None)
        city = tables["city_progress"].set_index("kind")
        start = date.fromisoformat(previous) + timedelta(days=1) if previous else plan.start
        assert (city["period_start"] == start).all(), week
        days = tables["daily_series"]
        for kind in ("vehicle", "licence"):
            mine = days[(days["kind"] == kind) & (days["date"] >= start)]
            assert city.loc[kind, "gain_week"] == mine["cleaned_day"].sum(), (week, kind)
        if previous is None:
            assert city["gain_prev_week"].isna().all(), week  # the first compares with nothing
        follow = tables["followup"]
        if previous is not None:
            assert (follow["week_prev"] == date.fromisoformat(previous)).all(), week
            assert (follow["prev_recomputed"] == (previous not in told)).all(), week
            lag = follow[follow["subject"] == "laggard"].set_index("unit_code")
            town = follow[follow["subject"] == "city"].set_index("kind")
            needed = town["cleaned_needed"].dropna()
            assert (needed <= town.loc[needed.index, "target_remaining_then"]).all(), week
            if previous in told:  # what that conference was told, word for word
                then = told[previous]["unit_progress"].set_index("unit_code")
                assert (lag["share_then"] == then.loc[lag.index, RANK_SHARE]).all(), week
                named = then[then["is_laggard"]].index
                assert sorted(lag.index) == sorted(named), week
                city_then = told[previous]["city_progress"].set_index("kind")
                assert (town["cleaned_then"] == city_then.loc[town.index, "cleaned"]).all()
        # namings of one kind counted as that kind, in the history and the final verdicts
        hist = tables["rank_history"]
        assert (hist["is_laggard"] == (hist["named_progress"] | hist["named_conduct"])).all()
        if "final_units" in tables:
            result = tables["final_units"].set_index("unit_code")
            counted = hist.groupby("unit_code")["named_progress"].sum()
            assert (result["weeks_named"] == counted.reindex(result.index)).all()
            verdicts = tables["final_verdicts"]
            often = verdicts[verdicts["rules"].map(lambda r: "named_often" in list(r))]
            assert (result.loc[often["unit_code"], "weeks_named"] > 0).all()
        # each period's bar: counted now, beside what its conference was told (when run)
        gains = tables["conference_gains"]
        for kind in ("vehicle", "licence"):
            mine = gains[gains["kind"] == kind]
            assert mine["cleaned"].sum() == city.loc[kind, "cleaned"], (week, kind)
            for earlier, then in ((w, x) for w, x in told.items() if w < week):
                row = mine[mine["week"] == date.fromisoformat(earlier)].iloc[0]
                said = then["city_progress"].set_index("kind").loc[kind, "gain_week"]
                assert row["cleaned_told"] == said, (week, earlier, kind)
                assert row["revised"] == (row["cleaned"] != said), (week, earlier, kind)
        told[week] = tables
        data = briefing.load_briefing_data(ws, week)
        for lang in ("vi", "en"):  # a revised bar is said as a revision beside the chart
            note = briefing.parts_city.revisions_note(data, week_plan, lang)
            for _, row in gains[gains["revised"]].iterrows():
                assert i18n.fmt_int(row["cleaned_told"], lang) in note, (week, lang)
        for lang in ("vi", "en") if week in printed else ():
            pdf = root / f"summary-{week}-{lang}.pdf"
            body = briefing.summary(data, week_plan, lang)
            briefing.write_pdf(SUMMARY_SHEET.format(body=body), pdf)
            text, _ = pdf_text(pdf)
            check_summary_figures(text, tables, week_plan, week, lang)
            assert "71/60" not in text and "71 of 60" not in text
