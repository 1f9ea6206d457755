"""Create a pipeline notebook skeleton in the house style (kernelspec kept, no outputs).

python tools/new_notebook.py notebooks/06_extra.ipynb "Title" [--lang]
"""

import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNELSPEC = {"name": "catp375", "display_name": "Python (CATP 375)", "language": "python"}


def skeleton(title: str, with_lang: bool) -> nbformat.NotebookNode:
    params = [
        'week: str = ""  # last day covered, YYYY-MM-DD; empty means newest delivery',
        'raw_dir: str = ""  # deliveries folder; empty means data/raw',
        'processed_dir: str = ""  # processed tables; empty means data/processed',
        'output_dir: str = ""  # this run\'s output folder; empty means reports/output/<week>',
    ]
    if with_lang:
        params.append('lang: str = "vi"  # report language: vi or en')
    cells = [
        new_markdown_cell(f"# {title}"),
        new_code_cell("%load_ext autoreload\n%autoreload 2\n\nfrom helpers import paths, store"),
        new_code_cell("\n".join(params), metadata={"tags": ["parameters"]}),
        new_code_cell(
            "ws = paths.workspace(raw_dir, processed_dir)\n"
            "week = store.resolve_week(ws, week)\n"
            "out_dir = store.output_folder(ws, week, output_dir)\n"
            "week"
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    return nb


if __name__ == "__main__":
    path, title = sys.argv[1], sys.argv[2]
    nbformat.write(skeleton(title, "--lang" in sys.argv), path)
