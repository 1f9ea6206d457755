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
from functools import cache, lru_cache
from pathlib import Path

from helpers import ConfigError, paths
from helpers.config import read_yaml
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


def _one_column_each(path: Path, source: str, spelled: dict[str, tuple[str, ...]]) -> None:
    """A spelling (as matched: folded) names one column of a source; listed under two it
    would silently read one column's values as the other's."""
    owner: dict[str, tuple[str, str]] = {}
    for column, aliases in spelled.items():
        for text in (column, column.replace("_", " "), *aliases):
            key = fold_key(text)
            first = owner.setdefault(key, (column, text))
            if first[0] != column:
                raise ConfigError(
                    f"{path}: header {text!r} is listed under two columns, "
                    f"sources.{source}.{first[0]} (as {first[1]!r}) and "
                    f"sources.{source}.{column}; a header names one column: keep it under "
                    "the column it holds and remove it from the other (spellings are compared "
                    "without case, accents, spaces or punctuation; a @group counts as its "
                    "spellings)"
                )


def load_aliases(
    path: Path | None = None,
) -> tuple[dict[str, dict[str, tuple[str, ...]]], frozenset[str]]:
    """Per source and column, every accepted spelling; and the headers known to be unused."""
    path = path or paths.ALIASES_FILE
    raw = _read(path)
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
        _one_column_each(path, source, columns[source])
    unused = frozenset(
        fold_key(h) for h in _spellings(raw.get("unused") or [], groups, f"{path}: unused")
    )
    return columns, unused


_SECTIONS = ("groups", "unused", "sources")


def _read(path: Path) -> dict:
    """The aliases file as its three sections: one line naming the file and the line when it
    is not YAML, gives a key twice or has a section the suite does not know (a misspelled
    ``sources:`` left every column with no spelling but its own, unsaid)."""
    raw = read_yaml(path, sections=", ".join(f"{s}:" for s in _SECTIONS))
    for key in raw:
        if key not in _SECTIONS:
            near = difflib.get_close_matches(str(key), _SECTIONS, n=1)
            hint = f"did you mean '{near[0]}'?" if near else f"its sections: {', '.join(_SECTIONS)}"
            raise ConfigError(f"{path}: unknown section '{key}' ({hint})")
    return raw


@cache
def aliases() -> tuple[dict[str, dict[str, tuple[str, ...]]], frozenset[str]]:
    return load_aliases()


def reload() -> None:
    """Read config/aliases.yaml again (a kernel that stays open sees an edited file)."""
    aliases.cache_clear()
    header_lookup.cache_clear()
    _alias_words.cache_clear()
    word_hits.cache_clear()
    _unit_name_keys.cache_clear()


def columns(source: str) -> dict[str, tuple[str, ...]]:
    return aliases()[0][source]


def is_unused(header: str) -> bool:
    """A header the aliases file lists as knowingly unused (STT, Ghi chú, channel)."""
    return fold_key(header) in aliases()[1]


@cache
def _unit_name_keys() -> frozenset[str]:
    groups = _read(paths.ALIASES_FILE).get("groups") or {}
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


@cache
def _alias_words(source: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(column, alias, its words) for every spelling of ``source`` (the column name too)."""
    return tuple(
        (column, alias, words(alias))
        for column, spelled in columns(source).items()
        for alias in (column.replace("_", " "), *spelled)
    )


# How a header cell holds an alias of two words or more, strongest first: its words in a
# row ('Ngày sinh người khai báo' holds 'ngày sinh'), its words scattered (it also holds
# 'ngày ... khai báo'), or (three words or more) one word away. A weaker hit is taken only
# when no stronger one is there.
RUN, STRONG, WEAK = 3, 2, 1


def _holds_run(found: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    n = len(wanted)
    return any(found[i : i + n] == wanted for i in range(len(found) - n + 1))


@lru_cache(maxsize=1 << 14)
def word_hits(source: str, header: str) -> dict[str, tuple[str, int]]:
    """Column -> (alias, strength) for every column whose alias ``header`` holds by words
    (the first alias of each column that matches, strong before weak)."""
    if len(header) > MAX_HEADER_CHARS:
        return {}
    found = words(header)
    have = set(found)
    hits: dict[str, tuple[str, int]] = {}
    for column, alias, wanted in _alias_words(source):
        if len(wanted) >= 2 and set(wanted) <= have:
            strength = RUN if _holds_run(found, wanted) else STRONG
        elif len(wanted) >= 3 and _one_word_apart(found, wanted):
            strength = WEAK
        else:
            continue
        if hits.get(column, ("", 0))[1] < strength:
            hits[column] = (alias, strength)
    return hits


def _tier(strength: int) -> int:
    """Within one cell, holding every word of an alias (in a row or not) is one tier: a cell
    holding all the words of two columns' aliases names neither by itself."""
    return STRONG if strength >= STRONG else WEAK


def _cell_match(source: str, header: str, candidates: set[str]) -> tuple[str, str, int] | None:
    """(column, alias, strength) of the one candidate ``header`` names by words at its top
    tier; None when two columns could claim it as strongly."""
    hits = {c: h for c, h in word_hits(source, header).items() if c in candidates}
    if not hits:
        return None
    top = max(_tier(s) for _, s in hits.values())
    at = [(c, a, s) for c, (a, s) in hits.items() if _tier(s) == top]
    return at[0] if len(at) == 1 else None


def word_match(source: str, header: str, candidates: set[str]) -> tuple[str, str] | None:
    """(column, alias) when ``header`` holds every word of an alias of exactly one candidate
    column (aliases of two words or more), or else is one word away from an alias of three
    or more of exactly one."""
    hit = _cell_match(source, header, candidates)
    return (hit[0], hit[1]) if hit else None


def header_claims(cells: list, source: str) -> tuple[dict[int, str], dict[str, list[int]]]:
    """Position -> canonical column for one header row, exact spellings first, then words;
    and the columns two cells claim equally by words (column -> their positions), read by
    neither.

    A column is taken by one cell only. A cell holding an alias's words in a row outranks one
    holding them scattered, which outranks one a word away from an alias; two cells of the
    same rank make the column ambiguous. A column taken drops out of the other cells' hits,
    so 'Ngày sinh người khai báo' (the words of 'ngày sinh' and of 'ngày ... khai báo') is
    the date of birth once 'Thời gian nộp hồ sơ' is the submission time.
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
    hits = {
        pos: {c: s for c, (_, s) in word_hits(source, str(cell)).items() if c in missing}
        for pos, cell in enumerate(cells)
        if pos not in mapping and cell not in (None, "") and missing
    }
    while True:
        claims: dict[str, dict[int, list[int]]] = {}
        for pos, found in hits.items():
            if not found:
                continue
            top = max(_tier(s) for s in found.values())
            at = [c for c, s in found.items() if _tier(s) == top]
            if len(at) == 1:
                claims.setdefault(at[0], {}).setdefault(found[at[0]], []).append(pos)
        ambiguous: dict[str, list[int]] = {}
        for column, by_strength in claims.items():
            best = by_strength[max(by_strength)]
            if len(best) > 1:
                ambiguous[column] = best
                continue
            mapping[best[0]] = column
            del hits[best[0]]
            for found in hits.values():
                found.pop(column, None)
        if len(ambiguous) == len(claims):  # nothing taken this round: settled
            return dict(sorted(mapping.items())), ambiguous


def match_header(cells: list, source: str) -> dict[int, str]:
    """Position -> canonical column for one header row (:func:`header_claims`, the columns
    two cells claim left out)."""
    return header_claims(cells, source)[0]


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
