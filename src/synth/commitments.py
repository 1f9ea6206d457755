"""Commitments of unit commanders (the optional source ``commitments``), per delivery.

From the second conference on, the commanders of the units furthest behind at a conference
(the fewest vehicle approvals for their size) commit to a number of vehicle records cleaned by a date; the commitments
given at the conference the day after delivery k appear in delivery k+1. The file is a
register: each delivery that holds it holds every commitment so far. Every third conference
asks for none, so some deliveries carry no file (which is normal). Targets are set from the
system's own figures so that some commitments are met and some missed (the design is kept in
the truth, ``commitments.parquet``); a commitment whose by-date lies after a week is on course
or behind that week. A few rows are faulty (each logged with its expected reject reason).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synth import deliver as dv
from synth import files
from synth import world as wd
from synth.campaign import DELIVERIES
from synth.common import Faults

PER_CONFERENCE = 4  # laggards named at a conference who commit
CLEANED_PER_APPROVED = 0.85  # records cleaned per approved submission (identity checks, repeats)
FACTOR = {"meet": 0.5, "miss": 2.0}  # share of the expected gain the target asks for
COLUMNS = ["unit_code", "measure", "target", "by_date", "given_on", "commitment_text", "commander"]
HEADERS_VI = {
    "unit_code": "Đơn vị",
    "measure": "Chỉ tiêu cam kết",
    "target": "Con số cam kết",
    "by_date": "Hoàn thành trước ngày",
    "given_on": "Ngày cam kết",
    "commitment_text": "Nội dung cam kết",
    "commander": "Chỉ huy đơn vị",
}
SPELLINGS = {
    "vi": {"veh_cleaned": "Số xe làm sạch", "lic_cleaned": "Số GPLX làm sạch"},
    "en": {"veh_cleaned": "vehicle records cleaned", "lic_cleaned": "licence records cleaned"},
}
RANKS = ("Thiếu tá", "Trung tá", "Đại úy")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
GIVEN = ("Văn Hùng", "Đức Minh", "Quang Huy", "Thị Lan", "Mạnh Cường", "Thanh Tùng")


def _conferences(deliveries: tuple[str, ...]) -> list[int]:
    """Indices k of the deliveries whose conference (the day after) takes commitments: from
    the second conference on, every third one excepted, and never after the last delivery."""
    return [k for k in range(1, len(deliveries) - 1) if k % 3 != 0]


def _cumulative(reports: pd.DataFrame, column: str, n_units: int, days: np.ndarray) -> np.ndarray:
    """System figure ``column`` summed per unit through each day of ``days`` (units x days)."""
    d0 = days[0]
    idx = (reports["report_date"].to_numpy().astype("datetime64[D]") - d0).astype(np.int64)
    ok = (idx >= 0) & (idx < len(days))
    grid = np.zeros((n_units, len(days)))
    np.add.at(
        grid,
        (reports["unit_idx"].to_numpy()[ok], idx[ok]),
        reports[column].to_numpy()[ok].astype(float),
    )
    return grid.cumsum(axis=1)


def make_commitments(
    rng: np.random.Generator,
    reports: pd.DataFrame,
    units: wd.Units,
    faults: Faults,
    deliveries: tuple[str, ...] = DELIVERIES,
) -> pd.DataFrame:
    """Every commitment row of the campaign (with the delivery that first carries it), the
    faulty rows logged in ``faults``."""
    uf = units.frame
    n = len(uf)
    days = np.arange(np.datetime64("2025-11-10"), np.datetime64(deliveries[-1]) + 1)
    col = {"veh_cleaned": "system_vehicles_approved"}
    cum = {m: _cumulative(reports, c, n, days) * CLEANED_PER_APPROVED for m, c in col.items()}
    weight = uf["weight"].to_numpy()
    last = len(days) - 1
    rows: list[dict] = []
    named_before: set[int] = set()
    for k in _conferences(deliveries):
        seen = int((np.datetime64(deliveries[k]) - days[0]).astype(int))
        progress = cum["veh_cleaned"][:, seen] / weight
        order = [i for i in np.argsort(progress, kind="stable") if i not in named_before]
        chosen = order[:PER_CONFERENCE]
        named_before = set(chosen)
        given = np.datetime64(deliveries[k]) + 1
        lang = "vi" if k % 2 else "en"
        for j, u in enumerate(chosen):
            # vehicle records: licences are nearly all clean from the start (the reports)
            measure = "veh_cleaned"
            design = "meet" if (j + k) % 2 else "miss"
            by = min(given + int(rng.choice([6, 13])), days[last])
            g, b = int((given - 1 - days[0]).astype(int)), int((by - days[0]).astype(int))
            then, later = cum[measure][u, g], cum[measure][u, b]
            target = max(int(round(then + FACTOR[design] * (later - then))), int(then) + 10)
            rows.append(
                {
                    "unit_idx": u,
                    "delivery": deliveries[k + 1],
                    "lang": lang,
                    "measure": measure,
                    "target": target,
                    "given": given,
                    "by": by,
                    "design": design,
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    uf_code = uf["unit_code"].to_numpy()
    uf_name = uf["unit_name"].to_numpy()
    table["unit_code"] = uf_code[table["unit_idx"].to_numpy()]
    table["d_unit_code"] = np.where(
        table["lang"] == "vi", uf_name[table["unit_idx"].to_numpy()], table["unit_code"]
    )
    table["d_measure"] = [
        SPELLINGS[lang][m] for lang, m in zip(table["lang"], table["measure"], strict=True)
    ]
    table["d_target"] = table["target"].astype(str)
    table["d_given_on"] = pd.to_datetime(table["given"]).dt.strftime("%d/%m/%Y")
    table["d_by_date"] = pd.to_datetime(table["by"]).dt.strftime("%d/%m/%Y")
    what = {"veh_cleaned": "hồ sơ xe", "lic_cleaned": "hồ sơ GPLX"}
    table["d_commitment_text"] = [
        f"Đến {b} làm sạch đạt {t} {what[m]}"
        for b, t, m in zip(table["d_by_date"], table["d_target"], table["measure"], strict=True)
    ]
    table["d_commander"] = [
        f"{RANKS[i % 3]} {FAMILY[i % len(FAMILY)]} {GIVEN[(i * 5) % len(GIVEN)]}"
        for i in table["unit_idx"]
    ]
    table["fault"] = None
    table = _with_faults(table)
    table["row_key"] = np.arange(len(table), dtype=np.int64)
    _log_faults(table, faults)
    return table


def _with_faults(table: pd.DataFrame) -> pd.DataFrame:
    """A few bad rows in the first register: an old unit name, a measure outside the
    vocabulary, a target in words, a by-date before the date given, a row sent twice and a
    commitment repeated with another figure."""
    first = table[table["delivery"] == table["delivery"].min()]
    base = first.iloc[0].to_dict()
    bad = []
    for kind, change in (
        ("unknown_unit", {"d_unit_code": "Phường Kim Mã"}),
        ("unknown_measure", {"d_measure": "Tuyên truyền, vận động"}),
        # other measures than the row they copy: each keeps a key of its own
        ("invalid_target", {"d_measure": "Số GPLX làm sạch", "d_target": "khoảng 500 hồ sơ"}),
        ("by_date_before_given", {"d_measure": "Hồ sơ chờ duyệt", "d_by_date": "20/11/2025"}),
    ):
        bad.append({**base, **change, "fault": kind})
    twice = first.iloc[1].to_dict()
    bad.append({**twice, "fault": "duplicate_row"})
    clash = first.iloc[2].to_dict()
    bad.append({**clash, "d_target": str(int(clash["target"]) + 300), "fault": "conflicting_rows"})
    out = pd.concat([table, pd.DataFrame(bad)], ignore_index=True)
    # the repeated commitment's first row is a fault as well (neither counts)
    out.loc[
        (out.index < len(table))
        & (out["unit_idx"] == clash["unit_idx"])
        & (out["given"] == clash["given"])
        & (out["measure"] == clash["measure"]),
        "fault",
    ] = "conflicting_rows"
    return out.sort_values(["given", "fault"], kind="stable", na_position="first").reset_index(
        drop=True
    )


def _log_faults(table: pd.DataFrame, faults: Faults) -> None:
    column = {
        "unknown_unit": ("unit_code", "d_unit_code"),
        "unknown_measure": ("measure", "d_measure"),
        "invalid_target": ("target", "d_target"),
        "by_date_before_given": ("by_date", "d_by_date"),
        "duplicate_row": ("unit_code", "d_unit_code"),
        "conflicting_rows": ("unit_code", "d_unit_code"),
    }
    for kind, (col, shown) in column.items():
        m = (table["fault"] == kind).to_numpy()
        faults.add(
            "commitments",
            table["row_key"].to_numpy()[m],
            col,
            kind,
            table[shown].to_numpy(dtype=object)[m],
            None,
            "rejected",
            kind,
        )


def write_commitments(writer: dv.Writer, table: pd.DataFrame, delivery: str) -> None:
    """The register in ``delivery`` when that delivery adds commitments (else no file)."""
    if table.empty or not (table["delivery"] == delivery).any():
        return
    rows = table[table["delivery"] <= delivery]
    lang = rows.loc[rows["delivery"] == delivery, "lang"].iloc[0]
    frame = pd.DataFrame({c: rows[f"d_{c}"].to_numpy(dtype=object) for c in COLUMNS})
    if lang == "vi":
        frame = frame.rename(columns=HEADERS_VI)
    rel = f"{delivery}/commitments.csv"
    files.write_csv(frame, writer.out / rel, encoding="utf-8-sig" if lang == "vi" else "utf-8")
    writer.record("commitments", rel, rows["row_key"].to_numpy(), 2)


def write_truth(truth: Path, table: pd.DataFrame) -> None:
    """The commitments as designed (to be met or missed) and the faulty rows."""
    if table.empty:
        return
    out = table[["unit_code", "measure", "target", "given", "by", "design", "delivery", "fault"]]
    out.rename(columns={"given": "given_on", "by": "by_date"}).to_parquet(
        truth / "commitments.parquet", index=False
    )
