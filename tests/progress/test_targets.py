"""What a unit is set for the next conference (helpers.progress.targets): the records to clean
at the required pace, or what is left when no pace is enough or the peak ends."""

from __future__ import annotations

import pytest

from helpers.config import load_plan
from helpers.progress.targets import next_week_targets

WEEK = "2025-11-23"


def test_next_week_targets_follow_the_required_pace():
    plan = load_plan()
    unit = {
        "veh_assigned": 1000,
        "veh_cleaned": 400,
        "veh_required_rate": 13.1,
        "lic_assigned": 10,
        "lic_cleaned": 9,
        "lic_required_rate": 5.0,
        "backlog_pending": 7,
    }
    got = {key: value for key, value, _ in next_week_targets(unit, plan, WEEK)}
    assert got["veh_to_clean"] == 92 and got["veh_cleaned_by"] == 492
    assert got["veh_share_by"] == pytest.approx(0.492)
    assert got["lic_to_clean"] == 1  # never more than is left
    assert got["reviews"] == 7


def test_past_the_deadline_the_targets_say_what_is_left_not_all_of_it_in_a_week():
    plan = load_plan()
    # on or past the deadline progress leaves the required pace null
    unit = {
        "veh_assigned": 1000,
        "veh_cleaned": 400,
        "veh_required_rate": float("nan"),
        "lic_assigned": 10,
        "lic_cleaned": 10,
        "lic_required_rate": 0.0,
    }
    got = {key: value for key, value, _ in next_week_targets(unit, plan, "2026-01-19")}
    assert got["veh_left"] == 600
    assert "veh_to_clean" not in got and "veh_cleaned_by" not in got
    # 2026-01-19 reaches the (extended) end: no next week, what is left of each kind
    assert got["lic_left"] == 0


def test_next_week_targets_count_only_the_records_review_can_clean():
    plan = load_plan()
    unit = {
        "veh_assigned": 1000,
        "veh_cleanable": 800,
        "veh_cleaned": 790,
        "veh_required_rate": 13.1,
    }
    got = {key: value for key, value, _ in next_week_targets(unit, plan, WEEK)}
    assert got["veh_to_clean"] == 10 and got["veh_share_by"] == pytest.approx(1.0)
