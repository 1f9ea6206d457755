"""The units table in a pack: unit_progress's columns, their headers and formats, and the
printable views.

    columns = unit_columns(units, "vi")            # every column, in a reading order
    view = print_view_columns(["rank", "veh_group_*"], units)

Names a progress column in the run's language (``Vehicles: cleaned``, ...) and says how it is
formatted, from its name alone; turns codes into words for display (standing, yes/no); writes
the printable views (template ``print_views``: one theme a sheet, at most ``print.max_columns``
columns, fitted to a page width) into a :class:`~helpers.packs.book.PackBook`. Used by the city
pack and the unit packs. Reads only the frames it is given (aggregates: no record-level data);
saves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from helpers import ConfigError
from helpers.config import KIND_PREFIX
from helpers.i18n import code_label
from helpers.packs.book import PackBook
from helpers.packs.sheetxml import Column
from helpers.packs.texts import label_series, tx, yes_no
from helpers.statuses import STANDINGS

METRICS: tuple[str, ...] = (
    "assigned",
    "submitted",
    "approved",
    "cleaned",
    "pending",
    "rejected",
    "not_submitted",
    "difficult",
    "difficult_open",
    "cleanable",
    "share_cleaned_cleanable",
    "compared",
    "share_compared",
    "share_cleaned",
    "share_submitted",
    "gain_week",
    "gain_prev_week",
    "rate_7d",
    "required_rate",
    "projected_finish",
    "days_late",
    "on_track",
)
UNIT_HEAD: tuple[str, ...] = (
    "rank",
    "rank_prev",
    "rank_change",
    "unit_code",
    "unit_name",
    "unit_kind",
    "standing",
    "is_laggard",
    "is_leader",
)
UNIT_TAIL: tuple[str, ...] = (
    "backlog_pending",
    "backlog_median_lag_days",
    "backlog_oldest_days",
    "self_report_ratio",
    "self_report_overstated",
    "org_count",
    "org_dispatches",
    "org_worked_directly",
    "org_vehicles_counted",
    "org_vehicles_declared",
)
BOOL_COLUMNS = frozenset(
    {"on_track", "is_laggard", "is_leader", "self_report_overstated", "overstated", "balanced"}
)
PREFIXES = {prefix: kind for kind, prefix in KIND_PREFIX.items()}


def metric_kind(name: str) -> str:
    """How a progress column is formatted, from its name."""
    base = name[4:] if name[:4] in ("veh_", "lic_") else name
    if base in BOOL_COLUMNS or base in ("standing", "unit_kind"):
        return "label"
    if base.startswith("share_") or base.endswith("_ratio") or base == "ratio":
        return "pct"
    if base in ("rate_7d", "required_rate", "backlog_median_lag_days"):
        return "num"
    if base == "projected_finish":
        return "date"
    if base in ("days_late", "rank_change"):
        return "signed"
    if base in ("unit_code",):
        return "code"
    if base in ("unit_name",):
        return "text"
    return "int"


def difficult_columns(units: pd.DataFrame) -> list[str]:
    """Per difficult group: its records, then (when progress wrote them) the resolved ones."""
    out = []
    for c in units.columns:
        if c[4:].startswith("group_"):
            out.append(c)
            resolved = c[:4] + "resolved_" + c[len(c[:4]) + len("group_") :]
            if resolved in units.columns:
                out.append(resolved)
    return out


def metric_header(name: str, lang: str) -> str:
    """Header of a progress column: 'Vehicles: cleaned', 'Licences: deceased holder', ..."""
    prefix, base = name[:3], name[4:]
    if name[3:4] == "_" and prefix in PREFIXES:
        if base.startswith("group_"):
            what = code_label("status", base[len("group_") :], lang)
        elif base.startswith("resolved_"):
            what = tx(
                "metric.resolved",
                lang,
                group=code_label("status", base[len("resolved_") :], lang),
            )
        else:
            what = tx(f"metric.{base}", lang)
        return tx(f"prefix.{prefix}", lang, what=what)
    return tx(f"columns.{name}", lang)


def unit_columns(units: pd.DataFrame, lang: str) -> list[Column]:
    """Every progress column of unit_progress in a reading order, groups last."""
    wanted = list(UNIT_HEAD)
    for prefix in PREFIXES:
        wanted += [f"{prefix}_{m}" for m in METRICS]
    wanted += list(UNIT_TAIL)
    for prefix in PREFIXES:
        wanted += [c for c in units.columns if c.startswith(f"{prefix}_group_")]
    return [Column(c, metric_header(c, lang), metric_kind(c)) for c in wanted if c in units.columns]


def display_units(units: pd.DataFrame, lang: str) -> pd.DataFrame:
    """unit_progress with codes turned into words (standing, yes/no), sorted by rank."""
    out = units.copy()
    for col in out.columns:
        base = col[4:] if col[:4] in ("veh_", "lic_") else col
        if base in BOOL_COLUMNS:
            out[col] = yes_no(out[col], lang)
    if "standing" in out:
        out["standing"] = label_series(out["standing"], "progress.standing", lang)
    if "unit_kind" in out:
        out["unit_kind"] = label_series(out["unit_kind"], "excel.unit_kind", lang)
    sort = [c for c in ("rank", "unit_code") if c in out]
    return out.sort_values(sort, kind="stable", na_position="last").reset_index(drop=True)


def standing_labels(lang: str) -> dict[str, str]:
    return {code: code_label("progress.standing", code, lang) for code in STANDINGS}


def print_view_columns(view: Sequence[str], units: pd.DataFrame) -> list[str]:
    """The unit_progress columns of one printable view: names as listed, ``prefix_*`` taking
    every column that starts so, each only if the table has it."""
    out: list[str] = []
    for name in view:
        if name.endswith("*"):
            out += [c for c in units.columns if c.startswith(name[:-1]) and c not in out]
        elif name in units.columns and name not in out:
            out.append(name)
    return out


def print_views(book: PackBook, units: pd.DataFrame, shown: pd.DataFrame, lang: str) -> None:
    """One sheet per theme of the units table (template ``print_views``): at most
    ``print.max_columns`` columns, all 126 units by rank, fitted to one page width."""
    limit = int(book.template["print"].get("max_columns", 0) or 0)
    for key, view in (book.template.get("print_views") or {}).items():
        names = print_view_columns(view, units)
        if limit and len(names) > limit:
            raise ConfigError(
                f"excel.yaml: print view {key!r} has {len(names)} columns; "
                f"a printable view holds at most {limit}"
            )
        columns = [Column(c, metric_header(c, lang), metric_kind(c)) for c in names]
        book.data_sheet(
            tx(f"sheets.{key}", lang),
            shown,
            columns,
            table_name="Print",
            freeze_cols=2 if len(columns) > 2 else 0,
            scale=[c for c in names if c.endswith(("share_cleaned", "share_cleaned_cleanable"))],
            standing=("standing", standing_labels(lang)),
        )
