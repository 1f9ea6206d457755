"""Pure table functions behind the briefing (helpers.briefing.tables and .data): weekly gains,
difficult groups, the ledger, overstating units, the wording of reasons."""

from __future__ import annotations

from datetime import date

import pandas as pd

from helpers import briefing
from helpers.config import load_plan


def test_rejected_values_are_never_loaded(data):
    assert list(data.rejects.columns) == ["source", "reason_code"]


def test_weekly_gains_add_up_to_the_cleaned_total(data):
    gains = briefing.weekly_gains(data, load_plan())
    vehicle = gains[gains["kind"] == "vehicle"]
    assert list(vehicle["week_end"]) == [date(2025, 11, 16), date(2025, 11, 23)]
    cleaned = int(data.city.loc[data.city["kind"] == "vehicle", "cleaned"].iloc[0])
    assert int(vehicle["cleaned_day"].sum()) == cleaned


def test_difficult_groups_sum_the_unit_columns(data):
    groups = briefing.difficult_groups(data.units).set_index("status")
    assert (
        groups.loc["organization_owned", "vehicle"]
        == data.units["veh_group_organization_owned"].sum()
    )
    assert pd.isna(groups.loc["organization_owned", "licence"])
    assert groups.loc["holder_deceased", "licence"] == data.units["lic_group_holder_deceased"].sum()


def test_ledger_by_source_sums_files_and_skipped_kinds(data):
    table = briefing.ledger_by_source(data.ledger + [dict(data.ledger[0], file="other.csv")])
    vehicles = table.set_index("source").loc["registry_vehicles"]
    assert vehicles["files"] == 2
    assert vehicles["rows_read"] == 1_800_000
    assert vehicles["rows_skipped"] == 4


def test_ledger_files_accepts_a_mapping_keyed_by_file():
    entries = briefing.ledger_files({"a.csv": {"source": "population", "rows_read": 3}})
    assert entries == [{"source": "population", "rows_read": 3, "file": "a.csv"}]


def test_overstating_units_count_their_flagged_days(data):
    over = briefing.overstating_units(data)
    assert set(over["unit_code"]) == set(
        data.units.loc[data.units["self_report_overstated"], "unit_code"]
    )
    assert (over["days_flagged"] == 7).all()
    assert all(measures == ["vehicles_collected"] for measures in over["measures"])


def test_laggard_rules_are_counted_most_broken_first():
    laggards = pd.DataFrame({"rules": [["veh_slow_gain", "backlog_old"], ["veh_slow_gain"], []]})
    counts = briefing.laggard_rule_counts(laggards)
    assert counts.to_dict() == {"veh_slow_gain": 2, "backlog_old": 1}
    assert list(counts.index)[0] == "veh_slow_gain"


def test_reason_is_split_only_when_it_gives_one_sentence_per_rule():
    two_rules = ["veh_slow_gain", "backlog_old"]
    assert briefing.reason_sentences("a; b", "en", two_rules) == ["a", "b"]
    assert briefing.reason_sentences("a; b; c", "en", two_rules) == ["a; b; c"]
    assert briefing.reason_sentences("a; b", "en", ["veh_slow_gain"]) == ["a; b"]
