"""Reading and writing the processed tables: the one place a processed path is spelled.

``data/raw/`` is never written: :func:`save` refuses any path under the workspace's raw folder.
While a pipeline step runs (helpers.pipeline), a table it does not declare is refused: saved
(or streamed by :func:`query_to_parquet`) when not among its ``writes``, loaded or reached by
path when not among its ``reads`` or ``writes``.
Each table is written to a temporary file and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from helpers import DeliveryError, PipelineError, StorageError, pipeline, schemas
from helpers.paths import WEEK_PATTERN, Workspace

_MEMORY_LIMIT = re.compile(r"[0-9]+(?:\.[0-9]+)?\s*[KMGT]i?B")


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
        hint = suggest_week(week)
        raise DeliveryError(
            f"week must be written YYYY-MM-DD, found {week!r}"
            + (f": did you mean {hint}? (WEEK={hint})" if hint else "")
        )
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


_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
_YEAR_FIRST = re.compile(r"^\s*(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})\s*$")


def suggest_week(text: str) -> str | None:
    """The date written YYYY-MM-DD that ``text`` most likely means, when it is a calendar day
    written another usual way: 23/11/2025 or 23.11.2025 (day first, as written in Vietnam),
    2025/11/23 or 2025-11-3; else None."""
    day_first, year_first = _DAY_FIRST.match(text), _YEAR_FIRST.match(text)
    if day_first:
        day, month, year = (int(g) for g in day_first.groups())
    elif year_first:
        year, month, day = (int(g) for g in year_first.groups())
    else:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def table_path(ws: Workspace, name: str, week: str) -> Path:
    """Where the processed table ``name`` of ``week`` is; a running step reaches only the
    tables it declares to read or write (helpers.pipeline)."""
    pipeline.check(name, write=False)
    return ws.processed_week(week) / f"{name}.parquet"


def refuse_raw(ws: Workspace, target: Path) -> None:
    """Stop any write inside the raw deliveries folder (the suite never writes there)."""
    raw = ws.raw.resolve()
    if target.resolve() == raw or raw in target.resolve().parents:
        raise PermissionError(f"refusing to write inside the raw deliveries folder: {target}")


def atomic_write(target: Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer`` on a private temporary file beside ``target``, then rename it into
    place: a reader never sees half a file, a failed write leaves the old one (or none)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def query_to_parquet(con, sql: str, target: Path, contract: str | None = None) -> int:
    """Stream a DuckDB query to a Parquet file atomically (never through pandas); its rows.

    With ``contract`` the file is checked against that table's schema before it is renamed
    into place (helpers.schemas); a running step must declare that it writes it."""
    if contract:
        pipeline.check(contract, write=True)

    def write(tmp: Path) -> None:
        # the query is the suite's own SQL; the target path is bound
        con.execute("COPY (" + sql + ") TO ? (FORMAT parquet, COMPRESSION zstd)", [str(tmp)])
        if contract:
            schemas.check_file(contract, tmp)

    atomic_write(target, write)
    return con.execute("SELECT count(*) FROM read_parquet(?)", [str(target)]).fetchone()[0]


def save(ws: Workspace, df: pd.DataFrame, name: str, week: str, *, partial: bool = False) -> Path:
    """Write one processed table atomically after checking it against its contract
    (helpers.schemas); ``partial`` is for hand-made tables holding only some columns. A
    running step must declare that it writes the table (helpers.pipeline)."""
    pipeline.check(name, write=True)
    target = table_path(ws, name, week)
    refuse_raw(ws, target)
    schemas.check_table(name, pa.Table.from_pandas(df, preserve_index=False), partial=partial)
    return atomic_write(target, lambda tmp: df.to_parquet(tmp, index=False))


def load(
    ws: Workspace,
    name: str,
    week: str,
    columns: list[str] | None = None,
    filters: list[tuple[str, str, Any]] | None = None,
) -> pd.DataFrame:
    """The processed table ``name`` of ``week``: only ``columns`` when given, only the rows
    that pass ``filters`` (pyarrow's ``[(column, op, value), ...]``, all must hold; applied
    while reading, so a unit's rows of a city-sized table never load the rest)."""
    path = table_path(ws, name, week)
    if not path.is_file():
        raise DeliveryError(
            f"processed table '{name}' for week {week} not found ({path}); "
            "run the earlier pipeline steps first"
        )
    # the types and nulls of what is there; a table written by hand may hold some columns only
    schemas.check_file(name, path, partial=True)
    if columns:
        names = set(pq.read_schema(path).names)
        missing = [c for c in columns if c not in names]
        if missing:
            raise schemas.ContractError(
                f"processed table '{name}' for week {week} has no column(s) "
                f"{', '.join(missing)} ({path}); run the earlier pipeline steps again"
            )
    return pd.read_parquet(path, columns=columns, filters=filters)


def exists(ws: Workspace, name: str, week: str) -> bool:
    return table_path(ws, name, week).is_file()


def save_json(ws: Workspace, payload: Any, name: str, week: str) -> Path:
    pipeline.check(f"{name}.json", write=True)
    target = ws.processed_week(week) / f"{name}.json"
    refuse_raw(ws, target)
    text = json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    return atomic_write(target, lambda tmp: tmp.write_text(text, "utf-8"))


def load_json(ws: Workspace, name: str, week: str) -> Any:
    pipeline.check(f"{name}.json", write=False)
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
    staging = staging_dir(target.parent, target.name)
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


def staging_dir(parent: Path, name: str) -> Path:
    """A fresh private folder ``.<name>.staging-<pid>-<random>`` in ``parent``.

    The pid in the name lets a later run tell the leftovers of a killed run (owner dead) from
    the folder of a run still working: see :func:`remove_dead_staging`.
    """
    return Path(tempfile.mkdtemp(prefix=f".{name}.staging-{os.getpid()}-", dir=parent))


_LEFTOVER = re.compile(r"^\..+\.(?:staging|old)-(\d+)(?:-.*)?$")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_dead_staging(folders: Iterable[Path], *, prefix: str = ".") -> list[Path]:
    """Remove the staging and ``.old`` folders whose run is dead (killed mid-run); returns them.

    Only names carrying a pid (``.<name>.staging-<pid>-*``, ``.<name>.old-<pid>``) and
    starting with ``prefix`` are considered, and only when that process no longer exists.
    """
    removed = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            match = _LEFTOVER.match(path.name)
            if match is None or not path.name.startswith(prefix):
                continue
            if pid_alive(int(match.group(1))):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


# --------------------------------------------------------------------------------------------
# Writing errors a duty officer can act on
# --------------------------------------------------------------------------------------------

_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def mount_point(path: Path) -> Path:
    """The mount point (the disk) holding ``path``, which need not exist yet."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def storage_message(exc: OSError, path: Path | str | None = None) -> str | None:
    """One line naming the path and the fix for a read-only folder or a full disk, else None."""
    where = Path(path or exc.filename or os.getcwd())
    if exc.errno in _DISK_FULL:
        return f"disk full while writing {where}: free space on {mount_point(where)} and re-run"
    if exc.errno in _READ_ONLY:
        kind = "read-only" if exc.errno == errno.EROFS else "not writable (permission denied)"
        return (
            f"cannot write {where}: the folder is {kind}; make it writable or point the "
            "run elsewhere (--output-dir / --processed-dir), then re-run"
        )
    return None


@contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Turn a read-only or disk-full OSError raised while writing ``path`` into one clear
    :class:`StorageError` (no chain of tracebacks from the writer's clean-up)."""
    try:
        yield
    except OSError as exc:
        message = storage_message(exc, exc.filename or path)
        if message is None:
            raise
        raise StorageError(message) from None


def duckdb_connect(memory_limit: str = "6GB", threads: int | None = None):
    """A DuckDB connection tuned for this suite (bounded memory, both cores, temp spill dir)."""
    import duckdb

    if not _MEMORY_LIMIT.fullmatch(memory_limit):
        raise ValueError(f"DuckDB memory limit {memory_limit!r}: expected a size such as '4GB'")
    con = duckdb.connect()
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET threads = ?", [int(threads or os.cpu_count() or 2)])
    con.execute("SET preserve_insertion_order=false")
    # No progress bars: in a kernel they would be widgets in the executed notebooks.
    con.execute("SET enable_progress_bar=false")
    return con


#: Set by the runner for its notebooks' kernels (the run's id): a pipeline notebook writes
#: only inside a run, which holds the workspace's lock and publishes through staging.
RUN_ENV = "CATP375_RUN"


class HandRun(PipelineError):
    """A pipeline notebook run by hand (JupyterLab): refused, with how to run its step."""


def output_folder(ws: Workspace, week: str, output_dir: str | os.PathLike = "") -> Path:
    """Where a pipeline notebook writes its outputs: the runner's staging folder.

    A pipeline notebook run by hand (no run around it: no lock, staging or manifest) would
    write the week's processed tables and published files behind the runner's back: it is
    refused here, before it writes anything, naming the command that runs the step."""
    if not os.environ.get(RUN_ENV) or not output_dir:
        # JupyterLab tells its kernels the notebook's path
        step = Path(os.environ.get("JPY_SESSION_NAME", "")).stem
        step = step if re.match(r"^\d\d_", step) else "02_reconcile"
        raise HandRun(
            "a pipeline notebook writes the week's tables and pack, so it runs only through "
            f"the runner (lock, staging, manifest): `make weekly-report WEEK={week}`, or one "
            f"step: `python -m helpers.runner --week {week} --steps {step}`. To explore "
            "the week, open notebooks/explore_unit.ipynb, or the executed notebooks in "
            f"{ws.output_week(week) / 'notebooks'}"
        )
    folder = Path(output_dir)
    refuse_raw(ws, folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
