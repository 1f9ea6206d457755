"""The week: :func:`compute` (every progress table from the aggregates; pure) and
:func:`progress_week`, which reads the week's reconciled tables and last week's
``unit_progress``, calls it and writes the tables into ``data/processed/<week>/`` (through
:mod:`helpers.store`: the only I/O of progress besides the drill-down's reads)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from helpers import DeliveryError, store
from helpers.config import Plan, load_plan
from helpers.paths import WEEK_PATTERN, Workspace
from helpers.progress.definitions import _REQUIRED, OUTPUT_TABLES
from helpers.progress.metrics import (
    _previous_usable,
    city_progress,
    daily_series,
    group_progress,
    unit_table,
)
from helpers.progress.narrative import laggards, leaders, talking_points
from helpers.progress.records import Aggregates, _connect, aggregate


def compute(
    agg: Aggregates,
    plan: Plan,
    *,
    as_of: date,
    previous: pd.DataFrame | None = None,
    previous_as_of: date | None = None,
) -> dict[str, pd.DataFrame]:
    """Every progress table from the aggregates (pure; no I/O), toward the deadline in force at
    ``as_of`` (``plan.in_force``: an extension decided by then, none decided later)."""
    plan = plan.in_force(as_of)
    units = unit_table(agg, plan, as_of=as_of, previous=previous, previous_as_of=previous_as_of)
    lag = laggards(units, plan, as_of=as_of)
    lead = leaders(units, plan)
    city = city_progress(units, agg, plan, as_of=as_of)
    return {
        "unit_progress": units,
        "city_progress": city,
        "group_progress": group_progress(units, plan),
        "laggards": lag,
        "leaders": lead,
        "daily_series": daily_series(agg, units, plan, as_of=as_of),
        "unit_daily": agg.daily.loc[
            agg.daily["date"].isna() | (agg.daily["date"] <= as_of)
        ].reset_index(drop=True),
        "org_summary": agg.org_types,
        "talking_points": talking_points(city, units, lag, lead, plan, as_of=as_of),
    }


def previous_week(ws: Workspace, week: str, plan: Plan) -> str:
    """The reporting week before ``week``: the newest earlier delivery or processed folder
    within one and a half cadences (deliveries are not always exactly 7 days apart: the sample
    has 2025-11-17 then 2025-11-23), else ``week`` minus the cadence."""
    as_of = date.fromisoformat(week)
    earliest = as_of - timedelta(days=plan.cadence_days + plan.cadence_days // 2)
    folders = set(ws.deliveries())
    if ws.processed.is_dir():
        folders |= {
            p.name for p in ws.processed.iterdir() if p.is_dir() and WEEK_PATTERN.match(p.name)
        }
    earlier = sorted(f for f in folders if earliest.isoformat() <= f < week)
    return earlier[-1] if earlier else (as_of - timedelta(days=plan.cadence_days)).isoformat()


def load_previous(ws: Workspace, prev_week: str) -> pd.DataFrame | None:
    """That week's ``unit_progress`` when its processed folder holds a usable one, else None."""
    if not store.exists(ws, "unit_progress", prev_week):
        return None
    return _previous_usable(store.load(ws, "unit_progress", prev_week))


def progress_week(ws: Workspace, week: str, plan: Plan | None = None) -> dict[str, pd.DataFrame]:
    """Compute and write the week's progress tables into ``data/processed/<week>/``."""
    as_of = date.fromisoformat(week)
    plan = (plan or load_plan()).in_force(as_of)
    path = {
        name: store.table_path(ws, name, week)
        for name in ("vehicle_status", "licence_status", "submission_links")
    }
    for name, p in path.items():
        if not p.is_file():
            raise DeliveryError(
                f"processed table '{name}' for week {week} not found ({p}); "
                "run 01_ingest and 02_reconcile first"
            )
    check = store.load(ws, "unit_self_report_check", week)
    organizations = store.load(ws, "organizations", week, columns=list(_REQUIRED["organizations"]))
    con = _connect(None)
    try:
        agg = aggregate(
            path["vehicle_status"],
            path["licence_status"],
            path["submission_links"],
            plan,
            as_of=as_of,
            self_report_check=check,
            organizations=organizations,
            con=con,
        )
    finally:
        con.close()
    prev_week = previous_week(ws, week, plan)
    tables = compute(
        agg,
        plan,
        as_of=as_of,
        previous=load_previous(ws, prev_week),
        previous_as_of=date.fromisoformat(prev_week),
    )
    for name in OUTPUT_TABLES:
        store.save(ws, tables[name], name, week)
    return tables
