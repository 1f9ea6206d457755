"""Duplicated registry records (reconcile's duplicates.sql): the later record with the same plate,
chassis or licence number is the duplicate."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import store
from tests import reconcile_rows as R
from tests.reconcile.builders import WEEK, _reconcile


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
