"""The runner executes real notebooks on the project kernel with Papermill."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers import runner
from helpers.runner import Step, StepFailed

WEEK = "2025-11-17"


def write_notebook(folder: Path, name: str, *cells: str) -> None:
    params = new_code_cell(
        'week: str = ""\nraw_dir: str = ""\nprocessed_dir: str = ""\noutput_dir: str = ""',
        metadata={"tags": ["parameters"]},
    )
    nb = new_notebook(cells=[params, *(new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {"name": "catp375", "display_name": "Python (CATP 375)", "language": "python"}
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
    assert any(o.get("ename") == "ValueError" for c in failed_nb.cells for o in c.get("outputs", []))


def test_good_run_writes_manifest_whose_hashes_match(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    final = runner.run(
        WEEK, ["vi"], tmp_ws, steps=[Step("01_write"), Step("02_ok")],
        notebooks_dir=notebooks, echo=lambda _: None,
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


def test_rerun_replaces_the_week_folder(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    kwargs = dict(steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None)
    final = runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    (final / "stale.txt").write_text("old", "utf-8")
    runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    assert not (final / "stale.txt").exists()
    assert (final / "note.txt").exists()


def test_rebuilding_a_week_keeps_the_log_of_packs_already_sent(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    kwargs = dict(steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None)
    final = runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    (final / "distribution.json").write_text('{"sends": [{"unit_code": "00008"}]}', "utf-8")
    runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    assert json.loads((final / "distribution.json").read_text("utf-8"))["sends"] == [
        {"unit_code": "00008"}]
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    assert "distribution.json" not in {f["path"] for f in manifest["files"]}


def test_per_language_steps_run_once_per_language(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    write_notebook(notebooks, "04_lang", "lang = 'vi'")
    final = runner.run(
        WEEK, ["vi", "en"], tmp_ws, steps=[Step("02_ok"), Step("04_lang", per_lang=True)],
        notebooks_dir=notebooks, echo=lambda _: None,
    )
    names = sorted(p.name for p in (final / "notebooks").iterdir())
    assert names == ["02_ok.ipynb", "04_lang-en.ipynb", "04_lang-vi.ipynb"]


def test_main_exits_nonzero_with_one_line_message(tmp_ws, capsys):
    code = runner.main(["--raw-dir", str(tmp_ws.raw), "--output-dir", str(tmp_ws.output)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("ERROR: no delivery folder")
    assert str(tmp_ws.raw) in err


def test_outputs_are_readable_by_the_staff_who_distribute_them(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    final = runner.run(WEEK, ["vi"], tmp_ws, steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None)
    umask = os.umask(0)
    os.umask(umask)
    assert final.stat().st_mode & 0o777 == 0o777 & ~umask  # not the 0700 of a temp folder
    assert (final / "note.txt").stat().st_mode & 0o777 == 0o666 & ~umask
