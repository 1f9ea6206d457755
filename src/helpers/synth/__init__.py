"""Synthetic Plan 375 campaign: weekly raw deliveries plus the ground truth behind them.

``generate(out_dir, scenario="sample", seed=375, truth_dir=None)`` writes the six delivery
folders (2025-11-17 .. 2025-12-21) exactly as docs/data-contract.md describes and, outside the
raw folder, the truth (docs/synthetic-data.md): people, registry facts, every injected fault
with the file and row where the user sees it, and per week the status every record should get
under docs/rules.md. Same seed, same bytes.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.synth import campaign as cp
from helpers.synth import deliver as dv
from helpers.synth import registry as rg
from helpers.synth import selfreport as sr
from helpers.synth import truth as tr
from helpers.synth import world as wd
from helpers.synth.common import FAULT_COLUMNS, WHOLE, Faults, Part, allocate, take

SCENARIOS = ("sample", "city")
DELIVERIES = cp.DELIVERIES
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
SHARED_PARTS = ("units", "orgs", "reports", "org_rows")  # the same draws in every slice


def _rngs(seed: int, part: Part = WHOLE) -> dict[str, np.random.Generator]:
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
        now = time.perf_counter()
        timings[name] = round(now - start[0], 3)
        memory[name] = _rss_gb()
        start[0] = now

    whole = part.of == 1
    r = _rngs(seed, part)
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
    else:
        sr.system_counts(sub, len(units.frame), sr.REPORT_DAYS).to_parquet(
            truth / "system_counts.parquet", index=False
        )
    lap("campaign")

    writer = dv.Writer(out, header=part.k == 0)
    _write_record_deliveries(writer, vehicles, licences, population, sub)
    if whole:
        write_city_deliveries(writer, reports, org_table, units)
    lap("write_raw")
    # the delivered text of the big per-record tables is on disk now and the truth derives from
    # keys and fault codes only: free it before the truth (a GB-scale share of the city's peak)
    for frame in (vehicles, licences, population):
        for c in [c for c in frame.columns if c.startswith("d_")]:
            del frame[c]

    summary_weeks = _write_truth(
        truth, vehicles, licences, population, people, sub, units, orgs, faults, writer
    )
    if whole:
        write_city_truth(truth, units, reports)
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
        take(sub["plate_key"], m),
        "repaired",
        expected=take(sub["plate_key"], m),
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


def _write_record_deliveries(w: dv.Writer, vehicles, licences, population, sub) -> None:
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


def write_city_deliveries(w: dv.Writer, reports, org_table, units) -> None:
    """The organisations list and the units' self-report workbooks of every delivery."""
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


def source_for_week(source: str, week: str) -> str | None:
    """The delivery a correct ingest reads ``source`` from for ``week`` (newest ≤ week)."""
    held = [d for d in dv.FORMATS[source] if d <= week]
    return max(held) if held else None


def _write_fault_log(path: Path, faults: Faults, writer: dv.Writer) -> None:
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
                    {"row_key": keys, "source_row": first + np.arange(len(keys), dtype=np.int64)}
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


def _write_truth(
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
    ppl.to_parquet(truth / "people.parquet", index=False)
    cid = people["citizen_id"].to_numpy()
    v = vehicles[~vehicles["is_copy"]]
    pd.DataFrame(
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
            "owner_org_id": np.where(
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
    ).to_parquet(truth / "registry_vehicles.parquet", index=False)
    lc = licences[~licences["is_copy"]]
    pd.DataFrame(
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
    ).to_parquet(truth / "registry_licences.parquet", index=False)

    _write_fault_log(truth / "faults.parquet", faults, writer)

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
    weeks = {}
    for d in DELIVERIES:
        reg_new = d >= rg.UPDATE
        pop_d = source_for_week("population", d)
        wt = tr.week_truth(d, veh_t, lic_t, population, pop_d, people, subs_t, uf, reg_new, n_codes)
        folder = truth / d
        folder.mkdir(parents=True, exist_ok=True)
        for name, table in wt.items():
            table.to_parquet(folder / f"{name}.parquet", index=False)
        vs, ls, sl = wt["vehicle_status"], wt["licence_status"], wt["submission_links"]
        weeks[d] = {
            "vehicle_status": vs["status"].value_counts().to_dict(),
            "licence_status": ls["status"].value_counts().to_dict(),
            "vehicle_submissions_accepted": int(
                ((sl["kind"] == "vehicle") & ~sl["rejected_at_ingest"]).sum()
            ),
            "licence_submissions_accepted": int(
                ((sl["kind"] == "licence") & ~sl["rejected_at_ingest"]).sum()
            ),
        }
    return weeks


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
    rep["rejected_at_ingest"] = rep["fault"].notna()
    rep[
        [
            "report_date",
            "unit_code",
            *sr.REPORT_COUNTS,
            *[f"system_{c}" for c in sr.REPORT_COUNTS],
            "overstates",
            "rejected_at_ingest",
        ]
    ].to_parquet(truth / "unit_reports.parquet", index=False)
