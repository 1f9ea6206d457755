"""The collection log, ``<raw>/collect-log.csv``: one row per attachment (and per message that
could not be read) that ``make collect-reports`` has seen, what it did with it and why.

It sits beside the delivery folders, not in one (ingest names every file of a delivery that no
source reads), and is rewritten whole, atomically, when a run changes anything: a later send
turns an earlier ``taken`` row into ``older_repeat``. Its rows are also how a rerun knows what
it has already collected (the message's key, the attachment's name and SHA-256).
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path

from helpers import DeliveryError

LOG_NAME = "collect-log.csv"
# older repeats are kept here, outside every delivery (a hidden folder: never a delivery, never
# named by ingest), so ingest cannot read a unit's form twice
OLDER_DIR = ".collect-older"

COLUMNS: tuple[str, ...] = (
    "seq",  # the order the attachments were seen in, across runs: the tie-break of one Date
    "collected_at",  # when the run that first saw it ran (UTC)
    "message_file",  # the saved message, relative to the folder given (FROM)
    "sender",  # the From address
    "date",  # the message's Date (ISO 8601), or the header as written when unreadable
    "message_id",
    "attachment",  # the file name the sender gave
    "sha256",  # of the attachment's bytes
    "unit_code",
    "unit_from",  # form (its hidden identity) | address_book (the sender) | "" (unknown)
    "form",  # unit_daily | org_review | own (a workbook of the unit's own) | ""
    "version",
    "first_day",
    "last_day",
    "delivery",  # the delivery folder (YYYY-MM-DD) it belongs in
    "file",  # where it is now, relative to the raw folder ("" when not kept)
    "action",  # taken | older_repeat | duplicate | refused
    "reason",  # why (for everything but a plain taken)
    "warning",  # what a duty officer should check (a form from another unit's address)
)
ACTIONS: tuple[str, ...] = ("taken", "older_repeat", "duplicate", "refused")
KEPT: tuple[str, ...] = ("taken", "older_repeat")  # the rows whose file is on disk

Row = dict[str, str]


def log_path(raw: Path) -> Path:
    return raw / LOG_NAME


def read_log(raw: Path) -> list[Row]:
    """The rows of earlier runs, oldest first; a log of another shape stops the run."""
    path = log_path(raw)
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise DeliveryError(
                f"{path}: not a collection log of this suite (missing column(s) "
                f"{', '.join(missing)}); move it away, then run again"
            )
        rows = [{c: (r.get(c) or "") for c in COLUMNS} for r in reader]
    for n, row in enumerate(rows, start=2):
        if not row["seq"].isdigit() or row["action"] not in ACTIONS:
            raise DeliveryError(
                f"{path}, line {n}: seq {row['seq']!r} / action {row['action']!r} unreadable "
                f"(expected a whole number and one of {', '.join(ACTIONS)})"
            )
    return rows


def write_log(raw: Path, rows: list[Row]) -> Path:
    """All rows, written to a hidden file first and then renamed over the log."""
    path = log_path(raw)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    part = path.with_name(f".{path.name}.part")
    path.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig: Excel opens the Vietnamese names right
    part.write_text(buf.getvalue(), encoding="utf-8-sig", newline="")
    os.replace(part, path)
    return path


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
