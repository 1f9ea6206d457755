"""Reading every raw format (helpers.ingest.read and its readers): encodings and separators,
workbooks with title blocks, Parquet, files Excel and Windows make, bad files named with what
was expected, no row lost whatever the file holds."""

from __future__ import annotations

import gzip
import hashlib
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import DeliveryError, ingest
from helpers.paths import Workspace
from helpers.statuses import REJECT_REASONS
from tests.ingest.builders import check, read_one, reasons
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


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tones combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


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
