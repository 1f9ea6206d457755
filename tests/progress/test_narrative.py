"""The words of progress (helpers.progress.narrative): reasons, talking points, paces, shares and
changes in both languages."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pandas as pd
import pytest

from helpers import i18n, progress
from tests.progress.builders import (
    WEEK,
    A,
    B,
    C,
    build,
    daily,
    field,
    links,
    make_check,
    quiet,
    reasons_of,
    records,
    small_week,
    status_table,
    window,
    with_params,
)


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


def test_every_difficult_group_has_its_criterion_in_both_languages():
    from helpers.i18n import t

    for kind in progress.KINDS:
        for group in progress.GROUPS[kind]:
            for lang in ("vi", "en"):
                assert ";" in t(f"progress.group.{group}", lang), (group, lang)


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


def test_week_on_week_change_in_records_and_per_cent(plan):
    assert progress.change_text(26_888, 4_616, "en") == (
        "up 22,272 records (+482.50%) on the previous period (4,616)"
    )
    assert progress.change_text(50, 100, "vi") == "giảm 50 hồ sơ (−50,00%) so với kỳ trước (100)"
    tables = small_week(plan)
    city = tables["city_progress"].set_index("kind").loc["vehicle"]
    assert city.gain_change == city.gain_week - city.gain_prev_week


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


@pytest.mark.parametrize(("lang", "subject"), [("vi", "tỷ lệ"), ("en", "share")])
def test_the_short_ratio_reason_stands_as_its_own_bullet(lang, subject):
    # the briefing lists each reason as a bullet: "• chỉ bằng 33% trung vị toàn thành phố" had
    # no subject (chair review); the short form still leaves out the figures said before it
    row = {"veh_share_cleaned_cleanable": 0.05}
    context = {"multi_kind": False, "vehmedian_known": 0.15}
    text = progress.narrative.rule_sentence(
        "veh_below_median_ratio", row, context, lang, broken=["veh_below_median"]
    )
    assert text.lower().startswith(subject) and "15" not in text


def test_standing_talking_point_says_the_outcome_once_the_deadline_is_reached(plan):
    # the week of 13-19 January reaches the extended deadline: finished, not finished, off track
    as_of = date(2026, 1, 19)
    rows = [
        records(A, assigned=4, cleaned_at=daily(as_of - timedelta(days=6), 4)),
        records(B, assigned=4, cleaned_at=daily(as_of - timedelta(days=6), 2)),
    ]
    agg = progress.aggregate(status_table(*rows), status_table(), links(), plan, as_of=as_of)
    tp = progress.compute(agg, plan, as_of=as_of)["talking_points"]
    said = {lang: " ".join(tp.loc[tp["lang"] == lang, "text"]) for lang in i18n.LANGS}
    assert "Vehicle records: 125 units finished, 1 not finished, 0 off track" in said["en"]
    assert "Hồ sơ xe: 125 đơn vị đã hoàn thành, 1 chưa hoàn thành, 0 chậm tiến độ" in said["vi"]
    assert "at risk" not in said["en"] and "on track" not in said["en"]
    assert "nguy cơ" not in said["vi"] and "đúng tiến độ" not in said["vi"]
