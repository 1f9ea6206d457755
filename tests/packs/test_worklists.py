"""The unit worklists (helpers.packs.worklists): complete, in working order, masked as the plan
says, readable when printed."""

from __future__ import annotations

from dataclasses import replace

import openpyxl
import pandas as pd
import pytest

from helpers import packs, store
from helpers.i18n import t
from tests.packs.builders import (
    PLAIN,
    U1,
    U2,
    U3,
    WEEK,
    build,
    cells,
    make_licence_status,
    make_links,
    make_submissions,
    make_vehicle_status,
    table_rows,
    unit_file,
    write_week,
)


def test_door_to_door_is_by_group_then_household_with_licences_and_columns_to_fill(
    tmp_ws, tmp_path
):
    vehicles = make_vehicle_status(
        [
            {"owner_address": "Số 5 ngõ 12 Phố Huế, Tổ dân phố 10, Phường A"},
            {"owner_address": "Số 3 Phố Huế, TDP 2, Phường A"},
            {"owner_address": "Số 5 ngõ 12 Phố Huế, Tổ dân phố 10, Phường A"},
            {"owner_address": "2 Đội Cấn"},  # no group written: said so, never guessed
            {"owner_address": "Số 1 Phố Huế, Tdp 2, Phường A"},
            {"status": "pending_review", "owner_address": "Số 9 Phố Huế, TDP 2"},
            {"owner_address": "Số 4 Phố Khác, TDP 1", "unit_code": U2},
        ]
    )
    licences = make_licence_status([{}, {"status": "cleaned"}, {"unit_code": U2}])
    write_week(tmp_ws, vehicles=vehicles, licences=licences)
    out = tmp_path / "out"
    build(tmp_ws, out, "en", units=[U1])
    wb = openpyxl.load_workbook(unit_file(out, U1))
    rows = table_rows(wb["Door to door"])
    group = "Residential group (tổ dân phố)"
    assert [(r[group], r["Household (address)"], r["Record"]) for r in rows] == [
        ("Residential group 2", "Số 1 Phố Huế, Tdp 2, Phường A", "Vehicles"),
        ("Residential group 2", "Số 3 Phố Huế, TDP 2, Phường A", "Vehicles"),
        ("Residential group 10", "Số 5 ngõ 12 Phố Huế, Tổ dân phố 10, Phường A", "Vehicles"),
        ("Residential group 10", "Số 5 ngõ 12 Phố Huế, Tổ dân phố 10, Phường A", "Vehicles"),
        ("No residential group in the address", "2 Đội Cấn", "Vehicles"),
        ("No residential group in the address", "No address in the register", "Driving licences"),
    ]
    assert {r["Visited on"] for r in rows} == {None} and {r["Result"] for r in rows} == {None}
    assert rows[0]["Type / class"] == t("excel.vehicle_type.motorbike", "en")
    summary = table_rows(wb["Door to door by group"])
    assert [(r[group], r["Households"], r["Records not submitted"]) for r in summary] == [
        ("Residential group 2", 2, 2),
        ("Residential group 10", 1, 2),
        ("No residential group in the address", 1, 2),
    ]
    assert sum(r["Records not submitted"] for r in summary) == len(rows)
    # only the unit's own records
    assert "Phố Khác" not in str(cells(wb["Door to door"]))


@pytest.mark.parametrize(
    "addresses, expected",
    [
        (
            ["10 Phố Huế", "9 Phố Huế", "Số 11 Phố Huế"],
            ["9 Phố Huế", "10 Phố Huế", "Số 11 Phố Huế"],
        ),
        (
            ["3 ngõ 5 Kim Mã", "1 ngõ 7 Kim Mã", "2 ngõ 5 Kim Mã"],
            ["2 ngõ 5 Kim Mã", "3 ngõ 5 Kim Mã", "1 ngõ 7 Kim Mã"],
        ),
        (["Thôn Đông, xã A", None, "Thôn Bắc, xã A"], ["Thôn Bắc, xã A", "Thôn Đông, xã A", None]),
    ],
)
def test_walking_order_of_addresses(addresses, expected):
    import duckdb

    con = duckdb.connect()
    recs = pd.DataFrame(
        {
            "kind": "vehicle",
            "status": "not_submitted",
            "address": addresses,
            "record_key": [f"P{i}" for i in range(len(addresses))],
            "record_type": "motorbike",
            "person_name": "X",
            "person_id": "001",
        }
    )
    con.register("recs", recs)
    got = packs.door_to_door(con)["address"].tolist()
    assert [None if pd.isna(a) else a for a in got] == expected


def test_unit_pack_holds_only_its_own_records(built):
    week_ws, out, _ = built["vi"]
    vehicles = store.load(week_ws, "vehicle_status", WEEK)
    for code in (U1, U2, U3):
        text = "\n".join(
            str(v)
            for ws in openpyxl.load_workbook(unit_file(out, code)).worksheets
            for row in cells(ws)
            for v in row
            if v is not None
        )
        for _, rec in vehicles.iterrows():
            if rec["status"] == "cleaned":
                continue
            assert (rec["plate"] in text) == (rec["unit_code"] == code), (code, rec["plate"])
        assert ("30K-999.99" in text) == (code == U1)  # unmatched submission of U1
        assert ("30K-888.88" in text) == (code == U2)


def test_citizen_ids_are_masked_unless_the_plan_allows_full_ids(week_ws, tmp_path):
    build(week_ws, tmp_path / "masked", "en", units=[U1], city=False)
    rows = table_rows(openpyxl.load_workbook(unit_file(tmp_path / "masked", U1))["Deceased owners"])
    assert rows[0]["Citizen ID"] == "001*******08"
    plan = replace(PLAIN, unit_packs={**PLAIN.unit_packs, "full_ids": True})
    build(week_ws, tmp_path / "full", "en", plan=plan, units=[U1], city=False)
    rows = table_rows(openpyxl.load_workbook(unit_file(tmp_path / "full", U1))["Deceased owners"])
    assert rows[0]["Citizen ID"] == "001090000008"


def test_organisation_tax_codes_are_not_masked(tmp_ws, tmp_path):
    vehicles = make_vehicle_status(
        [
            {
                "status": "organization_owned",
                "owner_kind": "organization",
                "owner_id": "0101234567",
                "owner_name": "Công Ty A",
            },
            {"status": "owner_deceased"},
        ]
    )
    write_week(tmp_ws, vehicles=vehicles)
    build(tmp_ws, tmp_path / "out", "en", units=[U1], city=False)
    wb = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))
    assert table_rows(wb["Organisation owners"])[0]["Citizen ID"] == "0101234567"
    assert table_rows(wb["Deceased owners"])[0]["Citizen ID"] == "001*******02"


def test_an_impossible_phone_is_marked_where_the_officer_reads_it(tmp_ws, tmp_path):
    subs = make_submissions(
        [
            {"submission_id": "S1", "plate": "30K-111.11", "phone": "0912345678"},
            {"submission_id": "S2", "plate": "30K-222.22", "phone": "12345"},
        ]
    )
    write_week(tmp_ws, submissions=subs, links=make_links(subs, {}))
    build(tmp_ws, tmp_path / "out", "en", units=[U1], city=False)
    sheet = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))["Submissions no record"]
    phones = {r["Submission ID"]: r["Phone"] for r in table_rows(sheet)}
    assert phones["S1"] == "0912345678"
    assert phones["S2"] == "12345 (no valid Vietnamese number: check before calling)"


def test_difficult_group_worklists_hold_only_the_open_records(tmp_ws, tmp_path):
    """A difficult record whose submission the unit approved is resolved (progress counts it
    so): the worklist holds what is still to do, and its count beside it says as many."""
    vehicles = make_vehicle_status(
        [
            {"status": "owner_deceased"},  # open: nothing submitted
            {
                "status": "owner_deceased",  # open: its submission waits for review
                "submission_id": "S1",
                "review_status": "pending",
                "last_submitted_at": "2025-11-20 10:00",
            },
            {
                "status": "owner_deceased",  # resolved: the unit approved its submission
                "submission_id": "S2",
                "review_status": "approved",
                "reviewed_at": "2025-11-21 10:00",
            },
            {
                "status": "scrapped_or_lost",  # resolved
                "submission_id": "S3",
                "review_status": "approved",
                "reviewed_at": "2025-11-21 10:00",
            },
        ]
    )
    write_week(tmp_ws, vehicles=vehicles)
    build(tmp_ws, tmp_path / "out", "en", units=[U1], city=False)
    wb = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))
    deceased = table_rows(wb[t("excel.sheets.deceased", "en")])
    assert [r["Record ID"] for r in deceased] == ["V000001", "V000002"]
    assert table_rows(wb[t("excel.sheets.scrapped", "en")]) == []
    counts = {r[0]: r[1] for r in cells(wb[t("excel.sheets.unit_summary", "en")]) if r and r[0]}
    assert counts[t("excel.sheets.deceased", "en")] == 2
    assert counts[t("excel.sheets.scrapped", "en")] == 0


def printed_points(ws) -> float:
    """The type size a sheet prints at on A4 (Excel's fit-to-width scale, 11-point font)."""
    p = packs.load_template()["print"]
    paper = 29.7 if ws.page_setup.orientation == "landscape" else 21.0
    page = (paper - p["margins_cm"]["left"] - p["margins_cm"]["right"]) / 2.54 * 72 / 0.75
    widths = [
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width or 8.43
        for i in range(1, ws.max_column + 1)
    ]
    total = sum(7 * w + 5 for w in widths)
    across = ws.page_setup.fitToWidth or 1
    return 11 * min(1.0, across * page / total)


def test_worklists_print_at_readable_type_on_a4(tmp_ws, tmp_path):
    """Long reasons and addresses wrap in narrower columns, so no worklist prints below 8 pt
    (the difficult-group sheets printed at ~4.3 pt, the lists at ~6 pt)."""
    reason = "Số định danh của chủ xe không hợp lệ: " + "không đủ 12 chữ số, " * 6
    address = "Số 123 ngõ 456 ngách 78 hẻm 9, Tổ dân phố 12, đường Nguyễn Văn Cừ kéo dài"
    vehicles = make_vehicle_status(
        [
            {"status": s, "status_reason_vi": reason, "owner_address": address}
            for s in ("invalid_owner_id", "owner_deceased", "not_submitted", "pending_review")
        ]
    )
    write_week(tmp_ws, vehicles=vehicles)
    build(tmp_ws, tmp_path / "out", "vi", units=[U1], city=False)
    wb = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))
    for key in packs.LISTS:
        ws = wb[t(f"excel.sheets.{key}", "vi")]
        assert ws.page_setup.orientation == "landscape", ws.title
        assert printed_points(ws) >= 8, (ws.title, printed_points(ws))
    invalid = wb[t("excel.sheets.invalid_id", "vi")]
    reason_cell = next(c for c in invalid[2] if c.value == reason)
    assert reason_cell.alignment.wrap_text  # the reason wraps: nothing cut
