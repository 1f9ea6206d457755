"""Identifiers and phones against numbers published outside the project (issue #24, item 2
and 4): each case cites where the number or the rule comes from."""

import pandas as pd
import pytest

from helpers import normalize as nz

# Real tax codes (MST) that python-stdnum's tests list as "found online and should all be
# valid numbers" (arthurdejong/python-stdnum, tests/test_vn_mst.doctest), as written there,
# separators included, plus Viettel's 0100109106 (Tập đoàn Công nghiệp - Viễn thông Quân đội).
PUBLISHED_MST = [
    ("0100109106", "0100109106"),
    ("0100233488", "0100233488"),
    ("0100112437011", "0100112437011"),
    ("0101245486", "0101245486"),
    ("0102641429-066", "0102641429-066"),
    ("0102721191-001", "0102721191-001"),
    ("0108880215", "0108880215"),
    ("0201900138", "0201900138"),
    ("0314409058-002", "0314409058-002"),
    ("0316110224", "0316110224"),
    ("1300440846-008", "1300440846-008"),
    ("2000102580-005", "2000102580-005"),
    ("5800199577-002", "5800199577-002"),
    ("8463763902", "8463763902"),
    ("0311 916 028", "0311916028"),
    ("0312 68 78 78 - 001", "0312687878-001"),
    ("01.00.112.437", "0100112437"),  # dots between the groups
]


@pytest.mark.parametrize("raw, compact", PUBLISHED_MST)
def test_published_tax_codes_are_tax_codes_in_every_written_form(raw, compact):
    out = nz.id_series(pd.Series([raw]), organisation=pd.Series([True])).iloc[0]
    assert (out["id"], out["kind"]) == (compact, "tax_code")


@pytest.mark.parametrize(
    "raw", ["01.00.112.438", "01.00.000.000", "03.14.409.058-000", "01.00.112.4370"]
)
def test_a_dotted_tax_code_still_needs_its_check_digit_and_branch(raw):
    """The same rules as python-stdnum's stdnum.vn.mst: check digit, sequence not 0000000,
    branch not 000, 10 or 13 digits once the dots are gone."""
    out = nz.id_series(pd.Series([raw]), organisation=pd.Series([True])).iloc[0]
    assert out["kind"] == "invalid"


def test_dots_stay_in_an_individuals_id():
    """Only an organisation's tax code is read through dots; a citizen ID with dots is kept as
    written and invalid, as before (an officer reads it)."""
    out = nz.id_series(pd.Series(["001.090.012.345"])).iloc[0]
    assert out["kind"] == "invalid"


@pytest.mark.parametrize(
    "raw, phone",
    [
        ("+84 (0)24 3825 1234", "02438251234"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("+84 0912 345 678", "0912345678"),
        ("0084 0912345678", "0912345678"),
        ("840912345678", "0912345678"),
    ],
)
def test_the_trunk_zero_written_after_plus_84_is_dropped(raw, phone):
    """Numbers are often written in the E.123 international form with the national trunk
    prefix kept in brackets, "+84 (0)24 ..."; no Vietnamese number after the country code 84
    starts with 0 (Thông tư 22/2014/TT-BTTTT), so that 0 is the trunk prefix, not a digit."""
    out = nz.phone_series(pd.Series([raw])).iloc[0]
    assert (out["phone"], bool(out["valid"])) == (phone, True)
