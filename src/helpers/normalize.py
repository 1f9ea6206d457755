"""Normalisation shared by every stage: text, names, IDs, plates, dates, enumerations.

Vectorised helpers take and return pandas Series (pandas' ``str`` dtype, missing = NaN) and do
their work in pyarrow compute kernels, or once per distinct value (dates, enumerations), so
they stay fast on millions of rows. Scalar helpers exist for small lists (the 126 unit names,
headers). Never loop per record over big tables with the scalar ones.

Every vectorised normaliser is idempotent: feeding its output back in changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_SPACES = re.compile(r"\s+")
# đ/Đ are letters of their own in Unicode, not d + a combining mark: NFD leaves them alone.
_DSTROKE = str.maketrans({"đ": "d", "Đ": "D"})
# Whitespace as RE2 sees it, plus the no-break and zero-width spaces spreadsheets leave behind.
_WS_RE2 = r"[\s\x{00a0}\x{2000}-\x{200b}\x{202f}\x{205f}\x{3000}\x{feff}]+"


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


# ---------------------------------------------------------------- arrow plumbing


def _arrow(values: pd.Series) -> pa.Array:
    """The values as an arrow string array (zero-copy for pandas' ``str`` dtype).

    Numbers, dates and timestamps are cast by arrow (``1090012345.0`` -> ``1090012345``,
    timestamps -> ``2025-11-12 08:30:00.000000``); mixed object columns go through ``str``.
    """
    if isinstance(values.dtype, pd.StringDtype):
        arr = pa.array(values)
    else:
        try:
            arr = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            arr = pa.array(values.astype("str"))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type == pa.null():
        arr = pa.nulls(len(arr), pa.large_string())
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return arr


def _series(arr: pa.Array, like: pd.Series) -> pd.Series:
    return pd.Series(arr, index=like.index, name=like.name, dtype="str")


# ---- byte-level scans of an arrow string array (one numpy pass over the data buffer beats a
# ---- per-string kernel by an order of magnitude; the slow kernels then run on flagged rows)


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets rebased to 0, data bytes) of a large_string array, zero-copy."""
    n = len(arr)
    bufs = arr.buffers()
    off = np.frombuffer(bufs[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    if bufs[2] is None or n == 0:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    data = np.frombuffer(bufs[2], dtype=np.uint8)[off[0] : off[-1]]
    return off - off[0], data


def _rows_at(positions: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Rows (bool per row) holding the given byte positions (few positions)."""
    flags = np.zeros(len(off) - 1, dtype=bool)
    if len(positions):
        flags[np.searchsorted(off, positions, side="right") - 1] = True
    return flags


def _rows_any(byte_flags: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Rows (bool per row) holding at least one flagged byte (many flags)."""
    lens = np.diff(off)
    rows = np.zeros(len(lens), dtype=bool)
    full = np.flatnonzero(lens > 0)
    if len(full):
        rows[full] = np.logical_or.reduceat(byte_flags, off[full])
    return rows


def _scan(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: holds a combining mark (needs NFC), odd whitespace (needs collapsing: control
    whitespace, two spaces, a space at either end, a Unicode space), a non-ASCII byte.

    Whole-buffer reductions and memchr searches first; positions are only located for the
    bytes that occur, so a clean column costs a few passes at memory speed."""
    off, data = _buffers(arr)
    n = len(arr)
    marks = np.zeros(n, dtype=bool)
    odd = np.zeros(n, dtype=bool)
    if data.size == 0:
        return marks, odd, np.zeros(n, dtype=bool)
    raw = data.tobytes()
    top, bottom = int(data.max()), int(data.min())

    def where(byte: int) -> np.ndarray:
        if top < byte or raw.find(bytes([byte])) < 0:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero(data == byte)

    for byte in (0xCC, 0xCD):
        marks |= _rows_at(where(byte), off)
    if bottom <= 13:
        odd |= _rows_at(np.flatnonzero((data >= 9) & (data <= 13)), off)
    lead = np.concatenate([where(b) for b in (0xC2, 0xE2, 0xE3, 0xEF)])
    if len(lead):
        last = len(data) - 1
        b0 = data[lead]
        b1 = data[np.minimum(lead + 1, last)]
        b2 = data[np.minimum(lead + 2, last)]
        space = (b0 == 0xC2) & ((b1 == 0xA0) | (b1 == 0x85))
        space |= (
            (b0 == 0xE2)
            & (b1 == 0x80)
            & ((b2 <= 0x8B) | (b2 == 0xA8) | (b2 == 0xA9) | (b2 == 0xAF))
        )
        space |= (b0 == 0xE2) & (b1 == 0x81) & (b2 == 0x9F)
        space |= (b0 == 0xE3) & (b1 == 0x80) & (b2 == 0x80)
        space |= (b0 == 0xEF) & (b1 == 0xBB) & (b2 == 0xBF)
        odd |= _rows_at(lead[space], off)
    if raw.find(b"  ") >= 0:
        odd |= _rows_any(np.concatenate([(data[:-1] == 32) & (data[1:] == 32), [False]]), off)
    lens = np.diff(off)
    full = np.flatnonzero(lens > 0)
    edge = (data[off[full]] == 32) | (data[off[full + 1] - 1] == 32)
    odd[full[edge]] = True
    if top < 0x80:
        high = np.zeros(n, dtype=bool)
    else:
        high = ~_np_bool(pc.string_is_ascii(arr)) & _valid(arr)
    return marks, odd, high


def _patch(arr: pa.Array, mask: np.ndarray, fn, *, distinct: bool = True) -> pa.Array:
    """``fn`` applied to the masked rows only (once per distinct value among them)."""
    if not mask.any():
        return arr
    m = pa.array(mask)
    sub = arr.filter(m)
    if distinct:
        encoded = sub.dictionary_encode()
        fixed = fn(encoded.dictionary).cast(arr.type).take(encoded.indices)
    else:
        fixed = fn(sub).cast(arr.type)
    return pc.replace_with_mask(arr, m, fixed)


def _from_bytes(off: np.ndarray, data: np.ndarray, valid: np.ndarray) -> pa.Array:
    """A large_string array from numpy offsets, bytes and validity."""
    return pa.Array.from_buffers(
        pa.large_string(),
        len(off) - 1,
        [
            pa.py_buffer(np.packbits(valid, bitorder="little")),
            pa.py_buffer(off.astype(np.int64)),
            pa.py_buffer(np.ascontiguousarray(data, dtype=np.uint8)),
        ],
    )


def _valid(arr: pa.Array) -> np.ndarray:
    if arr.null_count == 0:
        return np.ones(len(arr), dtype=bool)
    return _np_bool(pc.is_valid(arr))


def _edge_bytes(off: np.ndarray, data: np.ndarray, at: int) -> np.ndarray:
    """Byte ``at`` of every row (``at`` < 0 counts from the end); 0 where the row is too short."""
    lens = np.diff(off)
    ok = lens >= (at + 1 if at >= 0 else -at)
    pos = (off[:-1] + at) if at >= 0 else (off[1:] + at)
    out = np.zeros(len(lens), dtype=np.uint8)
    out[ok] = data[pos[ok]]
    return out


def _per_distinct(arr: pa.Array, fn) -> pa.Array:
    """``fn`` applied once per distinct value (names, enumerations, dates, units)."""
    encoded = arr.dictionary_encode()
    return fn(encoded.dictionary).take(encoded.indices)


def _null_empty(arr: pa.Array) -> pa.Array:
    """Empty strings become null (validity bitmap only; the data buffer is shared)."""
    off, _ = _buffers(arr)
    empty = np.diff(off) == 0
    if not empty.any():
        return arr
    valid = ~empty
    if arr.null_count:
        valid &= _np_bool(pc.is_valid(arr))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    bufs = arr.buffers()
    return pa.Array.from_buffers(arr.type, len(arr), [bitmap, bufs[1], bufs[2]], offset=arr.offset)


def _collapse(arr: pa.Array) -> pa.Array:
    arr = pc.replace_substring_regex(arr, pattern=_WS_RE2, replacement=" ")
    return pc.utf8_trim_whitespace(arr)


def _clean(arr: pa.Array) -> pa.Array:
    """NFC, whitespace collapsed and trimmed, empty -> null (arrow in, arrow out).

    Only rows that need it pay for NFC (they hold a combining mark U+0300-U+036F, the one
    non-NFC form Vietnamese text takes) or whitespace collapsing.
    """
    marks, odd, _ = _scan(arr)
    arr = _patch(arr, marks, lambda a: pc.utf8_normalize(a, form="NFC"))
    arr = _patch(arr, odd, _collapse)
    return _null_empty(arr)


def _fold_distinct(arr: pa.Array) -> pa.Array:
    arr = pc.replace_substring(arr, pattern="đ", replacement="d")
    arr = pc.replace_substring(arr, pattern="Đ", replacement="D")
    arr = pc.utf8_normalize(arr, form="NFD")
    arr = pc.replace_substring_regex(arr, pattern=r"\p{Mn}+", replacement="")
    # a mark that stood alone or beside a space leaves a space to collapse again
    return _collapse(pc.utf8_lower(arr))


def _fold(arr: pa.Array) -> pa.Array:
    """Accent-folded lower case: ASCII rows are only lower-cased; the others go through
    NFD and mark removal once per distinct value."""
    arr = _clean(arr)
    _, _, high = _scan(arr)
    arr = pc.ascii_lower(arr)
    return _null_empty(_patch(arr, high, _fold_distinct))


def _np_bool(arr: pa.Array) -> np.ndarray:
    """A boolean arrow array as numpy, null = False."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _bool(arr: pa.Array, like: pd.Series) -> pd.Series:
    return pd.Series(_np_bool(arr), index=like.index, dtype=bool)


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


# ---------------------------------------------------------------- identifiers

# Province-of-birth codes a CCCD may start with (rules.md: 001-096).
CCCD_PROVINCE_MIN, CCCD_PROVINCE_MAX = 1, 96
ID_KINDS: tuple[str, ...] = ("cccd", "cmnd", "tax_code", "invalid", "missing")


def _compact_digits(arr: pa.Array) -> pa.Array:
    """Whitespace removed and an Excel float tail dropped: ' 1090012345.0 ' -> '1090012345'."""
    arr = _clean(arr)
    off, data = _buffers(arr)
    if data.size and data.tobytes().find(b" ") >= 0:
        spaced = _rows_any(data == 32, off)
    else:
        spaced = np.zeros(len(arr), dtype=bool)
    arr = _patch(
        arr,
        spaced,
        # a removed space may let a mark compose
        lambda a: pc.utf8_normalize(pc.replace_substring(a, " ", ""), form="NFC"),
        distinct=False,
    )
    off, data = _buffers(arr)
    floaty = (_edge_bytes(off, data, -2) == ord(".")) & (_edge_bytes(off, data, -1) == ord("0"))
    arr = _patch(
        arr,
        floaty,
        lambda a: pc.replace_substring_regex(a, pattern=r"^(\d+)\.0$", replacement=r"\1"),
        distinct=False,
    )
    return _null_empty(arr)


def _digit_rows(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, data, lengths, all-digits per row) of a compacted array."""
    off, data = _buffers(arr)
    lens = np.diff(off)
    other = _rows_any((data < 48) | (data > 57), off)
    return off, data, lens, _valid(arr) & (lens > 0) & ~other


def id_series(values: pd.Series, organization: pd.Series | None = None) -> pd.DataFrame:
    """Citizen IDs / tax codes -> columns ``id``, ``kind``, ``repaired`` (rules.md, ingest).

    ``organization`` (bool per row) says the holder is an organisation, whose 10- or 13-digit
    tax code is kept as ``tax_code``. For individuals a 10- or 11-digit number is a CCCD that
    lost its leading zeros: it is left-padded to 12 when the padded value starts with a province
    code 001-096, else ``invalid``. Nine digits are an old CMND (kept, flagged).
    """
    arr = _compact_digits(_arrow(values))
    n = len(arr)
    org = (
        np.zeros(n, dtype=bool)
        if organization is None
        else organization.fillna(False).to_numpy(dtype=bool)
    )
    off, data, lens, digits = _digit_rows(arr)
    first = _edge_bytes(off, data, 0).astype(np.int64) - 48
    second = _edge_bytes(off, data, 1).astype(np.int64) - 48
    # the province code of the zero-padded value: 00d (10 digits) or 0dd (11 digits)
    province = np.where(lens == 10, first, first * 10 + second)
    pad_ok = (
        digits
        & ((lens == 10) | (lens == 11))
        & ~org
        & (province >= CCCD_PROVINCE_MIN)
        & (province <= CCCD_PROVINCE_MAX)
    )
    dashed = org & (lens == 14) & (_edge_bytes(off, data, 10) == ord("-"))
    dashed &= (
        _np_bool(pc.match_substring_regex(arr, pattern=r"^\d{10}-\d{3}$"))
        if dashed.any()
        else dashed
    )
    code = np.full(n, ID_KINDS.index("invalid"), dtype=np.int8)
    code[digits & (lens == 12)] = ID_KINDS.index("cccd")
    code[digits & (lens == 9)] = ID_KINDS.index("cmnd")
    code[org & ((digits & ((lens == 10) | (lens == 13))) | dashed)] = ID_KINDS.index("tax_code")
    code[pad_ok] = ID_KINDS.index("cccd")
    code[~_valid(arr)] = ID_KINDS.index("missing")
    kind = pa.array(ID_KINDS, pa.large_string()).take(pa.array(code))
    repaired = _patch(arr, pad_ok, lambda a: pc.utf8_lpad(a, width=12, padding="0"), distinct=False)
    return pd.DataFrame(
        {
            "id": _series(repaired, values),
            "kind": _series(kind, values),
            "repaired": pd.Series(pad_ok, index=values.index, dtype=bool),
        }
    )


def digits_series(values: pd.Series) -> pd.Series:
    """Numbers kept as text (licence numbers, phones): spaces and an Excel '.0' tail removed."""
    return _series(_compact_digits(_arrow(values)), values)


def licence_no_series(values: pd.Series) -> pd.DataFrame:
    """Licence numbers -> ``licence_no`` (compacted text) and ``valid`` (exactly 12 digits)."""
    arr = _compact_digits(_arrow(values))
    _, _, lens, digits = _digit_rows(arr)
    valid = pd.Series(digits & (lens == 12), index=values.index, dtype=bool)
    return pd.DataFrame({"licence_no": _series(arr, values), "valid": valid})


# Classes of the 2025 law and the pre-2025 ones still in circulation (data contract).
LICENCE_CLASSES: tuple[str, ...] = (
    "A1",
    "A",
    "B1",
    "B",
    "C1",
    "C",
    "D1",
    "D2",
    "D",
    "BE",
    "C1E",
    "CE",
    "D1E",
    "D2E",
    "DE",
    "A2",
    "A3",
    "A4",
    "B2",
    "E",
    "FB2",
    "FC",
    "FD",
    "FE",
)


def _licence_class_distinct(arr: pa.Array) -> pa.Array:
    arr = pc.utf8_upper(_fold(arr))
    arr = pc.replace_substring_regex(arr, pattern=r"[\s.\-]+", replacement="")
    return _null_empty(arr)


def licence_class_series(values: pd.Series) -> pd.DataFrame:
    """Licence classes -> upper case without spaces (``b 2`` -> ``B2``) and ``valid``."""
    arr = _per_distinct(_clean(_arrow(values)), _licence_class_distinct)
    valid = pc.is_in(arr, value_set=pa.array(LICENCE_CLASSES, pa.large_string()))
    return pd.DataFrame({"licence_class": _series(arr, values), "valid": _bool(valid, values)})


# ---------------------------------------------------------------- plates and chassis

# 2 digits (province) + series (1-2 letters, optionally a digit) + 4-5 digits.
PLATE_KEY_PATTERN = r"^\d{2}[A-Z]{1,2}\d?\d{4,5}$"


_KEEP = np.zeros(256, dtype=bool)
_KEEP[48:58] = _KEEP[65:91] = _KEEP[97:123] = True
_UPPER = np.arange(256, dtype=np.uint8)
_UPPER[97:123] -= 32
_SHAPE = np.full(256, ord("?"), dtype=np.uint8)
_SHAPE[48:58] = ord("9")
_SHAPE[65:91] = ord("A")


def _alnum_key(arr: pa.Array) -> pa.Array:
    """Cleaned text -> upper-case letters and digits only, byte by byte in numpy."""
    _, _, high = _scan(arr)
    arr = _patch(arr, high, _fold_distinct)  # đ -> d, accents dropped (non-ASCII rows only)
    off, data = _buffers(arr)
    keep = _KEEP[data]
    lens = np.diff(off)
    kept = np.zeros(len(lens), dtype=np.int64)
    full = np.flatnonzero(lens > 0)
    if len(full):
        kept[full] = np.add.reduceat(keep, off[full], dtype=np.int64)
    new_off = np.concatenate([[0], np.cumsum(kept)])
    return _null_empty(_from_bytes(new_off, _UPPER[data[keep]], _valid(arr)))


def alnum_key_series(values: pd.Series) -> pd.Series:
    """Upper-case letters and digits only (đ -> D): '29a 123.45' -> '29A12345'."""
    return _series(_alnum_key(_clean(_arrow(values))), values)


def plate_series(values: pd.Series) -> pd.DataFrame:
    """Plates -> ``plate`` (cleaned text), ``plate_key`` and ``valid`` (key has the plate shape).

    The pattern is checked once per distinct key shape (digits -> 9, letters -> A).
    """
    plate = _clean(_arrow(values))
    key = _alnum_key(plate)
    off, data = _buffers(key)
    shapes = _from_bytes(off, _SHAPE[data], _valid(key)).dictionary_encode()
    fits = pc.match_substring_regex(
        shapes.dictionary, pattern=PLATE_KEY_PATTERN.replace(r"\d", "9").replace("[A-Z]", "A")
    )
    valid = _np_bool(fits.take(shapes.indices))
    return pd.DataFrame(
        {
            "plate": _series(plate, values),
            "plate_key": _series(key, values),
            "valid": pd.Series(valid, index=values.index, dtype=bool),
        }
    )


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


# ---------------------------------------------------------------- enumerations and numbers

# canonical value -> accepted spellings (folded and stripped of non-alphanumerics when matched)
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "vehicle_type": {
        "car": ("car", "ô tô", "xe ô tô", "oto", "xe hơi", "xe con", "automobile"),
        "motorbike": ("motorbike", "motorcycle", "mô tô", "xe mô tô", "xe máy", "xe môtô"),
        "moped": ("moped", "xe gắn máy"),
        "e-bike": (
            "e-bike",
            "ebike",
            "e bike",
            "electric bike",
            "xe máy điện",
            "xe điện",
            "xe đạp điện",
            "xe gắn máy điện",
            "mô tô điện",
        ),
        "other": ("other", "khác", "xe khác", "loại khác"),
    },
    "owner_kind": {
        "individual": ("individual", "person", "cá nhân", "công dân"),
        "organization": ("organization", "organisation", "tổ chức", "doanh nghiệp", "cơ quan"),
    },
    "gender": {
        "male": ("male", "m", "nam"),
        "female": ("female", "f", "nữ", "nu"),
    },
    "population_status": {
        "alive": ("alive", "living", "còn sống", "sống", "đang sống"),
        "deceased": ("deceased", "dead", "đã chết", "chết", "đã mất", "tử vong", "đã tử vong"),
    },
    "submission_kind": {
        "vehicle": ("vehicle", "phương tiện", "xe", "đăng ký xe", "phuong tien giao thong"),
        "licence": (
            "licence",
            "license",
            "gplx",
            "giấy phép lái xe",
            "driving licence",
            "bằng lái",
        ),
    },
    "declared_status": {
        "in_use": ("in_use", "in use", "đang sử dụng", "sử dụng", "còn sử dụng"),
        "transferred": ("transferred", "đã chuyển nhượng", "chuyển nhượng", "đã bán"),
        "scrapped": ("scrapped", "đã thanh lý", "thanh lý", "đã hủy", "huỷ", "hủy"),
        "lost": ("lost", "bị mất", "mất", "đã mất"),
    },
    "review_status": {
        "pending": ("pending", "chờ duyệt", "chờ xử lý", "đang chờ", "chưa duyệt"),
        "approved": ("approved", "đã duyệt", "duyệt", "đã phê duyệt", "đồng ý"),
        "rejected": ("rejected", "từ chối", "đã từ chối", "không duyệt"),
    },
    "org_type": {
        "enterprise": ("enterprise", "doanh nghiệp", "công ty", "company"),
        "industrial_park": ("industrial_park", "industrial park", "khu công nghiệp", "kcn"),
        "school": ("school", "trường học", "trường"),
        "hospital": ("hospital", "bệnh viện"),
        "agency": ("agency", "cơ quan", "cơ quan nhà nước"),
        "business_household": ("business_household", "business household", "hộ kinh doanh"),
    },
    "yes_no": {
        "yes": ("yes", "y", "true", "1", "có", "x", "đã làm việc", "rồi"),
        "no": ("no", "n", "false", "0", "không", "chưa"),
    },
}


def enum_aliases(name: str) -> dict[str, str]:
    """Every accepted spelling of enumeration ``name`` (as :func:`fold_key`) -> canonical."""
    return {fold_key(alias): canon for canon, aliases in ENUMS[name].items() for alias in aliases}


def enum_series(values: pd.Series, name: str) -> pd.DataFrame:
    """Map an enumeration's spellings to canonical values, once per distinct value.

    Returns ``value`` (canonical, missing when blank or unknown) and ``valid`` (False only for
    a value that is present but fits no spelling; blanks are the caller's business).
    """
    aliases = enum_aliases(name)
    cleaned = _clean(_arrow(values))
    encoded = cleaned.dictionary_encode()
    canonical = pa.array(
        [aliases.get(fold_key(v)) for v in encoded.dictionary.to_pylist()], pa.large_string()
    )
    mapped = canonical.take(encoded.indices)
    valid = _valid(mapped) | ~_valid(cleaned)
    return pd.DataFrame(
        {"value": _series(mapped, values), "valid": pd.Series(valid, index=values.index)}
    )


def _counts_distinct(arr: pa.Array) -> pa.Array:
    arr = _compact_digits(arr)
    arr = pc.replace_substring_regex(
        arr, pattern=r"^(\d{1,3})[.,](\d{3})(?:[.,](\d{3}))?$", replacement=r"\1\2\3"
    )
    whole = pc.match_substring_regex(arr, pattern=r"^\d{1,15}$")
    return pc.cast(pc.if_else(whole, arr, pa.scalar(None, arr.type)), pa.int64())


def count_series(values: pd.Series) -> pd.DataFrame:
    """Counts -> ``value`` (Int64, missing when blank or bad) and ``valid`` (blank counts as valid).

    A count is a non-negative whole number; ``12.0`` (Excel float) and ``1.234`` / ``1,234``
    thousands separators are accepted, ``-3``, ``2.5`` and text are not.
    """
    cleaned = _clean(_arrow(values))
    num = _per_distinct(cleaned, _counts_distinct)
    valid = _valid(num) | ~_valid(cleaned)
    value = pd.array(num.to_numpy(zero_copy_only=False), dtype="Float64").astype("Int64")
    return pd.DataFrame({"value": value, "valid": valid}, index=values.index)
