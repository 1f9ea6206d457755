"""Self-reports against the system: what units say they collected and approved, per day,
beside what the submissions show, and the verdict on overstatement.

``self_report.sql`` builds the daily counts from ``in_unit_reports`` and the ``link`` table
(DuckDB, reconcile's connection); :func:`judge_self_reports` and :func:`self_report_verdict`
are pure functions over small pandas tables (126 units x days). Reads and writes no files.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from helpers.config import Plan, load_plan
from helpers.units import official_units

# unit_reports column -> the system count it is compared with (see self_report.sql)
SELF_REPORT_MEASURES = (
    "vehicles_collected",
    "vehicles_approved",
    "licences_collected",
    "licences_cleaned",
)

# System counts per unit and day, each comparable with one self-reported column:
#   vehicles_collected  vehicle submissions received that day for the unit's records
#   vehicles_approved   vehicle submissions the unit approved that day
#   licences_collected  licence submissions received that day
#   licences_cleaned    licence submissions the unit approved that day
# A submission belongs to its record's unit; an unmatched one to the unit it declares.


def self_report_columns() -> str:
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
