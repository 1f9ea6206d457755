"""Parquet files: every column as text, rows numbered like the same table as CSV.

Read one column at a time, each turned into its text column (one contiguous large_string)
before the next is decoded: the peak is the text table plus one column, not the decoded
table, its text casts and their contiguous copies at once (the city registry: 6.5 GB -> about
half). The file is hashed in chunks, never held whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from helpers.ingest.rawfile import RawFile, as_large_strings, assemble, bad_file, find_header
from helpers.ingest.read_csv import file_sha256
from helpers.ingest.sources import relative
from helpers.paths import Workspace

# ---- Parquet


def _text(col: pa.ChunkedArray) -> pa.Array:
    """One column as text: timestamps ISO, whole floats without '.0', the rest cast."""
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
    return as_large_strings(pc.cast(col, pa.string()))


def read_parquet_file(path: Path, ws: Workspace, source: str, delivery: str) -> RawFile:
    file = relative(ws, path)
    try:
        digest = file_sha256(path)
        parquet = pq.ParquetFile(path)
        header = list(parquet.schema_arrow.names)
        _, mapping = find_header([header], source, file)
        columns = [_text(parquet.read([name]).column(0)) for name in header]
    except (OSError, pa.ArrowException) as exc:
        raise bad_file(file, f"unreadable: expected a Parquet file ({exc})") from exc
    body = pa.table({f"c{i}": c for i, c in enumerate(columns)}) if columns else pa.table({})
    del columns
    if body.num_rows == 0:
        raise bad_file(file, "empty: the Parquet file holds a header but no rows")
    # A Parquet file has no header line; its rows are numbered like the same table as CSV
    # (header = row 1, first record = row 2), as docs/data-contract.md says.
    return assemble(
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
