"""A source not parsed again: when its raw files are byte-identical to those an earlier ingest
read (the registries and the population extract are re-delivered rarely, and each week reads
them from the newest folder that holds them), that ingest's table, ledger lines and rejects
are taken as they are.

The reuse key (:func:`source_key`) holds everything one source's ingest depends on: the
source, its delivery folder (dates are checked against the delivery's last day), each file's
name as the ledger and the rejects write it and its SHA-256, the code version
(helpers.incremental.code_version: package, libraries, helpers source and catalogues) and
config/aliases.yaml (how headers are read). Nothing else enters one source's ingest: the
checks across files (duplicate keys and rows across the files of a delivery, a file that
repeats another) are within one source, and the week-level work (delivery warnings, source
ages, the ledger's totals) is redone every run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import paths, schemas
from helpers.incremental import Hashes, digest, link_or_copy, processed_weeks
from helpers.ingest.sources import SourceFiles, relative
from helpers.paths import Workspace


@dataclass(frozen=True)
class Earlier:
    """An earlier ingest of a source whose key matches: the week folder that holds it and the
    week that parsed it (the same unless that one had reused it too)."""

    folder: str
    parsed_in: str
    ledger: dict


def source_key(ws: Workspace, where: SourceFiles, hashes: Hashes, code: Mapping[str, str]) -> str:
    """What one source's ingest depends on, as one hash (module docstring)."""
    return digest(
        {
            "source": where.source,
            "delivery": where.delivery,
            "files": [[relative(ws, p), hashes.of(p)] for p in where.files],
            "code": dict(code),
            "aliases": hashes.of(paths.ALIASES_FILE),
        }
    )


def _ledger(ws: Workspace, week: str) -> dict | None:
    path = ws.processed_week(week) / "ledger.json"
    try:
        return json.loads(path.read_text("utf-8")) if path.is_file() else None
    except ValueError:
        return None


def find_earlier(ws: Workspace, keys: Mapping[str, str], week: str) -> dict[str, Earlier]:
    """Per source whose key an ingest already in the processed folder has (the week's own
    earlier run first, then the newest weeks), where to take it from."""
    found: dict[str, Earlier] = {}
    others = [w for w in reversed(processed_weeks(ws)) if w != week]
    for folder in [week, *others]:
        ledger = _ledger(ws, folder)
        if not ledger:
            continue
        for source, key in keys.items():
            done = ledger.get("sources", {}).get(source, {})
            table = ws.processed_week(folder) / f"{source}.parquet"
            if source in found or done.get("reuse_key") != key or not table.is_file():
                continue
            if not (ws.processed_week(folder) / "rejects.parquet").is_file():
                continue
            found[source] = Earlier(folder, done.get("parsed_in") or folder, ledger)
        if len(found) == len(keys):
            break
    return found


def reuse_source(
    ws: Workspace, source: str, earlier: Earlier, staging: Path
) -> tuple[list[dict], pd.DataFrame, dict]:
    """The earlier ingest's table (hard-linked), ledger lines and rejects of ``source``; the
    same triple as :func:`helpers.ingest.week.ingest_source`."""
    folder = ws.processed_week(earlier.folder)
    link_or_copy(folder / f"{source}.parquet", staging / f"{source}.parquet")
    schemas.check_file(source, staging / f"{source}.parquet")
    files = [
        e | {"reused_from": earlier.parsed_in}
        for e in earlier.ledger.get("files", [])
        if e["source"] == source
    ]
    rejects = pd.read_parquet(folder / "rejects.parquet", filters=[("source", "==", source)])
    done = earlier.ledger["sources"][source]
    totals = {
        "delivery": done["delivery"],
        "files": len(files),
        "rows_read": sum(e["rows_read"] for e in files),
        "rows_accepted": sum(e["rows_accepted"] for e in files),
        "rows_rejected": sum(e["rows_rejected"] for e in files),
        "rows_skipped": sum(sum(e["rows_skipped"].values()) for e in files),
    }
    return files, rejects, totals
