"""Reconcile: link submissions to registry records, check identities, decide one status each.

The rules are stated once in ``docs/rules.md``; this module is their implementation. All
record-level work is set-based SQL in DuckDB over the week's processed Parquet tables (no
Python loop per record), so the same code runs on the sample and on the 8.5 M-record city.

    counts = reconcile_week(ws, "2025-11-23")

writes ``vehicle_status``, ``licence_status``, ``submission_links`` and
``unit_self_report_check`` into ``data/processed/<week>/``. The functions after
:func:`reconcile_week` turn those tables into the per-unit views the notebook and progress use.
"""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta

import pandas as pd

from helpers import DeliveryError, store
from helpers.config import Plan, load_plan
from helpers.i18n import labels, t
from helpers.paths import Workspace
from helpers.privacy import mask_id
from helpers.statuses import (
    DIFFICULT_GROUPS,
    IDENTITY_OK,
    IDENTITY_RESULTS,
    LICENCE_STATUSES,
    VEHICLE_STATUSES,
)
from helpers.units import official_units

INPUT_TABLES = (
    "registry_vehicles",
    "registry_licences",
    "population",
    "submissions",
    "unit_reports",
)
OUTPUT_TABLES = ("vehicle_status", "licence_status", "submission_links", "unit_self_report_check")

# How sure each identity result is (0..1). Facts of the data (no valid ID, not in the extract)
# are certain; tolerated differences lower the confidence that both records are one person.
IDENTITY_CONFIDENCE: dict[str, float] = {
    "match": 1.0,
    "match_name_typo": 0.9,
    "match_middle_swapped": 0.95,
    "match_year_only": 0.9,
    "dob_day_month_swapped": 0.9,
    "dob_mismatch": 0.95,
    "name_mismatch": 0.95,
    "id_not_in_population": 1.0,
    "invalid_id": 1.0,
    "not_checked": 1.0,
}

# unit_reports column -> the system count it is compared with (see _SELF_REPORT_SQL)
SELF_REPORT_MEASURES = (
    "vehicles_collected",
    "vehicles_approved",
    "licences_collected",
    "licences_cleaned",
)

LINK_METHODS = ("plate", "chassis", "licence_no", "none")
LINK_REASONS = (
    "plate_match",  # the plate is held by exactly one record
    "chassis_match",  # no record holds the plate; the chassis number matches
    "licence_no_match",  # the licence number is held by exactly one record
    "original_of_duplicates",  # the key is held by several records: linked to the original
    "no_record_vehicle",  # no assigned record holds the plate or the chassis number
    "no_record_licence",  # no assigned record holds the licence number
)
MAX_CANDIDATES = 3

_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Inputs: typed views over the processed Parquet tables
# --------------------------------------------------------------------------------------------

_quote = store.sql_quote


def _register_inputs(con, ws: Workspace, week: str) -> None:
    missing = [name for name in INPUT_TABLES if not store.exists(ws, name, week)]
    if missing:
        raise DeliveryError(
            f"reconcile needs the processed tables {', '.join(missing)} for week {week} in "
            f"{ws.processed_week(week)}; run the ingest step (01_ingest) first"
        )
    for name in INPUT_TABLES:
        path = store.table_path(ws, name, week)
        con.execute(
            f"CREATE OR REPLACE VIEW in_{name} AS SELECT * FROM read_parquet({_quote(path)})"
        )


# Typed, renamed views of the columns reconcile needs (views: DuckDB reads only the columns a
# query uses, straight from Parquet). Vehicles and licences share the names (name_key,
# id_kind, dob, dob_year) so one identity query serves both.
_INPUT_SQL = """
CREATE OR REPLACE TEMP VIEW reg_veh AS
SELECT CAST(record_id AS VARCHAR) AS record_id, CAST(unit_code AS VARCHAR) AS unit_code,
       CAST(plate AS VARCHAR) AS plate, nullif(CAST(plate_key AS VARCHAR), '') AS plate_key,
       CAST(vehicle_type AS VARCHAR) AS vehicle_type,
       nullif(CAST(chassis_key AS VARCHAR), '') AS chassis_key,
       CAST(owner_kind AS VARCHAR) AS owner_kind, CAST(owner_name AS VARCHAR) AS owner_name,
       nullif(CAST(owner_name_key AS VARCHAR), '') AS name_key,
       CAST(owner_id AS VARCHAR) AS owner_id, CAST(owner_id_kind AS VARCHAR) AS id_kind,
       CAST(owner_dob AS DATE) AS dob, CAST(owner_dob_year AS INTEGER) AS dob_year,
       CAST(owner_address AS VARCHAR) AS owner_address,
       coalesce(owner_kind = 'organization', false) AS is_org
FROM in_registry_vehicles;

CREATE OR REPLACE TEMP VIEW reg_lic AS
SELECT CAST(record_id AS VARCHAR) AS record_id, CAST(unit_code AS VARCHAR) AS unit_code,
       nullif(CAST(licence_no AS VARCHAR), '') AS licence_no,
       CAST(licence_class AS VARCHAR) AS licence_class,
       CAST(holder_name AS VARCHAR) AS holder_name,
       nullif(CAST(holder_name_key AS VARCHAR), '') AS name_key,
       CAST(holder_id AS VARCHAR) AS holder_id, CAST(holder_id_kind AS VARCHAR) AS id_kind,
       CAST(holder_dob AS DATE) AS dob, CAST(holder_dob_year AS INTEGER) AS dob_year,
       false AS is_org
FROM in_registry_licences;

CREATE OR REPLACE TEMP VIEW pop AS
SELECT CAST(citizen_id AS VARCHAR) AS citizen_id,
       nullif(CAST(full_name_key AS VARCHAR), '') AS name_key,
       CAST(dob AS DATE) AS dob, CAST(dob_year AS INTEGER) AS dob_year,
       CAST(unit_code AS VARCHAR) AS unit_code, CAST(status AS VARCHAR) AS status
FROM in_population;

CREATE OR REPLACE TEMP TABLE sub AS
SELECT CAST(submission_id AS VARCHAR) AS submission_id,
       CAST(submitted_at AS TIMESTAMP) AS submitted_at, CAST(kind AS VARCHAR) AS kind,
       CAST(unit_code AS VARCHAR) AS unit_code,
       nullif(CAST(plate_key AS VARCHAR), '') AS plate_key,
       nullif(CAST(chassis_key AS VARCHAR), '') AS chassis_key,
       nullif(CAST(licence_no AS VARCHAR), '') AS licence_no,
       CAST(declared_status AS VARCHAR) AS declared_status,
       CAST(review_status AS VARCHAR) AS review_status,
       CAST(reviewed_at AS TIMESTAMP) AS reviewed_at,
       -- a submission counts for the week when made on or before its last day
       CAST(submitted_at AS TIMESTAMP) < TIMESTAMP {week_end_excl} AS counts_this_week
FROM in_submissions;
"""


# --------------------------------------------------------------------------------------------
# Duplicated registry records
# --------------------------------------------------------------------------------------------


def _duplicates_sql(table: str, keys: tuple[str, ...]) -> str:
    """``<table>_holders``: records holding a key some other record holds too, with the
    first holder (smallest record_id) and how many hold it; ``<table>_dup``: the records that
    are duplicates (they share a key with a smaller record_id).

    Grouping 8.5 M text keys is the expensive part, so keys are first grouped by their 64-bit
    hash to find the few shared ones; only the records holding those are compared exactly.
    """
    keyed = " UNION ALL ".join(
        f"SELECT record_id, {i} AS key_no, {k} AS k FROM {table} WHERE {k} IS NOT NULL"
        for i, k in enumerate(keys)
    )
    return f"""
CREATE OR REPLACE TEMP TABLE {table}_holders AS
WITH keyed AS ({keyed}),
shared AS (SELECT key_no, hash(k) AS h FROM keyed GROUP BY ALL HAVING count(*) > 1),
candidates AS (
    SELECT c.* FROM keyed c SEMI JOIN shared s ON c.key_no = s.key_no AND hash(c.k) = s.h
), counted AS (
    SELECT *, min(record_id) OVER w AS first_id, count(*) OVER w AS n_holders
    FROM candidates WINDOW w AS (PARTITION BY key_no, k)
)
SELECT * FROM counted WHERE n_holders > 1;

CREATE OR REPLACE TEMP TABLE {table}_dup AS
SELECT DISTINCT record_id FROM {table}_holders WHERE record_id <> first_id;
"""


# --------------------------------------------------------------------------------------------
# Links: submission -> registry record
# --------------------------------------------------------------------------------------------

# A key several records hold belongs to the first of them (the smallest record_id): every
# other holder is a duplicate, so the first is the original unless it duplicates another
# record by a different key, in which case all holders are duplicates and the first still
# stands for the key (docs/rules.md). One row per key, then one LEFT JOIN per key: a
# submission links by plate, else chassis (vehicles), or by licence number.
_LINK_SQL = """
CREATE OR REPLACE TEMP TABLE hit AS
WITH by_plate AS (
    SELECT r.record_id, r.unit_code, r.plate_key AS k, coalesce(h.n_holders, 1) AS n
    FROM reg_veh r LEFT JOIN reg_veh_holders h ON h.key_no = 0 AND h.record_id = r.record_id
    WHERE r.plate_key IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
), by_chassis AS (
    SELECT r.record_id, r.unit_code, r.chassis_key AS k, coalesce(h.n_holders, 1) AS n
    FROM reg_veh r LEFT JOIN reg_veh_holders h ON h.key_no = 1 AND h.record_id = r.record_id
    WHERE r.chassis_key IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
), by_licence AS (
    SELECT r.record_id, r.unit_code, r.licence_no AS k, coalesce(h.n_holders, 1) AS n
    FROM reg_lic r LEFT JOIN reg_lic_holders h ON h.key_no = 0 AND h.record_id = r.record_id
    WHERE r.licence_no IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
)
SELECT s.submission_id,
       CASE WHEN p.record_id IS NOT NULL THEN 1 WHEN c.record_id IS NOT NULL THEN 2 END
           AS method_rank,
       coalesce(p.record_id, c.record_id) AS record_id,
       coalesce(p.unit_code, c.unit_code) AS record_unit_code,
       coalesce(p.n, c.n) AS n_same_key
FROM sub s
LEFT JOIN by_plate p ON p.k = s.plate_key
LEFT JOIN by_chassis c ON c.k = s.chassis_key
WHERE s.kind = 'vehicle'
UNION ALL
SELECT s.submission_id, CASE WHEN l.record_id IS NOT NULL THEN 3 END, l.record_id, l.unit_code,
       l.n
FROM sub s LEFT JOIN by_licence l ON l.k = s.licence_no
WHERE s.kind = 'licence';

-- per record: the winning submission (the latest; ties: the larger submission_id) and how
-- many submissions counted for the week
CREATE OR REPLACE TEMP TABLE record_subs AS
SELECT s.kind, h.record_id,
       max(struct_pack(at := s.submitted_at, id := s.submission_id, review := s.review_status,
                       reviewed := s.reviewed_at, declared := s.declared_status)) AS latest,
       count(*) AS n_submissions, min(s.submitted_at) AS first_submitted_at,
       max(s.submitted_at) AS last_submitted_at
FROM sub s JOIN hit h USING (submission_id)
WHERE h.record_id IS NOT NULL AND s.counts_this_week
GROUP BY s.kind, h.record_id;

CREATE OR REPLACE TEMP TABLE link AS
SELECT s.*, h.record_id, h.record_unit_code,
       CASE h.method_rank WHEN 1 THEN 'plate' WHEN 2 THEN 'chassis'
            WHEN 3 THEN 'licence_no' ELSE 'none' END AS link_method,
       CASE WHEN h.record_id IS NULL AND s.kind = 'licence' THEN 'no_record_licence'
            WHEN h.record_id IS NULL THEN 'no_record_vehicle'
            WHEN h.n_same_key > 1 THEN 'original_of_duplicates'
            WHEN h.method_rank = 1 THEN 'plate_match'
            WHEN h.method_rank = 2 THEN 'chassis_match'
            ELSE 'licence_no_match' END AS link_reason,
       CASE WHEN s.counts_this_week AND w.latest.id <> s.submission_id THEN w.latest.id END
           AS superseded_by
FROM sub s
JOIN hit h USING (submission_id)
LEFT JOIN record_subs w ON w.kind = s.kind AND w.record_id = h.record_id;
"""

# Best candidates for unmatched submissions: records whose key (plate, licence number) is one
# edit away, found by equi-joins, never by comparing every pair. Two exact ways, the cheaper
# chosen by the counts (see _candidate_method):
# - "neighbours": each unmatched key expanded into every key one edit away (each character
#   deleted, replaced or inserted from the key alphabet), joined to the registry keys; the
#   cost grows with the unmatched submissions (~700 keys each).
# - "deletions": both sides expanded into their "deletion variants" (the key itself and the
#   key without one character; keys one edit apart share one); the cost is fixed by the
#   registry (~10 variants per record).
_CANDIDATES_HEAD = """
CREATE OR REPLACE TEMP TABLE cand AS
WITH unmatched AS (
    SELECT submission_id, kind, CASE kind WHEN 'vehicle' THEN plate_key ELSE licence_no END AS k
    FROM link WHERE record_id IS NULL
), pos AS (
    SELECT submission_id, kind, k, unnest(range(0, length(k) + 1)) AS i
    FROM unmatched WHERE k IS NOT NULL
), registry_keys AS (
    SELECT 'vehicle' AS kind, record_id, plate_key AS k FROM reg_veh WHERE plate_key IS NOT NULL
    UNION ALL
    SELECT 'licence', record_id, licence_no FROM reg_lic WHERE licence_no IS NOT NULL
),
"""
_CANDIDATES_NEAR = {
    "neighbours": """
alphabet AS (
    SELECT 'vehicle' AS kind, unnest(string_split('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ''))
        AS c
    UNION ALL
    SELECT 'licence', unnest(string_split('0123456789', ''))
), near_keys AS (
    SELECT submission_id, kind, k[1:i - 1] || k[i + 1:] AS v FROM pos WHERE i >= 1
    UNION ALL
    SELECT p.submission_id, p.kind, k[1:i - 1] || a.c || k[i + 1:]
    FROM pos p JOIN alphabet a ON a.kind = p.kind WHERE i >= 1 AND a.c <> k[i]
    UNION ALL
    SELECT p.submission_id, p.kind, k[1:i] || a.c || k[i + 1:]
    FROM pos p JOIN alphabet a ON a.kind = p.kind
), near AS (
    SELECT DISTINCT n.submission_id, r.record_id
    FROM near_keys n JOIN registry_keys r ON r.kind = n.kind AND r.k = n.v
)
""",
    "deletions": """
unmatched_var AS (
    SELECT submission_id, kind, k, CASE WHEN i = 0 THEN k ELSE k[1:i - 1] || k[i + 1:] END AS v
    FROM pos
), registry_pos AS (
    SELECT kind, record_id, k, unnest(range(0, length(k) + 1)) AS i FROM registry_keys
), registry_var AS (
    SELECT kind, record_id, k, CASE WHEN i = 0 THEN k ELSE k[1:i - 1] || k[i + 1:] END AS v
    FROM registry_pos
), near AS (
    SELECT DISTINCT u.submission_id, g.record_id
    FROM unmatched_var u JOIN registry_var g ON u.kind = g.kind AND u.v = g.v
    WHERE levenshtein(u.k, g.k) = 1
)
""",
}
_CANDIDATES_TAIL = """
SELECT submission_id, list(record_id ORDER BY record_id)[1:{max_candidates}] AS candidates
FROM near GROUP BY submission_id
"""


def _candidates_sql(method: str) -> str:
    return (
        _CANDIDATES_HEAD
        + _CANDIDATES_NEAR[method]
        + _CANDIDATES_TAIL.format(max_candidates=MAX_CANDIDATES)
    )


def _candidate_method(unmatched: int, registry: int) -> str:
    """Neighbours cost ~70 generated keys per unmatched submission for every ~1 variant per
    registry record (measured: 47 k unmatched against 8.5 M records, 14 s against 21 s CPU),
    so they win until about 3 % of the registry is unmatched."""
    return "neighbours" if unmatched * 70 < registry else "deletions"


# --------------------------------------------------------------------------------------------
# Identity and statuses
# --------------------------------------------------------------------------------------------


def _confidence_case(column: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {v}" for k, v in IDENTITY_CONFIDENCE.items())
    return f"CASE {column} {whens} END"


_OK_LIST = ", ".join(f"'{r}'" for r in sorted(IDENTITY_OK))

# Condition per status (SQL over the joined record row `x`), in precedence order.
_VEHICLE_CONDITIONS: dict[str, str] = {
    "duplicate_registry_record": "x.is_dup",
    "organization_owned": "x.is_org",
    "invalid_owner_id": "x.identity_result = 'invalid_id'",
    "id_not_in_population": "x.identity_result = 'id_not_in_population'",
    "owner_deceased": "x.in_population AND x.population_status = 'deceased'",
    "identity_mismatch": f"x.in_population AND x.identity_result NOT IN ({_OK_LIST})",
    "scrapped_or_lost": "x.review_status = 'approved' AND x.declared_status IN ('scrapped', 'lost')",
    "transferred_not_registered": "x.review_status = 'approved' AND x.declared_status = 'transferred'",
    "cleaned": "x.review_status = 'approved' AND x.declared_status IS DISTINCT FROM 'scrapped' "
    "AND x.declared_status IS DISTINCT FROM 'lost' "
    "AND x.declared_status IS DISTINCT FROM 'transferred'",
    "pending_review": "x.review_status = 'pending'",
    "rejected_awaiting_resubmission": "x.review_status = 'rejected'",
    "owner_resides_elsewhere": "x.submission_id IS NULL AND x.population_unit_code IS NOT NULL "
    "AND x.population_unit_code <> x.unit_code",
    "not_submitted": "x.submission_id IS NULL AND (x.population_unit_code IS NULL "
    "OR x.population_unit_code = x.unit_code)",
}

_LICENCE_CONDITIONS: dict[str, str] = {
    "duplicate_registry_record": "x.is_dup",
    "invalid_holder_id": "x.identity_result = 'invalid_id'",
    "id_not_in_population": "x.identity_result = 'id_not_in_population'",
    "holder_deceased": "x.in_population AND x.population_status = 'deceased'",
    "identity_mismatch": f"x.in_population AND x.identity_result NOT IN ({_OK_LIST})",
    "cleaned": "x.review_status = 'approved'",
    "pending_review": "x.review_status = 'pending'",
    "rejected_awaiting_resubmission": "x.review_status = 'rejected'",
    "not_submitted": "x.submission_id IS NULL",
}
assert tuple(_VEHICLE_CONDITIONS) == VEHICLE_STATUSES
assert tuple(_LICENCE_CONDITIONS) == LICENCE_STATUSES

# One pass per kind: the registry record, its owner/holder in the population extract, whether
# it is a duplicate and its winning submission; then the identity comparison, every status
# rule that holds, and the reason in both languages. Streams from Parquet to Parquet.
_RECORDS_SQL = """
WITH joined AS (
    SELECT r.*, p.citizen_id IS NOT NULL AS in_population,
           p.status AS population_status, p.unit_code AS population_unit_code,
           p.name_key AS p_name_key, p.dob AS p_dob, p.dob_year AS p_dob_year,
           d.record_id IS NOT NULL AS is_dup,
           w.submission_id, w.review_status, w.reviewed_at, w.declared_status,
           coalesce(w.n_submissions, 0) AS n_submissions, w.first_submitted_at,
           w.last_submitted_at
    FROM {reg} r
    LEFT JOIN pop p ON NOT r.is_org AND r.id_kind = 'cccd' AND p.citizen_id = r.{id_col}
    LEFT JOIN {reg}_dup d ON d.record_id = r.record_id
    LEFT JOIN (
        SELECT record_id, latest.id AS submission_id, latest.review AS review_status,
               latest.reviewed AS reviewed_at, latest.declared AS declared_status,
               n_submissions, first_submitted_at, last_submitted_at
        FROM record_subs WHERE kind = '{kind}'
    ) w ON w.record_id = r.record_id
), checks AS (
    SELECT *,
        CASE WHEN NOT in_population THEN NULL
             WHEN name_key IS NULL OR p_name_key IS NULL THEN 'not_compared'
             WHEN name_key = p_name_key THEN 'match'
             WHEN split_part(name_key, ' ', 1) = split_part(p_name_key, ' ', 1)
                  AND list_sort(string_split(name_key, ' '))
                      = list_sort(string_split(p_name_key, ' '))
                  THEN 'match_middle_swapped'
             WHEN levenshtein(name_key, p_name_key) <= 1 THEN 'match_name_typo'
             ELSE 'name_mismatch' END AS name_check,
        CASE WHEN NOT in_population THEN NULL
             WHEN dob IS NULL AND dob_year IS NULL THEN 'not_compared'
             WHEN dob IS NOT NULL AND p_dob IS NOT NULL THEN
                 CASE WHEN dob = p_dob THEN 'match'
                      WHEN year(dob) = year(p_dob) AND month(dob) = day(p_dob)
                           AND day(dob) = month(p_dob) THEN 'dob_day_month_swapped'
                      ELSE 'dob_mismatch' END
             -- one side holds the year only: the years must agree
             WHEN coalesce(year(dob), dob_year) = coalesce(year(p_dob), p_dob_year)
                  THEN 'match_year_only'
             ELSE 'dob_mismatch' END AS dob_check
    FROM joined
), result AS (
    SELECT *,
        CASE WHEN is_org THEN 'not_checked'
             WHEN id_kind IS DISTINCT FROM 'cccd' THEN 'invalid_id'
             WHEN NOT in_population THEN 'id_not_in_population'
             WHEN name_check = 'name_mismatch' THEN 'name_mismatch'
             WHEN dob_check IN ('dob_day_month_swapped', 'dob_mismatch') THEN dob_check
             WHEN name_check IN ('match_name_typo', 'match_middle_swapped') THEN name_check
             WHEN dob_check = 'match_year_only' THEN 'match_year_only'
             ELSE 'match' END AS identity_result
    FROM checks
), x AS (
    SELECT *,
       CASE WHEN identity_result IN ({ok}) THEN
                -- tolerated differences on both sides lower the confidence together
                (CASE name_check WHEN 'match_name_typo' THEN {typo}
                     WHEN 'match_middle_swapped' THEN {swapped}
                     WHEN 'not_compared' THEN 0.8 ELSE 1.0 END)
                * (CASE dob_check WHEN 'match_year_only' THEN {year_only}
                     WHEN 'not_compared' THEN 0.8 ELSE 1.0 END)
            ELSE {conf} END AS identity_confidence
    FROM result
), holds AS (
    SELECT x.*, list_filter([{conditions}], lambda s: s IS NOT NULL) AS holding FROM x
), decided AS (
    SELECT holds.* EXCLUDE (holding), holding[1] AS status, holding[2:] AS flags FROM holds
)
SELECT {columns},
       CASE WHEN s.status = 'identity_mismatch'
            THEN rs.reason_en || ' (' || il.label_en || ')' ELSE rs.reason_en END
           AS status_reason,
       CASE WHEN s.status = 'identity_mismatch'
            THEN rs.reason_vi || ' (' || il.label_vi || ')' ELSE rs.reason_vi END
           AS status_reason_vi
FROM decided s
LEFT JOIN status_reasons rs ON rs.status = s.status
LEFT JOIN identity_labels il ON il.identity_result = s.identity_result
"""

_OUTPUT_COLUMNS = {
    "vehicle": (
        "record_id, unit_code, vehicle_type, owner_kind, status, flags, submission_id, "
        "n_submissions, first_submitted_at, last_submitted_at, review_status, reviewed_at, "
        "declared_status, identity_result, identity_confidence, name_check, dob_check, "
        "id_kind AS owner_id_kind, population_unit_code, plate, owner_name, owner_id, "
        "owner_address"
    ),
    "licence": (
        "record_id, unit_code, licence_no, licence_class, status, flags, submission_id, "
        "n_submissions, first_submitted_at, last_submitted_at, review_status, reviewed_at, "
        "identity_result, identity_confidence, name_check, dob_check, "
        "id_kind AS holder_id_kind, population_unit_code, holder_name, holder_id, "
        "dob AS holder_dob, dob_year AS holder_dob_year"
    ),
}


def _records_sql(kind: str) -> str:
    """The status table of one kind (``vehicle``/``licence``) as one SELECT."""
    reg, id_col, conditions = {
        "vehicle": ("reg_veh", "owner_id", _VEHICLE_CONDITIONS),
        "licence": ("reg_lic", "holder_id", _LICENCE_CONDITIONS),
    }[kind]
    listed = ", ".join(f"CASE WHEN {cond} THEN '{code}' END" for code, cond in conditions.items())
    columns = ", ".join(f"s.{c.strip()}" for c in _OUTPUT_COLUMNS[kind].split(","))
    return _RECORDS_SQL.format(
        reg=reg,
        id_col=id_col,
        kind=kind,
        conditions=listed,
        columns=columns,
        ok=_OK_LIST,
        typo=IDENTITY_CONFIDENCE["match_name_typo"],
        swapped=IDENTITY_CONFIDENCE["match_middle_swapped"],
        year_only=IDENTITY_CONFIDENCE["match_year_only"],
        conf=_confidence_case("identity_result"),
    )


def status_reasons() -> pd.DataFrame:
    """One row per status code: ``status``, ``reason_en``, ``reason_vi`` from the catalogues."""
    codes = list(dict.fromkeys(VEHICLE_STATUSES + LICENCE_STATUSES))
    en, vi = labels("status_reason", "en"), labels("status_reason", "vi")
    return pd.DataFrame(
        {"status": codes, "reason_en": [en[c] for c in codes], "reason_vi": [vi[c] for c in codes]}
    )


def identity_labels() -> pd.DataFrame:
    """One row per identity result: ``identity_result``, ``label_en``, ``label_vi``."""
    en, vi = labels("identity", "en"), labels("identity", "vi")
    return pd.DataFrame(
        {
            "identity_result": list(IDENTITY_RESULTS),
            "label_en": [en[c] for c in IDENTITY_RESULTS],
            "label_vi": [vi[c] for c in IDENTITY_RESULTS],
        }
    )


_LINKS_OUTPUT = """
SELECT l.submission_id, l.kind, l.unit_code, l.record_id, l.record_unit_code, l.link_method,
       l.superseded_by IS NOT NULL AS is_duplicate, l.superseded_by,
       l.link_reason,
       CASE WHEN l.record_id IS NULL THEN coalesce(c.candidates, []::VARCHAR[]) END
           AS candidates,
       l.submitted_at, l.review_status, l.reviewed_at, l.declared_status, l.counts_this_week
FROM link l
LEFT JOIN cand c USING (submission_id)
"""


# --------------------------------------------------------------------------------------------
# Self-reports against the system
# --------------------------------------------------------------------------------------------

# System counts per unit and day, each comparable with one self-reported column:
#   vehicles_collected  vehicle submissions received that day for the unit's records
#   vehicles_approved   vehicle submissions the unit approved that day
#   licences_collected  licence submissions received that day
#   licences_cleaned    licence submissions the unit approved that day
# A submission belongs to its record's unit; an unmatched one to the unit it declares.
_SELF_REPORT_SQL = """
CREATE OR REPLACE TEMP TABLE self_report AS
WITH reported AS (
    SELECT CAST(report_date AS DATE) AS report_date, CAST(unit_code AS VARCHAR) AS unit_code,
           sum(vehicles_collected)::BIGINT AS reported_vehicles_collected,
           sum(vehicles_approved)::BIGINT AS reported_vehicles_approved,
           sum(licences_collected)::BIGINT AS reported_licences_collected,
           sum(licences_cleaned)::BIGINT AS reported_licences_cleaned
    FROM in_unit_reports GROUP BY ALL
), by_unit AS (
    -- the unit a submission belongs to: its record's unit (that unit reviews it), else the
    -- unit the citizen declared
    SELECT kind, submitted_at, review_status, reviewed_at,
           coalesce(record_unit_code, unit_code) AS unit_code
    FROM link
), collected AS (
    SELECT CAST(submitted_at AS DATE) AS report_date, unit_code,
           count(*) FILTER (WHERE kind = 'vehicle') AS system_vehicles_collected,
           count(*) FILTER (WHERE kind = 'licence') AS system_licences_collected
    FROM by_unit GROUP BY ALL
), approved AS (
    SELECT CAST(reviewed_at AS DATE) AS report_date, unit_code,
           count(*) FILTER (WHERE kind = 'vehicle') AS system_vehicles_approved,
           count(*) FILTER (WHERE kind = 'licence') AS system_licences_cleaned
    FROM by_unit WHERE review_status = 'approved' AND reviewed_at IS NOT NULL GROUP BY ALL
), days AS (
    SELECT report_date, unit_code FROM reported
    UNION SELECT report_date, unit_code FROM collected
    UNION SELECT report_date, unit_code FROM approved
)
SELECT d.report_date, d.unit_code,
       reported.unit_code IS NOT NULL AS has_report,
       {columns}
FROM days d
LEFT JOIN reported USING (report_date, unit_code)
LEFT JOIN collected USING (report_date, unit_code)
LEFT JOIN approved USING (report_date, unit_code)
WHERE d.report_date <= DATE {week_end}
"""


def _self_report_columns() -> str:
    cols = []
    for m in SELF_REPORT_MEASURES:
        cols.append(f"coalesce(reported_{m}, 0)::BIGINT AS reported_{m}")
        cols.append(f"coalesce(system_{m}, 0)::BIGINT AS system_{m}")
    return ",\n       ".join(cols)


def judge_self_reports(counts: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Add ``reported_total``, ``system_total``, ``ratio``, ``overstated`` and, per measure,
    ``overstated_<m>`` to a table of ``reported_<m>`` / ``system_<m>`` counts (any grain).

    Reports overstate when they exceed the system by more than
    ``self_reports.overstate_threshold`` and are at least ``min_reported`` (one record must not
    swing a small unit's ratio). ``overstated`` judges the four measures together (``ratio`` =
    reported / system over all of them, null when the system shows nothing), so a small unit
    is judged on all it reports; ``overstated_<m>`` says which measures are over, with the same
    rule per measure (for the reasons a briefing gives).
    """
    threshold = plan.self_reports.overstate_threshold
    min_reported = plan.self_reports.min_reported
    out = counts.copy()

    def over(reported: pd.Series, system: pd.Series) -> pd.Series:
        rep, sys_ = reported.astype("float64"), system.astype("float64")
        return ((rep >= min_reported) & (rep > sys_ * (1.0 + threshold))).astype(bool)

    for m in SELF_REPORT_MEASURES:
        out[f"overstated_{m}"] = over(out[f"reported_{m}"], out[f"system_{m}"])
    out["reported_total"] = out[[f"reported_{m}" for m in SELF_REPORT_MEASURES]].sum(axis=1)
    out["system_total"] = out[[f"system_{m}" for m in SELF_REPORT_MEASURES]].sum(axis=1)
    system = out["system_total"].astype("float64")
    out["ratio"] = (out["reported_total"].astype("float64") / system).where(system > 0)
    out["overstated"] = over(out["reported_total"], out["system_total"])
    return out


def self_report_verdict(
    check: pd.DataFrame, week: str, plan: Plan | None = None, days: int | None = None
) -> pd.DataFrame:
    """Per-unit verdict for the week (126 rows): the days the unit reported, summed, judged.

    Only days with a report count on both sides: a day the unit did not report (or whose
    report ingest rejected) is not compared, so a missing report never looks like an
    understatement and the week's first day, delivered the week before, is not half-counted.
    Returns ``unit_code``, ``unit_name``, ``days_reported``, ``reported_<m>``, ``system_<m>``,
    ``reported_total``, ``system_total``, ``ratio``, ``overstated_<m>``, ``overstated`` and
    ``days_overstated`` (days on which the daily check flagged the unit). This is what
    progress reads as ``self_report_ratio`` / ``self_report_overstated``.
    """
    plan = plan or load_plan()
    days = days or plan.cadence_days
    end = date.fromisoformat(week)
    start = end - timedelta(days=days - 1)
    when = pd.to_datetime(check["report_date"]).dt.date
    # tables without the column (hand-made, or written before it existed): every row reported
    reported = (
        check["has_report"].astype(bool)
        if "has_report" in check.columns
        else pd.Series(True, index=check.index)
    )
    week_rows = check.loc[(when >= start) & (when <= end) & reported]
    value_cols = [f"{side}_{m}" for m in SELF_REPORT_MEASURES for side in ("reported", "system")]
    summed = week_rows.groupby("unit_code")[value_cols].sum()
    summed["days_reported"] = week_rows.groupby("unit_code").size()
    summed["days_overstated"] = week_rows.groupby("unit_code")["overstated"].sum()
    units = official_units()[["unit_code", "unit_name"]]
    out = units.merge(summed.reset_index(), on="unit_code", how="left")
    out[value_cols + ["days_reported", "days_overstated"]] = (
        out[value_cols + ["days_reported", "days_overstated"]].fillna(0).astype("int64")
    )
    return judge_self_reports(out, plan)


# --------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------


def _write(con, sql: str, ws: Workspace, name: str, week: str) -> int:
    """Stream a query to ``<processed>/<week>/<name>.parquet`` atomically; returns its rows.

    DuckDB writes the Parquet itself so 8.5 M-row tables never pass through pandas.
    """
    target = store.table_path(ws, name, week)
    store.refuse_raw(ws, target)
    return store.query_to_parquet(con, sql, target, contract=name)


def reconcile_week(ws: Workspace, week: str, plan: Plan | None = None) -> dict[str, int]:
    """Link, check and classify the week's records; write the four reconcile tables.

    Returns row counts: one per written table, plus ``links_unmatched`` and
    ``links_duplicate``.
    """
    plan = plan or load_plan()
    week_end = date.fromisoformat(week)
    started = time.perf_counter()
    con = store.duckdb_connect()
    try:
        _register_inputs(con, ws, week)
        con.execute(
            _INPUT_SQL.format(week_end_excl=_quote(f"{week_end + timedelta(days=1)} 00:00:00"))
        )
        con.execute(_duplicates_sql("reg_veh", ("plate_key", "chassis_key")))
        con.execute(_duplicates_sql("reg_lic", ("licence_no",)))
        con.execute(_LINK_SQL)
        unmatched, registry = con.execute(
            "SELECT (SELECT count(*) FROM link WHERE record_id IS NULL), "
            "(SELECT count(*) FROM reg_veh) + (SELECT count(*) FROM reg_lic)"
        ).fetchone()
        con.execute(_candidates_sql(_candidate_method(unmatched, registry)))
        con.register("status_reasons", status_reasons())
        con.register("identity_labels", identity_labels())
        _log.info("reconcile %s: links done in %.1f s", week, time.perf_counter() - started)

        counts = {
            "vehicle_status": _write(con, _records_sql("vehicle"), ws, "vehicle_status", week),
            "licence_status": _write(con, _records_sql("licence"), ws, "licence_status", week),
            "submission_links": _write(con, _LINKS_OUTPUT, ws, "submission_links", week),
        }
        counts["links_unmatched"] = con.execute(
            "SELECT count(*) FROM link WHERE record_id IS NULL"
        ).fetchone()[0]
        counts["links_duplicate"] = con.execute(
            "SELECT count(*) FROM link WHERE superseded_by IS NOT NULL"
        ).fetchone()[0]

        con.execute(
            _SELF_REPORT_SQL.format(
                columns=_self_report_columns(), week_end=_quote(week_end.isoformat())
            )
        )
        daily = con.execute("SELECT * FROM self_report ORDER BY unit_code, report_date").df()
    finally:
        con.close()
    daily["report_date"] = pd.to_datetime(daily["report_date"]).dt.date.astype("date32[pyarrow]")
    check = judge_self_reports(daily, plan)
    store.save(ws, check, "unit_self_report_check", week)
    counts["unit_self_report_check"] = len(check)
    return counts


# --------------------------------------------------------------------------------------------
# Views for the notebook and later stages (small tables)
# --------------------------------------------------------------------------------------------


def status_counts(ws: Workspace, week: str, kind: str) -> pd.DataFrame:
    """Long table ``unit_code``, ``status``, ``records`` from the week's status table."""
    name = {"vehicle": "vehicle_status", "licence": "licence_status"}[kind]
    path = store.table_path(ws, name, week)
    if not path.is_file():
        raise DeliveryError(f"{name} for week {week} not found ({path}); run reconcile first")
    con = store.duckdb_connect()
    try:
        return con.execute(
            f"SELECT unit_code, status, count(*) AS records FROM read_parquet({_quote(path)}) "
            "GROUP BY ALL ORDER BY ALL"
        ).df()
    finally:
        con.close()


def status_table(counts: pd.DataFrame, kind: str, lang: str | None = None) -> pd.DataFrame:
    """Units x statuses (126 rows, every status a column in precedence order) plus ``total``.

    With ``lang``, the status columns carry their catalogue labels (for display).
    """
    order = list(VEHICLE_STATUSES if kind == "vehicle" else LICENCE_STATUSES)
    wide = counts.pivot_table(
        index="unit_code", columns="status", values="records", aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(columns=order, fill_value=0)
    units = official_units()[["unit_code", "unit_name"]]
    out = units.merge(wide.reset_index(), on="unit_code", how="left")
    out[order] = out[order].fillna(0).astype("int64")
    out["total"] = out[order].sum(axis=1)
    out.columns.name = None
    if lang:
        out = out.rename(columns={**labels("status", lang), "total": t("reconcile.total", lang)})
    return out


def city_status_table(counts: pd.DataFrame, kind: str, lang: str | None = None) -> pd.DataFrame:
    """One row per status (precedence order): ``status``, ``records``, ``share``, ``difficult``.

    With ``lang``, a ``label`` column carries the status's catalogue label (for display).
    """
    order = list(VEHICLE_STATUSES if kind == "vehicle" else LICENCE_STATUSES)
    totals = counts.groupby("status")["records"].sum().reindex(order, fill_value=0)
    out = totals.rename("records").rename_axis("status").reset_index()
    total = out["records"].sum()
    out["share"] = out["records"] / total if total else 0.0
    out["difficult"] = out["status"].isin(DIFFICULT_GROUPS)
    if lang:
        out.insert(1, "label", out["status"].map(labels("status", lang)))
    return out


def difficult_examples(
    ws: Workspace, week: str, kind: str, per_group: int = 3, lang: str | None = None
) -> pd.DataFrame:
    """A few records of each difficult group, personal data masked (IDs as ``001*******45``).

    Only codes and masked IDs leave this function: no names, plates, phones or addresses.
    The sample is stable (ordered by a hash of ``record_id``), so reruns show the same rows.
    """
    name = {"vehicle": "vehicle_status", "licence": "licence_status"}[kind]
    id_col = "owner_id" if kind == "vehicle" else "holder_id"
    path = store.table_path(ws, name, week)
    groups = ", ".join(f"'{g}'" for g in sorted(DIFFICULT_GROUPS))
    con = store.duckdb_connect()
    try:
        rows = con.execute(
            f"SELECT status, unit_code, record_id, {id_col} AS person_id, identity_result, "
            f"identity_confidence, flags FROM read_parquet({_quote(path)}) "
            f"WHERE status IN ({groups}) "
            f"QUALIFY row_number() OVER (PARTITION BY status ORDER BY hash(record_id)) <= "
            f"{int(per_group)} ORDER BY status, unit_code, record_id"
        ).df()
    finally:
        con.close()
    rows["person_id"] = mask_id(rows["person_id"])
    rows["flags"] = rows["flags"].map(lambda f: ", ".join(f) if f is not None else "")
    if lang:
        rows.insert(1, "label", rows["status"].map(labels("status", lang)))
        rows["identity_result"] = rows["identity_result"].map(labels("identity", lang))
    return rows


def link_summary(ws: Workspace, week: str, lang: str | None = None) -> pd.DataFrame:
    """Submissions by kind, link method and reason, with duplicates counted apart.

    With ``lang``, methods and reasons carry their catalogue labels (for display).
    """
    path = store.table_path(ws, "submission_links", week)
    con = store.duckdb_connect()
    try:
        out = con.execute(
            f"SELECT kind, link_method, link_reason, count(*) AS submissions, "
            f"count(*) FILTER (WHERE is_duplicate) AS duplicates "
            f"FROM read_parquet({_quote(path)}) GROUP BY ALL ORDER BY ALL"
        ).df()
    finally:
        con.close()
    if lang:
        out["link_method"] = out["link_method"].map(labels("reconcile.link_method_label", lang))
        out["link_reason"] = out["link_reason"].map(labels("reconcile.link_reason", lang))
    return out
