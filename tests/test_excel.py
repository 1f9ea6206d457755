"""Excel packs: city pack and unit packs from hand-made processed tables (and, marked slow, from
the sample week)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from helpers import packs, record_tables, schemas, store
from helpers.config import load_plan
from helpers.i18n import flatten, t
from helpers.paths import Workspace
from helpers.progress.deadline import deadline_note, peak_day_text
from helpers.statuses import DIFFICULT_GROUPS, LICENCE_STATUSES, VEHICLE_STATUSES
from helpers.units import official_units
from tests.pii import open_pack, unit_password

WEEK = "2025-11-23"
UNITS = official_units()
U1, U2, U3 = UNITS["unit_code"].iloc[:3]
# Encryption is not the point of the hand-made tests (tests/test_protect.py tests it): they read
# the packs as written; the sample tests below open the encrypted packs with their passwords.
PLAIN = replace(load_plan(), unit_packs={**load_plan().unit_packs, "encrypt": False})
INJECTIONS = ['=HYPERLINK("http://x","y")', "+84912345678", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


# --------------------------------------------------------------------------------------------
# builders of the processed tables (the contract in docs/architecture.md)
# --------------------------------------------------------------------------------------------


def make_vehicle_status(rows: list[dict]) -> pd.DataFrame:
    base = {
        "record_id": None,
        "unit_code": U1,
        "vehicle_type": "motorbike",
        "owner_kind": "individual",
        "status": "not_submitted",
        "status_reason": "reason en",
        "status_reason_vi": "lý do",
        "flags": [],
        "submission_id": None,
        "n_submissions": 0,
        "first_submitted_at": pd.NaT,
        "last_submitted_at": pd.NaT,
        "review_status": None,
        "reviewed_at": pd.NaT,
        "identity_result": "match",
        "identity_confidence": 1.0,
        "plate": "29A-000.01",
        "owner_name": "Nguyễn Văn An",
        "owner_id": "001090000001",
        "owner_address": "1 Phố Huế",
    }
    out = []
    for i, row in enumerate(rows, start=1):
        rec = {
            **base,
            "record_id": f"V{i:06d}",
            "plate": f"29A-{i:03d}.{i % 100:02d}",
            "owner_id": f"0010900{i:05d}",
            **row,
        }
        out.append(rec)
    frame = pd.DataFrame(out)
    for col in ("first_submitted_at", "last_submitted_at", "reviewed_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def make_licence_status(rows: list[dict]) -> pd.DataFrame:
    base = {
        "record_id": None,
        "unit_code": U1,
        "licence_no": None,
        "licence_class": "A1",
        "status": "not_submitted",
        "status_reason": "reason en",
        "status_reason_vi": "lý do",
        "flags": [],
        "submission_id": None,
        "n_submissions": 0,
        "first_submitted_at": pd.NaT,
        "last_submitted_at": pd.NaT,
        "review_status": None,
        "reviewed_at": pd.NaT,
        "identity_result": "match",
        "identity_confidence": 1.0,
        "holder_name": "Trần Thị Bình",
        "holder_id": "002090000001",
    }
    out = []
    for i, row in enumerate(rows, start=1):
        out.append(
            {
                **base,
                "record_id": f"L{i:06d}",
                "licence_no": f"0100000{i:05d}",
                "holder_id": f"0020900{i:05d}",
                **row,
            }
        )
    frame = pd.DataFrame(out)
    for col in ("first_submitted_at", "last_submitted_at", "reviewed_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def make_submissions(rows: list[dict]) -> pd.DataFrame:
    base = {
        "submission_id": None,
        "submitted_at": datetime(2025, 11, 15, 9, 30),
        "kind": "vehicle",
        "citizen_id": "001090099999",
        "full_name": "Lê Văn Cường",
        "phone": "0912345678",
        "plate": None,
        "chassis_no": None,
        "licence_no": None,
        "unit_code": U1,
        "review_status": "pending",
        "reviewed_at": pd.NaT,
        "reject_reason": None,
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def make_links(subs: pd.DataFrame, record_ids: dict[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "submission_id": subs["submission_id"],
            "kind": subs["kind"],
            "unit_code": subs["unit_code"],
            "record_id": [record_ids.get(s) for s in subs["submission_id"]],
            "link_method": [
                "plate" if record_ids.get(s) else "none" for s in subs["submission_id"]
            ],
            "is_duplicate": False,
            "superseded_by": None,
            "link_reason": [
                "plate_match" if record_ids.get(s) else "no_record_vehicle"
                for s in subs["submission_id"]
            ],
            "submitted_at": subs["submitted_at"],
            "review_status": subs["review_status"],
            "reviewed_at": subs["reviewed_at"],
        }
    )


def make_unit_progress() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = len(UNITS)
    out = UNITS[["unit_code", "unit_name", "unit_kind"]].copy()
    for p in ("veh", "lic"):
        assigned = rng.integers(1000, 5000, n)
        cleaned = (assigned * rng.uniform(0.05, 0.6, n)).astype(int)
        out[f"{p}_assigned"] = assigned
        out[f"{p}_submitted"] = cleaned + 50
        out[f"{p}_approved"] = cleaned + 10
        out[f"{p}_cleaned"] = cleaned
        out[f"{p}_pending"] = 40
        out[f"{p}_rejected"] = 5
        out[f"{p}_not_submitted"] = assigned - cleaned - 50
        out[f"{p}_difficult"] = 30
        out[f"{p}_share_cleaned"] = cleaned / assigned
        out[f"{p}_cleanable"] = assigned - 30
        out[f"{p}_share_cleaned_cleanable"] = cleaned / (assigned - 30)
        out[f"{p}_share_submitted"] = (cleaned + 50) / assigned
        out[f"{p}_gain_week"] = rng.integers(0, 300, n)
        out[f"{p}_gain_prev_week"] = rng.integers(0, 300, n)
        out[f"{p}_rate_7d"] = out[f"{p}_gain_week"] / 7
        out[f"{p}_required_rate"] = (assigned - cleaned) / 46
        out[f"{p}_projected_finish"] = pd.Series([date(2026, 1, 20)] * n, dtype="date32[pyarrow]")
        out[f"{p}_days_late"] = 12
        out[f"{p}_on_track"] = False
        groups = [
            s
            for s in (VEHICLE_STATUSES if p == "veh" else LICENCE_STATUSES)
            if s in DIFFICULT_GROUPS
        ]
        for g in groups:
            out[f"{p}_group_{g}"] = rng.integers(0, 20, n)
    out["backlog_pending"] = 80
    out["backlog_median_lag_days"] = 2.5
    out["backlog_oldest_days"] = rng.integers(0, 15, n)
    order = out["veh_share_cleaned"].rank(ascending=False, method="first").astype(int)
    out["rank"] = order
    out["rank_prev"] = order
    out["rank_change"] = 0
    out["standing"] = np.where(
        order > 110, "off_track", np.where(order > 60, "at_risk", "on_track")
    )
    out["is_laggard"] = order > 110
    out["is_leader"] = order <= 5
    out["self_report_ratio"] = 1.05
    out["self_report_overstated"] = False
    for c in (
        "org_count",
        "org_dispatches",
        "org_worked_directly",
        "org_vehicles_counted",
        "org_vehicles_declared",
    ):
        out[c] = 3
    return out


def make_city_progress(units: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for kind, p in (("vehicle", "veh"), ("licence", "lic")):
        rows.append(
            {
                "kind": kind,
                "assigned": units[f"{p}_assigned"].sum(),
                "submitted": units[f"{p}_submitted"].sum(),
                "approved": units[f"{p}_approved"].sum(),
                "cleaned": units[f"{p}_cleaned"].sum(),
                "share_cleaned": units[f"{p}_cleaned"].sum() / units[f"{p}_assigned"].sum(),
                "cleanable": units[f"{p}_cleanable"].sum(),
                "share_cleaned_cleanable": units[f"{p}_cleaned"].sum()
                / units[f"{p}_cleanable"].sum(),
                "share_submitted": 0.5,
                "gain_week": 100,
                "gain_prev_week": 90,
                "rate_7d": 14.3,
                "required_rate": 50.0,
                "projected_finish": date(2026, 2, 1),
                "days_late": 24,
                "on_track": False,
                "days_left": 46,
                "units_on_track": 60,
                "units_at_risk": 50,
                "units_off_track": 16,
                "pending": 5040,
                "oldest_pending_days": 14,
                "submissions_total": 9999,
                "submissions_week": 999,
                "difficult": 3780,
            }
        )
    return pd.DataFrame(rows)


def write_week(ws: Workspace, *, vehicles=None, licences=None, submissions=None, links=None):
    units = make_unit_progress()
    vehicles = vehicles if vehicles is not None else default_vehicles()
    licences = (
        licences
        if licences is not None
        else make_licence_status(
            [
                {"status": "identity_mismatch", "identity_result": "dob_mismatch"},
                {"status": "holder_deceased", "unit_code": U2},
            ]
        )
    )
    if submissions is None:
        submissions = make_submissions(
            [
                {"submission_id": "S1", "plate": "29A-001.01"},
                {"submission_id": "S9", "plate": "30K-999.99", "full_name": INJECTIONS[0]},
                {"submission_id": "S8", "plate": "30K-888.88", "unit_code": U2},
            ]
        )
        links = make_links(submissions, {"S1": "V000001"})
    tables = {
        "vehicle_status": vehicles,
        "licence_status": licences,
        "submissions": submissions,
        "submission_links": links,
        "unit_progress": units,
        "unit_daily": make_unit_daily(),
        "city_progress": make_city_progress(units),
        "laggards": pd.DataFrame(
            {
                "unit_code": units.loc[units["is_laggard"], "unit_code"],
                "unit_name": units.loc[units["is_laggard"], "unit_name"],
                "rank": units.loc[units["is_laggard"], "rank"],
                "veh_share_cleaned": units.loc[units["is_laggard"], "veh_share_cleaned"],
                "veh_share_cleaned_cleanable": units.loc[
                    units["is_laggard"], "veh_share_cleaned_cleanable"
                ],
                "rules": [["veh_below_median"]] * int(units["is_laggard"].sum()),
                "reason_vi": "xe: làm sạch thấp",
                "reason_en": "vehicles: cleaned little",
            }
        ),
        "leaders": pd.DataFrame(
            {
                "unit_code": [U1, U2],
                "unit_name": ["A", "B"],
                "category": ["share", "gain"],
                "measure": ["share_cleanable", "gain_records"],
                "position": [1, 1],
                "value": [0.61, 250.0],
                "reason_vi": ["tốt", "nhanh"],
                "reason_en": ["good", "fast"],
            }
        ),
        "daily_series": pd.DataFrame(
            [
                {
                    "date": date(2025, 11, 10) + timedelta(days=d),
                    "kind": kind,
                    "submitted_day": 10,
                    "approved_day": 8,
                    "cleaned_day": 7,
                    "submitted_cum": 10 * (d + 1),
                    "approved_cum": 8 * (d + 1),
                    "cleaned_cum": 7 * (d + 1),
                    "target_cum": 20 * (d + 1),
                }
                for d in range(14)
                for kind in ("vehicle", "licence")
            ]
        ),
        "org_summary": pd.DataFrame(
            {
                "org_type": ["enterprise", "school"],
                "orgs": [10, 5],
                "dispatches_sent": [8, 5],
                "worked_directly": [2, 1],
                "vehicles_counted": [100, 50],
                "vehicles_declared": [90, 40],
            }
        ),
        "talking_points": pd.DataFrame(
            {
                "lang": ["vi", "vi", "en", "en"],
                "order": [1, 2, 1, 2],
                "text": ["Điểm một", "-Điểm hai", "Point one", "-Point two"],
            }
        ),
        "unit_self_report_check": pd.DataFrame(
            {
                "report_date": [date(2025, 11, 20), date(2025, 11, 21), date(2025, 11, 1)],
                "unit_code": [U1, U1, U1],
                "reported_vehicles_collected": [10, 20, 99],
                "system_vehicles_collected": [8, 10, 1],
                "reported_total": [10, 20, 99],
                "system_total": [8, 10, 1],
                "ratio": [1.25, 2.0, 99.0],
                "overstated": [True, True, True],
            }
        ),
        "rejects": pd.DataFrame(
            {
                "source": ["submissions", "submissions", "registry_vehicles"],
                "source_file": ["a.csv"] * 3,
                "source_row": [2, 3, 4],
                "column": ["citizen_id"] * 3,
                "value": ["001099888777", "x", "y"],
                "reason_code": ["invalid_id", "invalid_id", "invalid_plate"],
                "reason": ["r"] * 3,
                "reason_vi": ["r"] * 3,
            }
        ),
    }
    for name, frame in tables.items():
        store.save(ws, schemas.complete(name, frame), name, WEEK)
    store.save_json(
        ws,
        {
            "files": [
                {
                    "source": "submissions",
                    "file": "2025-11-23/submissions.csv",
                    "sha256": "0",
                    "rows_read": 5,
                    "rows_accepted": 3,
                    "rows_rejected": 2,
                    "rows_skipped": {"blank": 0},
                    "balanced": True,
                }
            ]
        },
        "ledger",
        WEEK,
    )
    return tables


def default_vehicles() -> pd.DataFrame:
    return make_vehicle_status(
        [
            {
                "status": "pending_review",
                "last_submitted_at": "2025-11-20 10:00",
                "submission_id": "S1",
                "review_status": "pending",
                "n_submissions": 1,
            },
            {
                "status": "pending_review",
                "last_submitted_at": "2025-11-12 08:00",
                "review_status": "pending",
                "n_submissions": 1,
                "submission_id": "S2",
            },
            {
                "status": "not_submitted",
                "owner_address": "5 ngõ 12 Phố Huế",
                "owner_name": INJECTIONS[0],
            },
            {"status": "not_submitted", "owner_address": "5 ngõ 12 Phố Huế"},
            {"status": "not_submitted", "owner_address": "3 Phố Huế"},
            {"status": "not_submitted", "owner_address": "12 Phố Huế"},
            {"status": "not_submitted", "owner_address": "2 Đội Cấn"},
            {"status": "owner_deceased", "owner_name": "+84912345678"},
            {"status": "identity_mismatch", "identity_result": "dob_day_month_swapped"},
            {"status": "cleaned"},
            {
                "status": "not_submitted",
                "unit_code": U2,
                "owner_address": "9 Phố Khác",
                "owner_name": "Phạm Thị Dung",
                "owner_id": "001190000999",
            },
            {"status": "pending_review", "unit_code": U3, "last_submitted_at": "2025-11-14 08:00"},
            {"status": "owner_resides_elsewhere", "population_unit_code": U3},
        ]
    )


def make_unit_daily() -> pd.DataFrame:
    """23 days of U1 and U2 (the packs show the last 14), a day missing for licences."""
    rows = [
        {
            "unit_code": code,
            "kind": kind,
            "date": date(2025, 11, 1) + timedelta(days=d),
            "submitted_day": 10 + d + k,
            "approved_day": 5 + d,
            "cleaned_day": 3 + d + 2 * k + (100 if code == U2 else 0),
        }
        for code in (U1, U2)
        for k, kind in enumerate(("vehicle", "licence"))
        for d in range(23)
        if not (kind == "licence" and d == 20)
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def week_ws(tmp_ws) -> Workspace:
    write_week(tmp_ws)
    return tmp_ws


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """The hand-made week built once per language (tests that only read share it)."""
    from tests.conftest import make_workspace

    ws = make_workspace(tmp_path_factory.mktemp("excel-week"))
    write_week(ws)
    out = {}
    for lang in ("vi", "en"):
        folder = ws.output / lang
        out[lang] = (
            ws,
            folder,
            packs.build_packs(
                ws, WEEK, folder, lang, workers=1, units=[U1, U2, U3], unit_lang=lang, plan=PLAIN
            ),
        )
    return out


def build(ws, out, lang="vi", **kwargs):
    kwargs.setdefault("units", [U1, U2, U3])
    kwargs.setdefault("unit_lang", lang)  # read the unit packs in the language of the test
    kwargs.setdefault("plan", PLAIN)
    return packs.build_packs(ws, WEEK, out, lang, workers=1, **kwargs)


def cells(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def table_rows(sheet) -> list[dict]:
    """Rows of a data sheet (header on row 1) as dicts keyed by header."""
    rows = cells(sheet)
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:] if any(v is not None for v in r)]


def unit_file(out, code):
    slug = UNITS.set_index("unit_code").at[code, "slug"]
    return out / "units" / f"{code}-{slug}.xlsx"


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


# --------------------------------------------------------------------------------------------
# the city pack
# --------------------------------------------------------------------------------------------

CITY_SHEETS = (
    "summary",
    "print_vehicles",
    "print_licences",
    "print_reviews",
    "print_difficult_vehicles",
    "print_difficult_licences",
    "print_organisations",
    "units",
    "laggards",
    "leaders",
    "commitments",
    "difficult",
    "backlog",
    "organisations",
    "self_reports",
    "data_quality",
    "files",
    "trend",
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
    assert {r.formula[0] for r in standing} == {'"On track"', '"At risk"', '"Off track"'}


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


# --------------------------------------------------------------------------------------------
# unit packs
# --------------------------------------------------------------------------------------------


def test_one_pack_per_unit_named_by_code_and_slug(built):
    week_ws, out, _ = built["vi"]
    result = built["vi"][2]
    assert sorted(p.name for p in (out / "units").iterdir()) == sorted(
        unit_file(out, c).name for c in (U1, U2, U3)
    )
    assert list(result.units["unit_code"]) == sorted([U1, U2, U3])


def test_unit_pack_sheets_and_headers(built):
    week_ws, out, _ = built["vi"]
    wb = openpyxl.load_workbook(unit_file(out, U1))
    assert wb.sheetnames == [
        t(f"excel.sheets.{k}", "vi")
        for k in ("unit_summary", "unit_daily", *packs.LISTS)
        for k in ((k, "door_to_door_groups") if k == "door_to_door" else (k,))
    ]
    for key in packs.LISTS:
        ws = wb[t(f"excel.sheets.{key}", "vi")]
        assert [c.value for c in ws[1]] == [c.header for c in packs.worklist_columns(key, "vi")]
        assert ws.freeze_panes == "B2" and ws.tables


def test_pending_reviews_oldest_first_with_days_waiting(built):
    week_ws, out, _ = built["en"]
    rows = table_rows(openpyxl.load_workbook(unit_file(out, U1))["Pending reviews"])
    assert [r["Submitted at"] for r in rows] == [
        datetime(2025, 11, 12, 8),
        datetime(2025, 11, 20, 10),
    ]
    assert [r["Days waiting"] for r in rows] == [11, 3]
    assert [r["No."] for r in rows] == [1, 2]


def test_daily_sheet_is_the_units_last_14_days_against_its_required_rate(built):
    week_ws, out, _ = built["en"]
    wb = openpyxl.load_workbook(unit_file(out, U1))
    ws = wb["Daily meeting"]
    rows = table_rows(ws)
    daily = store.load(week_ws, "unit_daily", WEEK)
    units = store.load(week_ws, "unit_progress", WEEK).set_index("unit_code")
    mine = daily.loc[
        (daily["unit_code"] == U1)
        & (pd.to_datetime(daily["date"]) > pd.Timestamp(WEEK) - pd.Timedelta(days=14))
    ]
    assert [r["Date"] for r in rows] == sorted(pd.to_datetime(mine["date"]).unique())
    assert len(rows) == 14
    for prefix, kind in (("Vehicles", "vehicle"), ("Licences", "licence")):
        want = mine.loc[mine["kind"] == kind].set_index(
            pd.to_datetime(mine.loc[mine["kind"] == kind, "date"])
        )
        for r in rows:
            for what, col in (
                ("submitted that day", "submitted_day"),
                ("approved that day", "approved_day"),
                ("cleaned that day", "cleaned_day"),
            ):
                expected = want[col].get(r["Date"])  # a day without a row: 0, never blank
                assert r[f"{prefix}: {what}"] == (0 if expected is None else int(expected))
        rate = units.at[U1, f"{'veh' if kind == 'vehicle' else 'lic'}_required_rate"]
        targets = [r[f"{prefix}: daily target to finish the peak"] for r in rows]
        assert targets == [pytest.approx(rate)] * len(rows)
    assert len(ws._charts) == 2  # a native chart per kind of record
    assert (
        "Daily meeting" not in openpyxl.load_workbook(out / f"city-pack-{WEEK}-en.xlsx").sheetnames
    )


def test_elsewhere_list_names_the_unit_where_the_owner_lives(built):
    week_ws, out, _ = built["en"]
    rows = table_rows(openpyxl.load_workbook(unit_file(out, U1))["Owner lives elsewhere"])
    name = UNITS.set_index("unit_code").at[U3, "unit_name"]
    assert [r["Unit where the owner lives (forward to)"] for r in rows] == [name]


def test_door_to_door_is_by_group_then_household_with_licences_and_columns_to_fill(
    tmp_ws, tmp_path
):
    vehicles = make_vehicle_status(
        [
            {"owner_address": "Số 5 ngõ 12 Phố Huế, Tổ dân phố 10, Phường A"},
            {"owner_address": "Số 3 Phố Huế, TDP 2, Phường A"},
            {"owner_address": "Số 5 ngõ 12 Phố Huế, Tổ dân phố 10, Phường A"},
            {"owner_address": "2 Đội Cấn"},  # no group written: said so, never guessed
            {"owner_address": "Số 1 Phố Huế, Tdp 2, Phường A"},
            {"status": "pending_review", "owner_address": "Số 9 Phố Huế, TDP 2"},
            {"owner_address": "Số 4 Phố Khác, TDP 1", "unit_code": U2},
        ]
    )
    licences = make_licence_status([{}, {"status": "cleaned"}, {"unit_code": U2}])
    write_week(tmp_ws, vehicles=vehicles, licences=licences)
    out = tmp_path / "out"
    build(tmp_ws, out, "en", units=[U1])
    wb = openpyxl.load_workbook(unit_file(out, U1))
    rows = table_rows(wb["Door to door"])
    group = "Residential group (tổ dân phố)"
    assert [(r[group], r["Household (address)"], r["Record"]) for r in rows] == [
        ("Residential group 2", "Số 1 Phố Huế, Tdp 2, Phường A", "Vehicles"),
        ("Residential group 2", "Số 3 Phố Huế, TDP 2, Phường A", "Vehicles"),
        ("Residential group 10", "Số 5 ngõ 12 Phố Huế, Tổ dân phố 10, Phường A", "Vehicles"),
        ("Residential group 10", "Số 5 ngõ 12 Phố Huế, Tổ dân phố 10, Phường A", "Vehicles"),
        ("No residential group in the address", "2 Đội Cấn", "Vehicles"),
        ("No residential group in the address", "No address in the register", "Driving licences"),
    ]
    assert {r["Visited on"] for r in rows} == {None} and {r["Result"] for r in rows} == {None}
    assert rows[0]["Type / class"] == t("excel.vehicle_type.motorbike", "en")
    summary = table_rows(wb["Door to door by group"])
    assert [(r[group], r["Households"], r["Records not submitted"]) for r in summary] == [
        ("Residential group 2", 2, 2),
        ("Residential group 10", 1, 2),
        ("No residential group in the address", 1, 2),
    ]
    assert sum(r["Records not submitted"] for r in summary) == len(rows)
    # only the unit's own records
    assert "Phố Khác" not in str(cells(wb["Door to door"]))


@pytest.mark.parametrize(
    "addresses, expected",
    [
        (
            ["10 Phố Huế", "9 Phố Huế", "Số 11 Phố Huế"],
            ["9 Phố Huế", "10 Phố Huế", "Số 11 Phố Huế"],
        ),
        (
            ["3 ngõ 5 Kim Mã", "1 ngõ 7 Kim Mã", "2 ngõ 5 Kim Mã"],
            ["2 ngõ 5 Kim Mã", "3 ngõ 5 Kim Mã", "1 ngõ 7 Kim Mã"],
        ),
        (["Thôn Đông, xã A", None, "Thôn Bắc, xã A"], ["Thôn Bắc, xã A", "Thôn Đông, xã A", None]),
    ],
)
def test_walking_order_of_addresses(addresses, expected):
    import duckdb

    con = duckdb.connect()
    recs = pd.DataFrame(
        {
            "kind": "vehicle",
            "status": "not_submitted",
            "address": addresses,
            "record_key": [f"P{i}" for i in range(len(addresses))],
            "record_type": "motorbike",
            "person_name": "X",
            "person_id": "001",
        }
    )
    con.register("recs", recs)
    got = packs.door_to_door(con)["address"].tolist()
    assert [None if pd.isna(a) else a for a in got] == expected


def test_unit_pack_holds_only_its_own_records(built):
    week_ws, out, _ = built["vi"]
    vehicles = store.load(week_ws, "vehicle_status", WEEK)
    for code in (U1, U2, U3):
        text = "\n".join(
            str(v)
            for ws in openpyxl.load_workbook(unit_file(out, code)).worksheets
            for row in cells(ws)
            for v in row
            if v is not None
        )
        for _, rec in vehicles.iterrows():
            if rec["status"] == "cleaned":
                continue
            assert (rec["plate"] in text) == (rec["unit_code"] == code), (code, rec["plate"])
        assert ("30K-999.99" in text) == (code == U1)  # unmatched submission of U1
        assert ("30K-888.88" in text) == (code == U2)


def test_citizen_ids_are_masked_unless_the_plan_allows_full_ids(week_ws, tmp_path):
    build(week_ws, tmp_path / "masked", "en", units=[U1], city=False)
    rows = table_rows(openpyxl.load_workbook(unit_file(tmp_path / "masked", U1))["Deceased owners"])
    assert rows[0]["Citizen ID"] == "001*******08"
    plan = replace(PLAIN, unit_packs={**PLAIN.unit_packs, "full_ids": True})
    build(week_ws, tmp_path / "full", "en", plan=plan, units=[U1], city=False)
    rows = table_rows(openpyxl.load_workbook(unit_file(tmp_path / "full", U1))["Deceased owners"])
    assert rows[0]["Citizen ID"] == "001090000008"


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


def test_unit_summary_compares_the_unit_with_the_city(built):
    week_ws, out, _ = built["en"]
    ws = openpyxl.load_workbook(unit_file(out, U1))["Summary"]
    values = {r[0]: r[1:] for r in cells(ws) if r[0]}
    unit = store.load(week_ws, "unit_progress", WEEK).set_index("unit_code").loc[U1]
    city = store.load(week_ws, "city_progress", WEEK).set_index("kind")
    assert values["Vehicles: cleaned"][:2] == (unit["veh_cleaned"], city.at["vehicle", "cleaned"])
    assert values["Rank among 126 units (vehicles, % of cleanable cleaned)"][0] == unit["rank"]
    lists = {r[0]: r[1] for r in cells(ws) if r[0] in ("Pending reviews", "Door to door")}
    assert lists == {"Pending reviews": 2, "Door to door": 5}  # a row per record not submitted
    assert any(str(r[0]).startswith("Praised: good") for r in cells(ws) if r[0])


def test_unit_pack_week_line_counts_days_on_the_deadline_in_force():
    plan = load_plan()
    for week, said in (
        ("2026-01-11", "day 63 of 71 of the extended peak"),
        ("2025-11-23", "day 14 of 60 of the peak"),
    ):
        line = packs.tx(
            "summary.week_line",
            "en",
            week="w",
            conference="c",
            peak_day=peak_day_text(plan, date.fromisoformat(week), "en"),
            deadline=deadline_note(plan, date.fromisoformat(week), "en"),
        )
        assert said in line


def test_unit_summary_says_why_pending_figures_differ(built):
    week_ws, out, _ = built["en"]
    ws = openpyxl.load_workbook(unit_file(out, U1))["Summary"]
    unit = store.load(week_ws, "unit_progress", WEEK).set_index("unit_code").loc[U1]
    note = next(str(r[0]) for r in cells(ws) if r[0] and str(r[0]).startswith("The pending sheet"))
    assert note.startswith("The pending sheet lists 2 records whose latest submission awaits")
    assert f"records pending ({int(unit['veh_pending'] + unit['lic_pending'])})" in note
    assert f"submissions awaiting review ({int(unit['backlog_pending'])})" in note


# --------------------------------------------------------------------------------------------
# reproducible and bundled
# --------------------------------------------------------------------------------------------


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


def test_organisation_tax_codes_are_not_masked(tmp_ws, tmp_path):
    vehicles = make_vehicle_status(
        [
            {
                "status": "organization_owned",
                "owner_kind": "organization",
                "owner_id": "0101234567",
                "owner_name": "Công Ty A",
            },
            {"status": "owner_deceased"},
        ]
    )
    write_week(tmp_ws, vehicles=vehicles)
    build(tmp_ws, tmp_path / "out", "en", units=[U1], city=False)
    wb = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))
    assert table_rows(wb["Organisation owners"])[0]["Citizen ID"] == "0101234567"
    assert table_rows(wb["Deceased owners"])[0]["Citizen ID"] == "001*******02"


def test_an_impossible_phone_is_marked_where_the_officer_reads_it(tmp_ws, tmp_path):
    subs = make_submissions(
        [
            {"submission_id": "S1", "plate": "30K-111.11", "phone": "0912345678"},
            {"submission_id": "S2", "plate": "30K-222.22", "phone": "12345"},
        ]
    )
    write_week(tmp_ws, submissions=subs, links=make_links(subs, {}))
    build(tmp_ws, tmp_path / "out", "en", units=[U1], city=False)
    sheet = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))["Submissions no record"]
    phones = {r["Submission ID"]: r["Phone"] for r in table_rows(sheet)}
    assert phones["S1"] == "0912345678"
    assert phones["S2"] == "12345 (no valid Vietnamese number: check before calling)"


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


def _read(path, ws: Workspace | None = None) -> dict[str, list[tuple]]:
    """Every sheet's rows; a unit pack (``ws`` given) is opened with its unit's password."""
    if ws is not None:
        path = io.BytesIO(
            open_pack(Path(path).read_bytes(), unit_password(ws, Path(path).name[:5]))
        )
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


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


# --------------------------------------------------------------------------------------------
# Texts longer than a cell, a full disk
# --------------------------------------------------------------------------------------------

LONG = "x" * 40_000
WIDE = "\U0001f600" * 17_000  # 17,000 characters, 34,000 as Excel counts them (UTF-16)


def _utf16(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


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


# printing the city pack: printable views, nothing cut, rows tall enough for their text
# --------------------------------------------------------------------------------------------

PRINT_MAX_COLUMNS = 15
LINE_POINTS = 14  # height of one line of 11-point text, at the least


def column_widths(ws) -> dict[int, float]:
    """Width of every column that has one (openpyxl groups equal neighbours: min..max)."""
    widths = {}
    for dim in ws.column_dimensions.values():
        if dim.width:
            for index in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
                widths[index] = dim.width
    return widths


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


def assert_tall_enough(ws, cell):
    width = column_widths(ws)[cell.column]
    lines = sum(max(1, -(-len(part) // int(width))) for part in cell.value.split("\n"))
    assert cell.alignment.wrap_text, cell.coordinate
    height = ws.row_dimensions[cell.row].height
    assert height is not None and height >= lines * LINE_POINTS, (cell.coordinate, height, lines)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_unit_summary_texts_are_tall_enough_for_their_wrapped_lines(week_ws, tmp_path, lang):
    # a laggard reason of three rules, as the final week writes them: its row was set to one
    # line per 120 characters in a column of 60, and the last rule was cut off
    laggards = store.load(week_ws, "laggards", WEEK)
    laggards[f"reason_{lang}"] = (
        "in the bottom 10% of units (rank 120 of 126); oldest pending review 25 days old "
        "(90 waiting in all); at the current pace finishes on 17/03/2026, 57 days after the "
        "deadline"
    )
    store.save(week_ws, laggards, "laggards", WEEK)
    result = build(week_ws, tmp_path, lang, units=list(laggards["unit_code"].iloc[:1]))
    sheet = openpyxl.load_workbook(tmp_path / "units" / result.units["file"].iloc[0])[
        t("excel.sheets.unit_summary", lang)
    ]
    wrapped = [
        cell
        for (cell,) in sheet.iter_rows(min_col=1, max_col=1)
        if isinstance(cell.value, str) and cell.alignment.wrap_text
    ]
    reason = laggards[f"reason_{lang}"].iloc[0]
    assert reason in [c.value for c in wrapped]
    for cell in wrapped:
        assert_tall_enough(sheet, cell)


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


def test_difficult_sheet_gives_each_group_open_and_resolved(tmp_ws, tmp_path):
    units = pd.DataFrame(
        {
            "unit_code": ["00004"],
            "veh_group_owner_deceased": [3],
            "veh_resolved_owner_deceased": [1],
        }
    )
    assert packs.metric_header("veh_resolved_owner_deceased", "en") == (
        "Vehicles: Owner deceased, resolved"
    )
    assert packs.difficult_columns(units) == [
        "veh_group_owner_deceased",
        "veh_resolved_owner_deceased",
    ]


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


def test_difficult_group_worklists_hold_only_the_open_records(tmp_ws, tmp_path):
    """A difficult record whose submission the unit approved is resolved (progress counts it
    so): the worklist holds what is still to do, and its count beside it says as many."""
    vehicles = make_vehicle_status(
        [
            {"status": "owner_deceased"},  # open: nothing submitted
            {
                "status": "owner_deceased",  # open: its submission waits for review
                "submission_id": "S1",
                "review_status": "pending",
                "last_submitted_at": "2025-11-20 10:00",
            },
            {
                "status": "owner_deceased",  # resolved: the unit approved its submission
                "submission_id": "S2",
                "review_status": "approved",
                "reviewed_at": "2025-11-21 10:00",
            },
            {
                "status": "scrapped_or_lost",  # resolved
                "submission_id": "S3",
                "review_status": "approved",
                "reviewed_at": "2025-11-21 10:00",
            },
        ]
    )
    write_week(tmp_ws, vehicles=vehicles)
    build(tmp_ws, tmp_path / "out", "en", units=[U1], city=False)
    wb = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))
    deceased = table_rows(wb[t("excel.sheets.deceased", "en")])
    assert [r["Record ID"] for r in deceased] == ["V000001", "V000002"]
    assert table_rows(wb[t("excel.sheets.scrapped", "en")]) == []
    counts = {r[0]: r[1] for r in cells(wb[t("excel.sheets.unit_summary", "en")]) if r and r[0]}
    assert counts[t("excel.sheets.deceased", "en")] == 2
    assert counts[t("excel.sheets.scrapped", "en")] == 0


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


def printed_points(ws) -> float:
    """The type size a sheet prints at on A4 (Excel's fit-to-width scale, 11-point font)."""
    p = packs.load_template()["print"]
    paper = 29.7 if ws.page_setup.orientation == "landscape" else 21.0
    page = (paper - p["margins_cm"]["left"] - p["margins_cm"]["right"]) / 2.54 * 72 / 0.75
    widths = [
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width or 8.43
        for i in range(1, ws.max_column + 1)
    ]
    total = sum(7 * w + 5 for w in widths)
    across = ws.page_setup.fitToWidth or 1
    return 11 * min(1.0, across * page / total)


def test_worklists_print_at_readable_type_on_a4(tmp_ws, tmp_path):
    """Long reasons and addresses wrap in narrower columns, so no worklist prints below 8 pt
    (the difficult-group sheets printed at ~4.3 pt, the lists at ~6 pt)."""
    reason = "Số định danh của chủ xe không hợp lệ: " + "không đủ 12 chữ số, " * 6
    address = "Số 123 ngõ 456 ngách 78 hẻm 9, Tổ dân phố 12, đường Nguyễn Văn Cừ kéo dài"
    vehicles = make_vehicle_status(
        [
            {"status": s, "status_reason_vi": reason, "owner_address": address}
            for s in ("invalid_owner_id", "owner_deceased", "not_submitted", "pending_review")
        ]
    )
    write_week(tmp_ws, vehicles=vehicles)
    build(tmp_ws, tmp_path / "out", "vi", units=[U1], city=False)
    wb = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))
    for key in packs.LISTS:
        ws = wb[t(f"excel.sheets.{key}", "vi")]
        assert ws.page_setup.orientation == "landscape", ws.title
        assert printed_points(ws) >= 8, (ws.title, printed_points(ws))
    invalid = wb[t("excel.sheets.invalid_id", "vi")]
    reason_cell = next(c for c in invalid[2] if c.value == reason)
    assert reason_cell.alignment.wrap_text  # the reason wraps: nothing cut


def test_data_quality_in_vietnamese_shows_reasons_in_words_not_codes(built):
    wb = openpyxl.load_workbook(built["vi"][2].city)
    rows = cells(wb[t("excel.sheets.data_quality", "vi")])
    shown = {v for r in rows for v in r}
    assert not shown & {"invalid_id", "invalid_plate"}
    assert t("rejects.invalid_id", "vi") in shown


def write_final_tables(ws: Workspace) -> None:
    """The campaign summary's tables of the hand-made week, as a week reaching the end."""
    units = store.load(ws, "unit_progress", WEEK)
    ended = replace(PLAIN, end=date(2025, 11, 23), extension=None, pending_extension=None)
    from helpers.progress.final import final_tables

    for name, frame in final_tables(
        units.assign(
            **{
                f"{p}_{c}": 0
                for p in ("veh", "lic")
                for c in ("difficult_open", "remaining")
                if f"{p}_{c}" not in units
            },
            **{
                f"{p}_resolved_{g}": 0
                for p, k in (("veh", VEHICLE_STATUSES), ("lic", LICENCE_STATUSES))
                for g in k
                if g in DIFFICULT_GROUPS
            },
        ),
        store.load(ws, "city_progress", WEEK),
        store.load(ws, "org_summary", WEEK),
        ended,
        as_of=date(2025, 11, 23),
    ).items():
        store.save(ws, frame, name, WEEK)


def test_the_final_week_pack_says_the_units_verdict_and_what_it_hands_over(tmp_ws, tmp_path):
    write_week(tmp_ws)
    write_final_tables(tmp_ws)
    ended = replace(PLAIN, end=date(2025, 11, 23), extension=None, pending_extension=None)
    last = store.load(tmp_ws, "final_units", WEEK).iloc[-1]  # the last-ranked: criticised
    code = str(last["unit_code"])
    build(tmp_ws, tmp_path / "out", "vi", units=[code], city=False, plan=ended)
    ws = openpyxl.load_workbook(unit_file(tmp_path / "out", code))[
        t("excel.sheets.unit_summary", "vi")
    ]
    texts = [str(c) for r in cells(ws) for c in r if c]
    assert t("excel.unit.final_heading", "vi") in texts
    verdicts = store.load(tmp_ws, "final_verdicts", WEEK)
    mine = verdicts.loc[verdicts["unit_code"] == code]
    assert len(mine) and all(any(r in x for x in texts) for r in mine["reason_vi"])
    handover = store.load(tmp_ws, "final_handover", WEEK)
    opened = handover.loc[handover["unit_code"] == code, "open"]
    assert len(opened) and all(
        any(f"còn {n} hồ sơ" in x for x in texts) for n in opened.astype(int)
    )
    # no next conference: what is left, never "targets by 30/11"
    assert not any(x.startswith("Chỉ tiêu đến ngày") for x in texts)
    assert any(x.startswith("Còn phải xử lý sau đợt cao điểm") for x in texts)


def test_the_daily_sheet_has_every_day_zeros_and_says_why_no_target(tmp_ws, tmp_path):
    """Days without activity are 0 (the chart skipped them), licence days missing are 0 (not
    blank), and once the deadline is reached the blank target says why; whole-record ticks."""
    write_week(tmp_ws)
    units = store.load(tmp_ws, "unit_progress", WEEK)
    units.loc[units["unit_code"] == U1, ["veh_required_rate", "lic_required_rate"]] = np.nan
    store.save(tmp_ws, units, "unit_progress", WEEK)
    daily = store.load(tmp_ws, "unit_daily", WEEK)
    quiet = pd.Timestamp(WEEK) - pd.Timedelta(days=3)
    daily = daily.loc[pd.to_datetime(daily["date"]) != quiet]  # a day with no activity at all
    daily = daily.assign(cleaned_day=np.where(daily["kind"] == "licence", 0, daily["cleaned_day"]))
    store.save(tmp_ws, daily, "unit_daily", WEEK)
    ended = replace(PLAIN, end=date(2025, 11, 23), extension=None, pending_extension=None)
    build(tmp_ws, tmp_path / "out", "vi", units=[U1], city=False, plan=ended)
    ws = openpyxl.load_workbook(unit_file(tmp_path / "out", U1))[t("excel.sheets.unit_daily", "vi")]
    rows = [r for r in cells(ws)[1:] if r[0] is not None]
    assert len(rows) == 14  # every day of the window, the quiet one included
    assert [r[0].date() for r in rows][-4] == quiet.date()
    assert rows[-4][1:4] == (0, 0, 0) and rows[-4][5:8] == (0, 0, 0)
    assert all(v is not None for r in rows for v in r[5:8])  # licences: 0, never blank
    notes = [c.value for r in ws.iter_rows(max_row=2) for c in r if isinstance(c.value, str)]
    assert any(x.startswith("Không còn chỉ tiêu mỗi ngày") for x in notes), notes
    licences = ws._charts[1]
    assert licences.y_axis.majorUnit == 1  # licences cleaned 0: ticks 0, 1, never 0, 1, 1
    assert len(licences.series) == 1  # no target line past the deadline: the note says why


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
