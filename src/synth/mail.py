"""The units' daily self-reports returned by mail (issue #28): from the second delivery on,
most units fill the daily form the suite issued and send it back as an e-mail, a few still
send a workbook of their own; the messages are saved as ``.eml`` files in
``<raw>/../synthetic-mail/<delivery>/`` and :func:`collect_sample` puts them into the
deliveries with ``helpers.collect`` (what ``make collect-reports`` runs).

Fixed by the seed (docs/synthetic-data.md, "Returned by mail"): the units that send their own
workbook, the late messages, the units that send twice (the older with wrong figures), one
form from an address not in the address book, one form with a locked cell changed (refused by
ingest: the truth rejects that unit's rows of the week) and one unit that sends last week's
form again instead of this week's (a duplicate: the truth says it has no report that week).

The forms are built by ``helpers.forms`` (openpyxl) once per period for a stand-in unit and
copied per unit with its code, name and locked cells' hashes swapped in and the figures
typed into the input cells (what a clerk's copy holds; 700 openpyxl saves would cost minutes).
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from helpers.collect import OLDER_DIR, collect
from helpers.collect.log import LOG_NAME
from helpers.collect.run import form_target, own_target
from helpers.config import Plan, load_plan
from helpers.forms.identity import IDENTITY_SHEET
from helpers.forms.layout import FIRST_ROW, cell_hash, cell_text, fingerprint
from helpers.forms.write import (
    Period,
    build_form,
    daily_rows,
    form_file_name,
    form_identity,
    period_between,
)
from helpers.paths import CONTACTS_FILE
from synth.campaign import DELIVERIES
from synth.xlsx import zip_parts

MAIL_DIR = "synthetic-mail"  # beside the raw folder, like the truth: never a delivery
OWN_UNITS = 5  # units that keep sending a workbook of their own
LATE_SHARE = 0.08  # of a delivery's messages: dated the day after the delivery
TWICE = 2  # units per mailed delivery that send their form twice (the older wrong)
# the deliveries of the single events (the second delivery is the sample week the tests ingest)
WRONG_ADDRESS = "2025-11-23"
LOCKED_CHANGED = "2025-11-23"
LAST_WEEK = "2025-12-07"
LOCKED_CELL = "D8"  # the unit's name on the first day's row, typed over
TO = "baocao.kh375@congan.hanoi.invalid"  # the campaign's collecting mailbox (placeholder)
HANOI = timezone(timedelta(hours=7))
COUNT_COLUMNS = ("E", "F", "G", "H")  # the daily form's input cells (helpers.forms.layout)


def mail_dir(out: Path) -> Path:
    return Path(out).parent / MAIL_DIR


def slug(name: str) -> str:
    from helpers.normalize import fold

    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")


# ---------------------------------------------------------------- the plan


@dataclass
class MailPlan:
    """Who sends what, fixed by the seed (unit indices), and the forms already sent."""

    deliveries: tuple[str, ...]  # per-unit deliveries after the first: the mailed ones
    own: frozenset[int]
    late: dict[str, frozenset[int]]
    twice: dict[str, frozenset[int]]
    wrong_address: int
    locked_changed: int
    last_week: int
    minutes: dict[str, np.ndarray]  # per delivery and unit: minutes after 08:00 (or 07:00 late)
    contacts: dict[str, str]  # unit code -> its address (the book's first `to`)
    plan: Plan
    sent: dict[tuple[str, int], tuple[str, bytes]] = field(default_factory=dict)
    templates: dict[str, FormTemplate] = field(default_factory=dict)

    def template(self, delivery: str, days: np.ndarray) -> FormTemplate:
        if delivery not in self.templates:
            first, last = (pd.Timestamp(d).date() for d in days[[0, -1]])
            self.templates[delivery] = FormTemplate(
                self.plan, period_between(self.plan, first, last)
            )
        return self.templates[delivery]


def mailed_deliveries() -> tuple[str, ...]:
    from synth.deliver import UNIT_REPORT_FORM

    return tuple(d for d in DELIVERIES[1:] if UNIT_REPORT_FORM[d] == "per_unit")


def make_plan(rng, units, reports: pd.DataFrame, faults) -> MailPlan:
    """Draw the plan and mark the truth: ``reports`` gains ``delivered`` and
    ``reject_reason`` (the changed locked cell's rows also enter the fault log)."""
    from helpers.sending.contacts import load_contacts
    from synth.deliver import delivery_days

    n = len(units.frame)
    codes = units.frame["unit_code"].to_numpy()
    mailed = mailed_deliveries()
    own = frozenset(int(i) for i in rng.choice(n, OWN_UNITS, replace=False))
    formers = np.array([i for i in range(n) if i not in own])
    late, twice, minutes = {}, {}, {}
    for d in mailed:
        late[d] = frozenset(
            int(i) for i in rng.choice(formers, round(LATE_SHARE * n), replace=False)
        )
        twice[d] = frozenset(int(i) for i in rng.choice(formers, TWICE, replace=False))
        minutes[d] = rng.integers(0, 9 * 60, n)
    reports["delivered"] = True
    reports["reject_reason"] = reports["fault"].map(
        {"blank_count": "missing_required", "text_count": "invalid_number"}
    )
    ui = reports["unit_idx"].to_numpy()
    rdays = reports["report_date"].to_numpy()

    def rows_of(unit: int, delivery: str) -> np.ndarray:
        days = delivery_days(delivery)
        return (ui == unit) & (rdays >= days[0]) & (rdays <= days[-1])

    taken = set(twice[WRONG_ADDRESS]) | set(twice[LOCKED_CHANGED])
    wrong = int(rng.choice([i for i in formers if i not in taken]))
    taken.add(wrong)
    # a unit whose rows of that week hold no other fault: the refusal is the only reason
    clean = [
        i
        for i in formers
        if i not in taken and not reports.loc[rows_of(i, LOCKED_CHANGED), "fault"].notna().any()
    ]
    locked = int(rng.choice(clean))
    taken |= {locked} | set(twice[LAST_WEEK])
    last = int(rng.choice([i for i in formers if i not in taken]))
    m = rows_of(locked, LOCKED_CHANGED)
    reports.loc[m, "reject_reason"] = "form_locked_changed"
    faults.add(
        "unit_reports",
        reports["row_key"].to_numpy()[m],
        "_form",
        "form_locked_changed",
        LOCKED_CELL,
        None,
        "rejected",
        "form_locked_changed",
    )
    reports.loc[rows_of(last, LAST_WEEK), "delivered"] = False
    book = load_contacts(CONTACTS_FILE)
    contacts = {str(c): book[str(c)].to[0] for c in codes}
    return MailPlan(mailed, own, late, twice, wrong, locked, last, minutes, contacts, load_plan())


# ---------------------------------------------------------------- the issued form, filled


class FormTemplate:
    """One period's issued daily form, built by helpers.forms for a stand-in unit; each
    unit's copy swaps in its code and name (and the locked cells' hashes) and its figures."""

    CODE, NAME = "99999", "QQTENDONVIQQ"
    NAME_LOWER = "qQTENDONVIQQ"  # the name as the unit line writes it (first letter lowered)

    def __init__(self, plan: Plan, period: Period) -> None:
        self.period = period
        rows = daily_rows(self.CODE, self.NAME, period)
        wb = build_form(
            form_identity("unit_daily", self.CODE, period), self.NAME, rows, plan, period
        )
        buf = io.BytesIO()
        wb.save(buf)
        with zipfile.ZipFile(buf) as zf:
            self.parts = {name: zf.read(name) for name in zf.namelist()}
        sheet = wb.worksheets[0]
        refs = [
            str(k)[5:]
            for k, _ in wb[IDENTITY_SHEET].iter_rows(values_only=True)
            if str(k).startswith("cell:")
        ]
        self.locked = {ref: cell_text(sheet[ref].value) for ref in refs}
        self.fingerprint = fingerprint(self.locked)
        self.days = len(rows)

    def _swap(self, text: str, code: str, name: str) -> str:
        lower = name[:1].lower() + name[1:]
        return (
            text.replace(self.NAME_LOWER, lower).replace(self.NAME, name).replace(self.CODE, code)
        )

    def form(
        self, code: str, name: str, values: list[list[str]], changed: dict[str, str] | None = None
    ) -> bytes:
        """The unit's form with ``values`` (per day of the period: the four counts as typed,
        '' blank) in its input cells; ``changed``: locked cells typed over (ref -> text)."""
        locked = {ref: self._swap(t, code, name) for ref, t in self.locked.items()}
        swap = {self.CODE: code, self.fingerprint: fingerprint(locked)}
        swap |= {cell_hash(t): cell_hash(locked[ref]) for ref, t in self.locked.items()}
        parts = dict(self.parts)
        ident = "xl/worksheets/sheet2.xml"  # the `_form` sheet, written after the form's
        parts[ident] = re.sub(
            r"<t>([^<]*)</t>",
            lambda m: f"<t>{swap.get(m.group(1), m.group(1))}</t>",
            parts[ident].decode(),
        ).encode()
        sheet = parts["xl/worksheets/sheet1.xml"].decode()
        sheet = re.sub(
            r"<t>([^<]*)</t>",
            lambda m: f"<t>{escape(self._swap(m.group(1), code, name))}</t>",
            sheet,
        )
        for ref, text in (changed or {}).items():
            sheet = re.sub(
                rf'(<c r="{ref}"[^>]*><is><t>)[^<]*(</t>)', rf"\g<1>{escape(text)}\g<2>", sheet
            )

        def typed(m: re.Match) -> str:
            col, row, style = m.group(1), int(m.group(2)), m.group(3)
            i = row - FIRST_ROW
            text = values[i][COUNT_COLUMNS.index(col)] if 0 <= i < len(values) else ""
            if not text:
                return m.group(0)
            if text.isdigit():
                return f'<c r="{col}{row}" s="{style}" t="n"><v>{text}</v></c>'
            return f'<c r="{col}{row}" s="{style}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'

        sheet = re.sub(r'<c r="([EFGH])(\d+)" s="(\d+)" t="n" />', typed, sheet)
        # the name column as wide as the writer makes it for this unit's name
        wide = min(max(24, len(name) + 2), 48)
        sheet = re.sub(r'(<col min="4" max="4" width=")[^"]*(")', rf"\g<1>{wide}\g<2>", sheet)
        parts["xl/worksheets/sheet1.xml"] = sheet.encode()
        stamp = f"{self.period.due.isoformat()}T10:00:00Z"  # fixed: same seed, same bytes
        parts["docProps/core.xml"] = re.sub(
            r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
            rf"\g<1>{stamp}\g<2>",
            parts["docProps/core.xml"].decode(),
        ).encode()
        return zip_parts(parts)


# ---------------------------------------------------------------- the messages


def message(
    sender: str,
    when: datetime,
    msg_id: str,
    subject: str,
    attachment: tuple[str, bytes],
) -> bytes:
    """One saved message (.eml) with one workbook attached; the boundary fixed."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = TO
    m["Subject"] = subject
    m["Date"] = format_datetime(when)
    m["Message-ID"] = msg_id
    m.set_content("Kính gửi Phòng CSGT: đơn vị gửi báo cáo kết quả thực hiện Kế hoạch 375.\n")
    name, data = attachment
    m.add_attachment(
        data,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=name,
    )
    m.set_boundary("==catp375." + msg_id.strip("<>").replace("@", ".") + "==")  # same bytes
    return m.as_bytes()


def _when(mp: MailPlan, delivery: str, ui: int, earlier: bool = False) -> datetime:
    day = date.fromisoformat(delivery)
    minutes = int(mp.minutes[delivery][ui])
    if ui in mp.late[delivery]:
        start = datetime(day.year, day.month, day.day, 7, tzinfo=HANOI) + timedelta(days=1)
        minutes //= 3  # the next morning
    else:
        start = datetime(day.year, day.month, day.day, 8, tzinfo=HANOI)
    when = start + timedelta(minutes=minutes)
    return when - timedelta(hours=2) if earlier else when


def send(
    folder: Path, mp: MailPlan, delivery: str, ui: int, code: str, sender: str,
    attachment: tuple[str, bytes], k: int = 1, earlier: bool = False,
) -> None:  # fmt: skip
    msg_id = f"<{delivery}.{code}.{k}@{sender.split('@', 1)[1]}>"
    subject = f"Báo cáo KH 375 - đơn vị {code} - kỳ đến {delivery}"
    data = message(sender, _when(mp, delivery, ui, earlier), msg_id, subject, attachment)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{code}_{k}.eml").write_bytes(data)


def write_mailed(writer, week: pd.DataFrame, uf: pd.DataFrame, delivery: str, mp: MailPlan,
                 own_sheet, counts: list[str]) -> None:  # fmt: skip
    """One mailed delivery's self-reports: each unit's message into the mail folder, each row
    recorded where the collection puts it (the truth's ``source_file`` and ``source_row``)."""
    from synth.deliver import delivery_days
    from synth.xlsx import workbook_bytes

    days = delivery_days(delivery)
    template = mp.template(delivery, days)
    period = template.period
    identity_of = lambda code: form_identity("unit_daily", code, period)  # noqa: E731
    folder = mail_dir(writer.out) / delivery
    # the delivery before among the mailed ones ("" for the first: nothing sent before)
    previous = (
        mp.deliveries[mp.deliveries.index(delivery) - 1] if delivery != mp.deliveries[0] else ""
    )
    uidx = week["unit_idx"].to_numpy()
    bounds = np.searchsorted(uidx, np.arange(len(uf) + 1))
    offset = (week["report_date"].to_numpy().astype("datetime64[D]") - days[0]).astype(np.int64)
    typed = np.stack([week[f"d_{c}"].astype(str).to_numpy() for c in counts], axis=1)
    keys = week["row_key"].to_numpy()
    codes, names = uf["unit_code"].tolist(), uf["unit_name"].tolist()
    for ui in range(len(uf)):  # per unit (126), not per record
        lo, hi = int(bounds[ui]), int(bounds[ui + 1])
        if hi == lo:
            continue
        code, name = str(codes[ui]), str(names[ui])
        sender = mp.contacts[code]
        if ui in mp.own:
            sheet, first_row = own_sheet(ui, lo, hi)
            attachment = (f"{code}_{slug(name)}.xlsx", workbook_bytes([sheet]))
            send(folder, mp, delivery, ui, code, sender, attachment)
            writer.record("unit_reports", own_target(delivery, code), keys[lo:hi], first_row)
            continue
        if delivery == LAST_WEEK and ui == mp.last_week and (previous, ui) in mp.sent:
            # last week's form again, byte for byte: a duplicate; nothing of this week arrives
            send(folder, mp, delivery, ui, code, sender, mp.sent[(previous, ui)])
            continue
        values = [["", "", "", ""] for _ in range(template.days)]
        for i in range(lo, hi):
            values[int(offset[i])] = list(typed[i])
        changed = None
        if delivery == LOCKED_CHANGED and ui == mp.locked_changed:
            changed = {LOCKED_CELL: name.split(" ", 1)[-1]}  # "Phường Ngọc Hà" -> "Ngọc Hà"
        file = form_file_name("unit_daily", code, slug(name), period)
        attachment = (file, template.form(code, name, values, changed))
        mp.sent[(delivery, ui)] = attachment
        if ui in mp.twice[delivery]:  # first sent with a wrong figure, corrected later
            wrong = [list(v) for v in values]
            j = int(offset[lo])
            wrong[j][0] = str(int(wrong[j][0]) + 10) if wrong[j][0].isdigit() else "10"
            send(folder, mp, delivery, ui, code, sender, (file, template.form(code, name, wrong)),
                 k=1, earlier=True)  # fmt: skip
            k = 2
        else:
            k = 1
        if delivery == WRONG_ADDRESS and ui == mp.wrong_address:
            sender = f"canbo.{slug(name)}@gmail.invalid"  # a clerk's own mailbox
        send(folder, mp, delivery, ui, code, sender, attachment, k=k)
        rows = FIRST_ROW + offset[lo:hi]
        writer.record("unit_reports", form_target(identity_of(code)), keys[lo:hi], rows)


# ---------------------------------------------------------------- the collection


def clear(out: Path) -> None:
    """Before a new sample: the mail, the collection log and the older repeats of the last."""
    out = Path(out)
    for d in DELIVERIES:
        shutil.rmtree(mail_dir(out) / d, ignore_errors=True)
    (out / LOG_NAME).unlink(missing_ok=True)
    shutil.rmtree(out / OLDER_DIR, ignore_errors=True)


def collect_sample(out: Path) -> dict[str, dict[str, int]]:
    """``make collect-reports FROM=<mail>/<delivery> WEEK=<delivery>`` for each delivery in
    order, stamped the evening after the delivery day (UTC); the counts per delivery."""
    done = {}
    for d in DELIVERIES:
        folder = mail_dir(out) / d
        if not folder.is_dir():
            continue
        day = date.fromisoformat(d) + timedelta(days=1)
        stamp = datetime(day.year, day.month, day.day, 16, tzinfo=UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        report = collect(Path(out), folder, week=d, contacts_path=CONTACTS_FILE, now=stamp)
        done[d] = dict(report.counts)
    return done
