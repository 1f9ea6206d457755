"""The briefing's city section and the all-units parts, as already-formatted values: the maps,
the cumulative curves, the bars of each conference period (revised bars said as revisions), the
city's figures, every unit in one chart and one table. Split from :mod:`.parts` (same rules:
numbers formatted here, words from the catalogues, no HTML)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from helpers.briefing.charts import city_curves_chart, weekly_gains_chart
from helpers.briefing.data import BriefingData
from helpers.briefing.maps import maps_part
from helpers.briefing.parts import get, table
from helpers.briefing.tables import (
    CONDUCT_MARK,
    KINDS,
    city_row,
    rank_share,
    revised_gains,
)
from helpers.briefing.text import (
    Text,
    count_with_share,
    date_text,
    int_text,
    is_missing,
    signed_text,
    standing_label,
)
from helpers.config import Plan
from helpers.i18n import fmt_date, fmt_pct, t
from helpers.statuses import standings_shown


def revisions_note(data: BriefingData, plan: Plan, lang: str) -> str:
    """One sentence per kind naming the bars later deliveries revised (told -> now); empty
    when none was."""
    from helpers.briefing.tables import weekly_gains

    gains = weekly_gains(data, plan)
    parts = []
    for kind in KINDS:
        rows = revised_gains(gains, kind)
        if rows.empty:
            continue
        bars = [
            t(
                "briefing.city.revised_bar",
                lang,
                bar=t("briefing.city.before_start", lang, date=plan.start.strftime("%d/%m"))
                if is_missing(r["week_end"])
                else pd.Timestamp(r["week_end"]).strftime("%d/%m"),
                told=int_text(r["cleaned_told"], lang),
                now=int_text(r["cleaned_day"], lang),
            )
            for _, r in rows.iterrows()
        ]
        parts.append(t(f"briefing.kind.{kind}", lang) + ": " + "; ".join(bars))
    if not parts:
        return ""
    return t("briefing.city.revised_note", lang, bars=". ".join(parts))


def city_part(data: BriefingData, plan: Plan, lang: str) -> dict[str, Any]:
    """The maps (standing, the period's gain, the final outcome), cumulative curves against
    the trajectory, weekly gains, and the city's figures."""
    plan = plan.in_force(data.as_of)  # the deadline in force at the week
    from helpers.progress import pace_texts

    text = Text(lang)
    paces = {
        k: pace_texts(city_row(data, k)["rate_7d"], city_row(data, k)["required_rate"], lang)
        for k in KINDS
    }

    def difficult(value: Any, city: pd.Series) -> str:
        if is_missing(get(city, "difficult_open")):
            return int_text(value, lang)
        return (
            int_text(city["difficult_open"], lang)
            + " / "
            + int_text(city["difficult_resolved"], lang)
        )

    # (label key, column, format of (value, kind, city row))
    lines: list[tuple[str, str, Callable[[Any, str, pd.Series], str]]] = [
        ("city.row_submissions_week", "submissions_week", lambda v, k, c: int_text(v, lang)),
        ("city.row_approved", "approved", lambda v, k, c: int_text(v, lang)),
        (
            "city.row_compared",
            "compared",
            lambda v, k, c: count_with_share(v, get(c, "share_compared"), lang),
        ),
        ("city.row_cleanable", "cleanable", lambda v, k, c: int_text(v, lang)),
        (
            "city.row_cleaned",
            "cleaned",
            lambda v, k, c: count_with_share(v, get(c, "share_cleaned_cleanable"), lang),
        ),
        (
            "city.row_cleaned_before_start",
            "cleaned_before_start",
            lambda v, k, c: int_text(v, lang),
        ),
        ("city.row_gain_week", "gain_week", lambda v, k, c: int_text(v, lang)),
        ("city.row_rate_7d", "rate_7d", lambda v, k, c: paces[k][0]),
        ("city.row_required_rate", "required_rate", lambda v, k, c: paces[k][1]),
        ("city.row_projected_finish", "projected_finish", lambda v, k, c: date_text(v, lang)),
        ("city.row_days_late", "days_late", lambda v, k, c: signed_text(v, lang)),
        ("city.row_pending", "pending", lambda v, k, c: int_text(v, lang)),
        ("city.row_difficult", "difficult", lambda v, k, c: difficult(v, c)),
    ]
    rows = []
    for key, column, fmt in lines:
        cells = []
        for kind in KINDS:
            city = city_row(data, kind)
            cells.append(fmt(get(city, column), kind, city))
        rows.append([text(key), *cells])
    return {
        "maps": maps_part(data, lang),
        "curves": city_curves_chart(data, plan, lang),
        "weekly": weekly_gains_chart(data, plan, lang),
        "weekly_caption": text("city.weekly_caption", start=fmt_date(plan.start, lang)),
        "weekly_revisions": revisions_note(data, plan, lang),
        "figures": table(
            ["", text("kind.vehicle"), text("kind.licence")],
            rows,
            classes=["text", "num", "num"],
            widths=["56%", "22%", "22%"],
            table_class="data compact",
        ),
    }


def units_chart_part(data: BriefingData, lang: str) -> dict[str, Any]:
    """All units in one sorted bar chart (two columns), coloured by standing.

    Drawn in HTML/CSS rather than matplotlib: 126 labelled bars stay vector-crisp, their
    names stay searchable text, and WeasyPrint lays them out in a fraction of the time it
    needs for the same chart as SVG glyph paths.
    """
    text = Text(lang)
    column = rank_share(data.units)
    units = data.units.sort_values(
        [column, "unit_name"], ascending=[False, True], ignore_index=True
    )
    shares = units[column].fillna(0.0).astype(float)
    conduct = (
        units["breaks_conduct"].fillna(False).astype(bool)
        if "breaks_conduct" in units
        else pd.Series(False, index=units.index)
    )
    scale = max(0.1, float(np.ceil(shares.max() * 10 + 0.5) / 10))  # next 10 % step above max
    median = float(shares.median())
    ticks = np.arange(0.0, scale + 1e-9, 0.2 if scale > 0.5 else 0.1)

    def bar(position: int) -> dict[str, Any] | None:
        if position >= len(units):
            return None
        row = units.iloc[position]
        return {
            "name": f"{position + 1}. {row['unit_name']}",
            "conduct": bool(conduct.iloc[position]),
            "standing": str(row["standing"]),
            "width": f"{100.0 * shares.iloc[position] / scale:.2f}",
            "median": f"{100.0 * median / scale:.2f}",
            "share": fmt_pct(shares.iloc[position], lang),
        }

    half = (len(units) + 1) // 2
    counts = data.units["standing"].value_counts()
    return {
        "title": text("units.title"),
        "mark": CONDUCT_MARK,
        "ticks": [(f"{100.0 * tick / scale:.2f}", fmt_pct(tick, lang, 0)) for tick in ticks],
        "rows": [(bar(i), bar(i + half)) for i in range(half)],
        "standings": [
            (s, f"{standing_label(s, lang)} ({int(counts.get(s, 0))})")
            for s in standings_shown(counts.index)
        ],
        "median": text("units.median", value=fmt_pct(median, lang)),
        "conduct": text("units.conduct_key", n=int(conduct.sum())),
    }


def units_part(data: BriefingData, lang: str) -> dict[str, Any]:
    return {
        "lead": Text(lang)("units.lead", count=len(data.units)),
        "chart": units_chart_part(data, lang),
    }
