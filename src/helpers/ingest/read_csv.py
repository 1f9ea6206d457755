"""CSV and CSV.gz: UTF-8 (with or without BOM), Windows-1258 or UTF-16, any separator, streamed
so a big file is never one Python object; row numbers as a user sees them."""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from helpers import DeliveryError
from helpers.ingest.rawfile import (
    RawFile,
    assemble,
    bad_file,
    find_header,
    header_lookup,
    header_score,
    make_contiguous,
    word_header_score,
)
from helpers.ingest.sources import HEADER_SEARCH_ROWS, relative
from helpers.normalize.arrow import buffers
from helpers.paths import Workspace

# ---- CSV


def file_sha256(path: Path) -> str:
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
            return bad_file(self.file, f"unreadable: expected a gzip-compressed CSV ({exc})")
        return bad_file(self.file, f"cannot be read ({exc})")

    def head(self, size: int) -> bytes:
        try:
            with gzip.open(self.path, "rb") if self.gz else self.path.open("rb") as fh:
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


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec a file is written in (Excel's "Unicode Text" export), or None: by its
    byte-order mark, else by the zero byte every ASCII character carries in one half of its
    pair. The other half may hold a few zeros too (U+0300, the combining grave accent of
    decomposed Vietnamese, is written 00 03), so shares decide, not a strict absence."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[:1024]
    pairs = len(sample) // 2
    if pairs >= 4:
        even = sample[0 : 2 * pairs : 2].count(0) / pairs
        odd = sample[1 : 2 * pairs : 2].count(0) / pairs
        if odd >= _UTF16_ZEROS and even <= odd / 4:
            return "utf-16-le"
        if even >= _UTF16_ZEROS and odd <= even / 4:
            return "utf-16-be"
    return None


# share of characters with a zero byte: UTF-8 and Windows-1258 text hold none, UTF-16 text of
# a CSV (digits, separators, quotes, Latin letters) well over half
_UTF16_ZEROS = 0.3


def _cp1258_to_utf8(data: bytes | memoryview, encoding: str = "cp1258") -> bytes:
    """Windows-1258 (or ``encoding``) -> UTF-8, chunk by chunk so a big file is never one
    Python string."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
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
    """The delimiter under which one of the first lines names the most known columns (by
    exact spelling; by words when no line names two columns exactly, as find_header)."""
    lookup = header_lookup(source)
    best: tuple[int, int, str] = (0, 0, ",")
    for score_of in (
        lambda cells: header_score(cells, lookup),
        partial(word_header_score, source=source),
    ):
        for delimiter in (",", ";", "\t", "|"):
            for idx, cells in enumerate(_split_lines(lines, delimiter)):
                score, _ = score_of(cells)
                if (score, -idx) > (best[0], -best[1]):
                    best = (score, idx, delimiter)
        if best[0] >= 2:
            break
    return best[2]


def read_csv_file(path: Path, ws: Workspace, source: str, delivery: str) -> RawFile:
    file = relative(ws, path)
    source_input = _CsvInput(path, file)
    with ThreadPoolExecutor(1) as pool:
        digest = pool.submit(file_sha256, path)  # hashed while the file is parsed
        head = source_input.head(1 << 16)
        start = len(_BOM) if head.startswith(_BOM) else 0
        if _NON_SPACE.search(head, start) is None and len(head) < (1 << 16):
            raise bad_file(file, "empty: expected a header row and data rows, found no content")
        parse = partial(_parse_csv, file=file, source=source, delivery=delivery)
        wide = _utf16(head)
        if wide:
            text = _cp1258_to_utf8(source_input.everything(), wide)
            raw = parse(text, len(_BOM) if text.startswith(_BOM) else 0, streamed=None)
        elif start == 0 and not _head_is_utf8(head):
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
    return any(buffers(c)[1].tobytes().find(b"\n") >= 0 for c in column.chunks)


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
                use_threads=fast,
                column_names=[f"f{i}" for i in range(width)],
                block_size=_CHUNK,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=not fast,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower() or "utf-8" in str(exc).lower():
            raise UnicodeError(str(exc)) from exc
        raise bad_file(file, f"unreadable as CSV ({exc})") from exc
    except (OSError, pa.ArrowException) as exc:  # e.g. a gzip stream broken mid-way
        raise bad_file(file, f"unreadable ({exc})") from exc
    finally:
        body.close()
    columns = table.columns
    del table
    return columns, ragged


def _parse_csv(
    data: bytes,
    start: int,
    *,
    streamed: _CsvInput | None,
    file: str,
    source: str,
    delivery: str,
) -> RawFile:
    """Parse UTF-8 CSV from ``start`` (after a BOM); raises UnicodeError on bad UTF-8.

    ``data`` is the whole file, or only its head when the body is ``streamed`` from disk.
    """
    raw_lines = data[start : start + (1 << 16)].split(b"\n")[:HEADER_SEARCH_ROWS]
    lines = [ln.decode("utf-8", errors="replace").rstrip("\r") for ln in raw_lines]
    delimiter = _sniff(lines, source)
    rows = _split_lines(lines, delimiter)
    idx, mapping = find_header(rows, source, file)
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
    make_contiguous(columns)
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
                _, raw = buffers(chunk)
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
            {
                f"c{i}": pa.array([p[i] if i < len(p) else "" for p in parsed], pa.large_string())
                for i in range(wide)
            }
        )
        for i in range(width, wide):
            table = table.append_column(f"c{i}", pa.array([""] * table.num_rows, pa.large_string()))
        table = pa.concat_tables([table, extra])
        lines_all = np.concatenate([lines_of, starts[~ordinal]])
        order = np.argsort(lines_all, kind="stable")
        table = table.take(pa.array(order))
        lines_of = lines_all[order]
    return assemble(
        source=source,
        file=file,
        sha256="",
        delivery=delivery,
        header_cells=header_cells,
        mapping=mapping,
        header_row=idx + 1,
        title_rows=idx,
        body=table,
        lines=lines_of,
    )
