"""Helpers shared by the runner tests: notebooks written for a test, real runner processes started
and waited for."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

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


def published(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


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
