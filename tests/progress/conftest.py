"""Fixtures shared by the progress tests: the plan, loaded once."""

from __future__ import annotations

import pytest

from helpers.config import load_plan


@pytest.fixture(scope="package")
def plan():
    return load_plan()
