"""Sending the unit packs: the address book, the cover message, and real SMTP sends to a
server on localhost (aiosmtpd, started by the test on a free port). Nothing of smtplib or
msoffcrypto is mocked."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import itertools
import json
import shutil
import socket
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from aiosmtpd.controller import Controller

from helpers import ConfigError, DeliveryError, packs, progress, record_tables, store
from helpers.config import load_plan
from helpers.i18n import fmt_date, fmt_int, fmt_pct, t
from helpers.packs import protect
from helpers.paths import CONTACTS_FILE
from helpers.sending import load_contacts, send_packs, summary
from helpers.sending.__main__ import main as send_main
from helpers.units import official_units
from tests.packs.builders import U1, U2, U3, WEEK, write_week
from tests.pii import open_pack, unit_password

UNITS = official_units()
SENDER = "Kế hoạch 375 <plan375@catp.test>"


# --------------------------------------------------------------------------------------------
# helpers: an address book, a real SMTP server, messages read back
# --------------------------------------------------------------------------------------------


def address(code: str) -> str:
    return f"u{code}@units.test"


def write_contacts(
    path: Path,
    rows: list[list[str]] | None = None,
    *,
    cc: dict | None = None,
    header: str = "unit_code,unit_name,to,cc",
) -> Path:
    if rows is None:
        cc = cc or {}
        rows = [
            [r.unit_code, r.unit_name, address(r.unit_code), cc.get(r.unit_code, "")]
            for r in UNITS.itertuples()
        ]
    buf = io.StringIO()
    buf.write("# test address book\n" + header + "\n")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), "utf-8")
    return path


class Inbox:
    """An aiosmtpd handler that keeps what it receives; it can refuse or drop chosen units."""

    def __init__(self, refuse=(), drop=()):
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse, self.drop = set(refuse), set(drop)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if set(envelope.rcpt_tos) & self.drop:
            server.transport.close()  # the connection drops in the middle of the message
            return "421 closing"
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(handler):
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def smtp_plan(port: int | None, **unit_packs):
    plan = load_plan()
    smtp = {"host": "127.0.0.1", "port": port, "starttls": False, "timeout_s": 10} if port else {}
    return replace(
        plan,
        distribution={"smtp": smtp, "sender": SENDER},
        unit_packs={**plan.unit_packs, **unit_packs},
    )


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def attachments(msg) -> list:
    return [part for part in msg.iter_attachments()]


# --------------------------------------------------------------------------------------------
# the address book
# --------------------------------------------------------------------------------------------


def test_committed_address_book_lists_every_unit_on_placeholder_addresses():
    contacts = load_contacts(CONTACTS_FILE)
    assert sorted(contacts) == sorted(UNITS["unit_code"])
    assert all(a.endswith(".invalid") for c in contacts.values() for a in c.recipients)
    assert "replace" in CONTACTS_FILE.read_text("utf-8").split("unit_code,")[0]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda rows: rows + [["99999", "", "x@units.test", ""]], r"line 129: '99999' is not"),
        (
            lambda rows: rows + [["00008", "", "x@units.test", ""]],
            r"line 129: unit 00008 is already",
        ),
        (
            lambda rows: [
                r if r[0] != "00008" else [r[0], r[1], "ngoc-ha.units.test", ""] for r in rows
            ],
            r"unit 00008: not an e-mail address: 'ngoc-ha.units.test'",
        ),
        (
            lambda rows: [
                r if r[0] != "00008" else [r[0], r[1], "a@units.test", "b@@x"] for r in rows
            ],
            r"unit 00008: not an e-mail address: 'b@@x'",
        ),
        (
            lambda rows: [r if r[0] != "00008" else [r[0], r[1], "", ""] for r in rows],
            r"unit 00008 \(Phường Ngọc Hà\) has no 'to' address",
        ),
        (
            lambda rows: [r if r[0] != "00008" else [r[0], "Xã Sóc Sơn", r[2], ""] for r in rows],
            r"unit 00008 is Phường Ngọc Hà, the row names 'Xã Sóc Sơn'",
        ),
        (lambda rows: [r for r in rows if r[0] != "00008"], r"1 unit\(s\) have no row: 00008"),
        (
            lambda rows: [r if r[0] != "00082" else ["00073", *r[1:]] for r in rows],
            r"'00073' is the draft code of Phường Cửa Nam: its official code is 00082",
        ),
        (
            lambda rows: [  # the address book as the draft list coded it
                ["00226" if r[0] == "00229" else "00196" if r[0] == "00226" else r[0], *r[1:]]
                for r in rows
            ],
            r"unit 00226 is Phường Văn Miếu - Quốc Tử Giám, the row names 'Phường Kim Liên'",
        ),
    ],
)
def test_address_book_problems_are_refused_with_their_line(tmp_path, change, message):
    rows = [[r.unit_code, r.unit_name, address(r.unit_code), ""] for r in UNITS.itertuples()]
    path = write_contacts(tmp_path / "contacts.csv", change(rows))
    with pytest.raises(ConfigError, match=message):
        load_contacts(path)


def test_address_book_takes_several_addresses_and_codes_without_leading_zeros(tmp_path):
    rows = [
        [r.unit_code.lstrip("0"), r.unit_name, address(r.unit_code), ""] for r in UNITS.itertuples()
    ]
    rows[1] = [rows[1][0], "", "a@units.test; b@units.test", "chief@catp.test"]
    contacts = load_contacts(write_contacts(tmp_path / "c.csv", rows))
    second = contacts[UNITS["unit_code"].iloc[1]]
    assert second.to == ("a@units.test", "b@units.test") and second.cc == ("chief@catp.test",)


# --------------------------------------------------------------------------------------------
# the hand-made week: three units' packs
# --------------------------------------------------------------------------------------------


@pytest.fixture
def packed(tmp_path_factory):
    """The hand-made week with the packs of three units, encrypted (the default)."""
    from tests.conftest import make_workspace

    ws = make_workspace(tmp_path_factory.mktemp("packed"))
    write_week(ws)
    packs.build_packs(
        ws, WEEK, ws.output_week(WEEK), "vi", workers=1, units=[U1, U2, U3], city=False
    )
    return ws


def send(ws, tmp_path, port=None, **kwargs):
    kwargs.setdefault("contacts_path", write_contacts(tmp_path / "contacts.csv"))
    kwargs.setdefault("plan", smtp_plan(port))
    return send_packs(
        ws, WEEK, units=kwargs.pop("units", [U1, U2, U3]), env={}, echo=lambda _: None, **kwargs
    )


def test_without_smtp_the_messages_go_to_the_outbox(packed, tmp_path):
    report = send(packed, tmp_path)
    outbox = packed.output_week(WEEK) / "outbox"
    assert report.mode == "outbox" and report.ok and report.written == [U1, U2, U3]
    files = sorted(outbox.glob("*.eml"))
    assert [f.name[:5] for f in files] == [U1, U2, U3]
    for path in files:
        msg = parse(path.read_bytes())
        [pack] = attachments(msg)
        assert pack.get_filename() == path.stem + ".xlsx"
        assert msg["To"] == address(path.name[:5])
        data = pack.get_content()
        assert protect.is_encrypted(data)
        openpyxl.load_workbook(io.BytesIO(open_pack(data, unit_password(packed, path.name[:5]))))
    log = json.loads((packed.output_week(WEEK) / "distribution.json").read_text("utf-8"))
    assert {e["result"] for e in log["sends"]} == {"written"}


def test_dry_run_writes_the_outbox_even_with_a_server_configured(packed, tmp_path):
    inbox = Inbox()
    with smtp_server(inbox) as port:
        report = send(packed, tmp_path, port, dry_run=True)
    assert report.mode == "outbox" and len(report.written) == 3 and inbox.messages == []


def test_cover_message_gives_the_units_figures_standing_and_next_steps(packed, tmp_path):
    send(packed, tmp_path)
    unit = store.load(packed, "unit_progress", WEEK).set_index("unit_code").loc[U1]
    path = next((packed.output_week(WEEK) / "outbox").glob(f"{U1}-*.eml"))
    raw = path.read_bytes()
    msg = parse(raw)
    body = msg.get_body(("plain",)).get_content()
    assert (
        unit["unit_name"] in msg["Subject"] and fmt_date(date(2025, 11, 23), "vi") in msg["Subject"]
    )
    police = t(
        "distribution.police", "vi", unit=unit["unit_name"][0].lower() + unit["unit_name"][1:]
    )
    assert body.startswith(t("distribution.greeting", "vi", police=police))
    veh = t(
        "distribution.figures.veh",
        "vi",
        cleaned=fmt_int(unit["veh_cleaned"], "vi"),
        cleanable=fmt_int(unit["veh_cleanable"], "vi"),
        share_cleanable=fmt_pct(unit["veh_share_cleaned_cleanable"], "vi"),
        assigned=fmt_int(unit["veh_assigned"], "vi"),
        share=fmt_pct(unit["veh_share_cleaned"], "vi"),
        gain=fmt_int(unit["veh_gain_week"], "vi"),
    )
    assert veh in body
    assert t(f"progress.standing.{unit['standing']}", "vi") in body
    assert f"{fmt_int(unit['rank'], 'vi')}/126" in body
    conference = date(2025, 11, 23) + timedelta(days=8)  # the next week's conference
    assert t("distribution.todo_heading", "vi", conference=fmt_date(conference, "vi")) in body
    targets = progress.next_week_targets(unit.to_dict(), load_plan(), WEEK)
    assert fmt_int(dict((k, v) for k, v, _ in targets)["veh_to_clean"], "vi") in body
    password = unit_password(packed, U1)
    assert password not in body and password.encode() not in raw
    assert veh.encode() in raw  # the note reads as it is in the .eml (8bit, not base64)


def test_send_logs_each_unit_and_a_rerun_sends_only_the_failed_one(packed, tmp_path):
    refusing = Inbox(refuse={address(U2)})
    with smtp_server(refusing) as port:
        first = send(packed, tmp_path, port)
    assert first.sent == [U1, U3] and list(first.failed) == [U2]
    assert "550" in first.failed[U2] and U2 in summary(first)
    assert sorted(r for rcpts, _ in refusing.messages for r in rcpts) == [address(U1), address(U3)]
    log = json.loads((packed.output_week(WEEK) / "distribution.json").read_text("utf-8"))["sends"]
    assert [(e["unit_code"], e["result"]) for e in log] == [
        (U1, "sent"),
        (U2, "failed"),
        (U3, "sent"),
    ]
    units = packed.output_week(WEEK) / "units"
    for entry in log:
        pack = next(units.glob(f"{entry['unit_code']}-*.xlsx"))
        assert entry["sha256"] == __import__("hashlib").sha256(pack.read_bytes()).hexdigest()
        assert entry["to"] == [address(entry["unit_code"])] and entry["message_id"].endswith(">")
        assert entry["time"][:4] == str(date.today().year)
    received = [parse(m) for _, m in refusing.messages]
    assert [m["Message-ID"].strip() for m in received] == [
        log[0]["message_id"],
        log[2]["message_id"],
    ]

    accepting = Inbox()
    with smtp_server(accepting) as port:
        second = send(packed, tmp_path, port)
        third = send(packed, tmp_path, port)
        forced = send(packed, tmp_path, port, force=True)
    assert second.sent == [U2] and second.skipped == [U1, U3] and second.ok
    assert third.sent == [] and third.skipped == [U1, U2, U3]
    assert forced.sent == [U1, U2, U3] and second.rebuilt == []
    packs.build_packs(
        packed, WEEK, packed.output_week(WEEK), "vi", workers=1, units=[U1], city=False
    )  # the week built again, nothing changed: the unit keeps the pack it was sent
    with smtp_server(accepting) as port:
        kept = send(packed, tmp_path, port)
    assert kept.sent == [] and kept.rebuilt == [] and kept.skipped == [U1, U2, U3]
    packs.build_packs(
        packed,
        WEEK,
        packed.output_week(WEEK),
        "vi",
        workers=1,
        units=[U1],
        city=False,
        keep_unchanged=False,
    )  # the week rebuilt after sending (FORCE=1): fresh salts, new bytes
    with smtp_server(accepting) as port:
        after = send(packed, tmp_path, port)
    assert after.sent == [] and after.rebuilt == [U1] and "earlier build" in summary(after)
    assert [rcpts for rcpts, _ in accepting.messages] == [
        [address(U2)],
        [address(U1)],
        [address(U2)],
        [address(U3)],
    ]


def test_a_dropped_connection_fails_that_unit_and_the_others_go_on(packed, tmp_path):
    inbox = Inbox(drop={address(U1)})
    with smtp_server(inbox) as port:
        report = send(packed, tmp_path, port)
    assert list(report.failed) == [U1] and "connection" in report.failed[U1]
    assert report.sent == [U2, U3]
    assert [rcpts for rcpts, _ in inbox.messages] == [[address(U2)], [address(U3)]]


def test_cc_receives_the_same_message(packed, tmp_path):
    inbox = Inbox()
    contacts = write_contacts(tmp_path / "cc.csv", cc={U1: "chief@catp.test"})
    with smtp_server(inbox) as port:
        send(packed, tmp_path, port, contacts_path=contacts, units=[U1])
    [(rcpts, data)] = inbox.messages
    assert rcpts == [address(U1), "chief@catp.test"] and parse(data)["Cc"] == "chief@catp.test"


def test_a_refused_cc_is_retried_alone_and_the_unit_s_to_is_not_sent_again(packed, tmp_path):
    contacts = write_contacts(tmp_path / "cc.csv", cc={U1: "chief@catp.test"})
    refusing = Inbox(refuse={"chief@catp.test"})
    with smtp_server(refusing) as port:
        first = send(packed, tmp_path, port, contacts_path=contacts, units=[U1])
    assert list(first.failed) == [U1] and "chief@catp.test" in first.failed[U1]
    assert [rcpts for rcpts, _ in refusing.messages] == [[address(U1)]]
    log = json.loads((packed.output_week(WEEK) / "distribution.json").read_text("utf-8"))
    [entry] = log["sends"]
    assert entry["recipients"][address(U1)] == "accepted"
    assert entry["recipients"]["chief@catp.test"].startswith("refused: 550")
    accepting = Inbox()
    with smtp_server(accepting) as port:
        second = send(packed, tmp_path, port, contacts_path=contacts, units=[U1])
        third = send(packed, tmp_path, port, contacts_path=contacts, units=[U1])
    assert second.sent == [U1] and second.ok and third.skipped == [U1]
    [(rcpts, data)] = accepting.messages
    assert rcpts == ["chief@catp.test"] and parse(data)["To"] == address(U1)


class KillingInbox(Inbox):
    """Accepts the message for ``victim`` and kills the sending process before it can read
    the server's answer: the server took the message, the sender never knew."""

    def __init__(self, victim: str):
        super().__init__()
        self.victim, self.pid = victim, 0

    async def handle_DATA(self, server, session, envelope):
        import os
        import signal

        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        if self.victim in envelope.rcpt_tos and self.pid:
            os.kill(self.pid, signal.SIGKILL)
            self.pid = 0
        return "250 OK"


def test_a_message_accepted_just_before_a_crash_is_never_sent_twice(packed, tmp_path):
    import subprocess
    import sys

    from helpers.paths import PROJECT_ROOT

    inbox = KillingInbox(address(U2))
    script = (
        "import sys; from pathlib import Path; from helpers.paths import Workspace; "
        "from tests.sending.test_send import send; "
        "root = Path(sys.argv[1]); "
        "ws = Workspace(raw=root / 'raw', processed=root / 'processed', "
        "output=root / 'output', truth=root / 'synthetic-truth'); "
        "send(ws, Path(sys.argv[2]), int(sys.argv[3]))"
    )
    root = packed.output.parent
    with smtp_server(inbox) as port:
        child = subprocess.Popen(
            [sys.executable, "-c", script, str(root), str(tmp_path), str(port)],
            cwd=PROJECT_ROOT,
        )
        inbox.pid = child.pid
        assert child.wait(timeout=120) == -9
    assert [rcpts for rcpts, _ in inbox.messages] == [[address(U1)], [address(U2)]]
    log = json.loads((packed.output_week(WEEK) / "distribution.json").read_text("utf-8"))
    assert [(e["unit_code"], e["result"]) for e in log["sends"]] == [(U1, "sent"), (U2, "sending")]

    accepting = Inbox()
    with smtp_server(accepting) as port:
        again = send(packed, tmp_path, port)
    assert again.sent == [U3] and again.skipped == [U1] and again.in_doubt == {U2: [address(U2)]}
    assert not again.ok and f"IN DOUBT, not sent again: {U2}" in summary(again)
    assert [rcpts for rcpts, _ in accepting.messages] == [[address(U3)]]
    with smtp_server(accepting) as port:  # checked with the unit: sent again on purpose
        forced = send(packed, tmp_path, port, units=[U2], force=True)
    assert forced.sent == [U2] and forced.ok


def test_real_send_refuses_placeholder_addresses_before_connecting(packed, tmp_path):
    inbox = Inbox()
    with smtp_server(inbox) as port, pytest.raises(ConfigError, match=r"\.invalid.*unit_contacts"):
        send(packed, tmp_path, port, contacts_path=CONTACTS_FILE)
    assert inbox.messages == []
    assert not (packed.output_week(WEEK) / "distribution.json").exists()


def test_an_unencrypted_pack_is_not_sent_when_encryption_is_on(tmp_ws, tmp_path):
    write_week(tmp_ws)
    packs.build_packs(
        tmp_ws,
        WEEK,
        tmp_ws.output_week(WEEK),
        "vi",
        workers=1,
        units=[U1],
        city=False,
        plan=smtp_plan(None, encrypt=False),
    )
    inbox = Inbox()
    with smtp_server(inbox) as port, pytest.raises(DeliveryError, match="not encrypted"):
        send(tmp_ws, tmp_path, port, units=[U1])
    assert inbox.messages == []


def test_missing_packs_name_the_command_that_builds_them(tmp_ws, monkeypatch, capsys):
    write_week(tmp_ws)
    for var, folder in (
        ("CATP_RAW_DIR", tmp_ws.raw),
        ("CATP_PROCESSED_DIR", tmp_ws.processed),
        ("CATP_OUTPUT_DIR", tmp_ws.output),
    ):
        monkeypatch.setenv(var, str(folder))
    assert send_main(["--week", WEEK, "--dry-run"]) == 2
    assert "make weekly-report WEEK=2025-11-23" in capsys.readouterr().err


def test_send_command_takes_only_unit_codes_or_names_for_its_units(packed, monkeypatch, capsys):
    for var, folder in (("CATP_RAW_DIR", packed.raw), ("CATP_OUTPUT_DIR", packed.output)):
        monkeypatch.setenv(var, str(folder))
    assert send_main(["--week", WEEK, "--dry-run", "--units", "00008; touch x"]) == 2
    assert "not a unit of Hanoi" in capsys.readouterr().err
    monkeypatch.setenv("CATP_PROCESSED_DIR", str(packed.processed))
    assert send_main(["--week", WEEK, "--dry-run", "--units", f"{U1} {U2}"]) == 0
    assert sorted(p.name[:5] for p in (packed.output_week(WEEK) / "outbox").glob("*.eml")) == [
        U1,
        U2,
    ]


# --------------------------------------------------------------------------------------------
# the sample week: 126 units (slow)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_sent(progressed, sample_week, tmp_path_factory):
    """The sample week's 126 encrypted unit packs, sent to a real SMTP server on localhost."""
    out = tmp_path_factory.mktemp("sample-send")
    packs.build_packs(progressed, sample_week, out, "vi", workers=2, city=False)
    contacts = write_contacts(out / "contacts.csv")
    inbox = Inbox()
    with smtp_server(inbox) as port:
        report = send_packs(
            progressed,
            sample_week,
            plan=smtp_plan(port),
            contacts_path=contacts,
            out_dir=out,
            env={},
            echo=lambda _: None,
        )
    return progressed, sample_week, out, contacts, inbox, report


def _record_ids(workbook: bytes, header: str) -> set[str]:
    wb = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    found = set()
    for sheet in wb.worksheets[1:]:
        rows = sheet.iter_rows(values_only=True)
        head = next(rows, ())
        if header in head:
            i = head.index(header)
            found |= {r[i] for r in rows if r[i] is not None}
    wb.close()
    return found


@pytest.mark.slow
def test_every_unit_receives_exactly_its_own_pack(sample_sent):
    ws, week, out, contacts, inbox, report = sample_sent
    assert report.ok and len(report.sent) == 126 and len(inbox.messages) == 126
    records = pd.concat(
        [
            store.load(ws, "vehicle_status", week, columns=["record_id", "unit_code"]),
            store.load(ws, "licence_status", week, columns=["record_id", "unit_code"]),
        ]
    )
    owner = dict(zip(records["record_id"], records["unit_code"], strict=True))
    header = t("excel.columns.record_id", "vi")
    seen = set()
    for rcpts, data in inbox.messages:
        [code] = [c for c in UNITS["unit_code"] if rcpts == [address(c)]]
        seen.add(code)
        msg = parse(data)
        [pack] = attachments(msg)
        assert pack.get_filename().startswith(f"{code}-")
        plain = open_pack(pack.get_content(), unit_password(ws, code))
        ids = _record_ids(plain, header)
        assert {owner[i] for i in ids} <= {code}, code
        with __import__("zipfile").ZipFile(io.BytesIO(plain)) as z:
            assert f"<vt:lpwstr>{code}</vt:lpwstr>" in z.read("docProps/custom.xml").decode()
    assert seen == set(UNITS["unit_code"])


@pytest.mark.slow
def test_sample_refused_recipient_fails_that_unit_only_and_a_rerun_sends_it(sample_sent, tmp_path):
    ws, week, out, contacts, _, _ = sample_sent
    again = tmp_path / "out"
    shutil.copytree(out / "units", again / "units")
    victim = "00008"
    refusing = Inbox(refuse={address(victim)})
    with smtp_server(refusing) as port:
        first = send_packs(
            ws,
            week,
            plan=smtp_plan(port),
            contacts_path=contacts,
            out_dir=again,
            env={},
            echo=lambda _: None,
        )
    assert list(first.failed) == [victim] and len(first.sent) == 125
    accepting = Inbox()
    with smtp_server(accepting) as port:
        second = send_packs(
            ws,
            week,
            plan=smtp_plan(port),
            contacts_path=contacts,
            out_dir=again,
            env={},
            echo=lambda _: None,
        )
    assert second.sent == [victim] and len(second.skipped) == 125
    assert [rcpts for rcpts, _ in accepting.messages] == [[address(victim)]]


@pytest.mark.slow
def test_sample_dry_run_writes_126_eml_files(sample_sent, tmp_path):
    ws, week, out, contacts, _, _ = sample_sent
    again = tmp_path / "out"
    shutil.copytree(out / "units", again / "units")
    report = send_packs(
        ws,
        week,
        dry_run=True,
        out_dir=again,
        plan=smtp_plan(None),
        contacts_path=CONTACTS_FILE,
        env={},
        echo=lambda _: None,
    )
    files = sorted((again / "outbox").glob("*.eml"))
    assert len(report.written) == 126 and len(files) == 126
    for path in files:
        [pack] = attachments(parse(path.read_bytes()))
        assert pack.get_filename() == path.stem + ".xlsx" and path.name[:5] in pack.get_filename()
        assert protect.is_encrypted(pack.get_content())


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(
    ("progress_", "conduct", "said"),
    [(True, False, "laggard"), (False, True, "laggard_conduct"), (True, True, "laggard_both")],
)
def test_the_message_says_what_the_unit_was_named_for(lang, progress_, conduct, said):
    # a unit named for its review backlog only is not told it is behind schedule
    from helpers.sending.message import cover_text

    reason = "hồ sơ chờ duyệt lâu nhất đã 30 ngày"
    task = {
        "unit": {"unit_name": "Phường Kiến Hưng", "standing": "on_track", "rank": 12},
        "path": "00376-kien-hung.xlsx",
        "laggard": {
            "breaks_progress": progress_,
            "breaks_conduct": conduct,
            f"reason_{lang}": reason,
        },
        "leaders": [],
    }
    text = cover_text(task, load_plan(), "2026-01-11", lang, encrypted=True)
    assert t(f"distribution.{said}", lang, reason=reason) in text
    for other in {"laggard", "laggard_conduct", "laggard_both"} - {said}:
        assert t(f"distribution.{other}", lang, reason=reason) not in text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_units_subject_reads_back_as_written_in_a_mail_client(lang):
    # Python's folding dropped the space between two encoded words ("sốliệu") for 50 units
    from helpers.sending.message import unit_message

    plan = load_plan()
    for unit in official_units().itertuples():
        task = {
            "unit": {"unit_code": unit.unit_code, "unit_name": unit.unit_name, "rank": 1},
            "path": f"{unit.unit_code}.xlsx",
            "laggard": None,
            "leaders": [],
        }
        msg = unit_message(
            task,
            (("a@b.invalid",), ()),
            b"x",
            plan,
            "2026-01-19",
            lang,
            sender="Kế hoạch 375 <k@catp.invalid>",
        )
        written = t(
            "distribution.subject", lang, plan=plan.number, unit=unit.unit_name, week="19/01/2026"
        )
        for linesep in ("\n", "\r\n"):
            raw = msg.as_bytes(policy=msg.policy.clone(linesep=linesep))
            head = raw.split(linesep.encode() * 2)[0].decode("ascii").split(linesep)
            start = next(i for i, line in enumerate(head) if line.startswith("Subject:"))
            folded = [head[start]] + list(
                itertools.takewhile(lambda line: line.startswith(" "), head[start + 1 :])
            )
            assert all(len(line) <= 78 for line in folded)  # RFC 5322 line length
            assert parse(raw)["Subject"] == written, unit.unit_name


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_message_gives_the_ranked_share_beside_the_rank(lang):
    """The rank is decided on the share of cleanable vehicle records cleaned: the mail gives
    that share with the rank, as the briefing's reason quotes it (Yên Xuân read 21,0 % of
    assigned and rank 126 while its reason said 23,8 %)."""
    from helpers.progress.narrative import pct_text
    from helpers.sending.message import cover_text

    unit = {
        "unit_code": "04930",
        "unit_name": "Xã Yên Xuân",
        "standing": "off_track",
        "rank": 126,
        "veh_assigned": 1190,
        "veh_cleanable": 1050,
        "veh_cleaned": 250,
        "veh_share_cleaned": 250 / 1190,
        "veh_share_cleaned_cleanable": 250 / 1050,
        "veh_gain_week": 12,
    }
    task = {"unit": unit, "path": "04930-xa-yen-xuan.xlsx", "laggard": None, "leaders": []}
    text = cover_text(task, load_plan(), "2026-01-11", lang, encrypted=True)
    [rank_line] = [line for line in text.splitlines() if "126/126" in line]
    assert pct_text(250 / 1050, lang) in rank_line  # 23,8 %
    assert pct_text(250 / 1050, lang) in text.split(rank_line)[0]  # and in the vehicles line


@pytest.mark.parametrize(
    ("lang", "name", "said"),
    [
        ("vi", "Xã Yên Xuân", "Kính gửi: Công an xã Yên Xuân,"),
        ("vi", "Phường Ngọc Hà", "Kính gửi: Công an phường Ngọc Hà,"),
        ("en", "Xã Yên Xuân", "To: the police of Xã Yên Xuân,"),
    ],
)
def test_the_message_addresses_the_units_police(lang, name, said):
    from helpers.sending.message import cover_text

    task = {"unit": {"unit_name": name, "rank": 1}, "path": "x.xlsx", "laggard": None}
    text = cover_text(task, load_plan(), "2026-01-11", lang, encrypted=True)
    assert text.splitlines()[0] == said


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_final_weeks_message_gives_the_campaign_verdict_and_the_handover(lang):
    """2026-01-19 reaches the extended end: no task "before the conference of 27/01/2026";
    the unit's whole-campaign result, verdict and the difficult records it hands over."""
    from helpers.progress.narrative import pct_text
    from helpers.sending.message import cover_text

    unit = {
        "unit_code": "04930",
        "unit_name": "Xã Yên Xuân",
        "standing": "off_track",
        "rank": 126,
        "veh_assigned": 238,
        "veh_cleanable": 210,
        "veh_cleaned": 50,
        "veh_share_cleaned_cleanable": 50 / 210,
        "veh_required_rate": None,
        "backlog_pending": 11,
    }
    final = {
        "result": {
            "rank": 126,
            "outcome": "not_finished",
            "records_left": 160,
            "veh_share_cleaned_cleanable": 50 / 210,
        },
        "verdicts": [{"verdict": "criticise", "reason_vi": "hạng cuối", "reason_en": "last"}],
        "handover": [{"kind": "vehicle", "group": "owner_deceased", "records": 3, "open": 2}],
    }
    task = {"unit": unit, "path": "04930-xa-yen-xuan.xlsx", "laggard": None, "final": final}
    text = cover_text(task, load_plan(), "2026-01-19", lang, encrypted=True)
    assert "27/01/2026" not in text
    assert t("distribution.todo_heading_final", lang) in text
    assert t("distribution.final_heading", lang) in text
    assert ("hạng cuối" if lang == "vi" else "last") in text
    assert t("briefing.final.outcome_not_finished", lang, left="160") in text
    assert pct_text(50 / 210, lang) in text
    handover = [line for line in text.splitlines() if t("status.owner_deceased", lang) in line]
    assert handover and "2" in handover[0]


def _sheets(workbook: bytes) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    try:
        return {s.title: list(s.iter_rows(values_only=True)) for s in wb.worksheets}
    finally:
        wb.close()


@pytest.mark.slow
def test_sample_each_units_pack_and_mail_give_the_briefings_figures(sample_sent):
    """The consistency test, extended to the units: rank, ranked share and laggard reason in
    each unit's pack and mail are the briefing's (its progress tables); each worklist's row
    count is the figure beside it; the difficult-group lists hold exactly the open records."""
    from helpers.progress.definitions import RANK_SHARE
    from helpers.progress.narrative import pct_text

    ws, week, out, contacts, inbox, report = sample_sent
    units = store.load(ws, "unit_progress", week).set_index("unit_code")
    laggards = store.load(ws, "laggards", week).set_index("unit_code")
    ranked = packs.metric_header(RANK_SHARE, "vi")
    rank_label = t("excel.unit.rank_of", "vi", units=126)
    names = {t(f"excel.sheets.{key}", "vi"): key for key in packs.LISTS}
    difficult = [*record_tables.GROUP_SHEETS, "elsewhere"]
    for rcpts, data in inbox.messages:
        [code] = [c for c in UNITS["unit_code"] if rcpts == [address(c)]]
        u = units.loc[code]
        msg = parse(data)
        body = msg.get_body(("plain",)).get_content()
        said = t(
            "distribution.figures.rank",
            "vi",
            rank=int(u["rank"]),
            units=126,
            share="{}",
            standing="",
        )
        [rank_line] = [line for line in body.splitlines() if line.startswith(said.split("{}")[0])]
        assert pct_text(u[RANK_SHARE], "vi") in rank_line, code
        [pack] = attachments(msg)
        book = _sheets(open_pack(pack.get_content(), unit_password(ws, code)))
        summary = book[t("excel.sheets.unit_summary", "vi")]
        values = {r[0]: r[1:] for r in summary if r and r[0]}
        assert values[rank_label][0] == u["rank"], code
        assert values[ranked][0] == pytest.approx(u[RANK_SHARE]), code
        if code in laggards.index:
            reason = laggards.at[code, "reason_vi"]
            assert reason in body and reason in values, code
        counts = {names[r[0]]: r[1] for r in summary if r and r[0] in names}
        rows = {
            key: sum(
                sum(1 for r in sheet[1:] if any(v is not None for v in r))
                for title, sheet in book.items()
                if title == name or title.startswith(name[:28] + " (")
            )
            for name, key in names.items()
        }
        assert counts == rows, code
        open_records = int(u["veh_difficult_open"]) + int(u["lic_difficult_open"])
        assert sum(rows[k] for k in difficult) == open_records, code
