"""The stage: ``reconcile_week`` reads the week's processed tables, links, checks and
classifies in one DuckDB connection, and writes ``vehicle_status``, ``licence_status``,
``submission_links`` and ``unit_self_report_check`` into ``data/processed/<week>/``
(atomically, each checked against its contract). It writes nothing else.
"""

from __future__ import annotations

import logging
import time
from datetime import date

import pandas as pd

from helpers import store
from helpers.config import Plan, load_plan
from helpers.paths import Workspace
from helpers.reconcile import links
from helpers.reconcile.identity import identity_labels
from helpers.reconcile.inputs import _quote, _register_inputs, _typed_views
from helpers.reconcile.precedence import _records_sql, status_reasons
from helpers.reconcile.queries import sql
from helpers.reconcile.self_reports import _self_report_columns, judge_self_reports

OUTPUT_TABLES = ("vehicle_status", "licence_status", "submission_links", "unit_self_report_check")

_log = logging.getLogger("helpers.reconcile")


def _write(con, query: str, ws: Workspace, name: str, week: str) -> int:
    """Stream a query to ``<processed>/<week>/<name>.parquet`` atomically; returns its rows.

    DuckDB writes the Parquet itself so 8.5 M-row tables never pass through pandas.
    """
    target = store.table_path(ws, name, week)
    store.refuse_raw(ws, target)
    return store.query_to_parquet(con, query, target, contract=name)


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
        _register_inputs(con, ws, week)
        _typed_views(con, week_end)
        links.link_submissions(con)
        con.register("status_reasons", status_reasons())
        con.register("identity_labels", identity_labels())
        _log.info("reconcile %s: links done in %.1f s", week, time.perf_counter() - started)

        counts = {
            "vehicle_status": _write(con, _records_sql("vehicle"), ws, "vehicle_status", week),
            "licence_status": _write(con, _records_sql("licence"), ws, "licence_status", week),
            "submission_links": _write(con, sql("submission_links"), ws, "submission_links", week),
        }
        counts["links_unmatched"] = con.execute(
            "SELECT count(*) FROM link WHERE record_id IS NULL"
        ).fetchone()[0]
        counts["links_duplicate"] = con.execute(
            "SELECT count(*) FROM link WHERE superseded_by IS NOT NULL"
        ).fetchone()[0]

        con.execute(
            sql("self_report").format(
                columns=_self_report_columns(), week_end=_quote(week_end.isoformat())
            )
        )
        daily = con.execute("SELECT * FROM self_report ORDER BY unit_code, report_date").df()
    finally:
        con.close()
    daily["report_date"] = pd.to_datetime(daily["report_date"]).dt.date.astype("date32[pyarrow]")
    check = judge_self_reports(daily, plan)
    store.save(ws, check, "unit_self_report_check", week)
    counts["unit_self_report_check"] = len(check)
    return counts
