"""The 126 commune-level units of Hanoi from 1 July 2025, as the reference data the project
ships: ``config/units.csv`` (official code, name, kind; source and date in its header: the
General Statistics Office's Công văn 1027/CTK-CSCL of 25/06/2025, codes of Quyết định
19/2025/QĐ-TTg).

Codes are 5-digit strings (``"00070"``). Names resolve from any spelling the contract lists:
the code, the code as a number, or the name with or without prefix and diacritics. A name
that fits no unit, or more than one, does not resolve: the caller rejects the row.

Ingest reads a unit cell with :func:`resolve_unit_cells`, which also reads a code written with
its name (``00008 - Phường Ngọc Hà``; both must name the same unit), a unit-name column next to
the code, and a code of the draft list that no unit holds officially (read as its unit, with a
warning). :func:`resolve_unit` accepts official codes only.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers import ConfigError, paths
from helpers.normalize import fold, fold_key, fold_series

UNIT_COUNT = 126
UNITS_FILE = paths.UNITS_FILE
KINDS = {"phuong": "Phường ", "xa": "Xã "}

# A unit's prefix as written before its name, on the folded text: the full word may run into
# the name ("PhườngNgọc Hà"), a single letter needs a separator ("P.Ngọc Hà", "X - Sóc Sơn").
_PREFIX = re.compile(
    r"^(?:(?:cong\s*an|ca)[\s.\-_]*)?(?:(?P<word>phuong|xa)|(?P<letter>p|x)[\s.\-_]+)[\s.\-_]*"
)
# A code written with the unit's name, either way round: "00008 - Phường Ngọc Hà",
# "8 Ngọc Hà", "Phường Ngọc Hà (00008)". No name of the 126 holds a digit.
_SEPARATORS = r"\s\-\u2010-\u2015:|/,.;()\[\]"
_CODE_FIRST = re.compile(rf"^\s*(?P<code>\d{{1,5}})[{_SEPARATORS}]*(?P<name>\D*[^\W\d_]\D*?)\s*$")
_CODE_LAST = re.compile(rf"^\s*(?P<name>\D*[^\W\d_]\D*?)[{_SEPARATORS}]*(?P<code>\d{{1,5}})\W*$")
MISMATCH = "unit_code_name_mismatch"


def load_units(path: Path | None = None) -> pd.DataFrame:
    """``config/units.csv`` checked: 126 units, 5-digit unique codes, names whose prefix is their
    kind, and draft codes that are no unit's official code (those always mean that unit)."""
    path = path or UNITS_FILE
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            lines = [line for line in fh if line.strip() and not line.lstrip().startswith("#")]
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from exc
    rows = list(csv.DictReader(lines))
    units = pd.DataFrame(rows, columns=["unit_code", "unit_name", "unit_kind", "draft_code"])
    units = units.fillna("").apply(lambda c: c.str.strip())
    problems = []
    if len(units) != UNIT_COUNT:
        problems.append(f"holds {len(units)} units, expected {UNIT_COUNT}")
    bad = ~units["unit_code"].str.fullmatch(r"\d{5}") | units["unit_code"].duplicated()
    problems += [f"unit_code {c!r} is not a unique 5-digit code" for c in units["unit_code"][bad]]
    prefix = units["unit_kind"].map(KINDS).fillna("?")
    wrong = [not n.startswith(p) for n, p in zip(units["unit_name"], prefix, strict=True)]
    problems += [
        f"{c} {n!r}: kind {k!r} (phuong or xa) does not fit the name's prefix"
        for c, n, k in units.loc[wrong, ["unit_code", "unit_name", "unit_kind"]].itertuples(
            index=False
        )
    ]
    drafts = units["draft_code"][units["draft_code"] != ""]
    clash = drafts[drafts.isin(units["unit_code"]) | ~drafts.str.fullmatch(r"\d{5}")]
    problems += [
        f"draft_code {d!r} is an official code or no 5-digit code: a draft code is kept only "
        "when no unit holds it"
        for d in clash
    ]
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    units["base_name"] = [
        n[len(KINDS[k]) :] for n, k in zip(units["unit_name"], units["unit_kind"], strict=True)
    ]
    units["slug"] = [re.sub(r"[^a-z0-9]+", "-", fold(n)).strip("-") for n in units["unit_name"]]
    return units.sort_values("unit_code", ignore_index=True)


@lru_cache(maxsize=1)
def _units() -> pd.DataFrame:
    return load_units()


def official_units() -> pd.DataFrame:
    """One row per unit: unit_code, unit_name, unit_kind (phuong/xa), base_name, slug."""
    return _units()[["unit_code", "unit_name", "unit_kind", "base_name", "slug"]].copy()


def draft_codes() -> dict[str, str]:
    """Draft code -> official code, for the draft codes no unit holds officially."""
    u = _units()
    kept = u[u["draft_code"] != ""]
    return dict(zip(kept["draft_code"], kept["unit_code"], strict=True))


@lru_cache(maxsize=1)
def _lookup() -> tuple[dict[str, str], dict[str, str]]:
    """Bare names (as fold keys: no case, accents, spaces or dashes) -> unit_code, '' when two
    units share one; and unit_code -> kind."""
    units = _units()
    codes: dict[str, set[str]] = {}
    for code, base in units[["unit_code", "base_name"]].itertuples(index=False):
        codes.setdefault(fold_key(base), set()).add(code)
    bare = {key: next(iter(found)) if len(found) == 1 else "" for key, found in codes.items()}
    return bare, dict(zip(units["unit_code"], units["unit_kind"], strict=True))


def resolve_unit(value: object) -> str | None:
    """Scalar resolution of one spelling; None when it fits no unit or several.

    The official code, the code as a number, or the name in any case, accents, spacing and
    dashes (``Văn Miếu – Quốc Tử Giám``, ``VanMieu-QuocTuGiam``), with or without its prefix
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
    """Vectorised :func:`resolve_unit`: official 5-digit code, or <NA> when unresolvable.

    Works on the distinct spellings only (a few hundred even for millions of rows).
    """
    keys = values.astype("string")
    distinct = pd.Series(keys.dropna().unique())
    mapping = {k: resolve_unit(k) for k in distinct}
    return keys.map(mapping).astype("string")


def _code_side(text: str) -> tuple[str | None, bool]:
    """A written code -> (official code, read through the draft list)."""
    code = f"{int(text):05d}"
    if code in _lookup()[1]:
        return code, False
    official = draft_codes().get(code)
    return official, official is not None


def _said(written: str, code: str | None, draft: bool = False) -> str:
    if code is None:
        return f"{written} = no unit"
    name = unit_names()[code]
    return f"{written} = {code} {name} (draft code)" if draft else f"{written} = {name}"


def _cell(text: str) -> tuple[str | None, bool, str | None]:
    """One distinct unit cell -> (official code, via a draft code, mismatch detail)."""
    number = re.fullmatch(r"\s*(\d{1,5})(?:\.0+)?\s*", text)
    if number:
        code, draft = _code_side(number[1])
        return code, draft, None
    both = _CODE_FIRST.match(text) or _CODE_LAST.match(text)
    if not both:
        return resolve_unit(text), False, None
    code, draft = _code_side(both["code"])
    name = both["name"].strip(" -–—:|/,.;()[]")
    named = resolve_unit(name)
    if code is not None and code == named:
        return code, draft, None
    written = f"{int(both['code']):05d}"
    said = _said(written, code, draft)
    name_said = f"{name} = {named}" if named else f"{name} = no unit"
    return None, False, f"{said} ≠ {name_said}"


def _distinct(values: pd.Series) -> tuple[list, pa.Array]:
    """The distinct values (Python) and each row's position among them (null for a blank)."""
    encoded = pa.array(values.astype("str"), type=pa.large_string()).dictionary_encode()
    return encoded.dictionary.to_pylist(), encoded.indices


def _text(array: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(array, index=index, dtype="str")


def resolve_unit_cells(values: pd.Series, names: pd.Series | None = None) -> pd.DataFrame:
    """Ingest's reading of a unit column (and of a unit-name column beside it, when given).

    Per row: ``unit_code`` (official; missing when the unit is unknown or the cell disagrees
    with itself or with the name column), ``draft`` (read through a draft code no unit holds),
    ``problem`` (``unit_code_name_mismatch`` or missing) and ``detail`` (both sides, each with
    the unit it names, for the reject). Works on distinct values in Arrow: millions of rows
    hold a few hundred spellings.
    """
    distinct, indices = _distinct(values)
    cells = [_cell(v) for v in distinct]
    code = pa.array([c[0] for c in cells], pa.large_string()).take(indices)
    draft = pa.array([c[1] for c in cells], pa.bool_()).take(indices)
    detail = pa.array([c[2] for c in cells], pa.large_string()).take(indices)
    if names is not None:
        written, where = _distinct(names)
        named = pa.array([resolve_unit(v) for v in written], pa.large_string()).take(where)
        clash = pc.and_(
            pc.and_(pc.is_valid(where), pc.is_valid(code)),
            pc.fill_null(pc.not_equal(named, code), True),
        )
        clash = np.asarray(clash.to_numpy(zero_copy_only=False), dtype=bool)
        if clash.any():
            which = np.flatnonzero(clash)
            labels = unit_names()
            rows = list(
                zip(
                    values.astype("str").iloc[which].tolist(),
                    code.take(which).to_pylist(),
                    names.astype("str").iloc[which].tolist(),
                    named.take(which).to_pylist(),
                    strict=True,
                )
            )
            said = {
                row: f"{row[0].strip()} = {labels[row[1]]} ≠ {row[2].strip()} = {row[3] or 'no unit'}"
                for row in set(rows)
            }
            detail = pc.replace_with_mask(
                detail, pa.array(clash), pa.array([said[r] for r in rows], pa.large_string())
            )
            code = pc.if_else(pa.array(clash), pa.scalar(None, pa.large_string()), code)
            draft = pc.and_(draft, pc.invert(pa.array(clash)))
    problem = pc.if_else(pc.is_valid(detail), pa.scalar(MISMATCH, pa.large_string()), None)
    return pd.DataFrame(
        {
            "unit_code": _text(code, values.index),
            "draft": np.asarray(pc.fill_null(draft, False).to_numpy(zero_copy_only=False), bool),
            "problem": _text(problem, values.index),
            "detail": _text(detail, values.index),
        },
        index=values.index,
    )


def unit_names() -> dict[str, str]:
    units = _units()
    return dict(zip(units["unit_code"], units["unit_name"], strict=True))


__all__ = [
    "draft_codes",
    "official_units",
    "resolve_unit",
    "resolve_unit_cells",
    "resolve_units",
    "unit_names",
    "fold_series",
]
