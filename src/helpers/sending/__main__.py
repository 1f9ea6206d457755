"""``make send-packs``: e-mail each unit its pack; exit 1 when a unit failed (listed)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from helpers import ConfigError, PipelineError
from helpers.paths import is_week, workspace
from helpers.sending.send import send_packs, summary
from helpers.store import resolve_week


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.sending", description="Send each unit its own pack by e-mail."
    )
    parser.add_argument("--week", default="", help="YYYY-MM-DD (default: newest delivery)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=_flag("DRY_RUN"),
        help="write .eml files to reports/output/<week>/outbox/, send nothing",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        default=_flag("FORCE"),
        help="send to every unit again, also those already sent",
    )
    parser.add_argument(
        "--units",
        default="",
        help="only these units (codes or names, separated by commas or spaces; make UNIT=)",
    )
    parser.add_argument("--output-dir", default="")
    args = parser.parse_args(argv)
    ws = workspace(output_dir=args.output_dir)
    try:
        # a week named is the week whose packs were built; none: the newest delivery's
        if args.week and not is_week(args.week):
            raise ConfigError(f"WEEK must be a date YYYY-MM-DD, found {args.week!r}")
        week = args.week or resolve_week(ws, "")
        from helpers.packs.protect import unit_codes

        units = unit_codes([args.units]) if args.units.strip() else None
        report = send_packs(ws, week, dry_run=args.dry_run, force=args.force, units=units)
    except PipelineError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(summary(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
