"""The briefing's campaign summary (helpers.briefing.parts_final): shown only in a week that
reaches the end of the peak, after the summary page and in the contents; every figure on it a
value of the campaign summary's tables (the house method of tests/briefing/builders.py's summary
checker), on hand-made tables and on the sample, in both languages."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest
from markupsafe import escape

from helpers import briefing, i18n, progress, schemas, store
from helpers.config import load_plan
from helpers.paths import Workspace
from helpers.progress.final import final_tables, rule_params
from helpers.record_tables import STATUS_LIST
from helpers.statuses import DIFFICULT_GROUPS
from tests.briefing.builders import (
    SUMMARY_SHEET,
    WEEK,
    body_parts,
    build_progress_tables,
    contents_of,
    pdf_text,
    sections_of,
    squash,
    summary_figures,
)


def end_plan(end: date, **final):
    """The shipped plan ending on ``end`` (no extension), ``final`` thresholds changed."""
    plan = replace(load_plan(), end=end, extension=None)
    return replace(plan, final=replace(plan.final, **final)) if final else plan


def make_rank_history(units: pd.DataFrame, week: str, conferences: int = 5) -> pd.DataFrame:
    """A rank history of ``conferences`` weekly conferences ending on ``week``: the unit in
    row i was named behind on progress at the first ``i % (conferences + 1)`` of them."""
    last = date.fromisoformat(week)
    frames = []
    for j in range(conferences):
        frame = units[["unit_code", "unit_name", "rank", "standing"]].copy()
        frame["week"] = last - timedelta(days=7 * (conferences - 1 - j))
        frame["is_laggard"] = [i % (conferences + 1) > j for i in range(len(units))]
        frame["named_progress"] = frame["is_laggard"]
        frame["named_conduct"] = False
        frames.append(frame.assign(is_leader=False, recomputed=False))
    return schemas.complete("rank_history", pd.concat(frames, ignore_index=True))


def write_final(ws: Workspace, week: str, plan) -> dict[str, pd.DataFrame]:
    """The campaign summary's tables of ``week`` from its progress tables and a hand-made rank
    history, as progress writes them in a week that reaches the end."""
    units = store.load(ws, "unit_progress", week)
    city = store.load(ws, "city_progress", week)
    orgs = store.load(ws, "org_summary", week)
    history = make_rank_history(units, week)
    tables = final_tables(units, city, orgs, plan, as_of=date.fromisoformat(week), history=history)
    for name, table in tables.items():
        store.save(ws, table, name, week)
    return tables


@pytest.fixture
def final_ws(tmp_ws):
    build_progress_tables(tmp_ws)
    # generous thresholds so that both lists have units on the hand-made table
    plan = end_plan(
        date.fromisoformat(WEEK),
        praise_min_share=0.3,
        criticise_below_share=0.1,
        criticise_named_weeks=4,
    )
    return tmp_ws, plan, write_final(tmp_ws, WEEK, plan)


def test_no_campaign_summary_in_a_week_before_the_end(tmp_ws):
    build_progress_tables(tmp_ws)
    data = briefing.load_briefing_data(tmp_ws, WEEK)
    assert data.final is None and not briefing.has_final(data)
    assert briefing.campaign_summary(data, load_plan(), "en") == ""
    cover = briefing.cover(data, load_plan(), "en")
    assert "final" not in [part for part, _ in contents_of(cover)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_campaign_summary_follows_the_summary_page_and_is_in_the_contents(final_ws, lang):
    ws, plan, _ = final_ws
    data = briefing.load_briefing_data(ws, WEEK)
    body = briefing.summary(data, plan, lang) + briefing.campaign_summary(data, plan, lang)
    body += body_parts(data, lang).split("</section>", 1)[1]  # the rest, after the summary
    sections = sections_of(body)
    assert sections[:2] == [
        ("summary", i18n.t("briefing.sections.summary", lang)),
        ("final", i18n.t("briefing.sections.final", lang)),
    ]
    assert contents_of(briefing.cover(data, plan, lang)) == sections
    # the per-unit tables are in the appendix, after the all-units table; the follow-up comes
    # right after the summary's two parts
    names = [name for name, _ in sections]
    assert names[2] == "followup"
    assert names.index("final_results") == names.index("appendix") + 1


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_campaign_summary_is_what_a_chair_reads_in_two_pages(final_ws, lang, tmp_path):
    # five praised, five criticised: the figures, the verdicts and the handover by group fit
    # two pages; each unit's result and handover are in the appendix
    ws, _, tables = final_ws
    plan = end_plan(
        date.fromisoformat(WEEK),
        praise_top_n=5,
        praise_min_share=0.0,
        praise_finished=False,
        criticise_bottom_n=5,
        criticise_below_share=0.0,
        criticise_difficult_open_share=1.0,
        criticise_named_weeks=0,
        criticise_conduct_weeks=0,
    )
    tables = write_final(ws, WEEK, plan)
    assert len(tables["final_verdicts"]) == 10
    data = briefing.load_briefing_data(ws, WEEK)
    summary = briefing.campaign_summary(data, plan, lang)
    assert i18n.t("briefing.final.results_title", lang) not in summary
    assert i18n.t("briefing.final.handover_units", lang) not in summary
    pdf = tmp_path / "summary.pdf"
    briefing.write_pdf(SUMMARY_SHEET.format(body=summary), pdf)
    assert len(pdf_text(pdf)[1]) <= 2
    results = briefing.final_results(data, lang)
    for name in tables["final_units"]["unit_name"]:
        assert str(escape(name)) in results


def test_every_praised_and_criticised_unit_is_listed_with_every_reason(final_ws):
    ws, plan, tables = final_ws
    verdicts = tables["final_verdicts"]
    assert set(verdicts["verdict"]) == {"praise", "criticise"}
    # named at 4 or 5 of the 5 conferences: criticised with those figures from final_units
    units = tables["final_units"].set_index("unit_code")
    often = verdicts[verdicts["rules"].map(lambda r: "named_often" in list(r))]
    assert sorted(often["unit_code"]) == sorted(units.index[units["weeks_named"] >= 4])
    assert len(often) > 0
    for _, row in often.iterrows():
        unit = units.loc[row["unit_code"]]
        sentence = i18n.t(
            "progress.final_rule.named_often",
            "en",
            named=i18n.fmt_int(unit["weeks_named"], "en"),
            conferences=i18n.fmt_int(unit["weeks_reported"], "en"),
        )
        assert sentence in row["reason_en"] and unit["weeks_reported"] == 5
    page = briefing.campaign_summary(briefing.load_briefing_data(ws, WEEK), plan, "en")
    for _, row in verdicts.iterrows():
        assert str(escape(row["unit_name"])) in page
        for sentence in briefing.reason_sentences(row["reason_en"], "en", row["rules"]):
            assert str(escape(sentence)) in page, sentence


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_unit_to_praise_says_so_and_shows_the_best_units_figures(tmp_ws, lang, tmp_path):
    build_progress_tables(tmp_ws)
    plan = end_plan(
        date.fromisoformat(WEEK), praise_top_n=3, praise_min_share=1.0, praise_finished=False
    )
    tables = write_final(tmp_ws, WEEK, plan)
    assert "praise" not in set(tables["final_verdicts"]["verdict"])
    data = briefing.load_briefing_data(tmp_ws, WEEK)
    page = briefing.campaign_summary(data, plan, lang)
    assert str(escape(i18n.t("briefing.final.praise_none", lang))) in page
    best = tables["final_units"].sort_values("rank").head(3)
    for _, row in best.iterrows():
        assert str(escape(row["unit_name"])) in page
        assert i18n.fmt_int(row["veh_cleaned"], lang) in page
    text = render_final_pdf(data, plan, lang, tmp_path / "f.pdf")
    check_final_figures(text, tables, plan, WEEK, lang, min_figures=400)


def test_every_difficult_group_has_a_worklist_in_the_unit_pack():
    assert set(DIFFICULT_GROUPS) <= set(STATUS_LIST)


def test_handover_says_where_each_unit_finds_its_records(final_ws):
    ws, plan, tables = final_ws
    page = briefing.campaign_summary(briefing.load_briefing_data(ws, WEEK), plan, "vi")
    for group in set(tables["final_handover"]["group"]):
        sheet = i18n.t(f"excel.sheets.{STATUS_LIST[group]}", "vi")
        assert str(escape(sheet)) in page, group
    assert str(escape(i18n.t("excel.sheets.handover", "vi"))) in page


def test_a_week_past_the_end_says_how_many_days_past(tmp_ws):
    build_progress_tables(tmp_ws)
    plan = end_plan(date(2025, 11, 19))
    write_final(tmp_ws, WEEK, plan)
    page = briefing.campaign_summary(briefing.load_briefing_data(tmp_ws, WEEK), plan, "en")
    lead = i18n.t(
        "briefing.final.lead_overdue", "en", deadline="19/11/2025", days="4", week="23/11/2025"
    )
    assert str(escape(lead)) in page


# ---------------------------------------------------------------------------------------
# every figure of the part is a table value


def final_figure_values(tables: dict[str, pd.DataFrame], plan, week: str, lang: str) -> set[str]:
    """Every way the part may print a value of the campaign summary's tables: the figures'
    values, totals and shares; the units' ranks, shares, open records and dates; the handover
    sums (per unit, per group, city); the verdicts' figures (rule_params); the dates."""
    figures, units = tables["final_figures"], tables["final_units"]
    handover, verdicts = tables["final_handover"], tables["final_verdicts"]
    out = {i18n.fmt_date(date.fromisoformat(week), lang)}
    out |= {i18n.fmt_date(d, lang) for d in figures["deadline"]}
    out |= {i18n.fmt_int(d, lang) for d in figures["days_overdue"]}
    for col in ("value", "total"):
        out |= {i18n.fmt_int(v, lang) for v in figures[col].dropna()}
    out |= {progress.pct_text(v, lang) for v in figures["share"].dropna()}
    for col in ("rank", "difficult_open", "veh_cleaned", "veh_cleanable", "records_left"):
        out |= {i18n.fmt_int(v, lang) for v in units[col].dropna()}
    out.add(i18n.fmt_int(len(units), lang))  # the appendix's lead: the units it lists
    for col in ("veh_share_cleaned_cleanable", "veh_share_cleaned", "lic_share_cleaned_cleanable"):
        out |= {progress.pct_text(v, lang) for v in units[col]}
    out |= {i18n.fmt_date(d, lang) for d in units["finished_on"].dropna()}
    per_unit = handover.pivot_table(index="unit_code", columns="kind", values="open", aggfunc="sum")
    out |= {i18n.fmt_int(v, lang) for v in per_unit.fillna(0).to_numpy().ravel()}
    out |= {i18n.fmt_int(v, lang) for v in per_unit.fillna(0).sum(axis=1)}
    out |= {i18n.fmt_int(v, lang) for v in per_unit.fillna(0).sum(axis=0)}
    out |= {i18n.fmt_int(v, lang) for v in handover["open"]}
    groups = handover.groupby(["kind", "group"]).agg(
        open=("open", "sum"), units=("unit_code", "nunique")
    )
    out |= {i18n.fmt_int(v, lang) for v in groups.to_numpy().ravel()}
    out.add(i18n.fmt_int(handover["open"].sum(), lang))
    out |= {i18n.fmt_int(v, lang) for v in verdicts["position"]}
    by_code = units.set_index("unit_code")
    for code in verdicts["unit_code"]:
        out |= set(rule_params(by_code.loc[code], units, plan, lang).values())
    if plan.extension is not None:
        ext = plan.extension
        out |= {i18n.fmt_date(d, lang) for d in (plan.nominal_end, ext.end, ext.dated)}
    return out


def check_final_figures(text: str, tables, plan, week: str, lang: str, min_figures: int) -> None:
    heading = i18n.t("briefing.sections.final", lang)
    figures = summary_figures(text.replace(heading, ""), lang)
    assert len(figures) >= min_figures, (week, lang, figures)
    allowed = final_figure_values(tables, plan, week, lang)
    strays = [f for f in figures if f not in allowed]
    assert not strays, (week, lang, strays[:20])


def render_final_pdf(data, plan, lang: str, path) -> str:
    """The campaign summary and its appendix of per-unit tables, as one PDF's text."""
    body = briefing.campaign_summary(data, plan, lang) + briefing.final_results(data, lang)
    briefing.write_pdf(SUMMARY_SHEET.format(body=body), path)
    return pdf_text(path)[0]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_campaign_summary_figures_are_table_values_on_hand_made_tables(final_ws, lang, tmp_path):
    ws, plan, tables = final_ws
    text = render_final_pdf(briefing.load_briefing_data(ws, WEEK), plan, lang, tmp_path / "f.pdf")
    check_final_figures(text, tables, plan, WEEK, lang, min_figures=400)
    stray = i18n.fmt_int(987654, lang)  # a figure no table gives is caught
    with pytest.raises(AssertionError, match=re.escape(stray)):
        check_final_figures(f"{text} {stray}", tables, plan, WEEK, lang, 400)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_campaign_summary_figures_are_table_values(progressed, sample_week, lang, tmp_path):
    ws = Workspace(
        raw=progressed.raw,
        processed=tmp_path / "processed",
        output=tmp_path / "output",
        truth=progressed.truth,
    )
    shutil.copytree(progressed.processed_week(sample_week), ws.processed_week(sample_week))
    # criticise a unit named at one conference or more (the sample week has one before it)
    plan = end_plan(date.fromisoformat(sample_week), criticise_named_weeks=1)
    tables = progress.progress_week(ws, sample_week, plan)
    data = briefing.load_briefing_data(ws, sample_week)
    assert data.final is not None
    verdicts, units = tables["final_verdicts"], tables["final_units"].set_index("unit_code")
    often = verdicts[verdicts["rules"].map(lambda r: "named_often" in list(r))]
    assert sorted(often["unit_code"]) == sorted(units.index[units["weeks_named"] >= 1])
    conferences = tables["rank_history"]["week"].nunique()
    assert len(often) > 0 and (units["weeks_reported"] == conferences).all()
    text = render_final_pdf(data, plan, lang, tmp_path / f"final-{lang}.pdf")
    check_final_figures(text, tables, plan, sample_week, lang, min_figures=400)
    flat = squash(text)
    assert squash(i18n.t("briefing.final.results_title", lang)) in flat
    for name in tables["final_units"]["unit_name"]:
        assert squash(name) in flat, name


def test_the_handover_total_says_how_many_of_each_kind_it_adds():
    # "Toàn thành phố 4.345" beside pages counting 4.344 vehicle records: the total adds the
    # licences too (chair review); its kind column now gives each kind's count
    from helpers.briefing.parts_final import handover_groups

    handover = pd.DataFrame(
        {
            "unit_code": ["00004", "00008", "00004"],
            "kind": ["vehicle", "vehicle", "licence"],
            "group": ["identity_mismatch", "owner_deceased", "holder_deceased"],
            "open": [4000, 344, 1],
            "records": [4100, 350, 1],
        }
    )
    label, kinds, total, _ = handover_groups(handover, "vi")["foot"]
    assert (kinds, total) == ("Đăng ký xe 4.344; Giấy phép lái xe 1", "4.345"), (label, kinds)
