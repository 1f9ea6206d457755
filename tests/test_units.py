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


@pytest.mark.parametrize(
    "spelling",
    [
        "Phường Văn Miếu - Quốc Tử Giám",
        "Phường Văn Miếu – Quốc Tử Giám",
        "Văn Miếu — Quốc Tử Giám",
        "Văn Miếu Quốc Tử Giám",
        "P.Văn Miếu-Quốc Tử Giám",
        "VĂN MIẾU  –  QUỐC TỬ GIÁM",
        "phuong van mieu quoc tu giam",
        "PhườngVăn Miếu - Quốc Tử Giám",
        "P - Van Mieu Quoc Tu Giam",
    ],
)
def test_any_dash_spacing_case_or_prefix_resolves(spelling):
    code = units.official_units().set_index("base_name").loc["Văn Miếu - Quốc Tử Giám", "unit_code"]
    assert units.resolve_unit(spelling) == code


@pytest.mark.parametrize(
    "a, b",
    [
        ("Dương Hòa", "Ứng Hòa"),
        ("Hồng Sơn", "Hương Sơn"),
        ("Phúc Lộc", "Phúc Lợi"),
        ("Tùng Thiện", "Ứng Thiên"),
    ],
)
def test_near_collisions_in_the_official_list_stay_apart(a, b):
    names = units.official_units().set_index("base_name")["unit_code"]
    assert units.resolve_unit(a) == names[a] != units.resolve_unit(b) == names[b]
    for name in (a, b):
        assert units.resolve_unit(name.upper().replace(" ", "-")) == names[name]


def test_a_prefix_of_the_other_kind_or_a_prefix_word_inside_a_name_is_no_guess():
    names = units.official_units().set_index("base_name")
    ward = names[names["unit_kind"] == "phuong"].index[0]
    assert units.resolve_unit(f"Xã {ward}") is None
    assert units.resolve_unit(f"Phường {ward}") == names.loc[ward, "unit_code"]
    assert units.resolve_unit("Phương Liệt") == units.resolve_unit("Phường Phương Liệt") is not None
    assert units.resolve_unit("99") is None  # a number that is no official code
