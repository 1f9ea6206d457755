"""The week's tables as the briefing reads them: :func:`load_briefing_data` loads the progress
tables (aggregates only) and the ledger into one :class:`BriefingData`.

The only module of the briefing that reads files (through ``helpers.store``). Rejects are
read without their values: the rejected value may be an ID or a plate.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from helpers import pipeline, store
from helpers.paths import Workspace
from helpers.record_tables import overlong_texts


@dataclass(frozen=True)
class BriefingData:
    """The week's progress tables, as the briefing reads them (aggregates only)."""

    week: str
    units: pd.DataFrame  # unit_progress, 126 rows
    city: pd.DataFrame  # city_progress, one row per kind
    laggards: pd.DataFrame
    leaders: pd.DataFrame
    daily: pd.DataFrame  # daily_series
    orgs: pd.DataFrame  # org_summary
    talking_points: pd.DataFrame
    rejects: pd.DataFrame  # only source and reason_code are read
    ledger: list[dict]
    self_reports: pd.DataFrame  # unit_self_report_check
    # record texts over Excel's cell limit, cut in the unit packs (read as overlong_texts): the
    # count, or while load_briefing_data's scan of the record tables still runs, its Future
    overlong: int | Future[int] = 0
    sources: dict[str, dict] = field(default_factory=dict)  # ledger.json "sources", per source
    warnings: list[dict] = field(default_factory=list)  # ledger.json "warnings"
    # the previous conference followed up and every week's standings (empty when absent)
    followup: pd.DataFrame = field(default_factory=pd.DataFrame)
    rank_history: pd.DataFrame = field(default_factory=pd.DataFrame)
    # records cleaned in each conference's period, counted now and as told then
    conference_gains: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the campaign summary's tables (progress.final.FINAL_TABLES), only in a week that reaches
    # the end of the peak (progress writes them then); None in every other week
    final: dict[str, pd.DataFrame] | None = None
    # commitment_status: commanders' commitments and their status (empty: none delivered)
    commitments: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def as_of(self) -> date:
        return date.fromisoformat(self.week)

    @property
    def overlong_texts(self) -> int:
        """Record texts over Excel's cell limit (waits for the scan when it still runs)."""
        return self.overlong.result() if isinstance(self.overlong, Future) else self.overlong


@pipeline.runs("04_briefing")
def load_briefing_data(ws: Workspace, week: str) -> BriefingData:
    """Read the tables the briefing needs; rejects are read without their values."""
    overlong = _in_background(overlong_texts, ws, week)  # first: the longest read
    ledger = store.load_json(ws, "ledger", week)
    return BriefingData(
        week=week,
        units=store.load(ws, "unit_progress", week),
        city=store.load(ws, "city_progress", week),
        laggards=store.load(ws, "laggards", week),
        leaders=store.load(ws, "leaders", week),
        daily=store.load(ws, "daily_series", week),
        orgs=store.load(ws, "org_summary", week),
        talking_points=store.load(ws, "talking_points", week),
        # the rejected values may be IDs or plates: never loaded here
        rejects=store.load(ws, "rejects", week, columns=["source", "reason_code"]),
        ledger=ledger_files(ledger),
        self_reports=store.load(ws, "unit_self_report_check", week),
        overlong=overlong,
        sources=ledger_sources(ledger),
        warnings=ledger_warnings(ledger),
        followup=optional(ws, "followup", week),
        rank_history=optional(ws, "rank_history", week),
        conference_gains=optional(ws, "conference_gains", week),
        final=load_final(ws, week),
        commitments=store.load(ws, "commitment_status", week)
        if store.exists(ws, "commitment_status", week)
        else pd.DataFrame(),
    )


def _in_background(work: Callable[..., int], *args: Any) -> Future[int]:
    """``work(*args)`` in a thread of its own, its result (or error) in the Future returned.
    The record tables' scan (DuckDB, which lets go of the interpreter: seconds on the city's
    8.5 M records) runs while the parts before the data quality's are built; only that part
    reads the count."""
    future: Future[int] = Future()

    def run() -> None:
        try:
            future.set_result(work(*args))
        except BaseException as exc:  # handed to whoever reads the count
            future.set_exception(exc)

    # in this context: the store checks the thread's reads against the running step's. Not a
    # daemon: a process that ends before reading the count waits for the scan (DuckDB stopped
    # mid-scan at the interpreter's exit aborted the process: measured on the city's tables)
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run,), name="overlong-texts").start()
    return future


def optional(ws: Workspace, name: str, week: str) -> pd.DataFrame:
    """A table written by newer runs only (history): empty for a folder written before it."""
    return store.load(ws, name, week) if store.exists(ws, name, week) else pd.DataFrame()


def load_final(ws: Workspace, week: str) -> dict[str, pd.DataFrame] | None:
    """The campaign summary's tables of the week, or None when progress wrote none (a week
    before the end of the peak)."""
    if not all(store.exists(ws, name, week) for name in pipeline.FINAL_TABLES):
        return None
    return {name: store.load(ws, name, week) for name in pipeline.FINAL_TABLES}


def ledger_files(ledger: Any) -> list[dict]:
    """The per-file entries of ledger.json, whether it is a list or keyed by file."""
    if isinstance(ledger, dict):
        if isinstance(ledger.get("files"), list):
            return list(ledger["files"])
        return [dict(v, file=v.get("file", k)) for k, v in ledger.items() if isinstance(v, dict)]
    return list(ledger or [])


def ledger_sources(ledger: Any) -> dict[str, dict]:
    """Per source: the delivery it was read from (and, when ingest judged it, its age and
    whether it is stale). Older ledgers without ``sources`` give it from their file entries."""
    if isinstance(ledger, dict) and isinstance(ledger.get("sources"), dict):
        return {s: dict(v) for s, v in ledger["sources"].items() if isinstance(v, dict)}
    out: dict[str, dict] = {}
    for entry in ledger_files(ledger):
        source, delivery = entry.get("source"), entry.get("delivery")
        if source and delivery:
            out.setdefault(source, {"delivery": delivery})
            out[source]["delivery"] = max(out[source]["delivery"], delivery)
    return out


def ledger_warnings(ledger: Any) -> list[dict]:
    """The ledger's top-level warnings ({code, message_en, message_vi}), if any."""
    warnings = ledger.get("warnings") if isinstance(ledger, dict) else None
    return [w for w in warnings or [] if isinstance(w, dict)]
