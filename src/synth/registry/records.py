"""Registry records: what vehicle and licence records share.

The delivery dates, record IDs, the owner's or holder's identity as the registry spells it
(ID, name and date-of-birth faults, :func:`person_block`) and the fault log of a person's
columns (:func:`log_person_faults`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth import world as wd
from synth.common import (
    DMY,
    DMY_SHORT,
    DMY_YY,
    ISO,
    SERIAL,
    Faults,
    cat,
    format_dates,
    pick_exact,
    take,
    take_text,
    where_text,
    zfill_int,
    zfill_text,
)

FIRST = "2025-11-17"
UPDATE = "2025-12-07"  # registries re-delivered once, with the records registered since
RECORD_NUMBERS = 10**8  # record IDs are a prefix and 8 digits; slices share the range

ID_FAULT_RATES = {  # individual owners/holders; exclusive
    "id_dropped_zeros": 0.04,
    "id_cmnd": 0.01,
    "id_malformed": 0.003,
    "id_missing": 0.003,
}
DUPLICATE_ROW_RATE = 0.001  # exact copies of a row (same record_id) further down the file
DOB_STYLE_P = {DMY: 0.80, ISO: 0.08, SERIAL: 0.04, DMY_SHORT: 0.08}
REG_STYLE_P = {DMY: 0.70, ISO: 0.15, SERIAL: 0.05, DMY_YY: 0.10}


def draw_styles(rng, n, probs: dict) -> np.ndarray:
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
    return cat(prefix, zfill_text(num + offset + 1, 8))


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
    true_id = np.where(pid >= 0, take(people["citizen_id"], np.maximum(pid, 0)), None)  # type: ignore[call-overload]  # numpy stubs: None as object null
    true_name = np.where(pid >= 0, take(people["full_name"], np.maximum(pid, 0)), None)  # type: ignore[call-overload]  # numpy stubs: None as object null
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
    style = draw_styles(rng, n, DOB_STYLE_P)
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
            "name_fault": np.where(individual, name_k, None),  # type: ignore[call-overload]  # numpy stubs: None as object null
            "id_fault": np.where(individual, id_k, None),
            "dob_fault": np.where(individual, dob_k, None),  # type: ignore[call-overload]  # numpy stubs: None as object null
            "dob_style": style,
        }
    )
