"""Read one raw file of a source, whatever its form."""

from __future__ import annotations

from pathlib import Path

from helpers.ingest.rawfile import RawFile, bad_file
from helpers.ingest.read_csv import read_csv_file
from helpers.ingest.read_form import read_form
from helpers.ingest.read_parquet import read_parquet_file
from helpers.ingest.read_xlsx import read_xlsx_file
from helpers.ingest.sources import RAW_FORMATS, raw_format, relative
from helpers.paths import Workspace


def read_file(ws: Workspace, source: str, path: Path, delivery: str) -> list[RawFile]:
    """Read one raw file of ``source``; a workbook gives one :class:`RawFile` per data sheet.

    Raises :class:`DeliveryError` naming the file when it is unreadable, holds no header row,
    lacks a required column, or holds no data rows.
    """
    fmt = raw_format(path)
    if fmt in (".csv", ".csv.gz"):
        parts = [read_csv_file(path, ws, source, delivery)]
    elif fmt == ".xlsx":
        # a form the suite issued is read by its known cells; any other workbook as before
        form = read_form(ws, source, path, delivery)
        if form is not None:
            return form
        parts = read_xlsx_file(path, ws, source, delivery)
    elif fmt == ".parquet":
        parts = [read_parquet_file(path, ws, source, delivery)]
    else:
        raise bad_file(relative(ws, path), f"unknown format; expected one of {RAW_FORMATS}")
    if sum(p.rows.num_rows for p in parts) == 0:
        raise bad_file(
            relative(ws, path),
            "empty: a header row was found but no data rows below it "
            f"({sum(p.rows_read for p in parts)} rows, all title, blank or totals)",
        )
    return parts
