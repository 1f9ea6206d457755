"""The stage: ``reconcile_week`` reads the week's processed tables, links, checks and
classifies in one DuckDB connection, and writes ``vehicle_status``, ``licence_status``,
``submission_links`` and ``unit_self_report_check`` into ``data/processed/<week>/``
(atomically, each checked against its contract). It writes nothing else.
``reconcile_tables`` is the same work over tables in memory: no files read or written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import date

import pandas as pd
import pyarrow as pa

from helpers import DeliveryError, pipeline, schemas, store
from helpers.config import Plan, load_plan
from helpers.paths import Workspace
from helpers.reconcile import links
from helpers.reconcile.identity import identity_labels
from helpers.reconcile.inputs import INPUT_TABLES, register_inputs, typed_views
from helpers.reconcile.precedence import records_sql, status_reasons
from helpers.reconcile.queries import sql
from helpers.reconcile.self_reports import judge_self_reports, self_report_columns
from helpers.sqltext import literal

OUTPUT_TABLES = pipeline.step("02_reconcile").tables_written  # declared in helpers.pipeline

_log = logging.getLogger("helpers.reconcile")


def _write(con, query: str, ws: Workspace, name: str, week: str) -> int:
    """Stream a query to ``<processed>/<week>/<name>.parquet`` atomically; returns its rows.

    DuckDB writes the Parquet itself so 8.5 M-row tables never pass through pandas.
    """
    target = store.table_path(ws, name, week)
    store.refuse_raw(ws, target)
    return store.query_to_parquet(con, query, target, contract=name)


def _classify(con, week_end: date) -> None:
    """Over the ``in_<table>`` inputs registered on ``con``: typed views, links, candidates
    and the reason tables the status queries join."""
    typed_views(con, week_end)
    links.link_submissions(con)
    con.register("status_reasons", status_reasons())
    con.register("identity_labels", identity_labels())


def _link_counts(con, ws: Workspace, week: str) -> dict[str, int]:
    """Unmatched and duplicate submissions, counted in the written ``submission_links`` (one
    boolean and one text column read; ``link`` is a view that would join again)."""
    unmatched, duplicate = con.execute(
        "SELECT count(*) FILTER (WHERE record_id IS NULL), count(*) FILTER (WHERE is_duplicate) "
        "FROM read_parquet(?)",
        [str(store.table_path(ws, "submission_links", week))],
    ).fetchone()
    return {"links_unmatched": unmatched, "links_duplicate": duplicate}


def _self_report_check(con, week_end: date, plan: Plan) -> pd.DataFrame:
    """``unit_self_report_check``: the daily counts (``self_report.sql``) judged."""
    con.execute(
        sql("self_report").format(
            columns=self_report_columns(), week_end=literal(week_end.isoformat())
        )
    )
    daily = con.execute("SELECT * FROM self_report ORDER BY unit_code, report_date").df()
    daily["report_date"] = pd.to_datetime(daily["report_date"]).dt.date.astype("date32[pyarrow]")
    return judge_self_reports(daily, plan)


def _queries() -> dict[str, str]:
    """The record-level output tables and the query each is."""
    return {
        "vehicle_status": records_sql("vehicle"),
        "licence_status": records_sql("licence"),
        "submission_links": sql("submission_links"),
    }


@pipeline.runs("02_reconcile")
def reconcile_week(ws: Workspace, week: str, plan: Plan | None = None) -> dict[str, int]:
    """Link, check and classify the week's records; write the four reconcile tables.

    Returns row counts: one per written table, plus ``links_unmatched`` and
    ``links_duplicate``.
    """
    plan = plan or load_plan()
    week_end = date.fromisoformat(week)
    started = time.perf_counter()
    con = store.duckdb_connect()
    try:
        register_inputs(con, ws, week)
        _classify(con, week_end)
        _log.info("reconcile %s: links done in %.1f s", week, time.perf_counter() - started)
        counts = {name: _write(con, query, ws, name, week) for name, query in _queries().items()}
        counts.update(_link_counts(con, ws, week))
        check = _self_report_check(con, week_end, plan)
    finally:
        con.close()
    store.save(ws, check, "unit_self_report_check", week)
    counts["unit_self_report_check"] = len(check)
    return counts


def reconcile_tables(
    tables: Mapping[str, pd.DataFrame], week: str, plan: Plan | None = None
) -> dict[str, pd.DataFrame]:
    """What :func:`reconcile_week` writes, computed from the input tables in memory (no files).

    ``tables`` holds the five :data:`INPUT_TABLES` as ingest types them (a hand-made table
    may lack columns reconcile does not read: each is completed to its contract). Returns the
    four reconcile tables, each checked against its contract, for tests and what-ifs on small
    tables; the week's run streams Parquet to Parquet instead.
    """
    missing = [name for name in INPUT_TABLES if name not in tables]
    if missing:
        raise DeliveryError(f"reconcile_tables needs the tables {', '.join(missing)}")
    plan = plan or load_plan()
    week_end = date.fromisoformat(week)
    con = store.duckdb_connect()
    try:
        for name in INPUT_TABLES:
            frame = schemas.complete(name, tables[name])
            con.register(f"in_{name}", pa.Table.from_pandas(frame, preserve_index=False))
        _classify(con, week_end)
        out = {}
        for name, query in _queries().items():
            table = con.sql(query).to_arrow_table()
            schemas.check_table(name, table)
            out[name] = table.to_pandas()
        out["unit_self_report_check"] = _self_report_check(con, week_end, plan)
    finally:
        con.close()
    schemas.check_table(
        "unit_self_report_check",
        pa.Table.from_pandas(out["unit_self_report_check"], preserve_index=False),
    )
    return out
