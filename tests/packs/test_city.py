"""The city pack (helpers.packs.city and its printable views): every sheet, its figures, its print
set-up, from hand-made processed tables."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from helpers import packs, store
from helpers.config import load_plan
from helpers.i18n import t
from tests.packs.builders import (
    CITY_SHEETS,
    PRINT_MAX_COLUMNS,
    U1,
    U2,
    UNITS,
    WEEK,
    assert_tall_enough,
    cells,
    column_widths,
    table_rows,
    unit_file,
)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_city_pack_has_every_sheet_in_order(built, lang):
    week_ws, out, _ = built[lang]
    result = built[lang][2]
    assert result.city.name == f"city-pack-{WEEK}-{lang}.xlsx"
    wb = openpyxl.load_workbook(result.city)
    assert wb.sheetnames == [t(f"excel.sheets.{k}", lang) for k in CITY_SHEETS]


def test_units_sheet_lists_all_126_units_with_their_figures(built):
    week_ws, out, _ = built["en"]
    result = built["en"][2]
    rows = table_rows(openpyxl.load_workbook(result.city)["Units"])
    units = store.load(week_ws, "unit_progress", WEEK).set_index("unit_code")
    assert len(rows) == 126
    assert [r["Rank"] for r in rows] == sorted(units["rank"])
    for row in rows:
        u = units.loc[row["Unit code"]]
        assert row["Unit"] == u["unit_name"]
        assert row["Vehicles: cleaned"] == u["veh_cleaned"]
        assert row["Vehicles: % of assigned cleaned"] == pytest.approx(u["veh_share_cleaned"])
        assert row["Licences: records assigned"] == u["lic_assigned"]
        assert row["Vehicles: projected finish"] == datetime(2026, 1, 20)
        assert row["Standing"] == t(f"progress.standing.{u['standing']}", "en")
        assert row["Vehicles: Owner deceased"] == u["veh_group_owner_deceased"]


def test_city_sheets_are_real_tables_with_frozen_header_and_print_setup(built):
    week_ws, out, _ = built["en"]
    wb = openpyxl.load_workbook(built["en"][2].city)
    for ws in wb.worksheets:
        assert ws.tables, ws.title
        for table in ws.tables.values():
            assert table.autoFilter is not None and table.tableStyleInfo.showRowStripes
        assert ws.freeze_panes, ws.title
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        if ws.max_column <= PRINT_MAX_COLUMNS or ws.title == "Trend":  # trend: table + charts
            assert ws.page_setup.fitToWidth == 1
        else:  # an analyst's wide table: several pages across (see below)
            assert ws.page_setup.fitToWidth > 1, ws.title
        assert ws.print_title_rows
    units = wb["Units"]
    assert units.freeze_panes == "F2"
    header = [c.value for c in units[1]]
    longest = int(UNITS["unit_name"].str.len().max())
    # unit name: the template's width, widened so the longest name is not cut
    assert units.column_dimensions["E"].width == max(26, longest + 2)
    share = units.cell(row=2, column=header.index("Vehicles: % of assigned cleaned") + 1)
    assert share.number_format == "0.0%"
    assigned = units.cell(row=2, column=header.index("Vehicles: records assigned") + 1)
    assert assigned.number_format == "#,##0"


def test_units_sheet_has_colour_scale_and_standing_fills(built):
    week_ws, out, _ = built["en"]
    wb = openpyxl.load_workbook(built["en"][2].city)
    rules = [r for cf in wb["Units"].conditional_formatting for r in cf.rules]
    assert any(r.type == "colorScale" for r in rules)
    standing = [r for r in rules if r.type == "cellIs"]
    # the forecasts before the deadline, the outcomes once it is reached
    assert {r.formula[0] for r in standing} == {
        '"On track"',
        '"At risk"',
        '"Off track"',
        '"Finished"',
        '"Not finished"',
    }


def test_city_pack_document_properties_are_fixed(built):
    week_ws, out, _ = built["vi"]
    wb = openpyxl.load_workbook(built["vi"][2].city)
    props = wb.properties
    assert "375/KH-CAHN" in props.title and "23/11/2025" in props.title
    assert WEEK in props.keywords
    assert props.created == props.modified == datetime(2025, 11, 23, 23, 59, 59)
    custom = {p.name: p.value for p in wb.custom_doc_props.props}
    assert custom["week"] == WEEK and custom["scope"] == "city"


def test_trend_sheet_holds_native_line_and_bar_charts(built):
    week_ws, out, _ = built["en"]
    city = built["en"][2].city
    with zipfile.ZipFile(city) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert sum("<lineChart>" in c for c in charts) == 2
    bars = [c for c in charts if "<barChart>" in c]
    assert len(bars) == 1 and "'Units'!$" in bars[0]
    rows = table_rows(openpyxl.load_workbook(city)["Trend"])
    assert len(rows) == 14 and rows[0]["Date"] == datetime(2025, 11, 10)
    assert rows[-1]["Vehicles: cleaned (cumulative)"] == 98


def test_summary_sheet_shows_city_kpis_and_talking_points(built):
    week_ws, out, _ = built["en"]
    ws = openpyxl.load_workbook(built["en"][2].city)["Summary"]
    values = {r[1]: r[2:] for r in cells(ws) if r[1]}
    city = store.load(week_ws, "city_progress", WEEK).set_index("kind")
    assert values["records assigned"][:2] == (
        city.at["vehicle", "assigned"],
        city.at["licence", "assigned"],
    )
    texts = [r[1] for r in cells(ws) if r[1] in ("Point one", "-Point two")]
    assert texts == ["Point one", "-Point two"]


def test_data_quality_counts_rejects_by_source_and_reason_without_values(built):
    week_ws, out, _ = built["en"]
    wb = openpyxl.load_workbook(built["en"][2].city)
    rows = table_rows(wb["Data quality"])
    got = {(r["Source"], r["Reason code"]): r["Rows rejected"] for r in rows}
    assert got == {
        ("iHanoi submissions", "invalid_id"): 2,
        ("Vehicle registry", "invalid_plate"): 1,
    }
    files = table_rows(wb["Files received"])
    assert files[0]["Rows read"] == 5 and files[0]["Balanced"] == "Yes"


def test_city_pack_holds_no_personal_data(built):
    week_ws, out, _ = built["vi"]
    city = built["vi"][2].city
    text = "\n".join(
        str(v)
        for ws in openpyxl.load_workbook(city).worksheets
        for row in cells(ws)
        for v in row
        if v is not None
    )
    vehicles = store.load(week_ws, "vehicle_status", WEEK)
    for token in [
        *vehicles["owner_id"],
        *vehicles["plate"],
        "001099888777",
        "Nguyễn Văn An",
        "Lê Văn Cường",
    ]:
        assert token not in text


def test_self_report_sheet_sums_the_last_seven_days(built):
    week_ws, out, _ = built["en"]
    rows = table_rows(openpyxl.load_workbook(built["en"][2].city)["Self-reports vs system"])
    mine = next(r for r in rows if r["Unit code"] == U1)
    assert mine["Vehicles collected: self-reported"] == 30
    assert mine["Vehicles collected: system"] == 18


def test_leaders_show_the_units_own_figures(built):
    week_ws, out, result = built["en"]
    rows = table_rows(openpyxl.load_workbook(result.city)["Leaders"])
    units = store.load(week_ws, "unit_progress", WEEK).set_index("unit_code")
    assert [(r["Category"], r["Unit code"]) for r in rows] == [
        ("Largest number of vehicle records cleaned this week", U2),
        ("Highest share of cleanable vehicle records cleaned", U1),
    ]
    for row in rows:
        share = packs.metric_header("veh_share_cleaned_cleanable", "en")
        assert row[share] == pytest.approx(
            units.at[row["Unit code"], "veh_share_cleaned_cleanable"]
        )
        assert row["Vehicles: cleaned this week"] == units.at[row["Unit code"], "veh_gain_week"]


def table_text_cells(ws):
    """Every text cell of every table of a sheet, header rows excluded."""
    for table in ws.tables.values():
        first, last = table.ref.split(":")
        top = openpyxl.utils.cell.coordinate_to_tuple(first)[0]
        for row in ws[f"{first}:{last}"][1:]:
            for cell in row:
                if isinstance(cell.value, str) and cell.row > top:
                    yield cell


def cut_cells(ws) -> list[str]:
    """Text a printed page would cut: wider than its column and not wrapped."""
    widths = column_widths(ws)
    return [
        f"{ws.title}!{c.coordinate} {c.value!r} (width {widths.get(c.column)})"
        for c in table_text_cells(ws)
        if not c.alignment.wrap_text and widths.get(c.column, 8.43) < len(c.value) + 1
    ]


def printable(wb, lang: str) -> list:
    return [wb[t(f"excel.sheets.{key}", lang)] for key in packs.load_template()["print_views"]]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_printable_views_are_a4_landscape_one_page_wide_with_titles_repeated(built, lang):
    wb = openpyxl.load_workbook(built[lang][2].city)
    sheets = printable(wb, lang)
    assert len(sheets) >= 5
    for ws in sheets:
        assert 2 < ws.max_column <= PRINT_MAX_COLUMNS, ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert len(table_rows(ws)) == 126, ws.title


def test_printable_vehicle_view_shows_the_units_figures(built):
    week_ws, _, result = built["en"]
    ws = openpyxl.load_workbook(result.city)[t("excel.sheets.print_vehicles", "en")]
    units = store.load(week_ws, "unit_progress", WEEK).set_index("unit_name")
    rows = table_rows(ws)
    assert [r["Rank"] for r in rows] == sorted(units["rank"])
    for row in rows:
        u = units.loc[row["Unit"]]
        assert row["Vehicles: cleaned"] == u["veh_cleaned"]
        assert row["Vehicles: % of assigned cleaned"] == pytest.approx(u["veh_share_cleaned"])
        assert row["Standing"] == t(f"progress.standing.{u['standing']}", "en")
    assert not any(h.startswith("Licences") for h in rows[0])


def test_wide_analyst_tables_keep_every_column_and_print_several_pages_across(built):
    week_ws, _, result = built["en"]
    ws = openpyxl.load_workbook(result.city)["Units"]
    units = store.load(week_ws, "unit_progress", WEEK)
    assert ws.max_column == len(packs.unit_columns(units, "en")) > PRINT_MAX_COLUMNS
    # never shrunk to one page width: pages across keep at most 15 columns each, the frozen
    # rank .. unit name repeated on every page
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    across = ws.page_setup.fitToWidth
    assert across > 1 and 5 + -(-(ws.max_column - 5) // across) <= PRINT_MAX_COLUMNS
    assert ws.print_title_cols == "$A:$E" and ws.print_title_rows == "$1:$1"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_text_in_a_city_pack_table_is_cut(built, lang):
    wb = openpyxl.load_workbook(built[lang][2].city)
    cut = [c for ws in wb.worksheets for c in cut_cells(ws)]
    assert cut == []


def test_summary_labels_in_column_b_fit_and_numbers_start_in_column_a(built):
    ws = openpyxl.load_workbook(built["vi"][2].city)[t("excel.sheets.summary", "vi")]
    label = t("excel.metric.gain_week", "vi")  # "làm sạch trong tuần" was cut at 13 characters
    cell = next(c for c in table_text_cells(ws) if c.value == label)
    assert cell.column == 2 and column_widths(ws)[2] >= len(label) + 1
    assert ws.cell(row=cell.row, column=1).value >= 1  # numbered rows (STT)


def long_text_rows(tmp_path, week_ws):
    """A city pack whose talking points and laggard reasons run over several lines."""
    tables = packs.load_city_tables(week_ws, WEEK)
    sentence = "Toàn thành phố đã làm sạch 3.611/59.613 hồ sơ xe (6,1%) trong tuần này; "
    tables["talking_points"] = pd.DataFrame(
        {
            "lang": ["vi"] * 3,
            "order": [1, 2, 3],
            "text": [sentence * 4, "Ngắn.", sentence * 2 + "\n" + sentence],
        }
    )
    tables["laggards"] = tables["laggards"].assign(reason_vi=sentence * 3)
    path = packs.city_pack(tables, load_plan(), WEEK, "vi").save(tmp_path / "city.xlsx")
    return openpyxl.load_workbook(path), tables


def test_talking_point_rows_are_tall_enough_for_their_wrapped_text(week_ws, tmp_path):
    wb, tables = long_text_rows(tmp_path, week_ws)
    ws = wb[t("excel.sheets.summary", "vi")]
    texts = set(tables["talking_points"]["text"])
    cells = [c for c in table_text_cells(ws) if c.value in texts]
    assert len(cells) == 3
    for cell in cells:
        assert_tall_enough(ws, cell)


def test_laggard_reason_rows_are_tall_enough_for_their_wrapped_text(week_ws, tmp_path):
    wb, tables = long_text_rows(tmp_path, week_ws)
    ws = wb[t("excel.sheets.laggards", "vi")]
    cells = [c for c in table_text_cells(ws) if c.value == tables["laggards"]["reason_vi"].iloc[0]]
    assert len(cells) == len(tables["laggards"]) > 0
    for cell in cells:
        assert_tall_enough(ws, cell)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_ranked_share_is_shown_wherever_the_rank_is(built, lang):
    """Units are ranked on the share of cleanable vehicle records cleaned (RANK_SHARE): every
    table that shows a rank shows that share beside it, the unit's own figure."""
    from helpers.progress.definitions import RANK_SHARE

    week_ws, out, result = built[lang]
    units = store.load(week_ws, "unit_progress", WEEK).set_index("unit_code")
    ranked = packs.metric_header(RANK_SHARE, lang)
    rank, code = t("excel.columns.rank", lang), t("excel.columns.unit_code", lang)
    name = t("excel.columns.unit_name", lang)
    by_name = units.reset_index().set_index("unit_name")
    wb = openpyxl.load_workbook(result.city)
    sheets = [*printable(wb, lang), wb[t("excel.sheets.laggards", lang)]]
    for ws in sheets:
        rows = table_rows(ws)
        assert rows and rank in rows[0] and ranked in rows[0], ws.title
        for row in rows:
            u = units.loc[row[code]] if code in row else by_name.loc[row[name]]
            assert row[ranked] == pytest.approx(u[RANK_SHARE]), ws.title
    summary = openpyxl.load_workbook(unit_file(out, U1))[t("excel.sheets.unit_summary", lang)]
    values = {r[0]: r[1:] for r in cells(summary) if r[0]}
    city = store.load(week_ws, "city_progress", WEEK).set_index("kind")
    assert values[ranked][0] == pytest.approx(units.at[U1, RANK_SHARE])
    assert values[ranked][1] == pytest.approx(city.at["vehicle", "share_cleaned_cleanable"])


def test_commitment_counts_read_as_whole_numbers_and_shares_keep_their_decimals(tmp_path):
    # a count of records read "50.0" in the unit packs and the city pack
    from helpers.packs.commitments import commitments_sheet

    status = pd.DataFrame(
        {
            "unit_code": [U1, U1],
            "unit_name": ["A", "A"],
            "measure": ["veh_cleaned", "veh_cleaned_share"],
            "direction": ["up", "up"],
            "unit": ["count", "pct"],
            "target": [50.0, 47.5],
            "by_date": [date(2025, 11, 30)] * 2,
            "given_on": [date(2025, 11, 20)] * 2,
            "value_given": [1.0, 12.5],
            "value_now": [30.0, 20.0],
            "days_left": [7, 7],
            "status": ["behind", "behind"],
            "order": [1, 2],
        }
    )
    book = packs.PackBook(packs.load_template(), "vi", title="T", mark="M")
    commitments_sheet(book, status, "vi")
    path = book.save(tmp_path / "c.xlsx")
    ws = openpyxl.load_workbook(path)[t("excel.sheets.commitments", "vi")]
    target = [c for c in ws[2] if c.value in (50, 47.5)]
    assert target and {c.number_format for c in target} == {"General"}


def test_data_quality_in_vietnamese_shows_reasons_in_words_not_codes(built):
    wb = openpyxl.load_workbook(built["vi"][2].city)
    rows = cells(wb[t("excel.sheets.data_quality", "vi")])
    shown = {v for r in rows for v in r}
    assert not shown & {"invalid_id", "invalid_plate"}
    assert t("rejects.invalid_id", "vi") in shown
