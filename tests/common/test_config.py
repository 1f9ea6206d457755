import dataclasses
import re
from datetime import date, timedelta

import pytest

from helpers import ConfigError, paths
from helpers.config import load_packs, load_plan, load_sending


def test_plan_matches_the_campaign():
    plan = load_plan()
    assert plan.start == date(2025, 11, 10)
    assert plan.duration_days == 60
    assert plan.conference_date(date(2025, 11, 23)) == date(2025, 11, 24)
    assert set(plan.title) >= {"vi", "en"}


def test_days_left_never_negative():
    plan = load_plan()
    assert plan.days_left(date(2026, 1, 1)) == 7
    assert plan.days_left(date(2026, 2, 1)) == 0


def test_missing_key_is_named(tmp_path):
    broken = tmp_path / "plan.yaml"
    broken.write_text("plan:\n  number: '375'\n", "utf-8")
    with pytest.raises(ConfigError, match="plan.dated"):
        load_plan(broken)


def test_bad_date_is_explained(tmp_path):
    text = (
        (load_plan.__globals__["PLAN_FILE"])
        .read_text("utf-8")
        .replace("start: 2025-11-10", "start: tenth of november")
    )
    broken = tmp_path / "plan.yaml"
    broken.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match="peak.start.*YYYY-MM-DD"):
        load_plan(broken)


def plan_text_with(old: str, new: str) -> str:
    text = (load_plan.__globals__["PLAN_FILE"]).read_text("utf-8")
    assert old in text, old
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("  kinds: [vehicle]", "", "laggards.kinds"),
        ("  gain_measure: share", "", "leaders.gain_measure"),
        ("  difficult_resolved_share: 1.0", "", "targets.difficult_resolved_share"),
        ("  late_vs_city_share: 2.0", "", "laggards.late_vs_city_share"),
        ("  min_reported: 20", "", "self_reports.min_reported"),
        ("  fall_share: 0.5", "", "intake.fall_share"),
    ],
)
def test_missing_rule_key_is_named_never_defaulted(tmp_path, old, new, key):
    broken = tmp_path / "plan.yaml"
    broken.write_text(plan_text_with(old, new), "utf-8")
    with pytest.raises(ConfigError, match=f"missing key '{key}'"):
        load_plan(broken)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("  top_n: 5", "  top_n: five", "leaders.top_n"),
        ("  top_n: 5", "  top_n: true", "leaders.top_n"),
        ("  bottom_share: 0.10", "  bottom_share: '10%'", "laggards.bottom_share"),
        ("  exclude_laggards: true", "  exclude_laggards: 'yes'", "leaders.exclude_laggards"),
        (
            "  backlog_oldest_days: 21",
            "  backlog_oldest_days: 21.5",
            "laggards.backlog_oldest_days",
        ),
        ("  kinds: [vehicle]", "  kinds: vehicle", "laggards.kinds"),
        ("  kinds: [vehicle]", "  kinds: [vehicles]", "laggards.kinds"),
        ("  gain_measure: share", "  gain_measure: percent", "leaders.gain_measure"),
        (
            "  vehicles_cleaned_share: 1.0",
            "  vehicles_cleaned_share: 1.5",
            "targets.vehicles_cleaned_share",
        ),
        (
            "  difficult_resolved_share: 1.0",
            "  difficult_resolved_share: 0",
            "targets.difficult_resolved_share",
        ),
        ("  rejected_share: 0.95", "  rejected_share: 1.5", "intake.rejected_share"),
        ("  fall_min_rows: 100", "  fall_min_rows: 0", "intake.fall_min_rows"),
        ("  rejected_min_rows: 20", "  rejected_min_rows: 2.5", "intake.rejected_min_rows"),
    ],
)
def test_wrong_rule_value_is_named_when_the_plan_loads(tmp_path, old, new, key):
    broken = tmp_path / "plan.yaml"
    broken.write_text(plan_text_with(old, new), "utf-8")
    with pytest.raises(ConfigError, match=re.escape(key)):
        load_plan(broken)


def test_rule_sections_are_typed_and_still_read_as_mappings():
    plan = load_plan()
    assert plan.targets.share("vehicle") == plan.targets.vehicles_cleaned_share == 1.0
    assert plan.targets.share("licence") == plan.targets["licences_cleaned_share"]
    assert plan.laggards.kinds == ("vehicle",) and plan.laggards.backlog_oldest_days == 21
    assert plan.leaders.top_n == 5 and plan.leaders.get("gain_measure", "x") == "share"
    assert plan.self_reports.overstate_threshold == 0.10
    # the keys a section reads as a mapping are exactly its fields
    assert dict(plan.leaders) == {
        "top_n": 5,
        "gain_measure": "share",
        "exclude_laggards": True,
        "named_in_talking_points": 3,
    }


def test_a_section_replaced_in_code_is_checked_like_one_read_from_the_file():
    plan = load_plan()
    lower = dataclasses.replace(plan, targets={**plan.targets, "vehicles_cleaned_share": 0.9})
    assert lower.targets.share("vehicle") == 0.9
    with pytest.raises(ConfigError, match="targets.vehicles_cleaned_share"):
        dataclasses.replace(plan, targets={**plan.targets, "vehicles_cleaned_share": 2})
    with pytest.raises(ConfigError, match="leaders.top_n"):
        dataclasses.replace(plan, leaders=dataclasses.replace(plan.leaders, top_n="3"))


def test_the_three_day_counting_cases():
    plan = load_plan()
    assert plan.extension is not None  # the sample's plan is extended
    ext = plan.extension
    before = plan.in_force(ext.dated - timedelta(days=1))
    # a briefing never knows of an extension decided after its week
    assert before.extension is None and before.end == date(2026, 1, 8)
    assert before.duration_days == 60 and before.day_of_peak(date(2025, 11, 23)) == 14
    assert before.phase(date(2025, 11, 23)) == "in_peak"
    extended = plan.in_force(date(2026, 1, 12))
    assert extended.end == ext.end and extended.nominal_end == date(2026, 1, 8)
    assert extended.nominal_days == 60 and extended.duration_days == (ext.end - plan.start).days + 1
    assert extended.phase(date(2026, 1, 12)) == "extended"
    assert extended.days_left(date(2026, 1, 12)) == (ext.end - date(2026, 1, 12)).days
    assert extended.days_overdue(date(2026, 1, 12)) == 0
    assert extended.reaches_end(ext.end) and not extended.reaches_end(date(2026, 1, 12))
    assert extended.in_force(date(2026, 1, 12)) is extended  # applying twice changes nothing
    late = ext.end + timedelta(days=7)
    assert extended.phase(late) == "overdue" and extended.days_overdue(late) == 7
    unextended = dataclasses.replace(plan, extension=None).in_force(date(2026, 1, 12))
    assert unextended.phase(date(2026, 1, 12)) == "overdue"
    assert unextended.days_overdue(date(2026, 1, 12)) == 4
    assert unextended.day_of_peak(date(2026, 1, 19)) == 71


def _with_extension(tmp_path, block: str):
    """The shipped plan.yaml with its peak.extension block replaced by ``block``."""
    text = load_plan.__globals__["PLAN_FILE"].read_text("utf-8")
    text = re.sub(r"  extension:\n(    .*\n)+", block, text)
    path = tmp_path / "plan.yaml"
    path.write_text(text, "utf-8")
    return load_plan(path)


def test_no_extension_block_means_no_extension(tmp_path):
    plan = _with_extension(tmp_path, "")
    assert plan.extension is None and plan.in_force(date(2026, 1, 19)).end == date(2026, 1, 8)


@pytest.mark.parametrize(
    ("block", "named"),
    [
        ("  extension:\n    end: 2026-01-19\n    dated: 2026-01-06\n", "peak.extension.reference"),
        (
            "  extension:\n    end: 2026-01-05\n    reference: x\n    dated: 2026-01-04\n",
            "must come after peak.end",
        ),
        (
            "  extension:\n    end: 19/01/2026\n    reference: x\n    dated: 2026-01-06\n",
            "peak.extension.end",
        ),
    ],
)
def test_a_bad_extension_is_named(tmp_path, block, named):
    with pytest.raises(ConfigError, match=named):
        _with_extension(tmp_path, block)


def _load_text(tmp_path, text: str):
    path = tmp_path / "plan.yaml"
    path.write_text(text, "utf-8")
    return load_plan(path)


@pytest.mark.parametrize(
    ("old", "new", "named", "closest"),
    [
        ("  extension:\n", "  extention:\n", "peak.extention", "peak.extension"),
        (
            "  min_reported: 20",
            "  min_reported: 20\n  min_reportd: 30",
            "self_reports.min_reportd",
            "self_reports.min_reported",
        ),
        ("self_reports:\n", "self_report:\n", "self_report", "self_reports"),
        (
            "targets:\n",
            "targets:\n  vehicle_cleaned_share: 0.5\n",
            "targets.vehicle_cleaned_share",
            "targets.vehicles_cleaned_share",
        ),
    ],
)
def test_a_misspelled_key_is_an_error_naming_the_closest_known_key(
    tmp_path, old, new, named, closest
):
    with pytest.raises(ConfigError) as caught:
        _load_text(tmp_path, plan_text_with(old, new))
    assert f"unknown key '{named}'" in str(caught.value)
    assert f"did you mean '{closest}'" in str(caught.value)


def test_an_unknown_section_is_an_error(tmp_path):
    text = plan_text_with("targets:\n", "holidays:\n  tet: 2026-02-17\n\ntargets:\n")
    with pytest.raises(ConfigError, match="unknown key 'holidays'"):
        _load_text(tmp_path, text)


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("cadence_days: 7", "cadence_days: -7", "reporting.cadence_days must be 1 or more"),
        ("cadence_days: 7", "cadence_days: 0", "reporting.cadence_days must be 1 or more"),
        ("cadence_days: 7", "cadence_days: weekly", "reporting.cadence_days' must be a whole"),
        ("conference_offset_days: 1", "conference_offset_days: -1", "conference_offset_days"),
        ("min_records_left: 5", "min_records_left: -5", "laggards.min_records_left must be 0"),
        ("backlog_oldest_days: 21", "backlog_oldest_days: -1", "laggards.backlog_oldest_days"),
        ("overstate_threshold: 0.10", "overstate_threshold: -0.1", "self_reports.overstate"),
        ("min_reported: 20", "min_reported: -1", "self_reports.min_reported"),
        ("default_lang: vi", "default_lang: fr", "reporting.default_lang must be one of"),
        ("commitments]", "commitment]", "reporting.static_sources"),
        ("dated: 2026-01-06 ", "dated: 2026-01-25 ", "extension.dated .* on or before"),
    ],
)
def test_every_value_is_range_checked(tmp_path, old, new, named):
    with pytest.raises(ConfigError, match=named):
        _load_text(tmp_path, plan_text_with(old, new))


def test_a_file_that_is_not_yaml_is_one_line_with_the_file_and_line(tmp_path):
    text = plan_text_with("  cadence_days: 7", "  cadence_days: [7")
    with pytest.raises(ConfigError) as caught:
        _load_text(tmp_path, text)
    message = str(caught.value)
    assert "plan.yaml" in message and "line " in message and "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_file_that_is_not_text_names_the_file(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage\x80")
    with pytest.raises(ConfigError, match=r"plan\.yaml.*UTF-8"):
        load_plan(path)


def test_a_plan_in_force_for_a_later_week_goes_back_to_an_earlier_week_as_it_stood():
    # the 11/01 follow-up quoted what the 04/01 briefing asked for with the plan of 11/01
    # (extended by a decision of 06/01): the 04/01 week must not know of that extension
    plan = load_plan()
    ext = plan.extension
    assert ext is not None
    later = plan.in_force(date(2026, 1, 11))
    earlier = later.in_force(date(2026, 1, 4))
    assert earlier.extension is None and earlier.end == date(2026, 1, 8)
    assert earlier.planned_end is None and earlier.phase(date(2026, 1, 4)) == "in_peak"
    assert earlier == plan.in_force(date(2026, 1, 4))
    # and forward again: the decision is remembered, not lost
    assert earlier.in_force(date(2026, 1, 11)) == later
    assert later.in_force(date(2026, 1, 19)).end == ext.end


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path):
    # PyYAML keeps the last of two in silence: top_n 5 then 6 published 6 without a word
    text = plan_text_with("  top_n: 5 ", "  top_n: 5\n  top_n: 6 ")
    with pytest.raises(ConfigError, match=r"key 'top_n' is given twice \(lines \d+ and \d+\)"):
        _load_text(tmp_path, text)


def test_a_date_that_is_no_calendar_day_names_the_file_and_line(tmp_path):
    text = plan_text_with("  end: 2026-01-08 ", "  end: 2026-13-45 ")
    with pytest.raises(ConfigError) as caught:
        _load_text(tmp_path, text)
    message = str(caught.value)
    assert "plan.yaml" in message and "line " in message and "2026-13-45" in message


# --------------------------------------------------------------------------------------------
# the packs' options (config/packs.yaml) and the sending settings (config/sending.yaml)
# --------------------------------------------------------------------------------------------


def _packs_or_sending(tmp_path, which: str, old: str, new: str):
    source = paths.PACKS_FILE if which == "packs" else paths.SENDING_FILE
    text = source.read_text("utf-8")
    assert old in text, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new), "utf-8")
    return (load_packs if which == "packs" else load_sending)(path)


def test_the_packs_and_sending_options_come_from_their_own_files():
    plan = load_plan()
    assert plan.unit_packs == load_packs() and plan.unit_packs["encrypt"] is True
    assert plan.distribution == load_sending() and plan.distribution["smtp"]["port"] == 587
    campaign = paths.PLAN_FILE.read_text("utf-8")
    assert "unit_packs:" not in campaign and "distribution:" not in campaign


@pytest.mark.parametrize(
    ("which", "old", "new", "named", "closest"),
    [
        ("packs", "  encrypt: true", "  encrpyt: true", "unit_packs.encrpyt", "unit_packs.encrypt"),
        (
            "sending",
            '    host: ""',
            '    hots: ""',
            "distribution.smtp.hots",
            "distribution.smtp.host",
        ),
    ],
)
def test_a_misspelled_packs_or_sending_key_names_the_file_and_the_closest_key(
    tmp_path, which, old, new, named, closest
):
    with pytest.raises(ConfigError) as caught:
        _packs_or_sending(tmp_path, which, old, new)
    assert f"{which}.yaml: unknown key '{named}'" in str(caught.value)
    assert f"did you mean '{closest}'" in str(caught.value)


@pytest.mark.parametrize(
    ("which", "old", "new", "named"),
    [
        ("packs", "  lang: vi ", "  lang: de ", "unit_packs.lang must be one of"),
        ("packs", "  encrypt: true", "  encrypt: 'no'", "unit_packs.encrypt must be true or false"),
        ("sending", "port: 587", "port: 99999", "distribution.smtp.port"),
        ("sending", "timeout_s: 60", "timeout_s: 0", "distribution.smtp.timeout_s"),
        ("sending", "port: 587", "port: 587\n    port: 25", r"key 'port' is given twice"),
        ("packs", "unit_packs:", "targets:\n  x: 1\nunit_packs:", "belongs in config/plan.yaml"),
    ],
)
def test_every_packs_and_sending_value_is_checked(tmp_path, which, old, new, named):
    with pytest.raises(ConfigError, match=named):
        _packs_or_sending(tmp_path, which, old, new)


@pytest.mark.parametrize(
    ("section", "where"),
    [("unit_packs", "config/packs.yaml"), ("distribution", "config/sending.yaml")],
)
def test_a_section_left_in_the_campaign_file_says_where_it_moved(tmp_path, section, where):
    moved = (paths.PACKS_FILE if section == "unit_packs" else paths.SENDING_FILE).read_text("utf-8")
    text = paths.PLAN_FILE.read_text("utf-8") + "\n" + moved
    path = tmp_path / "plan.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=f"'{section}' has moved to {where}"):
        load_plan(path)
