"""The words: each laggard's reasons and each leader's, the chair's talking points, and the
texts of paces, shares and changes that the briefing and the packs also use. Every figure is
a value of the tables it is given, formatted in the language asked for (catalogue texts,
``helpers.i18n``). Pure; no I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from helpers.config import Plan
from helpers.i18n import LANGS, fmt_date, fmt_int, fmt_num, fmt_pct, t
from helpers.progress.deadline import extension_text
from helpers.progress.definitions import (
    CONDUCT_RULES,
    KINDS,
    PREFIX,
    RANK_SHARE,
    UNIT_RULES,
    WINDOW_DAYS,
    median_known,
    week_gain_share,
)
from helpers.progress.metrics import backlog_ranking
from helpers.progress.rules import laggard_rules, leader_picks, rule_codes, rule_kinds


def _days_text(n: int, lang: str) -> str:
    return t(
        "progress.days.one" if abs(n) == 1 else "progress.days.other", lang, n=fmt_int(abs(n), lang)
    )


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
        text = t(
            key,
            lang,
            share=fmt_pct(row[f"{p}_share_cleaned_cleanable"], lang),
            median=fmt_pct(context[f"{p}median_known"], lang),
        )
    elif rule == "below_median_ratio":
        median = context[f"{p}median_known"]
        # after the points rule's "cleaned x% vs city median y%", only the proportion is new
        short = f"{p}_below_median" in broken
        text = t(
            key + ("_short" if short else ""),
            lang,
            share=fmt_pct(row[f"{p}_share_cleaned_cleanable"], lang),
            part=fmt_pct(row[f"{p}_share_cleaned_cleanable"] / median, lang, 0),
            median=fmt_pct(median, lang),
        )
    elif rule == "gain_below_median":
        text = t(
            key,
            lang,
            gain_share=fmt_pct(row[f"{p}_gain_week"] / row[f"{p}_cleanable"], lang),
            fraction=fmt_pct(context["gain_vs_city_median"], lang, 0),
            median=fmt_pct(context[f"{p}_gain_median"], lang),
        )
    elif rule == "late_vs_city":
        city_finish = fmt_date(row[f"{p}_city_projected_finish"], lang)
        if pd.isna(row[f"{p}_days_after_city"]):
            text = t("progress.rule.late_vs_city_never", lang, city_finish=city_finish)
        else:
            text = t(
                key,
                lang,
                days=_days_text(int(row[f"{p}_days_after_city"]), lang),
                city_finish=city_finish,
            )
    elif rule == "bottom_decile":
        text = t(
            key,
            lang,
            bottom=fmt_pct(context["bottom_share"], lang, 0),
            rank=fmt_int(row[f"{p}_rank_of_share"], lang),
            units=fmt_int(context[f"{p}_ranked"], lang),
        )
    elif rule == "projected_late":
        finish = row[f"{p}_projected_finish"]
        if finish is None or pd.isna(finish):
            text = t(
                "progress.rule.projected_never",
                lang,
                rate=pace_texts(row[f"{p}_rate_7d"], row[f"{p}_required_rate"], lang)[0],
                remaining=fmt_int(row[f"{p}_remaining"], lang),
            )
        else:
            text = t(
                key,
                lang,
                finish=fmt_date(finish, lang),
                days=_days_text(int(row[f"{p}_days_late"]), lang),
            )
    elif rule == "slow_gain":
        text = t(
            key,
            lang,
            gain=fmt_int(round(row[f"{p}_rate_7d"] * WINDOW_DAYS), lang),
            fraction=fmt_pct(context["gain_fraction"], lang, 0),
            required=fmt_int(math.ceil(row[f"{p}_required_rate"] * WINDOW_DAYS), lang),
        )
    elif rule == "backlog_old":
        text = t(
            key,
            lang,
            days=_days_text(int(row["backlog_oldest_days"]), lang),
            pending=fmt_int(row["backlog_pending"], lang),
        )
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
        excess = (
            "+" + fmt_pct(reported / system - 1.0, lang)
            if system
            else t("progress.rule.none_in_system", lang)
        )
        parts.append(
            t(
                "progress.rule.self_report_measure",
                lang,
                measure=t(f"progress.measure.{m}", lang),
                reported=fmt_int(reported, lang),
                system=fmt_int(system, lang),
                excess=excess,
            )
        )
    if not parts and row.get("self_report_overstated", False):
        # the rule judges the four measures together: when no single measure is over on its
        # own (each under min_reported), the sentence carries the totals it fired on
        reported, system = row["self_report_reported"], row["self_report_system"]
        parts.append(
            t(
                "progress.rule.self_report_measure",
                lang,
                measure=t("progress.measure.all_measures", lang),
                reported=fmt_int(reported, lang),
                system=fmt_int(system, lang),
                excess="+" + fmt_pct(reported / system - 1.0, lang)
                if system
                else t("progress.rule.none_in_system", lang),
            )
        )
    return parts


def _rule_context(units: pd.DataFrame, plan: Plan) -> tuple[pd.DataFrame, dict[str, Any]]:
    kinds = rule_kinds(plan)
    context: dict[str, Any] = {
        "multi_kind": len(kinds) > 1,
        "bottom_share": plan.laggards.bottom_share,
        "gain_fraction": plan.laggards.weekly_gain_vs_required,
        "gain_vs_city_median": plan.laggards.gain_vs_city_median,
    }
    extra = {}
    for kind in KINDS:
        p = PREFIX[kind]
        share = units[f"{p}_share_cleaned_cleanable"]
        context[f"{p}median_known"] = median_known(share)
        context[f"{p}_gain_median"] = median_known(week_gain_share(units, p))
        context[f"{p}_ranked"] = int(share.notna().sum())
        extra[f"{p}_rank_of_share"] = share.rank(ascending=False, method="min")
    return units.assign(**extra), context


def laggards(units: pd.DataFrame, plan: Plan, *, as_of: date | None = None) -> pd.DataFrame:
    """One row per laggard unit, worst rank first: every rule that names it, then every context
    rule it also breaks (``rules``), each as a sentence with the unit's own numbers, joined with
    the catalogue's separator, in both languages. ``as_of`` past the deadline: the days rules
    count from the week (``rules.rule_flags``)."""
    broken = laggard_rules(units, plan, as_of=as_of)
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
        columns=[
            "unit_code",
            "unit_name",
            "rank",
            "veh_share_cleaned",
            "veh_share_cleaned_cleanable",
            "breaks_progress",
            "breaks_conduct",
            "rules",
            "reason_vi",
            "reason_en",
        ],
    )
    out = out.sort_values(["rank", "unit_code"], ascending=[False, True], ignore_index=True)
    return out.astype(
        {
            "unit_code": "str",
            "unit_name": "str",
            "rank": "int64",
            "veh_share_cleaned": "float64",
            "veh_share_cleaned_cleanable": "float64",
            "breaks_progress": "bool",
            "breaks_conduct": "bool",
            "reason_vi": "str",
            "reason_en": "str",
        }
    )


def leaders(units: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The leaders (:func:`.rules.leader_picks`: the top ``leaders.top_n`` by vehicle share
    cleaned of the cleanable records and by weekly gain) with sentences; ``measure`` names what
    ``value`` is and what the category ranks: ``share_cleanable``, ``gain_share`` or
    ``gain_records``."""
    picks = leader_picks(units, plan)
    median = median_known(units[RANK_SHARE])
    ranked = int(units[RANK_SHARE].notna().sum())
    measures = {
        "share": "share_cleanable",
        "gain": "gain_share" if plan.leaders.gain_measure == "share" else "gain_records",
    }
    rows = []
    for _, row in picks.iterrows():
        category = row["category"]
        texts = {}
        for lang in LANGS:
            if category == "share":
                texts[lang] = t(
                    "progress.leader.share",
                    lang,
                    share=fmt_pct(row[RANK_SHARE], lang),
                    assigned=fmt_int(row["veh_cleanable"], lang),
                    rank=fmt_int(row["rank"], lang),
                    units=fmt_int(ranked, lang),
                    median=fmt_pct(median, lang),
                )
            else:
                texts[lang] = t(
                    "progress.leader.gain",
                    lang,
                    gain=fmt_int(row["veh_gain_week"], lang),
                    points=fmt_pct(row["_points"], lang),
                    rate=fmt_num(row["veh_rate_7d"], lang),
                    cleanable=fmt_int(row["veh_cleanable"], lang),
                )
        rows.append(
            {
                "unit_code": row["unit_code"],
                "unit_name": row["unit_name"],
                "category": category,
                "measure": measures[category],
                "position": int(row["position"]),
                "value": float(row["_v"]),
                "reason_vi": texts["vi"],
                "reason_en": texts["en"],
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "unit_code",
            "unit_name",
            "category",
            "measure",
            "position",
            "value",
            "reason_vi",
            "reason_en",
        ],
    )
    return out.astype(
        {
            "unit_code": "str",
            "unit_name": "str",
            "category": "str",
            "measure": "str",
            "position": "int64",
            "value": "float64",
            "reason_vi": "str",
            "reason_en": "str",
        }
    )


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
    plan = plan.in_force(as_of)
    veh = city.set_index("kind").loc["vehicle"]
    lic = city.set_index("kind").loc["licence"]
    named = plan.leaders.named_in_talking_points
    rows: list[dict[str, Any]] = []
    for lang in LANGS:
        rate, _required = pace_texts(veh["rate_7d"], veh["required_rate"], lang)
        texts = [
            t(
                "progress.talking.totals",
                lang,
                date=fmt_date(as_of, lang),
                cleaned=fmt_int(veh["cleaned"], lang),
                cleanable=fmt_int(veh["cleanable"], lang),
                share=pct_text(veh["share_cleaned_cleanable"], lang),
                difficult=fmt_int(veh["difficult"], lang),
                resolved=fmt_int(veh["difficult_resolved"], lang),
                open=fmt_int(veh["difficult_open"], lang),
                lic_cleaned=fmt_int(lic["cleaned"], lang),
                lic_cleanable=fmt_int(lic["cleanable"], lang),
                lic_share=pct_text(lic["share_cleaned_cleanable"], lang),
                lic_difficult=fmt_int(lic["difficult"], lang),
            ),
            t(
                "progress.talking.week",
                lang,
                since=fmt_date(veh["period_start"], lang),
                days=fmt_int(veh["period_days"], lang),
                gain=fmt_int(veh["gain_week"], lang),
                rate=rate,
                change=change_text(veh["gain_week"], veh["gain_prev_week"], lang),
            ),
            _projection_text(veh, plan, as_of, lang),
            standing_text(veh, lic, lang),
            compared_text(veh, lic, lang),
        ]
        backlog = _backlog_text(units, city, lang)
        if backlog:
            texts.append(backlog)
        texts.append(
            t(
                "progress.talking.submissions",
                lang,
                week=fmt_int(veh["submissions_week"] + lic["submissions_week"], lang),
                veh=fmt_int(veh["submissions_week"], lang),
                total=fmt_int(veh["submissions_total"] + lic["submissions_total"], lang),
            )
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
    while decimals < 4 and (
        (share < 1.0 and text == fmt_pct(1.0, lang, decimals))
        or (share > 0.0 and text == fmt_pct(0.0, lang, decimals))
    ):
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
        while (
            decimals < max_decimals
            and float(rate) != float(required)
            and fmt_num(rate, lang, decimals) == fmt_num(required, lang, decimals)
        ):
            decimals += 1
    for v in (rate, required):
        # a pace that is needed (or made) is never shown as 0
        while (
            known(v)
            and decimals < max_decimals
            and 0 < float(v)
            and float(fmt_num(v, "en", decimals).replace(",", "")) == 0
        ):
            decimals += 1

    def text(v: Any) -> str:
        if not known(v):
            return "–"
        return fmt_int(v, lang) if decimals == 0 else fmt_num(v, lang, decimals)

    return text(rate), text(required)


# a change is said in per cent only from this previous-period gain on: +5 on 1 is no "+500 %"
CHANGE_MIN_BASE = 100


def change_text(gain: Any, prev: Any, lang: str) -> str:
    """This week's gain against the previous week's, as the conferences say it: the change in
    records and in per cent of the previous week (two decimals); in records only when the
    previous week cleaned fewer than ``CHANGE_MIN_BASE`` records."""
    if prev is None or pd.isna(prev):
        return t("progress.talking.change_first", lang)
    gain, prev = int(gain), int(prev)
    if prev == 0:
        return t("progress.talking.change_from_none", lang)
    if gain == prev:
        return t("progress.talking.change_same", lang, prev=fmt_int(prev, lang))
    key = "change_up" if gain > prev else "change_down"
    if prev < CHANGE_MIN_BASE:
        key += "_records"
    return t(
        f"progress.talking.{key}",
        lang,
        prev=fmt_int(prev, lang),
        diff=fmt_int(abs(gain - prev), lang),
        pct=fmt_pct(abs(gain - prev) / prev, lang, 2),
    )


def deadline_reached(city: pd.Series) -> bool:
    """Whether a city_progress row's week reached the deadline in force (no day left): its
    standings are then outcomes (finished, not finished, off track), not forecasts."""
    days_left = city.get("days_left")
    return days_left is not None and not pd.isna(days_left) and int(days_left) == 0


def standing_text(veh: pd.Series, lic: pd.Series, lang: str) -> str:
    """The talking point counting units by standing, per kind: forecasts before the deadline,
    outcomes once it is reached (``deadline_reached``)."""
    if deadline_reached(veh):
        return t(
            "progress.talking.standing_reached",
            lang,
            finished=fmt_int(veh.get("units_finished", 0), lang),
            not_finished=fmt_int(veh.get("units_not_finished", 0), lang),
            off=fmt_int(veh["units_off_track"], lang),
            lic_finished=fmt_int(lic.get("units_finished", 0), lang),
            lic_not_finished=fmt_int(lic.get("units_not_finished", 0), lang),
            lic_off=fmt_int(lic["units_off_track"], lang),
            conduct=fmt_int(veh["units_conduct"], lang),
        )
    return t(
        "progress.talking.standing",
        lang,
        off=fmt_int(veh["units_off_track"], lang),
        risk=fmt_int(veh["units_at_risk"], lang),
        on=fmt_int(veh["units_on_track"], lang),
        lic_off=fmt_int(lic["units_off_track"], lang),
        lic_risk=fmt_int(lic["units_at_risk"], lang),
        lic_on=fmt_int(lic["units_on_track"], lang),
        conduct=fmt_int(veh["units_conduct"], lang),
    )


def compared_text(veh: pd.Series, lic: pd.Series, lang: str) -> str:
    """Units that compared owners with the population database and how far, as reported."""
    return t(
        "progress.talking.compared",
        lang,
        units=fmt_int(veh["units_compared"], lang),
        with_records=fmt_int(veh["units_with_records"], lang),
        low=pct_text(veh["unit_share_compared_min"], lang),
        high=pct_text(veh["unit_share_compared_max"], lang),
        share=pct_text(veh["share_compared"], lang),
        lic_share=pct_text(lic["share_compared"], lang),
    )


def _projection_text(veh: pd.Series, plan: Plan, as_of: date, lang: str) -> str:
    """Where the city's cleanable vehicle records stand against the deadline in force: before
    it, the projected finish and the pace the (extended) end needs; on or after it, what is left
    and when the current pace finishes it (days overdue when past it). "Never" only when no
    record was cleaned in the last 7 days. An extension in force opens the sentence."""
    plan = plan.in_force(as_of)
    deadline = fmt_date(plan.end, lang)
    extension = extension_text(plan, as_of, lang)
    remaining = fmt_int(veh["remaining"], lang)
    rate, required = pace_texts(veh["rate_7d"], veh["required_rate"], lang)
    finish = veh["projected_finish"]
    never = finish is None or pd.isna(finish)
    finish_text = "" if never else fmt_date(finish, lang)
    overdue = plan.days_overdue(as_of)
    # before the end: days the finish lies after it; on or after it: days overdue
    late = int(veh["days_late"]) if veh["days_left"] > 0 and not never else overdue
    if veh["remaining"] <= 0:
        key = "projection_done"
    elif veh["days_left"] > 0:
        key = (
            "projection_never"
            if never
            else ("projection_late" if int(veh["days_late"]) > 0 else "projection_early")
        )
    elif overdue > 0:
        key = "projection_passed_never" if never else "projection_passed"
    else:
        key = "projection_ends_never" if never else "projection_ends"
    sentence = t(
        f"progress.talking.{key}",
        lang,
        deadline=deadline,
        remaining=remaining,
        finish=finish_text,
        days=_days_text(late, lang),
        required=required,
        rate=rate,
    )
    return f"{extension} {sentence}" if extension else sentence


def _backlog_text(units: pd.DataFrame, city: pd.DataFrame, lang: str) -> str:
    ranked = backlog_ranking(units)
    if ranked.empty:
        return t("progress.talking.backlog_none", lang)
    worst = ranked.iloc[0]
    return t(
        "progress.talking.backlog",
        lang,
        total=fmt_int(city["backlog_submissions"].iloc[0], lang),
        unit=worst["unit_name"],
        pending=fmt_int(worst["backlog_pending"], lang),
        days=_days_text(int(worst["backlog_oldest_days"]), lang),
    )
