"""The raw deliveries of the record tables (registries, NPDB extract, submissions) and of the
city-wide tables (organisations, units' self-reports), one delivery after another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth import commitments as cm
from synth import deliver as dv
from synth import registry as rg
from synth import selfreport as sr
from synth import truth as tr
from synth.campaign import DELIVERIES


def _registry_frame(
    rows: pd.DataFrame, source: str, lang: str, first_delivery_only: bool
) -> tuple[pd.DataFrame, np.ndarray]:
    """The delivered columns of a registry (the first delivery: without the update's new
    records) and the row keys, taken column by column (not the whole wide frame)."""
    cols = dv.COLUMNS[source]
    keep = np.flatnonzero(~rows["new_in_update"].to_numpy()) if first_delivery_only else None
    # text stays Arrow-backed (a Python object per value would cost GBs at city scale)
    df = pd.DataFrame(
        {c: rows[f"d_{c}"].array if keep is None else rows[f"d_{c}"].array.take(keep) for c in cols}
    )
    keys = rows["row_key"].to_numpy()
    for c in ("vehicle_type", "owner_kind"):
        if c in df:
            df[c] = dv.enum(df[c].to_numpy(dtype=object), c, lang)
    return df, keys if keep is None else keys[keep]


def _population_frame(rows: pd.DataFrame, as_of: str, lang: str) -> pd.DataFrame:
    dead = rows["died_on"].to_numpy() <= np.datetime64(as_of)
    status = np.where(dead, "deceased", "alive").astype(object)
    status[rows["blank_status"].to_numpy()] = ""
    gender = np.where(rows["female"].to_numpy(), "female", "male").astype(object)
    return pd.DataFrame(
        {
            "citizen_id": rows["d_citizen_id"].array,
            "full_name": rows["d_full_name"].array,
            "dob": rows["d_dob"].array,
            "gender": dv.enum(gender, "gender", lang),
            "unit_code": rows["d_unit_code"].array,
            "status": dv.enum(status, "status", lang),
        }
    )


class SubmissionExport:
    """The submissions as each delivery exports them: every submission up to the delivery, its
    review as known then. A delivery holds every earlier submission again, so what does not
    depend on the delivery (timestamps as text, labels in the file's language) is rendered
    once for all submissions and taken per delivery (re-rendering it cost each city slice a
    tenth of its time)."""

    # columns the export renders itself; every other column is the submission's delivered text
    RENDERED = frozenset(
        {
            "submission_id",
            "submitted_at",
            "kind",
            "declared_status",
            "review_status",
            "reviewed_at",
            "reject_reason",
            "channel",
        }
    )

    def __init__(self, sub: pd.DataFrame) -> None:
        self.sub = sub
        self.t_sub = sub["t_sub"].to_numpy()
        self.t_rev = sub["t_rev"].to_numpy()
        self.decision = sub["decision"].to_numpy(dtype=object)
        self.reason = sub["reason_text"].to_numpy(dtype=object)
        self.row_key = sub["row_key"].to_numpy()
        self._memo: dict = {}

    def _once(self, key, make):
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def frame(self, delivery: str, fmt: dv.Format) -> tuple[pd.DataFrame, np.ndarray]:
        """The delivery's export and its row keys: every submission up to its end, in order."""
        end = tr.end_of(delivery)
        idx = np.flatnonzero(self.t_sub <= end)
        style, lang = fmt.datetime_style, fmt.lang
        reviewed = self.t_rev[idx] <= end
        decision = self.decision[idx]
        state = np.where(reviewed, decision, "pending").astype(object)
        submitted = self._once(("t_sub", style), lambda: dv.timestamps(self.t_sub, style))
        if style == "native":
            rev_all = self._once(("t_rev", style), lambda: dv.timestamps(self.t_rev, style))
            rev_at = pd.Series(rev_all[idx]).where(reviewed, pd.NaT).to_numpy()
        else:
            rev_all = self._once(
                ("t_rev", style),
                lambda: np.asarray(dv.timestamps(self.t_rev, style), dtype=object),
            )
            rev_at = np.where(reviewed, rev_all[idx], "")
        reason = np.where(reviewed & (decision == "rejected"), self.reason[idx], "")
        kind = self._once(
            ("kind", lang),
            lambda: dv.enum(self.sub["kind"].to_numpy(dtype=object), "kind", lang),
        )
        declared = self._once(("declared", lang), lambda: self._declared(lang))
        frame = pd.DataFrame(
            {
                "submission_id": self.sub["submission_id"].array.take(idx),
                "submitted_at": submitted[idx],
                "kind": kind[idx],
                **{
                    c: self.sub[f"d_{c}"].array.take(idx)
                    for c in dv.COLUMNS["submissions"]
                    if c not in self.RENDERED
                },
                "declared_status": declared[idx],
                "review_status": _enum_by_value(state, "review_status", lang),
                "reviewed_at": rev_at,
                "reject_reason": reason,
                "channel": "iHanoi",
            }
        )
        return frame, self.row_key[idx]

    def _declared(self, lang: str) -> np.ndarray:
        declared = self.sub["d_declared_status"].to_numpy(dtype=object)
        return dv.enum(np.where(pd.isna(declared), "", declared), "declared_status", lang)


def _enum_by_value(values: np.ndarray, column: str, lang: str) -> np.ndarray:
    """dv.enum of a column of few distinct values, mapped once per value."""
    codes, uniques = pd.factorize(values)
    mapped = np.asarray(dv.enum(np.asarray(uniques, dtype=object), column, lang), dtype=object)
    out = np.empty(len(mapped) + 1, dtype=object)  # code -1 (missing) takes the last slot
    out[:-1] = mapped
    return out[codes]


def write_record_deliveries(w: dv.Writer, vehicles, licences, population, sub) -> None:
    export = SubmissionExport(sub)
    for d in DELIVERIES:
        f = dv.FORMATS["registry_vehicles"].get(d)
        if f:
            frame, keys = _registry_frame(vehicles, "registry_vehicles", f.lang, d < rg.UPDATE)
            w.table("registry_vehicles", d, frame, keys, f)
        f = dv.FORMATS["registry_licences"].get(d)
        if f:
            frame, keys = _registry_frame(licences, "registry_licences", f.lang, d < rg.UPDATE)
            w.table("registry_licences", d, frame, keys, f)
        f = dv.FORMATS["population"].get(d)
        if f:
            w.table(
                "population",
                d,
                _population_frame(population, d, f.lang),
                population["row_key"].to_numpy(),
                f,
            )
        f = dv.FORMATS["submissions"][d]
        frame, keys = export.frame(d, f)
        w.table("submissions", d, frame, keys, f)


def write_city_deliveries(
    w: dv.Writer, reports, org_table, units, commitments=None, mail=None
) -> None:
    """The organisations list, the units' self-report workbooks (mailed ones: the messages,
    ``mail`` a :class:`synth.mail.MailPlan`) and the register of the commanders' commitments
    (when a delivery adds some) of every delivery."""
    for d in DELIVERIES:
        f = dv.FORMATS["organizations"].get(d)
        if f:
            w.table(
                "organizations",
                d,
                sr.org_frame(org_table, d, f.lang),
                org_table["row_key"].to_numpy(),
                f,
            )
        sr.write_unit_reports(w, reports, units, d, mail)
        if commitments is not None:
            cm.write_commitments(w, commitments, d)


def source_for_week(source: str, week: str) -> str | None:
    """The delivery a correct ingest reads ``source`` from for ``week`` (newest ≤ week)."""
    held = [d for d in dv.FORMATS[source] if d <= week]
    return max(held) if held else None
