"""The briefing's city section (helpers.briefing.parts_city): the weekly bars, the curves, the
units chart."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from helpers import briefing, i18n
from helpers.config import load_plan


def test_units_chart_draws_every_unit_once_in_share_order(data):
    chart = briefing.units_chart(data, "en")
    best = data.units.sort_values("veh_share_cleaned_cleanable", ascending=False)["unit_name"]
    positions = [re.search(rf"\. {re.escape(name)}(</td>| <span)", chart).start() for name in best]
    assert len(positions) == 126
    assert positions[0] < positions[1]  # the first column is read top to bottom
    assert i18n.t("progress.standing.off_track", "en") in chart


# --------------------------------------------------------------------------------------
# judgments: each figure says what it counts, one definition per figure


def test_weekly_bars_add_up_to_the_cleaned_total_with_cleanings_before_the_peak(data):
    daily = data.daily.copy()
    first = daily.groupby("kind")["date"].transform("min") == daily["date"]
    # 330 vehicle records were cleaned before the peak: every cumulative figure carries them
    daily["cleaned_cum"] = daily["cleaned_cum"] + np.where(daily["kind"] == "vehicle", 330, 0)
    city = data.city.copy()
    city.loc[city["kind"] == "vehicle", "cleaned"] += 330
    shifted = briefing.BriefingData(**{**data.__dict__, "daily": daily, "city": city})
    assert first.any()
    gains = briefing.weekly_gains(shifted, load_plan())
    vehicle = gains[gains["kind"] == "vehicle"]
    assert pd.isna(vehicle["week_end"].iloc[0]) and vehicle["cleaned_day"].iloc[0] == 330
    assert int(vehicle["cleaned_day"].sum()) == int(
        city.loc[city["kind"] == "vehicle", "cleaned"].iloc[0]
    )
    part = briefing.city_progress(shifted, load_plan(), "en")
    assert "before the peak started" in part


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_curve_chart_says_the_submission_lines_count_submissions(lang):
    """The curves of submitted and approved count submissions (daily_series counts rows of
    the submissions), the cleaned curve counts records: each label says which."""
    word = {"vi": "lượt kê khai", "en": "submissions"}[lang]
    for series in ("submitted", "approved"):
        assert word in i18n.t(f"briefing.city.series_{series}", lang).lower()
    cleaned = i18n.t("briefing.city.series_cleaned", lang).lower()
    assert {"vi": "hồ sơ", "en": "records"}[lang] in cleaned
