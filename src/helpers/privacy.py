"""Masking personal data for anything a person other than the unit's officer may see.

IDs keep the first three digits (province of birth) and the last two, so an officer can tell
records apart and find them in the unit's own worklist: ``001090012345`` -> ``001*******45``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_KEEP_HEAD = 3
_KEEP_TAIL = 2


def mask_id(values: pd.Series) -> pd.Series:
    """Vectorised ID mask: head 3 and tail 2 characters kept, the rest replaced by ``*``.

    Works for CCCD (12), CMND (9), tax codes and repaired IDs alike; values too short to keep
    anything safely (under 6 characters) are masked entirely. Missing stays missing. The input
    is never changed.
    """
    s = values.astype("string").str.strip()
    s = s.mask(s == "")
    n = s.str.len().fillna(0).astype("int64")
    short = n < _KEEP_HEAD + _KEEP_TAIL + 1
    middle = _stars((n - _KEEP_HEAD - _KEEP_TAIL).clip(lower=0), s)
    masked = s.str.slice(0, _KEEP_HEAD) + middle + s.str.slice(-_KEEP_TAIL)
    out = masked.where(~short, _stars(n, s))
    return out.mask(s.isna())


def _stars(counts: pd.Series, like: pd.Series) -> pd.Series:
    """``'*' * count`` for each count, as text of ``like``'s type and index: taken from the
    few distinct lengths (``Series.str.repeat`` with a list loops in Python, value by
    value: most of the mask's time on a city's worklists)."""
    wanted = counts.to_numpy(dtype="int64")
    lengths, codes = np.unique(wanted, return_inverse=True)
    words = pd.array(["*" * int(k) for k in lengths], dtype=like.dtype)
    return pd.Series(words.take(codes.reshape(-1)), index=like.index, dtype=like.dtype)


def mask_text(values: pd.Series, keep: int = 1) -> pd.Series:
    """Mask free text (names): keep the first ``keep`` characters of each word, e.g. ``N. V. A.``."""
    s = values.astype("string").str.strip()
    return s.str.replace(rf"(\w{{{keep}}})\w*", r"\1.", regex=True)
