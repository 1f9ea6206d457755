"""Enumerations and counts: accepted spellings of each enumerated column mapped to its
canonical value, and counts parsed from text.

Pure functions; touch no files.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.normalize.arrow import clean_array, per_distinct, to_arrow, to_series, valid_mask
from helpers.normalize.ids import compact_digits
from helpers.normalize.text import fold_key

# ---------------------------------------------------------------- enumerations and numbers

# canonical value -> accepted spellings (folded and stripped of non-alphanumerics when matched)
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "vehicle_type": {
        "car": ("car", "ô tô", "xe ô tô", "oto", "xe hơi", "xe con", "automobile"),
        "motorbike": ("motorbike", "motorcycle", "mô tô", "xe mô tô", "xe máy", "xe môtô"),
        "moped": ("moped", "xe gắn máy"),
        "e-bike": (
            "e-bike",
            "ebike",
            "e bike",
            "electric bike",
            "xe máy điện",
            "xe điện",
            "xe đạp điện",
            "xe gắn máy điện",
            "mô tô điện",
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
            "licence",
            "license",
            "gplx",
            "giấy phép lái xe",
            "driving licence",
            "bằng lái",
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
    # the measures a unit commander commits to (helpers.statuses.COMMITMENT_MEASURES)
    "commitment_measure": {
        "veh_cleaned_share": (
            "veh_cleaned_share",
            "vehicle records cleaned share",
            "vehicles cleaned share",
            "share of vehicles cleaned",
            "tỷ lệ xe làm sạch",
            "tỷ lệ làm sạch xe",
            "tỷ lệ hồ sơ xe làm sạch",
        ),
        "veh_cleaned": (
            "veh_cleaned",
            "vehicle records cleaned",
            "vehicles cleaned",
            "số xe làm sạch",
            "xe làm sạch",
            "số hồ sơ xe làm sạch",
        ),
        "lic_cleaned_share": (
            "lic_cleaned_share",
            "licence records cleaned share",
            "licences cleaned share",
            "share of licences cleaned",
            "tỷ lệ gplx làm sạch",
            "tỷ lệ làm sạch gplx",
        ),
        "lic_cleaned": (
            "lic_cleaned",
            "licence records cleaned",
            "licences cleaned",
            "license records cleaned",
            "số gplx làm sạch",
            "gplx làm sạch",
        ),
        "backlog_pending": (
            "backlog_pending",
            "pending backlog",
            "submissions pending review",
            "pending review",
            "tồn chờ duyệt",
            "hồ sơ chờ duyệt",
            "số hồ sơ chờ duyệt",
            "giảm tồn chờ duyệt",
        ),
        "difficult_resolved": (
            "difficult_resolved",
            "difficult records resolved",
            "difficult resolved",
            "dữ liệu khó đã xử lý",
            "xử lý dữ liệu khó",
            "hồ sơ khó đã giải quyết",
        ),
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
    cleaned = clean_array(to_arrow(values))
    encoded = cleaned.dictionary_encode()
    canonical = pa.array(
        [aliases.get(fold_key(v)) for v in encoded.dictionary.to_pylist()], pa.large_string()
    )
    mapped = canonical.take(encoded.indices)
    valid = valid_mask(mapped) | ~valid_mask(cleaned)
    return pd.DataFrame(
        {"value": to_series(mapped, values), "valid": pd.Series(valid, index=values.index)}
    )


def _counts_distinct(arr: pa.Array) -> pa.Array:
    arr = compact_digits(arr)
    arr = pc.replace_substring_regex(
        arr, pattern=r"^(\d{1,3})[.,](\d{3})(?:[.,](\d{3}))?$", replacement=r"\1\2\3"
    )
    whole = pc.match_substring_regex(arr, pattern=r"^\d{1,15}$")
    return pc.cast(pc.if_else(whole, arr, pa.scalar(None, arr.type)), pa.int64())


def count_series(values: pd.Series) -> pd.DataFrame:
    """Counts -> ``value`` (Int64, missing when blank or bad) and ``valid`` (blank counts as valid).

    A count is a non-negative whole number; ``12.0`` (Excel float) and ``1.234`` / ``1,234``
    thousands separators are accepted, ``-3``, ``2.5`` and text are not.
    """
    cleaned = clean_array(to_arrow(values))
    num = per_distinct(cleaned, _counts_distinct)
    valid = valid_mask(num) | ~valid_mask(cleaned)
    value = pd.array(num.to_numpy(zero_copy_only=False), dtype="Float64").astype("Int64")
    return pd.DataFrame({"value": value, "valid": valid}, index=values.index)
