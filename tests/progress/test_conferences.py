"""Conferences and their periods (helpers.progress.conferences): what "this week" counts.

A conference reviews the days after the previous conference's delivery up to its own delivery's
last day; the first reviews the peak from its first day. The sample's deliveries are 17 Nov,
23 Nov (6 days later), then weekly to 11 Jan, then 19 Jan (8 days later).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from helpers import i18n, progress
from helpers.config import load_plan
from helpers.progress.conferences import Period, conference_weeks, periods
from synth.campaign import DELIVERIES
from tests.progress.builders import A, daily, records, status_table, write_week

SAMPLE = list(DELIVERIES)  # the sample's deliveries, 17/11 to 19/01
PEAK_START = date(2025, 11, 10)


@pytest.fixture(scope="module")
def plan():
    return load_plan()


def test_each_day_of_the_campaign_is_in_exactly_one_conference_period():
    calendar = periods(SAMPLE, PEAK_START)
    first = calendar["2025-11-17"]
    assert (first.start, first.end, first.days, first.first) == (
        PEAK_START,
        date(2025, 11, 17),
        8,
        True,
    )
    second = calendar["2025-11-23"]
    assert (second.start, second.days, second.previous_end) == (date(2025, 11, 18), 6, first.end)
    last = calendar["2026-01-19"]
    assert (last.start, last.days) == (date(2026, 1, 12), 8)  # 12/01 counted, once
    covered = [day for p in calendar.values() for day in pd.date_range(p.start, p.end).date]
    assert len(covered) == len(set(covered)) == (date(2026, 1, 19) - PEAK_START).days + 1


def test_a_skipped_week_makes_a_longer_period_not_a_missing_one():
    calendar = periods(["2025-11-17", "2025-12-07"], PEAK_START)
    assert calendar["2025-12-07"].start == date(2025, 11, 18)
    assert calendar["2025-12-07"].days == 20


def test_only_a_delivery_holding_its_weeks_submissions_is_a_conference(tmp_ws):
    for week, file in {
        "2025-12-07": "submissions.csv",
        "2025-12-10": "registry_vehicles.csv",  # a registry re-delivered mid-week
        "2025-12-12": None,  # an empty folder
        "2025-12-14": "submissions.xlsx",
    }.items():
        (tmp_ws.raw / week).mkdir()
        if file:
            (tmp_ws.raw / week / file).write_text("x\n", "utf-8")
    assert conference_weeks(tmp_ws, "2025-12-14") == ["2025-12-07", "2025-12-14"]
    assert conference_weeks(tmp_ws, "2025-12-21") == ["2025-12-07", "2025-12-14", "2025-12-21"]


def _two_conferences(tmp_ws, plan, cleanings: list[str]):
    """Deliveries on 17 Nov and 23 Nov (6 days apart, as in the sample), both run."""
    for week in ("2025-11-17", "2025-11-23"):
        write_week(tmp_ws, week, status_table(records(A, assigned=40, cleaned_at=cleanings)))
    first = progress.progress_week(tmp_ws, "2025-11-17", plan)
    second = progress.progress_week(tmp_ws, "2025-11-23", plan)
    return first, second


def test_a_day_is_counted_in_its_own_conference_period_only(tmp_ws, plan):
    # one cleaning a day from 8 Nov (before the peak) to 23 Nov: 17 Nov belongs to the first
    # conference's period (10..17 Nov, 8 days), not also to the second's (18..23, 6 days)
    first, second = _two_conferences(tmp_ws, plan, daily(date(2025, 11, 8), 16))
    u1 = first["unit_progress"].set_index("unit_code").loc[A]
    u2 = second["unit_progress"].set_index("unit_code").loc[A]
    assert u1["veh_gain_week"] == 8 and u2["veh_gain_week"] == 6
    c1 = first["city_progress"].set_index("kind").loc["vehicle"]
    c2 = second["city_progress"].set_index("kind").loc["vehicle"]
    assert (c1["period_start"], c1["period_days"]) == (PEAK_START, 8)
    assert (c2["period_start"], c2["period_days"]) == (date(2025, 11, 18), 6)
    assert c1["cleaned_before_start"] == 2  # 8 and 9 Nov: before the peak, never a week
    assert c2["gain_prev_week"] == 8 and c2["gain_change"] == -2  # what 17 Nov was told
    # the pace stays the last 7 days', whatever the period
    assert u2["veh_rate_7d"] == pytest.approx(7 / 7)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_first_conference_compares_with_nothing(tmp_ws, plan, lang):
    first, _ = _two_conferences(tmp_ws, plan, daily(date(2025, 11, 1), 17))
    units = first["unit_progress"]
    assert units["veh_gain_prev_week"].isna().all() and units["rank_prev"].isna().all()
    assert units["rank_change"].isna().all()
    city = first["city_progress"].set_index("kind").loc["vehicle"]
    assert pd.isna(city["gain_prev_week"]) and pd.isna(city["gain_change"])
    texts = first["talking_points"].query("lang == @lang")["text"].tolist()
    assert any(i18n.t("progress.talking.change_first", lang) in s for s in texts)


def test_the_weekly_bars_are_the_conference_periods(tmp_ws, plan):
    from types import SimpleNamespace

    from helpers import briefing

    _, second = _two_conferences(tmp_ws, plan, daily(date(2025, 11, 8), 16))
    # what the briefing reads of the week: its daily series and its rank history
    data = SimpleNamespace(
        as_of=date(2025, 11, 23),
        daily=second["daily_series"],
        rank_history=second["rank_history"],
    )
    bars = briefing.weekly_gains(data, plan)
    veh = bars[bars["kind"] == "vehicle"]
    ends = [None if pd.isna(w) else w for w in veh["week_end"]]
    assert ends == [None, date(2025, 11, 17), date(2025, 11, 23)]
    assert veh["cleaned_day"].tolist() == [2, 8, 6]


def test_a_period_of_its_own_is_the_fixed_week_when_no_calendar_is_known():
    p = Period.window(date(2025, 11, 23))
    assert (p.start, p.days, p.previous_end, p.first) == (
        date(2025, 11, 17),
        7,
        date(2025, 11, 16),
        False,
    )
