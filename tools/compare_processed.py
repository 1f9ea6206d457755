"""Compare two processed week folders table by table: schema, rows and a content hash.

    python tools/compare_processed.py /tmp/before/processed/2025-12-21 /tmp/after/processed/2025-12-21

The hash is DuckDB's ``bit_xor(hash(row))`` over every row with its position in the file
(``file_row_number``), so a changed value or a changed row order changes it. The ledgers
(``ledger.json``) are compared whole. Exit status 0 when everything is identical: used to
check that a speed or memory change leaves the outputs as they were (docs/performance.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq


def digest(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, str]:
    quoted = "'" + str(path).replace("'", "''") + "'"
    rows, hashed = con.execute(
        f"SELECT count(*), bit_xor(hash(t)) FROM read_parquet({quoted}, file_row_number = true) t"
    ).fetchall()[0]
    return int(rows), f"{hashed or 0:016x}"


def main(argv: list[str]) -> int:
    before, after = Path(argv[0]), Path(argv[1])
    con = duckdb.connect(config={"threads": 2})
    same = True
    for path in sorted(before.glob("*.parquet")):
        other = after / path.name
        if not other.is_file():
            print(f"{path.stem:24} missing in {after}")
            same = False
            continue
        (rows, hashed), (rows2, hashed2) = digest(con, path), digest(con, other)
        schema = pq.ParquetFile(path).schema_arrow.equals(
            pq.ParquetFile(other).schema_arrow, check_metadata=False
        )
        ok = rows == rows2 and hashed == hashed2 and schema
        same &= ok
        verdict = "same" if ok else f"DIFFERENT ({rows2:,} rows, {hashed2}, schema {schema})"
        print(f"{path.stem:24} rows {rows:>11,}  hash {hashed}  {verdict}")
    ledgers = [json.loads((p / "ledger.json").read_text("utf-8")) for p in (before, after)]
    print("ledger.json", "same" if ledgers[0] == ledgers[1] else "DIFFERENT")
    same &= ledgers[0] == ledgers[1]
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
