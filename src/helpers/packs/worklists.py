"""The unit worklists: each unit's open records in the lists its officers work, complete and
in working order (oldest first, or walking order through the residential groups).

    paths = stage_unit_rows(ws, week, folder)        # once for all units
    lists = unit_worklists(con, paths, "U001", week, "vi")

Record-level work happens in DuckDB; its queries are the ``.sql`` files beside this module,
named for what they produce (``staged_records.sql``, ``unit_record_lists.sql``, ...), with
``{placeholders}`` for the catalogue wording and ``$parameters`` for paths and the unit.
Reads the week's record-level processed tables; writes only the staged rows into the folder
it is given (personal data: the caller removes it).
"""

from __future__ import annotations

import warnings
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import DeliveryError, pipeline, store
from helpers.i18n import labels
from helpers.normalize import PHONE_PATTERN
from helpers.packs.sheetxml import Column
from helpers.packs.texts import tx
from helpers.paths import Workspace
from helpers.privacy import mask_id
from helpers.record_tables import GROUP_SHEETS, RECORD_LISTS
from helpers.sqltext import literal
from helpers.statuses import DIFFICULT_GROUPS
from helpers.units import official_units

LISTS: tuple[str, ...] = (
    "pending",
    *GROUP_SHEETS,
    "rejected",
    "unmatched",
    "door_to_door",
    "elsewhere",
)

# The per-group summary of the door-to-door list (a sheet after it, not a worklist of records).
GROUPS_KEY = "door_to_door_groups"

# Walking order of an address: the street (the address without its numbers, lower case), then
# its numbers from the last to the first: "Số 5 ngõ 12, Tổ 3" -> ("số  ngõ , tổ", [3, 12, 5]),
# so one residential group, lane by lane, house by house. (Accent folding would merge a few
# spellings but costs ten times as much per record at city scale.)
_STREET_SQL = "trim(lower(regexp_replace(coalesce({col}, ''), '[0-9]+', '', 'g')))"
_NUMBERS_SQL = "list_reverse(CAST(regexp_extract_all(coalesce({col}, ''), '[0-9]+') AS DOUBLE[]))"


@cache
def _sql(name: str) -> str:
    """The query in ``<name>.sql`` beside this module (package data)."""
    return resources.files("helpers.packs").joinpath(f"{name}.sql").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Staging: one pass over each record-level table for all units, keeping only the rows the
# packs show, sorted by unit so that each worker's filter on unit_code reads only the row groups
# of its own unit (instead of 126 workers each decompressing the whole city).
# --------------------------------------------------------------------------------------------

UNIT_TABLES = pipeline.UNIT_RECORD_TABLES  # declared in helpers.pipeline


def stage_unit_rows(ws: Workspace, week: str, folder: Path) -> dict[str, str]:
    """Write the rows every unit pack reads, sorted by unit, into ``folder`` (one pass each).

    Returns the staged files: ``records`` (open vehicle and licence records, with the reject
    reason and phone of rejected submissions) and ``unmatched`` (submissions matching no
    record). The folder holds personal data: the caller removes it.
    """
    sources = {}
    for name in UNIT_TABLES:
        path = store.table_path(ws, name, week)
        if not path.is_file():
            raise DeliveryError(
                f"the unit packs need the processed table '{name}' for week {week} ({path}); "
                "run the reconcile step (02_reconcile) first"
            )
        sources[name] = str(path)
    folder.mkdir(parents=True, exist_ok=True)
    staged = {
        "records": str(folder / "records.parquet"),
        "unmatched": str(folder / "unmatched.parquet"),
    }
    daily = store.table_path(ws, "unit_daily", week)  # figures, no personal data: read in place
    if daily.is_file():
        staged["daily"] = str(daily)
    import duckdb

    # Both cores sort the city's ~5 M open records in 17 s within 5 GB; a two-thread sort
    # cannot always spill, so when it runs out of memory the one-thread sort (which spills to
    # the folder and stays near 3 GB) does the work instead.
    try:
        _stage_rows(sources, staged, folder, memory_limit="5GB", threads=2)
    except duckdb.OutOfMemoryException:
        _stage_rows(sources, staged, folder, memory_limit="3GB", threads=1)
    return staged


def unit_sizes(paths: dict[str, str]) -> dict[str, int]:
    """Staged rows per unit (records and unmatched submissions): how long each unit's pack
    takes, to hand the largest to the workers first."""
    con = store.duckdb_connect(memory_limit="1GB", threads=1)
    try:
        rows = con.execute(
            "SELECT unit_code, count(*) FROM (SELECT unit_code FROM read_parquet($records) "
            "UNION ALL SELECT unit_code FROM read_parquet($unmatched)) GROUP BY unit_code",
            {"records": paths["records"], "unmatched": paths["unmatched"]},
        ).fetchall()
    finally:
        con.close()
    return {str(code): int(n) for code, n in rows}


def _stage_rows(
    sources: dict[str, str],
    staged: dict[str, str],
    folder: Path,
    *,
    memory_limit: str,
    threads: int,
) -> None:
    con = store.duckdb_connect(memory_limit=memory_limit, threads=threads)
    try:
        con.execute("SET temp_directory = ?", [str(folder / "spill")])
        con.execute(
            _sql("staged_records"),
            {
                "vehicles": sources["vehicle_status"],
                "licences": sources["licence_status"],
                "submissions": sources["submissions"],
                "target": staged["records"],
            },
        )
        con.execute(
            _sql("staged_unmatched"),
            {
                "links": sources["submission_links"],
                "submissions": sources["submissions"],
                "target": staged["unmatched"],
            },
        )
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# One unit's lists
# --------------------------------------------------------------------------------------------


def _sql_case(column: str, mapping: dict[str, str], default: str | None = None) -> str:
    """``CASE column WHEN code THEN words ... ELSE default END`` (default: the code itself)."""
    if not mapping:
        return default or column
    q = literal
    whens = " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in sorted(mapping.items()))
    return f"CASE {column} {whens} ELSE {default or column} END"


def _section(section: str, lang: str) -> dict[str, str]:
    try:
        return labels(section, lang)
    except (KeyError, TypeError):
        return {}


# A difficult record is resolved once the unit approved its winning submission (progress
# counts it so: records.record_counts' ``resolved_<group>``): it is done, on no worklist, so
# that a group's sheet lists exactly the records progress and the briefing count as open.
_RESOLVED_SQL = (
    "r.status IN ({groups}) AND r.submission_id IS NOT NULL AND r.review_status = 'approved'"
)


def _records_sql() -> str:
    key_of = {status: key for key, statuses in RECORD_LISTS.items() for status in statuses}
    groups = ", ".join(literal(s) for s in sorted(DIFFICULT_GROUPS))
    resolved = _RESOLVED_SQL.format(groups=groups)
    return _sql("unit_records").format(
        street=_STREET_SQL.format(col="r.address"),
        numbers=_NUMBERS_SQL.format(col="r.address"),
        list_key=f"CASE WHEN {resolved} THEN NULL ELSE {_sql_case('r.status', key_of, 'NULL')} END",
    )


@cache
def _unit_names() -> dict[str, str]:
    units = official_units()
    return dict(zip(units["unit_code"].astype(str), units["unit_name"].astype(str), strict=True))


@lru_cache(maxsize=8)
def _phone_sql(lang: str) -> str:
    """The phone as written, with the catalogue's warning after a number no Vietnamese phone
    has (normalize.PHONE_PATTERN): the officer sees it before calling."""
    q = literal
    warning = q(" " + tx("phone.impossible", lang))
    return (
        f"CASE WHEN phone IS NULL OR regexp_full_match(phone, {q(PHONE_PATTERN)}) THEN phone "
        f"ELSE phone || {warning} END"
    )


def _lists_sql(lang: str, week: str) -> str:
    return _sql("unit_record_lists").format(
        phone=_phone_sql(lang),
        kind_label=_sql_case("kind", _section("excel.kinds", lang)),
        vehicle_type=_sql_case("record_type", _section("excel.vehicle_type", lang)),
        reason=f"reason_{lang}",
        identity=_sql_case("identity_result", _section("identity", lang)),
        review=_sql_case("review_status", _section("excel.review", lang)),
        residence=_sql_case("residence_unit", _unit_names(), "NULL"),
        week=literal(date.fromisoformat(week).isoformat()),
    )


@lru_cache(maxsize=8)
def _unmatched_sql(lang: str) -> str:
    return _sql("unit_unmatched").format(
        phone=_phone_sql(lang),
        kind_label=_sql_case("kind", _section("excel.kinds", lang)),
        review=_sql_case("review_status", _section("excel.review", lang)),
        link=_sql_case("link_reason", _section("reconcile.link_reason", lang)),
    )


# The residential group (tổ dân phố) as the address writes it: "Tổ dân phố 7", "TDP 7", "Tổ 7",
# "tổ số 7". An address without one is said to have none, never guessed.
GROUP_PATTERN = r"(?i)(?:tổ\s*dân\s*phố|tdp|tổ)\.?\s*(?:số\s*)?([0-9]+)"


def door_to_door(
    con,
    lang: str = "vi",
    source: str = "recs",
    where: str = "status = 'not_submitted'",
) -> pd.DataFrame:
    """One row per record not submitted (vehicles and licences), by residential group, then
    household (an address, in walking order), with empty "visited on" and "result" columns.

    ``source`` holds the unit's records with ``street_key``/``num_key`` (or is a plain table:
    the keys are then computed here).
    """
    columns = set(con.table(source).columns)
    street = "street_key" if "street_key" in columns else _STREET_SQL.format(col="address")
    numbers = "num_key" if "num_key" in columns else _NUMBERS_SQL.format(col="address")
    q = literal
    return _frame(
        con,
        _sql("door_to_door").format(
            source=source,
            where=where,
            street=street,
            numbers=numbers,
            group_pattern=q(GROUP_PATTERN),
            group_word=q(tx("door_to_door.group", lang, n="{n}")),
            no_group=q(tx("door_to_door.no_group", lang)),
            no_address=q(tx("door_to_door.no_address", lang)),
            kind_label=_sql_case("kind", _section("excel.kinds", lang)),
            vehicle_type=_sql_case("record_type", _section("excel.vehicle_type", lang)),
        ),
    )


def _frame(con, sql: str, params: dict[str, str] | None = None) -> pd.DataFrame:
    """A query's rows as a pandas frame through Arrow: DuckDB's own ``.df()`` took 5x as
    long on text columns (0.25 s per 100k rows of ten columns). The types can differ from
    ``.df()`` (a nullable count is float, a date an object) but not the values, and the
    packs read every column by value (sheetxml converts them again)."""
    with warnings.catch_warnings():
        # DuckDB notes the copy of the rows this makes (cheap); con.sql(...) makes none but
        # costs more than it saves on a small unit's few hundred rows
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
        table = con.execute(sql, params).to_arrow_table()
    return table.to_pandas()


def door_to_door_groups(homes: pd.DataFrame) -> pd.DataFrame:
    """Per residential group of the door-to-door list: households and records not submitted
    (vehicles, licences, all), in the list's order, to split the walk among teams."""
    if homes.empty:
        return pd.DataFrame(
            columns=[
                "group_label",
                "households",
                "vehicles",
                "licences_not_submitted",
                "records_outstanding",
            ]
        )
    frame = homes.assign(
        vehicle=(homes["kind"] == "vehicle").astype(int),
        licence=(homes["kind"] == "licence").astype(int),
    )
    grouped = frame.groupby("group_label", sort=False)
    return pd.DataFrame(
        {
            "group_label": list(grouped.groups),
            "households": grouped["address"].nunique().to_numpy(),
            "vehicles": grouped["vehicle"].sum().to_numpy(),
            "licences_not_submitted": grouped["licence"].sum().to_numpy(),
            "records_outstanding": grouped.size().to_numpy(),
        }
    )


def unit_worklists(
    con, paths: dict[str, str], unit_code: str, week: str, lang: str, *, full_ids: bool = False
) -> dict[str, pd.DataFrame]:
    """Every worklist of one unit, complete and in the order officers work it.

    ``paths`` are the staged tables (:func:`stage_unit_rows`); only the unit's rows are read
    (a filter on unit_code over files sorted by unit). Sorting, grouping and wording happen in
    DuckDB, masking with :func:`helpers.privacy.mask_id`.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE recs AS " + _records_sql(),
        {"records": paths["records"], "unit": unit_code},
    )
    try:
        homes = door_to_door(con, lang)
        records = _frame(con, _lists_sql(lang, week))
    finally:
        con.execute("DROP TABLE IF EXISTS recs")
    unmatched = _frame(
        con, _unmatched_sql(lang), {"unmatched": paths["unmatched"], "unit": unit_code}
    )
    if not full_ids:
        # the three lists' IDs masked in one call (its fixed cost is most of a small unit's)
        frames = (records, unmatched, homes)
        masked = mask_id(pd.concat([f["person_id"] for f in frames], ignore_index=True))
        parts, start = [], 0
        for frame in frames:
            part = masked.iloc[start : start + len(frame)]
            part.index = frame.index
            parts.append(part)
            start += len(frame)
        # an organisation's tax code is public and is how the unit finds it: kept
        org = records["owner_is_org"].fillna(False).astype(bool)
        records["person_id"] = parts[0].where(~org, records["person_id"])
        unmatched["person_id"] = parts[1]
        homes["person_id"] = parts[2]
    bounds = records["list_key"].to_numpy(dtype=object)
    lists = {"unmatched": unmatched, "door_to_door": homes}
    for key in RECORD_LISTS:
        first, last = np.searchsorted(bounds, key, "left"), np.searchsorted(bounds, key, "right")
        lists[key] = records.iloc[int(first) : int(last)]
    out = {}
    for key in LISTS:
        frame = lists[key].reset_index(drop=True)
        frame.insert(0, "seq", np.arange(1, len(frame) + 1))
        out[key] = frame
    out[GROUPS_KEY] = door_to_door_groups(homes)
    return out


def worklist_columns(key: str, lang: str) -> list[Column]:
    """The columns of one worklist, in reading order."""

    def c(name: str, kind: str, header: str | None = None) -> Column:
        return Column(name, header or tx(f"columns.{name}", lang), kind)

    record = [
        c("kind_label", "label"),
        c("record_key", "code"),
        c("record_type", "label"),
        c("person_name", "text"),
        c("person_id", "code"),
        c("address", "text"),
    ]
    if key == "pending":
        return [
            c("seq", "seq"),
            c("last_submitted_at", "datetime"),
            c("days_waiting", "int"),
            *record,
            c("n_submissions", "int"),
            c("submission_id", "code"),
            c("record_id", "code"),
        ]
    if key in GROUP_SHEETS:
        return [
            c("seq", "seq"),
            *record,
            c("reason", "text"),
            c("identity_label", "label"),
            c("review_label", "label"),
            c("submission_id", "code"),
            c("record_id", "code"),
        ]
    if key == "rejected":
        return [
            c("seq", "seq"),
            c("reviewed_at", "datetime"),
            c("days_waiting", "int", tx("columns.days_since_rejected", lang)),
            *record,
            c("phone", "code"),
            c("reject_reason", "text"),
            c("submission_id", "code"),
            c("record_id", "code"),
        ]
    if key == "unmatched":
        return [
            c("seq", "seq"),
            c("submitted_at", "datetime"),
            c("kind_label", "label"),
            c("record_key", "code"),
            c("chassis_no", "code"),
            c("person_name", "text"),
            c("person_id", "code"),
            c("phone", "code"),
            c("review_label", "label"),
            c("link_label", "text"),
            c("submission_id", "code"),
        ]
    if key == "door_to_door":
        return [
            c("seq", "seq"),
            c("group_label", "text"),
            c("household", "text"),
            c("kind_label", "label"),
            c("record_key", "code"),
            c("record_type", "label"),
            c("person_name", "text"),
            c("person_id", "code"),
            c("visited_on", "date"),
            c("visit_result", "text"),
        ]
    if key == GROUPS_KEY:
        return [
            c("group_label", "text"),
            c("households", "int"),
            c("vehicles", "int"),
            c("licences_not_submitted", "int"),
            c("records_outstanding", "int"),
        ]
    if key == "elsewhere":
        return [c("seq", "seq"), c("residence_unit_name", "text"), *record, c("record_id", "code")]
    raise KeyError(key)
