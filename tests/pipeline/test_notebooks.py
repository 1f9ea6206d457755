"""House rules for the committed notebooks: no outputs, one parameters cell, kernelspec kept."""

from __future__ import annotations

import ast
import shlex
import subprocess
import sys

import nbformat
import pytest
import yaml

from helpers.paths import NOTEBOOKS_DIR, PROJECT_ROOT

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
PIPELINE = ["01_ingest", "02_reconcile", "03_progress", "04_briefing", "05_packs"]


def test_every_pipeline_notebook_exists():
    assert [n for n in PIPELINE if not (NOTEBOOKS_DIR / f"{n}.ipynb").is_file()] == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert dirty == [], f"{path.name}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernelspec_is_the_project_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "catp375"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exactly_one_parameters_cell_with_typed_commented_defaults(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    lines = [ln for ln in tagged[0].source.splitlines() if ln.strip()]
    tree = ast.parse(tagged[0].source)
    assert all(isinstance(node, ast.AnnAssign) for node in tree.body), "defaults must be typed"
    assert all("#" in ln for ln in lines), "each default needs a short comment"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_documents_every_parameter(path):
    """`papermill --help-notebook` must see each parameter (it skips lines with two '=')."""
    from papermill.translators import PythonTranslator

    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", []))
    declared = [n.target.id for n in ast.parse(cell.source).body]
    assert [p.name for p in PythonTranslator.inspect(cell)] == declared


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_definitions_in_notebooks(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith("%"))
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)), path.name
            if isinstance(node, ast.ExceptHandler):
                assert node.type is not None, f"{path.name}: bare except"


# ---------------------------------------------------------------- what the analyst reads

READ_BEFORE_CONFERENCE = ["01_ingest", "explore_unit"]
# helpers whose result a notebook cell may show as it is (a chart, a Styler of its own)
SHOWN_AS_THEY_ARE = {
    "chart_unit_curve",
    "unit_map",  # an inline SVG map (HTML with tooltips)
    "unit_self_reports",
    "readable",
    "unit_picker",
    "print",
}


def _last_call(cell) -> str | None:
    """The name of the function a code cell's last expression calls (None if it calls none)."""
    source = "\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith("%"))
    body = ast.parse(source).body
    if not body or not isinstance(body[-1], ast.Expr) or not isinstance(body[-1].value, ast.Call):
        return None
    func = body[-1].value.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


@pytest.mark.parametrize("name", READ_BEFORE_CONFERENCE)
def test_every_table_shown_goes_through_the_display_helper(name):
    """pandas' own display cuts texts at 50 characters, hides the middle of long tables and
    writes 60420, 3.000000, True and nan: every table goes through helpers.display.readable."""
    nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    bare = [
        call
        for cell in nb.cells
        if cell.cell_type == "code"
        and (call := _last_call(cell)) is not None
        and call not in SHOWN_AS_THEY_ARE
    ]
    assert bare == []


def test_explore_unit_takes_its_unit_from_the_list_defaulting_to_the_parameter():
    nb = nbformat.read(NOTEBOOKS_DIR / "explore_unit.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    picker = [i for i, s in enumerate(code) if "unit_picker(progress.find_unit(unit)" in s]
    chosen = [i for i, s in enumerate(code) if "code = picker.value" in s]
    assert len(picker) == 1 and len(chosen) == 1 and picker[0] < chosen[0]


def _shown_text(path) -> list[str]:
    """What each output of an executed notebook shows: the HTML's text, else the plain text."""
    import html
    import re

    nb = nbformat.read(path, as_version=4)
    shown = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                page = re.sub(r"(?s)<style.*?</style>", " ", data["text/html"])
                shown.append(html.unescape(re.sub(r"<[^>]+>", "\t", page)))
            else:
                shown.append(data.get("text/plain", "") + output.get("text", ""))
    return shown


@pytest.mark.slow
@pytest.mark.parametrize("name", READ_BEFORE_CONFERENCE)
def test_executed_tables_read_as_the_briefing_in_vietnamese(
    name, progressed, sample_week, tmp_path, monkeypatch
):
    import re
    import shutil

    import papermill as pm

    from helpers import i18n, store

    monkeypatch.setenv(store.RUN_ENV, "test")  # as the runner: a notebook writes only in a run

    processed = progressed.processed
    if name == "01_ingest":  # ingest replaces the week's folder: the session's stays whole
        processed = tmp_path / "processed"
        shutil.copytree(progressed.processed, processed)
    parameters = {
        "week": sample_week,
        "raw_dir": str(progressed.raw),
        "processed_dir": str(processed),
    }
    if name == "explore_unit":  # an analyst's notebook: run by hand, it writes nothing
        parameters |= {"unit": "Yên Xuân", "lang": "vi"}
    else:
        parameters["output_dir"] = str(tmp_path / "out")
    target = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(
        NOTEBOOKS_DIR / f"{name}.ipynb",
        target,
        kernel_name="catp375",
        parameters=parameters,
        progress_bar=False,
        cwd=str(tmp_path),
    )
    tables = [s for s in _shown_text(target) if "\t" in s]
    text = "\n".join(tables)
    assert tables
    assert re.findall(r"\bnan\b|\bNaN\b|<NA>|\bTrue\b|\bFalse\b|\d\.\d{6}\b", text) == []
    cells = [c.strip() for c in text.split("\t")]
    assert [c for c in cells if re.fullmatch(r"[1-9]\d{3,}", c)] == [], "counts not grouped"
    assert "..." not in text and "…" not in text
    if name == "01_ingest":
        ledger = i18n.t("ingest.rows_read", "vi")
        assert ledger in text
        # every file of the week is a row, none hidden in the middle
        rows_read = re.findall(r"\t(\d{1,3}(?:\.\d{3})+)\t", text)
        assert rows_read, "row counts are grouped with dots"
    else:
        assert f"{i18n.t('display.unit', 'vi')} Xã Yên Xuân" in "\n".join(_shown_text(target))


@pytest.mark.parametrize("name", PIPELINE)
def test_each_notebook_declares_what_the_runner_gives_and_builds_the_runs_workspace(name, tmp_path):
    # the packs step built its workspace without the run's output folder: its secrets check
    # looked for published packs in the project's reports/output, not the run's
    from helpers import runner
    from helpers.paths import Workspace

    step = next(s for s in runner.PIPELINE if s.name == name)
    ws = Workspace(tmp_path / "r", tmp_path / "p", tmp_path / "o", tmp_path / "t")
    given = runner.notebook_parameters(step, ws, "2025-12-14", tmp_path / "o" / "s", "vi")
    nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", []))
    declared = {n.target.id for n in ast.parse(cell.source).body}
    assert set(given) - {"lang"} <= declared
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "paths.workspace(raw_dir, processed_dir, output_root)" in code


def test_the_commit_hook_clears_a_saved_explore_unit_back_to_the_committed_file(tmp_path):
    """An analyst runs explore_unit in JupyterLab and saves it: the pre-commit hook leaves the
    file as committed (no outputs, no execution counts, cell ids and metadata kept)."""
    config = yaml.safe_load((PROJECT_ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    program, *options = shlex.split(hooks["nbstripout"]["entry"])
    assert program == ".venv/bin/nbstripout" and hooks["nbstripout"]["types"] == ["jupyter"]
    committed = NOTEBOOKS_DIR / "explore_unit.ipynb"
    nb = nbformat.read(committed, as_version=4)
    for count, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        cell.execution_count = count
        cell.outputs = [
            nbformat.v4.new_output("stream", text="Đơn vị 00008\n"),
            nbformat.v4.new_output("display_data", data={"text/html": "<table></table>"}),
        ]
    saved = tmp_path / committed.name
    nbformat.write(nb, saved)
    subprocess.run([sys.executable, "-m", "nbstripout", *options, str(saved)], check=True)
    assert saved.read_bytes() == committed.read_bytes()
