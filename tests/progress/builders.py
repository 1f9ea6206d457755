"""Builders shared by the progress tests: tiny hand-made reconciled tables (a few units with a
handful of records each; the other official units have nothing assigned, which is itself an edge
case every test carries) and the progress built from them."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta

import pandas as pd

from helpers import progress

WEEK = date(2025, 11, 23)  # a Sunday; the 7-day window is 17..23 November


A, B, C, D = "00004", "00008", "00025", "00070"  # Ba Đình, Ngọc Hà, Giảng Võ, Hoàn Kiếm


def with_params(plan, section: str, **values):
    merged = {**getattr(plan, section), **values}
    return dataclasses.replace(plan, **{section: merged})


# --- builders ----------------------------------------------------------------------------------


def records(
    unit: str,
    *,
    assigned: int,
    cleaned_at: list[str] = (),
    pending: int = 0,
    rejected: int = 0,
    groups: dict[str, int] | None = None,
    prefix: str = "V",
) -> list[dict]:
    """``assigned`` records of one unit: one cleaned per ``cleaned_at`` timestamp, then pending,
    rejected, difficult groups, and the rest not submitted."""
    rows: list[dict] = []

    def add(status, submission=None, review=None, reviewed=None):
        n = len(rows)
        rows.append(
            {
                "record_id": f"{prefix}{unit}-{n:04d}",
                "unit_code": unit,
                "status": status,
                "submission_id": submission and f"S{unit}-{prefix}{n:04d}",
                "review_status": review,
                "reviewed_at": pd.Timestamp(reviewed) if reviewed else pd.NaT,
            }
        )

    for moment in cleaned_at:
        add("cleaned", True, "approved", moment)
    for _ in range(pending):
        add("pending_review", True, "pending")
    for _ in range(rejected):
        add("rejected_awaiting_resubmission", True, "rejected", "2025-11-20 09:00")
    for status, n in (groups or {}).items():
        for _ in range(n):
            add(status)
    while len(rows) < assigned:
        add("not_submitted")
    assert len(rows) == assigned, "builder: more records than assigned"
    return rows


def status_table(*unit_rows: list[dict]) -> pd.DataFrame:
    rows = [r for chunk in unit_rows for r in chunk]
    frame = pd.DataFrame(
        rows,
        columns=[
            "record_id",
            "unit_code",
            "status",
            "submission_id",
            "review_status",
            "reviewed_at",
        ],
    )
    frame["reviewed_at"] = pd.to_datetime(frame["reviewed_at"])
    return frame


def links(rows: list[dict] | None = None) -> pd.DataFrame:
    """Submissions: dicts with unit_code, submitted_at and optionally kind/review/reviewed_at."""
    out = []
    for i, r in enumerate(rows or []):
        out.append(
            {
                "submission_id": f"L{i:05d}",
                "kind": r.get("kind", "vehicle"),
                "unit_code": r["unit_code"],
                "record_id": None,
                "submitted_at": pd.Timestamp(r["submitted_at"]),
                "review_status": r.get("review_status", "pending"),
                "reviewed_at": pd.Timestamp(r["reviewed_at"]) if r.get("reviewed_at") else pd.NaT,
            }
        )
    frame = pd.DataFrame(
        out,
        columns=[
            "submission_id",
            "kind",
            "unit_code",
            "record_id",
            "submitted_at",
            "review_status",
            "reviewed_at",
        ],
    )
    for col in ("submitted_at", "reviewed_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def daily(first: date, n: int, per_day: int = 1, hour: int = 10) -> list[str]:
    """``per_day`` cleaning moments on each of ``n`` days starting at ``first``."""
    return [
        (
            datetime.combine(first + timedelta(days=d), datetime.min.time())
            + timedelta(hours=hour, minutes=k)
        ).isoformat(sep=" ")
        for d in range(n)
        for k in range(per_day)
    ]


def window(per_day: int = 1) -> list[str]:
    return daily(WEEK - timedelta(days=6), 7, per_day)


def build(plan, vehicles, licences=None, subs=None, *, as_of=WEEK, previous=None, **kw):
    """unit_progress indexed by unit code."""
    units = progress.unit_progress(
        vehicles,
        licences if licences is not None else status_table(),
        subs if subs is not None else links(),
        plan,
        as_of=as_of,
        previous=previous,
        **kw,
    )
    return units.set_index("unit_code", drop=False)


def make_check(
    unit: str,
    reported: int,
    system: int,
    day: str = "2025-11-20",
    measure: str = "vehicles_approved",
) -> pd.DataFrame:
    """reconcile's unit_self_report_check: one unit-day, one measure reported, others zero."""
    row = {"report_date": pd.Timestamp(day).date(), "unit_code": unit, "overstated": False}
    for m in ("vehicles_collected", "vehicles_approved", "licences_collected", "licences_cleaned"):
        row[f"reported_{m}"] = reported if m == measure else 0
        row[f"system_{m}"] = system if m == measure else 0
    return pd.DataFrame([row])


# --- laggard rules -----------------------------------------------------------------------------


def field(plan, spec: dict[str, tuple[int, int]], **kw):
    """Units with (assigned, cleaned this week); a steady city where only the rules differ."""
    rows = [
        records(u, assigned=n, cleaned_at=daily(WEEK - timedelta(days=6), 7, 1)[:k])
        for u, (n, k) in spec.items()
    ]
    return build(plan, status_table(*rows), **kw)


def reasons_of(units, plan) -> pd.DataFrame:
    return progress.laggards(units.reset_index(drop=True), plan).set_index("unit_code")


def quiet(plan):
    """Every naming and context rule switched off; a test switches on the one it is about."""
    return with_params(
        plan,
        "laggards",
        below_median_points=100.0,
        below_median_ratio=0.0,
        bottom_share=0.0,
        gain_vs_city_median=0.0,
        late_vs_city_days=10_000,
        late_vs_city_share=0.0,
        backlog_oldest_days=10_000,
        projected_late_days=10_000,
        weekly_gain_vs_required=0.0,
    )


# --- city, series, talking points --------------------------------------------------------------


def small_week(plan):
    veh = status_table(
        records(A, assigned=100, cleaned_at=window(2) + ["2025-11-12 09:00"]),
        records(B, assigned=50, cleaned_at=window()[:3], pending=2),
    )
    lic = status_table(records(A, assigned=20, cleaned_at=window()[:4], prefix="L"))
    subs = links(
        [
            {
                "unit_code": A,
                "submitted_at": "2025-11-11 08:00",
                "review_status": "approved",
                "reviewed_at": "2025-11-12 09:00",
            },
            {"unit_code": B, "submitted_at": "2025-11-20 08:00"},
            {"unit_code": B, "submitted_at": "2025-11-21 08:00", "kind": "licence"},
            {"unit_code": B, "submitted_at": "2025-11-05 08:00"},  # before the peak
        ]
    )
    agg = progress.aggregate(veh, lic, subs, plan, as_of=WEEK)
    return progress.compute(agg, plan, as_of=WEEK)


# --- the week on disk --------------------------------------------------------------------------


def write_week(ws, week: str, vehicles: pd.DataFrame, subs: pd.DataFrame | None = None):
    """A processed folder as reconcile leaves it (only the columns progress reads)."""
    from helpers import store

    subs = subs if subs is not None else links()
    store.save(ws, vehicles, "vehicle_status", week, partial=True)
    store.save(
        ws, status_table(records(A, assigned=2, prefix="L")), "licence_status", week, partial=True
    )
    store.save(ws, subs, "submission_links", week, partial=True)
    store.save(
        ws,
        subs[["submission_id"]].assign(citizen_id="001090012345"),
        "submissions",
        week,
        partial=True,
    )
    store.save(ws, make_check(A, 10, 10, day=week), "unit_self_report_check", week, partial=True)
    store.save(
        ws,
        pd.DataFrame(
            {
                "org_id": ["0101"],
                "org_name": ["Trường X"],
                "org_type": ["school"],
                "unit_code": [A],
                "dispatch_sent_on": [date(2025, 11, 12)],
                "worked_directly": [True],
                "vehicles_counted": [12],
                "vehicles_declared": [0],
            }
        ),
        "organizations",
        week,
        partial=True,
    )
    # the ledger ingest leaves: this week's submissions came from its own delivery (a conference)
    ledger = {"sources": {"submissions": {"delivery": week}}}
    (ws.processed_week(week) / "ledger.json").write_text(json.dumps(ledger), "utf-8")
