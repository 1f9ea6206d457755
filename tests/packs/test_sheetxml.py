"""The sheet-XML writer (helpers.packs.sheetxml): text always text, characters XML cannot hold
dropped, texts longer than a cell cut with a marker, well-formed parts."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd

from helpers import packs
from tests.packs.builders import (
    INJECTIONS,
    LONG,
    U1,
    WIDE,
    _utf16,
    build,
    make_vehicle_status,
    table_rows,
    unit_file,
    write_week,
)


def test_formula_like_text_is_written_as_text(tmp_ws, tmp_path):
    vehicles = make_vehicle_status(
        [
            {"status": "owner_deceased", "owner_name": text, "owner_address": text}
            for text in INJECTIONS
        ]
    )
    write_week(tmp_ws, vehicles=vehicles)
    build(tmp_ws, tmp_path / "out", "en", units=[U1], city=False)
    path = unit_file(tmp_path / "out", U1)
    ws = openpyxl.load_workbook(path)["Deceased owners"]
    header = [c.value for c in ws[1]]
    col = header.index("Owner / holder") + 1
    got = [ws.cell(row=r, column=col) for r in range(2, 2 + len(INJECTIONS))]
    assert sorted(c.value for c in got) == sorted(INJECTIONS)
    assert all(c.data_type == "s" and c.quotePrefix for c in got)
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any(b"<f>" in s or b"<f " in s for s in sheets)


def test_text_cells_drop_characters_xml_cannot_hold(tmp_ws, tmp_path):
    vehicles = make_vehicle_status([{"status": "owner_deceased", "owner_name": "Lê\x01 Văn\x0b A"}])
    write_week(tmp_ws, vehicles=vehicles)
    build(tmp_ws, tmp_path / "out", "en", units=[U1], city=False)
    rows = table_rows(openpyxl.load_workbook(unit_file(tmp_path / "out", U1))["Deceased owners"])
    assert rows[0]["Owner / holder"] == "Lê Văn A"


def test_a_list_longer_than_a_sheet_continues_on_the_next(tmp_ws, tmp_path):
    vehicles = make_vehicle_status([{"status": "identity_mismatch"} for _ in range(7)])
    write_week(tmp_ws, vehicles=vehicles)
    build(tmp_ws, tmp_path / "out", "en", units=[U1], rows_per_sheet=3, city=False)
    wb = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))
    parts = ["Identity mismatch", "Identity mismatch (2)", "Identity mismatch (3)"]
    assert [n for n in wb.sheetnames if n.startswith("Identity")] == parts
    rows = [r for name in parts for r in table_rows(wb[name])]
    assert [r["No."] for r in rows] == list(range(1, 9))  # 7 vehicles, then the licence
    assert [r["Record"] for r in rows] == ["Vehicles"] * 7 + ["Driving licences"]


def test_every_part_of_the_workbooks_is_well_formed_xml(built):
    from xml.etree import ElementTree

    week_ws, out, result = built["vi"]
    for path in [result.city, *(out / "units" / name for name in result.units["file"])]:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith((".xml", ".rels")):
                    ElementTree.fromstring(z.read(name))  # raises on a malformed part
            sheet = z.read("xl/worksheets/sheet2.xml").decode()
        assert '<dimension ref="A1:' in sheet


def test_texts_longer_than_a_cell_are_cut_with_a_marker_and_counted(tmp_path):
    book = packs.PackBook(packs.load_template(), "en", title="t", mark="m")
    frame = pd.DataFrame({"note": [LONG, "short", WIDE, None]})
    book.data_sheet("Notes", frame, [packs.Column("note", "Note", "long_text")], table_name="notes")
    summary = book.wb.create_sheet("Summary")
    book.put(summary, 1, 1, LONG)
    path = book.save(tmp_path / "cut.xlsx")

    assert book.cut_cells == 3
    wb = openpyxl.load_workbook(path)
    cells = [wb["Notes"].cell(row=r, column=1).value for r in (2, 3, 4)] + [
        wb["Summary"]["A1"].value
    ]
    assert cells[1] == "short"
    for value, original in zip([cells[0], cells[2], cells[3]], [LONG, WIDE, LONG], strict=True):
        assert _utf16(value) <= packs.MAX_CELL_CHARS
        kept = value[: value.index(" … [cut: ")]
        assert original.startswith(kept)
        assert value.endswith(f" … [cut: {len(original) - len(kept):,} characters]")


def test_marker_of_a_cut_text_is_in_the_pack_language():
    value, cut = packs.cut_text(LONG, "vi")
    assert cut and value.endswith(" ký tự]") and "đã cắt bớt" in value
    assert packs.cut_text("short", "vi") == ("short", False)
