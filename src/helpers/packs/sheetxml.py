"""The sheet-XML writer: a table's data rows rendered column-wise with Arrow compute into the
sheet's XML and spliced in while the workbook is zipped.

openpyxl manages about 50,000 cells a second on this machine (pure-Python XML, no lxml), so
data rows are not pushed through it cell by cell. Every cell's type is explicit: text from the
data is always an inline string (never a formula), with Excel's quote prefix when it starts
with ``= + - @``, a tab or a CR; characters XML cannot carry are dropped and a text longer than
a cell holds is cut with a visible marker. :class:`PackZip` fixes the zip entries' dates, so
the bytes depend only on the content.

Touches nothing but the zip it is given (a workbook being saved by :class:`PackBook`).
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

from helpers.i18n import fmt_int
from helpers.packs.texts import tx
from helpers.record_tables import MAX_CELL_CHARS

EXCEL_MAX_ROWS = 1_048_576
SHEET_ROWS = EXCEL_MAX_ROWS - 1  # data rows of a sheet under its one header row
SHEET_NAME_CHARS = 31

# Text a spreadsheet would read as a formula (or that some tools turn into one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = r"^[=+\-@\t\r]"
# Characters XML 1.0 cannot carry at all (RE2 syntax, for Arrow).
_ILLEGAL_XML_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"

TEXT_KINDS = frozenset({"code", "text", "long_text", "label"})
DATE_KINDS = frozenset({"date", "datetime"})
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
_NS_PER_DAY = 86_400 * 10**9
_ROWS_PER_CHUNK = 50_000


@dataclass(frozen=True)
class Column:
    """One column of a table: the frame's column, the header shown, how it is formatted."""

    name: str
    header: str
    kind: str  # seq, code, text, long_text, label, int, num, pct, signed, date, datetime


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def _utf16_len(value: str) -> int:
    """Length as Excel counts it (UTF-16 code units: a character beyond U+FFFF counts 2)."""
    return len(value.encode("utf-16-le")) // 2


def cut_text(value: str, lang: str = "en") -> tuple[str, bool]:
    """Text within Excel's 32,767-character cell limit; a longer one is cut and ends with a
    visible marker saying how many characters were cut ("… [cut: 8,233 characters]").

    Returns the text and whether it was cut (the packs count the cut cells).
    """
    if len(value) <= MAX_CELL_CHARS // 2 or _utf16_len(value) <= MAX_CELL_CHARS:
        return value, False
    widest = tx("cut_marker", lang, count=fmt_int(len(value), lang))
    budget = MAX_CELL_CHARS - _utf16_len(widest)
    kept = value[:budget]
    while (excess := _utf16_len(kept) - budget) > 0:  # characters beyond U+FFFF count twice
        kept = kept[: len(kept) - max(excess // 2, 1)]
    return kept + tx("cut_marker", lang, count=fmt_int(len(value) - len(kept), lang)), True


_STRING = pd.StringDtype("pyarrow")


def as_strings(values: pd.Series) -> pa.Array:
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        values = values.astype(_STRING)
    arr = pa.array(values.array)  # Arrow-backed: no Python objects
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def _clean_strings(arr: pa.Array, lang: str = "en") -> tuple[pa.Array, int]:
    """A whole column as a cell can hold it: no XML-illegal characters, each value cut like
    :func:`cut_text`; empty text -> null (no cell).

    Returns the column and how many of its values were cut. Only values of more than 32,767
    bytes can be too long: those few are cut one by one, the rest stays vectorised.
    """
    if _may_hold(arr, _ILLEGAL_BYTES):  # a regex pass over every text only when needed
        arr = pc.replace_substring_regex(arr, _ILLEGAL_XML_RE, "")
    n_cut = 0
    if len(arr) and (pc.max(pc.binary_length(arr)).as_py() or 0) > MAX_CELL_CHARS:
        long = pc.fill_null(pc.greater(pc.binary_length(arr), MAX_CELL_CHARS), False)
        cut = [cut_text(v, lang) for v in arr.filter(long).to_pylist()]
        n_cut = sum(flag for _, flag in cut)
        arr = pc.replace_with_mask(arr, long, pa.array([v for v, _ in cut], pa.string()))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr), n_cut


def _xml_escape(arr: pa.Array) -> pa.Array:
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        if _may_hold(arr, _byte_set(old.encode())):  # a copy of every value only if so
            arr = pc.replace_substring(arr, old, new)
    return arr


def _byte_set(values: bytes) -> np.ndarray:
    """A lookup table of the 256 byte values: true for those in ``values``."""
    table = np.zeros(256, dtype=bool)
    table[list(values)] = True
    return table


# The bytes that start every character _ILLEGAL_XML_RE removes: the control characters, and
# 0xEF, the lead byte of U+FFFE and U+FFFF in UTF-8 (and of other characters, which the regex
# then keeps).
_ILLEGAL_BYTES = _byte_set(bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xEF]))


def _may_hold(arr: pa.Array, lead: np.ndarray) -> bool:
    """Whether any of the text's bytes is one ``lead`` (a :func:`_byte_set`) marks: a scan of
    the text's bytes, much cheaper than the Arrow pass (a regex, or a copy of every value) it
    can spare. Answers yes whenever it cannot tell (a sliced or unusual array)."""
    if not pa.types.is_string(arr.type) or arr.offset or len(arr) == 0:
        return True
    data = arr.buffers()[2]
    if data is None:
        return False
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[: len(arr) + 1]
    body = np.frombuffer(data, dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return bool(lead[body].any())


def _number_array(values: pd.Series, kind: str) -> pa.Array:
    """Numbers as the text of ``<v>``; missing, NaN and infinities -> null (empty cell)."""
    if kind in DATE_KINDS:
        stamps = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]")
        nat = np.isnat(stamps)
        delta = (stamps - _EXCEL_EPOCH).astype("int64")
        if kind == "date":
            serial = (delta // _NS_PER_DAY).astype("float64")
        else:
            # whole seconds: Excel shows minutes, and float noise would differ between runs
            serial = np.round(delta / 10**9) / 86_400.0
        serial[nat] = np.nan
        num = serial
    else:
        num = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    finite = np.isfinite(num)
    whole = kind in ("seq", "int", "signed", "date") and bool(np.all(np.mod(num[finite], 1) == 0))
    if whole:
        ints = np.where(finite, num, 0).astype("int64")
        arr = pa.array(ints, mask=~finite).cast(pa.string())
    else:
        arr = pa.array(np.where(finite, num, 0.0), mask=~finite).cast(pa.string())
    return arr


def _concat(arr: pa.Array) -> memoryview:
    """The bytes of a null-free string array laid end to end (zero copy)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    data = arr.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


@dataclass
class Splice:
    """Data rows of one table, rendered to sheet XML when the workbook is zipped."""

    frame: pd.DataFrame
    columns: list[Column]
    styles: dict[tuple[str, bool], int]  # (kind, guarded) -> style id
    first_row: int
    last_col: str = ""
    lang: str = "en"
    cut: int = 0  # text cells cut at Excel's limit, known once rendered
    heights: np.ndarray | None = None  # points per row for wrapped text; None: default rows
    default_height: float = 15.0
    strings: dict[str, pa.Array] = field(default_factory=dict)  # text columns, converted once

    def _row_attributes(self) -> pa.Array | None:
        """' ht=".." customHeight="1"' for rows taller than the default, else ''."""
        if self.heights is None:
            return None
        tall = self.heights > self.default_height
        text = pa.array(np.round(self.heights, 1)).cast(pa.string())
        attrs = pc.binary_join_element_wise(' ht="', text, '" customHeight="1"', "")
        return pc.if_else(pa.array(tall), attrs, pa.scalar("", pa.string()))

    def _text_payloads(self) -> dict[str, tuple[pa.Array, pa.Array | str]]:
        """Escaped text and style id of every text column, cleaned in one pass for all of them
        (one Arrow call per step for the sheet instead of one per column). A column with no
        formula-like text has one style id for all its cells (a text, not an array)."""
        text = [c for c in self.columns if c.kind in TEXT_KINDS]
        if not text:
            return {}
        arrays = [
            self.strings[c.name] if c.name in self.strings else as_strings(self.frame[c.name])
            for c in text
        ]
        joined, self.cut = _clean_strings(pa.concat_arrays(arrays), self.lang)
        guard = pc.fill_null(pc.match_substring_regex(joined, _FORMULA_RE), False)
        escaped = _xml_escape(joined)
        guard_np = guard.to_numpy(zero_copy_only=False)
        out: dict[str, tuple[pa.Array, pa.Array | str]] = {}
        offset = 0
        for col, arr in zip(text, arrays, strict=True):
            length = len(arr)
            plain, guarded = self.styles[(col.kind, False)], self.styles[(col.kind, True)]
            mine = guard_np[offset : offset + length]
            styles: pa.Array | str = (
                pa.array(np.where(mine, guarded, plain)).cast(pa.string())
                if mine.any()
                else str(plain)
            )
            out[col.name] = (escaped.slice(offset, length), styles)
            offset += length
        return out

    def chunks(self) -> Iterator[bytes | memoryview]:
        n = len(self.frame)
        if n == 0:
            return
        texts = self._text_payloads()
        prepared = []
        for col in self.columns:
            if col.kind in TEXT_KINDS:
                prepared.append((col, *texts[col.name]))
            else:
                prepared.append(
                    (
                        col,
                        _number_array(self.frame[col.name], col.kind),
                        str(self.styles[(col.kind, False)]),
                    )
                )
        row_attrs = self._row_attributes()
        for start in range(0, n, _ROWS_PER_CHUNK):
            stop = min(start + _ROWS_PER_CHUNK, n)
            refs = pa.array(np.arange(self.first_row + start, self.first_row + stop)).cast(
                pa.string()
            )
            if row_attrs is None:
                parts: list[Any] = ['<row r="', refs, '">']
            else:
                parts = ['<row r="', refs, '"', row_attrs.slice(start, stop - start), ">"]
            for index, (col, payload, style) in enumerate(prepared, start=1):
                letter = get_column_letter(index)
                values = payload.slice(start, stop - start)
                sid = style.slice(start, stop - start) if isinstance(style, pa.Array) else style
                if col.kind in TEXT_KINDS:
                    pieces = [
                        f'<c r="{letter}',
                        refs,
                        '" s="',
                        sid,
                        '" t="inlineStr"><is><t xml:space="preserve">',
                        values,
                        "</t></is></c>",
                    ]
                else:
                    pieces = [f'<c r="{letter}', refs, '" s="', sid, '"><v>', values, "</v></c>"]
                if values.null_count == 0:  # every row has the cell: joined once, with the row
                    parts.extend(pieces)
                else:  # an empty value is no cell at all: the cells made first, then the row
                    parts.append(pc.fill_null(pc.binary_join_element_wise(*pieces, ""), ""))
            parts.append("</row>")
            yield _concat(pc.binary_join_element_wise(*parts, ""))


class PackZip(zipfile.ZipFile):
    """The workbook's zip: fixed entry dates, and data rows spliced into their sheets."""

    def __init__(self, file, *, date_time: tuple, splices: dict[str, Splice], level: int):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = date_time
        self._splices = splices
        self._level = level

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        # the attribute ZipFile.open/writestr read (renamed compress_level in Python 3.13)
        setattr(
            info,
            "compress_level" if hasattr(info, "compress_level") else "_compresslevel",
            self._level,
        )
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        super().writestr(self._info(name), data)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        name = arcname or os.path.basename(filename)
        data = Path(filename).read_bytes()
        splice = self._splices.get(name)
        if splice is None:
            super().writestr(self._info(name), data)
            return
        if b"</sheetData>" in data:
            head, _, tail = data.partition(b"</sheetData>")
        else:
            head, _, tail = data.partition(b"<sheetData/>")
            head += b"<sheetData>"
        last_row = splice.first_row + max(len(splice.frame), 1) - 1
        head = re.sub(
            rb'<dimension ref="[^"]*"\s*/>',
            f'<dimension ref="A1:{splice.last_col}{last_row}"/>'.encode(),
            head,
            count=1,
        )
        with self.open(self._info(name), "w", force_zip64=True) as fh:
            fh.write(head)
            for chunk in splice.chunks():
                fh.write(chunk)
            fh.write(b"</sheetData>" + tail)
