"""Ingest: a week's raw deliveries -> clean typed tables, rejects and a balanced ledger.

Steps (each a function the notebook can call on its own):

1. :func:`locate_sources` picks, for every source, the newest delivery folder on or before the
   week that holds it.
2. :func:`read_file` reads one raw file (CSV in UTF-8 / UTF-8-BOM / cp1258 with ``,`` or ``;``,
   gzip, xlsx with title blocks and merged cells, Parquet), finds the header row among
   canonical names and Vietnamese aliases, and sorts every row into data, title, blank or
   totals, with the row number a user sees in the file.
3. :func:`validate` normalises and checks one file's data rows (docs/rules.md) and splits them
   into accepted typed rows and rejects (one reject row per problem).
4. :func:`ingest_week` runs all of it, checks that every file balances (rows read = accepted +
   rejected + skipped) and swaps the week's processed folder in atomically.

Everything per record is vectorised (pyarrow kernels, once-per-distinct-value maps); the only
Python loops run per file, per column, per distinct value, or over rows pyarrow could not
split (ragged CSV lines) and the cells openpyxl hands over.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache, lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from openpyxl.utils import get_column_letter

from helpers import DeliveryError, PipelineError, i18n, normalize, store
from helpers.paths import Workspace
from helpers.statuses import REJECT_REASONS
from helpers.units import resolve_units
from helpers.workers import process_pool

SOURCE_NAMES: tuple[str, ...] = (
    "registry_vehicles",
    "registry_licences",
    "population",
    "submissions",
    "unit_reports",
    "organizations",
)
# ".csv.gz" before ".csv": the longer suffix decides.
RAW_FORMATS: tuple[str, ...] = (".csv.gz", ".csv", ".xlsx", ".parquet")
HEADER_SEARCH_ROWS = 30  # the header row must sit within the first rows of a file
SKIP_KINDS: tuple[str, ...] = ("title", "blank", "totals")

# ---------------------------------------------------------------- column names and aliases

_UNIT = ("mã đơn vị", "đơn vị", "xã/phường", "phường/xã", "xã, phường", "phường, xã",
         "mã xã", "mã phường", "mã xã/phường", "unit", "unit code", "công an xã/phường")
_PERSON_ID = ("số định danh", "số cccd", "cccd/cmnd", "cccd", "số cccd/cmnd", "cmnd/cccd",
              "số định danh cá nhân", "mã định danh", "số cmnd/cccd", "citizen id", "id number")
_DOB = ("ngày sinh", "năm sinh", "ngày/năm sinh", "ngày tháng năm sinh", "date of birth", "dob")
_NAME = ("họ và tên", "họ tên", "tên", "full name", "name")
_PLATE = ("biển số", "biển kiểm soát", "bks", "biển số xe", "biển đăng ký")
_CHASSIS = ("số khung", "số khung xe")
_LICENCE_NO = ("số gplx", "số giấy phép lái xe", "số giấy phép", "licence number", "license no")

COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "registry_vehicles": {
        "record_id": ("mã hồ sơ", "mã hs", "record id"),
        "unit_code": _UNIT,
        "plate": _PLATE,
        "vehicle_type": ("loại xe", "loại phương tiện"),
        "chassis_no": _CHASSIS,
        "engine_no": ("số máy", "số động cơ"),
        "registered_on": ("ngày đăng ký", "ngày đăng kí"),
        "owner_kind": ("loại chủ xe", "loại chủ sở hữu"),
        "owner_name": ("chủ xe", "tên chủ xe", "họ tên chủ xe", "họ và tên chủ xe", *_NAME),
        "owner_id": (*_PERSON_ID, "mã số thuế", "số định danh/mã số thuế", "cccd/mst"),
        "owner_dob": _DOB,
        "owner_address": ("địa chỉ", "địa chỉ chủ xe", "address"),
    },
    "registry_licences": {
        "record_id": ("mã hồ sơ", "mã hs", "record id"),
        "unit_code": _UNIT,
        "licence_no": _LICENCE_NO,
        "licence_class": ("hạng", "hạng gplx", "hạng xe", "class"),
        "holder_name": ("người lái", "tên người lái", "chủ gplx", *_NAME),
        "holder_id": _PERSON_ID,
        "holder_dob": _DOB,
        "issued_on": ("ngày cấp", "ngày cấp gplx"),
        "expires_on": ("ngày hết hạn", "có giá trị đến", "hạn sử dụng", "giá trị đến"),
    },
    "population": {
        "citizen_id": _PERSON_ID,
        "full_name": _NAME,
        "dob": _DOB,
        "gender": ("giới tính", "sex"),
        "unit_code": ("nơi thường trú", "thường trú", "mã đơn vị thường trú", *_UNIT),
        "status": ("trạng thái", "tình trạng", "tình trạng sống"),
    },
    "submissions": {
        "submission_id": ("mã yêu cầu", "mã tiếp nhận", "mã phiếu", "mã hồ sơ", "mã khai báo"),
        "submitted_at": ("thời gian gửi", "ngày gửi", "thời điểm gửi", "ngày nộp",
                         "thời gian nộp", "thời gian khai báo", "ngày khai báo"),
        "kind": ("loại", "loại hồ sơ", "loại yêu cầu", "phân loại", "loại khai báo"),
        "citizen_id": _PERSON_ID,
        "full_name": _NAME,
        "dob": _DOB,
        "phone": ("số điện thoại", "điện thoại", "sđt", "sdt", "phone number"),
        "plate": _PLATE,
        "chassis_no": _CHASSIS,
        "declared_status": ("tình trạng xe", "tình trạng khai báo", "trạng thái xe",
                            "tình trạng phương tiện", "tình trạng"),
        "licence_no": _LICENCE_NO,
        "unit_code": _UNIT,
        "review_status": ("trạng thái duyệt", "kết quả duyệt", "trạng thái xử lý",
                          "kết quả xử lý", "trạng thái"),
        "reviewed_at": ("ngày duyệt", "thời gian duyệt", "thời gian xử lý", "ngày xử lý"),
        "reject_reason": ("lý do từ chối", "lý do"),
    },
    "unit_reports": {
        "report_date": ("ngày báo cáo", "ngày", "date"),
        "unit_code": _UNIT,
        "vehicles_collected": ("số xe thu thập", "xe thu thập", "số xe đã thu thập",
                               "số phương tiện thu thập", "xe tiếp nhận", "số xe tiếp nhận"),
        "vehicles_approved": ("số xe đã duyệt", "xe đã duyệt", "số xe được duyệt",
                              "số phương tiện đã duyệt"),
        "licences_collected": ("số gplx thu thập", "gplx thu thập", "số gplx đã thu thập",
                               "gplx tiếp nhận", "số gplx tiếp nhận"),
        "licences_cleaned": ("số gplx làm sạch", "gplx làm sạch", "gplx đã làm sạch",
                             "số gplx đã làm sạch"),
    },
    "organizations": {
        "org_id": ("mã số thuế", "mst", "mã doanh nghiệp", "mã tổ chức"),
        "org_name": ("tên tổ chức", "tên doanh nghiệp", "tên cơ quan", "tên cơ quan/doanh nghiệp",
                     "tên"),
        "org_type": ("loại hình", "loại tổ chức", "loại hình tổ chức", "loại"),
        "unit_code": _UNIT,
        "dispatch_sent_on": ("ngày gửi công văn", "ngày gửi văn bản", "ngày gửi"),
        "worked_directly": ("làm việc trực tiếp", "đã làm việc trực tiếp"),
        "vehicles_counted": ("số xe thống kê", "số phương tiện thống kê", "xe thống kê",
                             "số xe đã thống kê"),
        "vehicles_declared": ("số xe đã khai báo", "xe đã khai báo", "số xe khai báo",
                              "số phương tiện đã khai báo"),
    },
}

# Columns a file must have (rules.md, required fields); the run stops when one is missing.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "registry_vehicles": ("record_id", "unit_code", "plate", "vehicle_type", "owner_kind"),
    "registry_licences": ("record_id", "unit_code", "licence_no", "licence_class", "issued_on"),
    "population": ("citizen_id", "full_name", "dob", "unit_code", "status"),
    "submissions": ("submission_id", "submitted_at", "kind", "unit_code", "review_status"),
    "unit_reports": ("report_date", "unit_code", "vehicles_collected", "vehicles_approved",
                     "licences_collected", "licences_cleaned"),
    "organizations": ("org_id", "org_name", "org_type", "unit_code"),
}

# The key whose second and later occurrences in a file are rejected as duplicates.
DUPLICATE_KEYS: dict[str, str] = {
    "registry_vehicles": "record_id",
    "registry_licences": "record_id",
    "population": "citizen_id",
    "submissions": "submission_id",
}

# Cells that mark a totals row ("Tổng cộng"), as fold keys.
_TOTALS_KEYS = frozenset({"tongcong", "tong", "cong", "tongso", "total", "totals", "grandtotal"})
# Cheap pre-filter on raw text (NFC or NFD) before the exact fold check.
_TOTALS_HINT = r"(?i)^\W*(t\S{1,5}ng(\s*(c\S{1,5}ng|s\S{1,3}))?|c\S{1,5}ng|(grand\s*)?totals?)\W*$"


@cache
def header_lookup(source: str) -> dict[str, str]:
    """Every accepted header spelling of ``source`` (as a fold key) -> canonical column."""
    table: dict[str, str] = {}
    for column, aliases in COLUMNS[source].items():
        for spelled in (column, column.replace("_", " "), *aliases):
            table.setdefault(normalize.fold_key(spelled), column)
    # canonical names always win over another column's alias
    for column in COLUMNS[source]:
        table[normalize.fold_key(column)] = column
    return table


# ---------------------------------------------------------------- locating the files


@dataclass(frozen=True)
class SourceFiles:
    """Where one source comes from this week."""

    source: str
    delivery: str  # folder name, YYYY-MM-DD: the last day that delivery covers
    files: tuple[Path, ...]


def _raw_format(path: Path) -> str | None:
    name = path.name.lower()
    return next((ext for ext in RAW_FORMATS if name.endswith(ext)), None)


def _usable(path: Path) -> bool:
    """Data files only: no hidden files, no Excel lock files (~$...)."""
    return path.is_file() and not path.name.startswith((".", "~$")) and _raw_format(path) is not None


def _files_in(folder: Path, source: str) -> list[Path]:
    files = [
        p for p in sorted(folder.iterdir())
        if _usable(p) and p.name.lower()[: -len(_raw_format(p) or "")] == source
    ]
    if len(files) > 1:
        raise DeliveryError(
            f"{folder}: source '{source}' is delivered more than once "
            f"({', '.join(p.name for p in files)}); keep one file per source"
        )
    if source == "unit_reports" and (folder / "unit_reports").is_dir():
        files += [p for p in sorted((folder / "unit_reports").iterdir()) if _usable(p)]
    return files


def locate_sources(ws: Workspace, week: str) -> dict[str, SourceFiles]:
    """For every source, the files of the newest delivery folder dated on or before ``week``."""
    folders = [d for d in ws.deliveries() if d <= week]
    found: dict[str, SourceFiles] = {}
    for source in SOURCE_NAMES:
        for delivery in reversed(folders):
            files = _files_in(ws.delivery(delivery), source)
            if files:
                found[source] = SourceFiles(source, delivery, tuple(files))
                break
        else:
            searched = ", ".join(folders) or "none"
            raise DeliveryError(
                f"source '{source}' not found for week {week}: no delivery folder up to that "
                f"week holds {source}.csv/.csv.gz/.xlsx/.parquet"
                + (" or unit_reports/*.xlsx" if source == "unit_reports" else "")
                + f" (folders searched in {ws.raw}: {searched})"
            )
    return found


def sources_table(
    located: dict[str, SourceFiles], ws: Workspace, lang: str | None = None
) -> pd.DataFrame:
    """One row per source: delivery folder, number of files, file (relative to the raw
    folder), size.

    With ``lang`` the column labels come from the catalogue (section ``ingest``).
    """
    rows = []
    for where in located.values():
        names = [_relative(ws, p) for p in where.files]
        folders = sorted({n.rsplit("/", 1)[0] for n in names})
        rows.append({
            "source": where.source,
            "delivery": where.delivery,
            "files": len(names),
            # one file by name; a folder of workbooks as "<folder>/ (n files)"
            "file": names[0] if len(names) == 1 else f"{', '.join(folders)}/ ({len(names)})",
            "size_mb": round(sum(p.stat().st_size for p in where.files) / 1e6, 2),
        })
    table = pd.DataFrame(rows, columns=["source", "delivery", "files", "file", "size_mb"])
    return _labelled(table, lang)


def _labelled(table: pd.DataFrame, lang: str | None) -> pd.DataFrame:
    if lang is None:
        return table
    return table.rename(columns=lambda c: i18n.t(f"ingest.{c}", lang))


def _relative(ws: Workspace, path: Path) -> str:
    try:
        return path.resolve().relative_to(ws.raw.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


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

    @property
    def rows_read(self) -> int:
        return self.rows.num_rows + sum(self.skipped.values())


def _bad_file(file: str, problem: str) -> DeliveryError:
    return DeliveryError(f"{file}: {problem}")


def _mask_digits(text: str) -> str:
    """Enough of a cell to recognise it, without personal numbers: digits become '#'."""
    text = re.sub(r"\d", "#", str(text))
    return text if len(text) <= 24 else text[:21] + "..."


@lru_cache(maxsize=8192)
def _header_key(cell: str) -> str:
    return normalize.fold_key(cell) if len(cell) <= 80 else ""


def _score(cells: list, lookup: dict[str, str]) -> tuple[int, dict[int, str]]:
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


def _find_header(rows: list[list], source: str, file: str) -> tuple[int, dict[int, str]]:
    """Index of the header row among the first rows, and position -> canonical column."""
    lookup = header_lookup(source)
    best = (0, -1, {})
    for idx, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score, mapping = _score(cells, lookup)
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
        raise _bad_file(
            file,
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows; expected a row naming "
            f"the {source} columns ({', '.join(REQUIRED_COLUMNS[source])}, or their Vietnamese "
            f"names); {found}",
        )
    missing = [c for c in REQUIRED_COLUMNS[source] if c not in mapping.values()]
    if missing:
        header_text = ", ".join(repr(str(c)) for c in rows[idx] if c not in (None, ""))
        raise _bad_file(
            file,
            f"required column(s) missing: {', '.join(missing)} (or their Vietnamese names); "
            f"expected {', '.join(REQUIRED_COLUMNS[source])}; found header row "
            f"{idx + 1}: {header_text}",
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


def _make_contiguous(columns: list) -> None:
    """One large_string chunk per column, in place: each column's chunks are freed as soon
    as it is copied, so the peak is the table plus one column, not two tables."""
    for i in range(len(columns)):
        columns[i] = _large(columns[i])
        _release_memory()


def _large(col: pa.Array | pa.ChunkedArray) -> pa.Array:
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
    off, data = normalize._buffers(col)
    lens = np.diff(off)
    empty = lens == 0
    if col.null_count:
        empty |= ~normalize._valid(col)
    # whitespace-only cells start with a whitespace byte: only those go through the kernel
    maybe = ~empty
    maybe[maybe] = _SPACE_LEAD[data[off[:-1][maybe]]]
    if maybe.any():
        sub = pc.utf8_trim_whitespace(col.filter(pa.array(maybe)))
        empty[maybe] = normalize._np_bool(pc.equal(pc.binary_length(sub), 0))
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
        off, data = normalize._buffers(col)
        lens = np.diff(off)
        cand = (lens > 0) & (lens <= 40)
        idx = np.flatnonzero(cand)
        idx = idx[_TOTALS_FIRST[data[off[idx]]] & _TOTALS_LAST[data[off[idx + 1] - 1]]]
        if not len(idx):
            continue
        texts = col.take(pa.array(idx))
        hint = normalize._np_bool(pc.match_substring_regex(texts, pattern=_TOTALS_HINT))
        idx, texts = idx[hint], texts.filter(pa.array(hint)).to_pylist()
        ok = np.array([normalize.fold_key(t) in _TOTALS_KEYS for t in texts], dtype=bool)
        hit[idx[ok]] = True
    return hit


_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str"
_TEXT_TYPES = {pa.large_string(): _TEXT, pa.string(): _TEXT, pa.null(): _TEXT}


def _assemble(
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
    names, extras = _name_columns(header_cells, mapping, body.num_columns)
    body = pa.table({f"c{i}": _large(c) for i, c in enumerate(body.columns)})
    keep = [
        i for i, name in enumerate(names)
        if name not in extras or not name.startswith("column_")
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


# ---- CSV


def _sha256(path: Path) -> str:
    """SHA-256 of a file as delivered, read in chunks (hashlib releases the GIL meanwhile)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class _CsvInput:
    """The bytes of a .csv / .csv.gz, streamed: a big file is never one Python object."""

    path: Path
    file: str

    @property
    def gz(self) -> bool:
        return self.path.name.lower().endswith(".gz")

    def _fail(self, exc: Exception) -> DeliveryError:
        if self.gz:
            return _bad_file(self.file, f"unreadable: expected a gzip-compressed CSV ({exc})")
        return _bad_file(self.file, f"cannot be read ({exc})")

    def head(self, size: int) -> bytes:
        try:
            with (gzip.open(self.path, "rb") if self.gz else self.path.open("rb")) as fh:
                return fh.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise self._fail(exc) from exc

    def everything(self) -> bytes:
        try:
            raw = self.path.read_bytes()
            return gzip.decompress(raw) if self.gz else raw
        except (OSError, EOFError, zlib.error) as exc:
            raise self._fail(exc) from exc

    def stream(self, skip: int) -> pa.NativeFile:
        """Positioned ``skip`` (decompressed) bytes into the file."""
        try:
            if self.gz:
                stream = pa.CompressedInputStream(pa.OSFile(str(self.path)), "gzip")
                stream.read(skip)
            else:
                # a plain file stream, not a memory map: mapped pages would count as memory
                stream = pa.OSFile(str(self.path))
                stream.seek(skip)
        except (OSError, pa.ArrowException) as exc:
            raise self._fail(exc) from exc
        return stream


_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 24


def _head_is_utf8(head: bytes) -> bool:
    """Whether the first bytes are UTF-8 (a character cut at the end does not count)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def _cp1258_to_utf8(data: bytes | memoryview) -> bytes:
    """Windows-1258 -> UTF-8, chunk by chunk so a big file is never one Python string."""
    decoder = codecs.getincrementaldecoder("cp1258")(errors="replace")
    view = memoryview(data)
    parts = [
        decoder.decode(view[i : i + _CHUNK], final=i + _CHUNK >= len(view)).encode("utf-8")
        for i in range(0, len(view), _CHUNK)
    ]
    return b"".join(parts)


def _split_lines(lines: list[str], delimiter: str) -> list[list[str]]:
    """Each of the first lines split on its own (a quote left open spills into nothing)."""
    out = []
    for line in lines:
        try:
            out.append(next(csv.reader([line], delimiter=delimiter), []))
        except csv.Error:
            out.append([line])
    return out


def _sniff(lines: list[str], source: str) -> str:
    """The delimiter under which one of the first lines names the most known columns."""
    lookup = header_lookup(source)
    best: tuple[int, int, str] = (0, 0, ",")
    for delimiter in (",", ";", "\t", "|"):
        for idx, cells in enumerate(_split_lines(lines, delimiter)):
            score, _ = _score(cells, lookup)
            if (score, -idx) > (best[0], -best[1]):
                best = (score, idx, delimiter)
    return best[2]


def _read_csv(path: Path, ws: Workspace, source: str, delivery: str) -> RawFile:
    file = _relative(ws, path)
    source_input = _CsvInput(path, file)
    with ThreadPoolExecutor(1) as pool:
        digest = pool.submit(_sha256, path)  # hashed while the file is parsed
        head = source_input.head(1 << 16)
        start = len(_BOM) if head.startswith(_BOM) else 0
        if _NON_SPACE.search(head, start) is None and len(head) < (1 << 16):
            raise _bad_file(file, "empty: expected a header row and data rows, found no content")
        parse = partial(_parse_csv, file=file, source=source, delivery=delivery)
        if start == 0 and not _head_is_utf8(head):
            raw = parse(_cp1258_to_utf8(source_input.everything()), 0, streamed=None)
        else:
            try:
                raw = parse(head, start, streamed=source_input)
            except UnicodeError:
                # UTF-8 at the top, something else further down: the file is Windows-1258
                everything = memoryview(source_input.everything())[start:]
                raw = parse(_cp1258_to_utf8(everything), 0, streamed=None)
        raw.sha256 = digest.result()
    return raw


_NON_SPACE = re.compile(rb"\S")


def _chunks(column: pa.ChunkedArray):
    """(first row, chunk) of every chunk of a column."""
    start = 0
    for chunk in column.chunks:
        yield start, chunk
        start += len(chunk)


def _holds_newline(column: pa.ChunkedArray) -> bool:
    return any(normalize._buffers(c)[1].tobytes().find(b"\n") >= 0 for c in column.chunks)


def _arrow_csv(
    body: pa.NativeFile, delimiter: str, width: int, file: str, *, fast: bool
) -> tuple[list[pa.ChunkedArray], list[tuple[int, str]]]:
    """Every field as text (a list of columns the caller owns); rows of another width than
    the header's set aside with their row ordinal (known when single-threaded) and text."""
    ragged: list[tuple[int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        ragged.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            body,
            read_options=pacsv.ReadOptions(
                use_threads=fast, column_names=[f"f{i}" for i in range(width)],
                block_size=_CHUNK,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=not fast, ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(width)},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower() or "utf-8" in str(exc).lower():
            raise UnicodeError(str(exc)) from exc
        raise _bad_file(file, f"unreadable as CSV ({exc})") from exc
    except (OSError, pa.ArrowException) as exc:  # e.g. a gzip stream broken mid-way
        raise _bad_file(file, f"unreadable ({exc})") from exc
    finally:
        body.close()
    columns = table.columns
    del table
    return columns, ragged


def _parse_csv(
    data: bytes, start: int, *, streamed: _CsvInput | None, file: str, source: str,
    delivery: str,
) -> RawFile:
    """Parse UTF-8 CSV from ``start`` (after a BOM); raises UnicodeError on bad UTF-8.

    ``data`` is the whole file, or only its head when the body is ``streamed`` from disk.
    """
    raw_lines = data[start : start + (1 << 16)].split(b"\n")[:HEADER_SEARCH_ROWS]
    lines = [ln.decode("utf-8", errors="replace").rstrip("\r") for ln in raw_lines]
    delimiter = _sniff(lines, source)
    rows = _split_lines(lines, delimiter)
    idx, mapping = _find_header(rows, source, file)
    header_cells = rows[idx]
    # data start: the byte after the header line (title lines hold no quoted newlines)
    offset = start + sum(len(ln) + 1 for ln in raw_lines[: idx + 1])
    width = len(header_cells)
    whole = streamed is None or len(data) < (1 << 16)  # the head is the whole file
    if whole and (offset >= len(data) or _NON_SPACE.search(data, offset) is None):
        columns: list = [pa.array([], pa.large_string()) for _ in range(width)]
        ragged: list[tuple[int, str]] = []
    else:
        def body() -> pa.NativeFile:
            if streamed is None:
                return pa.BufferReader(pa.py_buffer(data).slice(offset))
            return streamed.stream(offset)

        # Fast first: both cores, blocks cut at line ends. Rows of another width only get
        # their numbers single-threaded, and blocks may only be cut safely at line ends when
        # no value holds a line break: either case reads the file again, exactly.
        try:
            columns, ragged = _arrow_csv(body(), delimiter, width, file, fast=True)
            exact = bool(ragged) or any(_holds_newline(c) for c in columns)
        except DeliveryError:
            exact = True
        if exact:
            columns = []
            columns, ragged = _arrow_csv(body(), delimiter, width, file, fast=False)
    _make_contiguous(columns)
    table = pa.table({f"c{i}": c for i, c in enumerate(columns)})
    del columns
    n_total = table.num_rows + len(ragged)
    ragged_no = np.array([n for n, _ in ragged], dtype=np.int64)
    ordinal = np.ones(n_total, dtype=bool)
    ordinal[ragged_no - 1] = False
    # line span of every row: 1 + newlines inside its quoted values
    spans = np.ones(n_total, dtype=np.int64)
    if table.num_rows:
        inner = np.zeros(table.num_rows, dtype=np.int64)
        for column in table.columns:
            for chunk_start, chunk in _chunks(column):
                _, raw = normalize._buffers(chunk)
                if raw.tobytes().find(b"\n") < 0:  # memchr: most columns hold no newline
                    continue
                counts = pc.count_substring(chunk, "\n").to_numpy(zero_copy_only=False)
                inner[chunk_start : chunk_start + len(chunk)] += np.asarray(counts)
        spans[ordinal] += inner
        spans[~ordinal] += np.array([t.count("\n") for _, t in ragged], dtype=np.int64)
    starts = idx + 2 + np.concatenate([[0], np.cumsum(spans)[:-1]])
    lines_of = starts[ordinal]
    if ragged:
        # rows pyarrow could not split into the header's width: pad short ones, keep the
        # surplus of long ones as extra unnamed columns
        parsed = [next(csv.reader(io.StringIO(t), delimiter=delimiter), []) for _, t in ragged]
        wide = max(width, max(len(p) for p in parsed))
        extra = pa.table(
            {f"c{i}": pa.array([p[i] if i < len(p) else "" for p in parsed], pa.large_string())
             for i in range(wide)}
        )
        for i in range(width, wide):
            table = table.append_column(
                f"c{i}", pa.array([""] * table.num_rows, pa.large_string()))
        table = pa.concat_tables([table, extra])
        lines_all = np.concatenate([lines_of, starts[~ordinal]])
        order = np.argsort(lines_all, kind="stable")
        table = table.take(pa.array(order))
        lines_of = lines_all[order]
    return _assemble(
        source=source, file=file, sha256="", delivery=delivery,
        header_cells=header_cells, mapping=mapping, header_row=idx + 1, title_rows=idx,
        body=table, lines=lines_of,
    )


# ---- xlsx


def _cell_text(value: object) -> str | None:
    """One spreadsheet cell as text: dates ISO, whole floats without '.0', empty -> None."""
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_MERGE = re.compile(rb'<mergeCell[^>]*ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _merged_ranges(archive: zipfile.ZipFile, member: str) -> list[tuple[int, int, int, int]]:
    """(first row, first col, last row, last col), 0-based, of every merged range of a sheet."""
    xml = archive.read(member)
    return [
        (int(r1) - 1, _col_index(c1), int(r2) - 1, _col_index(c2))
        for c1, r1, c2, r2 in _MERGE.findall(xml)
    ]


def _sheet_grid(sheet, archive: zipfile.ZipFile | None) -> list[list[str | None]]:
    """Every row of a sheet from row 1 as text cells, merged ranges filled with their value.

    Plain lists: workbooks are small (a unit's days) or bounded by Excel's row limit, and
    openpyxl hands over one cell at a time anyway.
    """
    sheet.reset_dimensions()  # some writers store a wrong <dimension>; read what is there
    grid = [
        [_cell_text(v) for v in row]
        for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)
    ]
    width = max((len(r) for r in grid), default=0)
    for row in grid:
        row.extend([None] * (width - len(row)))
    if archive is not None and grid:
        for r1, c1, r2, c2 in _merged_ranges(archive, sheet._worksheet_path.lstrip("/")):
            if r1 >= len(grid) or c1 >= width:
                continue
            value = grid[r1][c1]
            for r in range(r1, min(r2, len(grid) - 1) + 1):
                grid[r][c1 : min(c2, width - 1) + 1] = [value] * (min(c2, width - 1) + 1 - c1)
    return grid


def _read_xlsx(path: Path, ws: Workspace, source: str, delivery: str) -> list[RawFile]:
    from openpyxl import load_workbook

    file = _relative(ws, path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _bad_file(file, f"cannot be read ({exc.strerror or exc})") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if not raw:
        raise _bad_file(file, "empty: expected an Excel workbook, found a file of 0 bytes")
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise _bad_file(file, f"unreadable: expected an Excel .xlsx workbook ({exc})") from exc
    sheets: list[tuple[str, list, int, dict[int, str]]] = []
    first_error: DeliveryError | None = None
    try:
        for sheet in book.worksheets:
            grid = _sheet_grid(sheet, archive)
            if not any(c is not None and c.strip() for row in grid for c in row):
                continue
            label = f"{file} (sheet '{sheet.title}')" if len(book.worksheets) > 1 else file
            try:
                idx, mapping = _find_header(grid[:HEADER_SEARCH_ROWS], source, label)
            except DeliveryError as exc:
                first_error = first_error or exc
                continue
            sheets.append((sheet.title, grid, idx, mapping))
    finally:
        book.close()
    if not sheets:
        raise first_error or _bad_file(
            file, "empty: expected a header row and data rows, found no cells with values"
        )
    out = []
    for title, grid, idx, mapping in sheets:
        width = len(grid[idx])
        columns = list(zip(*grid[idx + 1 :], strict=True)) or [()] * width
        table = pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})
        out.append(
            _assemble(
                source=source,
                file=file if len(sheets) == 1 else f"{file}#{title}",
                sha256=digest, delivery=delivery,
                header_cells=grid[idx], mapping=mapping, header_row=idx + 1,
                title_rows=idx, body=table, lines=np.arange(idx + 2, len(grid) + 1),
            )
        )
    return out


# ---- Parquet


def _read_parquet(path: Path, ws: Workspace, source: str, delivery: str) -> RawFile:
    file = _relative(ws, path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise _bad_file(file, f"unreadable: expected a Parquet file ({exc})") from exc
    header = list(table.column_names)
    _, mapping = _find_header([header], source, file)
    columns = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
        elif pa.types.is_floating(col.type):
            # whole floats (IDs, counts that went through a float column) without '.0'
            whole = pc.equal(pc.floor(col), col)
            col = pc.if_else(whole, pc.cast(pc.cast(col, pa.int64(), safe=False), pa.string()),
                             pc.cast(col, pa.string()))
        columns.append(pc.cast(col, pa.string()))
    body = pa.table({f"c{i}": c for i, c in enumerate(columns)}) if columns else pa.table({})
    if body.num_rows == 0:
        raise _bad_file(file, "empty: the Parquet file holds a header but no rows")
    # A Parquet file has no header line; its rows are numbered like the same table as CSV
    # (header = row 1, first record = row 2), as docs/data-contract.md says.
    return _assemble(
        source=source, file=file, sha256=digest, delivery=delivery, header_cells=header,
        mapping=mapping, header_row=1, title_rows=0, body=body,
        lines=np.arange(2, body.num_rows + 2),
    )


def read_file(ws: Workspace, source: str, path: Path, delivery: str) -> list[RawFile]:
    """Read one raw file of ``source``; a workbook gives one :class:`RawFile` per data sheet.

    Raises :class:`DeliveryError` naming the file when it is unreadable, holds no header row,
    lacks a required column, or holds no data rows.
    """
    fmt = _raw_format(path)
    if fmt in (".csv", ".csv.gz"):
        parts = [_read_csv(path, ws, source, delivery)]
    elif fmt == ".xlsx":
        parts = _read_xlsx(path, ws, source, delivery)
    elif fmt == ".parquet":
        parts = [_read_parquet(path, ws, source, delivery)]
    else:
        raise _bad_file(_relative(ws, path), f"unknown format; expected one of {RAW_FORMATS}")
    if sum(p.rows.num_rows for p in parts) == 0:
        raise _bad_file(
            _relative(ws, path),
            "empty: a header row was found but no data rows below it "
            f"({sum(p.rows_read for p in parts)} rows, all title, blank or totals)",
        )
    return parts


# ---------------------------------------------------------------- validating one file


class _Problems:
    """Collects (row, column, reason) problems of one source's rows; one reject row each.

    Also caches every column's cleaned text, so each column is cleaned once.
    """

    def __init__(self, rows: pd.DataFrame) -> None:
        self.rows = rows
        self.bad = np.zeros(len(rows), dtype=bool)
        self.parts: list[pd.DataFrame] = []
        self._text: dict[str, pd.Series] = {}

    def text(self, column: str) -> pd.Series:
        if column not in self._text:
            self._text[column] = normalize.clean_text_series(self.rows[column])
            _release_memory()  # the scan's temporaries, before the next column's
        return self._text[column]

    def blank(self, column: str) -> np.ndarray:
        return self.text(column).isna().to_numpy()

    def add(self, mask: np.ndarray | pd.Series, column: str, reason: str) -> None:
        assert reason in REJECT_REASONS, reason
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        where = np.flatnonzero(mask)
        value = (
            self.rows[column].iloc[where].to_numpy(dtype=object)
            if column in self.rows else np.full(len(where), None, dtype=object)
        )
        self.parts.append(
            pd.DataFrame(
                {
                    "source_file": self.rows["source_file"].iloc[where].to_numpy(),
                    "source_row": self.rows["source_row"].iloc[where].to_numpy(),
                    "column": column,
                    "value": value,
                    "reason_code": reason,
                }
            )
        )

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(
                {"source_file": pd.Series([], dtype="str"),
                 "source_row": pd.Series([], dtype="int64"), "column": pd.Series([], dtype="str"),
                 "value": pd.Series([], dtype="str"), "reason_code": pd.Series([], dtype="str")}
            )
        out = pd.concat(self.parts, ignore_index=True)
        value = out["value"].astype("str")
        out["value"] = value.mask(value.str.strip() == "")  # a blank is missing, not ''
        out["source_file"] = out["source_file"].astype("str")
        return out.sort_values(["source_file", "source_row"], kind="stable", ignore_index=True)


def _required(p: _Problems, columns: tuple[str, ...]) -> None:
    for column in columns:
        p.add(p.blank(column), column, "missing_required")


def _unit(p: _Problems, column: str = "unit_code") -> pd.Series:
    """Official unit codes, resolved once per distinct spelling."""
    encoded = pa.array(p.text(column)).dictionary_encode()
    resolved = resolve_units(pd.Series(encoded.dictionary, dtype="str"))
    codes = pa.array(resolved, type=pa.large_string()).take(encoded.indices)
    out = pd.Series(codes, index=p.rows.index, dtype="str")
    p.add(out.isna().to_numpy() & ~p.blank(column), column, "unknown_unit")
    return out


def _enum(p: _Problems, column: str, name: str) -> pd.Series:
    mapped = normalize.enum_series(p.text(column), name)
    p.add(~mapped["valid"].to_numpy(), column, "invalid_enum")
    return mapped["value"]


def _dates(
    p: _Problems, column: str, as_of: date, *, year_only: bool = False,
    allow_future: bool = False,
) -> pd.DataFrame:
    parsed = normalize.parse_dates(
        p.text(column), as_of=as_of, year_only=year_only, allow_future=allow_future
    )
    problem = parsed["problem"]
    if problem.notna().any():
        for code in normalize.DATE_PROBLEMS:
            p.add((problem == code).to_numpy(), column, code)
    return parsed


def _date32(values: pd.Series) -> pd.Series:
    days = values.to_numpy().astype("datetime64[D]")
    return pd.Series(
        pd.arrays.ArrowExtensionArray(pa.array(days, type=pa.date32(), from_pandas=True)),
        index=values.index,
    )


def _timestamps(values: pd.Series) -> pd.Series:
    return values.astype("datetime64[us]")


def _count(p: _Problems, column: str) -> pd.Series:
    counted = normalize.count_series(p.text(column))
    p.add(~counted["valid"].to_numpy(), column, "invalid_number")
    return counted["value"]


def _duplicates(p: _Problems, keys: pd.Series, column: str) -> None:
    """Second and later rows of a file with a key an earlier row of that file holds."""
    files = p.rows["source_file"]
    if len(files.cat.categories) > 1:
        repeated = pd.DataFrame({"file": files, "key": keys}).duplicated(keep="first")
        p.add((repeated & keys.notna()).to_numpy(), column, "duplicate_key")
        return
    # one file: hash once, and locate repeats only for the few keys seen more than once
    codes = pa.array(keys).dictionary_encode().indices
    codes = np.asarray(pc.fill_null(codes, -1).to_numpy(zero_copy_only=False))
    counts = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0, np.int64)
    if not len(counts) or counts.max() <= 1:
        _release_memory()
        return
    many = np.flatnonzero((codes >= 0) & (counts[np.maximum(codes, 0)] > 1))
    _, first = np.unique(codes[many], return_index=True)
    repeated = np.zeros(len(codes), dtype=bool)
    repeated[many] = True
    repeated[many[first]] = False
    del codes, counts
    _release_memory()  # the hash table of every key
    p.add(repeated, column, "duplicate_key")


def _vehicles(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["registry_vehicles"])
    record_id = p.text("record_id")
    _duplicates(p, record_id, "record_id")
    plate = normalize.plate_series(p.text("plate"))
    p.add(~plate["valid"].to_numpy() & plate["plate"].notna().to_numpy(), "plate", "invalid_plate")
    owner_kind = _enum(p, "owner_kind", "owner_kind")
    owner = normalize.id_series(p.text("owner_id"), organization=owner_kind == "organization")
    dob = _dates(p, "owner_dob", as_of, year_only=True)
    registered = _dates(p, "registered_on", as_of)
    name = normalize.names_series(p.text("owner_name"))
    return pd.DataFrame(
        {
            "record_id": record_id,
            "unit_code": _unit(p),
            "plate": plate["plate"],
            "plate_key": plate["plate_key"],
            "vehicle_type": _enum(p, "vehicle_type", "vehicle_type"),
            "chassis_no": p.text("chassis_no"),
            "chassis_key": normalize.alnum_key_series(p.text("chassis_no")),
            "engine_no": p.text("engine_no"),
            "registered_on": _date32(registered["value"]),
            "owner_kind": owner_kind,
            "owner_name": name["name"],
            "owner_name_key": name["key"],
            "owner_id": owner["id"],
            "owner_id_kind": owner["kind"],
            "owner_id_repaired": owner["repaired"],
            "owner_dob": _date32(dob["value"]),
            "owner_dob_year": dob["year"],
            "owner_address": p.text("owner_address"),
        }
    )


def _licences(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["registry_licences"])
    record_id = p.text("record_id")
    _duplicates(p, record_id, "record_id")
    licence = normalize.licence_no_series(p.text("licence_no"))
    p.add(~licence["valid"].to_numpy() & ~p.blank("licence_no"), "licence_no",
          "invalid_licence_no")
    klass = normalize.licence_class_series(p.text("licence_class"))
    p.add(~klass["valid"].to_numpy() & ~p.blank("licence_class"), "licence_class",
          "invalid_licence_class")
    holder = normalize.id_series(p.text("holder_id"))
    dob = _dates(p, "holder_dob", as_of, year_only=True)
    issued = _dates(p, "issued_on", as_of)
    expires = _dates(p, "expires_on", as_of, allow_future=True)
    name = normalize.names_series(p.text("holder_name"))
    return pd.DataFrame(
        {
            "record_id": record_id,
            "unit_code": _unit(p),
            "licence_no": licence["licence_no"],
            "licence_class": klass["licence_class"],
            "holder_name": name["name"],
            "holder_name_key": name["key"],
            "holder_id": holder["id"],
            "holder_id_kind": holder["kind"],
            "holder_id_repaired": holder["repaired"],
            "holder_dob": _date32(dob["value"]),
            "holder_dob_year": dob["year"],
            "issued_on": _date32(issued["value"]),
            "expires_on": _date32(expires["value"]),
        }
    )


def _population(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["population"])
    citizen = normalize.id_series(p.text("citizen_id"))
    p.add((citizen["kind"] != "cccd").to_numpy() & ~p.blank("citizen_id"), "citizen_id",
          "invalid_id")
    _duplicates(p, citizen["id"], "citizen_id")
    dob = _dates(p, "dob", as_of, year_only=True)
    name = normalize.names_series(p.text("full_name"))
    return pd.DataFrame(
        {
            "citizen_id": citizen["id"],
            "full_name": name["name"],
            "full_name_key": name["key"],
            "dob": _date32(dob["value"]),
            "dob_year": dob["year"],
            "gender": _enum(p, "gender", "gender"),
            "unit_code": _unit(p),
            "status": _enum(p, "status", "population_status"),
        }
    )


def _submissions(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["submissions"])
    submission_id = p.text("submission_id")
    _duplicates(p, submission_id, "submission_id")
    kind = _enum(p, "kind", "submission_kind")
    plate = normalize.plate_series(p.text("plate"))
    p.add(~plate["valid"].to_numpy() & plate["plate"].notna().to_numpy(), "plate", "invalid_plate")
    chassis = p.text("chassis_no")
    licence = normalize.licence_no_series(p.text("licence_no"))
    p.add(~licence["valid"].to_numpy() & ~p.blank("licence_no"), "licence_no",
          "invalid_licence_no")
    vehicle = (kind == "vehicle").to_numpy()
    p.add(vehicle & plate["plate"].isna().to_numpy() & chassis.isna().to_numpy(), "plate",
          "missing_required")
    p.add((kind == "licence").to_numpy() & p.blank("licence_no"), "licence_no",
          "missing_required")
    citizen = normalize.id_series(p.text("citizen_id"))
    submitted = _dates(p, "submitted_at", as_of)
    reviewed = _dates(p, "reviewed_at", as_of)
    dob = _dates(p, "dob", as_of, year_only=True)
    name = normalize.names_series(p.text("full_name"))
    return pd.DataFrame(
        {
            "submission_id": submission_id,
            "submitted_at": _timestamps(submitted["value"]),
            "kind": kind,
            "citizen_id": citizen["id"],
            "citizen_id_kind": citizen["kind"],
            "full_name": name["name"],
            "full_name_key": name["key"],
            "dob": _date32(dob["value"]),
            "dob_year": dob["year"],
            "phone": normalize.digits_series(p.text("phone")),
            "plate": plate["plate"],
            "plate_key": plate["plate_key"],
            "chassis_no": chassis,
            "chassis_key": normalize.alnum_key_series(chassis),
            "declared_status": _enum(p, "declared_status", "declared_status"),
            "licence_no": licence["licence_no"],
            "unit_code": _unit(p),
            "review_status": _enum(p, "review_status", "review_status"),
            "reviewed_at": _timestamps(reviewed["value"]),
            "reject_reason": p.text("reject_reason"),
        }
    )


def _unit_reports(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["unit_reports"])
    reported = _dates(p, "report_date", as_of)
    return pd.DataFrame(
        {
            "report_date": _date32(reported["value"]),
            "unit_code": _unit(p),
            **{c: _count(p, c) for c in REQUIRED_COLUMNS["unit_reports"][2:]},
        }
    )


def _organizations(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["organizations"])
    dispatched = _dates(p, "dispatch_sent_on", as_of)
    worked = _enum(p, "worked_directly", "yes_no")
    return pd.DataFrame(
        {
            "org_id": normalize.digits_series(p.text("org_id")),
            "org_name": p.text("org_name"),
            "org_type": _enum(p, "org_type", "org_type"),
            "unit_code": _unit(p),
            "dispatch_sent_on": _date32(dispatched["value"]),
            "worked_directly": worked.map({"yes": True, "no": False}).astype("boolean"),
            "vehicles_counted": _count(p, "vehicles_counted"),
            "vehicles_declared": _count(p, "vehicles_declared"),
        }
    )


_VALIDATORS = {
    "registry_vehicles": _vehicles,
    "registry_licences": _licences,
    "population": _population,
    "submissions": _submissions,
    "unit_reports": _unit_reports,
    "organizations": _organizations,
}

REJECT_COLUMNS = ("source", "source_file", "source_row", "column", "value", "reason_code",
                  "reason", "reason_vi")


@dataclass
class Validated:
    """One source's outcome: accepted typed rows and rejects (one row per problem)."""

    table: pa.Table  # every data row typed, in contract order
    keep: np.ndarray  # the accepted rows of ``table``
    rejects: pd.DataFrame
    rejected_rows: dict[str, int]  # per source_file: raw rows with a problem, each counted once
    accepted_rows: dict[str, int]  # per source_file

    @property
    def accepted(self) -> pa.Table:
        return self.table if self.keep.all() else self.table.filter(pa.array(self.keep))


def combine(raws: list[RawFile]) -> pd.DataFrame:
    """The data rows of one source's files as one frame, with ``source_file`` (categorical).

    Validating a source once instead of file by file keeps ~900 small unit workbooks fast.
    """
    if not raws:
        raise ValueError("combine needs at least one file")
    tables = [r.rows for r in raws]
    table = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
    rows = table.to_pandas(types_mapper=_TEXT_TYPES.get)
    codes = np.repeat(np.arange(len(raws)), [t.num_rows for t in tables])
    rows["source_file"] = pd.Categorical.from_codes(codes, categories=[r.file for r in raws])
    return rows


def validate(source: str, rows: pd.DataFrame, delivery: str) -> Validated:
    """Normalise and check a source's data rows against docs/rules.md (pure: new tables).

    ``rows`` is :func:`combine`'s output (text columns, ``source_file``, ``source_row``);
    dates after ``delivery`` (the delivery's last day) are rejected as in the future.
    """
    problems = _Problems(rows)
    as_of = date.fromisoformat(delivery)
    typed = _VALIDATORS[source](rows, problems, as_of)
    typed.index = rows.index
    known = set(COLUMNS[source]) | {"source_file", "source_row"}
    for extra in [c for c in rows.columns if c not in known]:
        typed[extra] = problems.text(extra)
    files = rows["source_file"].cat
    codes = files.codes.to_numpy()
    names = pa.array([str(c) for c in files.categories], pa.large_string())
    typed["source_file"] = pd.Series(names.take(pa.array(codes)), index=rows.index, dtype="str")
    typed["source_row"] = rows["source_row"].astype("int64")
    bad = problems.bad
    # contract order (extra columns, then source_file, source_row), as Arrow
    table = pa.Table.from_pandas(_order(typed), preserve_index=False)
    del typed
    rejects = problems.table()
    rejects.insert(0, "source", source)
    n_files = len(names)
    rejected = np.bincount(codes[bad], minlength=n_files)
    total = np.bincount(codes, minlength=n_files)
    return Validated(
        table=table,
        keep=~bad,
        rejects=_with_reasons(rejects),
        rejected_rows={str(f): int(r) for f, r in zip(files.categories, rejected, strict=True)},
        accepted_rows={
            str(f): int(t - r) for f, t, r in zip(files.categories, total, rejected, strict=True)
        },
    )


def _with_reasons(rejects: pd.DataFrame) -> pd.DataFrame:
    en = {code: i18n.t(f"rejects.{code}", "en") for code in REJECT_REASONS}
    vi = {code: i18n.t(f"rejects.{code}", "vi") for code in REJECT_REASONS}
    out = rejects.copy()
    out["reason"] = out["reason_code"].map(en).astype("str")
    out["reason_vi"] = out["reason_code"].map(vi).astype("str")
    for column in ("source", "source_file", "column", "reason_code"):
        out[column] = out[column].astype("str")
    out["source_row"] = out["source_row"].astype("int64")
    return out[list(REJECT_COLUMNS)]


# ---------------------------------------------------------------- the week


def ledger_entry(raw: RawFile, result: Validated) -> dict:
    """rows read = accepted + rejected + skipped, for one file (or workbook sheet)."""
    skipped = dict(raw.skipped)
    accepted = result.accepted_rows.get(raw.file, 0)
    rejected = result.rejected_rows.get(raw.file, 0)
    return {
        "source": raw.source,
        "file": raw.file,
        "delivery": raw.delivery,
        "sha256": raw.sha256,
        "header_row": raw.header_row,
        "rows_read": raw.rows_read,
        "rows_accepted": accepted,
        "rows_rejected": rejected,
        "rows_skipped": skipped,
        "balanced": raw.rows_read == accepted + rejected + sum(skipped.values()),
    }


def _empty_rejects() -> pd.DataFrame:
    return _with_reasons(
        pd.DataFrame(
            {c: pd.Series([], dtype="int64" if c == "source_row" else "str")
             for c in REJECT_COLUMNS[:6]}
        )
    )


def _order(table: pd.DataFrame) -> pd.DataFrame:
    """Accepted columns: contract order first, extra columns, then source_file, source_row."""
    tail = ["source_file", "source_row"]
    head = [c for c in table.columns if c not in tail]
    return table[head + tail]


# Columns with few distinct values: dictionary-encoded in Parquet (cheap and small); the
# others (IDs, names, plates) are written plain, which is faster for near-unique text.
LOW_CARDINALITY = frozenset({
    "unit_code", "vehicle_type", "owner_kind", "owner_id_kind", "holder_id_kind",
    "citizen_id_kind", "licence_class", "gender", "status", "kind", "declared_status",
    "review_status", "reject_reason", "org_type", "source_file", "source", "column",
    "reason_code", "reason", "reason_vi",
})


WRITE_BATCH = 1 << 18  # rows filtered and written at a time: one batch copied, not the table


def write_table(table: pa.Table, path: Path, keep: np.ndarray | None = None) -> None:
    """One processed table (only the ``keep`` rows) into a fresh staging folder, which
    ``store.replace_dir`` then swaps in."""
    dictionary = [c for c in table.column_names if c in LOW_CARDINALITY]
    with pq.ParquetWriter(path, table.schema, compression="snappy",
                          use_dictionary=dictionary) as writer:
        for start in range(0, max(table.num_rows, 1), WRITE_BATCH):
            part = table.slice(start, WRITE_BATCH)
            if keep is not None:
                part = part.filter(pa.array(keep[start : start + WRITE_BATCH]))
            writer.write_table(part, row_group_size=WRITE_BATCH)


def _release_memory() -> None:
    """Hand memory Arrow freed back to the system between steps (its allocator keeps freed
    pages for reuse), so one big source's peak does not add to the next one's."""
    pa.default_memory_pool().release_unused()


PARALLEL_BYTES = 64 * 2**20  # raw bytes from which sources are ingested in worker processes


def ingest_source(ws: Workspace, source: str, where: SourceFiles,
                  staging: Path) -> tuple[list[dict], pd.DataFrame, dict]:
    """Read, validate and write one source; returns its ledger entries, rejects and totals."""
    raws = [raw for path in where.files for raw in read_file(ws, source, path, where.delivery)]
    _release_memory()
    result = validate(source, combine(raws), where.delivery)
    files = [ledger_entry(raw, result) for raw in raws]
    del raws  # the raw text is not needed to write the typed table
    write_table(result.table, staging / f"{source}.parquet", keep=result.keep)
    totals = {
        "delivery": where.delivery,
        "files": len(files),
        "rows_read": sum(e["rows_read"] for e in files),
        "rows_accepted": sum(e["rows_accepted"] for e in files),
        "rows_rejected": sum(e["rows_rejected"] for e in files),
        "rows_skipped": sum(sum(e["rows_skipped"].values()) for e in files),
    }
    rejects = result.rejects
    del result
    _release_memory()
    return files, rejects, totals


def _ingest_sources(ws: Workspace, located: dict[str, SourceFiles], staging: Path,
                    workers: int) -> dict[str, tuple]:
    """Every source, one after another, or for a city's deliveries in ``workers`` processes.

    Sources are independent until the ledger: at city scale two processes take them biggest
    first (the vehicle registry on one core, submissions then population on the other), which
    is what brings the city's ingest near its 90 s. Small deliveries stay in this process
    (starting a worker costs more than it saves).
    """
    size = {s: sum(p.stat().st_size for p in w.files) for s, w in located.items()}
    if workers <= 1 or sum(size.values()) < PARALLEL_BYTES:
        return {s: ingest_source(ws, s, w, staging) for s, w in located.items()}
    order = sorted(located, key=lambda s: -size[s])
    # spawn: a fresh interpreter, never a fork of a kernel that holds Arrow/DuckDB threads;
    # the workers end with this process (helpers.workers)
    with process_pool(workers) as pool:
        jobs = {s: pool.submit(ingest_source, ws, s, located[s], staging) for s in order}
        return {s: job.result() for s, job in jobs.items()}


def ingest_week(ws: Workspace, week: str, workers: int = 2) -> dict:
    """Ingest every source for ``week`` into ``data/processed/<week>/`` (replaced atomically).

    Writes one Parquet table per source, ``rejects.parquet`` and ``ledger.json``; returns the
    ledger as a summary. Raises :class:`DeliveryError` for a missing or bad file and
    :class:`PipelineError` when a file does not balance (nothing is replaced then). Large
    deliveries are ingested ``workers`` sources at a time.
    """
    week = store.resolve_week(ws, week)
    located = locate_sources(ws, week)
    entries: list[dict] = []
    summary: dict[str, dict] = {}
    with store.replace_dir(ws.processed_week(week), forbidden=ws.raw) as staging:
        done = _ingest_sources(ws, located, staging, workers)
        rejects_all: list[pd.DataFrame] = []
        for source in located:  # the ledger in the sources' fixed order, however they ran
            files, rejects, summary[source] = done[source]
            entries += files
            if len(rejects):
                rejects_all.append(rejects)
        rejects = pd.concat(rejects_all, ignore_index=True) if rejects_all else _empty_rejects()
        write_table(pa.Table.from_pandas(rejects, preserve_index=False),
                    staging / "rejects.parquet")
        unbalanced = [e for e in entries if not e["balanced"]]
        ledger = {
            "week": week,
            "balanced": not unbalanced,
            "sources": summary,
            "files": entries,
        }
        (staging / "ledger.json").write_text(
            json.dumps(ledger, ensure_ascii=False, indent=2), "utf-8"
        )
        if unbalanced:
            worst = unbalanced[0]
            raise PipelineError(
                f"ledger does not balance for {len(unbalanced)} file(s), e.g. {worst['file']}: "
                f"read {worst['rows_read']} != accepted {worst['rows_accepted']} + rejected "
                f"{worst['rows_rejected']} + skipped {sum(worst['rows_skipped'].values())}"
            )
    return ledger


# ---------------------------------------------------------------- what the notebook shows


def ledger_table(ledger: dict, lang: str | None = None) -> pd.DataFrame:
    """One row per file: rows read, accepted, rejected, skipped by kind, balanced."""
    rows = [
        {
            "source": e["source"],
            "file": e["file"],
            "rows_read": e["rows_read"],
            "rows_accepted": e["rows_accepted"],
            "rows_rejected": e["rows_rejected"],
            **{f"skipped_{k}": e["rows_skipped"].get(k, 0) for k in SKIP_KINDS},
            "balanced": e["balanced"],
        }
        for e in ledger["files"]
    ]
    columns = ["source", "file", "rows_read", "rows_accepted", "rows_rejected",
               *(f"skipped_{k}" for k in SKIP_KINDS), "balanced"]
    return _labelled(pd.DataFrame(rows, columns=columns), lang)


def source_table(ledger: dict, lang: str | None = None) -> pd.DataFrame:
    """One row per source: files and rows read, accepted, rejected, skipped by kind."""
    files = ledger_table(ledger)
    table = (
        files.assign(files=1)
        .groupby("source", sort=False)
        .sum(numeric_only=True)
        .reindex([s for s in SOURCE_NAMES if s in set(files["source"])])
        .reset_index()
    )
    table["balanced"] = table["balanced"] == table["files"]
    columns = ["source", "files", "rows_read", "rows_accepted", "rows_rejected",
               *(f"skipped_{k}" for k in SKIP_KINDS), "balanced"]
    return _labelled(table[columns], lang)


def summary_text(ledger: dict, lang: str) -> str:
    """One sentence for the analyst: files, rows read, accepted, rejected, skipped."""
    files = ledger["files"]
    sentence = i18n.t(
        "ingest.summary",
        lang,
        files=i18n.fmt_int(len(files), lang),
        read=i18n.fmt_int(sum(e["rows_read"] for e in files), lang),
        accepted=i18n.fmt_int(sum(e["rows_accepted"] for e in files), lang),
        rejected=i18n.fmt_int(sum(e["rows_rejected"] for e in files), lang),
        skipped=i18n.fmt_int(sum(sum(e["rows_skipped"].values()) for e in files), lang),
    )
    if ledger.get("balanced"):
        sentence += " " + i18n.t("ingest.all_balanced", lang)
    return sentence


def reject_counts(rejects: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Problems and rejected rows per source and reason: counts only, never the values."""
    label = "reason_vi" if lang == "vi" else "reason"
    columns = ["source", "reason_code", "reason", "problems", "rows"]
    if rejects.empty:
        return _labelled(pd.DataFrame(columns=columns), lang)
    keyed = rejects.assign(
        row_key=rejects["source_file"].astype("str") + ":" + rejects["source_row"].astype("str")
    )
    table = (
        keyed.groupby(["source", "reason_code", label], sort=False)
        .agg(problems=("column", "size"), rows=("row_key", "nunique"))
        .reset_index()
        .rename(columns={label: "reason"})
    )
    order = {s: i for i, s in enumerate(SOURCE_NAMES)}
    table = table.sort_values(
        ["source", "problems"], key=lambda c: c.map(order) if c.name == "source" else -c,
        kind="stable", ignore_index=True,
    )
    return _labelled(table[columns], lang)
