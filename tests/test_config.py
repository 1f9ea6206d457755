from datetime import date

import pytest

from helpers import ConfigError
from helpers.config import load_plan


def test_plan_matches_the_campaign():
    plan = load_plan()
    assert plan.start == date(2025, 11, 10)
    assert plan.duration_days == 60
    assert plan.conference_date(date(2025, 11, 23)) == date(2025, 11, 24)
    assert set(plan.title) >= {"vi", "en"}


def test_days_left_never_negative():
    plan = load_plan()
    assert plan.days_left(date(2026, 1, 1)) == 7
    assert plan.days_left(date(2026, 2, 1)) == 0


def test_missing_key_is_named(tmp_path):
    broken = tmp_path / "plan.yaml"
    broken.write_text("plan:\n  number: '375'\n", "utf-8")
    with pytest.raises(ConfigError, match="plan.dated"):
        load_plan(broken)


def test_bad_date_is_explained(tmp_path):
    text = (load_plan.__globals__["PLAN_FILE"]).read_text("utf-8").replace(
        "start: 2025-11-10", "start: tenth of november"
    )
    broken = tmp_path / "plan.yaml"
    broken.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match="peak.start.*YYYY-MM-DD"):
        load_plan(broken)
