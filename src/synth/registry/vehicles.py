"""Vehicle registry records, as delivered, with their faults and reject reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth import world as wd
from synth.common import (
    DMY,
    DMY_YY,
    ISO,
    SERIAL,
    WHOLE,
    Faults,
    Part,
    allocate,
    cat,
    compact,
    format_dates,
    pick_exact,
    take,
    where_text,
    zfill_text,
)
from synth.registry.records import (
    DUPLICATE_ROW_RATE,
    ID_FAULT_RATES,
    RECORD_NUMBERS,
    REG_STYLE_P,
    assign_record_ids,
    draw_styles,
    log_person_faults,
    person_block,
    pick_adults,
)

VEHICLE_RATES = {
    "duplicate_registry_record": 0.004,  # a second record for the same plate and chassis
    "organization_owned": 0.03,
    "owner_other_unit": 0.08,  # owner lives in another Hanoi unit
    "owner_outside_hanoi": 0.015,  # owner not in the NPDB extract (id_not_in_population)
    "new_in_update": 0.006,  # records first delivered in the 2025-12-07 update
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

INVALID_PLATES = ("{p}-{n}", "{p}{s}-12", "{s}{n}")
INVALID_VEHICLE_TYPES = np.array(["Tàu thủy", "ZZ", "Máy bay"], dtype=object)


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
    ids_new = cat("VR", zfill_text(np.arange(n_old_rows, n_rows_rec) + first_id + 1, 8))
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
    reg_style = draw_styles(rng, n, REG_STYLE_P)
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
    for col in ("name", "id", "dob", "name_fault", "id_fault", "dob_fault", "dob_style"):
        person.loc[is_dup, col] = person[col].to_numpy()[src_row]
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
    for col in ("name_fault", "id_fault", "dob_fault", "dob_style"):
        rows[col] = person[col].to_numpy()
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
    # the key ingest derives: the vehicle type settles a compact plate that reads both ways
    plate_key = np.asarray(
        wd.ingest_key(
            take(rows["p_prefix"], m),
            take(rows["p_series"], m),
            take(rows["p_number"], m),
            rows["plate_form"].to_numpy()[m],
            take(rows["vehicle_type"], m),
        ),
        dtype=object,
    )
    faults.add(
        src,
        key[m],
        "plate",
        "plate_variant",
        take(rows["d_plate"], m),
        plate_key,
        "repaired",
        expected=plate_key,
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
