"""Excel packs: the city pack (aggregates only) and one pack per unit (its own worklists).

    result = build_packs(ws, "2025-11-23", out_dir, "vi")

writes ``city-pack-<week>-<lang>.xlsx``, ``units/<unit_code>-<slug>.xlsx`` (126 files, in the
plan's default language: they go to the units) and ``units-<week>.zip``. Each unit pack is
encrypted with its unit's own password (:mod:`helpers.protect`) unless the plan says
``unit_packs.encrypt: false``; the city pack holds aggregates only and stays open.

How a workbook is written: openpyxl builds everything that makes it a proper Excel file (sheets,
header rows, real tables with autofilter and banded rows, frozen panes, widths, conditional
formatting, print set-up, charts, document properties). The data rows of each table are not
pushed cell by cell through openpyxl, which manages about 50,000 cells a second on this machine
(pure-Python XML, no lxml): they are rendered column-wise with Arrow compute into the sheet's
XML and spliced in while the file is zipped. That keeps the city week's millions of worklist
rows within minutes, and makes every cell's type explicit: text from the data is always an
inline string (never a formula), with Excel's quote prefix when it starts with ``= + - @``,
a tab or a CR.

Same inputs, same bytes: document timestamps and zip entry dates are fixed to the end of the
reporting week, and every list has a complete sort order (an encrypted pack's salts are random:
the workbook it holds is the same bytes).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from helpers import ConfigError, DeliveryError, protect, store
from helpers.config import Plan, load_plan
from helpers.i18n import check_lang, fmt_date, fmt_int, labels, t
from helpers.paths import TEMPLATES_DIR, Workspace
from helpers.privacy import mask_id
from helpers.units import official_units
from helpers.workers import process_pool

TEMPLATE_FILE = TEMPLATES_DIR / "excel.yaml"

EXCEL_MAX_ROWS = 1_048_576
SHEET_ROWS = EXCEL_MAX_ROWS - 1          # data rows of a sheet under its one header row
MAX_CELL_CHARS = 32_767                  # Excel's limit for the text of one cell
SHEET_NAME_CHARS = 31

# Text a spreadsheet would read as a formula (or that some tools turn into one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = r"^[=+\-@\t\r]"
# Characters XML 1.0 cannot carry at all (RE2 syntax, for Arrow).
_ILLEGAL_XML_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"

TEXT_KINDS = frozenset({"code", "text", "long_text", "label"})
NUMBER_KINDS = frozenset({"seq", "int", "num", "pct", "signed"})
DATE_KINDS = frozenset({"date", "datetime"})
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
_NS_PER_DAY = 86_400 * 10**9
_ROWS_PER_CHUNK = 50_000


# --------------------------------------------------------------------------------------------
# Template and texts
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=2)
def load_template(path: Path | str = TEMPLATE_FILE) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Excel template not found: {path}")
    with path.open(encoding="utf-8") as fh:
        template = yaml.safe_load(fh) or {}
    for key in ("font", "colours", "number_formats", "widths", "print", "charts", "document"):
        if key not in template:
            raise ConfigError(f"{path.name}: missing section '{key}'")
    return template


def tx(key: str, lang: str, **values: Any) -> str:
    """A text of the catalogue section ``excel``."""
    return t(f"excel.{key}", lang, **values)


def document_time(week: str, template: dict[str, Any]) -> datetime:
    """The fixed 'created/modified' of every workbook of a week: the end of the week covered."""
    hh, mm, ss = (int(x) for x in str(template["document"]["time_of_day"]).split(":"))
    return datetime.combine(date.fromisoformat(week), datetime.min.time()).replace(
        hour=hh, minute=mm, second=ss
    )


def sheet_title(text: str, taken: Sequence[str] = ()) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\``, at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\]", "-", text).strip("' ") or "Sheet"
    base = base[:SHEET_NAME_CHARS]
    name, n = base, 2
    lowered = {s.lower() for s in taken}
    while name.lower() in lowered:
        suffix = f" ({n})"
        name = base[: SHEET_NAME_CHARS - len(suffix)] + suffix
        n += 1
    return name


# --------------------------------------------------------------------------------------------
# Columns and cell values
# --------------------------------------------------------------------------------------------

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


def clean_text(value: str, lang: str = "en") -> str:
    """Text as a cell can hold it: no XML-illegal characters, within 32,767 characters."""
    return cut_text(ILLEGAL_CHARACTERS_RE.sub("", value), lang)[0]


_STRING = pd.StringDtype("pyarrow")


def _as_strings(values: pd.Series) -> pa.Array:
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        values = values.astype(_STRING)
    arr = pa.array(values.array)  # Arrow-backed: no Python objects
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def _clean_strings(arr: pa.Array, lang: str = "en") -> tuple[pa.Array, int]:
    """Like :func:`clean_text` for a whole column; empty text -> null (no cell).

    Returns the column and how many of its values were cut. Only values of more than 32,767
    bytes can be too long: those few are cut one by one, the rest stays vectorised.
    """
    arr = pc.replace_substring_regex(arr, _ILLEGAL_XML_RE, "")
    n_cut = 0
    if len(arr) and (pc.max(pc.binary_length(arr)).as_py() or 0) > MAX_CELL_CHARS:
        long = pc.fill_null(pc.greater(pc.binary_length(arr), MAX_CELL_CHARS), False)
        cut = [cut_text(v, lang) for v in arr.filter(long).to_pylist()]
        n_cut = sum(flag for _, flag in cut)
        arr = pc.replace_with_mask(arr, long, pa.array([v for v, _ in cut], pa.string()))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr), n_cut


def _text_array(values: pd.Series, lang: str = "en") -> pa.Array:
    """Column values as Arrow strings, cleaned like :func:`clean_text`; empty -> null."""
    return _clean_strings(_as_strings(values), lang)[0]


def _xml_escape(arr: pa.Array) -> pa.Array:
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        arr = pc.replace_substring(arr, old, new)
    return arr


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
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


@dataclass
class _Splice:
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

    def _text_payloads(self) -> dict[str, tuple[pa.Array, pa.Array]]:
        """Escaped text and style id of every text column, cleaned in one pass for all of them
        (one Arrow call per step for the sheet instead of one per column)."""
        text = [c for c in self.columns if c.kind in TEXT_KINDS]
        if not text:
            return {}
        arrays = [self.strings[c.name] if c.name in self.strings
                  else _as_strings(self.frame[c.name]) for c in text]
        joined, self.cut = _clean_strings(pa.concat_arrays(arrays), self.lang)
        guard = pc.fill_null(pc.match_substring_regex(joined, _FORMULA_RE), False)
        escaped = _xml_escape(joined)
        lengths = [len(a) for a in arrays]
        plain = np.repeat([self.styles[(c.kind, False)] for c in text], lengths)
        guarded = np.repeat([self.styles[(c.kind, True)] for c in text], lengths)
        guard_np = guard.to_numpy(zero_copy_only=False)
        styles = pa.array(np.where(guard_np, guarded, plain)).cast(pa.string())
        out, offset = {}, 0
        for col, length in zip(text, lengths, strict=True):
            out[col.name] = (escaped.slice(offset, length), styles.slice(offset, length))
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
                prepared.append((col, _number_array(self.frame[col.name], col.kind),
                                 str(self.styles[(col.kind, False)])))
        row_attrs = self._row_attributes()
        for start in range(0, n, _ROWS_PER_CHUNK):
            stop = min(start + _ROWS_PER_CHUNK, n)
            refs = pa.array(np.arange(self.first_row + start, self.first_row + stop)).cast(pa.string())
            if row_attrs is None:
                parts: list[Any] = ['<row r="', refs, '">']
            else:
                parts = ['<row r="', refs, '"', row_attrs.slice(start, stop - start), ">"]
            for index, (col, payload, style) in enumerate(prepared, start=1):
                letter = get_column_letter(index)
                values = payload.slice(start, stop - start)
                sid = style.slice(start, stop - start) if isinstance(style, pa.Array) else style
                if col.kind in TEXT_KINDS:
                    cell = pc.binary_join_element_wise(
                        f'<c r="{letter}', refs, '" s="', sid,
                        '" t="inlineStr"><is><t xml:space="preserve">', values, "</t></is></c>", "",
                    )
                else:
                    cell = pc.binary_join_element_wise(
                        f'<c r="{letter}', refs, '" s="', sid, '"><v>', values, "</v></c>", ""
                    )
                parts.append(pc.fill_null(cell, ""))
            parts.append("</row>")
            yield _concat(pc.binary_join_element_wise(*parts, ""))


class _PackZip(zipfile.ZipFile):
    """The workbook's zip: fixed entry dates, and data rows spliced into their sheets."""

    def __init__(self, file, *, date_time: tuple, splices: dict[str, _Splice], level: int):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._date_time = date_time
        self._splices = splices
        self._level = level

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        # the attribute ZipFile.open/writestr read (renamed compress_level in Python 3.13)
        setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel",
                self._level)
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


# --------------------------------------------------------------------------------------------
# Text that fits: column widths and row heights estimated from the text
# --------------------------------------------------------------------------------------------

TEXT_FIT_DEFAULTS = {"padding": 2, "max_width": 60, "line_points": 15}


def text_lengths(values: pd.Series | pa.Array) -> np.ndarray:
    """Characters of each value as a cell shows it (missing -> 0), column-wise in Arrow."""
    if len(values) == 0:
        return np.zeros(0, dtype="int64")
    arr = values if isinstance(values, pa.Array) else _as_strings(values)
    return pc.fill_null(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False).astype("int64")


def text_breaks(values: pd.Series | pa.Array) -> np.ndarray:
    """Line breaks in each value (missing -> 0)."""
    if len(values) == 0:
        return np.zeros(0, dtype="int64")
    arr = values if isinstance(values, pa.Array) else _as_strings(values)
    counts = pc.count_substring(arr, "\n")
    return pc.fill_null(counts, 0).to_numpy(zero_copy_only=False).astype("int64")


def text_lines(lengths: np.ndarray, breaks: np.ndarray, width: float, padding: float) -> np.ndarray:
    """Lines a wrapped text takes in a column ``width`` characters wide: one character per
    width unit less the padding (a slight over-estimate: most letters are narrower than the
    digit Excel measures widths in), plus one line per line break."""
    per_line = max(float(width) - float(padding), 1.0)
    return np.maximum(1, np.ceil(lengths / per_line).astype("int64") + breaks)


# --------------------------------------------------------------------------------------------
# A workbook under construction
# --------------------------------------------------------------------------------------------

class PackBook:
    """One workbook: sheets of real Excel tables plus summary blocks, written in one go."""

    def __init__(self, template: dict[str, Any], lang: str, *, title: str, mark: str):
        self.template = template
        self.lang = lang
        self.title = title
        self.mark = mark
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self._styles: dict[tuple, int] = {}
        self._arrays: dict[tuple, Any] = {}
        self._splices: dict[str, _Splice] = {}
        self._widths: dict[tuple[str, int], float] = {}  # (sheet, column) -> width set so far
        self._tables = 0
        self._cut_put = 0
        self.fit = {**TEXT_FIT_DEFAULTS, **template.get("text_fit", {})}
        font = template["font"]
        self.font = Font(name=font["name"], size=font["size"])
        self.bold = Font(name=font["name"], size=font["size"], bold=True)

    @property
    def cut_cells(self) -> int:
        """Text cells cut at Excel's 32,767-character limit (data rows counted once saved)."""
        return self._cut_put + sum(splice.cut for splice in self._splices.values())

    # styles ---------------------------------------------------------------------------------
    def style_id(self, kind: str, guarded: bool = False) -> int:
        """The workbook style of a data cell of this kind (registered once)."""
        key = (kind, guarded)
        if key not in self._styles:
            cell = Cell(self.wb.worksheets[0])  # never placed on a sheet: only registers the style
            self.format_cell(cell, kind, guarded, self.font)
            self._styles[key] = cell.style_id
        return self._styles[key]

    def format_cell(self, cell: Cell, kind: str, guarded: bool, font: Font) -> None:
        """Font, number format, wrapping and formula guard of a data cell of this kind."""
        cell.font = font
        fmt = self.template["number_formats"]
        if kind in ("seq", "int"):
            cell.number_format = fmt["int"]
        elif kind in ("num", "pct", "date", "datetime", "signed"):
            cell.number_format = fmt[kind]
        # top-aligned, so a row grown for a wrapped text reads from its top line
        cell.alignment = Alignment(wrap_text=kind == "long_text", vertical="top")
        if guarded:
            cell.quotePrefix = True

    def _styles_for(self, columns: Sequence[Column]) -> dict[tuple[str, bool], int]:
        styles = {}
        for col in columns:
            styles[(col.kind, False)] = self.style_id(col.kind)
            if col.kind in TEXT_KINDS:
                styles[(col.kind, True)] = self.style_id(col.kind, True)
        return styles

    # sheets ---------------------------------------------------------------------------------
    def sheet(self, name: str):
        ws = self.wb.create_sheet(sheet_title(name, self.wb.sheetnames))
        p = self.template["print"]
        ws.page_setup.orientation = p["orientation"]
        ws.page_setup.paperSize = ws.PAPERSIZE_A4 if str(p["paper"]).upper() == "A4" else None
        ws.page_setup.fitToWidth = int(p["fit_to_width"])
        ws.page_setup.fitToHeight = int(p["fit_to_height"])
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        m = p["margins_cm"]
        ws.page_margins = PageMargins(
            left=m["left"] / 2.54, right=m["right"] / 2.54, top=m["top"] / 2.54,
            bottom=m["bottom"] / 2.54, header=m["header"] / 2.54, footer=m["footer"] / 2.54,
        )
        amp = lambda s: s.replace("&", "&&")  # noqa: E731 - '&' starts a code in headers
        ws.oddHeader.left.text = amp(self.title)
        ws.oddHeader.right.text = amp(self.mark)
        ws.oddFooter.left.text = amp(ws.title)
        ws.oddFooter.right.text = "&P / &N"
        return ws

    def width(self, col: Column) -> float:
        widths = self.template["widths"]
        return float(widths["columns"].get(col.name, widths["kinds"].get(col.kind, 14)))

    def print_layout(self, ws, n_columns: int, freeze_cols: int = 0) -> None:
        """A sheet wider than ``print.max_columns`` is an analyst's table: printed several
        pages across at about the printable views' scale, its first (frozen) columns repeated
        on each page, never shrunk to one page width where nothing could be read."""
        limit = int(self.template["print"].get("max_columns", 0) or 0)
        if limit and n_columns > limit:
            # as many pages across as keep about ``limit`` columns on each (the frozen ones
            # repeated), so the print reads at the scale of the printable views
            per_page = max(limit - freeze_cols, 1)
            ws.page_setup.fitToWidth = math.ceil((n_columns - freeze_cols) / per_page)
            ws.page_setup.fitToHeight = 0
            if freeze_cols:
                ws.print_title_cols = f"A:{get_column_letter(freeze_cols)}"

    def fit_columns(
        self, columns: Sequence[Column], longest: dict[str, int]
    ) -> tuple[list[Column], dict[str, float]]:
        """Widths that cut no text: a text column widens to its longest value (``longest``,
        in characters) plus padding, up to ``text_fit.max_width``; a column whose text is
        longer wraps instead (it becomes ``long_text``, its rows grow to fit)."""
        pad, cap = float(self.fit["padding"]), float(self.fit["max_width"])
        fitted, widths = [], {}
        for col in columns:
            width = self.width(col)
            if col.kind in TEXT_KINDS and col.kind != "long_text":
                need = float(longest.get(col.name, 0)) + pad
                if need > max(width, cap):
                    col, width = Column(col.name, col.header, "long_text"), max(width, cap)
                else:
                    width = max(width, need)
            fitted.append(col)
            widths[col.name] = width
        return fitted, widths

    def row_heights(self, lengths: np.ndarray, breaks: np.ndarray, width: float) -> np.ndarray:
        """Points each row needs for a wrapped text of these lengths in a column this wide."""
        lines = text_lines(lengths, breaks, width, self.fit["padding"])
        return lines * float(self.fit["line_points"])

    def grow_row(self, ws, row: int, height: float) -> None:
        """Make a row at least ``height`` points tall (never shrinks it)."""
        current = ws.row_dimensions[row].height or 0
        if height > current:
            ws.row_dimensions[row].height = float(height)

    def _style_array(self, key: tuple, make: Callable[[Cell], None]):
        """The style of a cell kind, registered once and copied onto each cell after (setting
        fonts cell by cell costs a lookup of the font each time)."""
        if key not in self._arrays:
            cell = Cell(self.wb.worksheets[0])
            make(cell)
            cell.style_id  # noqa: B018 - registers the style in the workbook
            self._arrays[key] = cell._style
        return copy(self._arrays[key])

    def _header(self, ws, row: int, left: int, columns: Sequence[Column],
                widths: dict[str, float] | None = None) -> None:
        """Header row; each column as wide as ``widths`` (or the template) says, and never
        narrower than another table on the sheet made it."""
        wrap = bool(self.template.get("header", {}).get("wrap", True))
        widths = widths or {}

        def make(cell: Cell) -> None:
            cell.font = self.bold
            cell.alignment = Alignment(wrap_text=wrap, vertical="center")

        for offset, col in enumerate(columns):
            cell = ws.cell(row=row, column=left + offset, value=col.header)
            cell.data_type = "s"
            cell._style = self._style_array(("header",), make)
            index = left + offset
            width = max(widths.get(col.name, self.width(col)), self._widths.get((ws.title, index), 0))
            self._widths[(ws.title, index)] = width
            ws.column_dimensions[get_column_letter(index)].width = width
        height = float(self.template.get("header", {}).get("height") or 0)
        if wrap:  # tall enough for the longest wrapped header (bold: a little wider)
            for offset, col in enumerate(columns):
                length = np.array([math.ceil(len(col.header) * 1.1)])
                width = self._widths[(ws.title, left + offset)]
                height = max(height, float(self.row_heights(length, np.zeros(1, "int64"), width)[0]))
        if height:
            ws.row_dimensions[row].height = height

    def _table(self, ws, row: int, left: int, columns: Sequence[Column], n: int, name: str) -> str:
        self._tables += 1
        last = get_column_letter(left + len(columns) - 1)
        ref = f"{get_column_letter(left)}{row}:{last}{row + max(n, 1)}"
        table = Table(displayName=f"{name}_{self._tables}", ref=ref)
        table.tableColumns = [TableColumn(id=i, name=c.header) for i, c in enumerate(columns, 1)]
        table.autoFilter = AutoFilter(ref=ref)
        table.tableStyleInfo = TableStyleInfo(
            name=self.template["table_style"], showRowStripes=True, showColumnStripes=False,
            showFirstColumn=False, showLastColumn=False,
        )
        ws.add_table(table)
        return ref

    def data_sheet(
        self,
        name: str,
        frame: pd.DataFrame,
        columns: Sequence[Column],
        *,
        table_name: str,
        freeze_cols: int = 0,
        scale: Sequence[str] = (),
        standing: tuple[str, dict[str, str]] | None = None,
    ):
        """A sheet holding one table from row 1 (header) down; rows spliced at save time."""
        if len(frame) > SHEET_ROWS:
            raise ValueError(f"{len(frame)} rows do not fit one sheet; use list_sheets")
        columns = list(columns)
        missing = [c.name for c in columns if c.name not in frame.columns]
        if missing:
            raise KeyError(f"sheet {name!r}: the table has no column {', '.join(missing)}")
        if len({c.header.lower() for c in columns}) != len(columns):
            raise ConfigError(f"sheet {name!r}: column headers must be unique")
        # text converted to Arrow once: measured here, written at save time
        strings = {c.name: _as_strings(frame[c.name]) for c in columns if c.kind in TEXT_KINDS}
        lengths = {name: text_lengths(arr) for name, arr in strings.items()}
        longest = {k: int(v.max()) if len(v) else 0 for k, v in lengths.items()}
        columns, widths = self.fit_columns(columns, longest)
        ws = self.sheet(name)
        self._header(ws, 1, 1, columns, widths)
        n = len(frame)
        self._table(ws, 1, 1, columns, n, table_name)
        ws.freeze_panes = f"{get_column_letter(freeze_cols + 1)}2"
        ws.print_title_rows = "1:1"
        self.print_layout(ws, len(columns), freeze_cols)
        heights = np.zeros(n)
        for col in columns:
            if col.kind == "long_text" and n:
                breaks = text_breaks(strings[col.name])
                heights = np.maximum(heights, self.row_heights(lengths[col.name], breaks,
                                                               widths[col.name]))
        self._splices[ws.title] = _Splice(
            frame=frame,
            columns=columns,
            styles=self._styles_for(columns),
            first_row=2,
            last_col=get_column_letter(len(columns)),
            lang=self.lang,
            heights=heights if heights.any() else None,
            default_height=float(self.fit["line_points"]),
            strings=strings,
        )
        if n:
            self._formatting(ws, columns, 2, n + 1, scale, standing)
        return ws

    def list_sheets(
        self, name: str, frame: pd.DataFrame, columns: Sequence[Column], *, table_name: str,
        rows_per_sheet: int = SHEET_ROWS, **kwargs,
    ) -> list:
        """A list that may be longer than one sheet: continued on 'name (2)', never cut."""
        rows_per_sheet = max(1, min(rows_per_sheet, SHEET_ROWS))
        sheets = []
        for part, start in enumerate(range(0, max(len(frame), 1), rows_per_sheet), start=1):
            suffix = "" if part == 1 else f" ({part})"
            label = name[: SHEET_NAME_CHARS - len(suffix)] + suffix
            sheets.append(
                self.data_sheet(
                    label, frame.iloc[start : start + rows_per_sheet], columns,
                    table_name=table_name, **kwargs,
                )
            )
        return sheets

    def _formatting(self, ws, columns, first: int, last: int, scale, standing) -> None:
        colours = self.template["colours"]
        for index, col in enumerate(columns, start=1):
            letter = get_column_letter(index)
            area = f"{letter}{first}:{letter}{last}"
            if col.name in scale:
                s = colours["share_scale"]
                ws.conditional_formatting.add(area, ColorScaleRule(
                    start_type="num", start_value=0, start_color=s["low"],
                    mid_type="num", mid_value=0.5, mid_color=s["mid"],
                    end_type="num", end_value=1, end_color=s["high"],
                ))
            if standing and col.name == standing[0]:
                for code, label in standing[1].items():
                    colour = colours["standing"][code]
                    fill = PatternFill(start_color=colour, end_color=colour, fill_type="solid")
                    quoted = '"' + label.replace('"', '""') + '"'
                    ws.conditional_formatting.add(
                        area, CellIsRule(operator="equal", formula=[quoted], fill=fill)
                    )

    # summary blocks (small, written cell by cell) --------------------------------------------
    def put(self, ws, row: int, column: int, value: Any, kind: str = "text", *, bold=False):
        """One cell written directly; data text is never a formula."""
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            value = None
        elif isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        elif isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, str):
            value, cut = cut_text(ILLEGAL_CHARACTERS_RE.sub("", value), self.lang)
            self._cut_put += cut
        cell = ws.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl would take '=...' for a formula
        guarded = is_formula_like(value)

        def make(c: Cell) -> None:
            self.format_cell(c, kind, guarded, self.bold if bold else self.font)

        cell._style = self._style_array(("put", kind, bold, guarded), make)
        if kind == "long_text" and isinstance(value, str):
            width = self._widths.get((ws.title, column)) or ws.column_dimensions[
                get_column_letter(column)].width or 8.43
            lines = [len(part) for part in value.split("\n")]
            height = self.row_heights(np.array([sum(lines)]), np.array([len(lines) - 1]), width)
            self.grow_row(ws, row, float(height[0]))
        return cell

    def heading(self, ws, row: int, text: str, size_key: str = "subtitle_size") -> None:
        f = self.template["font"]
        cell = self.put(ws, row, 1, text)
        cell.font = Font(name=f["name"], size=f[size_key], bold=True,
                         color=self.template["colours"]["title"])

    def note(self, ws, row: int, text: str) -> None:
        cell = self.put(ws, row, 1, text)
        f = self.template["font"]
        cell.font = Font(name=f["name"], size=f["size"], italic=True,
                         color=self.template["colours"]["note"])

    def block_table(
        self, ws, row: int, columns: Sequence[Column], rows: Sequence[Sequence[Any]], *,
        table_name: str, kinds: Sequence[Sequence[str]] | None = None,
    ) -> int:
        """A small table at ``row`` (header) written cell by cell; returns the next free row.

        ``kinds`` optionally gives each cell its own format (a KPI table mixes counts and
        shares in one column).
        """
        if len({c.header.lower() for c in columns}) != len(columns):
            raise ConfigError(f"table {table_name!r}: column headers must be unique")
        longest = {
            col.name: max([len(v[i]) for v in rows if isinstance(v[i], str)], default=0)
            for i, col in enumerate(columns)
        }
        columns, widths = self.fit_columns(columns, longest)
        self._header(ws, row, 1, columns, widths)
        for r, values in enumerate(rows, start=row + 1):
            for c, value in enumerate(values, start=1):
                kind = kinds[r - row - 1][c - 1] if kinds else columns[c - 1].kind
                if kind in TEXT_KINDS and columns[c - 1].kind == "long_text":
                    kind = "long_text"
                self.put(ws, r, c, value, kind)
        self._table(ws, row, 1, columns, len(rows), table_name)
        return row + max(len(rows), 1) + 2

    # saving ---------------------------------------------------------------------------------
    def properties(self, *, subject: str, keywords: str, creator: str, when: datetime,
                   custom: dict[str, str], description: str = "", category: str = "") -> None:
        p = self.wb.properties
        p.title = self.title
        p.subject = subject
        p.creator = creator
        p.lastModifiedBy = creator
        p.keywords = keywords
        p.description = description
        p.category = category
        p.language = self.lang
        p.created = when
        p.modified = when
        for key, value in custom.items():
            self.wb.custom_doc_props.append(StringProperty(name=key, value=str(value)))

    def save(self, path: Path, *, level: int = 6) -> Path:
        """Write the workbook atomically; the bytes depend only on the content."""
        when = self.wb.properties.modified or datetime(2000, 1, 1)
        splices = {
            f"xl/worksheets/sheet{index}.xml": self._splices[ws.title]
            for index, ws in enumerate(self.wb.worksheets, start=1)
            if ws.title in self._splices
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
            with store.writing(path):  # a full disk or read-only folder: one clear error
                archive = _PackZip(tmp, date_time=stamp, splices=splices, level=level)
                ExcelWriter(self.wb, archive).save()  # closes the archive
                os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path


# --------------------------------------------------------------------------------------------
# Labels for codes found in the data
# --------------------------------------------------------------------------------------------

def _catalogue_label(section: str, code: str, lang: str) -> str:
    """The wording of a code from a shared catalogue section; the code itself if it has none
    (a new code from an upstream stage must not stop the packs)."""
    try:
        return t(f"{section}.{code}", lang)
    except KeyError:
        return str(code)


def label_series(values: pd.Series, section: str, lang: str) -> pd.Series:
    """Codes -> catalogue wording, looked up once per distinct code."""
    s = values.astype("string")
    mapping = {code: _catalogue_label(section, code, lang) for code in s.dropna().unique()}
    return s.map(mapping).astype("string")


def yes_no(values: pd.Series, lang: str) -> pd.Series:
    s = values.astype("boolean")
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    out[s.fillna(False).astype(bool)] = tx("answer_yes", lang)
    out[(~s.fillna(True)).astype(bool)] = tx("answer_no", lang)
    return out


# --------------------------------------------------------------------------------------------
# City pack
# --------------------------------------------------------------------------------------------

METRICS: tuple[str, ...] = (
    "assigned", "submitted", "approved", "cleaned", "pending", "rejected", "not_submitted",
    "difficult", "difficult_open", "cleanable", "share_cleaned_cleanable", "compared",
    "share_compared", "share_cleaned", "share_submitted", "gain_week", "gain_prev_week", "rate_7d",
    "required_rate", "projected_finish", "days_late", "on_track",
)
UNIT_HEAD: tuple[str, ...] = (
    "rank", "rank_prev", "rank_change", "unit_code", "unit_name", "unit_kind", "standing",
    "is_laggard", "is_leader",
)
UNIT_TAIL: tuple[str, ...] = (
    "backlog_pending", "backlog_median_lag_days", "backlog_oldest_days", "self_report_ratio",
    "self_report_overstated", "org_count", "org_dispatches", "org_worked_directly",
    "org_vehicles_counted", "org_vehicles_declared",
)
CITY_KPIS: tuple[str, ...] = (
    "assigned", "submitted", "approved", "cleaned", "share_cleaned", "share_submitted",
    "gain_week", "gain_prev_week", "rate_7d", "required_rate", "projected_finish", "days_late",
    "on_track", "days_left", "units_on_track", "units_at_risk", "units_off_track", "pending",
    "oldest_pending_days", "submissions_total", "submissions_week", "difficult",
)
BOOL_COLUMNS = frozenset({"on_track", "is_laggard", "is_leader", "self_report_overstated",
                          "overstated", "balanced"})
PREFIXES = {"veh": "vehicle", "lic": "licence"}


def metric_kind(name: str) -> str:
    """How a progress column is formatted, from its name."""
    base = name[4:] if name[:4] in ("veh_", "lic_") else name
    if base in BOOL_COLUMNS or base in ("standing", "unit_kind"):
        return "label"
    if base.startswith("share_") or base.endswith("_ratio") or base == "ratio":
        return "pct"
    if base in ("rate_7d", "required_rate", "backlog_median_lag_days"):
        return "num"
    if base == "projected_finish":
        return "date"
    if base in ("days_late", "rank_change"):
        return "signed"
    if base in ("unit_code",):
        return "code"
    if base in ("unit_name",):
        return "text"
    return "int"


def difficult_columns(units: pd.DataFrame) -> list[str]:
    """Per difficult group: its records, then (when progress wrote them) the resolved ones."""
    out = []
    for c in units.columns:
        if c[4:].startswith("group_"):
            out.append(c)
            resolved = c[:4] + "resolved_" + c[len(c[:4]) + len("group_"):]
            if resolved in units.columns:
                out.append(resolved)
    return out


def metric_header(name: str, lang: str) -> str:
    """Header of a progress column: 'Vehicles: cleaned', 'Licences: deceased holder', ..."""
    prefix, base = name[:3], name[4:]
    if name[3:4] == "_" and prefix in PREFIXES:
        if base.startswith("group_"):
            what = _catalogue_label("status", base[len("group_"):], lang)
        elif base.startswith("resolved_"):
            what = tx("metric.resolved", lang,
                      group=_catalogue_label("status", base[len("resolved_"):], lang))
        else:
            what = tx(f"metric.{base}", lang)
        return tx(f"prefix.{prefix}", lang, what=what)
    return tx(f"columns.{name}", lang)


def unit_columns(units: pd.DataFrame, lang: str) -> list[Column]:
    """Every progress column of unit_progress in a reading order, groups last."""
    wanted = list(UNIT_HEAD)
    for prefix in PREFIXES:
        wanted += [f"{prefix}_{m}" for m in METRICS]
    wanted += list(UNIT_TAIL)
    for prefix in PREFIXES:
        wanted += [c for c in units.columns if c.startswith(f"{prefix}_group_")]
    return [Column(c, metric_header(c, lang), metric_kind(c)) for c in wanted if c in units.columns]


def _display_units(units: pd.DataFrame, lang: str) -> pd.DataFrame:
    """unit_progress with codes turned into words (standing, yes/no), sorted by rank."""
    out = units.copy()
    for col in out.columns:
        base = col[4:] if col[:4] in ("veh_", "lic_") else col
        if base in BOOL_COLUMNS:
            out[col] = yes_no(out[col], lang)
    if "standing" in out:
        out["standing"] = label_series(out["standing"], "progress.standing", lang)
    if "unit_kind" in out:
        out["unit_kind"] = label_series(out["unit_kind"], "excel.unit_kind", lang)
    sort = [c for c in ("rank", "unit_code") if c in out]
    return out.sort_values(sort, kind="stable", na_position="last").reset_index(drop=True)


def _standing_labels(lang: str) -> dict[str, str]:
    return {code: _catalogue_label("progress.standing", code, lang)
            for code in ("on_track", "at_risk", "off_track")}


def _title_block(book: PackBook, ws, lines: Sequence[str]) -> int:
    book.heading(ws, 1, lines[0], "title_size")
    for offset, line in enumerate(lines[1:], start=2):
        book.put(ws, offset, 1, line)
    book.note(ws, len(lines) + 1, book.mark)
    return len(lines) + 3


def _city_summary(book: PackBook, tables: dict[str, pd.DataFrame], plan: Plan, week: str,
                  lang: str) -> None:
    ws = book.sheet(tx("sheets.summary", lang))
    conference = plan.conference_date(date.fromisoformat(week))
    row = _title_block(book, ws, [
        plan.title[lang],
        tx("summary.plan_line", lang, number=plan.number, issuer=plan.issuer[lang]),
        tx("summary.week_line", lang, week=fmt_date(date.fromisoformat(week), lang),
           conference=fmt_date(conference, lang)),
    ])
    city = tables["city_progress"].set_index("kind")
    kinds = [k for k in ("vehicle", "licence") if k in city.index]
    book.heading(ws, row, tx("summary.kpis", lang))
    # both tables numbered in column A (STT), their words in B: one column of words, as wide
    # as the longest indicator and the talking points (wrapped) need, nothing cut
    columns = [Column("order", tx("columns.order", lang), "seq"),
               Column("indicator", tx("columns.indicator", lang), "text")] + [
        Column(k, tx(f"kinds.{k}", lang), "int") for k in kinds
    ]
    rows, kinds_of = [], []
    for kpi in CITY_KPIS:
        if kpi not in city.columns:
            continue
        kind = metric_kind(kpi)
        values = []
        for k in kinds:
            value = city.at[k, kpi]
            if kpi in BOOL_COLUMNS and not pd.isna(value):
                value = tx("answer_yes", lang) if bool(value) else tx("answer_no", lang)
            values.append(value)
        rows.append([len(rows) + 1, tx(f"metric.{kpi}", lang), *values])
        kinds_of.append(["seq", "text"] + [kind] * len(kinds))
    header_row = row + 1
    row = book.block_table(ws, header_row, columns, rows, table_name="Kpi", kinds=kinds_of)
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"1:{header_row - 3}"  # the title lines, not a table's header
    ws.row_breaks.append(Break(id=row - 1))  # talking points start a printed page
    book.heading(ws, row, tx("summary.talking_points", lang))
    points = tables["talking_points"]
    points = points.loc[points["lang"] == lang].sort_values("order")
    book.block_table(
        ws, row + 1,
        [Column("order", tx("columns.order", lang), "seq"),
         Column("talking_point", tx("columns.talking_point", lang), "long_text")],
        [[i, text] for i, text in enumerate(points["text"], start=1)],
        table_name="TalkingPoints",
    )


def print_view_columns(view: Sequence[str], units: pd.DataFrame) -> list[str]:
    """The unit_progress columns of one printable view: names as listed, ``prefix_*`` taking
    every column that starts so, each only if the table has it."""
    out: list[str] = []
    for name in view:
        if name.endswith("*"):
            out += [c for c in units.columns if c.startswith(name[:-1]) and c not in out]
        elif name in units.columns and name not in out:
            out.append(name)
    return out


def _print_views(book: PackBook, units: pd.DataFrame, shown: pd.DataFrame, lang: str) -> None:
    """One sheet per theme of the units table (template ``print_views``): at most
    ``print.max_columns`` columns, all 126 units by rank, fitted to one page width."""
    limit = int(book.template["print"].get("max_columns", 0) or 0)
    for key, view in (book.template.get("print_views") or {}).items():
        names = print_view_columns(view, units)
        if limit and len(names) > limit:
            raise ConfigError(f"excel.yaml: print view {key!r} has {len(names)} columns; "
                              f"a printable view holds at most {limit}")
        columns = [Column(c, metric_header(c, lang), metric_kind(c)) for c in names]
        book.data_sheet(tx(f"sheets.{key}", lang), shown, columns, table_name="Print",
                        freeze_cols=2 if len(columns) > 2 else 0,
                        scale=[c for c in names if c.endswith("share_cleaned")],
                        standing=("standing", _standing_labels(lang)))


def _self_report_pairs(columns: Sequence[str]) -> list[tuple[str, str, str]]:
    """(measure, reported column, system column) of unit_self_report_check, totals excluded."""
    pairs = []
    for col in columns:
        for rep, sysp in (("reported_", "system_"),):
            if col.startswith(rep):
                m = col[len(rep):]
                if m != "total" and f"{sysp}{m}" in columns:
                    pairs.append((m, col, f"{sysp}{m}"))
        if col.endswith("_reported"):
            m = col[: -len("_reported")]
            if m != "total" and f"{m}_system" in columns:
                pairs.append((m, col, f"{m}_system"))
    return pairs


def self_report_table(check: pd.DataFrame, units: pd.DataFrame, week: str) -> pd.DataFrame:
    """Per unit: each measure's self-reported and system counts over the 7 days ending on the
    week, with progress's verdict (ratio, overstated)."""
    as_of = date.fromisoformat(week)
    pairs = _self_report_pairs(list(check.columns))
    days = pd.to_datetime(check["report_date"]).dt.date
    window = check.loc[(days > as_of - timedelta(days=7)) & (days <= as_of)]
    cols = [c for _, rep, sysc in pairs for c in (rep, sysc)]
    sums = (window.assign(unit_code=window["unit_code"].astype("str"))
            .groupby("unit_code")[cols].sum(min_count=1).reset_index())
    base = units[["unit_code", "unit_name", "self_report_ratio", "self_report_overstated"]].copy()
    out = base.merge(sums, on="unit_code", how="left")
    for c in cols:
        out[c] = out[c].fillna(0).astype("int64")
    ratio = out["self_report_ratio"].astype("Float64")
    return out.assign(_r=ratio.fillna(-1)).sort_values(
        ["_r", "unit_code"], ascending=[False, True]).drop(columns="_r").reset_index(drop=True)


def rejects_summary(ws: Workspace, week: str) -> pd.DataFrame:
    """Rejected rows counted by source and reason (no values: the city pack is aggregates)."""
    path = store.table_path(ws, "rejects", week)
    if not path.is_file():
        return pd.DataFrame({"source": [], "reason_code": [], "rows": []})
    con = store.duckdb_connect(threads=1)
    try:
        return con.execute(
            "SELECT CAST(source AS VARCHAR) AS source, CAST(reason_code AS VARCHAR) AS reason_code,"
            " count(*) AS rows FROM read_parquet(?) GROUP BY ALL ORDER BY source, rows DESC,"
            " reason_code", [str(path)]
        ).df()
    finally:
        con.close()


def ledger_table(ledger: Any) -> pd.DataFrame:
    """The week's ledger (ledger.json) as one row per file."""
    files = ledger.get("files", ledger) if isinstance(ledger, dict) else ledger
    rows = []
    for entry in files or []:
        skipped = entry.get("rows_skipped", 0)
        if isinstance(skipped, dict):
            skipped = sum(int(v or 0) for v in skipped.values())
        rows.append({
            "source": entry.get("source"), "file": entry.get("file"),
            "rows_read": entry.get("rows_read"), "rows_accepted": entry.get("rows_accepted"),
            "rows_rejected": entry.get("rows_rejected"), "rows_skipped": skipped,
            "balanced": entry.get("balanced"),
        })
    frame = pd.DataFrame(rows, columns=["source", "file", "rows_read", "rows_accepted",
                                        "rows_rejected", "rows_skipped", "balanced"])
    return frame.sort_values(["source", "file"], kind="stable").reset_index(drop=True)


def trend_table(series: pd.DataFrame) -> pd.DataFrame:
    """daily_series (one row per day and kind) as one row per day, vehicle then licence columns."""
    values = ["submitted_day", "approved_day", "cleaned_day", "submitted_cum", "approved_cum",
              "cleaned_cum", "target_cum"]
    values = [v for v in values if v in series.columns]
    wide = series.pivot_table(index="date", columns="kind", values=values, aggfunc="first")
    out = pd.DataFrame({"date": pd.to_datetime(wide.index)})
    for kind, prefix in (("vehicle", "veh"), ("licence", "lic")):
        for v in values:
            if (v, kind) in wide.columns:
                out[f"{prefix}_{v}"] = wide[(v, kind)].to_numpy()
    return out.sort_values("date").reset_index(drop=True)


def _line_chart(book: PackBook, ws, title: str, n: int, cols: dict[str, int], lang: str):
    colours = book.template["colours"]["chart"]
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = tx("charts.records", lang)
    chart.x_axis.number_format = "dd/mm"
    chart.x_axis.majorTimeUnit = "days"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.number_format = "#,##0"
    for key, column in cols.items():
        chart.add_data(Reference(ws, min_col=column, min_row=1, max_row=n + 1), titles_from_data=True)
        series = chart.series[-1]
        series.graphicalProperties.line.solidFill = colours[key]
        series.graphicalProperties.line.width = 28575 if key == "cleaned" else 19050
        series.smooth = False
        if key == "target":
            series.graphicalProperties.line.dashStyle = "dash"
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    c = book.template["charts"]
    chart.width, chart.height = float(c["trend_width"]), float(c["trend_height"])
    return chart


def _trend_sheet(book: PackBook, trend: pd.DataFrame, units_ws, n_units: int,
                 share_col: int, name_col: int, lang: str) -> None:
    columns = [Column("date", tx("columns.date", lang), "date")]
    for c in trend.columns[1:]:
        columns.append(Column(c, tx(f"prefix.{c[:3]}", lang, what=tx(f"trend.{c[4:]}", lang)), "int"))
    ws = book.data_sheet(tx("sheets.trend", lang), trend, columns, table_name="Trend",
                         freeze_cols=1)
    n = len(trend)
    anchor = get_column_letter(len(columns) + 2)
    position = {c.name: i for i, c in enumerate(columns, start=1)}
    top = 1
    if n:
        for prefix, kind in (("veh", "vehicle"), ("lic", "licence")):
            cols = {key: position[f"{prefix}_{src}"] for key, src in (
                ("cleaned", "cleaned_cum"), ("target", "target_cum"),
                ("submitted", "submitted_cum"), ("approved", "approved_cum"))
                if f"{prefix}_{src}" in position}
            if not cols:
                continue
            chart = _line_chart(book, ws, tx(f"charts.trend_{kind}", lang), n, cols, lang)
            ws.add_chart(chart, f"{anchor}{top}")
            top += int(float(book.template["charts"]["trend_height"]) * 2) + 2
    bars = BarChart()
    bars.type = "bar"
    bars.title = tx("charts.units", lang)
    bars.add_data(Reference(units_ws, min_col=share_col, min_row=1, max_row=n_units + 1),
                  titles_from_data=True)
    bars.set_categories(Reference(units_ws, min_col=name_col, min_row=2, max_row=n_units + 1))
    bars.series[0].graphicalProperties.solidFill = book.template["colours"]["chart"]["bars"]
    bars.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    bars.y_axis.number_format = "0%"
    bars.y_axis.scaling.min = 0
    bars.y_axis.scaling.max = 1
    bars.legend = None
    bars.gapWidth = 40
    c = book.template["charts"]
    bars.width = float(c["units_width"])
    bars.height = max(8.0, float(c["units_height_per_unit"]) * n_units)
    ws.add_chart(bars, f"{anchor}{top}")


def city_pack(tables: dict[str, pd.DataFrame], plan: Plan, week: str, lang: str,
              template: dict[str, Any] | None = None) -> PackBook:
    """The city pack of a week: aggregates only, one sheet per subject."""
    check_lang(lang)
    template = template or load_template()
    title = tx("title.city", lang, plan=plan.number, week=fmt_date(date.fromisoformat(week), lang))
    book = PackBook(template, lang, title=title, mark=t("common.internal_mark", lang))
    _city_summary(book, tables, plan, week, lang)

    units = tables["unit_progress"]
    shown = _display_units(units, lang)
    _print_views(book, units, shown, lang)
    columns = unit_columns(units, lang)
    scale = [c.name for c in columns if c.name.endswith("share_cleaned")]
    units_ws = book.data_sheet(tx("sheets.units", lang), shown, columns, table_name="Units",
                               freeze_cols=5 if len(columns) > 5 else 0, scale=scale,
                               standing=("standing", _standing_labels(lang)))
    position = {c.name: i for i, c in enumerate(columns, start=1)}

    lag = tables["laggards"].sort_values(["rank", "unit_code"], kind="stable")
    lag = lag.assign(reason=lag[f"reason_{lang}"])
    book.data_sheet(tx("sheets.laggards", lang), lag, [
        Column("rank", tx("columns.rank", lang), "int"),
        Column("unit_code", tx("columns.unit_code", lang), "code"),
        Column("unit_name", tx("columns.unit_name", lang), "text"),
        Column("veh_share_cleaned", metric_header("veh_share_cleaned", lang), "pct"),
        Column("reason", tx("columns.reason", lang), "long_text"),
    ], table_name="Laggards", scale=["veh_share_cleaned"])

    lead = tables["leaders"].sort_values(["category", "position", "unit_code"], kind="stable")
    share_col = ("veh_share_cleaned_cleanable" if "veh_share_cleaned_cleanable" in units
                 else "veh_share_cleaned")
    figures = units[["unit_code", share_col, "veh_gain_week"]].rename(
        columns={share_col: "share", "veh_gain_week": "gain"})
    lead = lead.drop(columns=[c for c in ("share", "gain") if c in lead]).merge(
        figures, on="unit_code", how="left")
    lead = lead.assign(
        category_label=label_series(lead["measure"] if "measure" in lead else lead["category"],
                                    "excel.leader_category", lang),
        reason=lead[f"reason_{lang}"],
    )
    book.data_sheet(tx("sheets.leaders", lang), lead, [
        Column("category_label", tx("columns.category", lang), "label"),
        Column("position", tx("columns.position", lang), "int"),
        Column("unit_code", tx("columns.unit_code", lang), "code"),
        Column("unit_name", tx("columns.unit_name", lang), "text"),
        Column("share", metric_header(share_col, lang), "pct"),
        Column("gain", metric_header("veh_gain_week", lang), "int"),
        Column("reason", tx("columns.reason", lang), "long_text"),
    ], table_name="Leaders")

    group_cols = difficult_columns(units)
    difficult = units.assign(
        _total=units.get("veh_difficult", 0) + units.get("lic_difficult", 0)
    ).sort_values(["_total", "unit_code"], ascending=[False, True], kind="stable")
    cols = ["unit_code", "unit_name"] + [c for c in ("veh_difficult",) if c in units]
    cols += [c for c in group_cols if c.startswith("veh_")]
    cols += [c for c in ("lic_difficult",) if c in units] + [c for c in group_cols if c.startswith("lic_")]
    book.data_sheet(tx("sheets.difficult", lang), difficult,
                    [Column(c, metric_header(c, lang), metric_kind(c)) for c in cols],
                    table_name="DifficultGroups", freeze_cols=2)

    backlog_cols = ["unit_code", "unit_name", "veh_pending", "lic_pending", "backlog_pending",
                    "backlog_median_lag_days", "backlog_oldest_days"]
    from helpers.progress import backlog_ranking

    backlog = backlog_ranking(units, only_waiting=False)
    book.data_sheet(tx("sheets.backlog", lang), backlog,
                    [Column(c, metric_header(c, lang), metric_kind(c)) for c in backlog_cols
                     if c in units], table_name="Backlog", freeze_cols=2)

    orgs = tables["org_summary"].copy()
    orgs["org_type_label"] = label_series(orgs["org_type"], "excel.org_type", lang)
    book.data_sheet(tx("sheets.organisations", lang), orgs, [
        Column("org_type_label", tx("columns.org_type", lang), "label"),
        *[Column(c, tx(f"columns.{c}", lang), "int") for c in (
            "orgs", "dispatches_sent", "worked_directly", "vehicles_counted", "vehicles_declared")
          if c in orgs],
    ], table_name="Organisations")

    reports = self_report_table(tables["unit_self_report_check"], units, week)
    report_cols = [Column("unit_code", tx("columns.unit_code", lang), "code"),
                   Column("unit_name", tx("columns.unit_name", lang), "text")]
    for m, rep, sysc in _self_report_pairs(list(tables["unit_self_report_check"].columns)):
        what = _catalogue_label("excel.measures", m, lang)
        report_cols.append(Column(rep, tx("columns.reported", lang, what=what), "int"))
        report_cols.append(Column(sysc, tx("columns.system", lang, what=what), "int"))
    reports["self_report_overstated"] = yes_no(reports["self_report_overstated"], lang)
    report_cols += [Column("self_report_ratio", tx("columns.self_report_ratio", lang), "pct"),
                    Column("self_report_overstated", tx("columns.self_report_overstated", lang),
                           "label")]
    book.data_sheet(tx("sheets.self_reports", lang), reports, report_cols,
                    table_name="SelfReports", freeze_cols=2)

    rejects = tables["rejects_summary"].copy()
    rejects["source_label"] = label_series(rejects["source"], "excel.sources", lang)
    rejects["reason_label"] = label_series(rejects["reason_code"], "rejects", lang)
    book.data_sheet(tx("sheets.data_quality", lang), rejects, [
        Column("source_label", tx("columns.source", lang), "label"),
        Column("reason_code", tx("columns.reason_code", lang), "code"),
        Column("reason_label", tx("columns.reject_reason", lang), "text"),
        Column("rows", tx("columns.rows_rejected", lang), "int"),
    ], table_name="Rejects")

    ledger = tables["ledger"].copy()
    ledger["source_label"] = label_series(ledger["source"], "excel.sources", lang)
    ledger["balanced"] = yes_no(ledger["balanced"], lang)
    book.data_sheet(tx("sheets.files", lang), ledger, [
        Column("source_label", tx("columns.source", lang), "label"),
        Column("file", tx("columns.file", lang), "text"),
        *[Column(c, tx(f"columns.{c}", lang), "int") for c in (
            "rows_read", "rows_accepted", "rows_rejected", "rows_skipped")],
        Column("balanced", tx("columns.balanced", lang), "label"),
    ], table_name="Files")

    _trend_sheet(book, trend_table(tables["daily_series"]), units_ws, len(shown),
                 position.get("veh_share_cleaned", 1), position.get("unit_name", 1), lang)
    book.properties(
        subject=plan.title[lang], keywords=f"{plan.number}; {week}; {lang}",
        creator=plan.issuer[lang], when=document_time(week, template),
        description=t("common.internal_mark", lang), category=tx("document.category_city", lang),
        custom={"plan": plan.number, "week": week, "lang": lang, "scope": "city"},
    )
    return book


def load_city_tables(ws: Workspace, week: str) -> dict[str, pd.DataFrame]:
    """Everything the city pack shows, read from the week's processed tables."""
    names = ("unit_progress", "city_progress", "laggards", "leaders", "daily_series",
             "org_summary", "talking_points", "unit_self_report_check")
    tables = {name: store.load(ws, name, week) for name in names}
    tables["rejects_summary"] = rejects_summary(ws, week)
    try:
        tables["ledger"] = ledger_table(store.load_json(ws, "ledger", week))
    except DeliveryError:
        tables["ledger"] = ledger_table([])
    return tables


# --------------------------------------------------------------------------------------------
# Unit packs: worklists
# --------------------------------------------------------------------------------------------

# Sheets of difficult data groups: one per group, vehicles and licences together.
GROUP_SHEETS: dict[str, tuple[str, ...]] = {
    "duplicate": ("duplicate_registry_record",),
    "organisation": ("organization_owned",),
    "invalid_id": ("invalid_owner_id", "invalid_holder_id"),
    "not_in_population": ("id_not_in_population",),
    "deceased": ("owner_deceased", "holder_deceased"),
    "identity": ("identity_mismatch",),
    "scrapped": ("scrapped_or_lost",),
    "transferred": ("transferred_not_registered",),
}
LISTS: tuple[str, ...] = ("pending", *GROUP_SHEETS, "rejected", "unmatched", "door_to_door",
                          "elsewhere")

# Walking order of an address: the street (the address without its numbers, lower case), then
# its numbers from the last to the first: "Số 5 ngõ 12, Tổ 3" -> ("số  ngõ , tổ", [3, 12, 5]),
# so one residential group, lane by lane, house by house. (Accent folding would merge a few
# spellings but costs ten times as much per record at city scale.)
_STREET_SQL = "trim(lower(regexp_replace(coalesce({col}, ''), '[0-9]+', '', 'g')))"
_NUMBERS_SQL = "list_reverse(CAST(regexp_extract_all(coalesce({col}, ''), '[0-9]+') AS DOUBLE[]))"

# Staging: one pass over each record-level table for all units, keeping only the rows the
# packs show, sorted by unit so that each worker's filter on unit_code reads only the row groups
# of its own unit (instead of 126 workers each decompressing the whole city).
_STAGE_RECORDS_SQL = """
COPY (
  WITH r AS (
    SELECT CAST(unit_code AS VARCHAR) AS unit_code, 'vehicle' AS kind,
           CAST(record_id AS VARCHAR) AS record_id,
           CAST(plate AS VARCHAR) AS record_key, CAST(vehicle_type AS VARCHAR) AS record_type,
           CAST(owner_name AS VARCHAR) AS person_name, CAST(owner_id AS VARCHAR) AS person_id,
           CAST(owner_address AS VARCHAR) AS address, CAST(status AS VARCHAR) AS status,
           CAST(owner_kind AS VARCHAR) = 'organization' AS owner_is_org,
           CAST(status_reason AS VARCHAR) AS reason_en,
           CAST(status_reason_vi AS VARCHAR) AS reason_vi,
           CAST(identity_result AS VARCHAR) AS identity_result,
           CAST(last_submitted_at AS TIMESTAMP) AS last_submitted_at,
           CAST(review_status AS VARCHAR) AS review_status,
           CAST(reviewed_at AS TIMESTAMP) AS reviewed_at,
           CAST(submission_id AS VARCHAR) AS submission_id,
           CAST(n_submissions AS BIGINT) AS n_submissions
    FROM read_parquet($vehicles) WHERE status <> 'cleaned'
    UNION ALL
    SELECT CAST(unit_code AS VARCHAR), 'licence', CAST(record_id AS VARCHAR),
           CAST(licence_no AS VARCHAR), CAST(licence_class AS VARCHAR),
           CAST(holder_name AS VARCHAR), CAST(holder_id AS VARCHAR), NULL,
           CAST(status AS VARCHAR), false,
           CAST(status_reason AS VARCHAR), CAST(status_reason_vi AS VARCHAR),
           CAST(identity_result AS VARCHAR), CAST(last_submitted_at AS TIMESTAMP),
           CAST(review_status AS VARCHAR), CAST(reviewed_at AS TIMESTAMP),
           CAST(submission_id AS VARCHAR), CAST(n_submissions AS BIGINT)
    FROM read_parquet($licences) WHERE status <> 'cleaned'
  ),
  rejected AS (  -- reason and phone of the rejected submission a citizen must redo
    SELECT CAST(submission_id AS VARCHAR) AS submission_id,
           CAST(reject_reason AS VARCHAR) AS reject_reason, CAST(phone AS VARCHAR) AS phone
    FROM read_parquet($submissions)
    WHERE review_status = 'rejected'
  )
  SELECT r.*, rejected.reject_reason, rejected.phone
  FROM r LEFT JOIN rejected
    ON r.status = 'rejected_awaiting_resubmission' AND rejected.submission_id = r.submission_id
  ORDER BY r.unit_code
) TO $target (FORMAT parquet, ROW_GROUP_SIZE 20000)
"""

_STAGE_UNMATCHED_SQL = """
COPY (
  SELECT CAST(l.unit_code AS VARCHAR) AS unit_code,
         CAST(l.submission_id AS VARCHAR) AS submission_id, CAST(l.kind AS VARCHAR) AS kind,
         CAST(s.submitted_at AS TIMESTAMP) AS submitted_at,
         coalesce(CAST(s.plate AS VARCHAR), CAST(s.licence_no AS VARCHAR)) AS record_key,
         CAST(s.chassis_no AS VARCHAR) AS chassis_no, CAST(s.full_name AS VARCHAR) AS person_name,
         CAST(s.citizen_id AS VARCHAR) AS person_id, CAST(s.phone AS VARCHAR) AS phone,
         CAST(s.review_status AS VARCHAR) AS review_status,
         CAST(l.link_reason AS VARCHAR) AS link_reason
  FROM (SELECT * FROM read_parquet($links) WHERE record_id IS NULL) l
  JOIN read_parquet($submissions) s
    ON CAST(s.submission_id AS VARCHAR) = CAST(l.submission_id AS VARCHAR)
  ORDER BY unit_code
) TO $target (FORMAT parquet, ROW_GROUP_SIZE 20000)
"""

# A worker's own open records with the walking-order keys and the list each belongs to.
_RECORDS_SQL = """
SELECT r.*, {street} AS street_key, {numbers} AS num_key, {list_key} AS list_key
FROM read_parquet($records) r WHERE r.unit_code = $unit
"""

# The record lists as shown: words for codes (from the catalogues), days waiting, and one
# order for all lists: the list, then its own order (oldest first, or walking order).
_LISTS_SQL = """
SELECT list_key, kind, {kind_label} AS kind_label, record_id, record_key,
       CASE WHEN kind = 'vehicle' THEN {vehicle_type} ELSE record_type END AS record_type,
       person_name, person_id, owner_is_org, address, {reason} AS reason,
       {identity} AS identity_label, {review} AS review_label,
       last_submitted_at, reviewed_at, submission_id, n_submissions, reject_reason, phone,
       date_diff('day', CAST(CASE WHEN status = 'pending_review' THEN last_submitted_at
                                  ELSE reviewed_at END AS DATE), DATE '{week}') AS days_waiting
FROM recs WHERE list_key IS NOT NULL
ORDER BY list_key,
         CASE WHEN list_key = 'pending' THEN last_submitted_at END NULLS LAST,
         CASE WHEN list_key = 'rejected' THEN reviewed_at END NULLS LAST,
         kind = 'licence', address IS NULL, street_key, num_key, address, person_name, record_id
"""

_UNMATCHED_SQL = """
SELECT submission_id, kind, {kind_label} AS kind_label, submitted_at, record_key, chassis_no,
       person_name, person_id, phone, {review} AS review_label, {link} AS link_label
FROM read_parquet($unmatched) WHERE unit_code = $unit
ORDER BY submitted_at NULLS LAST, submission_id
"""


def _sql_case(column: str, mapping: dict[str, str], default: str | None = None) -> str:
    """``CASE column WHEN code THEN words ... ELSE default END`` (default: the code itself)."""
    if not mapping:
        return default or column
    quote = lambda v: "'" + str(v).replace("'", "''") + "'"  # noqa: E731
    whens = " ".join(f"WHEN {quote(k)} THEN {quote(v)}" for k, v in sorted(mapping.items()))
    return f"CASE {column} {whens} ELSE {default or column} END"


def _section(section: str, lang: str) -> dict[str, str]:
    try:
        return labels(section, lang)
    except (KeyError, TypeError):
        return {}


def _records_sql() -> str:
    key_of = {status: key for key, statuses in _RECORD_LISTS.items() for status in statuses}
    return _RECORDS_SQL.format(street=_STREET_SQL.format(col="r.address"),
                               numbers=_NUMBERS_SQL.format(col="r.address"),
                               list_key=_sql_case("r.status", key_of, "NULL"))


@lru_cache(maxsize=8)
def _lists_sql(lang: str, week: str) -> str:
    return _LISTS_SQL.format(
        kind_label=_sql_case("kind", _section("excel.kinds", lang)),
        vehicle_type=_sql_case("record_type", _section("excel.vehicle_type", lang)),
        reason=f"reason_{lang}",
        identity=_sql_case("identity_result", _section("identity", lang)),
        review=_sql_case("review_status", _section("excel.review", lang)),
        week=date.fromisoformat(week).isoformat(),
    )


@lru_cache(maxsize=8)
def _unmatched_sql(lang: str) -> str:
    return _UNMATCHED_SQL.format(
        kind_label=_sql_case("kind", _section("excel.kinds", lang)),
        review=_sql_case("review_status", _section("excel.review", lang)),
        link=_sql_case("link_reason", _section("reconcile.link_reason", lang)),
    )


def door_to_door(con, source: str = "recs", where: str = "status = 'not_submitted'") -> pd.DataFrame:
    """One row per owner address with vehicles not submitted, in walking order.

    ``source`` holds the unit's records with ``street_key``/``num_key`` (or is a plain table:
    the keys are then computed here).
    """
    columns = {r[0] for r in con.execute(f"DESCRIBE {source}").fetchall()}
    street = "street_key" if "street_key" in columns else _STREET_SQL.format(col="address")
    numbers = "num_key" if "num_key" in columns else _NUMBERS_SQL.format(col="address")
    return con.execute(f"""
        WITH v AS (SELECT * FROM {source} WHERE kind = 'vehicle' AND {where})
        SELECT address, count(*) AS vehicles,
               array_to_string(list_sort(list(record_key)), ', ') AS plates,
               array_to_string(list_sort(list_distinct(list(person_name))), '; ') AS owners,
               any_value({street}) AS street_key, any_value({numbers}) AS num_key,
               address IS NULL AS no_address
        FROM v GROUP BY address
        ORDER BY no_address, street_key, num_key, address
    """).df()


# The lists made of registry records, by the statuses they hold.
_RECORD_LISTS: dict[str, tuple[str, ...]] = {
    "pending": ("pending_review",),
    **GROUP_SHEETS,
    "rejected": ("rejected_awaiting_resubmission",),
    "elsewhere": ("owner_resides_elsewhere",),
}


def unit_worklists(con, paths: dict[str, str], unit_code: str, week: str, lang: str, *,
                   full_ids: bool = False) -> dict[str, pd.DataFrame]:
    """Every worklist of one unit, complete and in the order officers work it.

    ``paths`` are the staged tables (:func:`stage_unit_rows`); only the unit's rows are read
    (a filter on unit_code over files sorted by unit). Sorting, grouping and wording happen in
    DuckDB, masking with :func:`helpers.privacy.mask_id`.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE recs AS " + _records_sql(),
                {"records": paths["records"], "unit": unit_code})
    try:
        homes = door_to_door(con)
        records = con.execute(_lists_sql(lang, week)).df()
    finally:
        con.execute("DROP TABLE IF EXISTS recs")
    unmatched = con.execute(_unmatched_sql(lang), {"unmatched": paths["unmatched"],
                                                   "unit": unit_code}).df()
    if not full_ids:
        # an organisation's tax code is public and is how the unit finds it: kept
        org = records["owner_is_org"].fillna(False).astype(bool)
        records["person_id"] = mask_id(records["person_id"]).where(~org, records["person_id"])
        unmatched["person_id"] = mask_id(unmatched["person_id"])
    bounds = records["list_key"].to_numpy(dtype=object)
    lists = {"unmatched": unmatched, "door_to_door": homes}
    for key in _RECORD_LISTS:
        first, last = np.searchsorted(bounds, key, "left"), np.searchsorted(bounds, key, "right")
        lists[key] = records.iloc[int(first):int(last)]
    out = {}
    for key in LISTS:
        frame = lists[key].reset_index(drop=True)
        frame.insert(0, "seq", np.arange(1, len(frame) + 1))
        out[key] = frame
    return out


def worklist_columns(key: str, lang: str) -> list[Column]:
    """The columns of one worklist, in reading order."""
    def c(name: str, kind: str, header: str | None = None) -> Column:
        return Column(name, header or tx(f"columns.{name}", lang), kind)

    record = [c("kind_label", "label"), c("record_key", "code"), c("record_type", "label"),
              c("person_name", "text"), c("person_id", "code"), c("address", "text")]
    if key == "pending":
        return [c("seq", "seq"), c("last_submitted_at", "datetime"), c("days_waiting", "int"),
                *record, c("n_submissions", "int"), c("submission_id", "code"),
                c("record_id", "code")]
    if key in GROUP_SHEETS:
        return [c("seq", "seq"), *record, c("reason", "text"), c("identity_label", "label"),
                c("review_label", "label"), c("submission_id", "code"), c("record_id", "code")]
    if key == "rejected":
        return [c("seq", "seq"), c("reviewed_at", "datetime"), c("days_waiting", "int",
                tx("columns.days_since_rejected", lang)), *record, c("phone", "code"),
                c("reject_reason", "text"), c("submission_id", "code"), c("record_id", "code")]
    if key == "unmatched":
        return [c("seq", "seq"), c("submitted_at", "datetime"), c("kind_label", "label"),
                c("record_key", "code"), c("chassis_no", "code"), c("person_name", "text"),
                c("person_id", "code"), c("phone", "code"), c("review_label", "label"),
                c("link_label", "text"), c("submission_id", "code")]
    if key == "door_to_door":
        return [c("seq", "seq"), c("address", "text"), c("vehicles", "int"),
                c("plates", "text"), c("owners", "text")]
    if key == "elsewhere":
        return [c("seq", "seq"), *record, c("record_id", "code")]
    raise KeyError(key)


# --------------------------------------------------------------------------------------------
# Unit packs: the workbook
# --------------------------------------------------------------------------------------------

def next_week_targets(unit: dict[str, Any], plan: Plan, week: str) -> list[tuple[str, Any, str]]:
    """(indicator key, value, kind) of what the unit must reach by the end of next week."""
    rows = []
    for prefix, kind in (("veh", "vehicles"), ("lic", "licences")):
        assigned = unit.get(f"{prefix}_assigned")
        cleaned = unit.get(f"{prefix}_cleaned")
        if assigned is None or pd.isna(assigned) or cleaned is None or pd.isna(cleaned):
            continue
        share = float(plan.targets.get(f"{kind}_cleaned_share", 1.0))
        base = unit.get(f"{prefix}_cleanable", assigned)  # the target is of cleanable records
        base = assigned if base is None or pd.isna(base) else base
        remaining = max(math.ceil(share * float(base) - 1e-9) - int(cleaned), 0)
        rate = unit.get(f"{prefix}_required_rate")
        week_need = remaining if rate is None or pd.isna(rate) else math.ceil(float(rate) * 7 - 1e-9)
        to_clean = int(min(remaining, max(week_need, 0)))
        rows.append((f"{prefix}_to_clean", to_clean, "int"))
        rows.append((f"{prefix}_cleaned_by", int(cleaned) + to_clean, "int"))
        if float(base) > 0:
            rows.append((f"{prefix}_share_by", (int(cleaned) + to_clean) / float(base), "pct"))
    pending = unit.get("backlog_pending")
    if pending is not None and not pd.isna(pending):
        rows.append(("reviews", int(pending), "int"))
    return rows


UNIT_VS_CITY: tuple[tuple[str, str], ...] = (
    ("veh_assigned", "vehicle.assigned"), ("veh_cleaned", "vehicle.cleaned"),
    ("veh_share_cleaned", "vehicle.share_cleaned"), ("veh_gain_week", "vehicle.gain_week"),
    ("veh_gain_prev_week", "vehicle.gain_prev_week"), ("veh_rate_7d", "vehicle.rate_7d"),
    ("veh_required_rate", "vehicle.required_rate"),
    ("veh_projected_finish", "vehicle.projected_finish"), ("veh_days_late", "vehicle.days_late"),
    ("lic_assigned", "licence.assigned"), ("lic_cleaned", "licence.cleaned"),
    ("lic_share_cleaned", "licence.share_cleaned"), ("lic_gain_week", "licence.gain_week"),
    ("lic_days_late", "licence.days_late"),
    ("rank", ""), ("rank_prev", ""), ("rank_change", ""), ("standing", ""),
    ("veh_pending", "vehicle.pending"), ("lic_pending", "licence.pending"),
    ("backlog_oldest_days", "vehicle.oldest_pending_days"),
    ("veh_difficult", "vehicle.difficult"), ("lic_difficult", "licence.difficult"),
    ("self_report_ratio", ""),
)


def _unit_summary(book: PackBook, unit: dict[str, Any], city: dict[str, dict[str, Any]],
                  laggard: dict[str, Any] | None, leader_reasons: list[str],
                  counts: dict[str, int], sheet_names: dict[str, str], plan: Plan, week: str,
                  lang: str) -> None:
    ws = book.sheet(tx("sheets.unit_summary", lang))
    week_day = date.fromisoformat(week)
    row = _title_block(book, ws, [
        tx("unit.title", lang, unit=unit["unit_name"], code=unit["unit_code"]),
        plan.title[lang],
        tx("summary.week_line", lang, week=fmt_date(week_day, lang),
           conference=fmt_date(plan.conference_date(week_day), lang)),
    ])
    book.heading(ws, row, tx("unit.against_city", lang))
    header_row = row + 1
    rows, kinds = [], []
    for name, city_key in UNIT_VS_CITY:
        if name not in unit:
            continue
        kind = metric_kind(name)
        value = unit[name]
        if name == "standing":
            value = _catalogue_label("progress.standing", str(value), lang)
        city_value = None
        if city_key:
            k, metric = city_key.split(".")
            city_value = city.get(k, {}).get(metric)
        label = metric_header(name, lang)
        if name == "rank":
            label = tx("unit.rank_of", lang, units=len(official_units()))
        rows.append([label, value, city_value])
        kinds.append(["text", kind, kind])
    row = book.block_table(ws, header_row, [
        Column("indicator", tx("columns.indicator", lang), "text"),
        Column("unit", tx("unit.this_unit", lang), "int"),
        Column("city", t("common.city", lang), "int"),
    ], rows, table_name="UnitVsCity", kinds=kinds)
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"1:{header_row - 3}"  # the title lines, not a table's header

    book.heading(ws, row, tx("unit.laggard_heading", lang))
    if laggard:
        book.put(ws, row + 1, 1, tx("unit.laggard", lang, rank=laggard.get("rank")))
        cell = book.put(ws, row + 2, 1, laggard.get(f"reason_{lang}") or "", "long_text")
        ws.row_dimensions[row + 2].height = 15 * (1 + len(str(cell.value or "")) // 120)
        row += 4
    else:
        book.put(ws, row + 1, 1, tx("unit.not_laggard", lang))
        row += 3
    for reason in leader_reasons:
        book.put(ws, row, 1, tx("unit.leader", lang, reason=reason), "long_text")
        row += 1
    if leader_reasons:
        row += 1

    next_end = week_day + timedelta(days=plan.cadence_days)
    book.heading(ws, row, tx("unit.targets_heading", lang, date=fmt_date(next_end, lang)))
    targets = next_week_targets(unit, plan, week)
    row = book.block_table(ws, row + 1, [
        Column("indicator", tx("columns.indicator", lang), "text"),
        Column("target", tx("unit.target", lang), "int"),
    ], [[tx(f"targets.{key}", lang, date=fmt_date(next_end, lang)), value]
        for key, value, _ in targets],
        table_name="Targets", kinds=[["text", kind] for _, _, kind in targets])

    book.heading(ws, row, tx("unit.lists_heading", lang))
    row = book.block_table(ws, row + 1, [
        Column("sheet", tx("columns.sheet", lang), "text"),
        Column("records", tx("columns.records", lang), "int"),
        Column("sorted_by", tx("columns.sorted_by", lang), "text"),
    ], [[sheet_names[key], counts[key], tx(f"sorted_by.{key}", lang)] for key in LISTS],
        table_name="Worklists")
    book.put(ws, row, 1, pending_note(unit, counts.get("pending", 0), lang), "long_text")
    ws.column_dimensions["A"].width = 60


def pending_note(unit: dict[str, Any], rows: int, lang: str) -> str:
    """Why the pending worklist's rows, the records pending and the submissions waiting can
    differ: each counts something else."""
    def n(key: str) -> int:
        value = unit.get(key)
        return 0 if value is None or pd.isna(value) else int(value)

    return tx("unit.pending_note", lang, rows=rows,
              records=n("veh_pending") + n("lic_pending"),
              submissions=n("backlog_pending"))


def unit_pack(unit: dict[str, Any], city: dict[str, dict[str, Any]],
              laggard: dict[str, Any] | None, leader_reasons: list[str],
              lists: dict[str, pd.DataFrame], plan: Plan, week: str, lang: str,
              template: dict[str, Any] | None = None, *,
              rows_per_sheet: int = SHEET_ROWS) -> PackBook:
    """One unit's pack: its summary against the city, then every worklist."""
    template = template or load_template()
    title = tx("title.unit", lang, unit=unit["unit_name"], plan=plan.number,
               week=fmt_date(date.fromisoformat(week), lang))
    book = PackBook(template, lang, title=title, mark=t("common.internal_mark", lang))
    sheet_names = {key: tx(f"sheets.{key}", lang) for key in LISTS}
    counts = {key: len(lists[key]) for key in LISTS}
    _unit_summary(book, unit, city, laggard, leader_reasons, counts, sheet_names, plan, week, lang)
    for key in LISTS:
        columns = worklist_columns(key, lang)
        freeze = 1
        book.list_sheets(sheet_names[key], lists[key], columns, table_name=f"L_{key}",
                         rows_per_sheet=rows_per_sheet, freeze_cols=freeze)
    book.properties(
        subject=plan.title[lang], keywords=f"{plan.number}; {week}; {unit['unit_code']}",
        creator=plan.issuer[lang], when=document_time(week, template),
        description=t("common.internal_mark", lang), category=tx("document.category_unit", lang),
        custom={"plan": plan.number, "week": week, "lang": lang, "unit_code": unit["unit_code"],
                "scope": "unit"},
    )
    return book


# --------------------------------------------------------------------------------------------
# Building a week's packs
# --------------------------------------------------------------------------------------------

UNIT_TABLES = ("vehicle_status", "licence_status", "submission_links", "submissions")
_WORKER_CON = None


def _worker_con():
    """One DuckDB connection per worker process, one thread each (the processes share cores)."""
    global _WORKER_CON
    if _WORKER_CON is None:
        _WORKER_CON = store.duckdb_connect(memory_limit="2GB", threads=1)
    return _WORKER_CON


def unit_file_name(unit_code: str, slug: str) -> str:
    return f"{unit_code}-{slug}.xlsx"


RECORD_TABLES = ("vehicle_status", "licence_status", "submissions")


def overlong_texts(ws: Workspace, week: str) -> int:
    """Texts of the week's records longer than an Excel cell holds (32,767 UTF-16 units):
    the unit packs cut them with a marker. Counted before the packs are written, so the
    briefing (which runs first) can say so; tables not there yet count nothing."""
    con = store.duckdb_connect(threads=2)
    total = 0
    try:
        for name in RECORD_TABLES:
            path = store.table_path(ws, name, week)
            if not path.is_file():
                continue
            source = f"read_parquet('{path.as_posix()}')"
            columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
                       if row[1] == "VARCHAR"]
            if not columns:
                continue
            # a text can only be too long when its UTF-8 bytes are; then count as Excel does
            # (a character beyond U+FFFF counts twice)
            too_long = [
                f"count(*) FILTER (WHERE CASE WHEN strlen(\"{c}\") > {MAX_CELL_CHARS} THEN "
                f"length(\"{c}\") + length(regexp_replace(\"{c}\", '[^\\x{{10000}}-\\x{{10FFFF}}]',"
                f" '', 'g')) > {MAX_CELL_CHARS} ELSE false END)"
                for c in columns
            ]
            total += sum(con.execute(f"SELECT {', '.join(too_long)} FROM {source}").fetchone())
    finally:
        con.close()
    return int(total)


def _write_unit_pack(task: dict[str, Any]) -> dict[str, Any]:
    """Worker: read one unit's rows, write its pack; returns what was written."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    con = _worker_con()
    unit = task["unit"]
    lists = unit_worklists(con, task["paths"], unit["unit_code"], task["week"], task["lang"],
                           full_ids=task["full_ids"])
    t1 = time.perf_counter()
    book = unit_pack(unit, task["city"], task["laggard"], task["leaders"], lists, task["plan"],
                     task["week"], task["lang"], task["template"],
                     rows_per_sheet=task["rows_per_sheet"])
    path = book.save(Path(task["path"]), level=task["level"])
    if task.get("password"):  # encrypted here, in the worker: the packs' cores do it in parallel
        protect.encrypt_file(path, task["password"])
    return {
        "unit_code": unit["unit_code"], "file": path.name, "bytes": path.stat().st_size,
        **{f"rows_{key}": len(lists[key]) for key in LISTS},
        "cut_cells": book.cut_cells,
        "read_s": round(t1 - t0, 3), "write_s": round(time.perf_counter() - t1, 3),
        "cpu_s": round(time.process_time() - cpu0, 3),
    }


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def stage_unit_rows(ws: Workspace, week: str, folder: Path) -> dict[str, str]:
    """Write the rows every unit pack reads, sorted by unit, into ``folder`` (one pass each).

    Returns the staged files: ``records`` (open vehicle and licence records, with the reject
    reason and phone of rejected submissions) and ``unmatched`` (submissions matching no
    record). The folder holds personal data: the caller removes it.
    """
    sources = {}
    for name in UNIT_TABLES:
        path = store.table_path(ws, name, week)
        if not path.is_file():
            raise DeliveryError(
                f"the unit packs need the processed table '{name}' for week {week} ({path}); "
                "run the reconcile step (02_reconcile) first"
            )
        sources[name] = str(path)
    folder.mkdir(parents=True, exist_ok=True)
    staged = {"records": str(folder / "records.parquet"),
              "unmatched": str(folder / "unmatched.parquet")}
    import duckdb

    # Both cores sort the city's ~5 M open records in 17 s within 5 GB; a two-thread sort
    # cannot always spill, so when it runs out of memory the one-thread sort (which spills to
    # the folder and stays near 3 GB) does the work instead.
    try:
        _stage_rows(sources, staged, folder, memory_limit="5GB", threads=2)
    except duckdb.OutOfMemoryException:
        _stage_rows(sources, staged, folder, memory_limit="3GB", threads=1)
    return staged


def _stage_rows(sources: dict[str, str], staged: dict[str, str], folder: Path, *,
                memory_limit: str, threads: int) -> None:
    con = store.duckdb_connect(memory_limit=memory_limit, threads=threads)
    try:
        con.execute(f"SET temp_directory='{folder / 'spill'}'")
        con.execute(_STAGE_RECORDS_SQL, {
            "vehicles": sources["vehicle_status"], "licences": sources["licence_status"],
            "submissions": sources["submissions"], "target": staged["records"]})
        con.execute(_STAGE_UNMATCHED_SQL, {
            "links": sources["submission_links"], "submissions": sources["submissions"],
            "target": staged["unmatched"]})
    finally:
        con.close()


def unit_tasks(ws: Workspace, week: str, out_dir: Path, lang: str, plan: Plan,
               template: dict[str, Any], paths: dict[str, str], *,
               units: Sequence[str] | None = None, rows_per_sheet: int = SHEET_ROWS,
               level: int = 6) -> list[dict[str, Any]]:
    """One picklable task per unit: the unit's figures, its staged rows and where its pack goes."""
    progress = store.load(ws, "unit_progress", week)
    city_rows = store.load(ws, "city_progress", week)
    city = {row["kind"]: {k: _plain(v) for k, v in row.items()}
            for row in city_rows.to_dict("records")}
    laggards = store.load(ws, "laggards", week)
    leaders = store.load(ws, "leaders", week)
    official = official_units().set_index("unit_code")
    wanted = set(units) if units else None
    tasks = []
    for row in progress.sort_values("unit_code").to_dict("records"):
        code = str(row["unit_code"])
        if wanted is not None and code not in wanted:
            continue
        lag = laggards.loc[laggards["unit_code"] == code]
        lead = leaders.loc[leaders["unit_code"] == code].sort_values(["category", "position"])
        tasks.append({
            "unit": {k: _plain(v) for k, v in row.items()},
            "city": city,
            "laggard": {k: _plain(v) for k, v in lag.iloc[0].items()} if len(lag) else None,
            "leaders": [str(r) for r in lead[f"reason_{lang}"]],
            "paths": paths, "week": week, "lang": lang, "plan": plan, "template": template,
            "full_ids": bool(plan.unit_packs.get("full_ids", False)),
            "rows_per_sheet": rows_per_sheet, "level": level,
            "path": str(out_dir / "units" / unit_file_name(code, official.at[code, "slug"])),
        })
    return tasks


def _init_worker() -> None:
    # openpyxl writes each sheet to a temporary file first: keep those in memory when we can
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        tempfile.tempdir = str(shm)


def write_unit_packs(tasks: Sequence[dict[str, Any]], workers: int = 2) -> pd.DataFrame:
    """Write the unit packs, ``workers`` processes at a time (units are independent)."""
    if workers <= 1 or len(tasks) <= 1:
        done = [_write_unit_pack(task) for task in tasks]
    else:
        # fresh interpreters that end with this process (see helpers.workers)
        with process_pool(workers, initializer=_init_worker) as pool:
            done = list(pool.map(_write_unit_pack, tasks, chunksize=1))
    return pd.DataFrame(done).sort_values("unit_code").reset_index(drop=True)


def bundle(files: Sequence[Path], target: Path, when: datetime) -> Path:
    """A zip of the unit packs that depends only on their bytes (names sorted, dates fixed).

    Workbooks are already compressed, so they are stored as they are.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    try:
        # a full disk fails the write and then the zip's own clean-up: one clear error instead
        with store.writing(target), zipfile.ZipFile(
            tmp, "w", zipfile.ZIP_STORED, allowZip64=True
        ) as archive:
            for path in sorted(files, key=lambda p: p.name):
                info = zipfile.ZipInfo(path.name, date_time=stamp)
                info.external_attr = 0o644 << 16
                with archive.open(info, "w", force_zip64=True) as fh, path.open("rb") as src:
                    while block := src.read(1 << 20):
                        fh.write(block)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


@dataclass
class PacksResult:
    city: Path
    units: pd.DataFrame = field(default_factory=pd.DataFrame)
    bundle: Path | None = None
    unit_lang: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    city_cut_cells: int = 0  # text cells cut at Excel's 32,767-character limit

    @property
    def cut_cells(self) -> int:
        """Text cells cut at Excel's cell limit, in the city pack and the unit packs written."""
        units = int(self.units["cut_cells"].sum()) if "cut_cells" in self.units else 0
        return self.city_cut_cells + units


def build_packs(ws: Workspace, week: str, out_dir: Path | str, lang: str, *,
                workers: int = 2, units: Sequence[str] | None = None,
                rows_per_sheet: int = SHEET_ROWS, plan: Plan | None = None,
                template: dict[str, Any] | None = None,
                unit_lang: str | None = None, city: bool = True) -> PacksResult:
    """The week's city pack in ``lang``, and the unit packs with their zip.

    Unit packs go to the units, so they are written in the plan's default language (or
    ``unit_lang``); a run in another language writes them only when they are not there yet.
    """
    check_lang(lang)
    plan = plan or load_plan()
    template = template or load_template()
    out_dir = Path(out_dir)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    city_path = out_dir / f"city-pack-{week}-{lang}.xlsx"
    city_cut = 0
    if city:
        tables = load_city_tables(ws, week)
        book = city_pack(tables, plan, week, lang, template)
        book.save(city_path)
        city_cut = book.cut_cells
    seconds["city"] = round(time.perf_counter() - t0, 2)
    result = PacksResult(city=city_path, seconds=seconds, city_cut_cells=city_cut)
    unit_dir = out_dir / "units"
    unit_lang = check_lang(unit_lang or plan.default_lang)
    if lang != unit_lang and unit_dir.is_dir() and any(unit_dir.glob("*.xlsx")):
        return result
    t1 = time.perf_counter()
    # personal data: named with this process's pid, so a run killed here has it removed by
    # the next run (store.remove_dead_staging)
    with tempfile.TemporaryDirectory(prefix=f".catp375-packs.staging-{os.getpid()}-") as folder:
        paths = stage_unit_rows(ws, week, Path(folder))
        seconds["stage"] = round(time.perf_counter() - t1, 2)
        tasks = unit_tasks(ws, week, out_dir, unit_lang, plan, template, paths, units=units,
                           rows_per_sheet=rows_per_sheet)
        passwords = protect.unit_passwords(ws, plan, [task["unit"]["unit_code"] for task in tasks])
        for task in tasks:
            task["password"] = passwords.get(task["unit"]["unit_code"])
        result.units = write_unit_packs(tasks, workers=workers)
    result.unit_lang = unit_lang
    seconds["units"] = round(time.perf_counter() - t1, 2)
    t2 = time.perf_counter()
    files = [unit_dir / name for name in result.units["file"]]
    result.bundle = bundle(files, out_dir / f"units-{week}.zip", document_time(week, template))
    seconds["zip"] = round(time.perf_counter() - t2, 2)
    seconds["total"] = round(time.perf_counter() - t0, 2)
    return result


def overview(result: PacksResult) -> pd.DataFrame:
    """What a run wrote, for the notebook: files and their sizes, rows per worklist (counts)."""
    rows = [{"what": "city pack", "file": result.city.name,
             "bytes": result.city.stat().st_size if result.city.is_file() else None,
             "records": None}]
    if not result.units.empty:
        rows.append({"what": f"unit packs ({result.unit_lang})",
                     "file": f"units/ ({len(result.units)} files)",
                     "bytes": int(result.units["bytes"].sum()), "records": None})
        for key in LISTS:
            rows.append({"what": f"worklist: {key}", "file": "", "bytes": None,
                         "records": int(result.units[f"rows_{key}"].sum())})
    if result.bundle is not None:
        rows.append({"what": "zip of the unit packs", "file": result.bundle.name,
                     "bytes": result.bundle.stat().st_size, "records": None})
    rows.append({"what": "text cells cut at 32,767 characters", "file": "", "bytes": None,
                 "records": result.cut_cells})
    return pd.DataFrame(rows).astype({"bytes": "Int64", "records": "Int64"})
