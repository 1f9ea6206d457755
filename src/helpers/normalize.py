"""Normalisation shared by every stage: text, names, IDs, plates, dates, enumerations.

Vectorised helpers take and return pandas Series (pandas' ``str`` dtype, missing = NaN) and do
their work in pyarrow compute kernels, or once per distinct value (dates, enumerations), so
they stay fast on millions of rows. Scalar helpers exist for small lists (the 126 unit names,
headers). Never loop per record over big tables with the scalar ones.

Every vectorised normaliser is idempotent: feeding its output back in changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_SPACES = re.compile(r"\s+")
# đ/Đ are letters of their own in Unicode, not d + a combining mark: NFD leaves them alone.
_DSTROKE = str.maketrans({"đ": "d", "Đ": "D"})
# Whitespace as RE2 sees it, plus the no-break and zero-width spaces spreadsheets leave behind.
_WS_RE2 = r"[\s\x{00a0}\x{2000}-\x{200b}\x{202f}\x{205f}\x{3000}\x{feff}]+"


# ---------------------------------------------------------------- scalar text


def clean_text(value: str) -> str:
    """NFC, trimmed, inner runs of whitespace collapsed to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str) -> str:
    """Accent- and case-folded comparison key: 'Phường Ngọc Hà' -> 'phuong ngoc ha'."""
    decomposed = unicodedata.normalize("NFD", clean_text(value).translate(_DSTROKE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.lower()


def fold_key(value: str) -> str:
    """:func:`fold` with every non-alphanumeric run removed: 'Xe máy điện' -> 'xemaydien'."""
    return re.sub(r"[^0-9a-z]+", "", fold(value))


# ---------------------------------------------------------------- arrow plumbing


def _arrow(values: pd.Series) -> pa.Array:
    """The values as an arrow string array (zero-copy for pandas' ``str`` dtype).

    Numbers, dates and timestamps are cast by arrow (``1090012345.0`` -> ``1090012345``,
    timestamps -> ``2025-11-12 08:30:00.000000``); mixed object columns go through ``str``.
    """
    if isinstance(values.dtype, pd.StringDtype):
        arr = pa.array(values)
    else:
        try:
            arr = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            arr = pa.array(values.astype("str"))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type == pa.null():
        arr = pa.nulls(len(arr), pa.large_string())
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return arr


def _series(arr: pa.Array, like: pd.Series) -> pd.Series:
    return pd.Series(arr, index=like.index, name=like.name, dtype="str")


def _clean(arr: pa.Array) -> pa.Array:
    """NFC, whitespace collapsed and trimmed, empty -> null (arrow in, arrow out)."""
    arr = pc.utf8_normalize(arr, form="NFC")
    arr = pc.replace_substring_regex(arr, pattern=_WS_RE2, replacement=" ")
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def _fold(arr: pa.Array) -> pa.Array:
    arr = _clean(arr)
    arr = pc.replace_substring(arr, pattern="đ", replacement="d")
    arr = pc.replace_substring(arr, pattern="Đ", replacement="D")
    arr = pc.utf8_normalize(arr, form="NFD")
    arr = pc.replace_substring_regex(arr, pattern=r"\p{Mn}+", replacement="")
    # a mark that stood alone or beside a space leaves a space to collapse again
    return _clean(pc.utf8_lower(arr))


def _np_bool(arr: pa.Array) -> np.ndarray:
    """A boolean arrow array as numpy, null = False."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _bool(arr: pa.Array, like: pd.Series) -> pd.Series:
    return pd.Series(_np_bool(arr), index=like.index, dtype=bool)


# ---------------------------------------------------------------- text and names


def clean_text_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`clean_text`; missing stays missing, empty becomes missing."""
    return _series(_clean(_arrow(values)), values)


def fold_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`fold`: NFC, đ -> d, accents dropped, lower case."""
    return _series(_fold(_arrow(values)), values)


def name_series(values: pd.Series) -> pd.Series:
    """Personal names in one consistent case: 'NGUYỄN  văn an' -> 'Nguyễn Văn An'."""
    return _series(pc.utf8_title(_clean(_arrow(values))), values)


def name_key_series(values: pd.Series) -> pd.Series:
    """Accent-folded lower-case key names are compared on: 'Đặng Thị Ánh' -> 'dang thi anh'."""
    return fold_series(values)


# ---------------------------------------------------------------- identifiers

# Province-of-birth codes a CCCD may start with (rules.md: 001-096).
CCCD_PROVINCE_MIN, CCCD_PROVINCE_MAX = 1, 96
ID_KINDS: tuple[str, ...] = ("cccd", "cmnd", "tax_code", "invalid", "missing")


def _compact_digits(arr: pa.Array) -> pa.Array:
    """Whitespace removed and an Excel float tail dropped: ' 1090012345.0 ' -> '1090012345'."""
    arr = _clean(arr)
    arr = pc.replace_substring_regex(arr, pattern=r"\s+", replacement="")
    arr = pc.utf8_normalize(arr, form="NFC")  # a removed space may let a mark compose
    arr = pc.replace_substring_regex(arr, pattern=r"^(\d+)\.0$", replacement=r"\1")
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def id_series(values: pd.Series, organization: pd.Series | None = None) -> pd.DataFrame:
    """Citizen IDs / tax codes -> columns ``id``, ``kind``, ``repaired`` (rules.md, ingest).

    ``organization`` (bool per row) says the holder is an organisation, whose 10- or 13-digit
    tax code is kept as ``tax_code``. For individuals a 10- or 11-digit number is a CCCD that
    lost its leading zeros: it is left-padded to 12 when the padded value starts with a province
    code 001-096, else ``invalid``. Nine digits are an old CMND (kept, flagged).
    """
    arr = _compact_digits(_arrow(values))
    n = len(arr)
    org = (
        np.zeros(n, dtype=bool)
        if organization is None
        else organization.fillna(False).to_numpy(dtype=bool)
    )

    def shaped(pattern: str) -> np.ndarray:
        return _np_bool(pc.match_substring_regex(arr, pattern=pattern))

    d10_11 = shaped(r"^\d{10,11}$")
    padded = pc.utf8_lpad(arr, width=12, padding="0")
    province = pc.if_else(pa.array(d10_11), pc.utf8_slice_codeunits(padded, 0, 3), "0")
    prov = np.asarray(pc.fill_null(pc.cast(province, pa.int32()), 0))
    pad_ok = d10_11 & ~org & (prov >= CCCD_PROVINCE_MIN) & (prov <= CCCD_PROVINCE_MAX)

    kind = np.full(n, "invalid", dtype=object)
    kind[shaped(r"^\d{12}$")] = "cccd"
    kind[shaped(r"^\d{9}$")] = "cmnd"
    kind[shaped(r"^\d{10}(-?\d{3})?$") & org] = "tax_code"
    kind[pad_ok] = "cccd"
    kind[_np_bool(pc.is_null(arr))] = "missing"
    return pd.DataFrame(
        {
            "id": _series(pc.if_else(pa.array(pad_ok), padded, arr), values),
            "kind": pd.Series(kind, index=values.index, dtype="str"),
            "repaired": pd.Series(pad_ok, index=values.index, dtype=bool),
        }
    )


def digits_series(values: pd.Series) -> pd.Series:
    """Numbers kept as text (licence numbers, phones): spaces and an Excel '.0' tail removed."""
    return _series(_compact_digits(_arrow(values)), values)


def licence_no_series(values: pd.Series) -> pd.DataFrame:
    """Licence numbers -> ``licence_no`` (compacted text) and ``valid`` (exactly 12 digits)."""
    arr = _compact_digits(_arrow(values))
    valid = pc.fill_null(pc.match_substring_regex(arr, pattern=r"^\d{12}$"), False)
    return pd.DataFrame({"licence_no": _series(arr, values), "valid": _bool(valid, values)})


# Classes of the 2025 law and the pre-2025 ones still in circulation (data contract).
LICENCE_CLASSES: tuple[str, ...] = (
    "A1", "A", "B1", "B", "C1", "C", "D1", "D2", "D", "BE", "C1E", "CE", "D1E", "D2E", "DE",
    "A2", "A3", "A4", "B2", "E", "FB2", "FC", "FD", "FE",
)


def licence_class_series(values: pd.Series) -> pd.DataFrame:
    """Licence classes -> upper case without spaces (``b 2`` -> ``B2``) and ``valid``."""
    arr = pc.utf8_upper(_fold(_arrow(values)))
    arr = pc.replace_substring_regex(arr, pattern=r"[\s.\-]+", replacement="")
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    valid = pc.fill_null(pc.is_in(arr, value_set=pa.array(LICENCE_CLASSES, pa.large_string())), False)
    return pd.DataFrame({"licence_class": _series(arr, values), "valid": _bool(valid, values)})


# ---------------------------------------------------------------- plates and chassis

# 2 digits (province) + series (1-2 letters, optionally a digit) + 4-5 digits.
PLATE_KEY_PATTERN = r"^\d{2}[A-Z]{1,2}\d?\d{4,5}$"


def alnum_key_series(values: pd.Series) -> pd.Series:
    """Upper-case letters and digits only (đ -> D): '29a 123.45' -> '29A12345'."""
    arr = pc.utf8_upper(_fold(_arrow(values)))
    arr = pc.replace_substring_regex(arr, pattern=r"[^0-9A-Z]+", replacement="")
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    return _series(arr, values)


def plate_series(values: pd.Series) -> pd.DataFrame:
    """Plates -> ``plate`` (cleaned text), ``plate_key`` and ``valid`` (key has the plate shape)."""
    plate = clean_text_series(values)
    key = alnum_key_series(plate)
    valid = pc.fill_null(pc.match_substring_regex(_arrow(key), pattern=PLATE_KEY_PATTERN), False)
    return pd.DataFrame({"plate": plate, "plate_key": key, "valid": _bool(valid, values)})


# ---------------------------------------------------------------- dates

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
DATE_PROBLEMS: tuple[str, ...] = ("invalid_date", "date_in_future", "date_before_1900")

_DATE_FORMS = {
    # ISO and other year-first forms, optional time
    "ymd": r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:[T ]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?)?$",
    # day first, 2- or 4-digit year, optional time
    "dmy": r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4}|\d{2})"
    r"(?:[T ,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?)?$",
    # Excel serial day number, maybe with a time fraction (5 digits = 1927..2173)
    "serial": r"^(?P<n>\d{5}(?:\.\d+)?)$",
    # year only (birth dates in the population extract)
    "year": r"^(?P<y>\d{4})$",
}


def _ints(struct: pa.StructArray, field: str, default: int = 0) -> np.ndarray:
    col = pc.struct_field(struct, field)
    col = pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)
    return np.asarray(pc.fill_null(pc.cast(col, pa.int64()), default).to_numpy(zero_copy_only=False))


def _compose(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D] dates, valid) from year/month/day numbers, calendar-checked."""
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1) & (y <= 9999)
    ys = np.where(ok, y, 1970)
    ms = np.where(ok, m, 1)
    month = (ys - 1970) * 12 + (ms - 1)
    start = month.astype("datetime64[M]").astype("datetime64[D]")
    length = (month + 1).astype("datetime64[M]").astype("datetime64[D]") - start
    ok &= d <= length.astype(np.int64)
    days = start + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    return days, ok


def _parse_distinct(
    texts: pa.Array, *, as_of: date, year_only: bool, allow_future: bool
) -> pd.DataFrame:
    """Parse a small array of distinct date strings (see :func:`parse_dates`)."""
    n = len(texts)
    stamp = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    year = np.zeros(n, dtype=np.int64)
    is_year = np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)
    for form, pattern in _DATE_FORMS.items():
        found = pc.extract_regex(texts, pattern=pattern)
        hit = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool) & ~done
        if not hit.any():
            continue
        done |= hit
        if form == "serial":
            num = pc.cast(pc.struct_field(found, "n"), pa.float64(), safe=False)
            num = np.asarray(pc.fill_null(num, 0.0).to_numpy(zero_copy_only=False))
            secs = np.round(num * 86400.0).astype(np.int64)
            value = EXCEL_EPOCH.astype("datetime64[s]") + secs.astype("timedelta64[s]")
            stamp[hit] = value[hit]
            year[hit] = value[hit].astype("datetime64[Y]").astype(np.int64) + 1970
            continue
        y = _ints(found, "y")
        if form == "year":
            year[hit] = y[hit]
            is_year[hit] = True
            continue
        if form == "dmy":
            short = np.asarray(
                pc.fill_null(pc.equal(pc.utf8_length(pc.struct_field(found, "y")), 2), False)
            )
            century = np.where(allow_future | (2000 + y <= as_of.year), 2000, 1900)
            y = np.where(short, century + y, y)
        days, ok = _compose(y, _ints(found, "m"), _ints(found, "d"))
        clock = _ints(found, "H") * 3600 + _ints(found, "M") * 60 + _ints(found, "S")
        ok &= (_ints(found, "H") < 24) & (_ints(found, "M") < 60) & (_ints(found, "S") < 60)
        value = days.astype("datetime64[s]") + clock.astype("timedelta64[s]")
        take = hit & ok
        stamp[take] = value[take]
        year[take] = y[take]
    problem = np.full(n, None, dtype=object)
    parsed = ~np.isnat(stamp)
    problem[~parsed & ~(is_year & year_only)] = "invalid_date"
    last = np.datetime64(as_of, "D") + np.timedelta64(1, "D")
    with np.errstate(invalid="ignore"):
        future = parsed & (stamp >= last.astype("datetime64[s]")) & (not allow_future)
        future |= is_year & year_only & (year > as_of.year) & (not allow_future)
    early = (parsed | (is_year & year_only)) & (year < 1900)
    problem[future] = "date_in_future"
    problem[early] = "date_before_1900"
    ok = problem == None  # noqa: E711 (elementwise on an object array)
    return pd.DataFrame(
        {
            "value": np.where(ok & parsed, stamp, np.datetime64("NaT")).astype("datetime64[s]"),
            "year": pd.arrays.IntegerArray(
                np.where(ok, year, 0).astype(np.int64), ~(ok & (parsed | is_year))
            ),
            "problem": pd.Series(problem, dtype="str"),
        }
    )


def parse_dates(
    values: pd.Series,
    *,
    as_of: date,
    year_only: bool = False,
    allow_future: bool = False,
) -> pd.DataFrame:
    """Dates and datetimes in every form of the contract, day first -> three columns.

    ``value`` (datetime64[s], NaT when missing, year-only or rejected), ``year`` (Int64, also
    for year-only values when ``year_only``), ``problem`` (``invalid_date``,
    ``date_in_future`` = after ``as_of``, ``date_before_1900``; missing when fine or blank).
    Forms: ``dd/mm/yyyy``, ``d/m/yy`` (``yy`` up to ``as_of``'s year is 20yy), ISO
    ``yyyy-mm-dd``, any of those with a time, Excel serial day numbers, and ``yyyy`` where
    ``year_only``. Parsed once per distinct value.
    """
    arr = _clean(_arrow(values))
    encoded = arr.dictionary_encode()
    distinct = _parse_distinct(
        encoded.dictionary, as_of=as_of, year_only=year_only, allow_future=allow_future
    )
    # one more row for blanks: no value, no year, no problem (required-ness is the caller's)
    blank = pd.DataFrame(
        {
            "value": np.array([np.datetime64("NaT")], "datetime64[s]"),
            "year": pd.array([None], dtype="Int64"),
            "problem": pd.Series([None], dtype="str"),
        }
    )
    table = pd.concat([distinct, blank], ignore_index=True)
    pos = np.asarray(pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False))
    out = table.iloc[pos]
    out.index = values.index
    return out


# ---------------------------------------------------------------- enumerations and numbers

# canonical value -> accepted spellings (folded and stripped of non-alphanumerics when matched)
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "vehicle_type": {
        "car": ("car", "ô tô", "xe ô tô", "oto", "xe hơi", "xe con", "automobile"),
        "motorbike": ("motorbike", "motorcycle", "mô tô", "xe mô tô", "xe máy", "xe môtô"),
        "moped": ("moped", "xe gắn máy"),
        "e-bike": (
            "e-bike", "ebike", "e bike", "electric bike", "xe máy điện", "xe điện",
            "xe đạp điện", "xe gắn máy điện", "mô tô điện",
        ),
        "other": ("other", "khác", "xe khác", "loại khác"),
    },
    "owner_kind": {
        "individual": ("individual", "person", "cá nhân", "công dân"),
        "organization": ("organization", "organisation", "tổ chức", "doanh nghiệp", "cơ quan"),
    },
    "gender": {
        "male": ("male", "m", "nam"),
        "female": ("female", "f", "nữ", "nu"),
    },
    "population_status": {
        "alive": ("alive", "living", "còn sống", "sống", "đang sống"),
        "deceased": ("deceased", "dead", "đã chết", "chết", "đã mất", "tử vong", "đã tử vong"),
    },
    "submission_kind": {
        "vehicle": ("vehicle", "phương tiện", "xe", "đăng ký xe", "phuong tien giao thong"),
        "licence": (
            "licence", "license", "gplx", "giấy phép lái xe", "driving licence", "bằng lái",
        ),
    },
    "declared_status": {
        "in_use": ("in_use", "in use", "đang sử dụng", "sử dụng", "còn sử dụng"),
        "transferred": ("transferred", "đã chuyển nhượng", "chuyển nhượng", "đã bán"),
        "scrapped": ("scrapped", "đã thanh lý", "thanh lý", "đã hủy", "huỷ", "hủy"),
        "lost": ("lost", "bị mất", "mất", "đã mất"),
    },
    "review_status": {
        "pending": ("pending", "chờ duyệt", "chờ xử lý", "đang chờ", "chưa duyệt"),
        "approved": ("approved", "đã duyệt", "duyệt", "đã phê duyệt", "đồng ý"),
        "rejected": ("rejected", "từ chối", "đã từ chối", "không duyệt"),
    },
    "org_type": {
        "enterprise": ("enterprise", "doanh nghiệp", "công ty", "company"),
        "industrial_park": ("industrial_park", "industrial park", "khu công nghiệp", "kcn"),
        "school": ("school", "trường học", "trường"),
        "hospital": ("hospital", "bệnh viện"),
        "agency": ("agency", "cơ quan", "cơ quan nhà nước"),
        "business_household": ("business_household", "business household", "hộ kinh doanh"),
    },
    "yes_no": {
        "yes": ("yes", "y", "true", "1", "có", "x", "đã làm việc", "rồi"),
        "no": ("no", "n", "false", "0", "không", "chưa"),
    },
}


def enum_aliases(name: str) -> dict[str, str]:
    """Every accepted spelling of enumeration ``name`` (as :func:`fold_key`) -> canonical."""
    return {fold_key(alias): canon for canon, aliases in ENUMS[name].items() for alias in aliases}


def enum_series(values: pd.Series, name: str) -> pd.DataFrame:
    """Map an enumeration's spellings to canonical values, once per distinct value.

    Returns ``value`` (canonical, missing when blank or unknown) and ``valid`` (False only for
    a value that is present but fits no spelling; blanks are the caller's business).
    """
    aliases = enum_aliases(name)
    cleaned = clean_text_series(values)
    distinct = pd.Series(cleaned.dropna().unique(), dtype="str")
    mapping = {v: aliases.get(fold_key(v)) for v in distinct}
    mapped = cleaned.map(mapping).astype("str")
    return pd.DataFrame({"value": mapped, "valid": (mapped.notna() | cleaned.isna()).astype(bool)})


def count_series(values: pd.Series) -> pd.DataFrame:
    """Counts -> ``value`` (Int64, missing when blank or bad) and ``valid`` (blank counts as valid).

    A count is a non-negative whole number; ``12.0`` (Excel float) and ``1.234`` / ``1,234``
    thousands separators are accepted, ``-3``, ``2.5`` and text are not.
    """
    arr = _compact_digits(_arrow(values))
    arr = pc.replace_substring_regex(
        arr, pattern=r"^(\d{1,3})[.,](\d{3})(?:[.,](\d{3}))?$", replacement=r"\1\2\3"
    )
    whole = _np_bool(pc.match_substring_regex(arr, pattern=r"^\d{1,15}$"))
    present = ~_np_bool(pc.is_null(arr))
    num = pc.cast(pc.if_else(pa.array(whole), arr, pa.scalar(None, arr.type)), pa.int64())
    value = pd.array(num.to_numpy(zero_copy_only=False), dtype="Float64").astype("Int64")
    return pd.DataFrame(
        {"value": value, "valid": whole | ~present}, index=values.index
    )
