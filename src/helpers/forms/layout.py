"""Where everything sits on a form: one layout per form and version, shared by the writer and
the reader (the reader reads these cells and no others: no header guessing).

A form's sheet: the title block (rows 1-5: title, unit, period, instructions), the header on
HEADER_ROW, one row per day (or organisation) from FIRST_ROW. Columns are ``Field``s: a
pre-filled one is locked (grey), an input one unlocked (yellow) with its data validation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

HEADER_ROW = 7
FIRST_ROW = 8
TITLE_ROW, UNIT_ROW, PERIOD_ROW, INSTRUCTIONS_ROW = 1, 2, 3, 4
# blank rows after the listed organisations, for organisations the registry does not know
EXTRA_ORG_ROWS = 5


@dataclass(frozen=True)
class Field:
    """One column of a form: the source column it fills (None: shown only), how it is typed
    (``count``, ``date``, ``org_type``, ``yes_no``, ``text``), whether the clerk types it,
    and its width in characters."""

    name: str
    source_column: str | None
    kind: str
    input: bool
    width: float


FIELDS: dict[tuple[str, int], tuple[Field, ...]] = {
    ("unit_daily", 1): (
        Field("row_no", None, "count", False, 6),
        Field("report_date", "report_date", "date", False, 14),
        Field("unit_code", "unit_code", "text", False, 10),
        Field("unit_name", None, "text", False, 24),
        Field("vehicles_collected", "vehicles_collected", "count", True, 13),
        Field("vehicles_approved", "vehicles_approved", "count", True, 13),
        Field("licences_collected", "licences_collected", "count", True, 13),
        Field("licences_cleaned", "licences_cleaned", "count", True, 13),
    ),
    ("org_review", 1): (
        Field("row_no", None, "count", False, 6),
        Field("org_id", "org_id", "text", False, 15),
        Field("org_name", "org_name", "text", False, 34),
        Field("org_type", "org_type", "org_type", False, 19),
        Field("vehicles_on_record", None, "count", False, 11),
        Field("dispatch_sent_on", "dispatch_sent_on", "date", True, 12),
        Field("worked_directly", "worked_directly", "yes_no", True, 11),
        Field("vehicles_counted", "vehicles_counted", "count", True, 11),
        Field("vehicles_declared", "vehicles_declared", "count", True, 11),
    ),
}
# the org form's blank rows: these columns are typed by the clerk too
EXTRA_ROW_INPUTS: tuple[str, ...] = ("org_id", "org_name", "org_type")


def fields(form: str, version: int) -> tuple[Field, ...]:
    return FIELDS[(form, version)]


def column_letter(index: int) -> str:
    """1 -> A ... (the forms stay far under 26 columns)."""
    return chr(ord("A") + index - 1)


def cell_text(value: Any) -> str:
    """A cell's value as the fingerprint and the reader see it: dates ISO, whole numbers
    without '.0', text stripped, empty ''."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def fingerprint(cells: dict[str, str]) -> str:
    """One hash over the locked cells (reference and text), the order fixed."""
    text = "\n".join(f"{ref}={cells[ref]}" for ref in sorted(cells))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cell_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
