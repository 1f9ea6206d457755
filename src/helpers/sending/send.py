"""Send each unit its own pack, by e-mail, and keep a log of every send.

    report = send_packs(ws, "2025-11-23")                  # SMTP from config/sending.yaml
    report = send_packs(ws, "2025-11-23", dry_run=True)    # .eml files in <week>/outbox/

Reads the week's unit packs (``reports/output/<week>/units/``), the address book
(``config/unit_contacts.csv``) and the SMTP settings (``distribution`` in ``sending.yaml``; the
login from ``CATP_SMTP_USER`` / ``CATP_SMTP_PASSWORD``). Writes one line per attempt into
``reports/output/<week>/distribution.json``: unit, recipients, message id, SHA-256 of the
attachment, time, result, and each recipient's own result. A refused recipient or a dropped
connection marks that unit failed and the others go on.

Each recipient's result is kept as it happens: the attempt is written (and synced to disk)
before the message goes out, its outcome right after. The next run sends only to recipients
not yet accepted (a refused ``cc`` is retried alone, its unit's ``to`` is not sent again), and
``force`` sends to everyone again. An attempt whose outcome was never written (the run was
killed or the machine stopped mid-send) may have been delivered: its recipients are "in doubt",
never sent again on their own; the summary names the units (check with them, then
``UNIT=… FORCE=1`` sends again).
"""

from __future__ import annotations

import hashlib
import json
import os
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from helpers import ConfigError, DeliveryError, store
from helpers.config import Plan, load_plan
from helpers.forms.issue import issued_files
from helpers.forms.mail import attach_forms
from helpers.packs import load_template, protect, unit_tasks
from helpers.paths import CONTACTS_FILE, Workspace
from helpers.sending.contacts import Contact, is_placeholder, load_contacts
from helpers.sending.message import unit_message
from helpers.synthetic import week_is_synthetic

LOG_FILE = "distribution.json"
OUTBOX = "outbox"
USER_ENV, PASSWORD_ENV = "CATP_SMTP_USER", "CATP_SMTP_PASSWORD"
SENT, FAILED, WRITTEN = "sent", "failed", "written"
SENDING = "sending"  # written before the message goes out; replaced by the outcome after
ACCEPTED = "accepted"  # one recipient's result: the server took the message for it


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 587
    starttls: bool = True
    timeout_s: float = 60.0
    user: str = ""
    password: str = field(default="", repr=False)


@dataclass
class SendReport:
    week: str
    mode: str  # smtp or outbox
    sent: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # unit -> error
    skipped: list[str] = field(default_factory=list)  # already sent before
    in_doubt: dict[str, list[str]] = field(default_factory=dict)  # unit -> recipients
    rebuilt: list[str] = field(default_factory=list)  # skipped, but sent an earlier build
    log: Path | None = None
    outbox: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.in_doubt


def smtp_settings(plan: Plan, env: Mapping[str, str] | None = None) -> Smtp | None:
    """The SMTP server of ``sending.yaml`` with the login from the environment; None = no host."""
    env = os.environ if env is None else env
    conf = dict((plan.distribution or {}).get("smtp") or {})
    host = str(conf.get("host") or "").strip()
    if not host:
        return None
    user, password = env.get(USER_ENV, ""), env.get(PASSWORD_ENV, "")
    if user and not password:
        raise ConfigError(
            f"{USER_ENV} is set but {PASSWORD_ENV} is not: set both, or neither "
            "for a server that needs no login"
        )
    return Smtp(
        host=host,
        port=int(conf.get("port") or 587),
        starttls=bool(conf.get("starttls", True)),
        timeout_s=float(conf.get("timeout_s") or 60),
        user=user,
        password=password,
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# The log
# --------------------------------------------------------------------------------------------


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return list(json.loads(path.read_text("utf-8")).get("sends", []))


def write_log(path: Path, week: str, entries: list[dict[str, Any]]) -> None:
    """The whole log replaced at once and synced to disk before the next message goes out:
    a crash or a power cut never loses a recipient's result."""
    data = json.dumps({"week": week, "sends": entries}, ensure_ascii=False, indent=2).encode()

    def write_shared(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)  # the log is for the staff who distribute, like the pack

    store.atomic_write(path, write_shared)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself
    finally:
        os.close(folder)


def recipient_results(entry: dict[str, Any]) -> dict[str, str]:
    """One attempt's result per recipient (a log written before results were kept per
    recipient: every address of a sent entry accepted)."""
    if "recipients" in entry:
        return dict(entry["recipients"])
    if entry.get("result") == SENT:
        return {a: ACCEPTED for a in [*entry.get("to", []), *entry.get("cc", [])]}
    return {}


def accepted_recipients(entries: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Per unit, the recipients the server accepted its pack for (by SMTP), this week."""
    out: dict[str, set[str]] = {}
    for e in entries:
        taken = {a for a, r in recipient_results(e).items() if r == ACCEPTED}
        if taken:
            out.setdefault(e["unit_code"], set()).update(taken)
    return out


def doubtful_recipients(entries: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Per unit, the recipients of an attempt whose outcome was never written: the run
    stopped while sending, the server may have delivered the message."""
    out: dict[str, set[str]] = {}
    for e in entries:
        if e.get("result") == SENDING:
            out.setdefault(e["unit_code"], set()).update(recipient_results(e))
    return out


def sent_units(entries: list[dict[str, Any]]) -> set[str]:
    """Units whose pack the server accepted (by SMTP) for at least one recipient this week."""
    return set(accepted_recipients(entries))


# --------------------------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------------------------


class Connection:
    """One SMTP session, opened on first use and opened again after a drop."""

    def __init__(self, smtp: Smtp):
        self.smtp = smtp
        self.client: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.client is None:
            client = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout_s)
            try:
                client.ehlo()
                if self.smtp.starttls:
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if self.smtp.user:
                    client.login(self.smtp.user, self.smtp.password)
            except BaseException:
                client.close()
                raise
            self.client = client
        return self.client

    def drop(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = None

    def quit(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.drop()


def deliver(
    conn: Connection, msg: EmailMessage, sender: str, recipients: Sequence[str]
) -> tuple[dict[str, str], str | None]:
    """Send one message; each recipient's result (``accepted`` or why not), and None when
    every recipient took it, else what went wrong.

    A refused recipient leaves the session usable; a dropped or broken session is closed and
    opened again for the next unit.
    """
    try:
        client = conn.open()
        options = ["BODY=8BITMIME"] if client.has_extn("8bitmime") else []
        refused = client.send_message(
            msg, from_addr=sender, to_addrs=list(recipients), mail_options=options
        )
    except smtplib.SMTPRecipientsRefused as exc:
        _reset(conn)
        refused = exc.recipients
    except smtplib.SMTPResponseException as exc:  # sender or message refused, session alive
        _reset(conn)
        error = f"refused by the server: {exc.smtp_code} {_text(exc.smtp_error)}"
        return dict.fromkeys(recipients, error), error
    except (smtplib.SMTPException, OSError) as exc:  # dropped, timed out, TLS failed ...
        conn.drop()
        error = f"connection: {type(exc).__name__}: {exc}"
        return dict.fromkeys(recipients, error), error
    results = {
        a: f"refused: {refused[a][0]} {_text(refused[a][1])}" if a in refused else ACCEPTED
        for a in recipients
    }
    if refused:
        return results, "refused: " + "; ".join(
            f"{a} ({c} {_text(m)})" for a, (c, m) in sorted(refused.items())
        )
    return results, None


def _reset(conn: Connection) -> None:
    try:
        if conn.client is not None:
            conn.client.rset()
    except (smtplib.SMTPException, OSError):
        conn.drop()


def _text(message: Any) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


# --------------------------------------------------------------------------------------------
# Sending a week
# --------------------------------------------------------------------------------------------


def refuse_placeholders(
    contacts: dict[str, Contact], codes: Sequence[str], sender: str, contacts_path: Path
) -> None:
    bad = [f"{c} ({a})" for c in codes for a in contacts[c].recipients if is_placeholder(a)]
    if bad:
        raise ConfigError(
            f"{len(bad)} recipient address(es) are still placeholders on the reserved .invalid "
            f"domain, e.g. {', '.join(bad[:3])}: replace them in {contacts_path} with the units' "
            "real addresses before sending (DRY_RUN=1 writes the messages without sending)"
        )
    if is_placeholder(sender):
        raise ConfigError(
            f"the sender {sender!r} is a placeholder: set distribution.sender in "
            "config/sending.yaml to the real mailbox the packs are sent from"
        )


def send_packs(
    ws: Workspace,
    week: str,
    *,
    dry_run: bool = False,
    force: bool = False,
    plan: Plan | None = None,
    contacts_path: Path | str = CONTACTS_FILE,
    out_dir: Path | None = None,
    units: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    echo: Callable[[str], None] = print,
) -> SendReport:
    """E-mail each unit its pack (or write the messages to the outbox); see the module doc."""
    plan = (plan or load_plan()).in_force(date.fromisoformat(week))
    out_dir = Path(out_dir) if out_dir else ws.output_week(week)
    contacts_path = Path(contacts_path)
    contacts = load_contacts(contacts_path)
    smtp = None if dry_run else smtp_settings(plan, env)
    lang = plan.default_lang
    sender = str((plan.distribution or {}).get("sender") or "").strip()
    if not sender or not getaddresses([sender])[0][1]:
        raise ConfigError("config/sending.yaml: distribution.sender must be an e-mail address")
    sender_address = getaddresses([sender])[0][1]
    encrypted = bool(plan.unit_packs.get("encrypt", True))
    tasks = unit_tasks(ws, week, out_dir, lang, plan, load_template(), {}, units=units)
    synthetic = week_is_synthetic(ws, week)  # every mail of a generated week says so
    missing = [Path(task["path"]).name for task in tasks if not Path(task["path"]).is_file()]
    if missing:
        raise DeliveryError(
            f"{len(missing)} unit pack(s) of week {week} are not in {out_dir / 'units'} "
            f"(e.g. {missing[0]}): build the week first (make weekly-report WEEK={week})"
        )
    log_path = out_dir / LOG_FILE
    entries = read_log(log_path)
    accepted = {} if force else accepted_recipients(entries)
    doubtful = {} if force else doubtful_recipients(entries)
    report = SendReport(week=week, mode="smtp" if smtp else "outbox", log=log_path)
    # per unit, the recipients still to send to: not accepted before, not in doubt
    pending: dict[str, list[str]] = {}
    for task in tasks:
        code = task["unit"]["unit_code"]
        recipients = contacts[code].recipients
        taken, unsure = accepted.get(code, set()), doubtful.get(code, set())
        left = [a for a in recipients if a not in taken and a not in unsure]
        unsure_left = [a for a in recipients if a in unsure and a not in taken]
        if unsure_left:
            report.in_doubt[code] = unsure_left
        if left:
            pending[code] = left
        elif not unsure_left:
            report.skipped.append(code)
    todo = [task for task in tasks if task["unit"]["unit_code"] in pending]
    for code in report.in_doubt:
        echo(
            f"{code}: IN DOUBT, not sent again: a run stopped while sending to "
            f"{', '.join(report.in_doubt[code])}"
        )
    last_sent: dict[str, str] = {}
    for e in entries:
        if any(r == ACCEPTED for r in recipient_results(e).values()):
            last_sent[e["unit_code"]] = e.get("sha256", "")
    report.rebuilt = [
        t["unit"]["unit_code"]
        for t in tasks
        if t["unit"]["unit_code"] in report.skipped
        and last_sent.get(t["unit"]["unit_code"]) != sha256(Path(t["path"]).read_bytes())
    ]
    if smtp:
        refuse_placeholders(contacts, [t["unit"]["unit_code"] for t in todo], sender, contacts_path)
    else:  # the outbox holds each unit's whole message, whatever was sent before
        todo = [t for t in tasks if t["unit"]["unit_code"] not in report.skipped]
        report.outbox = out_dir / OUTBOX
        report.outbox.mkdir(parents=True, exist_ok=True)
    conn = Connection(smtp) if smtp else None
    try:
        for index, task in enumerate(todo, start=1):
            code = task["unit"]["unit_code"]
            contact = contacts[code]
            data = Path(task["path"]).read_bytes()
            if encrypted and not protect.is_encrypted(data):
                raise DeliveryError(
                    f"the pack of unit {code} ({Path(task['path']).name}) is not encrypted "
                    f"although unit_packs.encrypt is on: rebuild the week before sending"
                )
            msg = unit_message(
                task,
                (contact.to, contact.cc),
                data,
                plan,
                week,
                lang,
                sender=sender,
                encrypted=encrypted,
                synthetic=synthetic,
                reply_to=str((plan.distribution or {}).get("reply_to") or ""),
            )
            # the unit's forms (make forms) ride with its pack; the log keeps the pack's hash
            attach_forms(msg, issued_files(out_dir, code), plan, lang)
            entry = {
                "unit_code": code,
                "unit_name": contact.unit_name,
                "to": list(contact.to),
                "cc": list(contact.cc),
                "message_id": msg["Message-ID"],
                "attachment": Path(task["path"]).name,
                "sha256": sha256(data),
                "time": datetime.now().astimezone().isoformat(timespec="seconds"),
            }
            if conn is None:
                assert report.outbox is not None  # no connection: the outbox was made
                target = report.outbox / (Path(task["path"]).stem + ".eml")
                target.write_bytes(msg.as_bytes())
                entry.update(result=WRITTEN, file=f"{OUTBOX}/{target.name}")
                report.written.append(code)
            else:
                attempt = pending[code]
                # the attempt on disk before the message goes out: a crash from here on
                # leaves it "sending" (in doubt), never silently sent twice
                entry.update(result=SENDING, recipients=dict.fromkeys(attempt, SENDING))
                entries.append(entry)
                write_log(log_path, week, entries)
                results, error = deliver(conn, msg, sender_address, attempt)
                entry.update(
                    result=FAILED if error else SENT,
                    recipients=results,
                    time=datetime.now().astimezone().isoformat(timespec="seconds"),
                )
                if error:
                    entry["error"] = error
                write_log(log_path, week, entries)
                if error:
                    report.failed[code] = error
                    echo(f"[{index}/{len(todo)}] {code} {contact.unit_name}: FAILED {error}")
                else:
                    report.sent.append(code)
                continue
            entries.append(entry)
            write_log(log_path, week, entries)
    finally:
        if conn is not None:
            conn.quit()
    if not todo:
        write_log(log_path, week, entries)
    return report


def summary(report: SendReport) -> str:
    """What a run did, for the console; names the units to retry."""
    lines = []
    if report.mode == "outbox":
        lines.append(
            f"week {report.week}: {len(report.written)} message(s) written to "
            f"{report.outbox} (nothing sent)"
        )
    else:
        lines.append(f"week {report.week}: {len(report.sent)} unit(s) sent")
    if report.skipped:
        lines.append(
            f"{len(report.skipped)} unit(s) already sent before, skipped "
            "(FORCE=1 sends to every unit again)"
        )
    if report.rebuilt:
        lines.append(
            f"{len(report.rebuilt)} of them received an earlier build of their pack "
            "(the week was rebuilt after sending); FORCE=1 sends the current packs"
        )
    if report.in_doubt:
        codes = sorted(report.in_doubt)
        lines.append(
            f"{len(codes)} unit(s) IN DOUBT, not sent again: {', '.join(codes)}: an earlier run "
            "stopped while sending to them, the server may have delivered their pack. Ask the "
            f"unit (or the mail server's log); to send again: make send-packs UNIT={codes[0]} "
            "FORCE=1"
        )
    if report.failed:
        lines.append(f"{len(report.failed)} unit(s) FAILED: {', '.join(sorted(report.failed))}")
        lines.append(
            "fix the cause (address book, server), then run the same command again: "
            "only the recipients not yet sent to are sent"
        )
    lines.append(f"log: {report.log}")
    return "\n".join(lines)
