"""The campaign summary: the tables of the week that reaches the (extended) end of the peak,
and of any week after it (:func:`final_tables`; pure, from the week's progress tables).

- ``final_figures``: the whole-campaign figures the published reports quote (submissions
  received, records cleaned of assigned, records and units compared with the population
  database, difficult records still open, organisations reached), one row each, with what the
  figure counts (``counts``: records, submissions, units, organisations, vehicles), the total it
  is "of" and the share; every row carries the deadline judged and the days past it.
- ``final_units``: each unit's final result (cleaned share of cleanable and of assigned, per
  kind; difficult records still open; whether and when it reached its target; standing, rank;
  the conferences that named it a laggard, of the conferences in the rank history).
- ``final_handover``: the difficult records still open per unit and difficult group, to hand
  over after the peak (rows with something open only; they add up to ``group_progress.open``).
- ``final_verdicts``: the units praised and criticised for the whole campaign, each with the
  rules it met and one sentence per rule with its figures (thresholds: ``plan.final``).

The verdict rules are data: :data:`PRAISE_RULES` and :data:`CRITICISE_RULES` map a rule code
to a function of (final_units, plan.final) giving the units it picks; the sentence is the
catalogue's ``progress.final_rule.<code>``, filled from the unit's ``final_units`` row
(:func:`rule_params`). A rule from another table (e.g. ``named_often``: how many conferences
named a unit a laggard, from the rank history) is a column added to ``final_units`` plus one
entry in each of the three places; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from helpers import pipeline
from helpers.config import Final, Plan
from helpers.i18n import LANGS, code_label, fmt_date, fmt_int, t
from helpers.progress.definitions import GROUPS, KINDS, ORG_TYPES, PREFIX, RANK_SHARE, share_of
from helpers.progress.narrative import pct_text
from helpers.record_tables import STATUS_LIST
from helpers.units import official_units

FINAL_TABLES: tuple[str, ...] = pipeline.FINAL_TABLES  # declared in helpers.pipeline
VERDICTS: tuple[str, ...] = ("praise", "criticise")


# ---------------------------------------------------------------------------------------
# whole-campaign figures


def final_figures(
    city: pd.DataFrame, orgs: pd.DataFrame, plan: Plan, *, as_of: date
) -> pd.DataFrame:
    """One row per whole-campaign figure: measure, kind (null for the organisations), what it
    counts, value, the total it is of, and the share of that total."""
    rows: list[dict[str, Any]] = []

    def add(measure: str, kind: str | None, counts: str, value: Any, total: Any = None) -> None:
        value = 0 if value is None or pd.isna(value) else value
        known = total is not None and not pd.isna(total)
        rows.append(
            {
                "measure": measure,
                "kind": kind,
                "counts": counts,
                "value": float(value),
                "total": float(total) if known else np.nan,
                "share": float(value) / float(total) if known and float(total) > 0 else np.nan,
            }
        )

    by_kind = city.set_index("kind")
    for kind in KINDS:
        c = by_kind.loc[kind]
        add("submissions", kind, "submissions", c["submissions_total"])
        add("cleaned", kind, "records", c["cleaned"], c["assigned"])
        add("cleaned_cleanable", kind, "records", c["cleaned"], c["cleanable"])
        add("compared", kind, "records", c["compared"], c["assigned"])
        add("units_compared", kind, "units", c["units_compared"], c["units_with_records"])
        add("difficult_open", kind, "records", c["difficult_open"], c["difficult"])
    known = orgs[orgs["org_type"].isin(ORG_TYPES)] if len(orgs) else orgs
    total_orgs = known["orgs"].sum() if len(known) else 0
    add(
        "org_dispatches",
        None,
        "organisations",
        known.get("dispatches_sent", pd.Series()).sum(),
        total_orgs,
    )
    add(
        "org_worked_directly",
        None,
        "organisations",
        known.get("worked_directly", pd.Series()).sum(),
        total_orgs,
    )
    counted = known.get("vehicles_counted", pd.Series()).sum()
    add("org_vehicles_counted", None, "vehicles", counted)
    # declared of counted only over the organisations that gave both figures (no rate from
    # vehicles declared by some over vehicles counted by others)
    add(
        "org_vehicles_declared",
        None,
        "vehicles",
        known.get("declared_both", pd.Series()).sum(),
        known["counted_both"].sum() if "counted_both" in known.columns else None,
    )
    out = pd.DataFrame(rows)
    out.insert(0, "order", np.arange(1, len(out) + 1, dtype="int64"))
    out["value"] = out["value"].round().astype("int64").astype("float64")
    out["deadline"] = plan.end
    out["days_overdue"] = np.int64(plan.days_overdue(as_of))
    return out


# ---------------------------------------------------------------------------------------
# each unit's final result


def conferences_named(
    units: pd.DataFrame, history: pd.DataFrame | None, *, as_of: date | None = None
) -> pd.DataFrame:
    """Per unit (in ``units``' order): ``weeks_named``, the conferences of the rank history (up
    to ``as_of``) that named it behind on progress; ``weeks_named_conduct``, those that named
    it for its conduct (review backlog, self-reports); ``weeks_reported``, the conferences in
    that history (0 of 0 without one). A conference that named it for both counts in both."""
    codes = units["unit_code"].astype("str")
    reported = 0
    named = {}
    for kind in ("progress", "conduct"):
        if history is None or not len(history):
            named[kind] = pd.Series(0, index=codes.unique(), dtype="int64")
            continue
        upto = history if as_of is None else history.loc[history["week"] <= as_of]
        flags = upto[f"named_{kind}"].fillna(False).astype("bool")
        named[kind] = flags.groupby(upto["unit_code"].astype("str")).sum()
        reported = int(upto["week"].nunique())

    def count(kind: str) -> np.ndarray:
        return named[kind].reindex(codes, fill_value=0).fillna(0).astype("int64").to_numpy()

    return pd.DataFrame(
        {
            "weeks_named": count("progress"),
            "weeks_named_conduct": count("conduct"),
            "weeks_reported": np.full(len(units), reported, dtype="int64"),
        },
        index=units.index,
    )


def final_units(
    units: pd.DataFrame,
    plan: Plan,
    *,
    history: pd.DataFrame | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """One row per unit: the final figures the summary judges, best first. ``history`` is the
    week's ``rank_history`` (the conferences that named each unit a laggard, up to ``as_of``);
    without it every unit was named at 0 of 0 conferences."""
    out = units[["unit_code", "unit_name", "rank"]].copy()
    for kind in KINDS:
        p = PREFIX[kind]
        for col in ("assigned", "cleanable", "cleaned", "difficult", "difficult_open"):
            out[f"{p}_{col}"] = units[f"{p}_{col}"].fillna(0).astype("int64")
        out[f"{p}_share_cleaned"] = share_of(out[f"{p}_cleaned"], out[f"{p}_assigned"])
        out[f"{p}_share_cleaned_cleanable"] = share_of(out[f"{p}_cleaned"], out[f"{p}_cleanable"])
    out["difficult"] = out["veh_difficult"] + out["lic_difficult"]
    out["difficult_open"] = out["veh_difficult_open"] + out["lic_difficult_open"]
    # reached the target of every judged kind: nothing remains (projected_finish is then the
    # day it was reached); a unit with nothing assigned has no target to reach
    judged = [PREFIX[k] for k in plan.laggards.kinds]
    finished = pd.Series(True, index=units.index)
    finished_on = pd.Series(pd.NaT, index=units.index, dtype="datetime64[ns]")
    for p in judged:
        finished &= (units[f"{p}_remaining"].fillna(1) == 0) & (units[f"{p}_assigned"] > 0)
        day = pd.to_datetime(units[f"{p}_projected_finish"])
        finished_on = finished_on.where(finished_on >= day, day)
    # ... on or before the deadline judged (a unit that got there after it is late, not done)
    finished &= finished_on.notna() & (finished_on <= pd.Timestamp(plan.end))
    out["finished"] = finished.astype(bool)
    out["finished_on"] = [
        d.date() if ok else None for d, ok in zip(finished_on, finished, strict=True)
    ]
    # the outcome, not a forecast: once the deadline is reached nobody is "at risk of delay";
    # a unit finished (on or before the deadline), finished after it (a week past the end), or
    # did not finish, with the cleanable records it still has to clean
    left = sum(units[f"{p}_remaining"].fillna(0).clip(lower=0) for p in judged)
    has_target = pd.Series(True, index=units.index)
    for p in judged:
        has_target &= units[f"{p}_assigned"].fillna(0) > 0
    out["records_left"] = pd.Series(left, index=units.index).astype("int64")
    out["outcome"] = np.select(
        [~has_target, finished, out["records_left"] == 0],
        ["no_target", "finished", "finished_late"],
        default="not_finished",
    )
    out["standing"] = units["standing"]
    # praised this week (a leader of the week's figures): a criticism for the campaign as a
    # whole then says why both stand in one document
    out["is_leader"] = (
        units["is_leader"].fillna(False).astype(bool)
        if "is_leader" in units
        else pd.Series(False, index=units.index)
    )
    out = out.join(conferences_named(units, history, as_of=as_of))
    return out.sort_values(["rank", "unit_name"], ignore_index=True)


# ---------------------------------------------------------------------------------------
# difficult records still open, to hand over


def final_handover(units: pd.DataFrame) -> pd.DataFrame:
    """Per unit and difficult group, the records still open (only the pairs with some)."""
    frames = []
    for kind in KINDS:
        p = PREFIX[kind]
        for group in GROUPS[kind]:
            records = units[f"{p}_group_{group}"].fillna(0).astype("int64")
            resolved = units[f"{p}_resolved_{group}"].fillna(0).astype("int64")
            frames.append(
                pd.DataFrame(
                    {
                        "unit_code": units["unit_code"],
                        "unit_name": units["unit_name"],
                        "kind": kind,
                        "group": group,
                        "records": records,
                        "open": (records - resolved).clip(lower=0),
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    return out[out["open"] > 0].sort_values(["unit_code", "kind", "group"], ignore_index=True)


# ---------------------------------------------------------------------------------------
# praise and criticism for the whole campaign

RuleFunction = Callable[[pd.DataFrame, Final], pd.Series]


def _ranked(units: pd.DataFrame) -> pd.Series:
    """Final share of the units that have one (the share units are ranked by)."""
    return units[RANK_SHARE].dropna()


def _top_share(units: pd.DataFrame, cfg: Final) -> pd.Series:
    share = _ranked(units)
    top = share.rank(ascending=False, method="min") <= cfg.praise_top_n
    picked = top & (share >= cfg.praise_min_share)
    return picked.reindex(units.index, fill_value=False)


def _finished(units: pd.DataFrame, cfg: Final) -> pd.Series:
    return units["finished"].astype(bool) & cfg.praise_finished


def _bottom_share(units: pd.DataFrame, cfg: Final) -> pd.Series:
    share = _ranked(units)
    picked = share.rank(ascending=True, method="min") <= cfg.criticise_bottom_n
    return picked.reindex(units.index, fill_value=False)


def _below_share(units: pd.DataFrame, cfg: Final) -> pd.Series:
    return (units[RANK_SHARE] < cfg.criticise_below_share).fillna(False).astype(bool)


def _difficult_open(units: pd.DataFrame, cfg: Final) -> pd.Series:
    share = share_of(units["difficult_open"], units["difficult"])
    return (
        ((units["difficult_open"] > 0) & (share > cfg.criticise_difficult_open_share))
        .fillna(False)
        .astype(bool)
    )


def _named_often(units: pd.DataFrame, cfg: Final) -> pd.Series:
    """Named behind on progress at many conferences (conduct namings are not lateness)."""
    if cfg.criticise_named_weeks <= 0:
        return pd.Series(False, index=units.index)
    return (units["weeks_named"] >= cfg.criticise_named_weeks).astype(bool)


def _conduct_often(units: pd.DataFrame, cfg: Final) -> pd.Series:
    """Named for its conduct (an old review backlog, self-reports above the system) at many
    conferences: criticised as conduct, whatever its share."""
    if cfg.criticise_conduct_weeks <= 0:
        return pd.Series(False, index=units.index)
    return (units["weeks_named_conduct"] >= cfg.criticise_conduct_weeks).astype(bool)


# rule code -> the units it picks, in sentence order
PRAISE_RULES: dict[str, RuleFunction] = {"top_share": _top_share, "finished": _finished}
CRITICISE_RULES: dict[str, RuleFunction] = {
    "bottom_share": _bottom_share,
    "below_share": _below_share,
    "difficult_open": _difficult_open,
    "named_often": _named_often,
    "conduct_often": _conduct_often,
}


def rule_params(row: pd.Series, units: pd.DataFrame, plan: Plan, lang: str) -> dict[str, str]:
    """The figures a verdict sentence may quote, formatted in ``lang``, from the unit's row."""
    deadline = plan.end
    finished_on = row["finished_on"]
    early = (deadline - finished_on).days if isinstance(finished_on, date) else 0
    return {
        "share": pct_text(row[RANK_SHARE], lang),
        "cleaned": fmt_int(row["veh_cleaned"], lang),
        "cleanable": fmt_int(row["veh_cleanable"], lang),
        "rank": fmt_int(row["rank"], lang),
        "units": fmt_int(int(units[RANK_SHARE].notna().sum()), lang),
        "date": fmt_date(finished_on, lang) if isinstance(finished_on, date) else "–",
        "days": fmt_int(early, lang),
        "deadline": fmt_date(deadline, lang),
        "open": fmt_int(row["difficult_open"], lang),
        "difficult": fmt_int(row["difficult"], lang),
        "open_share": pct_text(row["difficult_open"] / row["difficult"], lang)
        if row["difficult"]
        else "–",
        "min_share": pct_text(plan.final.praise_min_share, lang),
        "below_share": pct_text(plan.final.criticise_below_share, lang),
        "n": fmt_int(plan.final.criticise_bottom_n, lang),
        "named": fmt_int(row["weeks_named"], lang),
        "named_conduct": fmt_int(row["weeks_named_conduct"], lang),
        "conferences": fmt_int(row["weeks_reported"], lang),
    }


def final_verdicts(units: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The units praised and criticised, one row per unit and verdict, best first for praise
    and worst first for criticism; ``rules`` in sentence order, one sentence per rule."""
    cfg = plan.final
    picks = {
        verdict: pd.DataFrame({code: rule(units, cfg) for code, rule in rules.items()})
        for verdict, rules in (("praise", PRAISE_RULES), ("criticise", CRITICISE_RULES))
    }
    criticised = picks["criticise"].any(axis=1)
    if cfg.exclude_criticised:
        picks["praise"] = picks["praise"].where(~criticised, False)
    rows = []
    for verdict, flags in picks.items():
        chosen = units[flags.any(axis=1)]
        chosen = chosen.sort_values(
            ["rank", "unit_name"], ascending=[verdict == "praise", True], kind="stable"
        )
        for position, (index, row) in enumerate(chosen.iterrows(), start=1):
            codes = [c for c in flags.columns if flags.at[index, c]]
            # criticised for the campaign while praised among this week's leaders: say so
            notes = ["also_leader"] if verdict == "criticise" and bool(row["is_leader"]) else []
            reasons = {}
            for lang in LANGS:
                params = rule_params(row, units, plan, lang)
                reasons[lang] = t("progress.separator", lang).join(
                    t(f"progress.final_rule.{code}", lang, **params) for code in codes + notes
                )
            rows.append(
                {
                    "unit_code": row["unit_code"],
                    "unit_name": row["unit_name"],
                    "verdict": verdict,
                    "position": position,
                    "rules": codes,
                    "reason_vi": reasons["vi"],
                    "reason_en": reasons["en"],
                }
            )
    columns = ["unit_code", "unit_name", "verdict", "position", "rules", "reason_vi", "reason_en"]
    out = pd.DataFrame(rows, columns=columns)
    out["position"] = out["position"].astype("int64")
    return out


# ---------------------------------------------------------------------------------------


def final_tables(
    units: pd.DataFrame,
    city: pd.DataFrame,
    orgs: pd.DataFrame,
    plan: Plan,
    *,
    as_of: date,
    history: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table of the campaign summary (pure). ``plan`` is the plan in force at ``as_of``
    (``plan.in_force(as_of)``): its ``end`` is the deadline judged; ``history`` the week's
    ``rank_history`` (the conferences that named each unit a laggard)."""
    result = final_units(units, plan, history=history, as_of=as_of)
    return {
        "final_figures": final_figures(city, orgs, plan, as_of=as_of),
        "final_units": result,
        "final_handover": final_handover(units),
        "final_verdicts": final_verdicts(result, plan),
    }


# The unit's result in words: the unit pack and the e-mail that carries it print the same lines.


def final_lines(final: dict[str, Any], plan: Plan, lang: str) -> list[str]:
    """The unit's whole-campaign result in sentences: outcome and final rank with the ranked
    share, then each verdict with its reasons (or that it has none). The pack and the e-mail
    say the same."""
    r = final["result"]
    outcome = t(
        f"briefing.final.outcome_{r['outcome']}", lang, left=fmt_int(r.get("records_left"), lang)
    )
    lines = [
        t(
            "excel.unit.final_result",
            lang,
            outcome=outcome,
            rank=fmt_int(r.get("rank"), lang),
            units=len(official_units()),
            share=pct_text(r.get(RANK_SHARE), lang),
            deadline=fmt_date(plan.end, lang),
        )
    ]
    for v in final["verdicts"]:
        label = code_label("excel.verdict", str(v["verdict"]), lang)
        lines.append(f"{label}: {v.get(f'reason_{lang}') or ''}")
    if not final["verdicts"]:
        lines.append(t("excel.unit.final_no_verdict", lang))
    return lines


def handover_lines(final: dict[str, Any], lang: str) -> list[str]:
    """One line per difficult group the unit hands over: records still open, and its sheet."""
    lines = []
    for h in final["handover"]:
        lines.append(
            t(
                "excel.unit.handover_line",
                lang,
                kind=code_label("briefing.kind", str(h["kind"]), lang),
                group=code_label("status", str(h["group"]), lang),
                open=fmt_int(h["open"], lang),
                sheet=t(f"excel.sheets.{STATUS_LIST[str(h['group'])]}", lang),
            )
        )
    return lines
