"""Commitments of unit commanders on the generated sample, end to end: the register the
generator writes from the second conference on is ingested (its faulty rows rejected with their
reasons), tracked from the system's figures, shown in the briefing in both languages and in
the unit and city packs; a week before any commitment says so in one line."""

from __future__ import annotations

from dataclasses import replace

import openpyxl
import pandas as pd
import pytest
from markupsafe import escape

from helpers import briefing, ingest, packs, progress, reconcile, store
from helpers.config import load_plan
from helpers.i18n import t
from helpers.paths import Workspace
from helpers.statuses import COMMITMENT_STATUSES

WEEK = "2025-12-07"  # the second register: commitments given on 24 Nov and 1 Dec
PLAIN = replace(load_plan(), unit_packs={**load_plan().unit_packs, "encrypt": False})


@pytest.fixture(scope="module")
def tracked(sample_ws: Workspace, tmp_path_factory) -> Workspace:
    """The sample's week 2025-12-07 ingested, reconciled and progressed (own processed folder)."""
    root = tmp_path_factory.mktemp("commitments")
    ws = Workspace(
        raw=sample_ws.raw,
        processed=root / "processed",
        output=root / "output",
        truth=sample_ws.truth,
    )
    ingest.ingest_week(ws, WEEK)
    reconcile.reconcile_week(ws, WEEK)
    progress.progress_week(ws, WEEK)
    return ws


@pytest.mark.slow
def test_sample_register_is_ingested_and_every_faulty_row_rejected_with_its_reason(tracked):
    file = f"{WEEK}/commitments.csv"
    faults = pd.read_parquet(tracked.truth / "faults.parquet")
    faults = faults[faults["source_file"] == file]
    rejects = store.load(tracked, "rejects", WEEK)
    rejects = rejects[rejects["source"] == "commitments"]
    expected = set(
        faults[["source_row", "expected_reason_code"]].itertuples(index=False, name=None)
    )
    found = set(rejects[["source_row", "reason_code"]].itertuples(index=False, name=None))
    assert expected == found and len(expected) >= 6
    assert {code for _, code in expected} >= {
        "unknown_unit",
        "unknown_measure",
        "invalid_target",
        "by_date_before_given",
        "duplicate_row",
        "conflicting_rows",
    }
    ledger = store.load_json(tracked, "ledger", WEEK)
    entry = next(e for e in ledger["files"] if e["source"] == "commitments")
    assert entry["file"] == file and entry["balanced"]
    accepted = store.load(tracked, "commitments", WEEK)
    assert len(accepted) == entry["rows_accepted"] > 0


@pytest.mark.slow
def test_sample_commanders_names_are_never_carried(tracked):
    raw = pd.read_csv(tracked.raw / WEEK / "commitments.csv", dtype=str)
    names = set(raw["commander"].dropna())
    assert names
    for table in ("commitments", "commitment_status"):
        frame = store.load(tracked, table, WEEK)
        assert "commander" not in frame.columns
        text = [str(v) for v in frame.to_numpy().ravel().tolist()]
        assert not [v for v in text if any(n in v for n in names)], table


@pytest.mark.slow
def test_sample_commitments_are_tracked_with_their_statuses(tracked):
    status = store.load(tracked, "commitment_status", WEEK)
    accepted = store.load(tracked, "commitments", WEEK)
    assert len(status) == len(accepted)
    assert set(status["status"]) <= set(COMMITMENT_STATUSES)
    passed = status[status["days_left"] <= 0]
    ahead = status[status["days_left"] > 0]
    # commitments due by the week are met or missed; the later ones on course or behind
    assert len(passed) and set(passed["status"]) <= {"met", "missed"}
    assert len(ahead) and set(ahead["status"]) <= {"on_course", "behind", "met"}
    assert {"met", "missed"} <= set(status["status"])
    assert status["value_now"].notna().all() and status["value_given"].notna().all()
    # missed ones first
    order = status.sort_values("order")["status"].map(COMMITMENT_STATUSES.index)
    assert order.is_monotonic_increasing


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_briefing_tracks_each_commitment_with_its_figures(tracked, lang):
    data = briefing.load_briefing_data(tracked, WEEK)
    html = briefing.commitments(data, lang)
    heading = {"vi": "Cam kết của chỉ huy đơn vị", "en": "Commitments of unit commanders"}[lang]
    assert heading in html
    rows = briefing.commitments_part(data, lang)["table"]["rows"]
    status = data.commitments.sort_values("order").to_dict("records")
    assert len(rows) == len(status)
    for row, r in zip(rows, status, strict=True):
        cells = row["cells"]
        # each figure is the table's value, labelled by its column, in the row's order
        assert cells[0] == r["unit_name"]
        assert cells[3] == briefing.figure_text(r["value_given"], r["unit"], lang)
        assert cells[4] == briefing.figure_text(r["value_now"], r["unit"], lang)
        assert cells[5] == briefing.figure_text(r["target"], r["unit"], lang)
        assert cells[8] == t(f"commitments.status.{r['status']}", lang)
        assert all(str(escape(c)) in html for c in cells)
    shown = [COMMITMENT_STATUSES.index(r["status"]) for r in rows]
    assert shown == sorted(shown)  # missed ones first
    counts = pd.Series([r["status"] for r in status]).value_counts()
    lead = briefing.commitments_part(data, lang)["lead"]
    assert f"{counts.get('missed', 0)} " in lead


@pytest.mark.slow
def test_sample_week_before_any_commitment_says_so_in_one_line(progressed, sample_week):
    data = briefing.load_briefing_data(progressed, sample_week)
    for lang in ("vi", "en"):
        html = briefing.commitments(data, lang)
        assert t("commitments.none", lang) in html and "<table" not in html


@pytest.mark.slow
def test_sample_unit_pack_shows_its_own_commitments_and_the_city_pack_all(tracked, tmp_path):
    status = store.load(tracked, "commitment_status", WEEK)
    code = status.sort_values("order")["unit_code"].iloc[0]
    result = packs.build_packs(
        tracked, WEEK, tmp_path, "vi", workers=1, units=[code], plan=PLAIN, unit_lang="vi"
    )
    sheet = t("excel.sheets.commitments", "vi")
    unit_book = openpyxl.load_workbook(tmp_path / "units" / result.units["file"].iloc[0])
    rows = list(unit_book[sheet].iter_rows(values_only=True))
    mine = status[status["unit_code"] == code]
    assert len(rows) == 1 + len(mine)
    assert {r[0] for r in rows[1:]} == {code}
    labels = {t(f"commitments.status.{s}", "vi") for s in mine["status"]}
    assert {r[-2] for r in rows[1:]} == labels  # status, then the commitment as said
    now = rows[0].index(t("commitments.columns.value_now", "vi"))  # found by its header
    assert [r[now] for r in rows[1:]] == pytest.approx(
        mine.sort_values("order")["value_now"].tolist()
    )
    city_book = openpyxl.load_workbook(result.city)
    city_rows = list(city_book[sheet].iter_rows(values_only=True))
    assert len(city_rows) == 1 + len(status)
    assert t("commitments.columns.said", "vi") not in city_rows[0]  # free text: unit pack only


@pytest.mark.slow
def test_sample_unit_summary_lists_its_commitments_or_says_there_are_none(tracked, tmp_path):
    status = store.load(tracked, "commitment_status", WEEK)
    given = status.sort_values("order")["unit_code"].iloc[0]
    progress = store.load(tracked, "unit_progress", WEEK)
    without = sorted(set(progress["unit_code"]) - set(status["unit_code"]))[0]
    result = packs.build_packs(
        tracked, WEEK, tmp_path, "vi", workers=1, units=[given, without], plan=PLAIN, unit_lang="vi"
    )
    summary = t("excel.sheets.unit_summary", "vi")
    texts = {}
    for file in result.units["file"]:
        book = openpyxl.load_workbook(tmp_path / "units" / file)
        cells = [c for row in book[summary].iter_rows(values_only=True) for c in row if c]
        texts[file] = [str(c) for c in cells]
    by_unit = dict(zip(result.units["unit_code"], result.units["file"], strict=True))
    mine = status[status["unit_code"] == given]
    assert t("commitments.unit_heading", "vi") in texts[by_unit[given]]
    for r in mine.to_dict("records"):  # each commitment: its measure and status on one line
        measure = t(f"commitments.measure.{r['measure']}", "vi")
        state = t(f"commitments.status.{r['status']}", "vi")
        assert any(c.startswith(f"{measure}: {state} (") for c in texts[by_unit[given]]), r
    assert t("commitments.unit_none", "vi") not in texts[by_unit[given]]
    assert t("commitments.unit_none", "vi") in texts[by_unit[without]]
