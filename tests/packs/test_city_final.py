"""The city pack's campaign summary sheets (helpers.packs.city_final): in a week that reaches
the end of the peak, each unit's final result with its verdict and reasons, and the handover
list of difficult records still open, right after the summary, printable; absent otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import openpyxl
import pytest

from helpers import store
from helpers.config import load_plan
from helpers.i18n import t
from helpers.packs.city import city_pack, load_city_tables
from helpers.progress.final import final_tables
from helpers.record_tables import STATUS_LIST
from tests.packs.builders import PRINT_MAX_COLUMNS, WEEK, table_rows, write_week

END_PLAN = replace(
    replace(load_plan(), end=date.fromisoformat(WEEK), extension=None),
    final=replace(load_plan().final, praise_min_share=0.0, criticise_below_share=0.3),
)


def city_book(ws, lang: str, tmp_path):
    path = tmp_path / f"city-{lang}.xlsx"
    city_pack(load_city_tables(ws, WEEK), END_PLAN, WEEK, lang).save(path)
    return openpyxl.load_workbook(path)


@pytest.fixture
def final_week(tmp_ws):
    write_week(tmp_ws)
    units, city, orgs = (
        store.load(tmp_ws, n, WEEK) for n in ("unit_progress", "city_progress", "org_summary")
    )
    tables = final_tables(units, city, orgs, END_PLAN, as_of=date.fromisoformat(WEEK))
    for name, table in tables.items():
        store.save(tmp_ws, table, name, WEEK)
    return tmp_ws, tables


def test_no_final_sheets_in_a_week_before_the_end(tmp_ws, tmp_path):
    write_week(tmp_ws)
    names = city_book(tmp_ws, "en", tmp_path).sheetnames
    assert t("excel.sheets.final_results", "en") not in names
    assert t("excel.sheets.handover", "en") not in names


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_final_sheets_follow_the_summary_and_print_on_one_page_width(final_week, lang, tmp_path):
    ws, _ = final_week
    book = city_book(ws, lang, tmp_path)
    assert book.sheetnames[:3] == [
        t("excel.sheets.summary", lang),
        t("excel.sheets.final_results", lang),
        t("excel.sheets.handover", lang),
    ]
    for name in book.sheetnames[1:3]:
        sheet = book[name]
        assert sheet.max_column <= PRINT_MAX_COLUMNS
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.print_title_rows
        assert sheet.tables and sheet.freeze_panes


def test_final_results_sheet_gives_every_unit_its_result_and_verdict(final_week, tmp_path):
    ws, tables = final_week
    rows = table_rows(city_book(ws, "en", tmp_path)[t("excel.sheets.final_results", "en")])
    units = tables["final_units"].set_index("unit_code")
    assert len(rows) == len(units) == 126
    verdicts = tables["final_verdicts"]
    assert set(verdicts["verdict"]) == {"praise", "criticise"}
    by_code = {r["Unit code"]: r for r in rows}
    for code, row in by_code.items():
        assert row["Rank"] == units.loc[code, "rank"]
        assert row["Vehicles: % of cleanable cleaned"] == pytest.approx(
            units.loc[code, "veh_share_cleaned_cleanable"]
        )
    for _, v in verdicts.iterrows():
        row = by_code[v["unit_code"]]
        assert t(f"excel.verdict.{v['verdict']}", "en") in row["Whole campaign"]
        assert v["reason_en"] in row["Reasons (whole campaign)"]


def test_handover_sheet_adds_up_to_the_city_and_names_the_unit_pack_sheet(final_week, tmp_path):
    ws, tables = final_week
    rows = table_rows(city_book(ws, "vi", tmp_path)[t("excel.sheets.handover", "vi")])
    handover = tables["final_handover"]
    assert len(rows) == len(handover)
    open_col = t("excel.columns.group_open", "vi")
    sheet_col = t("excel.columns.unit_pack_sheet", "vi")
    groups = store.load(ws, "unit_progress", WEEK)
    total_open = sum(
        int(groups[f"{p}_group_{g}"].fillna(0).sum() - groups[f"{p}_resolved_{g}"].fillna(0).sum())
        for p in ("veh", "lic")
        for g in set(handover["group"])
        if f"{p}_group_{g}" in groups
    )
    assert sum(r[open_col] for r in rows) == handover["open"].sum() == total_open
    sheets = {t(f"excel.sheets.{STATUS_LIST[g]}", "vi") for g in handover["group"]}
    assert {r[sheet_col] for r in rows} == sheets
