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


def test_the_unit_summary_with_its_map_fits_a_page_width_at_readable_type(built):
    # the map a column apart with its title running on to the right in one line: the summary
    # printed at 7.5 pt (ward-chief review, measured with Carlito). The table, the map and
    # every text beside it (a wrapped text within its merged cells, any other as far as it
    # runs) must fit the width one page holds at print.min_font_points
    from openpyxl.utils import get_column_letter

    from helpers.packs.book import PackBook, column_pixels, load_template

    _, out, _ = built["vi"]
    summary = openpyxl.load_workbook(unit_file(out, U1)).worksheets[0]
    (image,) = summary._images
    width = lambda i: column_pixels(summary.column_dimensions[get_column_letter(i)].width)  # noqa: E731
    left = lambda col: sum(width(i) for i in range(1, col))  # noqa: E731
    start = image.anchor._from.col + 1
    merged = {r.min_col: r for r in summary.merged_cells.ranges}
    right = left(start) + image.width
    for row in summary.iter_rows(min_col=start):
        for cell in row:
            if cell.value is None:
                continue
            span = merged.get(cell.column)
            if cell.alignment.wrap_text and span is not None and span.min_row == cell.row:
                end = left(span.max_col + 1)
            else:
                end = left(cell.column) + 7.0 * len(str(cell.value)) + 5
            right = max(right, end)
    budget = PackBook(load_template(), "vi", title="t", mark="m").page_pixels()
    assert right <= budget, (right, budget)
