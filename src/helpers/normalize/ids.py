"""Identifiers, licences, plates and chassis: citizen IDs (CCCD/CMND/tax code), digit and
licence-number keys, licence classes, plate and alphanumeric keys, vectorised.

Pure functions; touch no files.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.normalize.arrow import (
    bool_series,
    buffers,
    clean_array,
    edge_bytes,
    fold_array,
    fold_distinct,
    from_bytes,
    holds_bytes,
    np_bool,
    null_empty,
    patch,
    per_distinct,
    rows_any,
    scan_bytes,
    to_arrow,
    to_series,
    valid_mask,
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


def compact_digits(arr: pa.Array) -> pa.Array:
    """Whitespace removed and an Excel float tail dropped: ' 1090012345.0 ' -> '1090012345'."""
    arr = clean_array(arr)
    off, data = buffers(arr)
    if data.size and data.tobytes().find(b" ") >= 0:
        spaced = rows_any(data == 32, off)
    else:
        spaced = np.zeros(len(arr), dtype=bool)
    arr = patch(
        arr,
        spaced,
        # a removed space may let a mark compose
        lambda a: pc.utf8_normalize(pc.replace_substring(a, " ", ""), form="NFC"),
        distinct=False,
    )
    off, data = buffers(arr)
    floaty = (edge_bytes(off, data, -2) == ord(".")) & (edge_bytes(off, data, -1) == ord("0"))
    arr = patch(
        arr,
        floaty,
        lambda a: pc.replace_substring_regex(a, pattern=r"^(\d+)\.0$", replacement=r"\1"),
        distinct=False,
    )
    return null_empty(arr)


def _digit_rows(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, data, lengths, all-digits per row) of a compacted array."""
    off, data = buffers(arr)
    lens = np.diff(off)
    other = rows_any((data < 48) | (data > 57), off)
    return off, data, lens, valid_mask(arr) & (lens > 0) & ~other


def _digit(off: np.ndarray, data: np.ndarray, at: int) -> np.ndarray:
    """Digit ``at`` of every row as a number (meaningless where it is no digit)."""
    return edge_bytes(off, data, at).astype(np.int64) - 48


def _mst_ok(off: np.ndarray, data: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Rows whose first ten characters are a tax code with a right check digit, whose
    sequence (digits 3-9) is not all zeros, and whose branch (``-NNN`` or 3 more digits), if
    any, is not ``000`` (python-stdnum's ``vn.mst`` applies the same rules)."""
    total = sum(w * _digit(off, data, i) for i, w in enumerate(MST_WEIGHTS))
    ok = _digit(off, data, 9) == 10 - total % 11
    ok &= sum(_digit(off, data, i) for i in range(2, 9)) > 0
    branch = sum(edge_bytes(off, data, -k).astype(np.int64) - 48 for k in (1, 2, 3))
    return ok & ((lens < 13) | (branch > 0))


def id_series(values: pd.Series, organisation: pd.Series | None = None) -> pd.DataFrame:
    """Citizen IDs / tax codes -> columns ``id``, ``kind``, ``repaired`` (rules.md, ingest).

    ``organisation`` (bool per row) says the holder is an organisation, whose tax code (10
    digits, or 13 with a branch, written ``0101234567-001`` or run together) is kept as
    ``tax_code`` when its check digit holds and its branch is not ``000``. For individuals a
    12-digit number is a CCCD when its first three digits are a province code
    (:data:`CCCD_PROVINCE_CODES`); a 10- or 11-digit number is a CCCD that lost its leading
    zeros: left-padded to 12 when the padded value starts with a province code, else
    ``invalid``. Nine digits are an old CMND (kept, flagged).
    """
    arr = compact_digits(to_arrow(values))
    n = len(arr)
    org = (
        np.zeros(n, dtype=bool)
        if organisation is None
        else organisation.fillna(False).to_numpy(dtype=bool)
    )
    off, data = buffers(arr)
    if org.any() and holds_bytes(data, b"."):
        # a tax code written in groups, "01.00.112.437": dots are separators (python-stdnum's
        # vn.mst reads it so); a citizen's ID keeps them and is invalid
        dotted = org & rows_any(data == ord("."), off)
        arr = patch(arr, dotted, lambda a: pc.replace_substring(a, ".", ""), distinct=False)
    off, data, lens, digits = _digit_rows(arr)
    first, second, third = (_digit(off, data, i) for i in range(3))
    # the province code once padded to 12: 00d (10 digits), 0dd (11) or ddd (12)
    province = np.select(
        [lens == 10, lens == 11], [first, first * 10 + second], first * 100 + second * 10 + third
    )
    assigned = digits & (lens >= 10) & (lens <= 12) & _CCCD_PROVINCE[np.clip(province, 0, 999)]
    pad_ok = assigned & ((lens == 10) | (lens == 11)) & ~org
    dashed = org & (lens == 14) & (edge_bytes(off, data, 10) == ord("-"))
    dashed &= (
        np_bool(pc.match_substring_regex(arr, pattern=r"^\d{10}-\d{3}$"))
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
    code[~valid_mask(arr)] = ID_KINDS.index("missing")
    kind = pa.array(ID_KINDS, pa.large_string()).take(pa.array(code))
    repaired = patch(arr, pad_ok, lambda a: pc.utf8_lpad(a, width=12, padding="0"), distinct=False)
    return pd.DataFrame(
        {
            "id": to_series(repaired, values),
            "kind": to_series(kind, values),
            "repaired": pd.Series(pad_ok, index=values.index, dtype=bool),
        }
    )


def digits_series(values: pd.Series) -> pd.Series:
    """Numbers kept as text (licence numbers, phones): spaces and an Excel '.0' tail removed."""
    return to_series(compact_digits(to_arrow(values)), values)


# Vietnamese numbers as dialled at home: a mobile is 0 + 9 digits starting 3, 5, 7, 8 or 9
# (the 10-digit plan of Thông tư 22/2014/TT-BTTTT since the 2018 conversion); a landline is
# 0 + area code 2xx + subscriber, 11 digits (area codes changed 2017).
PHONE_PATTERN = r"0[35789][0-9]{8}|02[0-9]{9}"


def _phone_distinct(arr: pa.Array) -> pa.Array:
    arr = pc.replace_substring_regex(arr, pattern=r"[\s.\-()/]+", replacement="")
    # +84 and the trunk zero some keep after it ("+84 (0)24 ..."): no number after 84 starts 0
    arr = pc.replace_substring_regex(arr, pattern=r"^(?:\+|00)?840?(\d{9,10})$", replacement=r"0\1")
    # a number Excel stored as a number lost its leading zero: 9 digits of a mobile, 10 of a
    # landline (a 10-digit number starting 0 is whole)
    arr = pc.replace_substring_regex(arr, pattern=r"^([35789]\d{8}|2\d{9})$", replacement=r"0\1")
    return null_empty(arr)


def phone_series(values: pd.Series) -> pd.DataFrame:
    """Phone numbers -> ``phone`` as dialled in Vietnam and ``valid``.

    Spaces, dots, dashes and brackets go; ``+84``/``0084``/``84`` becomes ``0``
    (``+84 912 345 678`` -> ``0912345678``); a leading zero Excel dropped is restored
    (``912345678`` -> ``0912345678``). ``valid``: a mobile or landline number
    (:data:`PHONE_PATTERN`); anything else is kept as written, compacted, for an officer to
    check before calling. Once per distinct value."""
    arr = per_distinct(compact_digits(to_arrow(values)), _phone_distinct)
    valid = pc.match_substring_regex(arr, pattern=f"^(?:{PHONE_PATTERN})$")
    return pd.DataFrame({"phone": to_series(arr, values), "valid": bool_series(valid, values)})


def licence_no_series(values: pd.Series) -> pd.DataFrame:
    """Licence numbers -> ``licence_no`` (compacted text) and ``valid`` (exactly 12 digits)."""
    arr = compact_digits(to_arrow(values))
    _, _, lens, digits = _digit_rows(arr)
    valid = pd.Series(digits & (lens == 12), index=values.index, dtype=bool)
    return pd.DataFrame({"licence_no": to_series(arr, values), "valid": valid})


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
    arr = pc.utf8_upper(fold_array(arr))
    arr = pc.replace_substring_regex(arr, pattern=r"[\s.\-]+", replacement="")
    return null_empty(arr)


def licence_class_series(values: pd.Series) -> pd.DataFrame:
    """Licence classes -> upper case without spaces (``b 2`` -> ``B2``) and ``valid``."""
    arr = per_distinct(clean_array(to_arrow(values)), _licence_class_distinct)
    valid = pc.is_in(arr, value_set=pa.array(LICENCE_CLASSES, pa.large_string()))
    return pd.DataFrame(
        {"licence_class": to_series(arr, values), "valid": bool_series(valid, values)}
    )


# ---------------------------------------------------------------- plates and chassis

# 2 digits (province) + series (1-2 letters, optionally a digit) + 4-5 digits: a plate key
# keeps the boundary between series and number ("29B1-12345", "29B-11234"), or has none where
# the text, run together, reads both ways ("29B11234": B + 112.34 or B1 + 1234).
PLATE_KEY_PATTERN = r"^\d{2}[A-Z]{1,2}(\d?-\d{4,5}|\d{5})$"

# Thông tư 79/2024/TT-BCA, Phụ lục 2 (signs of domestic plates by province): the codes issued.
# Never issued: 00-10, 13, 42, 44-46, 87, 91, 96.
PLATE_PROVINCES: tuple[str, ...] = tuple(
    """
    11 12 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41
    43 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75
    76 77 78 79 80 81 82 83 84 85 86 88 89 90 92 93 94 95 97 98 99
    """.split()
)
# The 20 series letters of Thông tư 79/2024/TT-BCA (never I, J, O, Q, R, W alone), R for
# trailers; two-letter series are two of the 20 (AA.. for mopeds, LD, DA, KT, MK, HC, NG, CV,
# MĐ and TĐ once Đ is folded to D) or RM (semi-trailers) and QT (international bodies).
PLATE_SERIES_LETTERS = "ABCDEFGHKLMNPSTUVXYZ"
_PLATE_PROVINCE = np.zeros(100, dtype=bool)
_PLATE_PROVINCE[[int(c) for c in PLATE_PROVINCES]] = True
_SERIES_ONE = np.zeros(256, dtype=bool)
_SERIES_ONE[[ord(c) for c in PLATE_SERIES_LETTERS + "R"]] = True
_SERIES_TWO = np.zeros((256, 256), dtype=bool)
_SERIES_TWO[
    np.ix_([ord(c) for c in PLATE_SERIES_LETTERS], [ord(c) for c in PLATE_SERIES_LETTERS])
] = True
_SERIES_TWO[ord("R"), ord("M")] = _SERIES_TWO[ord("Q"), ord("T")] = True

# Characters typed for the plate's letters and digits (after NFKC, which maps full-width
# digits and letters): Ð (U+00D0, Icelandic eth) for Đ, Cyrillic capitals for Latin ones.
PLATE_LOOKALIKES: dict[str, str] = {
    "\u00d0": "Đ",
    "\u00f0": "đ",
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"),  # dashes and minus
    **dict(zip("АВЕКМНОРСТХ", "ABEKMHOPCTX", strict=True)),
    **dict(zip("авекмнорстх", "abekmhopctx", strict=True)),
}


_KEEP = np.zeros(256, dtype=bool)
_KEEP[48:58] = _KEEP[65:91] = _KEEP[97:123] = True
_UPPER = np.arange(256, dtype=np.uint8)
_UPPER[97:123] -= 32


_COUNT_BLOCK = 1 << 20  # rows whose kept bytes are counted at a time


def _alnum_key(arr: pa.Array) -> pa.Array:
    """Cleaned text -> upper-case letters and digits only, byte by byte in numpy.

    Frugal with temporaries (8.5 M chassis numbers: this was ingest's peak): the kept bytes
    are counted per non-empty row, a block of rows at a time, straight into the new offsets,
    and upper-cased in place."""
    _, _, high = scan_bytes(arr)
    arr = patch(arr, high, fold_distinct)  # đ -> d, accents dropped (non-ASCII rows only)
    off, data = buffers(arr)
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
    return null_empty(from_bytes(new_off, kept, valid_mask(arr)))


def alnum_key_series(values: pd.Series) -> pd.Series:
    """Upper-case letters and digits only (đ -> D): '29a 123.45' -> '29A12345'."""
    return to_series(_alnum_key(clean_array(to_arrow(values))), values)


# Plate text shapes: digit -> 9, letter -> A, separator -> space, dot -> '.', anything else ?
_PLATE_SHAPE = np.full(256, ord("?"), dtype=np.uint8)
_PLATE_SHAPE[48:58] = ord("9")
_PLATE_SHAPE[65:91] = _PLATE_SHAPE[97:123] = ord("A")
_PLATE_SHAPE[[ord(c) for c in " -_/"]] = ord(" ")
_PLATE_SHAPE[[ord("."), ord(",")]] = ord(".")
_NUMBER_SHAPES = frozenset({"9999", "99999", "999.99", "999 99", "999 .99", "999. 99"})


def _plate_shape(shape: str) -> tuple[bool, int, int]:
    """(fits, letters in the series, series digit: 1 yes, 0 no, -1 unknown) of a text shape.

    The series ends where the text says it does: at a separator (``29A-123.45``,
    ``29-B1 1234``), or, run together, where the digits left make a number (``29B112345``:
    B1 + 12345; ``29A1234``: A + 1234). Only five digits run together after the letters
    (``29A12345``) read either way (A + 12345, or A1 + 2345): the series digit is unknown.
    A number is 4 or 5 digits, the five written ``123.45``, ``123 45`` or ``12345``."""
    s = " ".join(shape.split())
    m = re.fullmatch(r"99 ?(A{1,2})(.*)", s)
    if not m:
        return False, 0, 0
    letters, rest = len(m[1]), m[2]
    if rest[:1] in (" ", "."):
        digit, number = 0, rest[1:].strip()
    else:
        head = re.match(r"9*", rest)[0]  # type: ignore[index]
        tail = rest[len(head) :]
        if not tail:  # all run together
            digit = {4: 0, 5: -1, 6: 1}.get(len(head), 9)
            number = head[max(digit, 0) :]
        elif re.fullmatch(r" ?\. ?99| 99", tail) and len(head) in (3, 4):
            digit, number = len(head) - 3, head[len(head) - 3 :] + tail  # 1123.45: 1 + 123.45
        else:
            digit, number = len(head), tail.strip()
    return digit <= 1 and number in _NUMBER_SHAPES, letters, min(digit, 1)


def _plate_text(arr: pa.Array) -> pa.Array:
    """NFKC, look-alike characters replaced (:data:`PLATE_LOOKALIKES`), then folded (đ -> d,
    accents dropped), on the rows holding a non-ASCII character only."""

    def fix(a: pa.Array) -> pa.Array:
        a = pc.utf8_normalize(a, form="NFKC")
        for bad, good in PLATE_LOOKALIKES.items():
            a = pc.replace_substring(a, pattern=bad, replacement=good)
        return fold_distinct(a)

    _, _, high = scan_bytes(arr)
    return patch(arr, high, fix)


def _insert_dash(arr: pa.Array, at: np.ndarray) -> pa.Array:
    """``-`` inserted after the first ``at`` bytes of each row where ``at`` > 0 (ASCII keys):
    one ``np.insert`` over the data buffer, offsets shifted by the dashes before each row."""
    rows = at > 0
    if not rows.any():
        return arr
    off, data = buffers(arr)
    data = np.insert(data, (off[:-1] + at)[rows], np.uint8(ord("-")))
    off = off + np.concatenate([[0], np.cumsum(rows, dtype=np.int64)])
    return from_bytes(off, data, valid_mask(arr))


# vehicle types whose plates settle a compact plate read both ways (Thông tư 79/2024/TT-BCA:
# a car's series is letters only, a motorbike's adds a digit 1-9); the others (moped, e-bike,
# other) carry either kind of series, so their plate keeps the key read both ways
_SERIES_DIGIT_OF_TYPE = {"car": 0, "motorbike": 1}


def plate_series(values: pd.Series, vehicle_type: pd.Series | None = None) -> pd.DataFrame:
    """Plates -> ``plate`` (cleaned text), ``plate_key`` and ``valid``.

    Look-alike characters become the letters they imitate before keying (``29MÐ1``, ``２９A``,
    Cyrillic ``А``). ``valid``: the text has a plate's shape read with the series/number
    boundary it shows (:func:`_plate_shape`: ``30A-123456`` and ``82-H3 942`` do not), the
    province is one Thông tư 79/2024/TT-BCA issues (:data:`PLATE_PROVINCES`), the series is
    made of its letters and its digit is 1-9. Shapes are parsed once per distinct shape.

    ``plate_key``: upper-case letters and digits with ``-`` at the boundary between series and
    number (``29B1-12345``, ``29B-11234``), so two different plates never share a key. A valid
    plate written run together with five digits after the letters (``29B11234``) reads both
    ways; unless its series digit would be 0 (only the car reading is a plate: ``29B-01234``)
    or ``vehicle_type`` (the registry's: ``car`` letters only, ``motorbike`` a digit) settles
    it, its key has no ``-`` and reconcile links it when one reading alone is held. An
    invalid plate keys as its letters and digits.
    """
    plate = clean_array(to_arrow(values))
    text = _plate_text(plate)
    key = _alnum_key(text)
    off, data = buffers(text)
    shapes = from_bytes(off, _PLATE_SHAPE[data], valid_mask(text)).dictionary_encode()
    parsed = [_plate_shape(s) for s in shapes.dictionary.to_pylist()]
    idx = np.asarray(pc.fill_null(shapes.indices, 0).to_numpy(zero_copy_only=False))
    fits, letters, digit = (np.array([p[i] for p in parsed] or [0])[idx] for i in range(3))
    fits = fits.astype(bool) & valid_mask(text)
    koff, kdata = buffers(key)
    province = (edge_bytes(koff, kdata, 0).astype(np.int64) - 48) * 10 + (
        edge_bytes(koff, kdata, 1).astype(np.int64) - 48
    )
    first, second = edge_bytes(koff, kdata, 2), edge_bytes(koff, kdata, 3)
    # the byte after the series letters: its digit, when it has one
    after = np.where(letters == 2, edge_bytes(koff, kdata, 4), edge_bytes(koff, kdata, 3))
    valid = fits & _PLATE_PROVINCE[np.clip(province, 0, 99)]
    valid &= np.where(letters == 2, _SERIES_TWO[first, second], _SERIES_ONE[first])
    valid &= (digit != 1) | (after != ord("0"))
    digit[(digit == -1) & (after == ord("0"))] = 0
    if vehicle_type is not None:
        vt = to_arrow(vehicle_type)
        for name, d in _SERIES_DIGIT_OF_TYPE.items():
            digit[(digit == -1) & np_bool(pc.equal(vt, name))] = d
    key = _insert_dash(key, np.where(valid & (digit >= 0), 2 + letters + digit, 0))
    return pd.DataFrame(
        {
            "plate": to_series(plate, values),
            "plate_key": to_series(key, values),
            "valid": pd.Series(valid, index=values.index, dtype=bool),
        }
    )
