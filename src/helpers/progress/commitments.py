"""Commitments of unit commanders tracked from the system's figures (pure: tables in, a table
out).

Each commitment (``commitments``: unit, measure, target, by-date, date given) is judged on the
unit_progress figure its measure is bound to (``helpers.statuses.COMMITMENT_MEASURES``):

- ``value_now``: the figure this week; ``value_given``: the figure on the day before the date
  given (what the conference saw when the commander spoke); ``value_by``: the figure on the
  by-date, once it is reached (this week's figure when it is the week's last day). Cleaned records on any day come from ``unit_daily`` (cleaned
  now minus those cleaned after that day); the backlog and the difficult records resolved come
  from the newest earlier week's ``unit_progress`` on or before that day, when one was written
  (else null, and a passed commitment is judged on the figure now).
- ``pace_per_day``: the unit's 7-day pace (``<p>_rate_7d``; for a share, over its cleanable
  records); for the backlog and the difficult records, the change since the previous reporting
  week per day (else since the date given).
- ``value_given_told``: the figure the conference was shown when the commitment was given,
  from the processed ``unit_progress`` of the week ending the day before the date given, when
  that week was run; null otherwise. When later deliveries revised it (late events) it differs
  from ``value_given``, and the briefing says so (docs/rules.md, "Revisions").
- ``status`` (``COMMITMENT_STATUSES``): met = target reached (judged on the by-date's figure
  once it has passed); missed = the by-date is this week's last day or earlier and the target
  was not reached; on_course = not reached, and at the pace the figure reaches the target by the
  by-date; behind = neither (also when no pace is known).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from helpers import schemas
from helpers.i18n import fmt_int, fmt_num
from helpers.statuses import COMMITMENT_MEASURES, COMMITMENT_STATUSES

OUTPUT_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in schemas.CONTRACTS["commitment_status"].columns
)


def measure_value(units: pd.DataFrame, measure: str) -> pd.Series:
    """A measure's figure per unit (indexed by unit_code) from a unit_progress-like table;
    null when the table lacks its columns (a table written before they existed)."""
    spec = COMMITMENT_MEASURES[measure]
    columns = list(spec["columns"])  # type: ignore[call-overload]
    frame = units.set_index("unit_code")
    if any(c not in frame for c in columns):
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    value = frame[columns].astype("float64").sum(axis=1, min_count=len(columns))
    return value * 100.0 if spec["unit"] == "pct" else value


def _cleaned_after(daily: pd.DataFrame | None, prefix: str, days: pd.Series) -> np.ndarray:
    """Per commitment row: records of ``prefix``'s kind its unit cleaned after ``days`` (up to
    the week); 0 without a daily table."""
    if daily is None or daily.empty:
        return np.zeros(len(days))
    kind = {"veh": "vehicle", "lic": "licence"}[prefix]
    mine = daily.loc[(daily["kind"] == kind) & daily["date"].notna(), ["unit_code", "date"]]
    mine = mine.assign(
        cleaned=daily.loc[mine.index, "cleaned_day"].astype("float64").fillna(0.0),
        date=pd.to_datetime(mine["date"]),
    )
    rows = pd.DataFrame({"unit_code": days.index.to_numpy(), "day": pd.to_datetime(days.values)})
    rows["row"] = np.arange(len(rows))
    joined = rows.merge(mine, on="unit_code", how="inner")
    later = joined[joined["date"] > joined["day"]]
    sums = later.groupby("row")["cleaned"].sum()
    return sums.reindex(np.arange(len(rows)), fill_value=0.0).to_numpy()


def value_on(
    commitments: pd.DataFrame,
    units: pd.DataFrame,
    days: pd.Series,
    *,
    daily: pd.DataFrame | None = None,
    earlier: Mapping[date, pd.DataFrame] | None = None,
) -> pd.Series:
    """Each commitment's figure at the end of its day in ``days`` (aligned with
    ``commitments``); null where the system cannot tell."""
    out = pd.Series(np.nan, index=commitments.index, dtype="float64")
    weeks = sorted(earlier or {})
    for measure, rows in commitments.groupby("measure", sort=False):
        spec = COMMITMENT_MEASURES[str(measure)]
        day = days.loc[rows.index]
        pace = spec["pace"]
        if pace is not None:  # cleaned records: now minus those cleaned after the day
            prefix = str(pace)[:3]
            now = units.set_index("unit_code")[f"{prefix}_cleaned"].astype("float64")
            keyed = pd.Series(day.to_numpy(), index=rows["unit_code"].to_numpy())
            cleaned = now.reindex(keyed.index).to_numpy() - _cleaned_after(daily, prefix, keyed)
            if spec["unit"] == "pct":
                per = units.set_index("unit_code")[str(spec["per"])].astype("float64")
                cleaned = cleaned / per.reindex(keyed.index).where(lambda s: s > 0).to_numpy()
                cleaned = cleaned * 100.0
            out.loc[rows.index] = cleaned
            continue
        for index, d in day.items():  # a few commitments a week: one lookup each
            known = [w for w in weeks if w <= d]
            if known:
                value = measure_value(earlier[known[-1]], str(measure))  # type: ignore[index]
                out.loc[index] = value.get(rows.at[index, "unit_code"], np.nan)
    return out


def _reached(value: pd.Series, target: pd.Series, down: pd.Series) -> pd.Series:
    return (value <= target).where(down, value >= target) & value.notna()


def commitment_status(
    commitments: pd.DataFrame,
    units: pd.DataFrame,
    *,
    as_of: date,
    daily: pd.DataFrame | None = None,
    earlier: Mapping[date, pd.DataFrame] | None = None,
    previous: pd.DataFrame | None = None,
    previous_as_of: date | None = None,
) -> pd.DataFrame:
    """Every commitment's figures and status this week, missed first (see the module)."""
    if commitments is None or commitments.empty:
        return schemas.complete("commitment_status", pd.DataFrame(columns=[]))[list(OUTPUT_COLUMNS)]
    c = commitments.reset_index(drop=True).copy()
    spec = c["measure"].map(COMMITMENT_MEASURES)
    down = spec.map(lambda s: s["direction"] == "down")
    target = c["target"].astype("float64")
    by = pd.to_datetime(c["by_date"]).dt.date
    given = pd.to_datetime(c["given_on"]).dt.date
    now = pd.Series(np.nan, index=c.index, dtype="float64")
    for measure, rows in c.groupby("measure", sort=False):
        value = measure_value(units, str(measure))
        now.loc[rows.index] = value.reindex(rows["unit_code"]).to_numpy()
    before = given.map(lambda d: d - timedelta(days=1))
    value_given = value_on(c, units, before, daily=daily, earlier=earlier)
    value_told = pd.Series(np.nan, index=c.index, dtype="float64")
    for index, day in before.items():  # a few commitments a week: one lookup each
        shown = (earlier or {}).get(day)
        if shown is not None:
            figure = measure_value(shown, str(c.at[index, "measure"]))
            value_told.loc[index] = figure.get(c.at[index, "unit_code"], np.nan)
    passed = by.map(lambda d: d < as_of)
    value_by = value_on(c, units, by, daily=daily, earlier=earlier).where(passed)
    pace = _pace(c, units, now, value_given, given, as_of, previous, previous_as_of)
    days_left = by.map(lambda d: (d - as_of).days).astype("int64")
    value_by = value_by.mask(days_left == 0, now)  # the by-date is this week's last day
    projected = now + pace * days_left.clip(lower=0)
    judged = value_by.fillna(now)
    status = np.select(
        [
            _reached(judged, target, down),
            days_left <= 0,
            _reached(projected, target, down),
        ],
        ["met", "missed", "on_course"],
        default="behind",
    )
    names = units.set_index("unit_code")["unit_name"]
    out = pd.DataFrame(
        {
            "unit_code": c["unit_code"].astype("str"),
            "unit_name": c["unit_code"].map(names).fillna(c["unit_code"]).astype("str"),
            "measure": c["measure"].astype("str"),
            "direction": np.where(down, "down", "up"),
            "unit": spec.map(lambda s: s["unit"]).astype("str"),
            "target": target,
            "by_date": by,
            "given_on": given,
            "commitment_text": c["commitment_text"] if "commitment_text" in c else None,
            "value_given": value_given,
            "value_given_told": value_told,
            "value_now": now,
            "value_by": value_by,
            "pace_per_day": pace,
            "projected": projected.where(days_left > 0),
            "days_left": days_left,
            "status": status,
        }
    )
    out["order"] = out["status"].map({s: i for i, s in enumerate(COMMITMENT_STATUSES)})
    out = out.sort_values(
        ["order", "by_date", "unit_name", "measure"], kind="stable", ignore_index=True
    )
    out["order"] = np.arange(1, len(out) + 1, dtype="int64")
    return out[list(OUTPUT_COLUMNS)]


def _pace(
    c: pd.DataFrame,
    units: pd.DataFrame,
    now: pd.Series,
    value_given: pd.Series,
    given: pd.Series,
    as_of: date,
    previous: pd.DataFrame | None,
    previous_as_of: date | None,
) -> pd.Series:
    """The figure's change per day: the 7-day rate for cleaned records (in points of the
    share for a share), else the change since the previous week (or the date given)."""
    pace = pd.Series(np.nan, index=c.index, dtype="float64")
    frame = units.set_index("unit_code")
    for measure, rows in c.groupby("measure", sort=False):
        spec = COMMITMENT_MEASURES[str(measure)]
        codes = rows["unit_code"].to_numpy()
        if spec["pace"] is not None:
            rate = frame[str(spec["pace"])].astype("float64").reindex(codes).to_numpy()
            if spec["unit"] == "pct":
                per = frame[str(spec["per"])].astype("float64").reindex(codes)
                rate = rate / per.where(per > 0).to_numpy() * 100.0
            pace.loc[rows.index] = rate
            continue
        if previous is not None and previous_as_of is not None and previous_as_of < as_of:
            then = measure_value(previous, str(measure)).reindex(codes).to_numpy()
            pace.loc[rows.index] = (now.loc[rows.index].to_numpy() - then) / (
                as_of - previous_as_of
            ).days
        since = given.loc[rows.index].map(lambda d: (as_of - d).days + 1).astype("float64")
        fallback = (now.loc[rows.index] - value_given.loc[rows.index]) / since.where(since > 0)
        pace.loc[rows.index] = pace.loc[rows.index].fillna(fallback)
    return pace


def figure_text(value, unit: str, lang: str) -> str:
    """A commitment's figure in its measure's unit: '47,5%' for a share, '1.200' for a count
    ('–' when there is none). The briefing and the unit packs say it the same way."""
    if value is None or pd.isna(value):
        return "–"
    if unit == "pct":
        return fmt_num(float(value), lang, 1) + "%"
    return fmt_int(round(float(value)), lang)
