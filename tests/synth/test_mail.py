"""The sample's returned reports by mail (synth.mail): the messages, their collection into the
deliveries, ingest of the collected forms, and the truth behind them (issue #28 item 3)."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from email import policy
from email.parser import BytesParser

import numpy as np
import openpyxl
import pandas as pd
import pytest

import synth
from helpers.collect import collect, read_log
from helpers.config import load_plan
from helpers.forms import identify
from helpers.forms.layout import FIRST_ROW, cell_text
from helpers.forms.write import build_form, daily_rows, form_identity, period_between
from helpers.paths import CONTACTS_FILE
from synth import mail as ml

MAILED = ml.mailed_deliveries()


def _messages(folder):
    return {
        p.name: BytesParser(policy=policy.default).parsebytes(p.read_bytes())
        for p in sorted(folder.glob("*.eml"))
    }


def _log(ws) -> pd.DataFrame:
    return pd.DataFrame(read_log(ws.raw))


# ---------------------------------------------------------------- the form, copied per unit


@pytest.fixture(scope="module")
def template():
    plan = load_plan()
    period = period_between(plan, date(2025, 11, 18), date(2025, 11, 23))
    return ml.FormTemplate(plan, period), plan, period


def test_a_units_copy_of_the_template_is_the_form_the_writer_issues_it(template, tmp_path):
    tpl, plan, period = template
    name = "Phường Ngọc Hà"
    path = tmp_path / "copy.xlsx"
    path.write_bytes(tpl.form("00008", name, [[""] * 4] * tpl.days))
    issued = build_form(
        form_identity("unit_daily", "00008", period), name, daily_rows("00008", name, period),
        plan, period,
    )  # fmt: skip
    mine, theirs = openpyxl.load_workbook(path), issued
    for a, b in zip(mine.worksheets, theirs.worksheets, strict=True):
        assert [[cell_text(c.value) for c in r] for r in a.iter_rows()] == [
            [cell_text(c.value) for c in r] for r in b.iter_rows()
        ]
    assert mine.worksheets[0].protection.sheet and mine["_form"].sheet_state == "veryHidden"
    assert mine.worksheets[0].data_validations.dataValidation  # the validation is kept
    assert identify(path) == form_identity("unit_daily", "00008", period)


def test_the_typed_figures_are_in_the_input_cells_and_the_bytes_repeat(template):
    tpl, _, _ = template
    values = [["12", "10", "", "3"], ["", "", "", ""], ["7 xe", "1", "2", "0"]] + [[""] * 4] * (
        tpl.days - 3
    )
    data = tpl.form("00008", "Phường Ngọc Hà", values)
    assert data == tpl.form("00008", "Phường Ngọc Hà", values)  # same seed, same bytes
    import io

    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [sheet.cell(FIRST_ROW, j).value for j in range(5, 9)] == [12, 10, None, 3]
    assert sheet.cell(FIRST_ROW + 1, 5).value is None
    assert sheet.cell(FIRST_ROW + 2, 5).value == "7 xe"


# ---------------------------------------------------------------- the sample's mail


def test_the_mail_holds_a_message_per_unit_for_each_delivery_after_the_first(sample_ws):
    mail = ml.mail_dir(sample_ws.raw)
    assert not (mail / synth.DELIVERIES[0]).exists()  # no form was issued before
    assert MAILED and all(synth.DELIVERIES.index(d) > 0 for d in MAILED)
    for d in MAILED:
        messages = _messages(mail / d)
        assert len({n.split("_")[0] for n in messages}) == 126, d
        forms = 0
        for msg in messages.values():
            assert msg["From"] and msg["Date"] and msg["Message-ID"]
            (part,) = list(msg.iter_attachments())
            forms += "bieu-mau-bao-cao-ngay" in part.get_filename()
        assert forms >= 126 - ml.OWN_UNITS, d  # most units return the issued form


def test_the_mail_is_outside_every_delivery(sample_ws):
    mail = ml.mail_dir(sample_ws.raw)
    assert sample_ws.raw.resolve() not in mail.resolve().parents
    assert not list(sample_ws.raw.rglob("*.eml"))


def test_late_messages_are_dated_after_their_delivery_and_still_in_it(sample_ws):
    log = _log(sample_ws)
    taken = log[(log["action"] == "taken") & (log["form"] == "unit_daily")]
    when = pd.to_datetime(taken["date"], utc=True).dt.tz_convert("Asia/Bangkok").dt.date
    late = taken[when.astype(str) > taken["delivery"]]
    assert len(late) >= len(MAILED) * 5
    assert (late["file"].str[:10] == late["delivery"]).all()


def test_the_collection_log_flags_the_wrong_address_and_keeps_the_newest(sample_ws):
    log = _log(sample_ws)
    flagged = log[log["warning"] != ""]
    assert len(flagged) == 1 and flagged["action"].iat[0] == "taken"
    assert flagged["delivery"].iat[0] == ml.WRONG_ADDRESS
    assert "gmail.invalid" in flagged["warning"].iat[0]
    older = log[log["action"] == "older_repeat"]
    assert len(older) == ml.TWICE * len(MAILED)
    assert older["file"].str.startswith(".collect-older/").all()
    assert older["reason"].str.contains("_2.eml").all()  # the one kept is named
    for row in older.itertuples():
        kept = log[
            (log["unit_code"] == row.unit_code)
            & (log["delivery"] == row.delivery)
            & (log["action"] == "taken")
        ]
        assert len(kept) == 1 and kept["date"].iat[0] > row.date
        assert (sample_ws.raw / kept["file"].iat[0]).is_file()


def test_last_weeks_form_sent_again_is_a_duplicate_and_nothing_arrives(sample_ws):
    log = _log(sample_ws)
    dup = log[log["action"] == "duplicate"]
    assert len(dup) == 1
    unit = dup["unit_code"].iat[0]
    assert dup["message_file"].iat[0].startswith(unit)
    prev = MAILED[MAILED.index(ml.LAST_WEEK) - 1]
    assert dup["delivery"].iat[0] == prev  # the form names last week's delivery
    assert not list((sample_ws.raw / ml.LAST_WEEK / "unit_reports").glob(f"{unit}_*"))
    truth = pd.read_parquet(sample_ws.truth / "unit_reports.parquet")
    days = synth.deliver.delivery_days(ml.LAST_WEEK)
    mine = truth[
        (truth["unit_code"] == unit)
        & truth["report_date"].between(pd.Timestamp(days[0]), pd.Timestamp(days[-1]))
    ]
    assert len(mine) and not mine["delivered"].any()
    assert truth["delivered"].sum() == len(truth) - len(mine)


def test_collecting_the_sample_mail_again_changes_nothing(sample_ws):
    for d in MAILED:
        report = collect(sample_ws.raw, ml.mail_dir(sample_ws.raw) / d, week=d)
        assert not report.changed and report.already > 0


def test_collect_reports_over_the_sample_mail_fills_an_empty_delivery(sample_ws, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    d = MAILED[0]
    report = collect(raw, ml.mail_dir(sample_ws.raw) / d, week=d, contacts_path=CONTACTS_FILE)
    files = sorted(p.name for p in (raw / d / "unit_reports").iterdir())
    assert len(files) == 126
    assert sum(f.endswith("_own-workbook.xlsx") for f in files) == ml.OWN_UNITS
    assert report.counts["older_repeat"] == ml.TWICE and report.counts["warning"] == 1
    with (raw / "collect-log.csv").open(encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == report.messages
    # byte for byte what the sample's collection put into that delivery
    for name in files:
        assert (raw / d / "unit_reports" / name).read_bytes() == (
            sample_ws.raw / d / "unit_reports" / name
        ).read_bytes()


def test_the_summary_counts_what_was_collected(sample_ws):
    summary = json.loads((sample_ws.truth / "summary.json").read_text("utf-8"))
    assert set(summary["collected"]) == set(MAILED)
    assert summary["collected"][ml.WRONG_ADDRESS]["warning"] == 1


# ---------------------------------------------------------------- ingest and the truth


def test_ingest_counts_the_units_that_used_the_form_and_refuses_the_changed_cell(
    ingested, sample_week
):
    assert sample_week == ml.LOCKED_CHANGED
    folder = ingested.processed_week(sample_week)
    ledger = json.loads((folder / "ledger.json").read_text("utf-8"))
    used = ledger["forms"]["unit_daily"]
    # every unit but the ones with a workbook of their own and the refused one
    assert used == {"units": 126 - ml.OWN_UNITS - 1, "refused": 1}
    rejects = pd.read_parquet(folder / "rejects.parquet")
    refused = rejects[rejects["reason_code"] == "form_locked_changed"]
    assert set(refused["value"]) == {ml.LOCKED_CELL}
    (file,) = set(refused["source_file"])
    truth = pd.read_parquet(ingested.truth / "unit_reports.parquet")
    unit = file.rsplit("/", 1)[-1][:5]
    days = synth.deliver.delivery_days(sample_week)
    rejected = truth[
        (truth["reject_reason"] == "form_locked_changed")
        & truth["report_date"].between(pd.Timestamp(days[0]), pd.Timestamp(days[-1]))
    ]
    assert set(rejected["unit_code"]) == {unit}
    assert rejected["rejected_at_ingest"].all() and len(rejected) == len(refused)
    faults = pd.read_parquet(ingested.truth / "faults.parquet")
    logged = faults[faults["fault_kind"] == "form_locked_changed"]
    assert set(logged["source_file"]) == {file}
    assert sorted(logged["source_row"]) == sorted(refused["source_row"])


def test_the_truth_rows_of_a_form_sit_on_their_days_rows(sample_ws):
    faults = pd.read_parquet(sample_ws.truth / "faults.parquet")
    forms = faults[faults["source_file"].str.contains("_unit_daily_")]
    assert len(forms)
    for rel, group in forms.groupby("source_file"):
        sheet = openpyxl.load_workbook(sample_ws.raw / rel).worksheets[0]
        for row, col, value in group[["source_row", "column", "delivered_value"]].itertuples(
            index=False
        ):
            if col == "_form":
                continue
            j = 5 + list(synth.selfreport.REPORT_COUNTS).index(col)
            got = sheet.cell(row, j).value
            assert ("" if got is None else str(got)) == (value or ""), (rel, row, col)
        assert np.all(group["source_row"] >= FIRST_ROW)


def test_the_mail_moves_aside_with_a_regenerated_sample(tmp_path):
    raw = tmp_path / "raw"
    (raw / ".collect-older").mkdir(parents=True)
    (raw / "collect-log.csv").write_text("x", "utf-8")
    stale = ml.mail_dir(raw) / MAILED[0]
    stale.mkdir(parents=True)
    (stale / "old.eml").write_text("x", "utf-8")
    ml.clear(raw)
    assert not stale.exists() and not (raw / "collect-log.csv").exists()
    assert not (raw / ".collect-older").exists()
    shutil.rmtree(tmp_path)
