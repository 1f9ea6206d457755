"""A long step's progress on the runner's console, read from its kernel's log.

A step's kernel writes its own stdout and stderr to ``<step>.kernel.log`` (helpers.runner);
the progress bars write a line ``catp375-progress: unit packs 40/126`` there at each tenth of
the work (helpers.bars). While the step runs, :class:`Relay` reads the new lines of that file
twice a second and says those lines on the console, after the step's label: on a terminal one
live line rewritten in place, elsewhere (a log, a pipe, a test) one line each.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from helpers.bars import RELAY_PREFIX

POLL_SECONDS = 0.5


class Relay:
    """Relay the progress lines of ``log`` to ``echo`` as ``"<label>: <progress>"`` while the
    block runs; ``live`` rewrites one terminal line instead (cleared at the end)."""

    def __init__(
        self, log: Path, label: str, echo: Callable[[str], None], *, live: bool = False
    ) -> None:
        self.log, self.label, self.echo, self.live = log, label, echo, live
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="progress-relay", daemon=True)
        self._offset = 0
        self._pending = b""
        self._shown = False

    def __enter__(self) -> Relay:
        self._offset = self.log.stat().st_size if self.log.is_file() else 0
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._read()  # what the step wrote last
        if self._shown:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()

    def _follow(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._read()

    def _read(self) -> None:
        try:
            with self.log.open("rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except OSError:  # not created yet (the kernel is starting), or gone
            return
        self._offset += len(data)
        *lines, self._pending = (self._pending + data).split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith(RELAY_PREFIX):
                self._say(f"{self.label}: {line[len(RELAY_PREFIX) :]}")

    def _say(self, text: str) -> None:
        if self.live:
            sys.stdout.write(f"\r\033[K{text}")
            sys.stdout.flush()
            self._shown = True
        else:
            self.echo(text)
