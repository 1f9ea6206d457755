"""Progress: per-unit and city progress, deadline arithmetic, laggards and leaders, with reasons.

Record-level tables (``vehicle_status``, ``licence_status``, ``submission_links``: 8.5 M rows
for the city) are aggregated in DuckDB, straight from Parquet (or from a DataFrame in tests);
only per-unit and per-day aggregates come into pandas, where the 126-row unit table, the city
rows, the rules and the sentences are built. Every function returns new tables and leaves
its inputs alone.

Definitions (docs/architecture.md, "Written by progress"; the week is its last day, ``as_of``):

- cleaned: records whose primary status is ``cleaned``; their cleaning moment is the
  ``reviewed_at`` of the approving review of the winning submission.
- gain_week: records cleaned in the 7 days ending on ``as_of``; ``rate_7d`` = gain_week / 7.
- cleanable: assigned minus the records in difficult groups (review alone cannot clean them;
  each group is its own measure, open / resolved: ``group_progress``).
- target: ``ceil(targets.<kind>_cleaned_share * cleanable)``; remaining = target - cleaned
  (>= 0). Shares judged (rank, rules, leaders) are cleaned / cleanable
  (``<p>_share_cleaned_cleanable``); ``<p>_share_cleaned`` stays cleaned / assigned.
- required_rate: remaining / days left after ``as_of`` up to the deadline; 0 when nothing
  remains; null when something remains and the deadline has passed (no pace is enough).
- projected_finish: ``as_of + ceil(remaining / rate_7d)`` days; the day the target was reached
  when nothing remains; null when the pace is zero (or would take over ten years) and for a
  unit with no records assigned. days_late = projected_finish - deadline (negative = early).
- city_projected_finish: the city's own projection (sums of the units, one pace), on every
  unit row; days_after_city = projected_finish - city_projected_finish.
- on_track: projected_finish on or before the deadline (a unit with nothing assigned is on
  track). ``<p>_standing`` per kind: off_track when the unit breaks a progress naming rule of
  that kind, at_risk when projected later than the deadline by more than
  ``laggards.at_risk_late_days`` (or never), else on_track; ``standing`` is the worse of the
  kinds in ``laggards.kinds``. Conduct rules (backlog, self-reports) name a unit
  (``breaks_conduct``) but never change a standing: conduct is not lateness.
- laggard rules (``rule_flags``; thresholds in ``laggards``). A conference criticises the
  units markedly worse than their peers, and in an early week the whole city is behind, so
  only *naming* rules make a laggard: relative to the city (share under the units' median by
  points or by a ratio, bottom decile, weekly gain under a fraction of the units' median gain,
  projected finish later than the city's by more than ``late_vs_city_days`` and
  ``late_vs_city_share`` x the city's own days to finish) or about the unit's conduct (old
  review backlog, overstated self-reports). *Context* rules, absolute against the deadline
  (projected late, weekly gain under the required pace), never name a unit alone; a laggard's
  ``rules`` and reasons carry them after its naming rules. The share-of-city-time guard is
  there because early projections are loose: in week 2 the city needs ~157 more days and
  units' projections spread over years, so a fixed 30 days named 67 of 126.
- On the sample campaign (``synth --scenario sample``, default thresholds) the weeks give
  laggards (behind on progress / conduct) and vehicle standings off / at risk / on track:
  2025-11-17 41 (28 / 16), 28 / 98 / 0; 2025-11-23 30 (16 / 16), 16 / 99 / 11; 2025-11-30 27
  (13 / 16), 13 / 84 / 29; 2025-12-07 29 (14 / 17), 14 / 79 / 33; 2025-12-14 29 (13 / 18),
  13 / 88 / 25; 2025-12-21 30 (13 / 20), 13 / 109 / 4 (difficult groups hold 16 % of the
  vehicle records; the best unit reaches 88 % of its cleanable records by then). Before the
  target counted cleanable records only, no unit was ever on track.
- shares (cleaned / assigned, submitted / assigned) are null for a unit with nothing assigned;
  such a unit ranks last and is neither a laggard by share nor a leader.
- history (gain_prev_week, rank_prev): from the previous reporting week's ``unit_progress``
  when its processed folder holds one (the figures that week's conference saw); otherwise
  recomputed from the cleaning timestamps as of that week, so a first run is complete.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import ConfigError, DeliveryError, PipelineError, store
from helpers.config import Plan, load_plan
from helpers.i18n import LANGS, fmt_date, fmt_int, fmt_num, fmt_pct, t
from helpers.paths import WEEK_PATTERN, Workspace
from helpers.statuses import (
    DIFFICULT_GROUPS,
    IDENTITY_COMPARED,
    LICENCE_STATUSES,
    STANDINGS,
    VEHICLE_STATUSES,
)
from helpers.units import official_units, resolve_unit

KINDS: tuple[str, ...] = ("vehicle", "licence")
PREFIX: dict[str, str] = {"vehicle": "veh", "licence": "lic"}
STATUS_TABLE: dict[str, str] = {"vehicle": "vehicle_status", "licence": "licence_status"}
TARGET_KEY: dict[str, str] = {"vehicle": "vehicles_cleaned_share", "licence": "licences_cleaned_share"}
GROUPS: dict[str, tuple[str, ...]] = {
    "vehicle": tuple(s for s in VEHICLE_STATUSES if s in DIFFICULT_GROUPS),
    "licence": tuple(s for s in LICENCE_STATUSES if s in DIFFICULT_GROUPS),
}
ORG_TYPES: tuple[str, ...] = (
    "enterprise", "industrial_park", "school", "hospital", "agency", "business_household",
)
# Laggard rules, in sentence order. Naming rules (relative to the city, or about the unit's own
# conduct) make a unit a laggard; context rules (absolute, against the deadline) never do alone,
# but join the reasons of a unit named for something else. Kind rules are judged per record kind
# (codes prefixed veh_/lic_), unit rules once per unit.
KIND_NAMING_RULES: tuple[str, ...] = (
    "below_median", "below_median_ratio", "bottom_decile", "gain_below_median", "late_vs_city",
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

# Tables written by progress_week, in the order they are written.
OUTPUT_TABLES: tuple[str, ...] = (
    "unit_progress", "city_progress", "group_progress", "laggards", "leaders", "daily_series",
    "unit_daily", "org_summary", "talking_points",
)

Source = pd.DataFrame | str | os.PathLike

_REQUIRED = {
    "status": ("record_id", "unit_code", "status", "submission_id", "review_status", "reviewed_at"),
    "submission_links": ("submission_id", "kind", "unit_code", "submitted_at", "review_status",
                         "reviewed_at"),
    "unit_self_report_check": ("unit_code", "report_date"),
    "organizations": ("org_id", "org_type", "unit_code", "dispatch_sent_on", "worked_directly",
                      "vehicles_counted", "vehicles_declared"),
}


# ---------------------------------------------------------------------------------------------
# Configuration


def _param(plan: Plan, section: str, key: str, default: Any = None) -> Any:
    node = getattr(plan, section)
    if key in node:
        return node[key]
    if default is not None:
        return default
    raise ConfigError(f"config/plan.yaml: missing key '{section}.{key}'")


def rule_kinds(plan: Plan) -> tuple[str, ...]:
    """Record kinds the per-kind laggard rules judge (``laggards.kinds``; vehicles by default)."""
    kinds = tuple(_param(plan, "laggards", "kinds", ["vehicle"]))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ConfigError(
            f"config/plan.yaml: laggards.kinds must list some of {', '.join(KINDS)}, found {kinds}"
        )
    return kinds


def target_share(plan: Plan, kind: str) -> float:
    share = float(_param(plan, "targets", TARGET_KEY[kind]))
    if not 0.0 < share <= 1.0:
        raise ConfigError(f"config/plan.yaml: targets.{TARGET_KEY[kind]} must be in (0, 1]")
    return share


# ---------------------------------------------------------------------------------------------
# Record level: DuckDB over Parquet (or a DataFrame in tests)


def _bind(con, name: str, source: Source, table: str) -> None:
    """Expose ``source`` to DuckDB as view ``name``; check the columns progress needs."""
    if isinstance(source, pd.DataFrame):
        con.register(name, source)
        columns = set(source.columns)
    else:
        path = Path(source)
        if not path.is_file():
            raise DeliveryError(
                f"processed table '{path.stem}' not found ({path}); run the earlier steps first"
            )
        quoted = str(path).replace("'", "''")
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{quoted}')")
        columns = {row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()}
    missing = [c for c in _REQUIRED[table] if c not in columns]
    if missing:
        label = table if not isinstance(source, (str, os.PathLike)) else str(source)
        raise PipelineError(
            f"{label}: columns {', '.join(missing)} missing; progress expects "
            f"{', '.join(_REQUIRED[table])} (docs/architecture.md)"
        )


def _connect(con):
    con = con if con is not None else store.duckdb_connect(memory_limit="4GB")
    # no progress bars on stderr; under Jupyter they are off already, and switching them
    # there would need ipywidgets
    if con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]:
        con.execute("SET enable_progress_bar = false")
    return con


def _sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def record_counts(status: Source, kind: str, *, con=None) -> pd.DataFrame:
    """Per unit: assigned, submitted, approved, cleaned, pending, rejected, not_submitted,
    difficult, compared (owner/holder compared with the population extract: found there and
    name and birth date compared, ``statuses.IDENTITY_COMPARED``), ``difficult_resolved`` and
    per difficult group (primary status) ``group_<status>`` (records in it) and
    ``resolved_<status>`` (of them, records whose winning submission the unit approved: the
    unit's part of the group's resolution is done).

    submitted/approved/pending/rejected follow the winning submission's review state;
    not_submitted counts records with no submission at all (whatever their status).
    """
    con = _connect(con)
    _bind(con, "status_src", status, "status")
    columns = {row[0] for row in con.execute("DESCRIBE status_src").fetchall()}
    compared_sql = (
        f"identity_result IN ({_sql_list(IDENTITY_COMPARED)})" if "identity_result" in columns
        else "false"
    )
    # one pass, grouped on low-cardinality columns; the pivot happens on a few thousand rows
    combos = con.execute(
        f"""
        SELECT unit_code, status, review_status, submission_id IS NOT NULL AS has_submission,
               {compared_sql} AS compared, count(*) AS n
        FROM status_src
        WHERE unit_code IS NOT NULL
        GROUP BY ALL
        """
    ).df()
    combos["unit_code"] = combos["unit_code"].astype("str")
    has = combos["has_submission"].astype(bool)
    n = combos["n"].astype("int64")
    review = combos["review_status"].astype("str")
    status_col = combos["status"].astype("str")
    groups = GROUPS[kind]
    parts = {
        "assigned": n,
        "submitted": n.where(has, 0),
        "approved": n.where(has & (review == "approved"), 0),
        "cleaned": n.where(status_col == "cleaned", 0),
        "pending": n.where(has & (review == "pending"), 0),
        "rejected": n.where(has & (review == "rejected"), 0),
        "not_submitted": n.where(~has, 0),
        "difficult": n.where(status_col.isin(groups), 0),
        "compared": n.where(combos["compared"].fillna(False).astype(bool), 0),
    }
    approved = has & (review == "approved")
    parts["difficult_resolved"] = n.where(status_col.isin(groups) & approved, 0)
    for g in groups:
        parts[f"group_{g}"] = n.where(status_col == g, 0)
        parts[f"resolved_{g}"] = n.where((status_col == g) & approved, 0)
    frame = pd.DataFrame(parts).assign(unit_code=combos["unit_code"])
    out = frame.groupby("unit_code", as_index=False).sum()
    out.insert(1, "kind", kind)
    return out


def cleaned_by_day(status: Source, kind: str, *, con=None) -> pd.DataFrame:
    """Per unit and cleaning day: records cleaned (``date`` null when reviewed_at is missing)."""
    con = _connect(con)
    _bind(con, "status_src", status, "status")
    out = con.execute(
        """
        SELECT unit_code, CAST(reviewed_at AS DATE) AS date, count(*) AS cleaned_day
        FROM status_src
        WHERE status = 'cleaned' AND unit_code IS NOT NULL
        GROUP BY ALL
        """
    ).df()
    out.insert(1, "kind", kind)
    return out


def submissions_by_day(links: Source, *, as_of: date, con=None) -> pd.DataFrame:
    """Per kind, unit (the unit the citizen sent it to) and day: submissions received and
    submissions approved. Every accepted submission counts, superseded ones included (they
    are the "cases collected via iHanoi" the conferences quote)."""
    con = _connect(con)
    _bind(con, "links_src", links, "submission_links")
    out = con.execute(
        """
        WITH s AS (
            SELECT kind, unit_code, submitted_at, review_status, reviewed_at
            FROM links_src
            WHERE submitted_at < CAST(? AS DATE) + 1 AND unit_code IS NOT NULL
        ),
        sub AS (
            SELECT kind, unit_code, CAST(submitted_at AS DATE) AS date, count(*) AS submitted_day
            FROM s GROUP BY ALL
        ),
        appr AS (
            SELECT kind, unit_code, CAST(reviewed_at AS DATE) AS date, count(*) AS approved_day
            FROM s WHERE review_status = 'approved' AND reviewed_at IS NOT NULL GROUP BY ALL
        )
        SELECT kind, unit_code, date,
               coalesce(submitted_day, 0) AS submitted_day,
               coalesce(approved_day, 0) AS approved_day
        FROM sub FULL OUTER JOIN appr USING (kind, unit_code, date)
        """,
        [as_of],
    ).df()
    return out


def review_backlog(links: Source, *, as_of: date, con=None) -> pd.DataFrame:
    """Per unit (the unit the submission was sent to, which reviews it): pending submissions,
    the median days from submission to review over reviews of the last 7 days, and the age in
    days of the oldest pending submission."""
    con = _connect(con)
    _bind(con, "links_src", links, "submission_links")
    out = con.execute(
        """
        WITH s AS (
            SELECT unit_code, submitted_at, review_status, reviewed_at
            FROM links_src
            WHERE submitted_at < CAST($as_of AS DATE) + 1 AND unit_code IS NOT NULL
        )
        SELECT unit_code,
               count(*) FILTER (WHERE review_status = 'pending') AS backlog_pending,
               median(epoch(reviewed_at) - epoch(submitted_at)) FILTER (
                   WHERE review_status IN ('approved', 'rejected')
                     AND reviewed_at >= CAST($as_of AS DATE) - ($window - 1)
                     AND reviewed_at < CAST($as_of AS DATE) + 1
               ) / 86400.0 AS backlog_median_lag_days,
               date_diff('day', CAST(min(submitted_at) FILTER (WHERE review_status = 'pending')
                                     AS DATE), CAST($as_of AS DATE)) AS backlog_oldest_days
        FROM s
        GROUP BY unit_code
        """,
        {"as_of": as_of, "window": WINDOW_DAYS},
    ).df()
    return out


def self_report_summary(check: pd.DataFrame, plan: Plan, *, as_of: date) -> pd.DataFrame:
    """Per unit over the 7 days ending on ``as_of``: reconcile's verdict on the self-reports.

    ``check`` is reconcile's ``unit_self_report_check`` (per unit and day, ``reported_<m>`` /
    ``system_<m>`` per measure); the verdict is ``reconcile.self_report_verdict`` (one
    definition of "overstated": a measure reported above the system by more than
    ``self_reports.overstate_threshold``, reports of at least ``min_reported``). Returns
    ``self_report_reported``/``_system`` (totals), ``self_report_ratio``,
    ``self_report_overstated`` and per measure ``self_report_reported_<m>``,
    ``self_report_system_<m>``, ``self_report_overstated_<m>``.
    """
    from helpers.reconcile import SELF_REPORT_MEASURES, self_report_verdict

    missing = [f"{side}_{m}" for m in SELF_REPORT_MEASURES for side in ("reported", "system")
               if f"{side}_{m}" not in check.columns]
    if missing:
        raise PipelineError(
            f"unit_self_report_check: columns {', '.join(missing)} missing "
            "(run 02_reconcile again)"
        )
    verdict = self_report_verdict(check, as_of.isoformat(), plan, days=WINDOW_DAYS)
    out = pd.DataFrame({"unit_code": verdict["unit_code"].astype("str")})
    out["self_report_reported"] = verdict["reported_total"].astype("int64")
    out["self_report_system"] = verdict["system_total"].astype("int64")
    out["self_report_ratio"] = verdict["ratio"].astype("float64")
    out["self_report_overstated"] = verdict["overstated"].astype("bool")
    for m in SELF_REPORT_MEASURES:
        out[f"self_report_reported_{m}"] = verdict[f"reported_{m}"].astype("int64")
        out[f"self_report_system_{m}"] = verdict[f"system_{m}"].astype("int64")
        out[f"self_report_overstated_{m}"] = verdict[f"overstated_{m}"].astype("bool")
    return out


def organisations_by_unit(organizations: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """Per unit: organisations, dispatches sent by ``as_of``, worked with directly, vehicles
    counted and declared (the organisations group the conferences report)."""
    orgs = _org_frame(organizations, as_of)
    out = orgs.groupby("unit_code", as_index=False).agg(
        org_count=("org_id", "count"),
        org_dispatches=("dispatched", "sum"),
        org_worked_directly=("worked", "sum"),
        org_vehicles_counted=("vehicles_counted", "sum"),
        org_vehicles_declared=("vehicles_declared", "sum"),
    )
    return out


def org_summary(organizations: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """One row per ``org_type`` (all six, zeros included)."""
    orgs = _org_frame(organizations, as_of)
    out = orgs.groupby("org_type").agg(
        orgs=("org_id", "count"),
        dispatches_sent=("dispatched", "sum"),
        worked_directly=("worked", "sum"),
        vehicles_counted=("vehicles_counted", "sum"),
        vehicles_declared=("vehicles_declared", "sum"),
    )
    types = list(ORG_TYPES) + sorted(set(out.index) - set(ORG_TYPES))
    out = out.reindex(types, fill_value=0).rename_axis("org_type").reset_index()
    out["org_type"] = out["org_type"].astype("str")
    for col in out.columns[1:]:
        out[col] = out[col].astype("int64")
    return out


def _org_frame(organizations: pd.DataFrame, as_of: date) -> pd.DataFrame:
    missing = [c for c in _REQUIRED["organizations"] if c not in organizations.columns]
    if missing:
        raise PipelineError(f"organizations: columns {', '.join(missing)} missing")
    sent = pd.to_datetime(organizations["dispatch_sent_on"]).dt.date
    return pd.DataFrame(
        {
            "org_id": organizations["org_id"],
            "org_type": organizations["org_type"].astype("str"),
            "unit_code": organizations["unit_code"].astype("str"),
            "dispatched": (sent.notna() & (sent <= as_of)).astype("int64"),
            "worked": organizations["worked_directly"].fillna(False).astype("bool").astype("int64"),
            "vehicles_counted": pd.to_numeric(organizations["vehicles_counted"]).fillna(0),
            "vehicles_declared": pd.to_numeric(organizations["vehicles_declared"]).fillna(0),
        }
    )


@dataclass(frozen=True)
class Aggregates:
    """Everything progress needs from the record level, already small (<= 126 x days rows)."""

    counts: pd.DataFrame        # unit_code, kind, assigned, submitted, ..., group_<status>
    daily: pd.DataFrame         # unit_code, kind, date, submitted_day, approved_day, cleaned_day
    backlog: pd.DataFrame       # unit_code, backlog_pending, backlog_median_lag_days, ...
    self_reports: pd.DataFrame  # unit_code, self_report_ratio, self_report_overstated, ...
    organizations: pd.DataFrame  # per-unit organisation counts
    org_types: pd.DataFrame     # per-org_type summary


def aggregate(
    vehicle_status: Source,
    licence_status: Source,
    submission_links: Source,
    plan: Plan,
    *,
    as_of: date,
    self_report_check: pd.DataFrame | None = None,
    organizations: pd.DataFrame | None = None,
    con=None,
) -> Aggregates:
    """Aggregate the record-level tables (DataFrames or Parquet paths) in DuckDB."""
    own = con is None
    con = _connect(con)
    try:
        counts, cleaned = [], []
        for kind, source in (("vehicle", vehicle_status), ("licence", licence_status)):
            counts.append(record_counts(source, kind, con=con))
            cleaned.append(cleaned_by_day(source, kind, con=con))
        subs = submissions_by_day(submission_links, as_of=as_of, con=con)
        backlog = review_backlog(submission_links, as_of=as_of, con=con)
    finally:
        if own:
            con.close()
    daily = _merge_daily(pd.concat(cleaned, ignore_index=True), subs)
    if self_report_check is None:
        self_report_check = _no_self_reports()
    self_reports = self_report_summary(self_report_check, plan, as_of=as_of)
    if organizations is None:
        organizations = pd.DataFrame({c: [] for c in _REQUIRED["organizations"]})
    return Aggregates(
        counts=pd.concat(counts, ignore_index=True),
        daily=daily,
        backlog=backlog,
        self_reports=self_reports,
        organizations=organisations_by_unit(organizations, as_of=as_of),
        org_types=org_summary(organizations, as_of=as_of),
    )


def _no_self_reports() -> pd.DataFrame:
    from helpers.reconcile import SELF_REPORT_MEASURES

    columns = {"report_date": pd.Series(dtype="datetime64[us]"),
               "unit_code": pd.Series(dtype="str"), "overstated": pd.Series(dtype=bool)}
    for m in SELF_REPORT_MEASURES:
        columns[f"reported_{m}"] = pd.Series(dtype="int64")
        columns[f"system_{m}"] = pd.Series(dtype="int64")
    return pd.DataFrame(columns)


def _as_date_series(values: pd.Series) -> pd.Series:
    """Dates as python ``date`` objects (None when missing): written as Parquet date32."""
    parsed = pd.to_datetime(values)
    return pd.Series(
        [d.date() if not pd.isna(d) else None for d in parsed], index=values.index, dtype=object
    )


def _merge_daily(cleaned: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    keys = ["unit_code", "kind", "date"]
    cleaned = cleaned.assign(date=_as_date_series(cleaned["date"]))
    subs = subs.assign(date=_as_date_series(subs["date"]))
    for frame in (cleaned, subs):
        frame["unit_code"] = frame["unit_code"].astype("str")
        frame["kind"] = frame["kind"].astype("str")
    merged = cleaned.merge(subs, on=keys, how="outer")
    for col in ("submitted_day", "approved_day", "cleaned_day"):
        merged[col] = merged[col].fillna(0).astype("int64")
    merged["_undated"] = merged["date"].isna()
    merged = merged.sort_values(["unit_code", "kind", "_undated", "date"], kind="stable")
    return merged.drop(columns="_undated").reset_index(drop=True)[
        keys + ["submitted_day", "approved_day", "cleaned_day"]
    ]


# ---------------------------------------------------------------------------------------------
# Unit level: pandas over 126 rows


def _window_sum(daily: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    dated = daily.loc[daily["date"].notna()]
    inside = dated.loc[(dated["date"] >= start) & (dated["date"] <= end)]
    return inside.groupby(["unit_code", "kind"])[column].sum()


def _completion_date(
    daily: pd.DataFrame, targets: Mapping[tuple[str, str], int], as_of: date
) -> pd.Series:
    """(unit_code, kind) -> first day the cumulative cleaned count reached its target.

    Records cleaned at an unknown moment count from the start; ``as_of`` when the target is
    only reached through them (or through no dated day up to ``as_of``).
    """
    cleaned = daily.loc[daily["cleaned_day"] > 0, ["unit_code", "kind", "date", "cleaned_day"]]
    cleaned = cleaned.loc[cleaned["date"].isna() | (cleaned["date"] <= as_of)]
    wanted = pd.Series(dict(targets), dtype="float64")
    if cleaned.empty or wanted.empty:
        return pd.Series({}, dtype=object)
    wanted.index = wanted.index.set_names(["unit_code", "kind"])
    keys = ["unit_code", "kind"]
    undated = cleaned.loc[cleaned["date"].isna()].groupby(keys)["cleaned_day"].sum()
    dated = cleaned.loc[cleaned["date"].notna()].sort_values([*keys, "date"])
    index = pd.MultiIndex.from_frame(dated[keys])
    base = undated.reindex(index, fill_value=0).to_numpy()
    cum = dated.groupby(keys)["cleaned_day"].cumsum().to_numpy() + base
    target = wanted.reindex(index).to_numpy()
    reached = dated.loc[cum >= target]  # NaN targets compare False
    first = reached.groupby(keys)["date"].first()
    present = cleaned[keys].drop_duplicates()
    groups = pd.MultiIndex.from_frame(present)
    groups = groups[groups.isin(wanted.index[wanted > 0])]
    out = first.reindex(groups)
    return pd.Series(
        [d if d is not None and not pd.isna(d) else as_of for d in out], index=groups,
        dtype=object,
    )


def _deadline_columns(
    frame: pd.DataFrame, prefix: str, plan: Plan, as_of: date, completed_on: pd.Series
) -> pd.DataFrame:
    """Required rate, projected finish, days late and on-track for one prefix (veh/lic)."""
    p = prefix
    days_left = plan.days_left(as_of)
    assigned = frame[f"{p}_assigned"]
    remaining = frame[f"{p}_remaining"].astype("float64")
    rate = frame[f"{p}_rate_7d"].astype("float64")
    if days_left > 0:
        required = remaining / days_left
    else:
        required = pd.Series(np.where(remaining > 0, np.nan, 0.0), index=frame.index)
    finish: list[date | None] = []
    for unit, a, rem, r in zip(frame["unit_code"], assigned, remaining, rate, strict=True):
        if a == 0:
            finish.append(None)
        elif rem <= 0:
            finish.append(completed_on.get(unit, as_of))
        elif r > 0 and rem / r <= PROJECTION_HORIZON_DAYS:
            finish.append(as_of + timedelta(days=math.ceil(rem / r)))
        else:
            finish.append(None)
    finish_s = pd.Series(finish, index=frame.index, dtype=object)
    late = pd.array(
        [(f - plan.end).days if f is not None else None for f in finish], dtype="Int64"
    )
    on_track = (assigned == 0) | pd.Series(
        [f is not None and f <= plan.end for f in finish], index=frame.index
    )
    return pd.DataFrame(
        {
            f"{p}_required_rate": required.astype("float64"),
            f"{p}_projected_finish": finish_s,
            f"{p}_days_late": late,
            f"{p}_on_track": on_track.astype("bool"),
        },
        index=frame.index,
    )


def _city_deadline(
    units: pd.DataFrame, daily: pd.DataFrame, kind: str, plan: Plan, as_of: date
) -> pd.Series:
    """The city's own deadline arithmetic for one kind (the sums of the units, one pace):
    ``<p>_required_rate``, ``<p>_projected_finish``, ``<p>_days_late``, ``<p>_on_track``."""
    p = PREFIX[kind]
    city = pd.DataFrame({
        "unit_code": ["city"], f"{p}_assigned": [int(units[f"{p}_assigned"].sum())],
        f"{p}_remaining": [int(units[f"{p}_remaining"].sum())],
        f"{p}_rate_7d": [int(units[f"{p}_gain_week"].sum()) / WINDOW_DAYS],
    })
    whole = daily.loc[daily["kind"] == kind].assign(unit_code="city")
    done = _completion_date(whole, {("city", kind): int(units[f"{p}_target"].sum())}, as_of)
    completed = pd.Series({"city": done.get(("city", kind))}, dtype=object).dropna()
    return _deadline_columns(city, p, plan, as_of, completed).iloc[0]


def _share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator; null (not 0, not inf) when nothing is assigned."""
    den = denominator.astype("float64")
    return (numerator.astype("float64") / den).where(den > 0)


def _rank(shares: pd.Series) -> pd.Series:
    """1 = highest share; ties share the better rank; units without a share rank last."""
    return shares.rank(ascending=False, method="min", na_option="bottom").astype("int64")


def _previous_usable(previous: pd.DataFrame | None) -> pd.DataFrame | None:
    need = {"unit_code", "rank", "veh_gain_week", "lic_gain_week"}
    if previous is None or not need <= set(previous.columns):
        return None
    return previous[list(need)].assign(unit_code=previous["unit_code"].astype("str"))


def unit_table(
    agg: Aggregates,
    plan: Plan,
    *,
    as_of: date,
    previous: pd.DataFrame | None = None,
    previous_as_of: date | None = None,
) -> pd.DataFrame:
    """The 126-row ``unit_progress`` table (see the module docstring for the definitions).

    ``previous`` is last week's ``unit_progress`` when its processed folder holds one; without
    it (or for a unit it lacks), last week's gain and rank are recomputed from the cleaning
    timestamps as of ``previous_as_of`` (last week's last day; default 7 days before).
    """
    units = official_units()[["unit_code", "unit_name", "unit_kind"]].copy()
    units["unit_code"] = units["unit_code"].astype("str")
    week_start = as_of - timedelta(days=WINDOW_DAYS - 1)
    prev_end = previous_as_of or as_of - timedelta(days=WINDOW_DAYS)
    prev_start = prev_end - timedelta(days=WINDOW_DAYS - 1)
    history = _previous_usable(previous)
    out = units
    counts = agg.counts.assign(unit_code=agg.counts["unit_code"].astype("str"))
    gain = _window_sum(agg.daily, "cleaned_day", week_start, as_of)
    gain_prev = _window_sum(agg.daily, "cleaned_day", prev_start, prev_end)
    after_prev = _window_sum(agg.daily, "cleaned_day", prev_end + timedelta(days=1), date.max)
    targets: dict[tuple[str, str], int] = {}
    for kind in KINDS:
        p = PREFIX[kind]
        base = ["assigned", "submitted", "approved", "cleaned", "pending", "rejected",
                "not_submitted", "difficult", "difficult_resolved", "compared"]
        groups = [f"{c}_{g}" for g in GROUPS[kind] for c in ("group", "resolved")]
        mine = counts.loc[counts["kind"] == kind].reindex(columns=["unit_code", *base, *groups])
        mine = mine.rename(columns={c: f"{p}_{c}" for c in base + groups})
        out = out.merge(mine, on="unit_code", how="left")
        for c in base + groups:
            out[f"{p}_{c}"] = out[f"{p}_{c}"].fillna(0).astype("int64")
        idx = pd.MultiIndex.from_arrays([out["unit_code"], [kind] * len(out)])
        out[f"{p}_share_cleaned"] = _share(out[f"{p}_cleaned"], out[f"{p}_assigned"])
        out[f"{p}_share_submitted"] = _share(out[f"{p}_submitted"], out[f"{p}_assigned"])
        # progress is judged on the records review can clean: the difficult groups are
        # measures of their own (open / resolved), not a share nobody can reach
        out[f"{p}_cleanable"] = (out[f"{p}_assigned"] - out[f"{p}_difficult"]).astype("int64")
        out[f"{p}_share_cleaned_cleanable"] = _share(out[f"{p}_cleaned"], out[f"{p}_cleanable"])
        out[f"{p}_share_compared"] = _share(out[f"{p}_compared"], out[f"{p}_assigned"])
        out[f"{p}_difficult_open"] = (
            out[f"{p}_difficult"] - out[f"{p}_difficult_resolved"]).astype("int64")
        out[f"{p}_gain_week"] = gain.reindex(idx, fill_value=0).to_numpy().astype("int64")
        recomputed_prev = gain_prev.reindex(idx, fill_value=0).to_numpy().astype("int64")
        if history is not None:
            from_history = out[["unit_code"]].merge(history, on="unit_code", how="left")
            out[f"{p}_gain_prev_week"] = (
                from_history[f"{p}_gain_week"].fillna(pd.Series(recomputed_prev)).astype("int64")
            )
        else:
            out[f"{p}_gain_prev_week"] = recomputed_prev
        cleaned_prev = out[f"{p}_cleaned"] - after_prev.reindex(idx, fill_value=0).to_numpy()
        out[f"{p}_share_cleaned_prev"] = _share(cleaned_prev, out[f"{p}_assigned"])
        # this week's cleanable records as the base: last week's groups are not recorded
        out[f"{p}_share_cleaned_cleanable_prev"] = _share(cleaned_prev, out[f"{p}_cleanable"])
        out[f"{p}_rate_7d"] = out[f"{p}_gain_week"] / WINDOW_DAYS
        share = target_share(plan, kind)
        out[f"{p}_target"] = np.ceil(out[f"{p}_cleanable"] * share - 1e-9).astype("int64")
        out[f"{p}_remaining"] = (out[f"{p}_target"] - out[f"{p}_cleaned"]).clip(lower=0)
        for unit, target in zip(out["unit_code"], out[f"{p}_target"], strict=True):
            targets[(unit, kind)] = int(target)
        done = _completion_date(agg.daily.loc[agg.daily["kind"] == kind], targets, as_of)
        completed_on = {u: d for (u, _k), d in done.items()}
        out = pd.concat(
            [out, _deadline_columns(out, p, plan, as_of, pd.Series(completed_on, dtype=object))],
            axis=1,
        )
    for kind in KINDS:
        # the city's projection, which the late_vs_city rule compares each unit with
        p = PREFIX[kind]
        city_finish = _city_deadline(out, agg.daily, kind, plan, as_of)[f"{p}_projected_finish"]
        out[f"{p}_city_projected_finish"] = pd.Series([city_finish] * len(out), dtype=object)
        out[f"{p}_days_after_city"] = pd.array(
            [(f - city_finish).days if f is not None and city_finish is not None else None
             for f in out[f"{p}_projected_finish"]],
            dtype="Int64",
        )
    out = _with_backlog(out, agg.backlog)
    out["rank"] = _rank(out[RANK_SHARE])
    recomputed_rank = _rank(out[RANK_SHARE + "_prev"])
    if history is not None:
        prev_rank = out[["unit_code"]].merge(history, on="unit_code", how="left")["rank"]
        out["rank_prev"] = prev_rank.fillna(recomputed_rank).astype("int64")
    else:
        out["rank_prev"] = recomputed_rank
    out["rank_change"] = (out["rank_prev"] - out["rank"]).astype("int64")
    sr = agg.self_reports
    out = out.merge(sr.assign(unit_code=sr["unit_code"].astype("str")), on="unit_code", how="left")
    out["self_report_ratio"] = out["self_report_ratio"].astype("float64")
    for col in sr.columns:
        if col.startswith("self_report_overstated"):
            out[col] = out[col].fillna(False).astype("bool")
        elif col.startswith(("self_report_reported", "self_report_system")):
            out[col] = out[col].fillna(0).astype("int64")
    orgs = agg.organizations
    out = out.merge(orgs.assign(unit_code=orgs["unit_code"].astype("str")), on="unit_code",
                    how="left")
    for col in ("org_count", "org_dispatches", "org_worked_directly", "org_vehicles_counted",
                "org_vehicles_declared"):
        out[col] = out[col].fillna(0).astype("int64")
    out = out.copy()  # one block per dtype again after the many merges
    flags = rule_flags(out, plan, kinds=KINDS)
    naming, _context = rule_codes(plan)
    progress_naming = [c for c in naming if c not in CONDUCT_RULES]
    out["breaks_progress"] = flags[progress_naming].any(axis=1).to_numpy()
    out["breaks_conduct"] = flags[[c for c in naming if c in CONDUCT_RULES]].any(
        axis=1).to_numpy() if any(c in CONDUCT_RULES for c in naming) else False
    out["is_laggard"] = (out["breaks_progress"] | out["breaks_conduct"]).astype("bool")
    late_limit = float(_param(plan, "laggards", "at_risk_late_days"))
    order = {s: i for i, s in enumerate(STANDINGS)}
    for kind in KINDS:
        # each kind its own standing, from its own progress rules and projection; conduct
        # never makes a unit off track ("never at this pace" is as late as it gets)
        p = PREFIX[kind]
        late = out[f"{p}_days_late"].astype("float64").where(
            out[f"{p}_days_late"].notna(),
            pd.Series(np.where(out[f"{p}_remaining"] > 0, math.inf, -math.inf), index=out.index),
        )
        behind = flags[[f"{p}_{r}" for r in KIND_NAMING_RULES]].any(axis=1)
        out[f"{p}_standing"] = pd.Series(np.where(
            behind, "off_track", np.where(late > late_limit, "at_risk", "on_track")
        ), index=out.index).astype("str")
    # the unit's standing: the worse of the kinds the rules judge
    worst = out[[f"{PREFIX[k]}_standing" for k in rule_kinds(plan)]].apply(
        lambda col: col.map(order)).max(axis=1)
    out["standing"] = worst.map(dict(enumerate(STANDINGS))).astype("str")
    chosen = leaders(out, plan)
    out["is_leader"] = out["unit_code"].isin(chosen["unit_code"])
    return out


def _with_backlog(out: pd.DataFrame, backlog: pd.DataFrame) -> pd.DataFrame:
    bl = backlog.assign(unit_code=backlog["unit_code"].astype("str"))
    out = out.merge(bl, on="unit_code", how="left")
    out["backlog_pending"] = out["backlog_pending"].fillna(0).astype("int64")
    out["backlog_median_lag_days"] = out["backlog_median_lag_days"].astype("float64")
    out["backlog_oldest_days"] = out["backlog_oldest_days"].astype("Int64")
    return out


def unit_progress(
    vehicle_status: Source,
    licence_status: Source,
    submission_links: Source,
    plan: Plan,
    *,
    as_of: date,
    self_report_check: pd.DataFrame | None = None,
    organizations: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    previous_as_of: date | None = None,
) -> pd.DataFrame:
    """``aggregate`` then ``unit_table``: the 126-row table from the reconciled tables."""
    agg = aggregate(
        vehicle_status, licence_status, submission_links, plan, as_of=as_of,
        self_report_check=self_report_check, organizations=organizations,
    )
    return unit_table(agg, plan, as_of=as_of, previous=previous, previous_as_of=previous_as_of)


# ---------------------------------------------------------------------------------------------
# Laggard rules and leaders


def _median(values: pd.Series) -> float:
    known = values.dropna()
    return float(known.median()) if len(known) else math.nan


def rule_codes(plan: Plan) -> tuple[list[str], list[str]]:
    """(naming codes, context codes) in sentence order, for the kinds in ``laggards.kinds``."""
    kinds = rule_kinds(plan)
    naming = [f"{PREFIX[k]}_{r}" for k in kinds for r in KIND_NAMING_RULES] + list(UNIT_NAMING_RULES)
    context = [f"{PREFIX[k]}_{r}" for k in kinds for r in KIND_CONTEXT_RULES]
    return naming, context


def _gain_share(units: pd.DataFrame, p: str) -> pd.Series:
    """The week's gain as a share of the records review can clean (null when there are none)."""
    return _share(units[f"{p}_gain_week"], units[f"{p}_cleanable"])


def _city_days_to_finish(units: pd.DataFrame, p: str) -> float:
    """Days from the week to the city's projected finish at the city's pace (nan when none);
    the same arithmetic as the city's ``projected_finish``."""
    remaining = float(units[f"{p}_remaining"].sum())
    rate = float(units[f"{p}_gain_week"].sum()) / WINDOW_DAYS
    if remaining <= 0 or rate <= 0 or remaining / rate > PROJECTION_HORIZON_DAYS:
        return math.nan
    return float(math.ceil(remaining / rate))


def _late_vs_city_limit(units: pd.DataFrame, p: str, plan: Plan) -> float:
    """Days after the city's projected finish beyond which a unit is named (nan: no city
    projection to compare with): ``late_vs_city_days``, or ``late_vs_city_share`` x the city's
    own days to finish when that is more (a projection months away is loose)."""
    city_days = _city_days_to_finish(units, p)
    if math.isnan(city_days):
        return math.nan
    days = float(_param(plan, "laggards", "late_vs_city_days"))
    share = float(_param(plan, "laggards", "late_vs_city_share", 0.0))
    return max(days, share * city_days)


def rule_flags(
    units: pd.DataFrame, plan: Plan, *, kinds: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per unit (same index as ``units``), one bool column per rule code, naming rules first.

    A unit that reached its target is never named by a kind rule, and a unit with nothing
    assigned breaks none. ``kinds`` (default ``laggards.kinds``) adds the kind rules of other
    kinds (each kind's standing reads its own). Shares are of the records review can clean
    (``<p>_share_cleaned_cleanable``). Naming kind rules (codes ``veh_<rule>`` / ``lic_<rule>``):
    ``below_median`` share cleaned more than ``below_median_points`` under the median of units;
    ``below_median_ratio`` share under ``below_median_ratio`` x that median; ``bottom_decile``
    among the lowest ``bottom_share`` of units by share (units tied across the cut stay out);
    ``gain_below_median`` the week's gain as a share of assigned under ``gain_vs_city_median``
    x the median of units; ``late_vs_city`` the projected finish is later than the city's by
    more than ``late_vs_city_days`` and ``late_vs_city_share`` x the city's own days to finish,
    or never at the unit's pace while the city has a finish. Naming unit rules:
    ``backlog_old`` oldest pending review older than ``backlog_oldest_days``;
    ``self_report_overstated`` reconcile's verdict over the week (when
    ``laggards.self_report_overstated`` is true). Context kind rules: ``projected_late``
    projected later than the deadline by more than ``projected_late_days``, or never;
    ``slow_gain`` the week's gain under ``weekly_gain_vs_required`` x 7 x the required rate.
    """
    points = float(_param(plan, "laggards", "below_median_points")) / 100.0
    ratio = float(_param(plan, "laggards", "below_median_ratio"))
    bottom = float(_param(plan, "laggards", "bottom_share"))
    gain_vs_median = float(_param(plan, "laggards", "gain_vs_city_median"))
    late_days = float(_param(plan, "laggards", "projected_late_days"))
    gain_fraction = float(_param(plan, "laggards", "weekly_gain_vs_required"))
    backlog_days = float(_param(plan, "laggards", "backlog_oldest_days"))
    hits: dict[str, pd.Series] = {}
    judged = list(rule_kinds(plan))
    kinds = list(kinds) if kinds is not None else judged
    for kind in kinds:
        p = PREFIX[kind]
        share = units[f"{p}_share_cleaned_cleanable"]
        remaining = units[f"{p}_remaining"] > 0
        median = _median(share)
        hits[f"{p}_below_median"] = remaining & (share < median - points).fillna(False)
        hits[f"{p}_below_median_ratio"] = remaining & (share < ratio * median).fillna(False)
        ranked = share.notna()
        cutoff = math.ceil(bottom * int(ranked.sum()))
        # "max": units tied across the cut stay out (no unit is named for a tie)
        ascending = share.rank(ascending=True, method="max")
        hits[f"{p}_bottom_decile"] = remaining & (ranked & (ascending <= cutoff)).fillna(False)
        gain = _gain_share(units, p)
        # strict: in a week without progress (median 0) nobody is slower than the city
        hits[f"{p}_gain_below_median"] = remaining & (
            gain < gain_vs_median * _median(gain)
        ).fillna(False)
        never = units[f"{p}_projected_finish"].isna()
        limit = _late_vs_city_limit(units, p, plan)
        after_city = units[f"{p}_days_after_city"].astype("Float64")
        hits[f"{p}_late_vs_city"] = remaining & (
            pd.Series(False, index=units.index) if math.isnan(limit)
            else never | (after_city > limit).fillna(False)
        )
        days_late = units[f"{p}_days_late"].astype("Float64")
        hits[f"{p}_projected_late"] = remaining & (never | (days_late > late_days).fillna(False))
        required = units[f"{p}_required_rate"]
        slow = units[f"{p}_gain_week"] < gain_fraction * WINDOW_DAYS * required
        hits[f"{p}_slow_gain"] = remaining & (required > 0).fillna(False) & slow.fillna(False)
    hits["backlog_old"] = (units["backlog_oldest_days"].astype("Float64") > backlog_days).fillna(
        False
    )
    judge_reports = bool(_param(plan, "laggards", "self_report_overstated", True))
    hits["self_report_overstated"] = (
        units["self_report_overstated"].fillna(False).astype(bool) & judge_reports
    )
    naming, context = rule_codes(plan)
    extra = [f"{PREFIX[k]}_{r}" for k in kinds if k not in judged for r in KIND_RULES]
    return pd.DataFrame(
        {code: hits[code].astype(bool).to_numpy() for code in naming + context + extra},
        index=units.index,
    )


def laggard_rules(units: pd.DataFrame, plan: Plan) -> pd.Series:
    """Per unit (same index as ``units``): the rule codes that name it, then the context rules
    it also breaks, in sentence order; empty when it breaks no naming rule (``rule_flags``)."""
    flags = rule_flags(units, plan)
    naming, context = rule_codes(plan)
    named = flags[naming].to_numpy()
    also = flags[context].to_numpy()
    broken = [
        [c for c, hit in zip(naming, n_row, strict=True) if hit]
        + [c for c, hit in zip(context, c_row, strict=True) if hit] if n_row.any() else []
        for n_row, c_row in zip(named, also, strict=True)
    ]
    return pd.Series(broken, index=units.index, dtype=object)


def _days_text(n: int, lang: str) -> str:
    return t("progress.days.one" if abs(n) == 1 else "progress.days.other", lang,
             n=fmt_int(abs(n), lang))


def rule_sentence(
    code: str,
    row: Mapping[str, Any],
    context: Mapping[str, Any],
    lang: str,
    broken: Sequence[str] = (),
) -> str:
    """One broken rule as a sentence with the unit's own numbers, in ``lang``. ``broken`` are
    all the codes of the unit: a sentence leaves out a figure an earlier one already gave."""
    if code in UNIT_RULES:
        kind_prefix, rule, p = "", code, ""
    else:
        p, rule = code.split("_", 1)
        kind = next(k for k, v in PREFIX.items() if v == p)
        kind_prefix = t(f"progress.kind_prefix.{kind}", lang) if context["multi_kind"] else ""
    key = f"progress.rule.{rule}"
    if rule == "below_median":
        text = t(key, lang, share=fmt_pct(row[f"{p}_share_cleaned_cleanable"], lang),
                 median=fmt_pct(context[f"{p}_median"], lang))
    elif rule == "below_median_ratio":
        median = context[f"{p}_median"]
        # after the points rule's "cleaned x% vs city median y%", only the proportion is new
        short = f"{p}_below_median" in broken
        text = t(key + ("_short" if short else ""), lang,
                 share=fmt_pct(row[f"{p}_share_cleaned_cleanable"], lang),
                 part=fmt_pct(row[f"{p}_share_cleaned_cleanable"] / median, lang, 0),
                 median=fmt_pct(median, lang))
    elif rule == "gain_below_median":
        text = t(key, lang,
                 gain_share=fmt_pct(row[f"{p}_gain_week"] / row[f"{p}_cleanable"], lang),
                 fraction=fmt_pct(context["gain_vs_city_median"], lang, 0),
                 median=fmt_pct(context[f"{p}_gain_median"], lang))
    elif rule == "late_vs_city":
        city_finish = fmt_date(row[f"{p}_city_projected_finish"], lang)
        if pd.isna(row[f"{p}_days_after_city"]):
            text = t("progress.rule.late_vs_city_never", lang, city_finish=city_finish)
        else:
            text = t(key, lang, days=_days_text(int(row[f"{p}_days_after_city"]), lang),
                     city_finish=city_finish)
    elif rule == "bottom_decile":
        text = t(key, lang, bottom=fmt_pct(context["bottom_share"], lang, 0),
                 rank=fmt_int(row[f"{p}_rank_of_share"], lang),
                 units=fmt_int(context[f"{p}_ranked"], lang))
    elif rule == "projected_late":
        finish = row[f"{p}_projected_finish"]
        if finish is None or pd.isna(finish):
            text = t("progress.rule.projected_never", lang,
                     rate=pace_texts(row[f"{p}_rate_7d"], row[f"{p}_required_rate"], lang)[0],
                     remaining=fmt_int(row[f"{p}_remaining"], lang))
        else:
            text = t(key, lang, finish=fmt_date(finish, lang),
                     days=_days_text(int(row[f"{p}_days_late"]), lang))
    elif rule == "slow_gain":
        text = t(key, lang, gain=fmt_int(row[f"{p}_gain_week"], lang),
                 fraction=fmt_pct(context["gain_fraction"], lang, 0),
                 required=fmt_int(math.ceil(row[f"{p}_required_rate"] * WINDOW_DAYS), lang))
    elif rule == "backlog_old":
        text = t(key, lang, days=_days_text(int(row["backlog_oldest_days"]), lang),
                 pending=fmt_int(row["backlog_pending"], lang))
    elif rule == "self_report_overstated":
        text = t(key, lang, details=", ".join(_overstated_measures(row, lang)))
    else:
        raise KeyError(f"unknown laggard rule {code!r}")
    return kind_prefix + text


def _overstated_measures(row: Mapping[str, Any], lang: str) -> list[str]:
    """'vehicles approved 1,500 vs 1,000 (+50.0%)' for each measure the unit overstated."""
    from helpers.reconcile import SELF_REPORT_MEASURES

    parts = []
    for m in SELF_REPORT_MEASURES:
        if not row.get(f"self_report_overstated_{m}", False):
            continue
        reported = row[f"self_report_reported_{m}"]
        system = row[f"self_report_system_{m}"]
        excess = ("+" + fmt_pct(reported / system - 1.0, lang) if system
                  else t("progress.rule.none_in_system", lang))
        parts.append(t("progress.rule.self_report_measure", lang,
                       measure=t(f"progress.measure.{m}", lang),
                       reported=fmt_int(reported, lang), system=fmt_int(system, lang),
                       excess=excess))
    return parts


def _rule_context(units: pd.DataFrame, plan: Plan) -> tuple[pd.DataFrame, dict[str, Any]]:
    kinds = rule_kinds(plan)
    context: dict[str, Any] = {
        "multi_kind": len(kinds) > 1,
        "bottom_share": float(_param(plan, "laggards", "bottom_share")),
        "gain_fraction": float(_param(plan, "laggards", "weekly_gain_vs_required")),
        "gain_vs_city_median": float(_param(plan, "laggards", "gain_vs_city_median")),
    }
    extra = {}
    for kind in KINDS:
        p = PREFIX[kind]
        share = units[f"{p}_share_cleaned_cleanable"]
        context[f"{p}_median"] = _median(share)
        context[f"{p}_gain_median"] = _median(_gain_share(units, p))
        context[f"{p}_ranked"] = int(share.notna().sum())
        extra[f"{p}_rank_of_share"] = share.rank(ascending=False, method="min")
    return units.assign(**extra), context


def laggards(units: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """One row per laggard unit, worst rank first: every rule that names it, then every context
    rule it also breaks (``rules``), each as a sentence with the unit's own numbers, joined with
    the catalogue's separator, in both languages."""
    broken = laggard_rules(units, plan)
    framed, context = _rule_context(units, plan)
    naming, _ = rule_codes(plan)
    rows = []
    for i, codes in broken.items():
        if not codes:
            continue
        row = framed.loc[i]
        reasons = {
            lang: t("progress.separator", lang).join(
                rule_sentence(c, row, context, lang, codes) for c in codes
            )
            for lang in LANGS
        }
        rows.append(
            {
                "unit_code": row["unit_code"],
                "unit_name": row["unit_name"],
                "rank": int(row["rank"]),
                "veh_share_cleaned": row["veh_share_cleaned"],
                "veh_share_cleaned_cleanable": row["veh_share_cleaned_cleanable"],
                "breaks_progress": any(c not in CONDUCT_RULES and c in naming for c in codes),
                "breaks_conduct": any(c in CONDUCT_RULES for c in codes),
                "rules": list(codes),
                "reason_vi": reasons["vi"],
                "reason_en": reasons["en"],
            }
        )
    out = pd.DataFrame(
        rows,
        columns=["unit_code", "unit_name", "rank", "veh_share_cleaned",
                 "veh_share_cleaned_cleanable", "breaks_progress", "breaks_conduct", "rules",
                 "reason_vi", "reason_en"],
    )
    out = out.sort_values(["rank", "unit_code"], ascending=[False, True], ignore_index=True)
    return out.astype({"unit_code": "str", "unit_name": "str", "rank": "int64",
                       "veh_share_cleaned": "float64", "veh_share_cleaned_cleanable": "float64",
                       "breaks_progress": "bool", "breaks_conduct": "bool", "reason_vi": "str",
                       "reason_en": "str"})


def leaders(units: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Top ``leaders.top_n`` units by vehicle share cleaned (of the records review can clean)
    and by weekly gain, with sentences; ``measure`` names what ``value`` is and what the
    category ranks: ``share_cleanable``, ``gain_share`` or ``gain_records``.

    Weekly gain is measured as a share of the unit's cleanable records (``gain_measure: share``,
    fair between large and small units) or as a count (``records``). Units with nothing
    assigned or no gain are never leaders; laggards are left out when
    ``leaders.exclude_laggards`` is true (a unit is not praised and criticised the same week).
    """
    top_n = int(_param(plan, "leaders", "top_n"))
    measure = str(_param(plan, "leaders", "gain_measure", "share"))
    if measure not in ("share", "records"):
        raise ConfigError("config/plan.yaml: leaders.gain_measure must be 'share' or 'records'")
    exclude = bool(_param(plan, "leaders", "exclude_laggards", True))
    pool = units.loc[units["veh_cleanable"] > 0]
    if exclude and "is_laggard" in pool.columns:
        pool = pool.loc[~pool["is_laggard"].astype(bool)]
    median = _median(units[RANK_SHARE])
    ranked = int(units[RANK_SHARE].notna().sum())
    gain_share = pool["veh_gain_week"] / pool["veh_cleanable"]
    gain_value = gain_share if measure == "share" else pool["veh_gain_week"].astype("float64")
    by_share = pool.assign(_v=pool[RANK_SHARE]).loc[lambda d: d["_v"] > 0]
    by_gain = pool.assign(_v=gain_value, _points=gain_share).loc[lambda d: d["_v"] > 0]
    measures = {"share": "share_cleanable",
                "gain": "gain_share" if measure == "share" else "gain_records"}
    rows = []
    for category, frame in (("share", by_share), ("gain", by_gain)):
        best = frame.sort_values(["_v", "unit_code"], ascending=[False, True]).head(top_n)
        for position, (_, row) in enumerate(best.iterrows(), start=1):
            texts = {}
            for lang in LANGS:
                if category == "share":
                    texts[lang] = t(
                        "progress.leader.share", lang,
                        share=fmt_pct(row[RANK_SHARE], lang),
                        assigned=fmt_int(row["veh_cleanable"], lang),
                        rank=fmt_int(row["rank"], lang), units=fmt_int(ranked, lang),
                        median=fmt_pct(median, lang),
                    )
                else:
                    texts[lang] = t(
                        "progress.leader.gain", lang,
                        gain=fmt_int(row["veh_gain_week"], lang),
                        points=fmt_pct(row["_points"], lang),
                        rate=fmt_num(row["veh_rate_7d"], lang),
                        cleanable=fmt_int(row["veh_cleanable"], lang),
                    )
            rows.append(
                {"unit_code": row["unit_code"], "unit_name": row["unit_name"],
                 "category": category, "measure": measures[category], "position": position,
                 "value": float(row["_v"]), "reason_vi": texts["vi"], "reason_en": texts["en"]}
            )
    out = pd.DataFrame(rows, columns=["unit_code", "unit_name", "category", "measure",
                                      "position", "value", "reason_vi", "reason_en"])
    return out.astype({"unit_code": "str", "unit_name": "str", "category": "str",
                       "measure": "str", "position": "int64", "value": "float64",
                       "reason_vi": "str", "reason_en": "str"})


# ---------------------------------------------------------------------------------------------
# City level


def city_progress(units: pd.DataFrame, agg: Aggregates, plan: Plan, *, as_of: date) -> pd.DataFrame:
    """One row per kind: sums of the units, the city's own deadline arithmetic, the kind's own
    unit standings (from ``<p>_standing``), the comparison with the population database,
    the week-on-week change and submission totals."""
    week_start = as_of - timedelta(days=WINDOW_DAYS - 1)
    days_left = plan.days_left(as_of)
    conduct = int(units["breaks_conduct"].sum()) if "breaks_conduct" in units else 0
    rows = []
    for kind in KINDS:
        p = PREFIX[kind]
        standing = units[f"{p}_standing"].value_counts()
        s = {c: int(units[f"{p}_{c}"].sum()) for c in (
            "assigned", "submitted", "approved", "cleaned", "pending", "difficult", "gain_week",
            "gain_prev_week", "target", "remaining", "cleanable", "compared",
            "difficult_resolved", "difficult_open")}
        with_records = units.loc[units[f"{p}_assigned"] > 0]
        unit_compared = with_records[f"{p}_share_compared"]
        mine = agg.daily.loc[agg.daily["kind"] == kind]
        early = mine["date"].isna() | (mine["date"] < plan.start)
        daily = agg.daily.loc[(agg.daily["kind"] == kind) & agg.daily["date"].notna()]
        daily = daily.loc[daily["date"] <= as_of]
        rate = s["gain_week"] / WINDOW_DAYS
        dl = _city_deadline(units, agg.daily, kind, plan, as_of)
        rows.append(
            {
                "kind": kind,
                "assigned": s["assigned"],
                "submitted": s["submitted"],
                "approved": s["approved"],
                "cleaned": s["cleaned"],
                "share_cleaned": s["cleaned"] / s["assigned"] if s["assigned"] else math.nan,
                "share_submitted": s["submitted"] / s["assigned"] if s["assigned"] else math.nan,
                "gain_week": s["gain_week"],
                "gain_prev_week": s["gain_prev_week"],
                "rate_7d": rate,
                "required_rate": float(dl[f"{p}_required_rate"]),
                "projected_finish": dl[f"{p}_projected_finish"],
                "days_late": dl[f"{p}_days_late"],
                "on_track": bool(dl[f"{p}_on_track"]),
                "days_left": days_left,
                "units_on_track": int(standing.get("on_track", 0)),
                "units_at_risk": int(standing.get("at_risk", 0)),
                "units_off_track": int(standing.get("off_track", 0)),
                "pending": s["pending"],
                "oldest_pending_days": units["backlog_oldest_days"].max(),
                "submissions_total": int(daily["submitted_day"].sum()),
                "submissions_week": int(daily.loc[daily["date"] >= week_start,
                                                  "submitted_day"].sum()),
                "difficult": s["difficult"],
                "target": s["target"],
                "remaining": s["remaining"],
                "units_kind_on_track": int(units[f"{p}_on_track"].sum()),
                "cleanable": s["cleanable"],
                "share_cleaned_cleanable": (s["cleaned"] / s["cleanable"] if s["cleanable"]
                                            else math.nan),
                "difficult_resolved": s["difficult_resolved"],
                "difficult_open": s["difficult_open"],
                "compared": s["compared"],
                "share_compared": s["compared"] / s["assigned"] if s["assigned"] else math.nan,
                "units_compared": int((with_records[f"{p}_compared"] > 0).sum()),
                "units_with_records": len(with_records),
                "unit_share_compared_min": float(unit_compared.min()) if len(unit_compared)
                else math.nan,
                "unit_share_compared_max": float(unit_compared.max()) if len(unit_compared)
                else math.nan,
                "gain_change": s["gain_week"] - s["gain_prev_week"],
                "gain_change_share": ((s["gain_week"] - s["gain_prev_week"]) / s["gain_prev_week"]
                                      if s["gain_prev_week"] else math.nan),
                "cleaned_before_start": int(mine.loc[early, "cleaned_day"].sum()),
                "units_conduct": conduct,
                # submissions (all kinds) waiting for a unit's review: the backlog's total
                "backlog_submissions": int(units["backlog_pending"].sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["kind"] = out["kind"].astype("str")
    out["days_late"] = out["days_late"].astype("Int64")
    out["oldest_pending_days"] = out["oldest_pending_days"].astype("Int64")
    out["projected_finish"] = out["projected_finish"].astype(object)
    return out


def difficult_target_share(plan: Plan) -> float:
    share = float(_param(plan, "targets", "difficult_resolved_share", 1.0))
    if not 0.0 < share <= 1.0:
        raise ConfigError("config/plan.yaml: targets.difficult_resolved_share must be in (0, 1]")
    return share


def group_progress(units: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """One row per kind and difficult group, each its own measure: ``records`` in the group,
    ``resolved`` (the unit approved a submission for the record: its part of the group's way
    of resolution is done), ``open``, ``share_resolved``, ``target``
    (``targets.difficult_resolved_share`` of the records), ``remaining``, ``units_with_open``
    and ``unit_most_open`` (the unit with the most open records, for the briefing)."""
    share = difficult_target_share(plan)
    rows = []
    for kind in KINDS:
        p = PREFIX[kind]
        for g in GROUPS[kind]:
            records = units[f"{p}_group_{g}"].astype("int64")
            resolved = units[f"{p}_resolved_{g}"].astype("int64")
            open_ = records - resolved
            total, done = int(records.sum()), int(resolved.sum())
            target = math.ceil(share * total - 1e-9)
            worst = units.assign(_open=open_).sort_values(["_open", "unit_code"],
                                                          ascending=[False, True])
            rows.append({
                "kind": kind, "group": g, "records": total, "resolved": done,
                "open": total - done, "share_resolved": done / total if total else math.nan,
                "target": target, "remaining": max(target - done, 0),
                "units_with_open": int((open_ > 0).sum()),
                "unit_most_open": str(worst["unit_name"].iloc[0]) if total - done > 0 else "",
                "unit_most_open_count": int(worst["_open"].iloc[0]) if len(worst) else 0,
            })
    out = pd.DataFrame(rows)
    return out.astype({"kind": "str", "group": "str", "unit_most_open": "str"})


def daily_series(agg: Aggregates, units: pd.DataFrame, plan: Plan, *, as_of: date) -> pd.DataFrame:
    """One row per day and kind from the peak start to ``as_of``: daily and cumulative
    submissions received, submissions approved and records cleaned (activity before the start
    and cleanings of unknown date are in the cumulative figures from the first day), against
    ``target_cum``, the straight line from 0 before the first day to the city target at the end
    of the deadline day."""
    days = [plan.start + timedelta(days=i) for i in range(max((as_of - plan.start).days + 1, 0))]
    frames = []
    for kind in KINDS:
        p = PREFIX[kind]
        mine = agg.daily.loc[agg.daily["kind"] == kind]
        before = mine.loc[mine["date"].isna() | (mine["date"] < plan.start)]
        dated = mine.loc[mine["date"].notna() & (mine["date"] >= plan.start)]
        per_day = dated.groupby("date")[["submitted_day", "approved_day", "cleaned_day"]].sum()
        per_day = per_day.reindex(days, fill_value=0)
        frame = pd.DataFrame({"date": pd.Series(days, dtype=object), "kind": kind})
        target = int(units[f"{p}_target"].sum())
        for col in ("submitted", "approved", "cleaned"):
            day = per_day[f"{col}_day"].to_numpy().astype("int64")
            frame[f"{col}_day"] = day
            frame[f"{col}_cum"] = int(before[f"{col}_day"].sum()) + np.cumsum(day)
        elapsed = np.arange(1, len(days) + 1)
        frame["target_cum"] = np.minimum(target * elapsed / plan.duration_days, target)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["kind"] = out["kind"].astype("str")
    out["date"] = out["date"].astype(object)
    return out


# ---------------------------------------------------------------------------------------------
# Talking points for the chair


def talking_points(
    city: pd.DataFrame,
    units: pd.DataFrame,
    laggard_table: pd.DataFrame,
    leader_table: pd.DataFrame,
    plan: Plan,
    *,
    as_of: date,
) -> pd.DataFrame:
    """A handful of sentences summarising the week, in both languages (``lang``, ``order``,
    ``text``): totals (cleanable records and difficult groups apart), this week against the
    last, the projection, each kind's standings and conduct, the comparison with the population
    database, the largest backlog (``backlog_ranking``), submissions and the leading units.
    Every figure is a value of ``city`` / ``units`` / ``leader_table``, formatted."""
    veh = city.set_index("kind").loc["vehicle"]
    lic = city.set_index("kind").loc["licence"]
    named = int(_param(plan, "leaders", "named_in_talking_points", 3))
    rows = []
    for lang in LANGS:
        rate, _required = pace_texts(veh["rate_7d"], veh["required_rate"], lang)
        texts = [
            t("progress.talking.totals", lang, date=fmt_date(as_of, lang),
              cleaned=fmt_int(veh["cleaned"], lang), cleanable=fmt_int(veh["cleanable"], lang),
              share=pct_text(veh["share_cleaned_cleanable"], lang),
              difficult=fmt_int(veh["difficult"], lang),
              resolved=fmt_int(veh["difficult_resolved"], lang),
              open=fmt_int(veh["difficult_open"], lang),
              lic_cleaned=fmt_int(lic["cleaned"], lang),
              lic_cleanable=fmt_int(lic["cleanable"], lang),
              lic_share=pct_text(lic["share_cleaned_cleanable"], lang),
              lic_difficult=fmt_int(lic["difficult"], lang)),
            t("progress.talking.week", lang, gain=fmt_int(veh["gain_week"], lang), rate=rate,
              change=change_text(veh["gain_week"], veh["gain_prev_week"], lang)),
            _projection_text(veh, plan, lang),
            t("progress.talking.standing", lang,
              off=fmt_int(veh["units_off_track"], lang), risk=fmt_int(veh["units_at_risk"], lang),
              on=fmt_int(veh["units_on_track"], lang),
              lic_off=fmt_int(lic["units_off_track"], lang),
              lic_risk=fmt_int(lic["units_at_risk"], lang),
              lic_on=fmt_int(lic["units_on_track"], lang),
              conduct=fmt_int(veh["units_conduct"], lang)),
            compared_text(veh, lic, lang),
        ]
        backlog = _backlog_text(units, city, lang)
        if backlog:
            texts.append(backlog)
        texts.append(
            t("progress.talking.submissions", lang,
              week=fmt_int(veh["submissions_week"] + lic["submissions_week"], lang),
              veh=fmt_int(veh["submissions_week"], lang),
              total=fmt_int(veh["submissions_total"] + lic["submissions_total"], lang))
        )
        best = leader_table.loc[leader_table["category"] == "share"].head(named)
        if len(best):
            names = ", ".join(
                f"{r.unit_name} ({pct_text(r.value, lang)})" for r in best.itertuples()
            )
            texts.append(t("progress.talking.leaders", lang, names=names))
        rows.extend({"lang": lang, "order": i, "text": s} for i, s in enumerate(texts, start=1))
    out = pd.DataFrame(rows, columns=["lang", "order", "text"])
    return out.astype({"lang": "str", "order": "int64", "text": "str"})


def pct_text(share: Any, lang: str, decimals: int = 1) -> str:
    """A share in per cent that never reads 100 % (or 0 %) unless it is: 99.97 % of a target
    is not the target, so it gets the decimals that show it ("–" when unknown)."""
    if share is None or pd.isna(share):
        return "–"
    share = float(share)
    text = fmt_pct(share, lang, decimals)
    while decimals < 4 and ((share < 1.0 and text == fmt_pct(1.0, lang, decimals))
                            or (share > 0.0 and text == fmt_pct(0.0, lang, decimals))):
        decimals += 1
        text = fmt_pct(share, lang, decimals)
    return text


def pace_texts(rate: Any, required: Any, lang: str, *, max_decimals: int = 2) -> tuple[str, str]:
    """A pace and the pace needed, formatted with the fewest decimals (0..``max_decimals``) that
    keep two different values apart, so "2/day, needs 2/day" never sits beside "late"."""
    def known(v: Any) -> bool:
        return v is not None and not pd.isna(v)

    decimals = 0
    if known(rate) and known(required):
        while (decimals < max_decimals and float(rate) != float(required)
               and fmt_num(rate, lang, decimals) == fmt_num(required, lang, decimals)):
            decimals += 1
    for v in (rate, required):
        # a pace that is needed (or made) is never shown as 0
        while known(v) and decimals < max_decimals and 0 < float(v) and float(
                fmt_num(v, "en", decimals).replace(",", "")) == 0:
            decimals += 1
    def text(v: Any) -> str:
        if not known(v):
            return "–"
        return fmt_int(v, lang) if decimals == 0 else fmt_num(v, lang, decimals)

    return text(rate), text(required)


def change_text(gain: Any, prev: Any, lang: str) -> str:
    """This week's gain against the previous week's, as the conferences say it: the change in
    records and in per cent of the previous week (two decimals)."""
    gain, prev = int(gain), int(prev)
    if prev == 0:
        return t("progress.talking.change_from_none", lang)
    if gain == prev:
        return t("progress.talking.change_same", lang, prev=fmt_int(prev, lang))
    key = "change_up" if gain > prev else "change_down"
    return t(f"progress.talking.{key}", lang, prev=fmt_int(prev, lang),
             diff=fmt_int(abs(gain - prev), lang),
             pct=fmt_pct(abs(gain - prev) / prev, lang, 2))


def compared_text(veh: pd.Series, lic: pd.Series, lang: str) -> str:
    """Units that compared owners with the population database and how far, as reported."""
    return t("progress.talking.compared", lang,
             units=fmt_int(veh["units_compared"], lang),
             with_records=fmt_int(veh["units_with_records"], lang),
             low=pct_text(veh["unit_share_compared_min"], lang),
             high=pct_text(veh["unit_share_compared_max"], lang),
             share=pct_text(veh["share_compared"], lang),
             lic_share=pct_text(lic["share_compared"], lang))


def _projection_text(veh: pd.Series, plan: Plan, lang: str) -> str:
    deadline = fmt_date(plan.end, lang)
    if veh["remaining"] <= 0:
        return t("progress.talking.projection_done", lang, deadline=deadline)
    finish = veh["projected_finish"]
    if finish is None or pd.isna(finish):
        return t("progress.talking.projection_never", lang,
                 remaining=fmt_int(veh["remaining"], lang), deadline=deadline)
    late = int(veh["days_late"])
    if veh["days_left"] == 0:
        return t("progress.talking.projection_passed", lang, deadline=deadline,
                 remaining=fmt_int(veh["remaining"], lang), finish=fmt_date(finish, lang))
    rate, required = pace_texts(veh["rate_7d"], veh["required_rate"], lang)
    key = "projection_late" if late > 0 else "projection_early"
    return t(f"progress.talking.{key}", lang, finish=fmt_date(finish, lang),
             days=_days_text(late, lang), deadline=deadline, required=required, rate=rate)


def backlog_ranking(units: pd.DataFrame, *, only_waiting: bool = True) -> pd.DataFrame:
    """Units with submissions waiting for review (every unit unless ``only_waiting``), largest
    backlog first: most submissions waiting, then the oldest wait, then the unit code. The one
    order of "largest backlog" used by the talking point, the briefing table and the city pack."""
    pending = units.loc[units["backlog_pending"] > 0] if only_waiting else units
    oldest = pending["backlog_oldest_days"].astype("Float64").fillna(-1)
    return (pending.assign(_oldest=oldest)
            .sort_values(["backlog_pending", "_oldest", "unit_code"],
                         ascending=[False, False, True], kind="stable")
            .drop(columns="_oldest"))


def _backlog_text(units: pd.DataFrame, city: pd.DataFrame, lang: str) -> str:
    ranked = backlog_ranking(units)
    if ranked.empty:
        return t("progress.talking.backlog_none", lang)
    worst = ranked.iloc[0]
    return t("progress.talking.backlog", lang,
             total=fmt_int(city["backlog_submissions"].iloc[0], lang),
             unit=worst["unit_name"], pending=fmt_int(worst["backlog_pending"], lang),
             days=_days_text(int(worst["backlog_oldest_days"]), lang))


# ---------------------------------------------------------------------------------------------
# The week


def compute(
    agg: Aggregates,
    plan: Plan,
    *,
    as_of: date,
    previous: pd.DataFrame | None = None,
    previous_as_of: date | None = None,
) -> dict[str, pd.DataFrame]:
    """Every progress table from the aggregates (pure; no I/O)."""
    units = unit_table(agg, plan, as_of=as_of, previous=previous, previous_as_of=previous_as_of)
    lag = laggards(units, plan)
    lead = leaders(units, plan)
    city = city_progress(units, agg, plan, as_of=as_of)
    return {
        "unit_progress": units,
        "city_progress": city,
        "group_progress": group_progress(units, plan),
        "laggards": lag,
        "leaders": lead,
        "daily_series": daily_series(agg, units, plan, as_of=as_of),
        "unit_daily": agg.daily.loc[agg.daily["date"].isna() | (agg.daily["date"] <= as_of)]
        .reset_index(drop=True),
        "org_summary": agg.org_types,
        "talking_points": talking_points(city, units, lag, lead, plan, as_of=as_of),
    }


def previous_week(ws: Workspace, week: str, plan: Plan) -> str:
    """The reporting week before ``week``: the newest earlier delivery or processed folder
    within one and a half cadences (deliveries are not always exactly 7 days apart: the sample
    has 2025-11-17 then 2025-11-23), else ``week`` minus the cadence."""
    as_of = date.fromisoformat(week)
    earliest = as_of - timedelta(days=plan.cadence_days + plan.cadence_days // 2)
    folders = set(ws.deliveries())
    if ws.processed.is_dir():
        folders |= {p.name for p in ws.processed.iterdir()
                    if p.is_dir() and WEEK_PATTERN.match(p.name)}
    earlier = sorted(f for f in folders if earliest.isoformat() <= f < week)
    return earlier[-1] if earlier else (as_of - timedelta(days=plan.cadence_days)).isoformat()


def load_previous(ws: Workspace, prev_week: str) -> pd.DataFrame | None:
    """That week's ``unit_progress`` when its processed folder holds a usable one, else None."""
    if not store.exists(ws, "unit_progress", prev_week):
        return None
    return _previous_usable(store.load(ws, "unit_progress", prev_week))


def progress_week(ws: Workspace, week: str, plan: Plan | None = None) -> dict[str, pd.DataFrame]:
    """Compute and write the week's progress tables into ``data/processed/<week>/``."""
    plan = plan or load_plan()
    as_of = date.fromisoformat(week)
    path = {name: store.table_path(ws, name, week) for name in (
        "vehicle_status", "licence_status", "submission_links")}
    for name, p in path.items():
        if not p.is_file():
            raise DeliveryError(
                f"processed table '{name}' for week {week} not found ({p}); "
                "run 01_ingest and 02_reconcile first"
            )
    check = store.load(ws, "unit_self_report_check", week)
    organizations = store.load(ws, "organizations", week, columns=list(_REQUIRED["organizations"]))
    con = _connect(None)
    try:
        agg = aggregate(
            path["vehicle_status"], path["licence_status"], path["submission_links"], plan,
            as_of=as_of, self_report_check=check, organizations=organizations, con=con,
        )
    finally:
        con.close()
    prev_week = previous_week(ws, week, plan)
    tables = compute(agg, plan, as_of=as_of, previous=load_previous(ws, prev_week),
                     previous_as_of=date.fromisoformat(prev_week))
    for name in OUTPUT_TABLES:
        store.save(ws, tables[name], name, week)
    return tables


# ---------------------------------------------------------------------------------------------
# Charts and the analyst's drill-down (explore_unit); figures are matplotlib Figure objects
# built without pyplot, so nothing is shown or kept open behind the caller's back.


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def chart_city_series(series: pd.DataFrame, lang: str):
    """Cumulative submitted, approved and cleaned against the straight line, one panel a kind."""
    fig = _figure(11, 4)
    axes = fig.subplots(1, len(KINDS))
    for ax, kind in zip(axes, KINDS, strict=True):
        rows = series.loc[series["kind"] == kind]
        days = pd.to_datetime(rows["date"])
        for col, style in (("submitted", ":"), ("approved", "--"), ("cleaned", "-")):
            ax.plot(days, rows[f"{col}_cum"], style, label=t(f"progress.chart.{col}", lang))
        ax.plot(days, rows["target_cum"], color="grey", lw=1,
                label=t("progress.chart.target", lang))
        title = "city_title" if kind == "vehicle" else "city_title_licence"
        ax.set_title(t(f"progress.chart.{title}", lang), fontsize=10)
        ax.set_ylabel(t("progress.chart.records", lang))
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(_int_ticks(lang))
        _date_axis(ax)
        ax.legend(fontsize=7)
    return fig


def chart_unit_shares(units: pd.DataFrame, lang: str):
    """Every unit's vehicle share cleaned, best first, coloured by standing, with the median."""
    colours = {"on_track": "#2e7d32", "at_risk": "#f9a825", "off_track": "#c62828"}
    ordered = units.sort_values(["rank", "unit_code"])
    fig = _figure(11, 3.5)
    ax = fig.subplots()
    ax.bar(range(len(ordered)), ordered[RANK_SHARE].fillna(0.0),
           color=[colours[s] for s in ordered["standing"]], width=0.8)
    median = _median(units[RANK_SHARE])
    ax.axhline(median, color="black", lw=0.8, ls="--",
               label=f"{t('progress.chart.median', lang)} {fmt_pct(median, lang)}")
    ax.set_xticks([])
    ax.set_title(t("progress.chart.units_title", lang), fontsize=10)
    ax.set_ylabel(t("progress.chart.share", lang))
    ax.yaxis.set_major_formatter(_pct_ticks(lang))
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=t(f"progress.standing.{s}", lang)) for s, c in colours.items()]
    ax.legend(handles=[*handles, *ax.get_legend_handles_labels()[0]], fontsize=7)
    return fig


def unit_curve(
    unit_daily: pd.DataFrame, units: pd.DataFrame, unit_code: str, plan: Plan, *, as_of: date
) -> pd.DataFrame:
    """Per day and kind from the peak start: the unit's share of records cleaned against the
    city's (cleanings before the start or of unknown date count from the first day)."""
    days = [plan.start + timedelta(days=i) for i in range(max((as_of - plan.start).days + 1, 0))]
    row = units.set_index("unit_code").loc[unit_code]
    frames = []
    for kind in KINDS:
        p = PREFIX[kind]
        mine = unit_daily.loc[unit_daily["kind"] == kind]
        curves = {}
        for label, rows, assigned in (
            ("unit", mine.loc[mine["unit_code"] == unit_code], row[f"{p}_assigned"]),
            ("city", mine, units[f"{p}_assigned"].sum()),
        ):
            early = rows["date"].isna() | (rows["date"] < plan.start)
            base = int(rows.loc[early, "cleaned_day"].sum())
            per_day = rows.loc[~early].groupby("date")["cleaned_day"].sum().reindex(days,
                                                                                   fill_value=0)
            cum = base + per_day.cumsum().to_numpy()
            curves[f"{label}_cleaned_cum"] = cum
            curves[f"{label}_share"] = cum / assigned if assigned else np.full(len(days), np.nan)
        frames.append(pd.DataFrame({"date": pd.Series(days, dtype=object), "kind": kind,
                                    **curves}))
    out = pd.concat(frames, ignore_index=True)
    out["kind"] = out["kind"].astype("str")
    return out


def chart_unit_curve(curve: pd.DataFrame, unit_name: str, lang: str):
    """The unit's cumulative share cleaned against the whole city, one panel a kind."""
    fig = _figure(11, 3.5)
    axes = fig.subplots(1, len(KINDS))
    for ax, kind in zip(axes, KINDS, strict=True):
        rows = curve.loc[curve["kind"] == kind]
        days = pd.to_datetime(rows["date"])
        ax.plot(days, rows["unit_share"], lw=2, label=unit_name)
        ax.plot(days, rows["city_share"], color="grey", ls="--",
                label=t("progress.chart.city_line", lang))
        ax.set_title(t("progress.chart.unit_curve_title", lang, unit=unit_name) + " – "
                     + t(f"progress.kind.{kind}", lang), fontsize=10)
        ax.yaxis.set_major_formatter(_pct_ticks(lang))
        _date_axis(ax)
        ax.legend(fontsize=7)
    return fig


def _date_axis(ax) -> None:
    """Day-first dates, as Vietnamese forms write them."""
    from matplotlib.dates import DateFormatter

    ax.xaxis.set_major_formatter(DateFormatter("%d/%m"))
    ax.tick_params(axis="x", labelsize=8)


def _int_ticks(lang: str):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fmt_int(v, lang))


def _pct_ticks(lang: str):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fmt_pct(v, lang, 0))


def find_unit(value: str) -> str:
    """A unit code from a code or a name in any spelling; a clear error when it fits none."""
    code = resolve_unit(value)
    if code is not None:
        return code
    from helpers.normalize import fold

    wanted = fold(str(value))
    units = official_units()
    near = units.loc[units["unit_name"].map(fold).str.contains(wanted, regex=False), "unit_name"]
    hint = f"; did you mean {', '.join(near.head(5))}?" if len(near) else ""
    raise PipelineError(
        f"unit {value!r} is neither a unit code (e.g. '00008') nor the name of one of the 126 "
        f"units{hint}"
    )


def unit_card(units: pd.DataFrame, unit_code: str, lang: str) -> pd.DataFrame:
    """The unit's key figures, formatted in ``lang``: one row a figure, one column a kind
    (figures of the unit as a whole sit in the vehicle column)."""
    row = units.set_index("unit_code").loc[unit_code]

    def value(v: Any, kind_of: str) -> str:
        if v is None or pd.isna(v):
            return "–"
        if kind_of == "pct":
            return fmt_pct(v, lang)
        if kind_of == "num":
            return fmt_num(v, lang)
        if kind_of == "date":
            return fmt_date(v, lang)
        return fmt_int(v, lang)

    per_kind = [("assigned", "int"), ("cleaned", "int"), ("share_cleaned", "pct"),
                ("gain_week", "int"), ("gain_prev_week", "int"), ("rate_7d", "num"),
                ("required_rate", "num"), ("projected_finish", "date"), ("days_late", "int")]
    whole = [("rank", "int"), ("rank_change", "int"), ("backlog_pending", "int"),
             ("backlog_oldest_days", "int"), ("backlog_median_lag_days", "num"),
             ("self_report_ratio", "pct")]
    veh, lic = (t(f"progress.kind.{k}", lang) for k in KINDS)
    rows = [
        {"": t(f"progress.card.{c}", lang), veh: value(row[f"veh_{c}"], f),
         lic: value(row[f"lic_{c}"], f)}
        for c, f in per_kind
    ]
    rows += [{"": t(f"progress.card.{c}", lang), veh: value(row[c], f), lic: ""}
             for c, f in whole]
    rows.append({"": t("progress.card.standing", lang),
                 veh: t(f"progress.standing.{row['standing']}", lang), lic: ""})
    return pd.DataFrame(rows).set_index("")


def unit_statuses(ws: Workspace, week: str, unit_code: str, lang: str) -> pd.DataFrame:
    """Records of one unit by primary status (aggregated in DuckDB), labelled in ``lang``."""
    from helpers.i18n import catalogue

    labels = catalogue(lang).get("status", {})
    con = _connect(store.duckdb_connect(memory_limit="2GB"))
    try:
        frames = []
        for kind in KINDS:
            path = store.table_path(ws, STATUS_TABLE[kind], week)
            _bind(con, "status_src", path, "status")
            counts = con.execute(
                "SELECT status, count(*) AS records FROM status_src WHERE unit_code = ? "
                "GROUP BY status ORDER BY records DESC", [unit_code]
            ).df()
            counts.insert(0, "kind", t(f"progress.kind.{kind}", lang))
            frames.append(counts)
    finally:
        con.close()
    out = pd.concat(frames, ignore_index=True)
    out["label"] = out["status"].map(lambda s: labels.get(s, s))
    out = out[["kind", "label", "records"]]
    return out.rename(columns={"kind": t("explore.kind", lang), "label": t("explore.status", lang),
                               "records": t("explore.records", lang)})


def unit_pending(ws: Workspace, week: str, unit_code: str, *, limit: int = 10,
                 lang: str | None = None) -> pd.DataFrame:
    """The unit's oldest submissions waiting for review, citizen IDs masked (001*******45);
    with ``lang``, headers and record kinds in that language's words."""
    from helpers.privacy import mask_id

    as_of = date.fromisoformat(week)
    con = _connect(store.duckdb_connect(memory_limit="2GB"))
    try:
        _bind(con, "links_src", store.table_path(ws, "submission_links", week),
              "submission_links")
        subs = store.table_path(ws, "submissions", week)
        quoted = str(subs).replace("'", "''")
        out = con.execute(
            f"""
            SELECT l.submission_id, l.kind, l.submitted_at,
                   date_diff('day', CAST(l.submitted_at AS DATE), CAST(? AS DATE)) AS days_waiting,
                   l.record_id, s.citizen_id
            FROM links_src l LEFT JOIN read_parquet('{quoted}') s USING (submission_id)
            WHERE l.unit_code = ? AND l.review_status = 'pending'
              AND l.submitted_at < CAST(? AS DATE) + 1
            ORDER BY l.submitted_at, l.submission_id
            LIMIT ?
            """,
            [as_of, unit_code, as_of, limit],
        ).df()
    finally:
        con.close()
    out["citizen_id"] = mask_id(out["citizen_id"])
    if lang is None:
        return out
    out["kind"] = out["kind"].map(lambda k: t(f"progress.kind.{k}", lang))
    return out.rename(columns=_explore_headers(out.columns, lang))


# headers of the drill-down tables: the excel catalogue's words for the same columns
_EXPLORE_HEADERS = {
    "submission_id": "excel.columns.submission_id", "kind": "explore.kind",
    "submitted_at": "excel.columns.submitted_at", "days_waiting": "excel.columns.days_waiting",
    "record_id": "excel.columns.record_id", "citizen_id": "excel.columns.person_id",
    "org_type": "excel.columns.org_type", "orgs": "excel.columns.orgs",
    "dispatches_sent": "excel.columns.dispatches_sent",
    "worked_directly": "excel.columns.worked_directly",
    "vehicles_counted": "excel.columns.vehicles_counted",
    "vehicles_declared": "excel.columns.vehicles_declared",
}


def _explore_headers(columns: Sequence[str], lang: str) -> dict[str, str]:
    return {c: t(_EXPLORE_HEADERS[c], lang) for c in columns if c in _EXPLORE_HEADERS}


def unit_recognition(laggards: pd.DataFrame, leaders: pd.DataFrame, unit_code: str,
                     lang: str) -> pd.DataFrame:
    """Whether the unit is named a laggard or a leader this week, one row per listing with
    its reason in ``lang``; one row saying neither when it is not listed."""
    rows = [(t("explore.laggard", lang), r)
            for r in laggards.loc[laggards["unit_code"] == unit_code, f"reason_{lang}"]]
    mine = leaders.loc[leaders["unit_code"] == unit_code]
    for category, reason in zip(mine["category"], mine[f"reason_{lang}"], strict=True):
        label = t(f"excel.leader_category.{category}", lang)
        rows.append((t("explore.leader", lang, category=label), reason))
    if not rows:
        rows = [(t("explore.neither", lang), "")]
    return pd.DataFrame(rows, columns=[t("explore.list", lang), t("explore.reason", lang)])


def unit_self_reports(check: pd.DataFrame, unit_code: str, lang: str, *, days: int = 14):
    """The unit's last ``days`` days of self-reports against the system, labelled in
    ``lang``. A day without a self-report shows its self-reported counts blank (never 0,
    which would read as a report of nothing); the caption says so."""
    from helpers.reconcile import SELF_REPORT_MEASURES

    rows = check.loc[check["unit_code"] == unit_code].sort_values("report_date").tail(days)
    sent = rows["has_report"].astype(bool) if "has_report" in rows else pd.Series(True, rows.index)
    out = pd.DataFrame({t("explore.date", lang): [fmt_date(d, lang) for d in rows["report_date"]],
                        t("explore.has_report", lang): sent.map(
                            {True: t("explore.answer_yes", lang),
                             False: t("explore.answer_no", lang)}).to_numpy()})
    for m in SELF_REPORT_MEASURES:
        what = t(f"excel.measures.{m}", lang)
        out[t("explore.reported", lang, what=what)] = (
            rows[f"reported_{m}"].astype("Int64").where(sent.to_numpy()).to_numpy())
        out[t("explore.system", lang, what=what)] = rows[f"system_{m}"].astype("Int64").to_numpy()
    ratio = rows["ratio"].astype("Float64").where(sent.to_numpy())
    out[t("explore.ratio", lang)] = [fmt_pct(v, lang) if not pd.isna(v) else "" for v in ratio]
    out[t("explore.overstated", lang)] = [
        (t("explore.answer_yes", lang) if v else t("explore.answer_no", lang)) if s else ""
        for v, s in zip(rows["overstated"].astype(bool), sent, strict=True)
    ]
    counts = [c for c in out.columns if out[c].dtype == "Int64"]
    return (out.style.hide(axis="index")
            .format(lambda v: fmt_int(v, lang), subset=counts, na_rep="")
            .set_caption(t("explore.no_report_note", lang)))


def unit_organisations(organizations: pd.DataFrame, unit_code: str, lang: str, *,
                       as_of: date) -> pd.DataFrame:
    """Organisations on the unit's territory by type (:func:`org_summary`), in ``lang``."""
    mine = org_summary(organizations.loc[organizations["unit_code"] == unit_code], as_of=as_of)
    mine = mine.assign(org_type=mine["org_type"].map(lambda c: t(f"excel.org_type.{c}", lang)))
    return mine.rename(columns=_explore_headers(mine.columns, lang))


__all__ = [
    "Aggregates", "KINDS", "OUTPUT_TABLES", "STANDINGS", "aggregate", "city_progress",
    "compute", "daily_series", "group_progress", "backlog_ranking", "pace_texts", "pct_text",
    "laggard_rules", "laggards", "leaders", "org_summary",
    "progress_week", "record_counts", "review_backlog", "rule_sentence", "talking_points",
    "unit_progress", "unit_table", "chart_city_series", "chart_unit_shares", "chart_unit_curve",
    "unit_curve", "find_unit", "unit_card", "unit_statuses", "unit_pending", "unit_recognition",
    "unit_self_reports", "unit_organisations",
]
