"""Text normalisation shared by every stage: Unicode NFC, spaces, accent-folded keys.

Vectorised helpers take and return pandas Series; scalar helpers exist for small lists
(the 126 unit names, headers). Never loop per record over big tables with the scalar ones.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

_SPACES = re.compile(r"\s+")
# đ/Đ are letters of their own in Unicode, not d + a combining mark: NFD leaves them alone.
_DSTROKE = str.maketrans({"đ": "d", "Đ": "D"})


def clean_text(value: str) -> str:
    """NFC, trimmed, inner runs of whitespace collapsed to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str) -> str:
    """Accent- and case-folded comparison key: 'Phường Ngọc Hà' -> 'phuong ngoc ha'."""
    decomposed = unicodedata.normalize("NFD", clean_text(value).translate(_DSTROKE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.lower()


def clean_text_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`clean_text`; missing stays missing, empty becomes missing."""
    s = values.astype("string")
    s = s.str.normalize("NFC").str.replace(_SPACES, " ", regex=True).str.strip()
    return s.mask(s == "")


def fold_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`fold`."""
    s = clean_text_series(values)
    s = s.str.replace("đ", "d", regex=False).str.replace("Đ", "D", regex=False)
    s = s.str.normalize("NFD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    return s.str.lower()
