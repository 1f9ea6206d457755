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

# Province-of-birth codes a CCCD starts with: Phụ lục 1 of Thông tư 07/2016/TT-BCA (kept by
# Thông tư 59/2021/TT-BCA), the 63 provinces from 001 Hà Nội to 096 Cà Mau. The gaps (000, 003,
# 005, 007, 009, 013, ..., 097-099) are no province: a number starting so is no CCCD.
CCCD_PROVINCE_CODES: tuple[str, ...] = tuple(
    """
    001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034
    035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068
    070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096
    """.split()
)
_CCCD_PROVINCE = np.zeros(1000, dtype=bool)
_CCCD_PROVINCE[[int(c) for c in CCCD_PROVINCE_CODES]] = True
# Tax code (MST) check digit: the 10th digit checks the first nine with these weights
# (check = 10 - sum mod 11; a sum divisible by 11 gives no digit: no valid code has it).
MST_WEIGHTS: tuple[int, ...] = (31, 29, 23, 19, 17, 13, 7, 5, 3)
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


def _digit(off: np.ndarray, data: np.ndarray, at: int) -> np.ndarray:
    """Digit ``at`` of every row as a number (meaningless where it is no digit)."""
    return _edge_bytes(off, data, at).astype(np.int64) - 48


def _mst_ok(off: np.ndarray, data: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Rows whose first ten characters are a tax code with a right check digit, whose
    sequence (digits 3-9) is not all zeros, and whose branch (``-NNN`` or 3 more digits), if
    any, is not ``000`` (python-stdnum's ``vn.mst`` applies the same rules)."""
    total = sum(w * _digit(off, data, i) for i, w in enumerate(MST_WEIGHTS))
    ok = _digit(off, data, 9) == 10 - total % 11
    ok &= sum(_digit(off, data, i) for i in range(2, 9)) > 0
    branch = sum(_edge_bytes(off, data, -k).astype(np.int64) - 48 for k in (1, 2, 3))
    return ok & ((lens < 13) | (branch > 0))


def id_series(values: pd.Series, organization: pd.Series | None = None) -> pd.DataFrame:
    """Citizen IDs / tax codes -> columns ``id``, ``kind``, ``repaired`` (rules.md, ingest).

    ``organization`` (bool per row) says the holder is an organisation, whose tax code (10
    digits, or 13 with a branch, written ``0101234567-001`` or run together) is kept as
    ``tax_code`` when its check digit holds and its branch is not ``000``. For individuals a
    12-digit number is a CCCD when its first three digits are a province code
    (:data:`CCCD_PROVINCE_CODES`); a 10- or 11-digit number is a CCCD that lost its leading
    zeros: left-padded to 12 when the padded value starts with a province code, else
    ``invalid``. Nine digits are an old CMND (kept, flagged).
    """
    arr = _compact_digits(_arrow(values))
    n = len(arr)
    org = (
        np.zeros(n, dtype=bool)
        if organization is None
        else organization.fillna(False).to_numpy(dtype=bool)
    )
    off, data, lens, digits = _digit_rows(arr)
    first, second, third = (_digit(off, data, i) for i in range(3))
    # the province code once padded to 12: 00d (10 digits), 0dd (11) or ddd (12)
    province = np.select(
        [lens == 10, lens == 11], [first, first * 10 + second], first * 100 + second * 10 + third
    )
    assigned = digits & (lens >= 10) & (lens <= 12) & _CCCD_PROVINCE[np.clip(province, 0, 999)]
    pad_ok = assigned & ((lens == 10) | (lens == 11)) & ~org
    dashed = org & (lens == 14) & (_edge_bytes(off, data, 10) == ord("-"))
    dashed &= (
        _np_bool(pc.match_substring_regex(arr, pattern=r"^\d{10}-\d{3}$"))
        if dashed.any()
        else dashed
    )
    tax = org & ((digits & ((lens == 10) | (lens == 13))) | dashed)
    if tax.any():
        tax &= _mst_ok(off, data, lens)
    code = np.full(n, ID_KINDS.index("invalid"), dtype=np.int8)
    code[assigned & (lens == 12)] = ID_KINDS.index("cccd")
    code[digits & (lens == 9)] = ID_KINDS.index("cmnd")
    code[tax] = ID_KINDS.index("tax_code")
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
