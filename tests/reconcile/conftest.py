"""Fixtures shared by the reconcile tests: the table-driven cases and a small week, each reconciled
once (package-wide)."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import reconcile
from tests import reconcile_rows as R
from tests.conftest import make_workspace
from tests.reconcile.builders import (
    SMALL_WEEK,
    VEHICLE_CASES,
    WEEK,
    _reconcile_cases,
    _vehicle_case_rows,
)


@pytest.fixture(scope="package")
def vehicle_cases() -> pd.DataFrame:
    parts = [_vehicle_case_rows(i, c) for i, c in enumerate(VEHICLE_CASES)]
    return _reconcile_cases(parts)["vehicle_status"].set_index("record_id")


@pytest.fixture(scope="package")
def small_week(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("small_week"))
    R.write_week(ws, **SMALL_WEEK)
    counts = reconcile.reconcile_week(ws, WEEK)
    return ws, counts
