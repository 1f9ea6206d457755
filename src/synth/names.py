"""Vietnamese name pools with realistic frequencies, and the name faults built from them.

Pools are small lists, so faults are precomputed per pool entry (a typo variant of every given
name) and applied to millions of rows by index: no per-record Python work.
"""

from __future__ import annotations

import numpy as np

from helpers.normalize import fold

# Family names and their approximate shares (%) in northern Vietnam.
FAMILY: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 36.0),
    ("Trần", 11.0),
    ("Lê", 9.0),
    ("Phạm", 7.0),
    ("Hoàng", 5.0),
    ("Vũ", 4.0),
    ("Phan", 3.0),
    ("Đặng", 2.2),
    ("Bùi", 2.2),
    ("Đỗ", 2.0),
    ("Ngô", 1.5),
    ("Dương", 1.2),
    ("Đinh", 1.0),
    ("Hồ", 0.8),
    ("Lý", 0.6),
    ("Trịnh", 1.0),
    ("Đào", 0.9),
    ("Mai", 0.6),
    ("Lương", 0.6),
    ("Lưu", 0.5),
    ("Tạ", 0.5),
    ("Chu", 0.4),
    ("Kiều", 0.4),
    ("Khuất", 0.3),
    ("Nghiêm", 0.3),
    ("Phùng", 0.5),
    ("Quách", 0.3),
    ("Tô", 0.4),
    ("Cao", 0.6),
    ("Triệu", 0.4),
    ("Đoàn", 0.8),
    ("Vương", 0.3),
    ("Thái", 0.3),
    ("Lại", 0.3),
    ("Đồng", 0.3),
    ("Hà", 0.6),
    ("Võ", 0.5),
    ("Tăng", 0.2),
    ("Doãn", 0.2),
    ("Văn", 0.2),
)

MIDDLE_MALE: tuple[tuple[str, float], ...] = (
    ("Văn", 34),
    ("Đức", 9),
    ("Minh", 9),
    ("Quang", 6),
    ("Hữu", 6),
    ("Xuân", 4),
    ("Thành", 4),
    ("Mạnh", 3),
    ("Tiến", 3),
    ("Công", 4),
    ("Ngọc", 3),
    ("Trọng", 3),
    ("Hoàng", 3),
    ("Anh", 2),
    ("Việt", 3),
    ("Đình", 4),
)
MIDDLE_FEMALE: tuple[tuple[str, float], ...] = (
    ("Thị", 52),
    ("Thu", 7),
    ("Ngọc", 7),
    ("Thanh", 6),
    ("Minh", 4),
    ("Phương", 4),
    ("Hồng", 4),
    ("Thùy", 4),
    ("Lan", 2),
    ("Kim", 3),
    ("Mai", 3),
    ("Hải", 2),
    ("Bích", 2),
)
# Second middle names (e.g. "Nguyễn Thị Thu Hà"): distinct from every first middle name above.
SECOND_MIDDLE_MALE: tuple[str, ...] = ("Tuấn", "Bảo", "Gia", "Khắc", "Duy")
SECOND_MIDDLE_FEMALE: tuple[str, ...] = ("Diệu", "Khánh", "Cẩm", "Tú", "Quế")

GIVEN_MALE: tuple[str, ...] = (
    "Anh",
    "Hùng",
    "Dũng",
    "Tuấn",
    "Nam",
    "Hải",
    "Long",
    "Minh",
    "Quân",
    "Sơn",
    "Thắng",
    "Trung",
    "Cường",
    "Hưng",
    "Đức",
    "Phong",
    "Hoàng",
    "Khánh",
    "Bình",
    "Tùng",
    "Việt",
    "Huy",
    "Thành",
    "Hiếu",
    "Kiên",
    "Lâm",
    "Phúc",
    "Quang",
    "Tú",
    "Vinh",
    "Toàn",
    "Hậu",
    "Tâm",
    "Đạt",
    "Khoa",
    "Nghĩa",
    "Thịnh",
    "Thái",
    "Lộc",
    "Phát",
    "Hiệp",
    "Giang",
    "Chiến",
    "Dương",
)
GIVEN_FEMALE: tuple[str, ...] = (
    "Hương",
    "Lan",
    "Linh",
    "Hà",
    "Trang",
    "Thảo",
    "Mai",
    "Ngọc",
    "Huyền",
    "Nga",
    "Hằng",
    "Phương",
    "Thủy",
    "Yến",
    "Anh",
    "Loan",
    "Hạnh",
    "Oanh",
    "Dung",
    "Vân",
    "Hoa",
    "Nhung",
    "Thư",
    "Chi",
    "Quỳnh",
    "Giang",
    "Diệp",
    "My",
    "Vy",
    "Tâm",
    "Liên",
    "Hiền",
    "Nhàn",
    "Hồng",
    "Huệ",
    "Duyên",
    "Châu",
    "Uyên",
    "Xuân",
    "Trinh",
)

_LETTERS = "bcdghklmnpqrstvx"


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def typo_variants(given: str) -> list[str]:
    """Three one-edit typos of a given name (on the accent-folded key): drop, double, swap."""
    key = fold(given)
    variants = []
    if len(given) >= 3:
        variants.append(given[:-1])  # dropped last letter: "Hùng" -> "Hùn"
    else:
        variants.append(given + given[-1])
    variants.append(given + given[-1])  # doubled last letter: "Lan" -> "Lann"
    # first letter of the word replaced by a keyboard-near consonant
    first = given[0].lower()
    sub = next(c for c in _LETTERS if c != fold(first))
    variants.append(sub.upper() + given[1:])
    out = []
    for v in variants:
        if _levenshtein(fold(v), key) != 1:
            raise AssertionError(f"typo {v!r} of {given!r} is not one edit")
        out.append(v)
    return out


def pool(entries: tuple) -> tuple[np.ndarray, np.ndarray]:
    """(names, probabilities) arrays from a (name, weight) tuple or a plain name tuple."""
    if entries and isinstance(entries[0], tuple):
        names = np.array([e[0] for e in entries], dtype=object)
        w = np.array([e[1] for e in entries], dtype=float)
    else:
        names = np.array(entries, dtype=object)
        w = np.ones(len(entries))
    return names, w / w.sum()


def folded(names: np.ndarray) -> np.ndarray:
    return np.array([fold(n) for n in names], dtype=object)
