"""The synthetic campaign generator keeps its promises: files, units, faults, truth, seeds."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import synth
from helpers.statuses import LICENCE_STATUSES, REJECT_REASONS, VEHICLE_STATUSES
from helpers.units import resolve_units
from synth import deliver as dv
from synth import files as sf
from synth import mail as ml
from synth import selfreport as sr
from synth.xlsx import Sheet, write_workbook

WEEK = "2025-11-23"
PLATE_KEY = re.compile(r"^\d{2}[A-Z]{1,2}\d?\d{4,5}$")
SMALL_CITY = 0.002  # 17,000 vehicle records: enough for the arithmetic, a few seconds


# ------------------------------------------------------------------ readers (test-side)
def read_text_table(path: Path, source: str, delivery: str) -> tuple[pd.DataFrame, int]:
    """A delivered file as text with canonical column names, and its first data row number."""
    fmt = dv.FORMATS[source][delivery]
    names = {v: k for k, v in dv.header_names(source, fmt).items()}
    if fmt.ext == "parquet":
        df = pd.read_parquet(path)
        df = df.astype(object).where(df.notna(), "").astype(str)
        first = 2
    elif fmt.ext == "xlsx":
        rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
        hdr = next(i for i, r in enumerate(rows) if r and list(r[: len(names)]) == list(names))
        body = [["" if v is None else str(v) for v in r] for r in rows[hdr + 1 :]]
        width = len(rows[hdr])
        df = pd.DataFrame([(r + [""] * width)[:width] for r in body], columns=list(rows[hdr]))
        first = hdr + 2
    else:
        raw = path.read_bytes()
        if fmt.ext == "csv.gz":
            raw = gzip.decompress(raw)
        text = raw.decode(fmt.encoding)
        rows = list(csv.reader(io.StringIO(text), delimiter=fmt.sep))
        df = pd.DataFrame(rows[1:], columns=rows[0])
        first = 2
    return df.rename(columns=names), first


def test_every_delivery_holds_its_contract_files(sample_ws):
    for delivery in synth.DELIVERIES:
        folder = sample_ws.raw / delivery
        for source, by_delivery in dv.FORMATS.items():
            fmt = by_delivery.get(delivery)
            found = sorted(p.name for p in folder.glob(f"{source}.*"))
            assert found == ([f"{source}.{fmt.ext}"] if fmt else []), (delivery, source)
        reports = sorted((folder / "unit_reports").glob("*.xlsx"))
        expected = 126 if dv.UNIT_REPORT_FORM[delivery] == "per_unit" else 1
        # one unit sent last week's form again instead of this week's (synth.mail)
        expected -= delivery == ml.LAST_WEEK
        assert len(reports) == expected, delivery


def test_every_source_is_available_for_every_week(sample_ws):
    for week in synth.DELIVERIES:
        for source in dv.FORMATS:
            assert synth.source_for_week(source, week) is not None, (week, source)


def test_file_formats_are_what_their_names_say(sample_ws):
    first = sample_ws.raw / "2025-11-17"
    head = gzip.decompress((first / "registry_vehicles.csv.gz").read_bytes())[:40]
    assert "Mã hồ sơ".encode() in head
    (first / "registry_licences.csv").read_bytes().decode("cp1258")
    assert (sample_ws.raw / WEEK / "submissions.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_parquet(first / "population.parquet").shape[1] == 6
    # the units' own workbooks: the first delivery (later ones are mostly the issued form)
    wb = openpyxl.load_workbook(next((first / "unit_reports").glob("00008_*")))
    ws = wb.active
    assert ws["A2"].value == "CÔNG AN PHƯỜNG NGỌC HÀ"
    assert ws.merged_cells.ranges
    assert any(row[0] == "Tổng cộng" for row in ws.iter_rows(values_only=True))


def test_all_126_units_in_the_registry_and_reports(sample_ws):
    df, _ = read_text_table(
        sample_ws.raw / "2025-11-17" / "registry_vehicles.csv.gz", "registry_vehicles", "2025-11-17"
    )
    codes = resolve_units(df["unit_code"])
    assert codes.dropna().nunique() == 126
    truth = pd.read_parquet(sample_ws.truth / WEEK / "vehicle_status.parquet")
    assert truth["unit_code"].nunique() == 126


def test_unknown_unit_spellings_do_not_resolve_and_known_ones_do(sample_ws):
    faults = pd.read_parquet(sample_ws.truth / "faults.parquet")
    unknown = faults[faults["fault_kind"] == "unknown_unit"]
    assert len(unknown) > 0
    assert resolve_units(unknown["delivered_value"]).isna().all()
    df, _ = read_text_table(sample_ws.raw / WEEK / "submissions.csv", "submissions", WEEK)
    share = resolve_units(df["unit_code"]).isna().mean()
    assert 0.001 < share < 0.005  # only the injected unknown units


# fault kind -> (source, delivery file, stated share of that file's rows, relative tolerance)
RATE_TABLE = [
    ("registry_vehicles", "plate_variant", 0.30, 0.08),
    ("registry_vehicles", "id_dropped_zeros", 0.04 * 0.97, 0.10),
    ("registry_vehicles", "id_cmnd", 0.01 * 0.97, 0.15),
    ("registry_vehicles", "name_typo", 0.02 * 0.97, 0.12),
    ("registry_vehicles", "name_other_person", 0.006 * 0.97, 0.20),
    ("registry_vehicles", "name_nfd", 0.03 * 0.97, 0.12),
    ("registry_vehicles", "dob_day_month_swapped", 0.004 * 0.97, 0.25),
    ("registry_vehicles", "unknown_unit", 0.002, 0.25),
    ("registry_vehicles", "invalid_plate", 0.0015, 0.30),
    ("registry_vehicles", "duplicate_key", 0.001, 0.35),
    ("population", "name_nfd", 0.03, 0.10),
    ("population", "invalid_id", 0.0005, 0.35),
    ("submissions", "id_dropped_zeros", 0.03, 0.15),
    ("submissions", "unknown_unit", 0.002, 0.35),
]


@pytest.mark.parametrize(("source", "kind", "share", "tol"), RATE_TABLE)
def test_fault_rate_within_tolerance_of_stated_rate(sample_ws, source, kind, share, tol):
    faults = pd.read_parquet(sample_ws.truth / "faults.parquet")
    delivery = "2025-11-17" if source != "submissions" else "2025-12-21"
    fmt = dv.FORMATS[source][delivery]
    rel = f"{delivery}/{source}.{fmt.ext}"
    f = faults[faults["source_file"] == rel]
    rows = json.loads((sample_ws.truth / "summary.json").read_text())["files"][rel]
    observed = (f["fault_kind"] == kind).sum() / rows
    assert observed == pytest.approx(share, rel=tol), (kind, observed)


def test_every_fault_is_where_the_log_says(sample_ws):
    """Each logged fault's delivered value is in its file, row and column (weeks ≤ 11-23)."""
    faults = pd.read_parquet(sample_ws.truth / "faults.parquet")
    faults = faults[faults["source_file"].str[:10] <= WEEK]
    assert len(faults) > 1000
    assert not misplaced_faults(sample_ws.raw, faults)


def misplaced_faults(raw: Path, faults: pd.DataFrame) -> list[tuple]:
    """Logged faults whose delivered value is not at the file, row and column the log says."""
    cache: dict[str, tuple[pd.DataFrame, int]] = {}
    bad = []
    for rel, group in faults.groupby("source_file"):  # per file
        source = group["source"].iat[0]
        delivery = rel[:10]
        if source == "unit_reports":
            table, first = _report_table(raw / rel)
        elif source == "commitments":
            table, first = _commitments_table(raw / rel)
        else:
            table, first = cache.setdefault(rel, read_text_table(raw / rel, source, delivery))
        for row, col, value in group[["source_row", "column", "delivered_value"]].itertuples(
            index=False
        ):
            if col == "_form":  # a refused form: the cell named, checked in test_synth_mail
                continue
            cell = table[col].iat[row - first]
            if _norm(cell) != _norm(value):
                bad.append((rel, row, col, value, cell))
    return bad


def _commitments_table(path: Path) -> tuple[pd.DataFrame, int]:
    """A register of commitments (UTF-8, with or without BOM; Vietnamese or canonical headers)."""
    from synth import commitments as cm

    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    back = {v: k for k, v in cm.HEADERS_VI.items()}
    return pd.DataFrame(rows[1:], columns=[back.get(c, c) for c in rows[0]]), 2


def _report_table(path: Path) -> tuple[pd.DataFrame, int]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    if "_form" in book.sheetnames:  # the issued form: the days from FIRST_ROW, counts E..H
        from helpers.forms.layout import FIRST_ROW

        cols = ["STT", "report_date", "unit_code", "unit_name", *sr.REPORT_COUNTS]
        body = [["" if v is None else str(v) for v in r[:8]] for r in rows[FIRST_ROW - 1 :]]
        return pd.DataFrame(body, columns=cols), FIRST_ROW
    hdr = next(i for i, r in enumerate(rows) if r and r[0] == "STT")
    cols = [
        "STT",
        "report_date",
        "unit_code",
        "vehicles_collected",
        "vehicles_approved",
        "licences_collected",
        "licences_cleaned",
    ]
    body = [(["" if v is None else str(v) for v in r] + [""] * 7)[:7] for r in rows[hdr + 1 :]]
    return pd.DataFrame(body, columns=cols), hdr + 2


def _norm(v) -> str:
    import unicodedata

    text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    text = unicodedata.normalize("NFC", text)  # Windows-1258 files decode decomposed
    return text[:-2] if text.endswith(".0") else text


def test_faults_name_valid_outcomes_and_reasons(sample_ws):
    faults = pd.read_parquet(sample_ws.truth / "faults.parquet")
    assert set(faults["expected_outcome"]) <= {"repaired", "rejected", "flagged"}
    rejected = faults[faults["expected_outcome"] == "rejected"]
    assert set(rejected["expected_reason_code"]) <= set(REJECT_REASONS)
    repaired = faults[faults["expected_outcome"] == "repaired"]
    assert repaired["expected_value"].notna().all()


def test_accepted_plates_normalise_to_the_truth_key(sample_ws):
    df, _ = read_text_table(
        sample_ws.raw / "2025-11-17" / "registry_vehicles.csv.gz", "registry_vehicles", "2025-11-17"
    )
    truth = pd.read_parquet(sample_ws.truth / "registry_vehicles.parquet")
    ok = truth[~truth["rejected_at_ingest"] & (truth["first_delivery"] == "2025-11-17")]
    first = df.drop_duplicates("record_id").set_index("record_id")
    keys = first.loc[ok["record_id"], "plate"].str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    assert (keys.to_numpy() == ok["plate_key"].to_numpy()).all()
    assert keys.str.fullmatch(PLATE_KEY).all()


def test_weekly_statuses_use_the_shared_vocabulary(sample_ws):
    for week in synth.DELIVERIES:
        v = pd.read_parquet(sample_ws.truth / week / "vehicle_status.parquet")
        lc = pd.read_parquet(sample_ws.truth / week / "licence_status.parquet")
        assert set(v.loc[~v["rejected_at_ingest"], "status"]) <= set(VEHICLE_STATUSES)
        assert set(lc.loc[~lc["rejected_at_ingest"], "status"]) <= set(LICENCE_STATUSES)
        assert v["record_id"].is_unique and lc["record_id"].is_unique
        assert set(v.loc[v["rejected_at_ingest"], "reject_reason"]) <= set(REJECT_REASONS)


def test_duplicate_registry_records_have_an_older_twin(sample_ws):
    reg = pd.read_parquet(sample_ws.truth / "registry_vehicles.parquet")
    status = pd.read_parquet(sample_ws.truth / WEEK / "vehicle_status.parquet")
    dups = status.loc[status["status"] == "duplicate_registry_record", "record_id"]
    keyed = reg.set_index("record_id")
    for rid in dups:
        twins = reg[(reg["plate_key"] == keyed.at[rid, "plate_key"]) & ~reg["rejected_at_ingest"]]
        assert twins["record_id"].min() < rid


def test_submission_links_point_at_a_record_with_the_same_key(sample_ws):
    links = pd.read_parquet(sample_ws.truth / WEEK / "submission_links.parquet")
    ok = links[~links["rejected_at_ingest"]]
    linked = ok[ok["record_id"].notna()]
    # a correct link is the record the citizen meant, unless a typo sent it nowhere
    agree = (linked["record_id"] == linked["true_record_id"]).mean()
    assert agree > 0.999
    winners = linked[~linked["is_duplicate"]]
    assert winners["record_id"].is_unique


def test_sample_week_looks_like_the_city_story(sample_ws):
    summary = json.loads((sample_ws.truth / "summary.json").read_text())
    week = summary["weeks"][WEEK]
    n_veh = summary["counts"]["vehicle_records"]
    share = week["vehicle_submissions_accepted"] / n_veh
    assert 0.10 <= share <= 0.15
    lic = week["licence_status"]
    assert lic["cleaned"] / sum(lic.values()) >= 0.999
    later = summary["weeks"]["2025-12-21"]["vehicle_status"]["cleaned"]
    assert later > 3 * week["vehicle_status"]["cleaned"]


def test_sample_delivers_every_week_to_the_20_january_conference(sample_ws):
    weeks = [date.fromisoformat(d) for d in synth.DELIVERIES]
    assert weeks[-1] == date(2026, 1, 19) and sorted(sample_ws.deliveries()) == list(
        synth.DELIVERIES
    )
    assert all(6 <= (b - a).days <= 8 for a, b in zip(weeks, weeks[1:], strict=False))
    summary = json.loads((sample_ws.truth / "summary.json").read_text())
    cleaned = [summary["weeks"][d]["vehicle_status"]["cleaned"] for d in synth.DELIVERIES]
    gains = [b - a for a, b in zip(cleaned, cleaned[1:], strict=False)]
    assert all(g > 0 for g in gains)  # every week cleans more
    # the New Year week is slower than the surge before the 8 January deadline
    assert (
        gains[synth.DELIVERIES.index("2026-01-04") - 1]
        < gains[synth.DELIVERIES.index("2026-01-11") - 1]
    )


def test_the_campaign_ends_with_units_far_from_done(sample_ws):
    status = pd.read_parquet(sample_ws.truth / "2026-01-19" / "vehicle_status.parquet")
    share = (status["status"] == "cleaned").groupby(status["unit_code"]).mean()
    assert share.max() < 1.0  # nobody cleaned everything
    assert (share < 0.5).sum() >= 10  # and some units are far from done
    assert share.max() - share.min() > 0.4  # uneven units
    assert (status["status"] == "not_submitted").mean() > 0.1
    assert (status["status"] == "pending_review").sum() > 0  # a backlog at the end


def test_some_units_overstate_their_self_reports(sample_ws):
    reports = pd.read_parquet(sample_ws.truth / "unit_reports.parquet")
    week = reports[
        (reports["report_date"] >= pd.Timestamp("2025-11-18"))
        & (reports["report_date"] <= pd.Timestamp(WEEK))
    ]
    per_unit = week.groupby("unit_code")[["vehicles_collected", "system_vehicles_collected"]].sum()
    ratio = per_unit["vehicles_collected"] / per_unit["system_vehicles_collected"].clip(lower=1)
    assert (ratio > 1.10).sum() >= 5
    assert (ratio.between(0.9, 1.1)).sum() >= 80


# ------------------------------------------------------------------ reduced city, seeds
@pytest.fixture(scope="module")
def small_city(tmp_path_factory):
    root = tmp_path_factory.mktemp("small_city")
    summaries = []
    for run in ("a", "b"):
        summaries.append(
            synth.generate(
                root / run / "raw",
                scenario="city",
                seed=7,
                truth_dir=root / run / "truth",
                scale=SMALL_CITY,
            )
        )
    return root, summaries


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "summary.json"
    }


def test_same_seed_gives_byte_identical_files(small_city):
    root, _ = small_city
    a, b = _digests(root / "a" / "raw"), _digests(root / "b" / "raw")
    assert a and a == b
    assert _digests(root / "a" / "truth") == _digests(root / "b" / "truth")


def test_other_seed_gives_other_files(tmp_path):
    synth.generate(
        tmp_path / "raw", scenario="city", seed=8, truth_dir=tmp_path / "t", scale=0.0005
    )
    synth.generate(
        tmp_path / "raw2", scenario="city", seed=9, truth_dir=tmp_path / "t2", scale=0.0005
    )
    rel = "2025-11-17/population.parquet"
    assert (tmp_path / "raw" / rel).read_bytes() != (tmp_path / "raw2" / rel).read_bytes()


def test_full_city_targets_are_the_published_figures():
    targets = synth.calibration_targets(synth.scenario("city", 1.0))
    assert targets["vehicle_submissions_by_2025-11-23"] == 917_509
    assert targets["vehicle_submissions_2025-11-11..17"] > 175_000
    assert targets["licences_assigned"] == 130_359
    assert targets["licences_cleaned_by_2025-11-23"] == 130_266


def test_reduced_city_hits_its_scaled_targets_exactly(small_city):
    _, summaries = small_city
    assert_targets_hit(summaries[0])


def assert_targets_hit(s: dict) -> None:
    t = s["calibration_targets"]
    week = s["weeks"][WEEK]
    assert week["vehicle_submissions_accepted"] == t["vehicle_submissions_by_2025-11-23"]
    lic = week["licence_status"]
    assert sum(lic.values()) == t["licences_assigned"]
    assert lic["cleaned"] == t["licences_cleaned_by_2025-11-23"]


def test_sample_hits_its_licence_target_exactly(sample_ws):
    summary = json.loads((sample_ws.truth / "summary.json").read_text())
    lic = summary["weeks"][WEEK]["licence_status"]
    target = summary["calibration_targets"]
    assert sum(lic.values()) == target["licences_assigned"] == 15_000
    assert lic["cleaned"] == target["licences_cleaned_by_2025-11-23"] < 15_000
    assert (
        summary["weeks"][WEEK]["vehicle_submissions_accepted"]
        == target["vehicle_submissions_by_2025-11-23"]
    )


def test_reduced_city_window_count_matches_the_schedule(small_city):
    root, summaries = small_city
    links = pd.read_parquet(root / "a" / "truth" / WEEK / "submission_links.parquet")
    raw = pd.read_csv(
        root / "a" / "raw" / WEEK / "submissions.csv",
        sep=";",
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
    )
    raw.columns = [c.strip().lower() for c in raw.columns]
    ok = links[(links["kind"] == "vehicle") & ~links["rejected_at_ingest"]]
    raw = raw.drop_duplicates("submission_id")  # the exported-twice rows
    day = raw.set_index("submission_id").loc[ok["submission_id"], "submitted_at"].str[:10]
    in_window = day.between("2025-11-11", "2025-11-17").sum()
    assert in_window == summaries[0]["calibration_targets"]["vehicle_submissions_2025-11-11..17"]


# ------------------------------------------------------------------ a city in slices
SLICED_CITY = 0.003  # 25,500 vehicle records in 3 slices


@pytest.fixture(scope="module")
def sliced_city(tmp_path_factory):
    """A reduced city made the way Hanoi is made (slices in worker processes), twice."""
    root = tmp_path_factory.mktemp("sliced_city")
    summaries = [
        synth.generate(
            root / run / "raw",
            scenario="city",
            seed=11,
            scale=SLICED_CITY,
            truth_dir=root / run / "truth",
            slices=3,
            workers=workers,
        )
        for run, workers in (("a", 2), ("b", 1))
    ]
    return root, summaries


def test_sliced_city_hits_its_scaled_targets_exactly(sliced_city):
    _, summaries = sliced_city
    assert summaries[0]["slices"] == 3
    assert summaries[0]["counts"]["vehicle_records"] == int(round(8_500_000 * SLICED_CITY))
    assert_targets_hit(summaries[0])


def test_worker_count_does_not_change_a_byte(sliced_city):
    root, _ = sliced_city
    a, b = _digests(root / "a" / "raw"), _digests(root / "b" / "raw")
    # ten deliveries (126 unit workbooks in seven of them, 125 in one: synth.mail), six
    # registers of commitments, each folder's SYNTHETIC-DATA.txt, the collection's log and
    # its older repeats (two a mailed delivery)
    assert len(a) == 924 - 1 + 1 + 2 * len(ml.mailed_deliveries()) and a == b
    assert _digests(root / "a" / "truth") == _digests(root / "b" / "truth")
    assert not (root / "a" / "truth" / ".slices").exists()  # the scratch folder is gone


def test_merged_files_hold_every_slice_row_under_one_header(sliced_city):
    root, summaries = sliced_city
    files = summaries[0]["files"]
    for rel in (
        "2025-11-17/registry_vehicles.csv.gz",
        "2025-11-17/submissions.csv",
        "2025-11-23/submissions.csv",
        "2025-12-14/population.csv.gz",
        "2025-12-07/registry_vehicles.parquet",
        "2025-11-17/registry_licences.csv",
    ):
        source = rel[11:].split(".")[0]
        table, _ = read_text_table(root / "a" / "raw" / rel, source, rel[:10])
        assert len(table) == files[rel], rel
        header = set(dv.header_names(source, dv.FORMATS[source][rel[:10]]).values())
        assert not table.isin(header).all(axis=1).any(), rel  # no header line inside
        assert not table.iloc[:, 0].str.startswith("\ufeff").any(), rel


def test_sliced_city_faults_are_where_the_log_says(sliced_city):
    root, _ = sliced_city
    faults = pd.read_parquet(root / "a" / "truth" / "faults.parquet")
    assert faults["source_file"].is_monotonic_increasing
    late = faults[faults["source_file"].str[:10] == "2025-12-14"]  # population: all slices
    assert late["source_row"].max() > 20_000
    assert not misplaced_faults(root / "a" / "raw", faults)


def test_slices_share_no_key(sliced_city):
    root, _ = sliced_city
    truth = root / "a" / "truth"
    people = pd.read_parquet(truth / "people.parquet")
    assert people["citizen_id"].is_unique
    reg = pd.read_parquet(truth / "registry_vehicles.parquet")
    assert reg["record_id"].is_unique
    real = reg[~reg["is_duplicate_record"]]
    assert real["plate_key"].is_unique and real["chassis_key"].is_unique
    lic = pd.read_parquet(truth / "registry_licences.parquet")
    assert lic["record_id"].is_unique
    assert (
        lic.loc[lic["designed_category"] != "duplicate_registry_record", "licence_no"]
        .dropna()
        .is_unique
    )
    links = pd.read_parquet(truth / "2025-12-21" / "submission_links.parquet")
    assert links["submission_id"].is_unique
    # every slice contributed records of its own numbering block
    blocks = reg["record_id"].str[2:].astype(int) // (10**8 // 3)
    assert sorted(blocks.unique()) == [0, 1, 2]


@pytest.mark.slow
def test_reconcile_agrees_with_the_truth_of_a_sliced_city(sliced_city):
    """Ingest and reconcile the merged deliveries: every status and link as the truth says."""
    from helpers import ingest, reconcile
    from helpers.paths import Workspace
    from measure import evaluate

    root, _ = sliced_city
    ws = Workspace(
        raw=root / "a" / "raw",
        processed=root / "a" / "processed",
        output=root / "a" / "output",
        truth=root / "a" / "truth",
    )
    ingest.ingest_week(ws, "2025-12-21")
    reconcile.reconcile_week(ws, "2025-12-21")
    scores = evaluate.score_week(ws, "2025-12-21")
    assert scores.confusion.empty, scores.confusion
    assert (scores.links["precision"].fillna(1) == 1).all()
    assert (scores.links["recall"].fillna(1) == 1).all()


# ------------------------------------------------------------------ small pieces
@pytest.mark.parametrize(
    "text",
    ["Nguyễn Văn Hùng", "Đặng Thị Thủy", "Phường Ngọc Hà", "Lê Quỳnh Hương", "Trịnh Hữu Lộc"],
)
def test_cp1258_text_round_trips_to_the_same_nfc(text):
    import unicodedata

    encoded = sf.to_cp1258_text(text).encode("cp1258")
    assert unicodedata.normalize("NFC", encoded.decode("cp1258")) == text


def test_workbook_writer_is_deterministic_and_readable(tmp_path):
    sheet = Sheet(
        "s",
        top=[["BÁO CÁO"]],
        header=["a", "b"],
        data=pd.DataFrame({"a": ["x", "1090012345"], "b": [45983, None]}),
        kinds={"a": "mixed", "b": "date"},
        merges=["A1:B1"],
    )
    write_workbook(tmp_path / "1.xlsx", [sheet])
    write_workbook(tmp_path / "2.xlsx", [sheet])
    assert (tmp_path / "1.xlsx").read_bytes() == (tmp_path / "2.xlsx").read_bytes()
    rows = list(openpyxl.load_workbook(tmp_path / "1.xlsx").active.iter_rows(values_only=True))
    assert rows[2][0] == "x" and rows[3][0] == 1090012345
    assert rows[2][1].date().isoformat() == "2025-11-22"


def test_if_empty_leaves_existing_deliveries_alone(tmp_path, capsys):
    from synth.__main__ import main

    (tmp_path / "2025-11-17").mkdir()
    assert main(["--out", str(tmp_path), "--if-empty"]) == 0
    assert "nothing generated" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["2025-11-17"]


def test_truth_folder_must_be_outside_the_raw_folder(tmp_path):
    with pytest.raises(ValueError, match="outside"):
        synth.generate(tmp_path / "raw", truth_dir=tmp_path / "raw" / "truth")


@pytest.mark.parametrize(
    "argv",
    [
        ["--slices", "3"],
        ["--scale", "0.5"],
        ["--scenario", "city", "--slices", "0"],
        ["--scenario", "city", "--workers", "0"],
    ],
)
def test_cli_refuses_slices_where_they_mean_nothing(tmp_path, argv, capsys):
    from synth.__main__ import main

    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path / "raw"), *argv])
    assert "--" in capsys.readouterr().err
    assert not (tmp_path / "raw").exists()


def test_cli_generates_a_city_in_the_slices_asked_for(tmp_path, capsys):
    from synth.__main__ import main

    assert (
        main(
            [
                "--scenario",
                "city",
                "--scale",
                "0.0005",
                "--slices",
                "2",
                "--workers",
                "1",
                "--out",
                str(tmp_path / "raw"),
                "--truth-dir",
                str(tmp_path / "truth"),
            ]
        )
        == 0
    )
    assert "(2 slice(s))" in capsys.readouterr().out
    summary = json.loads((tmp_path / "truth" / "summary.json").read_text())
    assert summary["slices"] == 2 and summary["counts"]["vehicle_records"] == 4_250


def test_without_the_synth_extra_the_generator_says_what_to_install(tmp_path):
    # a runtime-only install: `import isal` fails as it would without the package
    (tmp_path / "isal.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'isal'\", name='isal')\n", "utf-8"
    )
    src = Path(synth.__file__).parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "synth", "--help"],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{src}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "synth" in last and "make sample-data" in last, done.stderr
