"""Identifiers, licences, plates and chassis: citizen IDs (CCCD/CMND/tax code), digit and
licence-number keys, licence classes, plate and alphanumeric keys, vectorised.

Pure functions; touch no files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.normalize.arrow import (
    _arrow,
    _bool,
    _buffers,
    _clean,
    _edge_bytes,
    _fold,
    _fold_distinct,
    _from_bytes,
    _np_bool,
    _null_empty,
    _patch,
    _per_distinct,
    _rows_any,
    _scan,
    _series,
    _valid,
)

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


_COUNT_BLOCK = 1 << 20  # rows whose kept bytes are counted at a time


def _alnum_key(arr: pa.Array) -> pa.Array:
    """Cleaned text -> upper-case letters and digits only, byte by byte in numpy.

    Frugal with temporaries (8.5 M chassis numbers: this was ingest's peak): the kept bytes
    are counted per non-empty row, a block of rows at a time, straight into the new offsets,
    and upper-cased in place."""
    _, _, high = _scan(arr)
    arr = _patch(arr, high, _fold_distinct)  # đ -> d, accents dropped (non-ASCII rows only)
    off, data = _buffers(arr)
    keep = _KEEP[data]
    new_off = np.zeros(len(off), dtype=np.int64)
    # kept bytes per row, a block of rows at a time: reduceat casts its input to the count's
    # type, and a whole column's bytes as int64 would be 8 bytes a byte (1.1 GB at city scale)
    for r0 in range(0, len(off) - 1, _COUNT_BLOCK):
        r1 = min(r0 + _COUNT_BLOCK, len(off) - 1)
        starts = off[r0:r1]
        full = off[r0 + 1 : r1 + 1] > starts
        if full.any():
            b0 = off[r0]
            new_off[1 + r0 : 1 + r1][full] = np.add.reduceat(
                keep[b0 : off[r1]], starts[full] - b0, dtype=np.int64
            )
    np.cumsum(new_off, out=new_off)
    kept = data[keep]
    del keep
    # upper case in place (kept bytes are ASCII letters and digits; >= 'a' is lower case): no
    # index array, which a lookup table would make of every byte (8 bytes a byte)
    np.subtract(kept, 32, out=kept, where=kept >= ord("a"))
    return _null_empty(_from_bytes(new_off, kept, _valid(arr)))


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
