"""One run at a time per workspace: the runner holds ``<processed>/.run.lock`` (who holds it is
written inside); a second run stops at once naming the holder, or waits."""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from helpers import PipelineError
from helpers.paths import Workspace

LOCK_NAME = ".run.lock"  # in the processed folder: one run at a time per workspace


class RunLocked(PipelineError):
    """Another run holds the workspace; the message says which (pid, week, start time)."""


def _holder(lock_path: Path) -> str:
    try:
        info = json.loads(lock_path.read_text("utf-8"))
    except (OSError, ValueError):
        return "a run whose details could not be read"
    return (
        f"pid {info.get('pid')} on {info.get('host')}, week {info.get('week')}, "
        f"started {info.get('started_at')}"
    )


@contextlib.contextmanager
def run_lock(
    ws: Workspace,
    week: str,
    started_at: str,
    *,
    wait: bool = False,
    echo: Callable[[str], None] = print,
) -> Iterator[Path]:
    """Hold ``<processed>/.run.lock`` for the block; raise :class:`RunLocked` naming the
    holder, or with ``wait`` wait for it.

    The lock is the kernel's (``flock``): it is released when the holding process ends, even
    killed, so a lock file left behind by a dead run never blocks. The file only says who
    holds it (pid, host, week, start time).
    """
    import fcntl

    ws.processed.mkdir(parents=True, exist_ok=True)
    lock_path = ws.processed / LOCK_NAME
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(lock_path)
            if not wait:
                raise RunLocked(
                    f"another run is using {ws.processed} ({holder}); wait for it to finish "
                    f"or re-run with WAIT=1 (--wait) to start after it. Lock file: {lock_path}"
                ) from None
            echo(f"waiting for the run holding {lock_path} ({holder}) ...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "week": week,
            "started_at": started_at,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        yield lock_path
    finally:
        os.close(fd)  # releases the lock
