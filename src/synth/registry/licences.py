"""Driving-licence registry records, as delivered: classes, the difficult categories
of the published figures, extra rejected rows and copies, with their faults.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth import world as wd
from synth.common import (
    DMY,
    ISO,
    WHOLE,
    Faults,
    Part,
    allocate,
    cat,
    compact,
    format_dates,
    pick_exact,
    take,
    unique_draw,
    where_text,
    zfill_int,
    zfill_text,
)
from synth.registry.records import (
    DUPLICATE_ROW_RATE,
    FIRST,
    RECORD_NUMBERS,
    draw_styles,
    log_person_faults,
    person_block,
    pick_adults,
)

LICENCE_CLASSES = {  # class: share
    "A1": 0.40,
    "A": 0.04,
    "B1": 0.02,
    "B": 0.05,
    "C1": 0.015,
    "C": 0.015,
    "D1": 0.003,
    "D2": 0.003,
    "D": 0.004,
    "BE": 0.002,
    "C1E": 0.002,
    "CE": 0.003,
    "D1E": 0.001,
    "D2E": 0.001,
    "DE": 0.001,
    "A2": 0.03,
    "A3": 0.004,
    "A4": 0.004,
    "B2": 0.30,
    "E": 0.02,
    "FB2": 0.01,
    "FC": 0.04,
    "FD": 0.004,
    "FE": 0.002,
}
NEW_CLASSES = {
    "A1",
    "A",
    "B1",
    "B",
    "C1",
    "C",
    "D1",
    "D2",
    "D",
    "BE",
    "C1E",
    "CE",
    "D1E",
    "D2E",
    "DE",
}
NO_EXPIRY = {"A1", "A", "A2", "A3"}
# The licence records that are NOT cleaned by 2025-11-23, at full city scale (130,359 records,
# 130,266 cleaned): one exact count per reason, so a correct reconciliation reports exactly the
# published figure. Scaled runs use round(count * n_licences / 130,359) per reason.
LICENCES_CITY = 130_359
LICENCES_CLEANED_CITY = 130_266
LICENCE_NOT_CLEAN_CITY = {
    "duplicate_registry_record": 12,
    "invalid_holder_id": 9,
    "id_not_in_population": 6,
    "holder_deceased": 8,
    "identity_mismatch": 14,
    "pending_review": 22,
    "rejected_awaiting_resubmission": 9,
    "not_submitted": 13,
}
LICENCE_TOLERATED_NAME = {k: v for k, v in wd.NAME_FAULT_RATES.items() if k != "name_other_person"}
LICENCE_EXTRA_REJECT = {  # extra rows (not among the assigned records), share of records
    "blank_licence_no": 0.001,
    "invalid_licence_no": 0.001,
    "invalid_licence_class": 0.0008,
    "unknown_unit": 0.001,
    "invalid_issued_on": 0.0006,
}


def licence_categories(n: int) -> dict[str, int]:
    """Records per difficult reason for ``n`` licence records (the city's shares, rounded)."""
    f = n / LICENCES_CITY
    return {k: int(round(v * f)) for k, v in LICENCE_NOT_CLEAN_CITY.items()}


def make_licences(
    rng,
    n: int,
    units: wd.Units,
    people: pd.DataFrame,
    pools: dict,
    faults: Faults,
    part: Part = WHOLE,
    cats: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Licence registry rows; the difficult records are placed in exact numbers per reason.

    ``cats`` overrides the counts per reason (a slice gets its share of the city's counts).
    """
    cats = licence_categories(n) if cats is None else cats
    n_new = int(round(0.003 * n))
    n_all = n + n_new
    uw = units.frame["weight"].to_numpy()
    unit_idx = np.concatenate(
        [
            np.repeat(np.arange(len(uw)), allocate(n, uw)),
            rng.choice(len(uw), n_new, p=uw / uw.sum()),
        ]
    )
    category = np.full(n_all, "clean", dtype=object)
    perm = rng.permutation(n)
    pos = 0
    for k, c in cats.items():
        category[perm[pos : pos + c]] = k
        pos += c
    category[n:] = "new_in_update"
    is_dup = category == "duplicate_registry_record"
    alive_adult = (
        people["resident"].to_numpy()
        & (people["age"].to_numpy() >= 18)
        & np.isnat(people["died_on"].to_numpy())
    )
    # holders: alive adults of the unit (one licence each), re-drawn where dead
    pid = pick_adults(rng, people, unit_idx)
    for _ in range(30):
        bad = ~alive_adult[pid]
        if not bad.any():
            break
        pid[bad] = pick_adults(rng, people, unit_idx[bad])
    pid = _distinct_people(rng, pid, people, unit_idx, alive_adult)
    outsiders = np.flatnonzero(~people["resident"].to_numpy())
    sel = np.flatnonzero(category == "id_not_in_population")
    pid[sel] = rng.choice(outsiders, len(sel), replace=False)
    dead_adults = np.flatnonzero(
        people["resident"].to_numpy()
        & (people["age"].to_numpy() >= 18)
        & (people["died_on"].to_numpy() < np.datetime64(FIRST))
    )
    sel = np.flatnonzero(category == "holder_deceased")
    pid[sel] = rng.choice(dead_adults, len(sel), replace=False)

    # the submissions' licence typo rewrites the last two digits: the rest names the slice
    lic_no_int = part.expand(unique_draw(rng, n_all, part.span(10**10, 100)), 100)
    licence_no = cat("01", zfill_text(lic_no_int, 10))
    dup_rows = np.flatnonzero(is_dup)
    clean_rows = np.flatnonzero(category == "clean")
    originals = rng.choice(clean_rows, len(dup_rows), replace=False)
    licence_no[dup_rows] = licence_no[originals]
    unit_idx[dup_rows] = unit_idx[originals]
    pid[dup_rows] = pid[originals]
    classes = np.array(list(LICENCE_CLASSES), dtype=object)
    cp = np.array(list(LICENCE_CLASSES.values()))
    lclass = classes[rng.choice(len(classes), n_all, p=cp / cp.sum())]
    lclass[dup_rows] = lclass[originals]
    new_cls = np.isin(lclass, list(NEW_CLASSES))
    issued = np.where(
        new_cls & (rng.random(n_all) < 0.25),
        np.datetime64("2025-01-02") + rng.integers(0, 300, n_all),
        np.datetime64("1996-01-01") + rng.integers(0, 10_500, n_all),
    ).astype("datetime64[D]")
    issued[n:] = np.datetime64("2025-11-12") + rng.integers(0, 20, n_new)
    years = np.where(lclass == "B2", 10, 5)
    expires = issued + (years * 365.25).astype(np.int64)
    no_exp = np.isin(lclass, list(NO_EXPIRY))

    ids_num = np.arange(n_all, dtype=np.int64)
    order = rng.permutation(n)
    ids_num[:n] = order
    # a duplicate's number must be larger than its original's
    swap = ids_num[dup_rows] < ids_num[originals]
    a, b = ids_num[originals[swap]].copy(), ids_num[dup_rows[swap]].copy()
    ids_num[originals[swap]], ids_num[dup_rows[swap]] = b, a
    first_id = part.offset(RECORD_NUMBERS)
    record_id = cat("GP", zfill_text(ids_num + first_id + 1, 8))

    individual = np.ones(n_all, dtype=bool)
    clean_only = ~np.isin(category, ["invalid_holder_id", "identity_mismatch"])
    person = person_block(
        rng,
        people,
        pid,
        individual,
        ~is_dup,
        pools,
        LICENCE_TOLERATED_NAME,
        {"id_dropped_zeros": 0.04},
        {"dob_day_month_swapped": 0.0, "dob_other_date": 0.0},
        clean_only,
    )
    # designated difficult records
    sel = np.flatnonzero(category == "invalid_holder_id")
    person.loc[sel, "id"] = zfill_int(rng.integers(10_000_000, 999_999_999, len(sel)), 9)
    person.loc[sel, "id_fault"] = "id_cmnd"
    sel = np.flatnonzero(category == "identity_mismatch")
    half = sel[: len(sel) // 2]
    rest = sel[len(sel) // 2 :]
    if len(half):
        d2, _ = wd.apply_name_faults(
            rng, people, pid[half], np.arange(len(half)), pools, {"name_other_person": 1.0}
        )
        person.loc[half, "name"] = d2
        person.loc[half, "name_fault"] = "name_other_person"
    if len(rest):
        # birth date of another year: a plain dob mismatch
        true = take(people["dob"], pid[rest])
        y, m, d = wd.ymd(true)
        dd = wd.make_dates(y - 3, m, np.minimum(d, 28))
        person.loc[rest, "dob"] = format_dates(dd, DMY)
        person.loc[rest, "dob_fault"] = "dob_other_date"
        person.loc[rest, "dob_style"] = DMY
        person.loc[rest, "name"] = take(people["full_name"], pid[rest])
        person.loc[rest, "name_fault"] = None
    for col in ("name", "id", "dob"):
        person.loc[dup_rows, col] = person[col].to_numpy()[originals]

    rows = pd.DataFrame(
        {
            "record_id": record_id,
            "category": category,
            "is_dup_record": is_dup,
            "new_in_update": category == "new_in_update",
            "unit_idx": unit_idx,
            "licence_no": licence_no,
            "licence_class": lclass,
            "pid": pid,
            "d_record_id": record_id,
            "d_unit_code": wd.spell_units(rng, units, unit_idx),
            "d_licence_no": licence_no,
            "d_licence_class": lclass,
            "d_holder_name": person["name"].to_numpy(),
            "d_holder_id": person["id"].to_numpy(),
            "d_holder_dob": person["dob"].to_numpy(),
            "d_issued_on": format_dates(issued, draw_styles(rng, n_all, {DMY: 0.85, ISO: 0.15})),
            "d_expires_on": where_text(no_exp, "", format_dates(expires, DMY)),
            "name_fault": person["name_fault"].to_numpy(),
            "id_fault": person["id_fault"].to_numpy(),
            "dob_fault": person["dob_fault"].to_numpy(),
            "dob_style": person["dob_style"].to_numpy(),
            "reject": None,
        }
    )
    rows["reject"] = rows["reject"].astype(object)
    extra = _licence_extra_rows(rng, rows, n, units, first_id)
    rows = pd.concat([rows, extra], ignore_index=True)
    rows = rows.sort_values("record_id", kind="stable", ignore_index=True)
    rows["is_copy"] = False
    rows = _licence_copies(rng, rows)
    _log_licence_faults(rows, people, faults)
    return compact(rows)


def _distinct_people(rng, pid, people, unit_idx, alive_adult) -> np.ndarray:
    """One licence per person: re-draw repeated holders (a few rounds)."""
    for _ in range(10):
        _, first = np.unique(pid, return_index=True)
        rep = np.ones(len(pid), dtype=bool)
        rep[first] = False
        if not rep.any():
            break
        pid[rep] = pick_adults(rng, people, unit_idx[rep])
        bad = ~alive_adult[pid]
        pid[bad] = pick_adults(rng, people, unit_idx[bad])
    return pid


def _licence_extra_rows(
    rng, rows: pd.DataFrame, n: int, units: wd.Units, first_id: int = 0
) -> pd.DataFrame:
    parts = []
    next_id = first_id + n + int(round(0.003 * n)) + 1
    unknown = wd.unknown_unit_names()
    for k, rate in LICENCE_EXTRA_REJECT.items():
        c = int(round(rate * n))
        if not c:
            continue
        src = rows.iloc[rng.choice(n, c, replace=False)].copy()
        src["category"] = "rejected_row"
        src["reject"] = k
        src["name_fault"] = None
        src["id_fault"] = None
        src["dob_fault"] = None
        src["dob_style"] = DMY
        rid = cat("GP", zfill_text(np.arange(next_id, next_id + c), 8))
        next_id += c
        src["record_id"] = rid
        src["d_record_id"] = rid
        src["licence_no"] = None
        if k == "blank_licence_no":
            src["d_licence_no"] = ""
        elif k == "invalid_licence_no":
            src["d_licence_no"] = pd.Series(src["d_licence_no"]).str.slice(0, 9).to_numpy()
        elif k == "invalid_licence_class":
            src["d_licence_class"] = np.array(["Z9", "B3", "A0"], dtype=object)[
                rng.integers(0, 3, c)
            ]
        elif k == "unknown_unit":
            src["d_unit_code"] = unknown[rng.integers(0, len(unknown), c)]
        elif k == "invalid_issued_on":
            src["d_issued_on"] = cat("31/02/", rng.integers(2005, 2024, c).astype(str))
        parts.append(src)
    return pd.concat(parts, ignore_index=True) if parts else rows.iloc[:0]


def _licence_copies(rng, rows: pd.DataFrame) -> pd.DataFrame:
    elig = np.flatnonzero(rows["reject"].isna().to_numpy() & ~rows["new_in_update"].to_numpy())
    src = pick_exact(rng, elig, DUPLICATE_ROW_RATE)
    copies = rows.iloc[src].copy()
    copies["is_copy"] = True
    copies["reject"] = "duplicate_key"
    out = pd.concat([rows, copies], ignore_index=True)
    out["_pos"] = np.concatenate(
        [np.arange(len(rows), dtype=float), src + rng.integers(1, 200, len(src)) + 0.5]
    )
    out = out.sort_values("_pos", kind="stable", ignore_index=True).drop(columns="_pos")
    out["row_key"] = np.arange(len(out), dtype=np.int64)
    return out


LICENCE_REJECT_REASON = {
    "blank_licence_no": ("licence_no", "missing_required"),
    "invalid_licence_no": ("licence_no", "invalid_licence_no"),
    "invalid_licence_class": ("licence_class", "invalid_licence_class"),
    "unknown_unit": ("unit_code", "unknown_unit"),
    "invalid_issued_on": ("issued_on", "invalid_date"),
    "duplicate_key": ("record_id", "duplicate_key"),
}


def _log_licence_faults(rows: pd.DataFrame, people: pd.DataFrame, faults: Faults) -> None:
    src = "registry_licences"
    key = rows["row_key"].to_numpy()
    for k, (col, reason) in LICENCE_REJECT_REASON.items():
        m = (rows["reject"] == k).to_numpy()
        faults.add(src, key[m], col, k, take(rows[f"d_{col}"], m), None, "rejected", reason)
    ok = rows["reject"].isna().to_numpy() & ~rows["is_dup_record"].to_numpy()
    log_person_faults(faults, src, rows[ok], "holder", people)
