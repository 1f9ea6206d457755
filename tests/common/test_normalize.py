"""Normalisers, table-driven with the real-world variants of the data contract."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import normalize as nz

AS_OF = date(2025, 11, 23)
NFD = "Nguye\u0302\u0303n Va\u0306n An"  # "Nguyễn Văn An" decomposed


def one(fn, value, **kw):
    """Run a vectorised normaliser on one value; return the first row."""
    out = fn(pd.Series([value], dtype="object"), **kw)
    return out.iloc[0]


# ---------------------------------------------------------------- text and names


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("  Ngọc   Hà ", "Ngọc Hà"),
        ("Ngo\u0323c Ha\u0300", "Ngọc Hà"),  # NFD -> NFC
        ("a\u00a0b\tc\n d", "a b c d"),  # no-break space, tab, newline
        ("Ngọc\u2003Hà\u202f", "Ngọc Hà"),  # em space, narrow no-break space
        ("\ufeffNgọc\u3000Hà", "Ngọc Hà"),  # byte-order mark, ideographic space
        ("Số 12 – Hàng Bài", "Số 12 – Hàng Bài"),  # an en dash is not a space
        ("a\r\nb", "a b"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_clean_text_series(raw, clean):
    got = one(nz.clean_text_series, raw)
    assert (got if isinstance(got, str) else None) == clean


@pytest.mark.parametrize(
    "raw, name, key",
    [
        ("NGUYỄN VĂN AN", "Nguyễn Văn An", "nguyen van an"),
        ("nguyễn  văn   an", "Nguyễn Văn An", "nguyen van an"),
        (NFD, "Nguyễn Văn An", "nguyen van an"),
        ("đặng thị ánh", "Đặng Thị Ánh", "dang thi anh"),
        ("ĐỖ ĐỨC ĐẠT", "Đỗ Đức Đạt", "do duc dat"),
        (" Lê Thị Hồng Nhung ", "Lê Thị Hồng Nhung", "le thi hong nhung"),
    ],
)
def test_names_get_one_case_and_an_accent_folded_key(raw, name, key):
    assert one(nz.name_series, raw) == name
    assert one(nz.name_key_series, one(nz.name_series, raw)) == key


def test_fold_series_agrees_with_scalar_fold():
    values = ["Phường Ngọc Hà", "XÃ ĐÔNG ANH", NFD, "  Đặng  "]
    assert nz.fold_series(pd.Series(values)).tolist() == [nz.fold(v) for v in values]


def test_normalisers_do_not_mutate_their_input():
    s = pd.Series(["  NGUYỄN  VĂN AN ", "1090012345"])
    before = s.copy()
    nz.name_series(s)
    nz.id_series(s)
    pd.testing.assert_series_equal(s, before)


# ---------------------------------------------------------------- IDs


@pytest.mark.parametrize(
    "raw, org, expected_id, kind, repaired",
    [
        ("001090012345", False, "001090012345", "cccd", False),
        ("1090012345", False, "001090012345", "cccd", True),  # Excel dropped two zeros
        ("1090012345.0", False, "001090012345", "cccd", True),  # ... and stored a float
        (1090012345, False, "001090012345", "cccd", True),  # ... or an int
        ("12090012345", False, "012090012345", "cccd", True),  # one zero lost
        ("97090012345", False, "97090012345", "invalid", False),  # 097 is no province
        ("0101234567", False, "0101234567", "invalid", False),  # 000... is no province
        ("123456789", False, "123456789", "cmnd", False),  # old CMND: kept, flagged
        ("0100109106", True, "0100109106", "tax_code", False),
        ("0100109106-001", True, "0100109106-001", "tax_code", False),
        ("001 090 012 345", False, "001090012345", "cccd", False),
        ("00109001234X", False, "00109001234X", "invalid", False),
        ("12345", False, "12345", "invalid", False),
        ("", False, None, "missing", False),
        (None, False, None, "missing", False),
    ],
)
def test_ids_repaired_flagged_or_marked_invalid(raw, org, expected_id, kind, repaired):
    out = nz.id_series(pd.Series([raw], dtype="object"), organisation=pd.Series([org])).iloc[0]
    assert (out["id"] if isinstance(out["id"], str) else None) == expected_id
    assert out["kind"] == kind
    assert bool(out["repaired"]) is repaired


@pytest.mark.parametrize(
    "raw, expected_id, kind",
    [
        ("001090012345", "001090012345", "cccd"),  # 001 Hà Nội
        ("096090012345", "096090012345", "cccd"),  # 096 Cà Mau, the last code
        ("000090012345", "000090012345", "invalid"),
        ("003090012345", "003090012345", "invalid"),  # a gap between 002 and 004
        ("013090012345", "013090012345", "invalid"),
        ("097090012345", "097090012345", "invalid"),  # past 096
        ("3090012345", "3090012345", "invalid"),  # padding would give 003: no province
        ("5090012345", "5090012345", "invalid"),  # ... 005
        ("13090012345", "13090012345", "invalid"),  # ... 013
        ("4090012345", "004090012345", "cccd"),  # 004 Cao Bằng
        ("14090012345", "014090012345", "cccd"),  # 014 Sơn La
    ],
)
def test_cccd_starts_with_an_assigned_province_code(raw, expected_id, kind):
    """Thông tư 07/2016/TT-BCA, Phụ lục 1 (kept by Thông tư 59/2021/TT-BCA): the first three
    digits are the province of birth, one of 63 codes 001 Hà Nội ... 096 Cà Mau with gaps;
    padding a number that lost its zeros may only produce such a code."""
    out = nz.id_series(pd.Series([raw])).iloc[0]
    assert (out["id"], out["kind"]) == (expected_id, kind)


def test_cccd_province_list_is_the_circulars():
    codes = nz.CCCD_PROVINCE_CODES
    assert len(codes) == 63 and codes[0] == "001" and codes[-1] == "096"
    assert not {"000", "003", "005", "007", "009", "013", "097"} & set(codes)
    from synth.common import PROVINCE_CODES  # the generator draws from the same list

    assert [int(c) for c in codes] == PROVINCE_CODES.tolist()


@pytest.mark.parametrize(
    "raw, kind",
    [
        ("0100109106", "tax_code"),
        ("0100233488", "tax_code"),
        ("0314409058-002", "tax_code"),
        ("0314409058002", "tax_code"),
        ("0100109107", "invalid"),  # check digit should be 6
        ("0100233480", "invalid"),
        ("0314409058-000", "invalid"),  # branch 000 is no branch
        ("0314409058000", "invalid"),
        ("0100000000", "invalid"),  # sequence 0000000
        ("0101234567", "invalid"),  # check digit should be 5
    ],
)
def test_tax_code_check_digit_and_branch(raw, kind):
    """MST (Mã số thuế): 10 digits, the 10th = 10 - (sum of the first nine weighted 31, 29,
    23, 19, 17, 13, 7, 5, 3) mod 11, a remainder of 0 giving no valid code; a branch adds
    ``-NNN``, 001-999 (the rule python-stdnum's ``stdnum.vn.mst`` implements)."""
    out = nz.id_series(pd.Series([raw]), organisation=pd.Series([True])).iloc[0]
    assert out["kind"] == kind


def test_leading_zero_restored_only_when_unambiguous():
    out = nz.id_series(pd.Series(["1090012345", "99012345678"]))
    assert out["repaired"].tolist() == [True, False]
    assert out["kind"].tolist() == ["cccd", "invalid"]


# ---------------------------------------------------------------- plates


@pytest.mark.parametrize(
    "raw, key",
    [
        ("29A-123.45", "29A-12345"),
        ("29A123.45", "29A-12345"),
        ("29a 123 45", "29A-12345"),
        ("29-B1 123.45", "29B1-12345"),
        ("29B1-12345", "29B1-12345"),
        ("29B112345", "29B1-12345"),  # six digits run together: B1 + 12345
        ("29A1234", "29A-1234"),  # four: A + 1234
        ("30E-123.45", "30E-12345"),
        ("29LD-012.34", "29LD-01234"),
        (" 29a-123.45 ", "29A-12345"),
        ("29Đ-123.45", "29D-12345"),
    ],
)
def test_plates_in_every_contract_form_get_one_key(raw, key):
    out = nz.plate_series(pd.Series([raw])).iloc[0]
    assert out["plate_key"] == key
    assert out["plate"] == raw.strip()
    assert bool(out["valid"])


@pytest.mark.parametrize("raw", ["ABC-123", "29A-12", "2A-12345", "29-123456", "29ABC12345"])
def test_plates_that_do_not_fit_the_pattern_are_invalid(raw):
    assert not bool(nz.plate_series(pd.Series([raw])).iloc[0]["valid"])


@pytest.mark.parametrize(
    "raw",
    [
        "09A-12345",  # 09: no province code
        "13A-123.45",
        "42A-123.45",
        "96A-123.45",
        "30I-12345",  # I is no series letter
        "30Q-123.45",
        "30O-123.45",
        "30W-123.45",
        "30-J1 123.45",
        "30-B0 123.45",  # a motorbike's series digit is 1-9
        "30IA-123.45",
    ],
)
def test_plates_the_rules_never_issue_are_invalid(raw):
    """Thông tư 79/2024/TT-BCA: plates carry a province code of its Phụ lục 2 (11 Cao Bằng ...
    99 Bắc Ninh; 29-33 and 40 Hà Nội) and a series of its 20 letters A B C D E F G H K L M N P
    S T U V X Y Z (R: trailers), a motorbike's series adding a digit 1-9."""
    assert not bool(nz.plate_series(pd.Series([raw])).iloc[0]["valid"])


@pytest.mark.parametrize(
    "raw", ["30A-123456", "82-H3 942", "29A-123.456", "29-B12 1234", "29A-12.345"]
)
def test_the_boundary_the_text_shows_between_series_and_number_is_kept(raw):
    """``30A-123456`` is series A and a 6-digit number (no plate), not the motorbike plate
    ``30A1-234.56``; ``82-H3 942`` is series H3 and a 3-digit number, not the car ``82H-3942``."""
    assert not bool(nz.plate_series(pd.Series([raw])).iloc[0]["valid"])


@pytest.mark.parametrize(
    "raw, key",
    [
        ("30A1-234.56", "30A1-23456"),
        ("82H-3942", "82H-3942"),
        ("29B1123.45", "29B1-12345"),
        ("29-B1 1234", "29B1-1234"),
        ("29MĐ1-123.45", "29MD1-12345"),  # electric motorbike
        ("29M\u00d01-123.45", "29MD1-12345"),  # Ð (U+00D0, eth) typed for Đ
        ("２９A-１２３.４５", "29A-12345"),  # full-width digits
        ("29\u0410-123.45", "29A-12345"),  # Cyrillic А
        ("29\u0421\u041d-123.45", "29CH-12345"),  # Cyrillic С, Н
        ("29A\u2013123.45", "29A-12345"),  # an en dash
        ("30R-123.45", "30R-12345"),  # trailer
        ("29AA-123.45", "29AA-12345"),  # moped under 50 cc
        ("80NG-123.45", "80NG-12345"),
    ],
)
def test_look_alike_characters_key_as_the_letters_they_imitate(raw, key):
    """NFKC (full-width forms), then Ð -> Đ and Cyrillic capitals -> Latin, before keying."""
    out = nz.plate_series(pd.Series([raw])).iloc[0]
    assert out["plate_key"] == key and bool(out["valid"])


def test_generated_plates_are_all_valid():
    """The generator's plates (every province, series and form it writes) are plates."""
    from synth import plates as sp

    rng = np.random.default_rng(7)
    vtype = np.array(sp.VEHICLE_TYPES * 400, dtype=object)
    _, prefix, series, number = sp.make_plates(rng, vtype)
    for form in range(len(sp.PLATE_FORMS)):
        text = sp.plate_text(prefix, series, number, np.full(len(vtype), form))
        out = nz.plate_series(pd.Series(text, dtype="str"))
        assert out["valid"].all(), text[~out["valid"].to_numpy()][:5]
    other = np.array(["88", "89", "90", "98", "99", "34", "35", "36"], dtype=object)
    assert nz.plate_series(pd.Series([f"{p}A-123.45" for p in other]))["valid"].all()


@pytest.mark.parametrize("form", range(5))
def test_generated_plates_key_as_the_generator_says(form):
    """Every form the generator writes keys with the boundary of its plate where the text shows
    it; only the compact form with five digits after the letters keys as read both ways (and
    the registry's vehicle type, car or motorbike, settles it)."""
    from synth import plates as sp

    rng = np.random.default_rng(7)
    vtype = np.array(sp.VEHICLE_TYPES * 400, dtype=object)
    _, prefix, series, number = sp.make_plates(rng, vtype)
    forms = np.full(len(vtype), form)
    text = pd.Series(sp.plate_text(prefix, series, number, forms), dtype="str")
    boundary = [f"{p}{s}-{n}" for p, s, n in zip(prefix, series, number, strict=True)]
    submitted = nz.plate_series(text)["plate_key"]
    registry = nz.plate_series(text, vehicle_type=pd.Series(vtype))["plate_key"]
    assert submitted.tolist() == list(sp.ingest_key(prefix, series, number, forms))
    assert registry.tolist() == list(sp.ingest_key(prefix, series, number, forms, vtype))
    if form != 1:
        assert submitted.tolist() == registry.tolist() == boundary
    else:
        settled = np.isin(vtype, ["car", "motorbike"])
        assert (registry[settled] == np.array(boundary)[settled]).all()
        assert (~submitted.str.contains("-")).sum() > 100  # the sample has ambiguous ones


# Thông tư 79/2024/TT-BCA (Điều 37, Phụ lục 2): a car's series is letters only and its number
# 4 or 5 digits (123.45); a motorbike's series adds a digit 1-9. So `30A-123456` (no plate)
# is not the motorbike plate `30A1-234.56`, nor `82-H3 942` (no plate) the car `82H-3942`.
@pytest.mark.parametrize(
    "one, other",
    [
        ("30A-123456", "30A1-234.56"),
        ("82-H3 942", "82H-3942"),
        ("29B-112.34", "29B1-1234"),
        ("30A-123.45", "30A1-2345"),
        ("29MĐ-123.45", "29MĐ1-2345"),
    ],
)
def test_two_different_plates_never_share_a_key(one, other):
    keys = nz.plate_series(pd.Series([one, other]))["plate_key"]
    assert keys[0] != keys[1]


@pytest.mark.parametrize(
    "raw, vehicle_type, key",
    [
        ("29B11234", None, "29B11234"),  # B + 112.34 (car) or B1 + 1234 (motorbike)
        ("30A12345", None, "30A12345"),
        ("29MD12345", None, "29MD12345"),
        ("29B01234", None, "29B-01234"),  # B0 is no series (digit 1-9): only the car reading
        ("29B11234", "car", "29B-11234"),  # the registry's vehicle type settles it
        ("29B11234", "motorbike", "29B1-1234"),
        ("29B11234", "moped", "29B11234"),  # other types: left as read both ways
        ("29B1-1234", "car", "29B1-1234"),  # the text's boundary stands
    ],
)
def test_a_compact_plate_read_two_ways_keeps_the_ambiguous_key(raw, vehicle_type, key):
    out = nz.plate_series(pd.Series([raw]), vehicle_type=pd.Series([vehicle_type])).iloc[0]
    assert out["plate_key"] == key and bool(out["valid"])


def test_a_plate_key_is_its_own_key():
    keys = ["29A-12345", "29B1-1234", "29B11234", "29MD1-12345", "82H-3942"]
    assert nz.plate_series(pd.Series(keys))["plate_key"].tolist() == keys


def test_chassis_key_is_upper_alnum():
    assert one(nz.alnum_key_series, " rlh-jc 1234 ") == "RLHJC1234"


@pytest.mark.parametrize(
    "raw, phone, valid",
    [
        ("0912345678", "0912345678", True),
        ("+84 912 345 678", "0912345678", True),
        ("+84912345678", "0912345678", True),
        ("84912345678", "0912345678", True),
        ("0084 912 345 678", "0912345678", True),
        ("0912.345.678", "0912345678", True),
        ("0912-345-678", "0912345678", True),
        ("(091) 234 5678", "0912345678", True),
        ("912345678", "0912345678", True),  # Excel dropped the zero
        (912345678, "0912345678", True),
        ("912345678.0", "0912345678", True),
        ("849123456", "0849123456", True),  # a 084 mobile that lost its zero, not +84
        ("024 3825 1234", "02438251234", True),  # Hà Nội landline
        ("+84 24 3825 1234", "02438251234", True),
        ("2438251234", "02438251234", True),
        ("12345", "12345", False),
        ("0123456789", "0123456789", False),  # 012x prefixes ended in 2018
        ("09123456789", "09123456789", False),
        ("không có", "khôngcó", False),
        (None, None, True),
    ],
)
def test_phones_are_written_as_dialled_in_vietnam(raw, phone, valid):
    """The 10-digit mobile plan (Thông tư 22/2014/TT-BTTTT, converted 2018: 03x, 05x, 07x,
    08x, 09x) and the 2017 landline area codes (02x, 11 digits); +84/84 is Vietnam's code."""
    out = nz.phone_series(pd.Series([raw], dtype="object")).iloc[0]
    assert (out["phone"] if isinstance(out["phone"], str) else None) == phone
    if raw is not None:
        assert bool(out["valid"]) is valid


# ---------------------------------------------------------------- licences


@pytest.mark.parametrize(
    "raw, value, valid",
    [
        ("010012345678", "010012345678", True),
        ("0100 1234 5678", "010012345678", True),
        ("10012345678", "10012345678", False),
        ("01001234567A", "01001234567A", False),
    ],
)
def test_licence_numbers_need_12_digits(raw, value, valid):
    out = nz.licence_no_series(pd.Series([raw])).iloc[0]
    assert out["licence_no"] == value and bool(out["valid"]) is valid


@pytest.mark.parametrize(
    "raw, klass, valid",
    [
        ("B2", "B2", True),
        ("b2", "B2", True),
        ("B 2", "B2", True),
        ("c1e", "C1E", True),
        ("FC", "FC", True),
        ("A", "A", True),
        ("Z9", "Z9", False),
        ("B3", "B3", False),
    ],
)
def test_licence_classes(raw, klass, valid):
    out = nz.licence_class_series(pd.Series([raw])).iloc[0]
    assert out["licence_class"] == klass and bool(out["valid"]) is valid


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("05/06/1980", datetime(1980, 6, 5)),  # day first
        ("5/6/80", datetime(1980, 6, 5)),  # d/m/yy, 80 > 25 -> 1980
        ("5/6/05", datetime(2005, 6, 5)),  # d/m/yy, 05 <= 25 -> 2005
        ("1980-06-05", datetime(1980, 6, 5)),  # ISO
        ("05-06-1980", datetime(1980, 6, 5)),
        ("05.06.1980", datetime(1980, 6, 5)),
        ("29377", datetime(1980, 6, 5)),  # Excel serial
        ("9647", datetime(1926, 5, 30)),  # 4-digit Excel serial (before 1927-05-18)
        ("45973.354166666664", datetime(2025, 11, 12, 8, 30)),  # serial with time
        ("2025-11-12 08:30:00", datetime(2025, 11, 12, 8, 30)),
        ("2025-11-12T08:30:00", datetime(2025, 11, 12, 8, 30)),
        ("2025-11-12 08:30:00.000000", datetime(2025, 11, 12, 8, 30)),
        ("12/11/2025 08:30", datetime(2025, 11, 12, 8, 30)),
        ("12/11/2025 08:30:15", datetime(2025, 11, 12, 8, 30, 15)),
        ("23/11/2025 23:59:59", datetime(2025, 11, 23, 23, 59, 59)),  # last second is fine
        (datetime(1980, 6, 5), datetime(1980, 6, 5)),  # already a datetime (xlsx, Parquet)
    ],
)
def test_dates_in_every_contract_form_parse_day_first(raw, expected):
    out = nz.parse_dates(pd.Series([raw], dtype="object"), as_of=AS_OF).iloc[0]
    assert out["value"] == pd.Timestamp(expected)
    assert out["year"] == expected.year
    assert pd.isna(out["problem"])


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ngày 5 tháng 12 năm 2025", datetime(2025, 12, 5)),
        ("Ngày 05 tháng 12 năm 2025", datetime(2025, 12, 5)),
        ("NGÀY 5 THÁNG 12 NĂM 2025", datetime(2025, 12, 5)),
        ("ngay 5 thang 12 nam 2025", datetime(2025, 12, 5)),  # tone marks lost
        ("ngày 5 tháng 12, năm 2025", datetime(2025, 12, 5)),
        ("8h30 ngày 5 tháng 12 năm 2025", datetime(2025, 12, 5, 8, 30)),
        ("05/12/2025 08:30:00 SA", datetime(2025, 12, 5, 8, 30)),  # sáng: morning
        ("05/12/2025 08:30:00 CH", datetime(2025, 12, 5, 20, 30)),  # chiều: afternoon
        ("05/12/2025 12:15 SA", datetime(2025, 12, 5, 0, 15)),  # 12 SA is just after midnight
        ("05/12/2025 12:15 CH", datetime(2025, 12, 5, 12, 15)),  # 12 CH is noon
        ("2025-12-05 08:30:00 ch", datetime(2025, 12, 5, 20, 30)),
        ("05/12/2025 8:30 PM", datetime(2025, 12, 5, 20, 30)),
        ("2025-12-05T08:30:00+07:00", datetime(2025, 12, 5, 8, 30)),  # Hanoi time already
        ("2025-12-05T08:30:00+0700", datetime(2025, 12, 5, 8, 30)),
        ("2025-12-05T01:30:00Z", datetime(2025, 12, 5, 8, 30)),  # UTC -> Hanoi (+7)
        ("2025-12-04T20:30:00-05:00", datetime(2025, 12, 5, 8, 30)),
        ("2025-12-31T20:00:00Z", datetime(2026, 1, 1, 3, 0)),  # the next day (and year) in Hanoi
    ],
)
def test_dates_as_vietnamese_exports_write_them(raw, expected):
    """Vietnamese documents write a date in words (Nghị định 30/2020/NĐ-CP, the date line of
    an administrative document: "ngày ... tháng ... năm ..."); Vietnamese Windows/Excel write
    a 12-hour clock with SA (sáng) / CH (chiều); ISO 8601 exports add a UTC offset, moved to
    Hanoi's local time (UTC+7) because every time in the suite is naive local time."""
    out = nz.parse_dates(pd.Series([raw]), as_of=date(2026, 1, 31)).iloc[0]
    assert out["value"] == pd.Timestamp(expected)
    assert out["year"] == expected.year and pd.isna(out["problem"])


@pytest.mark.parametrize(
    "raw",
    [
        "05/12/2025 13:30 CH",
        "05/12/2025 00:30 SA",
        "ngày 31 tháng 2 năm 2025",
        "2025-12-05T08:30:00+25:00",
    ],
)
def test_impossible_vietnamese_date_spellings_are_invalid(raw):
    out = nz.parse_dates(pd.Series([raw]), as_of=date(2026, 1, 31)).iloc[0]
    assert out["problem"] == "invalid_date"


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("31/02/2000", "invalid_date"),
        ("13/13/2000", "invalid_date"),
        ("hôm qua", "invalid_date"),
        ("1958", "invalid_date"),  # year only is for birth dates
        ("24/11/2025", "date_in_future"),
        ("2026-01-01 00:00:00", "date_in_future"),
        ("31/12/1899", "date_before_1900"),
        ("12/11/2025 25:00", "invalid_date"),
    ],
)
def test_bad_dates_get_their_problem(raw, problem):
    out = nz.parse_dates(pd.Series([raw]), as_of=AS_OF).iloc[0]
    assert out["problem"] == problem
    assert pd.isna(out["value"])


def test_year_only_birth_dates_keep_the_year_without_a_date():
    out = nz.parse_dates(pd.Series(["1958", "1899", "2025"]), as_of=AS_OF, year_only=True)
    assert out["value"].isna().all()
    assert out["year"].tolist()[0::2] == [1958, 2025]
    assert out["problem"].tolist()[1] == "date_before_1900"


def test_four_digits_above_the_current_year_are_excel_serials_not_years():
    out = nz.parse_dates(pd.Series(["2030", "9998"]), as_of=AS_OF, year_only=True)
    assert out["value"].tolist() == [pd.Timestamp(1905, 7, 22), pd.Timestamp(1927, 5, 16)]


def test_expiry_dates_may_lie_in_the_future():
    out = nz.parse_dates(pd.Series(["01/02/2035"]), as_of=AS_OF, allow_future=True).iloc[0]
    assert out["value"] == pd.Timestamp(2035, 2, 1) and pd.isna(out["problem"])


def test_blank_dates_have_no_value_and_no_problem():
    out = nz.parse_dates(pd.Series(["", None, "  "]), as_of=AS_OF)
    assert out["value"].isna().all() and out["problem"].isna().all() and out["year"].isna().all()


def test_dates_keep_the_input_index():
    s = pd.Series(["05/06/1980", "1980-06-05"], index=[10, 20])
    assert nz.parse_dates(s, as_of=AS_OF).index.tolist() == [10, 20]


# ---------------------------------------------------------------- enumerations and counts


@pytest.mark.parametrize(
    "name, raw, value",
    [
        ("vehicle_type", "Ô tô", "car"),
        ("vehicle_type", "o to", "car"),
        ("vehicle_type", "Mô tô", "motorbike"),
        ("vehicle_type", "XE MÁY", "motorbike"),
        ("vehicle_type", "Xe gắn máy", "moped"),
        ("vehicle_type", "Xe máy điện", "e-bike"),
        ("vehicle_type", "e-bike", "e-bike"),
        ("vehicle_type", "Khác", "other"),
        ("owner_kind", "Cá nhân", "individual"),
        ("owner_kind", "TỔ CHỨC", "organization"),
        ("population_status", "Còn sống", "alive"),
        ("population_status", "Đã chết", "deceased"),
        ("gender", "Nữ", "female"),
        ("gender", "Nam", "male"),
        ("submission_kind", "Phương tiện", "vehicle"),
        ("submission_kind", "GPLX", "licence"),
        ("declared_status", "Đang sử dụng", "in_use"),
        ("declared_status", "Đã chuyển nhượng", "transferred"),
        ("declared_status", "Đã thanh lý", "scrapped"),
        ("declared_status", "Bị mất", "lost"),
        ("declared_status", "in_use", "in_use"),
        ("review_status", "Chờ duyệt", "pending"),
        ("review_status", "Đã duyệt", "approved"),
        ("review_status", "Từ chối", "rejected"),
        ("org_type", "Khu công nghiệp", "industrial_park"),
        ("org_type", "business_household", "business_household"),
        ("yes_no", "Có", "yes"),
        ("yes_no", "không", "no"),
    ],
)
def test_enumerations_map_vietnamese_aliases(name, raw, value):
    out = nz.enum_series(pd.Series([raw]), name).iloc[0]
    assert out["value"] == value and bool(out["valid"])


def test_unknown_enumeration_value_is_invalid_and_blank_is_not():
    out = nz.enum_series(pd.Series(["xe tăng", None]), "vehicle_type")
    assert out["valid"].tolist() == [False, True]
    assert out["value"].isna().all()


@pytest.mark.parametrize(
    "raw, value, valid",
    [
        ("12", 12, True),
        ("12.0", 12, True),
        (12.0, 12, True),
        ("0", 0, True),
        ("1.234", 1234, True),
        ("1,234", 1234, True),
        ("-3", None, False),
        ("2.5", None, False),
        ("mười", None, False),
        ("", None, True),
    ],
)
def test_counts_are_non_negative_whole_numbers(raw, value, valid):
    out = nz.count_series(pd.Series([raw], dtype="object")).iloc[0]
    assert (None if pd.isna(out["value"]) else int(out["value"])) == value
    assert bool(out["valid"]) is valid


# ---------------------------------------------------------------- properties

_TEXT = st.text(
    alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĐÔ ̣̀́̃̉ \t\u00a0-./0123456789")),
    max_size=30,
)


def _same(a: pd.Series, b: pd.Series) -> bool:
    return a.fillna("<NA>").tolist() == b.fillna("<NA>").tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), _TEXT), max_size=20))
def test_text_normalisers_are_idempotent(values):
    s = pd.Series(values, dtype="object")
    for fn in (
        nz.clean_text_series,
        nz.fold_series,
        nz.name_series,
        nz.alnum_key_series,
        nz.digits_series,
    ):
        once = fn(s)
        assert _same(fn(once), once), fn.__name__


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), _TEXT, st.from_regex(r"\d{9,12}", fullmatch=True)), max_size=20)
)
def test_id_and_plate_normalisers_are_idempotent(values):
    s = pd.Series(values, dtype="object")
    ids = nz.id_series(s)
    again = nz.id_series(ids["id"])
    assert _same(again["id"], ids["id"]) and again["kind"].tolist() == ids["kind"].tolist()
    plates = nz.plate_series(s)
    plates2 = nz.plate_series(plates["plate"])
    assert _same(plates2["plate_key"], plates["plate_key"])
    assert plates2["valid"].tolist() == plates["valid"].tolist()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.dates(min_value=date(1900, 1, 1), max_value=AS_OF), max_size=20),
    st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y %H:%M:%S"]),
)
def test_dates_round_trip_through_their_iso_form(days, form):
    s = pd.Series([d.strftime(form) for d in days], dtype="object")
    first = nz.parse_dates(s, as_of=AS_OF)
    assert first["problem"].isna().all()
    iso = first["value"].dt.strftime("%Y-%m-%d")
    second = nz.parse_dates(iso, as_of=AS_OF)
    assert second["value"].tolist() == first["value"].tolist()
    assert np.array_equal(first["value"].dt.date.to_numpy(), np.array(days, dtype=object))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), _TEXT), max_size=20), st.sampled_from(sorted(nz.ENUMS)))
def test_enumeration_mapping_is_idempotent(values, name):
    s = pd.Series(values, dtype="object")
    once = nz.enum_series(s, name)["value"]
    assert _same(nz.enum_series(once, name)["value"], once)


def test_names_series_gives_the_same_name_and_key_as_the_single_functions():
    s = pd.Series(["NGUYỄN  văn an", NFD, None, "đặng thị ánh", "NGUYỄN  văn an"])
    both = nz.names_series(s)
    assert _same(both["name"], nz.name_series(s))
    assert _same(both["key"], nz.name_key_series(nz.name_series(s)))


@pytest.mark.parametrize(
    ("text", "needle", "found"),
    [
        (b"ab  c", b"  ", True),
        (b"ab c", b"  ", False),
        (b"x\xcc\x81", b"\xcc", True),
        (b"plain", b"\xcc", False),
    ],
)
def test_byte_search_reads_the_buffer_in_place_and_respects_a_slice(text, needle, found):
    from helpers.normalize.arrow import holds_bytes

    data = np.frombuffer(b"\xcc  " + text + b"\xcc  ", dtype=np.uint8)[3:-3]  # a sliced view
    assert holds_bytes(data, needle) is found
