"""A city generated in slices by worker processes and merged into one campaign.

The whole-scenario generator keeps every table of the campaign in memory at once: fine for the
sample, about 30 GB for Hanoi. A city is therefore cut into slices of about 700,000 vehicle
records. Each slice is a small city of all 126 units with its share of the people, records and
each day's submissions (``slice_quotas`` apportions every calibrated count exactly), drawn from
its own random streams, with keys from its own residue class (``common.Part``) so that no key
and no plate or licence typo can reach another slice. Two worker processes generate the slices
into a scratch folder under the truth folder; the parent then

- writes what needs the whole city's figures: the units' self-reports (from the slices'
  system counts, summed) and the organisations list, with their faults;
- appends the slices' delivered files in slice order: CSV bytes as they are (later slices are
  written without a header; gzip members concatenate into one valid stream), Parquet row
  groups through one writer;
- appends the slices' truth tables the same way, and merges the fault logs, moving each fault's
  ``source_row`` down by the rows earlier slices put in the same file.

Same seed and slice count, same bytes. The number of workers changes nothing in the output.
"""

from __future__ import annotations

import multiprocessing
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from helpers.synth import commitments as cm
from helpers.synth import deliver as dv
from helpers.synth import selfreport as sr
from helpers.synth import world as wd
from helpers.synth.common import Faults, Part

SCRATCH = ".slices"  # inside the truth folder, removed once merged
SLICE_OUTPUTS = ("faults.parquet", "system_counts.parquet")  # merged specially, not appended


def generate_sliced(out: Path, truth: Path, sc, seed: int, n: int, workers: int) -> dict:
    """Generate ``sc`` in ``n`` slices with ``workers`` processes; merge into out and truth."""
    from helpers import synth

    t0 = time.perf_counter()
    work = truth / SCRATCH
    if work.exists():
        shutil.rmtree(work)
    quotas = synth.slice_quotas(sc, n)
    jobs = [(work / f"{k:03d}", sc, seed, k, n, quotas[k]) for k in range(n)]
    # one process per slice: a finished slice hands all its memory back to the system
    with ProcessPoolExecutor(
        max_workers=max(1, min(workers, n)),
        mp_context=multiprocessing.get_context("spawn"),
        max_tasks_per_child=1,
    ) as pool:
        parts = list(pool.map(_slice_job, jobs))
    timings = {"slices": round(time.perf_counter() - t0, 3)}

    t = time.perf_counter()
    r = synth.rngs(seed)  # the shared streams: the same units and organisations as the slices
    units = wd.make_units(r["units"])
    orgs = wd.make_orgs(r["orgs"], units, sc.org_factor)
    counts = sum_system_counts(
        [work / f"{k:03d}" / "truth" / "system_counts.parquet" for k in range(n)]
    )
    faults = Faults()
    reports = sr.make_unit_reports(r["reports"], None, units, counts)
    sr.log_report_faults(reports, faults)
    org_table = sr.org_rows(r["org_rows"], orgs, units, faults)
    commitments = cm.make_commitments(r["commitments"], reports, units, faults)
    writer = dv.Writer(out)
    synth.write_city_deliveries(writer, reports, org_table, units, commitments)
    synth.write_city_truth(truth, units, reports)
    cm.write_truth(truth, commitments)
    city_faults = work / "city_faults.parquet"
    synth.write_fault_log(city_faults, faults, writer)
    timings["city_parts"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    slice_raw = [work / f"{k:03d}" / "raw" for k in range(n)]
    slice_truth = [work / f"{k:03d}" / "truth" for k in range(n)]
    merges = [([s / rel for s in slice_raw], out / rel) for rel in parts[0]["files"]]
    merges += [
        ([s / rel for s in slice_truth], truth / rel)
        for rel in (
            p.relative_to(slice_truth[0]) for p in sorted(slice_truth[0].rglob("*.parquet"))
        )
        if str(rel) not in SLICE_OUTPUTS
    ]
    offsets = row_offsets([p["files"] for p in parts])
    # Arrow and file copies release the GIL: two threads keep both cores busy; the biggest
    # files first so that no large one is left alone at the end
    merges.sort(key=lambda m: -sum(p.stat().st_size for p in m[0]))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as threads:
        done = [threads.submit(append_files, sources, dest) for sources, dest in merges]
        done.append(
            threads.submit(
                merge_fault_logs,
                [s / "faults.parquet" for s in slice_truth],
                offsets,
                city_faults,
                truth / "faults.parquet",
            )
        )
        for job in done:
            job.result()
    timings["merge"] = round(time.perf_counter() - t, 3)
    shutil.rmtree(work)

    total = add_up([p["counts"] for p in parts])
    total["units"] = parts[0]["counts"]["units"]
    total["organizations_rows"] = len(org_table)
    total["unit_report_rows"] = len(reports)
    total["faults"] += int(sum(len(p) for p in faults.parts))
    file_rows = add_up([p["files"] for p in parts])
    file_rows.update({f["file"]: f["rows"] for f in writer.files})
    total["files"] = len(file_rows)
    return {
        "counts": total,
        "files": file_rows,
        "weeks": add_up([p["weeks"] for p in parts]),
        "timings_s": timings,
        "slice_timings_s": [p["timings_s"] for p in parts],
        "rss_gb_after": [p["rss_gb_after"] for p in parts],
    }


def _slice_job(job) -> dict:
    """One slice in a worker process: its own raw and truth folders under the scratch folder."""
    from helpers import synth

    folder, sc, seed, k, n, quota = job
    raw, truth = Path(folder) / "raw", Path(folder) / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    return synth.generate_part(raw, truth, sc, seed, Part(k, n), quota)


def sum_system_counts(paths: list[Path]) -> pd.DataFrame:
    """The slices' system figures per unit and day, added up (all slices share the grid)."""
    frames = [pd.read_parquet(p) for p in paths]
    total = frames[0].copy()
    for c in sr.REPORT_COUNTS:
        total[c] = np.sum([f[c].to_numpy() for f in frames], axis=0)
    return total


def append_files(sources: list[Path], dest: Path) -> None:
    """One file from the slices' files of the same name, in slice order."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.suffix == ".parquet":
        _append_parquet(sources, dest)
        return
    with open(dest, "wb") as out:  # CSV or gzip CSV: later slices carry no header
        for src in sources:
            with open(src, "rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 22)


def _append_parquet(sources: list[Path], dest: Path) -> None:
    schemas = [pq.read_schema(s) for s in sources]
    # a column a slice never filled is typed null there; the merged file takes the real type
    fields = [
        pa.field(
            f.name,
            next(
                (
                    s.field(f.name).type
                    for s in schemas
                    if not pa.types.is_null(s.field(f.name).type)
                ),
                f.type,
            ),
        )
        for f in schemas[0]
    ]
    schema = pa.schema(fields, metadata=schemas[0].metadata)
    meta = pq.ParquetFile(sources[0]).metadata
    codec = meta.row_group(0).column(0).compression.lower() if meta.num_row_groups else "zstd"
    with pq.ParquetWriter(dest, schema, compression=codec) as w:
        for src in sources:
            f = pq.ParquetFile(src)
            for i in range(f.num_row_groups):
                w.write_table(f.read_row_group(i).cast(schema))


def row_offsets(files_per_slice: list[dict]) -> list[dict]:
    """Per slice and file: the data rows earlier slices wrote into the same file."""
    seen: dict[str, int] = {}
    out = []
    for files in files_per_slice:
        out.append({rel: seen.get(rel, 0) for rel in files})
        for rel, rows in files.items():
            seen[rel] = seen.get(rel, 0) + rows
    return out


def merge_fault_logs(
    slice_logs: list[Path], offsets: list[dict], city_log: Path, dest: Path
) -> None:
    """One fault log sorted by file and row, with each slice's rows moved to the merged file.

    Every log is already sorted by file, then row: the merge walks the files in order and
    writes each log's run of rows for that file (no city-wide sort, no city-wide copy).
    """
    runs: list[dict[str, pa.Table]] = []  # per log: file -> its rows
    for path, off in [*zip(slice_logs, offsets, strict=True), (city_log, {})]:
        if not path.exists():
            continue
        t = pq.read_table(path)
        files = pc.dictionary_encode(t["source_file"]).combine_chunks()
        names = files.dictionary.to_pylist()
        codes = files.indices.to_numpy()
        if off:
            shift = np.array([off.get(v, 0) for v in names], dtype=np.int64)
            rows = t["source_row"].to_numpy() + shift[codes]
            t = t.set_column(
                t.schema.get_field_index("source_row"),
                "source_row",
                pa.array(rows, t.schema.field("source_row").type),
            )
        starts = np.flatnonzero(np.diff(codes, prepend=-1))
        ends = np.append(starts[1:], len(codes))
        runs.append({names[codes[a]]: t.slice(a, b - a) for a, b in zip(starts, ends, strict=True)})
    schema = pq.read_schema(slice_logs[0])
    with pq.ParquetWriter(dest, schema) as out:
        if not any(runs):
            out.write_table(schema.empty_table())
        for rel in sorted({rel for r in runs for rel in r}):
            out.write_table(pa.concat_tables([r[rel].cast(schema) for r in runs if rel in r]))


def add_up(items: list[dict]) -> dict:
    """Sum nested dicts of counts key by key (keys missing somewhere count as zero)."""
    out: dict = {}
    for item in items:
        for k, v in item.items():
            if isinstance(v, dict):
                out[k] = add_up([out.get(k, {}), v])
            else:
                out[k] = out.get(k, 0) + v
    return out
