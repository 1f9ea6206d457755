"""Time reconcile alone on city-sized processed tables (no generator, no ingest needed).

    .venv/bin/python tools/bench_reconcile.py /tmp/recbench            # week-2 city shape
    .venv/bin/python tools/bench_reconcile.py /tmp/recbench-late --vehicle-submissions 4300000

Writes the ingest tables once into ``<root>/processed/2025-11-23/`` with the contract's
columns and city counts (8.5 M vehicle records, 8.7 M people, 130,359 licences), random but
keyed like the real ones: shared plates/chassis, invalid and missing IDs, organisations,
deceased owners, name differences, resubmissions (+10 %) and plate typos without chassis (1 %,
unmatched). Then runs ``reconcile.reconcile_week`` in this process and prints wall time, CPU
time and peak RSS. ``make bench SCENARIO=city`` measures the notebook step on generated data.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import duckdb

from helpers import reconcile
from helpers.paths import Workspace

WEEK = "2025-11-23"


def build(out: Path, people: int, vehicles: int, licences: int, vehicle_subs: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET threads=2")
    unit = "lpad(((i % 126) * 7 + 4)::VARCHAR, 5, '0')"
    cid = "'001' || lpad(((j * 7919) % 1000000000)::VARCHAR, 9, '0')"
    con.execute(f"""COPY (SELECT {cid.replace("j", "i")} AS citizen_id,
        'Nguyễn Văn ' || (i % 9973)::VARCHAR AS full_name,
        'nguyen van ' || (i % 9973)::VARCHAR AS full_name_key,
        CASE WHEN i % 50 = 0 THEN NULL ELSE DATE '1950-01-01' + (i % 20000)::INTEGER END AS dob,
        (1950 + (i % 20000) // 365)::BIGINT AS dob_year,
        CASE WHEN i % 2 = 0 THEN 'male' ELSE 'female' END AS gender, {unit} AS unit_code,
        CASE WHEN i % 97 = 0 THEN 'deceased' ELSE 'alive' END AS status,
        'x' AS source_file, (i + 2)::BIGINT AS source_row FROM range({people}) t(i))
        TO '{out}/population.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT 'V' || lpad(i::VARCHAR, 9, '0') AS record_id, {unit} AS unit_code,
        k AS plate, k AS plate_key, 'motorbike' AS vehicle_type,
        'CH' || lpad((CASE WHEN i % 1000 = 1 THEN i - 1 ELSE i END)::VARCHAR, 12, '0') AS chassis_no,
        'CH' || lpad((CASE WHEN i % 1000 = 1 THEN i - 1 ELSE i END)::VARCHAR, 12, '0') AS chassis_key,
        'E' || i::VARCHAR AS engine_no, DATE '2010-01-01' AS registered_on,
        CASE WHEN i % 40 = 0 THEN 'organization' ELSE 'individual' END AS owner_kind,
        'Nguyễn Văn ' || (j % 9973)::VARCHAR AS owner_name,
        CASE WHEN i % 300 = 0 THEN 'nguyen van x' ELSE 'nguyen van ' || (j % 9973)::VARCHAR END
            AS owner_name_key,
        CASE WHEN i % 200 = 0 THEN '12345' ELSE {cid} END AS owner_id,
        CASE WHEN i % 200 = 0 THEN 'invalid' ELSE 'cccd' END AS owner_id_kind,
        false AS owner_id_repaired, DATE '1950-01-01' + (j % 20000)::INTEGER AS owner_dob,
        (1950 + (j % 20000) // 365)::BIGINT AS owner_dob_year, 'Số ' || i::VARCHAR AS owner_address,
        'x' AS source_file, (i + 2)::BIGINT AS source_row
        FROM (SELECT i, (i * 31) % {people} AS j,
                     lpad((10 + hash(i) % 90)::VARCHAR, 2, '0') || chr((65 + hash(i + 1) % 20)::INTEGER)
                     || lpad((i % 100000)::VARCHAR, 5, '0') || (i // 100000)::VARCHAR AS k
              FROM range({vehicles}) t(i)))
        TO '{out}/registry_vehicles.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT 'L' || lpad(i::VARCHAR, 9, '0') AS record_id, {unit} AS unit_code,
        lpad((i * 13)::VARCHAR, 12, '0') AS licence_no, 'A1' AS licence_class,
        'Trần Thị ' || (j % 9973)::VARCHAR AS holder_name,
        'nguyen van ' || (j % 9973)::VARCHAR AS holder_name_key, {cid} AS holder_id,
        'cccd' AS holder_id_kind, false AS holder_id_repaired,
        DATE '1950-01-01' + (j % 20000)::INTEGER AS holder_dob,
        (1950 + (j % 20000) // 365)::BIGINT AS holder_dob_year, DATE '2012-01-01' AS issued_on,
        NULL::DATE AS expires_on, 'x' AS source_file, (i + 2)::BIGINT AS source_row
        FROM (SELECT i, (i * 17) % {people} AS j FROM range({licences}) t(i)))
        TO '{out}/registry_licences.parquet' (FORMAT parquet)""")
    sub_cols = """NULL AS citizen_id, NULL AS citizen_id_kind, NULL AS full_name,
        NULL AS full_name_key, NULL::DATE AS dob, NULL::BIGINT AS dob_year, '0912345678' AS phone"""
    con.execute(f"""COPY (
        WITH rv AS (SELECT record_id, plate_key, chassis_key, unit_code
                    FROM read_parquet('{out}/registry_vehicles.parquet')
                    USING SAMPLE {vehicle_subs} ROWS),
        s AS (SELECT * FROM rv UNION ALL SELECT * FROM rv USING SAMPLE 10 PERCENT)
        SELECT 'S' || lpad(row_number() OVER ()::VARCHAR, 10, '0') AS submission_id,
            TIMESTAMP '2025-11-03 07:00:00' + to_seconds((hash(plate_key) % 1700000)::BIGINT)
                AS submitted_at, 'vehicle' AS kind, {sub_cols}, plate_key AS plate,
            CASE WHEN hash(plate_key) % 100 = 0 THEN plate_key[1:4] || 'Z' || plate_key[6:]
                 ELSE plate_key END AS plate_key, chassis_key AS chassis_no,
            CASE WHEN hash(plate_key) % 100 = 0 THEN NULL ELSE chassis_key END AS chassis_key,
            'in_use' AS declared_status, NULL AS licence_no, unit_code,
            CASE hash(plate_key) % 3 WHEN 0 THEN 'pending' WHEN 1 THEN 'approved'
                 ELSE 'rejected' END AS review_status,
            TIMESTAMP '2025-11-22 10:00:00' AS reviewed_at, NULL AS reject_reason,
            'x' AS source_file, 2::BIGINT AS source_row FROM s
        UNION ALL
        SELECT 'T' || lpad(i::VARCHAR, 10, '0'), TIMESTAMP '2025-11-12 07:00:00', 'licence',
            {sub_cols}, NULL, NULL, NULL, NULL, NULL, lpad((i * 13)::VARCHAR, 12, '0'),
            {unit}, 'approved', TIMESTAMP '2025-11-13 10:00:00', NULL, 'x', 2::BIGINT
        FROM range({licences}) t(i) WHERE hash(i) % 100 < 97
        ) TO '{out}/submissions.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT (DATE '2025-11-17' + d::INTEGER) AS report_date,
        lpad((u * 7 + 4)::VARCHAR, 5, '0') AS unit_code, 500::BIGINT AS vehicles_collected,
        100::BIGINT AS vehicles_approved, 10::BIGINT AS licences_collected,
        10::BIGINT AS licences_cleaned, 'x' AS source_file, 5::BIGINT AS source_row
        FROM range(126) a(u), range(7) b(d)) TO '{out}/unit_reports.parquet' (FORMAT parquet)""")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="scratch folder (inputs are built once)")
    parser.add_argument("--people", type=int, default=8_700_000)
    parser.add_argument("--vehicles", type=int, default=8_500_000)
    parser.add_argument("--licences", type=int, default=130_359)
    parser.add_argument(
        "--vehicle-submissions",
        type=int,
        default=960_000,
        help="vehicle records submitted (+10 %% resubmitted)",
    )
    args = parser.parse_args()
    ws = Workspace(
        raw=args.root / "raw",
        processed=args.root / "processed",
        output=args.root / "output",
        truth=args.root / "truth",
    )
    (ws.raw / WEEK).mkdir(parents=True, exist_ok=True)
    inputs = ws.processed_week(WEEK)
    if not (inputs / "unit_reports.parquet").is_file():
        t0 = time.perf_counter()
        build(inputs, args.people, args.vehicles, args.licences, args.vehicle_submissions)
        print(f"inputs built in {time.perf_counter() - t0:.0f} s")
    wall, cpu = time.perf_counter(), time.process_time()
    counts = reconcile.reconcile_week(ws, WEEK)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(counts)
    print(f"reconcile: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak_gb:.2f} GB")


if __name__ == "__main__":
    main()
