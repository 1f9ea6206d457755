"""Resident memory and CPU of one source's ingest, phase by phase (profiling aid).

    python tools/ingest_memory.py registry_vehicles --raw-dir data/bench/city/raw \\
        --week 2025-12-21 --work /tmp/ingest-memory

Runs ``ingest_source`` for that source alone in this process and prints, at each phase
boundary (read, combine, validate and its steps, write), the resident memory then and the
peak since the previous mark (a psutil sampler every 50 ms). Writes only under ``--work``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

import psutil

import helpers.ingest  # noqa: F401 (loads the package's modules)
import helpers.normalize as nz
from helpers.ingest.sources import locate_sources
from helpers.paths import Workspace

week_mod = sys.modules["helpers.ingest.week"]
validate_mod = sys.modules["helpers.ingest.validate"]
PHASES = [
    (week_mod, "read_file"),
    (week_mod, "combine"),
    (week_mod, "validate"),
    (week_mod, "write_table"),
    (validate_mod, "_required"),
    (validate_mod, "_duplicates"),
    (validate_mod, "_repeats"),
    (validate_mod, "_dates"),
    (validate_mod, "_unit"),
    (validate_mod, "_enum"),
    (nz, "plate_series"),
    (nz, "id_series"),
    (nz, "names_series"),
    (nz, "alnum_key_series"),
]


class Marks:
    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss
        self.t0 = time.perf_counter()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.05)

    def mark(self, name: str) -> None:
        rss = self.proc.memory_info().rss
        print(
            f"{time.perf_counter() - self.t0:7.1f} s  {name:<28} rss {rss >> 20:>6} MB  "
            f"peak since last {max(self.peak, rss) >> 20:>6} MB",
            flush=True,
        )
        self.peak = rss


def wrap(marks: Marks, module, name: str) -> None:
    inner = getattr(module, name)

    def traced(*args, **kwargs):
        marks.mark(f"before {name}")
        result = inner(*args, **kwargs)
        marks.mark(f"after {name}")
        return result

    setattr(module, name, traced)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("--raw-dir", required=True)
    parser.add_argument("--week", required=True)
    parser.add_argument("--work", default="/tmp/ingest-memory")
    args = parser.parse_args()
    work = Path(args.work)
    ws = Workspace(
        raw=Path(args.raw_dir), processed=work / "p", output=work / "o", truth=work / "t"
    )
    where = locate_sources(ws, args.week)[args.source]
    (work / "staging").mkdir(parents=True, exist_ok=True)
    marks = Marks()
    for module, name in PHASES:
        wrap(marks, module, name)
    cpu = psutil.Process().cpu_times()
    week_mod.ingest_source(ws, args.source, where, work / "staging")
    marks.mark("end")
    end = psutil.Process().cpu_times()
    print(
        f"CPU user {end.user - cpu.user:.1f} s, sys {end.system - cpu.system:.1f} s; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
