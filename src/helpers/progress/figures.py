"""The city's charts for 03_progress: cumulative series against the straight line to the
target, and every unit's share cleaned. matplotlib Figure objects built without pyplot
(:mod:`helpers.charts`), so nothing is shown or kept open behind the caller's back."""

from __future__ import annotations

import pandas as pd

from helpers.charts import date_axis, figure, int_ticks, pct_ticks
from helpers.i18n import fmt_pct, t
from helpers.progress.definitions import KINDS, RANK_SHARE, median_known
from helpers.statuses import standings_shown


def chart_city_series(series: pd.DataFrame, lang: str):
    """Cumulative submitted, approved and cleaned against the straight line, one panel a kind."""
    from matplotlib.ticker import MaxNLocator

    fig = figure(11, 4)
    axes = fig.subplots(1, len(KINDS))
    for ax, kind in zip(axes, KINDS, strict=True):
        rows = series.loc[series["kind"] == kind]
        days = pd.to_datetime(rows["date"])
        for col, style in (("submitted", ":"), ("approved", "--"), ("cleaned", "-")):
            ax.plot(days, rows[f"{col}_cum"], style, label=t(f"progress.chart.{col}", lang))
        ax.plot(
            days, rows["target_cum"], color="grey", lw=1, label=t("progress.chart.target", lang)
        )
        title = "city_title" if kind == "vehicle" else "city_title_licence"
        ax.set_title(t(f"progress.chart.{title}", lang), fontsize=10)
        ax.set_ylabel(t("progress.chart.records", lang))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(int_ticks(lang))
        date_axis(ax)
        ax.legend(fontsize=7)
    return fig


def chart_unit_shares(units: pd.DataFrame, lang: str):
    """Every unit's vehicle share cleaned, best first, coloured by standing, with the median."""
    from matplotlib.patches import Patch

    colours = {
        "on_track": "#2e7d32",
        "at_risk": "#f9a825",
        "off_track": "#c62828",
        "finished": "#2e7d32",
        "not_finished": "#f9a825",
    }
    ordered = units.sort_values(["rank", "unit_code"])
    fig = figure(11, 3.5)
    ax = fig.subplots()
    ax.bar(
        range(len(ordered)),
        ordered[RANK_SHARE].fillna(0.0),
        color=[colours[s] for s in ordered["standing"]],
        width=0.8,
    )
    median = median_known(units[RANK_SHARE])
    ax.axhline(
        median,
        color="black",
        lw=0.8,
        ls="--",
        label=f"{t('progress.chart.median', lang)} {fmt_pct(median, lang)}",
    )
    ax.set_xticks([])
    ax.set_title(t("progress.chart.units_title", lang), fontsize=10)
    ax.set_ylabel(t("progress.chart.share", lang))
    ax.yaxis.set_major_formatter(pct_ticks(lang))
    handles = [
        Patch(color=colours[s], label=t(f"progress.standing.{s}", lang))
        for s in standings_shown(units["standing"])
    ]
    ax.legend(handles=[*handles, *ax.get_legend_handles_labels()[0]], fontsize=7)
    return fig
