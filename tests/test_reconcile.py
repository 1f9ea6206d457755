"""Reconcile: links, identity results and statuses, each from a few hand-written rows.

The status, identity and link cases are table-driven: every case gets its own record numbers,
plates and IDs, all cases of a table are written into one workspace and reconciled once
(module fixtures), and each case is then checked on its own.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from helpers import DeliveryError, reconcile, store
from helpers.config import load_plan
from helpers.statuses import IDENTITY_RESULTS, LICENCE_STATUSES, VEHICLE_STATUSES
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


@pytest.fixture(scope="module")
def vehicle_cases() -> pd.DataFrame:
    parts = [_vehicle_case_rows(i, c) for i, c in enumerate(VEHICLE_CASES)]
    return _reconcile_cases(parts)["vehicle_status"].set_index("record_id")


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
# Duplicated registry records
# --------------------------------------------------------------------------------------------


def _reconcile(tmp_path: Path, **rows) -> Path:
    ws = make_workspace(tmp_path)
    R.write_week(ws, **rows)
    reconcile.reconcile_week(ws, WEEK)
    return ws


def test_later_record_with_same_plate_is_duplicate_and_original_keeps_its_status(tmp_path):
    original = R.vehicle(1)
    copy = R.vehicle(2, plate=original["plate"], plate_key=original["plate_key"])
    ws = _reconcile(
        tmp_path,
        vehicles=[copy, original],
        population=[R.owner_of(original), R.owner_of(copy)],
        submissions=[R.vehicle_submission("S1", original)],
    )
    status = store.load(ws, "vehicle_status", WEEK).set_index("record_id")["status"]
    assert status.to_dict() == {"V000001": "cleaned", "V000002": "duplicate_registry_record"}


def test_later_record_with_same_chassis_is_duplicate(tmp_path):
    original = R.vehicle(1)
    copy = R.vehicle(2, chassis_key=original["chassis_key"])
    ws = _reconcile(
        tmp_path, vehicles=[original, copy], population=[R.owner_of(original), R.owner_of(copy)]
    )
    status = store.load(ws, "vehicle_status", WEEK).set_index("record_id")["status"]
    assert status["V000002"] == "duplicate_registry_record"
    assert status["V000001"] == "not_submitted"


def test_duplicate_wins_over_organisation_and_keeps_it_as_flag(tmp_path):
    original = R.vehicle(1)
    copy = R.vehicle(
        2,
        plate_key=original["plate_key"],
        owner_kind="organization",
        owner_id="0101234567",
        owner_id_kind="tax_code",
    )
    ws = _reconcile(tmp_path, vehicles=[original, copy], population=[R.owner_of(original)])
    row = store.load(ws, "vehicle_status", WEEK).set_index("record_id").loc["V000002"]
    assert row["status"] == "duplicate_registry_record"
    assert list(row["flags"]) == ["organization_owned", "not_submitted"]


# A copy of a record whose plate was typed run together (29F67130: F + 67130 or F6 + 7130) and
# whose vehicle type does not settle the reading (e-bike) is the same plate as the one record
# holding a reading; two different plates (29F-67130 and 29F6-7130) are never duplicates.
@pytest.mark.parametrize(
    "plates, status",
    [
        ([("29-F6 7130", "e-bike"), ("29F67130", "e-bike")], "duplicate_registry_record"),
        ([("29F-671.30", "car"), ("29F67130", "other")], "duplicate_registry_record"),
        ([("29F-671.30", "car"), ("29F6-7130", "motorbike")], "not_submitted"),
        ([("29F67130", "car"), ("29F67130", "motorbike")], "not_submitted"),
    ],
)
def test_a_plate_read_both_ways_duplicates_the_one_record_holding_a_reading(
    tmp_path, plates, status
):
    from helpers import normalize

    texts, types = (pd.Series(c) for c in zip(*plates, strict=True))
    keys = normalize.plate_series(texts, vehicle_type=types)["plate_key"]
    vehicles = [
        R.vehicle(n, plate=t, plate_key=keys[n - 1], vehicle_type=vt)
        for n, (t, vt) in enumerate(plates, start=1)
    ]
    ws = _reconcile(tmp_path, vehicles=vehicles, population=[R.owner_of(v) for v in vehicles])
    got = store.load(ws, "vehicle_status", WEEK).set_index("record_id")["status"]
    assert got.to_dict() == {"V000001": "not_submitted", "V000002": status}


def test_records_without_plate_or_chassis_are_not_duplicates_of_each_other(tmp_path):
    a = R.vehicle(1, plate_key=None, chassis_key=None)
    b = R.vehicle(2, plate_key=None, chassis_key=None)
    ws = _reconcile(tmp_path, vehicles=[a, b], population=[R.owner_of(a), R.owner_of(b)])
    status = store.load(ws, "vehicle_status", WEEK)["status"]
    assert set(status) == {"not_submitted"}


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


def test_later_licence_with_same_number_is_duplicate(tmp_path):
    original = R.licence(1)
    copy = R.licence(2, licence_no=original["licence_no"])
    ws = _reconcile(
        tmp_path,
        licences=[original, copy],
        population=[R.holder_of(original), R.holder_of(copy)],
        submissions=[R.licence_submission("T1", original)],
    )
    status = store.load(ws, "licence_status", WEEK).set_index("record_id")["status"]
    assert status.to_dict() == {"L000001": "cleaned", "L000002": "duplicate_registry_record"}
    links = store.load(ws, "submission_links", WEEK).set_index("submission_id")
    assert links.loc["T1", "record_id"] == "L000001"


# --------------------------------------------------------------------------------------------
# Identity results: (case, registry name key, dob, dob_year, population name key, dob, year)
# --------------------------------------------------------------------------------------------

D = date(1990, 5, 17)
IDENTITY_CASES = [
    ("match", "nguyen van an", D, 1990, "nguyen van an", D, 1990, "match"),
    ("typo_substitute", "nguyen van an", D, 1990, "nguyen van on", D, 1990, "match_name_typo"),
    ("typo_insert", "nguyen van an", D, 1990, "nguyen van anh", D, 1990, "match_name_typo"),
    ("typo_delete", "nguyen van anh", D, 1990, "nguyen van an", D, 1990, "match_name_typo"),
    ("two_edits", "nguyen van an", D, 1990, "nguyen van bon", D, 1990, "name_mismatch"),
    (
        "middle_swapped",
        "nguyen thi thu ha",
        D,
        1990,
        "nguyen thu thi ha",
        D,
        1990,
        "match_middle_swapped",
    ),
    (
        "given_name_first_is_mismatch",
        "nguyen van an",
        D,
        1990,
        "an van nguyen",
        D,
        1990,
        "name_mismatch",
    ),
    ("other_person", "nguyen van an", D, 1990, "le thi hoa", D, 1990, "name_mismatch"),
    (
        "year_only_in_population",
        "nguyen van an",
        D,
        1990,
        "nguyen van an",
        None,
        1990,
        "match_year_only",
    ),
    ("year_only_other_year", "nguyen van an", D, 1990, "nguyen van an", None, 1989, "dob_mismatch"),
    (
        "year_only_in_registry",
        "nguyen van an",
        None,
        1990,
        "nguyen van an",
        D,
        1990,
        "match_year_only",
    ),
    (
        "day_month_swapped",
        "nguyen van an",
        date(1990, 5, 7),
        1990,
        "nguyen van an",
        date(1990, 7, 5),
        1990,
        "dob_day_month_swapped",
    ),
    (
        "dob_other_day",
        "nguyen van an",
        date(1990, 5, 8),
        1990,
        "nguyen van an",
        D,
        1990,
        "dob_mismatch",
    ),
    (
        "name_beats_dob",
        "nguyen van an",
        D,
        1990,
        "le thi hoa",
        date(1970, 1, 1),
        1970,
        "name_mismatch",
    ),
    (
        "typo_and_year_only",
        "nguyen van an",
        D,
        1990,
        "nguyen van anh",
        None,
        1990,
        "match_name_typo",
    ),
    (
        # the owner's ID says born 1990 (digits 090), both records say 1991
        "id_digits_disagree_with_population_dob",
        "nguyen van an",
        date(1991, 5, 17),
        1991,
        "nguyen van an",
        date(1991, 5, 17),
        1991,
        "id_birth_mismatch",
    ),
    (
        "id_digits_disagree_with_population_year",
        "nguyen van an",
        None,
        1991,
        "nguyen van an",
        None,
        1991,
        "id_birth_mismatch",
    ),
]


@pytest.fixture(scope="module")
def identity_cases() -> pd.DataFrame:
    vehicles, population = [], []
    for i, (_n, rkey, rdob, ryear, pkey, pdob, pyear, _r) in enumerate(IDENTITY_CASES):
        v = R.vehicle(200 + i, owner_name_key=rkey, owner_dob=rdob, owner_dob_year=ryear)
        vehicles.append(v)
        population.append(R.owner_of(v, full_name_key=pkey, dob=pdob, dob_year=pyear))
    vehicles += [
        R.vehicle(300, owner_id="012345678", owner_id_kind="cmnd"),
        R.vehicle(301),  # not in the population extract
        R.vehicle(302, owner_kind="organization", owner_id="0101234567", owner_id_kind="tax_code"),
    ]
    tables = R.tables(vehicles=vehicles, population=population)
    return reconcile.reconcile_tables(tables, WEEK)["vehicle_status"].set_index("record_id")


@pytest.mark.parametrize(
    ("i", "case"), list(enumerate(IDENTITY_CASES)), ids=[c[0] for c in IDENTITY_CASES]
)
def test_identity_result(identity_cases: pd.DataFrame, i: int, case: tuple) -> None:
    assert identity_cases.loc[f"V{200 + i:06d}", "identity_result"] == case[-1]


@pytest.mark.parametrize(
    ("record", "result"),
    [("V000300", "invalid_id"), ("V000301", "id_not_in_population"), ("V000302", "not_checked")],
)
def test_identity_result_without_comparison(identity_cases, record, result):
    assert identity_cases.loc[record, "identity_result"] == result


def test_every_identity_result_has_a_case() -> None:
    covered = {c[-1] for c in IDENTITY_CASES} | {
        "invalid_id",
        "id_not_in_population",
        "not_checked",
    }
    assert covered == set(IDENTITY_RESULTS)


def test_identity_confidence_is_lower_for_tolerated_differences(identity_cases):
    conf = identity_cases.set_index("identity_result")["identity_confidence"]
    assert conf["match"] == 1.0
    assert 0 < conf["match_name_typo"].min() < 1.0
    assert conf.loc[["match_year_only"]].max() < 1.0
    assert identity_cases["identity_confidence"].between(0, 1).all()


# --------------------------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------------------------


def _links(tmp_path: Path, **rows) -> pd.DataFrame:
    """The links of the given rows, reconciled in memory (``tmp_path`` unused: no files)."""
    links = reconcile.reconcile_tables(R.tables(**rows), WEEK)["submission_links"]
    return links.set_index("submission_id")


def test_link_by_plate(tmp_path):
    v = R.vehicle(1)
    links = _links(tmp_path, vehicles=[v], submissions=[R.vehicle_submission("S1", v)])
    assert links.loc["S1", ["record_id", "link_method", "link_reason"]].tolist() == [
        "V000001",
        "plate",
        "plate_match",
    ]


def test_link_by_chassis_when_plate_unknown(tmp_path):
    v = R.vehicle(1)
    s = R.vehicle_submission("S1", v, plate_key="30E99999")
    links = _links(tmp_path, vehicles=[v], submissions=[s])
    assert links.loc["S1", ["record_id", "link_method"]].tolist() == ["V000001", "chassis"]


def test_link_by_chassis_when_plate_missing(tmp_path):
    v = R.vehicle(1)
    s = R.vehicle_submission("S1", v, plate=None, plate_key=None)
    links = _links(tmp_path, vehicles=[v], submissions=[s])
    assert links.loc["S1", "link_method"] == "chassis"


def test_plate_wins_over_chassis_of_another_record(tmp_path):
    a, b = R.vehicle(1), R.vehicle(2)
    s = R.vehicle_submission("S1", a, chassis_key=b["chassis_key"])
    links = _links(tmp_path, vehicles=[a, b], submissions=[s])
    assert links.loc["S1", "record_id"] == "V000001"


def test_link_goes_to_original_when_plate_is_duplicated(tmp_path):
    original = R.vehicle(3)
    copies = [R.vehicle(n, plate_key=original["plate_key"]) for n in (5, 7)]
    links = _links(
        tmp_path,
        vehicles=[*copies, original],
        submissions=[R.vehicle_submission("S1", copies[0], chassis_key=None)],
    )
    assert links.loc["S1", "record_id"] == "V000003"
    assert links.loc["S1", "link_reason"] == "original_of_duplicates"


def test_link_to_a_duplicated_key_goes_to_its_smallest_record_even_if_duplicate_itself(tmp_path):
    # V2 duplicates V1 by chassis; V3 duplicates V2 by plate. Every record holding the plate
    # is a duplicate, so the smallest record_id holding it is the one the submission speaks for
    v1 = R.vehicle(1)
    v2 = R.vehicle(2, chassis_key=v1["chassis_key"], plate_key="29B77777")
    v3 = R.vehicle(3, plate_key="29B77777")
    s = R.vehicle_submission("S1", v3, chassis_key=None)
    links = _links(tmp_path, vehicles=[v1, v2, v3], submissions=[s])
    assert links.loc["S1", "record_id"] == "V000002"


def test_link_licence_by_number(tmp_path):
    lic = R.licence(1)
    links = _links(tmp_path, licences=[lic], submissions=[R.licence_submission("T1", lic)])
    assert links.loc["T1", ["record_id", "link_method", "link_reason"]].tolist() == [
        "L000001",
        "licence_no",
        "licence_no_match",
    ]


def test_vehicle_submission_never_links_to_a_licence(tmp_path):
    lic = R.licence(1)
    s = R.submission("S1", kind="vehicle", plate_key="29A00145", licence_no=lic["licence_no"])
    links = _links(tmp_path, licences=[lic], submissions=[s])
    assert pd.isna(links.loc["S1", "record_id"])


def test_latest_submission_wins_and_others_are_superseded(tmp_path):
    v = R.vehicle(1)
    subs = [
        R.vehicle_submission("S1", v, submitted_at=datetime(2025, 11, 11, 8)),
        R.vehicle_submission("S3", v, submitted_at=datetime(2025, 11, 20, 8)),
        R.vehicle_submission("S2", v, submitted_at=datetime(2025, 11, 15, 8)),
    ]
    links = _links(tmp_path, vehicles=[v], submissions=subs)
    assert links["is_duplicate"].to_dict() == {"S1": True, "S2": True, "S3": False}
    assert links["superseded_by"].fillna("").to_dict() == {"S1": "S3", "S2": "S3", "S3": ""}


def test_tie_on_time_goes_to_larger_submission_id(tmp_path):
    v = R.vehicle(1)
    at = datetime(2025, 11, 15, 8)
    subs = [
        R.vehicle_submission("S9", v, submitted_at=at, review_status="rejected"),
        R.vehicle_submission("S10", v, submitted_at=at),
    ]
    ws = _reconcile(tmp_path, vehicles=[v], submissions=subs)
    links = store.load(ws, "submission_links", WEEK).set_index("submission_id")
    # "S9" > "S10" as text: identifiers compare as delivered
    assert not links.loc["S9", "is_duplicate"] and links.loc["S10", "is_duplicate"]
    status = store.load(ws, "vehicle_status", WEEK).iloc[0]
    assert (status["submission_id"], status["n_submissions"]) == ("S9", 2)


def test_plate_and_chassis_submissions_of_one_vehicle_count_once(tmp_path):
    v = R.vehicle(1)
    subs = [
        R.vehicle_submission("S1", v, submitted_at=datetime(2025, 11, 11, 8)),
        R.vehicle_submission("S2", v, plate_key=None, review_status="pending"),
    ]
    ws = _reconcile(tmp_path, vehicles=[v], population=[R.owner_of(v)], submissions=subs)
    row = store.load(ws, "vehicle_status", WEEK).iloc[0]
    assert (row["status"], row["n_submissions"], row["submission_id"]) == (
        "pending_review",
        2,
        "S2",
    )


# Plates as ingest keys them (helpers.normalize.plate_series): the boundary between series and
# number kept, Thông tư 79/2024/TT-BCA's car series letters only, a motorbike's adding a digit.
# A submission's plate run together with five digits after the letters (29B11234) reads as
# the car 29B-112.34 or the motorbike 29B1-1234. Cases: (case, registry plates as
# (text, vehicle type), submission plate, chassis of record n or None, expected record,
# link_method, link_reason, candidates).
PLATE_LINK_CASES = [
    ("one_reading_car", [("29B-112.34", "car")], "29B11234", None, 1, "plate", "plate_match", None),
    (
        "one_reading_moto",
        [("29-B1 1234", "motorbike")],
        "29B11234",
        None,
        1,
        "plate",
        "plate_match",
        None,
    ),
    (
        "registry_compact_car",
        [("29B11234", "car")],
        "29B-112.34",
        None,
        1,
        "plate",
        "plate_match",
        None,
    ),
    (
        "registry_compact_moto",
        [("29B11234", "motorbike")],
        "29B1-1234",
        None,
        1,
        "plate",
        "plate_match",
        None,
    ),
    (
        "registry_compact_moped",
        [("29B11234", "moped")],
        "29-B1 1234",
        None,
        1,
        "plate",
        "plate_match",
        None,
    ),
    (
        "both_readings",
        [("29B-112.34", "car"), ("29B1-1234", "motorbike")],
        "29B11234",
        None,
        None,
        "none",
        "ambiguous_plate",
        ["V000001", "V000002"],
    ),
    (
        "both_readings_chassis",
        [("29B-112.34", "car"), ("29B1-1234", "motorbike")],
        "29B11234",
        2,
        2,
        "chassis",
        "chassis_match",
        None,
    ),
    (
        "written_reading_wins",
        [("29B-112.34", "car"), ("29B1-1234", "motorbike")],
        "29B1-1234",
        None,
        2,
        "plate",
        "plate_match",
        None,
    ),
    (
        "other_reading_only",
        [("29B1-1234", "motorbike")],
        "29B-112.34",
        None,
        None,
        "none",
        "no_record_vehicle",
        ["V000001"],
    ),
    (
        "another_plate_one_edit_away",
        [("30A1-234.56", "motorbike")],
        "30A-123.45",
        None,
        None,
        "none",
        "no_record_vehicle",
        ["V000001"],
    ),
]


@pytest.mark.parametrize(
    "registry, plate, chassis_of, record, method, reason, candidates",
    [c[1:] for c in PLATE_LINK_CASES],
    ids=[c[0] for c in PLATE_LINK_CASES],
)
def test_plates_link_by_the_reading_the_registry_holds(
    tmp_path, registry, plate, chassis_of, record, method, reason, candidates
):
    from helpers import normalize

    texts = pd.Series([t for t, _ in registry] + [plate])
    types = pd.Series([vt for _, vt in registry] + [None])
    reg_keys = normalize.plate_series(texts, vehicle_type=types)["plate_key"]
    sub_key = normalize.plate_series(pd.Series([plate]))["plate_key"].iloc[0]
    vehicles = [
        R.vehicle(n, plate=t, plate_key=reg_keys[n - 1], vehicle_type=vt)
        for n, (t, vt) in enumerate(registry, start=1)
    ]
    chassis = vehicles[chassis_of - 1]["chassis_key"] if chassis_of else "NOPE"
    s = R.submission("S1", plate=plate, plate_key=sub_key, chassis_key=chassis)
    row = _links(tmp_path, vehicles=vehicles, submissions=[s]).loc["S1"]
    expected = f"V{record:06d}" if record else None
    assert (row["record_id"] if pd.notna(row["record_id"]) else None) == expected
    assert (row["link_method"], row["link_reason"]) == (method, reason)
    if candidates is not None:
        assert list(row["candidates"]) == candidates


def test_unmatched_submission_keeps_reason_and_near_plate_candidates(tmp_path):
    v1 = R.vehicle(1, plate_key="29A12345")
    v2 = R.vehicle(2, plate_key="29A12346")
    v3 = R.vehicle(3, plate_key="29A1234")
    far = R.vehicle(4, plate_key="30E99999")
    s = R.submission("S1", plate_key="29A12348", chassis_key="NOPE")
    links = _links(tmp_path, vehicles=[v1, v2, v3, far], submissions=[s])
    row = links.loc["S1"]
    assert pd.isna(row["record_id"]) and row["link_method"] == "none"
    assert row["link_reason"] == "no_record_vehicle"
    assert list(row["candidates"]) == ["V000001", "V000002", "V000003"]


@pytest.mark.parametrize("method", ["neighbours", "deletions"])
def test_both_candidate_searches_find_the_same_records(tmp_path, monkeypatch, method):
    monkeypatch.setattr(reconcile.links, "candidate_method", lambda unmatched, registry: method)
    vehicles = [
        R.vehicle(1, plate_key="29A12345"),
        R.vehicle(2, plate_key="29A1234"),
        R.vehicle(3, plate_key="29A123456"),
        R.vehicle(4, plate_key="29A12354"),
        R.vehicle(5, plate_key="29B12345"),
    ]
    lic = R.licence(1)
    subs = [
        R.submission("S1", plate_key="29A12346"),  # V1 replaced, V2 deleted, V3 inserted
        R.submission("S2", plate_key="29A1235"),  # V1, V4 inserted, V2 replaced
        R.submission("S3", plate_key="30E99999"),  # nothing near
        R.submission("S4", plate_key="29B12344"),  # V5 replaced; V1 is two edits away
        R.submission("T1", kind="licence", licence_no=lic["licence_no"] + "1"),
    ]
    links = _links(tmp_path, vehicles=vehicles, licences=[lic], submissions=subs)
    found = {s: list(c) for s, c in links["candidates"].items()}
    assert found == {
        "S1": ["V000001", "V000002", "V000003"],
        "S2": ["V000001", "V000002", "V000004"],
        "S3": [],
        "S4": ["V000005"],
        "T1": ["L000001"],
    }


@pytest.mark.parametrize(
    ("unmatched", "registry", "method"),
    [
        (45_000, 8_500_000, "neighbours"),
        (240_000, 8_500_000, "deletions"),
        (50, 60_000, "neighbours"),
    ],
)
def test_candidate_search_is_chosen_by_cost(unmatched, registry, method):
    assert reconcile.candidate_method(unmatched, registry) == method


def test_candidates_are_at_most_three_and_only_one_edit_away(tmp_path):
    vehicles = [R.vehicle(i, plate_key=f"29A1234{i}") for i in range(1, 6)]
    vehicles.append(R.vehicle(9, plate_key="29A12399"))
    s = R.submission("S1", plate_key="29A12340")
    row = _links(tmp_path, vehicles=vehicles, submissions=[s]).loc["S1"]
    assert len(row["candidates"]) == 3
    assert "V000009" not in set(row["candidates"])


def test_unmatched_licence_lists_near_numbers(tmp_path):
    lic = R.licence(1)
    near = lic["licence_no"][:-1] + "9"
    s = R.submission("T1", kind="licence", licence_no=near)
    row = _links(tmp_path, licences=[lic], submissions=[s]).loc["T1"]
    assert row["link_reason"] == "no_record_licence"
    assert list(row["candidates"]) == ["L000001"]


def test_linked_submission_has_no_candidates(tmp_path):
    v = R.vehicle(1)
    links = _links(tmp_path, vehicles=[v], submissions=[R.vehicle_submission("S1", v)])
    assert links.loc["S1", "candidates"] is None


def test_link_across_units_keeps_both_unit_codes(tmp_path):
    v = R.vehicle(1, unit_code=R.OTHER_UNIT)
    links = _links(
        tmp_path, vehicles=[v], submissions=[R.vehicle_submission("S1", v, unit_code=R.UNIT)]
    )
    assert links.loc["S1", ["unit_code", "record_unit_code"]].tolist() == [R.UNIT, R.OTHER_UNIT]


# --------------------------------------------------------------------------------------------
# Output contract and errors
# --------------------------------------------------------------------------------------------

VEHICLE_COLUMNS = [
    "record_id",
    "unit_code",
    "vehicle_type",
    "owner_kind",
    "status",
    "status_reason",
    "status_reason_vi",
    "flags",
    "submission_id",
    "n_submissions",
    "first_submitted_at",
    "last_submitted_at",
    "review_status",
    "reviewed_at",
    "identity_result",
    "identity_confidence",
    "plate",
    "owner_name",
    "owner_id",
    "owner_address",
]
LICENCE_COLUMNS = [
    "record_id",
    "unit_code",
    "licence_no",
    "licence_class",
    "status",
    "status_reason",
    "status_reason_vi",
    "flags",
    "submission_id",
    "n_submissions",
    "first_submitted_at",
    "last_submitted_at",
    "review_status",
    "reviewed_at",
    "identity_result",
    "identity_confidence",
    "holder_name",
    "holder_id",
]
LINK_COLUMNS = [
    "submission_id",
    "kind",
    "unit_code",
    "record_id",
    "record_unit_code",
    "link_method",
    "is_duplicate",
    "superseded_by",
    "link_reason",
    "candidates",
    "submitted_at",
    "review_status",
    "reviewed_at",
]


@pytest.fixture(scope="module")
def small_week(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("small_week"))
    R.write_week(ws, **SMALL_WEEK)
    counts = reconcile.reconcile_week(ws, WEEK)
    return ws, counts


_V, _LIC = R.vehicle(1), R.licence(1)
SMALL_WEEK = {
    "vehicles": [_V, R.vehicle(2)],
    "licences": [_LIC],
    "population": [R.owner_of(_V), R.holder_of(_LIC)],
    "submissions": [R.vehicle_submission("S1", _V), R.licence_submission("T1", _LIC)],
    "unit_reports": [R.unit_report(date(2025, 11, 15), vehicles_collected=1)],
}


@pytest.mark.parametrize("name", ["vehicle_status", "licence_status", "submission_links"])
def test_tables_function_returns_what_the_week_writes(small_week, name):
    ws, _ = small_week
    in_memory = reconcile.reconcile_tables(R.tables(**SMALL_WEEK), WEEK)
    pd.testing.assert_frame_equal(in_memory[name], store.load(ws, name, WEEK))


def test_tables_function_judges_self_reports_like_the_week(small_week):
    ws, _ = small_week
    check = reconcile.reconcile_tables(R.tables(**SMALL_WEEK), WEEK)["unit_self_report_check"]
    written = store.load(ws, "unit_self_report_check", WEEK)
    pd.testing.assert_frame_equal(check, written)
    assert check["system_vehicles_collected"].sum() == 1


def test_tables_function_names_a_missing_input():
    tables = R.tables()
    del tables["population"]
    with pytest.raises(DeliveryError, match="population"):
        reconcile.reconcile_tables(tables, WEEK)


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("vehicle_status", VEHICLE_COLUMNS),
        ("licence_status", LICENCE_COLUMNS),
        ("submission_links", LINK_COLUMNS),
    ],
)
def test_output_has_contract_columns(small_week, table, columns):
    ws, _ = small_week
    df = store.load(ws, table, WEEK)
    assert [c for c in columns if c not in df.columns] == []


def test_returns_row_counts_of_written_tables(small_week):
    ws, counts = small_week
    for name in reconcile.OUTPUT_TABLES:
        assert counts[name] == len(store.load(ws, name, WEEK))
    assert counts["vehicle_status"] == 2 and counts["submission_links"] == 2


def test_status_reasons_in_both_languages(small_week):
    ws, _ = small_week
    df = store.load(ws, "vehicle_status", WEEK).set_index("record_id")
    assert df.loc["V000001", "status_reason"].startswith("The unit approved")
    assert df.loc["V000001", "status_reason_vi"].startswith("Đơn vị đã duyệt")


def test_identity_mismatch_reason_names_what_differs(vehicle_cases):
    idx = [c[0] for c in VEHICLE_CASES].index("dob_swapped")
    reason = vehicle_cases.loc[f"V{100 + idx:06d}", "status_reason"]
    assert "Day and month of birth exchanged" in reason


def test_id_birth_mismatch_is_its_own_reason(vehicle_cases):
    idx = [c[0] for c in VEHICLE_CASES].index("id_digits_disagree_with_population")
    row = vehicle_cases.loc[f"V{100 + idx:06d}"]
    assert row["identity_result"] == "id_birth_mismatch"
    assert "birth-year digits" in row["status_reason"]
    assert "năm sinh trong số định danh" in row["status_reason_vi"]


@pytest.mark.parametrize(
    ("born", "dob", "result"),
    [
        ("090", date(1990, 5, 17), "match"),  # 0: a man born in the 1900s
        ("190", date(1990, 5, 17), "match"),  # 1: a woman born in the 1900s
        ("205", date(2005, 5, 17), "match"),  # 2: a man born in the 2000s
        ("305", date(2005, 5, 17), "match"),  # 3: a woman born in the 2000s
        ("005", date(2005, 5, 17), "id_birth_mismatch"),  # says 1905
        ("290", date(1990, 5, 17), "id_birth_mismatch"),  # says 2090
        ("089", date(1990, 5, 17), "id_birth_mismatch"),
    ],
)
def test_id_century_and_year_digits_are_checked_against_the_population_dob(born, dob, result):
    """Thông tư 07/2016/TT-BCA, article 7 (kept by Thông tư 59/2021/TT-BCA): the 4th digit of a
    CCCD is the century of birth and the sex (1900s: 0 man, 1 woman; 2000s: 2, 3; 2100s: 4,
    5 ...), the 5th-6th the last two digits of the birth year."""
    v = R.vehicle(1, owner_id=R.citizen_id(1, born=born), owner_dob=dob, owner_dob_year=dob.year)
    tables = R.tables(vehicles=[v], population=[R.owner_of(v)])
    got = reconcile.reconcile_tables(tables, WEEK)["vehicle_status"].iloc[0]
    assert got["identity_result"] == result


def test_types_follow_the_contract(small_week):
    ws, _ = small_week
    df = store.load(ws, "vehicle_status", WEEK).sort_values("record_id")
    assert str(df["first_submitted_at"].dtype).startswith("datetime64")
    assert df["n_submissions"].tolist() == [1, 0]
    assert df["unit_code"].tolist() == [R.UNIT, R.UNIT]


def test_missing_ingest_table_names_the_step(tmp_path):
    ws = make_workspace(tmp_path)
    R.write_week(ws)
    store.table_path(ws, "population", WEEK).unlink()
    with pytest.raises(DeliveryError, match="population.*01_ingest"):
        reconcile.reconcile_week(ws, WEEK)


def test_empty_week_writes_empty_tables(tmp_path):
    ws = make_workspace(tmp_path)
    R.write_week(ws)
    counts = reconcile.reconcile_week(ws, WEEK)
    assert counts["vehicle_status"] == 0 and counts["submission_links"] == 0
    assert store.load(ws, "vehicle_status", WEEK).empty


# --------------------------------------------------------------------------------------------
# Self-reports against the system
# --------------------------------------------------------------------------------------------


def _self_report(tmp_path, reported: int, collected: int, **report) -> pd.DataFrame:
    vehicles = [R.vehicle(i) for i in range(1, collected + 1)]
    subs = [
        R.vehicle_submission(f"S{i}", v, submitted_at=datetime(2025, 11, 18, 9))
        for i, v in enumerate(vehicles)
    ]
    ws = _reconcile(
        tmp_path,
        vehicles=vehicles,
        submissions=subs,
        unit_reports=[R.unit_report(date(2025, 11, 18), vehicles_collected=reported, **report)],
    )
    check = store.load(ws, "unit_self_report_check", WEEK)
    return check.set_index(pd.to_datetime(check["report_date"]).dt.date)


@pytest.mark.parametrize(
    ("reported", "collected", "overstated"),
    [
        (40, 30, True),  # 33 % over
        (33, 30, False),  # exactly 10 % over is within the threshold
        (34, 30, True),  # just above
        (19, 0, False),  # under min_reported: one record must not swing a small unit
        (20, 0, True),
        (25, 30, False),  # understatement is not flagged
    ],
)
def test_self_report_overstatement(tmp_path, reported, collected, overstated):
    row = _self_report(tmp_path, reported, collected).loc[date(2025, 11, 18)]
    assert row["reported_vehicles_collected"] == reported
    assert row["system_vehicles_collected"] == collected
    assert bool(row["overstated"]) is overstated


def test_self_report_counts_approvals_on_the_review_day(tmp_path):
    v = R.vehicle(1)
    s = R.vehicle_submission(
        "S1", v, submitted_at=datetime(2025, 11, 17, 9), reviewed_at=datetime(2025, 11, 19, 9)
    )
    ws = _reconcile(tmp_path, vehicles=[v], submissions=[s])
    check = store.load(ws, "unit_self_report_check", WEEK)
    by_day = check.set_index(pd.to_datetime(check["report_date"]).dt.date)
    assert by_day.loc[date(2025, 11, 17), "system_vehicles_collected"] == 1
    assert by_day.loc[date(2025, 11, 19), "system_vehicles_approved"] == 1


def test_self_report_days_after_the_week_are_left_out(tmp_path):
    ws = _reconcile(
        tmp_path, unit_reports=[R.unit_report(date(2025, 11, 24), vehicles_collected=99)]
    )
    assert store.load(ws, "unit_self_report_check", WEEK).empty


def test_self_report_verdict_sums_the_week_for_every_unit(tmp_path):
    reports = [R.unit_report(date(2025, 11, d), vehicles_collected=15) for d in (17, 18, 23)]
    reports.append(R.unit_report(date(2025, 11, 16), vehicles_collected=500))  # week before
    ws = _reconcile(tmp_path, unit_reports=reports)
    check = store.load(ws, "unit_self_report_check", WEEK)
    verdict = reconcile.self_report_verdict(check, WEEK, load_plan()).set_index("unit_code")
    assert len(verdict) == 126
    row = verdict.loc[R.UNIT]
    # no single day reaches min_reported (15 < 20) but the week does (45)
    assert (row["reported_total"], row["system_total"], row["days_reported"]) == (45, 0, 3)
    assert row["overstated"] and row["days_overstated"] == 0
    assert not verdict.drop(index=R.UNIT)["overstated"].any()


def test_self_report_verdict_compares_only_days_the_unit_reported(tmp_path):
    # 30 submissions on the 18th, none reported that day; 22 reported on the 19th, when the
    # system shows 20: within the threshold. Counting the 18th would hide any overstatement
    # and an unreported day is not an understatement either.
    vehicles = [R.vehicle(i) for i in range(1, 51)]
    subs = [
        R.vehicle_submission(
            f"S{i}",
            v,
            review_status="pending",
            submitted_at=datetime(2025, 11, 18 if i < 30 else 19, 9),
        )
        for i, v in enumerate(vehicles)
    ]
    ws = _reconcile(
        tmp_path,
        vehicles=vehicles,
        submissions=subs,
        unit_reports=[R.unit_report(date(2025, 11, 19), vehicles_collected=22)],
    )
    check = store.load(ws, "unit_self_report_check", WEEK)
    row = reconcile.self_report_verdict(check, WEEK, load_plan()).set_index("unit_code").loc[R.UNIT]
    assert (row["days_reported"], row["reported_total"], row["system_total"]) == (1, 22, 20)
    assert not row["overstated"]


def test_small_unit_is_judged_on_all_measures_together():
    # every measure under min_reported (20), together 48 against 36: overstated
    counts = pd.DataFrame(
        {
            "reported_vehicles_collected": [15],
            "system_vehicles_collected": [11],
            "reported_vehicles_approved": [10],
            "system_vehicles_approved": [8],
            "reported_licences_collected": [12],
            "system_licences_collected": [9],
            "reported_licences_cleaned": [11],
            "system_licences_cleaned": [8],
        }
    )
    out = reconcile.judge_self_reports(counts, load_plan()).iloc[0]
    assert out["overstated"] and out["ratio"] == pytest.approx(48 / 36)
    assert not any(out[f"overstated_{m}"] for m in reconcile.SELF_REPORT_MEASURES)


def test_judge_self_reports_does_not_change_its_input():
    counts = pd.DataFrame(
        {
            f"{side}_{m}": [50]
            for m in reconcile.SELF_REPORT_MEASURES
            for side in ("reported", "system")
        }
    )
    before = counts.copy()
    out = reconcile.judge_self_reports(counts, load_plan())
    pd.testing.assert_frame_equal(counts, before)
    assert out["ratio"].iloc[0] == 1.0 and not out["overstated"].iloc[0]


# --------------------------------------------------------------------------------------------
# Views for the notebook
# --------------------------------------------------------------------------------------------


def test_status_table_has_every_unit_and_status(vehicle_cases, tmp_path):
    counts = pd.DataFrame(
        {
            "unit_code": [R.UNIT, R.UNIT, R.OTHER_UNIT],
            "status": ["cleaned", "not_submitted", "cleaned"],
            "records": [3, 2, 1],
        }
    )
    table = reconcile.status_table(counts, "vehicle").set_index("unit_code")
    assert len(table) == 126
    assert list(table.columns[1:-1]) == list(VEHICLE_STATUSES)
    assert table.loc[R.UNIT, "total"] == 5 and table.loc["00004", "total"] == 0


def test_city_status_table_shares_add_up():
    counts = pd.DataFrame(
        {"unit_code": [R.UNIT, R.OTHER_UNIT], "status": ["cleaned", "cleaned"], "records": [3, 1]}
    )
    city = reconcile.city_status_table(counts, "licence").set_index("status")
    assert city.loc["cleaned", "records"] == 4 and city["share"].sum() == pytest.approx(1.0)
    assert city.loc["holder_deceased", "difficult"]


def test_difficult_examples_mask_ids_and_carry_no_names(tmp_path):
    v = R.vehicle(1, owner_id="001090012345")
    ws = _reconcile(
        tmp_path, vehicles=[v, R.vehicle(2)], population=[R.owner_of(v, status="deceased")]
    )
    examples = reconcile.difficult_examples(ws, WEEK, "vehicle")
    assert set(examples["status"]) == {"owner_deceased", "id_not_in_population"}
    assert "001*******45" in set(examples["person_id"])
    text = examples.astype(str).to_string()
    assert "001090012345" not in text and "Nguyễn" not in text and "29A" not in text


def test_status_counts_reads_the_written_table(small_week):
    ws, _ = small_week
    counts = reconcile.status_counts(ws, WEEK, "vehicle")
    assert counts["records"].sum() == 2
