"""What a unit is set for the next conference: the records to clean by then at the pace the
deadline requires, or, in the week that reaches the end of the peak, what it has left to hand
over. The unit pack's summary and the e-mail that carries it both say these figures."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from helpers.config import Plan


def next_week_targets(unit: dict[str, Any], plan: Plan, week: str) -> list[tuple[str, Any, str]]:
    """(indicator key, value, kind) of what the unit must reach by the end of next week; in a
    week that reaches the end of the peak (no next conference), what it has left to hand
    over: records still to clean per kind and submissions still to review."""
    rows: list[tuple[str, float, str]] = []
    final = plan.in_force(date.fromisoformat(week)).reaches_end(date.fromisoformat(week))
    for prefix, kind in (("veh", "vehicle"), ("lic", "licence")):
        assigned = unit.get(f"{prefix}_assigned")
        cleaned = unit.get(f"{prefix}_cleaned")
        if assigned is None or pd.isna(assigned) or cleaned is None or pd.isna(cleaned):
            continue
        share = plan.targets.share(kind)
        base = unit.get(f"{prefix}_cleanable", assigned)  # the target is of cleanable records
        base = assigned if base is None or pd.isna(base) else base
        remaining = max(math.ceil(share * float(base) - 1e-9) - int(cleaned), 0)
        if final:
            rows.append((f"{prefix}_left", remaining, "int"))
            continue
        rate = unit.get(f"{prefix}_required_rate")
        if (rate is None or pd.isna(rate)) and remaining > 0:
            # on or past the deadline no pace is required: what is left, not "all of it in a
            # week" (docs/rules.md, "Days and the deadline")
            rows.append((f"{prefix}_left", remaining, "int"))
            continue
        week_need = 0 if rate is None or pd.isna(rate) else math.ceil(float(rate) * 7 - 1e-9)
        to_clean = int(min(remaining, max(week_need, 0)))
        rows.append((f"{prefix}_to_clean", to_clean, "int"))
        rows.append((f"{prefix}_cleaned_by", int(cleaned) + to_clean, "int"))
        if float(base) > 0:
            rows.append((f"{prefix}_share_by", (int(cleaned) + to_clean) / float(base), "pct"))
    pending = unit.get("backlog_pending")
    if pending is not None and not pd.isna(pending):
        rows.append(("reviews_left" if final else "reviews", int(pending), "int"))
    return rows
