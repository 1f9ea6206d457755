"""Masking personal data for anything a person other than the unit's officer may see.

IDs keep the first three digits (province of birth) and the last two, so an officer can tell
records apart and find them in the unit's own worklist: ``001090012345`` -> ``001*******45``.
"""

from __future__ import annotations

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
    star = pd.Series("*", index=s.index, dtype="string")
    middle = star.str.repeat((n - _KEEP_HEAD - _KEEP_TAIL).clip(lower=0).tolist())
    masked = s.str.slice(0, _KEEP_HEAD) + middle + s.str.slice(-_KEEP_TAIL)
    out = masked.where(~short, star.str.repeat(n.tolist()))
    return out.mask(s.isna())


def mask_text(values: pd.Series, keep: int = 1) -> pd.Series:
    """Mask free text (names): keep the first ``keep`` characters of each word, e.g. ``N. V. A.``."""
    s = values.astype("string").str.strip()
    return s.str.replace(rf"(\w{{{keep}}})\w*", r"\1.", regex=True)
