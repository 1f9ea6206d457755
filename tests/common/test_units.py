import unicodedata

import pandas as pd
import pytest

from helpers import ConfigError, units

# The published list, as printed: Cục Thống kê (General Statistics Office), Công văn
# 1027/CTK-CSCL of 25/06/2025, Phụ lục I "Danh mục và mã số các đơn vị hành chính cấp xã"
# (the codes of Quyết định 19/2025/QĐ-TTg, in force 01/07/2025), rows 1-126, Thành phố Hà Nội,
# in the appendix's order (transcribed in github.com/dvhcvn/20250701,
# input/docs/1027_CTK-CSCL.md, commit 62ea64ea). Kept here, apart from config/units.csv, so a
# changed config file cannot pass by changing the test's expectation with it.
PUBLISHED_1027 = """
00070|Phường Hoàn Kiếm
00082|Phường Cửa Nam
00004|Phường Ba Đình
00008|Phường Ngọc Hà
00025|Phường Giảng Võ
00256|Phường Hai Bà Trưng
00283|Phường Vĩnh Tuy
00292|Phường Bạch Mai
00235|Phường Đống Đa
00229|Phường Kim Liên
00226|Phường Văn Miếu - Quốc Tử Giám
00199|Phường Láng
00190|Phường Ô Chợ Dừa
00097|Phường Hồng Hà
00328|Phường Lĩnh Nam
00331|Phường Hoàng Mai
00301|Phường Vĩnh Hưng
00322|Phường Tương Mai
00316|Phường Định Công
00337|Phường Hoàng Liệt
00340|Phường Yên Sở
00367|Phường Thanh Xuân
00364|Phường Khương Đình
00352|Phường Phương Liệt
00166|Phường Cầu Giấy
00160|Phường Nghĩa Đô
00175|Phường Yên Hòa
00103|Phường Tây Hồ
00091|Phường Phú Thượng
00613|Phường Tây Tựu
00619|Phường Phú Diễn
00611|Phường Xuân Đỉnh
00602|Phường Đông Ngạc
00598|Phường Thượng Cát
00592|Phường Từ Liêm
00622|Phường Xuân Phương
00634|Phường Tây Mỗ
00637|Phường Đại Mỗ
00145|Phường Long Biên
00118|Phường Bồ Đề
00127|Phường Việt Hưng
00136|Phường Phúc Lợi
09556|Phường Hà Đông
09886|Phường Dương Nội
09562|Phường Yên Nghĩa
09568|Phường Phú Lương
09552|Phường Kiến Hưng
00640|Xã Thanh Trì
00664|Xã Đại Thanh
00685|Xã Nam Phù
00679|Xã Ngọc Hồi
00643|Phường Thanh Liệt
10231|Xã Thượng Phúc
10183|Xã Thường Tín
10237|Xã Chương Dương
10210|Xã Hồng Vân
10273|Xã Phú Xuyên
10279|Xã Phượng Dực
10330|Xã Chuyên Mỹ
10342|Xã Đại Xuyên
10114|Xã Thanh Oai
10126|Xã Bình Minh
10144|Xã Tam Hưng
10180|Xã Dân Hòa
10354|Xã Vân Đình
10369|Xã Ứng Thiên
10417|Xã Hòa Xá
10402|Xã Ứng Hòa
10441|Xã Mỹ Đức
10465|Xã Hồng Sơn
10459|Xã Phúc Sơn
10489|Xã Hương Sơn
10015|Phường Chương Mỹ
10030|Xã Phú Nghĩa
10045|Xã Xuân Mai
10081|Xã Trần Phú
10096|Xã Hòa Phú
10072|Xã Quảng Bị
09661|Xã Minh Châu
09619|Xã Quảng Oai
09664|Xã Vật Lại
09634|Xã Cổ Đô
09676|Xã Bất Bạt
09694|Xã Suối Hai
09700|Xã Ba Vì
09706|Xã Yên Bài
09574|Phường Sơn Tây
09604|Phường Tùng Thiện
09616|Xã Đoài Phương
09715|Xã Phúc Thọ
09739|Xã Phúc Lộc
09772|Xã Hát Môn
09955|Xã Thạch Thất
09982|Xã Hạ Bằng
10003|Xã Tây Phương
09988|Xã Hòa Lạc
04930|Xã Yên Xuân
09895|Xã Quốc Oai
09931|Xã Hưng Đạo
09910|Xã Kiều Phú
09952|Xã Phú Cát
09832|Xã Hoài Đức
09856|Xã Dương Hòa
09871|Xã Sơn Đồng
09877|Xã An Khánh
09784|Xã Đan Phượng
09817|Xã Ô Diên
09787|Xã Liên Minh
00565|Xã Gia Lâm
00562|Xã Thuận An
00577|Xã Bát Tràng
00541|Xã Phù Đổng
00475|Xã Thư Lâm
00454|Xã Đông Anh
00466|Xã Phúc Thịnh
00493|Xã Thiên Lộc
00508|Xã Vĩnh Thanh
09022|Xã Mê Linh
08980|Xã Yên Lãng
08995|Xã Tiến Thắng
08974|Xã Quang Minh
00376|Xã Sóc Sơn
00430|Xã Đa Phúc
00433|Xã Nội Bài
00385|Xã Trung Giã
00382|Xã Kim Anh
"""


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


def _published() -> dict[str, str]:
    lines = [line.split("|") for line in PUBLISHED_1027.strip().splitlines()]
    return {code: name for code, name in lines}


def test_every_unit_code_and_name_is_the_published_official_one():
    published = _published()
    assert len(published) == 126
    ours = units.unit_names()
    assert ours == published


@pytest.mark.parametrize(
    "name, official",
    [
        ("Phường Cửa Nam", "00082"),
        ("Phường Văn Miếu - Quốc Tử Giám", "00226"),
        ("Phường Kim Liên", "00229"),
        ("Phường Hoàng Mai", "00331"),
        ("Phường Yên Sở", "00340"),
        ("Xã Đại Xuyên", "10342"),
    ],
)
def test_units_the_draft_list_coded_otherwise_have_their_official_code(name, official):
    assert units.resolve_unit(name) == official
    assert units.resolve_unit(official) == official


@pytest.mark.parametrize(
    "code, meaning",
    [("00226", "Phường Văn Miếu - Quốc Tử Giám"), ("00331", "Phường Hoàng Mai")],
)
def test_a_draft_code_that_is_another_units_official_code_means_that_unit(code, meaning):
    names = units.unit_names()
    assert names[units.resolve_unit(code)] == meaning
    cell = units.resolve_unit_cells(pd.Series([code]))
    assert cell["unit_code"].tolist() == [code]
    assert cell["problem"].isna().all()


@pytest.mark.parametrize(
    "draft, official", [("00073", "00082"), ("10333", "10342"), ("196", "00226")]
)
def test_a_draft_code_no_unit_holds_is_read_as_its_unit_with_a_warning(draft, official):
    assert units.resolve_unit(draft) is None  # never in silence
    cell = units.resolve_unit_cells(pd.Series([draft]))
    assert cell["unit_code"].tolist() == [official]
    assert cell["draft"].tolist() == [True]


def test_the_draft_codes_kept_are_no_units_official_code():
    u = units.official_units()
    drafts = units.draft_codes()
    assert len(drafts) == 27
    assert not set(drafts) & set(u["unit_code"])
    assert set(drafts.values()) <= set(u["unit_code"])


@pytest.mark.parametrize(
    "cell",
    ["00008 - Phường Ngọc Hà", "00008 – Ngọc Hà", "8 Phường Ngọc Hà", "Phường Ngọc Hà (00008)"],
)
def test_a_code_and_name_that_agree_resolve(cell):
    out = units.resolve_unit_cells(pd.Series([cell]))
    assert out["unit_code"].tolist() == ["00008"]
    assert out["problem"].isna().all()


@pytest.mark.parametrize(
    "cell", ["00226 - Phường Kim Liên", "00008 - Phường Ba Đình", "00008 - Phường Kim Mã"]
)
def test_a_code_and_name_that_disagree_are_no_unit_and_name_both(cell):
    out = units.resolve_unit_cells(pd.Series([cell]))
    assert out["unit_code"].isna().all()
    assert out["problem"].tolist() == ["unit_code_name_mismatch"]
    code = cell[:5]
    assert f"{code} = {units.unit_names()[code]}" in out["detail"].iloc[0]
    assert cell[8:] in out["detail"].iloc[0]


def test_a_name_column_that_disagrees_with_the_code_column_is_a_mismatch():
    out = units.resolve_unit_cells(
        pd.Series(["00226", "00229", "00008", None]),
        names=pd.Series(["Phường Kim Liên", "Kim Liên", None, "Phường Ngọc Hà"]),
    )
    assert out["problem"].fillna("").tolist() == ["unit_code_name_mismatch", "", "", ""]
    assert out["unit_code"].tolist()[1:3] == ["00229", "00008"]
    assert pd.isna(out["unit_code"].iloc[0])
    assert "00226 = Phường Văn Miếu - Quốc Tử Giám" in out["detail"].iloc[0]
    assert "Phường Kim Liên = 00229" in out["detail"].iloc[0]


def test_a_units_file_giving_a_draft_code_that_is_an_official_code_stops_at_load(tmp_path):
    text = units.UNITS_FILE.read_text("utf-8").replace(
        "00229,Phường Kim Liên,phuong,", "00229,Phường Kim Liên,phuong,00226", 1
    )
    path = tmp_path / "units.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match="draft_code '00226' is an official code"):
        units.load_units(path)
