"""Laggard and leader rules (helpers.progress.rules): who is named and why, standings, leaders,
past the deadline."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pandas as pd
import pytest

from helpers import progress
from helpers.units import official_units
from tests.progress.builders import (
    WEEK,
    A,
    B,
    C,
    D,
    build,
    daily,
    field,
    links,
    make_check,
    quiet,
    reasons_of,
    records,
    status_table,
    window,
    with_params,
)


def rules_of(units, plan) -> dict[str, list[str]]:
    lag = progress.laggards(units.reset_index(drop=True), plan)
    return dict(zip(lag["unit_code"], lag["rules"], strict=True))


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
        "cleaned 10.0% of its cleanable records vs city median 50.0%; share cleaned only 20% of the "
        "city median"
    )
    assert lag.loc[C, "reason_vi"] == (
        "đã làm sạch 10,0% số hồ sơ có thể làm sạch, trung vị toàn thành phố 50,0%; tỷ lệ làm sạch chỉ "
        "bằng 20% trung vị toàn thành phố"
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


# --- once the deadline is reached ---------------------------------------------------------------


def deadline_field(plan, as_of: date):
    """Ten units in the week that ends on the deadline: eight with records left at a steady
    pace, one far behind and slow (B), one that cleaned all its records (D)."""
    codes = official_units()["unit_code"].astype(str).tolist()[:10]
    first = as_of - timedelta(days=6)
    spec = {u: (28, 14) for u in codes}
    spec[B] = (28, 2)
    spec[D] = (28, 28)
    rows = [records(u, assigned=n, cleaned_at=daily(first, 7, 4)[:k]) for u, (n, k) in spec.items()]
    return build(plan, status_table(*rows), as_of=as_of)


@pytest.mark.parametrize("extension", [True, False], ids=["extended", "overdue"])
def test_once_the_deadline_is_reached_a_kind_is_finished_not_finished_or_off_track(plan, extension):
    as_of = date(2026, 1, 19)  # the extended deadline's last day; 11 days past the planned end
    p = plan if extension else dataclasses.replace(plan, extension=None)
    units = deadline_field(p, as_of)
    assert units.loc[D, "veh_standing"] == "finished" and units.loc[D, "standing"] == "finished"
    assert units.loc[B, "veh_standing"] == "off_track" and units.loc[B, "standing"] == "off_track"
    assert units.loc[C, "veh_standing"] == "not_finished"
    assert units.loc[C, "standing"] == "not_finished"
    assert not units["standing"].isin(["on_track", "at_risk"]).any()


def test_before_the_deadline_standings_are_forecasts(plan):
    as_of = date(2026, 1, 18)  # the day before the extended deadline
    units = deadline_field(plan, as_of)
    assert units.loc[D, "standing"] == "on_track"
    assert units.loc[B, "standing"] == "off_track"
    assert units["standing"].isin(["on_track", "at_risk", "off_track"]).all()


def test_a_unit_is_as_bad_as_its_worse_judged_kind_once_the_deadline_is_reached(plan):
    # vehicles finished, licences with records left: not finished
    p = with_params(plan, "laggards", kinds=("vehicle", "licence"))
    as_of = date(2026, 1, 19)
    first = as_of - timedelta(days=6)
    veh = status_table(records(A, assigned=4, cleaned_at=daily(first, 4)))
    lic = status_table(records(A, assigned=4, cleaned_at=daily(first, 2), prefix="L"))
    units = build(p, veh, lic, as_of=as_of)
    assert units.loc[A, "veh_standing"] == "finished"
    assert units.loc[A, "lic_standing"] == "not_finished"
    assert units.loc[A, "standing"] == "not_finished"
