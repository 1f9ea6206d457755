"""Days and the deadline in words (helpers.progress.deadline)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

# --- days and the deadline in words (helpers.progress.deadline) ---------------------------------


@pytest.mark.parametrize(
    ("week", "extension", "vi", "en"),
    [
        ("2025-11-23", True, "ngày thứ 14/60", "day 14 of 60 of the peak"),
        ("2026-01-04", True, "ngày thứ 56/60", "day 56 of 60 of the peak"),  # decided on 6 Jan
        ("2026-01-11", True, "ngày thứ 63/71", "day 63 of 71 of the extended peak"),
        ("2026-01-19", True, "ngày thứ 71/71", "day 71 of 71 of the extended peak"),
        ("2026-01-08", False, "ngày thứ 60/60", "day 60 of 60 of the peak"),
        ("2026-01-11", False, "quá hạn 3 ngày", "overdue by 3 days; deadline 08/01/2026"),
        ("2026-01-19", False, "quá hạn 11 ngày", "overdue by 11 days; deadline 08/01/2026"),
    ],
)
def test_peak_day_is_counted_on_the_deadline_in_force(plan, week, extension, vi, en):
    from helpers.progress.deadline import peak_day_text

    p = plan if extension else dataclasses.replace(plan, extension=None)
    as_of = date.fromisoformat(week)
    assert vi in peak_day_text(p, as_of, "vi")
    assert en in peak_day_text(p, as_of, "en")
    for lang in ("vi", "en"):
        assert "71/60" not in peak_day_text(p, as_of, lang)


def test_the_extension_is_named_with_its_decision_only_once_decided(plan):
    from helpers.progress.deadline import deadline_note, extension_text

    ext = plan.extension
    assert extension_text(plan, date(2026, 1, 4), "en") == ""
    said = extension_text(plan, date(2026, 1, 11), "en")
    assert ext.reference in said and "19/01/2026" in said and "06/01/2026" in said
    assert ext.reference in extension_text(plan, date(2026, 1, 11), "vi")
    assert "19/01/2026" in deadline_note(plan, date(2026, 1, 11), "en")
    noext = dataclasses.replace(plan, extension=None)
    assert "overdue by 3 days" in deadline_note(noext, date(2026, 1, 11), "en")
