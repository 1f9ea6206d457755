"""`make collect-reports`: the reports units return by mail, from saved .eml files (or a maildir)
into the right delivery folder, each attachment in the collection log with what was done."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import mailbox
import os
import subprocess
import sys
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import openpyxl
import pytest

from helpers import ConfigError, DeliveryError, ingest
from helpers.collect import LOG_NAME, OLDER_DIR, collect, read_log, summary
from helpers.collect.__main__ import main
from helpers.forms import FormIdentity, identify
from helpers.paths import CONTACTS_FILE, PROJECT_ROOT
from tests.ingest_builders import full_delivery, rows_of

WEEK = "2025-11-23"
NGOC_HA = "ca-phuong-ngoc-ha@catp-hanoi.invalid"  # unit 00008 in the address book
BA_DINH = "ca-phuong-ba-dinh@catp-hanoi.invalid"  # unit 00004
DAILY = FormIdentity(
    "unit_daily", 1, "00008", date(2025, 11, 17), date(2025, 11, 23), date(2025, 11, 23)
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(identity: FormIdentity | None = None, *, vehicles: int = 12) -> bytes:
    """A unit report: the canonical header and two days; an issued form carries the very
    hidden `_form` sheet naming its identity (as helpers.forms writes it)."""
    book = openpyxl.Workbook()
    sheet = book.active
    rows = rows_of("unit_reports", {}, {})
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append([*row.values()][:2] + [vehicles] + [*row.values()][3:])
    if identity is not None:
        ident = book.create_sheet("_form")
        ident.sheet_state = "veryHidden"
        for key, value in identity.keys("fingerprint").items():
            ident.append([key, value])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def message(
    sender: str,
    attachments: list[tuple[str, bytes]],
    *,
    day: int = 24,
    hour: int = 9,
    message_id: str | None = None,
) -> bytes:
    from datetime import datetime, timedelta, timezone

    msg = EmailMessage()
    msg["From"] = f"Công an phường <{sender}>"
    msg["To"] = "phong-csgt@catp-hanoi.invalid"
    msg["Subject"] = "Báo cáo tuần"
    msg["Date"] = format_datetime(
        datetime(2025, 11, day, hour, tzinfo=timezone(timedelta(hours=7)))
    )
    msg["Message-ID"] = message_id or make_msgid(domain="catp-hanoi.invalid")
    msg.set_content("Kính gửi: báo cáo đính kèm.")
    for name, data in attachments:
        if name.endswith(".xlsx"):
            maintype, subtype = XLSX.split("/")
        else:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


def save(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def run(raw: Path, mail: Path, week: str = ""):
    return collect(raw, mail, week=week, contacts_path=CONTACTS_FILE)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "raw", tmp_path / "mail"


def files_under(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------- taken, logged


def test_an_issued_form_goes_to_its_due_delivery_and_subfolder(dirs):
    raw, mail = dirs
    save(mail, "a.eml", message(NGOC_HA, [("bao cao.xlsx", workbook(DAILY))]))
    report = run(raw, mail)
    placed = raw / "2025-11-23" / "unit_reports" / "00008_unit_daily_2025-11-17.xlsx"
    assert placed.is_file() and identify(placed) == DAILY
    assert report.counts["taken"] == 1
    assert any(
        line.startswith("taken: a.eml bao cao.xlsx (00008 unit_daily") for line in report.lines
    )


def test_an_org_review_form_goes_to_the_organizations_folder(dirs):
    raw, mail = dirs
    org = FormIdentity("org_review", 1, "00008", DAILY.first_day, DAILY.last_day, DAILY.due)
    save(mail, "a.eml", message(NGOC_HA, [("to-chuc.xlsx", workbook(org))]))
    run(raw, mail)
    assert (raw / WEEK / "organizations" / "00008_org_review_2025-11-17.xlsx").is_file()


def test_the_log_names_sender_date_message_id_attachment_sha256_and_unit(dirs):
    raw, mail = dirs
    data = workbook(DAILY)
    save(mail, "a.eml", message(NGOC_HA, [("bc.xlsx", data)], message_id="<m1@x.invalid>"))
    run(raw, mail)
    (row,) = read_log(raw)
    assert row["sender"] == NGOC_HA
    assert row["date"] == "2025-11-24T09:00:00+07:00"
    assert row["message_id"] == "<m1@x.invalid>"
    assert row["attachment"] == "bc.xlsx"
    assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert (row["unit_code"], row["unit_from"], row["form"], row["version"]) == (
        "00008",
        "form",
        "unit_daily",
        "1",
    )
    assert (row["action"], row["file"]) == (
        "taken",
        f"{WEEK}/unit_reports/00008_unit_daily_2025-11-17.xlsx",
    )
    with (raw / LOG_NAME).open(encoding="utf-8-sig") as fh:  # a CSV Excel opens
        assert next(csv.reader(fh))[:4] == ["seq", "collected_at", "message_file", "sender"]


def test_a_maildir_is_read_like_a_folder_of_eml_files(dirs):
    raw, mail = dirs
    box = mailbox.Maildir(mail, create=True)
    box.add(message(NGOC_HA, [("bc.xlsx", workbook(DAILY))]))
    box.close()
    report = run(raw, mail)
    assert report.counts["taken"] == 1
    assert read_log(raw)[0]["message_file"].startswith("new/")


def test_a_units_own_workbook_goes_to_the_week_named_by_its_sender(dirs):
    raw, mail = dirs
    save(mail, "a.eml", message(BA_DINH, [("bao cao tuan.xlsx", workbook())]))
    run(raw, mail, week=WEEK)
    assert (raw / WEEK / "unit_reports" / "00004_own-workbook.xlsx").is_file()
    (row,) = read_log(raw)
    assert (row["unit_code"], row["unit_from"], row["form"]) == ("00004", "address_book", "own")


def test_a_units_own_workbook_without_week_stops_with_one_line_and_changes_nothing(dirs):
    raw, mail = dirs
    save(mail, "a.eml", message(BA_DINH, [("bao cao tuan.xlsx", workbook())]))
    with pytest.raises(
        ConfigError, match=r"a\.eml: bao cao tuan\.xlsx is not an issued form.*WEEK="
    ):
        run(raw, mail)
    assert not raw.exists()


# ---------------------------------------------------------------- flags, repeats, duplicates


def test_a_form_sent_from_another_units_address_is_taken_and_flagged(dirs):
    raw, mail = dirs
    save(mail, "a.eml", message(BA_DINH, [("bc.xlsx", workbook(DAILY))]))
    report = run(raw, mail)
    (row,) = read_log(raw)
    assert row["action"] == "taken"
    assert f"unit 00008 was sent from {BA_DINH} (the address of unit 00004)" in row["warning"]
    assert [line for line in report.lines if line.startswith("WARNING: a.eml bc.xlsx")]
    assert report.counts["warning"] == 1


def test_the_newest_of_repeated_sends_is_kept_and_the_older_named(dirs):
    raw, mail = dirs
    # saved in the other order: the message Date decides, not the file name
    newer = workbook(DAILY, vehicles=20)
    save(mail, "1.eml", message(NGOC_HA, [("v2.xlsx", newer)], hour=15))
    save(mail, "2.eml", message(NGOC_HA, [("v1.xlsx", workbook(DAILY, vehicles=10))], hour=8))
    run(raw, mail)
    rows = {r["attachment"]: r for r in read_log(raw)}
    assert rows["v2.xlsx"]["action"] == "taken"
    older = rows["v1.xlsx"]
    assert older["action"] == "older_repeat"
    assert "older than v2.xlsx of 1.eml" in older["reason"]
    kept = raw / WEEK / "unit_reports" / "00008_unit_daily_2025-11-17.xlsx"
    assert kept.read_bytes() == newer
    # the older one is kept outside every delivery: ingest never reads it
    assert older["file"].startswith(f"{OLDER_DIR}/{WEEK}/unit_reports/")
    assert (raw / older["file"]).is_file()
    assert list((raw / WEEK / "unit_reports").iterdir()) == [kept]


def test_a_newer_send_in_a_later_run_moves_the_earlier_one_aside(dirs):
    raw, mail = dirs
    first, second = workbook(DAILY, vehicles=10), workbook(DAILY, vehicles=20)
    save(mail, "1.eml", message(NGOC_HA, [("v1.xlsx", first)], hour=8))
    run(raw, mail)
    save(mail, "2.eml", message(NGOC_HA, [("v2.xlsx", second)], hour=15))
    report = run(raw, mail)
    rows = {r["attachment"]: r for r in read_log(raw)}
    assert rows["v1.xlsx"]["action"] == "older_repeat" and rows["v2.xlsx"]["action"] == "taken"
    assert (raw / rows["v1.xlsx"]["file"]).read_bytes() == first
    assert (raw / rows["v2.xlsx"]["file"]).read_bytes() == second
    assert any(line.startswith("older repeat: 2025-11-23/unit_reports/") for line in report.lines)


def test_a_byte_identical_repeat_is_logged_as_a_duplicate_and_not_kept_again(dirs):
    raw, mail = dirs
    data = workbook(DAILY)
    save(mail, "1.eml", message(NGOC_HA, [("bc.xlsx", data)], hour=8))
    save(mail, "2.eml", message(NGOC_HA, [("bc (1).xlsx", data)], hour=9))
    report = run(raw, mail)
    rows = {r["message_file"]: r for r in read_log(raw)}
    assert rows["1.eml"]["action"] == "taken"
    assert rows["2.eml"]["action"] == "duplicate" and rows["2.eml"]["file"] == ""
    assert "byte-identical to bc.xlsx of 1.eml" in rows["2.eml"]["reason"]
    assert report.counts["duplicate"] == 1
    assert not (raw / OLDER_DIR).exists()


# ---------------------------------------------------------------- never in silence


def test_a_file_in_the_way_that_collect_did_not_put_there_stops_the_run(dirs):
    raw, mail = dirs
    mine = save(raw / WEEK / "unit_reports", "00008_unit_daily_2025-11-17.xlsx", b"by hand")
    save(mail, "a.eml", message(NGOC_HA, [("bc.xlsx", workbook(DAILY))]))
    with pytest.raises(DeliveryError, match=r"00008_unit_daily_2025-11-17\.xlsx: already in"):
        run(raw, mail)
    assert mine.read_bytes() == b"by hand"
    assert not (raw / LOG_NAME).exists()


def test_a_collected_file_changed_by_hand_is_not_replaced_by_a_newer_send(dirs):
    raw, mail = dirs
    save(mail, "1.eml", message(NGOC_HA, [("v1.xlsx", workbook(DAILY, vehicles=10))], hour=8))
    run(raw, mail)
    placed = raw / WEEK / "unit_reports" / "00008_unit_daily_2025-11-17.xlsx"
    placed.write_bytes(b"edited")
    save(mail, "2.eml", message(NGOC_HA, [("v2.xlsx", workbook(DAILY, vehicles=20))], hour=15))
    before = (raw / LOG_NAME).read_bytes()
    with pytest.raises(DeliveryError, match="changed since collect-reports put it there"):
        run(raw, mail)
    assert placed.read_bytes() == b"edited" and (raw / LOG_NAME).read_bytes() == before


def test_a_second_run_on_the_same_mail_changes_nothing_and_says_so(dirs):
    raw, mail = dirs
    save(mail, "1.eml", message(NGOC_HA, [("v1.xlsx", workbook(DAILY, vehicles=10))], hour=8))
    save(mail, "2.eml", message(NGOC_HA, [("v2.xlsx", workbook(DAILY, vehicles=20))], hour=15))
    save(mail, "3.eml", message(BA_DINH, [("scan.pdf", b"%PDF-1.4")]))
    save(mail, "4.eml", b"\x00\x01 not mail")
    run(raw, mail, week=WEEK)
    before = files_under(raw)
    stamps = {p: p.stat().st_mtime_ns for p in raw.rglob("*")}
    report = run(raw, mail, week=WEEK)
    assert files_under(raw) == before
    assert {p: p.stat().st_mtime_ns for p in raw.rglob("*")} == stamps
    assert not report.changed and report.already == 4
    assert summary(report, raw).startswith("nothing new:")
    assert summary(report, raw).endswith("nothing changed")


# ---------------------------------------------------------------- said out loud


def test_an_unreadable_message_is_said_and_logged_with_its_reason(dirs):
    raw, mail = dirs
    save(mail, "empty.eml", b"")
    save(mail, "junk.eml", b"\x00\x01\x02 this is no mail")
    save(mail, "ok.eml", message(NGOC_HA, [("bc.xlsx", workbook(DAILY))]))
    report = run(raw, mail)
    rows = {r["message_file"]: r for r in read_log(raw)}
    assert rows["empty.eml"]["reason"] == "unreadable message: the file is empty"
    assert rows["junk.eml"]["action"] == "refused"
    assert "unreadable message: no e-mail headers" in rows["junk.eml"]["reason"]
    assert "refused: junk.eml: unreadable message: no e-mail headers" in "\n".join(report.lines)
    assert rows["ok.eml"]["action"] == "taken"


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("scan.pdf", b"%PDF-1.4", "not a report"),
        ("bc.xls", b"\xd0\xcf\x11\xe0", "a .xls workbook, which the suite does not read"),
        ("bc.xlsx", b"not a zip", "not a readable .xlsx workbook"),
    ],
)
def test_an_attachment_not_taken_is_said_with_its_reason(dirs, name, data, reason):
    raw, mail = dirs
    save(mail, "a.eml", message(NGOC_HA, [(name, data)]))
    report = run(raw, mail, week=WEEK)
    (row,) = read_log(raw)
    assert row["action"] == "refused" and reason in row["reason"]
    assert f"refused: a.eml {name}: {reason}" in "\n".join(report.lines)
    assert not (raw / WEEK).exists()


def test_a_damaged_form_identity_is_refused_naming_the_key(dirs):
    raw, mail = dirs
    book = openpyxl.load_workbook(io.BytesIO(workbook(DAILY)))
    book["_form"]["B4"] = "17/11"  # first_day
    buf = io.BytesIO()
    book.save(buf)
    save(mail, "a.eml", message(NGOC_HA, [("bc.xlsx", buf.getvalue())]))
    run(raw, mail)
    (row,) = read_log(raw)
    assert row["action"] == "refused" and "first_day" in row["reason"]


def test_the_command_says_one_line_per_attachment_and_a_summary(dirs, capsys):
    raw, mail = dirs
    save(mail, "a.eml", message(NGOC_HA, [("bc.xlsx", workbook(DAILY)), ("x.pdf", b"%PDF")]))
    assert main(["--from", str(mail), "--raw-dir", str(raw)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out[:2]] == ["taken", "refused"]
    assert out[-1].startswith("1 message(s): 1 taken, 0 older repeat(s), 0 duplicate(s), 1 refused")


def test_the_command_stops_with_one_line_naming_a_missing_folder(tmp_path, capsys):
    assert main(["--from", str(tmp_path / "nowhere"), "--raw-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nowhere: no such folder" in err


# ---------------------------------------------------------------- end to end


def test_make_collect_reports_fills_a_delivery_that_ingest_reads(tmp_ws, tmp_path):
    full_delivery(tmp_ws, WEEK, skip=("unit_reports",))
    mail = tmp_path / "mail"
    save(mail, "a.eml", message(BA_DINH, [("bao cao.xlsx", workbook())]))
    save(mail, "b.eml", message(NGOC_HA, [("scan.pdf", b"%PDF-1.4")]))
    env = os.environ | {"CATP_RAW_DIR": str(tmp_ws.raw)}
    env.pop("MAKEFLAGS", None)
    done = subprocess.run(
        [
            "make",
            "-s",
            "collect-reports",
            f"PY={sys.executable}",
            "STAMP=",
            f"FROM={mail}",
            f"WEEK={WEEK}",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "taken: a.eml bao cao.xlsx (00004 own)" in done.stdout
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    read = [f["file"] for f in ledger["files"] if f["source"] == "unit_reports"]
    assert read == [f"{WEEK}/unit_reports/00004_own-workbook.xlsx"]
    # the log beside the deliveries and nothing else is named as unread
    assert [w for w in ledger["warnings"] if w["code"] in ("unread_file", "odd_folder")] == []


@pytest.mark.parametrize("variable, option", [("FROM", "--from"), ("WEEK", "--week")])
def test_make_passes_from_and_week_as_one_argument_never_as_code(tmp_path, variable, option):
    from tests.pipeline.test_makefile import hostile_values

    out, marker = tmp_path / "argv.json", tmp_path / "pwned"
    fake = tmp_path / "fake-python"
    fake.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(out)!r}, 'w').write(json.dumps(sys.argv[1:]))\n",
        "utf-8",
    )
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "CATP_RAW_DIR")}
    for value in hostile_values(marker):
        given = {"FROM": "mail", "WEEK": WEEK} | {variable: value}
        args = [f"{k}={v}" for k, v in given.items()]
        done = subprocess.run(
            ["make", "-s", "collect-reports", f"PY={fake}", "STAMP=", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert not marker.exists(), value
        argv = json.loads(out.read_text("utf-8"))
        assert argv[argv.index(option) + 1] == value


def test_an_attachment_name_with_folders_never_reaches_the_disk_as_a_path(dirs, tmp_path):
    raw, mail = dirs
    data = workbook(DAILY)
    save(mail, "a.eml", message(NGOC_HA, [("../../../evil.xlsx", data), ("..", data)]))
    run(raw, mail)
    assert files_under(tmp_path).keys() == {
        "mail/a.eml",
        f"raw/{WEEK}/unit_reports/00008_unit_daily_2025-11-17.xlsx",
        "raw/collect-log.csv",
    }
