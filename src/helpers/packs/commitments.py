"""The commitments of unit commanders in the packs: a sheet of every commitment with its
figures and status (city pack: all units; unit pack: the unit's own, with the commitment as
said). Reads the ``commitment_status`` table; labels from the catalogue section
``commitments``."""

from __future__ import annotations

import pandas as pd

from helpers import schemas
from helpers.i18n import t
from helpers.packs.book import PackBook
from helpers.packs.sheetxml import Column
from helpers.packs.texts import label_series, tx

# the figure when given as counted now, and as the conference was shown it (differs when late
# data revised it; blank when that week was not run)
FIGURES = ("value_given", "value_given_told", "value_now", "target", "value_by", "projected")


def commitments_table(status: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rows as the sheet shows them: labels for measure and status, missed first."""
    status = schemas.complete("commitment_status", status)  # tables of older weeks: none
    out = status.sort_values("order", kind="stable").reset_index(drop=True).copy()
    out["measure_label"] = label_series(out["measure"], "commitments.measure", lang)
    out["status_label"] = label_series(out["status"], "commitments.status", lang)
    for column in FIGURES:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    return out


def commitments_sheet(
    book: PackBook, status: pd.DataFrame, lang: str, *, as_said: bool = False
) -> None:
    """One sheet: unit, measure, given on, figure when given / now, target, by, projected,
    status (and, in a unit's pack, the commitment as said)."""
    shown = commitments_table(status, lang)
    columns = [
        Column("unit_code", tx("columns.unit_code", lang), "code"),
        Column("unit_name", tx("columns.unit_name", lang), "text"),
        Column("measure_label", t("commitments.columns.measure", lang), "label"),
        Column("given_on", t("commitments.columns.given_on", lang), "date"),
        # a count (50) or a share in per cent (47.5) by the row's measure
        *[Column(c, t(f"commitments.columns.{c}", lang), "figure") for c in FIGURES[:4]],
        Column("by_date", t("commitments.columns.by_date", lang), "date"),
        *[Column(c, t(f"commitments.columns.{c}", lang), "figure") for c in FIGURES[4:]],
        Column("status_label", t("commitments.columns.status", lang), "label"),
    ]
    if as_said:
        shown["commitment_text"] = shown["commitment_text"].astype("object")
        columns.append(Column("commitment_text", t("commitments.columns.said", lang), "long_text"))
    book.data_sheet(
        tx("sheets.commitments", lang),
        shown,
        columns,
        table_name="Commitments",
        freeze_cols=2,
    )
