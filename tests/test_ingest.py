"""Ingest: locating, reading every raw format, row-level rejects, the ledger, bad files."""

from __future__ import annotations

import gzip
import hashlib
import json
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import DeliveryError, ingest
from helpers.paths import Workspace
from helpers.statuses import REJECT_REASONS
from helpers.units import unit_names
from tests.ingest_builders import (
    VALID,
    WEEK,
    csv_bytes,
    full_delivery,
    rows_of,
    write_csv,
    write_parquet,
    write_xlsx,
)


def read_one(ws: Workspace, source: str, path: Path, delivery: str = WEEK) -> ingest.RawFile:
    parts = ingest.read_file(ws, source, path, delivery)
    assert len(parts) == 1
    return parts[0]


def check(ws: Workspace, source: str, path: Path, delivery: str = WEEK):
    """Read and validate one file: (raw file, validated result, ledger entry)."""
    raw = read_one(ws, source, path, delivery)
    result = ingest.validate(source, ingest.combine([raw]), delivery)
    entry = ingest.ledger_entry(raw, result)
    # accepted rows as a DataFrame, for readable assertions
    readable = SimpleNamespace(accepted=result.accepted.to_pandas(), rejects=result.rejects)
    return raw, readable, entry


def reasons(result: ingest.Validated) -> list[tuple[int, str, str]]:
    return list(
        result.rejects[["source_row", "column", "reason_code"]].itertuples(index=False, name=None)
    )


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tones combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


# ---------------------------------------------------------------- locating sources


def test_each_source_comes_from_the_newest_folder_on_or_before_the_week(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16")
    write_csv(tmp_ws.raw / "2025-11-23" / "submissions.csv", rows_of("submissions"))
    write_csv(tmp_ws.raw / "2025-11-30" / "submissions.csv", rows_of("submissions"))
    found = ingest.locate_sources(tmp_ws, "2025-11-23")
    assert found["submissions"].delivery == "2025-11-23"
    assert found["population"].delivery == "2025-11-16"
    assert found["registry_vehicles"].files[0].name == "registry_vehicles.csv"


def test_missing_source_names_the_source_and_the_folders_searched(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16", skip=("organizations",))
    (tmp_ws.raw / "2025-11-23").mkdir()
    with pytest.raises(DeliveryError, match=r"'organizations'.*2025-11-16, 2025-11-23"):
        ingest.locate_sources(tmp_ws, "2025-11-23")


def test_unit_reports_are_every_workbook_of_the_folder(tmp_ws):
    folder = full_delivery(tmp_ws)
    write_xlsx(folder / "unit_reports" / "00070.xlsx", rows_of("unit_reports"))
    (folder / "unit_reports" / "~$00070.xlsx").write_bytes(b"lock")
    found = ingest.locate_sources(tmp_ws, WEEK)["unit_reports"]
    assert [p.name for p in found.files] == ["00008.xlsx", "00070.xlsx"]


def test_a_source_delivered_twice_in_one_folder_is_an_error(tmp_ws):
    folder = full_delivery(tmp_ws)
    write_parquet(folder / "population.parquet", rows_of("population"))
    with pytest.raises(DeliveryError, match="population.*more than once"):
        ingest.locate_sources(tmp_ws, WEEK)


# ---------------------------------------------------------------- formats and encodings

VN_HEADER = ["Số định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Xã/Phường", "Trạng thái"]
VN_ROW = ["001090012345", "Đặng Thị Ánh", "05/06/1980", "Nữ", "Phường Ngọc Hà", "Còn sống"]


@pytest.mark.parametrize(
    "encoding, sep",
    [
        ("utf-8", ","),
        ("utf-8", ";"),
        ("utf-8-sig", ","),
        ("utf-8-sig", ";"),
        ("cp1258", ";"),
        ("cp1258", ","),
    ],
)
def test_csv_in_every_encoding_and_separator(tmp_ws, encoding, sep):
    data = csv_bytes(VN_HEADER, [VN_ROW], sep=sep, encoding="utf-8")
    if encoding == "cp1258":
        data = to_cp1258(data.decode("utf-8"))
    elif encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    path = tmp_ws.raw / WEEK / "population.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    _, result, entry = check(tmp_ws, "population", path)
    row = result.accepted.iloc[0]
    assert row["full_name"] == "Đặng Thị Ánh"
    assert unicodedata.is_normalized("NFC", row["full_name"])
    assert (row["gender"], row["unit_code"], row["status"]) == ("female", "00008", "alive")
    assert entry["balanced"] and entry["rows_accepted"] == 1


def test_csv_gz_is_read_and_checksummed_as_delivered(tmp_ws):
    path = write_csv(tmp_ws.raw / WEEK / "population.csv.gz", rows_of("population", {}, {}))
    raw, result, entry = check(tmp_ws, "population", path)
    assert len(result.accepted) == 2
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_cp1258_detected_even_when_the_top_of_the_file_is_plain_ascii(tmp_ws):
    rows = rows_of("population", *({} for _ in range(2000)), {"full_name": "Đặng Thị Ánh"})
    text = csv_bytes(list(rows[0]), [list(r.values()) for r in rows]).decode("utf-8")
    path = tmp_ws.raw / WEEK / "population.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(to_cp1258(text))
    _, result, _ = check(tmp_ws, "population", path)
    assert result.accepted["full_name"].iloc[-1] == "Đặng Thị Ánh"


@pytest.mark.parametrize(
    "header",
    [
        ["citizen_id", "full_name", "dob", "gender", "unit_code", "status"],
        ["CITIZEN_ID", " Full Name ", "DOB", "Gender", "Unit Code", "Status"],
        VN_HEADER,
        ["SO DINH DANH", "ho va ten", "ngay sinh", "gioi tinh", "xa/phuong", "trang thai"],
        [unicodedata.normalize("NFD", h) for h in VN_HEADER],
        ["  Số   định danh ", "HỌ VÀ TÊN", "Ngày Sinh", "giới tính", "Mã đơn vị", "Tình trạng"],
    ],
)
def test_headers_match_canonical_names_and_vietnamese_aliases(tmp_ws, header):
    path = write_csv(tmp_ws.raw / WEEK / "population.csv", rows_of("population"), header=header)
    raw = read_one(tmp_ws, "population", path)
    assert set(raw.header) == set(ingest.COLUMNS["population"])


def test_unknown_extra_columns_are_kept_as_text(tmp_ws):
    rows = [dict(r, **{"Ghi chú": " xem lại "}) for r in rows_of("population")]
    path = write_csv(tmp_ws.raw / WEEK / "population.csv", rows)
    _, result, _ = check(tmp_ws, "population", path)
    assert result.accepted["Ghi chú"].tolist() == ["xem lại"]


def test_xlsx_with_title_block_merged_cells_and_totals_row(tmp_ws):
    rows = rows_of("unit_reports", {"report_date": "18/11/2025"}, {"report_date": "19/11/2025"})
    for row in rows[1:]:
        row["unit_code"] = None  # merged with the cell above
    path = write_xlsx(
        tmp_ws.raw / WEEK / "unit_reports" / "00008.xlsx",
        rows,
        header=[
            "Ngày báo cáo",
            "Đơn vị",
            "Số xe thu thập",
            "Số xe đã duyệt",
            "Số GPLX thu thập",
            "Số GPLX làm sạch",
        ],
        title=("CÔNG AN PHƯỜNG NGỌC HÀ", "BÁO CÁO KẾT QUẢ THU THẬP"),
        totals=True,
        merges=("A1:F1", "A2:F2", "B5:B6"),
    )
    raw, result, entry = check(tmp_ws, "unit_reports", path)
    assert raw.header_row == 4
    assert result.accepted["source_row"].tolist() == [5, 6]
    assert result.accepted["unit_code"].tolist() == ["00008", "00008"]
    assert entry["rows_skipped"] == {"title": 3, "blank": 0, "totals": 1}
    assert entry["rows_read"] == 6 and entry["balanced"]


def test_xlsx_typed_cells_dates_and_numbers(tmp_ws):
    from datetime import datetime

    rows = rows_of(
        "registry_licences",
        {
            "issued_on": datetime(2015, 2, 1),
            "licence_no": 10012345678,
            "holder_id": 1185012345,
            "holder_dob": 31048,
        },
    )
    path = write_xlsx(tmp_ws.raw / WEEK / "registry_licences.xlsx", rows)
    _, result, _ = check(tmp_ws, "registry_licences", path)
    # a licence number that lost its zero is not 12 digits: rejected, not guessed
    assert reasons(result) == [(2, "licence_no", "invalid_licence_no")]


def test_xlsx_blank_rows_between_data_are_skipped_as_blank(tmp_ws):
    path = write_xlsx(
        tmp_ws.raw / WEEK / "organizations.xlsx",
        rows_of("organizations", {}, {}),
        blank_between=True,
    )
    raw, result, entry = check(tmp_ws, "organizations", path)
    assert result.accepted["source_row"].tolist() == [2, 4]
    # the blank row after the last data row is not in the file at all
    assert entry["rows_skipped"]["blank"] == 1 and entry["balanced"]


def test_parquet_rows_are_numbered_like_the_same_table_as_csv(tmp_ws):
    path = write_parquet(
        tmp_ws.raw / WEEK / "population.parquet",
        rows_of("population", {}, {"unit_code": "nowhere"}),
    )
    _, result, entry = check(tmp_ws, "population", path)
    assert reasons(result) == [(3, "unit_code", "unknown_unit")]
    assert entry["header_row"] == 1 and entry["balanced"]


def test_parquet_typed_columns_are_read_as_text(tmp_ws):
    rows = rows_of("submissions")
    frame = pd.DataFrame(rows)
    frame["submitted_at"] = pd.Timestamp("2025-11-12 08:30")
    frame["citizen_id"] = 1090012345.0
    path = tmp_ws.raw / WEEK / "submissions.parquet"
    path.parent.mkdir(parents=True)
    frame.to_parquet(path)
    _, result, _ = check(tmp_ws, "submissions", path)
    row = result.accepted.iloc[0]
    assert row["submitted_at"] == pd.Timestamp("2025-11-12 08:30")
    assert (row["citizen_id"], row["citizen_id_kind"]) == ("001090012345", "cccd")


def test_csv_totals_and_blank_lines_are_skipped(tmp_ws):
    rows = rows_of("unit_reports")
    header = list(rows[0])
    data = csv_bytes(
        header, [list(rows[0].values()), [""] * 6, ["Tổng cộng", "", "12", "10", "5", "4"]]
    )
    path = tmp_ws.raw / WEEK / "unit_reports.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    _, result, entry = check(tmp_ws, "unit_reports", path)
    assert entry["rows_skipped"] == {"title": 0, "blank": 1, "totals": 1}
    assert entry["rows_accepted"] == 1 and entry["balanced"]


def test_csv_row_numbers_count_lines_with_quoted_newlines_and_ragged_rows(tmp_ws):
    header = ["citizen_id", "full_name", "dob", "gender", "unit_code", "status"]
    text = (
        "BÁO CÁO TRÍCH XUẤT\n"  # line 1: title
        + ",".join(header)
        + "\n"  # line 2: header
        + '001090000001,"Nguyễn\nVăn An",05/06/1980,Nam,00008,alive\n'  # lines 3-4
        + "001090000002,Lê Bình,05/06/1980,Nam\n"  # line 5: short row
        + "001090000003,Lê Cúc,05/06/1980,Nữ,00008,alive,surplus\n"  # line 6: long row
        + "\n"  # line 7: blank
        + "001090000004,Lê Dung,05/06/1980,Nữ,00008,sống dở\n"  # line 8
    )
    path = tmp_ws.raw / WEEK / "population.csv"
    path.parent.mkdir(parents=True)
    path.write_text(text, "utf-8")
    raw, result, entry = check(tmp_ws, "population", path)
    assert raw.rows["source_row"].to_pylist() == [3, 5, 6, 8]
    assert result.accepted["source_row"].tolist() == [3, 6]
    assert result.accepted["column_G"].tolist()[1] == "surplus"
    assert reasons(result) == [
        (5, "unit_code", "missing_required"),
        (5, "status", "missing_required"),
        (8, "status", "invalid_enum"),
    ]
    assert entry["rows_skipped"] == {"title": 1, "blank": 1, "totals": 0}
    assert (entry["rows_read"], entry["rows_rejected"]) == (6, 2) and entry["balanced"]


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


# ---------------------------------------------------------------- bad files


def _bad(tmp_ws: Workspace, name: str, data: bytes) -> Path:
    path = tmp_ws.raw / WEEK / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_empty_file_stops_the_run_with_its_name(tmp_ws):
    path = _bad(tmp_ws, "population.csv", b"")
    with pytest.raises(DeliveryError, match=r"2025-11-23/population\.csv: empty"):
        ingest.read_file(tmp_ws, "population", path, WEEK)


def test_header_without_rows_is_empty(tmp_ws):
    path = _bad(tmp_ws, "population.csv", csv_bytes(VN_HEADER, []))
    with pytest.raises(
        DeliveryError, match=r"population\.csv: empty: a header row was found but no"
    ):
        ingest.read_file(tmp_ws, "population", path, WEEK)


def test_no_header_found_says_what_was_expected_and_found(tmp_ws):
    path = _bad(tmp_ws, "population.csv", csv_bytes(["x", "y"], [["1", "2"]]))
    with pytest.raises(DeliveryError) as err:
        ingest.read_file(tmp_ws, "population", path, WEEK)
    message = str(err.value)
    assert "population.csv: no header row found" in message
    assert "citizen_id, full_name, dob, unit_code, status" in message
    assert "'x'" in message


def test_required_column_missing_names_it_and_the_header_found(tmp_ws):
    header = ["Số định danh", "Họ và tên", "Ngày sinh", "Xã/Phường"]
    path = _bad(tmp_ws, "population.csv", csv_bytes(header, [VN_ROW[:4]]))
    with pytest.raises(DeliveryError) as err:
        ingest.read_file(tmp_ws, "population", path, WEEK)
    message = str(err.value)
    assert "population.csv: required column(s) missing: status" in message
    assert "'Số định danh', 'Họ và tên', 'Ngày sinh', 'Xã/Phường'" in message


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("population.csv.gz", b"not gzip at all", "expected a gzip-compressed CSV"),
        ("population.xlsx", b"PK\x03\x04 broken", "expected an Excel .xlsx workbook"),
        ("population.parquet", b"PAR1 broken PAR1", "expected a Parquet file"),
    ],
)
def test_unreadable_file_names_the_format_expected(tmp_ws, name, data, expected):
    path = _bad(tmp_ws, name, data)
    with pytest.raises(DeliveryError, match=rf"2025-11-23/{name}: .*{expected}"):
        ingest.read_file(tmp_ws, "population", path, WEEK)


def test_a_bad_file_leaves_the_previous_processed_week_alone(tmp_ws):
    folder = full_delivery(tmp_ws)
    ingest.ingest_week(tmp_ws, WEEK)
    before = (tmp_ws.processed_week(WEEK) / "ledger.json").read_bytes()
    (folder / "population.csv").write_bytes(b"")
    with pytest.raises(DeliveryError):
        ingest.ingest_week(tmp_ws, WEEK)
    assert (tmp_ws.processed_week(WEEK) / "ledger.json").read_bytes() == before
    # no staging left behind (.incremental: the file hashes the reuse of sources remembers)
    assert [p.name for p in tmp_ws.processed.iterdir() if p.name != ".incremental"] == [WEEK]


# ---------------------------------------------------------------- the week


def test_ingest_week_writes_every_table_and_a_balanced_ledger(tmp_ws):
    full_delivery(tmp_ws)
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    folder = tmp_ws.processed_week(WEEK)
    for source in ingest.SOURCE_NAMES:
        assert (folder / f"{source}.parquet").is_file()
    assert (folder / "rejects.parquet").is_file()
    saved = json.loads((folder / "ledger.json").read_text("utf-8"))
    assert saved == ledger and ledger["balanced"]
    assert {f["source"] for f in ledger["files"]} == set(ingest.SOURCE_NAMES)
    for entry in ledger["files"]:
        path = tmp_ws.raw / entry["file"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_processed_tables_follow_the_contract_columns(tmp_ws):
    full_delivery(tmp_ws)
    ingest.ingest_week(tmp_ws, WEEK)
    vehicles = pd.read_parquet(tmp_ws.processed_week(WEEK) / "registry_vehicles.parquet")
    assert list(vehicles.columns) == [
        "record_id",
        "unit_code",
        "plate",
        "plate_key",
        "vehicle_type",
        "chassis_no",
        "chassis_key",
        "engine_no",
        "registered_on",
        "owner_kind",
        "owner_name",
        "owner_name_key",
        "owner_id",
        "owner_id_kind",
        "owner_id_repaired",
        "owner_dob",
        "owner_dob_year",
        "owner_address",
        "source_file",
        "source_row",
    ]
    rejects = pd.read_parquet(tmp_ws.processed_week(WEEK) / "rejects.parquet")
    assert list(rejects.columns) == list(ingest.REJECT_COLUMNS)


def test_rerun_gives_identical_files_and_never_writes_raw(tmp_ws):
    full_delivery(tmp_ws)
    raw_before = {p: p.read_bytes() for p in tmp_ws.raw.rglob("*") if p.is_file()}
    ingest.ingest_week(tmp_ws, WEEK)
    first = {p.name: p.read_bytes() for p in tmp_ws.processed_week(WEEK).iterdir()}
    (tmp_ws.processed_week(WEEK) / "stale.parquet").write_bytes(b"old")
    ingest.ingest_week(tmp_ws, WEEK, reuse=False)  # parsed again, not reused
    second = {p.name: p.read_bytes() for p in tmp_ws.processed_week(WEEK).iterdir()}
    assert first == second
    assert {p: p.read_bytes() for p in tmp_ws.raw.rglob("*") if p.is_file()} == raw_before


def test_unit_report_workbooks_are_ledgered_one_by_one(tmp_ws):
    folder = full_delivery(tmp_ws)
    write_xlsx(
        folder / "unit_reports" / "00070.xlsx",
        rows_of("unit_reports", {"unit_code": "70"}, {"vehicles_approved": "x"}),
    )
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    entries = {e["file"]: e for e in ledger["files"] if e["source"] == "unit_reports"}
    assert entries[f"{WEEK}/unit_reports/00070.xlsx"]["rows_rejected"] == 1
    assert entries[f"{WEEK}/unit_reports/00008.xlsx"]["rows_accepted"] == 1


def test_reject_counts_show_no_values(tmp_ws):
    folder = full_delivery(tmp_ws)
    write_csv(folder / "population.csv", rows_of("population", {}, {"citizen_id": "98765"}))
    ingest.ingest_week(tmp_ws, WEEK)
    rejects = pd.read_parquet(tmp_ws.processed_week(WEEK) / "rejects.parquet")
    table = ingest.reject_counts(rejects, "vi")
    assert "98765" not in table.to_string()
    assert table.iloc[0].tolist() == [
        "population",
        "invalid_id",
        "Số định danh không hợp lệ (cần 12 chữ số CCCD)",
        1,
        1,
    ]


# ---------------------------------------------------------------- nothing lost, whatever the file

_CELL = st.one_of(
    st.just(""),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(
        [
            "Tổng cộng",
            "29A-123.45",
            "1090012345",
            "05/06/1980",
            "00008",
            "x;y",
            'a"b',
            "line\nbreak",
            "   ",
            "Còn sống",
            "1958",
        ]
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(st.lists(_CELL, min_size=0, max_size=9), max_size=25),
    sep=st.sampled_from([",", ";"]),
    title=st.lists(st.sampled_from(["CÔNG AN PHƯỜNG NGỌC HÀ", "", "BÁO CÁO"]), max_size=3),
)
def test_no_row_is_lost_whatever_garbage_a_csv_holds(tmp_path_factory, rows, sep, title):
    from tests.conftest import make_workspace

    ws = make_workspace(tmp_path_factory.mktemp("garbage"))
    header = ["Số định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Xã/Phường", "Trạng thái"]
    data = csv_bytes(header, rows, sep=sep, title=tuple(title))
    path = _bad(ws, "population.csv", data)
    physical = data.decode("utf-8").count("\r\n")
    try:
        parts = ingest.read_file(ws, "population", path, WEEK)
    except DeliveryError as exc:
        assert "empty" in str(exc)  # only a file with no data rows may stop the run
        return
    raw = parts[0]
    result = ingest.validate("population", ingest.combine(parts), WEEK)
    entry = ingest.ledger_entry(raw, result)
    assert entry["balanced"]
    assert entry["rows_read"] == len(rows) + len(title)
    assert entry["rows_read"] + 1 <= physical
    assert set(result.rejects["reason_code"]) <= set(REJECT_REASONS)
    assert pd.Series(raw.rows["source_row"].to_pylist()).is_monotonic_increasing


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(st.lists(_CELL, min_size=6, max_size=6), min_size=1, max_size=15))
def test_no_row_is_lost_whatever_garbage_a_workbook_holds(tmp_path_factory, rows):
    from tests.conftest import make_workspace

    ws = make_workspace(tmp_path_factory.mktemp("garbage"))
    header = ingest.REQUIRED_COLUMNS["unit_reports"]
    clean = [[c.replace("\x00", "") for c in r] for r in rows]
    clean = [[c if c.isprintable() or not c else "?" for c in r] for r in clean]
    path = write_xlsx(
        ws.raw / WEEK / "unit_reports" / "u.xlsx",
        [dict(zip(header, r, strict=True)) for r in clean],
        title=("CÔNG AN XÃ ĐÔNG ANH",),
        totals=True,
    )
    try:
        parts = ingest.read_file(ws, "unit_reports", path, WEEK)
    except DeliveryError as exc:
        assert "empty" in str(exc)
        return
    result = ingest.validate("unit_reports", ingest.combine(parts), WEEK)
    entry = ingest.ledger_entry(parts[0], result)
    assert entry["balanced"] and entry["rows_read"] == len(rows) + 2 + 1
    assert entry["rows_skipped"]["title"] == 2


def test_gz_builder_is_deterministic(tmp_ws):
    a = write_csv(tmp_ws.raw / "a.csv.gz", rows_of("population"))
    assert gzip.decompress(a.read_bytes()).startswith(b"citizen_id")
    assert VALID["population"]["unit_code"] == "00008"


# ---------------------------------------------------------------- the generated sample (slow)

ID_KINDS = {"cccd", "cmnd", "tax_code", "invalid", "missing"}
# the output column a repaired fault's expected value is read from
REPAIRED_IN = {"plate": "plate_key"}


def _sample(ingested: Workspace, week: str):
    folder = ingested.processed_week(week)
    ledger = json.loads((folder / "ledger.json").read_text("utf-8"))
    faults = pd.read_parquet(ingested.truth / "faults.parquet")
    faults = faults[faults["source_file"].isin({e["file"] for e in ledger["files"]})]
    rejects = pd.read_parquet(folder / "rejects.parquet")
    return folder, ledger, faults, rejects


@pytest.mark.slow
def test_ledger_balances_on_the_sample(ingested, sample_week):
    folder, ledger, _, rejects = _sample(ingested, sample_week)
    assert ledger["balanced"] and all(e["balanced"] for e in ledger["files"])
    for source in ingest.SOURCE_NAMES:
        entries = [e for e in ledger["files"] if e["source"] == source]
        table = pd.read_parquet(folder / f"{source}.parquet", columns=["source_row"])
        assert len(table) == sum(e["rows_accepted"] for e in entries), source
        rejected = rejects[rejects["source"] == source][["source_file", "source_row"]]
        assert len(rejected.drop_duplicates()) == sum(e["rows_rejected"] for e in entries)
    unit_files = [e for e in ledger["files"] if e["source"] == "unit_reports"]
    # most units returned the issued form (no totals row); the others' workbooks end in one
    own = [e for e in unit_files if not e.get("form")]
    assert len(unit_files) == 126 and own and all(e["rows_skipped"]["totals"] == 1 for e in own)
    assert not any("draft_unit_code" in e["notes"] for e in ledger["files"])  # official codes


def _keys(frame: pd.DataFrame, *columns: str) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[list(columns)])


@pytest.mark.slow
def test_every_rejected_fault_is_rejected_with_its_reason(ingested, sample_week):
    _, _, faults, rejects = _sample(ingested, sample_week)
    expected = faults[faults["expected_outcome"] == "rejected"].rename(
        columns={"expected_reason_code": "reason_code"}
    )
    found = _keys(expected, "source_file", "source_row", "reason_code").isin(
        _keys(rejects, "source_file", "source_row", "reason_code")
    )
    assert len(expected) > 500
    missed = expected.loc[~found, ["source_file", "source_row", "fault_kind"]]
    assert missed.to_dict("records") == []


@pytest.mark.slow
def test_no_row_is_rejected_without_an_injected_fault(ingested, sample_week):
    _, _, faults, rejects = _sample(ingested, sample_week)
    faulty = _keys(rejects, "source_file", "source_row").isin(
        _keys(faults, "source_file", "source_row")
    )
    stray = rejects.loc[~faulty, ["source_file", "source_row", "column", "reason_code"]]
    assert stray.to_dict("records") == []


def _as_text(values: pd.Series) -> pd.Series:
    """Output values as the truth writes them: ISO dates, plain text, '' for missing."""
    if isinstance(values.dtype, pd.ArrowDtype) or pd.api.types.is_datetime64_any_dtype(values):
        values = pd.Series(pd.to_datetime(values).dt.strftime("%Y-%m-%d"), index=values.index)
    return values.astype("str").fillna("")


@pytest.mark.slow
def test_every_repaired_or_flagged_fault_is_accepted_as_the_truth_says(ingested, sample_week):
    folder, _, faults, _ = _sample(ingested, sample_week)
    kept = faults[faults["expected_outcome"] != "rejected"]
    wrong = []
    for (source, column), group in kept.groupby(["source", "column"]):
        table = pd.read_parquet(folder / f"{source}.parquet")
        merged = group.merge(
            table,
            on=["source_file", "source_row"],
            how="left",
            indicator=True,
            suffixes=("_fault", ""),
        )
        lost = merged[merged["_merge"] != "both"]
        wrong += [(source, k, "not accepted") for k in lost["fault_kind"]]
        check = merged[(merged["_merge"] == "both") & merged["expected_value"].notna()]
        if check.empty:
            continue  # flagged only: the row is kept for reconcile to judge
        got = _as_text(check[REPAIRED_IN.get(column, column)])
        if column.endswith("_id"):  # an expected ID kind is read from <column>_kind
            kind = check["expected_value"].isin(ID_KINDS)
            got = got.where(~kind, _as_text(check[f"{column}_kind"]))
        bad = check[got.to_numpy() != check["expected_value"].astype("str").to_numpy()]
        wrong += [(source, k, "wrong value") for k in bad["fault_kind"]]
    assert len(kept) > 10_000
    assert wrong[:20] == []


def test_sources_table_has_one_row_per_source(tmp_ws):
    folder = full_delivery(tmp_ws)
    write_xlsx(folder / "unit_reports" / "00070.xlsx", rows_of("unit_reports"))
    table = ingest.sources_table(ingest.locate_sources(tmp_ws, WEEK), tmp_ws.raw)
    assert table["source"].tolist() == list(ingest.SOURCE_NAMES)
    row = table.set_index("source").loc["unit_reports"]
    assert (row["files"], row["file"]) == (2, f"{WEEK}/unit_reports/ (2)")


def _parsed(ledger: dict) -> dict:
    """A ledger as if every source had been parsed: a later run of the session's week (the
    runner's) may have reused them from the week's earlier ingest (helpers.ingest.reuse)."""
    return ledger | {
        "files": [{k: v for k, v in e.items() if k != "reused_from"} for e in ledger["files"]],
        "sources": {s: d | {"reused_from": None} for s, d in ledger["sources"].items()},
    }


@pytest.mark.slow
def test_sources_ingested_in_worker_processes_give_the_same_tables(
    ingested, sample_week, tmp_path, monkeypatch
):
    """The city's two-process ingest writes what the one-process ingest writes."""
    import pyarrow.parquet as pq

    from helpers.paths import Workspace

    monkeypatch.setattr(ingest.week, "PARALLEL_BYTES", 0)  # the sample is small: force the workers
    ws = Workspace(
        raw=ingested.raw,
        processed=tmp_path / "processed",
        output=tmp_path / "output",
        truth=ingested.truth,
    )
    ledger = ingest.ingest_week(ws, sample_week, workers=2)
    serial = json.loads((ingested.processed_week(sample_week) / "ledger.json").read_text())
    assert _parsed(ledger) == _parsed(serial)
    written = sorted(p.name for p in ws.processed_week(sample_week).glob("*.parquet"))
    absent = [s for s in ingest.OPTIONAL_SOURCES if s not in ledger["sources"]]  # written empty
    assert written == sorted(f"{name}.parquet" for name in [*ledger["sources"], *absent, "rejects"])
    for name in written:  # later stages add their tables to the session's folder: not these
        assert pq.read_table(ws.processed_week(sample_week) / name).equals(
            pq.read_table(ingested.processed_week(sample_week) / name)
        ), name


# ---------------------------------------------------------------- what was not read is said


def _codes(ledger: dict) -> list[str]:
    return [w["code"] for w in ledger["warnings"]]


def test_folders_that_are_not_dates_are_named_and_never_stop_the_run(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16")
    for odd in ("2025-11-23 (1)", "2025-99-99"):
        write_csv(tmp_ws.raw / odd / "submissions.csv", rows_of("submissions"))
    from helpers import store

    week = store.resolve_week(tmp_ws, "")
    assert week == "2025-11-16"
    ledger = ingest.ingest_week(tmp_ws, week)
    odd = [w for w in ledger["warnings"] if w["code"] == "odd_folder"]
    assert sorted(w["params"]["folder"] for w in odd) == ["2025-11-23 (1)", "2025-99-99"]
    assert all("2025-11-23 (1)" in w["message_en"] or "2025-99-99" in w["message_vi"] for w in odd)


def test_a_source_in_a_format_the_suite_cannot_read_stops_the_run(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16")
    (tmp_ws.raw / "2025-11-23").mkdir()
    (tmp_ws.raw / "2025-11-23" / "submissions.xls").write_bytes(b"\xd0\xcf\x11\xe0old excel")
    with pytest.raises(DeliveryError, match=r"2025-11-23/submissions\.xls.*\.xlsx"):
        ingest.ingest_week(tmp_ws, "2025-11-23")


def test_files_of_no_source_are_listed_with_a_warning(tmp_ws):
    folder = full_delivery(tmp_ws, "2025-11-16")
    write_csv(folder / "submissions (1).csv", rows_of("submissions"))
    (folder / "notes.txt").write_text("call the ward")
    (folder / "unit_reports" / "00009.xls").write_bytes(b"old")
    (folder / "~$submissions.xlsx").write_bytes(b"excel lock file")
    ledger = ingest.ingest_week(tmp_ws, "2025-11-16")
    unread = sorted(w["params"]["file"] for w in ledger["warnings"] if w["code"] == "unread_file")
    assert unread == [
        "2025-11-16/notes.txt",
        "2025-11-16/submissions (1).csv",
        "2025-11-16/unit_reports/00009.xls",
    ]


def test_every_source_says_its_delivery_and_a_stale_one_warns(tmp_ws):
    full_delivery(tmp_ws, "2025-11-09")
    write_csv(tmp_ws.raw / "2025-11-23" / "organizations.csv", rows_of("organizations"))
    ledger = ingest.ingest_week(tmp_ws, "2025-11-23")
    sources = ledger["sources"]
    assert sources["organizations"]["delivery"] == "2025-11-23"
    assert sources["submissions"]["delivery"] == "2025-11-09"
    assert sources["submissions"]["age_days"] == 14 and sources["submissions"]["stale"]
    assert not sources["organizations"]["stale"]
    # registries and the population extract are re-delivered rarely: old is normal for them
    assert not sources["registry_vehicles"]["stale"]
    stale = sorted(w["params"]["source"] for w in ledger["warnings"] if w["code"] == "stale_source")
    assert stale == ["submissions", "unit_reports"]


def test_a_week_after_the_newest_delivery_warns(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16")
    ledger = ingest.ingest_week(tmp_ws, "2025-11-19")
    assert "week_not_delivered" in _codes(ledger)
    assert "stale_source" not in _codes(ledger)  # three days old is within one cadence


def test_an_empty_newest_folder_warns(tmp_ws):
    full_delivery(tmp_ws, "2025-11-09")
    (tmp_ws.raw / "2025-11-23").mkdir()
    ledger = ingest.ingest_week(tmp_ws, "2025-11-23")
    assert "empty_delivery" in _codes(ledger)
    assert "stale_source" in _codes(ledger)


def test_a_clean_delivery_has_no_warning(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16")
    assert ingest.ingest_week(tmp_ws, "2025-11-16")["warnings"] == []


def test_warnings_are_printed_one_per_line_in_the_notebook_language(tmp_ws):
    full_delivery(tmp_ws, "2025-11-09")
    (tmp_ws.raw / "old").mkdir()
    ledger = ingest.ingest_week(tmp_ws, "2025-11-23")
    text = ingest.warnings_text(ledger, "vi")
    assert text.splitlines()[0].startswith(f"{len(ledger['warnings'])} cảnh báo")
    assert "Thư mục 'old'" in text and "Nguồn submissions" in text
    table = ingest.source_table(ledger)
    assert table.set_index("source").loc[
        "submissions", ["delivery", "age_days", "stale"]
    ].tolist() == ["2025-11-09", 14, True]


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


# ---------------------------------------------------------------- files Excel and Windows make


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_csv_is_read(tmp_ws, encoding):
    rows = rows_of("organizations", {"org_name": "Công ty Đông Á"}, {})
    names = list(rows[0])
    data = csv_bytes(names, [[r[n] for n in names] for r in rows], sep="\t", encoding=encoding)
    path = tmp_ws.raw / WEEK / "organizations.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    _, result, entry = check(tmp_ws, "organizations", path)
    assert result.accepted["org_name"].tolist()[0] == "Công ty Đông Á"
    assert entry["rows_accepted"] == 2 and entry["balanced"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read_when_its_text_holds_combining_grave_accents(tmp_ws, encoding):
    # decomposed Vietnamese (NFD) carries U+0300, whose low byte is zero: a zero now and then
    # in the "wrong" half must not turn the file into Windows-1258 (every row rejected)
    name = unicodedata.normalize("NFD", "Lê Thị Huyền Trang")
    rows = rows_of("submissions", *({"full_name": name} for _ in range(60)))
    names = list(rows[0])
    data = csv_bytes(names, [[r[n] for n in names] for r in rows], encoding=encoding)
    path = _bad(tmp_ws, "submissions.csv", data)
    _, result, entry = check(tmp_ws, "submissions", path)
    assert entry["rows_accepted"] == 60 and entry["rows_rejected"] == 0
    assert result.accepted["full_name"].tolist()[0] == unicodedata.normalize("NFC", name)


def test_a_password_protected_workbook_is_named_as_such(tmp_ws):
    import io

    import msoffcrypto.format.ooxml

    plain = write_xlsx(tmp_ws.raw / "plain.xlsx", rows_of("organizations"))
    locked = tmp_ws.raw / WEEK / "organizations.xlsx"
    locked.parent.mkdir(parents=True)
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(plain.open("rb")).encrypt("secret", out)
    locked.write_bytes(out.getvalue())
    with pytest.raises(DeliveryError, match=r"organizations\.xlsx: protected by a password"):
        ingest.read_file(tmp_ws, "organizations", locked, WEEK)


def test_an_old_xls_named_xlsx_is_named_as_such(tmp_ws):
    path = _bad(tmp_ws, "organizations.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(DeliveryError, match=r"old Excel 97-2003 workbook"):
        ingest.read_file(tmp_ws, "organizations", path, WEEK)


def test_worker_ingest_ticks_its_bar_once_per_source(tmp_ws, monkeypatch, tmp_path):
    """The ingest's bar reaches its total, one tick a source (never a record), also when
    worker processes run the sources."""
    import io

    from tqdm import tqdm

    full_delivery(tmp_ws)
    monkeypatch.setattr(ingest.week, "PARALLEL_BYTES", 0)  # force the workers
    located = ingest.locate_sources(tmp_ws, WEEK)
    shown = io.StringIO()
    ticks = tqdm(total=len(located), file=shown, disable=False)
    staging = tmp_path / "staging"
    staging.mkdir()
    done = ingest.week._ingest_sources(tmp_ws, located, staging, workers=2, ticks=ticks)
    assert set(done) == set(located)
    assert ticks.n == ticks.total == len(located)
    assert f"{len(located)}/{len(located)}" in shown.getvalue()


# ---------------------------------------------------------------- reuse of unchanged sources


def test_a_source_an_earlier_week_read_byte_for_byte_is_reused_not_parsed(tmp_ws):
    full_delivery(tmp_ws, "2025-11-09")
    first = ingest.ingest_week(tmp_ws, "2025-11-09")
    write_csv(tmp_ws.raw / WEEK / "organizations.csv", rows_of("organizations"))
    (tmp_ws.raw / WEEK / "organizations.csv").write_bytes(
        (tmp_ws.raw / WEEK / "organizations.csv").read_bytes() + b"\n"
    )  # a new delivery of one source; the others are read from 2025-11-09 again
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    reused = {s: d["reused_from"] for s, d in ledger["sources"].items()}
    assert reused.pop("organizations") is None
    assert set(reused.values()) == {"2025-11-09"}
    files = {e["source"]: e for e in ledger["files"]}
    assert files["submissions"]["reused_from"] == "2025-11-09"
    assert files["submissions"]["rows_read"] == first["sources"]["submissions"]["rows_read"]
    for source in reused:
        earlier = tmp_ws.processed_week("2025-11-09") / f"{source}.parquet"
        now = tmp_ws.processed_week(WEEK) / f"{source}.parquet"
        assert now.read_bytes() == earlier.read_bytes()
    assert ledger["balanced"]
    text = ingest.source_table(ledger, "en").set_index("Source")["Read"]
    assert text["submissions"].startswith("reused from the ingest of 09/11/2025")
    assert (
        ingest.ingest_week(tmp_ws, WEEK, reuse=False)["sources"]["submissions"]["reused_from"]
        is None
    )


def test_a_delivery_made_of_symbolic_links_is_named_and_reused_like_real_files(tmp_path):
    # an analyst may link big files into a delivery folder instead of copying them: the ledger
    # names them inside the raw folder (and the reuse key, built on those names, matches the
    # same bytes delivered as real files), never by the linked file's own place
    from helpers.ingest.sources import relative_to_raw

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "registry_vehicles.parquet").write_bytes(b"x")
    raw = tmp_path / "raw"
    (raw / "2025-12-07").mkdir(parents=True)
    link = raw / "2025-12-07" / "registry_vehicles.parquet"
    link.symlink_to(elsewhere / "registry_vehicles.parquet")
    assert relative_to_raw(raw, link) == "2025-12-07/registry_vehicles.parquet"
    # a raw folder reached through a link of its own is still the raw folder
    (tmp_path / "raw-link").symlink_to(raw)
    assert relative_to_raw(tmp_path / "raw-link", link) == "2025-12-07/registry_vehicles.parquet"


# ---------------------------------------------------------------- a file rejected whole


def _orgs_all_unknown_unit(ws: Workspace, n: int = 25) -> None:
    rows = rows_of("organizations", *({"unit_code": "Phường Không Có"} for _ in range(n)))
    write_csv(ws.raw / WEEK / "organizations.csv", rows)


def test_a_file_with_every_row_rejected_stops_the_ingest_naming_it_and_the_reason(tmp_ws):
    full_delivery(tmp_ws, WEEK, skip=("organizations",))
    _orgs_all_unknown_unit(tmp_ws)
    with pytest.raises(DeliveryError) as err:
        ingest.ingest_week(tmp_ws, WEEK)
    message = str(err.value)
    assert "\n" not in message
    assert "2025-11-23/organizations.csv: 25 of its 25 data rows rejected" in message
    assert "commonest reason: unknown_unit" in message and "ACCEPT=1" in message
    assert not tmp_ws.processed_week(WEEK).exists()  # nothing replaced


def test_accepted_the_whole_file_rejection_heads_the_warnings_said_as_accepted(tmp_ws):
    full_delivery(tmp_ws, WEEK, skip=("organizations",))
    _orgs_all_unknown_unit(tmp_ws)
    ledger = ingest.ingest_week(tmp_ws, WEEK, accept=True)
    first = ledger["warnings"][0]
    assert first["code"] == "file_rejected" and first["accepted"]
    assert first["params"]["reason_code"] == "unknown_unit"
    assert first["message_en"].startswith("ACCEPTED BY THE DUTY OFFICER (ACCEPT=1)")
    assert "25 of its 25 data rows rejected" in first["message_en"]
    assert "25 trên 25 dòng dữ liệu bị loại" in first["message_vi"]
    files = {e["file"]: e for e in ledger["files"]}
    assert files["2025-11-23/organizations.csv"]["reject_reasons"] == {"unknown_unit": 25}


def test_a_few_rows_all_rejected_are_ordinary_rejects(tmp_ws):
    full_delivery(tmp_ws, WEEK, skip=("organizations",))
    _orgs_all_unknown_unit(tmp_ws, n=5)  # under intake.rejected_min_rows
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    assert not [w for w in ledger["warnings"] if w["code"] == "file_rejected"]


def test_a_source_whose_accepted_rows_fell_by_half_since_last_week_stops_the_ingest(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16", skip=("submissions",))
    write_csv(
        tmp_ws.raw / "2025-11-16" / "submissions.csv",
        rows_of("submissions", *({} for _ in range(240))),
    )
    ingest.ingest_week(tmp_ws, "2025-11-16")
    write_csv(
        tmp_ws.raw / WEEK / "submissions.csv", rows_of("submissions", *({} for _ in range(100)))
    )
    with pytest.raises(DeliveryError) as err:
        ingest.ingest_week(tmp_ws, WEEK)
    message = str(err.value)
    assert (
        "submissions: 100 rows accepted, down from 240 in the ingest of week 2025-11-16" in message
    )
    assert "none rejected: the delivery holds fewer rows" in message
    ledger = ingest.ingest_week(tmp_ws, WEEK, accept=True)
    assert ledger["warnings"][0]["code"] == "source_fell"
    # the fall is judged against the newest week ingested before, not against itself
    write_csv(
        tmp_ws.raw / WEEK / "submissions.csv", rows_of("submissions", *({} for _ in range(130)))
    )
    assert not any(w["code"] == "source_fell" for w in ingest.ingest_week(tmp_ws, WEEK)["warnings"])


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
