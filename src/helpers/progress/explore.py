"""The analyst's drill-down into one unit (notebooks/explore_unit.ipynb): find a unit by code
or name, its key figures, its records by status, its oldest pending submissions (citizen IDs
masked), its self-reports, its listing as laggard or leader, its organisations, and its curve
against the city's, its place on the map of the city. Pure functions over the week's tables: the notebook reads them with
:func:`helpers.store.load` (the record-level ones cut to the columns and the unit needed);
nothing here reads or writes files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from helpers import PipelineError
from helpers.charts import date_axis, figure, pct_ticks
from helpers.config import Plan
from helpers.display import readable
from helpers.i18n import fmt_date, fmt_int, fmt_num, fmt_pct, t
from helpers.progress.definitions import KINDS, PREFIX
from helpers.progress.records import org_summary
from helpers.units import official_units, resolve_unit


def find_unit(value: str) -> str:
    """A unit code from a code or a name in any spelling; a clear error when it fits none."""
    code = resolve_unit(value)
    if code is not None:
        return code
    from helpers.normalize import fold

    wanted = fold(str(value))
    units = official_units()
    near = units.loc[units["unit_name"].map(fold).str.contains(wanted, regex=False), "unit_name"]
    hint = f"; did you mean {', '.join(near.head(5))}?" if len(near) else ""
    raise PipelineError(
        f"unit {value!r} is neither a unit code (e.g. '00008') nor the name of one of the 126 "
        f"units{hint}"
    )


def unit_card(units: pd.DataFrame, unit_code: str, lang: str) -> pd.DataFrame:
    """The unit's key figures, formatted in ``lang``: one row a figure, one column a kind
    (figures of the unit as a whole sit in the vehicle column)."""
    row = units.set_index("unit_code").loc[unit_code]

    def value(v: Any, kind_of: str) -> str:
        if v is None or pd.isna(v):
            return "–"
        if kind_of == "pct":
            return fmt_pct(v, lang)
        if kind_of == "num":
            return fmt_num(v, lang)
        if kind_of == "date":
            return fmt_date(v, lang)
        return fmt_int(v, lang)

    per_kind = [
        ("assigned", "int"),
        ("cleaned", "int"),
        ("share_cleaned", "pct"),
        ("gain_week", "int"),
        ("gain_prev_week", "int"),
        ("rate_7d", "num"),
        ("required_rate", "num"),
        ("projected_finish", "date"),
        ("days_late", "int"),
    ]
    whole = [
        ("rank", "int"),
        ("rank_change", "int"),
        ("backlog_pending", "int"),
        ("backlog_oldest_days", "int"),
        ("backlog_median_lag_days", "num"),
        ("self_report_ratio", "pct"),
    ]
    veh, lic = (t(f"progress.kind.{k}", lang) for k in KINDS)
    rows = [
        {
            "": t(f"progress.card.{c}", lang),
            veh: value(row[f"veh_{c}"], f),
            lic: value(row[f"lic_{c}"], f),
        }
        for c, f in per_kind
    ]
    rows += [{"": t(f"progress.card.{c}", lang), veh: value(row[c], f), lic: ""} for c, f in whole]
    rows.append(
        {
            "": t("progress.card.standing", lang),
            veh: t(f"progress.standing.{row['standing']}", lang),
            lic: "",
        }
    )
    return pd.DataFrame(rows).set_index("")


#: The columns :func:`unit_statuses` and :func:`unit_pending` read: the notebook loads only
#: these (``store.load(..., columns=..., filters=[("unit_code", "==", code)])``).
STATUS_COLUMNS = ["unit_code", "status"]
PENDING_LINK_COLUMNS = [
    "submission_id",
    "kind",
    "unit_code",
    "record_id",
    "submitted_at",
    "review_status",
]
PENDING_SUBMISSION_COLUMNS = ["submission_id", "citizen_id"]


def unit_statuses(statuses: Mapping[str, pd.DataFrame], unit_code: str, lang: str) -> pd.DataFrame:
    """Records of one unit by primary status, most first, labelled in ``lang``.

    ``statuses`` maps each record kind to its status table (``vehicle_status``,
    ``licence_status``; :data:`STATUS_COLUMNS` suffice, already cut to the unit or not).
    """
    from helpers.i18n import catalogue

    labels = catalogue(lang).get("status", {})
    frames = []
    for kind in KINDS:
        table = statuses[kind]
        counts = (
            table.loc[table["unit_code"] == unit_code, "status"]
            .value_counts(sort=False)
            .rename("records")
            .rename_axis("status")
            .reset_index()
            .sort_values(["records", "status"], ascending=[False, True], kind="stable")
        )
        counts.insert(0, "kind", t(f"progress.kind.{kind}", lang))
        frames.append(counts)
    out = pd.concat(frames, ignore_index=True)
    out["label"] = out["status"].map(lambda s: labels.get(s, s))
    out["records"] = out["records"].astype("int64")
    out = out[["kind", "label", "records"]]
    return out.rename(
        columns={
            "kind": t("explore.kind", lang),
            "label": t("explore.status", lang),
            "records": t("explore.records", lang),
        }
    )


def unit_pending(
    links: pd.DataFrame,
    submissions: pd.DataFrame,
    unit_code: str,
    *,
    as_of: date,
    limit: int = 10,
    lang: str | None = None,
) -> pd.DataFrame:
    """The unit's oldest submissions waiting for review on ``as_of``, citizen IDs masked
    (001*******45); with ``lang``, headers and record kinds in that language's words.

    ``links`` is the week's ``submission_links`` and ``submissions`` its ``submissions``
    (:data:`PENDING_LINK_COLUMNS` and :data:`PENDING_SUBMISSION_COLUMNS` suffice).
    """
    from helpers.privacy import mask_id

    day = pd.Timestamp(as_of)
    submitted = pd.to_datetime(links["submitted_at"])
    waiting = (
        (links["unit_code"] == unit_code)
        & (links["review_status"] == "pending")
        & (submitted < day + pd.Timedelta(days=1))
    )
    mine = links.loc[waiting, ["submission_id", "kind", "submitted_at"]].assign(
        days_waiting=(day - submitted[waiting].dt.normalize()).dt.days.astype("int64"),
        record_id=links.loc[waiting, "record_id"],
    )
    mine = mine.sort_values(["submitted_at", "submission_id"], kind="stable").head(limit)
    ids = submissions[["submission_id", "citizen_id"]].drop_duplicates("submission_id")
    out = mine.merge(ids, on="submission_id", how="left").reset_index(drop=True)
    out["citizen_id"] = mask_id(out["citizen_id"])
    if lang is None:
        return out
    out["kind"] = out["kind"].map(lambda k: t(f"progress.kind.{k}", lang))
    return out.rename(columns=_explore_headers(out.columns, lang))


_EXPLORE_HEADERS = {
    "submission_id": "excel.columns.submission_id",
    "kind": "explore.kind",
    "submitted_at": "excel.columns.submitted_at",
    "days_waiting": "excel.columns.days_waiting",
    "record_id": "excel.columns.record_id",
    "citizen_id": "excel.columns.person_id",
    "org_type": "excel.columns.org_type",
    "orgs": "excel.columns.orgs",
    "dispatches_sent": "excel.columns.dispatches_sent",
    "worked_directly": "excel.columns.worked_directly",
    "vehicles_counted": "excel.columns.vehicles_counted",
    "vehicles_declared": "excel.columns.vehicles_declared",
    "orgs_both": "explore.orgs_both",
    "counted_both": "explore.counted_both",
    "declared_both": "explore.declared_both",
}


def _explore_headers(columns: Sequence[str], lang: str) -> dict[str, str]:
    return {c: t(_EXPLORE_HEADERS[c], lang) for c in columns if c in _EXPLORE_HEADERS}


def unit_recognition(
    laggards: pd.DataFrame, leaders: pd.DataFrame, unit_code: str, lang: str
) -> pd.DataFrame:
    """Whether the unit is named a laggard or a leader this week, one row per listing with
    its reason in ``lang``; one row saying neither when it is not listed."""
    rows = [
        (t("explore.laggard", lang), r)
        for r in laggards.loc[laggards["unit_code"] == unit_code, f"reason_{lang}"]
    ]
    mine = leaders.loc[leaders["unit_code"] == unit_code]
    for category, reason in zip(mine["category"], mine[f"reason_{lang}"], strict=True):
        label = t(f"excel.leader_category.{category}", lang)
        rows.append((t("explore.leader", lang, category=label), reason))
    if not rows:
        rows = [(t("explore.neither", lang), "")]
    return pd.DataFrame(rows, columns=[t("explore.list", lang), t("explore.reason", lang)])


def unit_self_reports(check: pd.DataFrame, unit_code: str, lang: str, *, days: int = 14):
    """The unit's last ``days`` days of self-reports against the system, labelled in
    ``lang``. A day without a self-report shows its self-reported counts blank (never 0,
    which would read as a report of nothing); the caption says so."""
    from helpers.reconcile import SELF_REPORT_MEASURES

    rows = check.loc[check["unit_code"] == unit_code].sort_values("report_date").tail(days)
    sent = rows["has_report"].astype(bool) if "has_report" in rows else pd.Series(True, rows.index)
    out = pd.DataFrame(
        {
            t("explore.date", lang): [fmt_date(d, lang) for d in rows["report_date"]],
            t("explore.has_report", lang): sent.map(
                {True: t("explore.answer_yes", lang), False: t("explore.answer_no", lang)}
            ).to_numpy(),
        }
    )
    for m in SELF_REPORT_MEASURES:
        what = t(f"excel.measures.{m}", lang)
        out[t("explore.reported", lang, what=what)] = (
            rows[f"reported_{m}"].astype("Int64").where(sent.to_numpy()).to_numpy()
        )
        out[t("explore.system", lang, what=what)] = rows[f"system_{m}"].astype("Int64").to_numpy()
    ratio = rows["ratio"].astype("Float64").where(sent.to_numpy())
    out[t("explore.ratio", lang)] = [fmt_pct(v, lang) if not pd.isna(v) else "" for v in ratio]
    out[t("explore.overstated", lang)] = [
        (t("explore.answer_yes", lang) if v else t("explore.answer_no", lang)) if s else ""
        for v, s in zip(rows["overstated"].astype(bool), sent, strict=True)
    ]
    # counts as 60.420, a day without a report blank (never nan, never 3.000000)
    return readable(out, lang, missing="", caption=t("explore.no_report_note", lang))


def unit_organisations(
    organisations: pd.DataFrame, unit_code: str, lang: str, *, as_of: date
) -> pd.DataFrame:
    """Organisations on the unit's territory by type (:func:`org_summary`), in ``lang``."""
    mine = org_summary(organisations.loc[organisations["unit_code"] == unit_code], as_of=as_of)
    mine = mine.assign(org_type=mine["org_type"].map(lambda c: t(f"excel.org_type.{c}", lang)))
    return mine.rename(columns=_explore_headers(mine.columns, lang))


def unit_curve(
    unit_daily: pd.DataFrame, units: pd.DataFrame, unit_code: str, plan: Plan, *, as_of: date
) -> pd.DataFrame:
    """Per day and kind from the peak start: the unit's share of records cleaned against the
    city's (cleanings before the start or of unknown date count from the first day)."""
    plan = plan.in_force(as_of)
    days = [plan.start + timedelta(days=i) for i in range(max((as_of - plan.start).days + 1, 0))]
    row = units.set_index("unit_code").loc[unit_code]
    frames = []
    for kind in KINDS:
        p = PREFIX[kind]
        mine = unit_daily.loc[unit_daily["kind"] == kind]
        curves = {}
        for label, rows, assigned in (
            ("unit", mine.loc[mine["unit_code"] == unit_code], row[f"{p}_assigned"]),
            ("city", mine, units[f"{p}_assigned"].sum()),
        ):
            early = rows["date"].isna() | (rows["date"] < plan.start)
            base = int(rows.loc[early, "cleaned_day"].sum())
            per_day = (
                rows.loc[~early].groupby("date")["cleaned_day"].sum().reindex(days, fill_value=0)
            )
            cum = base + per_day.cumsum().to_numpy()
            curves[f"{label}_cleaned_cum"] = cum
            curves[f"{label}_share"] = cum / assigned if assigned else np.full(len(days), np.nan)
        frames.append(pd.DataFrame({"date": pd.Series(days, dtype=object), "kind": kind, **curves}))
    out = pd.concat(frames, ignore_index=True)
    out["kind"] = out["kind"].astype("str")
    return out


def chart_unit_curve(curve: pd.DataFrame, unit_name: str, lang: str):
    """The unit's cumulative share cleaned against the whole city, one panel a kind."""
    fig = figure(11, 3.5)
    axes = fig.subplots(1, len(KINDS))
    for ax, kind in zip(axes, KINDS, strict=True):
        rows = curve.loc[curve["kind"] == kind]
        days = pd.to_datetime(rows["date"])
        ax.plot(days, rows["unit_share"], lw=2, label=unit_name)
        ax.plot(
            days,
            rows["city_share"],
            color="grey",
            ls="--",
            label=t("progress.chart.city_line", lang),
        )
        ax.set_title(
            t("progress.chart.unit_curve_title", lang, unit=unit_name)
            + " – "
            + t(f"progress.kind.{kind}", lang),
            fontsize=10,
        )
        ax.yaxis.set_major_formatter(pct_ticks(lang))
        date_axis(ax)
        ax.legend(fontsize=7)
    return fig


def unit_map(units: pd.DataFrame, unit_code: str, lang: str) -> Any:
    """The city by standing (the briefing's map) with ``unit_code`` outlined heavily; hovering
    a unit shows its name and figures (an inline SVG: offline, no script). A unit without a
    boundary is named under the map."""
    import html

    from helpers import maps

    svg, missing = maps.city_standing_map(units, lang, highlight=unit_code, prefix="explore")
    name = units.set_index("unit_code").loc[unit_code, "unit_name"]
    heading = html.escape(t("map.explore_title", lang, name=name))
    note = f"<p><b>{html.escape(missing)}</b></p>" if missing else ""
    hover = html.escape(t("map.hover", lang))
    return maps.Markup(f"<p><b>{heading}</b> ({hover})</p>{svg}{note}")
