"""Header cells -> the contract's columns: aliases from ``config/aliases.yaml``, matching.

A header cell names a column when its folded text (no case, accents, spaces or punctuation)
is the column's name or one of its aliases. When a column is still absent, an unmapped header
that holds every word of one of its aliases (``Số xe đã kê khai (chiếc)``), or is one word
away from an alias of three words or more, is read as that column if it fits no other: the
ledger says so, so the analyst confirms it in the aliases file. A required column still
absent stops the run with the closest header found and the line to add.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from pathlib import Path

import yaml

from helpers import ConfigError, paths
from helpers.normalize import fold, fold_key

# The contract's columns (docs/data-contract.md): fixed in code, their spellings in config.
CANONICAL: dict[str, tuple[str, ...]] = {
    "registry_vehicles": (
        "record_id",
        "unit_code",
        "plate",
        "vehicle_type",
        "chassis_no",
        "engine_no",
        "registered_on",
        "owner_kind",
        "owner_name",
        "owner_id",
        "owner_dob",
        "owner_address",
    ),
    "registry_licences": (
        "record_id",
        "unit_code",
        "licence_no",
        "licence_class",
        "holder_name",
        "holder_id",
        "holder_dob",
        "issued_on",
        "expires_on",
    ),
    "population": ("citizen_id", "full_name", "dob", "gender", "unit_code", "status"),
    "submissions": (
        "submission_id",
        "submitted_at",
        "kind",
        "citizen_id",
        "full_name",
        "dob",
        "phone",
        "plate",
        "chassis_no",
        "declared_status",
        "licence_no",
        "unit_code",
        "review_status",
        "reviewed_at",
        "reject_reason",
    ),
    "unit_reports": (
        "report_date",
        "unit_code",
        "vehicles_collected",
        "vehicles_approved",
        "licences_collected",
        "licences_cleaned",
    ),
    "organizations": (
        "org_id",
        "org_name",
        "org_type",
        "unit_code",
        "dispatch_sent_on",
        "worked_directly",
        "vehicles_counted",
        "vehicles_declared",
    ),
    "commitments": (
        "unit_code",
        "measure",
        "target",
        "by_date",
        "given_on",
        "commitment_text",
        "commander",
    ),
}

MAX_HEADER_CHARS = 80  # a longer cell is a title or a note, never a header


def _spellings(entry: object, groups: dict[str, list], where: str) -> list[str]:
    if not isinstance(entry, list) or not all(isinstance(a, str) for a in entry):
        raise ConfigError(f"{where}: expected a list of header spellings in quotes")
    out: list[str] = []
    for alias in entry:
        if alias.startswith("@"):
            if alias[1:] not in groups:
                raise ConfigError(f"{where}: unknown group {alias!r}; groups: {', '.join(groups)}")
            out += groups[alias[1:]]
        else:
            out.append(alias)
    return out


def load_aliases(
    path: Path | None = None,
) -> tuple[dict[str, dict[str, tuple[str, ...]]], frozenset[str]]:
    """Per source and column, every accepted spelling; and the headers known to be unused."""
    path = path or paths.ALIASES_FILE
    try:
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read as YAML ({exc})") from exc
    groups = raw.get("groups") or {}
    sources = raw.get("sources") or {}
    unknown = sorted(set(sources) - set(CANONICAL))
    if unknown:
        raise ConfigError(
            f"{path}: unknown source(s) {', '.join(unknown)}; known: {', '.join(CANONICAL)}"
        )
    columns: dict[str, dict[str, tuple[str, ...]]] = {}
    for source, canonical in CANONICAL.items():
        given = sources.get(source) or {}
        stray = sorted(set(given) - set(canonical))
        if stray:
            raise ConfigError(
                f"{path}: sources.{source} has no column {', '.join(stray)}; "
                f"its columns: {', '.join(canonical)}"
            )
        columns[source] = {
            column: tuple(
                _spellings(given.get(column, []), groups, f"{path}: sources.{source}.{column}")
            )
            for column in canonical
        }
    unused = frozenset(
        fold_key(h) for h in _spellings(raw.get("unused") or [], groups, f"{path}: unused")
    )
    return columns, unused


@cache
def aliases() -> tuple[dict[str, dict[str, tuple[str, ...]]], frozenset[str]]:
    return load_aliases()


def reload() -> None:
    """Read config/aliases.yaml again (a kernel that stays open sees an edited file)."""
    aliases.cache_clear()
    header_lookup.cache_clear()
    _unit_name_keys.cache_clear()


def columns(source: str) -> dict[str, tuple[str, ...]]:
    return aliases()[0][source]


def is_unused(header: str) -> bool:
    """A header the aliases file lists as knowingly unused (STT, Ghi chú, channel)."""
    return fold_key(header) in aliases()[1]


@cache
def _unit_name_keys() -> frozenset[str]:
    groups = yaml.safe_load(paths.ALIASES_FILE.read_text("utf-8")).get("groups") or {}
    where = f"{paths.ALIASES_FILE}: groups.unit_name"
    return frozenset(fold_key(h) for h in _spellings(groups.get("unit_name", []), groups, where))


def is_unit_name(header: str) -> bool:
    """A header of a column that names the unit beside its code (``Tên đơn vị``; the group
    ``unit_name`` of the aliases file): ingest checks it against the code."""
    return fold_key(header) in _unit_name_keys()


@cache
def header_lookup(source: str) -> dict[str, str]:
    """Every accepted header spelling of ``source`` (as a fold key) -> canonical column."""
    table: dict[str, str] = {}
    for column, spelled in columns(source).items():
        for text in (column, column.replace("_", " "), *spelled):
            table.setdefault(fold_key(text), column)
    # canonical names always win over another column's alias
    for column in columns(source):
        table[fold_key(column)] = column
    return table


def header_key(cell: str) -> str:
    return fold_key(cell) if len(cell) <= MAX_HEADER_CHARS else ""


def words(text: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[^0-9a-z]+", fold(text)) if w)


def _one_word_apart(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One word inserted, removed or replaced (word-level edit distance of exactly 1)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def word_match(source: str, header: str, candidates: set[str]) -> tuple[str, str] | None:
    """(column, alias) when ``header`` holds every word of an alias of exactly one candidate
    column (aliases of two words or more), or is one word away from one of three or more."""
    if len(header) > MAX_HEADER_CHARS:
        return None
    found = words(header)
    have = set(found)
    hits: dict[str, str] = {}
    for column in sorted(candidates):
        for alias in (column.replace("_", " "), *columns(source)[column]):
            wanted = words(alias)
            if (len(wanted) >= 2 and set(wanted) <= have) or (
                len(wanted) >= 3 and _one_word_apart(found, wanted)
            ):
                hits.setdefault(column, alias)
                break
    return next(iter(hits.items())) if len(hits) == 1 else None


def match_header(cells: list, source: str) -> dict[int, str]:
    """Position -> canonical column for one header row: exact spellings first, then words.

    A column is taken by one cell only; a word match that two cells could claim is dropped.
    """
    lookup = header_lookup(source)
    mapping: dict[int, str] = {}
    for pos, cell in enumerate(cells):
        if cell is None:
            continue
        column = lookup.get(header_key(str(cell)))
        if column and column not in mapping.values():
            mapping[pos] = column
    missing = set(columns(source)) - set(mapping.values())
    claims: dict[str, list[int]] = {}
    for pos, cell in enumerate(cells):
        if pos in mapping or cell in (None, "") or not missing:
            continue
        hit = word_match(source, str(cell), missing)
        if hit:
            claims.setdefault(hit[0], []).append(pos)
    for column, positions in claims.items():
        if len(positions) == 1:
            mapping[positions[0]] = column
    return dict(sorted(mapping.items()))


def guessed(source: str, header: dict[str, str]) -> list[dict[str, str]]:
    """Columns of a file read from a header that is not one of their spellings (by words)."""
    lookup = header_lookup(source)
    out = []
    for column, text in header.items():
        if lookup.get(header_key(text)) != column:
            hit = word_match(source, text, {column})
            out.append({"column": column, "header": text, "alias": hit[1] if hit else ""})
    return out


def closest_header(source: str, column: str, cells: list) -> str | None:
    """The header cell most like one of ``column``'s spellings (None when nothing is close)."""
    spelled = [fold_key(s) for s in (column, *columns(source)[column])]
    best, best_ratio = None, 0.0
    for cell in cells:
        if cell in (None, "") or len(str(cell)) > MAX_HEADER_CHARS:
            continue
        key = fold_key(str(cell))
        ratio = max(difflib.SequenceMatcher(None, key, s).ratio() for s in spelled)
        if ratio > best_ratio:
            best, best_ratio = str(cell), ratio
    return best if best_ratio >= 0.5 else None


def missing_advice(source: str, missing: list[str], cells: list, taken: set[int]) -> str:
    """For each missing required column: the closest unmapped header and the line to add."""
    free = [c for i, c in enumerate(cells) if i not in taken]
    advice = []
    for column in missing:
        near = closest_header(source, column, free)
        if near:
            advice.append(
                f"closest header for {column}: {near!r}; if it is that column, add "
                f'"{near.strip()}" to sources.{source}.{column} in config/aliases.yaml'
            )
        else:
            advice.append(
                f"no header close to {column}; add its spelling to "
                f"sources.{source}.{column} in config/aliases.yaml"
            )
    return "; ".join(advice)
