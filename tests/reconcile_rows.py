"""Tiny builders of processed tables (the ingest contract) for reconcile and evaluate tests.

Each builder returns one row as a dict with every contract column filled with a plausible
default; a test overrides only what its behaviour is about. ``write_week`` saves the rows as
the week's processed tables with the contract's types.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from helpers import store
from helpers.paths import Workspace

WEEK = "2025-11-23"
UNIT = "00070"
OTHER_UNIT = "00082"


def vehicle(n: int = 1, **over) -> dict:
    row = {
        "record_id": f"V{n:06d}",
        "unit_code": UNIT,
        "plate": f"29A-{n:03d}.45",
        "plate_key": f"29A-{n:03d}45",
        "vehicle_type": "motorbike",
        "chassis_no": f"RLHJC{n:06d}",
        "chassis_key": f"RLHJC{n:06d}",
        "engine_no": f"JC{n:06d}",
        "registered_on": date(2015, 3, 2),
        "owner_kind": "individual",
        "owner_name": "Nguyễn Văn An",
        "owner_name_key": "nguyen van an",
        "owner_id": citizen_id(n),
        "owner_id_kind": "cccd",
        "owner_id_repaired": False,
        "owner_dob": date(1990, 5, 17),
        "owner_dob_year": 1990,
        "owner_address": "12 Phố Đội Cấn",
        "source_file": f"{WEEK}/registry_vehicles.csv",
        "source_row": n + 1,
    }
    row.update(over)
    return row


def licence(n: int = 1, **over) -> dict:
    row = {
        "record_id": f"L{n:06d}",
        "unit_code": UNIT,
        "licence_no": f"0100{n:08d}",
        "licence_class": "A1",
        "holder_name": "Trần Thị Bình",
        "holder_name_key": "tran thi binh",
        "holder_id": citizen_id(n, province="002", born="185"),
        "holder_id_kind": "cccd",
        "holder_id_repaired": False,
        "holder_dob": date(1985, 1, 30),
        "holder_dob_year": 1985,
        "issued_on": date(2010, 6, 1),
        "expires_on": None,
        "source_file": f"{WEEK}/registry_licences.csv",
        "source_row": n + 1,
    }
    row.update(over)
    return row


def citizen_id(n: int, province: str = "001", born: str = "090") -> str:
    """A CCCD: province, then ``born`` = century/sex digit and birth year (``090``: a man
    born in 1990, ``185``: a woman born in 1985), then the serial."""
    return f"{province}{born}{n:06d}"


def person(cid: str, **over) -> dict:
    row = {
        "citizen_id": cid,
        "full_name": "Nguyễn Văn An",
        "full_name_key": "nguyen van an",
        "dob": date(1990, 5, 17),
        "dob_year": 1990,
        "gender": "male",
        "unit_code": UNIT,
        "status": "alive",
        "source_file": f"{WEEK}/population.csv",
        "source_row": 2,
    }
    row.update(over)
    return row


def owner_of(v: dict, **over) -> dict:
    """The population row that agrees with a vehicle record's owner."""
    base = {
        "full_name": v["owner_name"],
        "full_name_key": v["owner_name_key"],
        "dob": v["owner_dob"],
        "dob_year": v["owner_dob_year"],
    }
    base.update(over)
    return person(v["owner_id"], **base)


def holder_of(lic: dict, **over) -> dict:
    base = {
        "full_name": lic["holder_name"],
        "full_name_key": lic["holder_name_key"],
        "dob": lic["holder_dob"],
        "dob_year": lic["holder_dob_year"],
        "gender": "female",
    }
    base.update(over)
    return person(lic["holder_id"], **base)


def submission(sid: str, **over) -> dict:
    row = {
        "submission_id": sid,
        "submitted_at": datetime(2025, 11, 15, 9, 30),
        "kind": "vehicle",
        "citizen_id": None,
        "citizen_id_kind": None,
        "full_name": None,
        "full_name_key": None,
        "dob": None,
        "dob_year": None,
        "phone": "0912345678",
        "plate": None,
        "plate_key": None,
        "chassis_no": None,
        "chassis_key": None,
        "declared_status": None,
        "licence_no": None,
        "unit_code": UNIT,
        "review_status": "approved",
        "reviewed_at": datetime(2025, 11, 16, 14, 0),
        "reject_reason": None,
        "source_file": f"{WEEK}/submissions.csv",
        "source_row": 2,
    }
    row.update(over)
    if row["review_status"] == "pending" and "reviewed_at" not in over:
        row["reviewed_at"] = None
    return row


def vehicle_submission(sid: str, v: dict, **over) -> dict:
    """A submission for vehicle record ``v`` (by its plate), declared in use."""
    base = {
        "kind": "vehicle",
        "plate": v["plate"],
        "plate_key": v["plate_key"],
        "chassis_no": v["chassis_no"],
        "chassis_key": v["chassis_key"],
        "declared_status": "in_use",
        "citizen_id": v["owner_id"],
        "citizen_id_kind": "cccd",
        "full_name": v["owner_name"],
        "full_name_key": v["owner_name_key"],
        "unit_code": v["unit_code"],
    }
    base.update(over)
    return submission(sid, **base)


def licence_submission(sid: str, lic: dict, **over) -> dict:
    base = {
        "kind": "licence",
        "licence_no": lic["licence_no"],
        "citizen_id": lic["holder_id"],
        "citizen_id_kind": "cccd",
        "full_name": lic["holder_name"],
        "full_name_key": lic["holder_name_key"],
        "unit_code": lic["unit_code"],
    }
    base.update(over)
    return submission(sid, **base)


def unit_report(report_date: date, unit_code: str = UNIT, **over) -> dict:
    row = {
        "report_date": report_date,
        "unit_code": unit_code,
        "vehicles_collected": 0,
        "vehicles_approved": 0,
        "licences_collected": 0,
        "licences_cleaned": 0,
        "source_file": f"{WEEK}/unit_reports/{unit_code}.xlsx",
        "source_row": 5,
    }
    row.update(over)
    return row


_COLUMNS = {
    "registry_vehicles": list(vehicle()),
    "registry_licences": list(licence()),
    "population": list(person("x")),
    "submissions": list(submission("x")),
    "unit_reports": list(unit_report(date(2025, 11, 17))),
}
_DATES = {
    "registered_on",
    "owner_dob",
    "holder_dob",
    "issued_on",
    "expires_on",
    "dob",
    "report_date",
}
_TIMESTAMPS = {"submitted_at", "reviewed_at"}
_INTS = {
    "owner_dob_year",
    "holder_dob_year",
    "dob_year",
    "source_row",
    "vehicles_collected",
    "vehicles_approved",
    "licences_collected",
    "licences_cleaned",
}
_BOOLS = {"owner_id_repaired", "holder_id_repaired"}


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """Rows as the contract types them (date32 dates, naive timestamps, nullable ints)."""
    df = pd.DataFrame(rows, columns=_COLUMNS[name])
    for col in df.columns:
        if col in _DATES:
            df[col] = pd.to_datetime(df[col]).dt.date.astype("date32[pyarrow]")
        elif col in _TIMESTAMPS:
            df[col] = pd.to_datetime(df[col]).astype("datetime64[us]")
        elif col in _INTS:
            df[col] = df[col].astype("Int64")
        elif col in _BOOLS:
            df[col] = df[col].astype("boolean")
        else:
            df[col] = df[col].astype("string")
    return df


def tables(
    *,
    vehicles: list[dict] = (),
    licences: list[dict] = (),
    population: list[dict] = (),
    submissions: list[dict] = (),
    unit_reports: list[dict] = (),
) -> dict[str, pd.DataFrame]:
    """The given rows as the week's five input tables (for ``reconcile.reconcile_tables``)."""
    rows = {
        "registry_vehicles": vehicles,
        "registry_licences": licences,
        "population": population,
        "submissions": submissions,
        "unit_reports": unit_reports,
    }
    return {name: frame(name, list(r)) for name, r in rows.items()}


def write_week(ws: Workspace, week: str = WEEK, **rows: list[dict]) -> Workspace:
    """Save the given rows (as :func:`tables` takes them) as the week's processed input tables
    (the raw folder is made too)."""
    (ws.raw / week).mkdir(parents=True, exist_ok=True)
    for name, df in tables(**rows).items():
        store.save(ws, df, name, week)
    return ws
