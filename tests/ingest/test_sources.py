"""The sources of a delivery (helpers.ingest.sources): each found in the newest folder on or before
the week, and what the deliveries hold that no source reads said in warnings."""

from __future__ import annotations

import pytest

from helpers import DeliveryError, ingest
from tests.ingest_builders import (
    WEEK,
    full_delivery,
    rows_of,
    write_csv,
    write_parquet,
    write_xlsx,
)

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
