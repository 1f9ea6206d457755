"""History: rank_history and the follow-up of the previous conference (helpers.progress.history),
on hand-made tables, and the recomputation of a week that was never run."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from helpers import progress, schemas, store
from helpers.config import load_plan
from helpers.progress import history
from tests.progress.builders import A, B, C, D, daily, records, status_table, window, write_week


@pytest.fixture(scope="module")
def plan():
    return load_plan()


def units(rows: list[tuple]) -> pd.DataFrame:
    """unit_progress rows: (unit_code, rank, share, is_laggard, is_leader[, naming kind]); a
    laggard is named for progress unless the sixth value says ``conduct`` (or ``both``)."""
    kind = [r[5] if len(r) > 5 else "progress" for r in rows]
    return pd.DataFrame(
        {
            "unit_code": [r[0] for r in rows],
            "unit_name": [f"Unit {r[0]}" for r in rows],
            "rank": [r[1] for r in rows],
            "veh_share_cleaned_cleanable": [r[2] for r in rows],
            "standing": [
                "off_track" if r[3] and k != "conduct" else "on_track"
                for r, k in zip(rows, kind, strict=True)
            ],
            "breaks_progress": [
                bool(r[3]) and k in ("progress", "both") for r, k in zip(rows, kind, strict=True)
            ],
            "breaks_conduct": [
                bool(r[3]) and k in ("conduct", "both") for r, k in zip(rows, kind, strict=True)
            ],
            "is_laggard": [r[3] for r in rows],
            "is_leader": [r[4] for r in rows],
        }
    )


def conduct_laggards(named: dict[str, list[str]]) -> pd.DataFrame:
    """A week's laggards table: unit code -> the rules that named it."""
    return pd.DataFrame({"unit_code": list(named), "rules": list(named.values())})


def city(cleaned: int, remaining: int, required: float | None, lic_cleaned: int = 0):
    return pd.DataFrame(
        {
            "kind": ["vehicle", "licence"],
            "cleaned": [cleaned, lic_cleaned],
            "target": [cleaned + remaining, 100],
            "remaining": [remaining, 0],
            "required_rate": [required, 0.0],
            "rate_7d": [1.0, 0.0],
            "days_left": [30, 30],
        }
    )


def week(day: str, rows, city_table=None, recomputed=False, laggards=None) -> history.WeekTables:
    return history.WeekTables(
        day,
        units(rows),
        city_table if city_table is not None else city(0, 100, 10.0),
        recomputed,
        laggards,
    )


def by_unit(table: pd.DataFrame, subject: str) -> pd.DataFrame:
    return table.loc[table["subject"] == subject].set_index("unit_code")


def test_a_laggard_that_left_the_list_improved_one_still_named_and_slower_did_not():
    then = week(
        "2025-11-23",
        [
            (A, 1, 0.5, False, True),
            (B, 3, 0.1, True, False),
            (C, 4, 0.1, True, False),
            (D, 2, 0.3, False, False),
        ],
    )
    # A +0.10, B +0.02 (still named), C +0.01 (left the list), D +0.10: median gain 0.06
    now = week(
        "2025-11-30",
        [
            (A, 1, 0.6, False, True),
            (B, 4, 0.12, True, False),
            (C, 3, 0.11, False, False),
            (D, 2, 0.4, False, False),
        ],
    )
    out = history.build([then], now)["followup"]
    lag = by_unit(out, "laggard")
    assert list(lag.index) == [C, B]  # worst rank then first
    assert lag.loc[C, "outcome"] == "improved" and bool(lag.loc[C, "improved"])
    assert lag.loc[B, "outcome"] == "not_improved" and not bool(lag.loc[B, "improved"])
    assert lag.loc[B, "city_median_gain"] == pytest.approx(0.06)
    assert lag.loc[B, "share_then"] == 0.1 and lag.loc[B, "share_now"] == 0.12


def test_a_laggard_still_named_but_gaining_the_city_median_improved():
    then = week(
        "2025-11-23",
        [(A, 2, 0.3, False, False), (B, 3, 0.1, True, False), (C, 1, 0.5, False, False)],
    )
    # gains: A +0.05, B +0.05, C 0.0 -> median 0.05; B is still named but gained the median
    now = week(
        "2025-11-30",
        [(A, 2, 0.35, False, False), (B, 3, 0.15, True, False), (C, 1, 0.5, False, False)],
    )
    lag = by_unit(history.build([then], now)["followup"], "laggard")
    assert lag.loc[B, "outcome"] == "improved" and bool(lag.loc[B, "laggard_now"])


def test_named_in_a_row_counts_the_conferences_up_to_the_previous_one():
    w1 = week("2025-11-17", [(A, 2, 0.1, True, False), (B, 1, 0.2, True, False)])
    w2 = week("2025-11-23", [(A, 2, 0.1, False, False), (B, 1, 0.2, True, False)])
    w3 = week("2025-11-30", [(A, 2, 0.1, True, False), (B, 1, 0.2, True, False)])
    now = week("2025-12-07", [(A, 2, 0.1, True, False), (B, 1, 0.2, True, False)])
    out = history.build([w1, w2, w3], now)
    lag = by_unit(out["followup"], "laggard")
    assert lag.loc[A, "named_in_row"] == 1  # the run broke at 23 Nov
    assert lag.loc[B, "named_in_row"] == 3
    assert len(out["rank_history"]) == 8  # 2 units x 4 weeks, this one included


def test_named_in_a_row_counts_only_the_namings_of_the_kind_it_names():
    # A was named for its review backlog at three conferences in a row, never for progress
    w1 = week("2025-11-17", [(A, 1, 0.9, True, False, "conduct"), (B, 2, 0.1, True, False)])
    w2 = week("2025-11-23", [(A, 1, 0.9, True, False, "conduct"), (B, 2, 0.1, True, False)])
    w3 = week("2025-11-30", [(A, 1, 0.9, True, False, "conduct"), (B, 2, 0.1, True, False)])
    now = week("2025-12-07", [(A, 1, 0.9, False, False), (B, 2, 0.1, True, False)])
    out = history.build([w1, w2, w3], now)
    hist = out["rank_history"].set_index(["unit_code", "week"])
    assert not hist.loc[A, "named_progress"].any() and hist.loc[A, "named_conduct"].sum() == 3
    assert history.named_in_row(out["rank_history"], date(2025, 11, 30), "progress")[A] == 0
    assert history.named_in_row(out["rank_history"], date(2025, 11, 30), "conduct")[A] == 3
    lag = by_unit(out["followup"], "laggard")
    assert lag.loc[A, "named_for"] == "conduct" and lag.loc[A, "named_in_row"] == 3
    assert lag.loc[B, "named_for"] == "progress" and lag.loc[B, "named_in_row"] == 3


def test_a_unit_named_for_conduct_is_followed_up_on_its_conduct_not_its_share():
    # A and B were named for their review backlog; C for its self-reports. Since then A
    # cleared its backlog (gained nothing: still improved); B gained more than anyone but its
    # backlog is still old (not improved); C is named now for its backlog instead (its
    # self-reports: improved)
    then = week(
        "2025-11-23",
        [
            (A, 1, 0.8, True, False, "conduct"),
            (B, 2, 0.5, True, False, "conduct"),
            (C, 3, 0.4, True, False, "conduct"),
            (D, 4, 0.3, False, False),
        ],
        laggards=conduct_laggards(
            {A: ["backlog_old"], B: ["backlog_old"], C: ["self_report_overstated"]}
        ),
    )
    now = week(
        "2025-11-30",
        [
            (A, 1, 0.8, False, False),
            (B, 2, 0.7, True, False, "conduct"),
            (C, 3, 0.45, True, False, "conduct"),
            (D, 4, 0.35, False, False),
        ],
        laggards=conduct_laggards({B: ["backlog_old"], C: ["backlog_old"]}),
    )
    lag = by_unit(history.build([then], now)["followup"], "laggard")
    assert lag["outcome"].to_dict() == {C: "improved", B: "not_improved", A: "improved"}
    assert list(lag.loc[C, "conduct_rules_then"]) == ["self_report_overstated"]


def test_a_unit_named_for_both_improves_only_when_both_namings_did():
    then = week(
        "2025-11-23",
        [(A, 2, 0.1, True, False, "both"), (B, 1, 0.5, False, False)],
        laggards=conduct_laggards({A: ["bottom_share", "backlog_old"]}),
    )
    # A gained far more than the median but its backlog is still old
    now = week(
        "2025-11-30",
        [(A, 2, 0.4, True, False, "conduct"), (B, 1, 0.5, False, False)],
        laggards=conduct_laggards({A: ["backlog_old"]}),
    )
    lag = by_unit(history.build([then], now)["followup"], "laggard")
    assert lag.loc[A, "named_for"] == "progress_conduct"
    assert lag.loc[A, "outcome"] == "not_improved"


def test_the_city_is_never_asked_for_more_than_was_left_then():
    # 5.5 a day for 7 days is 39 records; only 21 were left to reach the target
    then = week("2025-11-23", [(A, 1, 0.5, False, False)], city(100, 21, 5.5))
    now = week("2025-11-30", [(A, 1, 0.6, False, False)], city(118, 3, None))
    row = by_unit(history.build([then], now)["followup"], "city").set_index("kind")
    assert row.loc["vehicle", "cleaned_needed"] == 21
    assert row.loc["vehicle", "outcome"] == "missed"


def test_leaders_kept_or_lost():
    then = week("2025-11-23", [(A, 1, 0.5, False, True), (B, 2, 0.4, False, True)])
    now = week("2025-11-30", [(A, 1, 0.6, False, True), (B, 2, 0.45, False, False)])
    lead = by_unit(history.build([then], now)["followup"], "leader")
    assert lead["outcome"].to_dict() == {A: "kept", B: "lost"}


def test_city_targets_of_the_previous_week_against_what_was_cleaned_since():
    # then: 10.5 records a day needed; 7 days later 80 more cleaned (74 needed): met
    then = week("2025-11-23", [(A, 1, 0.5, False, False)], city(100, 500, 10.5))
    now = week("2025-11-30", [(A, 1, 0.6, False, False)], city(180, 420, 12.0))
    rows = by_unit(history.build([then], now)["followup"], "city")
    assert list(rows["kind"]) == list(progress.KINDS)  # vehicles first, as everywhere
    row = rows.set_index("kind")
    assert row.loc["vehicle", "cleaned_needed"] == 74
    assert row.loc["vehicle", "cleaned_since"] == 80
    assert row.loc["vehicle", "outcome"] == "met"
    assert row.loc["vehicle", "target_remaining_then"] == 500
    assert row.loc["vehicle", "rate_achieved"] == pytest.approx(80 / 7)
    missed = week("2025-11-30", [(A, 1, 0.6, False, False)], city(150, 420, 12.0))
    row = by_unit(history.build([then], missed)["followup"], "city").set_index("kind")
    assert row.loc["vehicle", "outcome"] == "missed"
    no_pace = week("2025-11-23", [(A, 1, 0.5, False, False)], city(100, 500, None))
    row = by_unit(history.build([no_pace], now)["followup"], "city").set_index("kind")
    assert row.loc["vehicle", "outcome"] == "no_target"


def test_first_week_has_no_followup_and_a_one_week_history():
    out = history.build([], week("2025-11-17", [(A, 1, 0.5, True, False)]))
    assert out["followup"].empty
    assert len(out["rank_history"]) == 1


def test_followup_and_history_fit_their_contracts():
    then = week("2025-11-23", [(A, 1, 0.5, False, True), (B, 2, 0.1, True, False)])
    now = week("2025-11-30", [(A, 1, 0.6, False, True), (B, 2, 0.2, True, False)])
    import pyarrow as pa

    for name, table in history.build([then], now).items():
        schemas.check_table(name, pa.Table.from_pandas(table, preserve_index=False))
    empty = history.build([], now)["followup"]
    schemas.check_table("followup", pa.Table.from_pandas(empty, preserve_index=False))


# --- through progress_week: a week run, a week never run ---------------------------------------


def test_a_never_run_previous_week_is_recomputed_and_labelled(tmp_ws, plan):
    # 16 Nov exists as a delivery but was never run: its standings come from this week's data
    (tmp_ws.raw / "2025-11-16").mkdir()
    (tmp_ws.raw / "2025-11-16" / "submissions.csv").write_text("submission_id\n", "utf-8")
    cleanings = daily(date(2025, 11, 10), 3) + window()
    write_week(tmp_ws, "2025-11-23", status_table(records(A, assigned=20, cleaned_at=cleanings)))
    tables = progress.progress_week(tmp_ws, "2025-11-23", plan)
    hist = store.load(tmp_ws, "rank_history", "2025-11-23")
    earlier = hist.loc[hist["week"] == date(2025, 11, 16)].set_index("unit_code")
    assert earlier["recomputed"].all() and len(earlier) == 126
    cleanable = tables["unit_progress"].set_index("unit_code").loc[A, "veh_cleanable"]
    assert earlier.loc[A, "share_cleaned"] == pytest.approx(3 / cleanable)  # 3 cleaned by then
    assert not hist.loc[hist["week"] == date(2025, 11, 23), "recomputed"].any()
    follow = store.load(tmp_ws, "followup", "2025-11-23")
    assert len(follow) and follow["prev_recomputed"].all()
    assert (follow["week_prev"] == date(2025, 11, 16)).all()


def test_a_week_that_was_run_is_read_from_its_folder_not_recomputed(tmp_ws, plan):
    # the 16 Nov run saw 3 cleanings; this week's data dates them differently (a re-dated
    # review): the history keeps what the conference was told
    write_week(
        tmp_ws,
        "2025-11-16",
        status_table(records(A, assigned=20, cleaned_at=daily(date(2025, 11, 14), 3))),
    )
    told = progress.progress_week(tmp_ws, "2025-11-16", plan)["unit_progress"]
    write_week(tmp_ws, "2025-11-23", status_table(records(A, assigned=20, cleaned_at=window())))
    progress.progress_week(tmp_ws, "2025-11-23", plan)
    hist = store.load(tmp_ws, "rank_history", "2025-11-23")
    earlier = hist.loc[hist["week"] == date(2025, 11, 16)].set_index("unit_code")
    assert not earlier["recomputed"].any()
    share = told.set_index("unit_code").loc[A, "veh_share_cleaned_cleanable"]
    assert earlier.loc[A, "share_cleaned"] == pytest.approx(share) and share > 0
    assert not store.load(tmp_ws, "followup", "2025-11-23")["prev_recomputed"].any()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_unit_packs_history_says_what_each_conference_named_it_for(lang):
    from helpers.packs.history import unit_history
    from helpers.packs.texts import tx

    w1 = week("2025-11-17", [(A, 1, 0.9, True, False, "conduct")])
    w2 = week("2025-11-23", [(A, 1, 0.9, True, False)])
    hist = history.build([w1], w2)["rank_history"]
    rows = unit_history(hist, A, lang)
    yes, no = tx("answer_yes", lang), tx("answer_no", lang)
    assert rows["named_progress"].tolist() == [no, yes]
    assert rows["named_conduct"].tolist() == [yes, no]


def test_a_recomputed_week_has_the_backlog_it_had_then():
    # a week never run was recomputed with no backlog at all, so the backlog rule named nobody
    # (13-16 laggards where the real runs named 27-30): the backlog of an earlier day is the
    # submissions made by then and not reviewed by then
    from helpers.progress.records import backlog_as_of, review_backlog, review_days
    from tests.progress.builders import links

    now = links(
        [
            {"unit_code": A, "submitted_at": "2025-11-01 09:00"},  # still pending
            {
                "unit_code": A,
                "submitted_at": "2025-11-03 09:00",
                "review_status": "approved",
                "reviewed_at": "2025-11-20 10:00",  # pending on 16 Nov, reviewed since
            },
            {
                "unit_code": A,
                "submitted_at": "2025-11-10 09:00",
                "review_status": "rejected",
                "reviewed_at": "2025-11-12 09:00",  # reviewed before 16 Nov
            },
            {"unit_code": B, "submitted_at": "2025-11-18 09:00"},  # made after 16 Nov
        ]
    )
    # the same submissions as the 16 Nov export showed them
    then = now.loc[now["submitted_at"] < "2025-11-17"].copy()
    later = then["reviewed_at"] >= "2025-11-17"
    then.loc[later, "review_status"], then.loc[later, "reviewed_at"] = "pending", pd.NaT
    as_of = date(2025, 11, 16)
    told = review_backlog(then, as_of=as_of).set_index("unit_code")
    recomputed = backlog_as_of(review_days(now, as_of=date(2025, 11, 23)), as_of=as_of)
    recomputed = recomputed.set_index("unit_code")
    assert recomputed.loc[A, "backlog_pending"] == told.loc[A, "backlog_pending"] == 2
    assert recomputed.loc[A, "backlog_oldest_days"] == told.loc[A, "backlog_oldest_days"] == 15
    assert B not in recomputed.index or recomputed.loc[B, "backlog_pending"] == 0
    assert recomputed.loc[A, "backlog_median_lag_days"] == pytest.approx(2.0)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_figure_revised_by_late_events_is_said_as_a_revision(lang):
    # the 14/12 conference was told 100 records cleaned; this week's data (a review re-dated,
    # a record re-opened) counts 95 by that day: the follow-up says so and counts from 95
    from types import SimpleNamespace

    from helpers.briefing.parts_followup import followup_part
    from helpers.i18n import fmt_date, fmt_int, t

    then = week("2025-12-14", [(A, 1, 0.5, False, False)], city(100, 500, 10.0))
    now = week("2025-12-21", [(A, 1, 0.6, False, False)], city(180, 420, 12.0))
    daily = pd.DataFrame(
        {
            "unit_code": [A, A, A],
            "kind": ["vehicle", "vehicle", "vehicle"],
            "date": [date(2025, 12, 1), date(2025, 12, 14), date(2025, 12, 20)],
            "cleaned_day": [90, 5, 85],
        }
    )
    out = history.build([then], now, daily=daily)["followup"]
    row = by_unit(out, "city").set_index("kind").loc["vehicle"]
    assert (row["cleaned_then"], row["cleaned_then_now"], row["cleaned_since"]) == (100, 95, 85)
    part = followup_part(SimpleNamespace(followup=out), lang)
    said = t(
        "briefing.followup.revised",
        lang,
        date=fmt_date(date(2025, 12, 14), lang),
        told=fmt_int(100, lang),
        now=fmt_int(95, lang),
    )
    assert said in part["targets"][0]["text"]
    # unrevised: no such sentence
    same = history.build([then], now)["followup"]
    assert "cleaned_then_now" in same and not any(
        said in x["text"] for x in followup_part(SimpleNamespace(followup=same), lang)["targets"]
    )


def gains_city(gain: int, before: int, start: date) -> pd.DataFrame:
    """A city table as a conference was told it: its period's gain, the records cleaned
    before the peak, the period's first day."""
    table = city(0, 100, 10.0)
    return table.assign(gain_week=[gain, 0], cleaned_before_start=[before, 0], period_start=start)


def test_each_conference_period_is_counted_now_beside_what_it_was_told():
    # peak from 17/11; conferences 23/11 and 30/11 were run; a late event dated 20/11 arrived
    # after 23/11 (the 23/11 conference was told 40, this week's data counts 45) and one
    # dated before the peak (told 7, now 9)
    peak = date(2025, 11, 17)
    first = week("2025-11-23", [(A, 1, 0.5, False, False)], gains_city(40, 7, peak))
    second = week("2025-11-30", [(A, 1, 0.6, False, False)], gains_city(30, 9, date(2025, 11, 24)))
    now = week("2025-12-07", [(A, 1, 0.7, False, False)])
    cleanings = pd.DataFrame(
        {
            "unit_code": [A] * 6,
            "kind": ["vehicle"] * 6,
            "date": [
                None,
                date(2025, 11, 10),
                date(2025, 11, 20),
                date(2025, 11, 23),
                date(2025, 11, 30),
                date(2025, 12, 1),
            ],
            "cleaned_day": [2, 7, 25, 20, 30, 12],
        }
    )
    out = history.build([first, second], now, daily=cleanings, peak_start=peak)
    gains = out["conference_gains"]
    vehicle = gains.loc[gains["kind"] == "vehicle"].reset_index(drop=True)
    assert list(vehicle["week"]) == [
        None,
        date(2025, 11, 23),
        date(2025, 11, 30),
        date(2025, 12, 7),
    ]
    assert list(vehicle["period_start"]) == [None, peak, date(2025, 11, 24), date(2025, 12, 1)]
    assert list(vehicle["cleaned"]) == [9, 45, 30, 12]
    assert list(vehicle["cleaned_told"]) == [7, 40, 30, 12]
    assert list(vehicle["revised"]) == [True, True, False, False]
    assert vehicle["cleaned"].sum() == cleanings["cleaned_day"].sum()  # the bars add up
    import pyarrow as pa

    schemas.check_table("conference_gains", pa.Table.from_pandas(gains, preserve_index=False))


def test_a_recomputed_or_differently_windowed_conference_has_no_told_figure():
    peak = date(2025, 11, 17)
    never_run = week("2025-11-23", [(A, 1, 0.5, False, False)], recomputed=True)
    # run by an older version over a fixed 7-day window: another period, nothing to compare
    windowed = week(
        "2025-11-30", [(A, 1, 0.6, False, False)], gains_city(30, 0, date(2025, 11, 23))
    )
    now = week("2025-12-07", [(A, 1, 0.7, False, False)])
    cleanings = pd.DataFrame(
        {"unit_code": [A], "kind": ["vehicle"], "date": [date(2025, 11, 25)], "cleaned_day": [4]}
    )
    gains = history.build([never_run, windowed], now, daily=cleanings, peak_start=peak)
    vehicle = gains["conference_gains"].query("kind == 'vehicle'")
    assert vehicle["cleaned_told"].isna().tolist() == [True, True, True, False]
    assert not vehicle["revised"].any()
    assert vehicle["recomputed"].tolist() == [True, True, False, False]


def test_a_recomputed_week_equals_the_run_of_that_week_on_the_same_inputs(tmp_ws, plan):
    # the 30/11 export holds the 23/11 export's records as they were, plus cleanings made
    # since (no late event): the 23/11 conference recomputed (never run) says exactly what a
    # run of 23/11 says, only labelled as recomputed
    then_a = window()  # A: one a day 17..23/11
    then_b = daily(date(2025, 11, 18), 2)
    later = daily(date(2025, 11, 25), 4)
    (tmp_ws.raw / "2025-11-23").mkdir()
    (tmp_ws.raw / "2025-11-23" / "submissions.csv").write_text("submission_id\n", "utf-8")
    write_week(
        tmp_ws,
        "2025-11-30",
        status_table(
            records(A, assigned=20, cleaned_at=then_a + later),
            records(B, assigned=10, cleaned_at=then_b),
            records(C, assigned=10),
        ),
    )
    progress.progress_week(tmp_ws, "2025-11-30", plan)
    recomputed = store.load(tmp_ws, "rank_history", "2025-11-30")
    recomputed = recomputed.loc[recomputed["week"] == date(2025, 11, 23)]
    write_week(
        tmp_ws,
        "2025-11-23",
        status_table(
            records(A, assigned=20, cleaned_at=then_a),
            records(B, assigned=10, cleaned_at=then_b),
            records(C, assigned=10),
        ),
    )
    progress.progress_week(tmp_ws, "2025-11-23", plan)
    progress.progress_week(tmp_ws, "2025-11-30", plan)  # now reads the week that was run
    real = store.load(tmp_ws, "rank_history", "2025-11-30")
    real = real.loc[real["week"] == date(2025, 11, 23)]
    assert recomputed["recomputed"].all() and not real["recomputed"].any()
    same = [c for c in history.HISTORY_COLUMNS if c != "recomputed"]
    pd.testing.assert_frame_equal(
        recomputed[same].reset_index(drop=True), real[same].reset_index(drop=True)
    )
    assert recomputed["named_progress"].any()  # the comparison holds namings, not only zeros
