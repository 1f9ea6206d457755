"""Fixtures shared by the briefing tests: a workspace of hand-made progress tables and the briefing
data loaded from it; a final week."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import briefing, schemas, store
from helpers.paths import Workspace
from tests.briefing.builders import WEEK, build_progress_tables

# --------------------------------------------------------------------------------------
# fast tests on hand-made tables


@pytest.fixture
def hand_made(tmp_ws: Workspace) -> tuple[Workspace, dict[str, pd.DataFrame]]:
    return tmp_ws, build_progress_tables(tmp_ws)


@pytest.fixture
def data(hand_made) -> briefing.BriefingData:
    ws, _ = hand_made
    return briefing.load_briefing_data(ws, WEEK)


@pytest.fixture
def final_week(tmp_ws: Workspace) -> briefing.BriefingData:
    """Hand-made tables for the week 13-19 January 2026 (the 20 January conference)."""
    tables = build_progress_tables(tmp_ws, "2026-01-19")
    # on the deadline or past it no pace is required (progress leaves it null)
    city = tables["city_progress"]
    city = city.assign(
        required_rate=np.nan,
        days_left=0,
        days_overdue=11,
        remaining=city["assigned"] - city["cleaned"],
    )
    store.save(tmp_ws, schemas.complete("city_progress", city), "city_progress", "2026-01-19")
    return briefing.load_briefing_data(tmp_ws, "2026-01-19")
