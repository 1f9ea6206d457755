"""The forms in the mail: attached to a unit's pack message (``make send-packs``), or in a
message of their own (``make send-forms``); the text says what to return and by when."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpers.config import Plan
from helpers.forms.identity import read_keys
from helpers.forms.layout import EXTRA_ORG_ROWS
from helpers.i18n import fmt_date, fmt_int, t

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def forms_text(files: list[Path], plan: Plan, lang: str) -> str:
    """What the attached forms are, what to return and by when (from their identities)."""
    keys = {p: read_keys(p) or {} for p in files}
    first = min(date.fromisoformat(k["first_day"]) for k in keys.values())
    last = max(date.fromisoformat(k["last_day"]) for k in keys.values())
    due = max(date.fromisoformat(k["due"]) for k in keys.values())
    lines = [
        t(
            "forms.mail.intro",
            lang,
            plan=plan.number,
            first=fmt_date(first, lang),
            last=fmt_date(last, lang),
        )
    ]
    for path, k in keys.items():
        n = max(int(k.get("rows") or 0) - EXTRA_ORG_ROWS, 0)
        lines.append(t(f"forms.mail.{k['form']}", lang, file=path.name, n=fmt_int(n, lang)))
    lines.append(
        t(
            "forms.mail.return",
            lang,
            due=fmt_date(due, lang),
            conference=fmt_date(plan.conference_date(due), lang),
        )
    )
    return "\n".join(lines)


def period_of(files: list[Path]) -> tuple[date, date]:
    keys = [read_keys(p) or {} for p in files]
    return (
        min(date.fromisoformat(k["first_day"]) for k in keys),
        max(date.fromisoformat(k["last_day"]) for k in keys),
    )


def attach_forms(msg, files: list[Path], plan: Plan, lang: str) -> None:
    """Add the forms to a message built with its text body: the text gains the forms'
    paragraph (before the signature's blank line is fine: it ends the body), the files ride
    as attachments. No forms: the message is left as it is."""
    if not files:
        return
    body = msg.get_body(("plain",))
    body.set_content(
        body.get_content().rstrip("\n") + "\n\n" + forms_text(files, plan, lang) + "\n", cte="8bit"
    )
    add_files(msg, files)


def add_files(msg, files: list[Path]) -> None:
    for path in files:
        msg.add_attachment(path.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=path.name)
