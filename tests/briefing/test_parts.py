"""The briefing's parts (helpers.briefing.parts): cover, contents, summary, laggards and leaders,
each figure saying what it counts, the three cases of the deadline; from hand-made progress
tables."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime

import numpy as np
import pytest
from markupsafe import escape

from helpers import briefing, i18n, progress, store
from helpers.config import load_plan
from tests.briefing.builders import (
    SUMMARY_SHEET,
    WEEK,
    body_parts,
    check_summary_figures,
    contents_of,
    make_ledger,
    pdf_text,
    sections_of,
)


def test_summary_shows_kpis_and_every_talking_point_of_its_language(data):
    part = briefing.summary(data, load_plan(), "vi")
    for value in briefing.kpi_values(data, "licence", "vi").values():
        assert value in part
    assert "Đề nghị 12 đơn vị chậm tiến độ" in part
    assert "The 12 laggard units" not in part


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_summary_names_the_worst_laggards_with_their_reason_and_counts_the_rest(data, lang):
    """Page 2 runs the meeting: the first laggards by rank (worst first), each with what it is
    named for and its first reason, then how many more and where the full list is."""
    part = briefing.summary(data, load_plan(), lang)
    ordered = data.laggards.sort_values(["rank", "unit_name"], ascending=[False, True])
    shown = ordered.head(briefing.SUMMARY_LAGGARDS)
    assert len(ordered) > len(shown) > 0  # the hand-made week has more laggards than are shown
    for _, row in shown.iterrows():
        first = briefing.reason_sentences(row[f"reason_{lang}"], lang, row["rules"])[0]
        assert row["unit_name"] in part and str(escape(first)) in part
    for name in ordered["unit_name"].iloc[len(shown) :]:
        assert name not in part.split(i18n.t("briefing.summary.talking_points", lang))[1]
    more = i18n.t(
        "briefing.summary.laggards_more",
        lang,
        n=i18n.fmt_int(len(ordered) - len(shown), lang),
        shown=i18n.fmt_int(len(shown), lang),
        section=re.sub(r"^\d+\.\s*", "", i18n.t("briefing.sections.laggards", lang)),
    )
    assert str(escape(more)) in part
    # said before the table: after it, its one line spilled onto a page of its own
    assert part.index(str(escape(more))) < part.index("summary-laggards")
    assert 'href="#laggards"' in part  # the page number comes from the link's target


def test_laggards_part_lists_every_laggard_with_every_reason_sentence(data):
    part = briefing.laggards_and_leaders(data, load_plan(), "en")
    for _, row in data.laggards.iterrows():
        assert row["unit_name"] in part
        sentences = briefing.reason_sentences(row["reason_en"], "en", row["rules"])
        assert len(sentences) == len(row["rules"])
        for sentence in sentences:
            assert (f"<li>{sentence}</li>" if len(sentences) > 1 else sentence) in part
    assert "Tỷ lệ làm sạch" not in part


def test_generated_at_is_on_the_cover(data):
    part = briefing.cover(data, load_plan(), "vi", generated_at=datetime(2025, 11, 24, 7, 30))
    assert "07:30 24/11/2025" in part
    assert "TÀI LIỆU LƯU HÀNH NỘI BỘ" in part
    assert "ngày thứ 14/60" in part


def test_parts_escape_every_value_from_the_tables(data):
    name = '<b>Unit & "Co"</b>'
    code = data.units["unit_code"].iloc[0]
    units = data.units.assign(
        unit_name=np.where(data.units["unit_code"] == code, name, data.units["unit_name"])
    )
    marked = briefing.BriefingData(**{**data.__dict__, "units": units})
    for part in (briefing.units_overview(marked, "en"), briefing.appendix(marked, "en")):
        assert name not in part
        assert str(escape(name)) in part


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_contents_list_every_section_of_the_body_in_order(data, lang):
    cover = briefing.cover(data, load_plan(), lang)
    sections = sections_of(body_parts(data, lang))
    assert ("leaders", i18n.t("briefing.sections.leaders", lang)) in sections
    assert contents_of(cover) == sections


def ledger_with_sources(deliveries: dict[str, str], **extra) -> dict:
    return {
        "week": WEEK,
        "balanced": True,
        "files": make_ledger(),
        "sources": {s: {"delivery": d, "files": 1} for s, d in deliveries.items()},
        **extra,
    }


FRESH = {
    "registry_vehicles": "2025-11-17",
    "registry_licences": "2025-11-17",
    "population": "2025-11-17",
    "submissions": WEEK,
    "unit_reports": WEEK,
    "organizations": WEEK,
}


def test_source_freshness_computes_age_and_staleness_from_the_cadence():
    sources = dict(FRESH, population="2025-11-09")
    table = briefing.source_freshness(ledger_with_sources(sources)["sources"], WEEK, 7)
    rows = table.set_index("source")
    assert list(table["source"]) == list(briefing.SOURCES)
    assert rows.at["registry_vehicles", "age_days"] == 6
    assert not rows.at["registry_vehicles", "stale"]
    assert rows.at["population", "age_days"] == 14 and rows.at["population", "stale"]
    assert rows.at["submissions", "delivery"] == date(2025, 11, 23)


def test_source_freshness_takes_the_ledgers_verdict_when_it_has_one():
    ledger = ledger_with_sources(FRESH)
    ledger["sources"]["submissions"] |= {"stale": True, "age_days": 9}
    rows = briefing.source_freshness(ledger["sources"], WEEK, 7).set_index("source")
    assert rows.at["submissions", "stale"] and rows.at["submissions", "age_days"] == 9


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cover_shows_each_sources_delivery_date_and_marks_a_stale_one(hand_made, lang):
    ws, _ = hand_made
    warning = {
        "code": "stale_source",
        "message_en": "The population extract is 14 days old.",
        "message_vi": "Trích xuất dân cư đã cũ 14 ngày.",
    }
    store.save_json(
        ws,
        ledger_with_sources(dict(FRESH, population="2025-11-09"), warnings=[warning]),
        "ledger",
        WEEK,
    )
    data = briefing.load_briefing_data(ws, WEEK)
    cover = briefing.cover(data, load_plan(), lang)
    block = cover.split('class="data-as-of"', 1)[1]
    assert i18n.t("briefing.cover.data_as_of", lang) in cover
    for source in briefing.SOURCES:
        # the templates escape with markupsafe (an apostrophe is &#39;)
        assert str(escape(i18n.t(f"briefing.source.{source}", lang))) in block
    assert i18n.fmt_date(date(2025, 11, 9), lang) in block
    assert i18n.fmt_date(date(2025, 11, 17), lang) in block
    stale = re.findall(r'<tr class="stale">(.*?)</tr>', block)
    assert len(stale) == 1
    assert i18n.t("briefing.source.population", lang) in stale[0]
    assert "⚠" in stale[0] and i18n.t("briefing.cover.stale", lang, days=14) in stale[0]
    assert block.count("⚠") == 1 + 1  # the stale row and the warnings box
    box = cover.split('class="warnings"', 1)[1]
    assert warning[f"message_{lang}"] in box


def test_cover_says_an_accepted_alarm_first_and_in_bold(hand_made):
    from helpers.ingest.alarms import stop_unless_accepted

    ws, _ = hand_made
    alarm = {
        "code": "file_rejected",
        "params": {},
        "message_en": "2025-11-23/submissions.csv: 67,185 of its 67,185 data rows rejected",
        "message_vi": "2025-11-23/submissions.csv: 67.185 trên 67.185 dòng dữ liệu bị loại",
    }
    ordinary = {"code": "stale_source", "message_en": "Old.", "message_vi": "Cũ."}
    warnings = [*stop_unless_accepted([alarm], accept=True), ordinary]
    store.save_json(ws, ledger_with_sources(FRESH, warnings=warnings), "ledger", WEEK)
    cover = briefing.cover(briefing.load_briefing_data(ws, WEEK), load_plan(), "en")
    items = re.findall(r"<li( class=\"alarm\")?>(.*?)</li>", cover.split('class="warnings"')[1])
    assert items[0][0] and "ACCEPTED BY THE DUTY OFFICER" in items[0][1]
    assert "67,185 of its 67,185 data rows rejected" in items[0][1]
    assert items[1] == ("", "Old.")


def test_cover_has_no_warnings_box_when_the_ledger_has_none(hand_made):
    ws, _ = hand_made
    store.save_json(ws, ledger_with_sources(FRESH), "ledger", WEEK)
    cover = briefing.cover(briefing.load_briefing_data(ws, WEEK), load_plan(), "en")
    assert 'class="warnings"' not in cover and "⚠" not in cover
    assert cover.count('<tr class="fresh">') == len(briefing.SOURCES)


def test_conduct_and_progress_are_labelled_apart(data):
    part = briefing.laggards_and_leaders(data, load_plan(), "en")
    rules = part.index("Progress rules"), part.index("Conduct rules")
    assert rules[0] < rules[1]
    lag = data.laggards
    conduct_only = lag[lag["breaks_conduct"] & ~lag["breaks_progress"]]
    assert len(conduct_only)
    name = conduct_only["unit_name"].iloc[0]
    row = part[part.index(name) :]
    assert row.index('class="breach conduct">Conduct<') < row.index("</tr>")
    chart = briefing.units_chart(data, "en")
    marked = data.units.loc[data.units["breaks_conduct"], "unit_name"]
    for unit in marked:
        assert f'{unit} <span class="conduct">' in chart


def test_leader_heading_names_what_the_category_ranks(data):
    part = briefing.laggards_and_leaders(data, load_plan(), "en")
    assert i18n.t("briefing.leaders.category_gain_share", "en") in part
    assert "Largest number cleaned this week" not in part
    counted = data.leaders.assign(
        measure=np.where(
            data.leaders["category"] == "gain", "gain_records", data.leaders["measure"]
        )
    )
    part = briefing.laggards_and_leaders(
        briefing.BriefingData(**{**data.__dict__, "leaders": counted}), load_plan(), "en"
    )
    assert i18n.t("briefing.leaders.category_gain_records", "en") in part


def test_pace_line_shows_the_decimals_that_keep_pace_and_need_apart(data):
    city = data.city.copy()
    city.loc[city["kind"] == "vehicle", ["rate_7d", "required_rate"]] = [2.0, 2.4]
    shifted = briefing.BriefingData(**{**data.__dict__, "city": city})
    part = briefing.summary(shifted, load_plan(), "en")
    assert "Pace 2.0 records/day over the last 7 days, 2.4/day required" in part


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_comparison_tiles_name_vehicle_owners_and_licence_holders_apart(data, lang):
    kinds = briefing.summary_part(data, load_plan(), lang)["kinds"]
    veh, lic = (
        next(tile["label"] for tile in k["tiles"] if tile["value"] == v)
        for k, v in zip(
            kinds,
            [briefing.kpi_values(data, kind, lang)["compared"] for kind in ("vehicle", "licence")],
            strict=True,
        )
    )
    holder = {"vi": "người có gplx", "en": "licence holder"}[lang]
    assert holder in lic.lower() and holder not in veh.lower()
    assert {"vi": "chủ xe", "en": "owners"}[lang] not in lic.lower()
    row = briefing.city_part(data, load_plan(), lang)["figures"]["rows"]
    compared = next(r[0] for r in row if r[0] == i18n.t("briefing.city.row_compared", lang))
    assert holder in compared.lower()  # one row for both kinds names both


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_criteria_table_counts_the_named_units_and_sets_context_rules_apart(data, lang):
    """The criteria table counts rules among the units named, not the city: its column says
    so, and the rules that never name a unit alone (projected late, slow gain) stand apart, so
    "projected late 40" never reads against page 2's standings of all units."""
    lag = data.laggards.copy()
    lag["rules"] = [
        ["veh_below_median", "veh_projected_late"] if i % 2 else ["backlog_old"]
        for i in range(len(lag))
    ]
    shifted = briefing.BriefingData(**{**data.__dict__, "laggards": lag})
    rules = briefing.laggards_part(shifted, load_plan(), lang)["rules"]
    assert rules["headers"][1] == i18n.t("briefing.laggards.units_named", lang)
    groups = [r["group"] for r in rules["rows"] if "group" in r]
    assert i18n.t("briefing.laggards.rules_context", lang) in groups
    after = [r.get("rule") for r in rules["rows"]]
    context_at = after.index(None, groups.index(i18n.t("briefing.laggards.rules_context", lang)))
    assert i18n.t("progress.rule_name.veh_projected_late", lang) in after[context_at:]


def test_list_headings_count_the_rows_they_list(data):
    """A heading "(10 units)" lists 10 rows: fewer units with a gap, fewer in the title."""
    units = data.units.copy()
    units["org_vehicles_declared"] = units["org_vehicles_counted"]
    units.loc[units.index[:3], "org_vehicles_declared"] = 0
    units.loc[units.index[:3], "org_vehicles_counted"] = 5
    units["backlog_pending"] = 0
    units.loc[units.index[:2], "backlog_pending"] = 4
    shifted = briefing.BriefingData(**{**data.__dict__, "units": units})
    orgs = briefing.organisations(shifted, "vi")
    assert "(3 đơn vị)" in orgs and "(10 đơn vị)" not in orgs
    assert i18n.t("briefing.backlog.by_unit", "vi", n=2) in briefing.backlog_and_difficult(
        shifted, "vi"
    )


def test_gain_tile_shows_no_per_cent_change_on_a_tiny_previous_period(data):
    city = data.city.copy()
    lic = city["kind"] == "licence"
    city.loc[lic, ["gain_week", "gain_prev_week", "gain_change", "gain_change_share"]] = [
        6,
        1,
        5,
        5.0,
    ]
    shifted = briefing.BriefingData(**{**data.__dict__, "city": city})
    kinds = briefing.summary_part(shifted, load_plan(), "vi")["kinds"]
    tile = next(
        tile
        for tile in kinds[1]["tiles"]
        if tile["label"] == i18n.t("briefing.kpi.gain_week", "vi")
    )
    assert "+5 hồ sơ" in tile["note"] and "500" not in tile["note"]


def test_summary_gives_the_comparison_with_the_population_database(data):
    part = briefing.summary(data, load_plan(), "en")
    veh = data.city.set_index("kind").loc["vehicle"]
    assert i18n.t("briefing.kpi.compared_vehicle", "en") in part
    assert i18n.fmt_int(veh["compared"], "en") in part
    assert progress.pct_text(veh["share_compared"], "en") + " of assigned" in part


def test_summary_figure_check_catches_a_figure_no_table_gives(data, tmp_path):
    plan = load_plan()
    tables = {
        "city_progress": data.city,
        "unit_progress": data.units,
        "leaders": data.leaders,
        "laggards": data.laggards,
    }
    # the hand-made talking points are free text: the cards alone here
    cards = briefing.BriefingData(
        **{**data.__dict__, "talking_points": data.talking_points.iloc[0:0]}
    )
    pdf = tmp_path / "summary.pdf"
    briefing.write_pdf(SUMMARY_SHEET.format(body=briefing.summary(cards, plan, "en")), pdf)
    text, _ = pdf_text(pdf)
    check_summary_figures(text, tables, plan, WEEK, "en", min_figures=30)
    with pytest.raises(AssertionError, match="123,457"):
        check_summary_figures(
            text + " cleaned 123,457 records", tables, plan, WEEK, "en", min_figures=30
        )
    # the licence standings must come from the licence column, not the vehicles'
    city = data.city.copy()
    city.loc[city["kind"] == "licence", ["units_on_track", "units_at_risk", "units_off_track"]] = (
        city.loc[
            city["kind"] == "vehicle", ["units_on_track", "units_at_risk", "units_off_track"]
        ].to_numpy()
    )
    with pytest.raises(AssertionError):
        check_summary_figures(
            text, {**tables, "city_progress": city}, plan, WEEK, "en", min_figures=30
        )


# --- the three cases of the deadline and sections that could be empty ----------------------------


def test_no_leader_section_is_empty_it_says_why_and_shows_the_best_units(data):
    nobody = briefing.BriefingData(**{**data.__dict__, "leaders": data.leaders.iloc[0:0]})
    for lang in ("vi", "en"):
        part = briefing.laggards_and_leaders(nobody, load_plan(), lang)
        leaders_section = part[part.index(i18n.t("briefing.sections.leaders", lang)) :]
        assert i18n.t("briefing.leaders.none", lang, n=5) in leaders_section
        best = data.units.sort_values(
            ["veh_share_cleaned_cleanable", "unit_code"], ascending=[False, True]
        ).head(5)
        for _, unit in best.iterrows():
            assert unit["unit_name"] in leaders_section
            assert progress.pct_text(unit["veh_share_cleaned_cleanable"], lang) in leaders_section


def test_a_leader_category_without_units_says_so(data):
    shares_only = briefing.BriefingData(
        **{**data.__dict__, "leaders": data.leaders[data.leaders["category"] == "share"]}
    )
    part = briefing.laggards_and_leaders(shares_only, load_plan(), "en")
    assert i18n.t("briefing.leaders.none_gain", "en") in part


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_post_deadline_cover_and_summary_with_the_extension(final_week, lang):
    plan = load_plan()
    cover = briefing.cover(final_week, plan, lang)
    assert i18n.t("progress.deadline.day_of_extended", lang, day=71, days=71, nominal=60) in cover
    assert plan.extension.reference in cover
    assert "71/60" not in cover and "71 of 60" not in cover
    summary = briefing.summary(final_week, plan, lang)
    assert i18n.t("progress.deadline.days_left", lang) in summary
    assert (
        i18n.t(
            "progress.deadline.note_extended",
            lang,
            date="19/01/2026",
            reference=plan.extension.reference,
        )
        in summary
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_post_deadline_cover_and_summary_without_the_extension(final_week, lang):
    plan = dataclasses.replace(load_plan(), extension=None)
    cover = briefing.cover(final_week, plan, lang)
    overdue = i18n.t("progress.days.other", lang, n=11)
    assert i18n.t("progress.deadline.overdue", lang, days=overdue, deadline="08/01/2026") in cover
    assert "71/60" not in cover and "71 of 60" not in cover
    summary = briefing.summary(final_week, plan, lang)
    assert i18n.t("progress.deadline.days_overdue", lang) in summary
    assert (
        i18n.t("progress.deadline.note_overdue", lang, date="08/01/2026", days=overdue) in summary
    )
    # no pace is required past the deadline: the line says what is left
    veh = final_week.city.set_index("kind").loc["vehicle"]
    left = i18n.t(
        "briefing.kpi.pace_left",
        lang,
        rate=progress.pace_texts(veh["rate_7d"], veh["required_rate"], lang)[0],
        remaining=i18n.fmt_int(veh["remaining"], lang),
    )
    assert left in summary


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_deadline_day_itself_is_the_last_day_not_past_the_deadline(final_week, lang):
    # 19/01 is the extended peak's own last day: nothing has expired yet
    plan = load_plan()
    assert plan.in_force(final_week.as_of).end == final_week.as_of
    summary = briefing.summary(final_week, plan, lang)
    veh = final_week.city.set_index("kind").loc["vehicle"]
    values = {
        "rate": progress.pace_texts(veh["rate_7d"], veh["required_rate"], lang)[0],
        "remaining": i18n.fmt_int(veh["remaining"], lang),
    }
    # the HTML escapes the apostrophe of "this week's"
    assert escape(i18n.t("briefing.kpi.pace_last_day", lang, **values)) in summary
    assert escape(i18n.t("briefing.kpi.pace_left", lang, **values)) not in summary


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_on_the_deadline_the_kpi_line_counts_units_finished_not_at_risk(final_week, lang):
    # 19/01 is the extended deadline: an outcome, nobody is "at risk" of it
    city = final_week.city.assign(
        units_on_track=0, units_at_risk=0, units_finished=20, units_not_finished=92
    )
    reached = briefing.BriefingData(**{**final_week.__dict__, "city": city})
    part = briefing.summary_part(reached, load_plan(), lang)
    lines = " ".join(kind["pace"] for kind in part["kinds"])
    off = i18n.fmt_int(int(city.set_index("kind").loc["vehicle", "units_off_track"]), lang)
    said = i18n.t(
        "briefing.kpi.units_standing_vehicle_reached",
        lang,
        finished="20",
        not_finished="92",
        off=off,
    )
    assert said in lines
    assert "nguy cơ" not in lines and "at risk" not in lines
