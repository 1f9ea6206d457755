"""The benchmark harness runs on a tiny scenario so it cannot rot (figures are not asserted)."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from measure import bench


@pytest.mark.slow
def test_bench_times_the_stages_and_writes_json(tmp_path, capsys):
    # Two stages keep the suite short; every stage goes through the same runner call.
    result = bench.run_bench(
        "city",
        scale=0.002,
        root=tmp_path / "data",
        out_dir=tmp_path / "bench",
        stages=("ingest", "reconcile"),
        runs=("floor", "cold", "unchanged"),
    )
    stages = [m["stage"] for m in result["stages"]]
    assert stages == ["ingest", "reconcile", "total"]
    assert all(m["exit_code"] == 0 for m in result["stages"])
    assert all(m["wall_s"] > 0 and m["peak_mb"] > 0 for m in result["stages"])
    assert result["stages"][0]["rows"] > 0  # rows read, from the ingest ledger
    # the floor is measured in the same run and ingest is compared with it
    assert result["floor"]["exit_code"] == 0 and result["floor"]["wall_s"] > 0
    assert result["stages"][0]["floor_ratio"] > 0
    # the nothing-changed run calls the whole runner as make weekly-report does
    assert [(r["stage"], r["exit_code"]) for r in result["runs"]] == [("unchanged", 0)]
    written = list((tmp_path / "bench").glob("city-x0.002-*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text())["week"] == result["week"]
    table = capsys.readouterr().out
    assert "ingest" in table and "total" in table and "peak MB" in table


@pytest.mark.slow
def test_scenario_is_generated_once_and_reused(tmp_path):
    root = tmp_path / "data"
    _, first = bench.prepare("city", 0.001, 375, root)
    marker = (root / "generated.json").stat().st_mtime_ns
    _, again = bench.prepare("city", 0.001, 375, root)
    assert again == first and (root / "generated.json").stat().st_mtime_ns == marker


def _measure(stage, wall, **more):
    return {
        "stage": stage,
        "wall_s": wall,
        "cpu_s": wall,
        "peak_mb": 100.0,
        "rows": 0,
        "rows_per_s": 0.0,
        "target_s": None,
        "exit_code": 0,
        "floor_ratio": None,
    } | more


def test_table_shows_the_floor_ingest_ratio_and_the_whole_runs():
    result = {
        "scenario": "sample",
        "week": "2025-11-23",
        "cores": 2,
        "load_average": [1.0, 1.0, 1.0],
        "floor": _measure("floor", 2.0),
        "stages": [_measure("ingest", 5.0, floor_ratio=2.5, target_s=10), _measure("total", 5.0)],
        "runs": [_measure("warm", 4.0, target_s=None), _measure("unchanged", 6.0, target_s=5)],
    }
    lines = bench.format_table(result).splitlines()
    assert "x floor" in lines[1]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert list(rows) == ["floor", "ingest", "total", "warm", "unchanged"]
    assert "2.50" in rows["ingest"] and rows["ingest"][-1] == "NO"  # over twice the floor
    assert rows["warm"][-1] == "yes" and rows["unchanged"][-1] == "NO"


def test_raw_overlay_changes_only_the_weeks_submission_bytes(tmp_path):
    raw = tmp_path / "raw"
    (raw / "2025-11-16").mkdir(parents=True)
    (raw / "2025-11-23" / "unit_reports").mkdir(parents=True)
    (raw / "2025-11-16" / "registry_vehicles.csv").write_text("record_id\n1\n")
    (raw / "2025-11-16" / "submissions.csv.gz").write_bytes(gzip.compress(b"a\n1\n"))
    (raw / "2025-11-23" / "submissions.csv.gz").write_bytes(gzip.compress(b"a\n2\n"))
    (raw / "2025-11-23" / "unit_reports" / "u.xlsx").write_bytes(b"x")
    pq.write_table(pa.table({"a": [1]}), raw / "2025-11-23" / "population.parquet")
    out = bench.raw_overlay(raw, "2025-11-23", tmp_path / "overlay")
    for path in raw.rglob("*"):
        copy = out / path.relative_to(raw)
        assert copy.exists()
        if path.is_file() and (path.name != "submissions.csv.gz" or "11-16" in str(path)):
            assert copy.read_bytes() == path.read_bytes()
    week = out / "2025-11-23" / "submissions.csv.gz"
    original = raw / "2025-11-23" / "submissions.csv.gz"
    assert week.read_bytes() != original.read_bytes()
    assert gzip.decompress(week.read_bytes()) == gzip.decompress(original.read_bytes())
    assert bench.raw_overlay(raw, "2025-11-23", tmp_path / "overlay") == out  # kept


def test_the_usual_week_runs_the_week_before_in_a_workspace_of_its_own(tmp_path, monkeypatch):
    # The runs' commands, not their figures: each whole run is the runner as make runs it.
    raw = tmp_path / "raw"
    for week in ("2025-11-17", "2025-11-23"):
        (raw / week).mkdir(parents=True)
    (tmp_path / "generated.json").write_text("{}")
    calls = []

    def fake(cmd, env=None):
        calls.append((cmd, env))
        return 0, 1.0, 1.0, 10.0

    monkeypatch.setattr(bench, "measure", fake)
    result = bench.run_bench(
        "sample", root=tmp_path, out_dir=tmp_path / "out", runs=("whole", "usual")
    )
    assert [r["stage"] for r in result["runs"]] == ["whole", "previous", "usual"]
    whole, previous, usual = calls
    assert "--force" in whole[0] and "2025-11-23" in whole[0]
    assert previous[0][previous[0].index("--week") + 1] == "2025-11-17"
    assert usual[0][usual[0].index("--week") + 1] == "2025-11-23" and "--force" not in usual[0]
    # the usual week's workspace holds only the week before, not the cold run's tables
    assert previous[1]["CATP_PROCESSED_DIR"] == usual[1]["CATP_PROCESSED_DIR"]
    assert usual[1]["CATP_PROCESSED_DIR"] != whole[1]["CATP_PROCESSED_DIR"]
    assert usual[0][usual[0].index("--lang") + 1] == "vi en"  # the sample's week, both languages


def test_the_targets_take_the_usual_week_and_the_briefing_per_language():
    result = {
        "scenario": "city",
        "week": "2026-01-19",
        "lang": "vi en",
        "floor": _measure("floor", 40.0),
        "stages": [
            _measure("ingest", 50.0, floor_ratio=1.25),
            _measure("pdf", 30.0),
            _measure("excel", 70.0),
            _measure("total", 150.0, peak_mb=7000.0),
        ],
        "runs": [_measure("warm", 60.0), _measure("previous", 200.0), _measure("usual", 120.0)],
    }
    rows = {
        what.split(" [")[0].split(",")[0]: (measured, met)
        for what, measured, _, met in bench.target_rows(result)
    }
    assert rows["usual week"] == ("120.0 s", False)  # the usual run, not the bytes-only warm one
    assert rows["briefing per language (04_briefing)"] == ("15.0 s", False)  # 30 s for two
    assert rows["ingest against its floor"] == ("1.25x", True)
    assert rows["unit packs (05_packs)"] == ("70.0 s", False)
    assert rows["cold week"] == ("150.0 s", True)
    assert rows["nothing changed"] == ("not measured", None)
    peak = next(r for r in bench.target_rows(result) if "peak" in r[0])
    assert peak[1] == "7,000 MB" and peak[3] is False
    assert "usual week" in bench.format_targets(result)
