"""History: each earlier reporting week's unit standings (``rank_history``), the follow-up
of the previous conference (``followup``) and the records cleaned in each conference's period,
told then and counted now (``conference_gains``).

Source of truth for an earlier week is that week's processed ``unit_progress`` and
``city_progress`` when the week was run (what its conference was actually told). A week that
was never run (or whose tables are missing) is *recomputed* as of its last day from the
current week's aggregates (:func:`aggregates_as_of`): the per-unit, per-day cleaned counts
cut at that day, the self-reports and organisations as of that day, then the ordinary
:func:`~helpers.progress.week.compute` (:func:`helpers.progress.week.recompute_week`: the
week module calls this one, never the other way round). No record is read again, no delivery re-ingested: a
recomputed week costs one pass of the 126-row unit table (docs/architecture.md, "History").
Its rows say ``recomputed``.

Pure functions over tables; :func:`week_tables` and :func:`history_weeks` are the I/O edges
(through :mod:`helpers.store`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from helpers import store
from helpers.config import Plan
from helpers.paths import Workspace
from helpers.progress.conferences import Period, conference_weeks, periods
from helpers.progress.definitions import CONDUCT_RULES, KINDS, RANK_SHARE
from helpers.progress.records import (
    Aggregates,
    backlog_as_of,
    org_summary,
    organisations_by_unit,
    self_report_summary,
)

# unit_progress columns the history reads from an earlier week (a week whose table lacks the
# naming kinds, written before they existed, is recomputed rather than guessed)
UNIT_COLUMNS = (
    "unit_code",
    "unit_name",
    "rank",
    RANK_SHARE,
    "standing",
    "breaks_progress",
    "breaks_conduct",
    "is_laggard",
    "is_leader",
)
# unit_progress columns a conduct naming is followed up on
CONDUCT_COLUMNS = ("backlog_oldest_days", "self_report_overstated")
# city_progress columns the follow-up reads (the figures the talking points state)
CITY_COLUMNS = ("kind", "cleaned", "target", "remaining", "required_rate", "rate_7d", "days_left")

HISTORY_COLUMNS = (
    "week",
    "unit_code",
    "unit_name",
    "rank",
    "share_cleaned",
    "standing",
    "is_laggard",
    "named_progress",
    "named_conduct",
    "is_leader",
    "recomputed",
)
# Why a conference named a unit: behind on progress (the progress rules: its share, its pace)
# or for its conduct (an old review backlog, self-reports above the system). Every sentence
# about past namings counts the namings of the kind it names.
NAMING_KINDS = ("progress", "conduct")
FOLLOWUP_SUBJECTS = ("laggard", "leader", "city")
# conference_gains: one row per conference and kind, and per kind one row with ``week`` null
# for the records cleaned before the peak (or on an unknown day)
GAINS_COLUMNS: dict[str, str] = {
    "week": "object",
    "kind": "str",
    "period_start": "object",
    "period_end": "object",
    "cleaned": "int64",
    "cleaned_told": "Int64",
    "recomputed": "bool",
    "revised": "bool",
}
FOLLOWUP_OUTCOMES = ("improved", "not_improved", "kept", "lost", "met", "missed", "no_target")


@dataclass(frozen=True)
class WeekTables:
    """One reporting week as history reads it: its unit and city tables, and whether they are
    the week's own processed tables (what its conference was told) or recomputed."""

    week: str
    units: pd.DataFrame  # unit_progress (at least UNIT_COLUMNS)
    city: pd.DataFrame  # city_progress (at least CITY_COLUMNS)
    recomputed: bool = False
    # the week's laggards (unit_code, rules): by which rules each unit was named; None when
    # the week's folder holds none (then only the kinds are known)
    laggards: pd.DataFrame | None = None

    def conduct_rules(self) -> dict[str, set[str]]:
        """Per unit named for conduct: the conduct rules that named it (empty set: a conduct
        naming whose rules the week did not record)."""
        named = self.units.loc[self.units["breaks_conduct"].fillna(False).astype(bool)]
        out: dict[str, set[str]] = {str(c): set() for c in named["unit_code"]}
        if self.laggards is not None and len(self.laggards):
            for code, rules in zip(self.laggards["unit_code"], self.laggards["rules"], strict=True):
                if str(code) in out and rules is not None:
                    out[str(code)] = {str(r) for r in rules if r in CONDUCT_RULES}
        return out

    @property
    def as_of(self) -> date:
        return date.fromisoformat(self.week)


# ---------------------------------------------------------------------------------------
# recomputing a week that was never run


def aggregates_as_of(
    agg: Aggregates,
    plan: Plan,
    *,
    as_of: date,
    self_report_check: pd.DataFrame | None = None,
    organisations: pd.DataFrame | None = None,
) -> Aggregates:
    """The current week's aggregates cut back to ``as_of`` (an earlier week's last day).

    Cleaned records are the cleanings dated up to ``as_of`` (undated ones count from the
    start, as in every week); the daily series stops there; self-reports, organisations and
    the review backlog are as of that day (the backlog from the submission and review days:
    submissions made by then and not reviewed by then). Assigned records and the difficult
    groups are the current ones (earlier weeks' groups are not recorded)."""
    daily = agg.daily.loc[agg.daily["date"].isna() | (agg.daily["date"] <= as_of)]
    daily = daily.reset_index(drop=True)
    cleaned = daily.groupby(["unit_code", "kind"])["cleaned_day"].sum()
    counts = agg.counts.copy()
    index = pd.MultiIndex.from_arrays([counts["unit_code"].astype("str"), counts["kind"]])
    counts["cleaned"] = cleaned.reindex(index, fill_value=0).to_numpy().astype("int64")
    if agg.review_days is not None:
        backlog = backlog_as_of(agg.review_days, as_of=as_of)
    else:
        backlog = pd.DataFrame(
            {
                "unit_code": pd.Series(dtype="str"),
                "backlog_pending": pd.Series(dtype="int64"),
                "backlog_median_lag_days": pd.Series(dtype="float64"),
                "backlog_oldest_days": pd.Series(dtype="Int64"),
            }
        )
    self_reports = agg.self_reports
    if self_report_check is not None:
        self_reports = self_report_summary(self_report_check, plan, as_of=as_of)
    orgs, org_types = agg.organisations, agg.org_types
    if organisations is not None:
        orgs = organisations_by_unit(organisations, as_of=as_of)
        org_types = org_summary(organisations, as_of=as_of)
    return Aggregates(
        counts=counts,
        daily=daily,
        backlog=backlog,
        self_reports=self_reports,
        organisations=orgs,
        org_types=org_types,
        review_days=agg.review_days,
    )


# ---------------------------------------------------------------------------------------
# I/O edges


def history_weeks(ws: Workspace, week: str) -> list[str]:
    """The conferences before ``week``, oldest first (progress.conferences: a delivery holding
    its own week's submissions; a mid-week re-delivery of a registry is none)."""
    return conference_weeks(ws, week)[:-1]


def week_tables(ws: Workspace, week: str, recompute: Callable[[str], WeekTables]) -> WeekTables:
    """The week's own processed tables when it was run; else ``recompute(week)``."""
    if store.exists(ws, "unit_progress", week) and store.exists(ws, "city_progress", week):
        units = store.load(ws, "unit_progress", week)
        city = store.load(ws, "city_progress", week)
        if set(UNIT_COLUMNS) <= set(units.columns) and set(CITY_COLUMNS) <= set(city.columns):
            laggards = (
                store.load(ws, "laggards", week) if store.exists(ws, "laggards", week) else None
            )
            return WeekTables(week, units, city, recomputed=False, laggards=laggards)
    return recompute(week)


# ---------------------------------------------------------------------------------------
# the tables


def _standings(weektables: WeekTables) -> pd.DataFrame:
    u = weektables.units
    return pd.DataFrame(
        {
            "week": pd.Series([weektables.as_of] * len(u), dtype=object),
            "unit_code": u["unit_code"].astype("str").to_numpy(),
            "unit_name": u["unit_name"].astype("str").to_numpy(),
            "rank": u["rank"].astype("int64").to_numpy(),
            "share_cleaned": u[RANK_SHARE].astype("float64").to_numpy(),
            "standing": u["standing"].astype("str").to_numpy(),
            "is_laggard": u["is_laggard"].fillna(False).astype("bool").to_numpy(),
            "named_progress": u["breaks_progress"].fillna(False).astype("bool").to_numpy(),
            "named_conduct": u["breaks_conduct"].fillna(False).astype("bool").to_numpy(),
            "is_leader": u["is_leader"].fillna(False).astype("bool").to_numpy(),
            "recomputed": weektables.recomputed,
        }
    )


def rank_history(weeks: Sequence[WeekTables]) -> pd.DataFrame:
    """Unit x week: rank, share of cleanable vehicle records cleaned (the plan's measure),
    standing, named laggard (and of which kind: ``named_progress``, ``named_conduct``), leader,
    recomputed; oldest week first, then by unit code."""
    frames = [_standings(w) for w in sorted(weeks, key=lambda w: w.week)]
    if not frames:
        return pd.DataFrame({c: [] for c in HISTORY_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    for column in ("recomputed", "named_progress", "named_conduct"):
        out[column] = out[column].astype("bool")
    return out.sort_values(["week", "unit_code"], kind="stable", ignore_index=True)


def named_in_row(history: pd.DataFrame, week: date, kind: str | None = None) -> pd.Series:
    """Per unit: how many conferences in a row, ending with the one of ``week``, named it
    (``kind``: only namings of that kind, ``progress`` or ``conduct``; None: any naming); 0
    when that conference did not."""
    upto = history.loc[history["week"] <= week].sort_values(["unit_code", "week"])
    column = "is_laggard" if kind is None else f"named_{kind}"
    # a run ends at the latest week: count the named weeks after the last week not named
    flags = upto[column].astype("bool")
    breaks = (~flags).groupby(upto["unit_code"]).cumsum()
    last_break = breaks.groupby(upto["unit_code"]).transform("max")
    run = (flags & (breaks == last_break)).groupby(upto["unit_code"]).sum()
    return run.astype("int64")


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _flag(value) -> bool:
    return bool(value) if value is not None and pd.notna(value) else False


def _whole(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _median(values: pd.Series) -> float:
    known = values.dropna()
    return float(known.median()) if len(known) else math.nan


def followup(
    history: pd.DataFrame,
    previous: WeekTables | None,
    current: WeekTables,
    *,
    then_now: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The previous conference followed up (docs/rules.md, "Follow-up of the previous
    conference"): one row per unit named laggard then (``subject`` laggard: improved or
    not), per leader then (kept or lost), per kind for the city (the pace and records the
    previous week's talking points asked for against what was cleaned since). Empty when
    there was no previous conference. ``then_now``: per kind, the records cleaned by the
    previous conference's last day as this week's data counts them; when later deliveries
    revised that figure (late events), the row keeps what was told (``cleaned_then``), the
    revised figure (``cleaned_then_now``), and counts "cleaned since" from the revised one."""
    columns = _FOLLOWUP_EMPTY
    if previous is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    then = _standings(previous).set_index("unit_code")
    now = _standings(current).set_index("unit_code")
    both = then.merge(
        now, how="left", left_index=True, right_index=True, suffixes=("_then", "_now")
    )
    gain = both["share_cleaned_now"] - both["share_cleaned_then"]
    median_gain = _median(gain)
    in_row = {kind: named_in_row(history, previous.as_of, kind) for kind in NAMING_KINDS}
    conduct_then, conduct_now = previous.conduct_rules(), current.conduct_rules()
    rows: list[dict] = []
    base = {"week_prev": previous.as_of, "prev_recomputed": previous.recomputed}
    for code, r in both.iterrows():
        progress_now = _flag(r["named_progress_now"])
        common = {
            **base,
            "kind": "vehicle",
            "unit_code": code,
            "unit_name": r["unit_name_then"],
            "rank_then": r["rank_then"],
            "rank_now": r["rank_now"],
            "share_then": r["share_cleaned_then"],
            "share_now": r["share_cleaned_now"],
            "share_gain": gain[code],
            "city_median_gain": median_gain,
            "laggard_now": _flag(r["is_laggard_now"]),
            "leader_now": _flag(r["is_leader_now"]),
        }
        named_for = [k for k in NAMING_KINDS if r[f"named_{k}_then"]]
        if named_for:
            # each naming followed up on what it named: progress on the share gained (left
            # the progress rules, or kept pace with the typical unit), conduct on the conduct
            # rules that named it (no longer broken)
            verdicts = []
            if "progress" in named_for:
                verdicts.append(
                    not progress_now
                    or (
                        pd.notna(gain[code]) and pd.notna(median_gain) and gain[code] >= median_gain
                    )
                )
            rules_then = sorted(conduct_then.get(code, set()))
            if "conduct" in named_for:
                now = conduct_now.get(code)
                still = now is not None and (
                    not rules_then or not now or bool(set(rules_then) & now)
                )
                verdicts.append(not still)
            improved = all(verdicts)
            rows.append(
                {
                    **common,
                    "subject": "laggard",
                    "named_for": "_".join(named_for),
                    "conduct_rules_then": rules_then,
                    "named_in_row": int(in_row[named_for[0]].get(code, 0)),
                    "improved": improved,
                    "outcome": "improved" if improved else "not_improved",
                }
            )
        if r["is_leader_then"]:
            kept = common["leader_now"]
            rows.append(
                {
                    **common,
                    "subject": "leader",
                    "improved": None,
                    "outcome": "kept" if kept else "lost",
                }
            )
    days = max((current.as_of - previous.as_of).days, 1)
    city_then = previous.city.set_index("kind")
    city_now = current.city.set_index("kind")
    for kind in KINDS:
        if kind not in city_then.index or kind not in city_now.index:
            continue
        c0, c1 = city_then.loc[kind], city_now.loc[kind]
        required = _number(c0["required_rate"])
        remaining_then = _whole(c0["remaining"])
        needed = None if required is None else int(math.ceil(required * days - 1e-9))
        if needed is not None and remaining_then is not None:
            # a pace times the days can ask for more than was left: never ask for more
            needed = min(needed, remaining_then)
        then_cleaned, now_cleaned = _whole(c0["cleaned"]), _whole(c1["cleaned"])
        revised = then_cleaned if then_now is None else _whole(then_now.get(kind, then_cleaned))
        since = None if revised is None or now_cleaned is None else now_cleaned - revised
        if needed is None or since is None:
            outcome = "no_target"
        else:
            outcome = "met" if since >= needed else "missed"
        rows.append(
            {
                **base,
                "subject": "city",
                "kind": kind,
                "cleaned_then": then_cleaned,
                "cleaned_then_now": revised,
                "cleaned_now": now_cleaned,
                "target_remaining_then": remaining_then,
                "required_rate_then": required,
                "cleaned_needed": needed,
                "cleaned_since": since,
                "rate_achieved": None if since is None else since / days,
                "days": days,
                "outcome": outcome,
            }
        )
    out = pd.DataFrame(rows).reindex(columns=list(columns))
    order = {s: i for i, s in enumerate(FOLLOWUP_SUBJECTS)}
    kinds = {k: i for i, k in enumerate(KINDS)}
    out = out.assign(_o=out["subject"].map(order), _r=out["rank_then"], _k=out["kind"].map(kinds))
    out = out.sort_values(["_o", "_r", "_k"], ascending=[True, False, True], kind="stable")
    out = out.drop(columns=["_o", "_r", "_k"]).reset_index(drop=True)
    return out.astype(columns)


_FOLLOWUP_EMPTY: dict[str, str] = {
    "week_prev": "object",
    "prev_recomputed": "bool",
    "subject": "str",
    "kind": "str",
    "unit_code": "object",
    "unit_name": "object",
    "rank_then": "Int64",
    "rank_now": "Int64",
    "share_then": "float64",
    "share_now": "float64",
    "share_gain": "float64",
    "city_median_gain": "float64",
    "laggard_now": "boolean",
    "leader_now": "boolean",
    "improved": "boolean",
    "named_for": "object",
    "conduct_rules_then": "object",
    "named_in_row": "Int64",
    "outcome": "str",
    "cleaned_then": "Int64",
    "cleaned_then_now": "Int64",
    "cleaned_now": "Int64",
    "target_remaining_then": "Int64",
    "required_rate_then": "float64",
    "cleaned_needed": "Int64",
    "cleaned_since": "Int64",
    "rate_achieved": "float64",
    "days": "Int64",
}


def _told(weektables: WeekTables, period: Period, column: str, kind: str) -> int | None:
    """A figure of ``weektables``' city table as its conference was told it: None when the
    week was recomputed, or run over another period (a folder written with 7-day windows)."""
    city = weektables.city
    if weektables.recomputed or column not in city or "period_start" not in city:
        return None
    rows = city.loc[city["kind"] == kind]
    if rows.empty or pd.isna(rows["period_start"].iloc[0]):
        return None
    if pd.Timestamp(rows["period_start"].iloc[0]).date() != period.start:
        return None
    return _whole(rows[column].iloc[0])


def conference_gains(
    weeks: Sequence[WeekTables], daily: pd.DataFrame, peak_start: date
) -> pd.DataFrame:
    """Records cleaned in each conference's period (``weeks``: every conference up to this
    one, oldest first) per kind, as this week's data counts them (``cleaned``), beside what
    that conference was told (``cleaned_told``: its own ``city_progress`` gain, null when it
    was recomputed); plus per kind the records cleaned before the peak or on an unknown day
    (``week`` null; told: the first conference's ``cleaned_before_start``). ``revised``: a
    later delivery changed the figure (late events): the briefing says so beside it
    (docs/rules.md, "Revisions"). The rows of one kind add up to its records cleaned."""
    ordered = sorted(weeks, key=lambda w: w.week)
    if not ordered:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in GAINS_COLUMNS.items()})
    calendar = periods([w.week for w in ordered], peak_start)
    ends = [w.as_of for w in ordered]
    first_start = calendar[ordered[0].week].start
    dated = daily.loc[daily["date"].notna()]
    day = pd.to_datetime(dated["date"]).to_numpy(dtype="datetime64[D]")
    # each day falls in the period of the first conference on or after it
    slot = np.searchsorted(np.array(ends, dtype="datetime64[D]"), day, side="left")
    slot = np.where(day < np.datetime64(first_start, "D"), -1, slot)
    cleaned = dated["cleaned_day"].astype("int64").to_numpy()
    undated = daily.loc[daily["date"].isna()]
    rows: list[dict] = []
    for kind in KINDS:
        mine = (dated["kind"] == kind).to_numpy()
        per_slot = np.bincount(slot[mine] + 1, weights=cleaned[mine], minlength=len(ends) + 2)
        before = int(per_slot[0]) + int(undated.loc[undated["kind"] == kind, "cleaned_day"].sum())
        told_before = _told(ordered[0], calendar[ordered[0].week], "cleaned_before_start", kind)
        rows.append(
            {
                "week": None,
                "kind": kind,
                "period_start": None,
                "period_end": first_start - timedelta(days=1),
                "cleaned": before,
                "cleaned_told": before if len(ordered) == 1 else told_before,
                "recomputed": ordered[0].recomputed,
            }
        )
        for i, weektables in enumerate(ordered):
            period = calendar[weektables.week]
            now = int(per_slot[i + 1])
            current = i == len(ordered) - 1  # this week's figure is the one told now
            rows.append(
                {
                    "week": weektables.as_of,
                    "kind": kind,
                    "period_start": period.start,
                    "period_end": period.end,
                    "cleaned": now,
                    "cleaned_told": now
                    if current
                    else _told(weektables, period, "gain_week", kind),
                    "recomputed": weektables.recomputed,
                }
            )
    out = pd.DataFrame(rows, columns=[c for c in GAINS_COLUMNS if c != "revised"])
    told = out["cleaned_told"].astype("Int64")
    out["revised"] = (told.notna() & (told != out["cleaned"])).fillna(False).astype("bool")
    return out.astype(GAINS_COLUMNS)


def build(
    weeks: Sequence[WeekTables],
    current: WeekTables,
    *,
    daily: pd.DataFrame | None = None,
    peak_start: date | None = None,
) -> dict[str, pd.DataFrame]:
    """``rank_history`` (the earlier weeks and this one), ``followup`` (the newest earlier
    week is the previous conference) and, with ``daily`` (this week's per-unit, per-day
    cleanings) and ``peak_start``, ``conference_gains``; ``daily`` also tells a revised
    figure of the previous conference from the one it was told."""
    earlier = sorted((w for w in weeks if w.week < current.week), key=lambda w: w.week)
    history = rank_history([*earlier, current])
    previous = earlier[-1] if earlier else None
    then_now = None
    if previous is not None and daily is not None:
        upto = daily.loc[daily["date"].isna() | (daily["date"] <= previous.as_of)]
        then_now = {k: int(v) for k, v in upto.groupby("kind")["cleaned_day"].sum().items()}
    out = {
        "rank_history": history,
        "followup": followup(history, previous, current, then_now=then_now),
    }
    if daily is not None and peak_start is not None:
        out["conference_gains"] = conference_gains([*earlier, current], daily, peak_start)
    return out
