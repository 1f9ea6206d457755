"""One part of the synthetic campaign (a slice of the city, or the whole sample): the world,
the registry, the campaign's submissions and the deliveries, written into one raw folder and
one truth folder. :func:`synth.generate` runs one part, or many in worker processes
(:mod:`synth.slices`), which call :func:`generate_part` from here."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from synth import campaign as cp
from synth import commitments as cm
from synth import deliver as dv
from synth import mail as ml
from synth import registry as rg
from synth import selfreport as sr
from synth import world as wd
from synth.common import Faults, Part, take
from synth.scenarios import (
    Quota,
    Scenario,
    rngs,
)
from synth.write_raw import write_city_deliveries, write_record_deliveries
from synth.write_truth import write_city_truth, write_record_truth


def generate_part(
    out: Path, truth: Path, sc: Scenario, seed: int, part: Part, quota: Quota
) -> dict:
    """Generate one slice of a scenario (or all of it) into ``out`` and ``truth``.

    The whole scenario also makes what needs every unit's full figures: the organisations
    list and the units' self-reports. A slice instead leaves ``system_counts.parquet`` (its
    figures per unit and day) for the merge to sum, and writes its CSV files without a header
    unless it is the first slice.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    memory: dict[str, float] = {}

    def lap(name: str, start: list[float] = [t0]) -> None:  # noqa: B006 (a stopwatch)
        release_unused_memory()
        now = time.perf_counter()
        timings[name] = round(now - start[0], 3)
        memory[name] = _rss_gb()
        start[0] = now

    whole = part.of == 1
    r = rngs(seed, part)
    faults = Faults()

    units = wd.make_units(r["units"])
    people = wd.make_people(r["people"], quota.people, quota.outsiders, units, part)
    pools = wd.name_pools()
    orgs = wd.make_orgs(r["orgs"], units, sc.org_factor)
    lap("world")
    vehicles = rg.make_vehicles(
        r["vehicles"], quota.vehicles, units, people, orgs, pools, faults, part
    )
    vehicles["reject_code"] = vehicles["reject"].map({k: v[1] for k, v in rg.REJECT_REASON.items()})
    licences = rg.make_licences(
        r["licences"], quota.licences, units, people, pools, faults, part, quota.licence_categories
    )
    licences["reject_code"] = licences["reject"].map(
        {k: v[1] for k, v in rg.LICENCE_REJECT_REASON.items()}
    )
    holders = np.unique(licences["pid"].to_numpy())
    population = rg.make_population(r["population"], people, units, holders, faults)
    lap("registry")
    veh_subs, veh_rec = cp.vehicle_submissions(
        r["veh_subs"], units, people, vehicles, sc.vehicle_factor, quota.schedule
    )
    lic_subs, lic_rec = cp.licence_submissions(r["lic_subs"], licences)
    sub = cp.render_submissions(
        r["render"],
        units,
        people,
        veh_subs,
        veh_rec,
        lic_subs,
        lic_rec,
        vehicles["plate_key"].to_numpy(),
        licences["licence_no"].dropna().to_numpy(),
        part,
    )
    sub = cp.finalize_submissions(r["final"], sub, veh_rec, lic_rec, part)
    _log_submission_faults(sub, people, faults)
    if whole:
        reports = sr.make_unit_reports(r["reports"], sub, units)
        sr.log_report_faults(reports, faults)
        org_table = sr.org_rows(r["org_rows"], orgs, units, faults)
        commitments = cm.make_commitments(r["commitments"], reports, units, faults)
        mail = ml.make_plan(r["mail"], units, reports, faults)
    else:
        sr.system_counts(sub, len(units.frame), sr.REPORT_DAYS).to_parquet(
            truth / "system_counts.parquet", index=False
        )
    lap("campaign")

    writer = dv.Writer(out, header=part.k == 0)
    write_record_deliveries(writer, vehicles, licences, population, sub)
    if whole:
        write_city_deliveries(writer, reports, org_table, units, commitments, mail)
    lap("write_raw")
    # the delivered text of the big per-record tables is on disk now and the truth derives from
    # keys and fault codes only: free it before the truth (a GB-scale share of the city's peak)
    for frame in (vehicles, licences, population):
        for c in [c for c in frame.columns if c.startswith("d_")]:
            del frame[c]

    summary_weeks = write_record_truth(
        truth, vehicles, licences, population, people, sub, units, orgs, faults, writer
    )
    if whole:
        write_city_truth(truth, units, reports)
        cm.write_truth(truth, commitments)
    lap("truth")
    return {
        "counts": {
            "units": len(units.frame),
            "people": int(people["resident"].sum()),
            "vehicle_records": int(quota.vehicles),
            "vehicle_rows_first_delivery": int((~vehicles["new_in_update"]).sum()),
            "vehicle_rows_update": len(vehicles),
            "licence_rows_first_delivery": int((~licences["new_in_update"]).sum()),
            "population_rows": len(population),
            "submission_rows_total": len(sub),
            "organizations_rows": len(org_table) if whole else 0,
            "unit_report_rows": len(reports) if whole else 0,
            "faults": int(sum(len(p) for p in faults.parts)),
            "files": len(writer.files),
        },
        "files": {f["file"]: f["rows"] for f in writer.files},
        "weeks": summary_weeks,
        "timings_s": timings,
        "rss_gb_after": memory,
    }


def release_unused_memory() -> None:
    """Hand Arrow's freed but kept memory back to the system (mimalloc keeps it for reuse:
    ~0.45 GB of a city slice's resident memory between phases; the peak is what a city's
    two workers add up to)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _rss_gb() -> float:
    """Resident memory of this process now (GB; Linux), for the performance log."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return float("nan")
    import os

    return round(pages * os.sysconf("SC_PAGE_SIZE") / 1e9, 2)


def _log_submission_faults(sub: pd.DataFrame, people: pd.DataFrame, faults: Faults) -> None:
    src = "submissions"
    key = sub["row_key"].to_numpy()
    for k, (col, reason) in cp.SUBMISSION_REJECT_REASON.items():
        m = (sub["reject"] == k).to_numpy()
        dcol = {
            "plate": "d_plate",
            "unit_code": "d_unit_code",
            "declared_status": "d_declared_status",
            "licence_no": "d_licence_no",
            "submission_id": "submission_id",
        }[col]
        faults.add(
            src, key[m], col, k, sub[dcol].to_numpy(dtype=object)[m], None, "rejected", reason
        )
    ok = sub["reject"].isna().to_numpy()
    m = ok & (sub["plate_form"].to_numpy() != 0) & (sub["kind"] == "vehicle").to_numpy()
    faults.add(
        src,
        key[m],
        "plate",
        "plate_variant",
        take(sub["d_plate"], m),
        take(sub["plate_ingest_key"], m),
        "repaired",
        expected=take(sub["plate_ingest_key"], m),
    )
    m = ok & sub["plate_typo"].to_numpy()
    faults.add(src, key[m], "plate", "plate_typo", take(sub["d_plate"], m), None, "flagged")
    m = ok & (sub["origin"] == "licence_typo").to_numpy()
    faults.add(
        src, key[m], "licence_no", "licence_no_typo", take(sub["d_licence_no"], m), None, "flagged"
    )
    true_id = take(people["citizen_id"], sub["pid"].to_numpy())
    true_name = take(people["full_name"], sub["pid"].to_numpy())
    for k, col, true, outcome in (
        ("id_dropped_zeros", "citizen_id", true_id, "repaired"),
        ("name_nfd", "full_name", true_name, "repaired"),
        ("name_no_diacritics", "full_name", true_name, "flagged"),
    ):
        m = ok & (sub["text_fault"] == k).to_numpy()
        faults.add(
            src,
            key[m],
            col,
            k,
            take(sub[f"d_{col}"], m),
            true[m],
            outcome,
            expected=true[m] if outcome == "repaired" else None,
        )
