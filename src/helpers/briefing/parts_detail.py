"""What the detail parts of the briefing show, as already-formatted values: backlog and
difficult groups, organisations, data quality and the appendix of all units (the parts up to
laggards and leaders are in :mod:`helpers.briefing.parts`).

One pure function per part returning a dict its template lays out; no HTML is built here.
Reads only :class:`~helpers.briefing.data.BriefingData`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from helpers.briefing.data import BriefingData
from helpers.briefing.parts import table, two_up
from helpers.briefing.tables import (
    BACKLOG_TOP,
    CONDUCT_MARK,
    DIFFICULT_TOP,
    PREFIX,
    city_row,
    difficult_groups,
    ledger_by_source,
    overstating_units,
    rejects_by_reason,
)
from helpers.briefing.text import (
    Text,
    date_text,
    group_criterion,
    int_text,
    is_missing,
    num_text,
    or_zero,
    pct_text,
    reject_label,
    signed_text,
    standing_label,
    status_label,
)
from helpers.i18n import fmt_int, fmt_pct, t

# difficult groups that leave the list rather than being resolved by an approved submission:
# their "resolved" is 0 by construction, so it is not shown as a measure (docs/rules.md)
UNRESOLVABLE_GROUPS = frozenset({"duplicate_registry_record", "owner_resides_elsewhere"})

# ---------------------------------------------------------------------------------------
# backlog and difficult groups


def backlog_part(data: BriefingData, lang: str) -> dict[str, Any]:
    """Review backlog by unit (top of the list) and city; difficult data groups."""
    from helpers.progress import backlog_ranking

    text = Text(lang)
    units = data.units
    veh, lic = city_row(data, "vehicle"), city_row(data, "licence")
    pending_total = int(units["backlog_pending"].sum())
    lead = text(
        "backlog.lead",
        pending=fmt_int(pending_total, lang),
        units=fmt_int(int((units["backlog_pending"] > 0).sum()), lang),
        oldest=int_text(
            max(or_zero(veh["oldest_pending_days"]), or_zero(lic["oldest_pending_days"])), lang
        ),
    )
    top = backlog_ranking(units).head(BACKLOG_TOP)
    rows = [
        [
            r["unit_name"],
            int_text(r["backlog_pending"], lang),
            num_text(r["backlog_median_lag_days"], lang),
            int_text(r["backlog_oldest_days"], lang),
            int_text(r["veh_pending"], lang),
            int_text(r["lic_pending"], lang),
        ]
        for _, r in top.iterrows()
    ]
    backlog_table = table(
        [
            t("common.unit", lang),
            text("backlog.pending"),
            text("backlog.median_lag"),
            text("backlog.oldest"),
            text("backlog.veh_pending"),
            text("backlog.lic_pending"),
        ],
        rows,
        classes=["text", "num", "num", "num", "num", "num"],
        widths=["30%", "14%", "14%", "14%", "14%", "14%"],
    )
    groups = difficult_groups(units)
    with_resolved = "vehicle_resolved" in groups.columns

    def open_resolved(r: pd.Series, kind: str) -> str:
        if is_missing(r[kind]):
            return "–"
        if not with_resolved:
            return int_text(r[kind], lang)
        if r["status"] in UNRESOLVABLE_GROUPS:  # no approval resolves it: not measured
            return text("backlog.open_unmeasured", open=int_text(r[kind], lang))
        done = or_zero(r[f"{kind}_resolved"])
        return text(
            "backlog.open_resolved",
            open=int_text(or_zero(r[kind]) - done, lang),
            resolved=int_text(done, lang),
        )

    group_rows = [
        {
            "group": status_label(r["status"], lang),
            "criterion": group_criterion(r["status"], lang),
            "vehicle": open_resolved(r, "vehicle"),
            "licence": open_resolved(r, "licence"),
        }
        for _, r in groups.iterrows()
    ]
    totals = {}
    for kind, p in PREFIX.items():
        if with_resolved and f"{p}_difficult_resolved" in units.columns:
            done = or_zero(units[f"{p}_difficult_resolved"].sum())
            totals[kind] = text(
                "backlog.open_resolved",
                open=int_text(or_zero(units[f"{p}_difficult"].sum()) - done, lang),
                resolved=int_text(done, lang),
            )
        else:
            totals[kind] = int_text(units[f"{p}_difficult"].sum(), lang)
    head_key = "backlog.kind_open_resolved" if with_resolved else "kind"
    groups_table = table(
        [text("backlog.group"), text(f"{head_key}.vehicle"), text(f"{head_key}.licence")],
        group_rows,
        classes=["text", "num", "num"],
        widths=["52%", "24%", "24%"],
        foot=[text("backlog.total"), totals["vehicle"], totals["licence"]],
        table_class="data groups",  # "12.345 open / 678 resolved" wraps, never overlaps
    )
    ranked = units.assign(_all=units["veh_difficult"] + units["lic_difficult"])
    ranked = ranked.sort_values(["_all", "unit_name"], ascending=[False, True]).head(DIFFICULT_TOP)
    group_cols = [c for c in units.columns if c.startswith(("veh_group_", "lic_group_"))]
    diff_rows = []
    for _, r in ranked.iterrows():
        largest = ""
        if group_cols:
            col = max(group_cols, key=lambda c: (r[c], c))
            if r[col] > 0:
                kind = "vehicle" if col.startswith("veh_") else "licence"
                code = col.split("_group_", 1)[1]
                largest = (
                    f"{status_label(code, lang)} ({text(f'kind_short.{kind}')}: "
                    f"{fmt_int(r[col], lang)})"
                )
        diff_rows.append(
            [
                r["unit_name"],
                int_text(r["veh_difficult"], lang),
                int_text(r["lic_difficult"], lang),
                largest,
            ]
        )
    diff_table = table(
        [
            t("common.unit", lang),
            text("kind.vehicle"),
            text("kind.licence"),
            text("backlog.largest_group"),
        ],
        diff_rows,
        classes=["text", "num", "num", "text"],
        widths=["28%", "14%", "14%", "44%"],
    )
    return {
        "lead": lead,
        # the headings count the rows listed (fewer units than the top may qualify)
        "by_unit_title": text("backlog.by_unit", n=len(rows)),
        "by_unit": backlog_table if rows else None,  # none waiting: a sentence, no empty table
        "groups": groups_table,
        "unmeasured_note": text("backlog.unmeasured_note")
        if with_resolved and groups["status"].isin(UNRESOLVABLE_GROUPS).any()
        else None,
        "groups_by_unit_title": text("backlog.groups_by_unit", n=len(diff_rows)),
        "groups_by_unit": diff_table,
    }


# ---------------------------------------------------------------------------------------
# organisations


ORG_GAP_TOP = 10  # units listed with the largest gap (fewer when fewer have one)
ORG_TYPES = ("enterprise", "industrial_park", "school", "hospital", "agency", "business_household")


def orgs_part(data: BriefingData, lang: str) -> dict[str, Any]:
    """Dispatches, direct work, vehicles counted and declared, by organisation type."""
    text = Text(lang)
    orgs = data.orgs.copy()
    orgs["_order"] = (
        orgs["org_type"].map({k: i for i, k in enumerate(ORG_TYPES)}).fillna(len(ORG_TYPES))
    )
    orgs = orgs.sort_values("_order")
    number_cols = [
        "orgs",
        "dispatches_sent",
        "worked_directly",
        "vehicles_counted",
        "vehicles_declared",
    ]

    # the rate only over the organisations that gave both figures (progress counts them;
    # tables written before it have none: no rate rather than declared-by-some over
    # counted-by-others)
    both = "counted_both" in orgs.columns

    def share(r: pd.Series) -> str:
        if not both or not or_zero(r["counted_both"]):
            return "–"
        return pct_text(or_zero(r["declared_both"]) / or_zero(r["counted_both"]), lang)

    rows = [
        [text(f"org_type.{r['org_type']}")]
        + [int_text(r[c], lang) for c in number_cols]
        + [share(r)]
        for _, r in orgs.iterrows()
    ]
    sums = [*number_cols, *(("orgs_both", "counted_both", "declared_both") if both else ())]
    totals = orgs[sums].sum()
    foot = [text("orgs.total")] + [int_text(totals[c], lang) for c in number_cols] + [share(totals)]
    by_type = table(
        [
            text("orgs.type"),
            text("orgs.orgs"),
            text("orgs.dispatches"),
            text("orgs.worked_directly"),
            text("orgs.vehicles_counted"),
            text("orgs.vehicles_declared"),
            text("orgs.declared_share"),
        ],
        rows,
        classes=["text"] + ["num"] * 6,
        widths=["22%", "12%", "13%", "13%", "14%", "14%", "12%"],
        foot=foot,
    )
    units = data.units.assign(
        _gap=data.units["org_vehicles_counted"] - data.units["org_vehicles_declared"]
    )
    units = (
        units[units["_gap"] > 0]
        .sort_values(["_gap", "unit_name"], ascending=[False, True])
        .head(ORG_GAP_TOP)
    )
    gap_rows = [
        [
            r["unit_name"],
            int_text(r["org_count"], lang),
            int_text(r["org_dispatches"], lang),
            int_text(r["org_worked_directly"], lang),
            int_text(r["org_vehicles_counted"], lang),
            int_text(r["org_vehicles_declared"], lang),
            int_text(r["_gap"], lang),
        ]
        for _, r in units.iterrows()
    ]
    gap = (
        table(
            [
                t("common.unit", lang),
                text("orgs.orgs"),
                text("orgs.dispatches"),
                text("orgs.worked_directly"),
                text("orgs.vehicles_counted"),
                text("orgs.vehicles_declared"),
                text("orgs.gap"),
            ],
            gap_rows,
            classes=["text"] + ["num"] * 6,
            widths=["25%", "11%", "12%", "12%", "14%", "14%", "12%"],
        )
        if gap_rows
        else None
    )
    return {
        "lead": text(
            "orgs.lead",
            orgs=int_text(totals["orgs"], lang),
            dispatches=int_text(totals["dispatches_sent"], lang),
        )
        + " "
        + text("orgs.share_note", both=int_text(totals["orgs_both"], lang) if both else "–"),
        "by_type": by_type,
        "gap": gap,
        "gap_title": text("orgs.gap_title", n=len(gap_rows)),
    }


# ---------------------------------------------------------------------------------------
# data quality


def _overstating_table(over: pd.DataFrame, lang: str) -> dict[str, Any]:
    text = Text(lang)
    if "self_report_system" not in over.columns:
        over_rows = [
            [
                r["unit_name"],
                pct_text(r["self_report_ratio"], lang),
                int_text(r["days_flagged"], lang),
            ]
            for _, r in over.iterrows()
        ]
        return two_up(
            [t("common.unit", lang), text("quality.ratio"), text("quality.days_flagged")],
            over_rows,
            classes=["text", "num", "num"],
            widths=["50%", "25%", "25%"],
        )
    # reported against system totals, then the counts that overstate (tables from
    # progress) or, for older tables without them, the days flagged
    by_measure = "measures" in over.columns
    header = [
        t("common.unit", lang),
        text("quality.reported"),
        text("quality.system"),
        text("quality.ratio"),
        text("quality.measures" if by_measure else "quality.days_flagged"),
    ]
    over_rows = [
        [
            r["unit_name"],
            int_text(r["self_report_reported"], lang),
            int_text(r["self_report_system"], lang),
            pct_text(r["self_report_ratio"], lang),
            ", ".join(t(f"progress.measure.{m}", lang) for m in r["measures"])
            if by_measure
            else int_text(r["days_flagged"], lang),
        ]
        for _, r in over.iterrows()
    ]
    if by_measure:
        return table(
            header,
            over_rows,
            classes=["text", "num", "num", "num", "text"],
            widths=["26%", "13%", "13%", "13%", "35%"],
        )
    return two_up(
        header,
        over_rows,
        classes=["text", "num", "num", "num", "num"],
        widths=["36%", "16%", "16%", "16%", "16%"],
    )


def quality_part(data: BriefingData, lang: str) -> dict[str, Any]:
    """Rows received/accepted/rejected by source, rejects by reason, overstating self-reports."""
    text = Text(lang)
    ledger = ledger_by_source(data.ledger)
    counts = ("files", "rows_read", "rows_accepted", "rows_rejected", "rows_skipped")
    rows = [
        [text(f"source.{r['source']}")]
        + [int_text(r[c], lang) for c in counts]
        + [fmt_pct(r["rows_rejected"] / r["rows_read"], lang, 2) if r["rows_read"] else "–"]
        for _, r in ledger.iterrows()
    ]
    tot = ledger[list(counts)].sum()
    foot = (
        [text("quality.total")]
        + [int_text(tot[c], lang) for c in counts]
        + [fmt_pct(tot["rows_rejected"] / tot["rows_read"], lang, 2) if tot["rows_read"] else "–"]
    )
    ledger_table = table(
        [
            text("quality.source"),
            text("quality.files"),
            text("quality.rows_read"),
            text("quality.rows_accepted"),
            text("quality.rows_rejected"),
            text("quality.rows_skipped"),
            text("quality.reject_share"),
        ],
        rows,
        classes=["text"] + ["num"] * 6,
        widths=["25%", "9%", "14%", "14%", "13%", "12%", "13%"],
        foot=foot,
    )
    reasons = rejects_by_reason(data.rejects)
    sources = [c for c in reasons.columns if c not in ("reason_code", "total")]
    reasons_table = None
    if len(reasons):
        reason_rows = [
            [reject_label(r["reason_code"], lang)]
            + [int_text(r[s], lang) if r[s] else "·" for s in sources]
            + [int_text(r["total"], lang)]
            for _, r in reasons.iterrows()
        ]
        share = 60 // max(len(sources) + 1, 1)
        reasons_table = table(
            [text("quality.reason")]
            + [text(f"source_short.{s}") for s in sources]
            + [text("quality.total")],
            reason_rows,
            classes=["text"] + ["num"] * (len(sources) + 1),
            widths=["40%"] + [f"{share}%"] * (len(sources) + 1),
        )
    over = overstating_units(data)
    unbalanced = int(ledger["unbalanced"].sum())
    balance_note = (
        text("quality.balanced")
        if unbalanced == 0
        else text("quality.unbalanced", files=fmt_int(unbalanced, lang))
    )
    if data.overlong_texts:
        balance_note += " " + text("quality.cut_texts", count=fmt_int(data.overlong_texts, lang))
    return {
        "ledger": ledger_table,
        "balance_note": balance_note,
        "reasons": reasons_table,
        "overstating_title": text("quality.overstating_title", count=len(over)),
        "overstating": _overstating_table(over, lang) if len(over) else None,
    }


# ---------------------------------------------------------------------------------------
# appendix


APPENDIX_COLUMNS: tuple[tuple[str, str, Callable[[Any, str], str]], ...] = (
    ("rank", "appendix.rank", int_text),
    ("unit_name", "appendix.unit", lambda v, _lang: str(v)),
    ("veh_assigned", "appendix.veh_assigned", int_text),
    ("veh_submitted", "appendix.veh_submitted", int_text),
    ("veh_cleaned", "appendix.veh_cleaned", int_text),
    ("veh_share_cleaned_cleanable", "appendix.veh_share", pct_text),
    ("veh_gain_week", "appendix.veh_gain", int_text),
    ("veh_rate_7d", "appendix.veh_rate", num_text),
    ("veh_required_rate", "appendix.veh_required", num_text),
    ("veh_projected_finish", "appendix.veh_finish", date_text),
    ("lic_assigned", "appendix.lic_assigned", int_text),
    ("lic_cleaned", "appendix.lic_cleaned", int_text),
    ("lic_share_cleaned", "appendix.lic_share", pct_text),
    ("veh_share_compared", "appendix.veh_compared", pct_text),
    ("backlog_pending", "appendix.pending", int_text),
    ("backlog_oldest_days", "appendix.oldest", int_text),
    ("rank_change", "appendix.rank_change", signed_text),
)


def appendix_part(data: BriefingData, lang: str) -> dict[str, Any]:
    """All units, landscape pages, the header row repeated on every page."""
    text = Text(lang)
    units = data.units.sort_values(["rank", "unit_name"], ignore_index=True)
    headers = [text(key) for _, key, _ in APPENDIX_COLUMNS] + [text("appendix.standing")]
    classes = ["num", "text"] + ["num"] * (len(APPENDIX_COLUMNS) - 2) + ["text"]
    rows = []
    for _, r in units.iterrows():
        cells = [fmt(r.get(col), lang) for col, _, fmt in APPENDIX_COLUMNS]
        progress_ = bool(r.get("breaks_progress", r["is_laggard"]))
        conduct = bool(r.get("breaks_conduct", False))
        cells[1] = (
            f"{cells[1]}{' ▼' if progress_ else ''}{' ' + CONDUCT_MARK if conduct else ''}"
            f"{' ★' if r['is_leader'] else ''}"
        )
        rows.append(
            {
                "cells": cells,
                "standing": r["standing"],
                "standing_label": standing_label(r["standing"], lang),
            }
        )
    widths = ["3.5%", "13.5%"] + ["5.1%"] * (len(APPENDIX_COLUMNS) - 2) + ["6.5%"]  # ~ 100 %
    return {
        "lead": text(
            "appendix.lead",
            count=len(units),
            vehicle=text("kind.vehicle"),
            licence=text("kind.licence"),
        ),
        "units": table(
            headers, rows, classes=classes, widths=widths, table_class="data appendix-table"
        ),
    }
