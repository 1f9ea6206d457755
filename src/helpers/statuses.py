"""The vocabulary shared by the generator's truth, reconcile, progress and the reports.

Primary statuses are decided in the order listed (first rule that holds wins); every other rule
that holds is kept as a flag. The wording for users lives in the catalogues
(``status.<code>`` and ``status_reason.<code>``), never here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Vehicle records, in precedence order.
VEHICLE_STATUSES: tuple[str, ...] = (
    "duplicate_registry_record",  # a later record for a plate/chassis another record already holds
    "organization_owned",  # owner is an organisation: handled through dispatches, not NPDB
    "invalid_owner_id",  # owner ID missing, malformed, or an old 9-digit CMND
    "id_not_in_population",  # a well-formed CCCD the population extract does not hold
    "owner_deceased",  # the population extract says the owner has died
    "identity_mismatch",  # name or birth date disagree with the population extract
    "scrapped_or_lost",  # approved declaration: scrapped or lost
    "transferred_not_registered",  # approved declaration: sold, new owner not registered
    "cleaned",  # approved by the unit and identity consistent
    "pending_review",  # latest submission waits for the unit's review
    "rejected_awaiting_resubmission",  # latest submission rejected; citizen must resubmit
    "owner_resides_elsewhere",  # not submitted; owner's residence is another unit
    "not_submitted",  # no submission yet
)

# Licence records, in precedence order.
LICENCE_STATUSES: tuple[str, ...] = (
    "duplicate_registry_record",
    "invalid_holder_id",
    "id_not_in_population",
    "holder_deceased",
    "identity_mismatch",
    "cleaned",
    "pending_review",
    "rejected_awaiting_resubmission",
    "not_submitted",
)

# Statuses the conferences call "difficult data groups" (not ordinary workflow states).
DIFFICULT_GROUPS: frozenset[str] = frozenset(set(VEHICLE_STATUSES) | set(LICENCE_STATUSES)) - {
    "cleaned",
    "pending_review",
    "rejected_awaiting_resubmission",
    "not_submitted",
}

# Identity comparison outcomes (reconcile keeps one per record, with a confidence 0..1).
IDENTITY_RESULTS: tuple[str, ...] = (
    "match",  # name and birth date agree
    "match_name_typo",  # one-character difference in the name
    "match_middle_swapped",  # same names, middle names in another order
    "match_year_only",  # population holds the birth year only, and it agrees
    "dob_day_month_swapped",  # a named mismatch: day and month exchanged
    "dob_mismatch",
    "name_mismatch",
    # the ID's century/sex digit and birth-year digits (Thông tư 07/2016/TT-BCA, article 7)
    # disagree with the birth year the population extract holds for that ID
    "id_birth_mismatch",
    "id_not_in_population",
    "invalid_id",
    "not_checked",  # organisation owners
)
IDENTITY_OK: frozenset[str] = frozenset(
    {"match", "match_name_typo", "match_middle_swapped", "match_year_only"}
)

# Row-level reject reasons written by ingest (wording in the catalogue, section `rejects`).
REJECT_REASONS: tuple[str, ...] = (
    "missing_required",
    "invalid_id",
    "invalid_plate",
    "invalid_licence_no",
    "invalid_licence_class",
    "invalid_date",
    "date_in_future",
    "date_before_1900",
    "unknown_unit",
    "unit_code_name_mismatch",
    "invalid_enum",
    "invalid_number",
    "duplicate_key",
    "duplicate_row",
    "conflicting_rows",
    "reviewed_before_submitted",
    "unknown_measure",
    "invalid_target",
    "target_out_of_range",
    "by_date_before_given",
    "outside_campaign",
    # a form the suite issued, refused whole (helpers.ingest.read_form): every row of it
    "form_other_unit",
    "form_other_period",
    "form_old_version",
    "form_wrong_folder",
    "form_locked_changed",
)

# Commitments of unit commanders (the optional source ``commitments``): the closed vocabulary
# of measures, each bound to the unit_progress figure it is judged on. ``unit``: "pct" (a
# percentage 0-100 of the figure's share) or "count"; ``direction``: "up" (reach at least the
# target) or "down" (bring the figure down to the target or below); ``pace``: the 7-day rate
# column the projection uses (records a day), or None when the pace is the change over the last
# reporting week. Spellings: helpers.normalize ENUMS["commitment_measure"]; wording: the
# catalogue section ``commitments.measure``; documented in docs/data-contract.md.
COMMITMENT_MEASURES: dict[str, dict[str, object]] = {
    "veh_cleaned_share": {
        "unit": "pct",
        "direction": "up",
        "columns": ("veh_share_cleaned_cleanable",),
        "pace": "veh_rate_7d",
        "per": "veh_cleanable",
    },
    "veh_cleaned": {
        "unit": "count",
        "direction": "up",
        "columns": ("veh_cleaned",),
        "pace": "veh_rate_7d",
    },
    "lic_cleaned_share": {
        "unit": "pct",
        "direction": "up",
        "columns": ("lic_share_cleaned_cleanable",),
        "pace": "lic_rate_7d",
        "per": "lic_cleanable",
    },
    "lic_cleaned": {
        "unit": "count",
        "direction": "up",
        "columns": ("lic_cleaned",),
        "pace": "lic_rate_7d",
    },
    "backlog_pending": {
        "unit": "count",
        "direction": "down",
        "columns": ("backlog_pending",),
        "pace": None,
    },
    "difficult_resolved": {
        "unit": "count",
        "direction": "up",
        "columns": ("veh_difficult_resolved", "lic_difficult_resolved"),
        "pace": None,
    },
}
# A commitment's status on the week, worst first (the briefing lists them in this order):
# missed = its by-date passed and the target was not reached; behind = not reached and the
# unit's 7-day pace does not reach it by the by-date; on_course = not reached, the pace
# reaches it in time; met = reached (on or before the by-date).
COMMITMENT_STATUSES: tuple[str, ...] = ("missed", "behind", "on_course", "met")

# Unit standing used by progress, the PDF and the packs. Before the deadline in force a
# standing is a forecast (on_track, at_risk, off_track); once it is reached nobody is "at risk"
# of it: a kind is finished (nothing left), not_finished (records left) or off_track (records
# left and still named behind the others). STANDINGS holds all five, best to worst: a unit's
# standing is the worse of its kinds' in this order.
STANDINGS_AHEAD: tuple[str, ...] = ("on_track", "at_risk", "off_track")
STANDINGS_REACHED: tuple[str, ...] = ("finished", "not_finished", "off_track")
STANDINGS: tuple[str, ...] = ("finished", "on_track", "at_risk", "not_finished", "off_track")


def standings_shown(standings: Iterable[str]) -> tuple[str, ...]:
    """The standings a legend lists for a week's units (``standings``: their standing codes):
    the deadline's set once any unit is finished or not_finished, else the forecast's."""
    reached = set(STANDINGS_REACHED) - set(STANDINGS_AHEAD)
    return STANDINGS_REACHED if reached & set(map(str, standings)) else STANDINGS_AHEAD


# Records whose owner/holder was compared with the population database: the ID was found in
# the extract and name and birth date were compared (whatever the outcome). The conferences'
# "compared with the National Population Database" figures count these.
IDENTITY_COMPARED: frozenset[str] = IDENTITY_OK | {
    "dob_day_month_swapped",
    "dob_mismatch",
    "name_mismatch",
    "id_birth_mismatch",
}


def breach_of(row: Mapping[str, Any]) -> str:
    """``progress``, ``conduct`` or ``both``: what a laggard row (``breaks_progress``,
    ``breaks_conduct``) was named for. Every sentence that names a unit says which: a unit
    named for its review backlog is not "behind schedule"."""
    progress_ = bool(row.get("breaks_progress", True))
    conduct = bool(row.get("breaks_conduct", False))
    return "both" if progress_ and conduct else ("conduct" if conduct else "progress")
