"""The 126 commune-level units of Hanoi (official 2025 list, from ``vietnam-provinces``).

Codes are 5-digit strings (``"00070"``). Names resolve from any spelling the contract lists:
the code, the code as a number, or the name with or without prefix and diacritics. A name
that fits no unit, or more than one, does not resolve: the caller rejects the row.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd
from vietnam_provinces import ProvinceCode, Ward

from helpers.normalize import fold, fold_series

HANOI = ProvinceCode(1)
UNIT_COUNT = 126

# folded prefix -> division kind; the longer forms first so "phuong" wins over "p"
_PREFIXES = [
    ("phuong", "phuong"),
    ("xa", "xa"),
    ("p.", "phuong"),
    ("p ", "phuong"),
    ("x.", "xa"),
    ("x ", "xa"),
    ("cong an phuong", "phuong"),
    ("cong an xa", "xa"),
    ("ca phuong", "phuong"),
    ("ca xa", "xa"),
]
_PREFIXES.sort(key=lambda p: -len(p[0]))


@lru_cache(maxsize=1)
def official_units() -> pd.DataFrame:
    """One row per unit: unit_code, unit_name, unit_kind (phuong/xa), base_name, slug."""
    rows = []
    for ward in Ward.iter_by_province(HANOI):
        kind = "phuong" if ward.division_type.value == "phường" else "xa"
        prefix = "Phường " if kind == "phuong" else "Xã "
        base = ward.name[len(prefix) :] if ward.name.startswith(prefix) else ward.name
        rows.append(
            {
                "unit_code": f"{int(ward.code):05d}",
                "unit_name": ward.name,
                "unit_kind": kind,
                "base_name": base,
                "slug": re.sub(r"[^a-z0-9]+", "-", fold(ward.name)).strip("-"),
            }
        )
    units = pd.DataFrame(rows).sort_values("unit_code", ignore_index=True)
    if len(units) != UNIT_COUNT:
        raise RuntimeError(f"official list holds {len(units)} Hanoi units, expected {UNIT_COUNT}")
    return units


def _split_prefix(folded: str) -> tuple[str | None, str]:
    for prefix, kind in _PREFIXES:
        if folded.startswith(prefix):
            return kind, folded[len(prefix) :].strip(" .")
    return None, folded


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    """Every accepted spelling (folded) -> unit_code; ambiguous bare names map to ''."""
    units = official_units()
    table: dict[str, str] = {}
    bare: dict[str, set[str]] = {}
    for code, kind, base in units[["unit_code", "unit_kind", "base_name"]].itertuples(index=False):
        key = fold(base)
        bare.setdefault(key, set()).add(code)
        word = "phuong" if kind == "phuong" else "xa"
        for spelled in (f"{word} {key}", f"{word[0]}. {key}", f"{word[0]} {key}", f"{word[0]}.{key}"):
            table[spelled] = code
        table[code] = code
        table[str(int(code))] = code
    for key, codes in bare.items():
        table[key] = next(iter(codes)) if len(codes) == 1 else ""
    return table


def resolve_unit(value: object) -> str | None:
    """Scalar resolution of one spelling; None when it fits no unit or several."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        text = str(int(float(text)))
    folded = fold(text)
    table = _lookup()
    code = table.get(folded)
    if code is None:
        kind, rest = _split_prefix(folded)
        code = table.get(f"{kind} {rest}" if kind else rest)
    return code or None


def resolve_units(values: pd.Series) -> pd.Series:
    """Vectorised resolution: official 5-digit code, or <NA> when unresolvable.

    Works on the distinct spellings only (a few hundred even for millions of rows).
    """
    keys = values.astype("string")
    distinct = pd.Series(keys.dropna().unique())
    mapping = {k: resolve_unit(k) for k in distinct}
    return keys.map(mapping).astype("string")


def unit_names() -> dict[str, str]:
    units = official_units()
    return dict(zip(units["unit_code"], units["unit_name"], strict=True))


__all__ = ["official_units", "resolve_unit", "resolve_units", "unit_names", "fold_series"]
