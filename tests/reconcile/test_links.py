"""Links (helpers.reconcile.links): each submission to its registry record by plate, chassis or
licence number, the winning submission, near-plate candidates of the unmatched."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from helpers import reconcile, store
from tests import reconcile_rows as R
from tests.reconcile.builders import WEEK, _reconcile

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
