"""The week on disk (helpers.progress.week): every table written, last week's figures, the previous
conference, inputs never changed, clear errors."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from helpers import progress
from tests.progress.builders import (
    WEEK,
    A,
    build,
    daily,
    links,
    make_check,
    records,
    status_table,
    window,
    write_week,
)


def test_inputs_are_never_changed(plan):
    veh = status_table(records(A, assigned=10, cleaned_at=window()[:3], pending=1))
    lic = status_table(records(A, assigned=4, prefix="L"))
    subs = links([{"unit_code": A, "submitted_at": "2025-11-20 08:00"}])
    check = make_check(A, 150, 100)
    before = [f.copy() for f in (veh, lic, subs, check)]
    agg = progress.aggregate(veh, lic, subs, plan, as_of=WEEK, self_report_check=check)
    tables = progress.compute(agg, plan, as_of=WEEK)
    units_before = tables["unit_progress"].copy()
    progress.laggards(tables["unit_progress"], plan)
    progress.leaders(tables["unit_progress"], plan)
    for now, then in zip((veh, lic, subs, check), before, strict=True):
        pd.testing.assert_frame_equal(now, then)
    pd.testing.assert_frame_equal(tables["unit_progress"], units_before)


def test_missing_column_is_a_clear_error(plan):
    veh = status_table(records(A, assigned=2)).drop(columns="reviewed_at")
    with pytest.raises(progress.PipelineError, match="reviewed_at"):
        build(plan, veh)


def test_progress_week_writes_every_table(tmp_ws, plan):
    from helpers import store

    write_week(tmp_ws, "2025-11-23", status_table(records(A, assigned=10, cleaned_at=window())))
    tables = progress.progress_week(tmp_ws, "2025-11-23", plan)
    for name in progress.OUTPUT_TABLES:
        on_disk = store.load(tmp_ws, name, "2025-11-23")
        assert len(on_disk) == len(tables[name]), name
    units = store.load(tmp_ws, "unit_progress", "2025-11-23")
    assert len(units) == 126 and units.loc[units["unit_code"] == A, "org_count"].item() == 1


def test_progress_week_takes_last_weeks_figures_from_its_folder(tmp_ws, plan):
    from helpers import store

    # last week's run saw 3 cleanings; this week's data dates them differently
    write_week(
        tmp_ws,
        "2025-11-16",
        status_table(records(A, assigned=10, cleaned_at=daily(date(2025, 11, 14), 3))),
    )
    progress.progress_week(tmp_ws, "2025-11-16", plan)
    write_week(tmp_ws, "2025-11-23", status_table(records(A, assigned=10, cleaned_at=window())))
    progress.progress_week(tmp_ws, "2025-11-23", plan)
    units = store.load(tmp_ws, "unit_progress", "2025-11-23").set_index("unit_code")
    assert units.loc[A, "veh_gain_prev_week"] == 3  # from 2025-11-16's table, not timestamps


@pytest.mark.parametrize(
    "folders, expected",
    [
        ({}, "2025-11-16"),  # nothing earlier: the first conference (the cadence back)
        ({"2025-11-17": "submissions.csv"}, "2025-11-17"),  # 6 days apart, as in the sample
        ({"2025-11-10": "submissions.csv"}, "2025-11-10"),  # a week skipped: still the previous
        ({"2025-11-12": "submissions.csv", "2025-11-15": "submissions.xlsx"}, "2025-11-15"),
        # a mid-week re-delivery of the registry is no conference
        ({"2025-11-16": "submissions.csv", "2025-11-19": "registry_vehicles.csv"}, "2025-11-16"),
        ({"2025-11-19": "registry_vehicles.csv"}, "2025-11-16"),
    ],
)
def test_previous_week_is_the_previous_conference(tmp_ws, plan, folders, expected):
    for name, file in folders.items():
        (tmp_ws.raw / name).mkdir()
        (tmp_ws.raw / name / file).write_text("x\n", "utf-8")
    assert progress.previous_week(tmp_ws, "2025-11-23", plan) == expected


def test_progress_week_without_reconciled_tables_says_what_to_run(tmp_ws, plan):
    with pytest.raises(progress.DeliveryError, match="run 01_ingest and 02_reconcile first"):
        progress.progress_week(tmp_ws, "2025-11-23", plan)
