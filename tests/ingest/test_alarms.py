"""A file rejected whole, a source fallen by half (helpers.ingest.alarms)."""

from __future__ import annotations

import pytest

from helpers import DeliveryError, ingest
from helpers.paths import Workspace
from tests.ingest_builders import (
    WEEK,
    full_delivery,
    rows_of,
    write_csv,
)

# ---------------------------------------------------------------- a file rejected whole


def _orgs_all_unknown_unit(ws: Workspace, n: int = 25) -> None:
    rows = rows_of("organizations", *({"unit_code": "Phường Không Có"} for _ in range(n)))
    write_csv(ws.raw / WEEK / "organizations.csv", rows)


def test_a_file_with_every_row_rejected_stops_the_ingest_naming_it_and_the_reason(tmp_ws):
    full_delivery(tmp_ws, WEEK, skip=("organizations",))
    _orgs_all_unknown_unit(tmp_ws)
    with pytest.raises(DeliveryError) as err:
        ingest.ingest_week(tmp_ws, WEEK)
    message = str(err.value)
    assert "\n" not in message
    assert "2025-11-23/organizations.csv: 25 of its 25 data rows rejected" in message
    assert "commonest reason: unknown_unit" in message and "ACCEPT=1" in message
    assert not tmp_ws.processed_week(WEEK).exists()  # nothing replaced


def test_accepted_the_whole_file_rejection_heads_the_warnings_said_as_accepted(tmp_ws):
    full_delivery(tmp_ws, WEEK, skip=("organizations",))
    _orgs_all_unknown_unit(tmp_ws)
    ledger = ingest.ingest_week(tmp_ws, WEEK, accept=True)
    first = ledger["warnings"][0]
    assert first["code"] == "file_rejected" and first["accepted"]
    assert first["params"]["reason_code"] == "unknown_unit"
    assert first["message_en"].startswith("ACCEPTED BY THE DUTY OFFICER (ACCEPT=1)")
    assert "25 of its 25 data rows rejected" in first["message_en"]
    assert "25 trên 25 dòng dữ liệu bị loại" in first["message_vi"]
    files = {e["file"]: e for e in ledger["files"]}
    assert files["2025-11-23/organizations.csv"]["reject_reasons"] == {"unknown_unit": 25}


def test_a_few_rows_all_rejected_are_ordinary_rejects(tmp_ws):
    full_delivery(tmp_ws, WEEK, skip=("organizations",))
    _orgs_all_unknown_unit(tmp_ws, n=5)  # under intake.rejected_min_rows
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    assert not [w for w in ledger["warnings"] if w["code"] == "file_rejected"]


def test_a_source_whose_accepted_rows_fell_by_half_since_last_week_stops_the_ingest(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16", skip=("submissions",))
    write_csv(
        tmp_ws.raw / "2025-11-16" / "submissions.csv",
        rows_of("submissions", *({} for _ in range(240))),
    )
    ingest.ingest_week(tmp_ws, "2025-11-16")
    write_csv(
        tmp_ws.raw / WEEK / "submissions.csv", rows_of("submissions", *({} for _ in range(100)))
    )
    with pytest.raises(DeliveryError) as err:
        ingest.ingest_week(tmp_ws, WEEK)
    message = str(err.value)
    assert (
        "submissions: 100 rows accepted, down from 240 in the ingest of week 2025-11-16" in message
    )
    assert "none rejected: the delivery holds fewer rows" in message
    ledger = ingest.ingest_week(tmp_ws, WEEK, accept=True)
    assert ledger["warnings"][0]["code"] == "source_fell"
    # the fall is judged against the newest week ingested before, not against itself
    write_csv(
        tmp_ws.raw / WEEK / "submissions.csv", rows_of("submissions", *({} for _ in range(130)))
    )
    assert not any(w["code"] == "source_fell" for w in ingest.ingest_week(tmp_ws, WEEK)["warnings"])
