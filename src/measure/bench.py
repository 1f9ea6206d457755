"""Benchmark the weekly report stage by stage: ``make bench [SCENARIO=sample|city]``.

Generates the scenario once into ``data/bench/<scenario>/`` (kept as a cache; ``--raw-dir``
points at deliveries generated elsewhere instead), then, for the last delivery's week:

1. ``floor``: DuckDB alone reads every source of the week and writes Parquet, no validation
   (:mod:`measure.bench_floor`), timed with its peak memory;
2. ``cold``: each pipeline step exactly as ``make weekly-report`` runs it (the runner,
   Papermill, a real kernel), one step per child process, so that wall time, CPU time and peak
   memory are those of that step alone (``os.wait4`` reports the child's and its kernel's
   usage); ingest's ratio to the floor is printed beside its time;
3. ``whole``: the whole runner with ``--force`` (``make weekly-report FORCE=1``): the cold
   week as the duty officer runs it, one process;
4. ``warm``: the whole runner on a copy of the raw folder whose week's submissions differ in
   their bytes only (registry and population unchanged, and no new submission);
5. ``unchanged``: the same again (nothing changed);
6. ``usual``: the week the duty officer waits for: in a workspace of its own the week before
   is run first (``previous``, timed too), then this week's delivery (new and changed
   submissions; registry and population as last week): what reuse really saves.

Prints a table, then the issue's targets with what this run measured, and writes the figures
as JSON under ``reports/bench/``. Nothing here asserts a time: figures are measured.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import psutil
import pyarrow.parquet as pq

from helpers.paths import BENCH_DIR, DATA_DIR, Workspace

STAGES: tuple[tuple[str, str], ...] = (
    ("ingest", "01_ingest"),
    ("reconcile", "02_reconcile"),
    ("progress", "03_progress"),
    ("pdf", "04_briefing"),
    ("excel", "05_packs"),
)
STAGE_NAMES: tuple[str, ...] = tuple(name for name, _ in STAGES)
RUNS: tuple[str, ...] = ("floor", "cold", "whole", "warm", "unchanged", "usual")

# Targets from the city-scale issue: (city, sample) wall seconds.
TARGETS = {
    "ingest": (90, 10),
    "reconcile": (120, 10),
    "progress": (20, 5),
    "pdf": (60, 30),
    "excel": (180, 20),
    "total": (480, 90),
}
# Targets of the whole runs (#18, #31): (city, sample) wall seconds.
RUN_TARGETS = {
    "whole": (150, 30),
    "warm": (90, None),
    "unchanged": (15, 5),
    "previous": (None, None),
    "usual": (90, None),
}
FLOOR_TARGET = 1.5  # ingest wall time at most 1.5 times the floor's (#31)
COLD_PEAK_TARGET_MB = 6 * 1024  # the city's cold run (#31)
# Per step (#31): the unit packs, and the briefing per language: (city, sample) wall seconds.
PACKS_TARGET = (60, None)
BRIEFING_PER_LANGUAGE_TARGET = (10, None)


@dataclass
class Measure:
    stage: str
    wall_s: float
    cpu_s: float
    peak_mb: float
    rows: int
    rows_per_s: float
    target_s: float | None
    exit_code: int
    floor_ratio: float | None = None  # wall time / the floor's (ingest only)


def bench_workspace(root: Path) -> Workspace:
    return Workspace(
        raw=root / "raw", processed=root / "processed", output=root / "output", truth=root / "truth"
    )


def prepare(scenario: str, scale: float | None, seed: int, root: Path) -> tuple[Workspace, dict]:
    """Generate the scenario once; later runs reuse it (the marker file says it is complete).

    The generator runs in a child process: a large parent would otherwise hand its memory to
    every stage's process at fork time and inflate their peak-memory readings.
    """
    ws = bench_workspace(root)
    marker = root / "generated.json"
    if marker.is_file():
        return ws, json.loads(marker.read_text("utf-8"))
    root.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "synth",
        "--scenario",
        scenario,
        "--seed",
        str(seed),
        "--out",
        str(ws.raw),
        "--truth-dir",
        str(ws.truth),
    ]
    if scale:
        cmd += ["--scale", str(scale)]
    code, wall, cpu, peak = measure(cmd)
    if code != 0:
        raise RuntimeError(
            f"generating the {scenario} scenario failed (exit {code}): {' '.join(cmd)}"
        )
    info = {
        "scenario": scenario,
        "scale": scale,
        "seed": seed,
        "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_mb": round(peak, 1),
    }
    marker.write_text(json.dumps(info, indent=2), "utf-8")
    return ws, info


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[int, float, float, float]:
    """Run a command; returns (exit code, wall s, CPU s, peak RSS MB) of it and its children.

    The peak is the larger of the biggest single process (``ru_maxrss``) and the resident
    memory of the whole process tree sampled every quarter second: the runner and its kernel,
    or the generator's two workers, hold memory at the same time.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    sampler = TreeMemory(proc.pid)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    cpu = usage.ru_utime + usage.ru_stime
    return proc.returncode, wall, cpu, max(usage.ru_maxrss / 1024.0, sampler.peak_bytes / 2**20)


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and all its descendants (psutil)."""

    def __init__(self, root: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.peak_bytes = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak_bytes = max(self.peak_bytes, self.resident())
            self._done.wait(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def resident(self) -> int:
        try:
            root = psutil.Process(self.root)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0  # the process ended meanwhile
        total = 0
        for proc in tree:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total


def stage_rows(ws: Workspace, week: str, stage: str) -> int:
    """The rows a stage works through, for rows per second."""
    processed = ws.processed_week(week)
    try:
        if stage == "ingest":
            ledger = json.loads((processed / "ledger.json").read_text("utf-8"))
            files = ledger["files"] if isinstance(ledger, dict) and "files" in ledger else ledger
            return int(sum(f["rows_read"] for f in files))
        import pyarrow.parquet as pq

        tables = {
            "reconcile": ["vehicle_status", "licence_status", "submission_links"],
            "progress": ["vehicle_status", "licence_status"],
            "pdf": ["unit_progress"],
            "excel": ["vehicle_status", "licence_status"],
        }[stage]
        return int(
            sum(pq.ParquetFile(processed / f"{t}.parquet").metadata.num_rows for t in tables)
        )
    except (OSError, KeyError, ValueError, TypeError):
        return 0


def raw_overlay(raw: Path, week: str, dest: Path) -> Path:
    """A raw folder of symbolic links to ``raw`` in which the week's own submissions files are
    copies that differ in their bytes only (the records they hold are the same): a CSV.gz gets
    an empty gzip member appended, a CSV a blank last line, a Parquet file a metadata key.
    Registry and population stay byte-identical: a runner that reuses unchanged sources
    re-reads only the submissions (the usual week)."""
    if dest.exists():
        return dest
    staging = dest.with_name(dest.name + ".part")
    for path in sorted(raw.rglob("*")):
        target = staging / path.relative_to(raw)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        name = path.name.lower()
        if path.parent == raw / week and name.startswith("submissions."):
            if name.endswith(".csv.gz"):
                target.write_bytes(path.read_bytes() + gzip.compress(b"", mtime=0))
                continue
            if name.endswith(".csv"):
                target.write_bytes(path.read_bytes() + b"\n")
                continue
            if name.endswith(".parquet"):
                table = pq.read_table(path)
                meta = dict(table.schema.metadata or {}) | {b"bench": b"bytes changed"}
                pq.write_table(table.replace_schema_metadata(meta), target)
                continue
        target.symlink_to(path.resolve())
    staging.rename(dest)
    return dest


def _measure(
    name: str, cmd: list[str], target: float | None, env: dict[str, str] | None = None
) -> Measure:
    print(f"bench: {name} ...", flush=True)
    code, wall, cpu, peak = measure(cmd, env=env)
    return Measure(name, round(wall, 2), round(cpu, 2), round(peak, 1), 0, 0.0, target, code)


def _runner_env(ws: Workspace, raw: Path, output: Path) -> dict[str, str]:
    """The environment of ``make weekly-report`` pointed at the bench workspace."""
    return os.environ | {
        "CATP_RAW_DIR": str(raw),
        "CATP_PROCESSED_DIR": str(ws.processed),
        "CATP_OUTPUT_DIR": str(output),
        "CATP_TRUTH_DIR": str(ws.truth),
    }


def run_bench(
    scenario: str = "sample",
    *,
    scale: float | None = None,
    seed: int = 375,
    week: str = "",
    lang: str = "",
    root: Path | None = None,
    raw_dir: Path | None = None,
    out_dir: Path = BENCH_DIR,
    stages: tuple[str, ...] = STAGE_NAMES,
    runs: tuple[str, ...] = RUNS,
) -> dict:
    """Measure the floor, the cold run stage by stage, a warm and a nothing-changed run.

    ``raw_dir`` reads deliveries generated elsewhere (read only; nothing is generated);
    ``runs`` chooses among :data:`RUNS` (``cold`` is the stage-by-stage run of ``stages``).
    """
    # The city's figures are per language (its targets are); the sample's target is the week
    # in both languages, as the duty officer builds it.
    lang = lang or ("vi" if scenario == "city" else "vi en")
    tag = scenario + (f"-x{scale:g}" if scale else "")
    root = root or DATA_DIR / "bench" / tag
    if raw_dir is not None:
        ws = bench_workspace(root)
        ws = Workspace(
            raw=Path(raw_dir).resolve(), processed=ws.processed, output=ws.output, truth=ws.truth
        )
        generated: dict = {"raw": str(ws.raw)}
    else:
        ws, generated = prepare(scenario, scale, seed, root)
    deliveries = ws.deliveries()
    week = week or deliveries[-1]
    col = 0 if scenario == "city" else 1
    floor: Measure | None = None
    if "floor" in runs:
        cmd = [
            sys.executable,
            "-m",
            "measure.bench_floor",
            "--raw-dir",
            str(ws.raw),
            "--week",
            week,
            "--out",
            str(root / "floor"),
        ]
        floor = _measure("floor", cmd, None)
    measures: list[Measure] = []
    if "cold" in runs:  # nothing left to reuse: the bench's own processed tables and outputs
        for folder in (ws.processed, ws.output):
            shutil.rmtree(folder, ignore_errors=True)
    for stage, step in (s for s in STAGES if s[0] in stages and "cold" in runs):
        cmd = [
            sys.executable,
            "-m",
            "helpers.runner",
            "--week",
            week,
            "--lang",
            lang,
            "--raw-dir",
            str(ws.raw),
            "--processed-dir",
            str(ws.processed),
            # Each step gets its own output folder: the runner replaces a week's folder whole.
            "--output-dir",
            str(ws.output / stage),
            "--steps",
            step,
            "--force",  # a cold run: nothing reused from the bench's previous run
        ]
        m = _measure(stage, cmd, TARGETS[stage][col])
        m.rows = stage_rows(ws, week, stage) if m.exit_code == 0 else 0
        m.rows_per_s = round(m.rows / m.wall_s, 1) if m.wall_s else 0.0
        if stage == "ingest" and floor is not None and floor.wall_s and floor.exit_code == 0:
            m.floor_ratio = round(m.wall_s / floor.wall_s, 2)
        measures.append(m)
        if m.exit_code != 0:
            print(f"bench {tag}: {stage} failed (exit {m.exit_code}); later stages skipped")
            break
    if measures:
        measures.append(
            Measure(
                "total",
                round(sum(m.wall_s for m in measures), 2),
                round(sum(m.cpu_s for m in measures), 2),
                max((m.peak_mb for m in measures), default=0.0),
                0,
                0.0,
                TARGETS["total"][col],
                max((m.exit_code for m in measures), default=0),
            )
        )
    whole: list[Measure] = []
    ok = all(m.exit_code == 0 for m in measures)
    runner = [sys.executable, "-m", "helpers.runner", "--week", week, "--lang", lang]
    if ok and "whole" in runs:
        env = _runner_env(ws, ws.raw, ws.output / "whole")
        whole.append(_measure("whole", [*runner, "--force"], RUN_TARGETS["whole"][col], env))
    if ok and ({"warm", "unchanged"} & set(runs)):
        raw = raw_overlay(ws.raw, week, root / "raw-warm")
        env = _runner_env(ws, raw, ws.output / "whole")
        for run in ("warm", "unchanged"):
            if run in runs:
                whole.append(_measure(run, runner, RUN_TARGETS[run][col], env))
    earlier = deliveries[: deliveries.index(week)] if week in deliveries else []
    if ok and "usual" in runs and earlier:
        # A workspace of its own holding only the week before: this week's run reuses what
        # that week left (registry, population, last week's submissions), nothing of its own.
        usual = Workspace(
            raw=ws.raw,
            processed=root / "usual" / "processed",
            output=root / "usual" / "output",
            truth=ws.truth,
        )
        for folder in (usual.processed, usual.output):
            shutil.rmtree(folder, ignore_errors=True)
        env = _runner_env(usual, ws.raw, usual.output)
        previous = [sys.executable, "-m", "helpers.runner", "--week", earlier[-1], "--lang", lang]
        whole.append(_measure("previous", previous, RUN_TARGETS["previous"][col], env))
        if whole[-1].exit_code == 0:
            whole.append(_measure("usual", runner, RUN_TARGETS["usual"][col], env))
    result = {
        "scenario": scenario,
        "scale": scale,
        "week": week,
        "lang": lang,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "generation": {
            k: generated.get(k)
            for k in ("seconds", "cpu_seconds", "peak_mb", "scale", "seed", "raw")
            if k in generated
        },
        "floor": asdict(floor) if floor else None,
        "stages": [asdict(m) for m in measures],
        "runs": [asdict(m) for m in whole],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (out_dir / f"{tag}-{stamp}.json").write_text(json.dumps(result, indent=2), "utf-8")
    print(format_table(result))
    print(format_targets(result))
    return result


def format_table(result: dict) -> str:
    """The floor, the cold run stage by stage (ingest's ratio to the floor beside its time),
    then the warm and nothing-changed runs."""
    head = (
        f"{'run/stage':<10} {'wall s':>8} {'CPU s':>8} {'peak MB':>9} {'rows':>11} "
        f"{'rows/s':>10} {'x floor':>8} {'target s':>9}  ok"
    )
    lines = [
        f"scenario {result['scenario']} week {result['week']} ({result['cores']} cores, "
        f"load average {' '.join(str(x) for x in result.get('load_average', []))})",
        head,
    ]
    floor = [result["floor"]] if result.get("floor") else []
    for m in [*floor, *result["stages"], *result.get("runs", [])]:
        met = m["exit_code"] == 0 and (m["target_s"] is None or m["wall_s"] <= m["target_s"])
        if m.get("floor_ratio") is not None:
            met = met and m["floor_ratio"] <= FLOOR_TARGET
        ratio = f"{m['floor_ratio']:.2f}" if m.get("floor_ratio") is not None else ""
        lines.append(
            f"{m['stage']:<10} {m['wall_s']:>8.1f} {m['cpu_s']:>8.1f} {m['peak_mb']:>9.0f} "
            f"{m['rows']:>11,} {m['rows_per_s']:>10,.0f} {ratio:>8} {m['target_s'] or '':>9}"
            f"  {'yes' if met else 'NO'}"
        )
    return "\n".join(lines)


def _run(result: dict, name: str) -> dict | None:
    return next(
        (m for m in [*result["stages"], *result.get("runs", [])] if m["stage"] == name), None
    )


def target_rows(result: dict) -> list[tuple[str, str, str, bool | None]]:
    """The issue's targets (#31) with what this run measured: (what, measured, target, met);
    met is None when this run did not measure it or the scenario has no target for it."""
    col = 0 if result["scenario"] == "city" else 1
    languages = max(1, len(str(result.get("lang", "vi")).split()))
    rows: list[tuple[str, str, str, bool | None]] = []

    def row(what: str, m: dict | None, target: float | None, value: float | None = None) -> None:
        if m is None or m["exit_code"] != 0:
            rows.append((what, "not measured", f"<= {target:g} s" if target else "-", None))
            return
        wall = m["wall_s"] if value is None else value
        met = None if target is None else wall <= target
        rows.append((what, f"{wall:.1f} s", f"<= {target:g} s" if target else "-", met))

    usual = _run(result, "usual") or _run(result, "warm")
    label = "usual" if _run(result, "usual") else "warm (bytes only)"
    row(
        f"usual week, registry and population unchanged [{label}]", usual, RUN_TARGETS["usual"][col]
    )
    cold = _run(result, "whole") or _run(result, "total")
    row(
        f"cold week [{cold['stage'] if cold else 'whole'}], {result.get('lang')}",
        cold,
        RUN_TARGETS["whole"][col],
    )
    peaks = [m["peak_mb"] for m in result["stages"] if m["exit_code"] == 0]
    if _run(result, "whole"):
        peaks.append(_run(result, "whole")["peak_mb"])  # type: ignore[index]
    if peaks and col == 0:
        peak = max(peaks)
        rows.append(
            (
                "peak memory, cold week",
                f"{peak:,.0f} MB",
                f"<= {COLD_PEAK_TARGET_MB:,} MB",
                peak <= COLD_PEAK_TARGET_MB,
            )
        )
    row("unit packs (05_packs)", _run(result, "excel"), PACKS_TARGET[col])
    pdf = _run(result, "pdf")
    row(
        "briefing per language (04_briefing)",
        pdf,
        BRIEFING_PER_LANGUAGE_TARGET[col],
        pdf["wall_s"] / languages if pdf else None,
    )
    ingest = _run(result, "ingest")
    if ingest is not None and ingest.get("floor_ratio") is not None:
        ratio = ingest["floor_ratio"]
        rows.append(
            (
                "ingest against its floor",
                f"{ratio:.2f}x",
                f"<= {FLOOR_TARGET:g}x",
                ratio <= FLOOR_TARGET,
            )
        )
    else:
        rows.append(("ingest against its floor", "not measured", f"<= {FLOOR_TARGET:g}x", None))
    row("nothing changed", _run(result, "unchanged"), RUN_TARGETS["unchanged"][col])
    return rows


def format_targets(result: dict) -> str:
    """The issue's targets table, measured by this run."""
    rows = target_rows(result)
    width = max(len(r[0]) for r in rows)
    lines = [f"targets ({result['scenario']}, week {result['week']})"]
    for what, measured, target, met in rows:
        ok = "" if met is None else ("yes" if met else "NO")
        lines.append(f"{what:<{width}}  {measured:>14}  {target:>12}  {ok}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m measure.bench", description="Time every stage of the weekly report."
    )
    parser.add_argument("--scenario", default="sample", choices=["sample", "city"])
    parser.add_argument("--scale", type=float, default=None, help="reduce the city (e.g. 0.1)")
    parser.add_argument("--seed", type=int, default=375)
    parser.add_argument("--week", default="")
    parser.add_argument(
        "--lang",
        default="",
        help="report language(s) (default: vi for the city, 'vi en' for the sample)",
    )
    parser.add_argument(
        "--raw-dir",
        default=os.environ.get("CATP_RAW_DIR", ""),
        help="read deliveries generated elsewhere (read only; nothing generated); default "
        "$CATP_RAW_DIR, else the scenario generated under data/bench/",
    )
    parser.add_argument("--root", default="", help="bench folder for processed tables and outputs")
    parser.add_argument(
        "--runs",
        default=",".join(RUNS),
        help=f"comma-separated subset of {', '.join(RUNS)} (default: all)",
    )
    parser.add_argument(
        "--stages",
        default="",
        help="comma-separated subset, e.g. excel (default: every stage; a "
        "stage reads what the earlier ones left in the bench folder)",
    )
    args = parser.parse_args(argv)
    names = tuple(s.strip() for s in args.stages.split(",") if s.strip()) or tuple(
        name for name, _ in STAGES
    )
    unknown = sorted(set(names) - {name for name, _ in STAGES})
    if unknown:
        parser.error(
            f"unknown stage(s) {', '.join(unknown)}; expected "
            f"{', '.join(name for name, _ in STAGES)}"
        )
    runs = tuple(r.strip() for r in args.runs.split(",") if r.strip())
    if unknown := sorted(set(runs) - set(RUNS)):
        parser.error(f"unknown run(s) {', '.join(unknown)}; expected {', '.join(RUNS)}")
    result = run_bench(
        args.scenario,
        scale=args.scale,
        seed=args.seed,
        week=args.week,
        lang=args.lang,
        root=Path(args.root) if args.root else None,
        raw_dir=Path(args.raw_dir) if args.raw_dir else None,
        stages=names,
        runs=runs,
    )
    measured = [*result["stages"], *result["runs"], *([result["floor"]] if result["floor"] else [])]
    return 0 if all(m["exit_code"] == 0 for m in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
