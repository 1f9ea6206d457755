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

from synth.campaign import DAY, EPOCH
from synth.common import cat, zfill_text

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


class WeekTruth:
    """Expected vehicle_status, licence_status and submission_links, week after week.

    What does not change from one week to the next is computed once: the registry rows a week
    reads (the first delivery's or the update's), their duplicates and output order, and the
    identity facts per population extract. A week then costs a few numpy passes over the
    submissions it holds and the records they link to, and its tables are built as Arrow
    columns (no Python object per row; the city's slices label ~600,000 records ten times).

    ``vehicles``/``licences`` carry ``rec`` (record number) and integer key codes
    (``plate_code``, ``chassis_code``, ``licence_code``); ``subs`` carries ``sub`` (submission
    number, ascending) and the same codes.
    """

    def __init__(self, vehicles, licences, pop_rows, people, subs, units, n_codes: dict[str, int]):
        self.registries = {"vehicle": vehicles, "licence": licences}
        self.pop_rows, self.people, self.n_codes = pop_rows, people, n_codes
        self.unit_codes = units["unit_code"].to_numpy()
        self._views: dict = {}
        self._identities: dict = {}
        self._populations: dict = {}
        decision, self.decisions = pd.factorize(subs["decision"].to_numpy(dtype=object))
        self.s = {
            "t_sub": subs["t_sub"].to_numpy(),
            "t_rev": subs["t_rev"].to_numpy(),
            "decision": decision.astype(np.int64),
            "accepted": subs["reject"].isna().to_numpy() & ~subs["is_copy"].to_numpy(),
            "is_copy": subs["is_copy"].to_numpy(),
            "sub": subs["sub"].to_numpy(),
            "licence": (subs["kind"] == "licence").to_numpy(),
            "vehicle": (subs["kind"] == "vehicle").to_numpy(),
            "plate_code": subs["plate_code"].to_numpy(),
            "chassis_code": subs["chassis_code"].to_numpy(),
            "licence_code": subs["licence_code"].to_numpy(),
        }
        declared, self.declared_vocab = pd.factorize(subs["declared"].to_numpy(dtype=object))
        self.s["declared"] = declared.astype(np.int64)
        self.text = {
            c: pa.array(subs[c].array, pa.large_string())
            for c in ("submission_id", "kind", "true_record_id")
        }

    def _view(self, kind: str, registry_file_new: bool) -> dict:
        """The accepted and rejected registry rows a week reads, with what never changes."""
        key = (kind, registry_file_new)
        if key in self._views:
            return self._views[key]
        reg = self.registries[kind]
        rows = reg if registry_file_new else reg[~reg["new_in_update"].to_numpy()]
        rows = rows[~rows["is_copy"].to_numpy()]
        ok = rows["reject"].isna().to_numpy()
        acc, rej = rows[ok], rows[~ok]
        rec = acc["rec"].to_numpy()
        v: dict = {"acc": acc, "rec": rec, "n_acc": len(acc)}
        if kind == "vehicle":
            pc_, cc = acc["plate_code"].to_numpy(), acc["chassis_code"].to_numpy()
            v["by_plate"] = min_record_per_key(pc_, rec, self.n_codes["plate"])
            v["by_chassis"] = min_record_per_key(cc, rec, self.n_codes["chassis"])
            v["dup"] = ((pc_ >= 0) & (v["by_plate"][pc_] != rec)) | (
                (cc >= 0) & (v["by_chassis"][cc] != rec)
            )
            v["org"] = acc["owner_kind"].to_numpy() == "organization"
        else:
            lcode = acc["licence_code"].to_numpy()
            v["by_no"] = min_record_per_key(lcode, rec, self.n_codes["licence"])
            v["dup"] = (lcode >= 0) & (v["by_no"][lcode] != rec)
            v["org"] = np.zeros(len(acc), dtype=bool)
        v["order_rec"] = np.argsort(rec, kind="stable")
        v["rec_sorted"] = rec[v["order_rec"]]
        v["unit_idx"] = acc["unit_idx"].to_numpy()
        # the table lists accepted rows, then rejected ones, sorted by record ID (stable)
        ids = pd.concat([acc["record_id"], rej["record_id"]], ignore_index=True)
        order = ids.sort_values(kind="stable").index.to_numpy()
        v["order"] = pa.array(order)
        n = len(ids)
        rejected = np.zeros(n, dtype=bool)
        rejected[len(acc) :] = True
        unit = np.concatenate([v["unit_idx"], rej["unit_idx"].to_numpy()])
        reason = np.concatenate(
            [np.full(len(acc), None, dtype=object), rej["reject_code"].to_numpy(dtype=object)]
        )
        v["fixed"] = {
            "record_id": pa.array(ids.array, pa.large_string()).take(v["order"]),
            "unit_code": _arrow_labels(unit, self.unit_codes).take(v["order"]),
            "rejected_at_ingest": pa.array(rejected).take(v["order"]),
            "reject_reason": pa.array(reason, pa.large_string()).take(v["order"]),
        }
        # weeks come in order: a view of the other registry delivery is not asked for again
        self._views = {k: x for k, x in self._views.items() if k[1] == registry_file_new}
        self._views[key] = v
        return v

    def _identity(self, kind: str, registry_file_new: bool, pop_as_of: str) -> dict:
        key = (kind, registry_file_new, pop_as_of)
        if key not in self._identities:
            if pop_as_of not in self._populations:
                self._populations = {
                    pop_as_of: population_view(self.pop_rows, self.people, pop_as_of)
                }
                self._identities = {}
            v = self._view(kind, registry_file_new)
            ident = identity(v["acc"], self._populations[pop_as_of])
            result = np.where(v["org"], "not_checked", ident["identity_result"])
            ident["identity_text"] = pa.array(
                np.concatenate([result, np.full(len(v["fixed"]["record_id"]) - v["n_acc"], None)]),
                pa.large_string(),
            ).take(v["order"])
            self._identities = {
                k: x for k, x in self._identities.items() if k[1] == registry_file_new
            }
            self._identities[key] = ident
        return self._identities[key]

    def week(self, week: str, pop_as_of: str, registry_file_new: bool) -> dict[str, pa.Table]:
        end = end_of(week)
        s = self.s
        ws = np.flatnonzero(s["t_sub"] <= end)  # the submissions in this week's export
        reviewed = s["t_rev"][ws] <= end
        state = np.where(reviewed, s["decision"][ws], PENDING)  # codes; PENDING = not yet
        accepted = s["accepted"][ws]
        sub_num = s["sub"][ws]
        link_rec = np.full(len(ws), NONE, dtype=np.int64)
        method = np.full(len(ws), -1, dtype=np.int64)
        winner = np.full(len(ws), -1, dtype=np.int64)  # per linked submission: its record's
        out: dict[str, pa.Table] = {}
        for kind, order in (("vehicle", VEHICLE_ORDER), ("licence", LICENCE_ORDER)):
            v = self._view(kind, registry_file_new)
            rec = v["rec"]
            mine = accepted & s[kind][ws]
            if kind == "vehicle":
                sp, sc = s["plate_code"][ws], s["chassis_code"][ws]
                lp = np.where(mine & (sp >= 0), v["by_plate"][np.maximum(sp, 0)], NONE)
                lc = np.where(mine & (sc >= 0), v["by_chassis"][np.maximum(sc, 0)], NONE)
                link_rec = np.where(mine & (lp != NONE), lp, np.where(mine, lc, link_rec))
                method = np.where(
                    mine & (lp != NONE),
                    METHODS.index("plate"),
                    np.where(mine & (lc != NONE), METHODS.index("chassis"), method),
                )
            else:
                sl_ = s["licence_code"][ws]
                ll = np.where(mine & (sl_ >= 0), v["by_no"][np.maximum(sl_, 0)], NONE)
                link_rec = np.where(mine, ll, link_rec)
                method = np.where(mine & (ll != NONE), METHODS.index("licence_no"), method)

            # the winning submission per record: the largest submission number linked to it
            linked = mine & (link_rec != NONE)
            pos = v["order_rec"][np.searchsorted(v["rec_sorted"], link_rec[linked])]
            win = np.full(len(rec), -1, dtype=np.int64)
            np.maximum.at(win, pos, sub_num[linked])
            winner[linked] = win[pos]
            n_sub = np.bincount(pos, minlength=len(rec))
            has = win >= 0
            sub_pos = np.searchsorted(sub_num, win[has])  # the export is in submission order
            rs = np.full(len(rec), NO_SUBMISSION, dtype=np.int64)
            rs[has] = state[sub_pos]
            decl = np.full(len(rec), -1, dtype=np.int64)
            decl[has] = s["declared"][ws[sub_pos]]

            ident = self._identity(kind, registry_file_new, pop_as_of)
            ind = ~v["org"]
            approved = rs == self._decision("approved")
            declared = [self._declared(d) for d in ("scrapped", "lost", "transferred")]
            rules = {
                "duplicate_registry_record": v["dup"],
                "organization_owned": v["org"],
                "invalid_owner_id": ind & ident["invalid"],
                "invalid_holder_id": ind & ident["invalid"],
                "id_not_in_population": ind & ~ident["invalid"] & ~ident["present"],
                "owner_deceased": ind & ident["present"] & ident["deceased"],
                "holder_deceased": ind & ident["present"] & ident["deceased"],
                "identity_mismatch": ind & ident["present"] & ~ident["invalid"] & ident["mismatch"],
                "scrapped_or_lost": approved & ((decl == declared[0]) | (decl == declared[1])),
                "transferred_not_registered": approved & (decl == declared[2]),
                "cleaned": approved,
                "pending_review": rs == PENDING,
                "rejected_awaiting_resubmission": rs == self._decision("rejected"),
                "owner_resides_elsewhere": ~has
                & ind
                & ident["present"]
                & (ident["home"] != v["unit_idx"]),
                "not_submitted": np.ones(len(rec), dtype=bool),
            }
            status_code = np.full(len(rec), -1, dtype=np.int64)
            for i in range(len(order) - 1, -1, -1):  # earlier rules overwrite later ones
                status_code = np.where(rules[order[i]], i, status_code)
            win_at = np.full(len(rec), -1, dtype=np.int64)
            win_at[has] = ws[sub_pos]
            out[f"{kind}_status"] = pa.table(
                {
                    "record_id": v["fixed"]["record_id"],
                    "unit_code": v["fixed"]["unit_code"],
                    "status": _arrow_labels(_table_order(v, status_code, -1), order),
                    "identity_result": ident["identity_text"],
                    "submission_id": _take_or_null(
                        self.text["submission_id"], _table_order(v, win_at, -1)
                    ),
                    "review_status": _arrow_labels(
                        _table_order(v, rs, NO_SUBMISSION), self._review_names()
                    ),
                    "n_submissions": _table_order(v, n_sub.astype(np.int64), 0),
                    "rejected_at_ingest": v["fixed"]["rejected_at_ingest"],
                    "reject_reason": v["fixed"]["reject_reason"],
                }
            )

        linked = link_rec != NONE
        is_dup = linked & (winner != sub_num)
        sup_pos = np.full(len(ws), -1, dtype=np.int64)
        sup_pos[is_dup] = ws[np.searchsorted(sub_num, winner[is_dup])]
        prefix = np.where(s["licence"][ws], 1, 0)
        rid = np.full(len(ws), None, dtype=object)
        rid[linked] = cat(
            np.array(["VR", "GP"], dtype=object)[prefix[linked]], zfill_text(link_rec[linked], 8)
        )
        keep = np.flatnonzero(~s["is_copy"][ws])
        at = pa.array(ws[keep])
        out["submission_links"] = pa.table(
            {
                "submission_id": self.text["submission_id"].take(at),
                "kind": self.text["kind"].take(at),
                "record_id": pa.array(rid[keep], pa.large_string()),
                "true_record_id": self.text["true_record_id"].take(at),
                "link_method": _arrow_labels(
                    np.where(method < 0, METHODS.index("none"), method)[keep], METHODS
                ),
                "is_duplicate": pa.array(is_dup[keep]),
                "superseded_by": _take_or_null(self.text["submission_id"], pa.array(sup_pos[keep])),
                "review_status": _arrow_labels(state[keep], self._review_names()),
                "rejected_at_ingest": pa.array(~accepted[keep]),
            }
        )
        return out

    def _decision(self, name: str) -> int:
        hit = np.flatnonzero(np.asarray(self.decisions, dtype=object) == name)
        return int(hit[0]) if len(hit) else -2

    def _declared(self, name: str) -> int:
        hit = np.flatnonzero(np.asarray(self.declared_vocab, dtype=object) == name)
        return int(hit[0]) if len(hit) else -2

    def _review_names(self) -> list[str]:
        """Review state labels by code: the decisions, then "pending" (code PENDING)."""
        names = [str(d) for d in self.decisions]
        assert len(names) < PENDING, names
        return names + [""] * (PENDING - len(names)) + ["pending"]


PENDING = 16  # review-state code of a submission not yet reviewed
NO_SUBMISSION = -1
METHODS = ("none", "plate", "chassis", "licence_no")


def _table_order(view: dict, per_accepted: np.ndarray, fill: int) -> pa.Array:
    """A per-accepted-record array in the status table's row order (rejected rows: fill)."""
    n_rejected = len(view["fixed"]["record_id"]) - view["n_acc"]
    full = np.concatenate([per_accepted, np.full(n_rejected, fill, dtype=per_accepted.dtype)])
    return pa.array(full).take(view["order"])


def _arrow_labels(index, names) -> pa.Array:
    """Text of a small vocabulary by position (-1 or null: missing), as an Arrow array."""
    vocab = pa.array([str(n) for n in names], pa.large_string())
    if isinstance(index, pa.Array):
        index = index.to_numpy(zero_copy_only=False)
    index = np.asarray(index, dtype=np.int64)
    return vocab.take(pa.array(index, mask=index < 0))


def _take_or_null(values: pa.Array, at: pa.Array) -> pa.Array:
    """``values`` at positions; -1 gives null."""
    idx = at.to_numpy(zero_copy_only=False) if isinstance(at, pa.Array) else np.asarray(at)
    return values.take(pa.array(np.maximum(idx, 0), mask=idx < 0))
