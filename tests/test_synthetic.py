"""Generated data says so: the generator's marker, the ledger's record, the week's verdict."""

from __future__ import annotations

import json

from helpers import ingest, synthetic
from helpers.synth import DELIVERIES
from tests.ingest_builders import WEEK, full_delivery


def test_the_generator_marks_every_delivery_folder_it_writes(sample_ws):
    assert all(synthetic.is_marked(sample_ws.delivery(d)) for d in DELIVERIES)


def test_the_ledger_records_the_generated_folders_and_later_stages_read_it(ingested, sample_week):
    ledger = json.loads((ingested.processed_week(sample_week) / "ledger.json").read_text("utf-8"))
    assert ledger["synthetic_deliveries"] == [d for d in DELIVERIES if d <= sample_week]
    assert synthetic.week_is_synthetic(ingested, sample_week)


def test_a_real_delivery_is_not_synthetic(tmp_ws):
    full_delivery(tmp_ws)
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    assert ledger["synthetic_deliveries"] == []
    assert not synthetic.week_is_synthetic(tmp_ws, WEEK)


def test_one_generated_folder_among_real_ones_makes_the_week_synthetic(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16")
    full_delivery(tmp_ws, WEEK)
    synthetic.write_marker(tmp_ws.delivery("2025-11-16"))
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    assert ledger["synthetic_deliveries"] == ["2025-11-16"]
    assert synthetic.week_is_synthetic(tmp_ws, WEEK)


def test_the_marker_is_no_unread_file_warning(tmp_ws):
    synthetic.write_marker(full_delivery(tmp_ws))
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    assert not [w for w in ledger["warnings"] if w["code"] == "unread_file"]


def test_a_week_not_ingested_is_not_known_to_be_synthetic(tmp_ws):
    assert not synthetic.week_is_synthetic(tmp_ws, WEEK)
