"""The week (helpers.ingest.week): every table written, a balanced ledger, the contract's columns,
identical reruns, raw never written."""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from helpers import ingest
from tests.ingest_builders import (
    WEEK,
    full_delivery,
    rows_of,
    write_csv,
    write_xlsx,
)

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


def test_sources_table_has_one_row_per_source(tmp_ws):
    folder = full_delivery(tmp_ws)
    write_xlsx(folder / "unit_reports" / "00070.xlsx", rows_of("unit_reports"))
    table = ingest.sources_table(ingest.locate_sources(tmp_ws, WEEK), tmp_ws.raw)
    assert table["source"].tolist() == list(ingest.SOURCE_NAMES)
    row = table.set_index("source").loc["unit_reports"]
    assert (row["files"], row["file"]) == (2, f"{WEEK}/unit_reports/ (2)")


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


CITY_CELLS = {  # rows x columns of the city's sources in week 2026-01-19
    "submissions": 117_762_496,  # 7.36 M rows: 5.6 GB at its validation's peak
    "registry_vehicles": 111_272_772,  # 8.56 M rows: 4.1 GB
    "population": 52_225_704,  # 8.70 M rows: 2.8 GB
    "registry_licences": 1_182_933,
    "unit_reports": 60_000,
    "organizations": 20_000,
    "commitments": 200,
}


def test_the_biggest_source_runs_beside_light_sources_only():
    """Scheduled by memory: the biggest source (by cells) never beside another heavy one; the
    other heavy ones may run together; a light source runs beside anything."""
    fits = ingest.week.fits_beside
    assert fits("submissions", set(), CITY_CELLS)
    assert not fits("registry_vehicles", {"submissions"}, CITY_CELLS)
    assert not fits("submissions", {"population"}, CITY_CELLS)
    assert fits("registry_licences", {"submissions"}, CITY_CELLS)
    assert fits("population", {"registry_vehicles"}, CITY_CELLS)
    assert fits("unit_reports", {"registry_vehicles", "population"}, CITY_CELLS)


def test_a_raw_files_cells_are_estimated_without_reading_it(tmp_path):
    """Rows x columns: exact for Parquet (its footer), within a few per cent for a CSV or a
    gzipped CSV larger than the sample counted."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 400_000
    lines = [b"record_id,unit_code,plate,owner_name,owner_address"]
    lines += [
        f"R{i:09d},{i % 126:05d},{i % 97:02d}A-{i:05d},Nguyen Van {i % 1000},"
        f"so {i % 500} pho {i % 37} phuong {i % 126}".encode()
        for i in range(rows)
    ]
    text = b"\n".join(lines) + b"\n"
    assert len(text) > 2 * ingest.week._SAMPLE  # the estimate, not a count
    (tmp_path / "a.csv").write_bytes(text)
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(text, mtime=0))
    pq.write_table(pa.table({"a": range(rows), "b": range(rows)}), tmp_path / "a.parquet")
    assert ingest.week.raw_cells(tmp_path / "a.parquet") == rows * 2
    for name in ("a.csv", "a.csv.gz"):
        assert abs(ingest.week.raw_cells(tmp_path / name) / ((rows + 1) * 5) - 1) < 0.05, name


def test_workers_never_run_the_biggest_source_beside_another_heavy_one(monkeypatch, tmp_path):
    """The pool is fed one source at a time as the memory schedule allows: with two workers
    the submissions export runs beside light sources only, then the registry beside
    population."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from helpers.ingest.sources import SourceFiles

    located = {}
    for source in CITY_CELLS:
        path = tmp_path / f"{source}.csv"
        path.touch()
        located[source] = SourceFiles(source, WEEK, (path,))
    monkeypatch.setattr(ingest.week, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(ingest.week, "raw_cells", lambda path: CITY_CELLS[path.stem])
    running: set[str] = set()
    together: list[set[str]] = []
    lock = threading.Lock()
    heavy = {"registry_vehicles", "submissions", "population"}

    def fake_ingest(ws, source, where, staging):
        with lock:
            running.add(source)
            together.append(set(running))
        time.sleep(0.05 if source in heavy else 0)
        with lock:
            running.discard(source)
        return [], pd.DataFrame(), {}

    monkeypatch.setattr(ingest.week, "ingest_source", fake_ingest)
    monkeypatch.setattr(ingest.week, "process_pool", ThreadPoolExecutor)
    done = ingest.week._ingest_sources(None, located, tmp_path, workers=2)
    assert set(done) == set(located)
    assert not any("submissions" in s and len(s & heavy) > 1 for s in together)
    assert {"registry_vehicles", "population"} in together
