"""Conferences and the periods they review.

A **conference** sits on a weekly delivery: a delivery folder that holds the week's submissions
export (the iHanoi submissions are what every week re-delivers). A folder that only re-delivers a
registry or the population extract in mid-week (``2025-12-10/``) is no conference: its files are
read by the next conference's week, and it never becomes the "previous conference". A week whose
folder is gone but whose processed folder's ledger says its submissions came from its own
delivery was a conference too (the raw files moved elsewhere).

A conference reviews its **period**: the days after the previous conference's delivery up to its
own delivery's last day. The first conference reviews the peak from its first day (cleanings
before the peak are counted apart, as "before the peak", never as a week). "This week", the
weekly gain, the week-on-week change, the weekly bars and the rank history all use these
periods (docs/rules.md, "Conferences and their periods").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from helpers.paths import WEEK_PATTERN, Workspace

# the source every weekly delivery holds: a folder with it is a conference's delivery
WEEKLY_SOURCE = "submissions"
# the fixed window when no conference calendar is known (a table computed on its own)
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Period:
    """The days a conference reviews (``start``..``end``, both included) and the previous
    conference's period (None for the first conference of the campaign)."""

    start: date
    end: date
    previous_start: date | None = None
    previous_end: date | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def first(self) -> bool:
        """The campaign's first conference: nothing earlier to compare with."""
        return self.previous_end is None

    @classmethod
    def window(cls, end: date, previous_end: date | None = None) -> Period:
        """Fixed 7-day windows (ending on ``end``, and on ``previous_end`` or 7 days before):
        what a table computed without the conference calendar uses."""
        prev_end = previous_end or end - timedelta(days=DEFAULT_DAYS)
        return cls(
            start=end - timedelta(days=DEFAULT_DAYS - 1),
            end=end,
            previous_start=prev_end - timedelta(days=DEFAULT_DAYS - 1),
            previous_end=prev_end,
        )


def periods(conferences: Sequence[str], peak_start: date) -> dict[str, Period]:
    """Each conference's period, from the sorted conference weeks (``YYYY-MM-DD``)."""
    days = [date.fromisoformat(w) for w in sorted(set(conferences))]
    out: dict[str, Period] = {}
    for i, end in enumerate(days):
        start = days[i - 1] + timedelta(days=1) if i else min(peak_start, end)
        previous = out[days[i - 1].isoformat()] if i else None
        out[end.isoformat()] = Period(
            start=start,
            end=end,
            previous_start=previous.start if previous else None,
            previous_end=previous.end if previous else None,
        )
    return out


def _holds_weekly_source(ws: Workspace, week: str) -> bool:
    folder = ws.delivery(week)
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and path.name.lower().split(".", 1)[0] == WEEKLY_SOURCE:
                return True
    ledger = ws.processed_week(week) / "ledger.json"
    if ledger.is_file():
        try:
            sources = json.loads(ledger.read_text("utf-8")).get("sources", {})
        except ValueError:
            return False
        return (sources.get(WEEKLY_SOURCE) or {}).get("delivery") == week
    return False


def conference_weeks(ws: Workspace, week: str) -> list[str]:
    """The conferences up to ``week``, oldest first, ``week`` itself always last (the week being
    briefed is a conference whatever its folder holds): every earlier delivery or processed
    folder holding its own week's submissions."""
    folders = set(ws.deliveries())
    if ws.processed.is_dir():
        folders |= {
            p.name for p in ws.processed.iterdir() if p.is_dir() and WEEK_PATTERN.match(p.name)
        }
    earlier = sorted(f for f in folders if f < week and _holds_weekly_source(ws, f))
    return [*earlier, week]


def week_period(ws: Workspace, week: str, peak_start: date) -> Period:
    """The period the conference of ``week`` reviews."""
    return periods(conference_weeks(ws, week), peak_start)[week]


__all__ = ["DEFAULT_DAYS", "Period", "conference_weeks", "periods", "week_period"]
