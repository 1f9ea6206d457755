"""The benchmark harness runs on a tiny scenario so it cannot rot (figures are not asserted)."""

from __future__ import annotations

import json

import pytest

from helpers import bench

pytestmark = pytest.mark.slow


def test_bench_times_the_stages_and_writes_json(tmp_path, capsys):
    # Two stages keep the suite short; every stage goes through the same runner call.
    result = bench.run_bench(
        "city",
        scale=0.002,
        root=tmp_path / "data",
        out_dir=tmp_path / "bench",
        stages=("ingest", "reconcile"),
    )
    stages = [m["stage"] for m in result["stages"]]
    assert stages == ["ingest", "reconcile", "total"]
    assert all(m["exit_code"] == 0 for m in result["stages"])
    assert all(m["wall_s"] > 0 and m["peak_mb"] > 0 for m in result["stages"])
    assert result["stages"][0]["rows"] > 0  # rows read, from the ingest ledger
    written = list((tmp_path / "bench").glob("city-x0.002-*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text())["week"] == result["week"]
    table = capsys.readouterr().out
    assert "ingest" in table and "total" in table and "peak MB" in table


def test_scenario_is_generated_once_and_reused(tmp_path):
    root = tmp_path / "data"
    _, first = bench.prepare("city", 0.001, 375, root)
    marker = (root / "generated.json").stat().st_mtime_ns
    _, again = bench.prepare("city", 0.001, 375, root)
    assert again == first and (root / "generated.json").stat().st_mtime_ns == marker
