"""The e-mail carrying one unit's pack: a short cover note in the units' language and the
pack attached. The unit's figures come from the same task the pack was built from
(:func:`helpers.packs.unit_tasks`: the processed progress tables of the week), so the note and
the pack cannot disagree. The note never holds a password: it says the password came by
another channel.
"""

from __future__ import annotations

import mimetypes
from datetime import date, timedelta
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Any

from helpers.config import Plan
from helpers.i18n import fmt_date, fmt_int, fmt_pct, t
from helpers.progress.definitions import RANK_SHARE
from helpers.progress.final import final_lines, handover_lines
from helpers.progress.narrative import pct_text
from helpers.progress.targets import next_week_targets
from helpers.statuses import breach_of
from helpers.synthetic import both_labels, note
from helpers.units import UNIT_COUNT

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
mimetypes.add_type(XLSX_TYPE, ".xlsx")


def _d(key: str, lang: str, **values: Any) -> str:
    return t(f"distribution.{key}", lang, **values)


def _num(value: Any) -> bool:
    return value is not None and value == value  # not None, not NaN


def police_of(unit_name: str, lang: str) -> str:
    """Whom a unit's mail addresses: its police ("Công an xã Yên Xuân"), the unit's name
    with its first word in lower case after "Công an" as Vietnamese writes it."""
    name = unit_name[:1].lower() + unit_name[1:] if lang == "vi" else unit_name
    return _d("police", lang, unit=name)


def cover_text(task: dict[str, Any], plan: Plan, week: str, lang: str, *, encrypted: bool) -> str:
    """The body of a unit's message: week, key figures and standing, what to do next."""
    unit = task["unit"]
    day = date.fromisoformat(week)
    next_end = day + timedelta(days=plan.cadence_days)
    lines = [
        _d("greeting", lang, police=police_of(str(unit["unit_name"]), lang)),
        "",
        _d("intro", lang, plan=plan.number, week=fmt_date(day, lang), file=Path(task["path"]).name),
        "",
        _d("figures_heading", lang),
    ]
    for prefix in ("veh", "lic"):
        if _num(unit.get(f"{prefix}_assigned")):
            lines.append(
                _d(
                    f"figures.{prefix}",
                    lang,
                    cleaned=fmt_int(unit.get(f"{prefix}_cleaned"), lang),
                    cleanable=fmt_int(unit.get(f"{prefix}_cleanable"), lang),
                    share_cleanable=pct_text(unit.get(f"{prefix}_share_cleaned_cleanable"), lang),
                    assigned=fmt_int(unit[f"{prefix}_assigned"], lang),
                    share=pct_text(unit.get(f"{prefix}_share_cleaned"), lang),
                    gain=fmt_int(unit.get(f"{prefix}_gain_week"), lang),
                )
            )
    standing = t(f"progress.standing.{unit['standing']}", lang) if unit.get("standing") else "–"
    lines.append(
        _d(
            "figures.rank",
            lang,
            rank=fmt_int(unit.get("rank"), lang),
            units=UNIT_COUNT,
            share=pct_text(unit.get(RANK_SHARE), lang),  # the share the rank is decided on
            standing=standing,
        )
    )
    if _num(unit.get("backlog_pending")):
        lines.append(_d("figures.pending", lang, pending=fmt_int(unit["backlog_pending"], lang)))
    laggard = task.get("laggard")
    if laggard:
        said = {"progress": "laggard", "conduct": "laggard_conduct", "both": "laggard_both"}
        why = laggard.get(f"reason_{lang}") or ""
        lines += ["", _d(said[breach_of(laggard)], lang, reason=why)]
    for reason in task.get("leaders") or []:
        lines += ["", _d("leader", lang, reason=reason)]
    in_force = plan.in_force(day)
    final = in_force.reaches_end(day)  # no next conference: the verdict and the handover
    if final and task.get("final"):
        lines += ["", _d("final_heading", lang)]
        lines += [f"- {line}" for line in final_lines(task["final"], in_force, lang)]
        lines += [f"- {line}" for line in handover_lines(task["final"], lang)]
    if final:
        lines += ["", _d("todo_heading_final", lang)]
    else:
        conference = fmt_date(plan.conference_date(next_end), lang)
        lines += ["", _d("todo_heading", lang, conference=conference)]
    for key, value, kind in next_week_targets(unit, plan, week):
        shown = fmt_pct(value, lang) if kind == "pct" else fmt_int(value, lang)
        label = t(f"excel.targets.{key}", lang, date=fmt_date(next_end, lang))
        lines.append(_d("todo_item", lang, target=label, value=shown))
    lines.append(_d("todo_lists_final" if final else "todo_lists", lang))
    lines += [
        "",
        _d("protected" if encrypted else "personal", lang),
        "",
        _d("signature", lang, issuer=plan.issuer[lang]),
    ]
    return "\n".join(lines) + "\n"


class _SubjectPolicy(EmailPolicy):
    """The standard policy, but a non-ASCII Subject is encoded whole, by bytes (every space
    inside an encoded word). Python's own folding puts the space between two encoded words
    outside them, where RFC 2047 decoders drop it: 50 of the 126 units' subjects read
    "sốliệu" in the units' mail clients."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if name.lower() == "subject" and isinstance(value, str) and not value.isascii():
            encoded = Header(value, "utf-8", maxlinelen=76, header_name=name).encode()
            return (name, encoded)
        return super().header_store_parse(name, value)


MAIL_POLICY = _SubjectPolicy()


def unit_message(
    task: dict[str, Any],
    recipients: tuple[tuple[str, ...], tuple[str, ...]],
    attachment: bytes,
    plan: Plan,
    week: str,
    lang: str,
    *,
    sender: str,
    reply_to: str = "",
    encrypted: bool = True,
    synthetic: bool = False,
) -> EmailMessage:
    """The message for one unit: To/Cc from the address book, its own pack attached. A week
    built from generated data says so in the subject and on the body's first line."""
    to, cc = recipients
    unit = task["unit"]
    domain = (getaddresses([sender])[0][1].rpartition("@")[2] or "localhost").lower()
    msg = EmailMessage(policy=MAIL_POLICY)
    subject = _d(
        "subject",
        lang,
        plan=plan.number,
        unit=unit["unit_name"],
        week=fmt_date(date.fromisoformat(week), lang),
    )
    body = cover_text(task, plan, week, lang, encrypted=encrypted)
    if synthetic:
        subject = f"[{both_labels()}] {subject}"
        body = f"*** {both_labels()} *** {note(lang)}\n\n{body}"
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=str(unit["unit_code"]), domain=domain)  # one line
    msg["X-CATP375-Unit"] = str(unit["unit_code"])
    msg["X-CATP375-Week"] = week
    # 8bit: the note reads as plain text in the .eml too (sent with BODY=8BITMIME)
    msg.set_content(body, cte="8bit")
    maintype, _, subtype = XLSX_TYPE.partition("/")
    msg.add_attachment(
        attachment, maintype=maintype, subtype=subtype, filename=Path(task["path"]).name
    )
    return msg
