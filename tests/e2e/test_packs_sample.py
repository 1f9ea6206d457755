"""End to end: the packs of the generated sample week, built from the real progress tables (slow)."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from helpers import packs, record_tables, store
from helpers.config import load_plan
from helpers.i18n import t
from helpers.statuses import DIFFICULT_GROUPS
from tests.packs.builders import CITY_SHEETS, INJECTIONS, LONG, UNITS, _digest, _read, _utf16
from tests.pii import open_pack, unit_password

# --------------------------------------------------------------------------------------------
# end to end on the sample week (slow)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_packs(progressed, sample_week, tmp_path_factory):
    out = tmp_path_factory.mktemp("sample-packs")
    results = {
        lang: packs.build_packs(progressed, sample_week, out, lang, workers=2)
        for lang in ("vi", "en")
    }
    return progressed, sample_week, out, results


def _rows(sheet: list[tuple]) -> list[dict]:
    header = sheet[0]
    return [dict(zip(header, r, strict=False)) for r in sheet[1:] if any(v is not None for v in r)]


@pytest.mark.slow
def test_sample_city_pack_figures_equal_the_progress_tables(sample_packs):
    ws, week, out, results = sample_packs
    units = store.load(ws, "unit_progress", week).set_index("unit_code")
    city = store.load(ws, "city_progress", week).set_index("kind")
    for lang in ("vi", "en"):
        book = _read(results[lang].city)
        # the sample's progress wrote a rank history: its sheet comes before the trend
        sheets = [*CITY_SHEETS[:-1], "rank_history", CITY_SHEETS[-1]]
        assert list(book) == [t(f"excel.sheets.{k}", lang) for k in sheets]
        rows = _rows(book[t("excel.sheets.units", lang)])
        assert len(rows) == 126
        columns = packs.unit_columns(units.reset_index(), lang)
        for row in rows:
            u = units.loc[row[t("excel.columns.unit_code", lang)]]
            for col in columns:
                if col.kind in ("int", "signed", "num", "pct"):
                    want = u[col.name]
                    got = row[col.header]
                    assert (got is None) == bool(pd.isna(want)), (col.name, got, want)
                    if got is not None:
                        assert got == pytest.approx(float(want)), (col.name, got, want)
        for key, view in packs.load_template()["print_views"].items():  # the printable views
            printed = _rows(book[t(f"excel.sheets.{key}", lang)])
            assert len(printed) == 126, key
            by_name = units.reset_index().set_index("unit_name")
            for row in printed:
                u = by_name.loc[row[t("excel.columns.unit_name", lang)]]
                for name in packs.print_view_columns(view, units):
                    if packs.metric_kind(name) in ("int", "signed", "num", "pct"):
                        got = row[packs.metric_header(name, lang)]
                        assert (got is None) == bool(pd.isna(u[name])), (key, name)
                        if got is not None:
                            assert got == pytest.approx(float(u[name])), (key, name)
        summary = {
            r[1]: r[2:] for r in book[t("excel.sheets.summary", lang)] if len(r) > 1 and r[1]
        }
        for kpi in ("assigned", "cleaned", "pending", "submissions_week"):
            got = summary[t(f"excel.metric.{kpi}", lang)][:2]
            assert got == (city.at["vehicle", kpi], city.at["licence", kpi])


@pytest.mark.slow
def test_sample_city_pack_holds_no_personal_data(sample_packs):
    from tests.pii import find_personal_data, personal_tokens

    ws, week, out, results = sample_packs
    tokens = personal_tokens(ws, week)
    for lang in ("vi", "en"):
        # cell by cell: words of neighbouring cells (unit names) must not make up a name
        texts = {
            str(v)
            for sheet in _read(results[lang].city).values()
            for row in sheet
            for v in row
            if v is not None
        }
        assert [x for x in texts if find_personal_data(x, tokens)] == []
        with zipfile.ZipFile(results[lang].city) as z:
            props = z.read("docProps/core.xml").decode() + z.read("docProps/custom.xml").decode()
        assert find_personal_data(props, tokens) == []


@pytest.mark.slow
def test_sample_unit_packs_hold_every_record_of_their_unit_and_no_other(sample_packs):
    ws, week, out, results = sample_packs
    result = results["vi"]
    assert len(result.units) == 126 and results["en"].units.empty
    vehicles = store.load(
        ws,
        "vehicle_status",
        week,
        columns=["record_id", "unit_code", "status", "plate", "owner_address", "review_status"],
    )
    licences = store.load(
        ws, "licence_status", week, columns=["record_id", "unit_code", "status", "review_status"]
    )
    links = store.load(ws, "submission_links", week)
    records = pd.concat([vehicles.assign(kind="vehicle"), licences.assign(kind="licence")])
    key_of = {s: k for k, ss in record_tables.RECORD_LISTS.items() for s in ss}
    # a difficult record whose submission was approved is resolved: on no worklist
    resolved = records["status"].isin(DIFFICULT_GROUPS) & (records["review_status"] == "approved")
    records["list"] = records["status"].map(key_of).where(~resolved)
    expected = records.dropna(subset=["list"]).groupby(["unit_code", "list"]).size()
    unmatched = links.loc[links["record_id"].isna()].groupby("unit_code").size()
    not_submitted = records.loc[records["status"] == "not_submitted"]
    official = UNITS.set_index("unit_code")
    headers = {key: [c.header for c in packs.worklist_columns(key, "vi")] for key in packs.LISTS}
    col = lambda name: t(f"excel.columns.{name}", "vi")  # noqa: E731
    for code in official.index:
        path = out / "units" / f"{code}-{official.at[code, 'slug']}.xlsx"
        book = _read(path, ws)
        assert list(book)[0] == t("excel.sheets.unit_summary", "vi")
        mine = records.loc[records["unit_code"] == code, "record_id"]
        for key in packs.LISTS:
            sheet = book[t(f"excel.sheets.{key}", "vi")]
            assert list(sheet[0]) == headers[key]
            rows = _rows(sheet)
            if key in record_tables.RECORD_LISTS:
                assert len(rows) == expected.get((code, key), 0), (code, key)
                assert {r[col("record_id")] for r in rows} <= set(mine), (code, key)
            elif key == "unmatched":
                assert len(rows) == unmatched.get(code, 0)
                theirs = set(links.loc[links["unit_code"] == code, "submission_id"])
                assert {r[col("submission_id")] for r in rows} <= theirs
            else:  # door to door: every record not submitted, vehicles and licences
                homes = not_submitted.loc[not_submitted["unit_code"] == code]
                assert len(rows) == len(homes), code
                summary = _rows(book[t("excel.sheets.door_to_door_groups", "vi")])
                assert sum(r[col("records_outstanding")] for r in summary) == len(rows)
                keys = {r[col("record_key")] for r in rows}
                assert set(homes.loc[homes["kind"] == "vehicle", "plate"]) <= keys


@pytest.mark.slow
def test_sample_door_to_door_names_residential_groups_from_the_addresses(sample_packs):
    ws, week, out, results = sample_packs
    book = _read(out / "units" / "00008-phuong-ngoc-ha.xlsx", ws)
    col = lambda name: t(f"excel.columns.{name}", "vi")  # noqa: E731
    rows = _rows(book[t("excel.sheets.door_to_door", "vi")])
    vehicles = [r for r in rows if r[col("kind_label")] == t("excel.kinds.vehicle", "vi")]
    assert vehicles and all(
        r[col("group_label")]
        == "Tổ dân phố " + r[col("household")].split("Tổ dân phố ")[1].split(",")[0]
        for r in vehicles
    )
    summary = _rows(book[t("excel.sheets.door_to_door_groups", "vi")])
    assert sum(r[col("records_outstanding")] for r in summary) == len(rows)


@pytest.mark.slow
def test_sample_unit_pack_ids_are_masked(sample_packs):
    ws, week, out, results = sample_packs
    code = "00008"
    book = _read(out / "units" / f"{code}-phuong-ngoc-ha.xlsx", ws)
    ids = [
        r[t("excel.columns.person_id", "vi")]
        for key in ("pending", "deceased", "identity")
        for r in _rows(book[t(f"excel.sheets.{key}", "vi")])
    ]
    assert ids and all(v is None or "*" in v for v in ids)


@pytest.mark.slow
def test_sample_packs_are_the_same_on_a_second_run(sample_packs, tmp_path):
    ws, week, out, results = sample_packs
    some = sorted(UNITS["unit_code"])[:8]
    again = packs.build_packs(ws, week, tmp_path, "vi", workers=2, units=some)
    assert _digest(again.city) == _digest(results["vi"].city)
    for name in again.units["file"]:  # fresh salts each build: the workbooks inside are equal
        password = unit_password(ws, name[:5])
        assert open_pack((tmp_path / "units" / name).read_bytes(), password) == open_pack(
            (out / "units" / name).read_bytes(), password
        )


@pytest.mark.slow
def test_sample_names_typed_as_formulas_stay_text(sample_packs, tmp_path):
    """Citizens' text from the real tables, some of it replaced by formula-like strings."""
    from tests.conftest import make_workspace

    ws, week, out, results = sample_packs
    copy = make_workspace(tmp_path / "ws")
    code = "00008"
    for name in (
        "vehicle_status",
        "licence_status",
        "submission_links",
        "submissions",
        "unit_progress",
        "city_progress",
        "laggards",
        "leaders",
    ):
        frame = store.load(ws, name, week)
        if name == "vehicle_status":
            open_rows = frame.index[(frame["unit_code"] == code) & (frame["status"] != "cleaned")]
            for i, text in zip(open_rows[: len(INJECTIONS)], INJECTIONS, strict=False):
                frame.loc[i, "owner_name"] = text
                frame.loc[i, "owner_address"] = text
        store.save(copy, frame, name, week)
    plan = load_plan()
    paths = packs.stage_unit_rows(copy, week, tmp_path / "staged")
    tasks = packs.unit_tasks(
        copy, week, tmp_path / "out", "vi", plan, packs.load_template(), paths, units=[code]
    )
    done = packs.write_unit_packs(tasks, workers=1)
    path = tmp_path / "out" / "units" / done["file"].iloc[0]
    wb = openpyxl.load_workbook(path)
    found = [
        c
        for sheet in wb.worksheets
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value in INJECTIONS
    ]
    assert {c.value for c in found} == set(INJECTIONS)
    assert all(c.data_type == "s" and c.quotePrefix for c in found)
    with zipfile.ZipFile(path) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


@pytest.mark.slow
def test_staging_falls_back_to_a_spilling_sort_when_memory_runs_out(
    sample_packs, tmp_path, monkeypatch
):
    """The city's two-thread sort can exhaust DuckDB's memory: the one-thread sort takes over."""
    import duckdb

    ws, week, _, _ = sample_packs
    connect = store.duckdb_connect
    tried = []

    class TwoThreadSortRunsOut:  # as the city's open records did on two threads in 3 GB
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if sql.lstrip().startswith("COPY"):
                raise duckdb.OutOfMemoryException("could not allocate block of size 256.0 KiB")
            return self.con.execute(sql, *args)

        def close(self):
            self.con.close()

    def flaky(memory_limit="6GB", threads=None):
        tried.append((memory_limit, threads))
        con = connect(memory_limit=memory_limit, threads=threads)
        return con if threads == 1 else TwoThreadSortRunsOut(con)

    monkeypatch.setattr(packs.store, "duckdb_connect", flaky)
    paths = packs.stage_unit_rows(ws, week, tmp_path / "staged")
    assert tried == [("5GB", 2), ("3GB", 1)]
    records = pd.read_parquet(paths["records"])
    expected = store.load(ws, "vehicle_status", week)
    assert (records["kind"] == "vehicle").sum() == (expected["status"] != "cleaned").sum()
    assert records["unit_code"].is_monotonic_increasing


@pytest.mark.slow
def test_sample_unit_pack_cuts_an_address_too_long_for_a_cell(sample_packs, tmp_path):
    from tests.conftest import make_workspace

    ws, week, out, results = sample_packs
    copy = make_workspace(tmp_path / "ws")
    code = "00008"
    for name in (
        "vehicle_status",
        "licence_status",
        "submission_links",
        "submissions",
        "unit_progress",
        "city_progress",
        "laggards",
        "leaders",
    ):
        frame = store.load(ws, name, week)
        if name == "vehicle_status":
            row = frame.index[(frame["unit_code"] == code) & (frame["status"] != "cleaned")][0]
            frame.loc[row, "owner_address"] = "Số 1 " + LONG
        store.save(copy, frame, name, week)
    assert record_tables.overlong_texts(copy, week) == 1
    paths = packs.stage_unit_rows(copy, week, tmp_path / "staged")
    tasks = packs.unit_tasks(
        copy, week, tmp_path / "out", "vi", load_plan(), packs.load_template(), paths, units=[code]
    )
    done = packs.write_unit_packs(tasks, workers=1)
    wb = openpyxl.load_workbook(tmp_path / "out" / "units" / done["file"].iloc[0])
    cut = [
        c.value
        for sheet in wb.worksheets
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str) and "đã cắt bớt" in c.value
    ]
    assert cut and all(_utf16(v) <= packs.MAX_CELL_CHARS for v in cut)
    assert int(done["cut_cells"].iloc[0]) == len(cut)
