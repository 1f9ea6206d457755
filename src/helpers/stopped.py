"""A run that stops (a failed step, Ctrl-C, SIGTERM): end what it started, keep what it did.

- :func:`own_children` / :func:`end_children`: the kernel and its pool workers, ended so that
  nothing of a stopped run goes on writing.
- :func:`keep_for_resume`: the steps it finished, kept for the next run of the week
  (helpers.incremental; never published from there).
- :func:`keep_for_inspection`: its executed notebooks and kernels' logs, under
  ``<output>/failed/<week>-<time>/``.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from helpers.incremental import StepReuse


def own_children() -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process().children(recursive=True)}


def end_children(keep: set[int]) -> None:
    """End the processes this run started that are still alive (kernel, pool workers)."""
    import psutil

    me = psutil.Process()
    kernels = [p for p in me.children() if p.pid not in keep]
    for proc in kernels:  # interrupt the cell first: its clean-up (finally, with) runs
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGINT)
    if kernels:
        time.sleep(1)
    procs = [p for p in me.children(recursive=True) if p.pid not in keep]
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def keep_for_resume(reuse: StepReuse, staging: Path, echo: Callable[[str], None]) -> None:
    """A stopped run: keep the steps it finished for the next run (never published from
    there); a failure to keep them (a full disk) is said, not raised over the real one."""
    try:
        folder, kept = reuse.keep_stopped(staging)
    except Exception as exc:
        echo(f"the steps this run finished could not be kept for the next run ({exc})")
        return
    if folder is not None and kept:
        echo(
            f"steps finished by this run kept for the next run (not published): "
            f"{', '.join(kept)} in {folder}"
        )


def keep_for_inspection(
    output: Path, week: str, notebooks: Path, kernel_logs: Path, echo: Callable[[str], None]
) -> None:
    """Move the executed notebooks and the kernels' non-empty logs to ``failed/``."""
    failed_at = datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = output / "failed" / f"{week}-{failed_at}"
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(notebooks), str(kept))
        for log in kernel_logs.glob("*.log"):
            if log.stat().st_size:
                shutil.move(str(log), str(kept / log.name))
        echo(f"executed notebooks kept for inspection in {kept}")
    except OSError as move_error:  # a full disk or read-only folder: say so, keep going
        echo(f"executed notebooks could not be kept ({move_error})")
