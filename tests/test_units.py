import unicodedata

import pandas as pd
import pytest

from helpers import units


def test_official_list_has_126_units_51_wards_75_communes():
    u = units.official_units()
    assert len(u) == 126
    assert u["unit_code"].is_unique
    assert (u["unit_kind"] == "phuong").sum() == 51
    assert (u["unit_kind"] == "xa").sum() == 75
    assert u["unit_code"].str.fullmatch(r"\d{5}").all()


@pytest.mark.parametrize(
    "spelling, code",
    [
        ("00070", "00070"),
        ("70", "00070"),
        (70, "00070"),
        (70.0, "00070"),
        ("Phường Ngọc Hà", "00008"),
        ("P. Ngoc Ha", "00008"),
        ("ngọc hà", "00008"),
        ("  NGOC   HA ", "00008"),
        (unicodedata.normalize("NFD", "Phường Ngọc Hà"), "00008"),
        ("Công an phường Ngọc Hà", "00008"),
        ("Xã Sóc Sơn", "00376"),
        ("x. soc son", "00376"),
    ],
)
def test_resolves_every_contract_spelling(spelling, code):
    assert units.resolve_unit(spelling) == code


@pytest.mark.parametrize("spelling", ["Phường Không Có", "99999", "", None, "Quận Ba Đình 2"])
def test_unresolvable_is_none_never_a_guess(spelling):
    assert units.resolve_unit(spelling) is None


def test_vectorised_resolution_keeps_missing_and_order():
    s = pd.Series(["70", None, "ngọc hà", "nowhere"])
    out = units.resolve_units(s)
    assert out.tolist()[0] == "00070"
    assert pd.isna(out.iloc[1]) and pd.isna(out.iloc[3])
    assert out.iloc[2] == "00008"
