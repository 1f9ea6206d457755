"""Identity results (helpers.reconcile.identity): the registry's name and birth date against the
population extract, table-driven, and the reasons a mismatch gives."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from helpers import reconcile
from helpers.statuses import IDENTITY_RESULTS
from tests import reconcile_rows as R
from tests.reconcile.builders import VEHICLE_CASES, WEEK

# --------------------------------------------------------------------------------------------
# Identity results: (case, registry name key, dob, dob_year, population name key, dob, year)
# --------------------------------------------------------------------------------------------

D = date(1990, 5, 17)


IDENTITY_CASES = [
    ("match", "nguyen van an", D, 1990, "nguyen van an", D, 1990, "match"),
    ("typo_substitute", "nguyen van an", D, 1990, "nguyen van on", D, 1990, "match_name_typo"),
    ("typo_insert", "nguyen van an", D, 1990, "nguyen van anh", D, 1990, "match_name_typo"),
    ("typo_delete", "nguyen van anh", D, 1990, "nguyen van an", D, 1990, "match_name_typo"),
    ("two_edits", "nguyen van an", D, 1990, "nguyen van bon", D, 1990, "name_mismatch"),
    (
        "middle_swapped",
        "nguyen thi thu ha",
        D,
        1990,
        "nguyen thu thi ha",
        D,
        1990,
        "match_middle_swapped",
    ),
    (
        "given_name_first_is_mismatch",
        "nguyen van an",
        D,
        1990,
        "an van nguyen",
        D,
        1990,
        "name_mismatch",
    ),
    ("other_person", "nguyen van an", D, 1990, "le thi hoa", D, 1990, "name_mismatch"),
    (
        "year_only_in_population",
        "nguyen van an",
        D,
        1990,
        "nguyen van an",
        None,
        1990,
        "match_year_only",
    ),
    ("year_only_other_year", "nguyen van an", D, 1990, "nguyen van an", None, 1989, "dob_mismatch"),
    (
        "year_only_in_registry",
        "nguyen van an",
        None,
        1990,
        "nguyen van an",
        D,
        1990,
        "match_year_only",
    ),
    (
        "day_month_swapped",
        "nguyen van an",
        date(1990, 5, 7),
        1990,
        "nguyen van an",
        date(1990, 7, 5),
        1990,
        "dob_day_month_swapped",
    ),
    (
        "dob_other_day",
        "nguyen van an",
        date(1990, 5, 8),
        1990,
        "nguyen van an",
        D,
        1990,
        "dob_mismatch",
    ),
    (
        "name_beats_dob",
        "nguyen van an",
        D,
        1990,
        "le thi hoa",
        date(1970, 1, 1),
        1970,
        "name_mismatch",
    ),
    (
        "typo_and_year_only",
        "nguyen van an",
        D,
        1990,
        "nguyen van anh",
        None,
        1990,
        "match_name_typo",
    ),
    (
        # the owner's ID says born 1990 (digits 090), both records say 1991
        "id_digits_disagree_with_population_dob",
        "nguyen van an",
        date(1991, 5, 17),
        1991,
        "nguyen van an",
        date(1991, 5, 17),
        1991,
        "id_birth_mismatch",
    ),
    (
        "id_digits_disagree_with_population_year",
        "nguyen van an",
        None,
        1991,
        "nguyen van an",
        None,
        1991,
        "id_birth_mismatch",
    ),
]


@pytest.fixture(scope="module")
def identity_cases() -> pd.DataFrame:
    vehicles, population = [], []
    for i, (_n, rkey, rdob, ryear, pkey, pdob, pyear, _r) in enumerate(IDENTITY_CASES):
        v = R.vehicle(200 + i, owner_name_key=rkey, owner_dob=rdob, owner_dob_year=ryear)
        vehicles.append(v)
        population.append(R.owner_of(v, full_name_key=pkey, dob=pdob, dob_year=pyear))
    vehicles += [
        R.vehicle(300, owner_id="012345678", owner_id_kind="cmnd"),
        R.vehicle(301),  # not in the population extract
        R.vehicle(302, owner_kind="organization", owner_id="0101234567", owner_id_kind="tax_code"),
    ]
    tables = R.tables(vehicles=vehicles, population=population)
    return reconcile.reconcile_tables(tables, WEEK)["vehicle_status"].set_index("record_id")


@pytest.mark.parametrize(
    ("i", "case"), list(enumerate(IDENTITY_CASES)), ids=[c[0] for c in IDENTITY_CASES]
)
def test_identity_result(identity_cases: pd.DataFrame, i: int, case: tuple) -> None:
    assert identity_cases.loc[f"V{200 + i:06d}", "identity_result"] == case[-1]


@pytest.mark.parametrize(
    ("record", "result"),
    [("V000300", "invalid_id"), ("V000301", "id_not_in_population"), ("V000302", "not_checked")],
)
def test_identity_result_without_comparison(identity_cases, record, result):
    assert identity_cases.loc[record, "identity_result"] == result


def test_every_identity_result_has_a_case() -> None:
    covered = {c[-1] for c in IDENTITY_CASES} | {
        "invalid_id",
        "id_not_in_population",
        "not_checked",
    }
    assert covered == set(IDENTITY_RESULTS)


def test_identity_confidence_is_lower_for_tolerated_differences(identity_cases):
    conf = identity_cases.set_index("identity_result")["identity_confidence"]
    assert conf["match"] == 1.0
    assert 0 < conf["match_name_typo"].min() < 1.0
    assert conf.loc[["match_year_only"]].max() < 1.0
    assert identity_cases["identity_confidence"].between(0, 1).all()


def test_identity_mismatch_reason_names_what_differs(vehicle_cases):
    idx = [c[0] for c in VEHICLE_CASES].index("dob_swapped")
    reason = vehicle_cases.loc[f"V{100 + idx:06d}", "status_reason"]
    assert "Day and month of birth exchanged" in reason


def test_id_birth_mismatch_is_its_own_reason(vehicle_cases):
    idx = [c[0] for c in VEHICLE_CASES].index("id_digits_disagree_with_population")
    row = vehicle_cases.loc[f"V{100 + idx:06d}"]
    assert row["identity_result"] == "id_birth_mismatch"
    assert "birth-year digits" in row["status_reason"]
    assert "năm sinh trong số định danh" in row["status_reason_vi"]


@pytest.mark.parametrize(
    ("born", "dob", "result"),
    [
        ("090", date(1990, 5, 17), "match"),  # 0: a man born in the 1900s
        ("190", date(1990, 5, 17), "match"),  # 1: a woman born in the 1900s
        ("205", date(2005, 5, 17), "match"),  # 2: a man born in the 2000s
        ("305", date(2005, 5, 17), "match"),  # 3: a woman born in the 2000s
        ("005", date(2005, 5, 17), "id_birth_mismatch"),  # says 1905
        ("290", date(1990, 5, 17), "id_birth_mismatch"),  # says 2090
        ("089", date(1990, 5, 17), "id_birth_mismatch"),
    ],
)
def test_id_century_and_year_digits_are_checked_against_the_population_dob(born, dob, result):
    """Thông tư 07/2016/TT-BCA, article 7 (kept by Thông tư 59/2021/TT-BCA): the 4th digit of a
    CCCD is the century of birth and the sex (1900s: 0 man, 1 woman; 2000s: 2, 3; 2100s: 4,
    5 ...), the 5th-6th the last two digits of the birth year."""
    v = R.vehicle(1, owner_id=R.citizen_id(1, born=born), owner_dob=dob, owner_dob_year=dob.year)
    tables = R.tables(vehicles=[v], population=[R.owner_of(v)])
    got = reconcile.reconcile_tables(tables, WEEK)["vehicle_status"].iloc[0]
    assert got["identity_result"] == result
