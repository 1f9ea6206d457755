"""End to end: the real pipeline on the generated sample, as `make weekly-report` runs it (in
Vietnamese, then in English; a full disk while the unit packs are written) (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline.builders import cli, published


@pytest.fixture
def packs_disk(tmp_path: Path):
    """A real 3 MB file system (tmpfs): the briefing's notebooks fit, the unit packs do not."""
    from tests.conftest import _mount_tmpfs

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
