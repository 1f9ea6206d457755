"""A run of some steps never replaces the published pack (helpers.publish): each file published
with the steps that made it."""

from __future__ import annotations

import json

from helpers import runner
from helpers.runner import Step
from tests.pipeline.builders import WEEK, cli, write_stamping_notebook


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
