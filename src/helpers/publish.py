"""Publishing a run's files into the week's folder, one file at a time, and its manifest.

A run replaces the files it made and keeps every other file of the week: a build in English
after the Vietnamese one keeps the Vietnamese briefing, city pack and unit packs as they were,
and ``manifest.json`` says which run (and which of its steps) made each file. A file an
earlier run made with a step this run covered, and that this run no longer makes, is removed
(a unit that left the plan loses its pack); a file no run recorded (the send log
``distribution.json``) is never touched.

Each file is moved in with one atomic rename, the manifest last: a reader never sees half a
file; a run killed while publishing leaves some files of the new run beside the old manifest,
and the next run (its steps not recorded as published) makes them again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from helpers.incremental import package_versions, sha256

MANIFEST = "manifest.json"
SEND_LOG = "distribution.json"  # written by `make send-packs` after a build, not by it


@dataclass
class RunRecord:
    week: str
    langs: list[str]
    parameters: dict
    started_at: str = ""
    finished_at: str = ""
    steps: list[dict] = field(default_factory=list)
    run_id: str = ""
    partial: bool = False
    made: dict[str, list[str]] = field(default_factory=dict)  # file -> steps that wrote it
    carried: dict[str, dict] = field(default_factory=dict)  # file -> the earlier run that made it
    covered: set[str] = field(default_factory=set)  # the steps (stems) this run ran or reused


def share_readable(folder: Path) -> None:
    """Temporary files and folders are created private (0600/0700); the pack is for sharing."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _run_entry(record: RunRecord) -> dict:
    return {
        "run": record.run_id,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "partial": record.partial,
        "langs": record.langs,
        "steps": record.steps,
        "parameters": record.parameters,
        "packages": package_versions(),
    }


def read_manifest(folder: Path) -> dict:
    """The week's manifest; empty when there is none or it cannot be read."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text("utf-8")))
    except ValueError:
        return {}


def superseded(earlier: dict, record: RunRecord, made: set[str]) -> list[str]:
    """Files of the week an earlier run made with steps this run covered (all of them), that
    this run did not make again: what was made of the same inputs, and is made no more."""
    out = []
    for item in earlier.get("files", []):
        steps = set(item.get("steps") or [])
        if item["path"] not in made and steps and steps <= record.covered:
            out.append(item["path"])
    return sorted(out)


def write_manifest(
    out_dir: Path,
    record: RunRecord,
    *,
    files_dir: Path | None = None,
    dropped: frozenset[str] | set[str] = frozenset(),
) -> Path:
    """Write ``manifest.json`` into ``files_dir`` (default ``out_dir``): the run, and per file
    its hash and the run and steps that made it.

    ``files_dir`` (the run's staging folder) holds this run's files before they move into
    ``out_dir``; files of ``out_dir`` this run did not make, and not ``dropped``, keep their
    earlier entries (and the runs that made them stay listed under ``runs``).
    """
    files_dir = files_dir or out_dir
    entry = _run_entry(record)
    runs = {record.run_id: entry}
    files = {}
    earlier = read_manifest(out_dir)
    earlier_runs = {r.get("run", ""): r for r in earlier.get("runs", [])}
    for item in earlier.get("files", []):
        if item["path"] not in dropped and (out_dir / item["path"]).is_file():
            files[item["path"]] = item
            if item.get("run") in earlier_runs:
                runs.setdefault(item["run"], earlier_runs[item["run"]])
    for path in sorted(p for p in files_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(files_dir).as_posix()
        if rel == MANIFEST:
            continue
        made_by = record.carried.get(rel, {})  # a skipped step's file: the run that made it
        files[rel] = {
            "path": rel,
            "bytes": path.stat().st_size,
            "sha256": sha256(path),
            "run": made_by.get("run", record.run_id),
            "started_at": made_by.get("started_at", record.started_at),
            "steps": record.made.get(rel, []),
        }
    manifest = {
        "week": record.week,
        "run": record.run_id,
        "partial": record.partial,
        "langs": record.langs,
        "parameters": record.parameters,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "steps": record.steps,
        "packages": entry["packages"],
        "runs": sorted(runs.values(), key=lambda r: r.get("started_at", "")),
        "files": [files[k] for k in sorted(files)],
    }
    written = files_dir / MANIFEST
    written.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    return written


def publish(staging: Path, final: Path, record: RunRecord) -> dict[str, list[str]]:
    """Move the run's files from ``staging`` into the week's folder ``final`` (one atomic
    rename each, the manifest last), remove the files it superseded, keep every other file.

    Returns what was kept of earlier runs: per earlier run, the files of it still published
    (for the console: "kept from earlier runs")."""
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != MANIFEST)
    made = {p.relative_to(staging).as_posix() for p in files}
    earlier = read_manifest(final)
    dropped = set(superseded(earlier, record, made))
    manifest = write_manifest(final, record, files_dir=staging, dropped=dropped)
    share_readable(staging)
    final.mkdir(parents=True, exist_ok=True)
    for path in files:
        target = final / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    for rel in dropped:
        (final / rel).unlink(missing_ok=True)
    os.replace(manifest, final / MANIFEST)
    kept: dict[str, list[str]] = {}
    for item in earlier.get("files", []):
        if item["path"] not in made and item["path"] not in dropped:
            if (final / item["path"]).is_file():
                kept.setdefault(item.get("run", "?"), []).append(item["path"])
    return kept
