"""Shared fixtures: hand-made workspaces and the generated sample campaign.

The sample campaign is generated once per test session into a temporary folder and each
stage runs once on it (session-scoped), so end-to-end tests read real pipeline outputs
without paying for them more than once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.paths import Workspace

SAMPLE_SEED = 375
SAMPLE_WEEK = "2025-11-23"  # second delivery: has a week of history before it
HOSTILE_FOLDER = "sample x'); COPY (SELECT 42) TO 'pwned.csv'; -- \"q\""


def make_workspace(root: Path) -> Workspace:
    ws = Workspace(
        raw=root / "raw",
        processed=root / "processed",
        output=root / "output",
        truth=root / "synthetic-truth",
    )
    for folder in (ws.raw, ws.processed, ws.output):
        folder.mkdir(parents=True, exist_ok=True)
    return ws


def recorded_files_exist(ws: Workspace, week: str) -> None:
    """Every file hash the state file holds is of a published file; every one the resume
    folder holds, of a file there (or, for processed tables, in the processed folder)."""
    from helpers import incremental

    published = ws.output_week(week)
    for entry in incremental.load_state(ws, week).values():
        for rel, sha in entry["output"].items():
            assert incremental.sha256(published / rel) == sha, rel
    resume = incremental.resume_dir(ws, week)
    for entry in incremental.load_resume(ws, week).values():
        for rel, sha in entry["output"].items():
            assert incremental.sha256(resume / "output" / rel) == sha, rel
        for rel, sha in entry["processed"].items():
            assert incremental.sha256(ws.processed_week(week) / rel) == sha, rel


@pytest.fixture
def tmp_ws(tmp_path: Path) -> Workspace:
    """An empty workspace under tmp_path."""
    return make_workspace(tmp_path)


@pytest.fixture(scope="session")
def sample_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A workspace holding the generated sample campaign (all deliveries plus truth)."""
    import synth

    # the folder's name is SQL (and a quote): every stage's path reaches DuckDB quoted or bound
    ws = make_workspace(tmp_path_factory.mktemp(HOSTILE_FOLDER))
    synth.generate(ws.raw, scenario="sample", seed=SAMPLE_SEED, truth_dir=ws.truth)
    return ws


@pytest.fixture(scope="session")
def sample_week() -> str:
    return SAMPLE_WEEK


@pytest.fixture(scope="session")
def ingested(sample_ws: Workspace) -> Workspace:
    """Sample week after ingest (processed tables written)."""
    from helpers import ingest

    ingest.ingest_week(sample_ws, SAMPLE_WEEK)
    return sample_ws


@pytest.fixture(scope="session")
def reconciled(ingested: Workspace) -> Workspace:
    """Sample week after reconcile."""
    from helpers import reconcile

    reconcile.reconcile_week(ingested, SAMPLE_WEEK)
    return ingested


@pytest.fixture(scope="session")
def progressed(reconciled: Workspace) -> Workspace:
    """Sample week after progress."""
    from helpers import progress

    progress.progress_week(reconciled, SAMPLE_WEEK)
    return reconciled


@pytest.fixture(scope="session")
def weekly_report(progressed: Workspace) -> Path:
    """The whole weekly report of the sample week, both languages, run by the real runner.

    Runs every notebook again on a real kernel (ingest rewrites the same processed tables), so
    tests read exactly what `make weekly-report` produces.
    """
    from helpers import runner

    return runner.run(SAMPLE_WEEK, ["vi", "en"], progressed, echo=lambda _: None)


def _mount_tmpfs(folder: Path, options: str) -> bool:
    import subprocess

    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 1 MB file system (tmpfs), to fill up; skipped where mounting is not allowed."""
    import subprocess

    folder = tmp_path / "small-disk"
    if not _mount_tmpfs(folder, "size=1m"):
        pytest.skip("mounting a small tmpfs needs root")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def read_only_dir(tmp_path: Path):
    """A folder nobody can write: a read-only mount as root, else a folder without w bits."""
    import os
    import subprocess

    folder = tmp_path / "read-only"
    if os.geteuid() == 0:
        if not _mount_tmpfs(folder, "ro,size=1m"):
            pytest.skip("cannot mount a read-only tmpfs")
        yield folder
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
    else:
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


@pytest.fixture(scope="session", autouse=True)
def _no_path_ran_as_sql(tmp_path_factory: pytest.TempPathFactory):
    """The sample's folder name is SQL: had any stage pasted a path into SQL text, DuckDB would
    have written pwned.csv (into the working folder of the process that ran it)."""
    yield
    written = [
        p for root in (Path.cwd(), tmp_path_factory.getbasetemp()) for p in root.rglob("pwned.csv")
    ]
    assert not written, f"a path ran as SQL: {written}"
