"""Laggard and leader rules and standings, from the unit table's figures and the plan's
thresholds (``plan.laggards``, ``plan.leaders``): which rules each unit breaks, each kind's
standing, and which units lead. Pure; the sentences that explain them are :mod:`.narrative`'s."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from helpers.config import Plan
from helpers.progress.definitions import (
    CONDUCT_RULES,
    KIND_CONTEXT_RULES,
    KIND_NAMING_RULES,
    KIND_RULES,
    KINDS,
    PREFIX,
    PROJECTION_HORIZON_DAYS,
    RANK_SHARE,
    UNIT_NAMING_RULES,
    median_known,
    week_gain_share,
)
from helpers.statuses import STANDINGS


def rule_kinds(plan: Plan) -> tuple[str, ...]:
    """Record kinds the per-kind laggard rules judge (``laggards.kinds``)."""
    return plan.laggards.kinds


def rule_codes(plan: Plan) -> tuple[list[str], list[str]]:
    """(naming codes, context codes) in sentence order, for the kinds in ``laggards.kinds``."""
    kinds = rule_kinds(plan)
    naming = [f"{PREFIX[k]}_{r}" for k in kinds for r in KIND_NAMING_RULES] + list(
        UNIT_NAMING_RULES
    )
    context = [f"{PREFIX[k]}_{r}" for k in kinds for r in KIND_CONTEXT_RULES]
    return naming, context


def _city_days_to_finish(units: pd.DataFrame, p: str) -> float:
    """Days from the week to the city's projected finish at the city's pace (nan when none);
    the same arithmetic as the city's ``projected_finish``."""
    remaining = float(units[f"{p}_remaining"].sum())
    rate = float(units[f"{p}_rate_7d"].sum())  # the city's pace: the last 7 days
    if remaining <= 0 or rate <= 0:
        return math.nan
    return float(min(math.ceil(remaining / rate), PROJECTION_HORIZON_DAYS))


def _late_vs_city_limit(units: pd.DataFrame, p: str, plan: Plan) -> float:
    """Days after the city's projected finish beyond which a unit is named (nan: no city
    projection to compare with): ``late_vs_city_days``, or ``late_vs_city_share`` x the city's
    own days to finish when that is more (a projection months away is loose)."""
    city_days = _city_days_to_finish(units, p)
    if math.isnan(city_days):
        return math.nan
    days = float(plan.laggards.late_vs_city_days)
    share = plan.laggards.late_vs_city_share
    return max(days, share * city_days)


def _lateness(units: pd.DataFrame, p: str, plan: Plan, as_of: date | None) -> pd.Series:
    """Days a unit's projected finish lies after the deadline in force, or after the week when
    the week is past it (``<p>_days_late`` less the days overdue): past the end every unfinished
    unit is late, so the days rules judge how much work is still ahead, not the calendar."""
    late = units[f"{p}_days_late"].astype("Float64")
    overdue = plan.in_force(as_of).days_overdue(as_of) if as_of is not None else 0
    return late - overdue


def rule_flags(
    units: pd.DataFrame,
    plan: Plan,
    *,
    kinds: Sequence[str] | None = None,
    as_of: date | None = None,
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
    or never at the unit's pace while the city has a finish; these two pace rules only for a
    unit whose share is under the median of units (``pace_rules_only_behind``). These five
    name no unit with fewer than ``min_records_left`` records of the kind left. Naming unit rules:
    ``backlog_old`` oldest pending review older than ``backlog_oldest_days``;
    ``self_report_overstated`` reconcile's verdict over the week (when
    ``laggards.self_report_overstated`` is true). Context kind rules: ``projected_late``
    projected later than the deadline by more than ``projected_late_days``, or never;
    ``slow_gain`` the week's gain under ``weekly_gain_vs_required`` x 7 x the required rate
    (none past the deadline: no pace is required then, what is left is). With ``as_of`` past
    the deadline in force, ``projected_late`` counts the days after the week (``_lateness``).
    """
    rules = plan.laggards
    points = rules.below_median_points / 100.0
    ratio = rules.below_median_ratio
    bottom = rules.bottom_share
    gain_vs_median = rules.gain_vs_city_median
    late_days = float(rules.projected_late_days)
    gain_fraction = rules.weekly_gain_vs_required
    backlog_days = float(rules.backlog_oldest_days)
    hits: dict[str, pd.Series] = {}
    judged = list(rule_kinds(plan))
    kinds = list(kinds) if kinds is not None else judged
    for kind in kinds:
        p = PREFIX[kind]
        share = units[f"{p}_share_cleaned_cleanable"]
        left = units[f"{p}_remaining"]
        remaining = left > 0
        # the ranking rules need more than a record or two left: at the end of the campaign
        # the units holding the city's last licence (1 or 2 each) were its "bottom decile"
        ranked_left = remaining & (left >= rules.min_records_left)
        median = median_known(share)
        hits[f"{p}_below_median"] = ranked_left & (share < median - points).fillna(False)
        hits[f"{p}_below_median_ratio"] = ranked_left & (share < ratio * median).fillna(False)
        ranked = share.notna()
        cutoff = math.ceil(bottom * int(ranked.sum()))
        # "max": units tied across the cut stay out (no unit is named for a tie)
        ascending = share.rank(ascending=True, method="max")
        hits[f"{p}_bottom_decile"] = ranked_left & (ranked & (ascending <= cutoff)).fillna(False)
        # the pace rules judge units behind the city: a unit ahead of the median slows down as
        # only its hardest records are left, which does not make it a laggard (at the end of
        # the campaign the first four units were otherwise named for their pace)
        paced = ranked_left & (
            (share < median).fillna(False) if rules.pace_rules_only_behind else True
        )
        gain = week_gain_share(units, p)
        # strict: in a week without progress (median 0) nobody is slower than the city
        hits[f"{p}_gain_below_median"] = paced & (
            gain < gain_vs_median * median_known(gain)
        ).fillna(False)
        never = units[f"{p}_projected_finish"].isna()
        limit = _late_vs_city_limit(units, p, plan)
        after_city = units[f"{p}_days_after_city"].astype("Float64")
        hits[f"{p}_late_vs_city"] = paced & (
            pd.Series(False, index=units.index)
            if math.isnan(limit)
            else never | (after_city > limit).fillna(False)
        )
        days_late = _lateness(units, p, plan, as_of)
        hits[f"{p}_projected_late"] = remaining & (never | (days_late > late_days).fillna(False))
        required = units[f"{p}_required_rate"]
        # a pace against the pace needed: the last 7 days, whatever the conference's period
        slow = units[f"{p}_rate_7d"] < gain_fraction * required
        hits[f"{p}_slow_gain"] = remaining & (required > 0).fillna(False) & slow.fillna(False)
    hits["backlog_old"] = (units["backlog_oldest_days"].astype("Float64") > backlog_days).fillna(
        False
    )
    judge_reports = rules.self_report_overstated
    hits["self_report_overstated"] = (
        units["self_report_overstated"].fillna(False).astype(bool) & judge_reports
    )
    naming, context = rule_codes(plan)
    extra = [f"{PREFIX[k]}_{r}" for k in kinds if k not in judged for r in KIND_RULES]
    return pd.DataFrame(
        {code: hits[code].astype(bool).to_numpy() for code in naming + context + extra},
        index=units.index,
    )


def laggard_rules(units: pd.DataFrame, plan: Plan, *, as_of: date | None = None) -> pd.Series:
    """Per unit (same index as ``units``): the rule codes that name it, then the context rules
    it also breaks, in sentence order; empty when it breaks no naming rule (``rule_flags``)."""
    flags = rule_flags(units, plan, as_of=as_of)
    naming, context = rule_codes(plan)
    named = flags[naming].to_numpy()
    also = flags[context].to_numpy()
    broken = [
        [c for c, hit in zip(naming, n_row, strict=True) if hit]
        + [c for c, hit in zip(context, c_row, strict=True) if hit]
        if n_row.any()
        else []
        for n_row, c_row in zip(named, also, strict=True)
    ]
    return pd.Series(broken, index=units.index, dtype=object)


def leader_picks(units: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The leaders, best first in each category: the top ``leaders.top_n`` units by vehicle
    share cleaned (of the records review can clean; ``category`` share) and by weekly gain
    (``gain``), one row each with ``position``, ``_v`` (the value the category ranks) and, for
    the gain, ``_points`` (the gain as a share of the cleanable records).

    Weekly gain is measured as a share of the unit's cleanable records (``gain_measure: share``,
    fair between large and small units) or as a count (``records``). Units with nothing
    assigned or no gain are never leaders; laggards are left out when
    ``leaders.exclude_laggards`` is true (a unit is not praised and criticised the same week).
    """
    rules = plan.leaders
    pool = units.loc[units["veh_cleanable"] > 0]
    if rules.exclude_laggards and "is_laggard" in pool.columns:
        pool = pool.loc[~pool["is_laggard"].astype(bool)]
    gain_share = pool["veh_gain_week"] / pool["veh_cleanable"]
    gain_value = (
        gain_share if rules.gain_measure == "share" else pool["veh_gain_week"].astype("float64")
    )
    by_share = pool.assign(_v=pool[RANK_SHARE]).loc[lambda d: d["_v"] > 0]
    by_gain = pool.assign(_v=gain_value, _points=gain_share).loc[lambda d: d["_v"] > 0]
    picked = []
    for category, frame in (("share", by_share), ("gain", by_gain)):
        best = frame.sort_values(["_v", "unit_code"], ascending=[False, True]).head(rules.top_n)
        picked.append(best.assign(category=category, position=range(1, len(best) + 1)))
    return pd.concat(picked)


def standings(units: pd.DataFrame, plan: Plan, *, as_of: date | None = None) -> pd.DataFrame:
    """``units`` (the unit table's figures) with the verdicts: ``breaks_progress``,
    ``breaks_conduct``, ``is_laggard``, each kind's ``<p>_standing``, the unit's ``standing``
    (the worse of the kinds in ``laggards.kinds``, in the order of ``STANDINGS``) and
    ``is_leader``.

    Before the deadline in force at ``as_of`` a kind is ``off_track`` (named by a progress
    rule of the kind), ``at_risk`` (projected later than the deadline by more than
    ``at_risk_late_days``, or never) or ``on_track``. Once it is reached (``as_of`` on or after
    it) a kind is ``off_track`` (still named), ``not_finished`` (records of the kind left) or
    ``finished`` (none left)."""
    out = units.copy()
    flags = rule_flags(out, plan, kinds=KINDS, as_of=as_of)
    naming, _context = rule_codes(plan)
    progress_naming = [c for c in naming if c not in CONDUCT_RULES]
    out["breaks_progress"] = flags[progress_naming].any(axis=1).to_numpy()
    out["breaks_conduct"] = (
        flags[[c for c in naming if c in CONDUCT_RULES]].any(axis=1).to_numpy()
        if any(c in CONDUCT_RULES for c in naming)
        else False
    )
    out["is_laggard"] = (out["breaks_progress"] | out["breaks_conduct"]).astype("bool")
    late_limit = float(plan.laggards.at_risk_late_days)
    # the deadline in force reached: the week that closes the campaign (days_left is 0)
    reached = as_of is not None and plan.in_force(as_of).reaches_end(as_of)
    order = {s: i for i, s in enumerate(STANDINGS)}
    for kind in KINDS:
        # each kind its own standing, from its own progress rules and projection; conduct
        # never makes a unit off track ("never at this pace" is as late as it gets)
        p = PREFIX[kind]
        late = (
            _lateness(out, p, plan, as_of)
            .astype("float64")
            .where(
                out[f"{p}_days_late"].notna(),
                pd.Series(
                    np.where(out[f"{p}_remaining"] > 0, math.inf, -math.inf), index=out.index
                ),
            )
        )
        behind = flags[[f"{p}_{r}" for r in KIND_NAMING_RULES]].any(axis=1)
        if reached:  # an outcome, not a forecast: nobody is "at risk" of a deadline passed
            left = out[f"{p}_remaining"].fillna(0) > 0
            judged = np.where(left, "not_finished", "finished")
        else:
            judged = np.where(late > late_limit, "at_risk", "on_track")
        out[f"{p}_standing"] = pd.Series(
            np.where(behind, "off_track", judged), index=out.index
        ).astype("str")
    # the unit's standing: the worse of the kinds the rules judge
    worst = (
        out[[f"{PREFIX[k]}_standing" for k in plan.laggards.kinds]]
        .apply(lambda col: col.map(order))
        .max(axis=1)
    )
    out["standing"] = worst.map(dict(enumerate(STANDINGS))).astype("str")
    chosen = leader_picks(out, plan)
    out["is_leader"] = out["unit_code"].isin(chosen["unit_code"])
    return out
