"""One run at a time per workspace (helpers.runlock), with real runner processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from helpers import runner
from helpers.runner import Step
from tests.pipeline.builders import WEEK, cli, sleeping_pipeline, start_runner, wait_for


@pytest.mark.slow
def test_second_run_stops_at_once_naming_the_run_that_holds_the_workspace(tmp_ws, tmp_path, reaper):
    (tmp_ws.raw / WEEK).mkdir()
    marker = tmp_path / "kernel.pid"
    nbs = sleeping_pipeline(tmp_path / "nbs", marker)
    first = start_runner(tmp_ws, nbs)
    reaper.append(first.pid)
    reaper.append(wait_for(marker, first))

    t0 = time.monotonic()
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.runner",
            *cli(tmp_ws, "--week", WEEK, "--steps", "01_ingest", "--notebooks-dir", str(nbs)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert time.monotonic() - t0 < 20  # at once, not after the first run
    err = second.stderr.strip()
    assert err.startswith("ERROR: another run is using")
    assert f"pid {first.pid}" in err and f"week {WEEK}" in err and "started 20" in err
    assert "WAIT=1" in err and len(err.splitlines()) == 1
    assert first.poll() is None  # the first run is untouched
    first.send_signal(signal.SIGTERM)
    first.wait(60)


@pytest.mark.slow
def test_with_wait_the_second_run_starts_when_the_first_ends(tmp_ws, tmp_path, reaper):
    (tmp_ws.raw / WEEK).mkdir()
    marker = tmp_path / "kernel.pid"
    nbs = sleeping_pipeline(tmp_path / "nbs", marker, seconds=3)
    first = start_runner(tmp_ws, nbs)
    reaper.append(first.pid)
    wait_for(marker, first)
    marker.unlink()
    # --force: the same steps on the same inputs would be reused (helpers.incremental)
    second = start_runner(tmp_ws, nbs, "--wait", "--force")
    reaper.append(second.pid)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert first.wait(10) == 0
    assert "waiting for the run holding" in out and f"pid {first.pid}" in out
    assert marker.is_file()  # the second ran its steps


def test_lock_file_of_a_dead_run_does_not_block(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_ws.processed / runner.LOCK_NAME).write_text(
        json.dumps({"pid": int(dead.stdout), "host": "here", "week": WEEK, "started_at": "earlier"})
    )
    final = runner.run(
        WEEK, ["vi"], tmp_ws, steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None
    )
    assert (final / "note.txt").is_file()
