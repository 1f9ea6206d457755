"""A returned form read back through ingest: exactly the typed figures, and each refusal."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers.config import load_plan
from helpers.forms import FormError
from helpers.forms.layout import FIRST_ROW
from helpers.forms.write import (
    Period,
    build_form,
    daily_rows,
    form_file_name,
    form_identity,
    org_rows,
)
from helpers.ingest.sources import SourceFiles
from helpers.ingest.week import ingest_source
from helpers.paths import Workspace

PERIOD = Period(date(2025, 11, 18), date(2025, 11, 24), date(2025, 11, 24), date(2025, 11, 25))
DUE = "2025-11-24"
TYPED = {  # day index -> the four counts a clerk types
    0: (12, 10, 7, 5),
    1: (0, 0, 3, 3),
    3: (25, 20, 0, 1),
}


def _write(ws: Workspace, form: str, unit: str = "00008", period: Period = PERIOD) -> Path:
    name = "Phường Ngọc Hà"
    if form == "unit_daily":
        rows = daily_rows(unit, name, period)
    else:
        orgs = pd.DataFrame(
            {
                "org_id": ["0100109106", "0101234567"],
                "org_name": ["Công ty A", "Trường B"],
                "org_type": ["enterprise", "school"],
                "unit_code": [unit, unit],
                "vehicles_on_record": [4, 1],
            }
        )
        rows = org_rows(orgs)
    book = build_form(form_identity(form, unit, period), name, rows, load_plan(), period)
    folder = ws.raw / DUE / ("unit_reports" if form == "unit_daily" else "organizations")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / form_file_name(form, unit, "phuong-ngoc-ha", period)
    book.save(path)
    return path


def _fill_daily(path: Path) -> None:
    """As a clerk would: open, type the counts into the yellow cells, save."""
    wb = openpyxl.load_workbook(path)
    sheet = wb.worksheets[0]
    for day, counts in TYPED.items():
        for j, value in enumerate(counts, start=5):
            sheet.cell(row=FIRST_ROW + day, column=j, value=value)
    wb.save(path)


def _ingest(ws: Workspace, source: str, *paths: Path, tmp: Path):
    staging = tmp / "staging"
    staging.mkdir(exist_ok=True)
    files, rejects, _ = ingest_source(ws, source, SourceFiles(source, DUE, paths), staging)
    table = pd.read_parquet(staging / f"{source}.parquet")
    return files, rejects, table


def test_a_filled_daily_form_reads_back_exactly_the_typed_figures(tmp_ws, tmp_path) -> None:
    path = _write(tmp_ws, "unit_daily")
    _fill_daily(path)
    files, rejects, table = _ingest(tmp_ws, "unit_reports", path, tmp=tmp_path)
    assert rejects.empty
    got = {
        (r.report_date - date(2025, 11, 18)).days: (
            r.vehicles_collected,
            r.vehicles_approved,
            r.licences_collected,
            r.licences_cleaned,
        )
        for r in table.itertuples()
    }
    assert got == TYPED
    assert set(table["unit_code"]) == {"00008"}
    entry = files[0]
    assert entry["form"]["form"] == "unit_daily" and entry["form"]["refused"] is None
    assert entry["rows_accepted"] == 3 and entry["rows_skipped"]["blank"] == 4
    assert entry["balanced"]


def test_a_filled_org_form_reads_back_the_answers(tmp_ws, tmp_path) -> None:
    path = _write(tmp_ws, "org_review")
    wb = openpyxl.load_workbook(path)
    sheet = wb.worksheets[0]
    sheet.cell(row=FIRST_ROW, column=6, value=date(2025, 11, 20))
    sheet.cell(row=FIRST_ROW, column=7, value="Có")
    sheet.cell(row=FIRST_ROW, column=8, value=4)
    sheet.cell(row=FIRST_ROW, column=9, value=3)
    new = FIRST_ROW + 2  # the first blank row: an organisation the registry does not know
    for j, value in enumerate(
        ["0109999999", "Bệnh viện C", "Bệnh viện", None, None, None, None, 2], 2
    ):
        sheet.cell(row=new, column=j, value=value)
    wb.save(path)
    _, rejects, table = _ingest(tmp_ws, "organizations", path, tmp=tmp_path)
    assert rejects.empty
    a = table.set_index("org_id").loc["0100109106"]
    assert (
        a.dispatch_sent_on,
        bool(a.worked_directly),
        a.vehicles_counted,
        a.vehicles_declared,
    ) == (
        date(2025, 11, 20),
        True,
        4,
        3,
    )
    c = table.set_index("org_id").loc["0109999999"]
    assert (c.org_type, c.unit_code, c.vehicles_declared) == ("hospital", "00008", 2)
    assert "0101234567" not in set(table["org_id"])  # listed, not answered: no row


def test_a_returned_org_answer_supersedes_the_exports_row(tmp_ws, tmp_path) -> None:
    path = _write(tmp_ws, "org_review")
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0].cell(row=FIRST_ROW, column=8, value=9)
    wb.save(path)
    export = tmp_ws.raw / DUE / "organizations.csv"
    export.write_text(
        "org_id,org_name,org_type,unit_code,vehicles_counted\n"
        "0100109106,Công ty A,enterprise,00008,1\n0107777777,Công ty D,enterprise,00008,2\n",
        "utf-8",
    )
    files, rejects, table = _ingest(tmp_ws, "organizations", export, path, tmp=tmp_path)
    assert rejects.empty
    assert table.set_index("org_id")["vehicles_counted"].to_dict() == {
        "0107777777": 2,
        "0100109106": 9,
    }
    assert files[0]["rows_skipped"]["superseded"] == 1 and files[0]["balanced"]


def _refused(
    tmp_ws, tmp_path, path: Path, source: str = "unit_reports"
) -> tuple[dict, pd.DataFrame]:
    files, rejects, table = _ingest(tmp_ws, source, path, tmp=tmp_path)
    assert table.empty
    return files[0], rejects


def test_a_form_of_another_unit_is_refused_whole(tmp_ws, tmp_path) -> None:
    path = _write(tmp_ws, "unit_daily", unit="00070")
    _fill_daily(path)
    moved = path.with_name("00008_phuong-ngoc-ha.xlsx")  # returned under another unit's name
    path.rename(moved)
    entry, rejects = _refused(tmp_ws, tmp_path, moved)
    assert entry["form"]["refused"] == "form_other_unit"
    assert entry["rows_rejected"] == 3 and entry["balanced"]
    assert set(rejects["reason_code"]) == {"form_other_unit"}


def test_a_form_of_another_period_is_refused_whole(tmp_ws, tmp_path) -> None:
    earlier = Period(date(2025, 11, 11), date(2025, 11, 17), date(2025, 11, 17), date(2025, 11, 18))
    path = _write(tmp_ws, "unit_daily", period=earlier)
    _fill_daily(path)
    entry, rejects = _refused(tmp_ws, tmp_path, path)
    assert entry["form"]["refused"] == "form_other_period"
    assert set(rejects["value"]) == {"2025-11-17"}


def test_an_older_version_of_the_form_is_refused_whole(tmp_ws, tmp_path) -> None:
    path = _write(tmp_ws, "unit_daily")
    _fill_daily(path)
    wb = openpyxl.load_workbook(path)
    ident = wb["_form"]
    next(r for r in ident.iter_rows() if r[0].value == "version")[1].value = "0"
    wb.save(path)
    entry, _ = _refused(tmp_ws, tmp_path, path)
    assert entry["form"]["refused"] == "form_old_version"


def test_a_changed_locked_cell_refuses_the_form_naming_the_cell(tmp_ws, tmp_path) -> None:
    path = _write(tmp_ws, "unit_daily")
    _fill_daily(path)
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0].cell(row=FIRST_ROW + 1, column=3, value="00070")  # the row moved to a unit
    wb.save(path)
    entry, rejects = _refused(tmp_ws, tmp_path, path)
    assert (entry["form"]["refused"], entry["form"]["cell"]) == ("form_locked_changed", "C9")
    assert set(rejects["value"]) == {"C9"}


def test_a_form_with_a_damaged_identity_stops_naming_the_file(tmp_ws, tmp_path) -> None:
    path = _write(tmp_ws, "unit_daily")
    wb = openpyxl.load_workbook(path)
    next(r for r in wb["_form"].iter_rows() if r[0].value == "due")[1].value = "soon"
    wb.save(path)
    with pytest.raises(FormError, match=path.name):
        _ingest(tmp_ws, "unit_reports", path, tmp=tmp_path)


def test_a_free_form_workbook_is_still_read(tmp_ws, tmp_path) -> None:
    folder = tmp_ws.raw / DUE / "unit_reports"
    folder.mkdir(parents=True)
    wb = openpyxl.Workbook()
    wb.active.append(
        [
            "report_date",
            "unit_code",
            "vehicles_collected",
            "vehicles_approved",
            "licences_collected",
            "licences_cleaned",
        ]
    )
    wb.active.append(["2025-11-20", "00008", 4, 3, 2, 1])
    wb.save(folder / "00008_free.xlsx")
    files, rejects, table = _ingest(
        tmp_ws, "unit_reports", folder / "00008_free.xlsx", tmp=tmp_path
    )
    assert rejects.empty and len(table) == 1 and "form" not in files[0]
