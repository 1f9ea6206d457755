"""Pack printing found in the session-8 ward-chief review: a worklist with no rows."""

from __future__ import annotations

import openpyxl
import pandas as pd

from helpers.packs.book import Column, PackBook, load_template

# the columns of a difficult-group worklist (e.g. "Thanh lý - bị mất"), its widest text ones
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
