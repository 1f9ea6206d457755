"""One raw file as rows sorted into data, title, blank and totals, with the header row found
among the accepted spellings (shared by the CSV, workbook and Parquet readers)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

from helpers import DeliveryError, headers, normalize
from helpers.ingest.sources import (
    COLUMNS,
    HEADER_SEARCH_ROWS,
    ID_COLUMNS,
    ID_DISTINCT_SHARE,
    REQUIRED_COLUMNS,
    SKIP_KINDS,
)
from helpers.normalize.arrow import buffers, np_bool, valid_mask

_TOTALS_KEYS = frozenset({"tongcong", "tong", "cong", "tongso", "total", "totals", "grandtotal"})
# Cheap pre-filter on raw text (NFC or NFD) before the exact fold check.
_TOTALS_HINT = r"(?i)^\W*(t\S{1,5}ng(\s*(c\S{1,5}ng|s\S{1,3}))?|c\S{1,5}ng|(grand\s*)?totals?)\W*$"


header_lookup = headers.header_lookup


# ---------------------------------------------------------------- reading one file


@dataclass
class RawFile:
    """One raw file (or one data sheet of a workbook), rows sorted by kind."""

    source: str
    file: str  # relative to the raw folder (a workbook sheet: "<file>#<sheet>")
    sha256: str
    delivery: str
    header_row: int  # as the user sees it (spreadsheet row / CSV line); 0 = none (Parquet)
    header: dict[str, str]  # canonical column -> header text found
    rows: pa.Table  # data rows: canonical + extra columns (text) and source_row
    extra_columns: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_KINDS, 0))
    # a form the suite issued (helpers.ingest.read_form): its identity, and why it is refused
    form: dict | None = None

    @property
    def rows_read(self) -> int:
        return self.rows.num_rows + sum(self.skipped.values())


def bad_file(file: str, problem: str) -> DeliveryError:
    return DeliveryError(f"{file}: {problem}")


def _mask_digits(text: str) -> str:
    """Enough of a cell to recognise it, without personal numbers: digits become '#'."""
    text = re.sub(r"\d", "#", str(text))
    return text if len(text) <= 24 else text[:21] + "..."


_header_key = lru_cache(maxsize=8192)(headers.header_key)


def header_score(cells: list, lookup: dict[str, str]) -> tuple[int, dict[int, str]]:
    """Distinct canonical columns a row names, and position -> canonical (first match wins)."""
    mapping: dict[int, str] = {}
    seen: set[str] = set()
    for pos, cell in enumerate(cells):
        if cell is None:
            continue
        column = lookup.get(_header_key(str(cell)))
        if column and column not in seen:
            mapping[pos] = column
            seen.add(column)
    return len(seen), mapping


def word_header_score(cells: list, source: str) -> tuple[int, dict[int, str]]:
    """Distinct canonical columns a row names by exact spelling or by words."""
    mapping = headers.match_header(cells, source)
    return len(mapping), mapping


def find_header(rows: list[list], source: str, file: str) -> tuple[int, dict[int, str]]:
    """Index of the header row among the first rows, and position -> canonical column.

    Exact spellings pick the row; when no row names two columns that way (an export that
    writes its headers out in full: 'Mã hồ sơ khai báo'), the row naming most columns by
    their words is the header.
    """
    lookup = header_lookup(source)
    best: tuple[int, int, dict[int, str]] = (0, -1, {})
    for idx, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score, mapping = header_score(cells, lookup)
        if score > best[0]:
            best = (score, idx, mapping)
    if best[0] < 2:
        for idx, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
            score, mapping = word_header_score(cells, source)
            if score > best[0]:
                best = (score, idx, mapping)
    score, idx, mapping = best
    if score < 2:
        first = next((r for r in rows if any(c not in (None, "") for c in r)), None)
        found = (
            "the file holds no rows at all"
            if first is None
            else f"the first non-empty row has {sum(c not in (None, '') for c in first)} "
            f"cells, none a known column name (starts: "
            + ", ".join(repr(_mask_digits(c)) for c in first if c not in (None, ""))[:120]
            + ")"
        )
        raise bad_file(
            file,
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows; expected a row naming "
            f"the {source} columns ({', '.join(REQUIRED_COLUMNS[source])}, or their Vietnamese "
            f"names); {found}",
        )
    mapping, ambiguous = headers.header_claims(rows[idx], source)
    if ambiguous:
        column, positions = next(iter(ambiguous.items()))
        named = " and ".join(f"{get_column_letter(p + 1)} {str(rows[idx][p])!r}" for p in positions)
        raise bad_file(
            file,
            f"two columns could be {column}: {named} (header row {idx + 1}) both hold the "
            f"words of its spellings; add the one that is {column} to "
            f"sources.{source}.{column} in config/aliases.yaml (and the other to its own "
            "column, or to unused)",
        )
    missing = [c for c in REQUIRED_COLUMNS[source] if c not in mapping.values()]
    if missing:
        header_text = ", ".join(repr(str(c)) for c in rows[idx] if c not in (None, ""))
        raise bad_file(
            file,
            f"required column(s) missing: {', '.join(missing)} (or their Vietnamese names); "
            f"expected {', '.join(REQUIRED_COLUMNS[source])}; found header row "
            f"{idx + 1}: {header_text}; "
            + headers.missing_advice(source, missing, rows[idx], set(mapping)),
        )
    return idx, mapping


def _name_columns(
    header_cells: list, mapping: dict[int, str], width: int
) -> tuple[list[str], list[str]]:
    """Names for every position: canonical, else the header text (extra), else column_<letter>."""
    names: list[str] = []
    extras: list[str] = []
    taken = set(mapping.values())
    for pos in range(width):
        if pos in mapping:
            names.append(mapping[pos])
            continue
        cell = header_cells[pos] if pos < len(header_cells) else None
        text = normalize.clean_text(str(cell)) if cell not in (None, "") else ""
        name = text or f"column_{get_column_letter(pos + 1)}"
        while name in taken:
            name += "_2"
        taken.add(name)
        names.append(name)
        extras.append(name)
    return names, extras


def make_contiguous(columns: list) -> None:
    """One large_string chunk per column, in place: each column's chunks are freed as soon
    as it is copied, so the peak is the table plus one column, not two tables."""
    for i in range(len(columns)):
        columns[i] = as_large_strings(columns[i])
        release_memory()


def as_large_strings(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One chunk of large_string (pandas' own string layout), so later steps copy nothing."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if col.type != pa.large_string():
        col = col.cast(pa.large_string())
    return col


_SPACE_LEAD = np.zeros(256, dtype=bool)
_SPACE_LEAD[[9, 10, 11, 12, 13, 32, 0xC2, 0xE1, 0xE2, 0xE3, 0xEF]] = True


def _empty_mask(col: pa.Array) -> np.ndarray:
    """True where a cell is missing, empty or whitespace only (col: large_string)."""
    off, data = buffers(col)
    lens = np.diff(off)
    empty = lens == 0
    if col.null_count:
        empty |= ~valid_mask(col)
    # whitespace-only cells start with a whitespace byte: only those go through the kernel
    maybe = ~empty
    maybe[maybe] = _SPACE_LEAD[data[off[:-1][maybe]]]
    if maybe.any():
        sub = pc.utf8_trim_whitespace(col.filter(pa.array(maybe)))
        empty[maybe] = np_bool(pc.equal(pc.binary_length(sub), 0))
    return empty


# first and last byte a totals label ('Tổng cộng', 'TỔNG SỐ', 'Cộng', 'Total:') can have
_TOTALS_FIRST = np.zeros(256, dtype=bool)
_TOTALS_FIRST[[ord(c) for c in "TtCcGg"]] = True
_TOTALS_LAST = np.zeros(256, dtype=bool)
_TOTALS_LAST[[ord(c) for c in "gGlLsSoO:"] + [0x91, 0x8C]] = True


def _totals_mask(table: pa.Table) -> np.ndarray:
    """Rows with a 'Tổng cộng' / 'Total' label cell: byte pre-filter, regex, exact fold check."""
    hit = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        col = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        off, data = buffers(col)
        lens = np.diff(off)
        cand = (lens > 0) & (lens <= 40)
        idx = np.flatnonzero(cand)
        idx = idx[_TOTALS_FIRST[data[off[idx]]] & _TOTALS_LAST[data[off[idx + 1] - 1]]]
        if not len(idx):
            continue
        texts = col.take(pa.array(idx))
        hint = np_bool(pc.match_substring_regex(texts, pattern=_TOTALS_HINT))
        idx, texts = idx[hint], texts.filter(pa.array(hint)).to_pylist()
        ok = np.array([normalize.fold_key(t) in _TOTALS_KEYS for t in texts], dtype=bool)
        hit[idx[ok]] = True
    return hit


_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str"
TEXT_TYPES = {pa.large_string(): _TEXT, pa.string(): _TEXT, pa.null(): _TEXT}


def assemble(
    *,
    source: str,
    file: str,
    sha256: str,
    delivery: str,
    header_cells: list,
    mapping: dict[int, str],
    header_row: int,
    title_rows: int,
    body: pa.Table,
    lines: np.ndarray,
) -> RawFile:
    """Name the body's columns, drop empty unnamed ones, sort rows into data/blank/totals."""
    _check_guessed_id(source, file, header_cells, mapping, body)
    names, extras = _name_columns(header_cells, mapping, body.num_columns)
    body = pa.table({f"c{i}": as_large_strings(c) for i, c in enumerate(body.columns)})
    keep = [
        i
        for i, name in enumerate(names)
        if name not in extras
        or not name.startswith("column_")
        or not _empty_mask(body.column(i).chunk(0)).all()
    ]
    body = body.select(keep).rename_columns([names[i] for i in keep])
    extras = [e for e in extras if e in body.column_names]
    blank = np.ones(body.num_rows, dtype=bool)
    for col in body.columns:
        # after the first column only the few rows still blank are looked at
        cells = col.chunk(0) if blank.all() else col.chunk(0).filter(pa.array(blank))
        blank[blank] = _empty_mask(cells)
        if not blank.any():
            break
    totals = _totals_mask(body) & ~blank
    data = ~blank & ~totals
    if not data.all():
        body = body.filter(pa.array(data))
    for column in COLUMNS[source]:
        if column not in body.column_names:
            body = body.append_column(column, pa.nulls(body.num_rows, pa.large_string()))
    body = body.append_column("source_row", pa.array(lines[data].astype(np.int64)))
    return RawFile(
        source=source,
        file=file,
        sha256=sha256,
        delivery=delivery,
        header_row=header_row,
        header={c: str(header_cells[p]) for p, c in mapping.items()},
        rows=body,
        extra_columns=extras,
        skipped={"title": title_rows, "blank": int(blank.sum()), "totals": int(totals.sum())},
    )


def _check_guessed_id(
    source: str, file: str, header_cells: list, mapping: dict[int, str], body: pa.Table
) -> None:
    """A header read as the source's ID column by its words only must hold IDs: mostly
    distinct values. 'Kênh tiếp nhận' is one word from 'mã tiếp nhận', but its "iHanoi" on
    every row taken as the submission ID made every row a conflict."""
    column = ID_COLUMNS.get(source)
    pos = next((p for p, c in mapping.items() if c == column), None)
    if column is None or pos is None or pos >= body.num_columns:
        return
    text = str(header_cells[pos])
    if header_lookup(source).get(_header_key(text)) == column:
        return  # an accepted spelling: no guess
    cells = pc.utf8_trim_whitespace(as_large_strings(body.column(pos)))
    filled = cells.filter(pc.greater(pc.binary_length(cells), 0))
    distinct = pc.count_distinct(filled).as_py()
    if len(filled) < 3 or distinct >= ID_DISTINCT_SHARE * len(filled):
        return
    counts = pc.value_counts(filled)
    common = counts.field("values")[
        pc.index(counts.field("counts"), pc.max(counts.field("counts"))).as_py()
    ].as_py()
    alias = (headers.word_match(source, text, {column}) or ("", ""))[1]
    raise bad_file(
        file,
        f"header {text!r} (column {get_column_letter(pos + 1)}) would be read as {column} by "
        f"its words (like {alias!r}), but it holds {distinct} distinct value"
        f"{'s' if distinct != 1 else ''} in {len(filled)} rows (most often "
        f"{_mask_digits(common)!r}): {column} holds one value per row. Add the header of the "
        f"real {column} to sources.{source}.{column} in config/aliases.yaml, and {text!r} to "
        "unused there",
    )


def release_memory() -> None:
    """Hand memory Arrow freed back to the system between steps (its allocator keeps freed
    pages for reuse), so one big source's peak does not add to the next one's."""
    pa.default_memory_pool().release_unused()
