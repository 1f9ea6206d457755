"""Workbooks: title blocks, merged cells, totals rows, typed cells; protected and old-format
workbooks named as such."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pyarrow as pa

from helpers import DeliveryError
from helpers.ingest.rawfile import RawFile, assemble, bad_file, find_header
from helpers.ingest.sources import HEADER_SEARCH_ROWS, relative
from helpers.paths import Workspace

# ---- xlsx


def _cell_text(value: object) -> str | None:
    """One spreadsheet cell as text: dates ISO, whole floats without '.0', empty -> None."""
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_MERGE = re.compile(rb'<mergeCell[^>]*ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _merged_ranges(archive: zipfile.ZipFile, member: str) -> list[tuple[int, int, int, int]]:
    """(first row, first col, last row, last col), 0-based, of every merged range of a sheet."""
    xml = archive.read(member)
    return [
        (int(r1) - 1, _col_index(c1), int(r2) - 1, _col_index(c2))
        for c1, r1, c2, r2 in _MERGE.findall(xml)
    ]


def _sheet_grid(sheet, archive: zipfile.ZipFile | None) -> list[list[str | None]]:
    """Every row of a sheet from row 1 as text cells, merged ranges filled with their value.

    Plain lists: workbooks are small (a unit's days) or bounded by Excel's row limit, and
    openpyxl hands over one cell at a time anyway.
    """
    sheet.reset_dimensions()  # some writers store a wrong <dimension>; read what is there
    grid = [
        [_cell_text(v) for v in row]
        for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)
    ]
    width = max((len(r) for r in grid), default=0)
    for row in grid:
        row.extend([None] * (width - len(row)))
    if archive is not None and grid:
        for r1, c1, r2, c2 in _merged_ranges(archive, sheet._worksheet_path.lstrip("/")):
            if r1 >= len(grid) or c1 >= width:
                continue
            value = grid[r1][c1]
            for r in range(r1, min(r2, len(grid) - 1) + 1):
                grid[r][c1 : min(c2, width - 1) + 1] = [value] * (min(c2, width - 1) + 1 - c1)
    return grid


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: .xls, or an encrypted .xlsx


def read_xlsx_file(path: Path, ws: Workspace, source: str, delivery: str) -> list[RawFile]:
    from openpyxl import load_workbook

    file = relative(ws, path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise bad_file(file, f"cannot be read ({exc.strerror or exc})") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if not raw:
        raise bad_file(file, "empty: expected an Excel workbook, found a file of 0 bytes")
    if raw.startswith(_OLE):
        if "EncryptedPackage".encode("utf-16-le") in raw:
            raise bad_file(
                file,
                "protected by a password: open it in Excel, remove the "
                "password (File > Info > Protect Workbook) and save it again as .xlsx",
            )
        raise bad_file(
            file,
            "an old Excel 97-2003 workbook (.xls) named .xlsx: open it in "
            "Excel and save it as an Excel Workbook (.xlsx)",
        )
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise bad_file(file, f"unreadable: expected an Excel .xlsx workbook ({exc})") from exc
    sheets: list[tuple[str, list, int, dict[int, str]]] = []
    first_error: DeliveryError | None = None
    try:
        for sheet in book.worksheets:
            grid = _sheet_grid(sheet, archive)
            if not any(c is not None and c.strip() for row in grid for c in row):
                continue
            label = f"{file} (sheet '{sheet.title}')" if len(book.worksheets) > 1 else file
            try:
                idx, mapping = find_header(grid[:HEADER_SEARCH_ROWS], source, label)
            except DeliveryError as exc:
                first_error = first_error or exc
                continue
            sheets.append((sheet.title, grid, idx, mapping))
    finally:
        book.close()
    if not sheets:
        raise first_error or bad_file(
            file, "empty: expected a header row and data rows, found no cells with values"
        )
    out = []
    for title, grid, idx, mapping in sheets:
        width = len(grid[idx])
        columns = list(zip(*grid[idx + 1 :], strict=True)) or [()] * width
        table = pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})
        out.append(
            assemble(
                source=source,
                file=file if len(sheets) == 1 else f"{file}#{title}",
                sha256=digest,
                delivery=delivery,
                header_cells=grid[idx],
                mapping=mapping,
                header_row=idx + 1,
                title_rows=idx,
                body=table,
                lines=np.arange(idx + 2, len(grid) + 1),
            )
        )
    return out
