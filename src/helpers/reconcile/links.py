"""Links: each submission to the registry record it is about, duplicates of the registry, and
the nearest records for a submission that links to none.

Works on the DuckDB connection only (the typed views of :mod:`helpers.reconcile.inputs`);
creates the temp tables ``reg_veh_holders``/``reg_veh_dup``, ``reg_lic_holders``/``reg_lic_dup``
(``duplicates.sql``), ``reg_plate_settled`` and the view ``reg_veh_plate`` (``plates.sql``),
the tables ``keyed`` (each submission with the records its keys hold as written),
``plate_reads`` (plates not held as written, by reading) and ``record_subs`` (the winner per
record), the views ``hit`` (each submission's record) and ``link``, the table ``unmatched_sub`` (``links.sql``), and
``cand`` (``candidates_*.sql``). Reads and writes no files.
"""

from __future__ import annotations

from helpers.reconcile.queries import sql

LINK_METHODS = ("plate", "chassis", "licence_no", "none")
LINK_REASONS = (
    "plate_match",  # the plate is held by exactly one record
    "chassis_match",  # no record holds the plate; the chassis number matches
    "licence_no_match",  # the licence number is held by exactly one record
    "original_of_duplicates",  # the key is held by several records: linked to the original
    "ambiguous_plate",  # the plate, run together, reads as two plates records hold; no chassis
    "no_record_vehicle",  # no assigned record holds the plate or the chassis number
    "no_record_licence",  # no assigned record holds the licence number
)
MAX_CANDIDATES = 3


# --------------------------------------------------------------------------------------------
# Duplicated registry records
# --------------------------------------------------------------------------------------------


def _duplicates_sql(table: str, keys: tuple[str, ...], source: str | None = None) -> str:
    """``<table>_holders``: records holding a key some other record holds too, with the
    first holder (smallest record_id) and how many hold it; ``<table>_dup``: the records that
    are duplicates (they share a key with a smaller record_id).

    Grouping 8.5 M text keys is the expensive part, so keys are first grouped by their 64-bit
    hash to find the few shared ones; only the records holding those are compared exactly.
    The keys are read from ``source`` (default: ``table``; vehicles: ``reg_veh_plate``, one key
    per plate, ``plates.sql``).
    """
    keyed = " UNION ALL ".join(
        f"SELECT record_id, {i} AS key_no, {k} AS k FROM {source or table} WHERE {k} IS NOT NULL"
        for i, k in enumerate(keys)
    )
    return sql("duplicates").format(table=table, keyed=keyed)


# --------------------------------------------------------------------------------------------
# Links: submission -> registry record (links.sql)
# --------------------------------------------------------------------------------------------

# A key several records hold belongs to the first of them (the smallest record_id): every
# other holder is a duplicate, so the first is the original unless it duplicates another
# record by a different key, in which case all holders are duplicates and the first still
# stands for the key (docs/rules.md). One row per key, then one LEFT JOIN per key: a
# submission links by plate, else chassis (vehicles), or by licence number. Plates meet on
# their letters and digits: a key with the series/number boundary only its own key, a key
# read both ways (no boundary) each reading; two readings held and no key as written: no plate
# link. Per record, the winning submission is the latest (ties: the larger submission_id).


def link_submissions(con) -> None:
    """Duplicates, then links and candidates: the temp tables named in the module docstring."""
    con.execute(sql("plates"))
    con.execute(_duplicates_sql("reg_veh", ("plate_key", "chassis_key"), source="reg_veh_plate"))
    con.execute(_duplicates_sql("reg_lic", ("licence_no",)))
    con.execute(sql("links"))
    unmatched, registry = con.execute(
        "SELECT (SELECT count(*) FROM unmatched_sub), "
        "(SELECT count(*) FROM reg_veh) + (SELECT count(*) FROM reg_lic)"
    ).fetchone()
    con.execute(_candidates_sql(candidate_method(unmatched, registry)))


# --------------------------------------------------------------------------------------------
# Candidates for unmatched submissions
# --------------------------------------------------------------------------------------------

# Best candidates for unmatched submissions: records whose key (plate, licence number) is one
# edit away, found by equi-joins, never by comparing every pair. Two exact ways, the cheaper
# chosen by the counts (see candidate_method):
# - "neighbours": each unmatched key expanded into every key one edit away (each character
#   deleted, replaced or inserted from the key alphabet), joined to the registry keys; the
#   cost grows with the unmatched submissions (~700 keys each).
# - "deletions": both sides expanded into their "deletion variants" (the key itself and the
#   key without one character; keys one edit apart share one); the cost is fixed by the
#   registry (~10 variants per record).
# Records whose plate spells the same letters and digits come first: the readings of a plate
# read both ways, or the other boundary of a plate written with one (29B-11234 for 29B1-1234).
_CANDIDATES_TAIL = """
, same AS (
    SELECT u.submission_id, r.record_id
    FROM unmatched u JOIN registry_keys r ON r.kind = u.kind AND r.k = u.k
)
SELECT submission_id, list(record_id ORDER BY far, record_id)[1:{max_candidates}] AS candidates
FROM (SELECT submission_id, record_id, 0 AS far FROM same
      UNION ALL SELECT submission_id, record_id, 1 FROM near)
GROUP BY submission_id
"""


# the two ways of finding near plates, each in its own SQL file (a fixed name, never built)
CANDIDATE_FILES = {"neighbours": "candidates_neighbours", "deletions": "candidates_deletions"}


def _candidates_sql(method: str) -> str:
    return (
        sql("candidates_head")
        + sql(CANDIDATE_FILES[method])
        + _CANDIDATES_TAIL.format(max_candidates=MAX_CANDIDATES)
    )


def candidate_method(unmatched: int, registry: int) -> str:
    """Neighbours cost ~70 generated keys per unmatched submission for every ~1 variant per
    registry record (measured: 47 k unmatched against 8.5 M records, 14 s against 21 s CPU),
    so they win until about 3 % of the registry is unmatched."""
    return "neighbours" if unmatched * 70 < registry else "deletions"
