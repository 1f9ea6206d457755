"""Parquet files: every column as text, rows numbered like the same table as CSV."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from helpers.ingest.rawfile import RawFile, _assemble, _bad_file, _find_header
from helpers.ingest.sources import _relative
from helpers.paths import Workspace

# ---- Parquet


def _read_parquet(path: Path, ws: Workspace, source: str, delivery: str) -> RawFile:
    file = _relative(ws, path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise _bad_file(file, f"unreadable: expected a Parquet file ({exc})") from exc
    header = list(table.column_names)
    _, mapping = _find_header([header], source, file)
    columns = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
        elif pa.types.is_floating(col.type):
            # whole floats (IDs, counts that went through a float column) without '.0'
            whole = pc.equal(pc.floor(col), col)
            col = pc.if_else(
                whole,
                pc.cast(pc.cast(col, pa.int64(), safe=False), pa.string()),
                pc.cast(col, pa.string()),
            )
        columns.append(pc.cast(col, pa.string()))
    body = pa.table({f"c{i}": c for i, c in enumerate(columns)}) if columns else pa.table({})
    if body.num_rows == 0:
        raise _bad_file(file, "empty: the Parquet file holds a header but no rows")
    # A Parquet file has no header line; its rows are numbered like the same table as CSV
    # (header = row 1, first record = row 2), as docs/data-contract.md says.
    return _assemble(
        source=source,
        file=file,
        sha256=digest,
        delivery=delivery,
        header_cells=header,
        mapping=mapping,
        header_row=1,
        title_rows=0,
        body=body,
        lines=np.arange(2, body.num_rows + 2),
    )
