"""A stopped run (helpers.stopped): its finished steps kept for the next run, never recorded as
published; SIGTERM and SIGKILL on real runner processes."""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest

from helpers import runner
from helpers.runner import Step, StepFailed
from tests.conftest import recorded_files_exist
from tests.pipeline.builders import (
    WEEK,
    sleeping_pipeline,
    start_runner,
    wait_for,
    write_notebook,
    write_stamping_notebook,
)

# --------------------------------------------------------------------------------------------
# A stopped run: its finished steps are kept for the next run, never recorded as published
# --------------------------------------------------------------------------------------------


def test_a_failed_run_keeps_its_finished_steps_and_the_next_run_takes_them(tmp_ws, notebooks):
    from helpers import incremental

    (tmp_ws.raw / WEEK).mkdir()
    kwargs: dict = dict(notebooks_dir=notebooks)
    final = runner.run(WEEK, ["vi"], tmp_ws, steps=[Step("02_ok")], echo=print, **kwargs)
    published = {p: p.read_bytes() for p in final.rglob("*") if p.is_file()}
    stopped: list[str] = []
    with pytest.raises(StepFailed):
        steps = [Step("01_write"), Step("03_boom")]
        runner.run(WEEK, ["vi"], tmp_ws, steps=steps, echo=stopped.append, **kwargs)

    assert {p: p.read_bytes() for p in final.rglob("*") if p.is_file()} == published
    assert "01_write" not in incremental.load_state(tmp_ws, WEEK)  # never published
    kept = incremental.load_resume(tmp_ws, WEEK)
    assert set(kept) == {"01_write"}
    resume = incremental.resume_dir(tmp_ws, WEEK)
    assert (resume / "output" / "note.txt").read_text("utf-8") == WEEK
    assert any("kept for the next run (not published): 01_write" in line for line in stopped)
    recorded_files_exist(tmp_ws, WEEK)

    lines: list[str] = []
    steps = [Step("01_write"), Step("02_ok")]
    runner.run(WEEK, ["vi"], tmp_ws, steps=steps, echo=lines.append, **kwargs)

    run_id = kept["01_write"]["run"]
    assert lines[0] == f"[1/2] 01_write: reused (finished by the stopped run {run_id})"
    assert not any("left behind" in line for line in lines)  # not a killed run's leftovers
    assert (final / "note.txt").read_text("utf-8") == WEEK
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    assert {f["path"]: f["run"] for f in manifest["files"]}["note.txt"] == run_id
    assert not resume.exists()  # published with the run: nothing left to resume
    assert incremental.load_state(tmp_ws, WEEK)["01_write"]["run"] == run_id
    recorded_files_exist(tmp_ws, WEEK)


def test_a_kept_step_whose_inputs_changed_is_done_again_and_its_files_dropped(tmp_ws, notebooks):
    from helpers import incremental

    (tmp_ws.raw / WEEK).mkdir()
    with pytest.raises(StepFailed):
        runner.run(
            WEEK,
            ["vi"],
            tmp_ws,
            steps=[Step("01_write"), Step("03_boom")],
            notebooks_dir=notebooks,
            echo=print,
        )
    assert set(incremental.load_resume(tmp_ws, WEEK)) == {"01_write"}
    write_notebook(
        notebooks,
        "01_write",
        "from pathlib import Path\n(Path(output_dir) / 'note.txt').write_text('edited', 'utf-8')",
    )
    lines: list[str] = []
    final = runner.run(
        WEEK, ["vi"], tmp_ws, steps=[Step("01_write")], notebooks_dir=notebooks, echo=lines.append
    )
    assert lines[0] == "[1/1] 01_write ... (run elapsed 0 s)"
    assert (final / "note.txt").read_text("utf-8") == "edited"
    assert not incremental.resume_dir(tmp_ws, WEEK).exists()
    recorded_files_exist(tmp_ws, WEEK)


def gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_sigterm_aborts_like_ctrl_c(tmp_ws, tmp_path, reaper):
    (tmp_ws.raw / WEEK).mkdir()
    marker = tmp_path / "kernel.pid"
    nbs = sleeping_pipeline(tmp_path / "nbs", marker)
    proc = start_runner(tmp_ws, nbs)
    reaper.append(proc.pid)
    kernel = wait_for(marker, proc)
    reaper.append(kernel)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    # one line: the kernel's own shutdown tracebacks are kept with the notebooks, not shown
    assert err.strip().splitlines() == [
        "ERROR: run terminated (SIGTERM); the published pack is unchanged"
    ], err
    kept = list((tmp_ws.output / "failed").glob(f"{WEEK}-*"))
    assert len(kept) == 1
    assert sorted(p.name for p in kept[0].glob("*.ipynb")) == [
        "01_ingest.ipynb",
        "02_reconcile.ipynb",
    ]
    assert sorted(p.name for p in tmp_ws.output.iterdir()) == ["failed"]  # no staging
    assert not any("staging" in p.name for p in tmp_ws.processed.iterdir())
    assert gone(kernel)  # the kernel was shut down


@pytest.mark.slow
def test_after_sigterm_the_next_run_takes_the_steps_the_stopped_run_finished(
    tmp_ws, tmp_path, reaper
):
    from helpers import incremental

    (tmp_ws.raw / WEEK).mkdir()
    marker = tmp_path / "kernel.pid"
    nbs = sleeping_pipeline(tmp_path / "nbs", marker)
    proc = start_runner(tmp_ws, nbs)
    reaper.append(proc.pid)
    reaper.append(wait_for(marker, proc))
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "kept for the next run (not published): 01_ingest" in out
    assert not tmp_ws.output_week(WEEK).exists()  # nothing published
    assert incremental.load_state(tmp_ws, WEEK) == {}
    stamp = (incremental.resume_dir(tmp_ws, WEEK) / "output" / "01_ingest.txt").read_text()
    recorded_files_exist(tmp_ws, WEEK)

    write_notebook(nbs, "02_reconcile", "x = 1")  # the sleeping step, quick this time
    lines: list[str] = []
    final = runner.run(
        WEEK, ["vi"], tmp_ws, steps=runner.PIPELINE[:2], notebooks_dir=nbs, echo=lines.append
    )
    assert "01_ingest: reused (finished by the stopped run " in lines[0]
    assert lines[1].startswith("[2/2] 02_reconcile ...")
    assert (final / "01_ingest.txt").read_text() == stamp
    recorded_files_exist(tmp_ws, WEEK)


@pytest.mark.slow
def test_next_run_removes_what_a_killed_run_left_and_says_so(tmp_ws, tmp_path, notebooks, reaper):
    (tmp_ws.raw / WEEK).mkdir()
    marker = tmp_path / "kernel.pid"
    nbs = sleeping_pipeline(tmp_path / "sleepy", marker)
    proc = start_runner(tmp_ws, nbs)
    reaper.append(proc.pid)
    reaper.append(wait_for(marker, proc))
    proc.kill()
    proc.wait(10)
    left = [p for p in tmp_ws.output.iterdir() if ".staging-" in p.name]
    assert len(left) == 1
    (tmp_ws.processed / f".{WEEK}.staging-{proc.pid}-abc").mkdir()  # as ingest's would be
    live = tmp_ws.output / f".{WEEK}.staging-{os.getpid()}-live"  # a live run's: kept
    live.mkdir()

    messages: list[str] = []
    runner.run(
        WEEK,
        ["vi"],
        tmp_ws,
        steps=[Step("01_write")],
        notebooks_dir=notebooks,
        echo=messages.append,
    )

    assert not left[0].exists()
    assert not (tmp_ws.processed / f".{WEEK}.staging-{proc.pid}-abc").exists()
    assert live.exists()
    said = "\n".join(messages)
    assert str(left[0]) in said and "killed" in said


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_pool_workers_of_a_step_end_when_the_runner_is_killed(tmp_ws, tmp_path, reaper, sig):
    """As in 05_packs: the kernel runs a process pool; killing the runner ends it all."""
    (tmp_ws.raw / WEEK).mkdir()
    marker = tmp_path / "workers.pid"
    nbs = tmp_path / "pool"
    nbs.mkdir()
    write_stamping_notebook(nbs, "01_ingest")
    write_notebook(
        nbs,
        "02_reconcile",
        "import os, time\nfrom pathlib import Path\nfrom helpers.workers import process_pool\n"
        "pool = process_pool(2)\npids = {pool.submit(os.getpid).result() for _ in range(4)}\n"
        "busy = [pool.submit(time.sleep, 120) for _ in range(2)]\n"
        f"Path({str(marker)!r}).write_text(' '.join(map(str, [os.getpid(), *pids])))",
        "time.sleep(120)",
    )
    proc = start_runner(tmp_ws, nbs)
    reaper.append(proc.pid)
    deadline = time.monotonic() + 90
    while not (marker.is_file() and marker.read_text()) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    kernel, *workers = (int(p) for p in marker.read_text().split())
    reaper.extend([kernel, *workers])
    proc.send_signal(sig)
    proc.wait(60)
    assert all(gone(pid) for pid in [kernel, *workers])
