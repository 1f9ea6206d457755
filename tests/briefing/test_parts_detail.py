"""The briefing's detail parts (helpers.briefing.parts_detail): backlog, difficult groups,
organisations, data quality, the appendix of all units."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from markupsafe import escape

from helpers import briefing, i18n, progress, store
from helpers.config import load_plan
from tests.briefing.builders import WEEK


def test_data_quality_names_the_counts_that_overstate(data):
    part = briefing.data_quality(data, "vi")
    assert i18n.t("progress.measure.vehicles_collected", "vi") in part
    assert "secret-value-never-shown" not in part


def test_appendix_has_one_row_per_unit(data):
    part = briefing.appendix(data, "vi")
    assert part.count("<tr>") == 126 + 1
    assert 'class="part part-appendix landscape"' in part


def test_data_quality_counts_the_record_texts_cut_in_the_packs(hand_made):
    ws, _ = hand_made
    long = "x" * 40_000
    store.save(
        ws,
        pd.DataFrame({"unit_code": ["00008", "00008"], "note": [long, long]}),
        "submissions",
        WEEK,
        partial=True,
    )
    data = briefing.load_briefing_data(ws, WEEK)
    assert data.overlong_texts == 2
    part = briefing.data_quality(data, "en")
    assert i18n.t("briefing.quality.cut_texts", "en", count="2") in part.replace("&quot;", '"')


def test_data_quality_says_nothing_about_cut_texts_when_none_is_too_long(data):
    assert data.overlong_texts == 0
    assert "32,767" not in briefing.data_quality(data, "en")


def test_backlog_table_ranks_by_the_one_definition_the_talking_point_uses(data):
    units = data.units.copy()
    # the unit with the oldest item has few submissions: it must not head the table
    units.loc[0, ["backlog_pending", "backlog_oldest_days"]] = [1, 99]
    shifted = briefing.BriefingData(**{**data.__dict__, "units": units})
    part = briefing.backlog_and_difficult(shifted, "en")
    first = progress.backlog_ranking(units).iloc[0]["unit_name"]
    table = part[part.index("<tbody>") :]
    assert table.index(first) < table.index("</tr>")


def test_pending_figures_say_whether_they_count_records_or_submissions(data):
    part = briefing.backlog_and_difficult(data, "en")
    for key in ("backlog.pending", "backlog.veh_pending", "backlog.lic_pending"):
        label = i18n.t(f"briefing.{key}", "en")
        assert label in part and ("ubmission" in label or "record" in label), label
    city = briefing.city_progress(data, load_plan(), "en")
    assert "Records whose latest submission awaits review" in city


def test_organisations_rate_only_over_organisations_with_both_figures(data):
    """33,8 % of declared-by-some over counted-by-others is no rate: each type's rate is over
    the organisations with both figures, a type with none has no rate, and the header says so."""
    orgs = data.orgs.copy()
    orgs["orgs_both"] = [10, 0, 4, 0, 0, 0]
    orgs["counted_both"] = [200, 0, 50, 0, 0, 0]
    orgs["declared_both"] = [150, 0, 10, 0, 0, 0]
    shifted = briefing.BriefingData(**{**data.__dict__, "orgs": orgs})
    by_type = briefing.orgs_part(shifted, "en")["by_type"]
    rates = {row[0]: row[-1] for row in by_type["rows"]}
    assert rates["Enterprises"] == "75.0%" and rates["Schools"] == "20.0%"
    assert rates["Industrial parks"] == "–" and rates["Agencies"] == "–"
    assert by_type["foot"][-1] == "64.0%"  # 160 of 250, over the same organisations
    assert by_type["headers"][-1] == i18n.t("briefing.orgs.declared_share", "en")
    assert "both" in by_type["headers"][-1]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_difficult_groups_that_cannot_show_resolution_say_how_they_are_resolved(data, lang):
    """Duplicates leave the registry and owners elsewhere leave the unit: no approval ever
    resolves them here, so their resolved count is not measured ("–"), and the table says how
    they are resolved instead of "0 resolved" every week."""
    units = data.units.copy()
    units["veh_group_duplicate_registry_record"] = 3
    units["veh_resolved_duplicate_registry_record"] = 0
    shifted = briefing.BriefingData(**{**data.__dict__, "units": units})
    groups = briefing.backlog_part(shifted, lang)["groups"]
    row = next(
        r
        for r in groups["rows"]
        if r["group"] == briefing.status_label("duplicate_registry_record", lang)
    )
    zero = i18n.t("briefing.backlog.open_resolved", lang, open="1", resolved="0").split("1", 1)[1]
    assert zero not in row["vehicle"]
    assert row["vehicle"] == i18n.t(
        "briefing.backlog.open_unmeasured", lang, open=i18n.fmt_int(3 * len(units), lang)
    )
    note = str(escape(i18n.t("briefing.backlog.unmeasured_note", lang)))
    assert note in briefing.backlog_and_difficult(shifted, lang)


def test_appendix_gives_each_units_comparison_with_the_population_database(data):
    part = briefing.appendix(data, "en")
    assert i18n.t("briefing.appendix.veh_compared", "en") in part
    row = data.units.sort_values(["rank", "unit_name"]).iloc[0]
    first = part[part.index("<tbody>") :]
    first = first[: first.index("</tr>")]
    assert progress.pct_text(row["veh_share_compared"], "en") in first


def test_backlog_without_waiting_submissions_says_so(data):
    units = data.units.assign(backlog_pending=0)
    part = briefing.backlog_and_difficult(
        briefing.BriefingData(**{**data.__dict__, "units": units}), "en"
    )
    assert i18n.t("briefing.backlog.none", "en") in part


def test_appendix_and_unit_names_print_readable_and_whole():
    """The appendix prints at 8 pt or more (it was ~6.5 pt) and the all-units chart never cuts
    a long unit name with an ellipsis."""
    css = (briefing.TEMPLATE_DIR / "briefing.css").read_text("utf-8")
    sizes = re.findall(r"table\.appendix-table[^{]*\{[^}]*font-size:\s*([\d.]+)pt", css)
    assert sizes and min(float(s) for s in sizes) >= 7.5
    assert float(sizes[0]) >= 8
    assert "ellipsis" not in css
