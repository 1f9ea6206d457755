"""Unchanged sources reused, not parsed again (helpers.ingest.reuse)."""

from __future__ import annotations

from helpers import ingest
from tests.ingest_builders import (
    WEEK,
    full_delivery,
    rows_of,
    write_csv,
)

# ---------------------------------------------------------------- reuse of unchanged sources


def test_a_source_an_earlier_week_read_byte_for_byte_is_reused_not_parsed(tmp_ws):
    full_delivery(tmp_ws, "2025-11-09")
    first = ingest.ingest_week(tmp_ws, "2025-11-09")
    write_csv(tmp_ws.raw / WEEK / "organizations.csv", rows_of("organizations"))
    (tmp_ws.raw / WEEK / "organizations.csv").write_bytes(
        (tmp_ws.raw / WEEK / "organizations.csv").read_bytes() + b"\n"
    )  # a new delivery of one source; the others are read from 2025-11-09 again
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    reused = {s: d["reused_from"] for s, d in ledger["sources"].items()}
    assert reused.pop("organizations") is None
    assert set(reused.values()) == {"2025-11-09"}
    files = {e["source"]: e for e in ledger["files"]}
    assert files["submissions"]["reused_from"] == "2025-11-09"
    assert files["submissions"]["rows_read"] == first["sources"]["submissions"]["rows_read"]
    for source in reused:
        earlier = tmp_ws.processed_week("2025-11-09") / f"{source}.parquet"
        now = tmp_ws.processed_week(WEEK) / f"{source}.parquet"
        assert now.read_bytes() == earlier.read_bytes()
    assert ledger["balanced"]
    text = ingest.source_table(ledger, "en").set_index("Source")["Read"]
    assert text["submissions"].startswith("reused from the ingest of 09/11/2025")
    assert (
        ingest.ingest_week(tmp_ws, WEEK, reuse=False)["sources"]["submissions"]["reused_from"]
        is None
    )


def test_a_delivery_made_of_symbolic_links_is_named_and_reused_like_real_files(tmp_path):
    # an analyst may link big files into a delivery folder instead of copying them: the ledger
    # names them inside the raw folder (and the reuse key, built on those names, matches the
    # same bytes delivered as real files), never by the linked file's own place
    from helpers.ingest.sources import relative_to_raw

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "registry_vehicles.parquet").write_bytes(b"x")
    raw = tmp_path / "raw"
    (raw / "2025-12-07").mkdir(parents=True)
    link = raw / "2025-12-07" / "registry_vehicles.parquet"
    link.symlink_to(elsewhere / "registry_vehicles.parquet")
    assert relative_to_raw(raw, link) == "2025-12-07/registry_vehicles.parquet"
    # a raw folder reached through a link of its own is still the raw folder
    (tmp_path / "raw-link").symlink_to(raw)
    assert relative_to_raw(tmp_path / "raw-link", link) == "2025-12-07/registry_vehicles.parquet"
