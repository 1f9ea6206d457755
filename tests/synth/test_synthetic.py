"""Generated data says so: the generator's marker, the ledger's record, the week's verdict."""

from __future__ import annotations

import json

import pytest

from helpers import ingest, synthetic
from synth import DELIVERIES
from tests.ingest_builders import WEEK, full_delivery


def test_the_generator_marks_every_delivery_folder_it_writes(sample_ws):
    assert all(synthetic.is_marked(sample_ws.delivery(d)) for d in DELIVERIES)


def test_the_ledger_records_the_generated_folders_and_later_stages_read_it(ingested, sample_week):
    ledger = json.loads((ingested.processed_week(sample_week) / "ledger.json").read_text("utf-8"))
    assert ledger["synthetic_deliveries"] == [d for d in DELIVERIES if d <= sample_week]
    assert synthetic.week_is_synthetic(ingested, sample_week)


def test_a_real_delivery_is_not_synthetic(tmp_ws):
    full_delivery(tmp_ws)
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    assert ledger["synthetic_deliveries"] == []
    assert not synthetic.week_is_synthetic(tmp_ws, WEEK)


def test_one_generated_folder_among_real_ones_makes_the_week_synthetic(tmp_ws):
    full_delivery(tmp_ws, "2025-11-16")
    full_delivery(tmp_ws, WEEK)
    synthetic.write_marker(tmp_ws.delivery("2025-11-16"))
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    assert ledger["synthetic_deliveries"] == ["2025-11-16"]
    assert synthetic.week_is_synthetic(tmp_ws, WEEK)


def test_the_marker_is_no_unread_file_warning(tmp_ws):
    synthetic.write_marker(full_delivery(tmp_ws))
    ledger = ingest.ingest_week(tmp_ws, WEEK)
    assert not [w for w in ledger["warnings"] if w["code"] == "unread_file"]


def test_a_week_not_ingested_is_not_known_to_be_synthetic(tmp_ws):
    assert not synthetic.week_is_synthetic(tmp_ws, WEEK)


# ---------------------------------------------------------------- every document says so

MARK = "DỮ LIỆU MẪU / SYNTHETIC DATA"


def _ledger(ws, week: str, synthetic_deliveries: list[str]) -> None:
    """The week's ingest ledger as later stages read it (no file of its own here)."""
    ledger = {"week": week, "balanced": True, "sources": {}, "files": [], "warnings": []}
    ledger["synthetic_deliveries"] = synthetic_deliveries
    ws.processed_week(week).mkdir(parents=True, exist_ok=True)
    (ws.processed_week(week) / "ledger.json").write_text(json.dumps(ledger), "utf-8")


def _sheets(path, ws=None, code=None):
    import io

    import openpyxl

    from tests.pii import open_pack, unit_password

    data = path.read_bytes()
    if code is not None:
        data = open_pack(data, unit_password(ws, code))
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets


@pytest.mark.parametrize("generated", [True, False])
def test_every_sheet_of_a_generated_weeks_packs_says_so_and_a_real_weeks_never(tmp_ws, generated):
    from helpers import packs
    from tests.packs.builders import U1, WEEK, write_week

    write_week(tmp_ws)
    _ledger(tmp_ws, WEEK, [WEEK] if generated else [])
    out = tmp_ws.output_week(WEEK)
    result = packs.build_packs(tmp_ws, WEEK, out, "vi", workers=1, units=[U1])
    unit_pack = out / "units" / result.units["file"].iloc[0]
    for sheets in (_sheets(result.city), _sheets(unit_pack, tmp_ws, U1)):
        for sheet in sheets:
            marked = MARK in (sheet.oddFooter.center.text or "") and "DỮ LIỆU MẪU" in (
                sheet.oddHeader.right.text or ""
            )
            assert marked == generated, sheet.title
        assert (MARK in str(sheets[0]["A1"].value)) == generated  # the front sheet's banner


@pytest.mark.parametrize("generated", [True, False])
def test_every_mail_of_a_generated_week_says_so_in_subject_and_body(tmp_ws, tmp_path, generated):
    import email
    import email.policy

    from helpers import packs
    from tests.packs.builders import U1, WEEK, write_week
    from tests.sending.test_send import send

    write_week(tmp_ws)
    _ledger(tmp_ws, WEEK, [WEEK] if generated else [])
    packs.build_packs(tmp_ws, WEEK, tmp_ws.output_week(WEEK), "vi", workers=1, units=[U1])
    send(tmp_ws, tmp_path, units=[U1], dry_run=True)
    [eml] = (tmp_ws.output_week(WEEK) / "outbox").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    first_line = msg.get_body(("plain",)).get_content().splitlines()[0]
    assert str(msg["Subject"]).startswith(f"[{MARK}] ") == generated
    assert (MARK in first_line) == generated


def test_the_briefing_of_a_generated_week_says_so_at_the_top_of_every_page(tmp_ws):
    import nbformat

    from helpers.briefing import page_css
    from helpers.briefing.export import _built_from_generated_data
    from helpers.config import load_plan

    plan = load_plan()
    marked = page_css(plan, WEEK, "vi", synthetic=True)
    assert marked.count('@top-center { content: "DỮ LIỆU MẪU"; }') == 2  # portrait, appendix
    assert "@top-center" not in page_css(plan, WEEK, "en")
    _ledger(tmp_ws, WEEK, [WEEK])
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {
        "parameters": {"raw_dir": str(tmp_ws.raw), "processed_dir": str(tmp_ws.processed)}
    }
    assert _built_from_generated_data(nb, WEEK)
    _ledger(tmp_ws, WEEK, [])
    assert not _built_from_generated_data(nb, WEEK)


def test_a_ledger_of_the_first_form_records_no_generated_folder():
    # a bare list of files (ledger.json before it held sources and warnings) stopped the
    # briefing's export with "'list' object has no attribute 'get'"
    from helpers.synthetic import ledger_is_synthetic

    assert ledger_is_synthetic([{"source": "submissions", "file": "2025-11-23/s.csv"}]) is False
    assert ledger_is_synthetic({"synthetic_deliveries": ["2025-11-23"]}) is True
