"""What is really true each week, derived by docs/rules.md from what the generator knows.

Links, duplicates and statuses are computed from the normalised keys of the delivered values
(the plate key a correct ingest derives, the repaired ID), the rows ingest must reject, and the
identity faults the generator injected, so a correct pipeline reproduces them exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.synth.campaign import DAY, EPOCH

VEHICLE_ORDER = (
    "duplicate_registry_record", "organization_owned", "invalid_owner_id",
    "id_not_in_population", "owner_deceased", "identity_mismatch", "scrapped_or_lost",
    "transferred_not_registered", "cleaned", "pending_review", "rejected_awaiting_resubmission",
    "owner_resides_elsewhere", "not_submitted",
)
LICENCE_ORDER = (
    "duplicate_registry_record", "invalid_holder_id", "id_not_in_population", "holder_deceased",
    "identity_mismatch", "cleaned", "pending_review", "rejected_awaiting_resubmission",
    "not_submitted",
)
INVALID_ID_FAULTS = ("id_cmnd", "id_malformed", "id_missing")
NAME_IDENTITY = {
    "name_other_person": "name_mismatch", "name_typo": "match_name_typo",
    "name_middle_swapped": "match_middle_swapped",
}
DOB_IDENTITY = {"dob_day_month_swapped": "dob_day_month_swapped", "dob_other_date": "dob_mismatch"}


def end_of(day: str) -> int:
    """Seconds since the generator's epoch at the end of ``day`` (last second included)."""
    return int((np.datetime64(day, "s") - EPOCH).astype(np.int64)) + DAY - 1


def population_view(population: pd.DataFrame, people: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """Per person in the accepted extract: present, deceased (as delivered), residence unit."""
    acc = population[population["reject"].isna()]
    dead = acc["died_on"].to_numpy() <= np.datetime64(as_of)
    view = pd.DataFrame({"pid": acc["pid"].to_numpy(), "deceased": dead})
    view["unit_idx"] = people["unit_idx"].to_numpy()[view["pid"].to_numpy()]
    view["year_only"] = people["year_only"].to_numpy()[view["pid"].to_numpy()]
    return view.drop_duplicates("pid")


def _dup_by_key(records: pd.DataFrame, key: str) -> np.ndarray:
    """True where another accepted record with a smaller record_id holds the same key."""
    k = records[key]
    valid = k.notna().to_numpy() & (k.astype("string") != "").fillna(False).to_numpy()
    first = records.loc[valid].groupby(key, sort=False)["record_id"].transform("min")
    out = np.zeros(len(records), dtype=bool)
    out[valid] = (records.loc[valid, "record_id"] != first).to_numpy()
    return out


def _key_map(records: pd.DataFrame, key: str) -> pd.Series:
    """key -> record_id of the original (smallest record_id) among accepted records."""
    r = records[records[key].notna() & (records[key] != "")]
    return r.groupby(key, sort=False)["record_id"].min()


def identity(rows: pd.DataFrame, pop: pd.DataFrame, id_prefix: str = "") -> pd.DataFrame:
    """Identity facts per registry row against the week's population view."""
    pid = rows["pid"].to_numpy()
    pv = pop.set_index("pid")
    present = np.isin(pid, pop["pid"].to_numpy())
    deceased = np.zeros(len(rows), dtype=bool)
    home = np.full(len(rows), -1)
    yo = np.zeros(len(rows), dtype=bool)
    if present.any():
        sub = pv.loc[pid[present]]
        deceased[present] = sub["deceased"].to_numpy()
        home[present] = sub["unit_idx"].to_numpy()
        yo[present] = sub["year_only"].to_numpy()
    invalid = rows["id_fault"].isin(INVALID_ID_FAULTS).to_numpy()
    name = rows["name_fault"].map(NAME_IDENTITY).to_numpy(dtype=object)
    dob = rows["dob_fault"].map(DOB_IDENTITY).to_numpy(dtype=object)
    mismatch = (name == "name_mismatch") | pd.notna(dob)
    result = np.where(pd.isna(name), "match", name).astype(object)
    result = np.where(pd.notna(dob) & (result != "name_mismatch"), dob, result)
    result = np.where((result == "match") & yo, "match_year_only", result)
    result = np.where(present, result, "id_not_in_population")
    result = np.where(invalid, "invalid_id", result)
    return pd.DataFrame({"invalid": invalid, "present": present, "deceased": deceased,
                         "home": home, "mismatch": mismatch, "identity_result": result})


def link_submissions(subs: pd.DataFrame, records: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Expected link per accepted submission of one kind (plate, then chassis; licence_no)."""
    s = subs[subs["kind"] == kind]
    if kind == "vehicle":
        by_plate = s["plate_key"].map(_key_map(records, "plate_key"))
        by_chassis = s["chassis_key"].map(_key_map(records, "chassis_key"))
        rid = by_plate.where(by_plate.notna(), by_chassis)
        method = np.where(by_plate.notna(), "plate", np.where(by_chassis.notna(), "chassis",
                                                               "none"))
    else:
        rid = s["licence_no"].map(_key_map(records, "licence_no"))
        method = np.where(rid.notna(), "licence_no", "none")
    out = pd.DataFrame({"submission_id": s["submission_id"].to_numpy(),
                        "record_id": rid.to_numpy(dtype=object), "link_method": method})
    linked = out[out["record_id"].notna()]
    win = linked.groupby("record_id")["submission_id"].max()
    out["winner"] = out["record_id"].map(win)
    out["is_duplicate"] = out["record_id"].notna() & (out["winner"] != out["submission_id"])
    out["superseded_by"] = np.where(out["is_duplicate"], out["winner"], None)
    return out


def week_truth(week: str, vehicles: pd.DataFrame, licences: pd.DataFrame, pop_rows: pd.DataFrame,
               pop_as_of: str, people: pd.DataFrame, subs: pd.DataFrame, units: pd.DataFrame,
               registry_file_new: bool) -> dict[str, pd.DataFrame]:
    """Expected vehicle_status, licence_status and submission_links for one delivery week."""
    end = end_of(week)
    pop = population_view(pop_rows, people, pop_as_of)
    codes = units["unit_code"].to_numpy()

    # submissions in this week's export, with their review state as of the week
    ws = subs[subs["t_sub"] <= end].copy()
    reviewed = ws["t_rev"].to_numpy() <= end
    ws["review_status"] = np.where(reviewed, ws["decision"].to_numpy(), "pending")
    acc = ws[ws["reject"].isna() & ~ws["is_copy"]]

    out = {}
    for kind, reg, order in (("vehicle", vehicles, VEHICLE_ORDER),
                             ("licence", licences, LICENCE_ORDER)):
        rows = reg if registry_file_new else reg[~reg["new_in_update"]]
        rows = rows[~rows["is_copy"]]
        accepted = rows[rows["reject"].isna()].reset_index(drop=True)
        links = link_submissions(acc, accepted, kind)
        win = links[links["record_id"].notna() & ~links["is_duplicate"]]
        win = win.merge(acc[["submission_id", "review_status", "declared", "t_sub", "t_rev"]],
                        on="submission_id", how="left").set_index("record_id")
        n_subs = links[links["record_id"].notna()].groupby("record_id").size()
        ident = identity(accepted, pop)
        dup = _dup_by_key(accepted, "plate_key" if kind == "vehicle" else "licence_no")
        if kind == "vehicle":
            dup |= _dup_by_key(accepted, "chassis_key")
        rid = accepted["record_id"]
        rs = rid.map(win["review_status"]).to_numpy(dtype=object)
        decl = rid.map(win["declared"]).to_numpy(dtype=object)
        org = (accepted["owner_kind"] == "organization").to_numpy() if kind == "vehicle" else (
            np.zeros(len(accepted), dtype=bool))
        ind = ~org
        rules = {
            "duplicate_registry_record": dup,
            "organization_owned": org,
            "invalid_owner_id": ind & ident["invalid"].to_numpy(),
            "invalid_holder_id": ind & ident["invalid"].to_numpy(),
            "id_not_in_population": ind & ~ident["invalid"].to_numpy() & ~ident["present"].to_numpy(),
            "owner_deceased": ind & ident["present"].to_numpy() & ident["deceased"].to_numpy(),
            "holder_deceased": ind & ident["present"].to_numpy() & ident["deceased"].to_numpy(),
            "identity_mismatch": ind & ident["present"].to_numpy() & ~ident["invalid"].to_numpy()
            & ident["mismatch"].to_numpy(),
            "scrapped_or_lost": (rs == "approved") & np.isin(decl, ["scrapped", "lost"]),
            "transferred_not_registered": (rs == "approved") & (decl == "transferred"),
            "cleaned": rs == "approved",
            "pending_review": rs == "pending",
            "rejected_awaiting_resubmission": rs == "rejected",
            "owner_resides_elsewhere": pd.isna(rs) & ind & ident["present"].to_numpy()
            & (ident["home"].to_numpy() != accepted["unit_idx"].to_numpy()),
            "not_submitted": np.ones(len(accepted), dtype=bool),
        }
        status = np.full(len(accepted), None, dtype=object)
        for name in reversed(order):  # earlier rules overwrite later ones
            status = np.where(rules[name], name, status)
        identity_result = np.where(org, "not_checked", ident["identity_result"].to_numpy())
        table = pd.DataFrame({
            "record_id": rid.to_numpy(),
            "unit_code": codes[accepted["unit_idx"].to_numpy()],
            "status": status,
            "identity_result": identity_result,
            "submission_id": rid.map(links[links["record_id"].notna() & ~links["is_duplicate"]]
                                     .set_index("record_id")["submission_id"]).to_numpy(
                                         dtype=object),
            "review_status": rs,
            "n_submissions": rid.map(n_subs).fillna(0).astype(np.int64).to_numpy(),
            "rejected_at_ingest": False,
            "reject_reason": None,
        })
        rej = rows[rows["reject"].notna()]
        rej_t = pd.DataFrame({
            "record_id": rej["record_id"].to_numpy(),
            "unit_code": codes[rej["unit_idx"].to_numpy()],
            "status": None, "identity_result": None, "submission_id": None,
            "review_status": None, "n_submissions": 0, "rejected_at_ingest": True,
            "reject_reason": rej["reject_code"].to_numpy(),
        })
        table = pd.concat([table, rej_t], ignore_index=True).sort_values(
            "record_id", kind="stable", ignore_index=True)
        out[f"{kind}_status"] = table
        links["kind"] = kind
        out[f"_{kind}_links"] = links

    links = pd.concat([out.pop("_vehicle_links"), out.pop("_licence_links")], ignore_index=True)
    all_rows = ws[~ws["is_copy"]]
    sl = all_rows[["submission_id", "kind", "true_record_id", "review_status", "reject"]].merge(
        links.drop(columns="kind"), on="submission_id", how="left")
    sl["rejected_at_ingest"] = sl["reject"].notna()
    sl["link_method"] = sl["link_method"].fillna("none")
    sl["is_duplicate"] = sl["is_duplicate"].astype("boolean").fillna(False).astype(bool)
    sl = sl.drop(columns=["winner", "reject"]).sort_values("submission_id", ignore_index=True)
    out["submission_links"] = sl[["submission_id", "kind", "record_id", "true_record_id",
                                  "link_method", "is_duplicate", "superseded_by", "review_status",
                                  "rejected_at_ingest"]]
    return out
