"""The raw deliveries of the record tables (registries, NPDB extract, submissions) and of the
city-wide tables (organisations, units' self-reports), one delivery after another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.synth import commitments as cm
from helpers.synth import deliver as dv
from helpers.synth import registry as rg
from helpers.synth import selfreport as sr
from helpers.synth import truth as tr
from helpers.synth.campaign import DELIVERIES


def _registry_frame(rows: pd.DataFrame, source: str, lang: str) -> pd.DataFrame:
    cols = dv.COLUMNS[source]
    # text stays Arrow-backed (a Python object per value would cost GBs at city scale)
    df = pd.DataFrame({c: rows[f"d_{c}"].array for c in cols})
    for c in ("vehicle_type", "owner_kind"):
        if c in df:
            df[c] = dv.enum(df[c].to_numpy(dtype=object), c, lang)
    return df


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


def _submission_frame(rows: pd.DataFrame, delivery: str, fmt: dv.Format) -> pd.DataFrame:
    end = tr.end_of(delivery)
    reviewed = rows["t_rev"].to_numpy() <= end
    state = np.where(reviewed, rows["decision"].to_numpy(), "pending").astype(object)
    rev_at = dv.timestamps(rows["t_rev"].to_numpy(), fmt.datetime_style)
    if fmt.datetime_style == "native":
        rev_at = pd.Series(rev_at).where(reviewed, pd.NaT).to_numpy()
    else:
        rev_at = np.where(reviewed, rev_at, "")
    reason = np.where(
        reviewed & (rows["decision"].to_numpy() == "rejected"),
        rows["reason_text"].to_numpy(dtype=object),
        "",
    )
    lang = fmt.lang
    declared = rows["d_declared_status"].to_numpy(dtype=object)
    declared = np.where(pd.isna(declared), "", declared)
    return pd.DataFrame(
        {
            "submission_id": rows["submission_id"].array,
            "submitted_at": dv.timestamps(rows["t_sub"].to_numpy(), fmt.datetime_style),
            "kind": dv.enum(rows["kind"].to_numpy(dtype=object), "kind", lang),
            "citizen_id": rows["d_citizen_id"].array,
            "full_name": rows["d_full_name"].array,
            "dob": rows["d_dob"].array,
            "phone": rows["d_phone"].array,
            "plate": rows["d_plate"].array,
            "chassis_no": rows["d_chassis_no"].array,
            "declared_status": dv.enum(declared, "declared_status", lang),
            "licence_no": rows["d_licence_no"].array,
            "unit_code": rows["d_unit_code"].array,
            "review_status": dv.enum(state, "review_status", lang),
            "reviewed_at": rev_at,
            "reject_reason": reason,
            "channel": "iHanoi",
        }
    )


def write_record_deliveries(w: dv.Writer, vehicles, licences, population, sub) -> None:
    for d in DELIVERIES:
        f = dv.FORMATS["registry_vehicles"].get(d)
        if f:
            rows = vehicles if d >= rg.UPDATE else vehicles[~vehicles["new_in_update"]]
            w.table(
                "registry_vehicles",
                d,
                _registry_frame(rows, "registry_vehicles", f.lang),
                rows["row_key"].to_numpy(),
                f,
            )
        f = dv.FORMATS["registry_licences"].get(d)
        if f:
            rows = licences if d >= rg.UPDATE else licences[~licences["new_in_update"]]
            w.table(
                "registry_licences",
                d,
                _registry_frame(rows, "registry_licences", f.lang),
                rows["row_key"].to_numpy(),
                f,
            )
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
        rows = sub[sub["t_sub"].to_numpy() <= tr.end_of(d)]
        w.table("submissions", d, _submission_frame(rows, d, f), rows["row_key"].to_numpy(), f)


def write_city_deliveries(w: dv.Writer, reports, org_table, units, commitments=None) -> None:
    """The organisations list, the units' self-report workbooks and the register of the
    commanders' commitments (when a delivery adds some) of every delivery."""
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
        sr.write_unit_reports(w, reports, units, d)
        if commitments is not None:
            cm.write_commitments(w, commitments, d)


def source_for_week(source: str, week: str) -> str | None:
    """The delivery a correct ingest reads ``source`` from for ``week`` (newest ≤ week)."""
    held = [d for d in dv.FORMATS[source] if d <= week]
    return max(held) if held else None
