"""Registry records (vehicles, licences) and the NPDB extract, as delivered, with faults.

Each builder returns a frame with one row per delivered row: the delivered text per canonical
column (``d_<column>``), the facts the truth needs (true person, fault labels, reject reason)
and a ``row_key`` the fault log refers to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.synth import world as wd
from helpers.synth.common import (
    DMY,
    DMY_SHORT,
    DMY_YY,
    ISO,
    SERIAL,
    WHOLE,
    YEAR,
    Faults,
    Part,
    allocate,
    cat,
    compact,
    format_dates,
    pick_exact,
    take,
    take_text,
    unique_draw,
    where_text,
    zfill_int,
)

FIRST = "2025-11-17"
UPDATE = "2025-12-07"  # registries re-delivered once, with the records registered since
RECORD_NUMBERS = 10**8  # record IDs are a prefix and 8 digits; slices share the range

VEHICLE_RATES = {
    "duplicate_registry_record": 0.004,  # a second record for the same plate and chassis
    "organization_owned": 0.03,
    "owner_other_unit": 0.08,  # owner lives in another Hanoi unit
    "owner_outside_hanoi": 0.015,  # owner not in the NPDB extract (id_not_in_population)
    "new_in_update": 0.006,  # records first delivered in the 2025-12-07 update
}
ID_FAULT_RATES = {  # individual owners/holders; exclusive
    "id_dropped_zeros": 0.04,
    "id_cmnd": 0.01,
    "id_malformed": 0.003,
    "id_missing": 0.003,
}
VEHICLE_REJECT_RATES = {  # rows; exclusive; a rejected row carries no other fault
    "blank_plate": 0.0008,
    "blank_vehicle_type": 0.0005,
    "blank_unit": 0.0005,
    "blank_owner_kind": 0.0002,
    "unknown_unit": 0.002,
    "invalid_plate": 0.0015,
    "invalid_vehicle_type": 0.001,
}
DUPLICATE_ROW_RATE = 0.001  # exact copies of a row (same record_id) further down the file
DOB_STYLE_P = {DMY: 0.80, ISO: 0.08, SERIAL: 0.04, DMY_SHORT: 0.08}
REG_STYLE_P = {DMY: 0.70, ISO: 0.15, SERIAL: 0.05, DMY_YY: 0.10}

INVALID_PLATES = ("{p}-{n}", "{p}{s}-12", "{s}{n}")
INVALID_VEHICLE_TYPES = np.array(["Tàu thủy", "ZZ", "Máy bay"], dtype=object)


def _styles(rng, n, probs: dict) -> np.ndarray:
    keys = np.array(list(probs))
    p = np.array(list(probs.values()), dtype=float)
    return keys[rng.choice(len(keys), n, p=p / p.sum())]


def _adults_by_unit(people: pd.DataFrame):
    adult = np.flatnonzero(people["resident"].to_numpy() & (people["age"].to_numpy() >= 18))
    unit = people["unit_idx"].to_numpy()[adult]
    starts = np.searchsorted(unit, np.arange(unit.max() + 1))
    ends = np.searchsorted(unit, np.arange(unit.max() + 1), side="right")
    return adult, starts, ends


def pick_adults(rng, people, unit_idx: np.ndarray) -> np.ndarray:
    adult, starts, ends = _adults_by_unit(people)
    size = ends[unit_idx] - starts[unit_idx]
    return adult[starts[unit_idx] + (rng.random(len(unit_idx)) * size).astype(np.int64)]


def assign_record_ids(
    rng, n_rows: int, dup_pairs: tuple[np.ndarray, np.ndarray], prefix: str, offset: int = 0
) -> np.ndarray:
    """Random record numbers, then swapped so a duplicate always has the larger number."""
    num = rng.permutation(n_rows).astype(np.int64)
    orig, dup = dup_pairs
    swap = num[dup] < num[orig]
    a, b = num[orig[swap]].copy(), num[dup[swap]].copy()
    num[orig[swap]], num[dup[swap]] = b, a
    return cat(prefix, zfill_int(num + offset + 1, 8))


def id_faults(rng, true_id: np.ndarray, eligible: np.ndarray, rates: dict, outsiders: np.ndarray):
    """Delivered ID text and fault kind per position (individuals only)."""
    delivered = true_id.copy()
    kind = np.full(len(true_id), None, dtype=object)
    perm = rng.permutation(eligible)
    pos = 0
    for k, rate in rates.items():
        c = int(round(rate * len(eligible)))
        sel = perm[pos : pos + c]
        pos += c
        kind[sel] = k
        if k == "id_dropped_zeros":
            delivered[sel] = pd.Series(true_id[sel]).str.lstrip("0").to_numpy(dtype=object)
        elif k == "id_cmnd":
            delivered[sel] = zfill_int(rng.integers(10_000_000, 999_999_999, len(sel)), 9)
        elif k == "id_malformed":
            t = pd.Series(true_id[sel], dtype="string")
            delivered[sel] = (t.str.slice(0, 6) + "O" + t.str.slice(7)).to_numpy(dtype=object)
        elif k == "id_missing":
            delivered[sel] = ""
    del outsiders
    return delivered, kind


ID_FAULT_EXPECT = {
    "id_dropped_zeros": ("repaired", None),
    "id_cmnd": ("flagged", "cmnd"),
    "id_malformed": ("flagged", "invalid"),
    "id_missing": ("flagged", "missing"),
}
NAME_FAULT_EXPECT = {  # outcome, expected identity
    "name_other_person": ("flagged", "name_mismatch"),
    "name_typo": ("flagged", "match_name_typo"),
    "name_middle_swapped": ("flagged", "match_middle_swapped"),
    "name_no_diacritics": ("flagged", "match"),
    "name_upper_case": ("repaired", "match"),
    "name_stray_spaces": ("repaired", "match"),
    "name_nfd": ("repaired", "match"),
}


def log_person_faults(
    faults: Faults, source: str, rows: pd.DataFrame, col_prefix: str, people: pd.DataFrame
) -> None:
    """Record the id/name/dob faults of an owner/holder block in the fault log."""
    key = rows["row_key"].to_numpy()
    pid = rows["pid"].to_numpy()
    true_id = np.where(pid >= 0, take(people["citizen_id"], np.maximum(pid, 0)), None)
    true_name = np.where(pid >= 0, take(people["full_name"], np.maximum(pid, 0)), None)
    true_dob = take(people["dob"], np.maximum(pid, 0))
    for k, (outcome, exp) in ID_FAULT_EXPECT.items():
        m = (rows["id_fault"] == k).to_numpy()
        faults.add(
            source,
            key[m],
            f"{col_prefix}_id",
            k,
            take(rows[f"d_{col_prefix}_id"], m),
            true_id[m],
            outcome,
            expected=true_id[m] if outcome == "repaired" else exp,
            identity=None if outcome == "repaired" else "invalid_id",
        )
    for k, (outcome, ident) in NAME_FAULT_EXPECT.items():
        m = (rows["name_fault"] == k).to_numpy()
        if not m.any():
            continue
        exp = None
        if outcome == "repaired":
            exp = (
                pd.Series(true_name[m], dtype="string").str.normalize("NFC").to_numpy(dtype=object)
            )
        faults.add(
            source,
            key[m],
            f"{col_prefix}_name",
            k,
            take(rows[f"d_{col_prefix}_name"], m),
            true_name[m],
            outcome,
            expected=exp,
            identity=ident,
        )
    iso_true = format_dates(true_dob, ISO)
    for k, ident in (
        ("dob_day_month_swapped", "dob_day_month_swapped"),
        ("dob_other_date", "dob_mismatch"),
    ):
        m = (rows["dob_fault"] == k).to_numpy()
        faults.add(
            source,
            key[m],
            f"{col_prefix}_dob",
            k,
            take(rows[f"d_{col_prefix}_dob"], m),
            iso_true[m],
            "flagged",
            identity=ident,
        )
    m = (rows["dob_style"] == SERIAL).to_numpy() & (rows["dob_fault"].isna().to_numpy())
    m &= rows[f"d_{col_prefix}_dob"].to_numpy() != ""
    faults.add(
        source,
        key[m],
        f"{col_prefix}_dob",
        "excel_serial_date",
        take(rows[f"d_{col_prefix}_dob"], m),
        iso_true[m],
        "repaired",
        expected=iso_true[m],
    )


def person_block(
    rng,
    people: pd.DataFrame,
    pid: np.ndarray,
    individual: np.ndarray,
    fault_ok: np.ndarray,
    pools: dict,
    name_rates: dict,
    id_rates: dict,
    dob_rates: dict,
    clean_only: np.ndarray | None = None,
) -> pd.DataFrame:
    """Delivered owner/holder text (name, id, dob) for rows; faults on ``individual`` rows.

    ``clean_only`` marks rows that may only receive tolerated faults (no identity-changing or
    id-invalidating fault): used for licences, whose difficult groups are placed exactly.
    """
    n = len(pid)
    ok = np.flatnonzero(individual & fault_ok)
    if clean_only is None:
        clean_only = np.zeros(n, dtype=bool)
    free = ok[~clean_only[ok]]
    p = np.maximum(pid, 0)
    outsider = ~people["resident"].to_numpy()[p]
    name_d, name_k = wd.apply_name_faults(
        rng,
        people,
        p,
        ok,
        pools,
        {k: (v if k not in ("name_other_person",) else 0.0) for k, v in name_rates.items()},
    )
    # identity-changing name faults only where allowed
    other_rate = name_rates.get("name_other_person", 0.0)
    cand = free[name_k[free] == None]  # noqa: E711  (object array: elementwise None test)
    sel = pick_exact(rng, cand, other_rate * len(ok) / max(len(cand), 1))
    if len(sel):
        d2, _ = wd.apply_name_faults(
            rng, people, p[sel], np.arange(len(sel)), pools, {"name_other_person": 1.0}
        )
        name_d[sel] = d2
        name_k[sel] = "name_other_person"
    true_id = take_text(people["citizen_id"], p)
    id_d, id_k = id_faults(
        rng, true_id, ok, {"id_dropped_zeros": id_rates.get("id_dropped_zeros", 0.0)}, outsider
    )
    rest_rates = {k: v for k, v in id_rates.items() if k != "id_dropped_zeros"}
    cand = free[id_k[free] == None]  # noqa: E711
    d3, k3 = id_faults(
        rng,
        true_id[cand],
        np.arange(len(cand)),
        {k: v * len(ok) / max(len(cand), 1) for k, v in rest_rates.items()},
        outsider,
    )
    hit = k3 != None  # noqa: E711
    id_d[cand[hit]] = d3[hit]
    id_k[cand[hit]] = k3[hit]

    true_dob = take(people["dob"], p)
    year_only = people["year_only"].to_numpy()[p]
    swap_ok = free[~year_only[free] & ~outsider[free]]
    dob_d, dob_k = wd.dob_with_faults(
        rng,
        true_dob,
        swap_ok,
        free,
        dob_rates,
        exclude=np.flatnonzero(name_k == "name_other_person"),
    )
    style = _styles(rng, n, DOB_STYLE_P)
    dob_txt = format_dates(dob_d, style)
    dob_txt = where_text(individual, dob_txt, "")
    name_d = where_text(individual, name_d, None)
    id_d = where_text(individual, id_d, None)
    return pd.DataFrame(
        {
            "pid": np.where(individual, pid, -1),
            "name": name_d,
            "id": id_d,
            "dob": dob_txt,
            "name_fault": np.where(individual, name_k, None),
            "id_fault": np.where(individual, id_k, None),
            "dob_fault": np.where(individual, dob_k, None),
            "dob_style": style,
        }
    )


def make_vehicles(
    rng,
    n_old: int,
    units: wd.Units,
    people: pd.DataFrame,
    orgs: pd.DataFrame,
    pools: dict,
    faults: Faults,
    part: Part = WHOLE,
) -> pd.DataFrame:
    """Vehicle registry rows (first delivery and update), one per delivered row."""
    r = VEHICLE_RATES
    n_dup = int(round(r["duplicate_registry_record"] * n_old))
    n_orig_old = n_old - n_dup
    n_new = int(round(r["new_in_update"] * n_old))
    nv = n_orig_old + n_new  # distinct real vehicles
    uw = units.frame["weight"].to_numpy()
    unit_idx = np.concatenate(
        [
            np.repeat(np.arange(len(uw)), allocate(n_orig_old, uw)),
            rng.choice(len(uw), n_new, p=uw / uw.sum()),
        ]
    )
    vtype = np.array(wd.VEHICLE_TYPES, dtype=object)[rng.choice(5, nv, p=wd.VEHICLE_TYPE_P)]
    key, prefix, series, number = wd.make_plates(rng, vtype, part=part)
    chassis, engine = wd.make_chassis(rng, nv)
    age_y = np.minimum(rng.gamma(2.0, 3.5, nv), 28)
    reg_on = (np.datetime64("2025-10-31") - (age_y * 365.25).astype(np.int64)).astype(
        "datetime64[D]"
    )
    reg_on[n_orig_old:] = np.datetime64("2025-11-10") + rng.integers(0, 25, n_new)

    # owners
    org_owned = rng.random(nv) < r["organization_owned"]
    kind_draw = rng.random(nv)
    other_unit = kind_draw < r["owner_other_unit"]
    outside = (kind_draw >= r["owner_other_unit"]) & (
        kind_draw < r["owner_other_unit"] + r["owner_outside_hanoi"]
    )
    pid = pick_adults(rng, people, unit_idx)
    pid[other_unit] = pick_adults(
        rng, people, rng.choice(len(uw), int(other_unit.sum()), p=uw / uw.sum())
    )
    outsiders = np.flatnonzero(~people["resident"].to_numpy())
    pid[outside] = rng.choice(outsiders, int(outside.sum()))
    pid[org_owned] = -1
    org_unit = orgs["unit_idx"].to_numpy()
    owning = np.flatnonzero(orgs["org_type"].to_numpy() != "business_household")
    # an organisation of the vehicle's unit when there is one, otherwise any
    org_pick = owning[rng.integers(0, len(owning), nv)]
    same = np.full(nv, -1)
    order = np.argsort(org_unit[owning], kind="stable")
    ou = org_unit[owning][order]
    st = np.searchsorted(ou, unit_idx)
    en = np.searchsorted(ou, unit_idx, side="right")
    has = en > st
    same[has] = owning[order][st[has] + (rng.random(int(has.sum())) * (en - st)[has]).astype(int)]
    org_idx = np.where(has, same, org_pick)
    org_idx[~org_owned] = -1

    # record rows: originals (old), duplicates of old originals, new records
    dup_src = np.sort(rng.choice(n_orig_old, n_dup, replace=False))
    veh = np.concatenate([np.arange(n_orig_old), dup_src, np.arange(n_orig_old, nv)])
    n_rows_rec = len(veh)
    is_dup = np.zeros(n_rows_rec, dtype=bool)
    is_dup[n_orig_old : n_orig_old + n_dup] = True
    new = np.zeros(n_rows_rec, dtype=bool)
    new[n_orig_old + n_dup :] = True
    n_old_rows = n_orig_old + n_dup
    first_id = part.offset(RECORD_NUMBERS)
    ids_old = assign_record_ids(
        rng, n_old_rows, (dup_src, np.arange(n_orig_old, n_old_rows)), "VR", first_id
    )
    ids_new = cat("VR", zfill_int(np.arange(n_old_rows, n_rows_rec) + first_id + 1, 8))
    record_id = np.concatenate([ids_old, ids_new])

    rows = pd.DataFrame(
        {
            "record_id": record_id,
            "veh": veh,
            "is_dup_record": is_dup,
            "new_in_update": new,
            "unit_idx": unit_idx[veh],
            "vehicle_type": vtype[veh],
            "plate_key": key[veh],
            "p_prefix": prefix[veh],
            "p_series": series[veh],
            "p_number": number[veh],
            "chassis_key": chassis[veh],
            "org_idx": org_idx[veh],
            "owner_kind": np.where(org_owned[veh], "organization", "individual"),
            "pid": pid[veh],
        }
    )
    n = len(rows)
    individual = (rows["owner_kind"] == "individual").to_numpy()

    # reject faults (exclusive) on rows outside duplicate pairs
    in_pair = np.zeros(n, dtype=bool)
    in_pair[dup_src] = True
    in_pair[is_dup] = True
    elig = np.flatnonzero(~in_pair)
    perm = rng.permutation(elig)
    reject = np.full(n, None, dtype=object)
    pos = 0
    for k, rate in VEHICLE_REJECT_RATES.items():
        c = int(round(rate * len(elig)))
        reject[perm[pos : pos + c]] = k
        pos += c
    rej = reject != None  # noqa: E711

    # delivered text
    form = rng.choice(len(wd.PLATE_FORMS), nv, p=wd.PLATE_FORM_P)
    form_row = form[veh]
    form_row[is_dup] = rng.choice(len(wd.PLATE_FORMS), int(is_dup.sum()), p=wd.PLATE_FORM_P)
    form_row[rej] = 0
    plate = wd.plate_text(prefix[veh], series[veh], number[veh], form_row)
    unit_txt = wd.spell_units(rng, units, rows["unit_idx"].to_numpy())
    reg_style = _styles(rng, n, REG_STYLE_P)
    # two-digit years only where the century is beyond doubt (2000 and later)
    reg_style[(reg_style == DMY_YY) & (reg_on[veh] < np.datetime64("2000-01-01"))] = DMY
    reg_txt = format_dates(reg_on[veh], reg_style)
    person = person_block(
        rng,
        people,
        rows["pid"].to_numpy(),
        individual,
        ~rej & ~is_dup,
        pools,
        wd.NAME_FAULT_RATES,
        ID_FAULT_RATES,
        wd.DOB_FAULT_RATES,
    )
    # duplicate records repeat the original's owner text as delivered (a re-entered record),
    # faults included: the truth's identity facts and the fault log follow the text
    src_row = np.searchsorted(np.arange(n), dup_src)
    for c in ("name", "id", "dob", "name_fault", "id_fault", "dob_fault", "dob_style"):
        person.loc[is_dup, c] = person[c].to_numpy()[src_row]
    oi = np.maximum(rows["org_idx"].to_numpy(), 0)
    org_name = take(orgs["org_name"], oi)
    org_id = take(orgs["org_id"], oi)
    owner_name = where_text(individual, person["name"], org_name)
    owner_id = where_text(individual, person["id"], org_id)
    unit_names = units.frame["unit_name"].to_numpy()[rows["unit_idx"].to_numpy()]
    house = rng.integers(1, 300, n)
    lane = rng.integers(1, 400, n)
    group = rng.integers(1, 40, n)
    address = cat(
        "Số ",
        house.astype(str),
        " ngõ ",
        lane.astype(str),
        ", Tổ dân phố ",
        group.astype(str),
        ", ",
        unit_names,
        ", Hà Nội",
    )

    rows["d_record_id"] = record_id
    rows["d_unit_code"] = unit_txt
    rows["d_plate"] = plate
    rows["d_vehicle_type"] = rows["vehicle_type"].to_numpy()
    rows["d_chassis_no"] = chassis[veh]
    rows["d_engine_no"] = engine[veh]
    rows["d_registered_on"] = reg_txt
    rows["d_owner_kind"] = rows["owner_kind"].to_numpy()
    rows["d_owner_name"] = owner_name
    rows["d_owner_id"] = owner_id
    rows["d_owner_dob"] = person["dob"].to_numpy()
    rows["d_owner_address"] = address
    rows["d_note"] = np.where(rng.random(n) < 0.02, "Đã kiểm tra", "")
    for c in ("name_fault", "id_fault", "dob_fault", "dob_style"):
        rows[c] = person[c].to_numpy()
    rows["reject"] = reject
    rows["reg_style"] = reg_style
    rows["plate_form"] = form_row

    # apply reject faults to the delivered text
    unknown = wd.unknown_unit_names()
    for k, col, val in (
        ("blank_plate", "d_plate", ""),
        ("blank_vehicle_type", "d_vehicle_type", ""),
        ("blank_unit", "d_unit_code", ""),
        ("blank_owner_kind", "d_owner_kind", ""),
    ):
        rows.loc[rows["reject"] == k, col] = val
    m = (rows["reject"] == "unknown_unit").to_numpy()
    rows.loc[m, "d_unit_code"] = unknown[rng.integers(0, len(unknown), int(m.sum()))]
    m = (rows["reject"] == "invalid_plate").to_numpy()
    p_, s_, n_ = prefix[veh][m], series[veh][m], number[veh][m]
    v = rng.integers(0, 3, int(m.sum()))
    rows.loc[m, "d_plate"] = np.select(
        [v == 0, v == 1], [cat(p_, "-", n_), cat(p_, s_, "-12")], cat(s_, n_)
    )
    m = (rows["reject"] == "invalid_vehicle_type").to_numpy()
    rows.loc[m, "d_vehicle_type"] = INVALID_VEHICLE_TYPES[rng.integers(0, 3, int(m.sum()))]

    rows = _insert_duplicate_rows(rng, rows, rej)
    _log_vehicle_faults(rows, people, faults)
    return compact(rows)


def _insert_duplicate_rows(rng, rows: pd.DataFrame, rejected: np.ndarray) -> pd.DataFrame:
    """File order by record_id, plus exact copies of some rows a little further down."""
    rows = rows.sort_values("record_id", kind="stable", ignore_index=True)
    rows["is_copy"] = False
    rej = rows["reject"].notna().to_numpy()
    elig = np.flatnonzero(~rej & ~rows["new_in_update"].to_numpy())
    src = pick_exact(rng, elig, DUPLICATE_ROW_RATE)
    copies = rows.iloc[src].copy()
    copies["is_copy"] = True
    copies["reject"] = "duplicate_key"
    pos = np.arange(len(rows), dtype=float)
    copies_pos = src + rng.integers(1, 200, len(src)) + 0.5
    out = pd.concat([rows, copies], ignore_index=True)
    out["_pos"] = np.concatenate([pos, copies_pos])
    out = out.sort_values("_pos", kind="stable", ignore_index=True).drop(columns="_pos")
    out["row_key"] = np.arange(len(out), dtype=np.int64)
    del rejected
    return out


REJECT_REASON = {
    "blank_plate": ("plate", "missing_required"),
    "blank_vehicle_type": ("vehicle_type", "missing_required"),
    "blank_unit": ("unit_code", "missing_required"),
    "blank_owner_kind": ("owner_kind", "missing_required"),
    "unknown_unit": ("unit_code", "unknown_unit"),
    "invalid_plate": ("plate", "invalid_plate"),
    "invalid_vehicle_type": ("vehicle_type", "invalid_enum"),
    "duplicate_key": ("record_id", "duplicate_key"),
}


def _log_vehicle_faults(rows: pd.DataFrame, people: pd.DataFrame, faults: Faults) -> None:
    src = "registry_vehicles"
    key = rows["row_key"].to_numpy()
    for k, (col, reason) in REJECT_REASON.items():
        m = (rows["reject"] == k).to_numpy()
        faults.add(src, key[m], col, k, take(rows[f"d_{col}"], m), None, "rejected", reason)
    ok = rows["reject"].isna().to_numpy()
    m = ok & (rows["plate_form"].to_numpy() != 0)
    faults.add(
        src,
        key[m],
        "plate",
        "plate_variant",
        take(rows["d_plate"], m),
        take(rows["plate_key"], m),
        "repaired",
        expected=take(rows["plate_key"], m),
    )
    m = ok & (rows["reg_style"].to_numpy() == SERIAL)
    iso = format_dates(_serial_to_dates(take(rows["d_registered_on"], m)), ISO)
    faults.add(
        src,
        key[m],
        "registered_on",
        "excel_serial_date",
        take(rows["d_registered_on"], m),
        iso,
        "repaired",
        expected=iso,
    )
    ind = ok & (rows["owner_kind"] == "individual").to_numpy()
    sub = rows[ind].rename(columns={"d_owner_id": "d_owner_id", "d_owner_name": "d_owner_name"})
    log_person_faults(faults, src, sub, "owner", people)


def _serial_to_dates(txt: np.ndarray) -> np.ndarray:
    if len(txt) == 0:
        return np.empty(0, dtype="datetime64[D]")
    return np.datetime64("1899-12-30", "D") + np.asarray(txt, dtype=np.int64)


# ---------------------------------------------------------------- licences
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
    licence_no = cat("01", zfill_int(lic_no_int, 10))
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
    record_id = cat("GP", zfill_int(ids_num + first_id + 1, 8))

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
        y, m, d = wd._ymd(true)
        dd = wd._make_dates(y - 3, m, np.minimum(d, 28))
        person.loc[rest, "dob"] = format_dates(dd, DMY)
        person.loc[rest, "dob_fault"] = "dob_other_date"
        person.loc[rest, "dob_style"] = DMY
        person.loc[rest, "name"] = take(people["full_name"], pid[rest])
        person.loc[rest, "name_fault"] = None
    for c in ("name", "id", "dob"):
        person.loc[dup_rows, c] = person[c].to_numpy()[originals]

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
            "d_issued_on": format_dates(issued, _styles(rng, n_all, {DMY: 0.85, ISO: 0.15})),
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
        rid = cat("GP", zfill_int(np.arange(next_id, next_id + c), 8))
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


# ---------------------------------------------------------------- population (NPDB extract)
POPULATION_REJECT_RATES = {  # rows; exclusive; never on licence holders
    "invalid_id": 0.0005,
    "blank_full_name": 0.0003,
    "blank_status": 0.0002,
    "unknown_unit": 0.0003,
    "invalid_dob": 0.0002,
}
POPULATION_TEXT_RATES = {"name_nfd": 0.03, "name_upper_case": 0.03}
POPULATION_REJECT_REASON = {
    "invalid_id": ("citizen_id", "invalid_id"),
    "blank_full_name": ("full_name", "missing_required"),
    "blank_status": ("status", "missing_required"),
    "unknown_unit": ("unit_code", "unknown_unit"),
    "invalid_dob": ("dob", "invalid_date"),
    "duplicate_key": ("citizen_id", "duplicate_key"),
}


def make_population(
    rng, people: pd.DataFrame, units: wd.Units, protected: np.ndarray, faults: Faults
) -> pd.DataFrame:
    """NPDB extract rows (residents only); ``protected`` persons never get a reject fault."""
    res = people[people["resident"]].reset_index(drop=True)
    n = len(res)
    pid = res["pid"].to_numpy()
    prot = np.isin(pid, protected)
    elig = np.flatnonzero(~prot)
    perm = rng.permutation(elig)
    reject = np.full(n, None, dtype=object)
    pos = 0
    for k, rate in POPULATION_REJECT_RATES.items():
        c = int(round(rate * n))
        reject[perm[pos : pos + c]] = k
        pos += c
    name = res["full_name"].to_numpy().copy()
    text_fault = np.full(n, None, dtype=object)
    ok = np.flatnonzero(reject == None)  # noqa: E711
    perm2 = rng.permutation(ok)
    pos = 0
    for k, rate in POPULATION_TEXT_RATES.items():
        c = int(round(rate * len(ok)))
        sel = perm2[pos : pos + c]
        pos += c
        text_fault[sel] = k
        if k == "name_nfd":
            name[sel] = wd.to_nfd(name[sel])
        else:
            name[sel] = pd.Series(name[sel], dtype="string").str.upper().to_numpy(dtype=object)
    dob = res["dob"].to_numpy()
    style = np.where(res["year_only"].to_numpy(), YEAR, _styles(rng, n, {DMY: 0.9, ISO: 0.1}))
    dob_txt = format_dates(dob, style)
    cid = res["citizen_id"].to_numpy().copy()
    unit_txt = wd.spell_units(rng, units, res["unit_idx"].to_numpy(), code_only_share=0.5)
    m = reject == "invalid_id"
    t = pd.Series(cid[m], dtype="string")
    cid[m] = (t.str.slice(0, 6) + "O" + t.str.slice(7)).to_numpy(dtype=object)
    name[reject == "blank_full_name"] = ""
    m = reject == "unknown_unit"
    unknown = wd.unknown_unit_names()
    unit_txt[m] = unknown[rng.integers(0, len(unknown), int(m.sum()))]
    m = reject == "invalid_dob"
    dob_txt[m] = cat("00/00/", take(res["dob"], m).astype("datetime64[Y]").astype(str))
    rows = pd.DataFrame(
        {
            "pid": pid,
            "citizen_id": res["citizen_id"].to_numpy(),
            "female": res["female"].to_numpy(),
            "died_on": res["died_on"].to_numpy(),
            "reject": reject,
            "text_fault": text_fault,
            "d_citizen_id": cid,
            "d_full_name": name,
            "d_dob": dob_txt,
            "d_unit_code": unit_txt,
            "blank_status": reject == "blank_status",
            "is_copy": False,
        }
    )
    # exact copies of some rows (same citizen_id) a little further down
    src = pick_exact(rng, np.flatnonzero((reject == None) & ~prot), 0.0005)  # noqa: E711
    copies = rows.iloc[src].copy()
    copies["is_copy"] = True
    copies["reject"] = "duplicate_key"
    out = pd.concat([rows, copies], ignore_index=True)
    out["_pos"] = np.concatenate(
        [np.arange(n, dtype=float), src + rng.integers(1, 300, len(src)) + 0.5]
    )
    out = out.sort_values("_pos", kind="stable", ignore_index=True).drop(columns="_pos")
    out["row_key"] = np.arange(len(out), dtype=np.int64)
    key = out["row_key"].to_numpy()
    for k, (col, reason) in POPULATION_REJECT_REASON.items():
        m = (out["reject"] == k).to_numpy()
        delivered = take(out[f"d_{col}"], m) if col != "status" else np.full(int(m.sum()), "")
        faults.add("population", key[m], col, k, delivered, None, "rejected", reason)
    for k in POPULATION_TEXT_RATES:
        m = (out["text_fault"] == k).to_numpy() & ~out["is_copy"].to_numpy()
        true = take(people["full_name"], out["pid"].to_numpy()[m])
        faults.add(
            "population",
            key[m],
            "full_name",
            k,
            take(out["d_full_name"], m),
            true,
            "repaired",
            expected=true,
        )
    return compact(out)
