"""Text and names: the scalar cleaners and folds (small lists: unit names, headers) and their
vectorised forms over pandas Series (clean text, folded keys, personal names).

Pure functions; touch no files.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pyarrow.compute as pc

from helpers.normalize.arrow import _arrow, _clean, _fold, _per_distinct, _series

_SPACES = re.compile(r"\s+")
# đ/Đ are letters of their own in Unicode, not d + a combining mark: NFD leaves them alone.
_DSTROKE = str.maketrans({"đ": "d", "Đ": "D"})
# Whitespace as RE2 sees it, plus the no-break and zero-width spaces spreadsheets leave behind.


# ---------------------------------------------------------------- scalar text


def clean_text(value: str) -> str:
    """NFC, trimmed, inner runs of whitespace collapsed to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str) -> str:
    """Accent- and case-folded comparison key: 'Phường Ngọc Hà' -> 'phuong ngoc ha'."""
    decomposed = unicodedata.normalize("NFD", clean_text(value).translate(_DSTROKE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.lower()


def fold_key(value: str) -> str:
    """:func:`fold` with every non-alphanumeric run removed: 'Xe máy điện' -> 'xemaydien'."""
    return re.sub(r"[^0-9a-z]+", "", fold(value))


# ---------------------------------------------------------------- text and names


def clean_text_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`clean_text`; missing stays missing, empty becomes missing."""
    return _series(_clean(_arrow(values)), values)


def fold_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`fold`: NFC, đ -> d, accents dropped, lower case."""
    return _series(_fold(_arrow(values)), values)


def name_series(values: pd.Series) -> pd.Series:
    """Personal names in one consistent case: 'NGUYỄN  văn an' -> 'Nguyễn Văn An'."""
    return _series(_per_distinct(_clean(_arrow(values)), pc.utf8_title), values)


def names_series(values: pd.Series) -> pd.DataFrame:
    """``name`` (:func:`name_series`) and ``key`` (:func:`name_key_series`) in one pass over
    the distinct names."""
    encoded = _clean(_arrow(values)).dictionary_encode()
    titled = pc.utf8_title(encoded.dictionary)
    return pd.DataFrame(
        {
            "name": _series(titled.take(encoded.indices), values),
            "key": _series(_fold(titled).take(encoded.indices), values),
        }
    )


def name_key_series(values: pd.Series) -> pd.Series:
    """Accent-folded lower-case key names are compared on: 'Đặng Thị Ánh' -> 'dang thi anh'."""
    return _series(_per_distinct(_clean(_arrow(values)), _fold), values)
