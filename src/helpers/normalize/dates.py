"""Dates: every date form a delivery holds (ISO, day-first, Excel serials, year only) parsed
once per distinct value, with the problems found.

Pure functions; touch no files.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.normalize.arrow import _arrow, _clean, _np_bool

# ---------------------------------------------------------------- dates

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
DATE_PROBLEMS: tuple[str, ...] = ("invalid_date", "date_in_future", "date_before_1900")

_DATE_FORMS = {
    # ISO and other year-first forms, optional time
    "ymd": r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:[T ]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?)?$",
    # day first, 2- or 4-digit year, optional time
    "dmy": r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4}|\d{2})"
    r"(?:[T ,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?)?$",
    # Excel serial day number, maybe with a time fraction (5 digits = 1927..2173)
    "serial": r"^(?P<n>\d{5}(?:\.\d+)?)$",
    # year only (birth dates in the population extract), or a 4-digit Excel serial
    "year": r"^(?P<y>\d{4})$",
}


def _ints(struct: pa.StructArray, field: str, default: int = 0) -> np.ndarray:
    col = pc.struct_field(struct, field)
    col = pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)
    return np.asarray(
        pc.fill_null(pc.cast(col, pa.int64()), default).to_numpy(zero_copy_only=False)
    )


def _compose(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D] dates, valid) from year/month/day numbers, calendar-checked."""
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1) & (y <= 9999)
    ys = np.where(ok, y, 1970)
    ms = np.where(ok, m, 1)
    month = (ys - 1970) * 12 + (ms - 1)
    start = month.astype("datetime64[M]").astype("datetime64[D]")
    length = (month + 1).astype("datetime64[M]").astype("datetime64[D]") - start
    ok &= d <= length.astype(np.int64)
    days = start + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    return days, ok


def _parse_distinct(
    texts: pa.Array, *, as_of: date, year_only: bool, allow_future: bool
) -> pd.DataFrame:
    """Parse a small array of distinct date strings (see :func:`parse_dates`)."""
    n = len(texts)
    stamp = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    year = np.zeros(n, dtype=np.int64)
    is_year = np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)
    for form, pattern in _DATE_FORMS.items():
        # each form only sees the values no earlier form took
        rest = np.flatnonzero(~done)
        if not len(rest):
            break
        part = pc.extract_regex(texts.take(pa.array(rest)), pattern=pattern)
        hit = np.zeros(n, dtype=bool)
        hit[rest] = _np_bool(part.is_valid())
        if not hit.any():
            continue
        # spread the matches back to full length (non-matches are null structs)
        where = np.full(n, -1, dtype=np.int64)
        where[rest] = np.arange(len(rest))
        found = part.take(pa.array(np.where(hit, where, 0)))
        done |= hit
        if form == "serial":
            num = pc.cast(pc.struct_field(found, "n"), pa.float64(), safe=False)
            num = np.asarray(pc.fill_null(num, 0.0).to_numpy(zero_copy_only=False))
            secs = np.round(num * 86400.0).astype(np.int64)
            value = EXCEL_EPOCH.astype("datetime64[s]") + secs.astype("timedelta64[s]")
            stamp[hit] = value[hit]
            year[hit] = value[hit].astype("datetime64[Y]").astype(np.int64) + 1970
            continue
        y = _ints(found, "y")
        if form == "year":
            # four digits: a year up to as_of's; above that an Excel serial of 1905..1927
            # (Excel writes birth dates before 1927-05-18 with four digits)
            serial = hit & (y > as_of.year)
            value = EXCEL_EPOCH.astype("datetime64[s]") + (y * 86400).astype("timedelta64[s]")
            stamp[serial] = value[serial]
            year[serial] = value[serial].astype("datetime64[Y]").astype(np.int64) + 1970
            plain = hit & ~serial
            year[plain] = y[plain]
            is_year[plain] = True
            continue
        if form == "dmy":
            short = np.asarray(
                pc.fill_null(pc.equal(pc.utf8_length(pc.struct_field(found, "y")), 2), False)
            )
            century = np.where(allow_future | (2000 + y <= as_of.year), 2000, 1900)
            y = np.where(short, century + y, y)
        days, ok = _compose(y, _ints(found, "m"), _ints(found, "d"))
        clock = _ints(found, "H") * 3600 + _ints(found, "M") * 60 + _ints(found, "S")
        ok &= (_ints(found, "H") < 24) & (_ints(found, "M") < 60) & (_ints(found, "S") < 60)
        value = days.astype("datetime64[s]") + clock.astype("timedelta64[s]")
        take = hit & ok
        stamp[take] = value[take]
        year[take] = y[take]
    problem = np.full(n, None, dtype=object)
    parsed = ~np.isnat(stamp)
    problem[~parsed & ~(is_year & year_only)] = "invalid_date"
    last = np.datetime64(as_of, "D") + np.timedelta64(1, "D")
    with np.errstate(invalid="ignore"):
        future = parsed & (stamp >= last.astype("datetime64[s]")) & (not allow_future)
        future |= is_year & year_only & (year > as_of.year) & (not allow_future)
    early = (parsed | (is_year & year_only)) & (year < 1900)
    problem[future] = "date_in_future"
    problem[early] = "date_before_1900"
    ok = problem == None  # noqa: E711 (elementwise on an object array)
    return pd.DataFrame(
        {
            "value": np.where(ok & parsed, stamp, np.datetime64("NaT")).astype("datetime64[s]"),
            "year": pd.arrays.IntegerArray(
                np.where(ok, year, 0).astype(np.int64), ~(ok & (parsed | is_year))
            ),
            "problem": pd.Series(problem, dtype="str"),
        }
    )


def parse_dates(
    values: pd.Series,
    *,
    as_of: date,
    year_only: bool = False,
    allow_future: bool = False,
) -> pd.DataFrame:
    """Dates and datetimes in every form of the contract, day first -> three columns.

    ``value`` (datetime64[s], NaT when missing, year-only or rejected), ``year`` (Int64, also
    for year-only values when ``year_only``), ``problem`` (``invalid_date``,
    ``date_in_future`` = after ``as_of``, ``date_before_1900``; missing when fine or blank).
    Forms: ``dd/mm/yyyy``, ``d/m/yy`` (``yy`` up to ``as_of``'s year is 20yy), ISO
    ``yyyy-mm-dd``, any of those with a time, Excel serial day numbers, and ``yyyy`` where
    ``year_only``. Parsed once per distinct value.
    """
    arr = _clean(_arrow(values))
    encoded = arr.dictionary_encode()
    distinct = _parse_distinct(
        encoded.dictionary, as_of=as_of, year_only=year_only, allow_future=allow_future
    )
    # one more row for blanks: no value, no year, no problem (required-ness is the caller's)
    blank = pd.DataFrame(
        {
            "value": np.array([np.datetime64("NaT")], "datetime64[s]"),
            "year": pd.array([None], dtype="Int64"),
            "problem": pd.Series([None], dtype="str"),
        }
    )
    table = pd.concat([distinct, blank], ignore_index=True)
    pos = np.asarray(pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False))
    out = table.iloc[pos]
    out.index = values.index
    return out
