"""The briefing's charts: matplotlib Figure objects (no pyplot: nothing is shown by the inline
backend) saved as SVG and inlined as data-URI images.

Reads only :class:`~helpers.briefing.data.BriefingData` and the plan; writes nothing.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import pandas as pd

from helpers import charts
from helpers.briefing.data import BriefingData
from helpers.briefing.tables import KINDS, city_row, city_target, weekly_gains
from helpers.briefing.text import Text, is_missing
from helpers.config import Plan
from helpers.i18n import fmt_int

SERIES_COLOURS = {
    "submitted": "#90a4ae",
    "approved": "#5c8dc9",
    "cleaned": "#1f4e8c",
    "target": "#c62828",
    "projection": "#1f4e8c",
}


# figures, axes and tick formats shared with the progress notebook's charts
new_figure = charts.figure
style_axes = charts.style_axes
int_formatter = charts.int_ticks


@dataclass(frozen=True)
class Image:
    """A chart to place with ``<img>``: its alternative text and its data URI."""

    alt: str
    src: str


def svg_image(fig, alt: str) -> Image:
    """The figure as an inline SVG image (a data URI keeps each figure's ids apart)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(
        {"svg.fonttype": "path", "svg.hashsalt": "catp375", "font.family": "DejaVu Sans"}
    ):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    payload = base64.b64encode(buf.getvalue().encode("utf-8")).decode("ascii")
    return Image(alt=alt, src=f"data:image/svg+xml;base64,{payload}")


def city_curves_chart(data: BriefingData, plan: Plan, lang: str) -> Image:
    """Cumulative submitted/approved/cleaned per kind against the straight line to target."""
    text = Text(lang)
    from matplotlib.dates import DateFormatter, DayLocator

    fig = new_figure(7.1, 2.45)
    axes = fig.subplots(1, 2)
    daily = data.daily.copy()
    daily["date"] = pd.to_datetime(daily["date"])
    plan = plan.in_force(data.as_of)  # the deadline line: the (extended) end in force
    # past the deadline the axis runs on to the week, so the weeks after it stay in view
    last_day = pd.Timestamp(max(plan.end, data.as_of))
    for ax, kind in zip(axes, KINDS, strict=True):
        city = city_row(data, kind)
        series = daily[daily["kind"] == kind].sort_values("date")
        target = city_target(city, plan, kind)
        ax.plot(
            [pd.Timestamp(plan.start) - pd.Timedelta(days=1), pd.Timestamp(plan.end)],
            [0, target],
            color=SERIES_COLOURS["target"],
            linestyle="--",
            linewidth=1.1,
            label=text("city.series_target"),
        )
        for column, name in (
            ("submitted", "submitted"),
            ("approved", "approved"),
            ("cleaned", "cleaned"),
        ):
            ax.plot(
                series["date"],
                series[f"{column}_cum"],
                color=SERIES_COLOURS[name],
                linewidth=2.0 if name == "cleaned" else 1.2,
                label=text(f"city.series_{name}"),
            )
        rate = 0.0 if is_missing(city["rate_7d"]) else float(city["rate_7d"])
        if len(series) and rate > 0 and data.as_of < plan.end:
            last = series.iloc[-1]
            days = (pd.Timestamp(plan.end) - last["date"]).days
            finish = min(float(last["cleaned_cum"]) + rate * days, float(city["assigned"]))
            ax.plot(
                [last["date"], pd.Timestamp(plan.end)],
                [last["cleaned_cum"], finish],
                color=SERIES_COLOURS["projection"],
                linestyle=":",
                linewidth=1.4,
                label=text("city.series_projection"),
            )
        ax.axvline(pd.Timestamp(data.as_of), color="#555555", linewidth=0.6)
        if data.as_of > plan.end:  # the deadline passed: mark it
            ax.axvline(pd.Timestamp(plan.end), color=SERIES_COLOURS["target"], linewidth=0.8)
        ax.set_title(text(f"kind.{kind}"), fontsize=9, loc="left", fontweight="bold")
        ax.set_xlim(pd.Timestamp(plan.start) - pd.Timedelta(days=1), last_day)
        ax.set_ylim(0, max(float(city["assigned"]), target) * 1.03 or 1)
        ax.xaxis.set_major_locator(DayLocator(bymonthday=[1, 10, 20]))
        ax.xaxis.set_major_formatter(DateFormatter("%d/%m"))
        ax.yaxis.set_major_formatter(int_formatter(lang))
        style_axes(ax)
    handles, names = axes[0].get_legend_handles_labels()
    # three a row: five in one row ran past both edges of the page
    fig.legend(handles, names, loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return svg_image(fig, text("city.cumulative_title"))


def weekly_gains_chart(data: BriefingData, plan: Plan, lang: str) -> Image:
    """Records cleaned per reporting week, against the weekly gain the deadline needs."""
    text = Text(lang)
    fig = new_figure(7.1, 1.85)
    axes = fig.subplots(1, 2)
    gains = weekly_gains(data, plan)
    for ax, kind in zip(axes, KINDS, strict=True):
        rows = gains[gains["kind"] == kind]
        labels = [
            text("city.before_start", date=plan.start.strftime("%d/%m"))
            if is_missing(d)
            else d.strftime("%d/%m")
            for d in rows["week_end"]
        ]
        bars = ax.bar(labels, rows["cleaned_day"], color=SERIES_COLOURS["cleaned"], width=0.6)
        # a bar later deliveries revised carries '*': the caption says what it was told
        revised = rows["revised"].astype("bool").tolist() if "revised" in rows else []
        ax.bar_label(
            bars,
            labels=[
                fmt_int(v, lang) + ("*" if r else "")
                for v, r in zip(rows["cleaned_day"], revised or [False] * len(rows), strict=True)
            ],
            fontsize=6.5,
            padding=2,
        )
        if len(rows) and is_missing(rows["week_end"].iloc[0]):
            bars[0].set_color("#9aa9bd")  # before the peak: not a week of the peak
        city = city_row(data, kind)
        if not is_missing(city["required_rate"]):
            needed = float(city["required_rate"]) * plan.cadence_days
            ax.axhline(
                needed,
                color=SERIES_COLOURS["target"],
                linestyle="--",
                linewidth=1.0,
                label=text("city.required_weekly", value=fmt_int(needed, lang)),
            )
            ax.legend(fontsize=7, frameon=False, loc="upper left")
            top = max(needed, float(rows["cleaned_day"].max() if len(rows) else 0))
            ax.set_ylim(0, top * 1.45 or 1)  # headroom: the legend sits above the bars
        ax.set_title(text(f"kind.{kind}"), fontsize=9, loc="left", fontweight="bold")
        ax.set_xlabel(text("city.week_ending"), fontsize=7)
        if len(labels) > 7:  # a whole campaign of weeks: slanted labels stay apart
            ax.tick_params(axis="x", labelrotation=45, labelsize=6)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
        ax.yaxis.set_major_formatter(int_formatter(lang))
        style_axes(ax)
    return svg_image(fig, text("city.weekly_title"))
