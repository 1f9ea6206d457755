"""Who a form is: the hidden `_form` sheet the suite writes into every form it issues.

The sheet is *very hidden* (Excel shows it in no menu) and holds one key per row, column A the
key, column B its value. A workbook without it is not one the suite issued (free-form, read as
before); one with it but a key missing or unreadable is a damaged form, said as a FormError.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from helpers import DeliveryError

IDENTITY_SHEET = "_form"
# the form names, their current versions and the delivery subfolder a filled one is read from
VERSIONS: dict[str, int] = {"unit_daily": 1, "org_review": 1}
SUBFOLDERS: dict[str, str] = {"unit_daily": "unit_reports", "org_review": "organizations"}
# the keys every issued form holds; `locked` is the fingerprint of its locked cells
KEYS: tuple[str, ...] = ("form", "version", "unit_code", "first_day", "last_day", "due", "locked")


class FormError(DeliveryError):
    """A form the suite issued whose identity or locked cells are damaged (names the file)."""


@dataclass(frozen=True)
class FormIdentity:
    form: str  # "unit_daily" (the unit's daily self-report) or "org_review" (organisations' review)
    version: int
    unit_code: str  # official 5-digit code (config/units.csv)
    first_day: date  # first day the form covers
    last_day: date  # last day it covers
    due: date  # the delivery (data/raw/<due>/) the filled form belongs in

    @property
    def subfolder(self) -> str:
        """The delivery subfolder a filled form of this kind is read from."""
        return SUBFOLDERS[self.form]

    def keys(self, locked: str) -> dict[str, str]:
        """The `_form` sheet's rows for this identity and its locked cells' fingerprint."""
        return {
            "form": self.form,
            "version": str(self.version),
            "unit_code": self.unit_code,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "due": self.due.isoformat(),
            "locked": locked,
        }


def read_keys(path: Path) -> dict[str, str] | None:
    """The `_form` sheet's key/value rows as text, or None when the workbook has no such sheet
    (or is no .xlsx at all: the ordinary readers say what is wrong with it)."""
    if path.suffix.lower() != ".xlsx" or not zipfile.is_zipfile(path):
        return None
    import openpyxl  # the workbook reader; only loaded when a workbook is looked at

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - an unreadable workbook is the ordinary reader's to report
        return None
    try:
        if IDENTITY_SHEET not in wb.sheetnames:
            return None
        rows = wb[IDENTITY_SHEET].iter_rows(min_col=1, max_col=2, values_only=True)
        return {str(k).strip(): _text(v) for k, v in rows if k is not None}
    finally:
        wb.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def parse(path: Path, keys: dict[str, str]) -> FormIdentity:
    """The identity the `_form` rows state; FormError naming the file and the damaged key."""
    missing = [k for k in KEYS if not keys.get(k)]
    if missing:
        raise FormError(
            f"{path.name}: the form's identity sheet {IDENTITY_SHEET!r} lacks {', '.join(missing)}"
        )
    form = keys["form"]
    if form not in VERSIONS:
        raise FormError(
            f"{path.name}: unknown form {form!r} (expected one of {', '.join(VERSIONS)})"
        )
    try:
        version = int(keys["version"])
    except ValueError:
        raise FormError(
            f"{path.name}: form version {keys['version']!r} is not a whole number"
        ) from None
    unit = keys["unit_code"]
    if not (len(unit) == 5 and unit.isdigit()):
        raise FormError(f"{path.name}: unit code {unit!r} in the form's identity is not 5 digits")
    days: dict[str, date] = {}
    for key in ("first_day", "last_day", "due"):
        try:
            days[key] = date.fromisoformat(keys[key])
        except ValueError:
            raise FormError(
                f"{path.name}: {key} {keys[key]!r} in the form's identity is not a date (YYYY-MM-DD)"
            ) from None
    if days["first_day"] > days["last_day"]:
        raise FormError(
            f"{path.name}: the form's first day {days['first_day']} is after its last day {days['last_day']}"
        )
    return FormIdentity(form, version, unit, days["first_day"], days["last_day"], days["due"])


def identify(path: Path) -> FormIdentity | None:
    """None when the workbook is not one the suite issued; FormError (naming the file and what
    is wrong) when it is one whose identity is damaged."""
    keys = read_keys(Path(path))
    return None if keys is None else parse(Path(path), keys)
