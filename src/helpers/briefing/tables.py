"""Pure table functions behind the briefing's parts: per-week spans, weekly gains, difficult
groups, ledger and reject summaries, overstating units, the wording of a laggard's reasons.

Each takes tables (or :class:`~helpers.briefing.data.BriefingData`) and returns a table or a
value; none reads or writes a file, none formats for the page.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from helpers import pipeline
from helpers.briefing.data import BriefingData
from helpers.briefing.text import is_missing
from helpers.config import KIND_PREFIX, RECORD_KINDS, Plan
from helpers.i18n import t
from helpers.statuses import LICENCE_STATUSES, VEHICLE_STATUSES

KINDS = RECORD_KINDS
PREFIX = KIND_PREFIX
BACKLOG_TOP = 10  # units listed by review backlog
DIFFICULT_TOP = 10  # units listed by difficult records
CONDUCT_MARK = "◆"  # a unit that broke a conduct rule (backlog, self-reports)


def laggards_in_order(laggards: pd.DataFrame) -> pd.DataFrame:
    """The laggards as the conference takes them: worst rank first, then by name (the
    summary's list, the laggards part and the map's numbers)."""
    return laggards.sort_values(["rank", "unit_name"], ascending=[False, True], ignore_index=True)


def city_row(data: BriefingData, kind: str) -> pd.Series:
    rows = data.city[data.city["kind"] == kind]
    if rows.empty:
        raise KeyError(f"city_progress for week {data.week} has no row for kind '{kind}'")
    return rows.iloc[0]


def week_span(plan: Plan, week: str, city: pd.DataFrame | None = None) -> tuple[date, date]:
    """First and last day the week's briefing covers: the conference's period as progress
    recorded it in ``city`` (``period_start``: the day after the previous conference's
    delivery, the peak's first day at the first conference), so the cover's period is the
    one every "this week" figure counts; without a recorded period, one cadence to the week's
    end (never before the peak's start)."""
    end = date.fromisoformat(week)
    if city is not None and "period_start" in city:
        starts = city["period_start"].dropna()
        if len(starts):
            return pd.Timestamp(starts.iloc[0]).date(), end
    start = max(end - timedelta(days=plan.cadence_days - 1), plan.start)
    return start, end


def peak_day(plan: Plan, week: str) -> int:
    return (date.fromisoformat(week) - plan.start).days + 1


def weekly_gains(data: BriefingData, plan: Plan) -> pd.DataFrame:
    """Cleaned per conference period and kind (``week_end``: the conference's week), plus one
    row per kind with ``week_end`` null: records cleaned before the peak started (or at an
    unknown moment), so the bars add up to the cleaned total. From the week's
    ``conference_gains`` (with ``cleaned_told`` and ``revised``: what each conference was
    told); a folder written before it: from the daily series and the rank history's weeks
    (without one, weeks ending on the briefing's weekday), nothing known as told."""
    gains = getattr(data, "conference_gains", None)  # none in a hand-made view
    if gains is not None and len(gains) and "revised" in gains:
        out = gains.rename(columns={"week": "week_end", "cleaned": "cleaned_day"})
        out = out[["week_end", "kind", "cleaned_day", "cleaned_told", "revised"]]
        keep = out["week_end"].notna() | (out["cleaned_day"] > 0) | out["revised"]
        return out.loc[keep].reset_index(drop=True)
    daily = data.daily.copy()
    daily["date"] = pd.to_datetime(daily["date"]).dt.date
    as_of = data.as_of
    daily = daily[daily["date"] <= as_of]
    history = data.rank_history
    if history is not None and len(history) and "week" in history:
        # each day in the period of the first conference on or after it
        ends = sorted({pd.Timestamp(w).date() for w in history["week"]} | {as_of})
        ends = [e for e in ends if e <= as_of]
        position = np.searchsorted(
            np.array(ends, dtype="datetime64[D]"),
            daily["date"].to_numpy(dtype="datetime64[D]"),
            side="left",
        )
        daily["week_end"] = [ends[i] for i in position]
    else:
        age = daily["date"].map(lambda d: (as_of - d).days)
        daily["week_end"] = [
            as_of - timedelta(days=plan.cadence_days * (a // plan.cadence_days)) for a in age
        ]
    out = daily.groupby(["week_end", "kind"], as_index=False)["cleaned_day"].sum()
    before = []
    for kind in KINDS:
        rows = daily[daily["kind"] == kind].sort_values("date")
        if rows.empty:
            continue
        first = rows.iloc[0]
        # the cumulative series starts with what was cleaned before its first day
        earlier = int(first["cleaned_cum"]) - int(first["cleaned_day"])
        if earlier > 0:
            before.append({"week_end": None, "kind": kind, "cleaned_day": earlier})
    out = out.sort_values(["kind", "week_end"], ignore_index=True)
    if before:
        out = pd.concat([pd.DataFrame(before), out], ignore_index=True)
        out["_o"] = out["week_end"].notna()
        out = out.sort_values(["kind", "_o", "week_end"], kind="stable", ignore_index=True)
        out = out.drop(columns="_o")
    return out.assign(cleaned_told=pd.NA, revised=False)


def revised_gains(gains: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The bars of ``kind`` whose figure later deliveries revised (late events), oldest first:
    ``week_end`` (null: before the peak), ``cleaned_told``, ``cleaned_day`` (now)."""
    rows = gains.loc[(gains["kind"] == kind) & gains["revised"].astype("bool")]
    return rows[["week_end", "cleaned_told", "cleaned_day"]].reset_index(drop=True)


def previous_told(data: BriefingData, kind: str) -> int | None:
    """What the previous conference was told it cleaned in its period, when later deliveries
    revised that figure (else None: the figure shown is the one it was told)."""
    gains = getattr(data, "conference_gains", None)  # none in a hand-made view
    if gains is None or gains.empty or "revised" not in gains:
        return None
    rows = gains.loc[(gains["kind"] == kind) & gains["week"].notna()]
    rows = rows.loc[pd.to_datetime(rows["week"]).dt.date < data.as_of]
    if rows.empty:
        return None
    last = rows.sort_values("week").iloc[-1]
    return int(last["cleaned_told"]) if bool(last["revised"]) else None


def rank_share(units: pd.DataFrame) -> str:
    """The share units are ranked and judged by (progress.RANK_SHARE), or the older column."""
    from helpers.progress import RANK_SHARE

    return RANK_SHARE if RANK_SHARE in units.columns else "veh_share_cleaned"


def city_target(city: pd.Series, plan: Plan, kind: str) -> float:
    """Records to clean by the deadline: progress's own figure when it gives one."""
    if "target" in city.index and not is_missing(city["target"]):
        return float(city["target"])
    return float(city["assigned"]) * target_share(plan, kind)


def target_share(plan: Plan, kind: str) -> float:
    return plan.targets.share(kind)


def source_freshness(sources: dict[str, dict], week: str, cadence_days: int) -> pd.DataFrame:
    """Per source (fixed order): the delivery date it was read from, its age in days before
    the week, and whether it is stale (older than the week by more than one reporting
    cadence). The ledger's own ``age_days`` / ``stale`` win when ingest wrote them."""
    as_of = date.fromisoformat(week)
    rows = []
    for source in [*SOURCES, *sorted(set(sources) - set(SOURCES))]:
        entry = sources.get(source, {})
        raw = entry.get("delivery")
        delivery = date.fromisoformat(str(raw)[:10]) if raw else None
        age = entry.get("age_days")
        if age is None and delivery is not None:
            age = (as_of - delivery).days
        stale = entry.get("stale")
        if stale is None:
            stale = delivery is None or (age is not None and age > cadence_days)
        rows.append(
            {
                "source": source,
                "delivery": delivery,
                "age_days": None if age is None else int(age),
                "stale": bool(stale),
            }
        )
    return pd.DataFrame(rows, columns=["source", "delivery", "age_days", "stale"])


def reason_sentences(reason: Any, lang: str, rules: Any = None) -> list[str]:
    """The reason as one sentence per broken rule.

    Progress joins the sentences with the catalogue's ``progress.separator``; the text is
    split back only when that gives exactly one piece per rule, so a separator inside a
    sentence never cuts it.
    """
    if isinstance(reason, (list, tuple, np.ndarray)):
        return [str(s) for s in reason if str(s).strip()]
    text = "" if is_missing(reason) else str(reason)
    n_rules = len(rules) if isinstance(rules, (list, tuple, np.ndarray)) else 0
    if n_rules > 1:
        pieces = text.split(t("progress.separator", lang))
        if len(pieces) == n_rules:
            return [p.strip() for p in pieces]
    return [text] if text.strip() else []


def leader_measure(rows: pd.DataFrame, plan: Plan) -> str:
    """What a leader category ranks (progress writes it; older tables: from the plan)."""
    if "measure" in rows.columns and len(rows):
        return str(rows["measure"].iloc[0])
    if str(rows["category"].iloc[0]) == "share":
        return "share_cleanable"
    return "gain_share" if plan.leaders.gain_measure == "share" else ("gain_records")


def laggard_rule_counts(laggards: pd.DataFrame) -> pd.Series:
    """How many laggards broke each rule, most broken first."""
    if "rules" not in laggards.columns or laggards.empty:
        return pd.Series(dtype="int64")
    codes = laggards["rules"].explode().dropna().astype(str)
    counts = codes.value_counts()
    from helpers.progress import CONDUCT_RULES

    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    # progress rules first, then conduct rules, each most broken first
    order = sorted(range(len(counts)), key=lambda i: counts.index[i] in CONDUCT_RULES)
    return counts.iloc[order]


def difficult_groups(units: pd.DataFrame) -> pd.DataFrame:
    """City totals per difficult group and kind, from the per-unit group columns: records in
    the group (``vehicle``, ``licence``) and, when progress wrote them, resolved ones
    (``vehicle_resolved``, ``licence_resolved``)."""
    rows = []
    for kind, statuses in (("vehicle", VEHICLE_STATUSES), ("licence", LICENCE_STATUSES)):
        prefix = PREFIX[kind]
        for status in statuses:
            column = f"{prefix}_group_{status}"
            if column in units.columns:
                rows.append({"status": status, "kind": kind, "records": int(units[column].sum())})
                resolved = f"{prefix}_resolved_{status}"
                if resolved in units.columns:
                    rows.append(
                        {
                            "status": status,
                            "kind": f"{kind}_resolved",
                            "records": int(units[resolved].sum()),
                        }
                    )
    table = pd.DataFrame(rows, columns=["status", "kind", "records"])
    if table.empty:
        return pd.DataFrame(columns=["status", "vehicle", "licence"])
    wide = table.pivot_table(index="status", columns="kind", values="records", aggfunc="sum")
    present = [
        c
        for c in ("vehicle", "vehicle_resolved", "licence", "licence_resolved")
        if c in wide.columns or c in KINDS
    ]
    wide = wide.reindex(columns=present).reset_index()
    order = {s: i for i, s in enumerate(dict.fromkeys(VEHICLE_STATUSES + LICENCE_STATUSES))}
    wide["_order"] = wide["status"].map(order)
    return wide.sort_values("_order").drop(columns="_order").reset_index(drop=True)


# the sources whose freshness the cover shows (every declared one but the optional
# commitments, which are dated by each commitment), in the order of the declaration
SOURCES = tuple(s for s in pipeline.SOURCES if s != "commitments")


def ledger_by_source(ledger: list[dict]) -> pd.DataFrame:
    """Rows received, accepted, rejected and skipped per source (summed over its files)."""
    rows = []
    for entry in ledger:
        skipped = entry.get("rows_skipped", 0)
        if isinstance(skipped, dict):
            skipped = sum(int(v) for v in skipped.values())
        rows.append(
            {
                "source": entry.get("source", ""),
                "files": 1,
                "rows_read": int(entry.get("rows_read", 0)),
                "rows_accepted": int(entry.get("rows_accepted", 0)),
                "rows_rejected": int(entry.get("rows_rejected", 0)),
                "rows_skipped": int(skipped or 0),
                "unbalanced": 0 if entry.get("balanced", True) else 1,
            }
        )
    columns = [
        "source",
        "files",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        "rows_skipped",
        "unbalanced",
    ]
    table = pd.DataFrame(rows, columns=columns)
    out = table.groupby("source", as_index=False).sum()
    order = {s: i for i, s in enumerate(SOURCES)}
    out["_order"] = out["source"].map(order).fillna(len(SOURCES))
    return out.sort_values(["_order", "source"]).drop(columns="_order").reset_index(drop=True)


def rejects_by_reason(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per reason (rows) and source (columns)."""
    if rejects.empty:
        return pd.DataFrame(columns=["reason_code"])
    wide = rejects.groupby(["reason_code", "source"]).size().unstack("source", fill_value=0)
    present = [s for s in SOURCES if s in wide.columns] + [
        s for s in wide.columns if s not in SOURCES
    ]
    wide = wide[present]
    wide["total"] = wide.sum(axis=1)
    return wide.sort_values("total", ascending=False).reset_index()


def overstating_units(data: BriefingData) -> pd.DataFrame:
    """Units whose self-reports exceed the system, with the days flagged."""
    units = data.units[data.units["self_report_overstated"].fillna(False).astype(bool)]
    checks = data.self_reports
    if {"unit_code", "overstated"} <= set(checks.columns):
        days = checks[checks["overstated"].fillna(False).astype(bool)].groupby("unit_code").size()
    else:
        days = pd.Series(dtype="int64")
    extra = [c for c in ("self_report_reported", "self_report_system") if c in units.columns]
    out = units[["unit_code", "unit_name", "self_report_ratio", *extra]].copy()
    out["days_flagged"] = out["unit_code"].map(days).fillna(0).astype(int)
    # progress judges each reported count on its own: name the counts that overstate
    prefix = "self_report_overstated_"
    measure_cols = [c for c in units.columns if c.startswith(prefix)]
    if measure_cols:
        flags = units[measure_cols].fillna(False).astype(bool)
        out["measures"] = [
            [c[len(prefix) :] for c in measure_cols if row[c]] for _, row in flags.iterrows()
        ]
    return out.sort_values(
        ["self_report_ratio", "unit_name"], ascending=[False, True], ignore_index=True
    )
