"""The packs' workbooks (helpers.packs.book): sheet names, the template's sections, the internal
mark on printed pages."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from helpers import packs
from helpers.i18n import flatten, t
from helpers.packs.book import Column, PackBook, load_template
from tests.packs.builders import U1, unit_file

# --------------------------------------------------------------------------------------------
# catalogue and template
# --------------------------------------------------------------------------------------------


def test_sheet_names_are_valid_excel_names():
    for lang in ("vi", "en"):
        names = flatten(t.__globals__["catalogue"](lang)["excel"]["sheets"])
        for key, name in names.items():
            assert len(name) <= 31, (lang, key, name)
            assert not set(name) & set("[]:*?/\\"), (lang, key, name)
        unit_sheets = [names[k] for k in ("unit_summary", *packs.LISTS)]
        assert len({n.lower() for n in unit_sheets}) == len(unit_sheets)


def test_sheet_title_truncates_and_makes_unique():
    assert packs.sheet_title("a/b:c") == "a-b-c"
    long = "x" * 40
    assert packs.sheet_title(long) == "x" * 31
    assert packs.sheet_title(long, ["x" * 31]) == "x" * 27 + " (2)"


def test_template_lacking_a_section_is_a_config_error(tmp_path):
    from helpers import ConfigError

    bad = tmp_path / "excel.yaml"
    bad.write_text("font: {name: Arial, size: 10}\n", "utf-8")
    with pytest.raises(ConfigError, match="colours"):
        packs.load_template(bad)


def test_the_internal_mark_prints_once_a_page(built):
    """The title rows (with the mark) repeat on each printed page of a summary: the page
    header then carries no second copy; sheets without a title block keep it there."""
    _, out, result = built["vi"]
    mark = t("common.internal_mark", "vi")
    for path in (result.city, unit_file(out, U1)):
        for ws in openpyxl.load_workbook(path).worksheets:
            header = ws.oddHeader.right.text or ""
            titled = any(c.value == mark for r in ws.iter_rows(max_row=8) for c in r)
            assert titled == bool(ws.print_title_rows and ws.print_title_rows != "$1:$1")
            assert (mark in header) + titled == 1, (path.name, ws.title)


# the columns of a difficult-group worklist (found in the session-8 ward-chief review) (e.g. "Thanh lý - bị mất"), its widest text ones
# (address 48, reason 90 characters) sized by the template for the rows it would hold
WORKLIST = [
    Column("seq", "STT", "seq"),
    Column("kind", "Loại hồ sơ", "label"),
    Column("plate", "Biển số / số GPLX", "code"),
    Column("vehicle_type", "Loại xe / hạng", "label"),
    Column("owner_name", "Chủ xe / người có GPLX", "text"),
    Column("owner_id", "Số định danh", "code"),
    Column("address", "Địa chỉ", "text"),
    Column("reason", "Lý do", "long_text"),
    Column("identity", "Kết quả đối chiếu", "label"),
    Column("review", "Trạng thái duyệt", "label"),
    Column("submission_id", "Mã kê khai", "code"),
    Column("record_id", "Mã hồ sơ", "code"),
]


def test_an_empty_worklist_prints_its_header_on_one_page_width(tmp_path):
    # the review's unit packs printed "Thanh lý - bị mất" (no rows) on two pages across, its
    # header cut between them: an empty table has no text to keep wide
    book = PackBook(load_template(), "vi", title="t", mark="m")
    empty = pd.DataFrame({c.name: pd.Series([], dtype="object") for c in WORKLIST})
    book.data_sheet("Thanh lý - bị mất", empty, WORKLIST, table_name="scrapped")
    ws = openpyxl.load_workbook(book.save(tmp_path / "p.xlsx"))["Thanh lý - bị mất"]
    assert ws.page_setup.fitToWidth == 1
