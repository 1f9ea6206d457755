"""End to end: ingest of the generated sample week against the synthetic truth (slow)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers import ingest
from helpers.paths import Workspace

# ---------------------------------------------------------------- the generated sample (slow)

ID_KINDS = {"cccd", "cmnd", "tax_code", "invalid", "missing"}


# the output column a repaired fault's expected value is read from
REPAIRED_IN = {"plate": "plate_key"}


def _sample(ingested: Workspace, week: str):
    folder = ingested.processed_week(week)
    ledger = json.loads((folder / "ledger.json").read_text("utf-8"))
    faults = pd.read_parquet(ingested.truth / "faults.parquet")
    faults = faults[faults["source_file"].isin({e["file"] for e in ledger["files"]})]
    rejects = pd.read_parquet(folder / "rejects.parquet")
    return folder, ledger, faults, rejects


@pytest.mark.slow
def test_ledger_balances_on_the_sample(ingested, sample_week):
    folder, ledger, _, rejects = _sample(ingested, sample_week)
    assert ledger["balanced"] and all(e["balanced"] for e in ledger["files"])
    for source in ingest.SOURCE_NAMES:
        entries = [e for e in ledger["files"] if e["source"] == source]
        table = pd.read_parquet(folder / f"{source}.parquet", columns=["source_row"])
        assert len(table) == sum(e["rows_accepted"] for e in entries), source
        rejected = rejects[rejects["source"] == source][["source_file", "source_row"]]
        assert len(rejected.drop_duplicates()) == sum(e["rows_rejected"] for e in entries)
    unit_files = [e for e in ledger["files"] if e["source"] == "unit_reports"]
    # most units returned the issued form (no totals row); the others' workbooks end in one
    own = [e for e in unit_files if not e.get("form")]
    assert len(unit_files) == 126 and own and all(e["rows_skipped"]["totals"] == 1 for e in own)
    assert not any("draft_unit_code" in e["notes"] for e in ledger["files"])  # official codes


def _keys(frame: pd.DataFrame, *columns: str) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[list(columns)])


@pytest.mark.slow
def test_every_rejected_fault_is_rejected_with_its_reason(ingested, sample_week):
    _, _, faults, rejects = _sample(ingested, sample_week)
    expected = faults[faults["expected_outcome"] == "rejected"].rename(
        columns={"expected_reason_code": "reason_code"}
    )
    found = _keys(expected, "source_file", "source_row", "reason_code").isin(
        _keys(rejects, "source_file", "source_row", "reason_code")
    )
    assert len(expected) > 500
    missed = expected.loc[~found, ["source_file", "source_row", "fault_kind"]]
    assert missed.to_dict("records") == []


@pytest.mark.slow
def test_no_row_is_rejected_without_an_injected_fault(ingested, sample_week):
    _, _, faults, rejects = _sample(ingested, sample_week)
    faulty = _keys(rejects, "source_file", "source_row").isin(
        _keys(faults, "source_file", "source_row")
    )
    stray = rejects.loc[~faulty, ["source_file", "source_row", "column", "reason_code"]]
    assert stray.to_dict("records") == []


def _as_text(values: pd.Series) -> pd.Series:
    """Output values as the truth writes them: ISO dates, plain text, '' for missing."""
    if isinstance(values.dtype, pd.ArrowDtype) or pd.api.types.is_datetime64_any_dtype(values):
        values = pd.Series(pd.to_datetime(values).dt.strftime("%Y-%m-%d"), index=values.index)
    return values.astype("str").fillna("")


@pytest.mark.slow
def test_every_repaired_or_flagged_fault_is_accepted_as_the_truth_says(ingested, sample_week):
    folder, _, faults, _ = _sample(ingested, sample_week)
    kept = faults[faults["expected_outcome"] != "rejected"]
    wrong = []
    for (source, column), group in kept.groupby(["source", "column"]):
        table = pd.read_parquet(folder / f"{source}.parquet")
        merged = group.merge(
            table,
            on=["source_file", "source_row"],
            how="left",
            indicator=True,
            suffixes=("_fault", ""),
        )
        lost = merged[merged["_merge"] != "both"]
        wrong += [(source, k, "not accepted") for k in lost["fault_kind"]]
        check = merged[(merged["_merge"] == "both") & merged["expected_value"].notna()]
        if check.empty:
            continue  # flagged only: the row is kept for reconcile to judge
        got = _as_text(check[REPAIRED_IN.get(column, column)])
        if column.endswith("_id"):  # an expected ID kind is read from <column>_kind
            kind = check["expected_value"].isin(ID_KINDS)
            got = got.where(~kind, _as_text(check[f"{column}_kind"]))
        bad = check[got.to_numpy() != check["expected_value"].astype("str").to_numpy()]
        wrong += [(source, k, "wrong value") for k in bad["fault_kind"]]
    assert len(kept) > 10_000
    assert wrong[:20] == []


def _parsed(ledger: dict) -> dict:
    """A ledger as if every source had been parsed: a later run of the session's week (the
    runner's) may have reused them from the week's earlier ingest (helpers.ingest.reuse)."""
    return ledger | {
        "files": [{k: v for k, v in e.items() if k != "reused_from"} for e in ledger["files"]],
        "sources": {s: d | {"reused_from": None} for s, d in ledger["sources"].items()},
    }


@pytest.mark.slow
def test_sources_ingested_in_worker_processes_give_the_same_tables(
    ingested, sample_week, tmp_path, monkeypatch
):
    """The city's two-process ingest writes what the one-process ingest writes."""
    import pyarrow.parquet as pq

    from helpers.paths import Workspace

    monkeypatch.setattr(ingest.week, "PARALLEL_BYTES", 0)  # the sample is small: force the workers
    ws = Workspace(
        raw=ingested.raw,
        processed=tmp_path / "processed",
        output=tmp_path / "output",
        truth=ingested.truth,
    )
    ledger = ingest.ingest_week(ws, sample_week, workers=2)
    serial = json.loads((ingested.processed_week(sample_week) / "ledger.json").read_text())
    assert _parsed(ledger) == _parsed(serial)
    written = sorted(p.name for p in ws.processed_week(sample_week).glob("*.parquet"))
    absent = [s for s in ingest.OPTIONAL_SOURCES if s not in ledger["sources"]]  # written empty
    assert written == sorted(f"{name}.parquet" for name in [*ledger["sources"], *absent, "rejects"])
    for name in written:  # later stages add their tables to the session's folder: not these
        assert pq.read_table(ws.processed_week(sample_week) / name).equals(
            pq.read_table(ingested.processed_week(sample_week) / name)
        ), name
