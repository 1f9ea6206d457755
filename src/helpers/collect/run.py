"""``make collect-reports``: the attachments of the saved messages into the delivery folders.

Three steps, the middle one pure: :func:`classify` says what each new attachment is (an issued
form, a unit's own workbook, something refused) and where it would go; :func:`decide` settles
duplicates and repeated sends against the log of earlier runs (the newest send of one unit's
form for one period is kept, by the message's Date then the order seen); :func:`apply` checks
the disk first (never overwriting a file it did not put there) and only then moves, writes and
rewrites the log. A rerun on the same mail finds every attachment in the log and changes
nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path, PurePosixPath

from helpers import ConfigError, DeliveryError, StorageError
from helpers.collect.log import KEPT, OLDER_DIR, Row, log_path, now_text, read_log, write_log
from helpers.collect.mail import Attachment, Message, Unreadable, message_files, read_message
from helpers.forms import FormError, identify
from helpers.forms.identity import FormIdentity
from helpers.paths import CONTACTS_FILE, is_week
from helpers.sending.contacts import Contact, load_contacts

OWN = "own"  # the form column of a workbook of the unit's own (not an issued form)
OWN_SUBFOLDER = "unit_reports"  # where ingest reads the units' own workbooks
# the formats a unit may send its own report in that ingest reads from unit_reports/
OWN_SUFFIXES: tuple[str, ...] = (".xlsx", ".csv")
# workbooks in formats ingest does not read: refused with the fix (save as .xlsx)
OTHER_WORKBOOKS: tuple[str, ...] = (".xls", ".xlsm", ".xlsb", ".ods")


@dataclass
class Report:
    """What a run did: the console lines in order, the counts, the log written (if any)."""

    lines: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    messages: int = 0
    already: int = 0  # attachments (and unreadable messages) an earlier run logged
    log: Path | None = None

    @property
    def changed(self) -> bool:
        return self.log is not None


@dataclass(frozen=True)
class Op:
    """One file operation: write an attachment's bytes to ``target`` (``origin`` is its seq),
    or move a file collected earlier from ``origin`` to ``target``."""

    kind: str  # "write" | "move"
    target: str  # relative to the raw folder
    origin: str
    sha256: str


# ---------------------------------------------------------------- what each attachment is


def address_book(contacts: dict[str, Contact]) -> dict[str, set[str]]:
    """Address (lower-case) -> the units whose row lists it."""
    book: dict[str, set[str]] = {}
    for code, contact in contacts.items():
        for address in contact.recipients:
            book.setdefault(address.lower(), set()).add(code)
    return book


def _base_row(msg: Message, seq: int, when: str) -> Row:
    return {
        "seq": str(seq),
        "collected_at": when,
        "message_file": msg.file,
        "sender": msg.sender,
        "date": msg.date.isoformat() if msg.date else msg.date_text,
        "message_id": msg.message_id,
    }


def _sender_warning(sender: str, unit: str, contacts: dict[str, Contact], book: dict) -> str:
    known = contacts.get(unit)
    if known and sender in {a.lower() for a in known.recipients}:
        return ""
    owners = sorted(book.get(sender, ()))
    whose = f" (the address of unit {', '.join(owners)})" if owners else ""
    listed = ", ".join(known.recipients) if known else "none"
    return (
        f"the form of unit {unit} was sent from {sender}{whose}, not that unit's address in "
        f"the address book ({listed})"
    )


def form_target(identity: FormIdentity) -> str:
    """Where an issued form is collected to, relative to the raw folder."""
    name = f"{identity.unit_code}_{identity.form}_{identity.first_day.isoformat()}.xlsx"
    return f"{identity.due.isoformat()}/{identity.subfolder}/{name}"


def own_target(week: str, unit: str, suffix: str = ".xlsx") -> str:
    """Where a unit's own workbook (sent by a known address) is collected to."""
    return f"{week}/{OWN_SUBFOLDER}/{unit}_own-workbook{suffix}"


def classify(
    msg: Message,
    att: Attachment,
    seq: int,
    when: str,
    *,
    week: str,
    contacts: dict[str, Contact],
    book: dict[str, set[str]],
    scratch: Path,
) -> Row:
    """The log row of a new attachment: ``action`` refused (with the reason) or empty (to be
    decided), its unit, form, period, delivery, and in ``file`` where it goes if kept."""
    row = _base_row(msg, seq, when) | {"attachment": att.name, "sha256": att.sha256}
    row |= dict.fromkeys(
        ("unit_code", "unit_from", "form", "version", "first_day", "last_day", "delivery"), ""
    )
    row |= {"file": "", "action": "", "reason": "", "warning": ""}
    suffix = att.suffix
    if suffix in OTHER_WORKBOOKS:
        return row | {
            "action": "refused",
            "reason": f"a {suffix} workbook, which the suite does not read: the unit saves it "
            "as .xlsx and sends it again",
        }
    if suffix not in OWN_SUFFIXES:
        return row | {
            "action": "refused",
            "reason": "not a report (the suite collects .xlsx workbooks and .csv files)",
        }
    identity = None
    if suffix == ".xlsx":
        if not zipfile.is_zipfile(BytesIO(att.content)):
            return row | {
                "action": "refused",
                "reason": "not a readable .xlsx workbook (damaged, or another file renamed)",
            }
        # identify() reads a file: a name of ours (the sender's may be '..' or too long)
        path = scratch / f"{seq}.xlsx"
        path.write_bytes(att.content)
        try:
            identity = identify(path)
        except FormError as exc:
            said = str(exc).replace(path.name, att.name, 1)
            return row | {"action": "refused", "reason": f"a damaged issued form: {said}"}
    if identity is not None:
        unit = identity.unit_code
        return row | {
            "unit_code": unit,
            "unit_from": "form",
            "form": identity.form,
            "version": str(identity.version),
            "first_day": identity.first_day.isoformat(),
            "last_day": identity.last_day.isoformat(),
            "delivery": identity.due.isoformat(),
            "file": form_target(identity),
            "warning": _sender_warning(msg.sender, unit, contacts, book),
        }
    owners = book.get(msg.sender, set())
    unit = next(iter(owners)) if len(owners) == 1 else ""
    name = f"unknown-sender_{att.sha256[:12]}{suffix}"
    return row | {
        "unit_code": unit,
        "unit_from": "address_book" if unit else "",
        "form": OWN,
        "delivery": week,
        "file": (own_target(week, unit, suffix) if unit else f"{week}/{OWN_SUBFOLDER}/{name}")
        if week
        else "",
        "warning": ""
        if unit
        else f"a unit's own workbook sent from {msg.sender}, an address "
        + ("of several units" if owners else "not in the address book")
        + ": its unit is the one the workbook names",
    }


def _unreadable_row(bad: Unreadable, seq: int, when: str) -> Row:
    row: Row = dict.fromkeys(
        ("sender", "date", "message_id", "attachment", "unit_code", "unit_from", "form"), ""
    )
    row |= dict.fromkeys(("version", "first_day", "last_day", "delivery", "file", "warning"), "")
    return row | {
        "seq": str(seq),
        "collected_at": when,
        "message_file": bad.file,
        "sha256": bad.sha256,
        "action": "refused",
        "reason": f"unreadable message: {bad.reason}",
    }


# ---------------------------------------------------------------- repeats and duplicates


def _group(row: Row) -> tuple[str, ...]:
    """One unit's form for one period (or its own workbook for one delivery): the sends that
    repeat each other. A workbook whose unit is unknown repeats nothing."""
    unit = row["unit_code"] or f"sha256:{row['sha256']}"
    return (row["delivery"], row["form"], unit, row["first_day"], row["last_day"])


def _when(row: Row) -> tuple[datetime, int]:
    try:
        date = datetime.fromisoformat(row["date"])
    except ValueError:
        date = datetime.min.replace(tzinfo=UTC)  # no readable Date: older than any dated send
    return (date if date.tzinfo else date.replace(tzinfo=UTC), int(row["seq"]))


def _older_path(row: Row) -> str:
    where = PurePosixPath(row["file"])
    return f"{OLDER_DIR}/{where.parent}/{row['sha256'][:12]}_{where.name}"


def decide(old: list[Row], new: list[Row]) -> tuple[list[Row], list[Op]]:
    """Every row after this run (earlier rows first, changed where a newer send replaced them)
    and the file operations that make the disk agree. Pure: the inputs are not changed."""
    rows = [dict(r) for r in old]
    fresh = [dict(r) for r in new]
    by_sha = {r["sha256"]: r for r in rows if r["action"] in KEPT}
    groups: dict[tuple[str, ...], list[Row]] = {}
    for r in rows:
        if r["action"] in KEPT:
            groups.setdefault(_group(r), []).append(r)
    touched: dict[tuple[str, ...], None] = {}
    for r in fresh:
        if r["action"]:
            continue  # refused
        twin = by_sha.get(r["sha256"])
        if twin is not None:
            r["action"], r["file"] = "duplicate", ""
            r["reason"] = (
                f"byte-identical to {twin['attachment']} of {twin['message_file']} "
                f"({twin['action'].replace('_', ' ')})"
            )
            continue
        by_sha[r["sha256"]] = r
        groups.setdefault(_group(r), []).append(r)
        touched[_group(r)] = None
    ops: list[Op] = []
    for key in touched:
        members = groups[key]
        newest = max(members, key=_when)
        reason = (
            f"older than {newest['attachment']} of {newest['message_file']} "
            f"(Date {newest['date'] or 'none'}), which is kept"
        )
        for m in members:
            if m is newest:
                if not m["action"]:
                    m["action"] = "taken"
                    ops.append(Op("write", m["file"], m["seq"], m["sha256"]))
                continue
            if not m["action"]:  # new and older: kept aside, never where ingest reads
                m["action"], m["reason"], m["file"] = "older_repeat", reason, _older_path(m)
                ops.append(Op("write", m["file"], m["seq"], m["sha256"]))
            elif m["action"] == "taken":  # collected earlier, now replaced by a newer send
                aside = _older_path(m)
                ops.append(Op("move", aside, m["file"], m["sha256"]))
                m["action"], m["reason"], m["file"] = "older_repeat", reason, aside
    return rows + fresh, ops


# ---------------------------------------------------------------- the disk


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_disk(raw: Path, ops: list[Op]) -> tuple[list[Op], list[str]]:
    """The operations still needed, and notes on what was found (a file removed by hand).
    Raises DeliveryError, before anything changed, for a file in the way that collect-reports
    did not put there, or one it put there that was changed since."""
    freed = {op.origin for op in ops if op.kind == "move"}
    needed: list[Op] = []
    notes: list[str] = []
    for op in ops:
        if op.kind == "move":
            source = raw / op.origin
            if not source.is_file():
                notes.append(f"{op.origin} (collected earlier) is no longer in the delivery")
                continue
            if _sha(source) != op.sha256:
                raise DeliveryError(
                    f"{source}: changed since collect-reports put it there, and a newer send "
                    "replaces it: move it out of the delivery, then run again (nothing was "
                    "collected)"
                )
        target = raw / op.target
        if target.exists() and op.target not in freed:
            if target.is_file() and _sha(target) == op.sha256:
                continue  # already there, byte for byte
            raise DeliveryError(
                f"{target}: already in the delivery with other content, not put there by "
                "collect-reports: move it out of the delivery (or compare it with the mail), "
                "then run again (nothing was collected)"
            )
        needed.append(op)
    return needed, notes


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")  # hidden: ingest never reads a half-written file
    part.write_bytes(data)
    os.replace(part, path)


def apply(raw: Path, ops: Iterable[Op], contents: dict[str, bytes]) -> None:
    """Moves first (a newer send may take the very name an older one had), then writes."""
    ordered = sorted(ops, key=lambda op: op.kind != "move")
    for op in ordered:
        target = raw / op.target
        try:
            if op.kind == "move":
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(raw / op.origin, target)
            else:
                _write(target, contents[op.origin])
        except OSError as exc:
            raise StorageError(
                f"{target}: cannot be written ({exc.strerror or exc}); the raw folder must be "
                "writable by collect-reports"
            ) from exc


# ---------------------------------------------------------------- the run


def _said(row: Row) -> str:
    what = f"{row['message_file']} {row['attachment']}".strip()
    unit = " ".join(
        v
        for v in (
            row["unit_code"] or "unit unknown",
            row["form"],
            f"{row['first_day']}..{row['last_day']}" if row["first_day"] else "",
        )
        if v
    )
    action = row["action"]
    if action == "taken":
        return f"taken: {what} ({unit}) from {row['sender']} -> {row['file']}"
    if action == "older_repeat":
        return f"older repeat: {what} ({unit}): {row['reason']}; kept aside in {row['file']}"
    if action == "duplicate":
        return f"duplicate: {what} ({unit}): {row['reason']}; not kept again"
    if not row["attachment"]:
        return f"refused: {row['message_file']}: {row['reason']}"
    return f"refused: {what}: {row['reason']}"


def _seen_key(row: Row) -> tuple[str, str, str]:
    return (row["message_id"] or row["message_file"], row["attachment"], row["sha256"])


def collect(
    raw: Path,
    source: Path,
    *,
    week: str = "",
    contacts_path: Path | str = CONTACTS_FILE,
    now: str = "",
) -> Report:
    """Collect the attachments of the messages saved in ``source`` into the deliveries under
    ``raw``; see the module's docstring. Raises a PipelineError (one line naming the file)
    when it cannot go on; nothing is changed then. ``now`` (ISO UTC) stamps the log's
    ``collected_at`` instead of the clock (the generator's sample stays byte-identical)."""
    if week and not is_week(week):
        raise ConfigError(f"WEEK must be a date YYYY-MM-DD, found {week!r}")
    if not source.is_dir():
        raise DeliveryError(f"{source}: no such folder (FROM names the folder of saved messages)")
    files, others = message_files(source)
    if not files:
        raise DeliveryError(
            f"{source}: no saved messages (expected .eml files, or a maildir's cur/ and new/)"
        )
    contacts = load_contacts(Path(contacts_path))
    book = address_book(contacts)
    old = read_log(raw)
    seen = {_seen_key(r) for r in old}
    report = Report(messages=len(files))
    report.lines += [f"skipped: {p.name}: not a saved message (.eml expected)" for p in others]
    seq = max((int(r["seq"]) for r in old), default=0)
    when = now or now_text()
    new: list[Row] = []
    contents: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="collect-") as scratch:
        for path in files:
            msg = read_message(path, path.relative_to(source).as_posix())
            if isinstance(msg, Unreadable):
                row = _unreadable_row(msg, seq + 1, when)
                if _seen_key(row) in seen:
                    report.already += 1
                else:
                    seq += 1
                    new.append(row)
                continue
            if not msg.attachments:
                report.lines.append(f"no attachment: {msg.file} from {msg.sender}")
            for att in msg.attachments:
                key = (msg.message_id or msg.file, att.name, att.sha256)
                if key in seen:
                    report.already += 1
                    continue
                seq += 1
                seen.add(key)
                row = classify(
                    msg, att, seq, when, week=week, contacts=contacts, book=book,
                    scratch=Path(scratch),
                )  # fmt: skip
                contents[row["seq"]] = att.content
                new.append(row)
    own = [r for r in new if r["form"] == OWN and not r["delivery"]]
    if own:
        raise ConfigError(
            f"{own[0]['message_file']}: {own[0]['attachment']} is not an issued form (a "
            f"workbook of the unit's own; {len(own)} such attachment(s)): name the delivery "
            "it belongs in with WEEK=YYYY-MM-DD"
        )
    rows, ops = decide(old, new)
    needed, notes = check_disk(raw, ops)
    report.lines += notes
    changed_before = [r for r, o in zip(rows, old, strict=False) if r != o]
    for r, o in zip(rows, old, strict=False):
        if r != o:
            report.lines.append(
                f"older repeat: {o['file']} (collected from {o['message_file']}): "
                f"{r['reason']}; moved aside to {r['file']}"
            )
    for row in rows[len(old) :]:
        report.lines.append(_said(row))
        report.counts[row["action"]] += 1
        if row["warning"]:
            report.counts["warning"] += 1
            report.lines.append(
                f"WARNING: {row['message_file']} {row['attachment']}: {row['warning']}"
            )
    report.counts["older_repeat"] += len(changed_before)
    if new:
        apply(raw, needed, contents)
        report.log = write_log(raw, rows)
    return report


def summary(report: Report, raw: Path) -> str:
    """The run's last console line."""
    c = report.counts
    if not report.changed:
        return (
            f"nothing new: the {report.messages} message(s) are already in the collection log "
            f"{log_path(raw)} ({report.already} row(s)); nothing changed"
        )
    return (
        f"{report.messages} message(s): {c['taken']} taken, {c['older_repeat']} older "
        f"repeat(s), {c['duplicate']} duplicate(s), {c['refused']} refused, {c['warning']} "
        f"warning(s); {report.already} collected earlier; log: {report.log}"
    )
