"""``make forms``: write every unit's forms for the period after the week's conference."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from helpers import PipelineError, i18n
from helpers.forms.issue import issue_forms
from helpers.paths import workspace


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.forms",
        description="Write each unit's daily report form and organisations' review form.",
    )
    parser.add_argument("--week", default="", help="YYYY-MM-DD (default: newest delivery)")
    parser.add_argument(
        "--lang", default="en", help="language of this message (en, as the whole console; or vi)"
    )
    parser.add_argument(
        "--send", action="store_true", help="e-mail each unit its forms (make send-forms)"
    )
    parser.add_argument("--dry-run", action="store_true", help="with --send: .eml files only")
    parser.add_argument("--force", action="store_true", help="with --send: send to all again")
    parser.add_argument("--units", default="", help="with --send: only these units (make UNIT=)")
    parser.add_argument("--output-dir", default="")
    args = parser.parse_args(argv)
    ws = workspace(output_dir=args.output_dir)
    try:
        lang = i18n.check_lang(args.lang)
        if args.send:
            return _send(ws, args)
        done = issue_forms(ws, args.week)
    except PipelineError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    p = done.period
    print(
        i18n.t(
            "forms.made",
            lang,
            n=i18n.fmt_int(sum(len(f) for f in done.files.values()), lang),
            units=i18n.fmt_int(len(done.files), lang),
            first=i18n.fmt_date(p.first_day, lang),
            last=i18n.fmt_date(p.last_day, lang),
            due=i18n.fmt_date(p.due, lang),
            folder=done.folder,
        )
    )
    return 0


def _send(ws, args: argparse.Namespace) -> int:
    from helpers.forms.send import send_forms
    from helpers.packs.protect import unit_codes
    from helpers.sending.send import summary
    from helpers.store import resolve_week

    week = resolve_week(ws, args.week)
    units = unit_codes([args.units]) if args.units.strip() else None
    report = send_forms(ws, week, dry_run=args.dry_run, force=args.force, units=units)
    print(summary(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
