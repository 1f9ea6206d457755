"""The truth folder: people, registry facts, the fault log with where the user sees each
fault, per week the status every record should get, and the units with their reports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from synth import deliver as dv
from synth import files
from synth import registry as rg
from synth import selfreport as sr
from synth import truth as tr
from synth.campaign import DELIVERIES
from synth.common import FAULT_COLUMNS, Faults, take
from synth.write_raw import source_for_week


def write_fault_log(path: Path, faults: Faults, writer: dv.Writer) -> None:
    """Faults with where the user sees them, sorted by file, row and column.

    One delivered file at a time (in file order), streamed into one Parquet file: no city-wide
    table of every written row's position and no city-wide sort (the generator's memory peak).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [
        "source",
        "source_file",
        "source_row",
        *[c for c in FAULT_COLUMNS if c not in ("source", "row_key")],
    ]
    by_file: dict[str, list] = {}
    for source, rel, keys, first in writer.positions:
        by_file.setdefault(rel, []).append((source, keys, first))
    by_source: dict[str, pd.DataFrame] = {}
    out = None
    try:
        for rel in sorted(by_file):
            parts = []
            for source, keys, first in by_file[rel]:
                if source not in by_source:
                    by_source[source] = faults.table(source)
                pos = pd.DataFrame(
                    {"row_key": keys, "source_row": dv.source_rows(first, len(keys))}
                )
                parts.append(by_source[source].merge(pos, on="row_key", how="inner"))
            ft = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
            if ft.empty:
                continue
            ft = ft.sort_values(["source_row", "column"], kind="stable", ignore_index=True)
            ft["source_file"] = np.repeat([rel], len(ft))
            table = pa.Table.from_pandas(ft[columns], preserve_index=False)
            if out is None:
                out = pq.ParquetWriter(path, table.schema)
            out.write_table(table.cast(out.schema))
    finally:
        if out is not None:
            out.close()
    if out is None:  # no faults at all: an empty table with the same columns
        empty = faults.table().merge(writer.position_table(), on=["source", "row_key"])
        empty[columns].to_parquet(path, index=False)


def write_record_truth(
    truth: Path,
    vehicles,
    licences,
    population,
    people,
    sub,
    units,
    orgs,
    faults: Faults,
    writer: dv.Writer,
) -> dict:
    uf = units.frame
    codes = uf["unit_code"].to_numpy()
    res = people["resident"].to_numpy()
    ppl = pd.DataFrame(
        {
            "citizen_id": people["citizen_id"],
            "full_name": people["full_name"],
            "dob": people["dob"].astype("datetime64[s]").dt.date
            if hasattr(people["dob"], "dt")
            else people["dob"],
            "dob_year_only_in_npdb": people["year_only"],
            "gender": np.where(people["female"], "female", "male"),
            "unit_code": np.where(res, codes[np.maximum(people["unit_idx"].to_numpy(), 0)], None),
            "in_npdb": res,
            "died_on": people["died_on"],
        }
    )
    files.write_frame(ppl, truth / "people.parquet")
    cid = people["citizen_id"].to_numpy()
    v = vehicles[~vehicles["is_copy"]]
    vehicle_facts = pd.DataFrame(
        {
            "record_id": v["record_id"].to_numpy(),
            "unit_code": codes[v["unit_idx"].to_numpy()],
            "plate_key": v["plate_key"].to_numpy(),
            "chassis_key": v["chassis_key"].to_numpy(),
            "vehicle_type": v["vehicle_type"].to_numpy(),
            "owner_kind": v["owner_kind"].to_numpy(),
            "owner_citizen_id": np.where(
                v["pid"].to_numpy() >= 0, cid[np.maximum(v["pid"], 0)], None
            ),
            "owner_org_id": np.where(  # type: ignore[call-overload]  # numpy stubs: None as object null
                v["org_idx"].to_numpy() >= 0,
                take(orgs["org_id"], np.maximum(v["org_idx"], 0)),
                None,
            ),
            "is_duplicate_record": v["is_dup_record"].to_numpy(),
            "first_delivery": np.where(v["new_in_update"], rg.UPDATE, rg.FIRST),
            "rejected_at_ingest": v["reject"].notna().to_numpy(),
            "reject_reason": v["reject_code"].to_numpy(),
            "id_fault": v["id_fault"].to_numpy(),
            "name_fault": v["name_fault"].to_numpy(),
            "dob_fault": v["dob_fault"].to_numpy(),
        }
    )
    files.write_frame(vehicle_facts, truth / "registry_vehicles.parquet")
    lc = licences[~licences["is_copy"]]
    licence_facts = pd.DataFrame(
        {
            "record_id": lc["record_id"].to_numpy(),
            "unit_code": codes[lc["unit_idx"].to_numpy()],
            "licence_no": lc["licence_no"].to_numpy(),
            "licence_class": lc["licence_class"].to_numpy(),
            "holder_citizen_id": cid[lc["pid"].to_numpy()],
            "designed_category": lc["category"].to_numpy(),
            "first_delivery": np.where(lc["new_in_update"], rg.UPDATE, rg.FIRST),
            "rejected_at_ingest": lc["reject"].notna().to_numpy(),
            "reject_reason": lc["reject_code"].to_numpy(),
            "id_fault": lc["id_fault"].to_numpy(),
            "name_fault": lc["name_fault"].to_numpy(),
            "dob_fault": lc["dob_fault"].to_numpy(),
        }
    )
    files.write_frame(licence_facts, truth / "registry_licences.parquet")

    write_fault_log(truth / "faults.parquet", faults, writer)

    # per week: expected statuses and links
    subs_t = sub[
        [
            "submission_id",
            "kind",
            "t_sub",
            "t_rev",
            "decision",
            "declared",
            "reject",
            "is_copy",
            "true_record_id",
        ]
    ].copy()
    keep = [
        "record_id",
        "unit_idx",
        "pid",
        "id_fault",
        "name_fault",
        "dob_fault",
        "reject",
        "reject_code",
        "is_copy",
        "new_in_update",
    ]
    veh_t = vehicles[keep + ["owner_kind"]].copy()
    lic_t = licences[keep].copy()
    veh_t["rec"] = tr.id_number(vehicles["record_id"])
    lic_t["rec"] = tr.id_number(licences["record_id"])
    subs_t["sub"] = tr.id_number(sub["submission_id"], 10)
    plate_sub = sub["plate_key"].where(sub["d_plate"] != "", None).to_numpy(dtype=object)
    veh_t["plate_code"], subs_t["plate_code"] = tr.key_codes(vehicles["plate_key"], plate_sub)
    veh_t["chassis_code"], subs_t["chassis_code"] = tr.key_codes(
        vehicles["chassis_key"], sub["chassis_key"]
    )
    lic_t["licence_code"], subs_t["licence_code"] = tr.key_codes(
        licences["licence_no"], sub["licence_no"]
    )
    n_codes = {
        k: int(max(veh_t[c].max() if k != "licence" else lic_t[c].max(), subs_t[c].max())) + 1
        for k, c in (
            ("plate", "plate_code"),
            ("chassis", "chassis_code"),
            ("licence", "licence_code"),
        )
    }
    subs_t = subs_t.sort_values(["sub", "is_copy"], kind="stable", ignore_index=True)
    truth_weeks = tr.WeekTruth(veh_t, lic_t, population, people, subs_t, uf, n_codes)
    weeks = {}
    for d in DELIVERIES:
        pop_d = source_for_week("population", d)
        assert pop_d is not None  # the first delivery holds the population extract
        wt = truth_weeks.week(d, pop_d, registry_file_new=d >= rg.UPDATE)
        folder = truth / d
        folder.mkdir(parents=True, exist_ok=True)
        for name, table in wt.items():
            files.write_table(table, folder / f"{name}.parquet")

        vs, ls, sl = wt["vehicle_status"], wt["licence_status"], wt["submission_links"]
        accepted = pc.invert(sl["rejected_at_ingest"])
        weeks[d] = {
            "vehicle_status": _counts(vs["status"]),
            "licence_status": _counts(ls["status"]),
            "vehicle_submissions_accepted": _count_true(
                pc.and_(pc.equal(sl["kind"], "vehicle"), accepted)
            ),
            "licence_submissions_accepted": _count_true(
                pc.and_(pc.equal(sl["kind"], "licence"), accepted)
            ),
        }
        del wt, vs, ls, sl, accepted  # before the next week is computed
        pa.default_memory_pool().release_unused()
    return weeks


def _counts(column) -> dict[str, int]:
    """Rows per value, most frequent first (missing values not counted), like value_counts."""
    counts = pc.value_counts(column.drop_null()).to_pylist()
    return dict(sorted(((c["values"], c["counts"]) for c in counts), key=lambda x: -x[1]))


def _count_true(mask) -> int:
    return int(pc.sum(mask).as_py() or 0)


def write_city_truth(truth: Path, units, reports) -> None:
    """Units (designed spread, review behaviour, self-report honesty) and their reports."""
    uf = units.frame
    uf[
        [
            "unit_code",
            "unit_name",
            "unit_kind",
            "weight",
            "speed",
            "designed_laggard",
            "designed_leader",
            "review_lag_days",
            "review_reject_rate",
            "self_report_factor",
            "overstates",
        ]
    ].to_parquet(truth / "units.parquet", index=False)
    rep = reports.copy()
    rep["unit_code"] = uf["unit_code"].to_numpy()[rep["unit_idx"].to_numpy()]
    if "reject_reason" not in rep:  # no mail plan: the injected faults only
        rep["reject_reason"] = rep["fault"].map(
            {"blank_count": "missing_required", "text_count": "invalid_number"}
        )
        rep["delivered"] = True
    rep["rejected_at_ingest"] = rep["reject_reason"].notna()
    rep[
        [
            "report_date",
            "unit_code",
            *sr.REPORT_COUNTS,
            *[f"system_{c}" for c in sr.REPORT_COUNTS],
            "overstates",
            "delivered",
            "rejected_at_ingest",
            "reject_reason",
        ]
    ].to_parquet(truth / "unit_reports.parquet", index=False)
