"""Synthetic Plan 375 campaign: weekly raw deliveries plus the ground truth behind them.

``generate(out_dir, scenario="sample", seed=375, truth_dir=None)`` writes the six delivery
folders (2025-11-17 .. 2025-12-21) exactly as docs/data-contract.md describes and, outside the
raw folder, the truth (docs/synthetic-data.md): people, registry facts, every injected fault
with the file and row where the user sees it, and per week the status every record should get
under docs/rules.md. Same seed, same bytes. The package:

- :mod:`.scenarios`: the sizes of a scenario, the published figures it reproduces, the random
  streams, and the quotas of a city's slices (:func:`slice_quotas`).
- :mod:`.world` (units, people; :mod:`.orgs`, :mod:`.plates`), :mod:`.registry` (vehicles,
  licences, NPDB extract), :mod:`.campaign` (submissions), :mod:`.selfreport` (units'
  reports, organisations list): the tables, with their faults.
- :mod:`.write_raw` (the deliveries, through :mod:`.deliver`) and :mod:`.write_truth` (the
  truth folder, with :mod:`.truth`'s weekly statuses).
- here: :func:`generate` and :func:`generate_part` (one slice, or the whole); :mod:`.slices`
  runs and merges a sliced city.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.synth import campaign as cp
from helpers.synth import commitments as cm
from helpers.synth import deliver as dv
from helpers.synth import registry as rg
from helpers.synth import selfreport as sr
from helpers.synth import world as wd
from helpers.synth.campaign import DELIVERIES
from helpers.synth.common import WHOLE, Faults, Part, take
from helpers.synth.scenarios import (
    PEOPLE_CITY,
    SCENARIOS,
    SHARED_PARTS,
    SLICE_VEHICLES,
    Quota,
    Scenario,
    calibration_targets,
    default_slices,
    rngs,
    scenario,
    slice_quotas,
    whole_quota,
)
from helpers.synth.write_raw import source_for_week, write_city_deliveries, write_record_deliveries
from helpers.synth.write_truth import write_city_truth, write_fault_log, write_record_truth
from helpers.synthetic import write_marker

__all__ = [
    "DELIVERIES",
    "PEOPLE_CITY",
    "SCENARIOS",
    "SHARED_PARTS",
    "SLICE_VEHICLES",
    "Quota",
    "Scenario",
    "calibration_targets",
    "default_slices",
    "generate",
    "generate_part",
    "rngs",
    "scenario",
    "slice_quotas",
    "source_for_week",
    "whole_quota",
    "write_city_deliveries",
    "write_city_truth",
    "write_fault_log",
    "write_record_deliveries",
    "write_record_truth",
]


def generate(
    out_dir,
    scenario: str = "sample",
    seed: int = 375,
    truth_dir=None,
    scale: float = 1.0,
    slices: int | None = None,
    workers: int = 2,
) -> dict:
    """Write all deliveries into ``out_dir`` and the truth into ``truth_dir``; return a summary.

    ``truth_dir`` defaults to ``<out_dir>/../synthetic-truth`` (outside the raw folder). A city
    is generated in ``slices`` (default: one per ~700,000 vehicle records) by ``workers``
    processes and merged file by file: see :mod:`helpers.synth.slices`.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    truth = Path(truth_dir) if truth_dir else out.parent / "synthetic-truth"
    if truth.resolve() == out.resolve() or out.resolve() in truth.resolve().parents:
        raise ValueError(f"the truth folder must lie outside the raw folder: {truth}")
    sc = globals()["scenario"](scenario, scale)
    n = slices or default_slices(sc, workers)
    for d in DELIVERIES:
        if (out / d).exists():
            shutil.rmtree(out / d)
    truth.mkdir(parents=True, exist_ok=True)
    if n == 1:
        part = generate_part(out, truth, sc, seed, WHOLE, whole_quota(sc))
    else:
        from helpers.synth import slices as sl

        part = sl.generate_sliced(out, truth, sc, seed, n, workers)
    for d in DELIVERIES:  # generated data says so: ingest records it, every document shows it
        if (out / d).is_dir():
            write_marker(out / d)
    summary = {
        "scenario": sc.name,
        "seed": seed,
        "scale": scale,
        "slices": n,
        "out_dir": str(out),
        "truth_dir": str(truth),
        "deliveries": list(DELIVERIES),
        **part,
        "calibration_targets": calibration_targets(sc),
        "total_s": round(time.perf_counter() - t0, 3),
    }
    import json

    (truth / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, default=str), "utf-8"
    )
    return summary


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
    else:
        sr.system_counts(sub, len(units.frame), sr.REPORT_DAYS).to_parquet(
            truth / "system_counts.parquet", index=False
        )
    lap("campaign")

    writer = dv.Writer(out, header=part.k == 0)
    write_record_deliveries(writer, vehicles, licences, population, sub)
    if whole:
        write_city_deliveries(writer, reports, org_table, units, commitments)
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
