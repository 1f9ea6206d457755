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

from helpers.normalize import fold, fold_key, fold_series

HANOI = ProvinceCode(1)
UNIT_COUNT = 126

# A unit's prefix as written before its name, on the folded text: the full word may run into
# the name ("PhườngNgọc Hà"), a single letter needs a separator ("P.Ngọc Hà", "X - Sóc Sơn").
_PREFIX = re.compile(
    r"^(?:(?:cong\s*an|ca)[\s.\-_]*)?(?:(?P<word>phuong|xa)|(?P<letter>p|x)[\s.\-_]+)[\s.\-_]*"
)


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


@lru_cache(maxsize=1)
def _lookup() -> tuple[dict[str, str], dict[str, str]]:
    """Bare names (as fold keys: no case, accents, spaces or dashes) -> unit_code, '' when two
    units share one; and unit_code -> kind."""
    units = official_units()
    codes: dict[str, set[str]] = {}
    for code, base in units[["unit_code", "base_name"]].itertuples(index=False):
        codes.setdefault(fold_key(base), set()).add(code)
    bare = {key: next(iter(found)) if len(found) == 1 else "" for key, found in codes.items()}
    return bare, dict(zip(units["unit_code"], units["unit_kind"], strict=True))


def resolve_unit(value: object) -> str | None:
    """Scalar resolution of one spelling; None when it fits no unit or several.

    The code, the code as a number, or the name in any case, accents, spacing and dashes
    (``Văn Miếu – Quốc Tử Giám``, ``VanMieu-QuocTuGiam``), with or without its prefix
    (``Phường``, ``P.``, ``Xã``, ``X.``, ``Công an phường``). A prefix must agree with the
    unit's kind; a name two units share never resolves.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        code = f"{int(float(text)):05d}"
        return code if code in _lookup()[1] else None
    bare, kinds = _lookup()
    folded = fold(text.replace("\u00d0", "Đ"))  # Ð (eth) typed for Đ
    found = bare.get(fold_key(folded))  # a name that itself starts like a prefix (Phương Liệt)
    if found:
        return found
    prefix = _PREFIX.match(folded)
    if not prefix:
        return None
    kind = {"p": "phuong", "x": "xa"}.get(prefix["letter"] or "", prefix["word"])
    found = bare.get(fold_key(folded[prefix.end() :]))
    return found if found and kinds[found] == kind else None


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
