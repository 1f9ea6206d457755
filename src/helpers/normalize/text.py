"""Text and names: the scalar cleaners and folds (small lists: unit names, headers) and their
vectorised forms over pandas Series (clean text, folded keys, personal names).

Pure functions; touch no files.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pyarrow.compute as pc

from helpers.normalize.arrow import clean_array, fold_array, per_distinct, to_arrow, to_series

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
    return to_series(clean_array(to_arrow(values)), values)


def fold_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`fold`: NFC, đ -> d, accents dropped, lower case."""
    return to_series(fold_array(to_arrow(values)), values)


def name_series(values: pd.Series) -> pd.Series:
    """Personal names in one consistent case: 'NGUYỄN  văn an' -> 'Nguyễn Văn An'."""
    return to_series(per_distinct(clean_array(to_arrow(values)), pc.utf8_title), values)


def names_series(values: pd.Series) -> pd.DataFrame:
    """``name`` (:func:`name_series`) and ``key`` (:func:`name_key_series`) in one pass over
    the distinct names."""
    encoded = clean_array(to_arrow(values)).dictionary_encode()
    titled = pc.utf8_title(encoded.dictionary)
    return pd.DataFrame(
        {
            "name": to_series(titled.take(encoded.indices), values),
            "key": to_series(fold_array(titled).take(encoded.indices), values),
        }
    )


def name_key_series(values: pd.Series) -> pd.Series:
    """Accent-folded lower-case key names are compared on: 'Đặng Thị Ánh' -> 'dang thi anh'."""
    return to_series(per_distinct(clean_array(to_arrow(values)), fold_array), values)
