"""helpers.bars: where a progress bar shows, and what an executed notebook keeps of it."""

from __future__ import annotations

import nbformat

from helpers import bars, runner


def test_bars_stay_off_where_nobody_watches():
    """Under pytest stderr is neither a terminal nor a Jupyter kernel's stream: no bar."""
    assert bars.bar(3, "x").disable


def test_a_notebook_run_by_the_runner_keeps_one_final_line_of_a_bar(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from helpers import bars\n"
            "bars.MININTERVAL = 0.0  # live, it would refresh on every tick\n"
            "with bars.bar(5, 'unit packs', unit='pack') as b:\n"
            "    b.update(2)\n"
            "    b.update(3)"
        )
    ]
    source = tmp_path / "in.ipynb"
    nbformat.write(nb, source)
    runner.execute_notebook(source, tmp_path / "out.ipynb", {}, tmp_path)
    outputs = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].outputs
    assert [o["name"] for o in outputs] == ["stderr"]
    lines = outputs[0]["text"].splitlines()
    assert len(lines) == 1 and "\r" not in outputs[0]["text"]
    assert lines[0].startswith("unit packs: 100%") and "5/5" in lines[0]
