"""Fixtures shared by the pipeline tests: a folder of test notebooks, a reaper of the runner
processes a test starts."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

from tests.pipeline.builders import write_notebook


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


@pytest.fixture
def reaper():
    """Processes a test started; killed at the end whatever happened."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
