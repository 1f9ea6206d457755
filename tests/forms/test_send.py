"""The forms in the mail: with the pack (make send-packs) and alone (make send-forms), through a
real SMTP server on localhost (aiosmtpd)."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pandas as pd

from helpers.config import load_plan
from helpers.forms.issue import FORMS_DIR
from helpers.forms.send import send_forms
from helpers.forms.write import (
    Period,
    build_form,
    daily_rows,
    form_file_name,
    form_identity,
    org_rows,
)
from helpers.sending import send_packs
from helpers.units import official_units
from tests.packs.builders import U1, U2, WEEK
from tests.sending.test_send import (  # noqa: F401 - packed: the fixture
    Inbox,
    address,
    attachments,
    packed,
    parse,
    smtp_plan,
    smtp_server,
    write_contacts,
)

PERIOD = Period(date(2025, 11, 18), date(2025, 11, 24), date(2025, 11, 24), date(2025, 11, 25))


def _issue(ws, unit: str) -> list[str]:
    """The unit's two forms in the week's forms folder, as make forms writes them."""
    row = official_units().set_index("unit_code").loc[unit]
    orgs = pd.DataFrame(
        {
            "org_id": ["0100109106"],
            "org_name": ["Công ty A"],
            "org_type": ["enterprise"],
            "unit_code": [unit],
            "vehicles_on_record": [3],
        }
    )
    names = []
    for form, rows in (
        ("unit_daily", daily_rows(unit, row.unit_name, PERIOD)),
        ("org_review", org_rows(orgs)),
    ):
        book = build_form(
            form_identity(form, unit, PERIOD), row.unit_name, rows, load_plan(), PERIOD
        )
        path = ws.output_week(WEEK) / FORMS_DIR / form_file_name(form, unit, row.slug, PERIOD)
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        names.append(path.name)
    return sorted(names)


def _identities(msg) -> set[tuple[str, str]]:
    found = set()
    for part in attachments(msg):
        if "bieu-mau" in part.get_filename():
            wb = openpyxl.load_workbook(io.BytesIO(part.get_content()))
            found.add((wb["_form"]["B1"].value, wb["_form"]["B3"].value))
    return found


def test_the_pack_mail_carries_the_units_forms_and_says_when_to_return_them(packed, tmp_path):  # noqa: F811 - the imported fixture
    names = _issue(packed, U1)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        report = send_packs(
            packed,
            WEEK,
            units=[U1, U2],
            plan=smtp_plan(port),
            contacts_path=write_contacts(tmp_path / "c.csv"),
            env={},
            echo=lambda _: None,
        )
    assert report.ok and sorted(report.sent) == [U1, U2]
    by_unit = {rcpt[0]: parse(data) for rcpt, data in inbox.messages}
    mine = by_unit[address(U1)]
    files = [p.get_filename() for p in attachments(mine)]
    assert sorted(f for f in files if "bieu-mau" in f) == names and len(files) == 3
    assert _identities(mine) == {("unit_daily", U1), ("org_review", U1)}
    assert "chậm nhất ngày 24/11/2025" in mine.get_body(("plain",)).get_content()
    assert len(attachments(by_unit[address(U2)])) == 1  # no forms written for U2: its pack only


def test_send_forms_sends_the_forms_alone_and_never_marks_the_pack_sent(packed, tmp_path):  # noqa: F811 - the imported fixture
    _issue(packed, U1)
    inbox = Inbox()
    contacts = write_contacts(tmp_path / "c.csv")
    with smtp_server(inbox) as port:
        report = send_forms(
            packed,
            WEEK,
            units=[U1, U2],
            plan=smtp_plan(port),
            contacts_path=contacts,
            env={},
            echo=lambda _: None,
        )
        assert report.ok and report.sent == [U1] and report.skipped == [U2]
        [(rcpt, data)] = inbox.messages
        msg = parse(data)
        assert rcpt == [address(U1)] and len(attachments(msg)) == 2
        assert "biểu mẫu" in msg["Subject"]
        # the pack is still to send: its own log knows nothing of the forms
        assert not (packed.output_week(WEEK) / "distribution.json").exists()
        packs = send_packs(
            packed,
            WEEK,
            units=[U1],
            plan=smtp_plan(port),
            contacts_path=contacts,
            env={},
            echo=lambda _: None,
        )
        assert packs.sent == [U1]
        again = send_forms(
            packed,
            WEEK,
            units=[U1],
            plan=smtp_plan(port),
            contacts_path=contacts,
            env={},
            echo=lambda _: None,
        )
    assert again.sent == [] and again.skipped == [U1]
    log = json.loads((packed.output_week(WEEK) / "forms-sent.json").read_text("utf-8"))
    assert [e["result"] for e in log["sends"]] == ["sent"]


def test_send_forms_dry_run_writes_the_outbox(packed, tmp_path):  # noqa: F811 - the imported fixture
    _issue(packed, U1)
    report = send_forms(
        packed,
        WEEK,
        units=[U1],
        plan=smtp_plan(None),
        dry_run=True,
        contacts_path=write_contacts(tmp_path / "c.csv"),
        env={},
        echo=lambda _: None,
    )
    [eml] = sorted((packed.output_week(WEEK) / "outbox-forms").glob("*.eml"))
    files = [p.get_filename() for p in attachments(parse(eml.read_bytes()))]
    assert report.written == [U1] and len(files) == 2
