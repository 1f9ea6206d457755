"""load_briefing_data: the record tables' scan for texts too long for a cell runs in the
background, in the running step's context (the store still refuses an undeclared read), and
its count or its error reaches whoever reads it."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from helpers import PipelineError, briefing, pipeline, store
from tests.briefing.builders import WEEK


def test_the_count_is_read_once_the_scan_ends_and_the_load_does_not_wait_for_it(
    hand_made, monkeypatch
):
    ws, _ = hand_made
    store.save(
        ws,
        pd.DataFrame({"unit_code": ["00008"], "note": ["x" * 40_000]}),
        "submissions",
        WEEK,
        partial=True,
    )
    release = threading.Event()
    scan = briefing.data.overlong_texts

    def held(*args):
        release.wait(10)
        return scan(*args)

    monkeypatch.setattr(briefing.data, "overlong_texts", held)
    data = briefing.load_briefing_data(ws, WEEK)  # returns while the scan is held
    assert not data.overlong.done()
    release.set()
    assert data.overlong_texts == 1
    assert briefing.BriefingData(**data.__dict__).overlong_texts == 1  # rebuilt as tests do


def test_the_scan_reads_only_what_the_briefing_declares(hand_made, monkeypatch):
    ws, _ = hand_made
    store.save(ws, pd.DataFrame({"unit_code": ["00008"]}), "registry_vehicles", WEEK, partial=True)
    monkeypatch.setattr(pipeline, "RECORD_TABLES", (*pipeline.RECORD_TABLES, "registry_vehicles"))
    data = briefing.load_briefing_data(ws, WEEK)
    with pytest.raises(PipelineError, match="registry_vehicles"):
        _ = data.overlong_texts
