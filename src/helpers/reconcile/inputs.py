"""Inputs: the week's processed Parquet tables registered in DuckDB as typed, renamed views.

Reads ``data/processed/<week>/`` (the five ingest tables reconcile needs); writes nothing.
Vehicles and licences share the names (``name_key``, ``id_kind``, ``dob``, ``dob_year``) so
one identity query serves both (``typed_inputs.sql``).
"""

from __future__ import annotations

from datetime import date, timedelta

from helpers import DeliveryError, pipeline, store
from helpers.paths import Workspace
from helpers.reconcile.queries import sql
from helpers.sqltext import ident, literal

INPUT_TABLES = pipeline.step("02_reconcile").tables_read  # declared in helpers.pipeline


def register_inputs(con, ws: Workspace, week: str) -> None:
    missing = [name for name in INPUT_TABLES if not store.exists(ws, name, week)]
    if missing:
        raise DeliveryError(
            f"reconcile needs the processed tables {', '.join(missing)} for week {week} in "
            f"{ws.processed_week(week)}; run the ingest step (01_ingest) first"
        )
    for name in INPUT_TABLES:
        path = store.table_path(ws, name, week)
        con.execute(
            f"CREATE OR REPLACE VIEW {ident('in_' + name)} AS SELECT * FROM read_parquet({literal(path)})"
        )


def typed_views(con, week_end: date) -> None:
    """``reg_veh``, ``reg_lic``, ``pop`` (views: DuckDB reads only the columns a query uses,
    straight from Parquet) and ``sub`` (a table, with ``counts_this_week``) over ``in_*``."""
    con.execute(
        sql("typed_inputs").format(
            week_end_excl=literal(f"{week_end + timedelta(days=1)} 00:00:00")
        )
    )
