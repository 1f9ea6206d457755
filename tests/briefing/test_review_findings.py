"""Defects the conference chair found reading the sample campaign (session 8 review): the
cover's reporting period against the conference's own period, and the map's numbered list
against the map's legend."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from helpers import briefing
from helpers.config import load_plan
from helpers.i18n import t
from tests.briefing.builders import build_progress_tables

WEEK = "2025-11-23"


@pytest.fixture
def data(tmp_ws) -> briefing.BriefingData:
    build_progress_tables(tmp_ws, WEEK)
    return briefing.load_briefing_data(tmp_ws, WEEK)


def with_period(data: briefing.BriefingData, start: date) -> briefing.BriefingData:
    days = (date.fromisoformat(data.week) - start).days + 1
    city = data.city.assign(period_start=start, period_days=days)
    return dataclasses.replace(data, city=city)


def cover_period(data: briefing.BriefingData, lang: str) -> str:
    part = briefing.cover_part(data, load_plan(), lang)
    return dict(part["facts"])[t("briefing.cover.week_covered", lang)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cover_period_is_the_conferences_period_after_a_six_day_week(data, lang):
    # the previous conference's delivery ended 17/11: its last day is no day of this week
    text = cover_period(with_period(data, date(2025, 11, 18)), lang)
    assert text.startswith("18/11/2025 – 23/11/2025"), text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cover_period_is_the_conferences_period_after_an_eight_day_week(data, lang):
    text = cover_period(with_period(data, date(2025, 11, 15)), lang)
    assert text.startswith("15/11/2025 – 23/11/2025"), text


def test_cover_period_without_a_recorded_period_is_the_cadence_window(data):
    # a city table written before periods were recorded: the 7 days to the week's end
    text = cover_period(data, "vi")
    assert text.startswith("17/11/2025 – 23/11/2025"), text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_map_key_of_named_units_does_not_call_them_all_behind(lang):
    # the numbered list holds every named unit (conduct-only ones too), while the legend's
    # "behind" counts only units behind on progress: the list's heading must not say "behind"
    key = t("map.laggards_key", lang)
    behind = t("progress.standing.off_track", lang)
    assert behind.lower() not in key.lower(), key


@pytest.mark.parametrize(("lang", "today"), [("vi", "hôm nay"), ("en", "today")])
def test_last_day_pace_line_does_not_say_today(data, lang, today):
    # the briefing is read at the conference, the day after the peak's last day
    city = data.city.assign(required_rate=float("nan"), remaining=15016, rate_7d=351.3)
    line = briefing.parts.pace_line(city.iloc[0], lang, last_day=True)
    assert "15" in line and today not in line.lower(), line
