"""What each part of the briefing shows, as already-formatted values: one pure function per
part (``cover_part``, ``summary_part``, ... ``appendix_part``) returning a dict the part's
template in ``reports/templates/briefing/parts/`` lays out.

Numbers are formatted in the language here, words come from the catalogues; no HTML is built
here (the templates escape every value). Reads only
:class:`~helpers.briefing.data.BriefingData` and the plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from helpers.briefing.data import BriefingData
from helpers.briefing.tables import (
    KINDS,
    city_row,
    laggard_rule_counts,
    laggards_in_order,
    leader_measure,
    previous_told,
    rank_share,
    reason_sentences,
    source_freshness,
    target_share,
    week_span,
)
from helpers.briefing.text import (
    Text,
    date_text,
    hanoi_now,
    int_text,
    is_missing,
    or_zero,
    pct_text,
    source_label,
)
from helpers.config import Plan
from helpers.i18n import check_lang, fmt_date, fmt_int, fmt_pct, t
from helpers.progress.deadline import deadline_note, extension_text, peak_day_text
from helpers.progress.narrative import CHANGE_MIN_BASE, deadline_reached
from helpers.statuses import breach_of

# The parts after the cover, in document order: (section id, catalogue key of its heading).
# The contents list exactly these (the campaign summary only in a week that has it); tests
# check every <section> of the body is among them.
PARTS: tuple[tuple[str, str], ...] = (
    ("summary", "sections.summary"),
    ("final", "sections.final"),
    ("followup", "sections.followup"),
    ("city", "sections.city"),
    ("units", "sections.units"),
    ("laggards", "sections.laggards"),
    ("leaders", "sections.leaders"),
    ("commitments", "sections.commitments"),
    ("backlog", "sections.backlog"),
    ("orgs", "sections.orgs"),
    ("quality", "sections.quality"),
    ("appendix", "sections.appendix"),
    ("final_results", "sections.final_results"),
    ("history", "sections.history"),
)


def table(
    headers: Sequence[str],
    rows: Sequence[Any],
    *,
    classes: Sequence[str] = (),
    widths: Sequence[str] = (),
    table_class: str = "data",
    foot: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A table for the ``data_table`` macro: headers, rows (lists of texts, or dicts a part's
    template lays out itself), a class and a width per column, an optional total row."""
    return {
        "headers": list(headers),
        "rows": list(rows),
        "classes": list(classes) or ["" for _ in headers],
        "widths": list(widths),
        "table_class": table_class,
        "foot": None if foot is None else list(foot),
    }


def two_up(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    classes: Sequence[str],
    widths: Sequence[str],
    min_rows: int = 8,
) -> dict[str, Any]:
    """A long, narrow list as one table with two runs of columns side by side (first half of
    the rows on the left, second half on the right), so it does not run over pages."""
    if len(rows) < min_rows:
        return table(headers, rows, classes=classes, widths=widths)
    half = (len(rows) + 1) // 2
    blank = [""] * len(headers)
    paired = [
        [*rows[i], "", *(rows[i + half] if i + half < len(rows) else blank)] for i in range(half)
    ]
    scale = 48.0 / sum(float(w.rstrip("%")) for w in widths)
    cols = [f"{float(w.rstrip('%')) * scale:.1f}%" for w in widths]
    return table(
        [*headers, "", *headers],
        paired,
        classes=[*classes, "gap", *classes],
        widths=[*cols, "4%", *cols],
    )


def get(row: pd.Series, column: str) -> Any:
    """A column of a progress row, or None for tables written before it existed."""
    return row[column] if column in row.index else None


# ---------------------------------------------------------------------------------------
# cover


def data_as_of_part(data: BriefingData, plan: Plan, lang: str) -> dict[str, Any] | None:
    """The cover's "data as of" block: each source's delivery date, a stale one marked, and
    the ledger's warnings. None when the ledger names no delivery."""
    if not data.sources:
        return None
    text = Text(lang)
    freshness = source_freshness(data.sources, data.week, plan.cadence_days)
    sources = []
    for r in freshness.itertuples():
        when = fmt_date(r.delivery, lang) if r.delivery else text("cover.not_received")
        note = ""
        if r.stale:
            note = "⚠ " + (
                text("cover.stale", days=r.age_days)
                if r.age_days is not None
                else text("cover.not_received")
            )
        sources.append(
            {
                "source": source_label(r.source, lang),
                "when": when,
                "note": note,
                "stale": bool(r.stale),
            }
        )
    messages = [w.get(f"message_{lang}") or w.get("code", "") for w in data.warnings]
    return {
        "sources": sources,
        "warnings": [m for m in messages if m],
        "has_warnings": bool(messages),
        # alarms the duty officer accepted (helpers.ingest.alarms): first, in bold red
        "alarms": [m for w, m in zip(data.warnings, messages, strict=True) if w.get("accepted")],
    }


def cover_part(
    data: BriefingData, plan: Plan, lang: str, generated_at: datetime | None = None
) -> dict[str, Any]:
    """Plan number and title, week covered, conference date, generated at, the date of each
    source's data (stale ones marked), contents."""
    check_lang(lang)
    text = Text(lang)
    plan = plan.in_force(data.as_of)
    generated_at = generated_at or hanoi_now()
    start, end = week_span(plan, data.week, data.city)
    conference = plan.conference_date(data.as_of)
    extension = extension_text(plan, data.as_of, lang)
    facts = [
        (
            text("cover.week_covered"),
            text(
                "cover.week_span",
                start=fmt_date(start, lang),
                end=fmt_date(end, lang),
                peak_day=peak_day_text(plan, data.as_of, lang),
            ),
        ),
        (text("cover.conference"), fmt_date(conference, lang)),
        (
            text("cover.peak"),
            text("cover.peak_span", start=fmt_date(plan.start, lang), end=fmt_date(plan.end, lang)),
        ),
        *([(text("cover.extension"), extension)] if extension else []),
        (
            t("common.generated_at", lang),
            generated_at.strftime("%H:%M ") + fmt_date(generated_at, lang),
        ),
    ]
    return {
        "issuer": plan.issuer[lang],
        "plan_no": text("cover.plan", number=plan.number, dated=fmt_date(plan.dated, lang)),
        "plan_title": plan.title[lang],
        "facts": facts,
        "data_as_of": data_as_of_part(data, plan, lang),
        "contents": [
            (part, text(key))
            for part, key in PARTS
            if part not in ("final", "final_results") or data.final is not None
        ],
    }


# ---------------------------------------------------------------------------------------
# summary


def kpi_values(data: BriefingData, kind: str, lang: str) -> dict[str, str]:
    """The KPI tile figures of one kind, formatted (also what the tests look for)."""
    city = city_row(data, kind)
    return {
        "assigned": int_text(city["assigned"], lang),
        "submitted": int_text(city["submitted"], lang),
        "compared": int_text(get(city, "compared"), lang),
        "cleaned": int_text(city["cleaned"], lang),
        "share_cleaned_cleanable": pct_text(get(city, "share_cleaned_cleanable"), lang),
        "difficult": int_text(city["difficult"], lang),
        "gain_week": int_text(city["gain_week"], lang),
        "days_left": int_text(city["days_left"], lang),
    }


def pace_line(city: pd.Series, lang: str, *, last_day: bool = False) -> str:
    """Pace against the pace needed, with the decimals that keep them apart. On the deadline's
    own day (``last_day``) and after it no pace is asked: what is left, said as the last day or
    as past the deadline."""
    from helpers.progress import pace_texts

    rate, required = pace_texts(city["rate_7d"], city["required_rate"], lang)
    remaining = get(city, "remaining")
    if is_missing(city["required_rate"]) and not is_missing(remaining) and int(remaining) > 0:
        # on or past the deadline no pace is required: say what is left
        left = int_text(city["remaining"], lang)
        key = "pace_last_day" if last_day else "pace_left"
        return t(f"briefing.kpi.{key}", lang, rate=rate, remaining=left)
    return t("briefing.kpi.pace", lang, rate=rate, required=required)


def period_note(city: pd.Series, lang: str, told: int | None = None) -> str:
    """What "this week" counts: the conference's period (since the day after the previous
    conference's delivery, or the peak's first day at the first conference), and the previous
    period's figure (none at the first conference: the days before the peak are no week);
    ``told``: what the previous conference was told, when later deliveries revised it."""
    start = get(city, "period_start")
    days = get(city, "period_days")
    since = ""
    if not is_missing(start) and not is_missing(days):
        since = t(
            "briefing.kpi.period", lang, date=date_text(start, lang), days=int_text(days, lang)
        )
    if is_missing(get(city, "gain_prev_week")):
        return since + t("briefing.kpi.first_conference", lang)
    value = int_text(city["gain_prev_week"], lang)
    if told is not None and told != int(city["gain_prev_week"]):
        return since + t(
            "briefing.kpi.prev_week_revised", lang, value=value, told=int_text(told, lang)
        )
    return since + t("briefing.kpi.prev_week", lang, value=value)


def _tile(label: str, value: str, note: str = "", extra: str = "") -> dict[str, str]:
    return {"label": label, "value": value, "note": note, "extra": extra}


def summary_part(data: BriefingData, plan: Plan, lang: str) -> dict[str, Any]:
    """KPI tiles per kind (progress on the records review can clean, the difficult groups
    apart, the comparison with the population database) and the talking points."""
    text = Text(lang)
    plan = plan.in_force(data.as_of)
    overdue = plan.phase(data.as_of) == "overdue"
    days_key = "days_overdue" if overdue else "days_left"
    days_label = t(f"progress.deadline.{days_key}", lang)
    kinds = []
    for kind in KINDS:
        city = city_row(data, kind)
        v = kpi_values(data, kind, lang)
        if is_missing(city["projected_finish"]):
            finish = text("kpi.never")
        else:
            finish = text("kpi.projected", date=date_text(city["projected_finish"], lang))
        on_track = bool(city["on_track"]) if not is_missing(city["on_track"]) else False
        change = ""
        if not is_missing(get(city, "gain_change_share")):
            sign = "+" if float(city["gain_change"]) >= 0 else "−"
            # on a tiny previous period the change is said in records only (no "+500 %")
            small = or_zero(get(city, "gain_prev_week")) < CHANGE_MIN_BASE
            change = " · " + text(
                "kpi.change_records" if small else "kpi.change",
                diff=sign + int_text(abs(city["gain_change"]), lang),
                pct=sign + fmt_pct(abs(float(city["gain_change_share"])), lang, 2),
            )
        tiles = [
            _tile(text("kpi.assigned"), v["assigned"]),
            _tile(
                text("kpi.submitted"),
                v["submitted"],
                text("kpi.of_assigned", share=pct_text(city["share_submitted"], lang)),
            ),
            _tile(
                text(f"kpi.compared_{kind}"),
                v["compared"],
                text("kpi.of_assigned", share=pct_text(get(city, "share_compared"), lang)),
            ),
            _tile(
                text("kpi.cleaned"),
                v["cleaned"],
                text("kpi.of_cleanable", cleanable=int_text(get(city, "cleanable"), lang)),
            ),
            _tile(
                text("kpi.share_cleaned"),
                v["share_cleaned_cleanable"],
                text("kpi.target", share=fmt_pct(target_share(plan, kind), lang, 0)),
                "key " + ("good" if on_track else "bad"),
            ),
            _tile(
                text("kpi.difficult"),
                v["difficult"],
                text(
                    "kpi.difficult_note",
                    resolved=int_text(get(city, "difficult_resolved"), lang),
                    open=int_text(get(city, "difficult_open"), lang),
                ),
            ),
            _tile(
                text("kpi.gain_week"),
                v["gain_week"],
                period_note(city, lang, previous_told(data, kind)) + change,
            ),
            _tile(
                days_label,
                int_text(get(city, days_key), lang),
                deadline_note(plan, data.as_of, lang),
            ),
        ]
        if deadline_reached(city):  # the outcome: nobody is "at risk" of a deadline reached
            standing = text(
                f"kpi.units_standing_{kind}_reached",
                finished=int_text(or_zero(get(city, "units_finished")), lang),
                not_finished=int_text(or_zero(get(city, "units_not_finished")), lang),
                off=int_text(city["units_off_track"], lang),
            )
        else:
            standing = text(
                f"kpi.units_standing_{kind}",
                on=int_text(city["units_on_track"], lang),
                risk=int_text(city["units_at_risk"], lang),
                off=int_text(city["units_off_track"], lang),
            )
        kinds.append(
            {
                "label": text(f"kind.{kind}"),
                "tiles": tiles,
                "pace": f"{pace_line(city, lang, last_day=data.as_of == plan.end)} · {finish}"
                f" · {standing}",
            }
        )
    conduct = get(city_row(data, "vehicle"), "units_conduct")
    points = data.talking_points[data.talking_points["lang"] == lang].sort_values("order")
    return {
        "kinds": kinds,
        "conduct": None
        if is_missing(conduct)
        else text("kpi.units_conduct", n=int_text(conduct, lang)),
        "points": [str(p) for p in points["text"]],
        "laggards": summary_laggards(data, lang),
    }


# laggards named on the summary page, worst first; the rest are counted and sent to their part
SUMMARY_LAGGARDS = 5


def summary_laggards(data: BriefingData, lang: str) -> dict[str, Any]:
    """The chair's list of whom to criticise, on the summary page: the first
    ``SUMMARY_LAGGARDS`` laggards worst first, each with its rank, share, what it is named for
    (progress or conduct) and the first sentence of its reason (the first rule that names it),
    then how many more are named and where the full list is."""
    text = Text(lang)
    laggards = laggards_in_order(data.laggards)
    share_col = rank_share(laggards) if len(laggards) else "veh_share_cleaned"
    shown = laggards.head(SUMMARY_LAGGARDS)
    rows = []
    for _, r in shown.iterrows():
        row = laggard_row(r, share_col, lang)
        row["reason"] = next(iter(row.pop("reasons")), "")  # the first rule's sentence
        rows.append(row)
    more = len(laggards) - len(shown)
    return {
        "title": text(
            "summary.laggards_title",
            count=int_text(len(laggards), lang),
            units=int_text(len(data.units), lang),
        ),
        "headers": [
            text("summary.laggards_rank"),
            t("common.unit", lang),
            text("summary.laggards_share"),
            text("summary.laggards_reason"),
        ],
        "rows": rows,
        "more": text(
            "summary.laggards_more" if more else "summary.laggards_all",
            n=int_text(more, lang),
            shown=int_text(len(shown), lang),
            # the part's title without its number: the page number says where it is
            section=re.sub(r"^\d+\.\s*", "", text("sections.laggards")),
        ),
        "none": text("laggards.none"),
    }


# ---------------------------------------------------------------------------------------
# laggards and leaders


def breach_label(row: pd.Series, lang: str) -> str:
    return t(f"progress.breach.{breach_of(row)}", lang)


def laggard_row(r: pd.Series, share_col: str, lang: str) -> dict[str, Any]:
    """One laggard as the summary and the laggards part show it: rank, unit, what it is named
    for, its ranked share and the sentences of its reason, one per rule."""
    return {
        "rank": int_text(r["rank"], lang),
        "unit": r["unit_name"],
        "breach": breach_of(r),
        "breach_label": breach_label(r, lang),
        "share": pct_text(r[share_col], lang),
        "reasons": reason_sentences(
            r[f"reason_{lang}"], lang, r["rules"] if "rules" in r.index else None
        ),
    }


def laggards_part(data: BriefingData, plan: Plan, lang: str) -> dict[str, Any]:
    """Every laggard with every reason sentence, the rules they broke; the leaders with
    theirs."""
    plan = plan.in_force(data.as_of)  # the deadline in force at the week
    from helpers.progress import CONDUCT_RULES, KIND_CONTEXT_RULES

    text = Text(lang)
    reason_col = f"reason_{lang}"
    # worst first, as the conference takes them
    laggards = laggards_in_order(data.laggards)
    share_col = rank_share(laggards)
    rows = [laggard_row(r, share_col, lang) for _, r in laggards.iterrows()]
    by_rule = laggard_rule_counts(laggards)
    rule_rows = []

    def context(code: str) -> bool:  # never names a unit alone: only counted among the named
        return code.split("_", 1)[-1] in KIND_CONTEXT_RULES and code not in CONDUCT_RULES

    for group, wanted in (
        ("progress", lambda c: c not in CONDUCT_RULES and not context(c)),
        ("conduct", lambda c: c in CONDUCT_RULES),
        ("context", context),
    ):
        mine = [(c, n) for c, n in by_rule.items() if wanted(c)]
        if mine:
            rule_rows.append({"group": text(f"laggards.rules_{group}")})
            rule_rows += [
                {"rule": t(f"progress.rule_name.{c}", lang), "units": fmt_int(n, lang)}
                for c, n in mine
            ]
    leaders: list[dict[str, Any]] = []
    for category in ("share", "gain"):
        rows_cat = data.leaders[data.leaders["category"] == category].sort_values("position")
        if rows_cat.empty:
            measure = (
                "share_cleanable" if category == "share" else f"gain_{plan.leaders.gain_measure}"
            )
            leaders.append(
                {
                    "title": text(f"leaders.category_{measure}"),
                    "table": None,
                    "note": text(f"leaders.none_{category}"),
                }
            )
            continue
        measure = leader_measure(rows_cat, plan)
        fmt = int_text if measure == "gain_records" else pct_text
        leader_rows = [
            {
                "position": int_text(r["position"], lang),
                "unit": r["unit_name"],
                "value": fmt(r["value"], lang),
                "reasons": reason_sentences(r[reason_col], lang),
            }
            for _, r in rows_cat.iterrows()
        ]
        leaders.append(
            {
                "title": text(f"leaders.category_{measure}"),
                "table": table(
                    [
                        text("leaders.position"),
                        t("common.unit", lang),
                        text(f"leaders.value_{measure}"),
                        text("leaders.reasons"),
                    ],
                    leader_rows,
                    classes=["num", "text", "num", "text reasons"],
                    widths=["7%", "22%", "11%", "60%"],
                ),
                "note": "",
            }
        )
    return {
        "lead": text("laggards.lead", count=len(laggards), units=len(data.units)),
        "rules": table(
            [text("laggards.rule"), text("laggards.units_named")],
            rule_rows,
            classes=["text", "num"],
            widths=["80%", "20%"],
            table_class="data compact",
        )
        if rule_rows
        else None,
        "laggards": table(
            [
                text("laggards.rank"),
                t("common.unit", lang),
                text("laggards.share"),
                text("laggards.reasons"),
            ],
            rows,
            classes=["num", "text", "num", "text reasons"],
            widths=["6%", "20%", "9%", "65%"],
            table_class="data laggards",
        )
        if rows
        else None,
        "leaders": leaders,
        # no unit praised by the rules: say so, and show the best units' figures all the same
        "best": best_units_part(data, plan, lang) if data.leaders.empty else None,
    }


def best_units_part(data: BriefingData, plan: Plan, lang: str) -> dict[str, Any]:
    """When no unit can be praised by the rules (every unit with progress broke a laggard
    rule, or none progressed): the ``leaders.top_n`` units with the highest share of cleanable
    vehicle records cleaned, with their figures and standing, under a sentence saying why
    none is praised."""
    text = Text(lang)
    share_col = rank_share(data.units)
    units = data.units.loc[data.units["veh_assigned"] > 0]
    best = units.sort_values([share_col, "unit_code"], ascending=[False, True]).head(
        max(plan.leaders.top_n, 1)
    )
    rows = [
        [
            int_text(r["rank"], lang),
            r["unit_name"],
            pct_text(r[share_col], lang),
            int_text(r["veh_gain_week"], lang),
            t(f"progress.standing.{r['standing']}", lang),
        ]
        for _, r in best.iterrows()
    ]
    return {
        "lead": text("leaders.none", n=fmt_int(len(rows), lang)),
        "table": table(
            [
                text("laggards.rank"),
                t("common.unit", lang),
                text("leaders.value_share_cleanable"),
                text("leaders.value_gain_records"),
                text("leaders.standing"),
            ],
            rows,
            classes=["num", "text", "num", "num", "text"],
            widths=["8%", "34%", "20%", "18%", "20%"],
        ),
    }
