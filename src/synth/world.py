"""The synthetic city: units and people, with the name and date-of-birth faults of people.

Everything is drawn as numpy arrays (one draw per column, never a loop per record) so the
same code makes the 60,000-record sample and the 8.5 M-record city. Each table carries a
``row_key`` (one per delivered row) that faults and truth refer to. Organisations
(:mod:`synth.orgs`) and plates and chassis (:mod:`synth.plates`) have their own
modules; their names are importable from here as before.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from helpers.units import official_units, resolve_unit
from synth import names as nm
from synth.common import (
    PROVINCE_CODES,
    WHOLE,
    Part,
    Units,
    allocate,
    cat,
    compact,
    pick_exact,
    take,
    take_text,
    zfill_int,
)
from synth.orgs import (
    ORG_CALIBRATION_DAY,
    ORG_COUNTS_CITY,
    ORG_TARGETS_CITY,
    ORG_TYPES,
    make_orgs,
)
from synth.plates import (
    CAR_SERIES,
    CAR_SERIES_P,
    ENGINE_MODELS,
    HANOI_PREFIX_P,
    HANOI_PREFIXES,
    MOTO_LETTERS,
    PLATE_FORM_P,
    PLATE_FORMS,
    VEHICLE_TYPE_P,
    VEHICLE_TYPES,
    WMI,
    ingest_key,
    make_chassis,
    make_plates,
    plate_text,
)

# public names, the organisations' and plates' included (their own modules since the split)
__all__ = [
    "REFERENCE_DAY",
    "NGOC_HA",
    "NGOC_HA_SHARE",
    "UNKNOWN_UNIT_NAMES",
    "ascii_fold_keep_case",
    "Units",
    "make_units",
    "spell_units",
    "unknown_unit_names",
    "make_people",
    "name_pools",
    "strip_diacritics",
    "to_nfd",
    "NAME_FAULT_RATES",
    "DOB_FAULT_RATES",
    "apply_name_faults",
    "dob_with_faults",
    "ORG_TYPES",
    "ORG_COUNTS_CITY",
    "ORG_TARGETS_CITY",
    "ORG_CALIBRATION_DAY",
    "make_orgs",
    "HANOI_PREFIXES",
    "HANOI_PREFIX_P",
    "CAR_SERIES",
    "CAR_SERIES_P",
    "MOTO_LETTERS",
    "VEHICLE_TYPES",
    "VEHICLE_TYPE_P",
    "PLATE_FORM_P",
    "PLATE_FORMS",
    "make_plates",
    "plate_text",
    "ingest_key",
    "WMI",
    "ENGINE_MODELS",
    "make_chassis",
]

REFERENCE_DAY = np.datetime64("2025-11-01", "D")
NGOC_HA = "00008"
NGOC_HA_SHARE = 120_000 / 8_500_000  # Ngọc Hà holds about 120,000 of 8.5 M vehicle records

# Pre-2025 or non-commune names that must NOT resolve (unknown-unit faults).
UNKNOWN_UNIT_NAMES = (
    "Quận Ba Đình",
    "Phường Kim Mã",
    "Phường Thành Công",
    "Huyện Đông Anh",
    "Phường Láng Hạ",
    "Phường Quan Hoa",
    "Xã Vân Nội",
    "Phường Trung Hòa",
    "Quận Cầu Giấy",
    "Thị xã Sơn Tây",
)


def ascii_fold_keep_case(text: str) -> str:
    """'Phường Ngọc Hà' -> 'Phuong Ngoc Ha' (diacritics dropped, case kept)."""
    t = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", t) if not unicodedata.combining(c))


# ---------------------------------------------------------------- units
def make_units(rng: np.random.Generator) -> Units:
    u = official_units()[["unit_code", "unit_name", "unit_kind", "base_name"]].copy()
    n = len(u)
    w = rng.lognormal(0.0, 0.5, n) * np.where(u["unit_kind"] == "phuong", 1.25, 1.0)
    ngoc = (u["unit_code"] == NGOC_HA).to_numpy()
    w[~ngoc] = w[~ngoc] / w[~ngoc].sum() * (1 - NGOC_HA_SHARE)
    w[ngoc] = NGOC_HA_SHARE
    u["weight"] = w
    # progress speed: latent offset of the unit's S-curve (negative = earlier = leader)
    speed = rng.normal(0.0, 0.7, n)
    order = rng.permutation(np.flatnonzero(~ngoc))
    laggards, leaders = order[:9], order[9:16]
    speed[laggards] += 1.6
    speed[leaders] -= 1.4
    speed[ngoc] = 0.35  # Ngọc Hà: about 5 % updated by 21 Nov, as the press reported
    u["speed"] = speed
    u["designed_laggard"] = False
    u.loc[u.index[laggards], "designed_laggard"] = True
    u["designed_leader"] = False
    u.loc[u.index[leaders], "designed_leader"] = True
    # review lag: median ~1.2 days; some units let the backlog grow
    lag = rng.lognormal(np.log(1.2), 0.45, n)
    slow = rng.choice(np.flatnonzero(~ngoc), 10, replace=False)
    lag[slow] = rng.uniform(4.0, 7.0, 10)
    u["review_lag_days"] = lag
    u["review_reject_rate"] = rng.uniform(0.04, 0.16, n)
    over = rng.choice(n, 16, replace=False)
    factor = rng.normal(1.0, 0.02, n)
    factor[over] = rng.uniform(1.15, 1.45, len(over))
    u["self_report_factor"] = factor
    u["overstates"] = False
    u.loc[u.index[over], "overstates"] = True
    u = u.reset_index(drop=True)

    spellings, probs = [], []
    base_p = {
        "code": 0.55,
        "number": 0.10,
        "name": 0.20,
        "ascii": 0.05,
        "lower": 0.05,
        "upper": 0.05,
    }
    for code, name, kind, base in u[
        ["unit_code", "unit_name", "unit_kind", "base_name"]
    ].itertuples(index=False):
        prefix = "P." if kind == "phuong" else "X."
        forms = {
            "code": code,
            "number": str(int(code)),
            "name": name,
            "ascii": f"{prefix} {ascii_fold_keep_case(base)}",
            "lower": base.lower(),
            "upper": name.upper(),
        }
        ok = {k: v for k, v in forms.items() if resolve_unit(v) == code}
        spellings.append(list(ok.values()))
        p = np.array([base_p[k] for k in ok])
        probs.append(p / p.sum())
    return Units(u, spellings, probs)


def spell_units(
    rng: np.random.Generator, units: Units, unit_idx: np.ndarray, code_only_share: float = 0.0
) -> np.ndarray:
    """Delivered spellings of unit indices, drawn per row from the unit's accepted forms."""
    out = np.empty(len(unit_idx), dtype=object)
    codes = units.frame["unit_code"].to_numpy()
    r = rng.random(len(unit_idx))
    for i in range(len(units.spellings)):  # per unit (126), not per record
        rows = np.flatnonzero(unit_idx == i)
        if not len(rows):
            continue
        forms = np.array(units.spellings[i], dtype=object)
        cum = np.cumsum(units.spelling_probs[i])
        pick = np.minimum(np.searchsorted(cum, r[rows], side="right"), len(forms) - 1)
        out[rows] = forms[pick]
        if code_only_share:
            out[rows[r[rows] < code_only_share]] = codes[i]
    return out


def unknown_unit_names() -> np.ndarray:
    names = [v for v in UNKNOWN_UNIT_NAMES if resolve_unit(v) is None]
    return np.array(names, dtype=object)


# ---------------------------------------------------------------- people
_AGE_BANDS = [
    (0, 18, 0.9),
    (18, 40, 1.15),
    (40, 60, 1.0),
    (60, 75, 0.7),
    (75, 90, 0.3),
    (90, 100, 0.05),
]


def make_people(
    rng: np.random.Generator, n_res: int, n_out: int, units: Units, part: Part = WHOLE
) -> pd.DataFrame:
    """Residents (in the NPDB extract) followed by outsiders (owners the extract lacks)."""
    n = n_res + n_out
    counts = allocate(n_res, units.frame["weight"].to_numpy())
    unit_idx = np.concatenate([np.repeat(np.arange(len(counts)), counts), np.full(n_out, -1)])
    female = rng.random(n) < 0.51
    ages = np.concatenate([np.arange(a, b) for a, b, _ in _AGE_BANDS])
    aw = np.concatenate([np.full(b - a, w) for a, b, w in _AGE_BANDS])
    age = rng.choice(ages, size=n, p=aw / aw.sum())
    age[n_res:] = rng.integers(20, 70, n_out)
    dob = REFERENCE_DAY - (age * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    dob = dob.astype("datetime64[D]")
    year = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    old = np.flatnonzero((year < 1965) & (unit_idx >= 0))
    year_only = np.zeros(n, dtype=bool)
    year_only[old[rng.random(len(old)) < 0.12]] = True

    prov = np.where(rng.random(n) < 0.68, 1, rng.choice(PROVINCE_CODES[1:], n))
    prov[n_res:] = rng.choice(PROVINCE_CODES[1:], n_out)
    gcd = (year >= 2000).astype(np.int64) * 2 + female
    head = prov * 1_000_000_000 + gcd * 100_000_000 + (year % 100) * 1_000_000
    # serials unique within a (province, gender-century, year) head
    span = part.span(1_000_000)
    ids = head + part.expand(rng.integers(0, span, n))
    for _ in range(50):
        _, first = np.unique(ids, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        ids[dup] = head[dup] + part.expand(rng.integers(0, span, int(dup.sum())))
    citizen_id = zfill_int(ids, 12)

    fam_names, fam_p = nm.pool(nm.FAMILY)
    fam = rng.choice(len(fam_names), n, p=fam_p)
    mm_names, mm_p = nm.pool(nm.MIDDLE_MALE)
    mf_names, mf_p = nm.pool(nm.MIDDLE_FEMALE)
    mid1 = np.where(
        female,
        mf_names[rng.choice(len(mf_names), n, p=mf_p)],
        mm_names[rng.choice(len(mm_names), n, p=mm_p)],
    )
    two = rng.random(n) < np.where(female, 0.20, 0.08)
    mid2 = np.where(
        female,
        np.array(nm.SECOND_MIDDLE_FEMALE, dtype=object)[rng.integers(0, 5, n)],
        np.array(nm.SECOND_MIDDLE_MALE, dtype=object)[rng.integers(0, 5, n)],
    )
    given_i = np.where(
        female, rng.integers(0, len(nm.GIVEN_FEMALE), n), rng.integers(0, len(nm.GIVEN_MALE), n)
    )
    given = np.where(
        female,
        np.array(nm.GIVEN_FEMALE, dtype=object)[np.minimum(given_i, len(nm.GIVEN_FEMALE) - 1)],
        np.array(nm.GIVEN_MALE, dtype=object)[np.minimum(given_i, len(nm.GIVEN_MALE) - 1)],
    )
    middle = np.where(two, cat(mid1, " ", mid2), mid1)
    full = cat(fam_names[fam], " ", middle, " ", given)

    # deaths: mostly old people, before the campaign; a few during it (second NPDB extract)
    p_dead = np.where(age >= 75, 0.10, np.where(age >= 60, 0.02, 0.003))
    dead = (rng.random(n) < p_dead) & (unit_idx >= 0)
    died_on = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    died_on[dead] = REFERENCE_DAY - rng.integers(15, 3650, int(dead.sum()))
    alive_old = np.flatnonzero(~dead & (age >= 60) & (unit_idx >= 0))
    late = alive_old[rng.random(len(alive_old)) < 0.004]
    died_on[late] = np.datetime64("2025-11-18") + rng.integers(0, 23, len(late))

    return compact(
        pd.DataFrame(
            {
                "pid": np.arange(n),
                "citizen_id": citizen_id,
                "resident": unit_idx >= 0,
                "unit_idx": unit_idx,
                "female": female,
                "age": age,
                "dob": dob,
                "year_only": year_only,
                "family_i": fam,
                "middle": middle,
                "two_middle": two,
                "mid1": mid1,
                "mid2": mid2,
                "given_i": given_i,
                "given": given,
                "full_name": full,
                "died_on": died_on,
            }
        )
    )


def name_pools():
    fam_names, _ = nm.pool(nm.FAMILY)
    return {
        "family": fam_names,
        "family_fold": nm.folded(fam_names),
        "given_m": np.array(nm.GIVEN_MALE, dtype=object),
        "given_f": np.array(nm.GIVEN_FEMALE, dtype=object),
        "typo_m": np.array([nm.typo_variants(g) for g in nm.GIVEN_MALE], dtype=object),
        "typo_f": np.array([nm.typo_variants(g) for g in nm.GIVEN_FEMALE], dtype=object),
    }


def strip_diacritics(values: np.ndarray) -> np.ndarray:
    s = pd.Series(values, dtype="string")
    s = s.str.replace("đ", "d", regex=False).str.replace("Đ", "D", regex=False)
    s = s.str.normalize("NFD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    return s.to_numpy(dtype=object)


def to_nfd(values: np.ndarray) -> np.ndarray:
    return pd.Series(values, dtype="string").str.normalize("NFD").to_numpy(dtype=object)


NAME_FAULT_RATES = {  # share of eligible individual owner/holder rows; one name fault per row
    "name_other_person": 0.006,
    "name_typo": 0.02,
    "name_middle_swapped": 0.005,
    "name_no_diacritics": 0.04,
    "name_upper_case": 0.04,
    "name_stray_spaces": 0.02,
    "name_nfd": 0.03,
}
DOB_FAULT_RATES = {"dob_day_month_swapped": 0.004, "dob_other_date": 0.003}


def apply_name_faults(
    rng: np.random.Generator,
    people: pd.DataFrame,
    pid: np.ndarray,
    eligible: np.ndarray,
    pools: dict,
    rates: dict[str, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Delivered names for persons ``pid`` with faults on ``eligible`` positions.

    Returns (delivered names, fault kind per position or None).
    """
    full = take_text(people["full_name"], pid)
    delivered = full.copy()
    kind = np.full(len(pid), None, dtype=object)
    perm = rng.permutation(eligible)
    avail = np.ones(len(perm), dtype=bool)
    two = people["two_middle"].to_numpy()[pid]
    for k, rate in rates.items():
        count = int(round(rate * len(eligible)))
        cand = np.flatnonzero(avail)
        if k == "name_middle_swapped":
            cand = cand[two[perm[cand]]]
        chosen = cand[:count]
        avail[chosen] = False
        kind[perm[chosen]] = k
    fam_i = people["family_i"].to_numpy()[pid]
    female = people["female"].to_numpy()[pid]
    given_i = people["given_i"].to_numpy()[pid]
    middle = take_text(people["middle"], pid)
    fam = pools["family"][fam_i]
    given = np.where(
        female,
        pools["given_f"][np.minimum(given_i, len(pools["given_f"]) - 1)],
        pools["given_m"][np.minimum(given_i, len(pools["given_m"]) - 1)],
    )

    sel = np.flatnonzero(kind == "name_typo")
    if len(sel):
        v = rng.integers(0, 3, len(sel))
        gi = given_i[sel]
        typo = np.where(
            female[sel], _typo_pick(pools["typo_f"], gi, v), _typo_pick(pools["typo_m"], gi, v)
        )
        delivered[sel] = cat(fam[sel], " ", middle[sel], " ", typo)
    sel = np.flatnonzero(kind == "name_other_person")
    if len(sel):
        nf = len(pools["family"])
        new_f = rng.integers(0, nf, len(sel))
        for _ in range(20):
            same = pools["family_fold"][new_f] == pools["family_fold"][fam_i[sel]]
            if not same.any():
                break
            new_f[same] = rng.integers(0, nf, int(same.sum()))
        gpool = np.where(female[sel], 0, 1)
        new_g = rng.integers(0, 40, len(sel))
        for _ in range(20):
            same = (new_g == given_i[sel]) | _same_given_fold(pools, gpool, new_g, given_i[sel])
            if not same.any():
                break
            new_g[same] = rng.integers(0, 40, int(same.sum()))
        g = np.where(
            gpool == 0,
            pools["given_f"][new_g % len(pools["given_f"])],
            pools["given_m"][new_g % len(pools["given_m"])],
        )
        delivered[sel] = cat(pools["family"][new_f], " ", middle[sel], " ", g)
    sel = np.flatnonzero(kind == "name_middle_swapped")
    if len(sel):
        m1 = take(people["mid1"], pid[sel])
        m2 = take(people["mid2"], pid[sel])
        delivered[sel] = cat(fam[sel], " ", m2, " ", m1, " ", given[sel])
    sel = np.flatnonzero(kind == "name_no_diacritics")
    if len(sel):
        delivered[sel] = strip_diacritics(full[sel])
    sel = np.flatnonzero(kind == "name_upper_case")
    if len(sel):
        delivered[sel] = pd.Series(full[sel], dtype="string").str.upper().to_numpy(dtype=object)
    sel = np.flatnonzero(kind == "name_stray_spaces")
    if len(sel):
        delivered[sel] = cat(
            "  ",
            pd.Series(full[sel], dtype="string")
            .str.replace(" ", "  ", n=1, regex=False)
            .to_numpy(dtype=object),
            " ",
        )
    sel = np.flatnonzero(kind == "name_nfd")
    if len(sel):
        delivered[sel] = to_nfd(full[sel])
    return delivered, kind


def _typo_pick(table: np.ndarray, gi: np.ndarray, v: np.ndarray) -> np.ndarray:
    gi = np.minimum(gi, len(table) - 1)
    return table[gi, v]


def _same_given_fold(pools, gpool, new_g, old_g) -> np.ndarray:
    from helpers.normalize import fold

    ff = np.array([fold(x) for x in pools["given_f"]], dtype=object)
    fm = np.array([fold(x) for x in pools["given_m"]], dtype=object)
    a = np.where(gpool == 0, ff[new_g % len(ff)], fm[new_g % len(fm)])
    b = np.where(gpool == 0, ff[np.minimum(old_g, len(ff) - 1)], fm[np.minimum(old_g, len(fm) - 1)])
    return a == b


def dob_with_faults(
    rng: np.random.Generator,
    true_dob: np.ndarray,
    eligible_swap: np.ndarray,
    eligible_other: np.ndarray,
    rates: dict[str, float],
    exclude: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Delivered birth dates (as dates) and fault kinds; swap only where it stays decidable."""
    dob = true_dob.copy()
    kind = np.full(len(dob), None, dtype=object)
    y, m, d = ymd(true_dob)
    swappable = np.intersect1d(eligible_swap, np.flatnonzero((m <= 12) & (d <= 12) & (d != m)))
    swappable = np.setdiff1d(swappable, exclude)
    sel = pick_exact(
        rng, swappable, rates["dob_day_month_swapped"] * len(eligible_swap) / max(len(swappable), 1)
    )
    kind[sel] = "dob_day_month_swapped"
    dob[sel] = make_dates(y[sel], d[sel], m[sel])
    rest = np.setdiff1d(np.setdiff1d(eligible_other, sel), exclude)
    sel2 = pick_exact(rng, rest, rates["dob_other_date"] * len(eligible_other) / max(len(rest), 1))
    kind[sel2] = "dob_other_date"
    # another year (1..6 years away): never equal, never a day/month swap of the true date
    shift = rng.integers(1, 7, len(sel2)) * rng.choice([-1, 1], len(sel2))
    dob[sel2] = make_dates(y[sel2] + shift, m[sel2], np.minimum(d[sel2], 28))
    return dob, kind


def ymd(days):
    from synth.common import date_parts

    return date_parts(days)


def make_dates(y, m, d) -> np.ndarray:
    ym = (np.asarray(y) - 1970) * 12 + (np.asarray(m) - 1)
    return ym.astype("datetime64[M]").astype("datetime64[D]") + (np.asarray(d) - 1)
