"""Tables an analyst reads in a notebook, shown as the briefing shows them: numbers in the
language's format (``helpers.i18n``: 60.420, 41,0%), yes/no in words, dates day first, a
missing value as a dash, every text whole and every row there.

:func:`readable` takes the table a helper returns (plain values, labelled columns) and gives
back a pandas ``Styler``; the notebooks call it as their cell's last expression. pandas' own
display cuts texts at 50 characters and hides the middle of a table longer than 60 rows;
a ``Styler`` renders every cell in full, so nothing read before a conference is lost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from helpers.i18n import check_lang, fmt_date, fmt_int, fmt_num, fmt_pct, t

MISSING = "–"  # the briefing's sign for a value that is not there


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _when(value: date | datetime, lang: str) -> str:
    """A date day first; a time of day only when there is one."""
    if isinstance(value, datetime) and (value.hour, value.minute, value.second) != (0, 0, 0):
        return f"{fmt_date(value, lang)} {value:%H:%M}"
    return fmt_date(value, lang)


def cell_text(value: Any, lang: str, *, decimals: int = 1) -> str:
    """One value as the reader sees it in ``lang``."""
    if _missing(value):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return t("display.answer_yes" if value else "display.answer_no", lang)
    if isinstance(value, (int, np.integer)):
        return fmt_int(int(value), lang)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return fmt_int(number, lang) if number.is_integer() else fmt_num(number, lang, decimals)
    if isinstance(value, pd.Timestamp):
        return _when(value.to_pydatetime(), lang)
    if isinstance(value, (date, datetime)):
        return _when(value, lang)
    return str(value)


def _formatter(
    column: pd.Series, lang: str, *, share: bool, decimals: int, missing: str
) -> Callable[[Any], str]:
    if share:
        return lambda v: missing if _missing(v) else fmt_pct(v, lang, decimals)
    if pd.api.types.is_float_dtype(column.dtype):
        values = column.dropna().to_numpy(dtype=float)
        if values.size and np.all(np.mod(values, 1) == 0):  # counts held as floats: 3, not 3,0
            return lambda v: missing if _missing(v) else fmt_int(v, lang)
    return lambda v: missing if _missing(v) else cell_text(v, lang, decimals=decimals)


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
        column.dtype
    )


def readable(
    frame: pd.DataFrame,
    lang: str,
    *,
    shares: Collection[str] = (),
    decimals: Mapping[str, int] | None = None,
    caption: str | None = None,
    missing: str = MISSING,
) -> Styler:
    """``frame`` formatted for reading in ``lang``: every cell, every row, nothing cut.

    ``shares`` names columns holding fractions (0.41 -> 41,0%); ``decimals`` the decimals of
    a column of measurements (default 1); ``missing`` what a missing value shows (a dash, or
    "" where a caption says blank means something). A table whose index is just the row numbers shows
    no index; a labelled index (a figure's name) is kept. The frame is not changed.
    """
    check_lang(lang)
    decimals = dict(decimals or {})
    shares = set(shares)
    styler = frame.style.format(
        {
            c: _formatter(
                frame[c], lang, share=c in shares, decimals=decimals.get(c, 1), missing=missing
            )
            for c in frame.columns
        }
    )
    styler = styler.format_index(lambda v: cell_text(v, lang), axis=0)
    if isinstance(frame.index, pd.RangeIndex):
        styler = styler.hide(axis="index")
    numbers = [c for c in frame.columns if _is_numeric(frame[c]) or c in shares]
    texts = [c for c in frame.columns if c not in numbers]
    styler = styler.set_table_styles([{"selector": "td, th", "props": "vertical-align: top;"}])
    if numbers:
        styler = styler.set_properties(subset=numbers, **{"text-align": "right"})
    if texts:  # long texts wrap in full, their line breaks kept
        styler = styler.set_properties(
            subset=texts, **{"text-align": "left", "white-space": "pre-wrap"}
        )
    if caption:
        styler = styler.set_caption(caption)
    return styler


# ---------------------------------------------------------------- choosing a unit


def unit_options() -> list[tuple[str, str]]:
    """The 126 units as (name, code), by name: what the unit list offers."""
    from helpers.units import official_units

    units = official_units()
    pairs = sorted(zip(units["unit_name"], units["unit_code"], strict=True))
    return [(str(name), str(code)) for name, code in pairs]


def unit_picker(default_code: str, lang: str):
    """A list of the 126 units to choose the one to explore, showing ``default_code`` (the
    notebook's ``unit`` parameter) until someone picks another in JupyterLab. Its ``value`` is
    the chosen unit's code; run the cells below it again after choosing. Under Papermill (no
    widget front-end) nobody picks: the value stays the parameter's unit."""
    import ipywidgets as widgets

    class UnitPicker(widgets.Dropdown):
        def __repr__(self) -> str:  # what a run without a front-end shows: the unit chosen
            return f"{self.description} {self.label}"

    return UnitPicker(
        options=unit_options(),
        value=default_code,
        description=t("display.unit", check_lang(lang)),
        layout=widgets.Layout(width="32em"),
    )
