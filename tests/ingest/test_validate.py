"""Row-level rules (helpers.ingest.validate): rejects with their reasons, duplicates, the same row
twice, time order, unit codes and names."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import ingest
from helpers.statuses import REJECT_REASONS
from helpers.units import unit_names
from tests.ingest.builders import check, reasons
from tests.ingest_builders import (
    WEEK,
    full_delivery,
    rows_of,
    write_csv,
    write_xlsx,
)

# ---------------------------------------------------------------- row-level rules


@pytest.mark.parametrize(
    "source, override, column, reason",
    [
        ("registry_vehicles", {"plate": ""}, "plate", "missing_required"),
        ("registry_vehicles", {"plate": "ABC-123"}, "plate", "invalid_plate"),
        ("registry_vehicles", {"unit_code": "Phường Không Có"}, "unit_code", "unknown_unit"),
        ("registry_vehicles", {"vehicle_type": "xe tăng"}, "vehicle_type", "invalid_enum"),
        ("registry_vehicles", {"owner_dob": "31/02/1980"}, "owner_dob", "invalid_date"),
        ("registry_vehicles", {"registered_on": "01/01/2026"}, "registered_on", "date_in_future"),
        ("registry_vehicles", {"owner_dob": "01/01/1899"}, "owner_dob", "date_before_1900"),
        ("registry_licences", {"licence_no": "12345"}, "licence_no", "invalid_licence_no"),
        ("registry_licences", {"licence_class": "Z"}, "licence_class", "invalid_licence_class"),
        ("registry_licences", {"issued_on": ""}, "issued_on", "missing_required"),
        ("population", {"citizen_id": "12345"}, "citizen_id", "invalid_id"),
        ("population", {"citizen_id": "123456789"}, "citizen_id", "invalid_id"),
        ("population", {"status": "mất tích"}, "status", "invalid_enum"),
        ("population", {"dob": ""}, "dob", "missing_required"),
        ("submissions", {"plate": "", "chassis_no": ""}, "plate", "missing_required"),
        ("submissions", {"kind": "GPLX", "licence_no": ""}, "licence_no", "missing_required"),
        ("submissions", {"submitted_at": "2025-11-24 00:00:01"}, "submitted_at", "date_in_future"),
        ("submissions", {"review_status": "đang xem"}, "review_status", "invalid_enum"),
        ("unit_reports", {"vehicles_collected": "-3"}, "vehicles_collected", "invalid_number"),
        ("unit_reports", {"licences_cleaned": ""}, "licences_cleaned", "missing_required"),
        ("organizations", {"worked_directly": "có lẽ"}, "worked_directly", "invalid_enum"),
        ("organizations", {"vehicles_counted": "ba mươi"}, "vehicles_counted", "invalid_number"),
    ],
)
def test_bad_value_is_rejected_with_its_reason(tmp_ws, source, override, column, reason):
    path = write_csv(tmp_ws.raw / WEEK / f"{source}.csv", rows_of(source, {}, override))
    _, result, entry = check(tmp_ws, source, path)
    assert reasons(result) == [(3, column, reason)]
    assert result.accepted["source_row"].tolist() == [2]
    rej = result.rejects.iloc[0]
    assert rej["value"] == (override[column] or None) or pd.isna(rej["value"])
    assert rej["source_file"] == f"{WEEK}/{source}.csv" and rej["reason"] and rej["reason_vi"]
    assert entry["balanced"]


@pytest.mark.parametrize(
    "override, kind, owner_id, repaired",
    [
        ({"owner_id": "1090012345"}, "cccd", "001090012345", True),
        ({"owner_id": "123456789"}, "cmnd", "123456789", False),
        ({"owner_id": "12"}, "invalid", "12", False),
        ({"owner_id": ""}, "missing", None, False),
        ({"owner_id": "0100109106", "owner_kind": "Tổ chức"}, "tax_code", "0100109106", False),
    ],
)
def test_registry_owner_ids_are_flagged_not_rejected(tmp_ws, override, kind, owner_id, repaired):
    path = write_csv(
        tmp_ws.raw / WEEK / "registry_vehicles.csv", rows_of("registry_vehicles", override)
    )
    _, result, _ = check(tmp_ws, "registry_vehicles", path)
    row = result.accepted.iloc[0]
    assert row["owner_id_kind"] == kind and bool(row["owner_id_repaired"]) is repaired
    assert (row["owner_id"] if isinstance(row["owner_id"], str) else None) == owner_id


def test_year_only_birth_date_keeps_the_year(tmp_ws):
    path = write_csv(tmp_ws.raw / WEEK / "population.csv", rows_of("population", {"dob": "1958"}))
    _, result, _ = check(tmp_ws, "population", path)
    row = result.accepted.iloc[0]
    assert pd.isna(row["dob"]) and row["dob_year"] == 1958


def test_units_resolve_from_code_number_or_name(tmp_ws):
    spellings = ["00070", "70", "Phường Hoàn Kiếm", "P. Hoan Kiem", "hoàn kiếm", "70.0"]
    path = write_csv(
        tmp_ws.raw / WEEK / "organizations.csv",
        rows_of("organizations", *({"unit_code": s} for s in spellings)),
    )
    _, result, _ = check(tmp_ws, "organizations", path)
    assert result.accepted["unit_code"].tolist() == ["00070"] * len(spellings)


def test_second_row_with_a_key_already_seen_is_a_duplicate(tmp_ws):
    path = write_csv(
        tmp_ws.raw / WEEK / "registry_vehicles.csv",
        rows_of("registry_vehicles", {"record_id": "V9"}, {}, {"record_id": "V9"}),
    )
    _, result, _ = check(tmp_ws, "registry_vehicles", path)
    assert reasons(result) == [(4, "record_id", "duplicate_key")]
    assert result.accepted["source_row"].tolist() == [2, 3]


def test_repaired_citizen_ids_count_as_duplicates_of_the_intact_ones(tmp_ws):
    path = write_csv(
        tmp_ws.raw / WEEK / "population.csv",
        rows_of("population", {"citizen_id": "001090012345"}, {"citizen_id": "1090012345"}),
    )
    _, result, _ = check(tmp_ws, "population", path)
    assert reasons(result) == [(3, "citizen_id", "duplicate_key")]


def test_a_row_with_several_problems_is_counted_once(tmp_ws):
    bad = {"plate": "??", "vehicle_type": "xe tăng", "unit_code": "", "owner_dob": "hôm qua"}
    path = write_csv(
        tmp_ws.raw / WEEK / "registry_vehicles.csv", rows_of("registry_vehicles", {}, bad)
    )
    _, result, entry = check(tmp_ws, "registry_vehicles", path)
    assert len(result.rejects) == 4
    assert (entry["rows_read"], entry["rows_accepted"], entry["rows_rejected"]) == (2, 1, 1)


def test_names_are_cleaned_and_keyed(tmp_ws):
    path = write_csv(
        tmp_ws.raw / WEEK / "registry_licences.csv",
        rows_of("registry_licences", {"holder_name": "  TRẦN   thị  BÌNH "}),
    )
    _, result, _ = check(tmp_ws, "registry_licences", path)
    row = result.accepted.iloc[0]
    assert (row["holder_name"], row["holder_name_key"]) == ("Trần Thị Bình", "tran thi binh")


def test_every_reject_reason_has_wording_in_both_languages():
    from helpers import i18n

    for code in REJECT_REASONS:
        assert i18n.t(f"rejects.{code}", "en") and i18n.t(f"rejects.{code}", "vi")


# ---------------------------------------------------------------- the same row twice


def test_a_unit_report_workbook_delivered_twice_is_counted_once(tmp_ws):
    folder = full_delivery(tmp_ws, "2025-11-16")
    rows = rows_of("unit_reports", {"report_date": "14/11/2025"}, {"report_date": "15/11/2025"})
    write_xlsx(folder / "unit_reports" / "00008.xlsx", rows)
    write_xlsx(folder / "unit_reports" / "00008 (1).xlsx", rows)
    ledger = ingest.ingest_week(tmp_ws, "2025-11-16")
    reports = pd.read_parquet(tmp_ws.processed / "2025-11-16" / "unit_reports.parquet")
    assert len(reports) == 2 and reports["vehicles_collected"].sum() == 24
    rejects = pd.read_parquet(tmp_ws.processed / "2025-11-16" / "rejects.parquet")
    dup = rejects[rejects["reason_code"] == "duplicate_row"]
    assert len(dup) == 2
    # both places are named: the rejected row and the row it repeats
    assert set(dup["source_file"]) | set(dup["other_file"]) == {
        "2025-11-16/unit_reports/00008.xlsx",
        "2025-11-16/unit_reports/00008 (1).xlsx",
    }
    assert set(dup["other_row"]) == {2, 3}
    entry = next(e for e in ledger["files"] if e["rows_rejected"])
    assert entry["rows_rejected"] == 2 and entry["balanced"]
    copies = [w for w in ledger["warnings"] if w["code"] == "duplicate_file"]
    assert len(copies) == 1 and copies[0]["params"]["rows"] == 2


def test_rows_with_one_key_and_other_values_are_all_rejected_naming_each_other(tmp_ws):
    folder = full_delivery(tmp_ws, "2025-11-16", skip=("unit_reports",))
    write_xlsx(
        folder / "unit_reports" / "00008.xlsx",
        rows_of("unit_reports", {"report_date": "14/11/2025"}),
    )
    # the same unit and day, written by name in another workbook, with another count
    write_xlsx(
        folder / "unit_reports" / "tong-hop.xlsx",
        rows_of(
            "unit_reports",
            {
                "report_date": "2025-11-14",
                "unit_code": "Phường Ngọc Hà",
                "vehicles_collected": "30",
            },
        ),
    )
    ingest.ingest_week(tmp_ws, "2025-11-16")
    reports = pd.read_parquet(tmp_ws.processed / "2025-11-16" / "unit_reports.parquet")
    assert reports.empty
    rejects = pd.read_parquet(tmp_ws.processed / "2025-11-16" / "rejects.parquet")
    clash = rejects[rejects["reason_code"] == "conflicting_rows"].sort_values("source_file")
    assert clash["other_file"].tolist() == clash["source_file"].tolist()[::-1]


@pytest.mark.parametrize(
    "source, key", [("submissions", "submission_id"), ("organizations", "org_id")]
)
def test_identical_repeats_in_one_file_are_duplicate_rows(tmp_ws, source, key):
    row = rows_of(source)[0]
    path = write_csv(tmp_ws.raw / WEEK / f"{source}.csv", [row, row, dict(row, **{key: "0109"})])
    _, result, entry = check(tmp_ws, source, path)
    assert reasons(result) == [(3, key, "duplicate_row")]
    assert len(result.accepted) == 2 and entry["balanced"]


# ---------------------------------------------------------------- time order


def test_a_review_after_the_delivery_keeps_the_submission_pending_this_week(tmp_ws):
    folder = full_delivery(tmp_ws, WEEK, skip=("submissions",))
    write_csv(
        folder / "submissions.csv",
        rows_of(
            "submissions",
            {"review_status": "approved", "reviewed_at": "2025-11-24 07:45:00"},
            {
                "review_status": "rejected",
                "reviewed_at": "2025-11-24 08:00:00",
                "reject_reason": "Sai biển số",
            },
            {"review_status": "approved", "reviewed_at": "2025-11-23 16:00:00"},
        ),
    )
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    subs = pd.read_parquet(tmp_ws.processed / WEEK / "submissions.parquet")
    assert subs["review_status"].tolist() == ["pending", "pending", "approved"]
    assert subs["reviewed_at"].isna().tolist() == [True, True, False]
    assert subs["reject_reason"].isna().all()
    entry = next(e for e in ledger["files"] if e["source"] == "submissions")
    assert entry["rows_accepted"] == 3 and entry["notes"] == {"reviews_after_delivery": 2}
    assert [
        w["params"]["rows"]
        for w in ledger["warnings"]
        if w["code"] == "note_reviews_after_delivery"
    ] == [2]


def test_a_review_before_its_submission_is_rejected(tmp_ws):
    rows = rows_of(
        "submissions",
        {
            "submitted_at": "2025-11-12 08:30:00",
            "review_status": "rejected",
            "reviewed_at": "2025-11-01 09:00:00",
            "reject_reason": "x",
        },
        {
            "submitted_at": "2025-11-12 08:30:00",
            "review_status": "approved",
            "reviewed_at": "12/11/2025",
        },  # a bare date on the submission's day is fine
        {
            "submitted_at": "2025-11-12 08:30:00",
            "review_status": "approved",
            "reviewed_at": "2025-11-12 08:00:00",
        },
    )
    path = write_csv(tmp_ws.raw / WEEK / "submissions.csv", rows)
    _, result, entry = check(tmp_ws, "submissions", path)
    assert reasons(result) == [
        (2, "reviewed_at", "reviewed_before_submitted"),
        (4, "reviewed_at", "reviewed_before_submitted"),
    ]
    assert entry["balanced"]


# ---------------------------------------------------------------- unit codes and names


def test_a_unit_written_as_code_and_name_resolves_when_both_agree(tmp_ws):
    rows = rows_of("population", {"unit_code": "00008 - Phường Ngọc Hà"}, {"unit_code": "Ngọc Hà"})
    _, result, entry = check(
        tmp_ws, "population", write_csv(tmp_ws.raw / WEEK / "population.csv", rows)
    )
    assert result.accepted["unit_code"].tolist() == ["00008", "00008"]
    assert entry["rows_rejected"] == 0


def test_a_code_and_name_that_disagree_are_rejected_naming_both(tmp_ws):
    rows = rows_of("population", {"unit_code": "00226 - Phường Kim Liên"})
    _, result, entry = check(
        tmp_ws, "population", write_csv(tmp_ws.raw / WEEK / "population.csv", rows)
    )
    assert reasons(result) == [(2, "unit_code", "unit_code_name_mismatch")]
    value = result.rejects["value"].iloc[0]
    assert "00226 = Phường Văn Miếu - Quốc Tử Giám" in value and "Kim Liên = 00229" in value
    assert entry["rows_accepted"] == 0


def test_a_unit_name_column_beside_the_code_is_checked_against_it(tmp_ws):
    rows = [
        dict(r, **{"Tên đơn vị": name})
        for r, name in zip(
            rows_of("population", {"unit_code": "00226"}, {"unit_code": "00229"}),
            ["Phường Kim Liên", "Phường Kim Liên"],
            strict=True,
        )
    ]
    path = write_csv(tmp_ws.raw / WEEK / "population.csv", rows)
    _, result, entry = check(tmp_ws, "population", path)
    assert reasons(result) == [(2, "unit_code", "unit_code_name_mismatch")]
    assert "00226 = Phường Văn Miếu - Quốc Tử Giám" in result.rejects["value"].iloc[0]
    assert result.accepted["unit_code"].tolist() == ["00229"]
    assert entry["columns_unused"] == []


def test_an_official_code_that_was_another_units_draft_code_is_its_official_unit(tmp_ws):
    rows = rows_of("population", {"unit_code": "00226"}, {"unit_code": "00331"})
    _, result, entry = check(
        tmp_ws, "population", write_csv(tmp_ws.raw / WEEK / "population.csv", rows)
    )
    names = [unit_names()[c] for c in result.accepted["unit_code"]]
    assert names == ["Phường Văn Miếu - Quốc Tử Giám", "Phường Hoàng Mai"]
    assert entry["notes"] == {}  # never credited through the draft list


def test_a_draft_code_no_unit_holds_is_read_with_a_warning_in_the_ledger(tmp_ws):
    folder = full_delivery(tmp_ws, WEEK, skip=("population",))
    rows = rows_of("population", {"unit_code": "00073"}, {"unit_code": "10333"}, {})
    write_csv(folder / "population.csv", rows)
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    people = pd.read_parquet(tmp_ws.processed / WEEK / "population.parquet")
    assert people["unit_code"].tolist() == ["00082", "10342", "00008"]
    entry = next(e for e in ledger["files"] if e["source"] == "population")
    assert entry["rows_accepted"] == 3 and entry["notes"] == {"draft_unit_code": 2}
    assert [
        w["params"]["rows"] for w in ledger["warnings"] if w["code"] == "note_draft_unit_code"
    ] == [2]


# ---------------------------------------------------------------- memory: raw text let go


@pytest.mark.parametrize(
    "source, bad, kept",
    [
        (
            "registry_vehicles",
            {
                "plate": "??",
                "vehicle_type": "xe tăng",
                "unit_code": "Phường Không Có",
                "owner_dob": "hôm qua",
                "registered_on": "01/01/2026",
                "owner_kind": "ai đó",
            },
            ["record_id", "chassis_no", "engine_no", "owner_address"],
        ),
        (
            "population",
            {
                "citizen_id": "12345",
                "dob": "31/02/1980",
                "gender": "?",
                "unit_code": "Phường Không Có",
                "status": "mất tích",
            },
            [],
        ),
    ],
)
def test_validation_lets_each_checked_columns_raw_text_go(tmp_ws, source, bad, kept):
    """The registry's and population's raw text is dropped column by column once checked (the
    city registry's validation peak); every reject still shows its raw value, in the order
    the checks always gave, and the file keeps its row numbers for the ledger."""
    path = write_csv(tmp_ws.raw / WEEK / f"{source}.csv", rows_of(source, {}, bad))
    raw = ingest.read_file(tmp_ws, source, path, WEEK)[0]
    rows = ingest.combine([raw])
    result = ingest.validate(source, rows, WEEK)
    assert raw.rows.column_names == ["source_row"] and raw.rows_read == 2
    assert ingest.ledger_entry(raw, result)["balanced"]
    released = [c for c in ingest.COLUMNS[source] if c not in kept]
    assert not [c for c in released if c in rows.columns]
    shown = dict(zip(result.rejects["column"], result.rejects["value"], strict=True))
    assert {c: shown[c] for c in bad} == bad
    assert (
        list(result.rejects["column"])
        == {
            "registry_vehicles": [
                "plate",
                "owner_kind",
                "owner_dob",
                "registered_on",
                "unit_code",
                "vehicle_type",
            ],
            "population": ["citizen_id", "dob", "gender", "unit_code", "status"],
        }[source]
    )


def test_a_reject_on_a_column_let_go_is_refused():
    """A check that comes after a column's text was let go cannot show its value: it fails
    loudly instead of writing a reject without one."""
    rows = pd.DataFrame({"plate": pd.Series(["x"], dtype="str"), "source_row": [2]}).assign(
        source_file=pd.Categorical(["f.csv"])
    )
    from helpers.ingest.validate import _Problems

    p = _Problems(rows)
    p.release("plate")
    with pytest.raises(AssertionError):
        p.add([True], "plate", "invalid_plate")
