"""Progress: per-unit metrics, deadline arithmetic, laggard rules, leaders and sentences.

Inputs are tiny hand-made reconciled tables: a few units with a handful of records each (the
other official units have nothing assigned, which is itself an edge case every test carries).
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from helpers import i18n, progress
from helpers.config import load_plan
from helpers.units import official_units

WEEK = date(2025, 11, 23)  # a Sunday; the 7-day window is 17..23 November
A, B, C, D = "00004", "00008", "00025", "00070"  # Ba Đình, Ngọc Hà, Giảng Võ, Hoàn Kiếm


@pytest.fixture(scope="module")
def plan():
    return load_plan()


def with_params(plan, section: str, **values):
    merged = {**getattr(plan, section), **values}
    return dataclasses.replace(plan, **{section: merged})


# --- builders ----------------------------------------------------------------------------------


def records(
    unit: str,
    *,
    assigned: int,
    cleaned_at: list[str] = (),
    pending: int = 0,
    rejected: int = 0,
    groups: dict[str, int] | None = None,
    prefix: str = "V",
) -> list[dict]:
    """``assigned`` records of one unit: one cleaned per ``cleaned_at`` timestamp, then pending,
    rejected, difficult groups, and the rest not submitted."""
    rows: list[dict] = []

    def add(status, submission=None, review=None, reviewed=None):
        n = len(rows)
        rows.append(
            {
                "record_id": f"{prefix}{unit}-{n:04d}",
                "unit_code": unit,
                "status": status,
                "submission_id": submission and f"S{unit}-{prefix}{n:04d}",
                "review_status": review,
                "reviewed_at": pd.Timestamp(reviewed) if reviewed else pd.NaT,
            }
        )

    for moment in cleaned_at:
        add("cleaned", True, "approved", moment)
    for _ in range(pending):
        add("pending_review", True, "pending")
    for _ in range(rejected):
        add("rejected_awaiting_resubmission", True, "rejected", "2025-11-20 09:00")
    for status, n in (groups or {}).items():
        for _ in range(n):
            add(status)
    while len(rows) < assigned:
        add("not_submitted")
    assert len(rows) == assigned, "builder: more records than assigned"
    return rows


def status_table(*unit_rows: list[dict]) -> pd.DataFrame:
    rows = [r for chunk in unit_rows for r in chunk]
    frame = pd.DataFrame(
        rows,
        columns=[
            "record_id",
            "unit_code",
            "status",
            "submission_id",
            "review_status",
            "reviewed_at",
        ],
    )
    frame["reviewed_at"] = pd.to_datetime(frame["reviewed_at"])
    return frame


def links(rows: list[dict] | None = None) -> pd.DataFrame:
    """Submissions: dicts with unit_code, submitted_at and optionally kind/review/reviewed_at."""
    out = []
    for i, r in enumerate(rows or []):
        out.append(
            {
                "submission_id": f"L{i:05d}",
                "kind": r.get("kind", "vehicle"),
                "unit_code": r["unit_code"],
                "record_id": None,
                "submitted_at": pd.Timestamp(r["submitted_at"]),
                "review_status": r.get("review_status", "pending"),
                "reviewed_at": pd.Timestamp(r["reviewed_at"]) if r.get("reviewed_at") else pd.NaT,
            }
        )
    frame = pd.DataFrame(
        out,
        columns=[
            "submission_id",
            "kind",
            "unit_code",
            "record_id",
            "submitted_at",
            "review_status",
            "reviewed_at",
        ],
    )
    for col in ("submitted_at", "reviewed_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def daily(first: date, n: int, per_day: int = 1, hour: int = 10) -> list[str]:
    """``per_day`` cleaning moments on each of ``n`` days starting at ``first``."""
    return [
        (
            datetime.combine(first + timedelta(days=d), datetime.min.time())
            + timedelta(hours=hour, minutes=k)
        ).isoformat(sep=" ")
        for d in range(n)
        for k in range(per_day)
    ]


def window(per_day: int = 1) -> list[str]:
    return daily(WEEK - timedelta(days=6), 7, per_day)


def build(plan, vehicles, licences=None, subs=None, *, as_of=WEEK, previous=None, **kw):
    """unit_progress indexed by unit code."""
    units = progress.unit_progress(
        vehicles,
        licences if licences is not None else status_table(),
        subs if subs is not None else links(),
        plan,
        as_of=as_of,
        previous=previous,
        **kw,
    )
    return units.set_index("unit_code", drop=False)


# --- counts ------------------------------------------------------------------------------------


def test_unit_table_has_all_126_units_even_without_records(plan):
    units = build(plan, status_table(records(A, assigned=3)))
    assert len(units) == 126 and units["unit_code"].is_unique


def test_counts_follow_the_winning_submission_and_the_status(plan):
    veh = status_table(
        records(
            A,
            assigned=10,
            cleaned_at=window()[:2],
            pending=3,
            rejected=1,
            groups={"owner_deceased": 2, "organization_owned": 1},
        )
    )
    row = build(plan, veh).loc[A]
    assert (row.veh_assigned, row.veh_cleaned, row.veh_pending, row.veh_rejected) == (10, 2, 3, 1)
    assert (row.veh_submitted, row.veh_approved, row.veh_not_submitted) == (6, 2, 4)
    assert (row.veh_difficult, row.veh_group_owner_deceased, row.veh_group_organization_owned) == (
        3,
        2,
        1,
    )
    assert row.veh_share_cleaned == pytest.approx(0.2)
    assert row.veh_share_submitted == pytest.approx(0.6)


def test_licence_columns_are_counted_separately(plan):
    lic = status_table(
        records(A, assigned=4, cleaned_at=window()[:3], prefix="L", groups={"holder_deceased": 1})
    )
    row = build(plan, status_table(records(A, assigned=2)), lic).loc[A]
    assert (row.lic_assigned, row.lic_cleaned, row.lic_group_holder_deceased) == (4, 3, 1)
    assert row.veh_cleaned == 0


# --- the week's gain and the deadline arithmetic -----------------------------------------------


def test_gain_week_counts_cleanings_in_the_seven_days_ending_on_the_week(plan):
    moments = ["2025-11-16 23:59", "2025-11-17 00:00", "2025-11-23 23:59", "2025-11-10 08:00"]
    row = build(plan, status_table(records(A, assigned=10, cleaned_at=moments))).loc[A]
    assert row.veh_gain_week == 2
    assert row.veh_rate_7d == pytest.approx(2 / 7)


def test_gain_prev_week_recomputed_from_timestamps_without_history(plan):
    moments = ["2025-11-10 08:00", "2025-11-16 23:59", "2025-11-09 23:00", "2025-11-20 08:00"]
    row = build(plan, status_table(records(A, assigned=10, cleaned_at=moments))).loc[A]
    assert row.veh_gain_prev_week == 2


def test_required_rate_is_remaining_over_days_left(plan):
    row = build(plan, status_table(records(A, assigned=100, cleaned_at=window(2)))).loc[A]
    days_left = (plan.end - WEEK).days  # 46
    assert row.veh_remaining == 86
    assert row.veh_required_rate == pytest.approx(86 / days_left)


def test_projected_finish_at_the_seven_day_pace(plan):
    # 14 cleaned in the window: 2 a day; 86 left -> 43 more days -> 5 January, 3 days early
    row = build(plan, status_table(records(A, assigned=100, cleaned_at=window(2)))).loc[A]
    assert row.veh_projected_finish == date(2026, 1, 5)
    assert row.veh_days_late == -3
    assert bool(row.veh_on_track) is True


def test_projection_rounds_partial_days_up(plan):
    # 7 cleaned: 1 a day; 10 left -> 10 days; 9.5 would also need 10
    row = build(plan, status_table(records(A, assigned=17, cleaned_at=window()))).loc[A]
    assert row.veh_projected_finish == WEEK + timedelta(days=10)


def test_late_projection_is_not_on_track(plan):
    row = build(plan, status_table(records(A, assigned=100, cleaned_at=window()))).loc[A]
    assert row.veh_projected_finish == WEEK + timedelta(days=93)
    assert row.veh_days_late == 93 - 46
    assert bool(row.veh_on_track) is False


def test_target_share_below_one_lowers_the_remaining(plan):
    lower = with_params(plan, "targets", vehicles_cleaned_share=0.9)
    row = build(lower, status_table(records(A, assigned=100, cleaned_at=window()))).loc[A]
    assert (row.veh_target, row.veh_remaining) == (90, 83)


# --- edge cases --------------------------------------------------------------------------------


def test_unit_with_nothing_assigned_has_null_shares_and_no_projection(plan):
    row = build(plan, status_table(records(A, assigned=5))).loc[B]
    assert row.veh_assigned == 0
    assert pd.isna(row.veh_share_cleaned) and pd.isna(row.veh_share_submitted)
    assert row.veh_required_rate == 0
    assert row.veh_projected_finish is None and pd.isna(row.veh_days_late)
    assert bool(row.veh_on_track) is True


def test_unit_with_nothing_assigned_ranks_last_and_is_neither_laggard_nor_leader(plan):
    units = build(plan, status_table(records(A, assigned=5, cleaned_at=window()[:1])))
    assert units.loc[A, "rank"] == 1
    assert units.loc[B, "rank"] == 2  # every empty unit shares the last rank
    assert not units.loc[B, "is_laggard"] and not units.loc[B, "is_leader"]
    assert units.loc[B, "standing"] == "on_track"


def test_week_without_progress_has_no_projection_and_is_off_track(plan):
    veh = status_table(
        records(A, assigned=50, cleaned_at=["2025-11-12 09:00"]),
        records(B, assigned=50, cleaned_at=window()),
    )
    units = build(plan, veh)
    row = units.loc[A]
    assert row.veh_rate_7d == 0
    assert row.veh_projected_finish is None and pd.isna(row.veh_days_late)
    assert bool(row.veh_on_track) is False
    assert row.standing == "off_track" and row.is_laggard
    lag = progress.laggards(units.reset_index(drop=True), plan).set_index("unit_code")
    assert "veh_projected_late" in lag.loc[A, "rules"]
    assert "never finishes the 49 records left" in lag.loc[A, "reason_en"]
    assert "không hoàn thành được 49 hồ sơ còn lại" in lag.loc[A, "reason_vi"]


def test_unit_already_complete_finished_on_the_day_of_its_last_cleaning(plan):
    moments = ["2025-11-12 09:00", "2025-11-15 09:00", "2025-11-18 09:00"]
    row = build(plan, status_table(records(A, assigned=3, cleaned_at=moments))).loc[A]
    assert row.veh_share_cleaned == 1.0 and row.veh_remaining == 0
    assert row.veh_required_rate == 0
    assert row.veh_projected_finish == date(2025, 11, 18)
    assert bool(row.veh_on_track) is True
    assert row.standing == "on_track"


def test_deadline_passed_leaves_required_rate_null_and_counts_days_late(plan):
    as_of = date(2026, 1, 15)
    veh = status_table(records(A, assigned=30, cleaned_at=daily(as_of - timedelta(days=6), 7)))
    row = build(dataclasses.replace(plan, extension=None), veh, as_of=as_of).loc[A]
    assert pd.isna(row.veh_required_rate)
    assert row.veh_projected_finish == as_of + timedelta(days=23)
    assert row.veh_days_late == 7 + 23
    assert bool(row.veh_on_track) is False and row.standing == "off_track"


def test_deadline_passed_and_complete_needs_nothing(plan):
    as_of = date(2026, 1, 15)
    row = build(
        plan, status_table(records(A, assigned=2, cleaned_at=window()[:2])), as_of=as_of
    ).loc[A]
    assert row.veh_required_rate == 0 and row.veh_remaining == 0
    assert bool(row.veh_on_track) is True


def test_extension_in_force_moves_the_deadline_and_the_required_pace(plan):
    # decided on 6 January: from then on the deadline is 19 January (4 days after 15 January)
    as_of = date(2026, 1, 15)
    veh = status_table(records(A, assigned=30, cleaned_at=daily(as_of - timedelta(days=6), 7)))
    row = build(plan, veh, as_of=as_of).loc[A]
    assert row.veh_required_rate == pytest.approx(23 / 4)
    assert row.veh_projected_finish == as_of + timedelta(days=23)
    assert row.veh_days_late == 23 - 4


def test_extension_decided_after_the_week_is_not_known_yet(plan):
    as_of = date(2026, 1, 4)  # the extension was decided on 6 January
    veh = status_table(records(A, assigned=30, cleaned_at=daily(as_of - timedelta(days=6), 7)))
    row = build(plan, veh, as_of=as_of).loc[A]
    assert row.veh_required_rate == pytest.approx(23 / 4)  # to 8 January
    assert row.veh_days_late == 23 - 4


def test_city_counts_days_left_and_days_overdue_against_the_deadline_in_force(plan):
    veh = status_table(records(A, assigned=30, cleaned_at=daily(date(2026, 1, 13), 7)))
    for p, days_left, overdue in ((plan, 0, 0), (dataclasses.replace(plan, extension=None), 0, 11)):
        agg = progress.aggregate(veh, status_table(), links(), p, as_of=date(2026, 1, 19))
        units = progress.unit_table(agg, p, as_of=date(2026, 1, 19))
        city = progress.city_progress(units, agg, p, as_of=date(2026, 1, 19))
        assert city["days_left"].tolist() == [days_left] * 2
        assert city["days_overdue"].tolist() == [overdue] * 2


def test_a_slow_pace_still_finishes_never_only_at_zero_pace(plan):
    # 1 record in 7 days, 39,999 left: about 767 years; shown at the horizon, not as "never"
    veh = status_table(records(A, assigned=40000, cleaned_at=window()[:1]))
    row = build(plan, veh).loc[A]
    assert row.veh_projected_finish == WEEK + timedelta(days=progress.PROJECTION_HORIZON_DAYS)
    assert row.veh_days_late > 0 and bool(row.veh_on_track) is False


# --- rank and history --------------------------------------------------------------------------


def test_rank_prev_recomputed_from_timestamps_and_rank_change_positive_when_moving_up(plan):
    # last week A led (2 of 10 vs 1 of 10); this week B overtakes it (1 + 5 of 10)
    veh = status_table(
        records(A, assigned=10, cleaned_at=["2025-11-12 09:00", "2025-11-13 09:00"]),
        records(B, assigned=10, cleaned_at=["2025-11-12 09:00"] + window()[:5]),
    )
    units = build(plan, veh)
    assert (units.loc[A, "rank"], units.loc[B, "rank"]) == (2, 1)
    assert (units.loc[A, "rank_prev"], units.loc[B, "rank_prev"]) == (1, 2)
    assert (units.loc[A, "rank_change"], units.loc[B, "rank_change"]) == (-1, 1)


def test_history_from_last_weeks_table_wins_over_recomputation(plan):
    veh = status_table(records(A, assigned=10, cleaned_at=["2025-11-12 09:00"]))
    previous = pd.DataFrame(
        {"unit_code": [A], "rank": [7], "veh_gain_week": [42], "lic_gain_week": [3]}
    )
    row = build(plan, veh, previous=previous).loc[A]
    assert (row.veh_gain_prev_week, row.lic_gain_prev_week, row.rank_prev) == (42, 3, 7)
    assert row.rank_change == 6


def test_gain_prev_week_follows_the_previous_reporting_week(plan):
    # the previous delivery covered up to 17 November: its week is 11..17 November
    moments = ["2025-11-10 08:00", "2025-11-11 08:00", "2025-11-17 08:00", "2025-11-18 08:00"]
    veh = status_table(records(A, assigned=10, cleaned_at=moments))
    row = build(plan, veh, previous_as_of=date(2025, 11, 17)).loc[A]
    assert row.veh_gain_prev_week == 2
    assert row.veh_share_cleaned_prev == pytest.approx(0.3)


def test_history_missing_a_unit_falls_back_to_timestamps(plan):
    veh = status_table(records(A, assigned=10, cleaned_at=["2025-11-12 09:00"]))
    previous = pd.DataFrame(
        {"unit_code": [B], "rank": [7], "veh_gain_week": [42], "lic_gain_week": [3]}
    )
    row = build(plan, veh, previous=previous).loc[A]
    assert (row.veh_gain_prev_week, row.rank_prev) == (1, 1)


# --- backlog, self-reports, organisations ------------------------------------------------------


def test_backlog_counts_pending_and_ages_the_oldest(plan):
    subs = links(
        [
            {"unit_code": A, "submitted_at": "2025-11-10 08:00"},
            {"unit_code": A, "submitted_at": "2025-11-22 08:00"},
            {
                "unit_code": A,
                "submitted_at": "2025-11-20 08:00",
                "review_status": "approved",
                "reviewed_at": "2025-11-21 08:00",
            },
            {
                "unit_code": A,
                "submitted_at": "2025-11-18 08:00",
                "review_status": "rejected",
                "reviewed_at": "2025-11-21 08:00",
            },
            {"unit_code": A, "submitted_at": "2025-11-24 08:00"},  # after the week: not yet
        ]
    )
    row = build(plan, status_table(records(A, assigned=3)), subs=subs).loc[A]
    assert row.backlog_pending == 2
    assert row.backlog_oldest_days == 13
    assert row.backlog_median_lag_days == pytest.approx(2.0)  # 1 and 3 days


def make_check(
    unit: str,
    reported: int,
    system: int,
    day: str = "2025-11-20",
    measure: str = "vehicles_approved",
) -> pd.DataFrame:
    """reconcile's unit_self_report_check: one unit-day, one measure reported, others zero."""
    row = {"report_date": pd.Timestamp(day).date(), "unit_code": unit, "overstated": False}
    for m in ("vehicles_collected", "vehicles_approved", "licences_collected", "licences_cleaned"):
        row[f"reported_{m}"] = reported if m == measure else 0
        row[f"system_{m}"] = system if m == measure else 0
    return pd.DataFrame([row])


def test_self_reports_above_the_system_are_flagged(plan):
    row = build(
        plan, status_table(records(A, assigned=3)), self_report_check=make_check(A, 150, 100)
    ).loc[A]
    assert row.self_report_ratio == pytest.approx(1.5)
    assert bool(row.self_report_overstated) is True and row.is_laggard


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_unit_named_on_its_total_self_reports_is_told_the_figures(plan, lang):
    # four measures of 12 each (each under min_reported = 20), 48 reported against 24 in the
    # system: the rule fires on the total; the sentence never ends on a colon
    check = pd.concat(
        [
            make_check(A, 12, 6, measure=m)
            for m in (
                "vehicles_collected",
                "vehicles_approved",
                "licences_collected",
                "licences_cleaned",
            )
        ]
    )
    p = quiet(plan)
    units = field(p, {A: (10, 5)}, self_report_check=check)
    lag = reasons_of(units, p)
    assert lag.loc[A, "rules"] == ["self_report_overstated"]
    reason = lag.loc[A, f"reason_{lang}"]
    assert not reason.rstrip().endswith(":")
    assert (
        i18n.t(
            "progress.rule.self_report_measure",
            lang,
            measure=i18n.t("progress.measure.all_measures", lang),
            reported=i18n.fmt_int(48, lang),
            system=i18n.fmt_int(24, lang),
            excess="+" + i18n.fmt_pct(1.0, lang),
        )
        in reason
    )


@pytest.mark.parametrize(
    "reported, system, day, overstated",
    [
        (105, 100, "2025-11-20", False),  # within the tolerance
        (15, 5, "2025-11-20", False),  # too small to judge
        (150, 100, "2025-11-10", False),  # outside the 7-day window
        (30, 0, "2025-11-20", True),
    ],  # reported, nothing in the system
)
def test_self_report_judgement(plan, reported, system, day, overstated):
    row = build(
        plan,
        status_table(records(A, assigned=3)),
        self_report_check=make_check(A, reported, system, day),
    ).loc[A]
    assert bool(row.self_report_overstated) is overstated


def test_organisations_counted_per_unit_and_per_type(plan):
    orgs = pd.DataFrame(
        {
            "org_id": ["0101", "0102", "0103"],
            "org_type": ["school", "school", "agency"],
            "unit_code": [A, A, B],
            "dispatch_sent_on": [pd.Timestamp("2025-11-12"), pd.NaT, pd.Timestamp("2025-12-01")],
            "worked_directly": [True, False, True],
            "vehicles_counted": [10, 5, 0],
            "vehicles_declared": [0, 0, 40],
        }
    )
    units = build(plan, status_table(records(A, assigned=3)), organisations=orgs)
    assert units.loc[
        A, ["org_count", "org_dispatches", "org_worked_directly", "org_vehicles_counted"]
    ].tolist() == [2, 1, 1, 15]
    assert units.loc[B, "org_dispatches"] == 0  # sent after the week
    summary = progress.org_summary(orgs, as_of=WEEK).set_index("org_type")
    assert list(summary.index[:6]) == list(progress.ORG_TYPES)
    assert summary.loc["agency", "vehicles_declared"] == 40
    assert summary.loc["hospital", "orgs"] == 0


def test_organisations_declaration_rate_is_taken_only_over_organisations_with_both_figures():
    """A rate of declared over counted means something only for the same organisations: a
    school that counted 10 and declared nothing yet (0) is in it; an agency that declared 40
    and never counted (missing), or a school that counted 5 with no declaration figure, is not."""
    orgs = pd.DataFrame(
        {
            "org_id": ["0101", "0102", "0103", "0104"],
            "org_type": ["school", "school", "agency", "school"],
            "unit_code": [A, A, B, B],
            "dispatch_sent_on": [pd.Timestamp("2025-11-12")] * 4,
            "worked_directly": [False] * 4,
            "vehicles_counted": [10, 5, None, 8],
            "vehicles_declared": [0, None, 40, 6],
        }
    )
    summary = progress.org_summary(orgs, as_of=WEEK).set_index("org_type")
    assert summary.loc["school", ["orgs_both", "counted_both", "declared_both"]].tolist() == [
        2,
        18,
        6,
    ]
    assert summary.loc["agency", ["orgs_both", "counted_both", "declared_both"]].tolist() == [
        0,
        0,
        0,
    ]
    assert summary.loc["school", "vehicles_counted"] == 23  # the totals stay what was reported


# --- laggard rules -----------------------------------------------------------------------------


def field(plan, spec: dict[str, tuple[int, int]], **kw):
    """Units with (assigned, cleaned this week); a steady city where only the rules differ."""
    rows = [
        records(u, assigned=n, cleaned_at=daily(WEEK - timedelta(days=6), 7, 1)[:k])
        for u, (n, k) in spec.items()
    ]
    return build(plan, status_table(*rows), **kw)


def rules_of(units, plan) -> dict[str, list[str]]:
    lag = progress.laggards(units.reset_index(drop=True), plan)
    return dict(zip(lag["unit_code"], lag["rules"], strict=True))


def reasons_of(units, plan) -> pd.DataFrame:
    return progress.laggards(units.reset_index(drop=True), plan).set_index("unit_code")


def quiet(plan):
    """Every naming and context rule switched off; a test switches on the one it is about."""
    return with_params(
        plan,
        "laggards",
        below_median_points=100.0,
        below_median_ratio=0.0,
        bottom_share=0.0,
        gain_vs_city_median=0.0,
        late_vs_city_days=10_000,
        late_vs_city_share=0.0,
        backlog_oldest_days=10_000,
        projected_late_days=10_000,
        weekly_gain_vs_required=0.0,
    )


def cleaned_before(unit: str, assigned: int, earlier: int, this_week: int) -> list[dict]:
    """``earlier`` records cleaned on 12 November, ``this_week`` in the week's window."""
    return records(
        unit, assigned=assigned, cleaned_at=["2025-11-12 09:00"] * earlier + window()[:this_week]
    )


# Naming rules, one row each: thresholds, the units, who is named (with any context rule), and
# the first named unit's sentences.
# The cities of the days rows: A 93 days to go, B and C 33 days; the city 159 left at 3 a day
# = 53 days (15/01/2026), so A finishes 40 days after the city. With A at no pace the city has
# 166 left at 2 a day: 83 days (14/02/2026).
NAMING_CASES = {
    "below_median_points": (
        {"below_median_points": 15.0},
        {A: (10, 7), B: (10, 5), C: (20, 2)},  # 70, 50, 10 %
        {C: ["veh_below_median"]},
        "cleaned 10.0% of its cleanable records vs city median 50.0%",
        "đã làm sạch 10,0% số hồ sơ có thể làm sạch, trung vị toàn thành phố 50,0%",
    ),
    "below_median_ratio": (
        {"below_median_ratio": 0.5},
        {A: (10, 7), B: (10, 5), C: (10, 2)},  # 20 % < 25 %
        {C: ["veh_below_median_ratio"]},
        "cleaned 20.0% of its cleanable records, only 40% of the city median 50.0%",
        "đã làm sạch 20,0% số hồ sơ có thể làm sạch, chỉ bằng 40% trung vị toàn thành phố (50,0%)",
    ),
    "below_median_ratio_not_at_the_limit": (
        {"below_median_ratio": 0.4},
        {A: (10, 7), B: (10, 5), C: (10, 2)},  # 20 % = 40 % of it
        {},
        None,
        None,
    ),
    "bottom_decile": (
        {"bottom_share": 0.3},
        {A: (10, 7), B: (10, 5), C: (10, 1), D: (10, 2)},  # 2 units
        {C: ["veh_bottom_decile"], D: ["veh_bottom_decile"]},
        "in the bottom 30% of units (rank 4 of 4)",
        "thuộc nhóm 30% đơn vị thấp nhất (xếp thứ 4/4)",
    ),
    "bottom_decile_leaves_out_ties_across_the_cut": (
        {"bottom_share": 0.25},
        {A: (10, 7), B: (10, 5), C: (10, 1), D: (10, 1)},
        {},
        None,
        None,
    ),
    "late_vs_city": (
        {"late_vs_city_days": 30},
        {A: (100, 7), B: (40, 7), C: (40, 7)},
        {A: ["veh_late_vs_city"]},
        "projected to finish 40 days after the city as a whole (15/01/2026)",
        "dự kiến hoàn thành chậm 40 ngày so với toàn thành phố (15/01/2026)",
    ),
    "late_vs_city_within_the_days": (
        {"late_vs_city_days": 40},
        {A: (100, 7), B: (40, 7), C: (40, 7)},
        {},
        None,
        None,
    ),
    "late_vs_city_within_a_share_of_the_citys_time": (
        # 40 days after the city, but the city itself needs 53: not markedly worse
        {"late_vs_city_days": 30, "late_vs_city_share": 1.0},
        {A: (100, 7), B: (40, 7), C: (40, 7)},
        {},
        None,
        None,
    ),
    "late_vs_city_never_at_this_pace": (
        # no pace is never "within N days": the context rule "never finishes" always holds
        {"late_vs_city_days": 30},
        {A: (100, 0), B: (40, 7), C: (40, 7)},
        {A: ["veh_late_vs_city", "veh_projected_late"]},
        "no finish in sight at the current pace, while the city as a whole finishes on "
        "14/02/2026; at the current pace (0 a day) never finishes the 100 records left",
        "với tốc độ hiện tại chưa thấy ngày hoàn thành, trong khi toàn thành phố dự kiến hoàn "
        "thành ngày 14/02/2026; với tốc độ hiện tại (0 hồ sơ/ngày) sẽ không hoàn thành được "
        "100 hồ sơ còn lại",
    ),
    "late_vs_city_when_the_city_has_no_pace": (
        {"late_vs_city_days": 30},
        {A: (100, 0), B: (40, 0)},
        {},
        None,
        None,
    ),
    "gain_below_median_when_nobody_progressed": (
        {"gain_vs_city_median": 0.5},
        {A: (10, 0), B: (10, 0)},
        {},
        None,
        None,
    ),
}


@pytest.mark.parametrize("case", list(NAMING_CASES))
def test_naming_rule(plan, case):
    params, spec, expected, en, vi = NAMING_CASES[case]
    p = with_params(quiet(plan), "laggards", **params)
    units = field(p, spec)
    assert rules_of(units, p) == expected
    if en is not None:
        unit = next(iter(expected))
        lag = reasons_of(units, p)
        assert (lag.loc[unit, "reason_en"], lag.loc[unit, "reason_vi"]) == (en, vi)
        assert units.loc[unit, "is_laggard"] and units.loc[unit, "standing"] == "off_track"


def test_gain_below_median_judges_the_weeks_gain_not_the_share(plan):
    # the rule's arithmetic, with the pace rules judging every unit (switch off)
    p = with_params(
        quiet(plan),
        "laggards",
        gain_vs_city_median=0.5,
        pace_rules_only_behind=False,
        min_records_left=0,
    )
    # C has cleaned the most (70 %) but gained 10 % this week; the median gain is 40 %
    veh = status_table(
        cleaned_before(A, 10, 0, 5), cleaned_before(B, 10, 0, 4), cleaned_before(C, 10, 6, 1)
    )
    units = build(p, veh)
    assert rules_of(units, p) == {C: ["veh_gain_below_median"]}
    lag = reasons_of(units, p)
    assert lag.loc[C, "reason_en"] == (
        "weekly gain 10.0% of its cleanable records, under 50% of the city median of 40.0%"
    )
    assert lag.loc[C, "reason_vi"] == (
        "mức tăng trong tuần bằng 10,0% số hồ sơ có thể làm sạch, chưa bằng 50% mức trung vị "
        "toàn thành phố (40,0%)"
    )


def test_a_unit_with_a_record_or_two_left_is_not_ranked_a_laggard(plan):
    # the end of the campaign: most units finished, two hold the last records. C with one left
    # is "the bottom decile" by rank alone; D with six left is still named
    p = with_params(quiet(plan), "laggards", bottom_share=0.5, min_records_left=5)
    veh = status_table(
        cleaned_before(A, 40, 36, 4),  # finished
        cleaned_before(B, 40, 36, 4),
        cleaned_before(C, 40, 38, 1),  # 97.5 %, 1 left
        cleaned_before(D, 40, 30, 4),  # 85 %, 6 left
    )
    units = build(p, veh)
    assert rules_of(units, p) == {D: ["veh_bottom_decile"]}
    assert units.loc[C, "veh_standing"] != "off_track"
    # the same figures without the guard rank C a laggard too
    p_all = with_params(p, "laggards", min_records_left=0)
    assert rules_of(build(p_all, veh), p_all) == {
        C: ["veh_bottom_decile"],
        D: ["veh_bottom_decile"],
    }


def test_a_unit_ahead_of_the_city_is_not_named_for_slowing_down(plan):
    # the end of the campaign: the best units have only their hardest records left and gain
    # little; the pace rules name a unit behind the median with the same slow week, not them
    p = with_params(quiet(plan), "laggards", gain_vs_city_median=0.5, min_records_left=0)
    veh = status_table(
        cleaned_before(A, 20, 18, 1),  # 95 %, gained 5 % of its records: ahead, slowing
        cleaned_before(B, 20, 10, 8),  # 90 %, gained 40 %
        cleaned_before(C, 20, 4, 8),  # 60 %, gained 40 %
        cleaned_before(D, 20, 1, 1),  # 10 %, gained 5 %: behind and slow
    )
    units = build(p, veh)
    assert rules_of(units, p) == {D: ["veh_gain_below_median"]}
    assert units.loc[A, "standing"] != "off_track" and not units.loc[A, "is_laggard"]
    # the same figures with the switch off name the unit ahead too: the rule, not the data
    p_all = with_params(p, "laggards", pace_rules_only_behind=False)
    assert rules_of(build(p_all, veh), p_all) == {
        A: ["veh_gain_below_median"],
        D: ["veh_gain_below_median"],
    }


@pytest.mark.parametrize(
    "params",
    [
        {"bottom_share": 0.5},
        {"below_median_ratio": 0.9},
        {"below_median_points": 1.0},
        {"gain_vs_city_median": 0.9},
        {"late_vs_city_days": 0},
    ],
    ids=lambda d: next(iter(d)),
)
def test_unit_already_complete_is_never_named_by_a_kind_rule(plan, params):
    p = with_params(quiet(plan), "laggards", **params)
    # A finished on 12 November and gained nothing since; B and C are still cleaning
    veh = status_table(
        cleaned_before(A, 5, 5, 0), cleaned_before(B, 10, 0, 7), cleaned_before(C, 10, 0, 6)
    )
    assert A not in rules_of(build(p, veh), p)


def test_share_rules_together_say_the_share_once(plan):
    p = with_params(quiet(plan), "laggards", below_median_points=15.0, below_median_ratio=0.5)
    units = field(p, {A: (10, 7), B: (10, 5), C: (20, 2)})  # 10 % of a 50 % median
    lag = reasons_of(units, p)
    assert lag.loc[C, "rules"] == ["veh_below_median", "veh_below_median_ratio"]
    assert lag.loc[C, "reason_en"] == (
        "cleaned 10.0% of its cleanable records vs city median 50.0%; only 20% of the city median"
    )
    assert lag.loc[C, "reason_vi"] == (
        "đã làm sạch 10,0% số hồ sơ có thể làm sạch, trung vị toàn thành phố 50,0%; chỉ bằng 20% trung vị "
        "toàn thành phố"
    )


def context_on(plan):
    """Only the context rules on: 7 days' tolerance, 80 % of the required weekly pace."""
    return with_params(quiet(plan), "laggards", projected_late_days=7, weekly_gain_vs_required=0.8)


def test_context_rules_alone_never_name_a_unit(plan):
    p = context_on(plan)
    # A: 93 days at 1 a day -> 47 days late, and 7 a week where 93/46*7 = 14.2 are needed
    units = field(p, {A: (100, 7), B: (40, 7)})
    flags = progress.rule_flags(units, p)
    assert flags.loc[A, ["veh_projected_late", "veh_slow_gain"]].all()
    assert not flags.loc[B].any()
    assert rules_of(units, p) == {}
    assert not units.loc[A, "is_laggard"] and units.loc[A, "standing"] == "at_risk"
    assert units.loc[B, "standing"] == "on_track"


def test_laggards_reason_carries_every_context_rule_it_breaks(plan):
    p = with_params(context_on(plan), "laggards", backlog_oldest_days=7)
    subs = links(
        [
            {"unit_code": A, "submitted_at": "2025-11-12 08:00"},
            {"unit_code": B, "submitted_at": "2025-11-12 08:00"},
        ]
    )
    # A and B are both named for the backlog; only A is also late and slow
    units = field(p, {A: (100, 7), B: (40, 7)}, subs=subs)
    assert rules_of(units, p) == {
        A: ["backlog_old", "veh_projected_late", "veh_slow_gain"],
        B: ["backlog_old"],
    }
    lag = reasons_of(units, p)
    assert lag.loc[A, "reason_en"] == (
        "oldest submission awaiting review: 11 days (1 awaiting review in all); "
        "at the current pace finishes on 24/02/2026, 47 days after the deadline; "
        "cleaned 7 in the last 7 days, under 80% of the 15 per 7 days the deadline needs"
    )
    assert lag.loc[A, "reason_vi"] == (
        "lượt kê khai chờ duyệt lâu nhất đã 11 ngày (1 lượt kê khai đang chờ duyệt); "
        "với tốc độ hiện tại sẽ hoàn thành ngày 24/02/2026, chậm 47 ngày so với hạn; "
        "7 ngày qua làm sạch 7 hồ sơ, chưa đạt 80% mức 15 hồ sơ/7 ngày cần có để kịp hạn"
    )


def test_context_rule_projected_late_says_never_at_no_pace(plan):
    p = with_params(context_on(plan), "laggards", bottom_share=0.5)
    units = field(p, {A: (50, 0), B: (50, 7)})
    lag = reasons_of(units, p)
    assert lag.loc[A, "rules"] == [
        "veh_bottom_decile",
        "veh_late_vs_city",
        "veh_projected_late",
        "veh_slow_gain",
    ]
    assert lag.loc[A, "reason_en"].split("; ")[2] == (
        "at the current pace (0 a day) never finishes the 50 records left"
    )


def test_late_within_tolerance_is_at_risk_not_off_track(plan):
    p = context_on(plan)
    units = field(p, {A: (58, 7)})  # 51 days left to clean at 1 a day: 5 days late
    assert units.loc[A, "veh_days_late"] == 5
    assert units.loc[A, "standing"] == "at_risk" and not units.loc[A, "is_laggard"]


def test_at_risk_threshold_is_configurable(plan):
    p = with_params(context_on(plan), "laggards", at_risk_late_days=5)
    units = field(p, {A: (58, 7)})  # exactly 5 days late: not more than 5
    assert units.loc[A, "standing"] == "on_track"


def test_backlog_rule_names_age_and_count(plan):
    p = with_params(quiet(plan), "laggards", backlog_oldest_days=7)
    subs = links(
        [
            {"unit_code": A, "submitted_at": "2025-11-12 08:00"},
            {"unit_code": B, "submitted_at": "2025-11-19 08:00"},
        ]
    )
    units = field(p, {A: (10, 5), B: (10, 5)}, subs=subs)
    assert rules_of(units, p) == {A: ["backlog_old"]}
    lag = reasons_of(units, p)
    # the backlog counts submissions (a record may have several): the sentence says so
    assert lag.loc[A, "reason_en"] == (
        "oldest submission awaiting review: 11 days (1 awaiting review in all)"
    )
    assert lag.loc[A, "reason_vi"] == (
        "lượt kê khai chờ duyệt lâu nhất đã 11 ngày (1 lượt kê khai đang chờ duyệt)"
    )


def test_self_report_rule_sentence_names_each_overstated_measure(plan):
    p = quiet(plan)
    check = pd.concat(
        [
            make_check(A, 1500, 1000),
            make_check(A, 30, 0, measure="licences_cleaned"),
            make_check(A, 100, 100, measure="vehicles_collected"),
        ]
    )
    units = field(p, {A: (10, 5)}, self_report_check=check)
    lag = reasons_of(units, p)
    assert lag.loc[A, "rules"] == ["self_report_overstated"]
    assert lag.loc[A, "reason_en"] == (
        "self-reports of the last 7 days above the system: vehicles approved 1,500 vs 1,000 "
        "(+50.0%), licences cleaned 30 vs 0 (none in the system)"
    )
    assert lag.loc[A, "reason_vi"] == (
        "số tự báo cáo 7 ngày qua cao hơn hệ thống: xe được duyệt 1.500 so với 1.000 (+50,0%), "
        "GPLX làm sạch 30 so với 0 (hệ thống không ghi nhận)"
    )


def test_self_report_rule_can_be_switched_off(plan):
    p = with_params(quiet(plan), "laggards", self_report_overstated=False)
    units = field(p, {A: (10, 5)}, self_report_check=make_check(A, 1500, 1000))
    assert units.loc[A, "self_report_overstated"] and not units.loc[A, "is_laggard"]


def test_every_broken_rule_is_a_sentence_in_both_languages(plan):
    units = field(plan, {A: (100, 7), B: (10, 8), C: (10, 9), D: (10, 9)})
    lag = reasons_of(units, plan)
    rules = lag.loc[A, "rules"]
    assert rules == [
        "veh_below_median",
        "veh_below_median_ratio",
        "veh_bottom_decile",
        "veh_gain_below_median",
        "veh_late_vs_city",
        "veh_projected_late",
        "veh_slow_gain",
    ]
    for lang in ("vi", "en"):
        assert len(lag.loc[A, f"reason_{lang}"].split("; ")) == len(rules)
    assert "7,0%" in lag.loc[A, "reason_vi"] and "7.0%" in lag.loc[A, "reason_en"]


def test_every_rule_code_has_a_label_in_both_languages():
    from helpers.i18n import t

    codes = [
        f"{prefix}_{rule}" for prefix in progress.PREFIX.values() for rule in progress.KIND_RULES
    ] + list(progress.UNIT_RULES)
    for lang in ("vi", "en"):
        for code in codes:
            assert t(f"progress.rule_name.{code}", lang) != f"progress.rule_name.{code}", code


def test_licence_rules_when_configured_carry_a_kind_prefix(plan):
    p = with_params(
        context_on(plan), "laggards", kinds=["vehicle", "licence"], backlog_oldest_days=7
    )
    lic = status_table(records(A, assigned=100, cleaned_at=window(), prefix="L"))
    subs = links([{"unit_code": A, "submitted_at": "2025-11-12 08:00"}])
    units = build(p, status_table(records(A, assigned=4, cleaned_at=window()[:4])), lic, subs)
    lag = reasons_of(units, p)
    assert lag.loc[A, "rules"] == ["backlog_old", "lic_projected_late", "lic_slow_gain"]
    en, vi = (lag.loc[A, f"reason_{lang}"].split("; ") for lang in ("en", "vi"))
    assert en[1].startswith("licences: at the current pace finishes on")
    assert vi[1].startswith("GPLX: với tốc độ hiện tại")


def test_laggards_worst_rank_first(plan):
    p = with_params(quiet(plan), "laggards", bottom_share=0.5)
    units = field(p, {A: (10, 7), B: (10, 5), C: (10, 1), D: (10, 2)})
    lag = progress.laggards(units.reset_index(drop=True), p)
    assert lag["unit_code"].tolist() == [C, D]


# --- leaders -----------------------------------------------------------------------------------


def test_leaders_by_share_and_by_gain_with_sentences(plan):
    p = with_params(quiet(plan), "leaders", top_n=2)
    veh = status_table(
        records(A, assigned=10, cleaned_at=["2025-11-12 09:00"] * 8 + window()[:1]),  # 90 %, +1
        records(B, assigned=100, cleaned_at=window(3)[:20]),  # 20 %, +20
        records(C, assigned=10, cleaned_at=window()[:5]),  # 50 %, +5
    )
    lead = progress.leaders(build(p, veh).reset_index(drop=True), p)
    share = lead.loc[lead["category"] == "share"]
    gain = lead.loc[lead["category"] == "gain"]
    assert share["unit_code"].tolist() == [A, C] and share["position"].tolist() == [1, 2]
    assert gain["unit_code"].tolist() == [C, B]  # as a share of cleanable: 50 % beats 20 %
    assert share.iloc[0]["reason_en"] == (
        "cleaned 90.0% of its 10 cleanable vehicle records (rank 1 of 3; city median 50.0%)"
    )
    assert gain.iloc[1]["reason_vi"] == (
        "tuần này làm sạch 20 hồ sơ xe, bằng 20,0% trong 100 hồ sơ có thể làm sạch (2,9 hồ sơ/ngày)"
    )


def test_leaders_by_gain_as_a_count_when_configured(plan):
    p = with_params(with_params(quiet(plan), "leaders", top_n=1), "leaders", gain_measure="records")
    veh = status_table(
        records(B, assigned=100, cleaned_at=window(3)[:20]),
        records(C, assigned=10, cleaned_at=window()[:5]),
    )
    lead = progress.leaders(build(p, veh).reset_index(drop=True), p)
    assert lead.loc[lead["category"] == "gain", "unit_code"].tolist() == [B]


def test_laggards_are_not_praised(plan):
    p = with_params(quiet(plan), "laggards", backlog_oldest_days=7)
    subs = links([{"unit_code": A, "submitted_at": "2025-11-01 08:00"}])
    units = field(p, {A: (10, 7), B: (10, 5)}, subs=subs)
    assert units.loc[A, "is_laggard"] and not units.loc[A, "is_leader"]
    assert units.loc[B, "is_leader"]


# --- city, series, talking points --------------------------------------------------------------


def small_week(plan):
    veh = status_table(
        records(A, assigned=100, cleaned_at=window(2) + ["2025-11-12 09:00"]),
        records(B, assigned=50, cleaned_at=window()[:3], pending=2),
    )
    lic = status_table(records(A, assigned=20, cleaned_at=window()[:4], prefix="L"))
    subs = links(
        [
            {
                "unit_code": A,
                "submitted_at": "2025-11-11 08:00",
                "review_status": "approved",
                "reviewed_at": "2025-11-12 09:00",
            },
            {"unit_code": B, "submitted_at": "2025-11-20 08:00"},
            {"unit_code": B, "submitted_at": "2025-11-21 08:00", "kind": "licence"},
            {"unit_code": B, "submitted_at": "2025-11-05 08:00"},  # before the peak
        ]
    )
    agg = progress.aggregate(veh, lic, subs, plan, as_of=WEEK)
    return progress.compute(agg, plan, as_of=WEEK)


def test_city_rows_are_the_sums_of_the_units(plan):
    tables = small_week(plan)
    units, city = tables["unit_progress"], tables["city_progress"].set_index("kind")
    for kind, p in (("vehicle", "veh"), ("licence", "lic")):
        for col in ("assigned", "cleaned", "gain_week", "pending", "difficult"):
            assert city.loc[kind, col] == units[f"{p}_{col}"].sum(), (kind, col)
    veh = city.loc["vehicle"]
    assert veh.share_cleaned == pytest.approx(18 / 150)
    assert veh.rate_7d == pytest.approx(17 / 7)
    assert veh.required_rate == pytest.approx(132 / 46)
    assert veh.units_on_track + veh.units_at_risk + veh.units_off_track == 126
    assert (veh.submissions_total, veh.submissions_week) == (3, 1)
    assert city.loc["licence", "submissions_total"] == 1


def test_daily_series_runs_from_the_start_to_the_week_against_a_straight_line(plan):
    series = small_week(plan)["daily_series"]
    veh = series.loc[series["kind"] == "vehicle"].reset_index(drop=True)
    assert veh["date"].iloc[0] == plan.start and veh["date"].iloc[-1] == WEEK
    assert len(veh) == (WEEK - plan.start).days + 1
    assert veh["cleaned_cum"].iloc[-1] == 18 and veh["cleaned_day"].sum() == 18
    # the submission before the peak counts from day one; the next arrives on day two
    assert veh["submitted_cum"].iloc[:2].tolist() == [1, 2]
    assert veh["approved_cum"].iloc[-1] == 1
    assert veh["target_cum"].iloc[0] == pytest.approx(150 / 60)
    assert veh["cleaned_cum"].is_monotonic_increasing


def test_talking_points_in_both_languages(plan):
    points = small_week(plan)["talking_points"]
    vi = points.loc[points["lang"] == "vi", "text"].tolist()
    en = points.loc[points["lang"] == "en", "text"].tolist()
    assert len(vi) == len(en) >= 5
    assert en[0].startswith(
        "As of 23/11/2025 the city has cleaned 18 of the 150 vehicle records "
        "review can clean (12.0%); 0 more vehicle records are in difficult"
    )
    assert vi[0].startswith(
        "Đến ngày 23/11/2025, toàn thành phố đã làm sạch 18/150 hồ sơ xe có "
        "thể làm sạch qua rà soát (12,0%)"
    )
    assert "after none the previous period" in en[1] or "previous period (1)" in en[1]
    assert en[3].startswith(
        "Units by vehicle progress: 1 off track, 0 at risk, 125 on track; "
        "by driving-licence progress: 1 off track, 0 at risk, 125 on track. "
        "0 units broke a conduct rule"
    )
    assert any("Phường Ngọc Hà: 3 submissions waiting, the oldest 18 days old" in s for s in en)
    assert any("Phường Ngọc Hà: 3 lượt đang chờ, lâu nhất đã 18 ngày" in s for s in vi)


def test_change_against_last_week_in_words(plan):
    assert progress.change_text(150, 100, "en") == (
        "up 50 records (+50.00%) on the previous period (100)"
    )
    assert progress.change_text(50, 100, "vi") == "giảm 50 hồ sơ (−50,00%) so với kỳ trước (100)"
    assert progress.change_text(5, 0, "en") == "after none the previous period"
    # the first conference has nothing earlier: it says so, never "+86,06 %" on pre-peak days
    assert progress.change_text(5, pd.NA, "en") == i18n.t("progress.talking.change_first", "en")


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


# --- the week on disk --------------------------------------------------------------------------


def write_week(ws, week: str, vehicles: pd.DataFrame, subs: pd.DataFrame | None = None):
    """A processed folder as reconcile leaves it (only the columns progress reads)."""
    from helpers import store

    subs = subs if subs is not None else links()
    store.save(ws, vehicles, "vehicle_status", week, partial=True)
    store.save(
        ws, status_table(records(A, assigned=2, prefix="L")), "licence_status", week, partial=True
    )
    store.save(ws, subs, "submission_links", week, partial=True)
    store.save(
        ws,
        subs[["submission_id"]].assign(citizen_id="001090012345"),
        "submissions",
        week,
        partial=True,
    )
    store.save(ws, make_check(A, 10, 10, day=week), "unit_self_report_check", week, partial=True)
    store.save(
        ws,
        pd.DataFrame(
            {
                "org_id": ["0101"],
                "org_name": ["Trường X"],
                "org_type": ["school"],
                "unit_code": [A],
                "dispatch_sent_on": [date(2025, 11, 12)],
                "worked_directly": [True],
                "vehicles_counted": [12],
                "vehicles_declared": [0],
            }
        ),
        "organizations",
        week,
        partial=True,
    )
    # the ledger ingest leaves: this week's submissions came from its own delivery (a conference)
    ledger = {"sources": {"submissions": {"delivery": week}}}
    (ws.processed_week(week) / "ledger.json").write_text(json.dumps(ledger), "utf-8")


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


def test_find_unit_by_code_or_any_spelling():
    assert progress.find_unit("00008") == B
    assert progress.find_unit("P. Ngoc Ha") == B
    with pytest.raises(progress.PipelineError, match="did you mean Phường Ngọc Hà"):
        progress.find_unit("Ngoc")


# --- the sample campaign (slow: runs the real pipeline once per session) -----------------------


@pytest.fixture(scope="module")
def sample_tables(progressed, sample_week):
    from helpers import store

    return {name: store.load(progressed, name, sample_week) for name in progress.OUTPUT_TABLES}


@pytest.mark.slow
def test_sample_unit_table_has_126_units_with_shares_between_0_and_1(sample_tables):
    units = sample_tables["unit_progress"]
    assert len(units) == 126 and units["unit_code"].is_unique
    for p in ("veh", "lic"):
        for col in (f"{p}_share_cleaned", f"{p}_share_submitted"):
            assert units[col].dropna().between(0, 1).all(), col
        assert (units[f"{p}_cleaned"] <= units[f"{p}_approved"]).all()
        assert (
            units[f"{p}_submitted"] + units[f"{p}_not_submitted"] == units[f"{p}_assigned"]
        ).all()
    assert units["rank"].min() == 1 and set(units["standing"]) <= set(progress.STANDINGS)


@pytest.mark.slow
def test_sample_city_totals_are_the_sums_of_the_units(sample_tables):
    units, city = sample_tables["unit_progress"], sample_tables["city_progress"].set_index("kind")
    for kind, p in (("vehicle", "veh"), ("licence", "lic")):
        for col in (
            "assigned",
            "submitted",
            "approved",
            "cleaned",
            "pending",
            "gain_week",
            "gain_prev_week",
            "difficult",
        ):
            assert city.loc[kind, col] == units[f"{p}_{col}"].sum(), (kind, col)
    series = sample_tables["daily_series"]
    last = series.loc[series["date"] == series["date"].max()].set_index("kind")
    assert last.loc["vehicle", "cleaned_cum"] == city.loc["vehicle", "cleaned"]


@pytest.mark.slow
def test_sample_laggards_all_have_reasons_in_both_languages(sample_tables):
    units, lag = sample_tables["unit_progress"], sample_tables["laggards"]
    assert set(lag["unit_code"]) == set(units.loc[units["is_laggard"], "unit_code"])
    # behind on progress is off track; conduct alone keeps the unit's progress standing
    assert (units.loc[units["breaks_progress"], "standing"] == "off_track").all()
    conduct_only = units["breaks_conduct"] & ~units["breaks_progress"]
    assert conduct_only.any() and (units.loc[conduct_only, "standing"] != "off_track").all()
    for row in lag.itertuples():
        assert len(row.rules) > 0
        for text in (row.reason_vi, row.reason_en):
            assert len(text.split("; ")) == len(row.rules) and "{" not in text
    leaders = sample_tables["leaders"]
    assert not set(leaders["unit_code"]) & set(lag["unit_code"])
    points = sample_tables["talking_points"]
    assert (points.groupby("lang").size() >= 5).all()


@pytest.mark.slow
def test_explore_unit_runs_under_papermill_without_personal_data(progressed, sample_week, tmp_path):
    import papermill as pm

    from helpers.paths import NOTEBOOKS_DIR
    from tests.pii import find_personal_data, notebook_text, personal_tokens

    target = tmp_path / "explore_unit.ipynb"
    pm.execute_notebook(
        NOTEBOOKS_DIR / "explore_unit.ipynb",
        target,
        kernel_name="catp375",
        parameters={
            "unit": "ngoc ha",
            "lang": "en",
            "week": sample_week,
            "raw_dir": str(progressed.raw),
            "processed_dir": str(progressed.processed),
        },
        progress_bar=False,
        cwd=str(tmp_path),
    )
    text = notebook_text(target)
    assert "Phường Ngọc Hà" in text
    assert find_personal_data(text, personal_tokens(progressed, sample_week)) == []


# ---------------------------------------------------------------------------------------------
# the analyst's drill-down speaks the notebook's language


SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
CODES = ("vehicle", "licence", "enterprise", "school", "hospital", "agency")


def visible_text(output) -> str:
    """What the analyst sees of one output: the HTML's text (no styles, tags or ids), else
    the plain text."""
    data = output.get("data", {})
    if "text/html" in data:
        page = re.sub(r"(?s)<style.*?</style>", " ", data["text/html"])
        return html.unescape(re.sub(r"<[^>]+>", " ", page))
    return data.get("text/plain", "") + output.get("text", "")


def test_unit_self_reports_leave_a_day_without_a_report_blank():
    check = pd.DataFrame(
        {
            "report_date": [date(2025, 11, 21), date(2025, 11, 22)],
            "unit_code": ["00008"] * 2,
            "has_report": [True, False],
            "ratio": [1.0, 0.0],
            "overstated": [False, False],
            **{
                f"{side}_{m}": [5, 0] if side == "reported" else [5, 3]
                for m in (
                    "vehicles_collected",
                    "vehicles_approved",
                    "licences_collected",
                    "licences_cleaned",
                )
                for side in ("reported", "system")
            },
        }
    )
    styled = progress.unit_self_reports(check, "00008", "vi")
    table = styled.data
    reported = i18n.t(
        "explore.reported", "vi", what=i18n.t("excel.measures.vehicles_collected", "vi")
    )
    assert table[reported].iloc[0] == 5 and pd.isna(table[reported].iloc[1])
    assert i18n.t("explore.no_report_note", "vi") in styled.to_html()


def test_unit_recognition_is_a_labelled_table_not_a_dict():
    laggards = pd.DataFrame({"unit_code": ["00008"], "reason_vi": ["chậm"], "reason_en": ["slow"]})
    leaders = pd.DataFrame(columns=["unit_code", "category", "reason_vi", "reason_en"])
    table = progress.unit_recognition(laggards, leaders, "00008", "vi")
    assert list(table.columns) == [i18n.t("explore.list", "vi"), i18n.t("explore.reason", "vi")]
    assert table.values.tolist() == [[i18n.t("explore.laggard", "vi"), "chậm"]]
    neither = progress.unit_recognition(laggards, leaders, "00001", "en")
    assert neither.iloc[0, 0] == i18n.t("explore.neither", "en")


@pytest.mark.slow
def test_explore_unit_in_vietnamese_shows_no_codes_no_snake_case_and_no_raw_dict(
    progressed, sample_week, tmp_path
):
    import nbformat
    import papermill as pm

    from helpers.paths import NOTEBOOKS_DIR

    target = tmp_path / "explore_unit.ipynb"
    pm.execute_notebook(
        NOTEBOOKS_DIR / "explore_unit.ipynb",
        target,
        kernel_name="catp375",
        parameters={
            "unit": "ngoc ha",
            "lang": "vi",
            "week": sample_week,
            "raw_dir": str(progressed.raw),
            "processed_dir": str(progressed.processed),
        },
        progress_bar=False,
        cwd=str(tmp_path),
    )
    nb = nbformat.read(target, as_version=4)
    shown = [visible_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "\n".join(shown)
    assert "Phường Ngọc Hà" in text
    assert SNAKE_CASE.findall(text) == []
    assert [code for code in CODES if re.search(rf"\b{code}\b", text)] == []
    assert "{'laggard'" not in text and "{'" not in text
    assert i18n.t("explore.list", "vi") in text and i18n.t("explore.status", "vi") in text
    assert i18n.t("explore.no_report_note", "vi") in text


# --- judgments: progress on cleanable records, difficult groups apart, conduct apart ------------


def test_target_counts_only_the_records_review_can_clean(plan):
    # 10 assigned, 3 in difficult groups: cleaning the other 7 reaches the target
    veh = status_table(
        records(
            A,
            assigned=10,
            cleaned_at=window()[:7],
            groups={"owner_deceased": 2, "organization_owned": 1},
        )
    )
    row = build(plan, veh).loc[A]
    assert (row.veh_cleanable, row.veh_target, row.veh_remaining) == (7, 7, 0)
    assert row.veh_share_cleaned_cleanable == pytest.approx(1.0)
    assert row.veh_share_cleaned == pytest.approx(0.7)  # of all assigned, for reference
    assert bool(row.veh_on_track) and row.standing == "on_track"


def test_best_unit_is_on_track_when_its_pace_meets_the_cleanable_target(plan):
    # the defect: a unit at 73 % with a fifth of its records difficult could never be on track
    veh = status_table(
        records(
            A,
            assigned=100,
            cleaned_at=["2025-11-12 09:00"] * 66 + window(),
            groups={"identity_mismatch": 20},
        ),
        records(B, assigned=100, cleaned_at=window()),
    )
    units = build(plan, veh)
    assert units.loc[A, "veh_share_cleaned"] == pytest.approx(0.73)
    assert units.loc[A, "veh_remaining"] == 7 and units.loc[A, "standing"] == "on_track"


def test_each_difficult_group_is_its_own_measure_open_and_resolved(plan):
    veh = status_table(records(A, assigned=6, groups={"identity_mismatch": 3, "owner_deceased": 1}))
    # the unit approved a submission for one of the mismatched records
    veh.loc[0, ["submission_id", "review_status"]] = ["S1", "approved"]
    units = build(plan, veh)
    assert (
        units.loc[A, "veh_group_identity_mismatch"],
        units.loc[A, "veh_resolved_identity_mismatch"],
    ) == (3, 1)
    assert (units.loc[A, "veh_difficult_resolved"], units.loc[A, "veh_difficult_open"]) == (1, 3)
    groups = progress.group_progress(units.reset_index(drop=True), plan).set_index(
        ["kind", "group"]
    )
    row = groups.loc[("vehicle", "identity_mismatch")]
    assert (row.records, row.resolved, row.open, row.units_with_open) == (3, 1, 2, 1)
    assert row.share_resolved == pytest.approx(1 / 3)
    assert row.unit_most_open == "Phường Ba Đình"


def test_every_difficult_group_has_its_criterion_in_both_languages():
    from helpers.i18n import t

    for kind in progress.KINDS:
        for group in progress.GROUPS[kind]:
            for lang in ("vi", "en"):
                assert ";" in t(f"progress.group.{group}", lang), (group, lang)


def test_each_kind_has_its_own_standings(plan):
    # vehicles: A far behind B; licences: both finished
    veh = status_table(
        records(A, assigned=100, cleaned_at=window()[:1]),
        records(B, assigned=10, cleaned_at=window()),
    )
    lic = status_table(
        records(A, assigned=2, cleaned_at=window()[:2], prefix="L"),
        records(B, assigned=2, cleaned_at=window()[:2], prefix="L"),
    )
    agg = progress.aggregate(veh, lic, links(), plan, as_of=WEEK)
    tables = progress.compute(agg, plan, as_of=WEEK)
    units = tables["unit_progress"].set_index("unit_code")
    city = tables["city_progress"].set_index("kind")
    assert units.loc[A, "veh_standing"] != "on_track" and units.loc[A, "lic_standing"] == "on_track"
    for kind, p in (("vehicle", "veh"), ("licence", "lic")):
        counts = units[f"{p}_standing"].value_counts()
        assert [city.loc[kind, f"units_{s}"] for s in progress.STANDINGS] == [
            counts.get(s, 0) for s in progress.STANDINGS
        ], kind
    assert city.loc["licence", "units_on_track"] == 126
    assert city.loc["vehicle", "units_on_track"] < 126


def test_conduct_alone_names_a_unit_without_making_it_late(plan):
    # A is ahead on progress but overstates its self-reports: named for conduct, still on track
    units = field(plan, {A: (7, 7), B: (7, 7)}, self_report_check=make_check(A, 150, 100))
    row = units.loc[A]
    assert row.is_laggard and row.breaks_conduct and not row.breaks_progress
    assert row.standing == "on_track"
    lag = progress.laggards(units.reset_index(drop=True), plan).set_index("unit_code")
    assert bool(lag.loc[A, "breaks_conduct"]) and not bool(lag.loc[A, "breaks_progress"])


def test_leader_categories_say_what_they_rank(plan):
    p = with_params(quiet(plan), "leaders", top_n=2)
    veh = status_table(
        records(B, assigned=100, cleaned_at=window(3)[:20]),  # 20 records, 20 %
        records(C, assigned=10, cleaned_at=window()[:5]),
    )  # 5 records, 50 %
    lead = progress.leaders(build(p, veh).reset_index(drop=True), p)
    gain = lead.loc[lead["category"] == "gain"]
    assert set(gain["measure"]) == {"gain_share"}
    assert gain["value"].tolist() == pytest.approx([0.5, 0.2])  # ranked by what it is named for
    counted = with_params(p, "leaders", gain_measure="records")
    lead = progress.leaders(build(counted, veh).reset_index(drop=True), counted)
    gain = lead.loc[lead["category"] == "gain"]
    assert set(gain["measure"]) == {"gain_records"} and gain["value"].tolist() == [20, 5]
    from helpers.i18n import t

    assert "share" in t("briefing.leaders.category_gain_share", "en")
    assert "number" in t("briefing.leaders.category_gain_records", "en")


def test_backlog_point_names_the_unit_the_backlog_table_ranks_first(plan):
    # A: the oldest item (1 submission, 13 days); B: the most submissions (3, 2 days)
    subs = links(
        [{"unit_code": A, "submitted_at": "2025-11-10 08:00"}]
        + [{"unit_code": B, "submitted_at": "2025-11-21 08:00"}] * 3
    )
    veh = status_table(records(A, assigned=3), records(B, assigned=3))
    agg = progress.aggregate(veh, status_table(), subs, plan, as_of=WEEK)
    tables = progress.compute(agg, plan, as_of=WEEK)
    first = progress.backlog_ranking(tables["unit_progress"]).iloc[0]
    assert first["unit_code"] == B
    en = tables["talking_points"].query("lang == 'en'")["text"].tolist()
    assert any(f"largest backlog is at {first['unit_name']}: 3 submissions" in s for s in en)


@pytest.mark.parametrize(
    "rate, required, expected",
    [
        (2.0, 2.4, ("2.0", "2.4")),  # "2/day, needs 2/day" beside "late": decimals show it
        (1.96, 2.04, ("1.96", "2.04")),
        (358.3, 1006.9, ("358", "1,007")),
        (547.6, 0.1087, ("547.6", "0.1")),  # a pace needed is never shown as 0
        (0.0, 0.0, ("0", "0")),
    ],
)
def test_pace_shows_the_precision_that_makes_the_verdict_visible(rate, required, expected):
    assert progress.pace_texts(rate, required, "en") == expected


def test_share_short_of_the_target_never_reads_100_percent():
    assert progress.pct_text(0.99967, "en") == "99.97%"
    assert progress.pct_text(1.0, "vi") == "100,0%"
    assert progress.pct_text(0.0003, "en") == "0.03%"


def test_comparison_with_the_population_database_per_unit_and_city(plan):
    veh = status_table(records(A, assigned=4), records(B, assigned=2))
    veh["identity_result"] = [
        "match",
        "name_mismatch",
        "invalid_id",
        "not_checked",
        "match_year_only",
        "id_not_in_population",
    ]
    agg = progress.aggregate(veh, status_table(), links(), plan, as_of=WEEK)
    tables = progress.compute(agg, plan, as_of=WEEK)
    units = tables["unit_progress"].set_index("unit_code")
    assert (units.loc[A, "veh_compared"], units.loc[B, "veh_compared"]) == (2, 1)
    assert units.loc[A, "veh_share_compared"] == pytest.approx(0.5)
    city = tables["city_progress"].set_index("kind").loc["vehicle"]
    assert (city.compared, city.units_compared, city.units_with_records) == (3, 2, 2)
    assert city.share_compared == pytest.approx(0.5)
    assert (city.unit_share_compared_min, city.unit_share_compared_max) == (0.5, 0.5)
    en = tables["talking_points"].query("lang == 'en'")["text"].tolist()
    assert any("2/2 units, reaching 50.0%–50.0% of their vehicle records" in s for s in en)


def test_week_on_week_change_in_records_and_per_cent(plan):
    assert progress.change_text(26_888, 4_616, "en") == (
        "up 22,272 records (+482.50%) on the previous period (4,616)"
    )
    assert progress.change_text(50, 100, "vi") == "giảm 50 hồ sơ (−50,00%) so với kỳ trước (100)"
    tables = small_week(plan)
    city = tables["city_progress"].set_index("kind").loc["vehicle"]
    assert city.gain_change == city.gain_week - city.gain_prev_week


# --- the drill-down's record-level views are pure functions over tables -------------------------


def test_unit_statuses_counts_one_units_records_from_tables():
    vehicles = pd.DataFrame(
        {
            "unit_code": ["00008", "00008", "00008", "00009"],
            "status": ["cleaned"] * 2 + ["owner_deceased"] * 2,
        }
    )
    licences = pd.DataFrame({"unit_code": ["00009"], "status": ["cleaned"]})
    table = progress.unit_statuses({"vehicle": vehicles, "licence": licences}, "00008", "en")
    labels = i18n.catalogue("en")["status"]
    assert table.values.tolist() == [
        [i18n.t("progress.kind.vehicle", "en"), labels["cleaned"], 2],
        [i18n.t("progress.kind.vehicle", "en"), labels["owner_deceased"], 1],
    ]


def test_unit_pending_lists_the_oldest_waiting_submissions_as_of_the_week_masked():
    links = pd.DataFrame(
        {
            "submission_id": ["s1", "s2", "s3", "s4", "s5"],
            "kind": ["vehicle", "licence", "vehicle", "vehicle", "vehicle"],
            "unit_code": ["00008", "00008", "00008", "00009", "00008"],
            "record_id": ["r1", None, "r3", "r4", "r5"],
            "submitted_at": pd.to_datetime(
                [
                    "2025-11-20 09:00",
                    "2025-11-10 08:00",
                    "2025-11-24 10:00",
                    "2025-11-01 08:00",
                    "2025-11-05 08:00",
                ]
            ),
            "review_status": ["pending", "pending", "pending", "pending", "approved"],
        }
    )
    submissions = pd.DataFrame(
        {"submission_id": ["s1", "s2", "s3", "s4"], "citizen_id": ["001234567845"] * 4}
    )
    out = progress.unit_pending(links, submissions, "00008", as_of=date(2025, 11, 23), limit=5)
    # s3 came after the week, s4 is another unit's, s5 was reviewed: oldest first
    assert out["submission_id"].tolist() == ["s2", "s1"]
    assert out["days_waiting"].tolist() == [13, 3]
    assert out["record_id"].tolist()[1] == "r1" and pd.isna(out["record_id"].iloc[0])
    assert "001234567845" not in out["citizen_id"].tolist()
    assert progress.unit_pending(links, submissions, "00008", as_of=date(2025, 11, 23), limit=1)[
        "submission_id"
    ].tolist() == ["s2"]
    shown = progress.unit_pending(links, submissions, "00008", as_of=date(2025, 11, 23), lang="en")
    assert i18n.t("excel.columns.days_waiting", "en") in shown.columns


# --- past the deadline -------------------------------------------------------------------------


def post_deadline_field(plan, as_of: date):
    """Ten units a week past their deadline: nine near half-way at a steady pace, one far behind
    and slow (08), one finishing within days (25: 21 of 28 cleaned this week, 7 left)."""
    codes = official_units()["unit_code"].astype(str).tolist()[:10]
    first = as_of - timedelta(days=6)
    spec = {u: (28, 14) for u in codes}
    spec[B] = (28, 2)
    spec[C] = (28, 21)
    rows = [records(u, assigned=n, cleaned_at=daily(first, 7, 3)[:k]) for u, (n, k) in spec.items()]
    return build(plan, status_table(*rows), as_of=as_of)


@pytest.mark.parametrize("extension", [True, False], ids=["extended", "overdue"])
def test_past_the_deadline_only_the_markedly_worse_units_are_named(plan, extension):
    as_of = date(2026, 1, 19)
    p = plan if extension else dataclasses.replace(plan, extension=None)
    units = post_deadline_field(p, as_of)
    named = rules_of(units, p)
    assert set(named) == {B}
    # no pace is required on or past the deadline: nobody is "slow against the required pace"
    flags = progress.rule_flags(units.reset_index(drop=True), p, as_of=as_of)
    assert not flags["veh_slow_gain"].any()


def test_past_the_deadline_projected_late_counts_the_days_after_the_week(plan):
    # 11 days past 8 January, C finishes in 3 days: not "late by more than 7 days" any more
    as_of = date(2026, 1, 19)
    p = dataclasses.replace(plan, extension=None)
    units = post_deadline_field(p, as_of).reset_index(drop=True)
    flags = progress.rule_flags(units, p, as_of=as_of).set_index(units["unit_code"])
    assert units.set_index("unit_code").loc[C, "veh_days_late"] == 11 + 3
    assert not flags.loc[C, "veh_projected_late"]
    assert flags.loc[B, "veh_projected_late"]


# --- days and the deadline in words (helpers.progress.deadline) ---------------------------------


@pytest.mark.parametrize(
    ("week", "extension", "vi", "en"),
    [
        ("2025-11-23", True, "ngày thứ 14/60", "day 14 of 60 of the peak"),
        ("2026-01-04", True, "ngày thứ 56/60", "day 56 of 60 of the peak"),  # decided on 6 Jan
        ("2026-01-11", True, "ngày thứ 63/71", "day 63 of 71 of the extended peak"),
        ("2026-01-19", True, "ngày thứ 71/71", "day 71 of 71 of the extended peak"),
        ("2026-01-08", False, "ngày thứ 60/60", "day 60 of 60 of the peak"),
        ("2026-01-11", False, "quá hạn 3 ngày", "overdue by 3 days; deadline 08/01/2026"),
        ("2026-01-19", False, "quá hạn 11 ngày", "overdue by 11 days; deadline 08/01/2026"),
    ],
)
def test_peak_day_is_counted_on_the_deadline_in_force(plan, week, extension, vi, en):
    from helpers.progress.deadline import peak_day_text

    p = plan if extension else dataclasses.replace(plan, extension=None)
    as_of = date.fromisoformat(week)
    assert vi in peak_day_text(p, as_of, "vi")
    assert en in peak_day_text(p, as_of, "en")
    for lang in ("vi", "en"):
        assert "71/60" not in peak_day_text(p, as_of, lang)


def test_the_extension_is_named_with_its_decision_only_once_decided(plan):
    from helpers.progress.deadline import deadline_note, extension_text

    ext = plan.extension
    assert extension_text(plan, date(2026, 1, 4), "en") == ""
    said = extension_text(plan, date(2026, 1, 11), "en")
    assert ext.reference in said and "19/01/2026" in said and "06/01/2026" in said
    assert ext.reference in extension_text(plan, date(2026, 1, 11), "vi")
    assert "19/01/2026" in deadline_note(plan, date(2026, 1, 11), "en")
    noext = dataclasses.replace(plan, extension=None)
    assert "overdue by 3 days" in deadline_note(noext, date(2026, 1, 11), "en")


def projection_point(plan, veh_rows, as_of) -> dict[str, str]:
    agg = progress.aggregate(status_table(*veh_rows), status_table(), links(), plan, as_of=as_of)
    tables = progress.compute(agg, plan, as_of=as_of)
    tp = tables["talking_points"]
    return {
        lang: tp.loc[(tp["lang"] == lang) & (tp["order"] == 3), "text"].iloc[0]
        for lang in i18n.LANGS
    }


@pytest.mark.parametrize(
    ("week", "extension", "en", "vi"),
    [
        ("2026-01-04", True, "keeping the deadline needs", "để kịp hạn cần"),
        (
            "2026-01-11",
            True,
            "The peak was extended to 19/01/2026",
            "đã được gia hạn đến ngày 19/01/2026",
        ),
        (
            "2026-01-19",
            True,
            "The peak ends with this week (19/01/2026)",
            "kết thúc trong tuần này",
        ),
        ("2026-01-11", False, "The deadline (08/01/2026) passed 3 days ago", "Đã quá hạn 3 ngày"),
        ("2026-01-19", False, "passed 11 days ago", "Đã quá hạn 11 ngày"),
    ],
)
def test_projection_talking_point_in_each_case(plan, week, extension, en, vi):
    as_of = date.fromisoformat(week)
    p = plan if extension else dataclasses.replace(plan, extension=None)
    rows = [records(A, assigned=60, cleaned_at=daily(as_of - timedelta(days=6), 7, 2))]
    said = projection_point(p, rows, as_of)
    assert en in said["en"] and vi in said["vi"]
    if as_of >= p.in_force(as_of).end:  # no pace is required once the deadline is reached
        assert "needs" not in said["en"] and "46" in said["en"]  # 60 - 14 left


def test_projection_says_never_only_at_zero_pace(plan):
    as_of = date(2026, 1, 19)
    p = dataclasses.replace(plan, extension=None)
    rows = [records(A, assigned=60, cleaned_at=daily(date(2025, 12, 1), 5))]
    said = projection_point(p, rows, as_of)
    assert "none was cleaned in the last 7 days" in said["en"]
    slow = [records(A, assigned=40000, cleaned_at=daily(date(2025, 11, 17), 1))]
    assert "never" not in projection_point(plan, slow, date(2025, 11, 23))["en"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_change_on_a_tiny_previous_week_is_said_in_records_not_per_cent(lang):
    """+5 records on a week of 1 is no "+500 %" headline: under the base the change is said in
    records only; from the base on, in records and per cent."""
    small = progress.change_text(6, 1, lang)
    assert "%" not in small and "5" in small
    large = progress.change_text(300, progress.CHANGE_MIN_BASE, lang)
    assert "%" in large


def test_a_kind_with_nothing_pending_has_no_oldest_pending_review(plan):
    # the backlog's age is of submissions waiting; a kind with no record pending shows none
    # (the city pack read "licences: oldest pending 47 days" with no licence pending)
    tables = small_week(plan)
    units = tables["unit_progress"]
    city = tables["city_progress"].set_index("kind")
    for kind, p in (("vehicle", "veh"), ("licence", "lic")):
        if units[f"{p}_pending"].sum() == 0:
            assert pd.isna(city.at[kind, "oldest_pending_days"]), kind
        else:
            assert city.at[kind, "oldest_pending_days"] == units["backlog_oldest_days"].max()
    assert (units["lic_pending"].sum(), units["veh_pending"].sum() > 0) == (0, True)
