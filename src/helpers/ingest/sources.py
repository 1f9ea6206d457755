"""The sources of a delivery: their names, columns and keys, where each is read from this
week, and what the deliveries hold that no source reads (said in warnings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from helpers import DeliveryError, headers, i18n, pipeline, synthetic
from helpers.config import Plan
from helpers.paths import Workspace

# one processed table each, declared with the step that writes them (helpers.pipeline)
SOURCE_NAMES: tuple[str, ...] = pipeline.SOURCES
# Sources a delivery may leave out with no error and no warning: the commitments unit
# commanders gave at a conference (a register, re-sent whole when it changes). When no
# delivery up to the week holds one, its processed table is written empty.
OPTIONAL_SOURCES: tuple[str, ...] = ("commitments",)
# ".csv.gz" before ".csv": the longer suffix decides.
RAW_FORMATS: tuple[str, ...] = (".csv.gz", ".csv", ".xlsx", ".parquet")
HEADER_SEARCH_ROWS = 30  # the header row must sit within the first rows of a file
SKIP_KINDS: tuple[str, ...] = ("title", "blank", "totals")
# the sources a delivery may hold a folder of workbooks for (one per unit): the units'
# self-reports, and the organisations' reviews units return on the issued form
FORM_FOLDERS: tuple[str, ...] = ("unit_reports", "organizations")

# ---------------------------------------------------------------- column names and aliases

# The contract's columns per source; their accepted header spellings are in config/aliases.yaml
# (helpers.headers), which an analyst extends without code.
COLUMNS: dict[str, tuple[str, ...]] = headers.CANONICAL

# Columns a file must have (rules.md, required fields); the run stops when one is missing.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "registry_vehicles": ("record_id", "unit_code", "plate", "vehicle_type", "owner_kind"),
    "registry_licences": ("record_id", "unit_code", "licence_no", "licence_class", "issued_on"),
    "population": ("citizen_id", "full_name", "dob", "unit_code", "status"),
    "submissions": ("submission_id", "submitted_at", "kind", "unit_code", "review_status"),
    "unit_reports": (
        "report_date",
        "unit_code",
        "vehicles_collected",
        "vehicles_approved",
        "licences_collected",
        "licences_cleaned",
    ),
    "organizations": ("org_id", "org_name", "org_type", "unit_code"),
    "commitments": ("unit_code", "measure", "target", "by_date", "given_on"),
}

# The key whose second and later occurrences in a file are rejected as duplicates.
DUPLICATE_KEYS: dict[str, str] = {
    "registry_vehicles": "record_id",
    "registry_licences": "record_id",
    "population": "citizen_id",
}

# Natural keys of the weekly sources, across every file of a delivery (a workbook sent twice):
# identical repeats are rejected as `duplicate_row` (the first kept), rows that share a key
# but disagree are all rejected as `conflicting_rows` (docs/rules.md). The first column is
# where the reject is reported.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "submissions": ("submission_id",),
    "unit_reports": ("unit_code", "report_date"),
    "organizations": ("org_id",),
    "commitments": ("unit_code", "measure", "given_on"),
}

# The column that identifies a row, per source: one value per row. A header read as one of
# these by its words only is believed when its values say so (helpers.ingest.rawfile).
ID_COLUMNS: dict[str, str] = {
    **DUPLICATE_KEYS,
    **{s: k[0] for s, k in NATURAL_KEYS.items() if len(k) == 1},
}
# an ID column read by words holds at least this share of distinct values among its filled
# cells (resubmissions repeat a few IDs; a channel or unit column holds a handful)
ID_DISTINCT_SHARE = 0.5

# ---------------------------------------------------------------- locating the files


@dataclass(frozen=True)
class SourceFiles:
    """Where one source comes from this week."""

    source: str
    delivery: str  # folder name, YYYY-MM-DD: the last day that delivery covers
    files: tuple[Path, ...]


def raw_format(path: Path) -> str | None:
    name = path.name.lower()
    return next((ext for ext in RAW_FORMATS if name.endswith(ext)), None)


def _ignored(path: Path) -> bool:
    """Hidden files and Excel lock files (~$...): never data, never worth a warning."""
    return path.name.startswith((".", "~$"))


def _usable(path: Path) -> bool:
    """Data files only: no hidden files, no Excel lock files (~$...)."""
    return path.is_file() and not _ignored(path) and raw_format(path) is not None


def _named_source(path: Path) -> str | None:
    """The source a file is named for (``submissions.xls`` -> submissions), whatever its form."""
    stem = path.name.lower().split(".", 1)[0]
    return stem if stem in SOURCE_NAMES else None


def _files_in(ws: Workspace, folder: Path, source: str) -> list[Path]:
    named = [
        p
        for p in sorted(folder.iterdir())
        if p.is_file() and not _ignored(p) and _named_source(p) == source
    ]
    unreadable = [p for p in named if not _usable(p)]
    if unreadable:
        # never fall back to an older delivery in silence: the newer data is right here
        raise DeliveryError(
            f"{relative(ws, unreadable[0])}: {source} delivered in a form the suite does not "
            f"read; expected {', '.join(RAW_FORMATS)}: save it as .xlsx or .csv "
            "(docs/data-contract.md), or move it out of the folder to use an older delivery"
        )
    files = [
        p for p in named if _usable(p) and p.name.lower()[: -len(raw_format(p) or "")] == source
    ]
    if len(files) > 1:
        raise DeliveryError(
            f"{folder}: source '{source}' is delivered more than once "
            f"({', '.join(p.name for p in files)}); keep one file per source"
        )
    if source in FORM_FOLDERS and (folder / source).is_dir():
        files += [p for p in sorted((folder / source).iterdir()) if _usable(p)]
    return files


def locate_sources(ws: Workspace, week: str) -> dict[str, SourceFiles]:
    """For every source, the files of the newest delivery folder dated on or before ``week``
    (an optional source no folder holds is left out)."""
    folders = [d for d in ws.deliveries() if d <= week]
    found: dict[str, SourceFiles] = {}
    for source in SOURCE_NAMES:
        for delivery in reversed(folders):
            files = _files_in(ws, ws.delivery(delivery), source)
            if files:
                found[source] = SourceFiles(source, delivery, tuple(files))
                break
        else:
            if source in OPTIONAL_SOURCES:
                continue
            searched = ", ".join(folders) or "none"
            raise DeliveryError(
                f"source '{source}' not found for week {week}: no delivery folder up to that "
                f"week holds {source}.csv/.csv.gz/.xlsx/.parquet"
                + (" or unit_reports/*.xlsx" if source == "unit_reports" else "")
                + f" (folders searched in {ws.raw}: {searched})"
            )
    return found


# ---------------------------------------------------------------- what was not read, said


def warning(code: str, **params: object) -> dict:
    """One warning for the ledger, the console, 01_ingest and the cover, in both languages."""
    return {
        "code": code,
        "params": params,
        "message_en": i18n.t(f"ingest_warning.{code}", "en", **params),
        "message_vi": i18n.t(f"ingest_warning.{code}", "vi", **params),
    }


def _unread_files(ws: Workspace, folder: Path) -> list[Path]:
    """Files and folders of a delivery folder that no source reads."""
    unread = []
    for path in sorted(folder.iterdir()):
        if _ignored(path):
            continue
        if path.is_dir() and path.name in FORM_FOLDERS:
            unread += [p for p in sorted(path.iterdir()) if not _ignored(p) and not _usable(p)]
        elif path.name == synthetic.MARKER and path.is_file():
            continue  # the generator's marker: read into the ledger, not a data file
        elif path.is_dir() or not _usable(path) or _named_source(path) is None:
            unread.append(path)
    return unread


def source_ages(located: dict[str, SourceFiles], week: str, plan: Plan) -> dict[str, dict]:
    """Per source: its delivery, its age in days on ``week``, and whether it is stale (older
    than one reporting cadence; sources re-delivered rarely are never stale)."""
    as_of = date.fromisoformat(week)
    ages = {}
    for source, where in located.items():
        age = (as_of - date.fromisoformat(where.delivery)).days
        stale = source not in plan.static_sources and age > plan.cadence_days
        ages[source] = {"delivery": where.delivery, "age_days": age, "stale": stale}
    return ages


def delivery_warnings(
    ws: Workspace, week: str, located: dict[str, SourceFiles], plan: Plan
) -> list[dict]:
    """Everything about the week's deliveries a duty officer must hear before the conference:
    folders that are not deliveries, empty folders, files no source reads, a week with no
    delivery of its own, and sources older than one cadence."""
    found = [warning("odd_folder", folder=name, raw=str(ws.raw)) for name in ws.other_folders()]
    folders = [d for d in ws.deliveries() if d <= week]
    if week not in folders:
        found.append(warning("week_not_delivered", week=week, newest=folders[-1]))
    for delivery in folders:
        folder = ws.delivery(delivery)
        if not any(_usable(p) or p.is_dir() for p in folder.iterdir() if not _ignored(p)):
            found.append(warning("empty_delivery", folder=delivery))
        found += [warning("unread_file", file=relative(ws, p)) for p in _unread_files(ws, folder)]
    for source, age in source_ages(located, week, plan).items():
        if age["stale"]:
            found.append(
                warning(
                    "stale_source",
                    source=source,
                    delivery=age["delivery"],
                    days=age["age_days"],
                    week=week,
                    cadence=plan.cadence_days,
                )
            )
    return found


def relative(ws: Workspace, path: Path) -> str:
    return relative_to_raw(ws.raw, path)


def relative_to_raw(raw: Path, path: Path) -> str:
    """``path`` as shown to people: relative to the raw folder when inside it. A file that is
    a symbolic link is named where it sits in the delivery, not where it points (the name
    enters the ledger, the rejects and the reuse key)."""
    candidates = (
        (path.absolute(), raw.absolute()),
        (path.parent.resolve() / path.name, raw.resolve()),  # the folders resolved, not the file
        (path.resolve(), raw.resolve()),
    )
    for inside, folder in candidates:
        try:
            return inside.relative_to(folder).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def labelled(table: pd.DataFrame, lang: str | None) -> pd.DataFrame:
    if lang is None:
        return table
    return table.rename(columns=lambda c: i18n.t(f"ingest.{c}", lang))
