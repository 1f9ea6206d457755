"""The week's record tables as the reports see them, shared by the briefing and the packs
(the briefing runs first, so neither may own it): the worklist each status's records are
worked in, and how many texts are too long for a spreadsheet cell.

Reads the record-level processed tables (``pipeline.RECORD_TABLES``) only in
:func:`overlong_texts`; the rest is vocabulary.
"""

from __future__ import annotations

from helpers import pipeline, store
from helpers.paths import Workspace
from helpers.sqltext import ident

# Sheets of difficult data groups: one per group, vehicles and licences together.
GROUP_SHEETS: dict[str, tuple[str, ...]] = {
    "duplicate": ("duplicate_registry_record",),
    "organisation": ("organization_owned",),
    "invalid_id": ("invalid_owner_id", "invalid_holder_id"),
    "not_in_population": ("id_not_in_population",),
    "deceased": ("owner_deceased", "holder_deceased"),
    "identity": ("identity_mismatch",),
    "scrapped": ("scrapped_or_lost",),
    "transferred": ("transferred_not_registered",),
}

# The lists made of registry records, by the statuses they hold.
RECORD_LISTS: dict[str, tuple[str, ...]] = {
    "pending": ("pending_review",),
    **GROUP_SHEETS,
    "rejected": ("rejected_awaiting_resubmission",),
    "elsewhere": ("owner_resides_elsewhere",),
}
# The worklist (sheet key: excel.sheets.<key>) holding each status's records in a unit pack:
# where a unit finds the records of a difficult group still open at the end of the peak.
STATUS_LIST: dict[str, str] = {s: key for key, statuses in RECORD_LISTS.items() for s in statuses}

MAX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell


def overlong_texts(ws: Workspace, week: str) -> int:
    """Texts of the week's records longer than an Excel cell holds (32,767 UTF-16 units):
    the unit packs cut them with a marker. Counted before the packs are written, so the
    briefing (which runs first) can say so; tables not there yet count nothing."""
    con = store.duckdb_connect(threads=2)
    total = 0
    try:
        for name in pipeline.RECORD_TABLES:
            path = store.table_path(ws, name, week)
            if not path.is_file():
                continue
            columns = [
                ident(row[0])
                for row in con.execute(
                    "DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]
                ).fetchall()
                if row[1] == "VARCHAR"
            ]
            if not columns:
                continue
            # First each column's longest text in UTF-8 bytes, one light pass (strlen counts
            # no character: half the CPU of the count below, 3.3 s instead of 6.7 s on the
            # city's tables); a text fits a cell when its bytes do (a UTF-16 unit takes at
            # least one byte), so only a column holding a longer one is counted as Excel counts.
            longest = con.execute(
                "SELECT "
                + ", ".join(f"max(strlen({c}))" for c in columns)
                + " FROM read_parquet(?)",
                [str(path)],
            ).fetchone() or [None] * len(columns)
            columns = [
                c for c, n in zip(columns, longest, strict=True) if (n or 0) > MAX_CELL_CHARS
            ]
            if not columns:
                continue
            # a text can only be too long when its UTF-8 bytes are; then count as Excel does
            # (a character beyond U+FFFF counts twice). A delivery's extra columns keep the
            # names they were delivered with: quoted by ident(), never pasted; the path is bound.
            too_long = [
                f"count(*) FILTER (WHERE CASE WHEN strlen({c}) > {MAX_CELL_CHARS} THEN "
                f"length({c}) + length(regexp_replace({c}, '[^\\x{{10000}}-\\x{{10FFFF}}]',"
                f" '', 'g')) > {MAX_CELL_CHARS} ELSE false END)"
                for c in columns
            ]
            query = "SELECT " + ", ".join(too_long) + " FROM read_parquet(?)"
            total += sum(con.execute(query, [str(path)]).fetchone())
    finally:
        con.close()
    return int(total)
