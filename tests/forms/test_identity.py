"""The hidden `_form` sheet: what identify() says of an issued, a free-form and a damaged workbook."""

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from helpers.forms import FormError, FormIdentity, identify

IDENTITY = FormIdentity(
    "unit_daily", 1, "00008", date(2025, 11, 17), date(2025, 11, 23), date(2025, 11, 23)
)


def _book(path: Path, keys: dict[str, str] | None) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["report_date", "vehicles_collected"])
    if keys is not None:
        ws = wb.create_sheet("_form")
        ws.sheet_state = "veryHidden"
        for k, v in keys.items():
            ws.append([k, v])
    wb.save(path)
    return path


def test_identify_reads_the_hidden_identity(tmp_path: Path) -> None:
    found = identify(_book(tmp_path / "f.xlsx", IDENTITY.keys("abc")))
    assert found == IDENTITY
    assert found.subfolder == "unit_reports"


def test_identify_says_none_of_a_free_form_workbook(tmp_path: Path) -> None:
    assert identify(_book(tmp_path / "free.xlsx", None)) is None
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    assert identify(tmp_path / "x.csv") is None


def test_identify_names_the_damaged_key(tmp_path: Path) -> None:
    keys = IDENTITY.keys("abc") | {"first_day": "17/11"}
    with pytest.raises(FormError, match=r"bad\.xlsx.*first_day"):
        identify(_book(tmp_path / "bad.xlsx", keys))


def test_org_review_forms_go_to_the_organizations_folder() -> None:
    org = FormIdentity(
        "org_review", 1, "00008", date(2025, 11, 17), date(2025, 11, 23), date(2025, 11, 23)
    )
    assert org.subfolder == "organizations"
