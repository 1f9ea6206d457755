"""Progress's vocabulary: record kinds and their column prefixes, the difficult groups, the
laggard rule codes, the windows and horizons, the tables progress writes, and the few small
formulas every part shares (a share, a rank, a median). Pure: no I/O, nothing of pandas beyond
Series arithmetic."""

from __future__ import annotations

import math
import os
from typing import TypeAlias

import pandas as pd

from helpers import pipeline
from helpers.config import KIND_PREFIX, RECORD_KINDS
from helpers.statuses import DIFFICULT_GROUPS, LICENCE_STATUSES, VEHICLE_STATUSES

KINDS: tuple[str, ...] = RECORD_KINDS
PREFIX: dict[str, str] = KIND_PREFIX
STATUS_TABLE: dict[str, str] = {"vehicle": "vehicle_status", "licence": "licence_status"}
GROUPS: dict[str, tuple[str, ...]] = {
    "vehicle": tuple(s for s in VEHICLE_STATUSES if s in DIFFICULT_GROUPS),
    "licence": tuple(s for s in LICENCE_STATUSES if s in DIFFICULT_GROUPS),
}
ORG_TYPES: tuple[str, ...] = (
    "enterprise",
    "industrial_park",
    "school",
    "hospital",
    "agency",
    "business_household",
)
# Laggard rules, in sentence order. Naming rules (relative to the city, or about the unit's own
# conduct) make a unit a laggard; context rules (absolute, against the deadline) never do alone,
# but join the reasons of a unit named for something else. Kind rules are judged per record kind
# (codes prefixed veh_/lic_), unit rules once per unit.
KIND_NAMING_RULES: tuple[str, ...] = (
    "below_median",
    "below_median_ratio",
    "bottom_decile",
    "gain_below_median",
    "late_vs_city",
)
# Conduct rules judge how a unit works (its review backlog, its self-reports), not how far it
# is: they name a unit but never change its standing, which is about progress only.
CONDUCT_RULES: tuple[str, ...] = ("backlog_old", "self_report_overstated")
UNIT_NAMING_RULES: tuple[str, ...] = CONDUCT_RULES
KIND_CONTEXT_RULES: tuple[str, ...] = ("projected_late", "slow_gain")
KIND_RULES: tuple[str, ...] = KIND_NAMING_RULES + KIND_CONTEXT_RULES
UNIT_RULES: tuple[str, ...] = UNIT_NAMING_RULES
WINDOW_DAYS = 7
# The share units are ranked, judged and praised by: vehicle records cleaned of those review
# can clean (assigned minus the difficult groups).
RANK_SHARE = "veh_share_cleaned_cleanable"
# A pace that needs more than ten years is no pace: the projection is left null ("never").
PROJECTION_HORIZON_DAYS = 3650

# Tables written by progress_week every week, in the order they are written (declared in
# helpers.pipeline; the campaign summary's are progress.final.FINAL_TABLES).
OUTPUT_TABLES: tuple[str, ...] = tuple(
    name
    for name in pipeline.step("03_progress").tables_written
    if name not in pipeline.FINAL_TABLES
)

# A record-level table given as a DataFrame (tests) or as a Parquet file's path.
Source: TypeAlias = pd.DataFrame | str | os.PathLike

# The columns progress reads from each input table.
REQUIRED_COLUMNS = {
    "status": ("record_id", "unit_code", "status", "submission_id", "review_status", "reviewed_at"),
    "submission_links": (
        "submission_id",
        "kind",
        "unit_code",
        "submitted_at",
        "review_status",
        "reviewed_at",
    ),
    "unit_self_report_check": ("unit_code", "report_date"),
    "organizations": (
        "org_id",
        "org_type",
        "unit_code",
        "dispatch_sent_on",
        "worked_directly",
        "vehicles_counted",
        "vehicles_declared",
    ),
}


def share_of(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator; null (not 0, not inf) when nothing is assigned."""
    den = denominator.astype("float64")
    return (numerator.astype("float64") / den).where(den > 0)


def rank_by_share(shares: pd.Series) -> pd.Series:
    """1 = highest share; ties share the better rank; units without a share rank last."""
    return shares.rank(ascending=False, method="min", na_option="bottom").astype("int64")


def median_known(values: pd.Series) -> float:
    known = values.dropna()
    return float(known.median()) if len(known) else math.nan


def week_gain_share(units: pd.DataFrame, p: str) -> pd.Series:
    """The week's gain as a share of the records review can clean (null when there are none)."""
    return share_of(units[f"{p}_gain_week"], units[f"{p}_cleanable"])
