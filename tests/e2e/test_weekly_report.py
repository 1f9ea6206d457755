"""End to end: the weekly report of the sample week, as `make weekly-report` builds it."""

from __future__ import annotations

import json

import pytest

from helpers import runner
from tests.pii import find_personal_data, notebook_text, personal_tokens

pytestmark = pytest.mark.slow


def test_every_output_is_in_the_week_folder(weekly_report, sample_week):
    names = {p.name for p in weekly_report.iterdir()}
    for lang in ("vi", "en"):
        assert f"briefing-{sample_week}-{lang}.pdf" in names
        assert f"briefing-{sample_week}-{lang}.html" in names
        assert f"city-pack-{sample_week}-{lang}.xlsx" in names
    assert f"units-{sample_week}.zip" in names
    assert len(list((weekly_report / "units").glob("*.xlsx"))) == 126
    executed = sorted(p.name for p in (weekly_report / "notebooks").iterdir())
    assert executed == [
        "01_ingest.ipynb",
        "02_reconcile.ipynb",
        "03_progress.ipynb",
        "04_briefing-en.ipynb",
        "04_briefing-vi.ipynb",
        "05_packs-en.ipynb",
        "05_packs-vi.ipynb",
    ]


def test_manifest_lists_every_file_with_its_hash(weekly_report):
    manifest = json.loads((weekly_report / "manifest.json").read_text("utf-8"))
    on_disk = {
        p.relative_to(weekly_report).as_posix()
        for p in weekly_report.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert {f["path"] for f in manifest["files"]} == on_disk
    for entry in manifest["files"]:
        assert entry["sha256"] == runner.sha256(weekly_report / entry["path"])
    assert [s["step"] for s in manifest["steps"]][:3] == [
        "01_ingest",
        "02_reconcile",
        "03_progress",
    ]


def test_executed_notebooks_hold_no_personal_data(weekly_report, progressed, sample_week):
    tokens = personal_tokens(progressed, sample_week)
    assert len(tokens.ids) > 10_000 and len(tokens.plates) > 10_000 and len(tokens.names) > 1_000
    for path in sorted((weekly_report / "notebooks").glob("*.ipynb")):
        leaks = find_personal_data(notebook_text(path), tokens)
        assert leaks == [], f"{path.name} shows personal data: {leaks[:5]}"
