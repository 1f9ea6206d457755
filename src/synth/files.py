"""Writing delivered tables: CSV (UTF-8, BOM, Windows-1258; ``,`` or ``;``), gzip, Parquet.

Every writer is byte-deterministic: gzip headers carry mtime 0 and no file name, Parquet holds
only the data and a fixed schema, workbooks come from :mod:`synth.xlsx`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

try:
    from isal import igzip
except ModuleNotFoundError:  # the runtime install leaves the generator's extra out
    raise ModuleNotFoundError(
        "The synthetic-data generator needs isal, from the project's `synth` extra, which the "
        "runtime install leaves out: `make sample-data` installs it (or "
        "`.venv/bin/pip install --require-hashes -r requirements-synth.lock`).",
        name="isal",
    ) from None

# Windows-1258 has precomposed â ê ô ă ơ ư but writes tone marks as combining characters.
_TONE = "\u0300\u0301\u0303\u0309\u0323"
_MOD = {"\u0302": "âêôÂÊÔ", "\u0306": "ăĂ", "\u031b": "ơưƠƯ"}
_BASE = {"\u0302": "aeoAEO", "\u0306": "aA", "\u031b": "ouOU"}
_REORDER = re.compile(f"([{_TONE}])([\u0302\u0306\u031b])")


def to_cp1258_text(text: str) -> str:
    """Rewrite NFC/NFD Vietnamese into the decomposed form Windows-1258 can encode."""
    import unicodedata

    t = unicodedata.normalize("NFD", text)
    t = _REORDER.sub(r"\2\1", t)  # vowel modifier first, tone mark last
    for mod, pre in _MOD.items():
        for base, composed in zip(_BASE[mod], pre, strict=True):
            t = t.replace(base + mod, composed)
    return t


def write_csv(
    df: pd.DataFrame,
    path: Path,
    *,
    encoding: str = "utf-8",
    sep: str = ",",
    gz: bool = False,
    header: bool = True,
) -> None:
    """All columns are written as text exactly as given (missing = empty field).

    ``header=False`` writes the rows only (no header line, no byte-order mark): the
    continuation of a file another slice of the city started, appended byte for byte (gzip
    members concatenate into one valid stream).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(df) <= 5_000:
        text = (
            df.astype(object)
            .where(df.notna(), None)
            .to_csv(sep=sep, index=False, lineterminator="\n", header=header)
        )
        if not header and encoding == "utf-8-sig":
            encoding = "utf-8"
        payload = (
            to_cp1258_text(text).encode("cp1258") if encoding == "cp1258" else text.encode(encoding)
        )
        _write_bytes(path, [payload], gz)
        return
    # Arrow's writer: fast, quotes every text field that needs it
    table = text_table(df)
    options = pacsv.WriteOptions(delimiter=sep, quoting_style="needed", include_header=header)
    if encoding == "cp1258":  # the re-encoding works on the whole text (small files only)
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, options)
        _write_bytes(path, [to_cp1258_text(buf.getvalue().decode("utf-8")).encode("cp1258")], gz)
        return
    # large files are streamed batch by batch: no whole-file copy in memory
    with _open(path, gz) as fh:
        if encoding == "utf-8-sig" and header:
            fh.write(b"\xef\xbb\xbf")
        with pacsv.CSVWriter(fh, table.schema, write_options=options) as w:
            for batch in table.to_batches(max_chunksize=100_000):
                w.write_batch(batch)


def text_table(df: pd.DataFrame) -> pa.Table:
    """Every column as Arrow text (missing = null); text columns without a Python object."""
    arrays = []
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, (pd.StringDtype, pd.ArrowDtype)):
            arrays.append(pa.array(s.array, from_pandas=True).cast(pa.string()))
        else:
            arrays.append(
                pa.array(
                    s.astype(object).where(s.notna(), None).astype("string").array, from_pandas=True
                ).cast(pa.string())
            )
    return pa.table(arrays, names=[str(c) for c in df.columns])


class _open:
    """A plain or deterministic gzip (mtime 0, no file name) binary file."""

    def __init__(self, path: Path, gz: bool) -> None:
        self.path, self.gz = path, gz

    def __enter__(self):
        self.fh = open(self.path, "wb")  # noqa: SIM115 (closed in __exit__)
        # ISA-L's level 1: the generator's time matters more than the deliveries' size (about
        # 3.5 x zlib's level 1 and a few % smaller; zlib's 1 against 5: docs/performance.md)
        self.z = (
            igzip.GzipFile(filename="", mode="wb", fileobj=self.fh, mtime=0, compresslevel=1)
            if self.gz
            else None
        )
        return self.z or self.fh

    def __exit__(self, *exc) -> None:
        if self.z is not None:
            self.z.close()
        self.fh.close()


def _write_bytes(path: Path, parts: list[bytes], gz: bool) -> None:
    with _open(path, gz) as fh:
        for p in parts:
            fh.write(p)


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """A delivered Parquet file: the data only (no pandas metadata), zstd."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    write_table(table.replace_schema_metadata(None), path, compression="zstd")


# In a city slice's worker the tables the merge appends are written as Arrow IPC next to
# where their Parquet file would be: the merge encodes each row once, into the city's file,
# instead of decoding and re-encoding every slice's Parquet (a tenth of a city's CPU).
_SLICE_SCRATCH = {"on": False}
SCRATCH_SUFFIX = ".arrow"
CODEC_KEY = b"catp.parquet_compression"


def write_slices_as_scratch(on: bool) -> None:
    """Set in a city slice's worker process: Parquet tables go out as Arrow IPC scratch."""
    _SLICE_SCRATCH["on"] = on


def write_table(table: pa.Table, path: Path, compression: str = "snappy") -> None:
    """A Parquet file, or in a city slice the same table as Arrow IPC scratch (``.arrow``,
    the compression kept in its schema for the merged file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _SLICE_SCRATCH["on"]:
        pq.write_table(table, path, compression=compression)
        return
    meta = {**(table.schema.metadata or {}), CODEC_KEY: compression.encode()}
    table = table.replace_schema_metadata(meta)
    with pa.ipc.new_file(path.with_suffix(SCRATCH_SUFFIX), table.schema) as out:
        out.write_table(table)


def write_frame(df: pd.DataFrame, path: Path) -> None:
    """A truth table from pandas, as ``DataFrame.to_parquet(index=False)`` writes it."""
    write_table(pa.Table.from_pandas(df, preserve_index=False), path)
