"""The optional source ``commitments``: commitments of unit commanders, read, validated (each
reject reason with its file, row and what was expected), and absent without a word."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import headers, i18n, ingest, schemas
from helpers.normalize import enum_series
from helpers.statuses import COMMITMENT_MEASURES
from tests.ingest.builders import check, reasons
from tests.ingest_builders import WEEK, full_delivery, rows_of, write_csv, write_xlsx


def test_good_rows_are_accepted_typed_and_the_commander_is_not_carried(tmp_ws):
    rows = rows_of(
        "commitments",
        {"unit_code": "Phường Ngọc Hà", "measure": "Tỷ lệ xe làm sạch", "target": "95,5 %"},
        {"measure": "giảm tồn chờ duyệt", "target": "0"},
        {"measure": "số GPLX làm sạch", "target": "1.200"},
    )
    for row in rows:
        row["commander"] = "Nguyễn Văn Chỉ Huy"
    path = write_csv(tmp_ws.raw / WEEK / "commitments.csv", rows)
    _, result, entry = check(tmp_ws, "commitments", path)
    assert reasons(result) == [] and entry["balanced"]
    got = result.accepted
    assert got["unit_code"].tolist() == ["00008"] * 3
    assert got["measure"].tolist() == ["veh_cleaned_share", "backlog_pending", "lic_cleaned"]
    assert got["target"].tolist() == [95.5, 0.0, 1200.0]
    assert str(got["by_date"].iloc[0]) == "2025-11-30"
    assert "commander" not in got.columns
    assert not got.astype(str).apply(lambda c: c.str.contains("Chỉ Huy")).any().any()


@pytest.mark.parametrize(
    "override, column, reason",
    [
        ({"unit_code": "Quận Ba Đình"}, "unit_code", "unknown_unit"),
        ({"measure": "số người dân"}, "measure", "unknown_measure"),
        ({"measure": ""}, "measure", "missing_required"),
        ({"target": "năm trăm"}, "target", "invalid_target"),
        ({"target": "0"}, "target", "target_out_of_range"),
        ({"measure": "veh_cleaned_share", "target": "120"}, "target", "target_out_of_range"),
        ({"measure": "veh_cleaned_share", "target": "0.95"}, "target", "target_out_of_range"),
        ({"by_date": "15/11/2025"}, "by_date", "by_date_before_given"),
        ({"by_date": "31/03/2026"}, "by_date", "outside_campaign"),
        ({"given_on": "01/11/2025", "by_date": "20/11/2025"}, "given_on", "outside_campaign"),
        ({"given_on": "24/11/2025"}, "given_on", "date_in_future"),
        ({"by_date": "31/02/2025"}, "by_date", "invalid_date"),
    ],
)
def test_bad_commitment_is_rejected_with_its_reason_file_and_row(tmp_ws, override, column, reason):
    path = write_csv(tmp_ws.raw / WEEK / "commitments.csv", rows_of("commitments", {}, override))
    _, result, entry = check(tmp_ws, "commitments", path)
    assert reasons(result) == [(3, column, reason)]
    assert result.accepted["source_row"].tolist() == [2]
    rej = result.rejects.iloc[0]
    assert rej["source_file"] == f"{WEEK}/commitments.csv"
    # the reason says what was expected, in both languages
    assert rej["reason"] == i18n.t(f"rejects.{reason}", "en") and rej["reason_vi"]
    assert entry["balanced"] and entry["rows_rejected"] == 1


def test_repeats_of_unit_measure_and_date_given_are_rejected(tmp_ws):
    same = {"given_on": "18/11/2025"}
    rows = rows_of("commitments", same, same, {**same, "target": "800"}, {"given_on": "17/11/2025"})
    rows[1] = dict(rows[0])  # identical repeat of row 2
    path = write_csv(tmp_ws.raw / WEEK / "commitments.csv", rows)
    _, result, entry = check(tmp_ws, "commitments", path)
    got = sorted(reasons(result))
    # rows 2 and 3 agree, row 4 gives another target for the same key: none of the three counts
    assert {r for r, _, code in got if code == "conflicting_rows"} == {2, 3, 4}
    assert result.accepted["source_row"].tolist() == [5]
    assert entry["balanced"]


def test_identical_repeat_alone_is_a_duplicate_row(tmp_ws):
    rows = rows_of("commitments", {}, {"given_on": "17/11/2025"})
    rows.append(dict(rows[0]))
    path = write_csv(tmp_ws.raw / WEEK / "commitments.csv", rows)
    _, result, _ = check(tmp_ws, "commitments", path)
    assert reasons(result) == [(4, "unit_code", "duplicate_row")]
    assert result.rejects.iloc[0]["other_row"] == 2


def test_commitments_in_a_workbook_with_vietnamese_headers(tmp_ws):
    spelled = {
        "unit_code": "Đơn vị",
        "measure": "Chỉ tiêu cam kết",
        "target": "Con số cam kết",
        "by_date": "Hoàn thành trước ngày",
        "given_on": "Ngày cam kết",
        "commitment_text": "Nội dung cam kết",
    }
    rows = rows_of("commitments", {"measure": "Số xe làm sạch"})
    path = write_xlsx(
        tmp_ws.raw / WEEK / "commitments.xlsx", rows, header=[spelled[c] for c in rows[0]]
    )
    _, result, entry = check(tmp_ws, "commitments", path)
    assert reasons(result) == [] and entry["balanced"] and not entry["columns_unused"]
    assert result.accepted["measure"].tolist() == ["veh_cleaned"]


def test_a_week_without_commitments_is_normal_and_writes_an_empty_table(tmp_ws):
    full_delivery(tmp_ws, skip=("commitments",))
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    assert "commitments" not in ledger["sources"]
    assert not [w for w in ledger["warnings"] if "commitments" in str(w["params"])]
    table = pd.read_parquet(tmp_ws.processed_week(WEEK) / "commitments.parquet")
    assert table.empty
    schemas.check_file("commitments", tmp_ws.processed_week(WEEK) / "commitments.parquet")


def test_an_older_register_of_commitments_is_read_and_never_stale(tmp_ws):
    full_delivery(tmp_ws, "2025-11-17")
    full_delivery(tmp_ws, "2025-12-07", skip=("commitments",))
    ledger = ingest.ingest_week(tmp_ws, "2025-12-07")
    assert ledger["sources"]["commitments"]["delivery"] == "2025-11-17"
    assert not ledger["sources"]["commitments"]["stale"]
    stale = [w["params"]["source"] for w in ledger["warnings"] if w["code"] == "stale_source"]
    assert "commitments" not in stale


def test_every_measure_has_spellings_in_both_languages_and_a_label():
    for measure in COMMITMENT_MEASURES:
        assert enum_series(pd.Series([measure]), "commitment_measure")["value"][0] == measure
        assert i18n.t(f"commitments.measure.{measure}", "vi")
        assert i18n.t(f"commitments.measure.{measure}", "en")


def test_commander_column_is_known_so_never_kept_as_an_extra_column():
    assert headers.header_lookup("commitments")[headers.header_key("Chỉ huy đơn vị")] == "commander"
