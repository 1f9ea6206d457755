"""The NPDB population extract, as delivered, with its faults and reject reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth import world as wd
from synth.common import (
    DMY,
    ISO,
    YEAR,
    Faults,
    cat,
    compact,
    format_dates,
    pick_exact,
    take,
)
from synth.registry.records import (
    draw_styles,
)

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
    style = np.where(res["year_only"].to_numpy(), YEAR, draw_styles(rng, n, {DMY: 0.9, ISO: 0.1}))
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
