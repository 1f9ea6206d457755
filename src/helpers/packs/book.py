"""A workbook under construction (:class:`PackBook`) and its styling from
``reports/templates/excel.yaml``: fonts, number formats, column widths that fit the text,
row heights for wrapped text, real Excel tables with autofilter and banded rows, frozen
panes, conditional formatting, print set-up and document properties.

openpyxl builds everything that makes the file a proper workbook; the data rows of each table
are handed to the sheet-XML writer (:mod:`helpers.packs.sheetxml`) and spliced in at save time.
Same inputs, same bytes: document timestamps and zip entry dates are fixed by the caller (the
end of the reporting week). Reads the template; writes only the workbook it is asked to save
(atomically, through :func:`helpers.store.atomic_write`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from copy import copy
from datetime import date, datetime
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
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from helpers import ConfigError, store, synthetic
from helpers.packs.sheetxml import (
    SHEET_NAME_CHARS,
    SHEET_ROWS,
    TEXT_KINDS,
    Column,
    PackZip,
    Splice,
    as_strings,
    cut_text,
    is_formula_like,
)
from helpers.paths import TEMPLATES_DIR

TEMPLATE_FILE = TEMPLATES_DIR / "excel.yaml"


# --------------------------------------------------------------------------------------------
# Template
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
# Text that fits: column widths and row heights estimated from the text
# --------------------------------------------------------------------------------------------

TEXT_FIT_DEFAULTS = {"padding": 2, "max_width": 60, "line_points": 15}


def text_lengths(values: pd.Series | pa.Array) -> np.ndarray:
    """Characters of each value as a cell shows it (missing -> 0), column-wise in Arrow."""
    if len(values) == 0:
        return np.zeros(0, dtype="int64")
    arr = values if isinstance(values, pa.Array) else as_strings(values)
    return pc.fill_null(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False).astype("int64")


def text_breaks(values: pd.Series | pa.Array) -> np.ndarray:
    """Line breaks in each value (missing -> 0)."""
    if len(values) == 0:
        return np.zeros(0, dtype="int64")
    arr = values if isinstance(values, pa.Array) else as_strings(values)
    counts = pc.count_substring(arr, "\n")
    return pc.fill_null(counts, 0).to_numpy(zero_copy_only=False).astype("int64")


def text_lines(lengths: np.ndarray, breaks: np.ndarray, width: float, padding: float) -> np.ndarray:
    """Lines a wrapped text takes in a column ``width`` characters wide: one character per
    width unit less the padding (a slight over-estimate: most letters are narrower than the
    digit Excel measures widths in), plus one line per line break."""
    per_line = max(float(width) - float(padding), 1.0)
    return np.maximum(1, np.ceil(lengths / per_line).astype("int64") + breaks)


def column_pixels(width: float) -> float:
    """Pixels of a column ``width`` characters wide at 100 % (Excel: 7 a character of the
    default 11-point font, plus 5 of padding)."""
    return 7.0 * float(width) + 5.0


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
        # "DỮ LIỆU MẪU / SYNTHETIC DATA" when the week is built from generated data (set by
        # build_packs from the ingest ledger): a banner on the front sheet, every page's header
        self.synthetic_mark: str | None = template.get("synthetic_mark")
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self._styles: dict[tuple, int] = {}
        self._arrays: dict[tuple, Any] = {}
        self._splices: dict[str, Splice] = {}
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
        elif kind == "figure":  # counts and shares in one column: 50 and 47.5, never 50.0
            cell.number_format = fmt.get("figure", "General")
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
            left=m["left"] / 2.54,
            right=m["right"] / 2.54,
            top=m["top"] / 2.54,
            bottom=m["bottom"] / 2.54,
            header=m["header"] / 2.54,
            footer=m["footer"] / 2.54,
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

    def page_pixels(self) -> float:
        """Pixels (at 100 %) of column width one printed page holds at ``print.min_font_points``
        (the smallest type a reader is given): the printable width at the scale that prints
        the template's font at that size. Infinite when the template sets no minimum."""
        p = self.template["print"]
        smallest = float(p.get("min_font_points", 0) or 0)
        if not smallest:
            return math.inf
        landscape = str(p["orientation"]) == "landscape"
        paper_cm = 29.7 if landscape else 21.0  # A4
        cm = paper_cm - float(p["margins_cm"]["left"]) - float(p["margins_cm"]["right"])
        points = cm / 2.54 * 72 * float(self.template["font"]["size"]) / smallest
        return points / 0.75  # 0.75 point a pixel

    def fit_page(
        self, columns: Sequence[Column], widths: dict[str, float], longest: dict[str, int]
    ) -> tuple[list[Column], dict[str, float], int]:
        """Columns that print at ``print.min_font_points`` or larger on a page width: text
        columns (names, addresses, reasons, labels; never codes) narrowed and wrapped, down to
        ``text_fit.min_width``; what still does not fit prints on more pages across (the
        frozen columns repeated), never shrunk below readable type. Returns the columns,
        their widths and the pages across."""
        budget = self.page_pixels()
        pixels = lambda w: sum(column_pixels(v) for v in w.values())  # noqa: E731
        if pixels(widths) <= budget:
            return list(columns), widths, 1
        floor = float(self.fit.get("min_width", 16))
        # columns left empty to fill in by hand (visited on, result) keep their room; a table
        # with no rows at all has nothing to write in by hand nor text to keep wide: its header
        # alone must not spread over two pages across
        empty = not any(longest.values())
        narrow = {
            c.name
            for c in columns
            if c.kind in ("text", "long_text", "label") and (empty or longest.get(c.name, 0) > 0)
        }
        fitted_widths, widths = widths, dict(widths)
        for _ in range(4):  # shrink the wide text columns in proportion, none below the floor
            over = pixels(widths) - budget
            wide = [n for n in narrow if widths[n] > floor]
            if over <= 0 or not wide:
                break
            total = sum(widths[n] - floor for n in wide)
            cut = min(over / 7.0, total)
            for n in wide:
                widths[n] = max(floor, math.floor(widths[n] - cut * (widths[n] - floor) / total))
        fitted = [
            Column(c.name, c.header, "long_text")
            if c.name in narrow and widths[c.name] < fitted_widths[c.name] or c.kind == "long_text"
            else c
            for c in columns
        ]
        # a few per cent over (7.9 pt) still prints on one page: not worth a second one
        return fitted, widths, max(1, math.ceil(pixels(widths) / budget - 0.05))

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

    def _header(
        self,
        ws,
        row: int,
        left: int,
        columns: Sequence[Column],
        widths: dict[str, float] | None = None,
    ) -> None:
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
            width = max(
                widths.get(col.name, self.width(col)), self._widths.get((ws.title, index), 0)
            )
            self._widths[(ws.title, index)] = width
            ws.column_dimensions[get_column_letter(index)].width = width
        height = float(self.template.get("header", {}).get("height") or 0)
        if wrap:  # tall enough for the longest wrapped header (bold: a little wider)
            for offset, col in enumerate(columns):
                length = np.array([math.ceil(len(col.header) * 1.1)])
                width = self._widths[(ws.title, left + offset)]
                height = max(
                    height, float(self.row_heights(length, np.zeros(1, "int64"), width)[0])
                )
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
            name=self.template["table_style"],
            showRowStripes=True,
            showColumnStripes=False,
            showFirstColumn=False,
            showLastColumn=False,
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
        strings = {c.name: as_strings(frame[c.name]) for c in columns if c.kind in TEXT_KINDS}
        lengths = {name: text_lengths(arr) for name, arr in strings.items()}
        longest = {k: int(v.max()) if len(v) else 0 for k, v in lengths.items()}
        columns, widths = self.fit_columns(columns, longest)
        limit = int(self.template["print"].get("max_columns", 0) or 0)
        across = 1
        if not limit or len(columns) <= limit:  # a table printed one page wide: readable type
            columns, widths, across = self.fit_page(columns, widths, longest)
        ws = self.sheet(name)
        self._header(ws, 1, 1, columns, widths)
        n = len(frame)
        self._table(ws, 1, 1, columns, n, table_name)
        ws.freeze_panes = f"{get_column_letter(freeze_cols + 1)}2"
        ws.print_title_rows = "1:1"
        self.print_layout(ws, len(columns), freeze_cols)
        if across > 1:
            ws.page_setup.fitToWidth = across
            if freeze_cols:
                ws.print_title_cols = f"A:{get_column_letter(freeze_cols)}"
        heights = np.zeros(n)
        for col in columns:
            if col.kind == "long_text" and n:
                breaks = text_breaks(strings[col.name])
                heights = np.maximum(
                    heights, self.row_heights(lengths[col.name], breaks, widths[col.name])
                )
        self._splices[ws.title] = Splice(
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
        self,
        name: str,
        frame: pd.DataFrame,
        columns: Sequence[Column],
        *,
        table_name: str,
        rows_per_sheet: int = SHEET_ROWS,
        **kwargs,
    ) -> list:
        """A list that may be longer than one sheet: continued on 'name (2)', never cut."""
        rows_per_sheet = max(1, min(rows_per_sheet, SHEET_ROWS))
        sheets = []
        for part, start in enumerate(range(0, max(len(frame), 1), rows_per_sheet), start=1):
            suffix = "" if part == 1 else f" ({part})"
            label = name[: SHEET_NAME_CHARS - len(suffix)] + suffix
            sheets.append(
                self.data_sheet(
                    label,
                    frame.iloc[start : start + rows_per_sheet],
                    columns,
                    table_name=table_name,
                    **kwargs,
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
                ws.conditional_formatting.add(
                    area,
                    ColorScaleRule(
                        start_type="num",
                        start_value=0,
                        start_color=s["low"],
                        mid_type="num",
                        mid_value=0.5,
                        mid_color=s["mid"],
                        end_type="num",
                        end_value=1,
                        end_color=s["high"],
                    ),
                )
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
            width = (
                self._widths.get((ws.title, column))
                or ws.column_dimensions[get_column_letter(column)].width
                or 8.43
            )
            lines = [len(part) for part in value.split("\n")]
            height = self.row_heights(np.array([sum(lines)]), np.array([len(lines) - 1]), width)
            self.grow_row(ws, row, float(height[0]))
        return cell

    def heading(self, ws, row: int, text: str, size_key: str = "subtitle_size") -> None:
        f = self.template["font"]
        cell = self.put(ws, row, 1, text)
        cell.font = Font(
            name=f["name"], size=f[size_key], bold=True, color=self.template["colours"]["title"]
        )

    def note(self, ws, row: int, text: str) -> None:
        cell = self.put(ws, row, 1, text)
        f = self.template["font"]
        cell.font = Font(
            name=f["name"], size=f["size"], italic=True, color=self.template["colours"]["note"]
        )

    def block_table(
        self,
        ws,
        row: int,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Any]],
        *,
        table_name: str,
        kinds: Sequence[Sequence[str]] | None = None,
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
    def properties(
        self,
        *,
        subject: str,
        keywords: str,
        creator: str,
        when: datetime,
        custom: dict[str, str],
        description: str = "",
        category: str = "",
    ) -> None:
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

    def _mark_synthetic(self) -> None:
        """Every sheet of a workbook built from generated data says so on every printed page
        (header: before the handling mark on the right, where a long title on the left does
        not run into it; footer: centre, in both languages) and on its tab."""
        if not self.synthetic_mark:
            return
        colour = self.template["colours"].get("synthetic", "B00020")
        mark = self.synthetic_mark.replace("&", "&&")
        short = synthetic.label(self.lang)  # the header's right holds the handling mark too
        for ws in self.wb.worksheets:
            ws.oddHeader.right.text = f"{short} · {ws.oddHeader.right.text or ''}".rstrip(" ·")
            ws.oddFooter.center.text = mark
            for part in (ws.oddHeader.right, ws.oddFooter.center):
                part.font = "Calibri,Bold"
                part.color = colour
            ws.sheet_properties.tabColor = colour

    def save(self, path: Path, *, level: int = 6) -> Path:
        """Write the workbook atomically; the bytes depend only on the content."""
        self._mark_synthetic()
        when = self.wb.properties.modified or datetime(2000, 1, 1)
        splices = {
            f"xl/worksheets/sheet{index}.xml": self._splices[ws.title]
            for index, ws in enumerate(self.wb.worksheets, start=1)
            if ws.title in self._splices
        }
        stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)

        def write(tmp: Path) -> None:
            archive = PackZip(tmp, date_time=stamp, splices=splices, level=level)
            ExcelWriter(self.wb, archive).save()  # closes the archive

        path = Path(path)
        with store.writing(path):  # a full disk or read-only folder: one clear error
            store.atomic_write(path, write)
        return path


def title_block(book: PackBook, ws, lines: Sequence[str]) -> int:
    """A pack's title lines and its handling mark at the top of a sheet; the next free row.
    A pack built from generated data opens with a banner row saying so."""
    top = 0
    if book.synthetic_mark:
        top = 1
        colour = book.template["colours"].get("synthetic", "B00020")
        banner = book.put(ws, 1, 1, f"{book.synthetic_mark} · {synthetic.note(book.lang)}")
        f = book.template["font"]
        banner.font = Font(name=f["name"], size=f["subtitle_size"], bold=True, color=colour)
        # a light band under the text, which runs on over the empty cells to its right
        for column in range(1, 9):
            ws.cell(row=1, column=column).fill = PatternFill("solid", fgColor="FCE4E4")
    book.heading(ws, top + 1, lines[0], "title_size")
    for offset, line in enumerate(lines[1:], start=top + 2):
        book.put(ws, offset, 1, line)
    book.note(ws, top + len(lines) + 1, book.mark)
    # the title rows repeat on every printed page with the mark: the page header's copy
    # would print it twice a page
    ws.oddHeader.right.text = ""
    return top + len(lines) + 3
