"""Header spellings: the aliases file, word matching, and what a missing column's error says."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers import ConfigError, DeliveryError, headers, ingest, paths
from tests.ingest_builders import WEEK, full_delivery, rows_of, write_csv, write_xlsx


def _contract_spellings() -> list[tuple[str, str, str]]:
    """(source, column, header) for every header spelling docs/data-contract.md lists."""
    text = (paths.PROJECT_ROOT / "docs" / "data-contract.md").read_text("utf-8")
    found = []
    parts = re.split(r"\n\*\*(\w+)\*\* — ", text)
    for source, body in zip(parts[1::2], parts[2::2], strict=True):
        if "| column | values |" in body:  # a table of values, not of header spellings
            continue
        for line in body.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 2 or not cells[0].startswith("`"):
                continue
            if re.match(r"^[a-z_]+(/[a-z_]+)+;", cells[1]):  # values (male/female; ...)
                continue
            columns = re.findall(r"`(\w+)`", cells[0])
            spelled = re.split(r" — |; |: ", cells[1])[0]
            for alias in spelled.split(","):
                alias = re.sub(r"\(.*?\)", "", alias.replace("＋", "")).strip()
                if not alias or "`" in alias or alias.startswith("as ") or alias == "values":
                    continue
                found += [(source, column, alias) for column in columns]
    return found


def test_the_contract_page_lists_spellings_of_every_source():
    sources = {s for s, _, _ in _contract_spellings()}
    assert sources == set(headers.CANONICAL) - {"submissions"}  # its table lists values
    assert ("organizations", "vehicles_declared", "Số xe đã kê khai") in _contract_spellings()


@pytest.mark.parametrize("source, column, alias", _contract_spellings())
def test_every_spelling_in_the_data_contract_is_accepted(source, column, alias):
    assert headers.header_lookup(source).get(headers.header_key(alias)) == column


def test_declared_vehicles_under_our_own_spelling_are_read(tmp_ws):
    folder = full_delivery(tmp_ws, WEEK, skip=("organizations",))
    row = rows_of("organizations", {"vehicles_declared": "2442"})[0]
    header = [{"vehicles_declared": "Số xe đã kê khai"}.get(c, c) for c in row]
    write_csv(folder / "organizations.csv", [row], header=header)
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    orgs = pd.read_parquet(tmp_ws.processed / WEEK / "organizations.parquet")
    assert orgs["vehicles_declared"].tolist() == [2442]
    assert not [w for w in ledger["warnings"] if w["code"] in ("unused_column", "header_guessed")]


def test_a_longer_header_holding_an_alias_is_read_by_its_words_and_said(tmp_ws):
    folder = full_delivery(tmp_ws, WEEK, skip=("organizations",))
    row = rows_of("organizations", {"vehicles_declared": "17"})[0]
    header = [{"vehicles_declared": "Số xe đã khai báo (chiếc)"}.get(c, c) for c in row]
    write_csv(folder / "organizations.csv", [row], header=header)
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    orgs = pd.read_parquet(tmp_ws.processed / WEEK / "organizations.parquet")
    assert orgs["vehicles_declared"].tolist() == [17]
    said = [w for w in ledger["warnings"] if w["code"] == "header_guessed"]
    assert [w["params"]["column"] for w in said] == ["vehicles_declared"]
    assert "config/aliases.yaml" in said[0]["message_en"]


def test_a_header_one_word_from_a_long_alias_is_read_and_said():
    mapping = headers.match_header(
        ["Mã số thuế", "Tên tổ chức", "Loại hình", "Đơn vị", "Số phương tiện được thống kê"],
        "organizations",
    )
    assert mapping[4] == "vehicles_counted"


def test_a_header_two_columns_could_claim_is_never_guessed():
    cells = ["Mã số thuế", "Tên tổ chức", "Loại hình", "Đơn vị", "Số xe đã thống kê và đã khai báo"]
    assert 4 not in headers.match_header(cells, "organizations")


def test_short_aliases_are_not_matched_inside_other_headers():
    cells = ["Mã số thuế", "Tên tổ chức", "Loại hình", "Đơn vị", "Ngày nhận hồ sơ"]
    assert 4 not in headers.match_header(cells, "organizations")


def test_unused_columns_are_named_once_per_source_unless_listed_as_unused(tmp_ws):
    folder = full_delivery(tmp_ws, WEEK, skip=("unit_reports",))
    for unit in ("00008", "00070"):
        rows = [
            dict(r, **{"STT": "1", "Người lập": "Lê Văn Ba"})
            for r in rows_of("unit_reports", {"unit_code": unit})
        ]
        write_xlsx(folder / "unit_reports" / f"{unit}.xlsx", rows)
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    unused = [w for w in ledger["warnings"] if w["code"] == "unused_column"]
    assert [(w["params"]["header"], w["params"]["files"]) for w in unused] == [("Người lập", 2)]


def test_a_missing_required_column_names_the_closest_header_and_the_line_to_add(tmp_ws):
    row = rows_of("unit_reports")[0]
    header = [{"vehicles_approved": "Số xe duyệt xong"}.get(c, c) for c in row]
    path = write_csv(tmp_ws.raw / WEEK / "unit_reports.csv", [row], header=header)
    with pytest.raises(DeliveryError) as err:
        ingest.read_file(tmp_ws, "unit_reports", path, WEEK)
    message = str(err.value)
    assert "vehicles_approved" in message and "'Số xe duyệt xong'" in message
    assert (
        'add "Số xe duyệt xong" to sources.unit_reports.vehicles_approved in config/aliases.yaml'
        in message
    )


def test_an_analyst_teaches_a_spelling_in_the_aliases_file(tmp_path, monkeypatch, tmp_ws):
    text = paths.ALIASES_FILE.read_text("utf-8").replace(
        "vehicles_approved: [", 'vehicles_approved: ["số xe duyệt xong", '
    )
    (tmp_path / "aliases.yaml").write_text(text, "utf-8")
    monkeypatch.setattr(paths, "ALIASES_FILE", tmp_path / "aliases.yaml")
    headers.reload()
    try:
        row = rows_of("unit_reports")[0]
        header = [{"vehicles_approved": "Số xe duyệt xong"}.get(c, c) for c in row]
        path = write_csv(tmp_ws.raw / WEEK / "unit_reports.csv", [row], header=header)
        assert (
            ingest.read_file(tmp_ws, "unit_reports", path, WEEK)[0].header["vehicles_approved"]
            == "Số xe duyệt xong"
        )
    finally:
        monkeypatch.undo()
        headers.reload()


@pytest.mark.parametrize(
    "edit, message",
    [
        (("unit_reports:", "unit_report:"), "unknown source"),
        (("    report_date:", "    report_day:"), "has no column report_day"),
        (('unit_code: ["@unit"]', 'unit_code: ["@units"]'), "unknown group '@units'"),
    ],
)
def test_a_broken_aliases_file_is_explained(tmp_path, edit, message):
    path = tmp_path / "aliases.yaml"
    path.write_text(paths.ALIASES_FILE.read_text("utf-8").replace(*edit, 1), "utf-8")
    with pytest.raises(ConfigError, match=message):
        headers.load_aliases(path)


def test_a_spelling_listed_under_two_columns_is_an_error_naming_it_and_both(tmp_path):
    path = tmp_path / "aliases.yaml"
    text = paths.ALIASES_FILE.read_text("utf-8").replace(
        'submitted_at: ["thời gian gửi", ', 'submitted_at: ["Ngày duyệt", "thời gian gửi", ', 1
    )
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as err:
        headers.load_aliases(path)
    message = str(err.value)
    assert "'Ngày duyệt'" in message or "'ngày duyệt'" in message
    assert "sources.submissions.submitted_at" in message
    assert "sources.submissions.reviewed_at" in message


def test_a_group_spelling_also_listed_under_another_column_is_an_error(tmp_path):
    path = tmp_path / "aliases.yaml"
    text = paths.ALIASES_FILE.read_text("utf-8").replace(
        'full_name: ["@name"]\n    dob: ["@dob"]\n    phone:',
        'full_name: ["@name"]\n    dob: ["@dob", "Họ tên"]\n    phone:',
        1,
    )
    assert text != paths.ALIASES_FILE.read_text("utf-8")
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=r"sources\.submissions\.full_name.*submissions\.dob"):
        headers.load_aliases(path)


# the submissions export's headers as the system writes them out in full
FULL_VI = {
    "submission_id": "Mã hồ sơ khai báo",
    "submitted_at": "Thời gian nộp hồ sơ",
    "kind": "Loại hồ sơ khai báo",
    "citizen_id": "Số định danh cá nhân của người khai báo",
    "full_name": "Họ và tên người khai báo",
    "dob": "Ngày sinh người khai báo",
    "phone": "Số điện thoại liên hệ",
    "plate": "Biển số đăng ký xe",
    "chassis_no": "Số khung xe",
    "declared_status": "Tình trạng xe khai báo",
    "licence_no": "Số giấy phép lái xe",
    "unit_code": "Công an xã/phường tiếp nhận",
    "review_status": "Trạng thái duyệt hồ sơ",
    "reviewed_at": "Thời gian duyệt hồ sơ",
    "reject_reason": "Lý do từ chối hồ sơ",
}


def _submissions_csv(tmp_ws, header: dict[str, str], extra: dict[str, str] | None = None):
    rows = [dict(r, **(extra or {})) for r in rows_of("submissions", {}, {}, {}, {})]
    names = list(rows[0])
    return write_csv(
        tmp_ws.raw / WEEK / "submissions.csv",
        rows,
        header=[header.get(n, n) for n in names],
        sep=";",
        title=("BÁO CÁO DANH SÁCH HỒ SƠ KHAI BÁO", ""),
    )


def test_a_header_row_written_out_in_full_is_found_by_the_words_of_its_cells(tmp_ws):
    path = _submissions_csv(tmp_ws, FULL_VI, {"Kênh tiếp nhận": "iHanoi"})
    raw = ingest.read_file(tmp_ws, "submissions", path, WEEK)[0]
    assert raw.header_row == 3
    assert raw.header == FULL_VI
    assert raw.rows.num_rows == 4


def test_two_headers_holding_the_words_of_one_column_stop_the_run_naming_both(tmp_ws):
    header = dict(FULL_VI, phone="Thời gian nộp lệ phí")
    path = _submissions_csv(tmp_ws, header)
    with pytest.raises(DeliveryError) as err:
        ingest.read_file(tmp_ws, "submissions", path, WEEK)
    message = str(err.value)
    assert "two columns could be submitted_at" in message
    assert "'Thời gian nộp hồ sơ'" in message and "'Thời gian nộp lệ phí'" in message


def test_a_column_guessed_as_an_id_whose_values_repeat_stops_the_run_naming_it(tmp_ws):
    # 'Kênh tiếp nhận' is one word from 'mã tiếp nhận': without a look at its values the
    # channel ("iHanoi" on every row) became the submission ID and every row a conflict
    header = dict(FULL_VI, submission_id="ID")
    path = _submissions_csv(tmp_ws, header, {"Kênh tiếp nhận": "iHanoi"})
    with pytest.raises(DeliveryError) as err:
        ingest.read_file(tmp_ws, "submissions", path, WEEK)
    message = str(err.value)
    assert "'Kênh tiếp nhận'" in message and "submission_id" in message
    assert "1 distinct value in 4 rows" in message


def test_a_column_guessed_as_an_id_whose_values_differ_is_read(tmp_ws):
    header = dict(FULL_VI, submission_id="Mã tiếp nhận của hồ sơ")
    path = _submissions_csv(tmp_ws, header)
    raw = ingest.read_file(tmp_ws, "submissions", path, WEEK)[0]
    assert raw.header["submission_id"] == "Mã tiếp nhận của hồ sơ"
