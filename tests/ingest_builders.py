"""Tiny builders of raw delivery files for the ingest tests (CSV, xlsx, Parquet)."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from helpers.paths import Workspace

WEEK = "2025-11-23"

# One valid row per source, canonical headers; tests override cells.
VALID: dict[str, dict[str, str]] = {
    "registry_vehicles": {
        "record_id": "V0001",
        "unit_code": "00008",
        "plate": "29A-123.45",
        "vehicle_type": "car",
        "chassis_no": "RLHJC1234",
        "engine_no": "E123",
        "registered_on": "12/03/2019",
        "owner_kind": "individual",
        "owner_name": "Nguyễn Văn An",
        "owner_id": "001090012345",
        "owner_dob": "05/06/1980",
        "owner_address": "12 Hàng Bài",
    },
    "registry_licences": {
        "record_id": "L0001",
        "unit_code": "00008",
        "licence_no": "010012345678",
        "licence_class": "B2",
        "holder_name": "Trần Thị Bình",
        "holder_id": "001185012345",
        "holder_dob": "1985-01-02",
        "issued_on": "01/02/2015",
        "expires_on": "01/02/2035",
    },
    "population": {
        "citizen_id": "001090012345",
        "full_name": "Nguyễn Văn An",
        "dob": "05/06/1980",
        "gender": "male",
        "unit_code": "00008",
        "status": "alive",
    },
    "submissions": {
        "submission_id": "S0001",
        "submitted_at": "2025-11-12 08:30:00",
        "kind": "vehicle",
        "citizen_id": "001090012345",
        "full_name": "Nguyễn Văn An",
        "dob": "05/06/1980",
        "phone": "0912345678",
        "plate": "29A12345",
        "chassis_no": "",
        "declared_status": "in_use",
        "licence_no": "",
        "unit_code": "00008",
        "review_status": "pending",
        "reviewed_at": "",
        "reject_reason": "",
    },
    "unit_reports": {
        "report_date": "20/11/2025",
        "unit_code": "00008",
        "vehicles_collected": "12",
        "vehicles_approved": "10",
        "licences_collected": "5",
        "licences_cleaned": "4",
    },
    "organizations": {
        "org_id": "0101234567",
        "org_name": "Công ty TNHH Ánh Dương",
        "org_type": "enterprise",
        "unit_code": "00008",
        "dispatch_sent_on": "15/11/2025",
        "worked_directly": "yes",
        "vehicles_counted": "30",
        "vehicles_declared": "12",
    },
    "commitments": {
        "unit_code": "00008",
        "measure": "veh_cleaned",
        "target": "500",
        "by_date": "30/11/2025",
        "given_on": "18/11/2025",
        "commitment_text": "Làm sạch thêm 500 hồ sơ xe trước 30/11",
    },
}


def rows_of(source: str, *overrides: dict[str, str]) -> list[dict[str, str]]:
    """Valid rows of ``source``, each with its overrides applied (keys stay unique)."""
    rows = []
    for i, over in enumerate(overrides or ({},)):
        row = dict(VALID[source])
        key = {
            "registry_vehicles": "record_id",
            "registry_licences": "record_id",
            "submissions": "submission_id",
        }.get(source)
        if key:
            row[key] = f"{row[key]}-{i}"
        if source == "population":
            row["citizen_id"] = f"0010900{i:05d}"
        if source == "organizations":  # natural keys unique too (docs/rules.md, repeats)
            row["org_id"] = f"01012345{i:02d}"
        if source == "unit_reports":
            row["report_date"] = f"{20 - i:02d}/11/2025"
        if source == "commitments":  # unit + measure + date given unique
            row["given_on"] = f"{18 - i:02d}/11/2025"
        row.update(over)
        rows.append(row)
    return rows


def csv_bytes(
    header: list[str],
    rows: list[list[str]],
    *,
    sep: str = ",",
    encoding: str = "utf-8",
    title: tuple[str, ...] = (),
) -> bytes:
    buf = io.StringIO(newline="")
    for line in title:
        buf.write(line + "\r\n")
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    header: list[str] | None = None,
    sep: str = ",",
    encoding: str = "utf-8",
    title: tuple[str, ...] = (),
) -> Path:
    names = list(rows[0])
    data = csv_bytes(
        header or names,
        [[r[n] for n in names] for r in rows],
        sep=sep,
        encoding=encoding,
        title=title,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    return path


def write_xlsx(
    path: Path,
    rows: list[dict[str, object]],
    *,
    header: list[str] | None = None,
    title: tuple[str, ...] = (),
    totals: bool = False,
    merges: tuple[str, ...] = (),
    blank_between: bool = False,
) -> Path:
    """A workbook like the units send: title lines, blank line, header, rows, totals row."""
    book = Workbook()
    sheet = book.active
    names = list(rows[0])
    for line in title:
        sheet.append([line])
    if title:
        sheet.append([])
    sheet.append(header or names)
    for row in rows:
        sheet.append([row[n] for n in names])
        if blank_between:
            sheet.append([])
    if totals:
        sheet.append(["Tổng cộng"] + [None] * (len(names) - 1))
    for ref in merges:
        sheet.merge_cells(ref)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_parquet(path: Path, rows: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path


def full_delivery(ws: Workspace, week: str = WEEK, skip: tuple[str, ...] = ()) -> Path:
    """A delivery folder holding every source as a small valid CSV (unit reports as xlsx)."""
    folder = ws.raw / week
    for source in VALID:
        if source in skip:
            continue
        if source == "unit_reports":
            write_xlsx(folder / "unit_reports" / "00008.xlsx", rows_of(source))
        else:
            write_csv(folder / f"{source}.csv", rows_of(source))
    return folder
