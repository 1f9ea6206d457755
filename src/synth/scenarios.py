"""The scenarios (sample, city at any scale), the published figures they reproduce, and how a
city is cut into slices whose counts add up exactly to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth import campaign as cp
from synth import registry as rg
from synth.common import WHOLE, Part, allocate

SCENARIOS = ("sample", "city")
PEOPLE_CITY = 8_700_000


@dataclass(frozen=True)
class Scenario:
    name: str
    people: int
    vehicles: int  # registry vehicle records in the first delivery (duplicates included)
    licences: int  # assigned licence records (accepted rows of the first delivery)
    org_factor: float  # organisations relative to the city

    @property
    def vehicle_factor(self) -> float:
        return self.vehicles / cp.VEHICLES_CITY


def scenario(name: str = "sample", scale: float = 1.0) -> Scenario:
    """The sizes of a scenario; ``scale`` shrinks the city (e.g. 0.05) for quick runs."""
    if name == "sample":
        return Scenario("sample", 70_000, 60_000, 15_000, 0.1)
    if name == "city":
        return Scenario(
            "city",
            int(round(PEOPLE_CITY * scale)),
            int(round(cp.VEHICLES_CITY * scale)),
            int(round(rg.LICENCES_CITY * scale)),
            scale,
        )
    raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}")


def calibration_targets(sc: Scenario) -> dict[str, int]:
    """The published figures a scenario reproduces exactly (scaled by its sizes)."""
    sched = cp.day_schedule(sc.vehicle_factor)
    day = sched["day"].to_numpy()
    rows = sched["rows"].to_numpy()
    cats = rg.licence_categories(sc.licences)
    return {
        "vehicle_submissions_by_2025-11-23": int(rows[day <= np.datetime64("2025-11-23")].sum()),
        "vehicle_submissions_2025-11-11..17": int(
            rows[(day >= np.datetime64("2025-11-11")) & (day <= np.datetime64("2025-11-17"))].sum()
        ),
        "licences_assigned": sc.licences,
        "licences_cleaned_by_2025-11-23": sc.licences - sum(cats.values()),
    }


SLICE_VEHICLES = 700_000  # vehicle records per slice of a city: bounds each worker's memory
SHARED_PARTS = (
    "units",
    "orgs",
    "reports",
    "org_rows",
    "commitments",
    "mail",
)  # the same draws in every slice


def rngs(seed: int, part: Part = WHOLE) -> dict[str, np.random.Generator]:
    parts = [
        "units",
        "people",
        "orgs",
        "vehicles",
        "licences",
        "population",
        "veh_subs",
        "lic_subs",
        "render",
        "final",
        "reports",
        "org_rows",
        "commitments",
        "mail",  # appended: the streams before it keep their seeds
    ]
    return {
        p: np.random.default_rng(
            [seed, i] if part.of == 1 or p in SHARED_PARTS else [seed, i, part.k]
        )
        for i, p in enumerate(parts)
    }


@dataclass(frozen=True)
class Quota:
    """What one slice of a scenario generates (the whole scenario: one slice)."""

    people: int
    outsiders: int
    vehicles: int
    licences: int
    licence_categories: dict | None = None  # None: the shares of ``licences`` records
    schedule: pd.DataFrame | None = None  # None: the scenario's day schedule


def whole_quota(sc: Scenario) -> Quota:
    return Quota(sc.people, int(round(0.02 * sc.vehicles)) + 200, sc.vehicles, sc.licences)


def default_slices(sc: Scenario, workers: int = 2) -> int:
    """One slice per ~700,000 vehicle records for the city, rounded up to a multiple of the
    workers (no worker idles through the last round); the sample is one slice."""
    if sc.name != "city":
        return 1
    n = max(1, int(np.ceil(sc.vehicles / SLICE_VEHICLES)))
    return n if n == 1 else int(np.ceil(n / workers)) * workers


def slice_quotas(sc: Scenario, n: int) -> list[Quota]:
    """Split a scenario into ``n`` slices whose counts add up exactly to the whole.

    Every calibrated count (each day's accepted vehicle submissions, each difficult licence
    reason) is computed for the whole scenario first and then apportioned (largest remainder),
    so the city's published figures hold exactly however many slices make it.
    """
    whole = whole_quota(sc)
    even = np.ones(n)
    people = allocate(whole.people, even)
    outsiders = allocate(whole.outsiders, even)
    vehicles = allocate(whole.vehicles, even)
    licences = allocate(whole.licences, even)
    cats = {c: allocate(v, licences) for c, v in rg.licence_categories(sc.licences).items()}
    sched = cp.day_schedule(sc.vehicle_factor)
    rows = np.stack([allocate(int(r), vehicles) for r in sched["rows"].to_numpy()])
    return [
        Quota(
            int(people[k]),
            int(outsiders[k]),
            int(vehicles[k]),
            int(licences[k]),
            {c: int(v[k]) for c, v in cats.items()},
            pd.DataFrame({"day": sched["day"].to_numpy(), "rows": rows[:, k]}),
        )
        for k in range(n)
    ]
