"""Writing the forms: per unit, the daily self-report for the coming period and the review of
the organisations the registry knows in the unit (``make forms``).

Pure parts first (the coming period, the rows, one workbook), the folder last. The forms are
Vietnamese (the units fill them); the hidden `_form` sheet says what each one is
(helpers.forms.identity) and holds a fingerprint of every locked cell the reader checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins

from helpers import DeliveryError, i18n
from helpers.config import Plan
from helpers.forms.identity import IDENTITY_SHEET, VERSIONS, FormIdentity
from helpers.forms.layout import (
    EXTRA_ORG_ROWS,
    EXTRA_ROW_INPUTS,
    FIRST_ROW,
    HEADER_ROW,
    INSTRUCTIONS_ROW,
    PERIOD_ROW,
    TITLE_ROW,
    UNIT_ROW,
    Field,
    cell_hash,
    cell_text,
    column_letter,
    fields,
    fingerprint,
)

LANG = "vi"  # the units fill the forms in Vietnamese
LOCKED_FILL = PatternFill("solid", fgColor="E7E6E6")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = Font(name="Times New Roman", size=12)
BOLD = Font(name="Times New Roman", size=12, bold=True)
TITLE = Font(name="Times New Roman", size=14, bold=True)
# a character of 12-point Times New Roman against the 11-point one column widths count in
TNR_WIDTH = 1.3  # with room for a wider fallback font (LibreOffice without Times New Roman)
DATE_FORMAT = "dd/mm/yyyy"
ORG_TYPES: tuple[str, ...] = (
    "enterprise",
    "industrial_park",
    "school",
    "hospital",
    "agency",
    "business_household",
)


# ---------------------------------------------------------------- the coming period


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    due: date  # the delivery the filled forms belong in (named by its last day)
    conference: date  # the conference that reviews it


def coming_period(plan: Plan, week: date) -> Period:
    """The period after the conference of ``week`` (docs/rules.md, "Forms"): the next
    ``cadence_days`` days, cut at the deadline in force at that conference; a remainder
    shorter than a cadence before the deadline joins this period (no stub period)."""
    stood = plan.in_force(plan.conference_date(week))
    first = week + timedelta(days=1)
    if first > stood.end:
        raise DeliveryError(
            f"week {week} reaches the end of the peak ({stood.end}): there is no coming "
            "period to issue forms for"
        )
    last = week + timedelta(days=plan.cadence_days)
    if last >= stood.end or (stood.end - last).days < plan.cadence_days:
        last = stood.end
    return period_between(plan, first, last)


def period_between(plan: Plan, first_day: date, last_day: date) -> Period:
    """The period of the days given, due in the delivery of its last day (the rule of
    :func:`coming_period` aside: the generator's sample follows its own delivery calendar)."""
    return Period(first_day, last_day, last_day, plan.conference_date(last_day))


# ---------------------------------------------------------------- the rows


def daily_rows(unit_code: str, unit_name: str, period: Period) -> list[list]:
    """One row per day of the period: number, date, unit code and name; counts blank."""
    days = (period.last_day - period.first_day).days + 1
    return [
        [i + 1, period.first_day + timedelta(days=i), unit_code, unit_name, None, None, None, None]
        for i in range(days)
    ]


def org_rows(orgs: pd.DataFrame) -> list[list]:
    """One row per organisation (sorted by name): number, tax code, name, type (in
    Vietnamese), vehicles on record; the answers blank, then the blank rows for new ones."""
    types = _type_labels()
    listed = orgs.sort_values(["org_name", "org_id"], kind="stable")
    rows = [
        [
            i + 1,
            str(r.org_id),
            str(r.org_name),
            types.get(str(r.org_type), str(r.org_type)),
            int(r.vehicles_on_record),
            None,
            None,
            None,
            None,
        ]
        for i, r in enumerate(listed.itertuples(index=False))
    ]
    n = len(rows)
    return rows + [[n + i + 1, *([None] * 8)] for i in range(EXTRA_ORG_ROWS)]


def _type_labels() -> dict[str, str]:
    """The organisation types as the export writes them (Doanh nghiệp ...): ingest reads them."""
    return {code: i18n.t(f"excel.org_type.{code}", LANG) for code in ORG_TYPES}


# ---------------------------------------------------------------- one workbook


def _dv(kind: str, period: Period, peak_start: date) -> DataValidation:
    t = lambda key, **v: i18n.t(f"forms.validation.{key}", LANG, **v)  # noqa: E731
    if kind == "count":
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
        dv.errorTitle, dv.error = t("count_title"), t("count")
    elif kind == "date":
        start = peak_start if peak_start < period.first_day else period.first_day
        first, last = i18n.fmt_date(start, LANG), i18n.fmt_date(period.last_day, LANG)
        dv = DataValidation(
            type="date",
            operator="between",
            formula1=f"DATE({start.year},{start.month},{start.day})",
            formula2=f"DATE({period.last_day.year},{period.last_day.month},{period.last_day.day})",
        )
        dv.errorTitle, dv.error = t("date_title"), t("date", first=first, last=last)
    else:
        values = (
            list(_type_labels().values())
            if kind == "org_type"
            else [i18n.t("forms.answer_yes", LANG), i18n.t("forms.answer_no", LANG)]
        )
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"')
        dv.errorTitle, dv.error = t("list_title"), t("list")
    dv.promptTitle, dv.prompt = dv.errorTitle, dv.error
    dv.showErrorMessage = dv.showInputMessage = True
    dv.allow_blank = True
    return dv


def build_form(
    identity: FormIdentity,
    unit_name: str,
    rows: list[list],
    plan: Plan,
    period: Period,
) -> Workbook:
    """One form: title block, header, rows (pre-filled cells locked, input cells unlocked
    with their validation), the sheet protected without a password, A4 print set up, and the
    very hidden identity sheet with the locked cells' fingerprint."""
    cols = fields(identity.form, identity.version)
    wb = Workbook()
    ws = wb.active
    ws.title = i18n.t(f"forms.{identity.form}.sheet", LANG)
    width = len(cols)
    last_col = column_letter(width)
    fmt = lambda d: i18n.fmt_date(d, LANG)  # noqa: E731
    title_block = {
        TITLE_ROW: (i18n.t(f"forms.{identity.form}.title", LANG, plan=plan.number), TITLE, 24),
        UNIT_ROW: (
            i18n.t("forms.unit_line", LANG, unit=_lower_kind(unit_name), code=identity.unit_code),
            BOLD,
            20,
        ),
        PERIOD_ROW: (
            i18n.t(
                "forms.period_line",
                LANG,
                first=fmt(period.first_day),
                last=fmt(period.last_day),
                due=fmt(period.due),
                conference=fmt(period.conference),
            ),
            FONT,
            36,
        ),
        INSTRUCTIONS_ROW: (i18n.t(f"forms.instructions.{identity.form}", LANG), FONT, 96),
    }
    locked: dict[str, str] = {}
    for row, (text, font, height) in title_block.items():
        ws.merge_cells(f"A{row}:{last_col}{row}")
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="left")
        ws.row_dimensions[row].height = height
        if row in (UNIT_ROW, PERIOD_ROW):
            locked[cell.coordinate] = cell_text(text)
    ws.cell(row=TITLE_ROW, column=1).alignment = Alignment(horizontal="center", vertical="center")
    widths: dict[int, float] = {}
    for j, f in enumerate(cols, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j, value=i18n.t(f"forms.header.{f.name}", LANG))
        cell.font, cell.fill, cell.border = BOLD, HEADER_FILL, BOX
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        locked[cell.coordinate] = cell_text(cell.value)
        # a name column as wide as its longest name (no wrapped, cut name), within a page
        longest = max((len(cell_text(r[j - 1])) for r in rows), default=0)
        wide = min(max(f.width, math.ceil((longest + 2) * TNR_WIDTH)), 48)
        widths[j] = wide if f.kind == "text" else f.width
        ws.column_dimensions[column_letter(j)].width = widths[j]
    ws.row_dimensions[HEADER_ROW].height = max(
        48, max(_lines(cell_text(c.value), widths[c.column]) for c in ws[HEADER_ROW]) * 15 + 6
    )
    listed = sum(1 for r in rows if r[1] is not None)
    validations: dict[str, DataValidation] = {}
    for i, values in enumerate(rows):
        r = FIRST_ROW + i
        # a name or a type longer than its column wraps: the row grows, nothing is cut
        lines = max(_lines(cell_text(v), widths[j]) for j, v in enumerate(values, start=1))
        ws.row_dimensions[r].height = max(20, 16 * lines)
        extra = identity.form == "org_review" and i >= listed
        for j, (f, value) in enumerate(zip(cols, values, strict=True), start=1):
            cell = ws.cell(row=r, column=j, value=value)
            cell.font, cell.border = FONT, BOX
            typed = f.input or (extra and f.name in EXTRA_ROW_INPUTS)
            if f.kind == "date":
                cell.number_format = DATE_FORMAT
            if f.kind == "text" and typed:
                cell.number_format = "@"  # a tax code keeps its leading zero
            cell.alignment = Alignment(
                vertical="center",
                horizontal="center" if f.name == "unit_code" else None,
                wrap_text=True,
            )
            if typed:
                cell.protection = Protection(locked=False)
                cell.fill = INPUT_FILL
                if f.kind != "text":
                    validations.setdefault(f.kind, _dv(f.kind, period, plan.start)).add(cell)
            else:
                cell.fill = LOCKED_FILL
                locked[cell.coordinate] = cell_text(value)
    for dv in validations.values():
        ws.add_data_validation(dv)
    ws.freeze_panes = f"A{FIRST_ROW}"
    _print_setup(ws, identity.form, cols)
    ws.protection.sheet = True  # no password: the clerk fills the yellow cells, nothing else
    ws.protection.formatColumns = False  # widening a column is harmless
    _identity_sheet(wb, identity, locked, len(rows))
    return wb


def _lines(text: str, width: float) -> int:
    """Lines a text takes in a column ``width`` characters wide, in the form's 12-point Times
    New Roman (wider than the 11-point font column widths are counted in)."""
    per_line = max(1, int(width / TNR_WIDTH) - 1)
    return max(1, -(-len(text) // per_line))


def _lower_kind(unit_name: str) -> str:
    """ "Phường Ngọc Hà" -> "phường Ngọc Hà" (after "Công an")."""
    return unit_name[:1].lower() + unit_name[1:]


def _print_setup(ws, form: str, cols: tuple[Field, ...]) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if form == "org_review" else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.6, right=0.6, top=0.7, bottom=0.7)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.oddFooter.right.text = "&P / &N"


def _identity_sheet(wb: Workbook, identity: FormIdentity, locked: dict[str, str], n: int) -> None:
    sheet = wb.create_sheet(IDENTITY_SHEET)
    sheet.sheet_state = "veryHidden"  # no menu shows it; only the reader looks
    keys = identity.keys(fingerprint(locked)) | {"rows": str(n)}
    for key, value in keys.items():
        sheet.append([key, value])
    for ref in sorted(locked, key=_cell_order):
        sheet.append([f"cell:{ref}", cell_hash(locked[ref])])
    sheet.protection.sheet = True


def _cell_order(ref: str) -> tuple[int, str]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    return int(ref[len(letters) :]), letters


def form_identity(form: str, unit_code: str, period: Period) -> FormIdentity:
    return FormIdentity(
        form, VERSIONS[form], unit_code, period.first_day, period.last_day, period.due
    )


def form_file_name(form: str, unit_code: str, slug: str, period: Period) -> str:
    """``00008_phuong-ngoc-ha_bieu-mau-bao-cao-ngay_2025-11-24.xlsx``: the unit's code first
    (the folder's convention), the form, the delivery it belongs in."""
    return f"{unit_code}_{slug}_{i18n.t(f'forms.{form}.file', LANG)}_{period.due}.xlsx"


def save_workbook(wb: Workbook, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
