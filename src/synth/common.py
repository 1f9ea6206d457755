"""Small vectorised building blocks shared by the generator's parts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

# Province codes of the CCCD (first three digits), 2025 list of the 63 former provinces.
PROVINCE_CODES = np.array(
    [
        1,
        2,
        4,
        6,
        8,
        10,
        11,
        12,
        14,
        15,
        17,
        19,
        20,
        22,
        24,
        25,
        26,
        27,
        30,
        31,
        33,
        34,
        35,
        36,
        37,
        38,
        40,
        42,
        44,
        45,
        46,
        48,
        49,
        51,
        52,
        54,
        56,
        58,
        60,
        62,
        64,
        66,
        67,
        68,
        70,
        72,
        74,
        75,
        77,
        79,
        80,
        82,
        83,
        84,
        86,
        87,
        89,
        91,
        92,
        93,
        94,
        95,
        96,
    ]
)

FAULT_COLUMNS = [
    "source",
    "row_key",
    "column",
    "fault_kind",
    "delivered_value",
    "true_value",
    "expected_outcome",
    "expected_reason_code",
    "expected_value",
    "expected_identity",
]


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(np.int64)
    rest = total - int(base.sum())
    if rest:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:rest]] += 1
    return base


def unique_draw(rng: np.random.Generator, n: int, high: int, avoid: np.ndarray | None = None):
    """``n`` distinct integers in [0, high) in random order, none of them in ``avoid``."""
    if n > high:
        raise ValueError("cannot draw more distinct values than the range holds")
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        need = n - len(out)
        cand = rng.integers(0, high, size=int(need * 1.1) + 16, dtype=np.int64)
        cand = np.concatenate([out, cand])
        _, first = np.unique(cand, return_index=True)
        keep = np.zeros(len(cand), dtype=bool)
        keep[first] = True
        if avoid is not None and len(avoid):
            keep &= ~isin(cand, avoid)
        out = cand[np.sort(np.flatnonzero(keep))][:n]
    return out


def isin(values, members) -> np.ndarray:
    """Hash-based membership test (numpy's sort-based isin is slow on strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    v, m = np.asarray(values), np.asarray(members)
    if v.dtype.kind in "iu" and m.dtype.kind in "iu":
        return np.isin(v, m)
    hit = pc.is_in(
        pa.array(v.astype(object), pa.string()), value_set=pa.array(m.astype(object), pa.string())
    )
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def take(s: pd.Series, idx) -> np.ndarray:
    """Values of a column at positions (or a mask) as a numpy array, without converting the
    whole column: Arrow-backed text becomes an object array (missing = None) of the subset."""
    idx = np.asarray(idx)
    if idx.dtype == bool:
        idx = np.flatnonzero(idx)
    if isinstance(s.dtype, (pd.StringDtype, pd.ArrowDtype)):
        out = s.iloc[idx].to_numpy(dtype=object)
        out[pd.isna(out)] = None
        return out
    return s.to_numpy()[idx]


def take_text(s: pd.Series, idx) -> pd.api.extensions.ExtensionArray:
    """Text of a column at positions, kept Arrow-backed (no Python string per value)."""
    idx = np.asarray(idx)
    if idx.dtype == bool:
        idx = np.flatnonzero(idx)
    return pd.array(
        s.iloc[idx].to_numpy(dtype=object) if s.dtype == object else s.array.take(idx), dtype="str"
    )


def text(values) -> pd.api.extensions.ExtensionArray:
    """Any array of text (object, numpy str or Arrow) as an Arrow-backed text array."""
    if isinstance(values, (pd.api.extensions.ExtensionArray, pd.Series)) and isinstance(
        values.dtype, (pd.StringDtype, pd.ArrowDtype)
    ):
        return pd.array(values, dtype="str")
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def where_text(cond, a, b) -> pd.api.extensions.ExtensionArray:
    """Element-wise ``a if cond else b`` for text without leaving Arrow."""
    import pyarrow.compute as pc

    cond = pa.array(np.asarray(cond, dtype=bool))
    aa = pa.scalar(a, pa.string()) if isinstance(a, str) or a is None else _arrow(a)
    bb = pa.scalar(b, pa.string()) if isinstance(b, str) or b is None else _arrow(b)
    return pd.array(pc.if_else(cond, aa, bb), dtype="str")


def select_text(conds: list, choices: list, default) -> pd.api.extensions.ExtensionArray:
    """Like ``np.select`` for text, in Arrow: the first true condition's choice."""
    out = default
    for cond, choice in zip(reversed(conds), reversed(choices), strict=True):
        out = where_text(cond, choice, out)
    return text(out) if not isinstance(out, pd.api.extensions.ExtensionArray) else out


def compact(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns to Arrow-backed strings: a tenth of the memory of Python objects."""
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].astype("str")
    return df


def base36(values: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width upper-case base-36 strings of non-negative integers."""
    alphabet = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
    v = np.asarray(values, dtype=np.int64).copy()
    digits = np.empty((len(v), width), dtype=np.uint8)
    for j in range(width - 1, -1, -1):
        digits[:, j] = alphabet[v % 36]
        v //= 36
    return digits.view(f"S{width}").ravel().astype(str)


def zfill_int(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings of non-negative integers."""
    v = np.asarray(values, dtype=np.int64).copy()
    digits = np.empty((len(v), width), dtype=np.uint8)
    for j in range(width - 1, -1, -1):
        digits[:, j] = 48 + (v % 10)
        v //= 10
    return digits.view(f"S{width}").ravel().astype(str)


def zfill_text(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal text of non-negative integers as an Arrow array, made from the
    digit bytes without a string per value: for concatenation (``cat``), where the numpy
    text of ``zfill_int`` was converted twice (bytes to numpy text, numpy text to Arrow)."""
    v = np.asarray(values, dtype=np.int64).copy()
    digits = np.empty((len(v), width), dtype=np.uint8)
    for j in range(width - 1, -1, -1):
        digits[:, j] = 48 + (v % 10)
        v //= 10
    offsets = np.arange(0, (len(v) + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), len(v), [None, pa.py_buffer(offsets), pa.py_buffer(digits)]
    )


def date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of datetime64[D] values."""
    d = np.asarray(days, dtype="datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, dd


EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

# Date text styles used in delivered files (all day-first, as the contract says).
DMY, ISO, SERIAL, DMY_SHORT, DMY_YY, YEAR = 0, 1, 2, 3, 4, 5


def format_dates(days: np.ndarray, style: np.ndarray | int):
    """Render dates in per-row styles: dd/mm/yyyy, ISO, Excel serial, d/m/yyyy, d/m/yy, yyyy.

    Returns Arrow-backed text (each style rendered where it is used, then merged in Arrow).
    """
    days = np.asarray(days, dtype="datetime64[D]")
    n = len(days)
    style = np.broadcast_to(np.asarray(style), (n,))
    y, m, d = date_parts(days)
    styles = np.unique(style)
    conds, choices = [], []
    for s in styles:
        if s == DMY:
            txt = _cat(zfill_text(d, 2), "/", zfill_text(m, 2), "/", zfill_text(y, 4))
        elif s == ISO:
            txt = _cat(zfill_text(y, 4), "-", zfill_text(m, 2), "-", zfill_text(d, 2))
        elif s == SERIAL:
            txt = text((days - EXCEL_EPOCH).astype(np.int64).astype(str))
        elif s == DMY_SHORT:
            txt = _cat(d, "/", m, "/", zfill_text(y, 4))
        elif s == DMY_YY:
            txt = _cat(d, "/", m, "/", zfill_text(y % 100, 2))
        else:
            txt = text(zfill_int(y, 4))
        conds.append(style == s)
        choices.append(txt)
    if not choices:
        return text(np.empty(0, dtype=object))
    if len(choices) == 1:
        return choices[0]
    return select_text(conds[:-1], choices[:-1], choices[-1])


def _cat(*parts) -> np.ndarray:
    """Element-wise string concatenation of arrays and scalar strings (Arrow kernels)."""
    import pyarrow.compute as pc

    n = next(len(p) for p in parts if not isinstance(p, str))
    arrays = [pa.scalar(p, pa.string()) if isinstance(p, str) else _arrow(p) for p in parts]
    del n
    joined = pc.binary_join_element_wise(*arrays, pa.scalar("", pa.string()))
    # Arrow-backed text (a tenth of the memory of Python strings); numpy converts on demand
    return pd.array(joined, dtype="str")


def _arrow(p):
    if isinstance(p, pa.Array):
        return p
    if isinstance(p, (pd.api.extensions.ExtensionArray, pd.Series)) and isinstance(
        p.dtype, (pd.StringDtype, pd.ArrowDtype)
    ):
        return pa.array(p, pa.string())
    a = np.asarray(p)
    # Arrow renders integers and converts numpy text itself, far faster than through a
    # Python object per value (the same text; figures in docs/performance.md)
    if a.dtype.kind in "iu":
        return pa.array(a).cast(pa.string())
    if a.dtype.kind == "U":
        out = pa.array(a, pa.string())
        return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out
    return pa.array(_as_obj(a), pa.string())


def _as_obj(p):
    a = np.asarray(p)
    return a.astype(str).astype(object) if a.dtype.kind in "iuf" else a.astype(object)


cat = _cat


@dataclass(frozen=True)
class Part:
    """Slice ``k`` of ``of`` slices of a city generated apart (one slice: the whole scenario).

    Slices never see each other's rows, so every key a slice draws (citizen IDs, plate and
    licence numbers, record and submission numbers) comes from the slice's own residue class:
    no key can be shared between two slices, and a typo that changes only the last digits of a
    key keeps it inside its slice (where the slice checks it against its own records). With one
    slice every mapping below is the identity, so the sample's draws are unchanged.
    """

    k: int = 0
    of: int = 1

    def span(self, high: int, tail: int = 1) -> int:
        """Draw from ``[0, span)`` and :meth:`expand`: values stay under ``high``."""
        return (high // tail // self.of) * tail

    def expand(self, draws, tail: int = 1, shift=0):
        """Injective map of draws in ``[0, span(high, tail))`` into the slice's class:
        ``(value // tail + shift) % of == k``; the last ``tail`` values are kept. ``shift``
        (per value) accounts for digits a key carries in front of the value."""
        if self.of == 1:
            return draws
        q, r = np.divmod(np.asarray(draws, dtype=np.int64), tail)
        return (q * self.of + (self.k - np.asarray(shift, dtype=np.int64)) % self.of) * tail + r

    def offset(self, space: int) -> int:
        """First number of the slice's block of a numbering of ``space`` values."""
        return self.k * (space // self.of)


WHOLE = Part()


def pick_exact(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    """Exactly round(rate * len(eligible)) distinct members of ``eligible`` (sorted)."""
    k = int(round(rate * len(eligible)))
    if k == 0 or len(eligible) == 0:
        return np.empty(0, dtype=np.int64)
    return np.sort(rng.choice(eligible, size=min(k, len(eligible)), replace=False))


class Faults:
    """Collects injected faults per source table, keyed by the table's ``row_key``."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        source: str,
        row_key,
        column: str,
        kind: str,
        delivered,
        true,
        outcome: str,
        reason: str | None = None,
        expected=None,
        identity: str | None = None,
    ) -> None:
        row_key = np.asarray(row_key, dtype=np.int64)
        n = len(row_key)
        if n == 0:
            return

        def col(v):
            if v is None:
                return pd.array([None] * n, dtype="string")
            if np.isscalar(v):
                return pd.array([v] * n, dtype="string")
            return pd.array(np.asarray(v, dtype=object), dtype="string")

        self.parts.append(
            pd.DataFrame(
                {
                    "source": source,
                    "row_key": row_key,
                    "column": column,
                    "fault_kind": kind,
                    "delivered_value": col(delivered),
                    "true_value": col(true),
                    "expected_outcome": outcome,
                    "expected_reason_code": col(reason),
                    "expected_value": col(expected),
                    "expected_identity": col(identity),
                }
            )
        )

    def table(self, source: str | None = None) -> pd.DataFrame:
        parts = [p for p in self.parts if source is None or p["source"].iat[0] == source]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype="string") for c in FAULT_COLUMNS}).astype(
                {"row_key": "int64"}
            )
        return pd.concat(parts, ignore_index=True)


@dataclass
class Units:
    """The units as the generator designs them (made by :func:`synth.world.make_units`;
    here so that every module can name the type without importing the world)."""

    frame: pd.DataFrame  # unit_code, unit_name, unit_kind, base_name, weight, speed, ...
    spellings: list[list[str]]  # accepted spellings per unit (index-aligned with frame)
    spelling_probs: list[np.ndarray]
