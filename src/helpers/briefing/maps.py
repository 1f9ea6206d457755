"""The briefing's maps (section 3): the city by standing with the laggards numbered and an
inset of the central wards, the period's gain per unit, and in a week that reaches the end of
the peak the final outcome and the difficult records handed over. Drawn by
:mod:`helpers.maps` as inline SVG (a tooltip per unit in the HTML; vector in the PDF).

Reads only :class:`~helpers.briefing.data.BriefingData`; writes nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from helpers import maps
from helpers.briefing.data import BriefingData
from helpers.briefing.tables import laggards_in_order
from helpers.i18n import fmt_int, t

OUTCOME_COLOURS = {
    "finished": "#2e7d32",
    "finished_late": "#e0a100",
    "not_finished": "#c62828",
    "no_target": maps.NO_DATA,
}


def laggard_numbers(data: BriefingData) -> dict[str, str]:
    """The laggards numbered as the conference takes them (worst first)."""
    order = laggards_in_order(data.laggards)
    return {str(code): str(i + 1) for i, code in enumerate(order["unit_code"])}


def _scale_map(
    ax: Any,
    fig: Any,
    values: pd.Series,
    *,
    cmap: str,
    label: str,
    gid_prefix: str,
    lang: str,
) -> None:
    """Each unit filled by its value on a sequential scale from 0, with its colour bar."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize, to_hex

    from helpers.charts import int_ticks

    top = max(float(values.max()) if len(values) else 0.0, 1.0)
    norm = Normalize(0, top)
    colours = colormaps[cmap]
    fills = {str(c): to_hex(colours(norm(float(v)))) for c, v in values.items()}
    maps.draw_units(ax, maps.load_boundaries(), fills, gid_prefix=gid_prefix)
    bar = fig.colorbar(
        ScalarMappable(norm=norm, cmap=colours),
        ax=ax,
        orientation="horizontal",
        fraction=0.05,
        pad=0.02,
        format=int_ticks(lang),
    )
    bar.set_label(label, fontsize=7)
    bar.ax.tick_params(labelsize=6.5)
    bar.outline.set_visible(False)


def gain_map(data: BriefingData, lang: str) -> maps.Markup:
    """A small map: vehicle records each unit cleaned in the reporting period."""
    from helpers.charts import figure

    units = data.units
    fig = figure(3.3, 3.9)
    ax = fig.subplots()
    gains = units.set_index("unit_code")["veh_gain_week"].fillna(0).clip(lower=0)
    _scale_map(
        ax,
        fig,
        gains,
        cmap="Blues",
        label=t("map.gain_legend", lang),
        gid_prefix="unit",
        lang=lang,
    )
    return maps.svg_markup(
        fig, maps.unit_titles(units, lang), prefix="gain", alt=t("map.gain_title", lang)
    )


def final_map(data: BriefingData, lang: str) -> maps.Markup | None:
    """In a week that reaches the end of the peak: each unit's final outcome (final_units)
    beside the difficult records it hands over (final_handover); None in any other week."""
    if not data.final:
        return None
    from matplotlib.patches import Patch

    from helpers.charts import figure

    final = data.final["final_units"]
    handover = data.final["final_handover"]
    open_by_unit = (
        handover.groupby("unit_code")["open"].sum().reindex(final["unit_code"], fill_value=0)
    )
    fig = figure(7.1, 4.0)
    left, right = fig.subplots(1, 2)
    fills = {
        str(c): OUTCOME_COLOURS.get(str(o), maps.NO_DATA)
        for c, o in zip(final["unit_code"], final["outcome"], strict=True)
    }
    maps.draw_units(left, maps.load_boundaries(), fills, gid_prefix="outcome")
    counts = final["outcome"].value_counts()
    labels = {o: t(f"map.outcome.{o}", lang) for o in OUTCOME_COLOURS}
    left.legend(
        handles=[
            Patch(facecolor=c, label=f"{labels[o]} ({int(counts.get(o, 0))})")
            for o, c in OUTCOME_COLOURS.items()
        ],
        frameon=False,
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(0.0, 0.0),
    )
    left.set_title(t("map.outcome_map", lang), fontsize=8, loc="left", color="#12355b")
    _scale_map(
        right,
        fig,
        open_by_unit,
        cmap="Oranges",
        label=t("map.handover_map", lang),
        gid_prefix="handover",
        lang=lang,
    )
    right.set_title(t("map.handover_map", lang), fontsize=8, loc="left", color="#12355b")
    titles = {}
    for row, still_open in zip(final.itertuples(index=False), open_by_unit, strict=True):
        title = t(
            "map.final_title_unit",
            lang,
            name=row.unit_name,
            outcome=t(
                f"briefing.final.outcome_{row.outcome}", lang, left=fmt_int(row.records_left, lang)
            ),
            open=fmt_int(still_open, lang),
        )
        titles[f"outcome-{row.unit_code}"] = titles[f"handover-{row.unit_code}"] = title
    return maps.svg_markup(fig, titles, prefix="final", alt=t("map.final_title", lang))


def maps_part(data: BriefingData, lang: str) -> dict[str, Any]:
    """Section 3's maps and what goes around them: the numbered laggards, the note naming a
    unit without a boundary, the source credit."""
    numbers = laggard_numbers(data)
    standing, missing = maps.city_standing_map(data.units, lang, numbers=numbers)
    names = data.laggards.set_index(data.laggards["unit_code"].astype(str))["unit_name"]
    source = maps.load_boundaries().metadata.get("source", "")
    repository = "/".join(source.split("/")[3:5]) if source.startswith("https://") else source
    return {
        "standing": standing,
        "gain": gain_map(data, lang),
        "final": final_map(data, lang),
        "laggards": [(n, names[code]) for code, n in numbers.items()],
        "missing": missing,
        "source": t("map.source", lang, source=repository),
        "text": {
            k: t(f"map.{k}", lang)
            for k in ("standing_title", "laggards_key", "no_laggards", "gain_title", "hover")
            + ("final_title",)
        },
    }
