"""Record level: the record tables (``vehicle_status``, ``licence_status``,
``submission_links``: 8.5 M rows for the city) aggregated in DuckDB, straight from Parquet (or
from a DataFrame in tests), into per-unit and per-day counts small enough for pandas
(:class:`Aggregates`). Reads the tables it is given; writes nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from helpers import DeliveryError, PipelineError, store
from helpers.config import Plan
from helpers.progress.definitions import GROUPS, ORG_TYPES, REQUIRED_COLUMNS, WINDOW_DAYS, Source
from helpers.sqltext import ident, literal
from helpers.statuses import IDENTITY_COMPARED


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
        con.execute(
            f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT * FROM read_parquet({literal(path)})"
        )
        columns = set(con.table(name).columns)
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in columns]
    if missing:
        label = table if not isinstance(source, (str, os.PathLike)) else str(source)
        raise PipelineError(
            f"{label}: columns {', '.join(missing)} missing; progress expects "
            f"{', '.join(REQUIRED_COLUMNS[table])} (docs/architecture.md)"
        )


def progress_connection(con):
    con = con if con is not None else store.duckdb_connect(memory_limit="4GB")
    # no progress bars on stderr; under Jupyter they are off already, and switching them
    # there would need ipywidgets
    if con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]:
        con.execute("SET enable_progress_bar = false")
    return con


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
    con = progress_connection(con)
    _bind(con, "status_src", status, "status")
    columns = {row[0] for row in con.execute("DESCRIBE status_src").fetchall()}
    compared = ", ".join(literal(v) for v in IDENTITY_COMPARED)
    compared_sql = f"identity_result IN ({compared})" if "identity_result" in columns else "false"
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
    con = progress_connection(con)
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
    con = progress_connection(con)
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
    con = progress_connection(con)
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


def review_days(links: Source, *, as_of: date, con=None) -> pd.DataFrame:
    """Per unit, day submitted and day reviewed (null: still pending): submissions, and their
    summed days from submission to review. Small (units x days x days), and enough to say what
    the backlog was on any earlier day (:func:`backlog_as_of`)."""
    con = progress_connection(con)
    _bind(con, "links_src", links, "submission_links")
    return con.execute(
        """
        SELECT unit_code,
               CAST(submitted_at AS DATE) AS submitted_on,
               CASE WHEN review_status IN ('approved', 'rejected')
                    THEN CAST(reviewed_at AS DATE) END AS reviewed_on,
               count(*) AS submissions,
               sum(CASE WHEN review_status IN ('approved', 'rejected')
                        THEN epoch(reviewed_at) - epoch(submitted_at) END) / 86400.0 AS lag_days
        FROM links_src
        WHERE submitted_at < CAST($as_of AS DATE) + 1 AND unit_code IS NOT NULL
        GROUP BY ALL
        """,
        {"as_of": as_of},
    ).df()


def backlog_as_of(days: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """The review backlog as it stood at the end of ``as_of`` (an earlier week's last day),
    from :func:`review_days`: submissions made by then and not reviewed by then, the oldest
    one's age in days, and the median days to review of the reviews of the 7 days to then
    (per submission-day and review-day cell: a day's precision, where a run has the second's).
    The columns of :func:`review_backlog`."""
    submitted = pd.to_datetime(days["submitted_on"]).dt.date
    reviewed = pd.to_datetime(days["reviewed_on"]).dt.date
    made = days.loc[submitted <= as_of]
    open_ = made.loc[reviewed[made.index].isna() | (reviewed[made.index] > as_of)]
    pending = open_.groupby("unit_code")["submissions"].sum()
    oldest = open_.assign(day=submitted[open_.index]).groupby("unit_code")["day"].min()
    first = as_of - timedelta(days=WINDOW_DAYS - 1)
    recent = made.loc[reviewed[made.index].between(first, as_of)]
    lag = (recent["lag_days"] / recent["submissions"]).repeat(recent["submissions"].astype(int))
    median = lag.groupby(recent["unit_code"].repeat(recent["submissions"].astype(int))).median()
    units = sorted(set(pending.index) | set(median.index))
    return pd.DataFrame(
        {
            "unit_code": pd.Series(units, dtype="str"),
            "backlog_pending": pending.reindex(units, fill_value=0).astype("int64").to_numpy(),
            "backlog_median_lag_days": median.reindex(units).astype("float64").to_numpy(),
            "backlog_oldest_days": pd.array(
                [(as_of - d).days if isinstance(d, date) else None for d in oldest.reindex(units)],
                dtype="Int64",
            ),
        }
    )


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

    missing = [
        f"{side}_{m}"
        for m in SELF_REPORT_MEASURES
        for side in ("reported", "system")
        if f"{side}_{m}" not in check.columns
    ]
    if missing:
        raise PipelineError(
            f"unit_self_report_check: columns {', '.join(missing)} missing (run 02_reconcile again)"
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


def organisations_by_unit(organisations: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """Per unit: organisations, dispatches sent by ``as_of``, worked with directly, vehicles
    counted and declared (the organisations group the conferences report)."""
    orgs = _org_frame(organisations, as_of)
    out = orgs.groupby("unit_code", as_index=False).agg(
        org_count=("org_id", "count"),
        org_dispatches=("dispatched", "sum"),
        org_worked_directly=("worked", "sum"),
        org_vehicles_counted=("vehicles_counted", "sum"),
        org_vehicles_declared=("vehicles_declared", "sum"),
    )
    return out


def org_summary(organisations: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """One row per ``org_type`` (all six, zeros included). ``orgs_both``, ``counted_both`` and
    ``declared_both`` are over the organisations that gave both vehicle figures: the only ones
    whose declared share of counted vehicles means anything (docs/rules.md, "Organisations")."""
    orgs = _org_frame(organisations, as_of)
    both = orgs["has_both"].astype(bool)
    orgs = orgs.assign(
        counted_both=orgs["vehicles_counted"].where(both, 0),
        declared_both=orgs["vehicles_declared"].where(both, 0),
    )
    out = orgs.groupby("org_type").agg(
        orgs=("org_id", "count"),
        dispatches_sent=("dispatched", "sum"),
        worked_directly=("worked", "sum"),
        vehicles_counted=("vehicles_counted", "sum"),
        vehicles_declared=("vehicles_declared", "sum"),
        orgs_both=("has_both", "sum"),
        counted_both=("counted_both", "sum"),
        declared_both=("declared_both", "sum"),
    )
    types = list(ORG_TYPES) + sorted(set(out.index) - set(ORG_TYPES))
    out = out.reindex(types, fill_value=0).rename_axis("org_type").reset_index()
    out["org_type"] = out["org_type"].astype("str")
    for col in out.columns[1:]:
        out[col] = out[col].astype("int64")
    return out


def _org_frame(organisations: pd.DataFrame, as_of: date) -> pd.DataFrame:
    missing = [c for c in REQUIRED_COLUMNS["organizations"] if c not in organisations.columns]
    if missing:
        raise PipelineError(f"organizations: columns {', '.join(missing)} missing")
    sent = pd.to_datetime(organisations["dispatch_sent_on"]).dt.date
    counted = pd.to_numeric(organisations["vehicles_counted"])
    declared = pd.to_numeric(organisations["vehicles_declared"])
    return pd.DataFrame(
        {
            "org_id": organisations["org_id"],
            "org_type": organisations["org_type"].astype("str"),
            "unit_code": organisations["unit_code"].astype("str"),
            "dispatched": (sent.notna() & (sent <= as_of)).astype("int64"),
            "worked": organisations["worked_directly"].fillna(False).astype("bool").astype("int64"),
            "vehicles_counted": counted.fillna(0),
            "vehicles_declared": declared.fillna(0),
            # a figure left blank is no figure: 0 declared is a figure, nothing is not
            "has_both": (counted.notna() & declared.notna()).astype("int64"),
        }
    )


@dataclass(frozen=True)
class Aggregates:
    """Everything progress needs from the record level, already small (<= 126 x days rows)."""

    counts: pd.DataFrame  # unit_code, kind, assigned, submitted, ..., group_<status>
    daily: pd.DataFrame  # unit_code, kind, date, submitted_day, approved_day, cleaned_day
    backlog: pd.DataFrame  # unit_code, backlog_pending, backlog_median_lag_days, ...
    self_reports: pd.DataFrame  # unit_code, self_report_ratio, self_report_overstated, ...
    organisations: pd.DataFrame  # per-unit organisation counts
    org_types: pd.DataFrame  # per-org_type summary
    # unit_code, submitted_on, reviewed_on, submissions, lag_days: the backlog of any earlier
    # day (None: not aggregated, an earlier week recomputed from these has no backlog)
    review_days: pd.DataFrame | None = None


def aggregate(
    vehicle_status: Source,
    licence_status: Source,
    submission_links: Source,
    plan: Plan,
    *,
    as_of: date,
    self_report_check: pd.DataFrame | None = None,
    organisations: pd.DataFrame | None = None,
    con=None,
) -> Aggregates:
    """Aggregate the record-level tables (DataFrames or Parquet paths) in DuckDB."""
    own = con is None
    con = progress_connection(con)
    try:
        counts, cleaned = [], []
        for kind, source in (("vehicle", vehicle_status), ("licence", licence_status)):
            counts.append(record_counts(source, kind, con=con))
            cleaned.append(cleaned_by_day(source, kind, con=con))
        subs = submissions_by_day(submission_links, as_of=as_of, con=con)
        backlog = review_backlog(submission_links, as_of=as_of, con=con)
        reviews = review_days(submission_links, as_of=as_of, con=con)
    finally:
        if own:
            con.close()
    daily = _merge_daily(pd.concat(cleaned, ignore_index=True), subs)
    if self_report_check is None:
        self_report_check = _no_self_reports()
    self_reports = self_report_summary(self_report_check, plan, as_of=as_of)
    if organisations is None:
        organisations = pd.DataFrame({c: [] for c in REQUIRED_COLUMNS["organizations"]})
    return Aggregates(
        counts=pd.concat(counts, ignore_index=True),
        daily=daily,
        backlog=backlog,
        self_reports=self_reports,
        organisations=organisations_by_unit(organisations, as_of=as_of),
        org_types=org_summary(organisations, as_of=as_of),
        review_days=reviews,
    )


def _no_self_reports() -> pd.DataFrame:
    from helpers.reconcile import SELF_REPORT_MEASURES

    columns = {
        "report_date": pd.Series(dtype="datetime64[us]"),
        "unit_code": pd.Series(dtype="str"),
        "overstated": pd.Series(dtype=bool),
    }
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
