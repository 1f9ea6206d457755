"""Builders shared by the packs tests: hand-made processed tables (the contract in
docs/architecture.md), a week written from them, and readers of the packs built."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from helpers import packs, schemas, store
from helpers.config import load_plan
from helpers.paths import Workspace
from helpers.statuses import DIFFICULT_GROUPS, LICENCE_STATUSES, VEHICLE_STATUSES
from helpers.units import official_units
from tests.pii import open_pack, unit_password

WEEK = "2025-11-23"


UNITS = official_units()


U1, U2, U3 = UNITS["unit_code"].iloc[:3]


# Encryption is not the point of the hand-made tests (tests/packs/test_protect.py tests it): they read
# the packs as written; the sample tests below open the encrypted packs with their passwords.
PLAIN = replace(load_plan(), unit_packs={**load_plan().unit_packs, "encrypt": False})


INJECTIONS = ['=HYPERLINK("http://x","y")', "+84912345678", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


# --------------------------------------------------------------------------------------------
# builders of the processed tables (the contract in docs/architecture.md)
# --------------------------------------------------------------------------------------------


def make_vehicle_status(rows: list[dict]) -> pd.DataFrame:
    base = {
        "record_id": None,
        "unit_code": U1,
        "vehicle_type": "motorbike",
        "owner_kind": "individual",
        "status": "not_submitted",
        "status_reason": "reason en",
        "status_reason_vi": "lý do",
        "flags": [],
        "submission_id": None,
        "n_submissions": 0,
        "first_submitted_at": pd.NaT,
        "last_submitted_at": pd.NaT,
        "review_status": None,
        "reviewed_at": pd.NaT,
        "identity_result": "match",
        "identity_confidence": 1.0,
        "plate": "29A-000.01",
        "owner_name": "Nguyễn Văn An",
        "owner_id": "001090000001",
        "owner_address": "1 Phố Huế",
    }
    out = []
    for i, row in enumerate(rows, start=1):
        rec = {
            **base,
            "record_id": f"V{i:06d}",
            "plate": f"29A-{i:03d}.{i % 100:02d}",
            "owner_id": f"0010900{i:05d}",
            **row,
        }
        out.append(rec)
    frame = pd.DataFrame(out)
    for col in ("first_submitted_at", "last_submitted_at", "reviewed_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def make_licence_status(rows: list[dict]) -> pd.DataFrame:
    base = {
        "record_id": None,
        "unit_code": U1,
        "licence_no": None,
        "licence_class": "A1",
        "status": "not_submitted",
        "status_reason": "reason en",
        "status_reason_vi": "lý do",
        "flags": [],
        "submission_id": None,
        "n_submissions": 0,
        "first_submitted_at": pd.NaT,
        "last_submitted_at": pd.NaT,
        "review_status": None,
        "reviewed_at": pd.NaT,
        "identity_result": "match",
        "identity_confidence": 1.0,
        "holder_name": "Trần Thị Bình",
        "holder_id": "002090000001",
    }
    out = []
    for i, row in enumerate(rows, start=1):
        out.append(
            {
                **base,
                "record_id": f"L{i:06d}",
                "licence_no": f"0100000{i:05d}",
                "holder_id": f"0020900{i:05d}",
                **row,
            }
        )
    frame = pd.DataFrame(out)
    for col in ("first_submitted_at", "last_submitted_at", "reviewed_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def make_submissions(rows: list[dict]) -> pd.DataFrame:
    base = {
        "submission_id": None,
        "submitted_at": datetime(2025, 11, 15, 9, 30),
        "kind": "vehicle",
        "citizen_id": "001090099999",
        "full_name": "Lê Văn Cường",
        "phone": "0912345678",
        "plate": None,
        "chassis_no": None,
        "licence_no": None,
        "unit_code": U1,
        "review_status": "pending",
        "reviewed_at": pd.NaT,
        "reject_reason": None,
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def make_links(subs: pd.DataFrame, record_ids: dict[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "submission_id": subs["submission_id"],
            "kind": subs["kind"],
            "unit_code": subs["unit_code"],
            "record_id": [record_ids.get(s) for s in subs["submission_id"]],
            "link_method": [
                "plate" if record_ids.get(s) else "none" for s in subs["submission_id"]
            ],
            "is_duplicate": False,
            "superseded_by": None,
            "link_reason": [
                "plate_match" if record_ids.get(s) else "no_record_vehicle"
                for s in subs["submission_id"]
            ],
            "submitted_at": subs["submitted_at"],
            "review_status": subs["review_status"],
            "reviewed_at": subs["reviewed_at"],
        }
    )


def make_unit_progress() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = len(UNITS)
    out = UNITS[["unit_code", "unit_name", "unit_kind"]].copy()
    for p in ("veh", "lic"):
        assigned = rng.integers(1000, 5000, n)
        cleaned = (assigned * rng.uniform(0.05, 0.6, n)).astype(int)
        out[f"{p}_assigned"] = assigned
        out[f"{p}_submitted"] = cleaned + 50
        out[f"{p}_approved"] = cleaned + 10
        out[f"{p}_cleaned"] = cleaned
        out[f"{p}_pending"] = 40
        out[f"{p}_rejected"] = 5
        out[f"{p}_not_submitted"] = assigned - cleaned - 50
        out[f"{p}_difficult"] = 30
        out[f"{p}_share_cleaned"] = cleaned / assigned
        out[f"{p}_cleanable"] = assigned - 30
        out[f"{p}_share_cleaned_cleanable"] = cleaned / (assigned - 30)
        out[f"{p}_share_submitted"] = (cleaned + 50) / assigned
        out[f"{p}_gain_week"] = rng.integers(0, 300, n)
        out[f"{p}_gain_prev_week"] = rng.integers(0, 300, n)
        out[f"{p}_rate_7d"] = out[f"{p}_gain_week"] / 7
        out[f"{p}_required_rate"] = (assigned - cleaned) / 46
        out[f"{p}_projected_finish"] = pd.Series([date(2026, 1, 20)] * n, dtype="date32[pyarrow]")
        out[f"{p}_days_late"] = 12
        out[f"{p}_on_track"] = False
        groups = [
            s
            for s in (VEHICLE_STATUSES if p == "veh" else LICENCE_STATUSES)
            if s in DIFFICULT_GROUPS
        ]
        for g in groups:
            out[f"{p}_group_{g}"] = rng.integers(0, 20, n)
    out["backlog_pending"] = 80
    out["backlog_median_lag_days"] = 2.5
    out["backlog_oldest_days"] = rng.integers(0, 15, n)
    order = out["veh_share_cleaned"].rank(ascending=False, method="first").astype(int)
    out["rank"] = order
    out["rank_prev"] = order
    out["rank_change"] = 0
    out["standing"] = np.where(
        order > 110, "off_track", np.where(order > 60, "at_risk", "on_track")
    )
    out["is_laggard"] = order > 110
    out["is_leader"] = order <= 5
    out["self_report_ratio"] = 1.05
    out["self_report_overstated"] = False
    for c in (
        "org_count",
        "org_dispatches",
        "org_worked_directly",
        "org_vehicles_counted",
        "org_vehicles_declared",
    ):
        out[c] = 3
    return out


def make_city_progress(units: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for kind, p in (("vehicle", "veh"), ("licence", "lic")):
        rows.append(
            {
                "kind": kind,
                "assigned": units[f"{p}_assigned"].sum(),
                "submitted": units[f"{p}_submitted"].sum(),
                "approved": units[f"{p}_approved"].sum(),
                "cleaned": units[f"{p}_cleaned"].sum(),
                "share_cleaned": units[f"{p}_cleaned"].sum() / units[f"{p}_assigned"].sum(),
                "cleanable": units[f"{p}_cleanable"].sum(),
                "share_cleaned_cleanable": units[f"{p}_cleaned"].sum()
                / units[f"{p}_cleanable"].sum(),
                "share_submitted": 0.5,
                "gain_week": 100,
                "gain_prev_week": 90,
                "rate_7d": 14.3,
                "required_rate": 50.0,
                "projected_finish": date(2026, 2, 1),
                "days_late": 24,
                "on_track": False,
                "days_left": 46,
                "units_on_track": 60,
                "units_at_risk": 50,
                "units_off_track": 16,
                "pending": 5040,
                "oldest_pending_days": 14,
                "submissions_total": 9999,
                "submissions_week": 999,
                "difficult": 3780,
            }
        )
    return pd.DataFrame(rows)


def write_week(ws: Workspace, *, vehicles=None, licences=None, submissions=None, links=None):
    units = make_unit_progress()
    vehicles = vehicles if vehicles is not None else default_vehicles()
    licences = (
        licences
        if licences is not None
        else make_licence_status(
            [
                {"status": "identity_mismatch", "identity_result": "dob_mismatch"},
                {"status": "holder_deceased", "unit_code": U2},
            ]
        )
    )
    if submissions is None:
        submissions = make_submissions(
            [
                {"submission_id": "S1", "plate": "29A-001.01"},
                {"submission_id": "S9", "plate": "30K-999.99", "full_name": INJECTIONS[0]},
                {"submission_id": "S8", "plate": "30K-888.88", "unit_code": U2},
            ]
        )
        links = make_links(submissions, {"S1": "V000001"})
    tables = {
        "vehicle_status": vehicles,
        "licence_status": licences,
        "submissions": submissions,
        "submission_links": links,
        "unit_progress": units,
        "unit_daily": make_unit_daily(),
        "city_progress": make_city_progress(units),
        "laggards": pd.DataFrame(
            {
                "unit_code": units.loc[units["is_laggard"], "unit_code"],
                "unit_name": units.loc[units["is_laggard"], "unit_name"],
                "rank": units.loc[units["is_laggard"], "rank"],
                "veh_share_cleaned": units.loc[units["is_laggard"], "veh_share_cleaned"],
                "veh_share_cleaned_cleanable": units.loc[
                    units["is_laggard"], "veh_share_cleaned_cleanable"
                ],
                "rules": [["veh_below_median"]] * int(units["is_laggard"].sum()),
                "reason_vi": "xe: làm sạch thấp",
                "reason_en": "vehicles: cleaned little",
            }
        ),
        "leaders": pd.DataFrame(
            {
                "unit_code": [U1, U2],
                "unit_name": ["A", "B"],
                "category": ["share", "gain"],
                "measure": ["share_cleanable", "gain_records"],
                "position": [1, 1],
                "value": [0.61, 250.0],
                "reason_vi": ["tốt", "nhanh"],
                "reason_en": ["good", "fast"],
            }
        ),
        "daily_series": pd.DataFrame(
            [
                {
                    "date": date(2025, 11, 10) + timedelta(days=d),
                    "kind": kind,
                    "submitted_day": 10,
                    "approved_day": 8,
                    "cleaned_day": 7,
                    "submitted_cum": 10 * (d + 1),
                    "approved_cum": 8 * (d + 1),
                    "cleaned_cum": 7 * (d + 1),
                    "target_cum": 20 * (d + 1),
                }
                for d in range(14)
                for kind in ("vehicle", "licence")
            ]
        ),
        "org_summary": pd.DataFrame(
            {
                "org_type": ["enterprise", "school"],
                "orgs": [10, 5],
                "dispatches_sent": [8, 5],
                "worked_directly": [2, 1],
                "vehicles_counted": [100, 50],
                "vehicles_declared": [90, 40],
            }
        ),
        "talking_points": pd.DataFrame(
            {
                "lang": ["vi", "vi", "en", "en"],
                "order": [1, 2, 1, 2],
                "text": ["Điểm một", "-Điểm hai", "Point one", "-Point two"],
            }
        ),
        "unit_self_report_check": pd.DataFrame(
            {
                "report_date": [date(2025, 11, 20), date(2025, 11, 21), date(2025, 11, 1)],
                "unit_code": [U1, U1, U1],
                "reported_vehicles_collected": [10, 20, 99],
                "system_vehicles_collected": [8, 10, 1],
                "reported_total": [10, 20, 99],
                "system_total": [8, 10, 1],
                "ratio": [1.25, 2.0, 99.0],
                "overstated": [True, True, True],
            }
        ),
        "rejects": pd.DataFrame(
            {
                "source": ["submissions", "submissions", "registry_vehicles"],
                "source_file": ["a.csv"] * 3,
                "source_row": [2, 3, 4],
                "column": ["citizen_id"] * 3,
                "value": ["001099888777", "x", "y"],
                "reason_code": ["invalid_id", "invalid_id", "invalid_plate"],
                "reason": ["r"] * 3,
                "reason_vi": ["r"] * 3,
            }
        ),
    }
    for name, frame in tables.items():
        store.save(ws, schemas.complete(name, frame), name, WEEK)
    store.save_json(
        ws,
        {
            "files": [
                {
                    "source": "submissions",
                    "file": "2025-11-23/submissions.csv",
                    "sha256": "0",
                    "rows_read": 5,
                    "rows_accepted": 3,
                    "rows_rejected": 2,
                    "rows_skipped": {"blank": 0},
                    "balanced": True,
                }
            ]
        },
        "ledger",
        WEEK,
    )
    return tables


def default_vehicles() -> pd.DataFrame:
    return make_vehicle_status(
        [
            {
                "status": "pending_review",
                "last_submitted_at": "2025-11-20 10:00",
                "submission_id": "S1",
                "review_status": "pending",
                "n_submissions": 1,
            },
            {
                "status": "pending_review",
                "last_submitted_at": "2025-11-12 08:00",
                "review_status": "pending",
                "n_submissions": 1,
                "submission_id": "S2",
            },
            {
                "status": "not_submitted",
                "owner_address": "5 ngõ 12 Phố Huế",
                "owner_name": INJECTIONS[0],
            },
            {"status": "not_submitted", "owner_address": "5 ngõ 12 Phố Huế"},
            {"status": "not_submitted", "owner_address": "3 Phố Huế"},
            {"status": "not_submitted", "owner_address": "12 Phố Huế"},
            {"status": "not_submitted", "owner_address": "2 Đội Cấn"},
            {"status": "owner_deceased", "owner_name": "+84912345678"},
            {"status": "identity_mismatch", "identity_result": "dob_day_month_swapped"},
            {"status": "cleaned"},
            {
                "status": "not_submitted",
                "unit_code": U2,
                "owner_address": "9 Phố Khác",
                "owner_name": "Phạm Thị Dung",
                "owner_id": "001190000999",
            },
            {"status": "pending_review", "unit_code": U3, "last_submitted_at": "2025-11-14 08:00"},
            {"status": "owner_resides_elsewhere", "population_unit_code": U3},
        ]
    )


def make_unit_daily() -> pd.DataFrame:
    """23 days of U1 and U2 (the packs show the last 14), a day missing for licences."""
    rows = [
        {
            "unit_code": code,
            "kind": kind,
            "date": date(2025, 11, 1) + timedelta(days=d),
            "submitted_day": 10 + d + k,
            "approved_day": 5 + d,
            "cleaned_day": 3 + d + 2 * k + (100 if code == U2 else 0),
        }
        for code in (U1, U2)
        for k, kind in enumerate(("vehicle", "licence"))
        for d in range(23)
        if not (kind == "licence" and d == 20)
    ]
    return pd.DataFrame(rows)


def build(ws, out, lang="vi", **kwargs):
    kwargs.setdefault("units", [U1, U2, U3])
    kwargs.setdefault("unit_lang", lang)  # read the unit packs in the language of the test
    kwargs.setdefault("plan", PLAIN)
    return packs.build_packs(ws, WEEK, out, lang, workers=1, **kwargs)


def cells(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def table_rows(sheet) -> list[dict]:
    """Rows of a data sheet (header on row 1) as dicts keyed by header."""
    rows = cells(sheet)
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:] if any(v is not None for v in r)]


def unit_file(out, code):
    slug = UNITS.set_index("unit_code").at[code, "slug"]
    return out / "units" / f"{code}-{slug}.xlsx"


# --------------------------------------------------------------------------------------------
# the city pack
# --------------------------------------------------------------------------------------------

CITY_SHEETS = (
    "summary",
    "print_vehicles",
    "print_licences",
    "print_reviews",
    "print_difficult_vehicles",
    "print_difficult_licences",
    "print_organisations",
    "units",
    "laggards",
    "leaders",
    "commitments",
    "difficult",
    "backlog",
    "organisations",
    "self_reports",
    "data_quality",
    "files",
    "trend",
)


# --------------------------------------------------------------------------------------------
# reproducible and bundled
# --------------------------------------------------------------------------------------------


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path, ws: Workspace | None = None) -> dict[str, list[tuple]]:
    """Every sheet's rows; a unit pack (``ws`` given) is opened with its unit's password."""
    if ws is not None:
        path = io.BytesIO(
            open_pack(Path(path).read_bytes(), unit_password(ws, Path(path).name[:5]))
        )
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


# --------------------------------------------------------------------------------------------
# Texts longer than a cell, a full disk
# --------------------------------------------------------------------------------------------

LONG = "x" * 40_000


WIDE = "\U0001f600" * 17_000  # 17,000 characters, 34,000 as Excel counts them (UTF-16)


def _utf16(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


# printing the city pack: printable views, nothing cut, rows tall enough for their text
# --------------------------------------------------------------------------------------------

PRINT_MAX_COLUMNS = 15


LINE_POINTS = 14  # height of one line of 11-point text, at the least


def column_widths(ws) -> dict[int, float]:
    """Width of every column that has one (openpyxl groups equal neighbours: min..max)."""
    widths = {}
    for dim in ws.column_dimensions.values():
        if dim.width:
            for index in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
                widths[index] = dim.width
    return widths


def assert_tall_enough(ws, cell):
    width = column_widths(ws)[cell.column]
    lines = sum(max(1, -(-len(part) // int(width))) for part in cell.value.split("\n"))
    assert cell.alignment.wrap_text, cell.coordinate
    height = ws.row_dimensions[cell.row].height
    assert height is not None and height >= lines * LINE_POINTS, (cell.coordinate, height, lines)
