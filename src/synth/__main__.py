"""Command line: ``python -m synth --scenario sample|city --out data/raw``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from helpers.paths import WEEK_PATTERN


def main(argv: list[str] | None = None) -> int:
    import synth

    ap = argparse.ArgumentParser(prog="python -m synth", description=__doc__)
    ap.add_argument("--scenario", choices=synth.SCENARIOS, default="sample")
    ap.add_argument(
        "--out", default=None, help="raw deliveries folder (default: the workspace's data/raw)"
    )
    ap.add_argument("--seed", type=int, default=375)
    ap.add_argument(
        "--truth-dir", default=None, help="ground-truth folder (default: <out>/../synthetic-truth)"
    )
    ap.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="city only: shrink the city (e.g. 0.05) for quick runs",
    )
    ap.add_argument(
        "--slices",
        type=int,
        default=None,
        help="city only: slices to generate apart (default: one per ~700,000 "
        "vehicle records, a multiple of the workers)",
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes generating slices at a time (the output is the same)",
    )
    ap.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing when the out folder already holds a delivery",
    )
    args = ap.parse_args(argv)

    from helpers.paths import workspace

    out = Path(args.out) if args.out else workspace().raw
    if (
        args.if_empty
        and out.is_dir()
        and any(p.is_dir() and WEEK_PATTERN.match(p.name) for p in out.iterdir())
    ):
        print(f"{out} already holds deliveries; nothing generated (remove them to regenerate)")
        return 0
    if args.scenario == "sample" and (args.scale != 1.0 or args.slices not in (None, 1)):
        ap.error("--scale and --slices apply to the city scenario only")
    if (args.slices is not None and args.slices < 1) or args.workers < 1:
        ap.error("--slices and --workers must be at least 1")
    summary = synth.generate(
        out,
        scenario=args.scenario,
        seed=args.seed,
        truth_dir=args.truth_dir,
        scale=args.scale,
        slices=args.slices,
        workers=args.workers,
    )
    c = summary["counts"]
    print(f"{summary['scenario']} campaign (seed {summary['seed']}) written to {out}")
    print(f"  truth: {summary['truth_dir']}")
    print(
        f"  {c['units']} units, {c['people']:,} people, {c['vehicle_records']:,} vehicle "
        f"records, {c['submission_rows_total']:,} submission rows, {c['faults']:,} faults, "
        f"{c['files']} files"
    )
    print("  calibration: " + json.dumps(summary["calibration_targets"]))
    print(
        f"  time {summary['total_s']:.1f} s ({summary['slices']} slice(s)) "
        + json.dumps(summary["timings_s"])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
