"""Arrow plumbing shared by the normalisers: Series <-> arrow string arrays, byte-level scans
of the data buffer, per-distinct application, null/empty handling, cleaning and folding of
arrow arrays. Private helpers (``buffers``, ``valid_mask``, ``np_bool``...) that ingest uses too.

Pure functions; touch no files.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_WS_RE2 = r"[\s\x{00a0}\x{2000}-\x{200b}\x{202f}\x{205f}\x{3000}\x{feff}]+"


# ---------------------------------------------------------------- arrow plumbing


def to_arrow(values: pd.Series) -> pa.Array:
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


def to_series(arr: pa.Array, like: pd.Series) -> pd.Series:
    return pd.Series(arr, index=like.index, name=like.name, dtype="str")


# ---- byte-level scans of an arrow string array (one numpy pass over the data buffer beats a
# ---- per-string kernel by an order of magnitude; the slow kernels then run on flagged rows)


def buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets rebased to 0, data bytes) of a large_string array, zero-copy."""
    n = len(arr)
    bufs = arr.buffers()
    off = np.frombuffer(bufs[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    if bufs[2] is None or n == 0:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    data = np.frombuffer(bufs[2], dtype=np.uint8)[off[0] : off[-1]]
    return (off - off[0] if off[0] else off), data  # read-only; rebased copy only if sliced


def _libc_memmem():
    """libc's ``memmem`` (glibc, musl, macOS), or None where there is none."""
    try:
        fn = ctypes.CDLL(ctypes.util.find_library("c") or None).memmem
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_void_p
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    return fn


_MEMMEM = _libc_memmem()


def holds_bytes(data: np.ndarray, needle: bytes) -> bool:
    """Whether the bytes hold ``needle``: memmem on the buffer in place (a column's text is
    never copied to search it), else ``bytes.find`` on a copy."""
    if _MEMMEM is not None and data.flags.c_contiguous:
        return bool(_MEMMEM(data.ctypes.data, data.size, needle, len(needle)))
    return data.tobytes().find(needle) >= 0


def _rows_at(positions: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Rows (bool per row) holding the given byte positions (few positions)."""
    flags = np.zeros(len(off) - 1, dtype=bool)
    if len(positions):
        flags[np.searchsorted(off, positions, side="right") - 1] = True
    return flags


def rows_any(byte_flags: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Rows (bool per row) holding at least one flagged byte (many flags)."""
    lens = np.diff(off)
    rows = np.zeros(len(lens), dtype=bool)
    full = np.flatnonzero(lens > 0)
    if len(full):
        rows[full] = np.logical_or.reduceat(byte_flags, off[full])
    return rows


def scan_bytes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: holds a combining mark (needs NFC), odd whitespace (needs collapsing: control
    whitespace, two spaces, a space at either end, a Unicode space), a non-ASCII byte.

    Whole-buffer reductions and byte searches first (on the Arrow buffer itself: no copy of
    the column); positions are only located for the bytes that occur, so a clean column costs
    a few passes at memory speed."""
    off, data = buffers(arr)
    n = len(arr)
    marks = np.zeros(n, dtype=bool)
    odd = np.zeros(n, dtype=bool)
    if data.size == 0:
        return marks, odd, np.zeros(n, dtype=bool)
    top, bottom = int(data.max()), int(data.min())

    def holds(needle: bytes) -> bool:
        return holds_bytes(data, needle)

    def where(byte: int) -> np.ndarray:
        if top < byte or not holds(bytes([byte])):
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
    if holds(b"  "):
        odd |= _rows_at(np.flatnonzero((data[:-1] == 32) & (data[1:] == 32)), off)
    # a space at either end of a non-empty row
    last = data.size - 1
    edge = data[np.minimum(off[:-1], last)] == 32
    edge |= data[np.maximum(off[1:] - 1, 0)] == 32
    odd |= edge & (off[1:] > off[:-1])
    if top < 0x80:
        high = np.zeros(n, dtype=bool)
    else:
        high = ~np_bool(pc.string_is_ascii(arr)) & valid_mask(arr)
    return marks, odd, high


def patch(arr: pa.Array, mask: np.ndarray, fn, *, distinct: bool = True) -> pa.Array:
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


def from_bytes(off: np.ndarray, data: np.ndarray, valid: np.ndarray) -> pa.Array:
    """A large_string array from numpy offsets, bytes and validity."""
    return pa.Array.from_buffers(
        pa.large_string(),
        len(off) - 1,
        [
            pa.py_buffer(np.packbits(valid, bitorder="little")),
            pa.py_buffer(np.ascontiguousarray(off, dtype=np.int64)),  # no copy if int64
            pa.py_buffer(np.ascontiguousarray(data, dtype=np.uint8)),
        ],
    )


def valid_mask(arr: pa.Array) -> np.ndarray:
    if arr.null_count == 0:
        return np.ones(len(arr), dtype=bool)
    return np_bool(pc.is_valid(arr))


def edge_bytes(off: np.ndarray, data: np.ndarray, at: int) -> np.ndarray:
    """Byte ``at`` of every row (``at`` < 0 counts from the end); 0 where the row is too short."""
    lens = np.diff(off)
    ok = lens >= (at + 1 if at >= 0 else -at)
    pos = (off[:-1] + at) if at >= 0 else (off[1:] + at)
    out = np.zeros(len(lens), dtype=np.uint8)
    out[ok] = data[pos[ok]]
    return out


def per_distinct(arr: pa.Array, fn) -> pa.Array:
    """``fn`` applied once per distinct value (names, enumerations, dates, units)."""
    encoded = arr.dictionary_encode()
    return fn(encoded.dictionary).take(encoded.indices)


def null_empty(arr: pa.Array) -> pa.Array:
    """Empty strings become null (validity bitmap only; the data buffer is shared)."""
    off, _ = buffers(arr)
    empty = np.diff(off) == 0
    if not empty.any():
        return arr
    valid = ~empty
    if arr.null_count:
        valid &= np_bool(pc.is_valid(arr))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    bufs = arr.buffers()
    return pa.Array.from_buffers(arr.type, len(arr), [bitmap, bufs[1], bufs[2]], offset=arr.offset)


def _collapse(arr: pa.Array) -> pa.Array:
    arr = pc.replace_substring_regex(arr, pattern=_WS_RE2, replacement=" ")
    return pc.utf8_trim_whitespace(arr)


def clean_array(arr: pa.Array) -> pa.Array:
    """NFC, whitespace collapsed and trimmed, empty -> null (arrow in, arrow out).

    Only rows that need it pay for NFC (they hold a combining mark U+0300-U+036F, the one
    non-NFC form Vietnamese text takes) or whitespace collapsing.
    """
    marks, odd, _ = scan_bytes(arr)
    arr = patch(arr, marks, lambda a: pc.utf8_normalize(a, form="NFC"))
    arr = patch(arr, odd, _collapse)
    return null_empty(arr)


def fold_distinct(arr: pa.Array) -> pa.Array:
    arr = pc.replace_substring(arr, pattern="đ", replacement="d")
    arr = pc.replace_substring(arr, pattern="Đ", replacement="D")
    arr = pc.utf8_normalize(arr, form="NFD")
    arr = pc.replace_substring_regex(arr, pattern=r"\p{Mn}+", replacement="")
    # a mark that stood alone or beside a space leaves a space to collapse again
    return _collapse(pc.utf8_lower(arr))


def fold_array(arr: pa.Array) -> pa.Array:
    """Accent-folded lower case: ASCII rows are only lower-cased; the others go through
    NFD and mark removal once per distinct value."""
    arr = clean_array(arr)
    _, _, high = scan_bytes(arr)
    arr = pc.ascii_lower(arr)
    return null_empty(patch(arr, high, fold_distinct))


def np_bool(arr: pa.Array) -> np.ndarray:
    """A boolean arrow array as numpy, null = False."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def bool_series(arr: pa.Array, like: pd.Series) -> pd.Series:
    return pd.Series(np_bool(arr), index=like.index, dtype=bool)
