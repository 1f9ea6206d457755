"""The forms as written: locked and input cells, validation, protection, print, the hidden
identity, and the coming period from the plan's cadence."""

from __future__ import annotations

from datetime import date

import openpyxl
import pandas as pd
import pytest

from helpers import DeliveryError
from helpers.config import load_plan
from helpers.forms import identify
from helpers.forms.layout import FIRST_ROW, HEADER_ROW
from helpers.forms.write import (
    Period,
    build_form,
    coming_period,
    daily_rows,
    form_identity,
    org_rows,
)

PERIOD = Period(date(2025, 11, 18), date(2025, 11, 24), date(2025, 11, 24), date(2025, 11, 25))
ORGS = pd.DataFrame(
    {
        "org_id": ["0100109106"],
        "org_name": ["Công ty A"],
        "org_type": ["school"],
        "unit_code": ["00008"],
        "vehicles_on_record": [3],
    }
)


def _saved(tmp_path, form: str):
    rows = daily_rows("00008", "Phường Ngọc Hà", PERIOD) if form == "unit_daily" else org_rows(ORGS)
    book = build_form(
        form_identity(form, "00008", PERIOD), "Phường Ngọc Hà", rows, load_plan(), PERIOD
    )
    path = tmp_path / f"{form}.xlsx"
    book.save(path)
    return path, openpyxl.load_workbook(path)


def test_the_daily_form_has_one_locked_row_per_day_and_unlocked_counts(tmp_path) -> None:
    path, wb = _saved(tmp_path, "unit_daily")
    sheet = wb.worksheets[0]
    assert sheet.protection.sheet and not sheet.protection.password
    days = [sheet.cell(row=FIRST_ROW + i, column=2).value.date() for i in range(7)]
    assert days == [date(2025, 11, 18 + i) for i in range(7)]
    assert sheet.cell(row=FIRST_ROW + 7, column=2).value is None
    assert sheet["C8"].value == "00008" and sheet["C8"].protection.locked
    assert not sheet["E8"].protection.locked and not sheet["H14"].protection.locked
    assert sheet.cell(row=HEADER_ROW, column=5).value == "Số xe thu thập"
    assert "Hướng dẫn" in sheet["A4"].value  # Vietnamese instructions on the sheet


def test_every_input_cell_is_validated(tmp_path) -> None:
    _, wb = _saved(tmp_path, "unit_daily")
    [dv] = wb.worksheets[0].data_validations.dataValidation
    assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert set(str(dv.sqref).split()) == {f"{c}{r}" for c in "EFGH" for r in range(8, 15)}
    _, wb = _saved(tmp_path, "org_review")
    kinds = {dv.type: dv for dv in wb.worksheets[0].data_validations.dataValidation}
    assert set(kinds) == {"whole", "date", "list"}
    lists = [
        dv.formula1 for dv in wb.worksheets[0].data_validations.dataValidation if dv.type == "list"
    ]
    assert '"Có,Không"' in lists and any("Trường học" in f for f in lists)
    assert kinds["date"].formula2 == "DATE(2025,11,24)"


def test_the_identity_sheet_is_very_hidden_and_identifies_the_form(tmp_path) -> None:
    path, wb = _saved(tmp_path, "org_review")
    assert wb["_form"].sheet_state == "veryHidden"
    found = identify(path)
    assert found is not None and (found.form, found.unit_code, found.due) == (
        "org_review",
        "00008",
        date(2025, 11, 24),
    )


def test_the_forms_print_on_a4_one_page_wide(tmp_path) -> None:
    _, wb = _saved(tmp_path, "org_review")
    setup = wb.worksheets[0].page_setup
    assert (setup.paperSize, setup.orientation, setup.fitToWidth) == (9, "landscape", 1)


def test_the_coming_period_is_the_next_cadence_cut_at_the_deadline() -> None:
    plan = load_plan()
    p = coming_period(plan, date(2025, 11, 23))
    assert (p.first_day, p.last_day, p.due) == (
        date(2025, 11, 24),
        date(2025, 11, 30),
        date(2025, 11, 30),
    )
    # the last week before the extended end takes the remaining day too (no one-day period)
    assert coming_period(plan, date(2026, 1, 11)).last_day == date(2026, 1, 19)
    with pytest.raises(DeliveryError, match="no coming period"):
        coming_period(plan, date(2026, 1, 19))


def test_a_long_organisation_name_wraps_in_a_taller_row_never_cut(tmp_path):
    # in LibreOffice the names and types of the organisations' form were cut at the column's
    # edge (the widths counted in the 11-point font, the form is in 12-point Times New Roman)
    long_name = "Công ty Trách nhiệm hữu hạn Một thành viên Vận tải và Dịch vụ Hà Nội Số Một"
    orgs = ORGS.assign(org_name=[long_name])
    book = build_form(
        form_identity("org_review", "00008", PERIOD),
        "Phường Ngọc Hà",
        org_rows(orgs),
        load_plan(),
        PERIOD,
    )
    book.save(tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").worksheets[0]
    name = next(c for c in ws[FIRST_ROW] if c.value == long_name)
    assert name.alignment.wrap_text
    assert ws.row_dimensions[FIRST_ROW].height >= 32  # two lines at least
    short = next(c for c in ws[FIRST_ROW + 1] if c.column == name.column)  # an empty extra row
    assert ws.row_dimensions[short.row].height == 20
