"""Progress bars for the long steps (ingest's sources, the unit packs): one tick per piece
of work done, never per record.

What each place shows, by design:

* **JupyterLab** (an interactive kernel): one plain-text line on the cell's stderr, rewritten
  in place (``\\r``) at most every :data:`MININTERVAL` seconds, e.g.
  ``unit packs: 100%|██████████| 126/126 [02:10<00:00]``. Plain ``tqdm.tqdm``, not
  ``tqdm.auto``: a widget would leave its state in the saved notebook.
* **Papermill** (``make run`` / :mod:`helpers.runner`): the same kernel stream, so the
  executed notebook keeps that one line; the rare refreshes (every :data:`MININTERVAL`
  seconds) are ``\\r``-rewrites of the same line, and the closing refresh is the line
  that stays, so the stored output reads as a single final line.
* **A terminal** (``python -m``, a script): the usual live bar.
* **Anything else** (pytest, logs, pipes): no bar at all.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

#: Seconds between refreshes: a few lines in a kernel's output, not one per tick.
MININTERVAL = 5.0


def _shows() -> bool:
    """A terminal, or a Jupyter kernel's stderr (ipykernel's stream reports no tty)."""
    stream = sys.stderr
    if type(stream).__module__.startswith("ipykernel"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def bar(total: int, desc: str, unit: str = "it") -> tqdm:
    """A progress bar over ``total`` pieces of work, shown as the module docstring says."""
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        mininterval=MININTERVAL,
        disable=not _shows(),
        dynamic_ncols=False,
        ncols=80,
    )
