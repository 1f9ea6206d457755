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
- here: :func:`generate`; :mod:`.part`: :func:`generate_part` (one slice, or the whole); :mod:`.slices`
  runs and merges a sliced city.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from helpers.synthetic import write_marker
from synth import mail
from synth.campaign import DELIVERIES
from synth.common import WHOLE
from synth.part import generate_part
from synth.scenarios import (
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
from synth.write_raw import source_for_week, write_city_deliveries, write_record_deliveries
from synth.write_truth import write_city_truth, write_fault_log, write_record_truth

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
    processes and merged file by file: see :mod:`synth.slices`.
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
    mail.clear(out)
    truth.mkdir(parents=True, exist_ok=True)
    if n == 1:
        part = generate_part(out, truth, sc, seed, WHOLE, whole_quota(sc))
    else:
        from synth import slices as sl

        part = sl.generate_sliced(out, truth, sc, seed, n, workers)
    for d in DELIVERIES:  # generated data says so: ingest records it, every document shows it
        if (out / d).is_dir():
            write_marker(out / d)
    # the reports units returned by mail into their deliveries, as `make collect-reports` does
    t1 = time.perf_counter()
    collected = mail.collect_sample(out)
    part.setdefault("timings_s", {})["collect"] = round(time.perf_counter() - t1, 3)
    summary = {
        "scenario": sc.name,
        "seed": seed,
        "scale": scale,
        "slices": n,
        "out_dir": str(out),
        "truth_dir": str(truth),
        "deliveries": list(DELIVERIES),
        **part,
        "mail_dir": str(mail.mail_dir(out)),
        "collected": collected,
        "calibration_targets": calibration_targets(sc),
        "total_s": round(time.perf_counter() - t0, 3),
    }
    import json

    (truth / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, default=str), "utf-8"
    )
    return summary
