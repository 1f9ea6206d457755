"""Time the Excel packs alone, on a processed week or on that week scaled up to city size.

    python tools/bench_packs.py --processed-dir data/processed --week 2025-11-23
    python tools/bench_packs.py --processed-dir data/processed --week 2025-11-23 --copies 142 \\
        --work /tmp/packs-city

``--copies K`` writes a workspace whose record-level tables (vehicle_status, licence_status,
submissions, submission_links) hold every record K times under new IDs, plates, people and
households of the same unit (the sample is 1/142 of the city), and whose per-unit tables are the
original ones. Prints wall and CPU seconds per phase (the workers' CPU summed) and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from dataclasses import replace
from pathlib import Path

from helpers import packs, store
from helpers.config import load_plan
from helpers.paths import Workspace, workspace

RECORD_TABLES = ("vehicle_status", "licence_status", "submissions", "submission_links")


def scale_up(source: Workspace, week: str, copies: int, root: Path) -> Workspace:
    target = Workspace(
        raw=root / "raw", processed=root / "processed", output=root / "output", truth=root / "truth"
    )
    src, dst = source.processed_week(week), target.processed_week(week)
    dst.mkdir(parents=True, exist_ok=True)
    (target.raw / week).mkdir(parents=True, exist_ok=True)
    replace = {
        "vehicle_status": "record_id || '-' || i AS record_id, plate || '/' || i AS plate, "
        "owner_id || lpad(CAST(i AS VARCHAR), 3, '0') AS owner_id, "
        "owner_address || ', khu ' || i AS owner_address, "
        "submission_id || '-' || i AS submission_id",
        "licence_status": "record_id || '-' || i AS record_id, licence_no || '/' || i AS licence_no, "
        "holder_id || lpad(CAST(i AS VARCHAR), 3, '0') AS holder_id, "
        "submission_id || '-' || i AS submission_id",
        "submissions": "submission_id || '-' || i AS submission_id",
        "submission_links": "submission_id || '-' || i AS submission_id, "
        "record_id || '-' || i AS record_id",
    }
    con = store.duckdb_connect(memory_limit="4GB")
    try:
        for name in RECORD_TABLES:
            con.execute(
                f"COPY (SELECT * REPLACE ({replace[name]}) FROM read_parquet(?), range({copies}) r(i)) "
                f"TO '{dst / (name + '.parquet')}' (FORMAT parquet)",
                [str(src / f"{name}.parquet")],
            )
    finally:
        con.close()
    for path in src.iterdir():
        if path.is_file() and not (dst / path.name).exists():
            shutil.copy(path, dst / path.name)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed-dir", default="")
    parser.add_argument("--raw-dir", default="")
    parser.add_argument("--week", required=True)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--work", default="/tmp/packs-bench")
    parser.add_argument("--lang", default="vi")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--plain",
        action="store_true",
        help="unit packs without passwords (unit_packs.encrypt: false)",
    )
    args = parser.parse_args()
    plan = load_plan()
    plan = replace(plan, unit_packs={**plan.unit_packs, "encrypt": not args.plain})
    ws = workspace(args.raw_dir, args.processed_dir)
    work = Path(args.work)
    if args.copies > 1:
        t = time.perf_counter()
        ws = scale_up(ws, args.week, args.copies, work)
        print(f"scaled up x{args.copies} in {time.perf_counter() - t:.0f} s")
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    t, cpu = time.perf_counter(), time.process_time()
    result = packs.build_packs(ws, args.week, out, args.lang, workers=args.workers, plan=plan)
    wall = time.perf_counter() - t
    print(packs.overview(result).to_string())
    print("phases (wall s):", result.seconds)
    units = result.units
    print(
        f"total wall {wall:.1f} s; main CPU {time.process_time() - cpu:.1f} s; "
        f"workers' CPU {units['cpu_s'].sum():.1f} s (per unit mean {units['cpu_s'].mean():.2f}, "
        f"max {units['cpu_s'].max():.2f}); rows {int(units.filter(like='rows_').sum().sum()):,}"
    )
    print(
        f"peak RSS: main {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
        f"largest worker {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
