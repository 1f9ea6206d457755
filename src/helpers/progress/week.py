"""The week: :func:`compute` (every progress table from the aggregates; pure) and
:func:`progress_week`, which reads the week's reconciled tables and last week's
``unit_progress``, calls it and writes the tables into ``data/processed/<week>/`` (through
:mod:`helpers.store`: the only I/O of progress besides the drill-down's reads)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from helpers import DeliveryError, pipeline, store
from helpers.config import Plan, load_plan
from helpers.paths import WEEK_PATTERN, Workspace
from helpers.progress import conferences, history
from helpers.progress.commitments import commitment_status
from helpers.progress.conferences import Period
from helpers.progress.definitions import OUTPUT_TABLES, REQUIRED_COLUMNS
from helpers.progress.final import FINAL_TABLES, final_tables
from helpers.progress.metrics import (
    city_progress,
    daily_series,
    group_progress,
    previous_usable,
    unit_table,
)
from helpers.progress.narrative import laggards, leaders, talking_points
from helpers.progress.records import Aggregates, aggregate, progress_connection


def compute(
    agg: Aggregates,
    plan: Plan,
    *,
    as_of: date,
    previous: pd.DataFrame | None = None,
    previous_as_of: date | None = None,
    commitments: pd.DataFrame | None = None,
    earlier: dict[date, pd.DataFrame] | None = None,
    period: Period | None = None,
) -> dict[str, pd.DataFrame]:
    """Every progress table from the aggregates (pure; no I/O), toward the deadline in force at
    ``as_of`` (``plan.in_force``: an extension decided by then, none decided later).
    ``commitments`` (the week's commitments of unit commanders) are tracked with ``earlier``
    weeks' unit_progress. ``period`` is what the conference reviews (progress.conferences;
    default: the 7 days to ``as_of``). The campaign summary's tables need the rank history
    too: see :func:`final_week`."""
    plan = plan.in_force(as_of)
    period = period or Period.window(as_of, previous_as_of)
    units = unit_table(agg, plan, as_of=as_of, previous=previous, period=period)
    lag = laggards(units, plan, as_of=as_of)
    lead = leaders(units, plan)
    city = city_progress(units, agg, plan, as_of=as_of, period=period)
    unit_daily = agg.daily.loc[agg.daily["date"].isna() | (agg.daily["date"] <= as_of)].reset_index(
        drop=True
    )
    return {
        "unit_progress": units,
        "city_progress": city,
        "group_progress": group_progress(units, plan),
        "laggards": lag,
        "leaders": lead,
        "daily_series": daily_series(agg, units, plan, as_of=as_of),
        "unit_daily": unit_daily,
        "org_summary": agg.org_types,
        "talking_points": talking_points(city, units, lag, lead, plan, as_of=as_of),
        "commitment_status": commitment_status(
            commitments if commitments is not None else pd.DataFrame(),
            units,
            as_of=as_of,
            daily=unit_daily,
            earlier=earlier,
            previous=previous,
            previous_as_of=previous_as_of,
        ),
    }


def final_week(
    tables: dict[str, pd.DataFrame], plan: Plan, *, as_of: date
) -> dict[str, pd.DataFrame]:
    """The campaign summary's tables (:data:`~helpers.progress.final.FINAL_TABLES`) in a week
    that reaches the end in force at ``as_of`` (or lies past it), else none (pure): from the
    week's tables of :func:`compute` and its ``rank_history`` (the conferences that named each
    unit a laggard)."""
    plan = plan.in_force(as_of)
    if not plan.reaches_end(as_of):
        return {}
    return final_tables(
        tables["unit_progress"],
        tables["city_progress"],
        tables["org_summary"],
        plan,
        as_of=as_of,
        history=tables.get("rank_history"),
    )


def previous_week(ws: Workspace, week: str, plan: Plan) -> str:
    """The previous conference: the newest earlier delivery holding its own week's submissions
    (progress.conferences; a mid-week re-delivery of a registry is none), else ``week`` minus
    the cadence (the first conference: nothing before it)."""
    earlier = conferences.conference_weeks(ws, week)[:-1]
    as_of = date.fromisoformat(week)
    return earlier[-1] if earlier else (as_of - timedelta(days=plan.cadence_days)).isoformat()


def load_previous(ws: Workspace, prev_week: str) -> pd.DataFrame | None:
    """That week's ``unit_progress`` when its processed folder holds a usable one, else None."""
    if not store.exists(ws, "unit_progress", prev_week):
        return None
    return previous_usable(store.load(ws, "unit_progress", prev_week))


def earlier_units(ws: Workspace, week: str) -> dict[date, pd.DataFrame]:
    """The unit_progress of every earlier week whose processed folder holds one (the figures of
    the backlog and difficult records on a commitment's dates)."""
    if not ws.processed.is_dir():
        return {}
    weeks = sorted(
        p.name
        for p in ws.processed.iterdir()
        if p.is_dir() and WEEK_PATTERN.match(p.name) and p.name < week
    )
    return {
        date.fromisoformat(w): store.load(ws, "unit_progress", w)
        for w in weeks
        if store.exists(ws, "unit_progress", w)
    }


def load_commitments(ws: Workspace, week: str) -> pd.DataFrame:
    """The week's commitments (empty when ingest wrote none: a week ingested before the
    source existed)."""
    if not store.exists(ws, "commitments", week):
        return pd.DataFrame()
    return store.load(ws, "commitments", week)


@pipeline.runs("03_progress")
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
    organisations = store.load(
        ws, "organizations", week, columns=list(REQUIRED_COLUMNS["organizations"])
    )
    con = progress_connection(None)
    try:
        agg = aggregate(
            path["vehicle_status"],
            path["licence_status"],
            path["submission_links"],
            plan,
            as_of=as_of,
            self_report_check=check,
            organisations=organisations,
            con=con,
        )
    finally:
        con.close()
    prev_week = previous_week(ws, week, plan)
    calendar = conferences.periods(conferences.conference_weeks(ws, week), plan.start)
    commitments = load_commitments(ws, week)
    tables: dict[str, pd.DataFrame] = compute(
        agg,
        plan,
        as_of=as_of,
        previous=load_previous(ws, prev_week),
        previous_as_of=date.fromisoformat(prev_week),
        commitments=commitments,
        earlier=earlier_units(ws, week) if len(commitments) else None,
        period=calendar[week],
    )
    tables |= week_history(ws, week, plan, agg, tables, check, organisations, calendar)
    tables |= final_week(tables, plan, as_of=as_of)
    for name in OUTPUT_TABLES:
        store.save(ws, tables[name], name, week)
    for name in FINAL_TABLES:
        # only a week that reaches the end has them: none is left from a run with another plan
        if name in tables:
            store.save(ws, tables[name], name, week)
        else:
            store.table_path(ws, name, week).unlink(missing_ok=True)
    return tables


def recompute_week(
    agg: Aggregates,
    plan: Plan,
    week: str,
    *,
    self_report_check: pd.DataFrame | None = None,
    organisations: pd.DataFrame | None = None,
    period: Period | None = None,
) -> history.WeekTables:
    """An earlier week recomputed from the current week's aggregates (labelled so), over its
    conference's ``period`` (default: the 7 days to its last day)."""
    as_of = date.fromisoformat(week)
    cut = history.aggregates_as_of(
        agg, plan, as_of=as_of, self_report_check=self_report_check, organisations=organisations
    )
    tables = compute(cut, plan, as_of=as_of, period=period)
    return history.WeekTables(
        week,
        tables["unit_progress"],
        tables["city_progress"],
        recomputed=True,
        laggards=tables["laggards"],
    )


def week_history(
    ws: Workspace,
    week: str,
    plan: Plan,
    agg: Aggregates,
    tables: dict[str, pd.DataFrame],
    self_report_check: pd.DataFrame | None = None,
    organisations: pd.DataFrame | None = None,
    calendar: dict[str, conferences.Period] | None = None,
) -> dict[str, pd.DataFrame]:
    """``rank_history`` and ``followup`` of the week: each earlier conference from its
    processed folder when it was run, else recomputed from this week's aggregates over its own
    period (helpers.progress.history); nothing is written here."""
    calendar = calendar or conferences.periods(conferences.conference_weeks(ws, week), plan.start)

    def recompute(earlier: str) -> history.WeekTables:
        return recompute_week(
            agg,
            plan,
            earlier,
            self_report_check=self_report_check,
            organisations=organisations,
            period=calendar.get(earlier),
        )

    earlier = [history.week_tables(ws, w, recompute) for w in history.history_weeks(ws, week)]
    current = history.WeekTables(
        week, tables["unit_progress"], tables["city_progress"], laggards=tables["laggards"]
    )
    return history.build(earlier, current, daily=agg.daily, peak_start=plan.start)
