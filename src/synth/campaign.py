"""iHanoi submissions and the units' reviews, day by day, calibrated to the published figures.

Vehicles: every registry record gets a latent "readiness" from its unit's S-curve (unit speed
plus logistic noise, later for organisations, deceased and distant owners). A city schedule
fixes exactly how many accepted vehicle submissions arrive each day; each day takes the next
records in readiness order (first submissions), adds the corrections, household duplicates and
resubmissions that earlier days scheduled, and fills the rest with submissions that match no
record. The day loop (50 days) is the only loop; each day is vectorised.

Licences: the comparison ran fast; records are placed by reason so that exactly the calibrated
number is cleaned by 2025-11-23 (see registry.LICENCE_NOT_CLEAN_CITY).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth import world as wd
from synth.common import (
    WHOLE,
    Part,
    allocate,
    cat,
    compact,
    isin,
    pick_exact,
    take,
    zfill_text,
)

EPOCH = np.datetime64("2025-01-01T00:00:00", "s")
DAY = 86_400
FIRST_DAY = np.datetime64("2025-11-03")
LAST_DAY = np.datetime64("2026-01-19")
# The weekly deliveries, each the eve of a conference, up to the week 13-19 Jan 2026 that the
# 20 Jan conference reviewed (after peak.end 2026-01-08: the sample's plan extends the peak).
DELIVERIES = (
    "2025-11-17",
    "2025-11-23",
    "2025-11-30",
    "2025-12-07",
    "2025-12-14",
    "2025-12-21",
    "2025-12-28",
    "2026-01-04",
    "2026-01-11",
    "2026-01-19",
)
VEHICLES_CITY = 8_500_000
SUBMISSION_NUMBERS = 10**10  # submission IDs are "IH" and 10 digits; slices share the range

# Accepted vehicle submissions per period at full city scale. The first four periods sum to the
# published 917,509 collected by 2025-11-23; 2025-11-11..17 holds more than 175,000.
VEHICLE_PERIODS_CITY = (
    ("2025-11-03", "2025-11-09", 96_000),  # after the plan was signed: early adopters
    ("2025-11-10", "2025-11-10", 21_000),  # first day of the peak
    ("2025-11-11", "2025-11-17", 178_400),  # "more than 175,000 in 7 days"
    ("2025-11-18", "2025-11-23", 622_109),  # door-to-door drive after the first conference
    ("2025-11-24", "2025-11-30", 960_000),
    ("2025-12-01", "2025-12-07", 1_010_000),
    ("2025-12-08", "2025-12-14", 940_000),
    ("2025-12-15", "2025-12-21", 860_000),
    ("2025-12-22", "2025-12-28", 700_000),  # the easy records are done: the pace falls
    ("2025-12-29", "2026-01-04", 480_000),  # New Year holiday (1 January)
    ("2026-01-05", "2026-01-11", 760_000),  # a late surge before the 8 January deadline
    ("2026-01-12", "2026-01-19", 520_000),  # the extended week: the hard remainder
)
SUBMITTED_BY_1123_CITY = 917_509
WINDOW_1111_1117_CITY = 178_400
WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.05, 1.0, 0.95, 0.8, 0.7])  # Mon..Sun
HOUR_WEIGHT = np.array(
    [
        0.1,
        0.05,
        0.03,
        0.03,
        0.05,
        0.2,
        0.6,
        1.2,
        1.6,
        1.5,
        1.4,
        1.2,
        1.0,
        0.9,
        1.1,
        1.3,
        1.3,
        1.2,
        1.2,
        1.5,
        1.8,
        1.6,
        1.0,
        0.4,
    ]
)

UNMATCHED_SHARE = 0.045  # of each day's accepted vehicle rows: vehicles not in the registry
DUPLICATE_SHARE = 0.04  # first submissions followed by a household duplicate / correction
RESUBMIT_SHARE = 0.70  # rejected submissions the citizen corrects and sends again
PLATE_TYPO_SHARE = 0.015  # a digit of the plate mistyped (links by chassis when given)
CHASSIS_GIVEN_SHARE = 0.55
DECLARED_P = {"in_use": 0.945, "transferred": 0.035, "scrapped": 0.015, "lost": 0.005}
SUBMISSION_REJECT_RATES = {  # extra rows that ingest must reject
    "blank_plate_chassis": 0.003,
    "unknown_unit": 0.002,
    "invalid_declared_status": 0.001,
    "blank_licence_no": 0.002,
}
SUBMISSION_COPY_RATE = 0.002  # the same submission exported twice (duplicate submission_id)
REJECT_REASONS_VI = np.array(
    [
        "Ảnh chụp giấy đăng ký xe không rõ",
        "Thông tin chủ xe không khớp CSDL dân cư",
        "Biển số không đúng",
        "Thiếu thông tin số khung",
        "Kê khai trùng",
    ],
    dtype=object,
)


def day_schedule(factor: float) -> pd.DataFrame:
    """Accepted vehicle submissions per day, scaled so cumulative totals round exactly."""
    days, full = [], []
    for first, last, total in VEHICLE_PERIODS_CITY:
        d = np.arange(np.datetime64(first), np.datetime64(last) + 1)
        wd_ = (d.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
        ramp = np.linspace(0.85, 1.15, len(d))
        full.append(allocate(total, WEEKDAY_WEIGHT[wd_] * ramp))
        days.append(d)
    days_a = np.concatenate(days)
    full_a = np.concatenate(full)
    cum = np.cumsum(full_a)
    cum_f = np.round(cum * factor).astype(np.int64)
    daily = np.diff(np.concatenate([[0], cum_f]))
    return pd.DataFrame({"day": days_a, "full": full_a, "rows": daily})


def _times_in_day(rng, day: np.datetime64, n: int) -> np.ndarray:
    hours = rng.choice(24, n, p=HOUR_WEIGHT / HOUR_WEIGHT.sum())
    start = (np.datetime64(day, "s") - EPOCH).astype(np.int64)  # type: ignore[call-overload]
    return start + hours * 3600 + rng.integers(0, 3600, n)


def _day_of(t: np.ndarray) -> np.ndarray:
    return t // DAY


def _review(rng, t: np.ndarray, unit_idx: np.ndarray, units: wd.Units, reject_boost: np.ndarray):
    lag_mean = units.frame["review_lag_days"].to_numpy()[unit_idx]
    lag = rng.exponential(lag_mean) * DAY + rng.integers(600, 7200, len(t))
    t_rev = t + lag.astype(np.int64)
    # Sundays: most units do not review; push to Monday morning
    dow = (_day_of(t_rev) + 2) % 7  # 2025-01-01 was a Wednesday -> 0=Mon
    sunday = (dow == 6) & (rng.random(len(t)) < 0.7)
    t_rev[sunday] = (
        (_day_of(t_rev[sunday]) + 1) * DAY + 8 * 3600 + rng.integers(0, 7200, int(sunday.sum()))
    )
    p_rej = np.minimum(units.frame["review_reject_rate"].to_numpy()[unit_idx] * reject_boost, 0.9)
    rejected = rng.random(len(t)) < p_rej
    return t_rev, np.where(rejected, "rejected", "approved")


def vehicle_submissions(
    rng,
    units: wd.Units,
    people: pd.DataFrame,
    vehicles: pd.DataFrame,
    factor: float,
    schedule: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All vehicle submissions 2025-11-03..2026-01-19 (accepted ones; ingest faults come later).

    ``schedule`` (day, rows) overrides ``day_schedule(factor)``: a slice's share of the city's.
    """
    rec = vehicles[
        ~vehicles["is_copy"] & ~vehicles["is_dup_record"] & ~vehicles["new_in_update"]
    ].reset_index(drop=True)
    n = len(rec)
    unit_idx = rec["unit_idx"].to_numpy()
    pid = rec["pid"].to_numpy()
    died = people["died_on"].to_numpy()[np.maximum(pid, 0)]
    resident = people["resident"].to_numpy()[np.maximum(pid, 0)]
    owner_unit = people["unit_idx"].to_numpy()[np.maximum(pid, 0)]
    latent = units.frame["speed"].to_numpy()[unit_idx] + rng.logistic(0, 1.0, n)
    latent += np.where(pid < 0, 1.5, 0.0)
    latent += np.where((pid >= 0) & ~np.isnat(died), 1.2, 0.0)
    latent += np.where((pid >= 0) & ~resident, 0.5, 0.0)
    latent += np.where((pid >= 0) & resident & (owner_unit != unit_idx), 0.6, 0.0)
    order = np.argsort(latent, kind="stable")
    sched = day_schedule(factor) if schedule is None else schedule
    sched_days = sched["day"].to_numpy().astype("datetime64[D]")
    sched_rows = sched["rows"].to_numpy()
    d0 = int((sched_days[0] - np.datetime64("2025-01-01")).astype(np.int64))
    n_days = len(sched)
    uw = units.frame["weight"].to_numpy()
    deceased_owner = (pid >= 0) & ~np.isnat(died)
    decl_keys = np.array(list(DECLARED_P), dtype=object)
    decl_p = np.array(list(DECLARED_P.values()))

    pending: dict[str, list] = {"target": [], "t": [], "kind": []}  # children waiting for their day
    out = []
    ptr = 0
    for di in range(n_days):
        day = sched_days[di]
        dayno = d0 + di
        r_d = int(sched_rows[di])
        if pending["t"]:
            ct = np.concatenate(pending["t"])
            ctg = np.concatenate(pending["target"])
            ck = np.concatenate(pending["kind"])
        else:
            ct = np.empty(0, np.int64)
            ctg = np.empty(0, np.int64)
            ck = np.empty(0, object)
        today = _day_of(ct) == dayno
        u_d = int(round(UNMATCHED_SHARE * r_d))
        c_idx = np.flatnonzero(today)
        room = max(r_d - u_d, 0)
        if len(c_idx) > room:  # more follow-ups than the day holds: defer the rest a day
            defer = c_idx[room:]
            ct[defer] += DAY
            c_idx = c_idx[:room]
        later = np.ones(len(ct), dtype=bool)
        later[c_idx] = False
        p_d = r_d - u_d - len(c_idx)
        p_d = min(p_d, n - ptr)
        u_d = r_d - p_d - len(c_idx)
        first = order[ptr : ptr + p_d]
        ptr += p_d
        pending = {"target": [ctg[later]], "t": [ct[later]], "kind": [ck[later]]}

        t_first = _times_in_day(rng, day, p_d)
        targets = np.concatenate([first, ctg[c_idx]])
        t_all = np.concatenate([t_first, ct[c_idx]])
        kinds = np.concatenate([np.full(p_d, "first", dtype=object), ck[c_idx]])
        boost = np.where(deceased_owner[targets], 2.0, 1.0)
        t_rev, decision = _review(rng, t_all, unit_idx[targets], units, boost)
        declared = decl_keys[rng.choice(len(decl_keys), len(targets), p=decl_p)]
        dec_dead = deceased_owner[targets] & (rng.random(len(targets)) < 0.5)
        declared[dec_dead] = np.where(
            rng.random(int(dec_dead.sum())) < 0.6, "transferred", "scrapped"
        )
        out.append(
            pd.DataFrame(
                {
                    "target": targets,
                    "t_sub": t_all,
                    "t_rev": t_rev,
                    "decision": decision,
                    "declared": declared,
                    "origin": kinds,
                }
            )
        )
        # unmatched: vehicles no registry record holds
        uu = rng.choice(len(uw), u_d, p=uw / uw.sum())
        tu = _times_in_day(rng, day, u_d)
        tr, dec = _review(rng, tu, uu, units, np.full(u_d, 3.0))
        out.append(
            pd.DataFrame(
                {
                    "target": np.full(u_d, -1),
                    "t_sub": tu,
                    "t_rev": tr,
                    "decision": dec,
                    "declared": "in_use",
                    "origin": "unmatched",
                    "unmatched_unit": uu,
                }
            )
        )
        # follow-ups scheduled for later days
        next_start = (dayno + 1) * DAY
        is_first = kinds == "first"
        dup = is_first & (rng.random(len(targets)) < DUPLICATE_SHARE)
        t_dup = np.maximum(
            t_all[dup] + ((1 + rng.exponential(3.0, int(dup.sum()))) * DAY).astype(np.int64),
            next_start + rng.integers(25_000, 70_000, int(dup.sum())),
        )
        res = (decision == "rejected") & (rng.random(len(targets)) < RESUBMIT_SHARE)
        t_res = np.maximum(
            t_rev[res] + ((0.5 + rng.exponential(2.0, int(res.sum()))) * DAY).astype(np.int64),
            next_start + rng.integers(25_000, 70_000, int(res.sum())),
        )
        pending["target"] += [targets[dup], targets[res]]
        pending["t"] += [t_dup, t_res]
        pending["kind"] += [
            np.full(int(dup.sum()), "duplicate", dtype=object),
            np.full(int(res.sum()), "resubmission", dtype=object),
        ]
    subs = pd.concat(out, ignore_index=True)
    subs["unmatched_unit"] = subs["unmatched_unit"].fillna(-1).astype(np.int64)
    subs["kind"] = "vehicle"
    subs["rec_row"] = subs["target"]
    return subs, rec


def licence_submissions(rng, licences: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Licence submissions placed so each record's state on 2025-11-23 is its category's."""
    rec = licences[
        ~licences["is_copy"] & licences["reject"].isna() & ~licences["is_dup_record"]
    ].reset_index(drop=True)
    cat_ = rec["category"].to_numpy()
    n = len(rec)
    t_1123_end = (np.datetime64("2025-11-24T00:00:00", "s") - EPOCH).astype(np.int64)
    t_1103 = (np.datetime64("2025-11-03T00:00:00", "s") - EPOCH).astype(np.int64)
    t_1121 = (np.datetime64("2025-11-21T23:00:00", "s") - EPOCH).astype(np.int64)
    parts = []
    ready = np.isin(
        cat_,
        [
            "clean",
            "invalid_holder_id",
            "id_not_in_population",
            "holder_deceased",
            "identity_mismatch",
        ],
    )
    idx = np.flatnonzero(ready)
    # ~70 % of the comparison done by 2025-11-17 ("nearly 90,000" of 130,359), the rest by 11-23
    span = t_1121 - t_1103
    frac = rng.beta(1.6, 1.3, len(idx))
    t_sub = t_1103 + (frac * span * 0.93).astype(np.int64) + rng.integers(0, 3600, len(idx))
    lag = (rng.exponential(0.6, len(idx)) * DAY).astype(np.int64) + 900
    t_rev = np.minimum(t_sub + lag, t_1123_end - rng.integers(60, 20_000, len(idx)))
    t_rev = np.maximum(t_rev, t_sub + 60)
    first_rejected = rng.random(len(idx)) < 0.04
    # a rejected first attempt, then the approved one (still before 11-23)
    fr = idx[first_rejected]
    t0 = t_sub[first_rejected] - (rng.uniform(1.5, 4.0, len(fr)) * DAY).astype(np.int64)
    parts.append(
        pd.DataFrame(
            {
                "target": fr,
                "t_sub": t0,
                "t_rev": t0 + 3 * 3600,
                "decision": "rejected",
                "origin": "first",
            }
        )
    )
    parts.append(
        pd.DataFrame(
            {
                "target": idx,
                "t_sub": t_sub,
                "t_rev": t_rev,
                "decision": "approved",
                "origin": np.where(first_rejected, "resubmission", "first"),
            }
        )
    )
    # household duplicates: an earlier approved submission of the same licence
    dup = idx[rng.random(len(idx)) < 0.02]
    td = t_sub[np.searchsorted(idx, dup)] - (rng.uniform(0.2, 2.0, len(dup)) * DAY).astype(np.int64)
    parts.append(
        pd.DataFrame(
            {
                "target": dup,
                "t_sub": td,
                "t_rev": td + 5 * 3600,
                "decision": "approved",
                "origin": "duplicate",
            }
        )
    )
    t_1120 = t_1123_end - 4 * DAY
    pend = np.flatnonzero(cat_ == "pending_review")
    tp = t_1120 + rng.integers(0, 4 * DAY - 7200, len(pend))
    parts.append(
        pd.DataFrame(
            {
                "target": pend,
                "t_sub": tp,
                "t_rev": t_1123_end + rng.integers(3600, 6 * DAY, len(pend)),
                "decision": "approved",
                "origin": "first",
            }
        )
    )
    rej = np.flatnonzero(cat_ == "rejected_awaiting_resubmission")
    tr = t_1103 + rng.integers(0, 14 * DAY, len(rej))
    tr_rev = np.minimum(tr + rng.integers(3600, 3 * DAY, len(rej)), t_1123_end - 3600)
    parts.append(
        pd.DataFrame(
            {"target": rej, "t_sub": tr, "t_rev": tr_rev, "decision": "rejected", "origin": "first"}
        )
    )
    again = rej[rng.random(len(rej)) < 0.7]
    ta = t_1123_end + rng.integers(DAY, 16 * DAY, len(again))
    parts.append(
        pd.DataFrame(
            {
                "target": again,
                "t_sub": ta,
                "t_rev": ta + rng.integers(3600, 3 * DAY, len(again)),
                "decision": "approved",
                "origin": "resubmission",
            }
        )
    )
    ns = np.flatnonzero(cat_ == "not_submitted")
    late = ns[rng.random(len(ns)) < 0.6]
    tl = t_1123_end + rng.integers(DAY, 25 * DAY, len(late))
    parts.append(
        pd.DataFrame(
            {
                "target": late,
                "t_sub": tl,
                "t_rev": tl + rng.integers(3600, 3 * DAY, len(late)),
                "decision": "approved",
                "origin": "first",
            }
        )
    )
    new = np.flatnonzero(cat_ == "new_in_update")
    new = new[rng.random(len(new)) < 0.5]
    t_1208 = (np.datetime64("2025-12-08T00:00:00", "s") - EPOCH).astype(np.int64)
    tn = t_1208 + rng.integers(0, 13 * DAY, len(new))
    parts.append(
        pd.DataFrame(
            {
                "target": new,
                "t_sub": tn,
                "t_rev": tn + rng.integers(3600, 4 * DAY, len(new)),
                "decision": "approved",
                "origin": "first",
            }
        )
    )
    subs = pd.concat(parts, ignore_index=True)
    subs["declared"] = None
    subs["kind"] = "licence"
    subs["unmatched_unit"] = -1
    # mistyped licence numbers: extra submissions that match no record
    typo = pick_exact(rng, np.arange(len(subs)), 0.01)
    extra = subs.iloc[typo].copy()
    extra["origin"] = "licence_typo"
    extra["t_sub"] = extra["t_sub"] - 1800
    extra["t_rev"] = extra["t_sub"] + 7200
    extra["decision"] = "rejected"
    subs = pd.concat([subs, extra], ignore_index=True)
    # nothing before 2025-11-01 (the plan was signed on 31 October)
    t_1101 = (np.datetime64("2025-11-01T07:00:00", "s") - EPOCH).astype(np.int64)
    early = subs["t_sub"].to_numpy() < t_1101
    moved = t_1101 + (t_1101 - subs["t_sub"].to_numpy()) % DAY  # spread over 1-2 November
    subs["t_sub"] = np.where(early, moved, subs["t_sub"].to_numpy())
    subs["t_rev"] = np.maximum(subs["t_rev"].to_numpy(), subs["t_sub"].to_numpy() + 600)
    del n
    return subs, rec


def render_submissions(
    rng,
    units: wd.Units,
    people: pd.DataFrame,
    veh_subs: pd.DataFrame,
    veh_rec: pd.DataFrame,
    lic_subs: pd.DataFrame,
    lic_rec: pd.DataFrame,
    registry_plate_keys: np.ndarray,
    licence_nos: np.ndarray,
    part: Part = WHOLE,
) -> pd.DataFrame:
    """Delivered text of every submission (constant across deliveries except review fields)."""
    v = veh_subs.reset_index(drop=True)
    lcs = lic_subs.reset_index(drop=True)
    nv, nl = len(v), len(lcs)
    tgt = v["target"].to_numpy()
    has = tgt >= 0
    t = np.maximum(tgt, 0)
    unit_idx = np.where(has, veh_rec["unit_idx"].to_numpy()[t], v["unmatched_unit"].to_numpy())
    owner = np.where(has, veh_rec["pid"].to_numpy()[t], -1)
    # submitter: the owner, or a household member of the same unit (10 %), or for organisation
    # vehicles and unmatched ones an adult of the unit
    from synth.registry import pick_adults

    member = pick_adults(rng, people, np.maximum(unit_idx, 0))
    use_member = (owner < 0) | (rng.random(nv) < 0.10)
    submitter = np.where(use_member, member, owner)

    prefix = np.where(has, take(veh_rec["p_prefix"], t), None)  # type: ignore[call-overload]  # numpy stubs: None as object null
    series = np.where(has, take(veh_rec["p_series"], t), None)  # type: ignore[call-overload]  # numpy stubs: None as object null
    number = np.where(has, take(veh_rec["p_number"], t), None)  # type: ignore[call-overload]  # numpy stubs: None as object null
    # unmatched vehicles: Hanoi or other-province plates the registry does not hold
    um = np.flatnonzero(~has)
    vt = np.where(rng.random(len(um)) < 0.85, "motorbike", "car").astype(object)
    k2, p2, s2, n2 = wd.make_plates(rng, vt, avoid=registry_plate_keys, part=part)
    other_prov = rng.random(len(um)) < 0.4
    p2 = np.where(
        other_prov, rng.choice(["88", "89", "90", "98", "99", "34", "35", "36"], len(um)), p2
    )
    prefix[um], series[um], number[um] = p2, s2, n2
    key = cat(prefix, series, number)
    # plate typos on matched rows: one digit changed, never another record's key
    typo = np.flatnonzero(has & (rng.random(nv) < PLATE_TYPO_SHARE))
    num = pd.Series(number[typo], dtype="string")
    last = num.str.slice(-1).astype(int).to_numpy()
    new_last = ((last + rng.integers(1, 10, len(typo))) % 10).astype(str)
    number[typo] = (num.str.slice(0, -1) + pd.Series(new_last, dtype="string")).to_numpy(
        dtype=object
    )
    key[typo] = cat(prefix[typo], series[typo], number[typo])
    clash = isin(key[typo], registry_plate_keys)
    number[typo[clash]] = take(veh_rec["p_number"], t[typo[clash]])  # keep the true plate
    key[typo[clash]] = cat(prefix[typo[clash]], series[typo[clash]], number[typo[clash]])
    typo = typo[~clash]
    plate_typo = np.zeros(nv, dtype=bool)
    plate_typo[typo] = True
    form = rng.choice(len(wd.PLATE_FORMS), nv, p=wd.PLATE_FORM_P)
    plate = wd.plate_text(prefix, series, number, form)
    plate_ingest = np.asarray(wd.ingest_key(prefix, series, number, form), dtype=object)
    chassis_given = rng.random(nv) < CHASSIS_GIVEN_SHARE
    from synth.world import make_chassis

    fake_chassis, _ = make_chassis(rng, nv)
    chassis = np.where(has, take(veh_rec["chassis_key"], t), fake_chassis)
    chassis = np.where(chassis_given, chassis, "")

    lt = lcs["target"].to_numpy()
    l_unit = lic_rec["unit_idx"].to_numpy()[lt]
    l_holder = lic_rec["pid"].to_numpy()[lt]
    l_no = take(lic_rec["licence_no"], lt).astype(object)
    ltypo = (lcs["origin"] == "licence_typo").to_numpy()
    true_no = l_no[ltypo].copy()
    new_no = true_no.copy()
    todo = np.arange(len(true_no))
    for _ in range(10):  # a few rounds for the rare clash with an existing number
        if not len(todo):
            break
        cand = cat(
            pd.Series(true_no[todo], dtype="string").str.slice(0, 10).to_numpy(dtype=object),
            zfill_text(rng.integers(0, 100, len(todo)), 2),
        )
        bad = isin(cand, licence_nos)
        new_no[todo[~bad]] = cand[~bad]
        todo = todo[bad]
    l_no[ltypo] = new_no

    sub = pd.DataFrame(
        {
            "kind": np.concatenate(
                [np.full(nv, "vehicle", dtype=object), np.full(nl, "licence", dtype=object)]
            ),
            "target": np.concatenate([tgt, lt]),
            "origin": np.concatenate([v["origin"].to_numpy(), lcs["origin"].to_numpy()]),
            "t_sub": np.concatenate([v["t_sub"].to_numpy(), lcs["t_sub"].to_numpy()]),
            "t_rev": np.concatenate([v["t_rev"].to_numpy(), lcs["t_rev"].to_numpy()]),
            "decision": np.concatenate([v["decision"].to_numpy(), lcs["decision"].to_numpy()]),
            "declared": np.concatenate([v["declared"].to_numpy(), np.full(nl, None)]),
            "unit_idx": np.concatenate([unit_idx, l_unit]),
            "pid": np.concatenate([submitter, l_holder]),
            "plate_key": np.concatenate([key, np.full(nl, None)]),
            "plate_ingest_key": np.concatenate([plate_ingest, np.full(nl, None)]),
            "plate_typo": np.concatenate([plate_typo, np.zeros(nl, dtype=bool)]),
            "plate_form": np.concatenate([form, np.zeros(nl, dtype=np.int64)]),
            "d_plate": np.concatenate([plate, np.full(nl, "", dtype=object)]),
            "chassis_key": np.concatenate(
                [np.where(chassis == "", None, chassis), np.full(nl, None)]  # type: ignore[call-overload]  # numpy stubs: None as object null
            ),
            "d_chassis_no": np.concatenate([chassis, np.full(nl, "", dtype=object)]),
            "d_licence_no": np.concatenate([np.full(nv, "", dtype=object), l_no]),
            "licence_no": np.concatenate([np.full(nv, None), l_no]),
        }
    )
    # licence typo rows do not carry the true licence number
    n = len(sub)
    p = sub["pid"].to_numpy()
    sub["d_citizen_id"] = take(people["citizen_id"], p)
    sub["d_full_name"] = take(people["full_name"], p)
    from synth.common import DMY, format_dates

    sub["d_dob"] = format_dates(take(people["dob"], p), DMY)
    sub["d_phone"] = cat(
        np.array(["09", "08", "03", "07"], dtype=object)[rng.integers(0, 4, n)],
        zfill_text(rng.integers(0, 100_000_000, n), 8),
    )
    sub["d_unit_code"] = wd.spell_units(rng, units, sub["unit_idx"].to_numpy())
    sub["reason_text"] = np.where(
        sub["decision"] == "rejected",
        REJECT_REASONS_VI[rng.integers(0, len(REJECT_REASONS_VI), n)],
        None,
    )
    # text faults on accepted rows
    sub["text_fault"] = None
    sub["text_fault"] = sub["text_fault"].astype(object)
    idx = rng.permutation(n)
    c1, c2, c3 = int(0.03 * n), int(0.03 * n), int(0.05 * n)
    sel = idx[:c1]
    sub.loc[sel, "d_citizen_id"] = take(sub["d_citizen_id"], sel).astype(str)
    sub.loc[sel, "d_citizen_id"] = (
        pd.Series(take(sub["d_citizen_id"], sel)).str.lstrip("0").to_numpy(dtype=object)
    )
    sub.loc[sel, "text_fault"] = "id_dropped_zeros"
    sel = idx[c1 : c1 + c2]
    sub.loc[sel, "d_full_name"] = wd.to_nfd(take(sub["d_full_name"], sel))
    sub.loc[sel, "text_fault"] = "name_nfd"
    sel = idx[c1 + c2 : c1 + c2 + c3]
    sub.loc[sel, "d_full_name"] = wd.strip_diacritics(take(sub["d_full_name"], sel))
    sub.loc[sel, "text_fault"] = "name_no_diacritics"
    return sub


SUBMISSION_REJECT_REASON = {
    "blank_plate_chassis": ("plate", "missing_required"),
    "unknown_unit": ("unit_code", "unknown_unit"),
    "invalid_declared_status": ("declared_status", "invalid_enum"),
    "blank_licence_no": ("licence_no", "missing_required"),
    "duplicate_key": ("submission_id", "duplicate_row"),  # an identical copy of the row
}
INVALID_DECLARED = np.array(["Cho mượn", "Không rõ"], dtype=object)


def finalize_submissions(
    rng, sub: pd.DataFrame, veh_rec: pd.DataFrame, lic_rec: pd.DataFrame, part: Part = WHOLE
) -> pd.DataFrame:
    """Add the rows ingest must reject, number every submission, order the export."""
    sub = sub.copy()
    sub["reject"] = None
    sub["reject"] = sub["reject"].astype(object)
    sub["d_declared_status"] = sub["declared"]
    tgt = sub["target"].to_numpy()
    veh = (sub["kind"] == "vehicle").to_numpy()
    true_rid = np.where(  # type: ignore[call-overload]  # numpy stubs: None as object null
        tgt >= 0,
        np.where(
            veh,
            take(veh_rec["record_id"], np.clip(tgt, 0, len(veh_rec) - 1)),
            take(lic_rec["record_id"], np.clip(tgt, 0, len(lic_rec) - 1)),
        ),
        None,
    )
    sub["true_record_id"] = np.where(sub["origin"].to_numpy() == "licence_typo", None, true_rid)
    n = len(sub)
    extras = []
    from synth.world import unknown_unit_names

    unknown = unknown_unit_names()
    for k, rate in SUBMISSION_REJECT_RATES.items():
        pool = (
            np.flatnonzero(veh)
            if k in ("blank_plate_chassis", "invalid_declared_status")
            else (np.flatnonzero(~veh) if k == "blank_licence_no" else np.arange(n))
        )
        c = int(round(rate * n))
        src = rng.choice(pool, c, replace=False)
        e = sub.iloc[src].copy()
        e["reject"] = k
        e["origin"] = "rejected_row"
        e["t_sub"] = e["t_sub"].to_numpy() + rng.integers(30, 600, c)
        if k == "blank_plate_chassis":
            e["d_plate"] = ""
            e["d_chassis_no"] = ""
            e["plate_key"] = None
            e["plate_ingest_key"] = None
            e["chassis_key"] = None
        elif k == "unknown_unit":
            e["d_unit_code"] = unknown[rng.integers(0, len(unknown), c)]
        elif k == "invalid_declared_status":
            e["d_declared_status"] = INVALID_DECLARED[rng.integers(0, 2, c)]
        elif k == "blank_licence_no":
            e["d_licence_no"] = ""
            e["licence_no"] = None
        extras.append(e)
    sub = pd.concat([sub] + extras, ignore_index=True)
    # submission ids in time order (ties broken at random)
    tie = rng.random(len(sub))
    order = np.lexsort((tie, sub["t_sub"].to_numpy()))
    sub = sub.iloc[order].reset_index(drop=True)
    first = part.offset(SUBMISSION_NUMBERS)
    sub["submission_id"] = cat("IH", zfill_text(np.arange(first + 1, first + len(sub) + 1), 10))
    sub["is_copy"] = False
    elig = np.flatnonzero(sub["reject"].isna().to_numpy())
    src = pick_exact(rng, elig, SUBMISSION_COPY_RATE)
    copies = sub.iloc[src].copy()
    copies["is_copy"] = True
    copies["reject"] = "duplicate_key"
    out = pd.concat([sub, copies], ignore_index=True)
    out["_pos"] = np.concatenate(
        [np.arange(len(sub), dtype=float), src + rng.integers(1, 50, len(src)) + 0.5]
    )
    out = out.sort_values("_pos", kind="stable", ignore_index=True).drop(columns="_pos")
    out["row_key"] = np.arange(len(out), dtype=np.int64)
    out["reject_code"] = out["reject"].map({k: v[1] for k, v in SUBMISSION_REJECT_REASON.items()})
    return compact(out)
