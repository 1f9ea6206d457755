"""``make send-forms``: e-mail each unit its forms alone (no pack), with the same address
book, SMTP settings and crash-safe log as the packs, in a log of its own
(``reports/output/<week>/forms-sent.json``): a form send never marks a pack sent, nor the
reverse. The outbox (DRY_RUN=1) is ``reports/output/<week>/outbox-forms/``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path

from helpers import ConfigError, DeliveryError
from helpers.config import Plan, load_plan
from helpers.forms.issue import FORMS_DIR, issued_files
from helpers.forms.mail import add_files, forms_text, period_of
from helpers.i18n import fmt_date, t
from helpers.paths import CONTACTS_FILE, Workspace
from helpers.sending.contacts import Contact, load_contacts
from helpers.sending.message import MAIL_POLICY, police_of
from helpers.sending.send import (
    ACCEPTED,
    FAILED,
    SENDING,
    SENT,
    WRITTEN,
    Connection,
    SendReport,
    accepted_recipients,
    deliver,
    doubtful_recipients,
    read_log,
    recipient_results,
    refuse_placeholders,
    sha256,
    smtp_settings,
    write_log,
)
from helpers.synthetic import both_labels, note, week_is_synthetic

LOG_FILE = "forms-sent.json"
OUTBOX = "outbox-forms"


def forms_message(
    contact: Contact,
    files: list[Path],
    plan: Plan,
    lang: str,
    *,
    sender: str,
    reply_to: str,
    synthetic: bool,
) -> EmailMessage:
    """One unit's forms in a message of their own."""
    first, last = period_of(files)
    domain = (getaddresses([sender])[0][1].rpartition("@")[2] or "localhost").lower()
    msg = EmailMessage(policy=MAIL_POLICY)
    subject = t(
        "forms.mail.subject",
        lang,
        plan=plan.number,
        unit=contact.unit_name,
        first=fmt_date(first, lang),
        last=fmt_date(last, lang),
    )
    body = t("distribution.greeting", lang, police=police_of(contact.unit_name, lang))
    if synthetic:
        subject = f"[{both_labels()}] {subject}"
        body = f"*** {both_labels()} *** {note(lang)}\n\n{body}"
    msg["Subject"], msg["From"], msg["To"] = subject, sender, ", ".join(contact.to)
    if contact.cc:
        msg["Cc"] = ", ".join(contact.cc)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=contact.unit_code, domain=domain)
    msg["X-CATP375-Unit"] = contact.unit_code
    signature = t("distribution.signature", lang, issuer=plan.issuer.get(lang, ""))
    text = f"{body}\n\n{forms_text(files, plan, lang)}\n\n{signature}\n"
    msg.set_content(text, cte="8bit")
    add_files(msg, files)
    return msg


def send_forms(
    ws: Workspace,
    week: str,
    *,
    dry_run: bool = False,
    force: bool = False,
    plan: Plan | None = None,
    contacts_path: Path | str = CONTACTS_FILE,
    units: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    echo: Callable[[str], None] = print,
) -> SendReport:
    """E-mail each unit its forms of ``week`` (``make forms``), or write them to the outbox."""
    plan = (plan or load_plan()).in_force(date.fromisoformat(week))
    out_dir = ws.output_week(week)
    if not (out_dir / FORMS_DIR).is_dir():
        raise DeliveryError(
            f"no forms for week {week} in {out_dir / FORMS_DIR}: write them first "
            f"(make forms WEEK={week})"
        )
    contacts_path = Path(contacts_path)
    contacts = load_contacts(contacts_path)
    sender = str((plan.distribution or {}).get("sender") or "").strip()
    if not sender or not getaddresses([sender])[0][1]:
        raise ConfigError("config/sending.yaml: distribution.sender must be an e-mail address")
    smtp = None if dry_run else smtp_settings(plan, env)
    lang = plan.default_lang
    codes = [c for c in sorted(contacts) if units is None or c in set(units)]
    log_path = out_dir / LOG_FILE
    entries = read_log(log_path)
    accepted = {} if force else accepted_recipients(entries)
    report = SendReport(week=week, mode="smtp" if smtp else "outbox", log=log_path)
    doubtful = {} if force else doubtful_recipients(entries)
    todo = []
    for code in codes:
        taken, unsure = accepted.get(code, set()), doubtful.get(code, set())
        left = [a for a in contacts[code].recipients if a not in taken and a not in unsure]
        if unsure - taken:
            report.in_doubt[code] = sorted(unsure - taken)
        if left and issued_files(out_dir, code):
            todo.append((code, left))
        elif code not in report.in_doubt:
            report.skipped.append(code)
    if smtp:
        refuse_placeholders(contacts, [c for c, _ in todo], sender, contacts_path)
    else:
        report.outbox = out_dir / OUTBOX
        report.outbox.mkdir(parents=True, exist_ok=True)
    synthetic = week_is_synthetic(ws, week)
    reply_to = str((plan.distribution or {}).get("reply_to") or "")
    conn = Connection(smtp) if smtp else None
    try:
        for code, left in todo:
            files = issued_files(out_dir, code)
            msg = forms_message(
                contacts[code],
                files,
                plan,
                lang,
                sender=sender,
                reply_to=reply_to,
                synthetic=synthetic,
            )
            entry = {
                "unit_code": code,
                "unit_name": contacts[code].unit_name,
                "to": list(contacts[code].to),
                "cc": list(contacts[code].cc),
                "message_id": msg["Message-ID"],
                "attachments": [p.name for p in files],
                "sha256": sha256(b"".join(p.read_bytes() for p in files)),
                "time": datetime.now().astimezone().isoformat(timespec="seconds"),
            }
            if conn is None:
                assert report.outbox is not None
                target = report.outbox / f"{code}-forms.eml"
                target.write_bytes(msg.as_bytes())
                entry.update(result=WRITTEN, file=f"{OUTBOX}/{target.name}")
                report.written.append(code)
                entries.append(entry)
                write_log(log_path, week, entries)
                continue
            # the attempt on disk before the message goes out (as for the packs)
            entry.update(result=SENDING, recipients=dict.fromkeys(left, SENDING))
            entries.append(entry)
            write_log(log_path, week, entries)
            results, error = deliver(conn, msg, getaddresses([sender])[0][1], left)
            entry.update(result=FAILED if error else SENT, recipients=results)
            write_log(log_path, week, entries)
            if error:
                report.failed[code] = error
                echo(f"{code}: FAILED {error}")
            else:
                report.sent.append(code)
    finally:
        if conn is not None:
            conn.quit()
    return report


__all__ = ["ACCEPTED", "LOG_FILE", "recipient_results", "send_forms"]
