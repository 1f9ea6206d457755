"""``make collect-reports FROM=<folder> [WEEK=YYYY-MM-DD]``: the returned reports from the
saved mail into the deliveries; exit 2 (one line naming the file) when it cannot go on."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from helpers import PipelineError
from helpers.collect.run import collect, summary
from helpers.paths import CONTACTS_FILE, workspace


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.collect",
        description="Put the reports units returned by mail into the delivery folders.",
    )
    parser.add_argument(
        "--from", dest="source", default="", help="folder of saved .eml files, or a maildir"
    )
    parser.add_argument(
        "--week",
        default="",
        help="the delivery (YYYY-MM-DD) a unit's own workbook goes to; issued forms name theirs",
    )
    parser.add_argument("--raw-dir", default="", help="deliveries folder (default: data/raw)")
    parser.add_argument("--contacts", default=str(CONTACTS_FILE), help="the unit address book")
    args = parser.parse_args(argv)
    if not args.source.strip():
        print("ERROR: name the folder of saved messages: make collect-reports FROM=<folder>",
              file=sys.stderr)  # fmt: skip
        return 2
    raw = workspace(raw_dir=args.raw_dir).raw
    try:
        report = collect(raw, Path(args.source), week=args.week, contacts_path=args.contacts)
    except PipelineError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    for line in report.lines:
        print(line)
    print(summary(report, raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
