"""The weekly briefing pack: the document on the table at the progress conference.

``notebooks/04_briefing.ipynb`` loads the progress tables with :func:`load_briefing_data` and
displays the parts built here, in the order of the document (cover, summary, city progress,
all units, laggards and leaders, backlog and difficult groups, organisations, data quality,
appendix). Each part is an HTML string (charts inline as SVG), so the notebook shows what the
page shows. After the notebook ran, the runner calls :func:`export_briefing`, which turns the
executed notebook into HTML with the template ``reports/templates/briefing/`` (no input, no
prompts) and prints it to PDF with WeasyPrint.

Only per-unit and city aggregates are read: no person's name, ID, plate, phone or address
can reach the page. Every label comes from the catalogue section ``briefing`` (plus the shared
``common``, ``status`` and ``rejects`` sections); numbers use the language's conventions.
"""

from __future__ import annotations

import base64
import html
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import store
from helpers.config import Plan
from helpers.excel import overlong_texts
from helpers.i18n import check_lang, fmt_date, fmt_int, fmt_num, fmt_pct, t
from helpers.paths import TEMPLATES_DIR, Workspace
from helpers.statuses import LICENCE_STATUSES, STANDINGS, VEHICLE_STATUSES

TEMPLATE_NAME = "briefing"
TEMPLATE_DIR = TEMPLATES_DIR / TEMPLATE_NAME
FONTS_DIR = TEMPLATE_DIR / "fonts"
KINDS = ("vehicle", "licence")
PREFIX = {"vehicle": "veh", "licence": "lic"}
SERIES_COLOURS = {
    "submitted": "#90a4ae",
    "approved": "#5c8dc9",
    "cleaned": "#1f4e8c",
    "target": "#c62828",
    "projection": "#1f4e8c",
}
HANOI_TZ = "Asia/Ho_Chi_Minh"
BACKLOG_TOP = 10  # units listed by review backlog
DIFFICULT_TOP = 10  # units listed by difficult records


@dataclass(frozen=True)
class BriefingData:
    """The week's progress tables, as the briefing reads them (aggregates only)."""

    week: str
    units: pd.DataFrame  # unit_progress, 126 rows
    city: pd.DataFrame  # city_progress, one row per kind
    laggards: pd.DataFrame
    leaders: pd.DataFrame
    daily: pd.DataFrame  # daily_series
    orgs: pd.DataFrame  # org_summary
    talking_points: pd.DataFrame
    rejects: pd.DataFrame  # only source and reason_code are read
    ledger: list[dict]
    self_reports: pd.DataFrame  # unit_self_report_check
    overlong_texts: int = 0  # record texts over Excel's cell limit, cut in the unit packs
    sources: dict[str, dict] = field(default_factory=dict)  # ledger.json "sources", per source
    warnings: list[dict] = field(default_factory=list)  # ledger.json "warnings"

    @property
    def as_of(self) -> date:
        return date.fromisoformat(self.week)


def load_briefing_data(ws: Workspace, week: str) -> BriefingData:
    """Read the tables the briefing needs; rejects are read without their values."""
    ledger = store.load_json(ws, "ledger", week)
    return BriefingData(
        week=week,
        units=store.load(ws, "unit_progress", week),
        city=store.load(ws, "city_progress", week),
        laggards=store.load(ws, "laggards", week),
        leaders=store.load(ws, "leaders", week),
        daily=store.load(ws, "daily_series", week),
        orgs=store.load(ws, "org_summary", week),
        talking_points=store.load(ws, "talking_points", week),
        # the rejected values may be IDs or plates: never loaded here
        rejects=store.load(ws, "rejects", week, columns=["source", "reason_code"]),
        ledger=ledger_files(ledger),
        self_reports=store.load(ws, "unit_self_report_check", week),
        overlong_texts=overlong_texts(ws, week),
        sources=ledger_sources(ledger),
        warnings=ledger_warnings(ledger),
    )


def ledger_files(ledger: Any) -> list[dict]:
    """The per-file entries of ledger.json, whether it is a list or keyed by file."""
    if isinstance(ledger, dict):
        if isinstance(ledger.get("files"), list):
            return list(ledger["files"])
        return [dict(v, file=v.get("file", k)) for k, v in ledger.items() if isinstance(v, dict)]
    return list(ledger or [])


def ledger_sources(ledger: Any) -> dict[str, dict]:
    """Per source: the delivery it was read from (and, when ingest judged it, its age and
    whether it is stale). Older ledgers without ``sources`` give it from their file entries."""
    if isinstance(ledger, dict) and isinstance(ledger.get("sources"), dict):
        return {s: dict(v) for s, v in ledger["sources"].items() if isinstance(v, dict)}
    out: dict[str, dict] = {}
    for entry in ledger_files(ledger):
        source, delivery = entry.get("source"), entry.get("delivery")
        if source and delivery:
            out.setdefault(source, {"delivery": delivery})
            out[source]["delivery"] = max(out[source]["delivery"], delivery)
    return out


def ledger_warnings(ledger: Any) -> list[dict]:
    """The ledger's top-level warnings ({code, message_en, message_vi}), if any."""
    warnings = ledger.get("warnings") if isinstance(ledger, dict) else None
    return [w for w in warnings or [] if isinstance(w, dict)]


# ---------------------------------------------------------------------------------------
# small formatting helpers


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _b(key: str, lang: str, **values: Any) -> str:
    """A label of the briefing section."""
    return t(f"briefing.{key}", lang, **values)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _int(value: Any, lang: str) -> str:
    return "–" if _is_missing(value) else fmt_int(float(value), lang)


def _pct(value: Any, lang: str) -> str:
    from helpers.progress import pct_text

    return pct_text(value, lang)


def _with_share(value: Any, share: Any, lang: str) -> str:
    """'55,912 (93.8%)': a count and its share, the share only when known."""
    return _int(value, lang) + ("" if _is_missing(share) else f" ({_pct(share, lang)})")


def _num(value: Any, lang: str, decimals: int = 1) -> str:
    return "–" if _is_missing(value) else fmt_num(float(value), lang, decimals)


def _date(value: Any, lang: str) -> str:
    if _is_missing(value):
        return "–"
    return fmt_date(pd.Timestamp(value).date(), lang)


def _signed(value: Any, lang: str) -> str:
    if _is_missing(value):
        return "–"
    n = int(round(float(value)))
    return ("+" if n > 0 else "") + fmt_int(n, lang)


def status_label(code: str, lang: str) -> str:
    """Wording of a record status (catalogue section ``status``, owned by reconcile)."""
    return t(f"status.{code}", lang)


def reject_label(code: str, lang: str) -> str:
    """Wording of a reject reason (catalogue section ``rejects``, owned by ingest)."""
    return t(f"rejects.{code}", lang)


def _section(part: str, title: str, body: str, *, extra_class: str = "") -> str:
    cls = f"part part-{part} {extra_class}".strip()
    return f'<section class="{cls}" id="{part}">\n<h2>{_e(title)}</h2>\n{body}\n</section>'


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    classes: Sequence[str] = (),
    widths: Sequence[str] = (),
    table_class: str = "data",
    foot: Sequence[str] | None = None,
    raw_cells: bool = False,
) -> str:
    """An HTML table; cells are escaped unless ``raw_cells`` (already-built HTML)."""
    classes = list(classes) or ["" for _ in headers]
    cols = "".join(f'<col style="width:{w}">' for w in widths)
    colgroup = f"<colgroup>{cols}</colgroup>" if widths else ""
    head = "".join(f'<th class="{c}">{_e(h)}</th>' for h, c in zip(headers, classes, strict=True))
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{c}">{v if raw_cells else _e(v)}</td>'
            for v, c in zip(row, classes, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    tfoot = ""
    if foot is not None:
        cells = "".join(f'<td class="{c}">{_e(v)}</td>' for v, c in zip(foot, classes, strict=True))
        tfoot = f"<tfoot><tr>{cells}</tr></tfoot>"
    return (
        f'<table class="{table_class}">{colgroup}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody>{tfoot}</table>"
    )


def _two_up(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, classes: Sequence[str],
    widths: Sequence[str], min_rows: int = 8,
) -> str:
    """A long, narrow list as one table with two runs of columns side by side (first half of
    the rows on the left, second half on the right), so it does not run over pages."""
    if len(rows) < min_rows:
        return _table(headers, rows, classes=classes, widths=widths)
    half = (len(rows) + 1) // 2
    blank = [""] * len(headers)
    paired = [
        [*rows[i], "", *(rows[i + half] if i + half < len(rows) else blank)]
        for i in range(half)
    ]
    scale = 48.0 / sum(float(w.rstrip("%")) for w in widths)
    cols = [f"{float(w.rstrip('%')) * scale:.1f}%" for w in widths]
    return _table(
        [*headers, "", *headers], paired, classes=[*classes, "gap", *classes],
        widths=[*cols, "4%", *cols],
    )


def standing_label(standing: str, lang: str) -> str:
    """Wording of a unit's standing (catalogue section ``progress``, shared with the packs)."""
    return t(f"progress.standing.{standing}", lang)


def _keep(title: str, table: str, after: str = "") -> str:
    """A heading and its short table, kept on one page."""
    return f'<div class="keep"><h3>{_e(title)}</h3>{table}{after}</div>'


def _standing_badge(standing: str, lang: str) -> str:
    return f'<span class="badge {standing}">{_e(standing_label(standing, lang))}</span>'


def _city_row(data: BriefingData, kind: str) -> pd.Series:
    rows = data.city[data.city["kind"] == kind]
    if rows.empty:
        raise KeyError(f"city_progress for week {data.week} has no row for kind '{kind}'")
    return rows.iloc[0]


def week_span(plan: Plan, week: str) -> tuple[date, date]:
    """First and last day the week's briefing covers (never before the peak's start)."""
    end = date.fromisoformat(week)
    start = max(end - timedelta(days=plan.cadence_days - 1), plan.start)
    return start, end


def peak_day(plan: Plan, week: str) -> int:
    return (date.fromisoformat(week) - plan.start).days + 1


# ---------------------------------------------------------------------------------------
# charts (matplotlib Figure objects, no pyplot: nothing is shown by the inline backend)


def _figure(width_in: float, height_in: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    return fig


def _style_axes(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color("#777777")
    ax.tick_params(colors="#333333", labelsize=7)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def svg_image(fig, alt: str, css_class: str = "chart") -> str:
    """The figure as an inline SVG image (a data URI keeps each figure's ids apart)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(
        {"svg.fonttype": "path", "svg.hashsalt": "catp375", "font.family": "DejaVu Sans"}
    ):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    payload = base64.b64encode(buf.getvalue().encode("utf-8")).decode("ascii")
    return f'<img class="{css_class}" alt="{_e(alt)}" src="data:image/svg+xml;base64,{payload}">'


def _int_formatter(lang: str):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fmt_int(v, lang))


def city_curves_chart(data: BriefingData, plan: Plan, lang: str) -> str:
    """Cumulative submitted/approved/cleaned per kind against the straight line to target."""
    from matplotlib.dates import DateFormatter, DayLocator

    fig = _figure(7.1, 2.45)
    axes = fig.subplots(1, 2)
    daily = data.daily.copy()
    daily["date"] = pd.to_datetime(daily["date"])
    for ax, kind in zip(axes, KINDS, strict=True):
        city = _city_row(data, kind)
        series = daily[daily["kind"] == kind].sort_values("date")
        target = _city_target(city, plan, kind)
        ax.plot(
            [pd.Timestamp(plan.start) - pd.Timedelta(days=1), pd.Timestamp(plan.end)],
            [0, target],
            color=SERIES_COLOURS["target"], linestyle="--", linewidth=1.1,
            label=_b("city.series_target", lang),
        )
        for column, name in (("submitted", "submitted"), ("approved", "approved"), ("cleaned", "cleaned")):
            ax.plot(
                series["date"], series[f"{column}_cum"], color=SERIES_COLOURS[name],
                linewidth=2.0 if name == "cleaned" else 1.2,
                label=_b(f"city.series_{name}", lang),
            )
        rate = 0.0 if _is_missing(city["rate_7d"]) else float(city["rate_7d"])
        if len(series) and rate > 0:
            last = series.iloc[-1]
            days = (pd.Timestamp(plan.end) - last["date"]).days
            finish = min(float(last["cleaned_cum"]) + rate * days, float(city["assigned"]))
            ax.plot(
                [last["date"], pd.Timestamp(plan.end)], [last["cleaned_cum"], finish],
                color=SERIES_COLOURS["projection"], linestyle=":", linewidth=1.4,
                label=_b("city.series_projection", lang),
            )
        ax.axvline(pd.Timestamp(data.as_of), color="#555555", linewidth=0.6)
        ax.set_title(_b(f"kind.{kind}", lang), fontsize=9, loc="left", fontweight="bold")
        ax.set_xlim(pd.Timestamp(plan.start) - pd.Timedelta(days=1), pd.Timestamp(plan.end))
        ax.set_ylim(0, max(float(city["assigned"]), target) * 1.03 or 1)
        ax.xaxis.set_major_locator(DayLocator(bymonthday=[1, 10, 20]))
        ax.xaxis.set_major_formatter(DateFormatter("%d/%m"))
        ax.yaxis.set_major_formatter(_int_formatter(lang))
        _style_axes(ax)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=5, fontsize=7, frameon=False)
    return svg_image(fig, _b("city.cumulative_title", lang))


def weekly_gains(data: BriefingData, plan: Plan) -> pd.DataFrame:
    """Cleaned per reporting week and kind (weeks end on the briefing's weekday), plus one row
    per kind with ``week_end`` null: records cleaned before the peak started (or at an unknown
    moment), so the bars add up to the cleaned total."""
    daily = data.daily.copy()
    daily["date"] = pd.to_datetime(daily["date"]).dt.date
    as_of = data.as_of
    daily = daily[daily["date"] <= as_of]
    age = daily["date"].map(lambda d: (as_of - d).days)
    daily["week_end"] = [as_of - timedelta(days=plan.cadence_days * (a // plan.cadence_days)) for a in age]
    out = daily.groupby(["week_end", "kind"], as_index=False)["cleaned_day"].sum()
    before = []
    for kind in KINDS:
        rows = daily[daily["kind"] == kind].sort_values("date")
        if rows.empty:
            continue
        first = rows.iloc[0]
        # the cumulative series starts with what was cleaned before its first day
        earlier = int(first["cleaned_cum"]) - int(first["cleaned_day"])
        if earlier > 0:
            before.append({"week_end": None, "kind": kind, "cleaned_day": earlier})
    out = out.sort_values(["kind", "week_end"], ignore_index=True)
    if before:
        out = pd.concat([pd.DataFrame(before), out], ignore_index=True)
        out["_o"] = out["week_end"].notna()
        out = out.sort_values(["kind", "_o", "week_end"], kind="stable", ignore_index=True)
        out = out.drop(columns="_o")
    return out


def weekly_gains_chart(data: BriefingData, plan: Plan, lang: str) -> str:
    fig = _figure(7.1, 1.85)
    axes = fig.subplots(1, 2)
    gains = weekly_gains(data, plan)
    for ax, kind in zip(axes, KINDS, strict=True):
        rows = gains[gains["kind"] == kind]
        labels = [_b("city.before_start", lang, date=plan.start.strftime("%d/%m"))
                  if _is_missing(d) else d.strftime("%d/%m") for d in rows["week_end"]]
        bars = ax.bar(labels, rows["cleaned_day"], color=SERIES_COLOURS["cleaned"], width=0.6)
        ax.bar_label(bars, labels=[fmt_int(v, lang) for v in rows["cleaned_day"]], fontsize=6.5, padding=2)
        if len(rows) and _is_missing(rows["week_end"].iloc[0]):
            bars[0].set_color("#9aa9bd")  # before the peak: not a week of the peak
        city = _city_row(data, kind)
        if not _is_missing(city["required_rate"]):
            needed = float(city["required_rate"]) * plan.cadence_days
            ax.axhline(needed, color=SERIES_COLOURS["target"], linestyle="--", linewidth=1.0,
                       label=_b("city.required_weekly", lang, value=fmt_int(needed, lang)))
            ax.legend(fontsize=7, frameon=False, loc="upper left")
            top = max(needed, float(rows["cleaned_day"].max() if len(rows) else 0))
            ax.set_ylim(0, top * 1.45 or 1)  # headroom: the legend sits above the bars
        ax.set_title(_b(f"kind.{kind}", lang), fontsize=9, loc="left", fontweight="bold")
        ax.set_xlabel(_b("city.week_ending", lang), fontsize=7)
        ax.yaxis.set_major_formatter(_int_formatter(lang))
        _style_axes(ax)
    return svg_image(fig, _b("city.weekly_title", lang))


def units_chart(data: BriefingData, lang: str) -> str:
    """All units in one sorted bar chart (two columns), coloured by standing.

    Drawn in HTML/CSS rather than matplotlib: 126 labelled bars stay vector-crisp, their
    names stay searchable text, and WeasyPrint lays them out in a fraction of the time it
    needs for the same chart as SVG glyph paths.
    """
    column = _rank_share(data.units)
    units = data.units.sort_values(
        [column, "unit_name"], ascending=[False, True], ignore_index=True
    )
    shares = units[column].fillna(0.0).astype(float)
    conduct = (units["breaks_conduct"].fillna(False).astype(bool) if "breaks_conduct" in units
               else pd.Series(False, index=units.index))
    scale = max(0.1, float(np.ceil(shares.max() * 10 + 0.5) / 10))  # next 10 % step above max
    median = float(shares.median())
    ticks = np.arange(0.0, scale + 1e-9, 0.2 if scale > 0.5 else 0.1)

    def bar(position: int) -> str:
        if position >= len(units):
            return '<td class="name"></td><td class="bar"></td><td class="num"></td>'
        row = units.iloc[position]
        width = 100.0 * shares.iloc[position] / scale
        mark = f' <span class="conduct">{CONDUCT_MARK}</span>' if conduct.iloc[position] else ""
        return (
            f'<td class="name">{position + 1}. {_e(row["unit_name"])}{mark}</td>'
            f'<td class="bar"><div class="track"><div class="fill {_e(row["standing"])}" '
            f'style="width:{width:.2f}%"></div>'
            f'<div class="median" style="left:{100.0 * median / scale:.2f}%"></div></div></td>'
            f'<td class="num">{_e(fmt_pct(shares.iloc[position], lang))}</td>'
        )

    def axis() -> str:
        labels = "".join(
            f'<span style="left:{100.0 * tick / scale:.2f}%">{_e(fmt_pct(tick, lang, 0))}</span>'
            for tick in ticks
        )
        return f'<th></th><th class="axis"><div class="ticks">{labels}</div></th><th></th>'

    half = (len(units) + 1) // 2
    rows = "".join(
        f"<tr>{bar(i)}<td class=\"gap\"></td>{bar(i + half)}</tr>" for i in range(half)
    )
    counts = data.units["standing"].value_counts()
    legend = "".join(
        f'<span class="key"><span class="swatch {s}"></span>'
        f"{_e(standing_label(s, lang))} ({int(counts.get(s, 0))})</span>"
        for s in STANDINGS
    ) + (
        f'<span class="key"><span class="swatch median-key"></span>'
        f'{_e(_b("units.median", lang, value=fmt_pct(median, lang)))}</span>'
    ) + (
        f'<span class="key"><span class="conduct">{CONDUCT_MARK}</span> '
        f'{_e(_b("units.conduct_key", lang, n=int(conduct.sum())))}</span>'
    )
    return (
        f'<table class="unit-bars" aria-label="{_e(_b("units.title", lang))}">'
        '<colgroup><col style="width:21%"><col style="width:20%"><col style="width:7%">'
        '<col style="width:4%"><col style="width:21%"><col style="width:20%">'
        '<col style="width:7%"></colgroup>'
        f'<thead><tr>{axis()}<th></th>{axis()}</tr></thead><tbody>{rows}</tbody></table>'
        f'<div class="legend">{legend}</div>'
    )


CONDUCT_MARK = "◆"  # a unit that broke a conduct rule (backlog, self-reports)


def _rank_share(units: pd.DataFrame) -> str:
    """The share units are ranked and judged by (progress.RANK_SHARE), or the older column."""
    from helpers.progress import RANK_SHARE

    return RANK_SHARE if RANK_SHARE in units.columns else "veh_share_cleaned"


def _city_target(city: pd.Series, plan: Plan, kind: str) -> float:
    """Records to clean by the deadline: progress's own figure when it gives one."""
    if "target" in city.index and not _is_missing(city["target"]):
        return float(city["target"])
    return float(city["assigned"]) * _target_share(plan, kind)


def _target_share(plan: Plan, kind: str) -> float:
    key = "vehicles_cleaned_share" if kind == "vehicle" else "licences_cleaned_share"
    return float(plan.targets.get(key, 1.0))


# ---------------------------------------------------------------------------------------
# the parts of the document, in order


def hanoi_now() -> datetime:
    """Local Hanoi time, naive like every timestamp of the suite (the machine may run UTC)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(HANOI_TZ)).replace(tzinfo=None)


def page_header(plan: Plan, week: str, lang: str) -> str:
    return _b("header", lang, plan=plan.number, week=fmt_date(date.fromisoformat(week), lang))


# The parts after the cover, in document order: (section id, catalogue key of its heading).
# The contents list exactly these; tests check every <section> of the body is among them.
PARTS: tuple[tuple[str, str], ...] = (
    ("summary", "sections.summary"), ("city", "sections.city"), ("units", "sections.units"),
    ("laggards", "sections.laggards"), ("leaders", "sections.leaders"),
    ("backlog", "sections.backlog"), ("orgs", "sections.orgs"), ("quality", "sections.quality"),
    ("appendix", "sections.appendix"),
)


def source_freshness(sources: dict[str, dict], week: str, cadence_days: int) -> pd.DataFrame:
    """Per source (fixed order): the delivery date it was read from, its age in days before
    the week, and whether it is stale (older than the week by more than one reporting
    cadence). The ledger's own ``age_days`` / ``stale`` win when ingest wrote them."""
    as_of = date.fromisoformat(week)
    rows = []
    for source in [*SOURCES, *sorted(set(sources) - set(SOURCES))]:
        entry = sources.get(source, {})
        raw = entry.get("delivery")
        delivery = date.fromisoformat(str(raw)[:10]) if raw else None
        age = entry.get("age_days")
        if age is None and delivery is not None:
            age = (as_of - delivery).days
        stale = entry.get("stale")
        if stale is None:
            stale = delivery is None or (age is not None and age > cadence_days)
        rows.append({"source": source, "delivery": delivery,
                     "age_days": None if age is None else int(age), "stale": bool(stale)})
    return pd.DataFrame(rows, columns=["source", "delivery", "age_days", "stale"])


def data_as_of(data: BriefingData, plan: Plan, lang: str) -> str:
    """The cover's "data as of" block: each source's delivery date, a stale one marked, and
    the ledger's warnings in a box. Empty when the ledger names no delivery."""
    if not data.sources:
        return ""
    table = source_freshness(data.sources, data.week, plan.cadence_days)
    rows = []
    for r in table.itertuples():
        when = fmt_date(r.delivery, lang) if r.delivery else _b("cover.not_received", lang)
        note = ""
        if r.stale:
            note = "⚠ " + (_b("cover.stale", lang, days=r.age_days) if r.age_days is not None
                           else _b("cover.not_received", lang))
        rows.append(
            f'<tr class="{"stale" if r.stale else "fresh"}"><th>{_e(source_label(r.source, lang))}'
            f"</th><td>{_e(when)}</td><td>{_e(note)}</td></tr>"
        )
    warnings = ""
    messages = [w.get(f"message_{lang}") or w.get("code", "") for w in data.warnings]
    if messages:
        items = "".join(f"<li>{_e(m)}</li>" for m in messages if m)
        warnings = (f'<div class="warnings"><h3>⚠ {_e(_b("cover.warnings", lang))}</h3>'
                    f"<ul>{items}</ul></div>")
    return (
        f'<div class="data-as-of"><h3>{_e(_b("cover.data_as_of", lang))}</h3>'
        f'<table class="asof">{"".join(rows)}</table>{warnings}</div>'
    )


def source_label(source: str, lang: str) -> str:
    """A source's name from the catalogue (the code itself for a source it does not know)."""
    try:
        return _b(f"source.{source}", lang)
    except KeyError:
        return source


def cover(data: BriefingData, plan: Plan, lang: str, generated_at: datetime | None = None) -> str:
    """Cover: plan number and title, week covered, conference date, generated at, the date of
    each source's data (stale ones marked), contents, mark."""
    check_lang(lang)
    generated_at = generated_at or hanoi_now()
    start, end = week_span(plan, data.week)
    conference = plan.conference_date(data.as_of)
    rows = [
        (_b("cover.week_covered", lang),
         _b("cover.week_span", lang, start=fmt_date(start, lang), end=fmt_date(end, lang),
            day=peak_day(plan, data.week), days=plan.duration_days)),
        (_b("cover.conference", lang), fmt_date(conference, lang)),
        (_b("cover.peak", lang),
         _b("cover.peak_span", lang, start=fmt_date(plan.start, lang), end=fmt_date(plan.end, lang))),
        (t("common.generated_at", lang), generated_at.strftime("%H:%M ") + fmt_date(generated_at, lang)),
    ]
    facts = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    contents = "".join(f'<li><a href="#{p}">{_e(_b(k, lang))}</a></li>' for p, k in PARTS)
    return f"""<section class="cover" id="cover">
<div class="issuer">{_e(plan.issuer[lang])}</div>
<div class="mark">{_e(t("common.internal_mark", lang))}</div>
<div class="plan-no">{_e(_b("cover.plan", lang, number=plan.number, dated=fmt_date(plan.dated, lang)))}</div>
<div class="plan-title">{_e(plan.title[lang])}</div>
<h1>{_e(_b("doc_title", lang))}</h1>
<div class="subtitle">{_e(_b("doc_subtitle", lang))}</div>
<table class="facts">{facts}</table>
{data_as_of(data, plan, lang)}
<div class="contents"><h3>{_e(_b("cover.contents", lang))}</h3><ul>{contents}</ul></div>
<div class="cover-note">{_e(_b("cover.note", lang))}</div>
</section>"""


def _kpi_tile(label: str, value: str, note: str = "", extra: str = "") -> str:
    note_html = f'<div class="note">{_e(note)}</div>' if note else ""
    return f'<td class="tile {extra}"><div class="label">{_e(label)}</div><div class="value">{_e(value)}</div>{note_html}</td>'


def kpi_values(data: BriefingData, kind: str, lang: str) -> dict[str, str]:
    """The KPI tile figures of one kind, formatted (also what the tests look for)."""
    city = _city_row(data, kind)
    return {
        "assigned": _int(city["assigned"], lang),
        "submitted": _int(city["submitted"], lang),
        "compared": _int(_get(city, "compared"), lang),
        "cleaned": _int(city["cleaned"], lang),
        "share_cleaned_cleanable": _pct(_get(city, "share_cleaned_cleanable"), lang),
        "difficult": _int(city["difficult"], lang),
        "gain_week": _int(city["gain_week"], lang),
        "days_left": _int(city["days_left"], lang),
    }


def _get(row: pd.Series, column: str) -> Any:
    """A column of a progress row, or None for tables written before it existed."""
    return row[column] if column in row.index else None


def pace_line(city: pd.Series, lang: str) -> str:
    """Pace against the pace needed, with the decimals that keep them apart."""
    from helpers.progress import pace_texts

    rate, required = pace_texts(city["rate_7d"], city["required_rate"], lang)
    return _b("kpi.pace", lang, rate=rate, required=required)


def summary(data: BriefingData, plan: Plan, lang: str) -> str:
    """KPI tiles per kind (progress on the records review can clean, the difficult groups
    apart, the comparison with the population database) and the talking points."""
    rows = []
    for kind in KINDS:
        city = _city_row(data, kind)
        v = kpi_values(data, kind, lang)
        if _is_missing(city["projected_finish"]):
            finish = _b("kpi.never", lang)
        else:
            finish = _b("kpi.projected", lang, date=_date(city["projected_finish"], lang))
        on_track = bool(city["on_track"]) if not _is_missing(city["on_track"]) else False
        change = ""
        if not _is_missing(_get(city, "gain_change_share")):
            sign = "+" if float(city["gain_change"]) >= 0 else "−"
            change = " · " + _b("kpi.change", lang, diff=sign + _int(abs(city["gain_change"]), lang),
                                pct=sign + fmt_pct(abs(float(city["gain_change_share"])), lang, 2))
        tiles = [
            _kpi_tile(_b("kpi.assigned", lang), v["assigned"]),
            _kpi_tile(_b("kpi.submitted", lang), v["submitted"],
                      _b("kpi.of_assigned", lang, share=_pct(city["share_submitted"], lang))),
            _kpi_tile(_b("kpi.compared", lang), v["compared"],
                      _b("kpi.of_assigned", lang, share=_pct(_get(city, "share_compared"), lang))),
            _kpi_tile(_b("kpi.cleaned", lang), v["cleaned"],
                      _b("kpi.of_cleanable", lang, cleanable=_int(_get(city, "cleanable"), lang))),
            _kpi_tile(_b("kpi.share_cleaned", lang), v["share_cleaned_cleanable"],
                      _b("kpi.target", lang, share=fmt_pct(_target_share(plan, kind), lang, 0)),
                      "key " + ("good" if on_track else "bad")),
            _kpi_tile(_b("kpi.difficult", lang), v["difficult"],
                      _b("kpi.difficult_note", lang,
                         resolved=_int(_get(city, "difficult_resolved"), lang),
                         open=_int(_get(city, "difficult_open"), lang))),
            _kpi_tile(_b("kpi.gain_week", lang), v["gain_week"],
                      _b("kpi.prev_week", lang, value=_int(city["gain_prev_week"], lang)) + change),
            _kpi_tile(_b("kpi.days_left", lang), v["days_left"],
                      _b("kpi.deadline", lang, date=fmt_date(plan.end, lang))),
        ]
        standing = _b(f"kpi.units_standing_{kind}", lang, on=_int(city["units_on_track"], lang),
                      risk=_int(city["units_at_risk"], lang), off=_int(city["units_off_track"], lang))
        rows.append(
            f'<tr><th class="kind" colspan="{len(tiles)}">{_e(_b(f"kind.{kind}", lang))}</th></tr>'
            f'<tr>{"".join(tiles)}</tr>'
            f'<tr><td class="pace" colspan="{len(tiles)}">{_e(pace_line(city, lang))} · '
            f'{_e(finish)} · {_e(standing)}</td></tr>'
        )
    conduct = _get(_city_row(data, "vehicle"), "units_conduct")
    if not _is_missing(conduct):
        rows.append(f'<tr><td class="pace" colspan="8">'
                    f'{_e(_b("kpi.units_conduct", lang, n=_int(conduct, lang)))}</td></tr>')
    tiles_html = f'<table class="kpi">{"".join(rows)}</table>'
    points = data.talking_points[data.talking_points["lang"] == lang].sort_values("order")
    items = "".join(f"<li>{_e(text)}</li>" for text in points["text"])
    body = (
        tiles_html
        + f'<h3>{_e(_b("summary.talking_points", lang))}</h3>'
        + (f'<ol class="talking-points">{items}</ol>' if items else f"<p>{_e(_b('summary.no_points', lang))}</p>")
    )
    return _section("summary", _b("sections.summary", lang), body)


def city_progress(data: BriefingData, plan: Plan, lang: str) -> str:
    """Cumulative curves against the trajectory, weekly gains, and the city's figures."""
    headers = [
        "", _b("kind.vehicle", lang), _b("kind.licence", lang),
    ]
    from helpers.progress import pace_texts

    paces = {k: pace_texts(_city_row(data, k)["rate_7d"], _city_row(data, k)["required_rate"],
                           lang) for k in KINDS}
    lines = [
        ("city.row_submissions_week", "submissions_week", _int),
        ("city.row_approved", "approved", _int),
        ("city.row_compared", "compared", lambda v, lang, c: _with_share(
            v, _get(c, "share_compared"), lang)),
        ("city.row_cleanable", "cleanable", _int),
        ("city.row_cleaned", "cleaned", lambda v, lang, c: _with_share(
            v, _get(c, "share_cleaned_cleanable"), lang)),
        ("city.row_cleaned_before_start", "cleaned_before_start", _int),
        ("city.row_gain_week", "gain_week", _int),
        ("city.row_rate_7d", "rate_7d", lambda v, lang, k: paces[k][0]),
        ("city.row_required_rate", "required_rate", lambda v, lang, k: paces[k][1]),
        ("city.row_projected_finish", "projected_finish", _date),
        ("city.row_days_late", "days_late", _signed),
        ("city.row_pending", "pending", _int),
        ("city.row_difficult", "difficult", lambda v, lang, c: _int(v, lang) if _is_missing(
            _get(c, "difficult_open")) else _int(c["difficult_open"], lang) + " / "
            + _int(c["difficult_resolved"], lang)),
    ]
    with_row = {"compared", "cleaned", "difficult"}
    rows = []
    for key, column, fmt in lines:
        cells = []
        for k in KINDS:
            city = _city_row(data, k)
            value = _get(city, column)
            if column in ("rate_7d", "required_rate"):
                cells.append(fmt(value, lang, k))
            elif column in with_row:
                cells.append(fmt(value, lang, city))
            else:
                cells.append(fmt(value, lang))
        rows.append([_b(key, lang), *cells])
    table = _table(headers, rows, classes=["text", "num", "num"], widths=["56%", "22%", "22%"],
                   table_class="data compact")
    body = (
        f'<h3>{_e(_b("city.cumulative_title", lang))}</h3>'
        + city_curves_chart(data, plan, lang)
        + f'<p class="caption">{_e(_b("city.cumulative_caption", lang))}</p>'
        + f'<h3>{_e(_b("city.weekly_title", lang))}</h3>'
        + weekly_gains_chart(data, plan, lang)
        + f'<p class="caption">{_e(_b("city.weekly_caption", lang, start=fmt_date(plan.start, lang)))}</p>'
        + f'<h3>{_e(_b("city.figures_title", lang))}</h3>'
        + table
    )
    return _section("city", _b("sections.city", lang), body)


def units_overview(data: BriefingData, lang: str) -> str:
    body = (
        f'<p class="lead">{_e(_b("units.lead", lang, count=len(data.units)))}</p>'
        + units_chart(data, lang)
    )
    return _section("units", _b("sections.units", lang), body)


def reason_sentences(reason: Any, lang: str, rules: Any = None) -> list[str]:
    """The reason as one sentence per broken rule.

    Progress joins the sentences with the catalogue's ``progress.separator``; the text is
    split back only when that gives exactly one piece per rule, so a separator inside a
    sentence never cuts it.
    """
    if isinstance(reason, (list, tuple, np.ndarray)):
        return [str(s) for s in reason if str(s).strip()]
    text = "" if _is_missing(reason) else str(reason)
    n_rules = len(rules) if isinstance(rules, (list, tuple, np.ndarray)) else 0
    if n_rules > 1:
        pieces = text.split(t("progress.separator", lang))
        if len(pieces) == n_rules:
            return [p.strip() for p in pieces]
    return [text] if text.strip() else []


def _reasons_html(reason: Any, lang: str = "vi", rules: Any = None) -> str:
    sentences = reason_sentences(reason, lang, rules)
    if not sentences:
        return ""
    if len(sentences) == 1:
        return _e(sentences[0])
    return "<ul>" + "".join(f"<li>{_e(s)}</li>" for s in sentences) + "</ul>"


def laggards_and_leaders(data: BriefingData, plan: Plan, lang: str) -> str:
    """Every laggard with every reason sentence; the leaders with theirs."""
    reason_col = f"reason_{lang}"
    # worst first, as the conference takes them
    laggards = data.laggards.sort_values(["rank", "unit_name"], ascending=[False, True],
                                         ignore_index=True)
    share_col = _rank_share(laggards)
    rows = [
        [
            _e(_int(r["rank"], lang)),
            f'<span class="unit">{_e(r["unit_name"])}</span>'
            + f'<div class="breach {breach_of(r)}">{_e(breach_label(r, lang))}</div>',
            _e(_pct(r[share_col], lang)),
            _reasons_html(r[reason_col], lang, r["rules"] if "rules" in r.index else None),
        ]
        for _, r in laggards.iterrows()
    ]
    if rows:
        lag_table = _table(
            [_b("laggards.rank", lang), t("common.unit", lang), _b("laggards.share", lang),
             _b("laggards.reasons", lang)],
            rows, classes=["num", "text", "num", "text reasons"],
            widths=["6%", "20%", "9%", "65%"], table_class="data laggards", raw_cells=True,
        )
    else:
        lag_table = f"<p>{_e(_b('laggards.none', lang))}</p>"
    by_rule = laggard_rule_counts(laggards)
    from helpers.progress import CONDUCT_RULES

    rule_rows = []
    for group, wanted in (("progress", lambda c: c not in CONDUCT_RULES),
                          ("conduct", lambda c: c in CONDUCT_RULES)):
        mine = [(c, n) for c, n in by_rule.items() if wanted(c)]
        if mine:
            rule_rows.append([f'<b>{_e(_b(f"laggards.rules_{group}", lang))}</b>', ""])
            rule_rows += [[_e(t(f"progress.rule_name.{c}", lang)), _e(fmt_int(n, lang))]
                          for c, n in mine]
    rule_table = _table(
        [_b("laggards.rule", lang), _b("laggards.units", lang)], rule_rows,
        classes=["text", "num"], widths=["80%", "20%"], table_class="data compact",
        raw_cells=True,
    ) if rule_rows else ""
    body = (
        f'<p class="lead">{_e(_b("laggards.lead", lang, count=len(laggards), units=len(data.units)))}</p>'
        + rule_table + lag_table
    )
    leaders_html = []
    for category in ("share", "gain"):
        rows_cat = data.leaders[data.leaders["category"] == category].sort_values("position")
        if rows_cat.empty:
            continue
        measure = leader_measure(rows_cat, plan)
        fmt = _int if measure == "gain_records" else _pct
        value_key = f"value_{measure}"
        rows = [
            [_e(_int(r["position"], lang)), f'<span class="unit">{_e(r["unit_name"])}</span>',
             _e(fmt(r["value"], lang)), _reasons_html(r[reason_col], lang)]
            for _, r in rows_cat.iterrows()
        ]
        leaders_html.append(
            f'<div class="keep"><h3>{_e(_b(f"leaders.category_{measure}", lang))}</h3>'
            + _table(
                [_b("leaders.position", lang), t("common.unit", lang),
                 _b(f"leaders.{value_key}", lang), _b("leaders.reasons", lang)],
                rows, classes=["num", "text", "num", "text reasons"],
                widths=["7%", "22%", "11%", "60%"], raw_cells=True,
            )
            + "</div>"
        )
    leaders = _section(
        "leaders", _b("sections.leaders", lang), "".join(leaders_html), extra_class="flow"
    )
    return _section("laggards", _b("sections.laggards", lang), body) + leaders


def leader_measure(rows: pd.DataFrame, plan: Plan) -> str:
    """What a leader category ranks (progress writes it; older tables: from the plan)."""
    if "measure" in rows.columns and len(rows):
        return str(rows["measure"].iloc[0])
    if str(rows["category"].iloc[0]) == "share":
        return "share_cleanable"
    return "gain_share" if str(plan.leaders.get("gain_measure", "share")) == "share" else (
        "gain_records")


def breach_of(row: pd.Series) -> str:
    """progress, conduct or both: which kind of naming rule a laggard broke."""
    progress_ = bool(row.get("breaks_progress", True))
    conduct = bool(row.get("breaks_conduct", False))
    return "both" if progress_ and conduct else ("conduct" if conduct else "progress")


def breach_label(row: pd.Series, lang: str) -> str:
    return t(f"progress.breach.{breach_of(row)}", lang)


def laggard_rule_counts(laggards: pd.DataFrame) -> pd.Series:
    """How many laggards broke each rule, most broken first."""
    if "rules" not in laggards.columns or laggards.empty:
        return pd.Series(dtype="int64")
    codes = laggards["rules"].explode().dropna().astype(str)
    counts = codes.value_counts()
    from helpers.progress import CONDUCT_RULES

    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    # progress rules first, then conduct rules, each most broken first
    order = sorted(range(len(counts)), key=lambda i: counts.index[i] in CONDUCT_RULES)
    return counts.iloc[order]


def difficult_groups(units: pd.DataFrame) -> pd.DataFrame:
    """City totals per difficult group and kind, from the per-unit group columns: records in
    the group (``vehicle``, ``licence``) and, when progress wrote them, resolved ones
    (``vehicle_resolved``, ``licence_resolved``)."""
    rows = []
    for kind, statuses in (("vehicle", VEHICLE_STATUSES), ("licence", LICENCE_STATUSES)):
        prefix = PREFIX[kind]
        for status in statuses:
            column = f"{prefix}_group_{status}"
            if column in units.columns:
                rows.append({"status": status, "kind": kind, "records": int(units[column].sum())})
                resolved = f"{prefix}_resolved_{status}"
                if resolved in units.columns:
                    rows.append({"status": status, "kind": f"{kind}_resolved",
                                 "records": int(units[resolved].sum())})
    table = pd.DataFrame(rows, columns=["status", "kind", "records"])
    if table.empty:
        return pd.DataFrame(columns=["status", "vehicle", "licence"])
    wide = table.pivot_table(index="status", columns="kind", values="records", aggfunc="sum")
    present = [c for c in ("vehicle", "vehicle_resolved", "licence", "licence_resolved")
               if c in wide.columns or c in KINDS]
    wide = wide.reindex(columns=present).reset_index()
    order = {s: i for i, s in enumerate(dict.fromkeys(VEHICLE_STATUSES + LICENCE_STATUSES))}
    wide["_order"] = wide["status"].map(order)
    return wide.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def backlog_and_difficult(data: BriefingData, lang: str) -> str:
    """Review backlog by unit (top of the list) and city; difficult data groups."""
    units = data.units
    veh, lic = _city_row(data, "vehicle"), _city_row(data, "licence")
    pending_total = int(units["backlog_pending"].sum())
    lead = _b(
        "backlog.lead", lang, pending=fmt_int(pending_total, lang),
        units=fmt_int(int((units["backlog_pending"] > 0).sum()), lang),
        oldest=_int(max(_nz(veh["oldest_pending_days"]), _nz(lic["oldest_pending_days"])), lang),
    )
    from helpers.progress import backlog_ranking

    top = backlog_ranking(units).head(BACKLOG_TOP)
    rows = [
        [r["unit_name"], _int(r["backlog_pending"], lang), _num(r["backlog_median_lag_days"], lang),
         _int(r["backlog_oldest_days"], lang), _int(r["veh_pending"], lang), _int(r["lic_pending"], lang)]
        for _, r in top.iterrows()
    ]
    backlog_table = _table(
        [t("common.unit", lang), _b("backlog.pending", lang), _b("backlog.median_lag", lang),
         _b("backlog.oldest", lang), _b("backlog.veh_pending", lang), _b("backlog.lic_pending", lang)],
        rows, classes=["text", "num", "num", "num", "num", "num"],
        widths=["30%", "14%", "14%", "14%", "14%", "14%"],
    )
    groups = difficult_groups(units)
    with_resolved = "vehicle_resolved" in groups.columns

    def open_resolved(r: pd.Series, kind: str) -> str:
        if _is_missing(r[kind]):
            return "–"
        if not with_resolved:
            return _int(r[kind], lang)
        done = _nz(r[f"{kind}_resolved"])
        return _b("backlog.open_resolved", lang, open=_int(_nz(r[kind]) - done, lang),
                  resolved=_int(done, lang))

    group_rows = [
        [f'<b>{_e(status_label(r["status"], lang))}</b>'
         f'<div class="criterion">{_e(group_criterion(r["status"], lang))}</div>',
         _e(open_resolved(r, "vehicle")), _e(open_resolved(r, "licence"))]
        for _, r in groups.iterrows()
    ]
    totals = {}
    for kind, p in PREFIX.items():
        if with_resolved and f"{p}_difficult_resolved" in units.columns:
            done = _nz(units[f"{p}_difficult_resolved"].sum())
            totals[kind] = _b("backlog.open_resolved", lang,
                              open=_int(_nz(units[f"{p}_difficult"].sum()) - done, lang),
                              resolved=_int(done, lang))
        else:
            totals[kind] = _int(units[f"{p}_difficult"].sum(), lang)
    head_key = "backlog.kind_open_resolved" if with_resolved else "kind"
    groups_table = _table(
        [_b("backlog.group", lang), _b(f"{head_key}.vehicle", lang),
         _b(f"{head_key}.licence", lang)],
        group_rows, classes=["text", "num", "num"], widths=["60%", "20%", "20%"],
        foot=[_b("backlog.total", lang), totals["vehicle"], totals["licence"]], raw_cells=True,
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
                largest = f"{status_label(code, lang)} ({_b(f'kind_short.{kind}', lang)}: {fmt_int(r[col], lang)})"
        diff_rows.append([r["unit_name"], _int(r["veh_difficult"], lang),
                          _int(r["lic_difficult"], lang), largest])
    diff_table = _table(
        [t("common.unit", lang), _b("kind.vehicle", lang), _b("kind.licence", lang),
         _b("backlog.largest_group", lang)],
        diff_rows, classes=["text", "num", "num", "text"], widths=["28%", "14%", "14%", "44%"],
    )
    body = (
        f'<p class="lead">{_e(lead)}</p>'
        + _keep(_b("backlog.by_unit", lang, n=BACKLOG_TOP), backlog_table)
        + _keep(_b("backlog.groups_city", lang), groups_table,
                f'<p class="caption">{_e(_b("backlog.groups_caption", lang))}</p>')
        + _keep(_b("backlog.groups_by_unit", lang, n=DIFFICULT_TOP), diff_table)
    )
    return _section("backlog", _b("sections.backlog", lang), body)


def group_criterion(status: str, lang: str) -> str:
    """A difficult group's criterion and way of resolution, in one line."""
    return t(f"progress.group.{status}", lang)


def _nz(value: Any) -> float:
    return 0.0 if _is_missing(value) else float(value)


def organisations(data: BriefingData, lang: str) -> str:
    """Dispatches, direct work, vehicles counted and declared, by organisation type."""
    orgs = data.orgs.copy()
    order = ["enterprise", "industrial_park", "school", "hospital", "agency", "business_household"]
    orgs["_order"] = orgs["org_type"].map({k: i for i, k in enumerate(order)}).fillna(len(order))
    orgs = orgs.sort_values("_order")
    number_cols = ["orgs", "dispatches_sent", "worked_directly", "vehicles_counted", "vehicles_declared"]

    def share(declared: Any, counted: Any) -> str:
        return _pct(_nz(declared) / _nz(counted), lang) if _nz(counted) else "–"

    rows = [
        [_b(f"org_type.{r['org_type']}", lang)] + [_int(r[c], lang) for c in number_cols]
        + [share(r["vehicles_declared"], r["vehicles_counted"])]
        for _, r in orgs.iterrows()
    ]
    totals = orgs[number_cols].sum()
    foot = [_b("orgs.total", lang)] + [_int(totals[c], lang) for c in number_cols] + [
        share(totals["vehicles_declared"], totals["vehicles_counted"])
    ]
    table = _table(
        [_b("orgs.type", lang), _b("orgs.orgs", lang), _b("orgs.dispatches", lang),
         _b("orgs.worked_directly", lang), _b("orgs.vehicles_counted", lang),
         _b("orgs.vehicles_declared", lang), _b("orgs.declared_share", lang)],
        rows, classes=["text"] + ["num"] * 6,
        widths=["22%", "12%", "13%", "13%", "14%", "14%", "12%"], foot=foot,
    )
    units = data.units.assign(_gap=data.units["org_vehicles_counted"] - data.units["org_vehicles_declared"])
    units = units[units["_gap"] > 0].sort_values(["_gap", "unit_name"], ascending=[False, True]).head(10)
    gap_rows = [
        [r["unit_name"], _int(r["org_count"], lang), _int(r["org_dispatches"], lang),
         _int(r["org_worked_directly"], lang), _int(r["org_vehicles_counted"], lang),
         _int(r["org_vehicles_declared"], lang), _int(r["_gap"], lang)]
        for _, r in units.iterrows()
    ]
    gap_table = _table(
        [t("common.unit", lang), _b("orgs.orgs", lang), _b("orgs.dispatches", lang),
         _b("orgs.worked_directly", lang), _b("orgs.vehicles_counted", lang),
         _b("orgs.vehicles_declared", lang), _b("orgs.gap", lang)],
        gap_rows, classes=["text"] + ["num"] * 6,
        widths=["25%", "11%", "12%", "12%", "14%", "14%", "12%"],
    ) if gap_rows else f"<p>{_e(_b('orgs.no_gap', lang))}</p>"
    body = (
        f'<p class="lead">{_e(_b("orgs.lead", lang, orgs=_int(totals["orgs"], lang), dispatches=_int(totals["dispatches_sent"], lang)))}</p>'
        + table
        + f'<h3>{_e(_b("orgs.gap_title", lang))}</h3>' + gap_table
    )
    return _section("orgs", _b("sections.orgs", lang), body)


SOURCES = ("registry_vehicles", "registry_licences", "population", "submissions", "unit_reports",
           "organizations")


def ledger_by_source(ledger: list[dict]) -> pd.DataFrame:
    """Rows received, accepted, rejected and skipped per source (summed over its files)."""
    rows = []
    for entry in ledger:
        skipped = entry.get("rows_skipped", 0)
        if isinstance(skipped, dict):
            skipped = sum(int(v) for v in skipped.values())
        rows.append({
            "source": entry.get("source", ""),
            "files": 1,
            "rows_read": int(entry.get("rows_read", 0)),
            "rows_accepted": int(entry.get("rows_accepted", 0)),
            "rows_rejected": int(entry.get("rows_rejected", 0)),
            "rows_skipped": int(skipped or 0),
            "unbalanced": 0 if entry.get("balanced", True) else 1,
        })
    columns = ["source", "files", "rows_read", "rows_accepted", "rows_rejected", "rows_skipped", "unbalanced"]
    table = pd.DataFrame(rows, columns=columns)
    out = table.groupby("source", as_index=False).sum()
    order = {s: i for i, s in enumerate(SOURCES)}
    out["_order"] = out["source"].map(order).fillna(len(SOURCES))
    return out.sort_values(["_order", "source"]).drop(columns="_order").reset_index(drop=True)


def rejects_by_reason(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per reason (rows) and source (columns)."""
    if rejects.empty:
        return pd.DataFrame(columns=["reason_code"])
    wide = (
        rejects.groupby(["reason_code", "source"]).size().unstack("source", fill_value=0)
    )
    present = [s for s in SOURCES if s in wide.columns] + [s for s in wide.columns if s not in SOURCES]
    wide = wide[present]
    wide["total"] = wide.sum(axis=1)
    return wide.sort_values("total", ascending=False).reset_index()


def overstating_units(data: BriefingData) -> pd.DataFrame:
    """Units whose self-reports exceed the system, with the days flagged."""
    units = data.units[data.units["self_report_overstated"].fillna(False).astype(bool)]
    checks = data.self_reports
    if {"unit_code", "overstated"} <= set(checks.columns):
        days = checks[checks["overstated"].fillna(False).astype(bool)].groupby("unit_code").size()
    else:
        days = pd.Series(dtype="int64")
    extra = [c for c in ("self_report_reported", "self_report_system") if c in units.columns]
    out = units[["unit_code", "unit_name", "self_report_ratio", *extra]].copy()
    out["days_flagged"] = out["unit_code"].map(days).fillna(0).astype(int)
    # progress judges each reported count on its own: name the counts that overstate
    prefix = "self_report_overstated_"
    measure_cols = [c for c in units.columns if c.startswith(prefix)]
    if measure_cols:
        flags = units[measure_cols].fillna(False).astype(bool)
        out["measures"] = [
            [c[len(prefix):] for c in measure_cols if row[c]] for _, row in flags.iterrows()
        ]
    return out.sort_values(["self_report_ratio", "unit_name"], ascending=[False, True], ignore_index=True)


def data_quality(data: BriefingData, lang: str) -> str:
    """Rows received/accepted/rejected by source, rejects by reason, overstating self-reports."""
    ledger = ledger_by_source(data.ledger)
    rows = [
        [_b(f"source.{r['source']}", lang), _int(r["files"], lang), _int(r["rows_read"], lang),
         _int(r["rows_accepted"], lang), _int(r["rows_rejected"], lang),
         _int(r["rows_skipped"], lang),
         fmt_pct(r["rows_rejected"] / r["rows_read"], lang, 2) if r["rows_read"] else "–"]
        for _, r in ledger.iterrows()
    ]
    tot = ledger[["files", "rows_read", "rows_accepted", "rows_rejected", "rows_skipped"]].sum()
    foot = [_b("quality.total", lang)] + [_int(tot[c], lang) for c in
            ("files", "rows_read", "rows_accepted", "rows_rejected", "rows_skipped")] + [
        fmt_pct(tot["rows_rejected"] / tot["rows_read"], lang, 2) if tot["rows_read"] else "–"
    ]
    ledger_table = _table(
        [_b("quality.source", lang), _b("quality.files", lang), _b("quality.rows_read", lang),
         _b("quality.rows_accepted", lang), _b("quality.rows_rejected", lang),
         _b("quality.rows_skipped", lang), _b("quality.reject_share", lang)],
        rows, classes=["text"] + ["num"] * 6,
        widths=["25%", "9%", "14%", "14%", "13%", "12%", "13%"], foot=foot,
    )
    reasons = rejects_by_reason(data.rejects)
    sources = [c for c in reasons.columns if c not in ("reason_code", "total")]
    if len(reasons):
        reason_rows = [
            [reject_label(r["reason_code"], lang)] + [_int(r[s], lang) if r[s] else "·" for s in sources]
            + [_int(r["total"], lang)]
            for _, r in reasons.iterrows()
        ]
        share = 60 // max(len(sources) + 1, 1)
        reasons_table = _table(
            [_b("quality.reason", lang)] + [_b(f"source_short.{s}", lang) for s in sources]
            + [_b("quality.total", lang)],
            reason_rows, classes=["text"] + ["num"] * (len(sources) + 1),
            widths=["40%"] + [f"{share}%"] * (len(sources) + 1),
        )
    else:
        reasons_table = f"<p>{_e(_b('quality.no_rejects', lang))}</p>"
    over = overstating_units(data)
    if len(over):
        if "self_report_system" in over.columns:
            # reported against system totals, then the counts that overstate (tables from
            # progress) or, for older tables without them, the days flagged
            by_measure = "measures" in over.columns
            header = [t("common.unit", lang), _b("quality.reported", lang),
                      _b("quality.system", lang), _b("quality.ratio", lang),
                      _b("quality.measures" if by_measure else "quality.days_flagged", lang)]
            over_rows = [
                [r["unit_name"], _int(r["self_report_reported"], lang),
                 _int(r["self_report_system"], lang), _pct(r["self_report_ratio"], lang),
                 ", ".join(t(f"progress.measure.{m}", lang) for m in r["measures"])
                 if by_measure else _int(r["days_flagged"], lang)]
                for _, r in over.iterrows()
            ]
            if by_measure:
                over_table = _table(header, over_rows,
                                    classes=["text", "num", "num", "num", "text"],
                                    widths=["26%", "13%", "13%", "13%", "35%"])
            else:
                over_table = _two_up(header, over_rows,
                                     classes=["text", "num", "num", "num", "num"],
                                     widths=["36%", "16%", "16%", "16%", "16%"])
        else:
            over_rows = [
                [r["unit_name"], _pct(r["self_report_ratio"], lang), _int(r["days_flagged"], lang)]
                for _, r in over.iterrows()
            ]
            over_table = _two_up(
                [t("common.unit", lang), _b("quality.ratio", lang), _b("quality.days_flagged", lang)],
                over_rows, classes=["text", "num", "num"], widths=["50%", "25%", "25%"],
            )
    else:
        over_table = f"<p>{_e(_b('quality.no_overstating', lang))}</p>"
    unbalanced = int(ledger["unbalanced"].sum())
    balance_note = _b("quality.balanced", lang) if unbalanced == 0 else _b(
        "quality.unbalanced", lang, files=fmt_int(unbalanced, lang))
    if data.overlong_texts:
        balance_note += " " + _b("quality.cut_texts", lang,
                                 count=fmt_int(data.overlong_texts, lang))
    body = (
        f'<h3>{_e(_b("quality.rows_title", lang))}</h3>' + ledger_table
        + f'<p class="caption">{_e(balance_note)}</p>'
        + f'<h3>{_e(_b("quality.reasons_title", lang))}</h3>' + reasons_table
        + _keep(_b("quality.overstating_title", lang, count=len(over)),
                f'<p class="caption">{_e(_b("quality.overstating_caption", lang))}</p>'
                + over_table)
    )
    return _section("quality", _b("sections.quality", lang), body)


APPENDIX_COLUMNS: tuple[tuple[str, str, Callable[[Any, str], str]], ...] = (
    ("rank", "appendix.rank", _int),
    ("unit_name", "appendix.unit", lambda v, _lang: str(v)),
    ("veh_assigned", "appendix.veh_assigned", _int),
    ("veh_submitted", "appendix.veh_submitted", _int),
    ("veh_cleaned", "appendix.veh_cleaned", _int),
    ("veh_share_cleaned_cleanable", "appendix.veh_share", _pct),
    ("veh_gain_week", "appendix.veh_gain", _int),
    ("veh_rate_7d", "appendix.veh_rate", _num),
    ("veh_required_rate", "appendix.veh_required", _num),
    ("veh_projected_finish", "appendix.veh_finish", _date),
    ("lic_assigned", "appendix.lic_assigned", _int),
    ("lic_cleaned", "appendix.lic_cleaned", _int),
    ("lic_share_cleaned", "appendix.lic_share", _pct),
    ("veh_share_compared", "appendix.veh_compared", _pct),
    ("backlog_pending", "appendix.pending", _int),
    ("backlog_oldest_days", "appendix.oldest", _int),
    ("rank_change", "appendix.rank_change", _signed),
)


def appendix(data: BriefingData, lang: str) -> str:
    """All units, landscape pages, the header row repeated on every page."""
    units = data.units.sort_values(["rank", "unit_name"], ignore_index=True)
    headers = [_b(key, lang) for _, key, _ in APPENDIX_COLUMNS] + [_b("appendix.standing", lang)]
    classes = ["num", "text"] + ["num"] * (len(APPENDIX_COLUMNS) - 2) + ["text"]
    rows = []
    for _, r in units.iterrows():
        cells = [_e(fmt(r.get(col), lang)) for col, _, fmt in APPENDIX_COLUMNS]
        progress_ = bool(r.get("breaks_progress", r["is_laggard"]))
        conduct = bool(r.get("breaks_conduct", False))
        cells[1] = (f'{cells[1]}{" ▼" if progress_ else ""}{" " + CONDUCT_MARK if conduct else ""}'
                    f'{" ★" if r["is_leader"] else ""}')
        rows.append(cells + [_standing_badge(r["standing"], lang)])
    widths = ["3.5%", "13.5%"] + ["5.1%"] * (len(APPENDIX_COLUMNS) - 2) + ["6.5%"]  # ~ 100 %
    table = _table(headers, rows, classes=classes, widths=widths, table_class="data appendix-table",
                   raw_cells=True)
    veh_head, lic_head = _b("kind.vehicle", lang), _b("kind.licence", lang)
    body = (
        f'<p class="caption">{_e(_b("appendix.lead", lang, count=len(units), vehicle=veh_head, licence=lic_head))}</p>'
        + table
    )
    return _section("appendix", _b("sections.appendix", lang), body, extra_class="landscape")


# ---------------------------------------------------------------------------------------
# export: executed notebook -> HTML (template) -> PDF (WeasyPrint)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page_css(plan: Plan, week: str, lang: str) -> str:
    """@page rules: header (plan, week) and footer (page X of Y, internal mark) in ``lang``."""
    template = t("common.page_of", lang)
    before, _, rest = template.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    counter = " ".join(
        part for part in (
            _css_string(before) if before else "", "counter(page)",
            _css_string(middle) if middle else "", "counter(pages)",
            _css_string(after) if after else "",
        ) if part
    )
    header = _css_string(page_header(plan, week, lang))
    issuer = _css_string(plan.issuer[lang])
    mark = _css_string(t("common.internal_mark", lang))
    margins = (
        f"\n  @top-left {{ content: {header}; }}"
        f"\n  @top-right {{ content: {issuer}; }}"
        f"\n  @bottom-left {{ content: {mark}; }}"
        f"\n  @bottom-right {{ content: {counter}; }}"
    )
    return (
        f"@page {{ size: A4 portrait; margin: 17mm 14mm 16mm 14mm;{margins}\n}}\n"
        f"@page appendix {{ size: A4 landscape; margin: 15mm 12mm 14mm 12mm;{margins}\n}}\n"
    )


def fonts_css() -> str:
    """@font-face rules for the embedded DejaVu Sans (covers every Vietnamese diacritic)."""
    regular = (FONTS_DIR / "DejaVuSans.ttf").as_uri()
    bold = (FONTS_DIR / "DejaVuSans-Bold.ttf").as_uri()
    return (
        f'@font-face {{ font-family: "Briefing Sans"; src: url("{regular}"); font-weight: normal; }}\n'
        f'@font-face {{ font-family: "Briefing Sans"; src: url("{bold}"); font-weight: bold; }}\n'
        'html { font-family: "Briefing Sans", "DejaVu Sans", sans-serif; }\n'
    )


def render_html(nb, plan: Plan, week: str, lang: str) -> str:
    """The executed notebook as the briefing's HTML: outputs only, through the template."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
    )
    resources = {
        "briefing": {
            "lang": lang,
            "title": f"{_b('doc_title', lang)} · {page_header(plan, week, lang)}",
            "author": plan.issuer[lang],
            "page_css": page_css(plan, week, lang),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _atomic_write(target: Path, writer: Callable[[Path], None]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_pdf(html_text: str, target: Path) -> None:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    fonts = CSS(string=fonts_css(), font_config=font_config)
    document = HTML(string=html_text, base_url=str(TEMPLATE_DIR))
    _atomic_write(target, lambda tmp: document.write_pdf(
        tmp, stylesheets=[fonts], font_config=font_config))


def export_briefing(executed_notebook: Path, output_dir: Path, week: str, lang: str) -> tuple[Path, Path]:
    """Called by the runner after 04_briefing ran: write the week's briefing HTML and PDF."""
    import nbformat

    from helpers.config import load_plan

    check_lang(lang)
    nb = nbformat.read(str(executed_notebook), as_version=4)
    html_text = render_html(nb, load_plan(), week, lang)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    html_path = output_dir / f"briefing-{week}-{lang}.html"
    pdf_path = output_dir / f"briefing-{week}-{lang}.pdf"
    _atomic_write(html_path, lambda tmp: tmp.write_text(html_text, "utf-8"))
    write_pdf(html_text, pdf_path)
    return pdf_path, html_path
