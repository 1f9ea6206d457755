"""Worker processes that end with the process that started them.

A ``ProcessPoolExecutor`` worker waits on its task queue forever once its parent is gone: a
runner or kernel killed during ``05_packs`` used to leave its workers behind, holding their
memory (docs/performance.md, "Excel packs"). Every pool of the suite comes from
:func:`process_pool`, whose workers watch their parent and exit as soon as it has died.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

PARENT_POLL_SECONDS = 0.5


def watch_parent(parent_pid: int, interval: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """Exit this process as soon as ``parent_pid`` is no longer its parent (it died).

    A daemon thread polls ``os.getppid()``; it works on every POSIX system and whatever the
    main thread is doing (DuckDB and zlib release the GIL).
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(1)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread


def _start_worker(parent_pid: int, initializer: Callable[[], None] | None) -> None:
    watch_parent(parent_pid)
    if initializer is not None:
        initializer()


def process_pool(
    workers: int, initializer: Callable[[], None] | None = None
) -> ProcessPoolExecutor:
    """A pool of ``workers`` fresh interpreters (spawn: never a fork of a kernel holding
    Arrow/DuckDB threads) that die with this process."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer),
    )
