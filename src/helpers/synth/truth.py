"""What is really true each week, derived by docs/rules.md from what the generator knows.

Links, duplicates and statuses are computed from the normalised keys of the delivered values
(the plate key a correct ingest derives, the repaired ID), the rows ingest must reject, and the
identity faults the generator injected, so a correct pipeline reproduces them exactly.

Keys are integer codes (one factorisation over registry and submissions) and record and
submission IDs are their fixed-width numbers, so each week is a few numpy passes even at city
scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from helpers.synth.campaign import DAY, EPOCH
from helpers.synth.common import cat, zfill_int

VEHICLE_ORDER = (
    "duplicate_registry_record",
    "organization_owned",
    "invalid_owner_id",
    "id_not_in_population",
    "owner_deceased",
    "identity_mismatch",
    "scrapped_or_lost",
    "transferred_not_registered",
    "cleaned",
    "pending_review",
    "rejected_awaiting_resubmission",
    "owner_resides_elsewhere",
    "not_submitted",
)
LICENCE_ORDER = (
    "duplicate_registry_record",
    "invalid_holder_id",
    "id_not_in_population",
    "holder_deceased",
    "identity_mismatch",
    "cleaned",
    "pending_review",
    "rejected_awaiting_resubmission",
    "not_submitted",
)
INVALID_ID_FAULTS = ("id_cmnd", "id_malformed", "id_missing")
NAME_IDENTITY = {
    "name_other_person": "name_mismatch",
    "name_typo": "match_name_typo",
    "name_middle_swapped": "match_middle_swapped",
}
DOB_IDENTITY = {"dob_day_month_swapped": "dob_day_month_swapped", "dob_other_date": "dob_mismatch"}
NONE = np.iinfo(np.int64).max


def end_of(day: str) -> int:
    """Seconds since the generator's epoch at the end of ``day`` (last second included)."""
    return int((np.datetime64(day, "s") - EPOCH).astype(np.int64)) + DAY - 1


def id_number(ids: pd.Series | np.ndarray, width: int = 8) -> np.ndarray:
    """'VR00000123' -> 123 (fixed-width IDs: numeric order = text order)."""
    s = pd.Series(np.asarray(ids, dtype=object), dtype="string").str.slice(-width)
    return s.astype("int64").to_numpy()


def key_codes(*columns: np.ndarray) -> list[np.ndarray]:
    """One integer code per distinct non-empty key across the given columns (-1 = none)."""
    sizes = [len(c) for c in columns]
    allv = pd.Series(np.concatenate([np.asarray(c, dtype=object) for c in columns]), dtype="string")
    allv = allv.mask(allv == "")
    codes, _ = pd.factorize(allv, use_na_sentinel=True)
    out, pos = [], 0
    for n in sizes:
        out.append(codes[pos : pos + n].astype(np.int64))
        pos += n
    return out


def population_view(population: pd.DataFrame, people: pd.DataFrame, as_of: str) -> dict:
    """Per person (array over all people): in the accepted extract, deceased as delivered."""
    acc = population[population["reject"].isna()]
    n = len(people)
    present = np.zeros(n, dtype=bool)
    present[acc["pid"].to_numpy()] = True
    deceased = np.zeros(n, dtype=bool)
    deceased[acc["pid"].to_numpy()] = acc["died_on"].to_numpy() <= np.datetime64(as_of)
    return {
        "present": present,
        "deceased": deceased,
        "home": people["unit_idx"].to_numpy(),
        "year_only": people["year_only"].to_numpy(),
    }


def _labels(index: np.ndarray, names) -> pd.api.extensions.ExtensionArray:
    """Arrow-backed text of a small vocabulary by position (-1: missing); no Python string
    per row (the weekly truth labels ~8.5 M city records six times)."""
    vocab = pa.array([str(v) for v in names], pa.large_string())
    index = np.asarray(index, dtype=np.int64)
    taken = vocab.take(pa.array(index, mask=index < 0))
    return pd.array(taken, dtype="str")


def identity(rows: pd.DataFrame, pop: dict) -> dict[str, np.ndarray]:
    """Identity facts per registry row against the week's population view."""
    pid = rows["pid"].to_numpy()
    p = np.maximum(pid, 0)
    present = pop["present"][p] & (pid >= 0)
    deceased = pop["deceased"][p] & present
    home = np.where(present, pop["home"][p], -1)
    yo = pop["year_only"][p] & present
    invalid = rows["id_fault"].isin(INVALID_ID_FAULTS).to_numpy()
    name = rows["name_fault"].map(NAME_IDENTITY).to_numpy(dtype=object)
    dob = rows["dob_fault"].map(DOB_IDENTITY).to_numpy(dtype=object)
    mismatch = (name == "name_mismatch") | pd.notna(dob)
    result = np.where(pd.isna(name), "match", name).astype(object)
    result = np.where(pd.notna(dob) & (result != "name_mismatch"), dob, result)
    result = np.where((result == "match") & yo, "match_year_only", result)
    result = np.where(present, result, "id_not_in_population")
    result = np.where(invalid, "invalid_id", result)
    return {
        "invalid": invalid,
        "present": present,
        "deceased": deceased,
        "home": home,
        "mismatch": mismatch,
        "identity_result": result,
    }


def min_record_per_key(code: np.ndarray, rec: np.ndarray, n_codes: int) -> np.ndarray:
    """Smallest record number holding each key code (NONE where no record holds it)."""
    first = np.full(n_codes + 1, NONE, dtype=np.int64)
    valid = code >= 0
    np.minimum.at(first, code[valid], rec[valid])
    return first


def week_truth(
    week: str,
    vehicles: pd.DataFrame,
    licences: pd.DataFrame,
    pop_rows: pd.DataFrame,
    pop_as_of: str,
    people: pd.DataFrame,
    subs: pd.DataFrame,
    units: pd.DataFrame,
    registry_file_new: bool,
    n_codes: dict[str, int],
) -> dict[str, pd.DataFrame]:
    """Expected vehicle_status, licence_status and submission_links for one delivery week.

    ``vehicles``/``licences`` carry ``rec`` (record number) and integer key codes
    (``plate_code``, ``chassis_code``, ``licence_code``); ``subs`` carries ``sub`` (submission
    number) and the same codes.
    """
    end = end_of(week)
    pop = population_view(pop_rows, people, pop_as_of)
    codes = units["unit_code"].to_numpy()

    in_export = subs["t_sub"].to_numpy() <= end
    ws = subs[in_export]
    reviewed = ws["t_rev"].to_numpy() <= end
    state = np.where(reviewed, ws["decision"].to_numpy(dtype=object), "pending").astype(object)
    accepted_sub = ws["reject"].isna().to_numpy() & ~ws["is_copy"].to_numpy()
    sub_num = ws["sub"].to_numpy()
    sub_kind = ws["kind"].to_numpy(dtype=object)
    link_rec = np.full(len(ws), NONE, dtype=np.int64)
    method = np.full(len(ws), "none", dtype=object)

    out: dict[str, pd.DataFrame] = {}
    for kind, reg, order, prefix in (
        ("vehicle", vehicles, VEHICLE_ORDER, "VR"),
        ("licence", licences, LICENCE_ORDER, "GP"),
    ):
        rows = reg if registry_file_new else reg[~reg["new_in_update"].to_numpy()]
        rows = rows[~rows["is_copy"].to_numpy()]
        ok = rows["reject"].isna().to_numpy()
        acc = rows[ok]
        rec = acc["rec"].to_numpy()
        mine = accepted_sub & (sub_kind == kind)
        if kind == "vehicle":
            pc, cc = acc["plate_code"].to_numpy(), acc["chassis_code"].to_numpy()
            by_plate = min_record_per_key(pc, rec, n_codes["plate"])
            by_chassis = min_record_per_key(cc, rec, n_codes["chassis"])
            dup = ((pc >= 0) & (by_plate[pc] != rec)) | ((cc >= 0) & (by_chassis[cc] != rec))
            sp, sc = ws["plate_code"].to_numpy(), ws["chassis_code"].to_numpy()
            lp = np.where(mine & (sp >= 0), by_plate[sp], NONE)
            lc = np.where(mine & (sc >= 0), by_chassis[sc], NONE)
            link_rec = np.where(mine & (lp != NONE), lp, np.where(mine, lc, link_rec))
            method = np.where(
                mine & (lp != NONE), "plate", np.where(mine & (lc != NONE), "chassis", method)
            )
        else:
            lcode = acc["licence_code"].to_numpy()
            by_no = min_record_per_key(lcode, rec, n_codes["licence"])
            dup = (lcode >= 0) & (by_no[lcode] != rec)
            sl_ = ws["licence_code"].to_numpy()
            ll = np.where(mine & (sl_ >= 0), by_no[sl_], NONE)
            link_rec = np.where(mine, ll, link_rec)
            method = np.where(mine & (ll != NONE), "licence_no", method)

        # the winning submission per record: the largest submission number linked to it
        order_rec = np.argsort(rec, kind="stable")
        rec_sorted = rec[order_rec]
        linked = mine & (link_rec != NONE)
        pos = order_rec[np.searchsorted(rec_sorted, link_rec[linked])]
        win = np.full(len(acc), -1, dtype=np.int64)
        np.maximum.at(win, pos, sub_num[linked])
        n_sub = np.bincount(pos, minlength=len(acc))
        has = win >= 0
        sub_pos = np.searchsorted(sub_num, win[has])  # ws is ordered by submission number
        rs = np.full(len(acc), None, dtype=object)
        rs[has] = state[sub_pos]
        decl = np.full(len(acc), None, dtype=object)
        decl[has] = ws["declared"].to_numpy(dtype=object)[sub_pos]

        ident = identity(acc, pop)
        org = (
            (acc["owner_kind"].to_numpy() == "organization")
            if kind == "vehicle"
            else (np.zeros(len(acc), dtype=bool))
        )
        ind = ~org
        rules = {
            "duplicate_registry_record": dup,
            "organization_owned": org,
            "invalid_owner_id": ind & ident["invalid"],
            "invalid_holder_id": ind & ident["invalid"],
            "id_not_in_population": ind & ~ident["invalid"] & ~ident["present"],
            "owner_deceased": ind & ident["present"] & ident["deceased"],
            "holder_deceased": ind & ident["present"] & ident["deceased"],
            "identity_mismatch": ind & ident["present"] & ~ident["invalid"] & ident["mismatch"],
            "scrapped_or_lost": (rs == "approved") & ((decl == "scrapped") | (decl == "lost")),
            "transferred_not_registered": (rs == "approved") & (decl == "transferred"),
            "cleaned": rs == "approved",
            "pending_review": rs == "pending",
            "rejected_awaiting_resubmission": rs == "rejected",
            "owner_resides_elsewhere": ~has
            & ind
            & ident["present"]
            & (ident["home"] != acc["unit_idx"].to_numpy()),
            "not_submitted": np.ones(len(acc), dtype=bool),
        }
        status_code = np.full(len(acc), -1, dtype=np.int64)
        for i in range(len(order) - 1, -1, -1):  # earlier rules overwrite later ones
            status_code = np.where(rules[order[i]], i, status_code)
        status = _labels(status_code, order)
        identity_result = np.where(org, "not_checked", ident["identity_result"])
        win_id = np.full(len(acc), None, dtype=object)
        win_id[has] = ws["submission_id"].to_numpy(dtype=object)[sub_pos]
        table = pd.DataFrame(
            {
                "record_id": acc["record_id"].array,
                "unit_code": _labels(acc["unit_idx"].to_numpy(), codes),
                "status": status,
                "identity_result": identity_result,
                "submission_id": win_id,
                "review_status": rs,
                "n_submissions": n_sub.astype(np.int64),
                "rejected_at_ingest": False,
                "reject_reason": None,
            }
        )
        rej = rows[~ok]
        rej_t = pd.DataFrame(
            {
                "record_id": rej["record_id"].to_numpy(),
                "unit_code": codes[rej["unit_idx"].to_numpy()],
                "status": None,
                "identity_result": None,
                "submission_id": None,
                "review_status": None,
                "n_submissions": 0,
                "rejected_at_ingest": True,
                "reject_reason": rej["reject_code"].to_numpy(),
            }
        )
        table = pd.concat([table, rej_t], ignore_index=True).sort_values(
            "record_id", kind="stable", ignore_index=True
        )
        out[f"{kind}_status"] = table
        # link targets as text for this kind
        link_text = np.full(len(ws), None, dtype=object)
        m = (sub_kind == kind) & (link_rec != NONE)
        link_text[m] = cat(prefix, zfill_int(link_rec[m], 8))
        out[f"_{kind}_link"] = link_text

    veh_link, lic_link = out.pop("_vehicle_link"), out.pop("_licence_link")
    record_id = np.where(sub_kind == "vehicle", veh_link, lic_link)
    linked = pd.notna(record_id)
    # duplicates: every linked submission but the largest number per record
    key = np.where(linked, link_rec * 2 + (sub_kind == "licence"), -1)
    winner_num = pd.Series(sub_num).groupby(key).transform("max").to_numpy()
    is_dup = linked & (winner_num != sub_num)
    superseded = np.full(len(ws), None, dtype=object)
    sup_pos = np.searchsorted(sub_num, winner_num[is_dup].astype(np.int64))
    superseded[is_dup] = ws["submission_id"].to_numpy(dtype=object)[sup_pos]
    keep = ~ws["is_copy"].to_numpy()
    sl = pd.DataFrame(
        {
            "submission_id": ws["submission_id"].to_numpy(),
            "kind": sub_kind,
            "record_id": record_id,
            "true_record_id": ws["true_record_id"].to_numpy(dtype=object),
            "link_method": method,
            "is_duplicate": is_dup,
            "superseded_by": superseded,
            "review_status": state,
            "rejected_at_ingest": ~accepted_sub,
        }
    )[keep].reset_index(drop=True)
    out["submission_links"] = sl
    return out
