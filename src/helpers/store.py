"""Reading and writing the processed tables: the one place a processed path is spelled.

``data/raw/`` is never written: :func:`save` refuses any path under the workspace's raw folder.
Each table is written to a temporary file and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from helpers import DeliveryError
from helpers.paths import WEEK_PATTERN, Workspace


def resolve_week(ws: Workspace, week: str = "") -> str:
    """The reporting week (last day covered, YYYY-MM-DD); empty means the newest delivery."""
    deliveries = ws.deliveries()
    if not week:
        if not deliveries:
            raise DeliveryError(
                f"no delivery folder (YYYY-MM-DD) found in {ws.raw}; "
                "put the week's files there or run `make sample-data`"
            )
        return deliveries[-1]
    if not WEEK_PATTERN.match(week):
        raise DeliveryError(f"week must be written YYYY-MM-DD, found {week!r}")
    try:
        date.fromisoformat(week)
    except ValueError as exc:
        raise DeliveryError(f"week {week!r} is not a calendar date") from exc
    if not any(d <= week for d in deliveries):
        raise DeliveryError(
            f"no delivery in {ws.raw} covers week {week}: folders found "
            f"{', '.join(deliveries) or 'none'}"
        )
    return week


def table_path(ws: Workspace, name: str, week: str) -> Path:
    return ws.processed_week(week) / f"{name}.parquet"


def _refuse_raw(ws: Workspace, target: Path) -> None:
    raw = ws.raw.resolve()
    if target.resolve() == raw or raw in target.resolve().parents:
        raise PermissionError(f"refusing to write inside the raw deliveries folder: {target}")


def save(ws: Workspace, df: pd.DataFrame, name: str, week: str) -> Path:
    """Write one processed table atomically; returns its path."""
    target = table_path(ws, name, week)
    _refuse_raw(ws, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def load(ws: Workspace, name: str, week: str, columns: list[str] | None = None) -> pd.DataFrame:
    path = table_path(ws, name, week)
    if not path.is_file():
        raise DeliveryError(
            f"processed table '{name}' for week {week} not found ({path}); "
            "run the earlier pipeline steps first"
        )
    return pd.read_parquet(path, columns=columns)


def exists(ws: Workspace, name: str, week: str) -> bool:
    return table_path(ws, name, week).is_file()


def save_json(ws: Workspace, payload: Any, name: str, week: str) -> Path:
    target = ws.processed_week(week) / f"{name}.json"
    _refuse_raw(ws, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), "utf-8")
    os.replace(tmp, target)
    return target


def load_json(ws: Workspace, name: str, week: str) -> Any:
    path = ws.processed_week(week) / f"{name}.json"
    if not path.is_file():
        raise DeliveryError(f"processed file '{name}.json' for week {week} not found ({path})")
    return json.loads(path.read_text("utf-8"))


@contextmanager
def replace_dir(target: Path, *, forbidden: Path | None = None) -> Iterator[Path]:
    """Build a folder in a sibling staging folder; swap it in only if the block succeeds.

    Used by ingest (a week's processed folder) and the runner (a week's output folder), so a
    failed run never leaves a half-built folder that looks final.
    """
    if forbidden is not None:
        fb = forbidden.resolve()
        if target.resolve() == fb or fb in target.resolve().parents:
            raise PermissionError(f"refusing to write inside {forbidden}: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def duckdb_connect(memory_limit: str = "6GB", threads: int | None = None):
    """A DuckDB connection tuned for this suite (bounded memory, both cores, temp spill dir)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit='{memory_limit}'")
    con.execute(f"SET threads={threads or os.cpu_count() or 2}")
    con.execute("SET preserve_insertion_order=false")
    # No progress bars: in a kernel they would be widgets in the executed notebooks.
    con.execute("SET enable_progress_bar=false")
    return con


def output_folder(ws: Workspace, week: str, output_dir: str | os.PathLike = "") -> Path:
    """Where a notebook writes its outputs: the runner's staging folder, else the week's own."""
    folder = Path(output_dir) if output_dir else ws.output_week(week)
    _refuse_raw(ws, folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
