"""One unit's pack: its summary against the city (standing, targets for next week, the
worklists and what each counts), then every worklist on its own sheet(s), never cut.

    book = unit_pack(unit, city, laggard, leader_reasons, lists, plan, week, "vi")

:func:`write_unit_pack` is one worker's task: read the unit's worklists
(:mod:`helpers.packs.worklists`), write its pack and encrypt it with the unit's own password
(:func:`helpers.packs.protect.encrypt_file`) unless the plan turns encryption off. Reads the staged
rows of its unit; writes only that unit's pack.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.worksheet.pagebreak import Break

from helpers import store
from helpers.config import Plan
from helpers.i18n import code_label, fmt_date, fmt_int, t
from helpers.packs import protect
from helpers.packs.book import PackBook, document_time, load_template, title_block
from helpers.packs.city import line_chart, metric_header, metric_kind
from helpers.packs.commitments import commitments_sheet, commitments_table
from helpers.packs.history import unit_history_sheet
from helpers.packs.pictures import unit_map
from helpers.packs.sheetxml import SHEET_ROWS, Column
from helpers.packs.texts import tx
from helpers.packs.worklists import (
    GROUPS_KEY,
    LISTS,
    unit_worklists,
    worklist_columns,
)
from helpers.progress.commitments import figure_text
from helpers.progress.deadline import deadline_note, peak_day_text
from helpers.progress.final import final_lines, handover_lines
from helpers.progress.targets import next_week_targets
from helpers.statuses import breach_of
from helpers.units import official_units

UNIT_VS_CITY: tuple[tuple[str, str], ...] = (
    ("veh_assigned", "vehicle.assigned"),
    ("veh_cleaned", "vehicle.cleaned"),
    ("veh_cleanable", "vehicle.cleanable"),
    # the share the rank is decided on (progress.RANK_SHARE), then the share of assigned
    ("veh_share_cleaned_cleanable", "vehicle.share_cleaned_cleanable"),
    ("veh_share_cleaned", "vehicle.share_cleaned"),
    ("veh_gain_week", "vehicle.gain_week"),
    ("veh_gain_prev_week", "vehicle.gain_prev_week"),
    ("veh_rate_7d", "vehicle.rate_7d"),
    ("veh_required_rate", "vehicle.required_rate"),
    ("veh_projected_finish", "vehicle.projected_finish"),
    ("veh_days_late", "vehicle.days_late"),
    ("lic_assigned", "licence.assigned"),
    ("lic_cleaned", "licence.cleaned"),
    ("lic_share_cleaned_cleanable", "licence.share_cleaned_cleanable"),
    ("lic_share_cleaned", "licence.share_cleaned"),
    ("lic_gain_week", "licence.gain_week"),
    ("lic_days_late", "licence.days_late"),
    ("rank", ""),
    ("rank_prev", ""),
    ("rank_change", ""),
    ("standing", ""),
    ("veh_pending", "vehicle.pending"),
    ("lic_pending", "licence.pending"),
    ("backlog_oldest_days", "vehicle.oldest_pending_days"),
    ("veh_difficult", "vehicle.difficult"),
    ("lic_difficult", "licence.difficult"),
    ("self_report_ratio", ""),
)


def _unit_summary(
    book: PackBook,
    unit: dict[str, Any],
    city: dict[str, dict[str, Any]],
    laggard: dict[str, Any] | None,
    leader_reasons: list[str],
    counts: dict[str, int],
    sheet_names: dict[str, str],
    plan: Plan,
    week: str,
    lang: str,
    commitments: pd.DataFrame | None = None,
    final: dict[str, Any] | None = None,
    standings: Mapping[str, str] | None = None,
) -> None:
    ws = book.sheet(tx("sheets.unit_summary", lang))
    # set first: a wrapped text row grows to fit the width its column has when it is written
    # (a reason of three lines set at the end was cut off in a row of one)
    ws.column_dimensions["A"].width = SUMMARY_TEXT_WIDTH
    week_day = date.fromisoformat(week)
    row = title_block(
        book,
        ws,
        [
            tx("unit.title", lang, unit=unit["unit_name"], code=unit["unit_code"]),
            plan.title[lang],
            tx(
                "summary.week_line",
                lang,
                peak_day=peak_day_text(plan, date.fromisoformat(week), lang),
                deadline=deadline_note(plan, date.fromisoformat(week), lang),
                week=fmt_date(week_day, lang),
                conference=fmt_date(plan.conference_date(week_day), lang),
            ),
        ],
    )
    book.heading(ws, row, tx("unit.against_city", lang))
    header_row = row + 1
    rows, kinds = [], []
    for name, city_key in UNIT_VS_CITY:
        if name not in unit:
            continue
        kind = metric_kind(name)
        value = unit[name]
        if name == "standing":
            value = code_label("progress.standing", str(value), lang)
        city_value = None
        if name == "backlog_oldest_days":  # the city's backlog, whichever kind waits
            ages = [c.get("oldest_pending_days") for c in city.values()]
            known = [int(a) for a in ages if a is not None and not pd.isna(a)]
            city_value = max(known) if known else None
        elif city_key:
            k, metric = city_key.split(".")
            city_value = city.get(k, {}).get(metric)
        label = metric_header(name, lang)
        if name == "rank":
            label = tx("unit.rank_of", lang, units=len(official_units()))
        rows.append([label, value, city_value])
        kinds.append(["text", kind, kind])
    row = book.block_table(
        ws,
        header_row,
        [
            Column("indicator", tx("columns.indicator", lang), "text"),
            Column("unit", tx("unit.this_unit", lang), "int"),
            Column("city", t("common.city", lang), "int"),
        ],
        rows,
        table_name="UnitVsCity",
        kinds=kinds,
    )
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"1:{header_row - 3}"  # the title lines, not a table's header
    if standings is not None:  # right beside the table (a column apart widened the print)
        unit_map(book, ws, unit, standings, lang, f"D{header_row}")

    if final is not None:  # the end of the peak: the whole campaign's verdict, first
        row = _final_block(book, ws, row, final, plan, lang)
    book.heading(ws, row, tx("unit.laggard_heading", lang))
    if laggard:
        # named behind on progress, for conduct, or both: the line says which
        key = {"progress": "laggard", "conduct": "laggard_conduct", "both": "laggard_both"}
        book.put(
            ws, row + 1, 1, tx(f"unit.{key[breach_of(laggard)]}", lang, rank=laggard.get("rank"))
        )
        book.put(ws, row + 2, 1, laggard.get(f"reason_{lang}") or "", "long_text")
        row += 4
    else:
        book.put(ws, row + 1, 1, tx("unit.not_laggard", lang))
        row += 3
    for reason in leader_reasons:
        book.put(ws, row, 1, tx("unit.leader", lang, reason=reason), "long_text")
        row += 1
    if leader_reasons:
        row += 1
    if commitments is not None:  # the source is delivered: say what this unit's commander gave
        book.heading(ws, row, t("commitments.unit_heading", lang))
        lines = commitment_lines(commitments, lang) or [t("commitments.unit_none", lang)]
        for line in lines:
            row += 1
            book.put(ws, row, 1, line, "long_text")
        row += 2

    next_end = week_day + timedelta(days=plan.cadence_days)
    if plan.reaches_end(week_day):  # no next conference: what is left to hand over
        book.heading(ws, row, tx("unit.left_heading", lang, deadline=fmt_date(plan.end, lang)))
    else:
        book.heading(ws, row, tx("unit.targets_heading", lang, date=fmt_date(next_end, lang)))
    targets = next_week_targets(unit, plan, week)
    row = book.block_table(
        ws,
        row + 1,
        [
            Column("indicator", tx("columns.indicator", lang), "text"),
            Column("target", tx("unit.target", lang), "int"),
        ],
        [
            [tx(f"targets.{key}", lang, date=fmt_date(next_end, lang)), value]
            for key, value, _ in targets
        ],
        table_name="Targets",
        kinds=[["text", kind] for _, _, kind in targets],
    )

    book.heading(ws, row, tx("unit.lists_heading", lang))
    row = book.block_table(
        ws,
        row + 1,
        [
            Column("sheet", tx("columns.sheet", lang), "text"),
            Column("records", tx("columns.records", lang), "int"),
            Column("sorted_by", tx("columns.sorted_by", lang), "text"),
        ],
        [[sheet_names[key], counts[key], tx(f"sorted_by.{key}", lang)] for key in LISTS],
        table_name="Worklists",
    )
    book.put(ws, row, 1, pending_note(unit, counts.get("pending", 0), lang), "long_text")
    book.put(ws, row + 1, 1, tx("unit.open_only_note", lang), "long_text")


SUMMARY_TEXT_WIDTH = 60  # column A of the unit's summary, in characters


def _final_block(book: PackBook, ws, row: int, final: dict[str, Any], plan: Plan, lang: str) -> int:
    book.heading(ws, row, tx("unit.final_heading", lang))
    for line in final_lines(final, plan, lang):
        row += 1
        book.put(ws, row, 1, line, "long_text")
    row += 2
    book.heading(ws, row, tx("unit.handover_heading", lang))
    for line in handover_lines(final, lang) or [tx("unit.handover_none", lang)]:
        row += 1
        book.put(ws, row, 1, line, "long_text")
    return row + 2


def commitment_lines(commitments: pd.DataFrame, lang: str) -> list[str]:
    """One line per commitment of the unit's commander, missed first: the measure, its status
    and the target with its date (the figures are on the commitments sheet)."""
    lines = []
    for r in commitments_table(commitments, lang).to_dict("records"):
        by = r["by_date"]
        lines.append(
            t(
                "commitments.unit_line",
                lang,
                measure=r["measure_label"],
                status=r["status_label"],
                target=figure_text(r["target"], str(r["unit"]), lang),
                by=fmt_date(pd.Timestamp(by).date(), lang) if pd.notna(by) else "–",
            )
        )
    return lines


def pending_note(unit: dict[str, Any], rows: int, lang: str) -> str:
    """Why the pending worklist's rows, the records pending and the submissions waiting can
    differ: each counts something else."""

    def n(key: str) -> int:
        value = unit.get(key)
        return 0 if value is None or pd.isna(value) else int(value)

    return tx(
        "unit.pending_note",
        lang,
        rows=rows,
        records=n("veh_pending") + n("lic_pending"),
        submissions=n("backlog_pending"),
    )


DAILY_DAYS = 14
_DAILY_VALUES = ("submitted_day", "approved_day", "cleaned_day")


def unit_daily_figures(
    con, path: str | None, unit: dict[str, Any], week: str, start: date | None = None
) -> pd.DataFrame:
    """The unit's daily figures (``unit_daily``) of the last 14 days up to ``week``, one row per
    day, vehicles then licences, each beside the daily target to finish the peak (the unit's
    ``veh_required_rate`` / ``lic_required_rate``)."""
    last = date.fromisoformat(week)
    first = last - timedelta(days=DAILY_DAYS - 1)
    columns = ["date"] + [
        f"{p}_{v}" for p in ("veh", "lic") for v in (*_DAILY_VALUES, "required_rate")
    ]
    if not path:
        return pd.DataFrame(columns=columns)
    long = con.execute(
        "SELECT CAST(date AS DATE) AS date, CAST(kind AS VARCHAR) AS kind, "
        + ", ".join(f"CAST({v} AS BIGINT) AS {v}" for v in _DAILY_VALUES)
        + " FROM read_parquet($daily) WHERE unit_code = $unit "
        "AND CAST(date AS DATE) BETWEEN $first AND $last",
        {"daily": path, "unit": unit["unit_code"], "first": first, "last": last},
    ).df()
    long["date"] = pd.to_datetime(long["date"]).astype("datetime64[ns]")
    # every day of the window (from the peak's start): a day without activity is a 0 in the
    # table and on the chart, never a day left out
    since = max(first, start) if start is not None else first
    days = pd.DataFrame({"date": pd.date_range(since, last, freq="D")}, dtype="datetime64[ns]")
    for prefix, kind in (("veh", "vehicle"), ("lic", "licence")):
        mine = long.loc[long["kind"] == kind]
        mine = mine.rename(columns={v: f"{prefix}_{v}" for v in _DAILY_VALUES})
        days = days.merge(mine.drop(columns="kind"), on="date", how="left")
        values = [f"{prefix}_{v}" for v in _DAILY_VALUES]
        days[values] = days[values].fillna(0).astype("int64")
        rate = unit.get(f"{prefix}_required_rate")
        days[f"{prefix}_required_rate"] = (
            float("nan") if rate is None or pd.isna(rate) else float(rate)
        )
    return days[columns].reset_index(drop=True)


def _daily_note(unit: dict[str, Any], plan: Plan, week: str, lang: str) -> str | None:
    """Why the daily target is blank, when it is: the deadline is reached, there is no pace
    left to keep; what the unit has left is said instead."""
    day = date.fromisoformat(week)
    plan = plan.in_force(day)
    if not plan.reaches_end(day):
        return None
    left = {k: v for k, v, _ in next_week_targets(unit, plan, week)}
    return tx(
        "unit.daily_no_target",
        lang,
        deadline=fmt_date(plan.end, lang),
        veh=fmt_int(left.get("veh_left", 0), lang),
        lic=fmt_int(left.get("lic_left", 0), lang),
    )


def _daily_sheet(book: PackBook, daily: pd.DataFrame, lang: str, note: str | None = None) -> None:
    """The daily meeting's sheet: a day per row against the daily target, and a chart per kind
    of record (cleaned that day against the target). Past the deadline the target is blank:
    ``note`` says why and what is left, above the charts."""
    columns = [Column("date", tx("columns.date", lang), "date")]
    for c in daily.columns[1:]:
        kind = "num" if c.endswith("required_rate") else "int"
        columns.append(
            Column(c, tx(f"prefix.{c[:3]}", lang, what=tx(f"trend.{c[4:]}", lang)), kind)
        )
    ws = book.data_sheet(
        tx("sheets.unit_daily", lang), daily, columns, table_name="Daily", freeze_cols=1
    )
    n = len(daily)
    if not n:
        return
    position = {c.name: i for i, c in enumerate(columns, start=1)}
    # below the table, not beside it: beside it the charts (and the note) widened the page so
    # much that one page wide printed the table at 5-6 pt; they start a page of their own
    top = n + 3
    ws.row_breaks.append(Break(id=top - 1))
    if note:
        book.put(ws, top, 1, note)
        top += 2
    for prefix, kind in (("veh", "vehicle"), ("lic", "licence")):
        cols = {"cleaned": position[f"{prefix}_cleaned_day"]}
        # no target line once the deadline is reached (the note says why)
        if not note and daily[f"{prefix}_required_rate"].notna().any():
            cols["target"] = position[f"{prefix}_required_rate"]
        chart = line_chart(book, ws, tx(f"charts.daily_{kind}", lang), n, cols, lang)
        chart.y_axis.scaling.min = 0
        highest = max(
            float(daily[daily.columns[c - 1]].max(skipna=True) or 0) for c in cols.values()
        )
        if highest < 10:  # whole records: ticks 0, 1, 2 ... (never 0, 1, 1 from 0.5 steps)
            chart.y_axis.majorUnit = 1
            chart.y_axis.scaling.max = max(highest, 1)
        if prefix == "lic":  # each chart whole on its own page, never cut across two
            ws.row_breaks.append(Break(id=top - 1))
        ws.add_chart(chart, f"A{top}")
        top += int(float(book.template["charts"]["trend_height"]) * 2) + 2


def unit_pack(
    unit: dict[str, Any],
    city: dict[str, dict[str, Any]],
    laggard: dict[str, Any] | None,
    leader_reasons: list[str],
    lists: dict[str, pd.DataFrame],
    plan: Plan,
    week: str,
    lang: str,
    template: dict[str, Any] | None = None,
    *,
    rows_per_sheet: int = SHEET_ROWS,
    daily: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    commitments: pd.DataFrame | None = None,
    final: dict[str, Any] | None = None,
    standings: Mapping[str, str] | None = None,
) -> PackBook:
    """One unit's pack: its summary against the city (with the unit among its neighbours on a
    map when ``standings`` gives every unit's standing by code), its commanders' commitments
    (when it gave some), then every worklist."""
    plan = plan.in_force(date.fromisoformat(week))  # the deadline in force at the week
    template = template or load_template()
    title = tx(
        "title.unit",
        lang,
        unit=unit["unit_name"],
        plan=plan.number,
        week=fmt_date(date.fromisoformat(week), lang),
    )
    book = PackBook(template, lang, title=title, mark=t("common.internal_mark", lang))
    sheet_names = {key: tx(f"sheets.{key}", lang) for key in LISTS}
    counts = {key: len(lists[key]) for key in LISTS}
    _unit_summary(
        book,
        unit,
        city,
        laggard,
        leader_reasons,
        counts,
        sheet_names,
        plan,
        week,
        lang,
        commitments,
        final,
        standings,
    )
    if daily is not None:
        _daily_sheet(book, daily, lang, _daily_note(unit, plan, week, lang))
    if history is not None:
        unit_history_sheet(book, history, lang)
    if commitments is not None and len(commitments):
        commitments_sheet(book, commitments, lang, as_said=True)
    for key in LISTS:
        columns = worklist_columns(key, lang)
        freeze = 1
        book.list_sheets(
            sheet_names[key],
            lists[key],
            columns,
            table_name=f"L_{key}",
            rows_per_sheet=rows_per_sheet,
            freeze_cols=freeze,
        )
        if key == "door_to_door" and GROUPS_KEY in lists:
            book.data_sheet(
                tx(f"sheets.{GROUPS_KEY}", lang),
                lists[GROUPS_KEY],
                worklist_columns(GROUPS_KEY, lang),
                table_name="L_groups",
                freeze_cols=1,
            )
    book.properties(
        subject=plan.title[lang],
        keywords=f"{plan.number}; {week}; {unit['unit_code']}",
        creator=plan.issuer[lang],
        when=document_time(week, template),
        description=t("common.internal_mark", lang),
        category=tx("document.category_unit", lang),
        custom={
            "plan": plan.number,
            "week": week,
            "lang": lang,
            "unit_code": unit["unit_code"],
            "scope": "unit",
        },
    )
    return book


# --------------------------------------------------------------------------------------------
# One worker's task: a unit's lists read, its pack written and encrypted
# --------------------------------------------------------------------------------------------

_WORKER_CON = None


def _worker_con():
    """One DuckDB connection per worker process, one thread each (the processes share cores)."""
    global _WORKER_CON
    if _WORKER_CON is None:
        _WORKER_CON = store.duckdb_connect(memory_limit="2GB", threads=1)
    return _WORKER_CON


def write_unit_pack(task: dict[str, Any]) -> dict[str, Any]:
    """Worker: read one unit's rows, write its pack; returns what was written."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    con = _worker_con()
    unit = task["unit"]
    lists = unit_worklists(
        con, task["paths"], unit["unit_code"], task["week"], task["lang"], full_ids=task["full_ids"]
    )
    daily = unit_daily_figures(
        con, task["paths"].get("daily"), unit, task["week"], start=task["plan"].start
    )
    t1 = time.perf_counter()
    book = unit_pack(
        unit,
        task["city"],
        task["laggard"],
        task["leaders"],
        lists,
        task["plan"],
        task["week"],
        task["lang"],
        task["template"],
        rows_per_sheet=task["rows_per_sheet"],
        daily=daily,
        history=task.get("history"),
        commitments=pd.DataFrame(task.get("commitments") or []),
        final=task.get("final"),
        standings=task.get("standings"),
    )
    path = book.save(Path(task["path"]), level=task["level"])
    if task.get("password"):  # encrypted here, in the worker: the packs' cores do it in parallel
        protect.encrypt_file(path, task["password"])
    return {
        "unit_code": unit["unit_code"],
        "file": path.name,
        "bytes": path.stat().st_size,
        **{f"rows_{key}": len(lists[key]) for key in LISTS},
        "cut_cells": book.cut_cells,
        "read_s": round(t1 - t0, 3),
        "write_s": round(time.perf_counter() - t1, 3),
        "cpu_s": round(time.process_time() - cpu0, 3),
    }
