"""Unit packs kept when a week is built again: a unit whose inputs did not change keeps the pack
the week's folder already holds, instead of having it written and encrypted anew.

    record = PackRecord.load(ws, week)
    keys = unit_keys(tasks, paths)                     # one key per unit
    kept = record.reusable(published, tasks, keys)     # {unit_code: row of the earlier build}
    ...                                                # the other units built
    record.save(ws, week, keys, rows, out_dir)

A unit's key is a hash of everything its pack is made of: the code and library versions
(:func:`helpers.incremental.code_version`: any edited module, template or wording changes every
key), its task (its figures, the city's, its history, commitments, every unit's standing for
its map, the plan, the template, the language and the pack's options) and its staged rows
(records, unmatched submissions, daily figures). Its password is not in the key and never
stored: a pack is kept only when it opens with the unit's current password (checked like
Excel does, with the pack's own verifier), so a rotated password always gives a new pack.

A pack is kept only when the week's published folder holds it with the very bytes recorded
when it was built (xxh3-128 of the file): the record is written by the build, before the run
publishes, so a run that never published leaves a record that matches nothing. The record
(``<processed>/.incremental/unit-packs-<week>.json``) holds hashes and row counts, no personal
data and no password.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from helpers import incremental, store
from helpers.packs import protect
from helpers.paths import Workspace

# what a task holds that is not an input of the pack itself (where it goes, where the rows
# are staged this time) or that is checked apart (the password)
_NOT_KEYED = ("path", "paths", "password")


def record_path(ws: Workspace, week: str) -> Path:
    return ws.incremental_dir() / f"unit-packs-{week}.json"


def staged_digests(paths: Mapping[str, str]) -> dict[str, str]:
    """A hash of each unit's staged rows (records, unmatched submissions, daily figures), in
    any order: one DuckDB pass over each staged file."""
    con = store.duckdb_connect(memory_limit="1GB", threads=2)
    parts: dict[str, list[str]] = {}
    try:
        for name in ("records", "unmatched", "daily"):
            if name not in paths:
                continue
            rows = con.execute(
                "SELECT CAST(unit_code AS VARCHAR), count(*), "
                "CAST(sum(CAST(hash(t) AS HUGEINT)) AS VARCHAR) "
                "FROM read_parquet($path) t GROUP BY ALL",
                {"path": paths[name]},
            ).fetchall()
            for code, n, total in rows:
                parts.setdefault(str(code), []).append(f"{name}:{n}:{total}")
    finally:
        con.close()
    return {code: "|".join(sorted(p)) for code, p in parts.items()}


def unit_keys(tasks: Sequence[dict[str, Any]], paths: Mapping[str, str]) -> dict[str, str]:
    """One key per unit of ``tasks``: the code, the unit's task and its staged rows."""
    code = incremental.digest(incremental.code_version())
    rows = staged_digests(paths)
    keys = {}
    for task in tasks:
        unit = str(task["unit"]["unit_code"])
        shown = {k: v for k, v in task.items() if k not in _NOT_KEYED}
        task_hash = hashlib.sha256(pickle.dumps(shown, protocol=5)).hexdigest()
        keys[unit] = incremental.digest([code, task_hash, rows.get(unit, "")])
    return keys


class PackRecord:
    """What the last build of a week wrote for each unit: its key, the pack's name and hash,
    and the row of the build's table (counts, bytes)."""

    def __init__(self, units: dict[str, dict[str, Any]] | None = None):
        self.units = units or {}

    @classmethod
    def load(cls, ws: Workspace, week: str) -> PackRecord:
        path = record_path(ws, week)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return cls()
        units = data.get("units") if isinstance(data, dict) else None
        return cls(units if isinstance(units, dict) else {})

    def reusable(
        self,
        published: Path,
        tasks: Sequence[dict[str, Any]],
        keys: Mapping[str, str],
        pool: Executor | None = None,
    ) -> dict[str, dict[str, Any]]:
        """The units whose pack in ``published`` (the week's published ``units`` folder) can
        be kept: same key, same file bytes as recorded, and it opens with the unit's password
        (or is plain when the unit has none). Their rows of the earlier build, by code.

        The passwords are checked by ``pool`` when given (a key derivation each: 0.06 s of
        CPU, the packs' workers share them)."""
        candidates = []
        for task in tasks:
            code = str(task["unit"]["unit_code"])
            seen = self.units.get(code)
            if not seen or seen.get("key") != keys.get(code):
                continue
            name = Path(task["path"]).name
            pack = published / name
            if seen.get("file") != name or not pack.is_file():
                continue
            if incremental.fast_hash(pack) != seen.get("hash"):
                continue
            candidates.append((code, pack, task.get("password")))
        packs, passwords = [c[1] for c in candidates], [c[2] for c in candidates]
        opens = (pool.map if pool is not None else map)(_opens_with, packs, passwords)
        return {
            code: dict(self.units[code]["row"])
            for (code, _, _), ok in zip(candidates, opens, strict=True)
            if ok
        }

    def save(
        self,
        ws: Workspace,
        week: str,
        keys: Mapping[str, str],
        rows: Sequence[dict[str, Any]],
        unit_dir: Path,
    ) -> None:
        """Record this build's packs (all of them: kept or written)."""
        units = {}
        for row in rows:
            code = str(row["unit_code"])
            if code not in keys:
                continue
            units[code] = {
                "key": keys[code],
                "file": row["file"],
                "hash": incremental.fast_hash(unit_dir / row["file"]),
                "row": {k: v for k, v in row.items()},
            }
        # a build of some units keeps what the record says of the others
        merged = {**self.units, **units}
        text = json.dumps({"week": week, "units": merged}, sort_keys=True, default=_plain)
        target = record_path(ws, week)
        store.atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def keep(published: Path, target: Path) -> None:
    """The published pack into this build's folder: a hard link when the two folders are on
    one file system (publishing renames over the published name, the link keeps its bytes),
    else a copy."""
    if published.resolve() == target.resolve():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        os.link(published, target)
    except OSError:
        shutil.copy2(published, target)


def _opens_with(pack: Path, password: str | None) -> bool:
    with pack.open("rb") as fh:
        head = fh.read(8)
    if not password:
        return not protect.is_encrypted(head)
    if not protect.is_encrypted(head):
        return False
    return protect.opens_with(pack, password)


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) else str(value)
