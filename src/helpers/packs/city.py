"""The city pack: aggregates only, one sheet per subject, in the run's language.

    book = city_pack(load_city_tables(ws, week), plan, week, "vi")

A summary (KPIs and talking points), in a week that reaches the end of the peak the campaign
summary's final results and handover list (:mod:`~helpers.packs.city_final`), the printable views of the units table (one theme a
sheet, fitted to a page width: :mod:`~helpers.packs.units_table`), the full units table for
analysts, laggards, leaders, difficult groups, backlog, organisations, self-reports, data
quality, the files read, and the daily trend with its charts. Reads the week's processed
tables (no record-level data: never a name, ID, plate, phone or address); writes nothing
itself (the caller saves the :class:`~helpers.packs.book.PackBook`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from helpers import DeliveryError, schemas, store
from helpers.config import Plan
from helpers.i18n import check_lang, code_label, fmt_date, t
from helpers.packs.book import PackBook, document_time, load_template, title_block
from helpers.packs.city_final import final_sheets
from helpers.packs.commitments import commitments_sheet
from helpers.packs.history import history_sheet
from helpers.packs.pictures import city_map
from helpers.packs.sheetxml import Column
from helpers.packs.texts import label_series, tx, yes_no
from helpers.packs.units_table import (
    BOOL_COLUMNS,
    difficult_columns,
    display_units,
    metric_header,
    metric_kind,
    print_views,
    standing_labels,
    unit_columns,
)
from helpers.paths import Workspace
from helpers.progress.deadline import deadline_note, peak_day_text
from helpers.progress.definitions import RANK_SHARE
from helpers.progress.final import FINAL_TABLES
from helpers.progress.narrative import deadline_reached

CITY_KPIS: tuple[str, ...] = (
    "assigned",
    "submitted",
    "approved",
    "cleaned",
    "cleanable",
    "share_cleaned_cleanable",  # the share units are ranked on (progress.RANK_SHARE)
    "share_cleaned",
    "share_submitted",
    "gain_week",
    "gain_prev_week",
    "rate_7d",
    "required_rate",
    "projected_finish",
    "days_late",
    "on_track",
    "days_left",
    "days_overdue",
    "units_on_track",
    "units_at_risk",
    "units_off_track",
    "units_finished",
    "units_not_finished",
    "pending",
    "oldest_pending_days",
    "submissions_total",
    "submissions_week",
    "difficult",
)


def _city_summary(
    book: PackBook, tables: dict[str, pd.DataFrame], plan: Plan, week: str, lang: str
) -> None:
    ws = book.sheet(tx("sheets.summary", lang))
    conference = plan.conference_date(date.fromisoformat(week))
    row = title_block(
        book,
        ws,
        [
            plan.title[lang],
            tx("summary.plan_line", lang, number=plan.number, issuer=plan.issuer[lang]),
            tx(
                "summary.week_line",
                lang,
                peak_day=peak_day_text(plan, date.fromisoformat(week), lang),
                deadline=deadline_note(plan, date.fromisoformat(week), lang),
                week=fmt_date(date.fromisoformat(week), lang),
                conference=fmt_date(conference, lang),
            ),
        ],
    )
    city = tables["city_progress"].set_index("kind")
    kinds = [k for k in ("vehicle", "licence") if k in city.index]
    book.heading(ws, row, tx("summary.kpis", lang))
    # both tables numbered in column A (STT), their words in B: one column of words, as wide
    # as the longest indicator and the talking points (wrapped) need, nothing cut
    columns = [
        Column("order", tx("columns.order", lang), "seq"),
        Column("indicator", tx("columns.indicator", lang), "text"),
    ] + [Column(k, tx(f"kinds.{k}", lang), "int") for k in kinds]
    rows: list[list] = []
    kinds_of: list[list[str]] = []
    # the counts by standing of the week: forecasts before the deadline, outcomes once it is
    # reached (nobody is "at risk" of a deadline passed)
    reached = bool(len(kinds)) and deadline_reached(city.loc[kinds[0]])
    skipped = (
        {"units_on_track", "units_at_risk"} if reached else {"units_finished", "units_not_finished"}
    )
    for kpi in CITY_KPIS:
        if kpi not in city.columns or kpi in skipped:
            continue
        kind = metric_kind(kpi)
        values = []
        for k in kinds:
            value = city.at[k, kpi]
            if kpi in BOOL_COLUMNS and not pd.isna(value):
                value = tx("answer_yes", lang) if bool(value) else tx("answer_no", lang)
            values.append(value)
        rows.append([len(rows) + 1, tx(f"metric.{kpi}", lang), *values])
        kinds_of.append(["seq", "text"] + [kind] * len(kinds))
    header_row = row + 1
    row = book.block_table(ws, header_row, columns, rows, table_name="Kpi", kinds=kinds_of)
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"1:{header_row - 3}"  # the title lines, not a table's header
    # beside the KPI table, one empty column apart: the table's rows and the page stay as
    # they were (the picture is within the landscape page's width)
    city_map(
        book,
        ws,
        tables["unit_progress"],
        lang,
        f"{get_column_letter(len(columns) + 2)}{header_row}",
    )
    ws.row_breaks.append(Break(id=row - 1))  # talking points start a printed page
    book.heading(ws, row, tx("summary.talking_points", lang))
    points = tables["talking_points"]
    points = points.loc[points["lang"] == lang].sort_values("order")
    book.block_table(
        ws,
        row + 1,
        [
            Column("order", tx("columns.order", lang), "seq"),
            Column("talking_point", tx("columns.talking_point", lang), "long_text"),
        ],
        [[i, text] for i, text in enumerate(points["text"], start=1)],
        table_name="TalkingPoints",
    )


def _self_report_pairs(columns: Sequence[str]) -> list[tuple[str, str, str]]:
    """(measure, reported column, system column) of unit_self_report_check, totals excluded."""
    pairs = []
    for col in columns:
        for rep, sysp in (("reported_", "system_"),):
            if col.startswith(rep):
                m = col[len(rep) :]
                if m != "total" and f"{sysp}{m}" in columns:
                    pairs.append((m, col, f"{sysp}{m}"))
        if col.endswith("_reported"):
            m = col[: -len("_reported")]
            if m != "total" and f"{m}_system" in columns:
                pairs.append((m, col, f"{m}_system"))
    return pairs


def self_report_table(check: pd.DataFrame, units: pd.DataFrame, week: str) -> pd.DataFrame:
    """Per unit: each measure's self-reported and system counts over the 7 days ending on the
    week, with progress's verdict (ratio, overstated)."""
    as_of = date.fromisoformat(week)
    pairs = _self_report_pairs(list(check.columns))
    days = pd.to_datetime(check["report_date"]).dt.date
    window = check.loc[(days > as_of - timedelta(days=7)) & (days <= as_of)]
    cols = [c for _, rep, sysc in pairs for c in (rep, sysc)]
    sums = (
        window.assign(unit_code=window["unit_code"].astype("str"))
        .groupby("unit_code")[cols]
        .sum(min_count=1)
        .reset_index()
    )
    base = units[["unit_code", "unit_name", "self_report_ratio", "self_report_overstated"]].copy()
    out = base.merge(sums, on="unit_code", how="left")
    for c in cols:
        out[c] = out[c].fillna(0).astype("int64")
    ratio = out["self_report_ratio"].astype("Float64")
    return (
        out.assign(_r=ratio.fillna(-1))
        .sort_values(["_r", "unit_code"], ascending=[False, True])
        .drop(columns="_r")
        .reset_index(drop=True)
    )


def rejects_summary(ws: Workspace, week: str) -> pd.DataFrame:
    """Rejected rows counted by source and reason (no values: the city pack is aggregates)."""
    path = store.table_path(ws, "rejects", week)
    if not path.is_file():
        return pd.DataFrame({"source": [], "reason_code": [], "rows": []})
    con = store.duckdb_connect(threads=1)
    try:
        return con.execute(
            "SELECT CAST(source AS VARCHAR) AS source, CAST(reason_code AS VARCHAR) AS reason_code,"
            " count(*) AS rows FROM read_parquet(?) GROUP BY ALL ORDER BY source, rows DESC,"
            " reason_code",
            [str(path)],
        ).df()
    finally:
        con.close()


def ledger_table(ledger: Any) -> pd.DataFrame:
    """The week's ledger (ledger.json) as one row per file."""
    files = ledger.get("files", ledger) if isinstance(ledger, dict) else ledger
    rows = []
    for entry in files or []:
        skipped = entry.get("rows_skipped", 0)
        if isinstance(skipped, dict):
            skipped = sum(int(v or 0) for v in skipped.values())
        rows.append(
            {
                "source": entry.get("source"),
                "file": entry.get("file"),
                "rows_read": entry.get("rows_read"),
                "rows_accepted": entry.get("rows_accepted"),
                "rows_rejected": entry.get("rows_rejected"),
                "rows_skipped": skipped,
                "balanced": entry.get("balanced"),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "source",
            "file",
            "rows_read",
            "rows_accepted",
            "rows_rejected",
            "rows_skipped",
            "balanced",
        ],
    )
    return frame.sort_values(["source", "file"], kind="stable").reset_index(drop=True)


def trend_table(series: pd.DataFrame) -> pd.DataFrame:
    """daily_series (one row per day and kind) as one row per day, vehicle then licence columns."""
    values = [
        "submitted_day",
        "approved_day",
        "cleaned_day",
        "submitted_cum",
        "approved_cum",
        "cleaned_cum",
        "target_cum",
    ]
    values = [v for v in values if v in series.columns]
    wide = series.pivot_table(index="date", columns="kind", values=values, aggfunc="first")
    out = pd.DataFrame({"date": pd.to_datetime(wide.index)})
    for kind, prefix in (("vehicle", "veh"), ("licence", "lic")):
        for v in values:
            if (v, kind) in wide.columns:
                out[f"{prefix}_{v}"] = wide[(v, kind)].to_numpy()
    return out.sort_values("date").reset_index(drop=True)


def line_chart(book: PackBook, ws, title: str, n: int, cols: dict[str, int], lang: str):
    colours = book.template["colours"]["chart"]
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = tx("charts.records", lang)
    chart.x_axis.number_format = "dd/mm"
    chart.x_axis.majorTimeUnit = "days"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.number_format = "#,##0"
    for key, column in cols.items():
        chart.add_data(
            Reference(ws, min_col=column, min_row=1, max_row=n + 1), titles_from_data=True
        )
        series = chart.series[-1]
        series.graphicalProperties.line.solidFill = colours[key]
        series.graphicalProperties.line.width = 28575 if key == "cleaned" else 19050
        series.smooth = False
        if key == "target":
            series.graphicalProperties.line.dashStyle = "dash"
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    c = book.template["charts"]
    chart.width, chart.height = float(c["trend_width"]), float(c["trend_height"])
    return chart


def _trend_sheet(
    book: PackBook,
    trend: pd.DataFrame,
    units_ws,
    n_units: int,
    share_col: int,
    name_col: int,
    lang: str,
) -> None:
    columns = [Column("date", tx("columns.date", lang), "date")]
    for c in trend.columns[1:]:
        columns.append(
            Column(c, tx(f"prefix.{c[:3]}", lang, what=tx(f"trend.{c[4:]}", lang)), "int")
        )
    ws = book.data_sheet(
        tx("sheets.trend", lang), trend, columns, table_name="Trend", freeze_cols=1
    )
    n = len(trend)
    anchor = get_column_letter(len(columns) + 2)
    position = {c.name: i for i, c in enumerate(columns, start=1)}
    top = 1
    if n:
        for prefix, kind in (("veh", "vehicle"), ("lic", "licence")):
            cols = {
                key: position[f"{prefix}_{src}"]
                for key, src in (
                    ("cleaned", "cleaned_cum"),
                    ("target", "target_cum"),
                    ("submitted", "submitted_cum"),
                    ("approved", "approved_cum"),
                )
                if f"{prefix}_{src}" in position
            }
            if not cols:
                continue
            chart = line_chart(book, ws, tx(f"charts.trend_{kind}", lang), n, cols, lang)
            ws.add_chart(chart, f"{anchor}{top}")
            top += int(float(book.template["charts"]["trend_height"]) * 2) + 2
    bars = BarChart()
    bars.type = "bar"
    bars.title = tx("charts.units", lang)
    bars.add_data(
        Reference(units_ws, min_col=share_col, min_row=1, max_row=n_units + 1),
        titles_from_data=True,
    )
    bars.set_categories(Reference(units_ws, min_col=name_col, min_row=2, max_row=n_units + 1))
    bars.series[0].graphicalProperties.solidFill = book.template["colours"]["chart"]["bars"]
    bars.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    bars.y_axis.number_format = "0%"
    bars.y_axis.scaling.min = 0
    bars.y_axis.scaling.max = 1
    bars.legend = None
    bars.gapWidth = 40
    c = book.template["charts"]
    bars.width = float(c["units_width"])
    bars.height = max(8.0, float(c["units_height_per_unit"]) * n_units)
    ws.add_chart(bars, f"{anchor}{top}")


def city_pack(
    tables: dict[str, pd.DataFrame],
    plan: Plan,
    week: str,
    lang: str,
    template: dict[str, Any] | None = None,
) -> PackBook:
    """The city pack of a week: aggregates only, one sheet per subject."""
    check_lang(lang)
    plan = plan.in_force(date.fromisoformat(week))  # the deadline in force at the week
    template = template or load_template()
    title = tx("title.city", lang, plan=plan.number, week=fmt_date(date.fromisoformat(week), lang))
    book = PackBook(template, lang, title=title, mark=t("common.internal_mark", lang))
    _city_summary(book, tables, plan, week, lang)
    final_sheets(book, tables, lang)  # the week that reaches the end of the peak: first read

    units = tables["unit_progress"]
    shown = display_units(units, lang)
    print_views(book, units, shown, lang)
    columns = unit_columns(units, lang)
    scale = [c.name for c in columns if c.name.endswith("share_cleaned")]
    units_ws = book.data_sheet(
        tx("sheets.units", lang),
        shown,
        columns,
        table_name="Units",
        freeze_cols=5 if len(columns) > 5 else 0,
        scale=scale,
        standing=("standing", standing_labels(lang)),
    )
    position = {c.name: i for i, c in enumerate(columns, start=1)}

    lag = tables["laggards"].sort_values(["rank", "unit_code"], kind="stable")
    lag = lag.assign(reason=lag[f"reason_{lang}"])
    # the share the rank is decided on (and the reason quotes), then the share of assigned
    book.data_sheet(
        tx("sheets.laggards", lang),
        lag,
        [
            Column("rank", tx("columns.rank", lang), "int"),
            Column("unit_code", tx("columns.unit_code", lang), "code"),
            Column("unit_name", tx("columns.unit_name", lang), "text"),
            Column(RANK_SHARE, metric_header(RANK_SHARE, lang), "pct"),
            Column("veh_share_cleaned", metric_header("veh_share_cleaned", lang), "pct"),
            Column("reason", tx("columns.reason", lang), "long_text"),
        ],
        table_name="Laggards",
        scale=[RANK_SHARE, "veh_share_cleaned"],
    )

    lead = tables["leaders"].sort_values(["category", "position", "unit_code"], kind="stable")
    share_col = (
        "veh_share_cleaned_cleanable"
        if "veh_share_cleaned_cleanable" in units
        else "veh_share_cleaned"
    )
    figures = units[["unit_code", share_col, "veh_gain_week"]].rename(
        columns={share_col: "share", "veh_gain_week": "gain"}
    )
    lead = lead.drop(columns=[c for c in ("share", "gain") if c in lead]).merge(
        figures, on="unit_code", how="left"
    )
    lead = lead.assign(
        category_label=label_series(
            lead["measure"] if "measure" in lead else lead["category"],
            "excel.leader_category",
            lang,
        ),
        reason=lead[f"reason_{lang}"],
    )
    book.data_sheet(
        tx("sheets.leaders", lang),
        lead,
        [
            Column("category_label", tx("columns.category", lang), "label"),
            Column("position", tx("columns.position", lang), "int"),
            Column("unit_code", tx("columns.unit_code", lang), "code"),
            Column("unit_name", tx("columns.unit_name", lang), "text"),
            Column("share", metric_header(share_col, lang), "pct"),
            Column("gain", metric_header("veh_gain_week", lang), "int"),
            Column("reason", tx("columns.reason", lang), "long_text"),
        ],
        table_name="Leaders",
    )

    commitments_sheet(book, tables.get("commitment_status", pd.DataFrame()), lang)

    group_cols = difficult_columns(units)
    difficult = units.assign(
        _total=units.get("veh_difficult", 0) + units.get("lic_difficult", 0)
    ).sort_values(["_total", "unit_code"], ascending=[False, True], kind="stable")
    cols = ["unit_code", "unit_name"] + [c for c in ("veh_difficult",) if c in units]
    cols += [c for c in group_cols if c.startswith("veh_")]
    cols += [c for c in ("lic_difficult",) if c in units] + [
        c for c in group_cols if c.startswith("lic_")
    ]
    book.data_sheet(
        tx("sheets.difficult", lang),
        difficult,
        [Column(c, metric_header(c, lang), metric_kind(c)) for c in cols],
        table_name="DifficultGroups",
        freeze_cols=2,
    )

    backlog_cols = [
        "unit_code",
        "unit_name",
        "veh_pending",
        "lic_pending",
        "backlog_pending",
        "backlog_median_lag_days",
        "backlog_oldest_days",
    ]
    from helpers.progress import backlog_ranking

    backlog = backlog_ranking(units, only_waiting=False)
    book.data_sheet(
        tx("sheets.backlog", lang),
        backlog,
        [Column(c, metric_header(c, lang), metric_kind(c)) for c in backlog_cols if c in units],
        table_name="Backlog",
        freeze_cols=2,
    )

    orgs = tables["org_summary"].copy()
    orgs["org_type_label"] = label_series(orgs["org_type"], "excel.org_type", lang)
    book.data_sheet(
        tx("sheets.organisations", lang),
        orgs,
        [
            Column("org_type_label", tx("columns.org_type", lang), "label"),
            *[
                Column(c, tx(f"columns.{c}", lang), "int")
                for c in (
                    "orgs",
                    "dispatches_sent",
                    "worked_directly",
                    "vehicles_counted",
                    "vehicles_declared",
                )
                if c in orgs
            ],
        ],
        table_name="Organisations",
    )

    reports = self_report_table(tables["unit_self_report_check"], units, week)
    report_cols = [
        Column("unit_code", tx("columns.unit_code", lang), "code"),
        Column("unit_name", tx("columns.unit_name", lang), "text"),
    ]
    for m, rep, sysc in _self_report_pairs(list(tables["unit_self_report_check"].columns)):
        what = code_label("excel.measures", m, lang)
        report_cols.append(Column(rep, tx("columns.reported", lang, what=what), "int"))
        report_cols.append(Column(sysc, tx("columns.system", lang, what=what), "int"))
    reports["self_report_overstated"] = yes_no(reports["self_report_overstated"], lang)
    report_cols += [
        Column("self_report_ratio", tx("columns.self_report_ratio", lang), "pct"),
        Column("self_report_overstated", tx("columns.self_report_overstated", lang), "label"),
    ]
    book.data_sheet(
        tx("sheets.self_reports", lang),
        reports,
        report_cols,
        table_name="SelfReports",
        freeze_cols=2,
    )

    rejects = tables["rejects_summary"].copy()
    rejects["source_label"] = label_series(rejects["source"], "excel.sources", lang)
    rejects["reason_label"] = label_series(rejects["reason_code"], "rejects", lang)
    book.data_sheet(
        tx("sheets.data_quality", lang),
        rejects,
        [
            Column("source_label", tx("columns.source", lang), "label"),
            # the codes are English words: an English reader's key, the reason says it in vi
            *([Column("reason_code", tx("columns.reason_code", lang), "code")] * (lang == "en")),
            Column("reason_label", tx("columns.reject_reason", lang), "text"),
            Column("rows", tx("columns.rows_rejected", lang), "int"),
        ],
        table_name="Rejects",
    )

    ledger = tables["ledger"].copy()
    ledger["source_label"] = label_series(ledger["source"], "excel.sources", lang)
    ledger["balanced"] = yes_no(ledger["balanced"], lang)
    book.data_sheet(
        tx("sheets.files", lang),
        ledger,
        [
            Column("source_label", tx("columns.source", lang), "label"),
            Column("file", tx("columns.file", lang), "text"),
            *[
                Column(c, tx(f"columns.{c}", lang), "int")
                for c in ("rows_read", "rows_accepted", "rows_rejected", "rows_skipped")
            ],
            Column("balanced", tx("columns.balanced", lang), "label"),
        ],
        table_name="Files",
    )

    history_sheet(book, tables.get("rank_history", pd.DataFrame()), lang)
    _trend_sheet(
        book,
        trend_table(tables["daily_series"]),
        units_ws,
        len(shown),
        position.get("veh_share_cleaned", 1),
        position.get("unit_name", 1),
        lang,
    )
    book.properties(
        subject=plan.title[lang],
        keywords=f"{plan.number}; {week}; {lang}",
        creator=plan.issuer[lang],
        when=document_time(week, template),
        description=t("common.internal_mark", lang),
        category=tx("document.category_city", lang),
        custom={"plan": plan.number, "week": week, "lang": lang, "scope": "city"},
    )
    return book


def load_city_tables(ws: Workspace, week: str) -> dict[str, pd.DataFrame]:
    """Everything the city pack shows, read from the week's processed tables."""
    names = (
        "unit_progress",
        "city_progress",
        "laggards",
        "leaders",
        "daily_series",
        "org_summary",
        "talking_points",
        "unit_self_report_check",
    )
    tables = {name: store.load(ws, name, week) for name in names}
    if store.exists(ws, "rank_history", week):  # folders written before history have none
        tables["rank_history"] = store.load(ws, "rank_history", week)
    if all(store.exists(ws, name, week) for name in FINAL_TABLES):
        tables |= {name: store.load(ws, name, week) for name in FINAL_TABLES}
    tables["commitment_status"] = (
        store.load(ws, "commitment_status", week)
        if store.exists(ws, "commitment_status", week)
        else schemas.complete("commitment_status", pd.DataFrame())
    )
    tables["rejects_summary"] = rejects_summary(ws, week)
    try:
        tables["ledger"] = ledger_table(store.load_json(ws, "ledger", week))
    except DeliveryError:
        tables["ledger"] = ledger_table([])
    return tables
