"""Statuses: one status per registry record, decided by precedence stated as data.

An ordered mapping per kind of status -> SQL condition over the joined record row ``x`` (the
first that holds is the status, the others are flags), asserted equal to the vocabulary in
:mod:`helpers.statuses`; ``status_records.sql`` joins each record to its owner/holder, its
duplicate mark and winning submission, checks identity and applies the conditions. Builds SQL
only; the catalogues give the reasons (:func:`status_reasons`).
"""

from __future__ import annotations

import pandas as pd

from helpers.i18n import labels
from helpers.reconcile.identity import IDENTITY_CONFIDENCE, OK_LIST, confidence_case
from helpers.reconcile.queries import sql
from helpers.sqltext import literal
from helpers.statuses import LICENCE_STATUSES, VEHICLE_STATUSES

# Condition per status (SQL over the joined record row `x`), in precedence order.
_VEHICLE_CONDITIONS: dict[str, str] = {
    "duplicate_registry_record": "x.is_dup",
    "organization_owned": "x.is_org",
    "invalid_owner_id": "x.identity_result = 'invalid_id'",
    "id_not_in_population": "x.identity_result = 'id_not_in_population'",
    "owner_deceased": "x.in_population AND x.population_status = 'deceased'",
    "identity_mismatch": f"x.in_population AND x.identity_result NOT IN ({OK_LIST})",
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
    "identity_mismatch": f"x.in_population AND x.identity_result NOT IN ({OK_LIST})",
    "cleaned": "x.review_status = 'approved'",
    "pending_review": "x.review_status = 'pending'",
    "rejected_awaiting_resubmission": "x.review_status = 'rejected'",
    "not_submitted": "x.submission_id IS NULL",
}
assert tuple(_VEHICLE_CONDITIONS) == VEHICLE_STATUSES

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


def records_sql(kind: str) -> str:
    """The status table of one kind (``vehicle``/``licence``) as one SELECT.

    One pass per kind: the registry record, its owner/holder in the population extract,
    whether it is a duplicate and its winning submission; then the identity comparison, every
    status rule that holds, and the reason in both languages. Streams from Parquet to Parquet.
    """
    reg, id_col, conditions = {
        "vehicle": ("reg_veh", "owner_id", _VEHICLE_CONDITIONS),
        "licence": ("reg_lic", "holder_id", _LICENCE_CONDITIONS),
    }[kind]
    listed = ", ".join(
        f"CASE WHEN {cond} THEN {literal(code)} END" for code, cond in conditions.items()
    )
    columns = ", ".join(f"s.{c.strip()}" for c in _OUTPUT_COLUMNS[kind].split(","))
    return sql("status_records").format(
        reg=reg,
        id_col=id_col,
        kind=literal(kind),
        conditions=listed,
        columns=columns,
        ok=OK_LIST,
        typo=IDENTITY_CONFIDENCE["match_name_typo"],
        swapped=IDENTITY_CONFIDENCE["match_middle_swapped"],
        year_only=IDENTITY_CONFIDENCE["match_year_only"],
        conf=confidence_case("identity_result"),
    )


def status_reasons() -> pd.DataFrame:
    """One row per status code: ``status``, ``reason_en``, ``reason_vi`` from the catalogues."""
    codes = list(dict.fromkeys(VEHICLE_STATUSES + LICENCE_STATUSES))
    en, vi = labels("status_reason", "en"), labels("status_reason", "vi")
    return pd.DataFrame(
        {"status": codes, "reason_en": [en[c] for c in codes], "reason_vi": [vi[c] for c in codes]}
    )
