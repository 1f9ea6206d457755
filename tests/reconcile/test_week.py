"""The stage (helpers.reconcile.week): the output contract, the tables function, row counts,
reasons in both languages, errors."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import DeliveryError, reconcile, store
from tests import reconcile_rows as R
from tests.conftest import make_workspace
from tests.reconcile.builders import SMALL_WEEK, WEEK

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
