"""Progress bars for the long steps (ingest's sources, the unit packs): one tick per piece
of work done, never per record.

What each place shows, by design:

* **JupyterLab** (an interactive kernel): one plain-text line on the cell's stderr, rewritten
  in place (``\\r``) at most every :data:`MININTERVAL` seconds, e.g.
  ``unit packs: 100%|██████████| 126/126 [02:10<00:00]``. Plain ``tqdm.tqdm``, not
  ``tqdm.auto``: a widget would leave its state in a saved notebook.
* **A run through** :mod:`helpers.runner` (Papermill): Papermill keeps every refresh of a
  stream as an output of its own, so the runner sets ``HELPERS_BARS=final`` for its kernels
  and a bar then writes nothing while it runs and one line when it closes: the executed
  notebook keeps that single final line (count, elapsed time, rate).
  Each tenth of the work done is also written as one line ``catp375-progress: unit packs
  40/126`` on the kernel's own stderr (the kernel's log, not the notebook), which the runner
  relays to its console (helpers.relay): a long step shows it is working.
* **A terminal** (``python -m``, a script): the usual live bar.
* **Anything else** (pytest, logs, pipes): no bar at all.
"""

from __future__ import annotations

import os
import sys

from tqdm import tqdm

#: Seconds between refreshes of a live bar.
MININTERVAL = 5.0
#: The environment variable that asks for the final line only (set by helpers.runner).
ENV = "HELPERS_BARS"
#: How a line relayed to the runner's console starts (helpers.relay reads it).
RELAY_PREFIX = "catp375-progress: "
#: Lines relayed per bar: one at each tenth of the work.
RELAY_STEPS = 10


def _shows() -> bool:
    """A terminal, or a Jupyter kernel's stderr (ipykernel's stream reports no tty)."""
    stream = sys.stderr
    if type(stream).__module__.startswith("ipykernel"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def relay(text: str) -> None:
    """One progress line for the runner's console, on the process's own stderr (in a kernel:
    the kernel's log, which the runner reads; never the notebook's output)."""
    stream = sys.__stderr__
    if stream is not None:
        stream.write(f"{RELAY_PREFIX}{text}\n")
        stream.flush()


class _FinalLine(tqdm):
    """A bar that counts silently and writes its state once, when it closes; each tenth of
    the work is relayed to the runner's console (:func:`relay`)."""

    def __init__(self, *args, **kwargs) -> None:
        self.done = 0  # counted here: a disabled tqdm does not count, nor keep its label
        self.label = str(kwargs.get("desc") or "")
        self.size = int(kwargs.get("total") or 0)
        super().__init__(*args, **kwargs)

    def update(self, n: float | None = 1) -> bool | None:
        before, self.done = self.done, self.done + int(n or 0)
        total = self.size
        if total and (self.done * RELAY_STEPS) // total > (before * RELAY_STEPS) // total:
            relay(f"{self.label} {self.done}/{total}")
        return super().update(n)

    def close(self) -> None:
        if not self.disable:
            self.fp.write(self.format_meter(**self.format_dict) + "\n")
            self.fp.flush()
        super().close()


def bar(total: int, desc: str, unit: str = "it") -> tqdm:
    """A progress bar over ``total`` pieces of work, shown as the module docstring says."""
    final = os.environ.get(ENV) == "final"
    return (_FinalLine if final else tqdm)(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        mininterval=float("inf") if final else MININTERVAL,
        delay=float("inf") if final else 0.0,
        disable=not _shows(),
        ncols=80,
    )
