"""The runner executes real notebooks on the project kernel with Papermill."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers import runner
from helpers.runner import Step, StepFailed

from .conftest import recorded_files_exist

WEEK = "2025-11-17"


def write_notebook(folder: Path, name: str, *cells: str) -> None:
    params = new_code_cell(
        'week: str = ""\nraw_dir: str = ""\nprocessed_dir: str = ""\noutput_root: str = ""\n'
        'output_dir: str = ""\n'
        "force: bool = False\naccept: bool = False",
        metadata={"tags": ["parameters"]},
    )
    nb = new_notebook(cells=[params, *(new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {
        "name": "catp375",
        "display_name": "Python (CATP 375)",
        "language": "python",
    }
    nbformat.write(nb, folder / f"{name}.ipynb")


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "nbs"
    folder.mkdir()
    write_notebook(
        folder,
        "01_write",
        "from pathlib import Path\n(Path(output_dir) / 'note.txt').write_text(week, 'utf-8')",
    )
    write_notebook(folder, "02_ok", "x = 1 + 1")
    write_notebook(folder, "03_boom", "y = 2", "raise ValueError('the delivery is upside down')")
    return folder


def test_failing_cell_names_notebook_and_cell_and_leaves_no_output(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    messages: list[str] = []
    steps = [Step("01_write"), Step("03_boom")]
    with pytest.raises(StepFailed) as info:
        runner.run(WEEK, ["vi"], tmp_ws, steps=steps, notebooks_dir=notebooks, echo=messages.append)
    text = str(info.value)
    assert "03_boom.ipynb" in text
    assert "cell 3 (\"raise ValueError('the delivery is upside down')\")" in text
    assert "ValueError: the delivery is upside down" in text
    assert not (tmp_ws.output / WEEK).exists()
    assert not [p for p in tmp_ws.output.iterdir() if "staging" in p.name]
    kept = list((tmp_ws.output / "failed").glob(f"{WEEK}-*/03_boom.ipynb"))
    assert len(kept) == 1
    failed_nb = nbformat.read(kept[0], as_version=4)
    assert any(
        o.get("ename") == "ValueError" for c in failed_nb.cells for o in c.get("outputs", [])
    )


def test_good_run_writes_manifest_whose_hashes_match(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    final = runner.run(
        WEEK,
        ["vi"],
        tmp_ws,
        steps=[Step("01_write"), Step("02_ok")],
        notebooks_dir=notebooks,
        echo=lambda _: None,
    )
    assert final == tmp_ws.output / WEEK
    assert (final / "note.txt").read_text("utf-8") == WEEK
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    assert manifest["week"] == WEEK
    assert [s["step"] for s in manifest["steps"]] == ["01_write", "02_ok"]
    assert manifest["packages"]["papermill"] != "not installed"
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == {"note.txt", "notebooks/01_write.ipynb", "notebooks/02_ok.ipynb"}
    for rel, entry in listed.items():
        assert entry["sha256"] == runner.sha256(final / rel)
        assert entry["bytes"] == (final / rel).stat().st_size


def test_rerun_replaces_its_steps_files_drops_those_no_longer_made_keeps_the_rest(
    tmp_ws, tmp_path, monkeypatch
):
    (tmp_ws.raw / WEEK).mkdir()
    nbs = tmp_path / "extra"
    nbs.mkdir()
    write_notebook(
        nbs,
        "01_write",
        "import os, time\nfrom pathlib import Path\n"
        "(Path(output_dir) / 'note.txt').write_text(str(time.time_ns()), 'utf-8')\n"
        "if os.environ.get('CATP_TEST_EXTRA'):\n"
        "    (Path(output_dir) / 'extra.txt').write_text('x', 'utf-8')",
    )
    kwargs = dict(steps=[Step("01_write")], notebooks_dir=nbs, echo=lambda _: None)
    monkeypatch.setenv("CATP_TEST_EXTRA", "1")
    final = runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    note = (final / "note.txt").read_text("utf-8")
    (final / "by-hand.txt").write_text("old", "utf-8")  # no run made it
    monkeypatch.delenv("CATP_TEST_EXTRA")
    runner.run(WEEK, ["vi"], tmp_ws, force=True, **kwargs)
    assert (final / "note.txt").read_text("utf-8") != note  # replaced
    assert not (final / "extra.txt").exists()  # made by the same step before, made no more
    assert (final / "by-hand.txt").read_text("utf-8") == "old"  # kept, as the send log is
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    assert {f["path"] for f in manifest["files"]} == {"note.txt", "notebooks/01_write.ipynb"}


def test_rebuilding_a_week_keeps_the_log_of_packs_already_sent(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    kwargs = dict(steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None)
    final = runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    (final / "distribution.json").write_text('{"sends": [{"unit_code": "00008"}]}', "utf-8")
    runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    assert json.loads((final / "distribution.json").read_text("utf-8"))["sends"] == [
        {"unit_code": "00008"}
    ]
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    assert "distribution.json" not in {f["path"] for f in manifest["files"]}


def test_per_language_steps_run_once_per_language(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    write_notebook(notebooks, "04_lang", "lang = 'vi'")
    final = runner.run(
        WEEK,
        ["vi", "en"],
        tmp_ws,
        steps=[Step("02_ok"), Step("04_lang", per_lang=True)],
        notebooks_dir=notebooks,
        echo=lambda _: None,
    )
    names = sorted(p.name for p in (final / "notebooks").iterdir())
    assert names == ["02_ok.ipynb", "04_lang-en.ipynb", "04_lang-vi.ipynb"]


def write_language_notebooks(folder: Path) -> list[Step]:
    """01_write, and a per-language step writing ``doc-<lang>.txt`` (a stamp of its run)."""
    write_notebook(
        folder,
        "04_lang",
        "import time\nfrom pathlib import Path\n"
        "(Path(output_dir) / f'doc-{lang}.txt').write_text(str(time.time_ns()), 'utf-8')",
    )
    return [Step("01_write"), Step("04_lang", per_lang=True)]


def published(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_build_in_the_other_language_keeps_the_first_languages_files_byte_identical(
    tmp_ws, notebooks
):
    (tmp_ws.raw / WEEK).mkdir()
    steps = write_language_notebooks(notebooks)
    kwargs: dict = dict(steps=steps, notebooks_dir=notebooks)
    final = runner.run(WEEK, ["vi"], tmp_ws, echo=lambda _: None, **kwargs)
    first = json.loads((final / "manifest.json").read_text("utf-8"))
    vi_files = {rel: data for rel, data in published(final).items() if "-vi." in rel}
    assert set(vi_files) == {"doc-vi.txt", "notebooks/04_lang-vi.ipynb"}

    lines: list[str] = []
    runner.run(WEEK, ["en"], tmp_ws, echo=lines.append, **kwargs)

    now = published(final)
    assert {rel: now.get(rel) for rel in vi_files} == vi_files
    assert "doc-en.txt" in now and "notebooks/04_lang-en.ipynb" in now
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    runs = {f["path"]: f["run"] for f in manifest["files"]}
    assert runs["doc-vi.txt"] == first["run"] and runs["doc-en.txt"] == manifest["run"]
    assert {r["run"] for r in manifest["runs"]} == {first["run"], manifest["run"]}
    for entry in manifest["files"]:
        assert entry["sha256"] == runner.sha256(final / entry["path"])
    assert any(line.startswith(f"week {WEEK}: kept from earlier runs") for line in lines)


@pytest.mark.parametrize("given", [[], [""], ["  "]])
def test_an_empty_language_is_refused_before_anything_and_the_pack_is_kept(
    tmp_ws, notebooks, given
):
    from helpers import ConfigError

    (tmp_ws.raw / WEEK).mkdir()
    steps = write_language_notebooks(notebooks)
    kwargs: dict = dict(steps=steps, notebooks_dir=notebooks, echo=lambda _: None)
    final = runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    before = published(final)
    with pytest.raises(ConfigError, match="no report language given"):
        runner.run(WEEK, given, tmp_ws, **kwargs)
    assert published(final) == before


def test_an_empty_language_on_the_command_line_exits_nonzero_in_one_line(tmp_ws, capsys):
    (tmp_ws.raw / WEEK).mkdir()
    code = runner.main(cli(tmp_ws, "--week", WEEK, "--lang", ""))
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("ERROR: no report language given") and len(err.splitlines()) == 1
    assert not (tmp_ws.output / WEEK).exists()


@pytest.mark.parametrize(
    ("given", "langs"),
    [("EN", ["en"]), ("vi en", ["vi", "en"]), ("Vi, EN", ["vi", "en"]), ("en en", ["en"])],
)
def test_report_languages_are_read_whatever_their_case(given, langs):
    assert runner.report_langs(given) == langs


def test_a_week_far_after_the_campaign_is_refused_unless_asked_for(tmp_ws, notebooks):
    from helpers.config import WeekOutsideCampaign

    week = "2030-01-01"
    (tmp_ws.raw / WEEK).mkdir()
    kwargs: dict = dict(steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None)
    with pytest.raises(WeekOutsideCampaign) as caught:
        runner.run(week, ["vi"], tmp_ws, **kwargs)
    said = str(caught.value)
    assert "2025-11-10 to 2026-01-08, extended to 2026-01-19" in said
    assert "ANY_WEEK=1" in said
    assert not (tmp_ws.output / week).exists()
    final = runner.run(week, ["vi"], tmp_ws, any_week=True, **kwargs)
    assert (final / "note.txt").read_text("utf-8") == week


def test_main_exits_nonzero_with_one_line_message(tmp_ws, capsys):
    code = runner.main(["--raw-dir", str(tmp_ws.raw), "--output-dir", str(tmp_ws.output)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("ERROR: no delivery folder")
    assert str(tmp_ws.raw) in err


def test_outputs_are_readable_by_the_staff_who_distribute_them(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    final = runner.run(
        WEEK, ["vi"], tmp_ws, steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None
    )
    umask = os.umask(0)
    os.umask(umask)
    assert final.stat().st_mode & 0o777 == 0o777 & ~umask  # not the 0700 of a temp folder
    assert (final / "note.txt").stat().st_mode & 0o777 == 0o666 & ~umask


# --------------------------------------------------------------------------------------------
# A run of some steps never replaces the published pack
# --------------------------------------------------------------------------------------------


def write_stamping_notebook(folder: Path, name: str) -> None:
    """A notebook that writes ``<name>.txt`` holding a stamp unique to the run."""
    write_notebook(
        folder,
        name,
        "import time\nfrom pathlib import Path\n"
        f"(Path(output_dir) / '{name}.txt').write_text(str(time.time_ns()), 'utf-8')",
    )


def cli(ws, *args: str) -> list[str]:
    return [
        "--raw-dir",
        str(ws.raw),
        "--processed-dir",
        str(ws.processed),
        "--output-dir",
        str(ws.output),
        *args,
    ]


def test_step_subset_updates_only_its_files_and_keeps_the_pack(tmp_ws, tmp_path):
    (tmp_ws.raw / WEEK).mkdir()
    nbs = tmp_path / "pipeline"
    nbs.mkdir()
    for name in ("01_ingest", "02_reconcile"):
        write_stamping_notebook(nbs, name)
    full = runner.run(
        WEEK,
        ["vi"],
        tmp_ws,
        steps=[Step("01_ingest"), Step("02_reconcile")],
        notebooks_dir=nbs,
        echo=lambda _: None,
    )
    first = json.loads((full / "manifest.json").read_text("utf-8"))
    reconciled = (full / "02_reconcile.txt").read_text("utf-8")
    ingested = (full / "01_ingest.txt").read_text("utf-8")

    code = runner.main(
        cli(tmp_ws, "--week", WEEK, "--steps", "01_ingest", "--notebooks-dir", str(nbs))
    )

    assert code == 0
    assert (full / "02_reconcile.txt").read_text("utf-8") == reconciled  # kept
    assert (full / "notebooks" / "02_reconcile.ipynb").is_file()
    assert (full / "01_ingest.txt").read_text("utf-8") != ingested  # rebuilt
    manifest = json.loads((full / "manifest.json").read_text("utf-8"))
    files = {f["path"]: f for f in manifest["files"]}
    assert set(files) == {
        "01_ingest.txt",
        "02_reconcile.txt",
        "notebooks/01_ingest.ipynb",
        "notebooks/02_reconcile.ipynb",
    }
    assert manifest["partial"] is True and manifest["run"] != first["run"]
    assert files["01_ingest.txt"]["run"] == manifest["run"]
    assert files["01_ingest.txt"]["steps"] == ["01_ingest"]
    assert files["02_reconcile.txt"]["run"] == first["run"]
    assert files["02_reconcile.txt"]["steps"] == ["02_reconcile"]
    assert {r["run"] for r in manifest["runs"]} == {first["run"], manifest["run"]}
    for rel, entry in files.items():
        assert entry["sha256"] == runner.sha256(full / rel)
    assert [p.name for p in tmp_ws.output.iterdir()] == [WEEK]  # no staging left


def test_full_run_records_the_steps_that_made_each_file(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    final = runner.run(
        WEEK,
        ["vi"],
        tmp_ws,
        steps=[Step("01_write"), Step("02_ok")],
        notebooks_dir=notebooks,
        echo=lambda _: None,
    )
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    steps = {f["path"]: f["steps"] for f in manifest["files"]}
    assert steps["note.txt"] == ["01_write"]
    assert steps["notebooks/02_ok.ipynb"] == ["02_ok"]
    assert manifest["partial"] is False


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


# --------------------------------------------------------------------------------------------
# Real runner processes: the workspace lock, SIGTERM and SIGKILL
# --------------------------------------------------------------------------------------------


def sleeping_pipeline(folder: Path, marker: Path, seconds: int = 120) -> Path:
    """01_ingest writes a file; 02_reconcile writes its kernel's pid to ``marker``, then sleeps."""
    folder.mkdir()
    write_stamping_notebook(folder, "01_ingest")
    write_notebook(
        folder,
        "02_reconcile",
        f"import os, time\nfrom pathlib import Path\nPath({str(marker)!r}).write_text(str(os.getpid()))",
        f"time.sleep({seconds})",
    )
    return folder


def start_runner(ws, nbs: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helpers.runner",
            *cli(
                ws,
                "--week",
                WEEK,
                "--steps",
                "01_ingest,02_reconcile",
                "--notebooks-dir",
                str(nbs),
                *args,
            ),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 90) -> int:
    """The pid written to ``path`` once the sleeping cell runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text():
            return int(path.read_text())
        if proc.poll() is not None:
            raise AssertionError(f"runner ended early: {proc.communicate()}")
        time.sleep(0.2)
    raise AssertionError(f"{path} never appeared")


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


@pytest.fixture
def reaper():
    """Processes a test started; killed at the end whatever happened."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


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


# --------------------------------------------------------------------------------------------
# A read-only folder or a full disk: one line naming the path and the fix
# --------------------------------------------------------------------------------------------


def test_read_only_output_folder_is_one_clear_line(tmp_ws, read_only_dir, notebooks, capsys):
    (tmp_ws.raw / WEEK).mkdir()
    code = runner.main(
        [
            "--raw-dir",
            str(tmp_ws.raw),
            "--processed-dir",
            str(tmp_ws.processed),
            "--output-dir",
            str(read_only_dir),
            "--week",
            WEEK,
            "--notebooks-dir",
            str(notebooks),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"ERROR: cannot write {read_only_dir}")
    assert "make it writable" in err and "--output-dir" in err


def test_disk_full_in_a_notebook_is_one_clear_line(tmp_ws, small_disk, tmp_path, capsys):
    (tmp_ws.raw / WEEK).mkdir()
    nbs = tmp_path / "fill"
    nbs.mkdir()
    write_notebook(
        nbs,
        "01_ingest",
        "from pathlib import Path\n(Path(output_dir) / 'big.bin').write_bytes(bytes(4 << 20))",
    )
    code = runner.main(
        [
            "--raw-dir",
            str(tmp_ws.raw),
            "--processed-dir",
            str(tmp_ws.processed),
            "--output-dir",
            str(small_disk),
            "--week",
            WEEK,
            "--steps",
            "01_ingest",
            "--notebooks-dir",
            str(nbs),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("ERROR: 01_ingest: disk full while writing ")
    assert f"free space on {small_disk} and re-run" in err
    assert not [p for p in small_disk.iterdir() if "staging" in p.name]


@pytest.fixture
def packs_disk(tmp_path: Path):
    """A real 3 MB file system (tmpfs): the briefing's notebooks fit, the unit packs do not."""
    from .conftest import _mount_tmpfs

    folder = tmp_path / "packs-disk"
    if not _mount_tmpfs(folder, "size=3m"):
        pytest.skip("mounting a small tmpfs needs root")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.slow
def test_disk_full_while_writing_the_unit_packs_is_one_line_not_a_traceback_per_pack(
    progressed, sample_week, tmp_path, packs_disk
):
    """The unit packs are written by a pool of workers: each pack left half-written on a full
    disk used to print `Exception ignored in: ZipFile.__del__` and its traceback (76 of them)
    before the runner's line; they go to the kernel's log, the console says one line."""
    import shutil

    processed = tmp_path / "processed"  # the sample's tables, in a workspace of this test's
    shutil.copytree(progressed.processed, processed, ignore=shutil.ignore_patterns(".*"))
    env = os.environ | {"CATP_SECRETS_DIR": str(tmp_path / "secrets")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.runner",
            "--raw-dir",
            str(progressed.raw),
            "--processed-dir",
            str(processed),
            "--output-dir",
            str(packs_disk),
            "--week",
            sample_week,
            "--steps",
            "05_packs",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[:3000]
    # the folder, or the pack a worker was writing when the disk filled
    assert lines[0].startswith(f"ERROR: 05_packs [vi]: disk full while writing {packs_disk}")
    assert lines[0].endswith(f"free space on {packs_disk} and re-run")
    assert "Traceback" not in done.stdout and "Exception ignored" not in done.stdout


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


def test_delivery_warnings_are_said_on_the_console_after_ingest_and_last_in_english(tmp_ws):
    # the console speaks English whatever the run's language (the step lines are English)
    from helpers.paths import NOTEBOOKS_DIR
    from tests.ingest_builders import full_delivery

    full_delivery(tmp_ws, "2025-11-09")
    (tmp_ws.raw / "2025-11-23").mkdir()
    (tmp_ws.raw / "2025-11-23 (1)").mkdir()
    lines: list[str] = []
    runner.run(
        "2025-11-23",
        ["vi"],
        tmp_ws,
        steps=[Step("01_ingest")],
        notebooks_dir=NOTEBOOKS_DIR,
        echo=lines.append,
    )
    warned = [line for line in lines if line.startswith("WARNING: ")]
    assert any("'2025-11-23 (1)'" in line for line in warned)
    assert any("submissions comes from the delivery of 2025-11-09" in line for line in warned)
    assert lines[-1].startswith("WARNING: ") and "read them before the conference" in lines[-1]


def test_the_kernel_talks_over_local_ipc_and_prints_no_tcp_warning(tmp_ws, tmp_path):
    nbs = tmp_path / "ipc"
    nbs.mkdir()
    write_notebook(nbs, "01_ingest", "import os\nprint(os.getpid())")
    (tmp_ws.raw / WEEK).mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.runner",
            *cli(tmp_ws, "--week", WEEK, "--steps", "01_ingest", "--notebooks-dir", str(nbs)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "without encryption" not in done.stderr + done.stdout
    assert (tmp_ws.output / WEEK / "notebooks" / "01_ingest.ipynb").is_file()


def test_the_kernels_sockets_are_in_a_private_folder_not_beside_the_notebooks(tmp_ws, tmp_path):
    # In the notebooks' folder, two kernels started at once could pick the same socket names
    # and a killed run left its sockets there (notebooks/kernel-ipc-1 … 10).
    nbs = tmp_path / "sockets"
    nbs.mkdir()
    write_notebook(
        nbs,
        "01_ingest",
        "import os\n"
        "left = [n for n in os.listdir('.') if n.startswith('kernel-ipc')]\n"
        "assert not left, left",
    )
    (tmp_ws.raw / WEEK).mkdir()
    runner.run(WEEK, ["vi"], tmp_ws, steps=[Step("01_ingest")], notebooks_dir=nbs, echo=print)
    assert not [p.name for p in nbs.iterdir() if p.name.startswith("kernel-ipc")]


def test_the_last_line_names_the_briefing_and_the_units_zip(tmp_ws, tmp_path):
    nbs = tmp_path / "last"
    nbs.mkdir()
    write_notebook(
        nbs,
        "04_briefing",
        "from pathlib import Path\n"
        "for name in ('briefing-w-vi.pdf', 'units-w.zip', 'city.xlsx'):\n"
        "    (Path(output_dir) / name).write_text('x')",
    )
    (tmp_ws.raw / WEEK).mkdir()
    lines: list[str] = []
    runner.run(
        WEEK,
        ["vi"],
        tmp_ws,
        steps=[Step("04_briefing")],
        notebooks_dir=nbs,
        echo=lines.append,
        partial=False,
    )
    assert (
        lines[-1]
        == f"week {WEEK}: for the conference and the units: briefing-w-vi.pdf, units-w.zip"
    )


def test_help_names_the_program_and_the_steps(capsys):
    with pytest.raises(SystemExit):
        runner.main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m helpers.runner")
    assert "01_ingest, 02_reconcile, 03_progress, 04_briefing, 05_packs" in " ".join(out.split())


def test_a_file_rejected_whole_stops_the_run_unless_accepted_then_says_alarm(tmp_ws):
    from helpers.paths import NOTEBOOKS_DIR
    from tests.ingest_builders import full_delivery, rows_of, write_csv

    full_delivery(tmp_ws, "2025-11-23", skip=("organizations",))
    rows = rows_of("organizations", *({"unit_code": "Phường Không Có"} for _ in range(30)))
    write_csv(tmp_ws.raw / "2025-11-23" / "organizations.csv", rows)
    ingest_step = next(s for s in runner.PIPELINE if s.name == "01_ingest")
    with pytest.raises(StepFailed) as err:
        runner.run("2025-11-23", ["en"], tmp_ws, steps=[ingest_step], echo=lambda _: None)
    assert "organizations.csv: 30 of its 30 data rows rejected" in str(err.value)
    assert "unknown_unit" in str(err.value)
    lines: list[str] = []
    runner.run(
        "2025-11-23",
        ["en"],
        tmp_ws,
        steps=[ingest_step],
        notebooks_dir=NOTEBOOKS_DIR,
        echo=lines.append,
        accept=True,
    )
    alarms = [line for line in lines if line.startswith("ALARM: ACCEPTED BY THE DUTY OFFICER")]
    assert len(alarms) == 1 and "organizations.csv" in alarms[0]


def test_a_broken_plan_file_stops_the_run_before_any_step_naming_that_file(
    tmp_ws, tmp_path, monkeypatch
):
    # it failed inside 03_progress's notebook, left a failed/ folder each time, and named
    # config/plan.yaml whatever CATP_PLAN_FILE pointed at
    from helpers import ConfigError
    from helpers.paths import PLAN_FILE

    week = "2025-11-23"
    (tmp_ws.raw / week).mkdir(parents=True, exist_ok=True)
    broken = tmp_path / "night.yaml"
    broken.write_text(PLAN_FILE.read_text("utf-8").replace("  extension:", "  extention:"), "utf-8")
    monkeypatch.setenv("CATP_PLAN_FILE", str(broken))
    with pytest.raises(ConfigError) as caught:
        runner.run(week, ["vi"], tmp_ws, echo=lambda _: None)
    assert str(broken) in str(caught.value) and "peak.extension" in str(caught.value)
    assert not (tmp_ws.output / "failed").exists()


def test_a_pipeline_notebook_run_by_hand_is_refused_before_it_writes(tmp_ws, tmp_path):
    # as JupyterLab runs it: the notebook's defaults, no runner around it
    import papermill as pm

    from helpers import store
    from helpers.paths import NOTEBOOKS_DIR

    (tmp_ws.raw / WEEK).mkdir()
    assert store.RUN_ENV not in os.environ
    target = tmp_path / "by-hand.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as caught:
        pm.execute_notebook(
            NOTEBOOKS_DIR / "02_reconcile.ipynb",
            target,
            kernel_name="catp375",
            parameters={"raw_dir": str(tmp_ws.raw), "processed_dir": str(tmp_ws.processed)},
            progress_bar=False,
            cwd=str(tmp_path),
        )
    assert caught.value.ename == "HandRun"
    assert f"python -m helpers.runner --week {WEEK} --steps" in caught.value.evalue
    assert list(tmp_ws.processed.iterdir()) == [] and list(tmp_ws.output.iterdir()) == []


def test_a_step_that_ends_well_sends_no_interrupt_to_its_kernel(tmp_ws, tmp_path):
    # jupyter_client interrupted (SIGINT) every kernel's process group before shutting it
    # down: "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel" after a good step
    marker = tmp_path / "interrupted"
    child = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, lambda *_: open(sys.argv[1], 'w').write('SIGINT'))\n"
        "time.sleep(8)\n"
    )
    nbs = tmp_path / "sigint"
    nbs.mkdir()
    write_notebook(
        nbs,
        "01_child",
        f"import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {child!r}, {str(marker)!r}])\n"
        "time.sleep(1)",
    )
    (tmp_ws.raw / WEEK).mkdir()
    runner.run(
        WEEK, ["vi"], tmp_ws, steps=[Step("01_child")], notebooks_dir=nbs, echo=lambda _: None
    )
    time.sleep(1)
    assert not marker.exists()


# --------------------------------------------------------------------------------------------
# The real pipeline, as `make weekly-report` runs it: in Vietnamese, then in English
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_languages(sample_ws, tmp_path_factory):
    """The sample's week built in Vietnamese, then in English, by the runner's command line;
    returns the workspace, the published files after each build and each build's console."""
    import shutil

    from tests.conftest import SAMPLE_WEEK, make_workspace

    ws = make_workspace(tmp_path_factory.mktemp("two-languages"))
    shutil.rmtree(ws.raw)
    shutil.copytree(sample_ws.raw, ws.raw)
    final = ws.output_week(SAMPLE_WEEK)
    builds = []
    for lang in ("vi", "en"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "helpers.runner",
                *cli(ws, "--week", SAMPLE_WEEK, "--lang", lang),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr
        builds.append((published(final), done.stdout.splitlines()))
    return ws, builds


@pytest.mark.slow
def test_the_console_shows_the_packs_progress_while_they_are_written(two_languages):
    _, [(_, console), _] = two_languages
    start = console.index(next(line for line in console if "05_packs [vi] ..." in line))
    end = console.index(next(line for line in console if "05_packs [vi] done in" in line))
    relayed = [line for line in console[start + 1 : end] if "unit packs" in line]
    assert len(relayed) == 10, console
    assert relayed[0] == "[5/5] 05_packs [vi]: unit packs 13/126"
    assert relayed[-1] == "[5/5] 05_packs [vi]: unit packs 126/126"
    ingest = [line for line in console if line.startswith("[1/5] 01_ingest: ingest ")]
    assert ingest and ingest[-1].endswith("6/6")  # sources read


@pytest.mark.slow
def test_an_english_build_keeps_the_vietnamese_documents_and_unit_packs_byte_identical(
    two_languages,
):
    from tests.conftest import SAMPLE_WEEK

    ws, [(first, _), (second, console)] = two_languages
    vietnamese = {
        rel: data
        for rel, data in first.items()
        if "-vi." in rel or rel.startswith("units") or rel == f"briefing-{SAMPLE_WEEK}-vi.pdf"
    }
    assert f"briefing-{SAMPLE_WEEK}-vi.pdf" in vietnamese
    assert f"city-pack-{SAMPLE_WEEK}-vi.xlsx" in vietnamese
    assert len([rel for rel in vietnamese if rel.startswith("units/")]) == 126
    assert {rel: second.get(rel) for rel in vietnamese} == vietnamese
    assert f"briefing-{SAMPLE_WEEK}-en.pdf" in second
    assert f"city-pack-{SAMPLE_WEEK}-en.xlsx" in second
    manifest = json.loads((ws.output_week(SAMPLE_WEEK) / "manifest.json").read_text("utf-8"))
    made_by = {f["path"]: f["run"] for f in manifest["files"]}
    assert made_by[f"briefing-{SAMPLE_WEEK}-vi.pdf"] != manifest["run"]
    assert made_by[f"briefing-{SAMPLE_WEEK}-en.pdf"] == manifest["run"]
    assert not any("unit packs" in line for line in console)  # the units' packs not redone
