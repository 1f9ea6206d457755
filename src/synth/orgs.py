"""The synthetic city's organisations (enterprises, business households, industrial parks,
schools, hospitals, agencies), sized and calibrated to the published figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth import names as nm
from synth.common import (
    Units,
    allocate,
    cat,
    unique_draw,
    zfill_int,
    zfill_text,
)

ORG_TYPES = ("enterprise", "business_household", "industrial_park", "school", "hospital", "agency")
ORG_COUNTS_CITY = {  # organisations at full city scale
    "enterprise": 4200,
    "business_household": 3100,
    "industrial_park": 9,
    "school": 1150,
    "hospital": 140,
    "agency": 520,
}
# Published figures for the delivery ending 2025-11-30 (conference of 1 December), full scale.
ORG_TARGETS_CITY = {
    "dispatches_business": 1592,  # enterprises and business households sent an official dispatch
    "worked_directly": 198,  # "nearly 200" enterprises worked with directly
    "schools_hospitals_counted": 168,
    "agencies_declared": 45,
    "agency_vehicles_declared": 2428,
}
ORG_CALIBRATION_DAY = np.datetime64("2025-11-30")

_ENTERPRISE_WORDS = (
    "Thành Đạt",
    "Hưng Thịnh",
    "Phú Gia",
    "An Phát",
    "Minh Long",
    "Việt Tiến",
    "Sao Mai",
    "Hoàng Long",
    "Đại Nam",
    "Thăng Long",
    "Hồng Hà",
    "Kinh Bắc",
    "Tân Á",
    "Bình Minh",
    "Hà Thành",
    "Đông Đô",
    "Phương Đông",
    "Trường Sơn",
    "Nam Việt",
    "Quốc Tế",
)
_ENTERPRISE_KINDS = ("Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Tổng công ty")
_ENTERPRISE_TRADES = (
    "Thương mại",
    "Xây dựng",
    "Vận tải",
    "Dịch vụ",
    "Đầu tư",
    "Công nghệ",
    "Sản xuất",
    "Du lịch",
)


def tax_codes(prefix: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """Distinct tax codes (MST) that pass the check digit (helpers.normalize.MST_WEIGHTS): the
    two-digit prefix, a 7-digit sequence, the check digit. A sequence that repeats one before
    it, is 0000000 or has no check digit (weighted sum divisible by 11) moves to the next
    one, so the codes stay distinct without another random draw."""
    from helpers.normalize import MST_WEIGHTS

    seq = np.asarray(seq, dtype=np.int64) % 10_000_000
    for _ in range(1000):
        body = prefix.astype(np.int64) * 10_000_000 + seq
        digits = [(body // 10 ** (8 - i)) % 10 for i in range(9)]
        rest = sum(w * d for w, d in zip(MST_WEIGHTS, digits, strict=True)) % 11
        bad = (rest == 0) | (seq == 0) | pd.Series(body).duplicated().to_numpy()
        if not bad.any():
            break
        seq = np.where(bad, (seq + 1) % 10_000_000, seq)
    return zfill_text(body * 10 + (10 - rest), 10)


def make_orgs(rng: np.random.Generator, units: Units, factor: float) -> pd.DataFrame:
    counts = {k: max(int(round(v * factor)), 1) for k, v in ORG_COUNTS_CITY.items()}
    uw = units.frame["weight"].to_numpy()
    xa = np.flatnonzero(units.frame["unit_kind"].to_numpy() == "xa")
    frames = []
    for t in ORG_TYPES:  # per organisation type, not per record
        k = counts[t]
        if t == "industrial_park":
            uidx = rng.choice(xa, k, replace=k > len(xa))
        else:
            uidx = rng.choice(len(uw), k, p=uw / uw.sum())
        frames.append(pd.DataFrame({"org_type": t, "unit_idx": uidx}))
    orgs = pd.concat(frames, ignore_index=True)
    n = len(orgs)
    base = units.frame["base_name"].to_numpy()[orgs["unit_idx"].to_numpy()]
    unit_name = units.frame["unit_name"].to_numpy()[orgs["unit_idx"].to_numpy()]
    t = orgs["org_type"].to_numpy()
    word = np.array(_ENTERPRISE_WORDS, dtype=object)[rng.integers(0, len(_ENTERPRISE_WORDS), n)]
    kind = np.array(_ENTERPRISE_KINDS, dtype=object)[rng.integers(0, len(_ENTERPRISE_KINDS), n)]
    trade = np.array(_ENTERPRISE_TRADES, dtype=object)[rng.integers(0, len(_ENTERPRISE_TRADES), n)]
    level = np.array(
        ["Trường Mầm non", "Trường Tiểu học", "Trường THCS", "Trường THPT"], dtype=object
    )[rng.integers(0, 4, n)]
    hosp = np.array(["Bệnh viện Đa khoa", "Trạm Y tế", "Phòng khám Đa khoa"], dtype=object)[
        rng.integers(0, 3, n)
    ]
    agency = np.array(
        ["UBND", "Kho bạc Nhà nước khu vực", "Chi cục Thuế khu vực", "Trung tâm Văn hóa"],
        dtype=object,
    )[rng.integers(0, 4, n)]
    seq = zfill_int(np.arange(n) % 1000, 3)
    hh_family = nm.pool(nm.FAMILY)[0][rng.integers(0, 10, n)]
    hh_given = np.array(nm.GIVEN_MALE + nm.GIVEN_FEMALE, dtype=object)[rng.integers(0, 80, n)]
    name = np.select(
        [
            t == "enterprise",
            t == "business_household",
            t == "industrial_park",
            t == "school",
            t == "hospital",
        ],
        [
            cat(kind, " ", trade, " ", word),
            cat("Hộ kinh doanh ", hh_family, " Văn ", hh_given),
            cat("Khu công nghiệp ", base),
            cat(level, " ", base),
            cat(hosp, " ", base),
        ],
        cat(agency, " ", unit_name, " ", seq),
    )
    tax = unique_draw(rng, n, 100_000_000)
    prefix = np.where(t == "business_household", 80, 1)
    org_id = tax_codes(prefix, tax // 10)
    branch = (rng.random(n) < 0.08) & (t == "enterprise")
    org_id = np.where(branch, cat(org_id, "-001"), org_id)

    # progress dates (NaT = not yet, ever)
    d0 = np.datetime64("2025-11-12")
    dispatch = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    worked = dispatch.copy()
    counted = dispatch.copy()
    declared = dispatch.copy()
    vcount = np.zeros(n, dtype=np.int64)
    vdecl = np.zeros(n, dtype=np.int64)
    tg = {k: int(round(v * factor)) for k, v in ORG_TARGETS_CITY.items()}
    cal = ORG_CALIBRATION_DAY

    def dates_exact(idx: np.ndarray, k_by_cal: int, late_share: float) -> np.ndarray:
        """Dates for ``idx``: exactly ``k_by_cal`` on or before the calibration day."""
        out = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[D]")
        perm = rng.permutation(len(idx))
        early, rest = perm[:k_by_cal], perm[k_by_cal:]
        out[early] = d0 + rng.integers(0, int((cal - d0).astype(int)) + 1, len(early))
        late = rest[rng.random(len(rest)) < late_share]
        out[late] = cal + 1 + rng.integers(0, 21, len(late))
        return out

    biz = np.flatnonzero((t == "enterprise") | (t == "business_household"))
    dispatch[biz] = dates_exact(biz, min(tg["dispatches_business"], len(biz)), 0.55)
    others = np.flatnonzero(~np.isin(t, ["enterprise", "business_household"]))
    dispatch[others] = d0 - 1 + rng.integers(0, 10, len(others))
    ent = np.flatnonzero(((t == "enterprise") | (t == "industrial_park")) & ~np.isnat(dispatch))
    worked[ent] = dates_exact(ent, min(tg["worked_directly"], len(ent)), 0.10)
    worked[ent] = np.where(worked[ent] < dispatch[ent], dispatch[ent] + 2, worked[ent])
    worked[ent] = np.where(
        (dispatch[ent] <= cal) & (worked[ent] <= cal) | np.isnat(worked[ent]),
        worked[ent],
        worked[ent],
    )
    sh = np.flatnonzero((t == "school") | (t == "hospital"))
    counted[sh] = dates_exact(sh, min(tg["schools_hospitals_counted"], len(sh)), 0.4)
    vcount[sh] = rng.integers(8, 260, len(sh))
    ag = np.flatnonzero(t == "agency")
    declared[ag] = dates_exact(ag, min(tg["agencies_declared"], len(ag)), 0.3)
    vdecl[ag] = rng.integers(5, 120, len(ag))
    early_ag = ag[~np.isnat(declared[ag]) & (declared[ag] <= cal)]
    if len(early_ag):
        # exactly the published total over the agencies that declared by the calibration day
        share = rng.dirichlet(np.ones(len(early_ag)) * 3)
        vdecl[early_ag] = allocate(tg["agency_vehicles_declared"], share)
    ent_decl = np.flatnonzero((t == "enterprise") & ~np.isnat(worked))
    declared[ent_decl] = worked[ent_decl] + rng.integers(1, 10, len(ent_decl))
    vdecl[ent_decl] = rng.integers(2, 80, len(ent_decl))
    return pd.DataFrame(
        {
            "org_idx": np.arange(n),
            "org_id": org_id,
            "org_name": name,
            "org_type": t,
            "unit_idx": orgs["unit_idx"].to_numpy(),
            "dispatch_on": dispatch,
            "worked_on": worked,
            "counted_on": counted,
            "declared_on": declared,
            "vehicles_counted": vcount,
            "vehicles_declared": vdecl,
        }
    )
