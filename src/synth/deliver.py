"""Render the generated tables into the weekly delivery folders, as the contract describes.

Each (source, delivery) has a format: container, encoding, separator, header spelling and the
language of enumerations. Every written row's position is recorded so the fault log can say
where the user sees the fault (``source_file``, ``source_row``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.headers import CANONICAL
from synth import files
from synth.campaign import DAY, DELIVERIES, EPOCH
from synth.common import DMY, format_dates, zfill_text
from synth.xlsx import STYLE_TITLE, Sheet, col_letter, write_workbook


@dataclass(frozen=True)
class Format:
    ext: str  # csv, csv.gz, xlsx, parquet
    encoding: str = "utf-8"  # utf-8, utf-8-sig, cp1258
    sep: str = ","
    headers: str = "canonical"  # canonical, odd, vi, vi_ascii
    lang: str = "en"  # enumeration values: en or vi
    datetime_style: str = "dmy"  # dmy, iso, native


# Which delivery holds which source, and how. Static sources are re-delivered once.
FORMATS: dict[str, dict[str, Format]] = {
    "registry_vehicles": {
        "2025-11-17": Format("csv.gz", "utf-8", ",", "vi", "vi"),
        "2025-12-07": Format("parquet", headers="odd"),
    },
    "registry_licences": {
        "2025-11-17": Format("csv", "cp1258", ";", "vi_ascii", "en"),
        "2025-12-07": Format("parquet", headers="canonical"),
    },
    "population": {
        "2025-11-17": Format("parquet"),
        "2025-12-14": Format("csv.gz", "utf-8-sig", ";", "odd", "vi"),
    },
    "submissions": {
        "2025-11-17": Format("csv", "cp1258", ",", "canonical", "vi", "dmy"),
        "2025-11-23": Format("csv", "utf-8-sig", ";", "odd", "vi", "iso"),
        "2025-11-30": Format("parquet", headers="canonical", lang="en", datetime_style="native"),
        "2025-12-07": Format("csv.gz", "utf-8", ",", "odd", "en", "dmy"),
        "2025-12-14": Format("parquet", headers="odd", lang="vi", datetime_style="native"),
        "2025-12-21": Format("csv.gz", "utf-8-sig", ";", "canonical", "vi", "iso"),
        "2025-12-28": Format("parquet", headers="canonical", lang="vi", datetime_style="native"),
        "2026-01-04": Format("csv", "utf-8", ",", "odd", "en", "dmy"),
        "2026-01-11": Format("csv.gz", "utf-8-sig", ";", "canonical", "vi", "iso"),
        "2026-01-19": Format("parquet", headers="odd", lang="en", datetime_style="native"),
    },
    "organizations": {
        "2025-11-17": Format("xlsx", headers="vi", lang="vi"),
        "2025-11-23": Format("csv", "utf-8", ",", "canonical", "en"),
        "2025-11-30": Format("xlsx", headers="vi", lang="vi"),
        "2025-12-14": Format("csv", "cp1258", ";", "vi_ascii", "vi"),
        "2025-12-21": Format("xlsx", headers="vi", lang="vi"),
        "2026-01-04": Format("csv", "utf-8", ",", "canonical", "en"),
        "2026-01-19": Format("xlsx", headers="vi", lang="vi"),
    },
}
# unit_reports: one workbook per unit, or one combined workbook
UNIT_REPORT_FORM = {
    "2025-11-17": "per_unit",
    "2025-11-23": "per_unit",
    "2025-11-30": "combined",
    "2025-12-07": "per_unit",
    "2025-12-14": "per_unit",
    "2025-12-21": "combined",
    "2025-12-28": "per_unit",
    "2026-01-04": "combined",
    "2026-01-11": "per_unit",
    "2026-01-19": "per_unit",
}

# The contract's columns in its order (helpers.headers), plus the extra columns real exports
# carry (a note on the registry, the channel of a submission): the suite must keep those.
COLUMNS = {
    source: [*CANONICAL[source], *extra]
    for source, extra in (
        ("registry_vehicles", ["note"]),
        ("registry_licences", []),
        ("population", []),
        ("submissions", ["channel"]),
        ("organizations", []),
    )
}
# Vietnamese headers (aliases from the contract; documented in docs/data-contract.md)
HEADERS_VI = {
    "registry_vehicles": {
        "record_id": "Mã hồ sơ",
        "unit_code": "Xã/Phường",
        "plate": "Biển số",
        "vehicle_type": "Loại xe",
        "chassis_no": "Số khung",
        "engine_no": "Số máy",
        "registered_on": "Ngày đăng ký",
        "owner_kind": "Loại chủ xe",
        "owner_name": "Tên chủ xe",
        "owner_id": "Số định danh",
        "owner_dob": "Ngày sinh",
        "owner_address": "Địa chỉ",
        "note": "Ghi chú",
    },
    "registry_licences": {
        "record_id": "record_id",
        "unit_code": "unit_code",
        "licence_no": "Số GPLX",
        "licence_class": "Hạng",
        "holder_name": "Họ và tên",
        "holder_id": "holder_id",
        "holder_dob": "holder_dob",
        "issued_on": "Ngày cấp",
        "expires_on": "Ngày hết hạn",
    },
    "organizations": {
        "org_id": "Mã số thuế",
        "org_name": "Tên tổ chức",
        "org_type": "Loại hình",
        "unit_code": "Xã/Phường",
        "dispatch_sent_on": "Ngày gửi công văn",
        "worked_directly": "Làm việc trực tiếp",
        "vehicles_counted": "Số xe đã thống kê",
        "vehicles_declared": "Số xe đã kê khai",
    },
}
ODD = {  # canonical names with the odd case and spaces real exports have
    "record_id": " Record_ID",
    "unit_code": "UNIT_CODE ",
    "plate": "Plate",
    "submission_id": "Submission_Id",
    "submitted_at": " submitted_at ",
    "kind": "KIND",
    "citizen_id": "Citizen_ID",
    "full_name": "Full_Name",
    "review_status": "Review_Status ",
    "status": "STATUS",
    "dob": "DOB",
    "gender": "Gender",
}
ENUM_VI = {
    "vehicle_type": {
        "motorbike": "Xe máy",
        "car": "Ô tô",
        "moped": "Xe gắn máy",
        "e-bike": "Xe máy điện",
        "other": "Khác",
    },
    "owner_kind": {"individual": "Cá nhân", "organization": "Tổ chức"},
    "kind": {"vehicle": "Phương tiện", "licence": "GPLX"},
    "review_status": {"pending": "Chờ duyệt", "approved": "Đã duyệt", "rejected": "Từ chối"},
    "declared_status": {
        "in_use": "Đang sử dụng",
        "transferred": "Đã chuyển nhượng",
        "scrapped": "Đã thanh lý",
        "lost": "Bị mất",
    },
    "status": {"alive": "Còn sống", "deceased": "Đã chết"},
    "gender": {"male": "Nam", "female": "Nữ"},
    "org_type": {
        "enterprise": "Doanh nghiệp",
        "business_household": "Hộ kinh doanh",
        "industrial_park": "Khu công nghiệp",
        "school": "Trường học",
        "hospital": "Bệnh viện",
        "agency": "Cơ quan",
    },
    "worked_directly": {"yes": "Có", "no": "Không"},
}
UNIT_REPORT_HEADERS_VI = [
    "STT",
    "Ngày báo cáo",
    "Đơn vị",
    "Số xe thu thập",
    "Số xe đã duyệt",
    "Số GPLX thu thập",
    "Số GPLX đã làm sạch",
]


def fold_ascii(text: str) -> str:
    from synth.world import ascii_fold_keep_case

    return ascii_fold_keep_case(text)


def header_names(source: str, fmt: Format) -> dict[str, str]:
    cols = COLUMNS[source]
    if fmt.headers == "canonical":
        return {c: c for c in cols}
    if fmt.headers == "odd":
        return {c: ODD.get(c, c) for c in cols}
    vi = HEADERS_VI.get(source, {})
    names = {c: vi.get(c, c) for c in cols}
    if fmt.headers == "vi_ascii":
        names = {c: fold_ascii(v) for c, v in names.items()}
    return names


def enum(values: np.ndarray, column: str, lang: str) -> np.ndarray:
    if lang != "vi" or column not in ENUM_VI:
        return values
    mapping = ENUM_VI[column]
    s = pd.Series(values, dtype=object)
    return (
        s.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v).to_numpy(dtype=object)
        if len(s) < 1000
        else _map_many(s, mapping)
    )


def _map_many(s: pd.Series, mapping: dict) -> np.ndarray:
    mapped = s.map(mapping)
    return mapped.where(mapped.notna(), s).to_numpy(dtype=object)


def timestamps(t: np.ndarray, style: str):
    """Render seconds-since-epoch as the file's datetime style (native = datetime64)."""
    ts = EPOCH + np.asarray(t, dtype=np.int64).astype("timedelta64[s]")
    if style == "native":
        return ts
    days = ts.astype("datetime64[D]")
    secs = (ts - days).astype(np.int64)
    hh, mm, ss = secs // 3600, secs // 60 % 60, secs % 60
    from synth.common import ISO, cat

    d = format_dates(days, ISO if style == "iso" else DMY)
    return cat(d, " ", zfill_text(hh, 2), ":", zfill_text(mm, 2), ":", zfill_text(ss, 2))


class Writer:
    """Writes files and remembers, per source file, the row_key at each source_row."""

    def __init__(self, out_dir: Path, header: bool = True) -> None:
        self.out = out_dir
        self.header = header  # False: CSV rows continue a file an earlier slice began
        self.positions: list[pd.DataFrame] = []
        self.files: list[dict] = []

    def table(
        self, source: str, delivery: str, frame: pd.DataFrame, row_keys: np.ndarray, fmt: Format
    ) -> None:
        names = header_names(source, fmt)
        df = frame[list(names)].rename(columns=names)
        rel = f"{delivery}/{source}.{fmt.ext}"
        path = self.out / rel
        if fmt.ext == "parquet":
            files.write_parquet(df, path)
            first_row = 2  # like a CSV: the header counts as row 1
        elif fmt.ext in ("csv", "csv.gz"):
            files.write_csv(
                df,
                path,
                encoding=fmt.encoding,
                sep=fmt.sep,
                gz=fmt.ext == "csv.gz",
                header=self.header,
            )
            first_row = 2
        else:
            sheet = _titled_sheet(source, delivery, df)
            write_workbook(path, [sheet])
            first_row = sheet.header_row + 1
        self.record(source, rel, row_keys, first_row)

    def record(
        self, source: str, rel: str, row_keys: np.ndarray, first_row: int | np.ndarray
    ) -> None:
        """``first_row``: the row of the first key (the others follow it), or each key's row
        (a returned form keeps a blank row for a day the unit left out)."""
        first = first_row if isinstance(first_row, np.ndarray) else int(first_row)
        self.positions.append((source, rel, np.asarray(row_keys, np.int64), first))
        self.files.append({"source": source, "file": rel, "rows": len(row_keys)})

    def position_table(self) -> pd.DataFrame:
        """source, source_file, row_key, source_row for every written row."""
        n = [len(p[2]) for p in self.positions]
        return pd.DataFrame(
            {
                "source": np.repeat([p[0] for p in self.positions], n),
                "source_file": np.repeat([p[1] for p in self.positions], n),
                "row_key": np.concatenate([p[2] for p in self.positions]),
                "source_row": np.concatenate(
                    [source_rows(p[3], len(p[2])) for p in self.positions]
                ),
            }
        )


def source_rows(first: int | np.ndarray, n: int) -> np.ndarray:
    """The rows of ``n`` recorded keys: consecutive from ``first``, or as recorded."""
    if isinstance(first, np.ndarray):
        return first.astype(np.int64)
    return first + np.arange(n, dtype=np.int64)


def _titled_sheet(source: str, delivery: str, df: pd.DataFrame) -> Sheet:
    """An organisations workbook as a unit sends it: title block, header, data, no totals."""
    ncol = len(df.columns)
    last = col_letter(ncol - 1)
    d = np.datetime64(delivery)
    top = [
        ["CÔNG AN THÀNH PHỐ HÀ NỘI"] + [None] * (ncol - 1),
        ["PHÒNG CẢNH SÁT GIAO THÔNG"] + [None] * (ncol - 1),
        [],
        ["DANH SÁCH CƠ QUAN, DOANH NGHIỆP, TRƯỜNG HỌC, BỆNH VIỆN"] + [None] * (ncol - 1),
        [f"(Số liệu đến ngày {format_dates(np.array([d]), DMY)[0]})"] + [None] * (ncol - 1),
        [],
    ]
    kinds = {c: "text" for c in df.columns}
    return Sheet(
        name="Danh sach" if source == "organizations" else source,
        top=top,
        top_styles=[STYLE_TITLE] * 6,
        header=list(df.columns),
        data=df.reset_index(drop=True),
        kinds=kinds,
        merges=[f"A1:{last}1", f"A2:{last}2", f"A4:{last}4", f"A5:{last}5"],
        widths=[16, 44, 18, 20, 18, 14, 14, 14][:ncol],
    )


def delivery_days(delivery: str) -> np.ndarray:
    """Days a delivery's unit reports cover: the peak start (or day after the previous one)."""
    i = DELIVERIES.index(delivery)
    first = np.datetime64("2025-11-10") if i == 0 else np.datetime64(DELIVERIES[i - 1]) + 1
    return np.arange(first, np.datetime64(delivery) + 1)


def day_index(t: np.ndarray) -> np.ndarray:
    return EPOCH.astype("datetime64[D]") + (np.asarray(t, np.int64) // DAY).astype("timedelta64[D]")
