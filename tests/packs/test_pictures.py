"""The maps on the packs' summary sheets (helpers.packs.pictures)."""

from __future__ import annotations

import openpyxl

from tests.packs.builders import U1, cells, unit_file

# --------------------------------------------------------------------------------------------
# maps on the summary sheets (helpers.packs.pictures)
# --------------------------------------------------------------------------------------------


def test_city_summary_holds_the_standing_map(built):
    _, out, result = built["vi"]
    book = openpyxl.load_workbook(result.city)
    summary = book.worksheets[0]
    assert len(summary._images) == 1
    assert sum(len(ws._images) for ws in book.worksheets) == 1


def test_unit_summary_holds_its_neighbourhood_map(built):
    _, out, _ = built["en"]
    summary = openpyxl.load_workbook(unit_file(out, U1))["Summary"]
    assert len(summary._images) == 1
    assert any(r and "bordering" in str(r) for r in cells(summary))


def test_unit_missing_from_the_boundaries_gets_a_named_note_and_no_map(caplog):
    from helpers.packs.book import PackBook, load_template
    from helpers.packs.pictures import unit_map

    book = PackBook(load_template(), "en", title="t", mark="m")
    ws = book.sheet("Summary")
    unit = {"unit_code": "99999", "unit_name": "Phường Nowhere"}
    unit_map(book, ws, unit, {"99999": "off_track", U1: "on_track"}, "en", "E5")
    assert ws._images == []
    texts = [str(v) for row in cells(ws) for v in row if v]
    assert any("Phường Nowhere (99999)" in text and "Not on the map" in text for text in texts)
    assert "99999" in caplog.text
