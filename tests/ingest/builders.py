"""Helpers shared by the ingest tests: read or check one file, the reasons of its rejects
(tests/ingest_builders.py builds the deliveries)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from helpers import ingest
from helpers.paths import Workspace
from tests.ingest_builders import (
    WEEK,
)


def read_one(ws: Workspace, source: str, path: Path, delivery: str = WEEK) -> ingest.RawFile:
    parts = ingest.read_file(ws, source, path, delivery)
    assert len(parts) == 1
    return parts[0]


def check(ws: Workspace, source: str, path: Path, delivery: str = WEEK):
    """Read and validate one file: (raw file, validated result, ledger entry)."""
    raw = read_one(ws, source, path, delivery)
    result = ingest.validate(source, ingest.combine([raw]), delivery)
    entry = ingest.ledger_entry(raw, result)
    # accepted rows as a DataFrame, for readable assertions
    readable = SimpleNamespace(accepted=result.accepted.to_pandas(), rejects=result.rejects)
    return raw, readable, entry


def reasons(result: ingest.Validated) -> list[tuple[int, str, str]]:
    return list(
        result.rejects[["source_row", "column", "reason_code"]].itertuples(index=False, name=None)
    )
