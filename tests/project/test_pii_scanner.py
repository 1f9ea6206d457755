"""The personal-data scanner used by the PDF, Excel and notebook tests must itself find leaks."""

from tests.pii import PersonalTokens, find_personal_data

TOKENS = PersonalTokens(
    ids=frozenset({"001090012345", "012345678"}),
    plates=frozenset({"29A12345", "30E12345"}),
    phones=frozenset({"0912345678"}),
    names=frozenset({"nguyen van an", "tran thi bich huong"}),
)


def test_finds_ids_plates_phones_and_names_in_any_spelling():
    text = "Chủ xe NGUYỄN VĂN AN (001090012345), BKS 29a-123.45, 30E 123 45, ĐT 0912345678; Trần Thị Bích Hương"
    found = find_personal_data(text, TOKENS)
    assert "001090012345" in found and "0912345678" in found
    assert "nguyen van an" in found and "tran thi bich huong" in found
    assert len([f for f in found if f[:2] in {"29", "30"}]) == 2


def test_aggregates_and_unit_names_are_clean():
    text = (
        "Phường Ngọc Hà: 917.509 xe, 41,0% đã làm sạch; 130.266/130.359 GPLX; Xã Sóc Sơn hạng 126"
    )
    assert find_personal_data(text, TOKENS) == []


def test_words_of_neighbouring_cells_do_not_make_a_name():
    tokens = PersonalTokens(frozenset(), frozenset(), frozenset(), frozenset({"do phuong xuan"}))
    assert find_personal_data("Chậm tiến độ\n3 Phường Xuân Phương", tokens) == []
    assert find_personal_data("Chậm tiến độ | Phường Xuân", tokens) == []
    assert find_personal_data("chủ xe Đỗ Phương Xuân", tokens) == ["do phuong xuan"]
