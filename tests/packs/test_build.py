"""Building a week's packs (helpers.packs.build): same inputs same bytes, the zip, the languages,
the worker pool, what stops a build."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from helpers import packs, record_tables, store
from helpers.config import load_plan
from helpers.i18n import t
from tests.packs.builders import (
    LONG,
    PLAIN,
    U1,
    U2,
    U3,
    WEEK,
    WIDE,
    _digest,
    build,
    unit_file,
    write_week,
)


def test_two_runs_give_identical_files(week_ws, tmp_path):
    first = build(week_ws, tmp_path / "a", "vi")
    second = build(week_ws, tmp_path / "b", "vi")
    assert _digest(first.city) == _digest(second.city)
    assert _digest(first.bundle) == _digest(second.bundle)
    for code in (U1, U2, U3):
        assert _digest(unit_file(tmp_path / "a", code)) == _digest(unit_file(tmp_path / "b", code))


def test_zip_bundles_every_unit_pack_with_fixed_dates(built):
    week_ws, out, _ = built["vi"]
    result = built["vi"][2]
    assert result.bundle.name == f"units-{WEEK}.zip"
    with zipfile.ZipFile(result.bundle) as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == sorted(result.units["file"])
        assert {i.date_time for i in infos} == {(2025, 11, 23, 23, 59, 58)}
        for info in infos:
            assert z.read(info) == (out / "units" / info.filename).read_bytes()


def test_unit_packs_are_written_in_the_default_language_once(week_ws, tmp_path):
    out = tmp_path / "out"
    build(week_ws, out, "vi", unit_lang=None)
    before = _digest(unit_file(out, U1))
    result = build(week_ws, out, "en", unit_lang=None)
    assert result.units.empty and result.city.name.endswith("-en.xlsx")
    assert _digest(unit_file(out, U1)) == before
    wb = openpyxl.load_workbook(unit_file(out, U1))
    assert wb.sheetnames[1] == t("excel.sheets.unit_daily", "vi")


def test_unit_packs_are_written_in_the_language_the_plan_names(week_ws, tmp_path):
    english = replace(PLAIN, unit_packs={**PLAIN.unit_packs, "lang": "en"})
    out = tmp_path / "out"
    result = build(week_ws, out, "vi", unit_lang=None, plan=english)
    assert result.unit_lang == "en"
    wb = openpyxl.load_workbook(unit_file(out, U1))
    assert wb.sheetnames[1] == t("excel.sheets.unit_daily", "en")


def test_missing_reconcile_table_names_the_step(tmp_ws, tmp_path):
    from helpers import DeliveryError

    write_week(tmp_ws)
    store.table_path(tmp_ws, "submission_links", WEEK).unlink()
    with pytest.raises(DeliveryError, match="submission_links.*02_reconcile"):
        build(tmp_ws, tmp_path / "out", "vi")


def test_workers_give_the_same_packs_as_one_process(week_ws, tmp_path):
    one = build(week_ws, tmp_path / "one", "vi", city=False)
    two = packs.build_packs(
        week_ws, WEEK, tmp_path / "two", "vi", workers=2, units=[U1, U2, U3], city=False, plan=PLAIN
    )
    assert _digest(one.bundle) == _digest(two.bundle)
    assert json.dumps(one.units.filter(like="rows_").to_dict()) == json.dumps(
        two.units.filter(like="rows_").to_dict()
    )


def test_record_texts_too_long_for_a_cell_are_counted_before_the_packs(tmp_ws):
    week = "2025-11-23"
    store.save(
        tmp_ws,
        pd.DataFrame({"unit_code": ["1", "2", "3", "4"], "note": [LONG, "ệ" * 20_000, WIDE, None]}),
        "submissions",
        week,
        partial=True,
    )
    store.save(
        tmp_ws,
        pd.DataFrame({"unit_code": ["1"], "owner_address": [LONG]}),
        "vehicle_status",
        week,
        partial=True,
    )
    assert record_tables.overlong_texts(tmp_ws, week) == 3  # 20,000 Vietnamese letters still fit


def test_zip_on_a_full_disk_is_one_clear_error(tmp_path, small_disk):
    from helpers import StorageError

    big = tmp_path / "a.xlsx"
    big.write_bytes(bytes(3 << 20))
    target = small_disk / "units-2025-11-23.zip"
    with pytest.raises(StorageError) as info:
        packs.bundle([big], target, datetime(2025, 11, 23))
    assert str(info.value) == (
        f"disk full while writing {target}: free space on {small_disk} and re-run"
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert list(small_disk.iterdir()) == []  # no half-written zip left


def test_unit_pack_bar_ticks_once_per_pack(week_ws, tmp_path):
    """The unit packs' bar reaches its total, one tick a pack, with worker processes."""
    from tqdm import tqdm

    plan = load_plan()
    paths = packs.stage_unit_rows(week_ws, WEEK, tmp_path / "staged")
    tasks = packs.unit_tasks(
        week_ws, WEEK, tmp_path / "out", "vi", plan, packs.load_template(), paths, units=[U1, U2]
    )
    shown = io.StringIO()
    ticks = tqdm(total=len(tasks), file=shown, disable=False)
    done = packs.write_unit_packs(tasks, workers=2, ticks=ticks)
    assert list(done["unit_code"]) == sorted([U1, U2])
    assert ticks.n == ticks.total == 2
    assert "2/2" in shown.getvalue()
