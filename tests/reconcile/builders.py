"""Builders shared by the reconcile tests: the table-driven cases and a week reconciled from
hand-written rows (tests/reconcile_rows.py builds the rows)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd

from helpers import reconcile
from tests import reconcile_rows as R
from tests.conftest import make_workspace

WEEK = R.WEEK


# --------------------------------------------------------------------------------------------
# Vehicle statuses: (case, vehicle overrides, population, submissions, status, flags)
# population: "owner" = the agreeing population row, None = not in the extract, or a dict of
# overrides on the agreeing row. submissions: list of overrides on a submission for the record.
# --------------------------------------------------------------------------------------------

APPROVED = {"review_status": "approved"}


PENDING = {"review_status": "pending"}


REJECTED = {"review_status": "rejected", "reject_reason": "ảnh mờ"}


VEHICLE_CASES = [
    ("cleaned", {}, "owner", [APPROVED], "cleaned", []),
    ("pending", {}, "owner", [PENDING], "pending_review", []),
    ("rejected", {}, "owner", [REJECTED], "rejected_awaiting_resubmission", []),
    ("no_submission", {}, "owner", [], "not_submitted", []),
    ("resides_elsewhere", {}, {"unit_code": R.OTHER_UNIT}, [], "owner_resides_elsewhere", []),
    ("submitted_elsewhere_resident", {}, {"unit_code": R.OTHER_UNIT}, [APPROVED], "cleaned", []),
    ("scrapped", {}, "owner", [{"declared_status": "scrapped"}], "scrapped_or_lost", []),
    ("lost", {}, "owner", [{"declared_status": "lost"}], "scrapped_or_lost", []),
    (
        "scrapped_pending",
        {},
        "owner",
        [{"declared_status": "scrapped", **PENDING}],
        "pending_review",
        [],
    ),
    (
        "transferred",
        {},
        "owner",
        [{"declared_status": "transferred"}],
        "transferred_not_registered",
        [],
    ),
    (
        "organisation",
        {
            "owner_kind": "organization",
            "owner_id": "0101234567",
            "owner_id_kind": "tax_code",
            "owner_dob": None,
            "owner_dob_year": None,
        },
        None,
        [APPROVED],
        "organization_owned",
        ["cleaned"],
    ),
    (
        "cmnd",
        {"owner_id": "012345678", "owner_id_kind": "cmnd"},
        None,
        [],
        "invalid_owner_id",
        ["not_submitted"],
    ),
    (
        "invalid_id",
        {"owner_id": "12AB", "owner_id_kind": "invalid"},
        None,
        [APPROVED],
        "invalid_owner_id",
        ["cleaned"],
    ),
    (
        "missing_id",
        {"owner_id": None, "owner_id_kind": "missing"},
        None,
        [PENDING],
        "invalid_owner_id",
        ["pending_review"],
    ),
    ("not_in_population", {}, None, [APPROVED], "id_not_in_population", ["cleaned"]),
    ("deceased", {}, {"status": "deceased"}, [APPROVED], "owner_deceased", ["cleaned"]),
    (
        "deceased_mismatch",
        {},
        {"status": "deceased", "full_name_key": "le thi hoa"},
        [],
        "owner_deceased",
        ["identity_mismatch", "not_submitted"],
    ),
    (
        "name_mismatch",
        {},
        {"full_name_key": "le thi hoa"},
        [APPROVED],
        "identity_mismatch",
        ["cleaned"],
    ),
    (
        "dob_mismatch",
        {},
        {"dob": date(1991, 5, 17), "dob_year": 1991},
        [APPROVED],
        "identity_mismatch",
        ["cleaned"],
    ),
    (
        "dob_swapped",
        {"owner_dob": date(1990, 5, 7)},
        {"dob": date(1990, 7, 5)},
        [PENDING],
        "identity_mismatch",
        ["pending_review"],
    ),
    (
        "id_digits_disagree_with_population",  # the ID says 1990, both records 1991
        {"owner_dob": date(1991, 5, 17), "owner_dob_year": 1991},
        "owner",
        [APPROVED],
        "identity_mismatch",
        ["cleaned"],
    ),
    (
        "name_typo_is_cleaned",
        {"owner_name_key": "nguyen van anh"},
        "owner_key_kept",
        [APPROVED],
        "cleaned",
        [],
    ),
    ("year_only_is_cleaned", {}, {"dob": None}, [APPROVED], "cleaned", []),
    (
        "deceased_elsewhere_unsubmitted",
        {},
        {"status": "deceased", "unit_code": R.OTHER_UNIT},
        [],
        "owner_deceased",
        ["owner_resides_elsewhere"],
    ),
    (
        "latest_submission_wins",
        {},
        "owner",
        [
            {**APPROVED, "submitted_at": datetime(2025, 11, 12, 8)},
            {**PENDING, "submitted_at": datetime(2025, 11, 20, 8)},
        ],
        "pending_review",
        [],
    ),
    (
        "resubmitted_after_reject",
        {},
        "owner",
        [
            {**REJECTED, "submitted_at": datetime(2025, 11, 12, 8)},
            {**APPROVED, "submitted_at": datetime(2025, 11, 19, 8)},
        ],
        "cleaned",
        [],
    ),
    (
        "submission_after_week_ignored",
        {},
        "owner",
        [{**APPROVED, "submitted_at": datetime(2025, 11, 24, 8)}],
        "not_submitted",
        [],
    ),
    (
        "submission_on_last_day_counts",
        {},
        "owner",
        [{**APPROVED, "submitted_at": datetime(2025, 11, 23, 23, 59)}],
        "cleaned",
        [],
    ),
]


def _vehicle_case_rows(i: int, case: tuple) -> dict:
    name, over, pop, subs, _status, _flags = case
    n = 100 + i
    v = R.vehicle(n, **over)
    population = []
    if pop == "owner":
        population = [R.owner_of(v)]
    elif pop == "owner_key_kept":  # population holds the name without the typo
        population = [R.owner_of(v, full_name_key="nguyen van an")]
    elif isinstance(pop, dict):
        population = [R.owner_of(v, **pop)]
    submissions = [R.vehicle_submission(f"S{n}{k}", v, **s) for k, s in enumerate(subs)]
    return {"vehicles": [v], "population": population, "submissions": submissions}


def _reconcile_cases(parts: list[dict]) -> dict[str, pd.DataFrame]:
    """Every case's rows in one week, reconciled in memory (reconcile_tables: no files)."""
    merged: dict[str, list] = {}
    for part in parts:
        for key, rows in part.items():
            merged.setdefault(key, []).extend(rows)
    return reconcile.reconcile_tables(R.tables(**merged), WEEK)


# --------------------------------------------------------------------------------------------
# Duplicated registry records
# --------------------------------------------------------------------------------------------


def _reconcile(tmp_path: Path, **rows) -> Path:
    ws = make_workspace(tmp_path)
    R.write_week(ws, **rows)
    reconcile.reconcile_week(ws, WEEK)
    return ws


_V, _LIC = R.vehicle(1), R.licence(1)


SMALL_WEEK = {
    "vehicles": [_V, R.vehicle(2)],
    "licences": [_LIC],
    "population": [R.owner_of(_V), R.holder_of(_LIC)],
    "submissions": [R.vehicle_submission("S1", _V), R.licence_submission("T1", _LIC)],
    "unit_reports": [R.unit_report(date(2025, 11, 15), vehicles_collected=1)],
}
