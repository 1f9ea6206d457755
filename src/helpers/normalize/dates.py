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

from helpers.normalize.arrow import clean_array, np_bool, to_arrow

# ---------------------------------------------------------------- dates

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
DATE_PROBLEMS: tuple[str, ...] = ("invalid_date", "date_in_future", "date_before_1900")

# A time: hh:mm[:ss[.fff]], then maybe the Vietnamese (SA = sáng, morning; CH = chiều,
# afternoon) or English 12-hour marker; ISO forms may end with a UTC offset.
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?(?:\s*(?P<ap>(?i:SA|CH|AM|PM)))?"
_DATE_FORMS = {
    # ISO and other year-first forms, optional time, optional offset (Z, +07:00, +0700)
    "ymd": r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    rf"(?:[T ]+{_TIME}(?:\s*(?P<tz>Z|[+-]\d{{2}}:?\d{{2}}))?)?$",
    # day first, 2- or 4-digit year, optional time
    "dmy": r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4}|\d{2})"
    rf"(?:[T ,]+{_TIME})?$",
    # in words, as Vietnamese documents write dates: "ngày 5 tháng 12 năm 2025" (any case,
    # with or without tone marks), maybe after or before a time
    "words": r"(?i)^(?:(?P<H>\d{1,2})(?:h|:)(?P<M>\d{2})?(?::(?P<S>\d{2}))?,?\s+)?"
    r"ng[aà]y\s*(?P<d>\d{1,2})\s*th[aá]ng\s*(?P<m>\d{1,2})\s*,?\s*n[aă]m\s*(?P<y>\d{4})$",
    # Excel serial day number, maybe with a time fraction (5 digits = 1927..2173)
    "serial": r"^(?P<n>\d{5}(?:\.\d+)?)$",
    # year only (birth dates in the population extract), or a 4-digit Excel serial
    "year": r"^(?P<y>\d{4})$",
}
# Local time of the campaign (Hanoi, UTC+7, no daylight saving): an ISO time with another
# offset is moved to it, then kept naive like every other time.
LOCAL_UTC_OFFSET_S = 7 * 3600


def _ints(struct: pa.StructArray, field: str, default: int = 0) -> np.ndarray:
    if struct.type.get_field_index(field) < 0:  # a form without this part
        return np.full(len(struct), default, dtype=np.int64)
    col = pc.struct_field(struct, field)
    col = pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)
    return np.asarray(
        pc.fill_null(pc.cast(col, pa.int64()), default).to_numpy(zero_copy_only=False)
    )


def _part(struct: pa.StructArray, field: str) -> pa.Array:
    """A text part, upper case, '' where absent (or where the form has no such part)."""
    if struct.type.get_field_index(field) < 0:
        return pa.array([""] * len(struct), pa.string())
    return pc.utf8_upper(pc.fill_null(pc.struct_field(struct, field), ""))


def _clock(found: pa.StructArray) -> tuple[np.ndarray, np.ndarray]:
    """(seconds into the day, valid) of the time part: SA/AM and CH/PM make a 12-hour
    clock 24-hour (12 SA = 00, 1 CH = 13; a 12-hour clock has no 0 or 13); an offset moves
    the time to Hanoi's (UTC+7), which may fall on the day before or after."""
    hour, minute, second = _ints(found, "H"), _ints(found, "M"), _ints(found, "S")
    ap = _part(found, "ap")
    pm = np_bool(pc.is_in(ap, value_set=pa.array(["CH", "PM"])))
    am = np_bool(pc.is_in(ap, value_set=pa.array(["SA", "AM"])))
    ok = (hour < 24) & (minute < 60) & (second < 60)
    ok &= ~(pm | am) | ((hour >= 1) & (hour <= 12))
    hour = np.where(pm & (hour < 12), hour + 12, np.where(am & (hour == 12), 0, hour))
    clock = hour * 3600 + minute * 60 + second
    tz = _part(found, "tz")
    given = np_bool(pc.not_equal(tz, ""))
    if given.any():
        hhmm = pc.replace_substring(tz, ":", "")
        part = {
            k: _ints(pa.StructArray.from_arrays([pc.utf8_slice_codeunits(hhmm, a, b)], [k]), k)
            for k, a, b in (("h", 1, 3), ("m", 3, 5))
        }
        sign = np.where(np_bool(pc.starts_with(tz, "-")), -1, 1)
        offset = sign * (part["h"] * 3600 + part["m"] * 60)  # Z: no digits, offset 0
        ok &= ~given | ((part["h"] <= 14) & (part["m"] < 60))
        clock = np.where(given, clock - offset + LOCAL_UTC_OFFSET_S, clock)
    return clock, ok


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
        hit[rest] = np_bool(part.is_valid())
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
        clock, fine = _clock(found)
        ok &= fine
        value = days.astype("datetime64[s]") + clock.astype("timedelta64[s]")
        take = hit & ok
        stamp[take] = value[take]
        # from the value: an offset may have moved the time into another day (and year)
        year[take] = value[take].astype("datetime64[Y]").astype(np.int64) + 1970
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
    arr = clean_array(to_arrow(values))
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
