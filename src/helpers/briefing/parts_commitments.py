"""The briefing's part "Commitments of unit commanders": every commitment with its figures
(when given, this week, the target, by when, where the unit's 7-day pace leads) and its status,
missed ones first; one line when no commitment was delivered. Reads only
``BriefingData.commitments`` (the ``commitment_status`` table); the commitment as said is
never shown here (free text: it could hold a name), only in the unit's own pack."""

from __future__ import annotations

from typing import Any

import pandas as pd

from helpers.briefing.data import BriefingData
from helpers.briefing.parts import table
from helpers.briefing.text import date_text, is_missing
from helpers.i18n import fmt_date, fmt_int, t
from helpers.progress.commitments import figure_text
from helpers.statuses import COMMITMENT_STATUSES


def at_by_date_text(row: dict[str, Any], lang: str) -> str:
    """The figure on the by-date: as the system holds it once the date has passed, else where
    the 7-day pace leads ("≈" marks a projection)."""
    if not is_missing(row["value_by"]):
        return figure_text(row["value_by"], str(row["unit"]), lang)
    if row["days_left"] > 0 and not is_missing(row["projected"]):
        return "≈ " + figure_text(row["projected"], str(row["unit"]), lang)
    return "–"


def revised_given(row: dict[str, Any]) -> bool:
    """The figure when given, as counted now, differs from the one the conference was shown."""
    told, now = row.get("value_given_told"), row["value_given"]
    if told is None or is_missing(told) or is_missing(now):
        return False
    return round(float(told), 6) != round(float(now), 6)


def given_text(row: dict[str, Any], lang: str) -> str:
    """The figure when given; a revised one carries '*' and what the conference was shown."""
    unit = str(row["unit"])
    value = figure_text(row["value_given"], unit, lang)
    if not revised_given(row):
        return value
    told = figure_text(row["value_given_told"], unit, lang)
    return t("commitments.revised_given", lang, value=value, told=told)


def commitment_rows(status: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """One row per commitment, in the table's order (missed first): its cells and status."""
    rows = []
    for r in status.sort_values("order", kind="stable").to_dict("records"):
        unit = str(r["unit"])
        rows.append(
            {
                "status": r["status"],
                "cells": [
                    r["unit_name"],
                    t(f"commitments.measure.{r['measure']}", lang),
                    date_text(r["given_on"], lang),
                    given_text(r, lang),
                    figure_text(r["value_now"], unit, lang),
                    figure_text(r["target"], unit, lang),
                    date_text(r["by_date"], lang),
                    at_by_date_text(r, lang),
                    t(f"commitments.status.{r['status']}", lang),
                ],
            }
        )
    return rows


def commitments_part(data: BriefingData, lang: str) -> dict[str, Any]:
    status = data.commitments
    if status is None or status.empty:
        return {"lead": t("commitments.none", lang), "table": None}
    counts = status["status"].value_counts()
    lead = t(
        "commitments.lead",
        lang,
        count=fmt_int(len(status), lang),
        units=fmt_int(status["unit_code"].nunique(), lang),
        week=fmt_date(data.as_of, lang),
        **{s: fmt_int(int(counts.get(s, 0)), lang) for s in COMMITMENT_STATUSES},
    )
    headers = [
        t(f"commitments.columns.{c}", lang)
        for c in (
            "unit",
            "measure",
            "given_on",
            "value_given",
            "value_now",
            "target",
            "by_date",
            "at_by_date",
            "status",
        )
    ]
    revised = any(revised_given(r) for r in status.to_dict("records"))
    return {
        "lead": lead,
        "revised_note": t("commitments.revised_note", lang) if revised else "",
        "table": table(
            headers,
            commitment_rows(status, lang),
            classes=["text", "text", "date", "num", "num", "num", "date", "num", "text"],
            widths=["15%", "20%", "9.5%", "8.5%", "8.5%", "8%", "9.5%", "10%", "11%"],
            table_class="data commitments",
        ),
    }
