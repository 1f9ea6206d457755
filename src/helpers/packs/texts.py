"""Words for the packs: texts of the catalogue section ``excel`` and labels for the codes
found in the data (statuses, kinds, yes/no).

Reads the i18n catalogues only; touches no file and no workbook.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from helpers.i18n import code_label, t


def tx(key: str, lang: str, **values: Any) -> str:
    """A text of the catalogue section ``excel``."""
    return t(f"excel.{key}", lang, **values)


def label_series(values: pd.Series, section: str, lang: str) -> pd.Series:
    """Codes -> catalogue wording, looked up once per distinct code."""
    s = values.astype("string")
    mapping = {code: code_label(section, code, lang) for code in s.dropna().unique()}
    return s.map(mapping).astype("string")


def yes_no(values: pd.Series, lang: str) -> pd.Series:
    s = values.astype("boolean")
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    out[s.fillna(False).astype(bool)] = tx("answer_yes", lang)
    out[(~s.fillna(True)).astype(bool)] = tx("answer_no", lang)
    return out
