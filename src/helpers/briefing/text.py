"""Words and numbers on the briefing's page: the catalogue's ``briefing`` section bound to one
language (:class:`Text`), the wording of codes owned by other stages (statuses, reject reasons,
standings, sources) and the number formats ("–" for a value that is not known).

Pure functions of their arguments and the catalogues; no table is read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from helpers.config import Plan
from helpers.i18n import fmt_date, fmt_int, fmt_num, t

HANOI_TZ = "Asia/Ho_Chi_Minh"
MISSING = "–"


@dataclass(frozen=True)
class Text:
    """The catalogue's ``briefing`` labels in one language: ``text("kpi.assigned")``."""

    lang: str

    def __call__(self, key: str, **values: Any) -> str:
        return t(f"briefing.{key}", self.lang, **values)

    def shared(self, key: str, **values: Any) -> str:
        """A label of another catalogue section (``common.unit``, ``progress.breach.both``)."""
        return t(key, self.lang, **values)


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def int_text(value: Any, lang: str) -> str:
    return MISSING if is_missing(value) else fmt_int(float(value), lang)


def pct_text(value: Any, lang: str) -> str:
    from helpers.progress import pct_text as progress_pct_text

    return progress_pct_text(value, lang)


def count_with_share(value: Any, share: Any, lang: str) -> str:
    """'55,912 (93.8%)': a count and its share, the share only when known."""
    return int_text(value, lang) + ("" if is_missing(share) else f" ({pct_text(share, lang)})")


def num_text(value: Any, lang: str, decimals: int = 1) -> str:
    return MISSING if is_missing(value) else fmt_num(float(value), lang, decimals)


def date_text(value: Any, lang: str) -> str:
    if is_missing(value):
        return MISSING
    return fmt_date(pd.Timestamp(value).date(), lang)


def signed_text(value: Any, lang: str) -> str:
    if is_missing(value):
        return MISSING
    n = int(round(float(value)))
    return ("+" if n > 0 else "") + fmt_int(n, lang)


def or_zero(value: Any) -> float:
    return 0.0 if is_missing(value) else float(value)


def status_label(code: str, lang: str) -> str:
    """Wording of a record status (catalogue section ``status``, owned by reconcile)."""
    return t(f"status.{code}", lang)


def reject_label(code: str, lang: str) -> str:
    """Wording of a reject reason (catalogue section ``rejects``, owned by ingest)."""
    return t(f"rejects.{code}", lang)


def standing_label(standing: str, lang: str) -> str:
    """Wording of a unit's standing (catalogue section ``progress``, shared with the packs)."""
    return t(f"progress.standing.{standing}", lang)


def group_criterion(status: str, lang: str) -> str:
    """A difficult group's criterion and way of resolution, in one line."""
    return t(f"progress.group.{status}", lang)


def source_label(source: str, lang: str) -> str:
    """A source's name from the catalogue (the code itself for a source it does not know)."""
    try:
        return t(f"briefing.source.{source}", lang)
    except KeyError:
        return source


def hanoi_now() -> datetime:
    """Local Hanoi time, naive like every timestamp of the suite (the machine may run UTC)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(HANOI_TZ)).replace(tzinfo=None)


def page_header(plan: Plan, week: str, lang: str) -> str:
    return t(
        "briefing.header", lang, plan=plan.number, week=fmt_date(date.fromisoformat(week), lang)
    )
