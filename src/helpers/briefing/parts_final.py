"""What the campaign summary part of the briefing shows ("Tổng kết cao điểm" / "Campaign
summary"), as already-formatted values: the whole-campaign figures, the units praised and
criticised for the whole campaign with their reasons, the difficult records still open to hand
over (per difficult group and per unit, with where each unit finds its records), and each
unit's final result.

Only in a week that reaches the end of the peak: progress writes the campaign summary's tables
then (:mod:`helpers.progress.final`), and :func:`final_part` is None in every other week. Reads
only :class:`~helpers.briefing.data.BriefingData` and the plan; no HTML is built here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from helpers.briefing.data import BriefingData
from helpers.briefing.parts import table
from helpers.briefing.tables import reason_sentences
from helpers.briefing.text import (
    Text,
    date_text,
    int_text,
    is_missing,
    pct_text,
    status_label,
)
from helpers.config import Plan
from helpers.i18n import fmt_date, t
from helpers.record_tables import STATUS_LIST

# the difficult groups' order on the page: the handover table's, vehicles first
KIND_ORDER = {"vehicle": 0, "licence": 1}


def has_final(data: BriefingData) -> bool:
    """The week carries the campaign summary (it reaches the end of the peak)."""
    return data.final is not None


def figures_table(figures: pd.DataFrame, lang: str) -> dict[str, Any]:
    """The whole-campaign figures: what each counts, the number, what it is of, the share."""
    text = Text(lang)
    rows = []
    for r in figures.sort_values("order").itertuples():
        key = r.measure if is_missing(r.kind) else f"{r.measure}_{r.kind}"
        of = "–"
        if not is_missing(r.total):
            of = text(f"final.total.{r.measure}", total=int_text(r.total, lang))
        rows.append(
            [
                text(f"final.measure.{key}"),
                text(f"final.counted.{r.counts}"),
                int_text(r.value, lang),
                of,
                pct_text(r.share, lang) if not is_missing(r.share) else "–",
            ]
        )
    return table(
        [
            text("final.figure"),
            text("final.counts"),
            text("final.value"),
            text("final.of"),
            text("final.share"),
        ],
        rows,
        classes=["text", "text", "num", "text", "num"],
        widths=["38%", "14%", "12%", "25%", "11%"],
        table_class="data",
    )


def verdict_table(verdicts: pd.DataFrame, verdict: str, lang: str) -> dict[str, Any] | None:
    """The units praised (or criticised) with one reason sentence per rule; None when none."""
    text = Text(lang)
    mine = verdicts[verdicts["verdict"] == verdict].sort_values("position")
    if mine.empty:
        return None
    rows = [
        {
            "position": int_text(r["position"], lang),
            "unit": r["unit_name"],
            "reasons": reason_sentences(r[f"reason_{lang}"], lang, r["rules"]),
        }
        for _, r in mine.iterrows()
    ]
    return table(
        [text("final.position"), t("common.unit", lang), text("final.reasons")],
        rows,
        classes=["num", "text", "text reasons"],
        widths=["7%", "23%", "70%"],
    )


def best_units(units: pd.DataFrame, n: int, lang: str) -> dict[str, Any]:
    """When no unit meets the praise rules: the ``n`` best units' figures all the same (a
    section is never empty)."""
    text = Text(lang)
    best = units.dropna(subset=["veh_share_cleaned_cleanable"]).sort_values(["rank", "unit_name"])
    rows = [
        [
            int_text(r["rank"], lang),
            r["unit_name"],
            pct_text(r["veh_share_cleaned_cleanable"], lang),
            f"{int_text(r['veh_cleaned'], lang)} / {int_text(r['veh_cleanable'], lang)}",
        ]
        for _, r in best.head(max(n, 1)).iterrows()
    ]
    return table(
        [
            text("final.rank"),
            t("common.unit", lang),
            text("final.veh_share_cleanable"),
            text("final.cleaned_of_cleanable"),
        ],
        rows,
        classes=["num", "text", "num", "num"],
        widths=["8%", "40%", "26%", "26%"],
        table_class="data compact",
    )


def handover_groups(handover: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Open records per difficult group (city), with the units still holding some."""
    text = Text(lang)
    groups = (
        handover.groupby(["kind", "group"], as_index=False)
        .agg(open=("open", "sum"), records=("records", "sum"), units=("unit_code", "nunique"))
        .assign(_kind=lambda f: f["kind"].map(KIND_ORDER))
        .sort_values(["_kind", "open", "group"], ascending=[True, False, True])
    )
    rows = [
        [
            status_label(r.group, lang),
            text(f"kind.{r.kind}"),
            int_text(r.open, lang),
            int_text(r.units, lang),
        ]
        for r in groups.itertuples()
    ]
    return table(
        [
            text("final.group"),
            text("final.kind"),
            text("final.open"),
            text("final.units_with_open"),
        ],
        rows,
        classes=["text", "text", "num", "num"],
        widths=["46%", "24%", "15%", "15%"],
        table_class="data compact",
        # the total adds vehicles and licences: the kind column says how many of each
        foot=[
            text("final.city_total"),
            "; ".join(
                f"{text(f'kind.{kind}')} {int_text(n, lang)}"
                for kind, n in groups.groupby("kind", sort=False)["open"].sum().items()
            ),
            int_text(groups["open"].sum(), lang),
            "",
        ],
    )


def handover_units(handover: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Per unit still holding difficult records: open vehicle, licence and total records, and
    its largest group; the city totals at the foot."""
    text = Text(lang)
    by_kind = handover.pivot_table(
        index=["unit_code", "unit_name"], columns="kind", values="open", aggfunc="sum"
    ).reindex(columns=list(KIND_ORDER), fill_value=0)
    by_kind = by_kind.fillna(0).astype("int64")
    by_kind["total"] = by_kind.sum(axis=1)
    largest = handover.sort_values(["open", "group"], ascending=[False, True]).drop_duplicates(
        "unit_code"
    )
    largest = largest.set_index("unit_code")
    by_kind = by_kind.reset_index().sort_values(["total", "unit_name"], ascending=[False, True])
    rows = []
    for r in by_kind.itertuples():
        top = largest.loc[r.unit_code]
        rows.append(
            [
                r.unit_name,
                int_text(r.vehicle, lang),
                int_text(r.licence, lang),
                int_text(r.total, lang),
                f"{status_label(top['group'], lang)} ({int_text(top['open'], lang)})",
            ]
        )
    return table(
        [
            t("common.unit", lang),
            text("final.veh_open"),
            text("final.lic_open"),
            text("final.total_open"),
            text("final.largest_group"),
        ],
        rows,
        classes=["text", "num", "num", "num", "text"],
        widths=["26%", "13%", "13%", "12%", "36%"],
        table_class="data",
        foot=[
            text("final.city_total"),
            int_text(by_kind["vehicle"].sum(), lang),
            int_text(by_kind["licence"].sum(), lang),
            int_text(by_kind["total"].sum(), lang),
            "",
        ],
    )


def handover_where(handover: pd.DataFrame, lang: str) -> str:
    """Where each unit finds its records: the unit pack's sheets of the groups still open."""
    keys = list(dict.fromkeys(STATUS_LIST[g] for g in handover["group"] if g in STATUS_LIST))
    sheets = ", ".join(f"“{t(f'excel.sheets.{k}', lang)}”" for k in keys)
    return Text(lang)(
        "final.handover_where", sheets=sheets, city_sheet=t("excel.sheets.handover", lang)
    )


def outcome_text(row: Any, lang: str) -> str:
    """A unit's final outcome in words: finished, or not finished with the records left."""
    return Text(lang)(f"final.outcome_{row['outcome']}", left=int_text(row["records_left"], lang))


def results_table(units: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Each unit's final result, by rank."""
    text = Text(lang)
    rows = [
        [
            int_text(r["rank"], lang),
            r["unit_name"],
            pct_text(r["veh_share_cleaned_cleanable"], lang),
            pct_text(r["veh_share_cleaned"], lang),
            pct_text(r["lic_share_cleaned_cleanable"], lang),
            int_text(r["difficult_open"], lang),
            date_text(r["finished_on"], lang) if bool(r["finished"]) else "–",
            outcome_text(r, lang),
        ]
        for _, r in units.sort_values(["rank", "unit_name"]).iterrows()
    ]
    return table(
        [
            text("final.rank"),
            t("common.unit", lang),
            text("final.veh_share_cleanable"),
            text("final.veh_share_assigned"),
            text("final.lic_share_cleanable"),
            text("final.difficult_open"),
            text("final.finished_on"),
            text("final.outcome"),
        ],
        rows,
        classes=["num", "text", "num", "num", "num", "num", "num", "text"],
        widths=["7%", "22%", "11%", "11%", "11%", "9.5%", "11.5%", "17%"],
        table_class="data",
    )


def final_part(data: BriefingData, plan: Plan, lang: str) -> dict[str, Any] | None:
    """The campaign summary, or None in a week before the end of the peak."""
    if data.final is None:
        return None
    text = Text(lang)
    figures = data.final["final_figures"]
    deadline = figures["deadline"].iloc[0]
    overdue = int(figures["days_overdue"].iloc[0])
    values = {"deadline": fmt_date(deadline, lang), "week": fmt_date(data.as_of, lang)}
    lead = (
        text("final.lead_overdue", days=int_text(overdue, lang), **values)
        if overdue > 0
        else text("final.lead_end", **values)
    )
    in_force = plan.in_force(data.as_of)
    ext = in_force.extension
    extended = (
        text(
            "final.extended",
            nominal=fmt_date(in_force.nominal_end, lang),
            end=fmt_date(ext.end, lang),
            reference=ext.reference,
            dated=fmt_date(ext.dated, lang),
        )
        if ext is not None and ext.end == deadline and in_force.planned_end is not None
        else ""
    )
    handover = data.final["final_handover"]
    verdicts = data.final["final_verdicts"]
    return {
        "lead": lead,
        "extended": extended,
        "figures": figures_table(figures, lang),
        "praise": verdict_table(verdicts, "praise", lang),
        "best": best_units(data.final["final_units"], plan.final.praise_top_n, lang),
        "criticise": verdict_table(verdicts, "criticise", lang),
        "handover_groups": handover_groups(handover, lang) if len(handover) else None,
        "handover_where": handover_where(handover, lang) if len(handover) else "",
    }


def final_results_part(data: BriefingData, lang: str) -> dict[str, Any] | None:
    """The campaign summary's per-unit tables, in the appendix (the summary itself is what a
    chair reads in two pages): each unit's final result and the difficult records each unit
    hands over; None in a week before the end of the peak."""
    if data.final is None:
        return None
    handover = data.final["final_handover"]
    return {
        "lead": Text(lang)(
            "final.results_lead", count=int_text(len(data.final["final_units"]), lang)
        ),
        "results": results_table(data.final["final_units"], lang),
        "handover_units": handover_units(handover, lang) if len(handover) else None,
        "handover_where": handover_where(handover, lang) if len(handover) else "",
    }
