"""Writing delivered tables: CSV (UTF-8, BOM, Windows-1258; ``,`` or ``;``), gzip, Parquet.

Every writer is byte-deterministic: gzip headers carry mtime 0 and no file name, Parquet holds
only the data and a fixed schema, workbooks come from :mod:`helpers.synth.xlsx`.
"""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

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


def write_csv(df: pd.DataFrame, path: Path, *, encoding: str = "utf-8", sep: str = ",",
              gz: bool = False) -> None:
    """All columns are written as text exactly as given (missing = empty field)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(df) > 5_000:  # Arrow's writer: fast, quotes every text field
        table = pa.Table.from_pandas(df.astype("string"), preserve_index=False)
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(delimiter=sep, quoting_style="needed"))
        payload = buf.getvalue()
        if encoding == "cp1258":
            payload = to_cp1258_text(payload.decode("utf-8")).encode("cp1258")
        elif encoding == "utf-8-sig":
            payload = b"\xef\xbb\xbf" + payload
    else:
        text = df.to_csv(sep=sep, index=False, lineterminator="\n")
        if encoding == "cp1258":
            payload = to_cp1258_text(text).encode("cp1258")
        else:
            payload = text.encode(encoding)
    if gz:
        with open(path, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0,
                                                   compresslevel=5) as z:
            z.write(payload)
    else:
        path.write_bytes(payload)


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd")
