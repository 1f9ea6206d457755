"""Building a week's packs: the city pack, the unit packs written by a pool of worker
processes (units are independent), and the zip of the unit packs.

    result = build_packs(ws, "2025-11-23", out_dir, "vi")

writes ``city-pack-<week>-<lang>.xlsx``, ``units/<unit_code>-<slug>.xlsx`` (one per unit, in
the plan's default language: they go to the units) and ``units-<week>.zip``, whose bytes
depend only on the packs' bytes. Reads the week's processed tables and the unit passwords
(:mod:`helpers.packs.protect`); writes only into ``out_dir``, a private staging folder in the temp
folder (the units' rows, removed when the build ends) and the record of the unit packs built
(:mod:`helpers.packs.reuse`: a unit whose inputs did not change keeps the week's published pack).
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from helpers import pipeline, store
from helpers.bars import bar
from helpers.config import Plan, load_plan
from helpers.i18n import check_lang
from helpers.packs import protect, reuse
from helpers.packs.book import document_time, load_template
from helpers.packs.city import city_pack, load_city_tables
from helpers.packs.history import unit_history, units_history
from helpers.packs.sheetxml import SHEET_ROWS
from helpers.packs.unit import write_unit_pack
from helpers.packs.worklists import LISTS, stage_unit_rows, unit_sizes
from helpers.paths import Workspace
from helpers.synthetic import both_labels, week_is_synthetic
from helpers.units import official_units
from helpers.workers import process_pool


def unit_file_name(unit_code: str, slug: str) -> str:
    return f"{unit_code}-{slug}.xlsx"


RECORD_TABLES = pipeline.RECORD_TABLES  # declared in helpers.pipeline

# zlib level of the unit packs' parts. Level 6 (zlib's default) spent ~35 s of the city's CPU
# deflating ~3.7 GB of sheet XML; level 3 deflates 2.2x as fast for packs ~19 % larger
# (measured on the sample's sheets: 106 -> 236 MB/s, ratio 0.099 -> 0.118). The parts
# themselves are the same whatever the level.
UNIT_PACK_LEVEL = 3


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def unit_tasks(
    ws: Workspace,
    week: str,
    out_dir: Path,
    lang: str,
    plan: Plan,
    template: dict[str, Any],
    paths: dict[str, str],
    *,
    units: Sequence[str] | None = None,
    rows_per_sheet: int = SHEET_ROWS,
    level: int = UNIT_PACK_LEVEL,
) -> list[dict[str, Any]]:
    """One picklable task per unit: the unit's figures, its staged rows and where its pack goes."""
    progress = store.load(ws, "unit_progress", week)
    city_rows = store.load(ws, "city_progress", week)
    city = {
        row["kind"]: {k: _plain(v) for k, v in row.items()} for row in city_rows.to_dict("records")
    }
    laggards = store.load(ws, "laggards", week)
    leaders = store.load(ws, "leaders", week)
    history = (
        store.load(ws, "rank_history", week) if store.exists(ws, "rank_history", week) else None
    )
    commitments = (
        store.load(ws, "commitment_status", week)
        if store.exists(ws, "commitment_status", week)
        else None
    )
    # the week that reaches the end of the peak: each unit's whole-campaign result, verdicts
    # and the difficult records it hands over (helpers.progress.final)
    final = {
        name: store.load(ws, name, week)
        for name in ("final_units", "final_verdicts", "final_handover")
        if store.exists(ws, name, week)
    }
    official = official_units().set_index("unit_code")
    wanted = set(units) if units else None
    # each table split by unit once (the rows of a unit in the table's order), not filtered
    # per unit: 126 filters of five tables cost ~2 s of the main process's time each week
    lag_of, lead_of = _by_unit(laggards), _by_unit(leaders)
    history_of = {} if history is None else units_history(history, lang)
    # a unit the history does not name gets the same (empty) table unit_history would give it
    no_history = None if history is None else unit_history(history.iloc[0:0], "", lang)
    commitments_of = {} if commitments is None else _records_by_unit(commitments)
    final_of = _final_by_unit(final) if len(final) == 3 else {}
    tasks = []
    for row in progress.sort_values("unit_code").to_dict("records"):
        code = str(row["unit_code"])
        if wanted is not None and code not in wanted:
            continue
        lag = lag_of.get(code, laggards.iloc[0:0])
        lead = lead_of.get(code, leaders.iloc[0:0]).sort_values(["category", "position"])
        tasks.append(
            {
                "unit": {k: _plain(v) for k, v in row.items()},
                "city": city,
                "laggard": {k: _plain(v) for k, v in lag.iloc[0].items()} if len(lag) else None,
                "leaders": [str(r) for r in lead[f"reason_{lang}"]],
                "history": history_of.get(code, no_history),
                "commitments": [] if commitments is None else commitments_of.get(code, []),
                "final": unit_final(final, code, final_of) if len(final) == 3 else None,
                "paths": paths,
                "week": week,
                "lang": lang,
                "plan": plan,
                "template": template,
                "full_ids": bool(plan.unit_packs.get("full_ids", False)),
                "rows_per_sheet": rows_per_sheet,
                "level": level,
                "path": str(out_dir / "units" / unit_file_name(code, official.at[code, "slug"])),
            }
        )
    return tasks


def _by_unit(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of each unit (by code as text), in the table's order."""
    codes = frame["unit_code"].astype(str)
    return {str(code): rows for code, rows in frame.groupby(codes, sort=False)}


def _records_by_unit(
    frame: pd.DataFrame, columns: list[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """``frame[columns].to_dict("records")`` of each unit's rows, in the table's order:
    converted once for the whole table (the conversion depends on the columns' types only)."""
    out: dict[str, list[dict[str, Any]]] = {}
    records = (frame if columns is None else frame[columns]).to_dict("records")
    for code, record in zip(frame["unit_code"].astype(str), records, strict=True):
        out.setdefault(code, []).append(record)
    return out


_FINAL_COLUMNS = {
    "final_verdicts": ["verdict", "reason_vi", "reason_en"],
    "final_handover": ["kind", "group", "records", "open"],
}


def _final_by_unit(final: dict[str, pd.DataFrame]) -> dict[str, dict[str, Any]]:
    """The campaign summary's tables split by unit once: ``final_units`` rows as frames, the
    verdicts and hand-over as records of the columns a pack shows."""
    split: dict[str, dict[str, Any]] = {"final_units": _by_unit(final["final_units"])}
    for name, columns in _FINAL_COLUMNS.items():
        split[name] = _records_by_unit(final[name], columns)
    return split


def unit_final(
    final: dict[str, pd.DataFrame],
    code: str,
    split: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """One unit's part of the campaign summary: its ``final_units`` row (``result``), its
    verdicts (``verdicts``: verdict, reason_vi, reason_en) and the difficult records it
    hands over (``handover``: kind, group, records, open). ``split``: the same tables
    already split by unit (:func:`_final_by_unit`), when called for every unit."""
    if split is None:
        split = _final_by_unit(final)
    units = split["final_units"].get(code)
    if units is None or not len(units):
        return None
    plain = lambda records: [{k: _plain(v) for k, v in row.items()} for row in records]  # noqa: E731
    return {
        "result": {k: _plain(v) for k, v in units.iloc[0].items()},
        "verdicts": plain(split["final_verdicts"].get(code, [])),
        "handover": plain(split["final_handover"].get(code, [])),
    }


def _init_worker() -> None:
    # openpyxl writes each sheet to a temporary file first: keep those in memory when we can
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        tempfile.tempdir = str(shm)


def _ready() -> None:
    """A worker's first task: nothing, so that it starts (and imports) while the main process
    builds the city pack and stages the rows."""


def unit_pool(workers: int) -> ProcessPoolExecutor:
    """The unit packs' worker pool, its ``workers`` interpreters started now (they take a few
    seconds to import what a pack needs)."""
    # fresh interpreters that end with this process (see helpers.workers)
    pool = process_pool(workers, initializer=_init_worker)
    for _ in range(workers):  # a spawn pool starts a worker per task while none is idle
        pool.submit(_ready)
    return pool


def largest_first(
    tasks: Sequence[dict[str, Any]], sizes: Mapping[str, int]
) -> list[dict[str, Any]]:
    """The tasks with the units of the most staged rows first (then by code): the last packs
    written are small ones, so that both workers finish at about the same time."""
    return sorted(
        tasks,
        key=lambda task: (-sizes.get(task["unit"]["unit_code"], 0), task["unit"]["unit_code"]),
    )


def write_unit_packs(
    tasks: Sequence[dict[str, Any]],
    workers: int = 2,
    ticks: tqdm | None = None,
    *,
    pool: ProcessPoolExecutor | None = None,
) -> pd.DataFrame:
    """Write the unit packs, ``workers`` processes at a time (units are independent), in the
    order given; ``pool``: workers already started (:func:`unit_pool`).

    ``ticks`` (by default a :func:`helpers.bars.bar`) moves by one as each pack is written.
    """
    with ticks if ticks is not None else bar(len(tasks), "unit packs", unit="pack") as ticks:
        done = []
        if pool is None and (workers <= 1 or len(tasks) <= 1):
            for task in tasks:
                done.append(write_unit_pack(task))
                ticks.update()
        else:
            with contextlib.ExitStack() as stack:
                if pool is None:
                    pool = stack.enter_context(unit_pool(workers))
                for job in as_completed([pool.submit(write_unit_pack, task) for task in tasks]):
                    done.append(job.result())
                    ticks.update()
    return pd.DataFrame(done).sort_values("unit_code").reset_index(drop=True)


def bundle(files: Sequence[Path], target: Path, when: datetime) -> Path:
    """A zip of the unit packs that depends only on their bytes (names sorted, dates fixed).

    Workbooks are already compressed, so they are stored as they are.
    """
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for path in sorted(files, key=lambda p: p.name):
                info = zipfile.ZipInfo(path.name, date_time=stamp)
                info.external_attr = 0o644 << 16
                with archive.open(info, "w", force_zip64=True) as fh, path.open("rb") as src:
                    while block := src.read(1 << 20):
                        fh.write(block)

    # a full disk fails the write and then the zip's own clean-up: one clear error instead
    with store.writing(target):
        store.atomic_write(target, write)
    return target


@dataclass
class PacksResult:
    city: Path
    units: pd.DataFrame = field(default_factory=pd.DataFrame)
    bundle: Path | None = None
    unit_lang: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    city_cut_cells: int = 0  # text cells cut at Excel's 32,767-character limit

    @property
    def cut_cells(self) -> int:
        """Text cells cut at Excel's cell limit, in the city pack and the unit packs written."""
        units = int(self.units["cut_cells"].sum()) if "cut_cells" in self.units else 0
        return self.city_cut_cells + units


@pipeline.runs("05_packs")
def build_packs(
    ws: Workspace,
    week: str,
    out_dir: Path | str,
    lang: str,
    *,
    workers: int = 2,
    units: Sequence[str] | None = None,
    rows_per_sheet: int = SHEET_ROWS,
    plan: Plan | None = None,
    template: dict[str, Any] | None = None,
    unit_lang: str | None = None,
    city: bool = True,
    keep_unchanged: bool = True,
) -> PacksResult:
    """The week's city pack in ``lang``, and the unit packs with their zip.

    Unit packs go to the units, so they are written in the plan's default language (or
    ``unit_lang``); a run in another language writes them only when they are not there yet.
    ``keep_unchanged``: a unit whose inputs did not change keeps the week's published pack
    (:mod:`helpers.packs.reuse`); false builds every one anew (``make weekly-report FORCE=1``).
    """
    check_lang(lang)
    plan = (plan or load_plan()).in_force(date.fromisoformat(week))
    template = template or load_template()
    if week_is_synthetic(ws, week):  # every pack of a generated week says so (PackBook)
        template = {**template, "synthetic_mark": both_labels()}
    out_dir = Path(out_dir)
    unit_dir = out_dir / "units"
    unit_lang = check_lang(unit_lang or plan.unit_packs.get("lang") or plan.default_lang)
    # nor when the week's published pack has them (a build in the other language)
    made = (unit_dir, ws.output_week(week) / "units")
    skip_units = lang != unit_lang and any(d.is_dir() and any(d.glob("*.xlsx")) for d in made)
    with contextlib.ExitStack() as stack:
        # the workers start now, while this process builds the city pack and stages the rows
        pool = None if skip_units or workers <= 1 else stack.enter_context(unit_pool(workers))
        return _build(
            ws,
            week,
            out_dir,
            lang,
            plan,
            template,
            unit_lang,
            skip_units,
            pool,
            workers=workers,
            units=units,
            rows_per_sheet=rows_per_sheet,
            city=city,
            keep_unchanged=keep_unchanged,
        )


def _build(
    ws: Workspace,
    week: str,
    out_dir: Path,
    lang: str,
    plan: Plan,
    template: dict[str, Any],
    unit_lang: str,
    skip_units: bool,
    pool: ProcessPoolExecutor | None,
    *,
    workers: int,
    units: Sequence[str] | None,
    rows_per_sheet: int,
    city: bool,
    keep_unchanged: bool,
) -> PacksResult:
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    city_path = out_dir / f"city-pack-{week}-{lang}.xlsx"
    city_cut = 0
    if city:
        tables = load_city_tables(ws, week)
        book = city_pack(tables, plan, week, lang, template)
        book.save(city_path)
        city_cut = book.cut_cells
    seconds["city"] = round(time.perf_counter() - t0, 2)
    result = PacksResult(city=city_path, seconds=seconds, city_cut_cells=city_cut)
    unit_dir = out_dir / "units"
    if skip_units:
        return result
    t1 = time.perf_counter()
    # personal data: named with this process's pid, so a run killed here has it removed by
    # the next run (store.remove_dead_staging)
    with tempfile.TemporaryDirectory(prefix=f".catp375-packs.staging-{os.getpid()}-") as folder:
        paths = stage_unit_rows(ws, week, Path(folder))
        seconds["stage"] = round(time.perf_counter() - t1, 2)
        tasks = unit_tasks(
            ws,
            week,
            out_dir,
            unit_lang,
            plan,
            template,
            paths,
            units=units,
            rows_per_sheet=rows_per_sheet,
        )
        passwords = protect.unit_passwords(ws, plan, [task["unit"]["unit_code"] for task in tasks])
        # every unit's standing: each pack's map colours its unit's neighbours
        progress = store.load(ws, "unit_progress", week)
        standings = progress.set_index("unit_code")["standing"].astype(str).to_dict()
        for task in tasks:
            task["password"] = passwords.get(task["unit"]["unit_code"])
            task["standings"] = standings
        tasks = largest_first(tasks, unit_sizes(paths))
        # a unit whose inputs did not change since the week's published build keeps its pack
        record = reuse.PackRecord.load(ws, week)
        keys = reuse.unit_keys(tasks, paths)
        published = ws.output_week(week) / "units"
        kept = record.reusable(published, tasks, keys, pool) if keep_unchanged else {}
        for row in kept.values():
            reuse.keep(published / row["file"], unit_dir / row["file"])
        todo = [task for task in tasks if task["unit"]["unit_code"] not in kept]
        made = write_unit_packs(todo, workers=workers, pool=pool) if todo else pd.DataFrame()
        rows = made.assign(kept=False).to_dict("records") + [
            {**row, "read_s": 0.0, "write_s": 0.0, "cpu_s": 0.0, "kept": True}
            for row in kept.values()
        ]
        result.units = pd.DataFrame(rows).sort_values("unit_code").reset_index(drop=True)
        record.save(ws, week, keys, rows, unit_dir)
    result.unit_lang = unit_lang
    seconds["units"] = round(time.perf_counter() - t1, 2)
    t2 = time.perf_counter()
    files = [unit_dir / name for name in result.units["file"]]
    result.bundle = bundle(files, out_dir / f"units-{week}.zip", document_time(week, template))
    seconds["zip"] = round(time.perf_counter() - t2, 2)
    seconds["total"] = round(time.perf_counter() - t0, 2)
    return result


def overview(result: PacksResult) -> pd.DataFrame:
    """What a run wrote, for the notebook: files and their sizes, rows per worklist (counts)."""
    rows = [
        {
            "what": "city pack",
            "file": result.city.name,
            "bytes": result.city.stat().st_size if result.city.is_file() else None,
            "records": None,
        }
    ]
    if not result.units.empty:
        rows.append(
            {
                "what": f"unit packs ({result.unit_lang})",
                "file": f"units/ ({len(result.units)} files)",
                "bytes": int(result.units["bytes"].sum()),
                "records": None,
            }
        )
        for key in LISTS:
            rows.append(
                {
                    "what": f"worklist: {key}",
                    "file": "",
                    "bytes": None,
                    "records": int(result.units[f"rows_{key}"].sum()),
                }
            )
    if result.bundle is not None:
        rows.append(
            {
                "what": "zip of the unit packs",
                "file": result.bundle.name,
                "bytes": result.bundle.stat().st_size,
                "records": None,
            }
        )
    rows.append(
        {
            "what": "text cells cut at 32,767 characters",
            "file": "",
            "bytes": None,
            "records": result.cut_cells,
        }
    )
    return pd.DataFrame(rows).astype({"bytes": "Int64", "records": "Int64"})
