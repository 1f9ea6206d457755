"""Statuses by precedence (helpers.reconcile.precedence): every vehicle and licence status from a
few hand-written rows. The cases are table-driven: every case gets its own record numbers,
plates and IDs, all cases of a table are written into one workspace and reconciled once
(fixtures), and each case is then checked on its own."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from helpers.statuses import LICENCE_STATUSES, VEHICLE_STATUSES
from tests import reconcile_rows as R
from tests.reconcile.builders import APPROVED, PENDING, REJECTED, VEHICLE_CASES, _reconcile_cases


@pytest.mark.parametrize(
    ("i", "case"), list(enumerate(VEHICLE_CASES)), ids=[c[0] for c in VEHICLE_CASES]
)
def test_vehicle_status(vehicle_cases: pd.DataFrame, i: int, case: tuple) -> None:
    row = vehicle_cases.loc[f"V{100 + i:06d}"]
    assert row["status"] == case[4]
    assert list(row["flags"]) == case[5]


def test_every_vehicle_status_has_a_case() -> None:
    assert {c[4] for c in VEHICLE_CASES} | {"duplicate_registry_record"} == set(VEHICLE_STATUSES)


# --------------------------------------------------------------------------------------------
# Licence statuses
# --------------------------------------------------------------------------------------------

LICENCE_CASES = [
    ("cleaned", {}, "holder", [APPROVED], "cleaned", []),
    ("pending", {}, "holder", [PENDING], "pending_review", []),
    ("rejected", {}, "holder", [REJECTED], "rejected_awaiting_resubmission", []),
    ("no_submission", {}, "holder", [], "not_submitted", []),
    ("no_submission_elsewhere", {}, {"unit_code": R.OTHER_UNIT}, [], "not_submitted", []),
    (
        "cmnd",
        {"holder_id": "012345678", "holder_id_kind": "cmnd"},
        None,
        [APPROVED],
        "invalid_holder_id",
        ["cleaned"],
    ),
    (
        "missing_id",
        {"holder_id": None, "holder_id_kind": "missing"},
        None,
        [],
        "invalid_holder_id",
        ["not_submitted"],
    ),
    ("not_in_population", {}, None, [APPROVED], "id_not_in_population", ["cleaned"]),
    ("deceased", {}, {"status": "deceased"}, [], "holder_deceased", ["not_submitted"]),
    (
        "name_mismatch",
        {},
        {"full_name_key": "pham van duc"},
        [APPROVED],
        "identity_mismatch",
        ["cleaned"],
    ),
    (
        "dob_swapped",
        {"holder_dob": date(1985, 1, 11)},
        {"dob": date(1985, 11, 1)},
        [APPROVED],
        "identity_mismatch",
        ["cleaned"],
    ),
    (
        "middle_swapped_is_cleaned",
        {"holder_name_key": "tran binh thi"},
        {},
        [APPROVED],
        "cleaned",
        [],
    ),
]


def _licence_case_rows(i: int, case: tuple) -> dict:
    _name, over, pop, subs, _status, _flags = case
    n = 100 + i
    lic = R.licence(n, **over)
    population = []
    if pop == "holder":
        population = [R.holder_of(lic)]
    elif isinstance(pop, dict):
        base = {"full_name_key": "tran thi binh"} if "holder_name_key" in over else {}
        population = [R.holder_of(lic, **{**base, **pop})]
    submissions = [R.licence_submission(f"T{n}{k}", lic, **s) for k, s in enumerate(subs)]
    return {"licences": [lic], "population": population, "submissions": submissions}


@pytest.fixture(scope="module")
def licence_cases() -> pd.DataFrame:
    parts = [_licence_case_rows(i, c) for i, c in enumerate(LICENCE_CASES)]
    return _reconcile_cases(parts)["licence_status"].set_index("record_id")


@pytest.mark.parametrize(
    ("i", "case"), list(enumerate(LICENCE_CASES)), ids=[c[0] for c in LICENCE_CASES]
)
def test_licence_status(licence_cases: pd.DataFrame, i: int, case: tuple) -> None:
    row = licence_cases.loc[f"L{100 + i:06d}"]
    assert row["status"] == case[4]
    assert list(row["flags"]) == case[5]


def test_every_licence_status_has_a_case() -> None:
    assert {c[4] for c in LICENCE_CASES} | {"duplicate_registry_record"} == set(LICENCE_STATUSES)
