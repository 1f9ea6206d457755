"""No delivered byte runs as SQL: names and values reach DuckDB quoted by one helper or bound."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import store
from helpers.paths import PACKAGE_DIR
from helpers.record_tables import overlong_texts
from helpers.sqltext import ident, literal

# what a hostile or clumsy delivery can put in a header, a cell or a folder name
HOSTILE = [
    'Ghi chú "nội bộ"',
    "O'Brien",
    "x\") FROM t; COPY (SELECT 42) TO 'pwned.csv'; --",
    "x'); COPY (SELECT 42) TO 'pwned.csv'; --",
    '""',
    "''",
    "a\\'b",
    "; DROP TABLE t; --",
    "/* comment",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_identifier_reads_back_the_column_it_names(name: str) -> None:
    con = duckdb.connect()
    con.register("t", pa.table({name: ["value"], "other": ["no"]}))
    assert con.execute(f"SELECT {ident(name)} FROM t").fetchall() == [("value",)]


@pytest.mark.parametrize("value", HOSTILE)
def test_literal_reads_back_as_the_same_text(value: str) -> None:
    assert duckdb.connect().execute(f"SELECT {literal(value)}").fetchall() == [(value,)]


def test_nul_character_is_refused_rather_than_ending_the_string_early() -> None:
    with pytest.raises(ValueError, match="NUL"):
        literal("a\x00'; COPY (SELECT 1) TO 'x'; --")


def _week_with_extra_columns(ws, week: str, names: list[str], long_cell: bool) -> None:
    folder = ws.processed_week(week)
    folder.mkdir(parents=True, exist_ok=True)
    text = "x" * 40_000 if long_cell else "short"
    columns = {"submission_id": ["S1", "S2"]} | {n: [text, "ok"] for n in names}
    pq.write_table(pa.table(columns), store.table_path(ws, "submissions", week))


def test_overlong_texts_counts_delivered_columns_whose_names_are_sql(tmp_ws, tmp_path, monkeypatch):
    # the extra columns of a delivery keep their names into the submissions table
    monkeypatch.chdir(tmp_path)
    _week_with_extra_columns(tmp_ws, "2025-11-23", HOSTILE, long_cell=True)
    assert overlong_texts(tmp_ws, "2025-11-23") == len(HOSTILE)
    assert not list(tmp_path.rglob("pwned.csv")), "a header ran as SQL and wrote a file"


def test_overlong_texts_reads_a_header_with_quotes(tmp_ws):
    _week_with_extra_columns(tmp_ws, "2025-11-23", ['Ghi chú "nội bộ"'], long_cell=False)
    assert overlong_texts(tmp_ws, "2025-11-23") == 0


def test_query_to_parquet_writes_into_a_folder_whose_name_is_sql(tmp_path):
    folder = tmp_path / "x'); COPY (SELECT 42) TO 'pwned.csv'; --"
    folder.mkdir()
    con = duckdb.connect()
    assert store.query_to_parquet(con, "SELECT 1 AS a", folder / "t.parquet") == 1
    assert not list(tmp_path.rglob("pwned.csv"))


def test_memory_limit_is_a_size_or_refused():
    with pytest.raises(ValueError, match="memory limit"):
        store.duckdb_connect(memory_limit="1GB'; COPY (SELECT 1) TO 'x'; --")
    store.duckdb_connect(memory_limit="512MB").close()


# Quoting by hand is how the hole was made: a placeholder or interpolation wrapped in quotes
# ('{x}' in a template, f"... '{x}' ...") or a hand-written escape. SQL text is built from
# constants, ident() and literal() only.
_HAND_QUOTED = re.compile(r"""'\{[^{}]*\}'|"\{[^{}]*\}\"""")
_SQL_WORDS = re.compile(r"\b(SELECT|FROM|WHERE|COPY|CREATE|DESCRIBE|SET|CASE|WHEN)\b")


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE_DIR.rglob("*") if p.suffix in (".py", ".sql"))


def test_no_sql_template_wraps_a_placeholder_in_quotes():
    offending = [
        f"{p.relative_to(PACKAGE_DIR)}:{n}: {line.strip()}"
        for p in _sources()
        if p.suffix == ".sql"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if _HAND_QUOTED.search(line)
    ]
    assert offending == []


def test_no_python_sql_text_quotes_an_interpolation_by_hand():
    offending = []
    for p in _sources():
        if p.suffix != ".py" or p.name == "sqltext.py":
            continue
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            fstring = re.search(r"""\bf(["'])(.*)\1""", line)
            if fstring and _SQL_WORDS.search(fstring.group(2)) and _HAND_QUOTED.search(line):
                offending.append(f"{p.relative_to(PACKAGE_DIR)}:{n}: {line.strip()}")
            # (an Excel formula's text quoting doubles '"' too, in excel/book.py: not SQL)
            if """replace("'", "''")""" in line:
                offending.append(f"{p.relative_to(PACKAGE_DIR)}:{n}: {line.strip()}")
    assert offending == []
