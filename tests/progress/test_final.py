"""The campaign summary's tables (helpers.progress.final): the praise and criticism rules one
by one, the reasons' figures, the handover adding up to the city, on hand-made unit tables;
and on the sample, the tables written only in a week that reaches the end of the peak."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest

from helpers import i18n, progress, schemas, store
from helpers.config import ConfigError, load_plan
from helpers.paths import Workspace
from helpers.progress.final import (
    CRITICISE_RULES,
    FINAL_TABLES,
    PRAISE_RULES,
    final_figures,
    final_handover,
    final_tables,
    final_units,
    final_verdicts,
)
from helpers.progress.week import final_week
from tests.progress.builders import A, B, C, daily, links, records, status_table

END = date(2025, 12, 21)


def end_plan(**final):
    """The shipped plan with its end on END (no extension) and ``final`` thresholds changed."""
    plan = replace(load_plan(), end=END, extension=None)
    return replace(plan, final=replace(plan.final, **final))


def make_units(
    shares, *, finished_on=None, difficult=None, open_=None, licences=None
) -> pd.DataFrame:
    """A unit_progress table: unit i cleaned shares[i] of 1,000 cleanable vehicle records;
    its difficult records (default 100, 10 open) all in identity_mismatch."""
    n = len(shares)
    cleaned = [round(s * 1000) for s in shares]
    difficult = difficult or [100] * n
    open_ = open_ or [10] * n
    frame = pd.DataFrame(
        {
            "unit_code": [f"U{i:03d}" for i in range(n)],
            "unit_name": [f"Unit {i}" for i in range(n)],
            "veh_assigned": [1000 + d for d in difficult],
            "veh_cleanable": 1000,
            "veh_cleaned": cleaned,
            "veh_difficult": difficult,
            "veh_difficult_resolved": [d - o for d, o in zip(difficult, open_, strict=True)],
            "veh_difficult_open": open_,
            "veh_group_identity_mismatch": difficult,
            "veh_resolved_identity_mismatch": [
                d - o for d, o in zip(difficult, open_, strict=True)
            ],
            "veh_remaining": [1000 - c for c in cleaned],
            "veh_projected_finish": finished_on or [None] * n,
            "lic_assigned": 500,
            "lic_cleanable": 500,
            "lic_cleaned": licences or [250] * n,
            "lic_difficult": 0,
            "lic_difficult_open": 0,
            "standing": "on_track",
        }
    )
    frame["veh_share_cleaned_cleanable"] = frame["veh_cleaned"] / 1000
    frame["rank"] = progress.definitions.rank_by_share(frame["veh_share_cleaned_cleanable"])
    frame = schemas.complete("unit_progress", frame)
    groups = [c for c in frame if c[4:].startswith(("group_", "resolved_"))]
    frame[groups] = frame[groups].fillna(0)
    return frame


def verdicts(units: pd.DataFrame, plan, history: pd.DataFrame | None = None) -> pd.DataFrame:
    return final_verdicts(final_units(units, plan, history=history, as_of=END), plan)


def make_history(named: dict[str, list], *, weeks: int | None = None) -> pd.DataFrame:
    """A rank_history: unit code -> how each conference named it (weekly, the last one on
    END): True (behind on progress), "conduct", "both", or False (not named)."""
    n = weeks or max(len(flags) for flags in named.values())
    days = [END - timedelta(days=7 * (n - 1 - i)) for i in range(n)]
    rows = [
        {"week": day, "unit_code": code, "unit_name": code, "rank": 1, "standing": "behind"}
        | {
            "is_laggard": bool(flag),
            "named_progress": flag is True or flag == "both",
            "named_conduct": flag in ("conduct", "both"),
            "is_leader": False,
            "recomputed": False,
        }
        for code, flags in named.items()
        for day, flag in zip(days, flags, strict=True)
    ]
    return schemas.complete("rank_history", pd.DataFrame(rows))


def named(table: pd.DataFrame, verdict: str, rule: str | None = None) -> list[str]:
    rows = table[table["verdict"] == verdict]
    if rule is not None:
        rows = rows[rows["rules"].map(lambda r: rule in list(r))]
    return rows["unit_name"].tolist()


QUIET = {
    "praise_top_n": 0,
    "praise_finished": False,
    "criticise_bottom_n": 0,
    "criticise_below_share": 0.0,
    "criticise_difficult_open_share": 1.0,
    "criticise_named_weeks": 0,
    "criticise_conduct_weeks": 0,
}


def test_top_share_praises_the_best_final_shares_at_or_above_the_minimum():
    plan = end_plan(**{**QUIET, "praise_top_n": 3, "praise_min_share": 0.8})
    table = verdicts(make_units([0.95, 0.85, 0.7, 0.99, 0.5]), plan)
    # the top three are 0.99, 0.95, 0.85 (all >= 0.8); 0.7 is fourth
    assert named(table, "praise", "top_share") == ["Unit 3", "Unit 0", "Unit 1"]
    plan = end_plan(**{**QUIET, "praise_top_n": 3, "praise_min_share": 0.9})
    assert named(verdicts(make_units([0.95, 0.85, 0.7, 0.99, 0.5]), plan), "praise") == [
        "Unit 3",
        "Unit 0",
    ]


def test_finished_praises_units_that_reached_their_target_by_the_end_only():
    plan = end_plan(**{**QUIET, "praise_finished": True})
    on_time, late = date(2025, 12, 10), date(2025, 12, 21)
    units = make_units([1.0, 1.0, 0.9], finished_on=[on_time, late, None])
    table = verdicts(units, plan)
    assert named(table, "praise", "finished") == ["Unit 0", "Unit 1"]
    # past the end in force, a target reached after it is late
    early_plan = replace(plan, end=date(2025, 12, 15))
    assert named(verdicts(units, early_plan), "praise", "finished") == ["Unit 0"]
    result = final_units(units, early_plan).set_index("unit_code")
    assert result.loc["U000", "finished_on"] == on_time and not result.loc["U001", "finished"]


def test_bottom_share_criticises_the_lowest_final_shares_worst_first():
    plan = end_plan(**{**QUIET, "criticise_bottom_n": 2})
    table = verdicts(make_units([0.95, 0.2, 0.7, 0.99, 0.4]), plan)
    assert named(table, "criticise", "bottom_share") == ["Unit 1", "Unit 4"]
    assert table[table["verdict"] == "criticise"]["position"].tolist() == [1, 2]


def test_below_share_criticises_every_unit_under_the_threshold_and_zero_drops_it():
    plan = end_plan(**{**QUIET, "criticise_below_share": 0.5})
    units = make_units([0.95, 0.2, 0.49, 0.5, 0.4])
    assert sorted(named(verdicts(units, plan), "criticise", "below_share")) == [
        "Unit 1",
        "Unit 2",
        "Unit 4",
    ]
    assert named(verdicts(units, end_plan(**QUIET)), "criticise") == []


def test_difficult_open_criticises_a_unit_holding_most_of_its_difficult_records_open():
    plan = end_plan(**{**QUIET, "criticise_difficult_open_share": 0.5})
    units = make_units([0.9, 0.9, 0.9], difficult=[100, 100, 0], open_=[51, 50, 0])
    assert named(verdicts(units, plan), "criticise", "difficult_open") == ["Unit 0"]


def test_weeks_named_counts_only_the_conferences_that_named_the_unit_a_laggard():
    history = make_history(
        {"U000": [True, False, True, True, False], "U001": [False] * 5, "U999": [True] * 5}
    )
    # a conference after the week judged does not count
    later = history[history["week"] == END].assign(week=END + timedelta(days=7), is_laggard=True)
    history = pd.concat([history, later], ignore_index=True)
    result = final_units(make_units([0.5, 0.6, 0.7]), end_plan(), history=history, as_of=END)
    by_code = result.set_index("unit_code")
    assert by_code["weeks_named"].to_dict() == {"U000": 3, "U001": 0, "U002": 0}
    assert (by_code["weeks_reported"] == 5).all()
    # without a rank history: named at none of no conference
    alone = final_units(make_units([0.5]), end_plan())
    assert alone[["weeks_named", "weeks_reported"]].to_numpy().tolist() == [[0, 0]]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_named_often_criticises_a_unit_named_at_many_conferences_with_its_figures(lang):
    history = make_history(
        {"U000": [True, False, True, True, False], "U001": [True, True, False, False, False]}
    )
    units = make_units([0.6, 0.5, 0.9])
    table = verdicts(units, end_plan(**{**QUIET, "criticise_named_weeks": 3}), history)
    assert named(table, "criticise", "named_often") == ["Unit 0"]
    reason = table.iloc[0][f"reason_{lang}"]
    assert reason == i18n.t("progress.final_rule.named_often", lang, named="3", conferences="5")
    assert "3" in reason and "5" in reason
    # 0 drops the rule
    assert named(verdicts(units, end_plan(**QUIET), history), "criticise") == []
    table = verdicts(units, end_plan(**{**QUIET, "criticise_named_weeks": 2}), history)
    assert named(table, "criticise", "named_often") == ["Unit 1", "Unit 0"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_unit_named_only_for_conduct_is_never_called_behind_schedule(lang):
    # Kiến Hưng's case: 12th of 126, named at 4 of 10 conferences, every time for conduct
    history = make_history(
        {
            "U000": ["conduct", "conduct", False, "conduct", "conduct"],
            "U001": [True, "both", True, False, False],
        }
    )
    units = make_units([0.88, 0.5, 0.9])
    cfg = {**QUIET, "criticise_named_weeks": 3, "criticise_conduct_weeks": 3}
    table = verdicts(units, end_plan(**cfg), history)
    assert named(table, "criticise", "named_often") == ["Unit 1"]
    assert named(table, "criticise", "conduct_often") == ["Unit 0"]
    result = final_units(units, end_plan(**cfg), history=history, as_of=END).set_index("unit_code")
    assert result.loc["U000", "weeks_named"] == 0 and result.loc["U000", "weeks_named_conduct"] == 4
    assert result.loc["U001", "weeks_named"] == 3 and result.loc["U001", "weeks_named_conduct"] == 1
    reason = table.set_index("unit_code").loc["U000", f"reason_{lang}"]
    assert reason == i18n.t(
        "progress.final_rule.conduct_often", lang, named_conduct="4", conferences="5"
    )
    behind = i18n.t("progress.final_rule.named_often", lang, named="4", conferences="5")
    assert behind not in reason
    # 0 drops the conduct rule
    cfg["criticise_conduct_weeks"] = 0
    assert named(verdicts(units, end_plan(**cfg), history), "criticise") == ["Unit 1"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_unit_criticised_for_the_campaign_while_a_leader_this_week_is_told_why(lang):
    units = make_units([0.2, 0.9, 0.95])
    units.loc[0, "is_leader"] = True  # the week's second-best gain, 2nd-lowest share
    table = verdicts(units, end_plan(**{**QUIET, "criticise_bottom_n": 1}))
    row = table[table["verdict"] == "criticise"].iloc[0]
    assert row["unit_code"] == "U000"
    assert i18n.t("progress.final_rule.also_leader", lang) in row[f"reason_{lang}"]
    units.loc[0, "is_leader"] = False
    row = verdicts(units, end_plan(**{**QUIET, "criticise_bottom_n": 1})).iloc[0]
    assert i18n.t("progress.final_rule.also_leader", lang) not in row[f"reason_{lang}"]


def test_a_criticised_unit_is_not_praised_unless_the_plan_says_so():
    cfg = {**QUIET, "praise_top_n": 1, "praise_min_share": 0.0}
    cfg |= {"criticise_difficult_open_share": 0.5}
    units = make_units([0.99, 0.5], difficult=[100, 100], open_=[90, 0])
    table = verdicts(units, end_plan(**cfg))
    assert named(table, "criticise") == ["Unit 0"] and named(table, "praise") == []
    table = verdicts(units, end_plan(**cfg, exclude_criticised=False))
    assert named(table, "praise") == ["Unit 0"] and named(table, "criticise") == ["Unit 0"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_each_reason_is_one_sentence_per_rule_with_the_units_figures(lang):
    plan = end_plan(
        **{**QUIET, "praise_top_n": 1, "praise_min_share": 0.5, "praise_finished": True}
    )
    units = make_units([1.0, 0.6], finished_on=[date(2025, 12, 11), None])
    row = verdicts(units, plan).iloc[0]
    assert list(row["rules"]) == ["top_share", "finished"]
    sentences = row[f"reason_{lang}"].split(i18n.t("progress.separator", lang))
    assert len(sentences) == 2
    assert progress.pct_text(1.0, lang) in sentences[0]
    assert i18n.fmt_int(1000, lang) in sentences[0]
    assert i18n.fmt_date(date(2025, 12, 11), lang) in sentences[1]
    assert i18n.fmt_date(END, lang) in sentences[1] and "10" in sentences[1]


def test_every_rule_has_a_sentence_in_both_languages():
    for code in (*PRAISE_RULES, *CRITICISE_RULES):
        for lang in ("vi", "en"):
            assert i18n.t(f"progress.final_rule.{code}", lang)


def test_final_thresholds_are_checked_where_the_plan_is_built():
    plan = load_plan()
    with pytest.raises(ConfigError, match="final.praise_min_share"):
        replace(plan.final, praise_min_share=1.5)
    with pytest.raises(ConfigError, match="final.criticise_bottom_n"):
        replace(plan.final, criticise_bottom_n=-1)
    with pytest.raises(ConfigError, match="final.criticise_named_weeks"):
        replace(plan.final, criticise_named_weeks=-1)


def test_organisations_declared_share_is_over_the_organisations_with_both_figures():
    cols = ["submissions_total", "cleaned", "assigned", "cleanable", "compared"]
    cols += ["units_compared", "units_with_records", "difficult_open", "difficult"]
    city = pd.DataFrame([{"kind": k, **dict.fromkeys(cols, 1)} for k in ("vehicle", "licence")])
    orgs = pd.DataFrame(
        {
            "org_type": ["enterprise", "school"],
            "orgs": [5, 4],
            "dispatches_sent": [0, 0],
            "worked_directly": [0, 0],
            "vehicles_counted": [0, 900],  # schools counted, enterprises only declared
            "vehicles_declared": [600, 0],
            "orgs_both": [0, 1],
            "counted_both": [0, 50],
            "declared_both": [0, 20],
        }
    )
    figures = final_figures(city, orgs, end_plan(), as_of=END).set_index("measure")
    declared = figures.loc["org_vehicles_declared"]
    assert (declared["value"], declared["total"], declared["share"]) == (20, 50, 0.4)
    assert figures.loc["org_vehicles_counted", "value"] == 900


def test_handover_counts_add_up_to_the_unit_and_city_totals():
    units = make_units([0.9, 0.8, 0.7], difficult=[100, 40, 7], open_=[30, 0, 7])
    handover = final_handover(units)
    # only the pairs with records still open
    assert handover["unit_code"].tolist() == ["U000", "U002"]
    per_unit = handover.groupby("unit_code")["open"].sum()
    assert per_unit.to_dict() == {"U000": 30, "U002": 7}
    groups = progress.group_progress(units, end_plan())
    assert handover["open"].sum() == groups["open"].sum()


# ---------------------------------------------------------------------------------------
# the sample: written only in a week that reaches the end


def copy_week(progressed: Workspace, week: str, root) -> Workspace:
    ws = Workspace(
        raw=progressed.raw,
        processed=root / "processed",
        output=root / "output",
        truth=progressed.truth,
    )
    shutil.copytree(progressed.processed_week(week), ws.processed_week(week))
    return ws


def test_sample_tables_only_in_a_week_that_reaches_the_end(progressed, sample_week, tmp_path):
    week = sample_week
    ws = copy_week(progressed, week, tmp_path)
    plan = load_plan()
    progress.progress_week(ws, week, plan)
    assert not any(store.exists(ws, name, week) for name in FINAL_TABLES)
    plan = replace(plan, end=date.fromisoformat(week), extension=None)
    tables = progress.progress_week(ws, week, plan)
    for name in FINAL_TABLES:
        assert store.exists(ws, name, week), name
    units, groups = tables["unit_progress"], tables["group_progress"]
    assert len(tables["final_units"]) == len(units) == 126
    handover = tables["final_handover"]
    assert handover["open"].sum() == groups["open"].sum()
    by_group = handover.groupby(["kind", "group"])["open"].sum()
    for r in groups[groups["open"] > 0].itertuples():
        assert by_group[(r.kind, r.group)] == r.open
    figures = tables["final_figures"].set_index(["measure", "kind"])
    city = tables["city_progress"].set_index("kind")
    assert figures.loc[("cleaned", "vehicle"), "value"] == city.loc["vehicle", "cleaned"]
    assert (
        figures.loc[("submissions", "licence"), "value"] == city.loc["licence", "submissions_total"]
    )
    assert (figures["deadline"] == date.fromisoformat(week)).all()
    # the conferences that named each unit: its laggard rows in the week's rank history
    history = tables["rank_history"]
    named_by_unit = history.groupby("unit_code")["named_progress"].sum()
    conduct_by_unit = history.groupby("unit_code")["named_conduct"].sum()
    result = tables["final_units"].set_index("unit_code")
    assert (result["weeks_named"] == named_by_unit.reindex(result.index)).all()
    assert (result["weeks_named_conduct"] == conduct_by_unit.reindex(result.index)).all()
    assert (result["weeks_reported"] == history["week"].nunique()).all()
    assert result["weeks_named"].sum() == history["named_progress"].sum() > 0
    # a rerun with a plan whose end is later leaves none behind
    progress.progress_week(ws, week, load_plan())
    assert not any(store.exists(ws, name, week) for name in FINAL_TABLES)


def test_final_tables_follow_the_plan_in_force(progressed, sample_week):
    week = date.fromisoformat(sample_week)
    units = store.load(progressed, "unit_progress", sample_week)
    city = store.load(progressed, "city_progress", sample_week)
    orgs = store.load(progressed, "org_summary", sample_week)
    plan = replace(load_plan(), end=date(2025, 11, 20), extension=None)
    tables = final_tables(units, city, orgs, plan, as_of=week)
    assert (tables["final_figures"]["days_overdue"] == 3).all()
    for name, table in tables.items():
        schemas.check_table(
            name, __import__("pyarrow").Table.from_pandas(table, preserve_index=False)
        )


def test_the_final_outcome_is_what_happened_not_a_forecast():
    units = make_units([1.0, 0.95, 1.0], finished_on=[date(2025, 12, 10), None, None])
    units["veh_remaining"] = [0, 50, 0]
    units.loc[2, "veh_projected_finish"] = END + timedelta(days=3)  # reached after the end
    units["standing"] = ["on_track", "at_risk", "at_risk"]
    result = final_units(units, end_plan(), as_of=END + timedelta(days=7)).set_index("unit_code")
    assert result["outcome"].to_dict() == {
        "U000": "finished",
        "U001": "not_finished",
        "U002": "finished_late",
    }
    assert result["records_left"].to_dict() == {"U000": 0, "U001": 50, "U002": 0}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_campaign_summary_shows_outcomes_never_at_risk(lang):
    from helpers.briefing.parts_final import results_table

    units = make_units([1.0, 0.95], finished_on=[date(2025, 12, 10), None])
    units["veh_remaining"] = [0, 50]
    units["standing"] = ["on_track", "at_risk"]
    result = final_units(units, end_plan(), as_of=END)
    html = str(results_table(result, lang))
    assert i18n.t("briefing.final.outcome_finished", lang) in html
    assert i18n.t("briefing.final.outcome_not_finished", lang, left="50") in html
    assert i18n.t("progress.standing.at_risk", lang) not in html


@pytest.mark.parametrize(("lang", "kind"), [("vi", "hồ sơ xe"), ("en", "vehicle records")])
def test_the_not_finished_outcome_names_the_kind_of_records_it_counts(lang, kind):
    # records_left counts the kinds the rules judge (vehicles): "còn 282 hồ sơ" beside a
    # hand-over of 282 vehicle records and 1 licence read as 283 left (ward-chief review)
    assert kind in i18n.t("briefing.final.outcome_not_finished", lang, left="282")


def test_the_units_finished_by_standing_are_the_final_outcomes_finished():
    # the week that reaches the extended end: the standings and the campaign summary agree on
    # who finished (a unit with nothing assigned has nothing left: finished, and no target)
    plan = load_plan()
    as_of = date(2026, 1, 19)
    first = as_of - timedelta(days=6)
    veh = status_table(
        records(A, assigned=4, cleaned_at=daily(first, 4)),
        records(B, assigned=4, cleaned_at=daily(first, 2)),
        records(C, assigned=8, cleaned_at=daily(first, 1)),
    )
    agg = progress.aggregate(veh, status_table(), links(), plan, as_of=as_of)
    tables = progress.compute(agg, plan, as_of=as_of)
    final = final_week(tables, plan, as_of=as_of)["final_units"].set_index("unit_code")
    units = tables["unit_progress"].set_index("unit_code")
    standing_finished = set(units.index[units["standing"] == "finished"])
    outcome_finished = set(final.index[final["outcome"] == "finished"])
    no_target = set(final.index[final["outcome"] == "no_target"])
    assert A in outcome_finished and {B, C}.isdisjoint(standing_finished)
    assert standing_finished == outcome_finished | no_target
    assert (units.loc[sorted(outcome_finished), "standing"] == "finished").all()
    city = tables["city_progress"].set_index("kind")
    assert city.loc["vehicle", "units_finished"] == len(outcome_finished) + len(no_target)
