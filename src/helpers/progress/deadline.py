"""Where a week stands against the deadline in force, in words: "day N of M" of the peak (of
the extended peak when an extension was decided by then), the deadline with its extension,
or how many days the week lies past it. The one place the three cases (``Plan.phase``:
``in_peak``, ``extended``, ``overdue``) turn into text; the cover, the KPI tiles, the talking
points and the packs all call it (docs/rules.md, "Days and the deadline")."""

from __future__ import annotations

from datetime import date

from helpers.config import Plan
from helpers.i18n import fmt_date, fmt_int, t


def days_text(n: int, lang: str) -> str:
    """``n`` days, singular or plural ("1 day", "12 days")."""
    key = "progress.days.one" if abs(n) == 1 else "progress.days.other"
    return t(key, lang, n=fmt_int(abs(n), lang))


def extension_text(plan: Plan, as_of: date, lang: str) -> str:
    """ "the peak was extended to <end> by <reference> of <dated>" when an extension is in force
    at ``as_of``; empty otherwise."""
    p = plan.in_force(as_of)
    ext = p.extension
    if ext is None or p.planned_end is None:
        return ""
    return t(
        "progress.deadline.extended",
        lang,
        end=fmt_date(ext.end, lang),
        reference=ext.reference,
        dated=fmt_date(ext.dated, lang),
        nominal=fmt_date(p.nominal_end, lang),
    )


def peak_day_text(plan: Plan, as_of: date, lang: str) -> str:
    """ "day N of M of the peak" up to the deadline in force (M the extended length once an
    extension is decided), "N days past the deadline (<date>)" after it: never "day 71 of 60"."""
    p = plan.in_force(as_of)
    phase = p.phase(as_of)
    if phase == "overdue":
        return t(
            "progress.deadline.overdue",
            lang,
            days=days_text(p.days_overdue(as_of), lang),
            deadline=fmt_date(p.end, lang),
        )
    key = "progress.deadline.day_of_extended" if p.planned_end else "progress.deadline.day_of"
    return t(
        key,
        lang,
        day=fmt_int(p.day_of_peak(as_of), lang),
        days=fmt_int(p.duration_days, lang),
        nominal=fmt_int(p.nominal_days, lang),
    )


def deadline_note(plan: Plan, as_of: date, lang: str) -> str:
    """The deadline as a short note under a figure (the days tile): "deadline <date>",
    "extended deadline <date>" (the decision is named on the cover and in the talking points)
    or "deadline <date>, overdue by N days"."""
    p = plan.in_force(as_of)
    if p.phase(as_of) == "overdue":
        return t(
            "progress.deadline.note_overdue",
            lang,
            date=fmt_date(p.end, lang),
            days=days_text(p.days_overdue(as_of), lang),
        )
    if p.planned_end is not None and p.extension is not None:
        return t(
            "progress.deadline.note_extended",
            lang,
            date=fmt_date(p.end, lang),
            reference=p.extension.reference,
        )
    return t("progress.deadline.note", lang, date=fmt_date(p.end, lang))


def days_tile(plan: Plan, as_of: date, lang: str) -> tuple[str, int]:
    """(label, value) of the days tile: days left up to the deadline in force, days overdue
    past it."""
    p = plan.in_force(as_of)
    if p.phase(as_of) == "overdue":
        return t("progress.deadline.days_overdue", lang), p.days_overdue(as_of)
    return t("progress.deadline.days_left", lang), p.days_left(as_of)
