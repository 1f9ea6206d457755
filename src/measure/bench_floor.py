"""The ingest floor for ``make bench``: DuckDB alone reads every source of a week and writes it
to Parquet, with no validation (``python -m measure.bench_floor``, run in a child process so
that its time and peak memory are its own).

Each file the week's ingest would read (the same :func:`helpers.ingest.locate_sources`) is
read as text and written as one Parquet file: CSV and CSV.gz by ``read_csv`` (every column
VARCHAR), Parquet by ``read_parquet``, both on DuckDB's threads (one per core). Workbooks
(a few hundred kilobytes: organisations and the unit reports) have no DuckDB reader here;
openpyxl reads their values and DuckDB writes them. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
from openpyxl import load_workbook

from helpers.ingest.sources import locate_sources, raw_format
from helpers.paths import Workspace
from helpers.sqltext import literal


def _workbook(path: Path) -> pa.Table:
    """Every sheet's cells as text (the first row as column names), sheets stacked."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [
            ["" if v is None else str(v) for v in row]
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        book.close()
    width = max((len(r) for r in rows), default=0)
    return pa.table(
        {f"c{i}": pa.array([r[i] if i < len(r) else "" for r in rows]) for i in range(width)}
    )


def floor(ws: Workspace, week: str, out: Path, threads: int = 2) -> dict:
    """Read every file of the week's sources and write it to ``out``; rows per source."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"threads": threads, "preserve_insertion_order": True})
    rows: dict[str, int] = {}
    try:
        for source, where in locate_sources(ws, week).items():
            rows[source] = 0
            for i, path in enumerate(where.files):
                target = literal(str(out / f"{source}-{i}.parquet"))
                fmt = raw_format(path)
                if fmt == ".xlsx":
                    con.register("sheet_rows", _workbook(path))
                    query = "SELECT * FROM sheet_rows"
                elif fmt == ".parquet":
                    query = f"SELECT * FROM read_parquet({literal(str(path))})"
                else:
                    query = (
                        f"SELECT * FROM read_csv({literal(str(path))}, all_varchar = true, "
                        "header = true, strict_mode = false, null_padding = true)"
                    )
                con.execute(
                    f"COPY ({query}) TO {target} (FORMAT parquet, COMPRESSION snappy)"
                ).fetchall()
                counted = con.execute(
                    "SELECT count(*) FROM read_parquet(?)", [str(out / f"{source}-{i}.parquet")]
                ).fetchall()
                rows[source] += int(counted[0][0])
                if fmt == ".xlsx":
                    con.unregister("sheet_rows")
    finally:
        con.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m measure.bench_floor",
        description="DuckDB alone reads every source of a week and writes Parquet.",
    )
    parser.add_argument("--raw-dir", required=True)
    parser.add_argument("--week", required=True)
    parser.add_argument("--out", required=True, help="folder for the Parquet files (replaced)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    raw = Path(args.raw_dir)
    ws = Workspace(raw=raw, processed=Path(args.out), output=Path(args.out), truth=Path(args.out))
    t0 = time.perf_counter()
    rows = floor(ws, args.week, Path(args.out), args.threads)
    print(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - t0, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
