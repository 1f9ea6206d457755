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

from synth import commitments as cm
from synth import deliver as dv
from synth import files as sf
from synth import mail as ml
from synth import selfreport as sr
from synth import world as wd
from synth.common import Faults, Part
from synth.part import generate_part
from synth.scenarios import rngs, slice_quotas
from synth.write_raw import write_city_deliveries
from synth.write_truth import write_city_truth, write_fault_log

SCRATCH = ".slices"  # inside the truth folder, removed once merged
SLICE_OUTPUTS = ("faults.parquet", "system_counts.parquet")  # merged specially, not appended


def generate_sliced(out: Path, truth: Path, sc, seed: int, n: int, workers: int) -> dict:
    """Generate ``sc`` in ``n`` slices with ``workers`` processes; merge into out and truth."""
    t0 = time.perf_counter()
    work = truth / SCRATCH
    if work.exists():
        shutil.rmtree(work)
    quotas = slice_quotas(sc, n)
    jobs = [(work / f"{k:03d}", sc, seed, k, n, quotas[k]) for k in range(n)]
    appender = SliceAppender(out, truth)
    # one process per slice: a finished slice hands all its memory back to the system. Each
    # finished slice is appended to the merged files while the workers make the next ones
    # (in slice order: the futures are awaited in order).
    try:
        with ProcessPoolExecutor(
            max_workers=max(1, min(workers, n)),
            mp_context=multiprocessing.get_context("spawn"),
            max_tasks_per_child=1,
        ) as pool:
            futures = [pool.submit(_slice_job, job) for job in jobs]
            parts = []
            for k, future in enumerate(futures):
                parts.append(future.result())
                appender.add(work / f"{k:03d}", parts[-1]["files"])
    except BaseException:
        # the merged files hold only the slices before the failure: no later run may read a
        # part of the city as if it were all of it
        appender.discard()
        raise
    timings = {"slices": round(time.perf_counter() - t0, 3)}

    t = time.perf_counter()
    r = rngs(seed)  # the shared streams: the same units and organisations as the slices
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
    mail = ml.make_plan(r["mail"], units, reports, faults)
    writer = dv.Writer(out)
    write_city_deliveries(writer, reports, org_table, units, commitments, mail)
    write_city_truth(truth, units, reports)
    cm.write_truth(truth, commitments)
    city_faults = work / "city_faults.parquet"
    write_fault_log(city_faults, faults, writer)
    timings["city_parts"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    slice_truth = [work / f"{k:03d}" / "truth" for k in range(n)]
    offsets = row_offsets([p["files"] for p in parts])
    # Arrow and file copies release the GIL: the files a later slice had to settle and the
    # fault log on two threads
    with ThreadPoolExecutor(max_workers=max(1, workers)) as threads:
        done = [threads.submit(append_files, srcs, dest) for dest, srcs in appender.close()]
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
    folder, sc, seed, k, n, quota = job
    raw, truth = Path(folder) / "raw", Path(folder) / "truth"
    sf.write_slices_as_scratch(True)  # this process makes one slice and ends
    truth.mkdir(parents=True, exist_ok=True)
    return generate_part(raw, truth, sc, seed, Part(k, n), quota)


def sum_system_counts(paths: list[Path]) -> pd.DataFrame:
    """The slices' system figures per unit and day, added up (all slices share the grid)."""
    frames = [pd.read_parquet(p) for p in paths]
    total = frames[0].copy()
    for c in sr.REPORT_COUNTS:
        total[c] = np.sum([f[c].to_numpy() for f in frames], axis=0)
    return total


class SliceAppender:
    """Appends each finished slice's delivered and truth files to the merged ones, in slice
    order: CSV bytes as they are (later slices carry no header; gzip members concatenate),
    Parquet row groups through one writer per file kept open from the first slice on.

    A Parquet file whose first slice has a column typed null (never filled there) waits for
    every slice and is merged at the end with the type a later slice gives it (``close``).
    """

    def __init__(self, out: Path, truth: Path) -> None:
        self.out, self.truth = out, truth
        self.writers: dict[Path, pq.ParquetWriter] = {}
        self.started: set[Path] = set()
        self.deferred: dict[Path, list[Path]] = {}

    def add(self, folder: Path, files: dict) -> None:
        raw, truth = folder / "raw", folder / "truth"
        pairs = [(_written(raw / rel), self.out / rel) for rel in files]
        pairs += [(p, self.truth / _merged_name(p.relative_to(truth))) for p in _tables(truth)]
        for src, dest in pairs:
            if dest.suffix == ".parquet":
                self._parquet(src, dest)
            else:
                self._bytes(src, dest)

    def _bytes(self, src: Path, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "ab" if dest in self.started else "wb") as out, open(src, "rb") as fh:
            shutil.copyfileobj(fh, out, 1 << 22)
        self.started.add(dest)
        src.unlink()

    def _parquet(self, src: Path, dest: Path) -> None:
        if dest in self.deferred:
            self.deferred[dest].append(src)
            return
        w = self.writers.get(dest)
        if w is None:
            schema, codec = _schema_and_codec(src)
            if any(pa.types.is_null(field.type) for field in schema):
                self.deferred[dest] = [src]
                return
            dest.parent.mkdir(parents=True, exist_ok=True)
            w = self.writers[dest] = pq.ParquetWriter(dest, schema, compression=codec)
        for part in _row_groups(src):
            w.write_table(part.cast(w.schema))
        src.unlink()

    def discard(self) -> None:
        """Remove every merged file begun so far (and the folders left empty)."""
        for w in self.writers.values():
            w.close()
        begun = {*self.writers, *self.started}
        self.writers.clear()
        self.started.clear()
        for dest in begun:
            dest.unlink(missing_ok=True)
        for folder in sorted({d.parent for d in begun}, key=lambda f: -len(f.parts)):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def close(self) -> list[tuple[Path, list[Path]]]:
        """Close the merged files; return the deferred ones (destination, slices' files)."""
        for w in self.writers.values():
            w.close()
        self.writers.clear()
        return list(self.deferred.items())


def _tables(truth: Path) -> list[Path]:
    """A slice's truth tables to append (Parquet or, from a worker, Arrow IPC scratch)."""
    found = [*truth.rglob("*.parquet"), *truth.rglob(f"*{sf.SCRATCH_SUFFIX}")]
    return sorted(p for p in found if str(_merged_name(p.relative_to(truth))) not in SLICE_OUTPUTS)


def _merged_name(rel: Path) -> Path:
    return rel.with_suffix(".parquet") if rel.suffix == sf.SCRATCH_SUFFIX else rel


def _written(path: Path) -> Path:
    """The file a slice wrote for a delivered file's name (a Parquet one as IPC scratch)."""
    scratch = path.with_suffix(sf.SCRATCH_SUFFIX)
    return scratch if path.suffix == ".parquet" and scratch.exists() else path


def _schema_and_codec(src: Path) -> tuple[pa.Schema, str]:
    """The merged file's schema and compression, from a slice's Parquet or IPC scratch file."""
    if src.suffix == sf.SCRATCH_SUFFIX:
        with pa.memory_map(str(src)) as source:
            schema = pa.ipc.open_file(source).schema
        meta = dict(schema.metadata or {})
        codec = meta.pop(sf.CODEC_KEY, b"snappy").decode()
        return (schema.with_metadata(meta) if meta else schema.remove_metadata()), codec
    f = pq.ParquetFile(src)
    meta = f.metadata
    codec = meta.row_group(0).column(0).compression.lower() if meta.num_row_groups else "zstd"
    return f.schema_arrow, codec


def _row_groups(src: Path):
    """A slice file's rows, a Parquet row group or an IPC record batch at a time."""
    if src.suffix == sf.SCRATCH_SUFFIX:
        with pa.memory_map(str(src)) as source:
            reader = pa.ipc.open_file(source)
            yield reader.read_all()
        return
    f = pq.ParquetFile(src)
    for i in range(f.num_row_groups):
        yield f.read_row_group(i)
    f.close()


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
    schemas = [_schema_and_codec(s)[0] for s in sources]
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
    with pq.ParquetWriter(dest, schema, compression=_schema_and_codec(sources[0])[1]) as w:
        for src in sources:
            for part in _row_groups(src):
                w.write_table(part.cast(schema))


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
    writes each log's run of rows for that file. Only the row groups that hold the current
    file are in memory (the whole city's logs held at once made the parent the largest
    process of a city's generation).
    """
    logs = [
        _LogRuns(path, off)
        for path, off in [*zip(slice_logs, offsets, strict=True), (city_log, {})]
        if path.exists()
    ]
    schema = pq.read_schema(slice_logs[0])
    with pq.ParquetWriter(dest, schema) as out:
        files = sorted({rel for log in logs for rel in log.runs})
        if not files:
            out.write_table(schema.empty_table())
        for rel in files:
            parts = [log.rows(rel).cast(schema) for log in logs if rel in log.runs]
            out.write_table(pa.concat_tables(parts))


class _LogRuns:
    """Where each delivered file's rows lie in one sorted fault log (row group, start, length),
    read a row group at a time; ``source_row`` moved down by the rows earlier slices wrote."""

    def __init__(self, path: Path, offsets: dict):
        self.file = pq.ParquetFile(path)
        self.offsets = offsets
        self.runs: dict[str, list[tuple[int, int, int]]] = {}
        self.left = np.zeros(self.file.num_row_groups, dtype=np.int64)  # runs not yet read
        for g in range(self.file.num_row_groups):
            names = self.file.read_row_group(g, columns=["source_file"])["source_file"]
            codes = pc.dictionary_encode(names).combine_chunks()
            values = codes.dictionary.to_pylist()
            idx = codes.indices.to_numpy()
            starts = np.flatnonzero(np.diff(idx, prepend=-1))
            ends = np.append(starts[1:], len(idx))
            for a, b in zip(starts, ends, strict=True):
                self.runs.setdefault(values[idx[a]], []).append((g, int(a), int(b - a)))
                self.left[g] += 1
        self._group: tuple[int, pa.Table] | None = None

    def rows(self, rel: str) -> pa.Table:
        parts = []
        for g, start, length in self.runs.pop(rel):
            if self._group is None or self._group[0] != g:
                self._group = (g, self.file.read_row_group(g))
            parts.append(self._group[1].slice(start, length))
            self.left[g] -= 1
            if not self.left[g]:  # the group is used up: let it go
                self._group = None
        t = pa.concat_tables(parts)
        shift = self.offsets.get(rel, 0)
        if shift:
            i = t.schema.get_field_index("source_row")
            t = t.set_column(i, "source_row", pc.add(t["source_row"], shift))
        return t


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
