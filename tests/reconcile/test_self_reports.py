"""Self-reports against the system (helpers.reconcile.self_reports)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from helpers import reconcile, store
from helpers.config import load_plan
from tests import reconcile_rows as R
from tests.reconcile.builders import WEEK, _reconcile

# --------------------------------------------------------------------------------------------
# Self-reports against the system
# --------------------------------------------------------------------------------------------


def _self_report(tmp_path, reported: int, collected: int, **report) -> pd.DataFrame:
    vehicles = [R.vehicle(i) for i in range(1, collected + 1)]
    subs = [
        R.vehicle_submission(f"S{i}", v, submitted_at=datetime(2025, 11, 18, 9))
        for i, v in enumerate(vehicles)
    ]
    ws = _reconcile(
        tmp_path,
        vehicles=vehicles,
        submissions=subs,
        unit_reports=[R.unit_report(date(2025, 11, 18), vehicles_collected=reported, **report)],
    )
    check = store.load(ws, "unit_self_report_check", WEEK)
    return check.set_index(pd.to_datetime(check["report_date"]).dt.date)


@pytest.mark.parametrize(
    ("reported", "collected", "overstated"),
    [
        (40, 30, True),  # 33 % over
        (33, 30, False),  # exactly 10 % over is within the threshold
        (34, 30, True),  # just above
        (19, 0, False),  # under min_reported: one record must not swing a small unit
        (20, 0, True),
        (25, 30, False),  # understatement is not flagged
    ],
)
def test_self_report_overstatement(tmp_path, reported, collected, overstated):
    row = _self_report(tmp_path, reported, collected).loc[date(2025, 11, 18)]
    assert row["reported_vehicles_collected"] == reported
    assert row["system_vehicles_collected"] == collected
    assert bool(row["overstated"]) is overstated


def test_self_report_counts_approvals_on_the_review_day(tmp_path):
    v = R.vehicle(1)
    s = R.vehicle_submission(
        "S1", v, submitted_at=datetime(2025, 11, 17, 9), reviewed_at=datetime(2025, 11, 19, 9)
    )
    ws = _reconcile(tmp_path, vehicles=[v], submissions=[s])
    check = store.load(ws, "unit_self_report_check", WEEK)
    by_day = check.set_index(pd.to_datetime(check["report_date"]).dt.date)
    assert by_day.loc[date(2025, 11, 17), "system_vehicles_collected"] == 1
    assert by_day.loc[date(2025, 11, 19), "system_vehicles_approved"] == 1


def test_self_report_days_after_the_week_are_left_out(tmp_path):
    ws = _reconcile(
        tmp_path, unit_reports=[R.unit_report(date(2025, 11, 24), vehicles_collected=99)]
    )
    assert store.load(ws, "unit_self_report_check", WEEK).empty


def test_self_report_verdict_sums_the_week_for_every_unit(tmp_path):
    reports = [R.unit_report(date(2025, 11, d), vehicles_collected=15) for d in (17, 18, 23)]
    reports.append(R.unit_report(date(2025, 11, 16), vehicles_collected=500))  # week before
    ws = _reconcile(tmp_path, unit_reports=reports)
    check = store.load(ws, "unit_self_report_check", WEEK)
    verdict = reconcile.self_report_verdict(check, WEEK, load_plan()).set_index("unit_code")
    assert len(verdict) == 126
    row = verdict.loc[R.UNIT]
    # no single day reaches min_reported (15 < 20) but the week does (45)
    assert (row["reported_total"], row["system_total"], row["days_reported"]) == (45, 0, 3)
    assert row["overstated"] and row["days_overstated"] == 0
    assert not verdict.drop(index=R.UNIT)["overstated"].any()


def test_self_report_verdict_compares_only_days_the_unit_reported(tmp_path):
    # 30 submissions on the 18th, none reported that day; 22 reported on the 19th, when the
    # system shows 20: within the threshold. Counting the 18th would hide any overstatement
    # and an unreported day is not an understatement either.
    vehicles = [R.vehicle(i) for i in range(1, 51)]
    subs = [
        R.vehicle_submission(
            f"S{i}",
            v,
            review_status="pending",
            submitted_at=datetime(2025, 11, 18 if i < 30 else 19, 9),
        )
        for i, v in enumerate(vehicles)
    ]
    ws = _reconcile(
        tmp_path,
        vehicles=vehicles,
        submissions=subs,
        unit_reports=[R.unit_report(date(2025, 11, 19), vehicles_collected=22)],
    )
    check = store.load(ws, "unit_self_report_check", WEEK)
    row = reconcile.self_report_verdict(check, WEEK, load_plan()).set_index("unit_code").loc[R.UNIT]
    assert (row["days_reported"], row["reported_total"], row["system_total"]) == (1, 22, 20)
    assert not row["overstated"]


def test_small_unit_is_judged_on_all_measures_together():
    # every measure under min_reported (20), together 48 against 36: overstated
    counts = pd.DataFrame(
        {
            "reported_vehicles_collected": [15],
            "system_vehicles_collected": [11],
            "reported_vehicles_approved": [10],
            "system_vehicles_approved": [8],
            "reported_licences_collected": [12],
            "system_licences_collected": [9],
            "reported_licences_cleaned": [11],
            "system_licences_cleaned": [8],
        }
    )
    out = reconcile.judge_self_reports(counts, load_plan()).iloc[0]
    assert out["overstated"] and out["ratio"] == pytest.approx(48 / 36)
    assert not any(out[f"overstated_{m}"] for m in reconcile.SELF_REPORT_MEASURES)


def test_judge_self_reports_does_not_change_its_input():
    counts = pd.DataFrame(
        {
            f"{side}_{m}": [50]
            for m in reconcile.SELF_REPORT_MEASURES
            for side in ("reported", "system")
        }
    )
    before = counts.copy()
    out = reconcile.judge_self_reports(counts, load_plan())
    pd.testing.assert_frame_equal(counts, before)
    assert out["ratio"].iloc[0] == 1.0 and not out["overstated"].iloc[0]
