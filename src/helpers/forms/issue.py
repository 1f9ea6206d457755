"""``make forms``: every unit's two forms for the period after a week's conference, written
into ``reports/output/<week>/forms/`` (the folder replaced whole, atomically).

Reads the week's published processed tables (a standalone command after the pipeline, no
step): ``organizations`` (the organisations the unit is known to hold) and
``registry_vehicles`` (the vehicles on record per organisation, its owner's tax code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from helpers import store
from helpers.config import Plan, load_plan
from helpers.forms.write import (
    Period,
    build_form,
    coming_period,
    daily_rows,
    form_file_name,
    form_identity,
    org_rows,
    save_workbook,
)
from helpers.paths import Workspace
from helpers.units import official_units

FORMS_DIR = "forms"


@dataclass(frozen=True)
class Issued:
    """What ``make forms`` wrote: the folder, the period, one file per unit and form."""

    folder: Path
    period: Period
    files: dict[str, dict[str, Path]]  # unit_code -> form -> file
    orgs: dict[str, int]  # unit_code -> organisations listed on its review form


def forms_folder(ws: Workspace, week: str) -> Path:
    return ws.output_week(week) / FORMS_DIR


def organisations(ws: Workspace, week: str) -> pd.DataFrame:
    """The week's organisations with their vehicles on record (registry rows owned by an
    organisation whose owner ID is the organisation's tax code)."""
    orgs = store.load(
        ws, "organizations", week, columns=["org_id", "org_name", "org_type", "unit_code"]
    )
    owned = store.load(
        ws,
        "registry_vehicles",
        week,
        columns=["owner_id"],
        filters=[("owner_kind", "==", "organization")],
    )
    counts = owned["owner_id"].value_counts()
    orgs = orgs.drop_duplicates("org_id", keep="last")
    return orgs.assign(vehicles_on_record=orgs["org_id"].map(counts).fillna(0).astype("int64"))


def issue_forms(ws: Workspace, week: str, plan: Plan | None = None) -> Issued:
    """Write every unit's daily form and organisations' review form for the period after
    ``week``; returns what was written."""
    plan = plan or load_plan()
    week = store.resolve_week(ws, week)
    period = coming_period(plan, date.fromisoformat(week))
    orgs = organisations(ws, week)
    by_unit = dict(tuple(orgs.groupby("unit_code", sort=False)))
    units = official_units()
    target = forms_folder(ws, week)
    store.refuse_raw(ws, target)
    files: dict[str, dict[str, Path]] = {}
    listed: dict[str, int] = {}
    with store.replace_dir(target, forbidden=ws.raw) as staging:
        for unit in units.itertuples(index=False):
            code, name, slug = str(unit.unit_code), str(unit.unit_name), str(unit.slug)
            mine = by_unit.get(code, orgs.iloc[0:0])
            listed[code] = len(mine)
            made = {}
            for form, rows in (
                ("unit_daily", daily_rows(code, name, period)),
                ("org_review", org_rows(mine)),
            ):
                book = build_form(form_identity(form, code, period), name, rows, plan, period)
                file = form_file_name(form, code, slug, period)
                save_workbook(book, staging / file)
                made[form] = target / file
            files[code] = made
    return Issued(target, period, files, listed)


def issued_files(week_folder: Path, unit_code: str) -> list[Path]:
    """The forms ``make forms`` wrote for one unit into a week's output folder (none: [])."""
    folder = week_folder / FORMS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{unit_code}_*.xlsx") if p.is_file())
