"""Unit and city metrics from the aggregates, pandas over 126 rows: counts, shares, paces,
deadline arithmetic and projections (the ``unit_progress`` table, with the standings
:mod:`.rules` adds), the city's rows, the difficult groups, the daily series and the backlog
ranking. Pure: tables in, new tables out; no I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from helpers.config import Plan
from helpers.progress.conferences import Period
from helpers.progress.definitions import (
    GROUPS,
    KINDS,
    PREFIX,
    PROJECTION_HORIZON_DAYS,
    RANK_SHARE,
    WINDOW_DAYS,
    Source,
    rank_by_share,
    share_of,
)
from helpers.progress.records import Aggregates, aggregate
from helpers.progress.rules import standings
from helpers.units import official_units


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
        [d if d is not None and not pd.isna(d) else as_of for d in out],
        index=groups,
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
        elif r > 0:
            # a pace, however slow, finishes some day: "never" only at a zero pace; a finish
            # beyond the horizon is shown at the horizon (the date type ends in year 9999)
            finish.append(as_of + timedelta(days=min(math.ceil(rem / r), PROJECTION_HORIZON_DAYS)))
        else:
            finish.append(None)
    finish_s = pd.Series(finish, index=frame.index, dtype=object)
    late = pd.array([(f - plan.end).days if f is not None else None for f in finish], dtype="Int64")
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
    city = pd.DataFrame(
        {
            "unit_code": ["city"],
            f"{p}_assigned": [int(units[f"{p}_assigned"].sum())],
            f"{p}_remaining": [int(units[f"{p}_remaining"].sum())],
            f"{p}_rate_7d": [float(units[f"{p}_rate_7d"].sum())],
        }
    )
    whole = daily.loc[daily["kind"] == kind].assign(unit_code="city")
    done = _completion_date(whole, {("city", kind): int(units[f"{p}_target"].sum())}, as_of)
    completed = pd.Series({"city": done.get(("city", kind))}, dtype=object).dropna()
    return _deadline_columns(city, p, plan, as_of, completed).iloc[0]


def previous_usable(previous: pd.DataFrame | None) -> pd.DataFrame | None:
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
    period: Period | None = None,
) -> pd.DataFrame:
    """The 126-row ``unit_progress`` table (see the module docstring for the definitions).

    ``period`` is what the conference reviews (progress.conferences): the weekly gain is the
    records cleaned in it, last week's gain the previous conference's (none at the first
    conference); without one, fixed 7-day windows ending on ``as_of`` and on ``previous_as_of``
    (default 7 days before). ``previous`` is the previous conference's ``unit_progress`` when
    its processed folder holds one (what it was told); without it (or for a unit it lacks), its
    gain and rank are recomputed from the cleaning timestamps. The pace (``rate_7d``) is always
    the last 7 days'. Deadline figures work toward the deadline in force at ``as_of``.
    """
    plan = plan.in_force(as_of)
    period = period or Period.window(as_of, previous_as_of)
    units = official_units()[["unit_code", "unit_name", "unit_kind"]].copy()
    units["unit_code"] = units["unit_code"].astype("str")
    pace_start = as_of - timedelta(days=WINDOW_DAYS - 1)
    history = None if period.first else previous_usable(previous)
    out = units
    counts = agg.counts.assign(unit_code=agg.counts["unit_code"].astype("str"))
    gain = _window_sum(agg.daily, "cleaned_day", period.start, as_of)
    pace = _window_sum(agg.daily, "cleaned_day", pace_start, as_of)
    if period.first:
        # nothing earlier to compare with: no "last week", no rank change (the days before
        # the peak are not a week of it)
        gain_prev = None
        after_prev = _window_sum(agg.daily, "cleaned_day", period.start, date.max)
    else:
        assert period.previous_start is not None and period.previous_end is not None
        gain_prev = _window_sum(
            agg.daily, "cleaned_day", period.previous_start, period.previous_end
        )
        after_prev = _window_sum(
            agg.daily, "cleaned_day", period.previous_end + timedelta(days=1), date.max
        )
    targets: dict[tuple[str, str], int] = {}
    for kind in KINDS:
        p = PREFIX[kind]
        base = [
            "assigned",
            "submitted",
            "approved",
            "cleaned",
            "pending",
            "rejected",
            "not_submitted",
            "difficult",
            "difficult_resolved",
            "compared",
        ]
        groups = [f"{c}_{g}" for g in GROUPS[kind] for c in ("group", "resolved")]
        mine = counts.loc[counts["kind"] == kind].reindex(columns=["unit_code", *base, *groups])
        mine = mine.rename(columns={c: f"{p}_{c}" for c in base + groups})
        out = out.merge(mine, on="unit_code", how="left")
        for c in base + groups:
            out[f"{p}_{c}"] = out[f"{p}_{c}"].fillna(0).astype("int64")
        idx = pd.MultiIndex.from_arrays([out["unit_code"], [kind] * len(out)])
        out[f"{p}_share_cleaned"] = share_of(out[f"{p}_cleaned"], out[f"{p}_assigned"])
        out[f"{p}_share_submitted"] = share_of(out[f"{p}_submitted"], out[f"{p}_assigned"])
        # progress is judged on the records review can clean: the difficult groups are
        # measures of their own (open / resolved), not a share nobody can reach
        out[f"{p}_cleanable"] = (out[f"{p}_assigned"] - out[f"{p}_difficult"]).astype("int64")
        out[f"{p}_share_cleaned_cleanable"] = share_of(out[f"{p}_cleaned"], out[f"{p}_cleanable"])
        out[f"{p}_share_compared"] = share_of(out[f"{p}_compared"], out[f"{p}_assigned"])
        out[f"{p}_difficult_open"] = (
            out[f"{p}_difficult"] - out[f"{p}_difficult_resolved"]
        ).astype("int64")
        out[f"{p}_gain_week"] = gain.reindex(idx, fill_value=0).to_numpy().astype("int64")
        if gain_prev is None:
            out[f"{p}_gain_prev_week"] = pd.array([pd.NA] * len(out), dtype="Int64")
        else:
            recomputed_prev = gain_prev.reindex(idx, fill_value=0).to_numpy().astype("int64")
            if history is not None:
                from_history = out[["unit_code"]].merge(history, on="unit_code", how="left")
                said = from_history[f"{p}_gain_week"].fillna(pd.Series(recomputed_prev))
                out[f"{p}_gain_prev_week"] = said.astype("Int64")
            else:
                out[f"{p}_gain_prev_week"] = pd.array(recomputed_prev, dtype="Int64")
        cleaned_prev = out[f"{p}_cleaned"] - after_prev.reindex(idx, fill_value=0).to_numpy()
        out[f"{p}_share_cleaned_prev"] = share_of(cleaned_prev, out[f"{p}_assigned"])
        # this week's cleanable records as the base: last week's groups are not recorded
        out[f"{p}_share_cleaned_cleanable_prev"] = share_of(cleaned_prev, out[f"{p}_cleanable"])
        out[f"{p}_rate_7d"] = pace.reindex(idx, fill_value=0).to_numpy() / WINDOW_DAYS
        share = plan.targets.share(kind)
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
            [
                (f - city_finish).days if f is not None and city_finish is not None else None
                for f in out[f"{p}_projected_finish"]
            ],
            dtype="Int64",
        )
    out = _with_backlog(out, agg.backlog)
    out["rank"] = rank_by_share(out[RANK_SHARE])
    recomputed_rank = rank_by_share(out[RANK_SHARE + "_prev"])
    if period.first:
        out["rank_prev"] = pd.array([pd.NA] * len(out), dtype="Int64")
    elif history is not None:
        prev_rank = out[["unit_code"]].merge(history, on="unit_code", how="left")["rank"]
        out["rank_prev"] = prev_rank.fillna(recomputed_rank).astype("int64")
    else:
        out["rank_prev"] = recomputed_rank
    out["rank_change"] = (out["rank_prev"] - out["rank"]).astype("Int64")
    sr = agg.self_reports
    out = out.merge(sr.assign(unit_code=sr["unit_code"].astype("str")), on="unit_code", how="left")
    out["self_report_ratio"] = out["self_report_ratio"].astype("float64")
    for col in sr.columns:
        if col.startswith("self_report_overstated"):
            out[col] = out[col].fillna(False).astype("bool")
        elif col.startswith(("self_report_reported", "self_report_system")):
            out[col] = out[col].fillna(0).astype("int64")
    orgs = agg.organisations
    out = out.merge(
        orgs.assign(unit_code=orgs["unit_code"].astype("str")), on="unit_code", how="left"
    )
    for col in (
        "org_count",
        "org_dispatches",
        "org_worked_directly",
        "org_vehicles_counted",
        "org_vehicles_declared",
    ):
        out[col] = out[col].fillna(0).astype("int64")
    out = out.copy()  # one block per dtype again after the many merges
    return standings(out, plan, as_of=as_of)


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
    organisations: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    previous_as_of: date | None = None,
) -> pd.DataFrame:
    """``aggregate`` then ``unit_table``: the 126-row table from the reconciled tables."""
    agg = aggregate(
        vehicle_status,
        licence_status,
        submission_links,
        plan,
        as_of=as_of,
        self_report_check=self_report_check,
        organisations=organisations,
    )
    return unit_table(agg, plan, as_of=as_of, previous=previous, previous_as_of=previous_as_of)


def city_progress(
    units: pd.DataFrame,
    agg: Aggregates,
    plan: Plan,
    *,
    as_of: date,
    period: Period | None = None,
) -> pd.DataFrame:
    """One row per kind: sums of the units, the city's own deadline arithmetic, the kind's own
    unit standings (from ``<p>_standing``), the comparison with the population database,
    the change since the previous conference's period (none at the first conference) and
    submission totals. ``period`` is the conference's (default: the 7 days to ``as_of``)."""
    plan = plan.in_force(as_of)
    period = period or Period.window(as_of)
    week_start = period.start
    days_left = plan.days_left(as_of)
    conduct = int(units["breaks_conduct"].sum()) if "breaks_conduct" in units else 0
    rows = []
    for kind in KINDS:
        p = PREFIX[kind]
        standing = units[f"{p}_standing"].value_counts()
        s = {
            c: int(units[f"{p}_{c}"].sum())
            for c in (
                "assigned",
                "submitted",
                "approved",
                "cleaned",
                "pending",
                "difficult",
                "gain_week",
                "target",
                "remaining",
                "cleanable",
                "compared",
                "difficult_resolved",
                "difficult_open",
            )
        }
        with_records = units.loc[units[f"{p}_assigned"] > 0]
        unit_compared = with_records[f"{p}_share_compared"]
        mine = agg.daily.loc[agg.daily["kind"] == kind]
        early = mine["date"].isna() | (mine["date"] < plan.start)
        daily = agg.daily.loc[(agg.daily["kind"] == kind) & agg.daily["date"].notna()]
        daily = daily.loc[daily["date"] <= as_of]
        rate = float(units[f"{p}_rate_7d"].sum())  # the last 7 days' pace, whatever the period
        prev = units[f"{p}_gain_prev_week"]
        gain_prev = None if period.first or prev.isna().all() else int(prev.fillna(0).sum())
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
                "gain_prev_week": gain_prev,
                "period_start": period.start,
                "period_days": period.days,
                "rate_7d": rate,
                "required_rate": float(dl[f"{p}_required_rate"]),
                "projected_finish": dl[f"{p}_projected_finish"],
                "days_late": dl[f"{p}_days_late"],
                "on_track": bool(dl[f"{p}_on_track"]),
                "days_left": days_left,
                "days_overdue": plan.days_overdue(as_of),
                "units_on_track": int(standing.get("on_track", 0)),
                "units_at_risk": int(standing.get("at_risk", 0)),
                "units_off_track": int(standing.get("off_track", 0)),
                # once the deadline is reached (0 before it): the outcome, not a forecast
                "units_finished": int(standing.get("finished", 0)),
                "units_not_finished": int(standing.get("not_finished", 0)),
                "pending": s["pending"],
                # the backlog's age (all submissions); a kind with no record pending has no
                # review of its own waiting: none, never the other kind's age
                "oldest_pending_days": units["backlog_oldest_days"].max() if s["pending"] else None,
                "submissions_total": int(daily["submitted_day"].sum()),
                "submissions_week": int(
                    daily.loc[daily["date"] >= week_start, "submitted_day"].sum()
                ),
                "difficult": s["difficult"],
                "target": s["target"],
                "remaining": s["remaining"],
                "units_kind_on_track": int(units[f"{p}_on_track"].sum()),
                "cleanable": s["cleanable"],
                "share_cleaned_cleanable": (
                    s["cleaned"] / s["cleanable"] if s["cleanable"] else math.nan
                ),
                "difficult_resolved": s["difficult_resolved"],
                "difficult_open": s["difficult_open"],
                "compared": s["compared"],
                "share_compared": s["compared"] / s["assigned"] if s["assigned"] else math.nan,
                "units_compared": int((with_records[f"{p}_compared"] > 0).sum()),
                "units_with_records": len(with_records),
                "unit_share_compared_min": float(unit_compared.min())
                if len(unit_compared)
                else math.nan,
                "unit_share_compared_max": float(unit_compared.max())
                if len(unit_compared)
                else math.nan,
                "gain_change": None if gain_prev is None else s["gain_week"] - gain_prev,
                "gain_change_share": (
                    (s["gain_week"] - gain_prev) / gain_prev if gain_prev else math.nan
                ),
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
    for column in ("gain_prev_week", "gain_change"):
        out[column] = out[column].astype("Int64")
    out["projected_finish"] = out["projected_finish"].astype(object)
    out["period_start"] = out["period_start"].astype(object)
    out["period_days"] = out["period_days"].astype("int64")
    return out


def group_progress(units: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """One row per kind and difficult group, each its own measure: ``records`` in the group,
    ``resolved`` (the unit approved a submission for the record: its part of the group's way
    of resolution is done), ``open``, ``share_resolved``, ``target``
    (``targets.difficult_resolved_share`` of the records), ``remaining``, ``units_with_open``
    and ``unit_most_open`` (the unit with the most open records, for the briefing)."""
    share = plan.targets.difficult_resolved_share
    rows = []
    for kind in KINDS:
        p = PREFIX[kind]
        for g in GROUPS[kind]:
            records = units[f"{p}_group_{g}"].astype("int64")
            resolved = units[f"{p}_resolved_{g}"].astype("int64")
            open_ = records - resolved
            total, done = int(records.sum()), int(resolved.sum())
            target = math.ceil(share * total - 1e-9)
            worst = units.assign(_open=open_).sort_values(
                ["_open", "unit_code"], ascending=[False, True]
            )
            rows.append(
                {
                    "kind": kind,
                    "group": g,
                    "records": total,
                    "resolved": done,
                    "open": total - done,
                    "share_resolved": done / total if total else math.nan,
                    "target": target,
                    "remaining": max(target - done, 0),
                    "units_with_open": int((open_ > 0).sum()),
                    "unit_most_open": str(worst["unit_name"].iloc[0]) if total - done > 0 else "",
                    "unit_most_open_count": int(worst["_open"].iloc[0]) if len(worst) else 0,
                }
            )
    out = pd.DataFrame(rows)
    return out.astype({"kind": "str", "group": "str", "unit_most_open": "str"})


def daily_series(agg: Aggregates, units: pd.DataFrame, plan: Plan, *, as_of: date) -> pd.DataFrame:
    """One row per day and kind from the peak start to ``as_of``: daily and cumulative
    submissions received, submissions approved and records cleaned (activity before the start
    and cleanings of unknown date are in the cumulative figures from the first day), against
    ``target_cum``, the straight line from 0 before the first day to the city target at the end
    of the deadline day (the deadline in force at ``as_of``)."""
    plan = plan.in_force(as_of)
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


def backlog_ranking(units: pd.DataFrame, *, only_waiting: bool = True) -> pd.DataFrame:
    """Units with submissions waiting for review (every unit unless ``only_waiting``), largest
    backlog first: most submissions waiting, then the oldest wait, then the unit code. The one
    order of "largest backlog" used by the talking point, the briefing table and the city pack."""
    pending = units.loc[units["backlog_pending"] > 0] if only_waiting else units
    oldest = pending["backlog_oldest_days"].astype("Float64").fillna(-1)
    return (
        pending.assign(_oldest=oldest)
        .sort_values(
            ["backlog_pending", "_oldest", "unit_code"],
            ascending=[False, False, True],
            kind="stable",
        )
        .drop(columns="_oldest")
    )
