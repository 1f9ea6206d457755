"""Progress metrics (helpers.progress.metrics): counts, the week's gain, deadline arithmetic and
projections, edge cases, ranks, backlog, self-reports, organisations, the city's rows. Inputs
are tiny hand-made reconciled tables (a few units with a handful of records; the other official
units have nothing assigned)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pandas as pd
import pytest

from helpers import progress
from tests.progress.builders import (
    WEEK,
    A,
    B,
    build,
    daily,
    links,
    make_check,
    records,
    small_week,
    status_table,
    window,
    with_params,
)

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


def test_self_reports_above_the_system_are_flagged(plan):
    row = build(
        plan, status_table(records(A, assigned=3)), self_report_check=make_check(A, 150, 100)
    ).loc[A]
    assert row.self_report_ratio == pytest.approx(1.5)
    assert bool(row.self_report_overstated) is True and row.is_laggard


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


def deadline_week(plan, as_of: date) -> dict[str, pd.DataFrame]:
    """The week that ends on the extended deadline: A cleaned all its records, B has some left."""
    first = as_of - timedelta(days=6)
    veh = status_table(
        records(A, assigned=4, cleaned_at=daily(first, 4)),
        records(B, assigned=4, cleaned_at=daily(first, 2)),
    )
    agg = progress.aggregate(veh, status_table(), links(), plan, as_of=as_of)
    return progress.compute(agg, plan, as_of=as_of)


def test_city_counts_units_finished_and_not_finished_once_the_deadline_is_reached(plan):
    city = deadline_week(plan, date(2026, 1, 19))["city_progress"].set_index("kind")
    veh = city.loc["vehicle"]
    assert veh.days_left == 0
    # the 124 units with nothing assigned have nothing left either
    assert (veh.units_finished, veh.units_not_finished) == (125, 1)
    assert (veh.units_on_track, veh.units_at_risk) == (0, 0)
    assert veh.units_finished + veh.units_not_finished + veh.units_off_track == 126


def test_city_counts_no_unit_finished_before_the_deadline(plan):
    city = deadline_week(plan, date(2026, 1, 18))["city_progress"].set_index("kind")
    assert (city["units_finished"] == 0).all() and (city["units_not_finished"] == 0).all()
    veh = city.loc["vehicle"]
    assert veh.units_on_track + veh.units_at_risk + veh.units_off_track == 126
