"""The parts of the briefing as HTML, in document order: each public function prepares its
part's values (:mod:`helpers.briefing.parts`, :mod:`helpers.briefing.parts_detail`) and
renders them with its Jinja template in ``reports/templates/briefing/parts/`` (autoescape on:
every value is escaped). The notebook ``04_briefing`` displays what these return.

Reads the templates; writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from helpers.briefing.data import BriefingData
from helpers.briefing.export import TEMPLATE_DIR
from helpers.briefing.parts import (
    cover_part,
    laggards_part,
    summary_part,
)
from helpers.briefing.parts_city import city_part, units_chart_part, units_part
from helpers.briefing.parts_commitments import commitments_part
from helpers.briefing.parts_detail import appendix_part, backlog_part, orgs_part, quality_part
from helpers.briefing.parts_final import final_part, final_results_part
from helpers.briefing.parts_followup import followup_part, history_part
from helpers.briefing.text import Text
from helpers.config import Plan

PARTS_DIR = TEMPLATE_DIR / "parts"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(PARTS_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_part(template: str, lang: str, **values: Any) -> str:
    """Render ``parts/<template>.html.j2`` with ``text`` bound to ``lang``."""
    return environment().get_template(f"{template}.html.j2").render(text=Text(lang), **values)


def render_table(spec: dict[str, Any]) -> str:
    """A table from :func:`~helpers.briefing.parts.table` with plain text cells, as HTML."""
    macro = environment().get_template("_macros.html.j2").module.data_table  # type: ignore[attr-defined]
    return str(macro(spec))


def cover(data: BriefingData, plan: Plan, lang: str, generated_at: datetime | None = None) -> str:
    """Cover: plan number and title, week covered, conference date, generated at, the date of
    each source's data (stale ones marked), contents, mark."""
    return render_part("cover", lang, part=cover_part(data, plan, lang, generated_at))


def summary(data: BriefingData, plan: Plan, lang: str) -> str:
    """KPI tiles per kind and the talking points."""
    return render_part("summary", lang, part=summary_part(data, plan, lang))


def followup(data: BriefingData, lang: str) -> str:
    """The previous conference followed up: its laggards then and now, its leaders kept or
    lost, the city's targets then against what was cleaned since (one line in the first
    week)."""
    return render_part("followup", lang, part=followup_part(data, lang))


def campaign_summary(data: BriefingData, plan: Plan, lang: str) -> str:
    """The campaign summary in a week that reaches the end of the peak; nothing otherwise."""
    part = final_part(data, plan, lang)
    return "" if part is None else render_part("final", lang, part=part)


def final_results(data: BriefingData, lang: str) -> str:
    """Appendix of the campaign summary: each unit's final result and its handover; nothing in
    a week before the end of the peak."""
    part = final_results_part(data, lang)
    return "" if part is None else render_part("final_results", lang, part=part)


def city_progress(data: BriefingData, plan: Plan, lang: str) -> str:
    """Cumulative curves against the trajectory, weekly gains, and the city's figures."""
    return render_part("city", lang, part=city_part(data, plan, lang))


def units_chart(data: BriefingData, lang: str) -> str:
    """All units in one sorted bar chart (two columns), coloured by standing."""
    return render_part("units_chart", lang, chart=units_chart_part(data, lang))


def units_overview(data: BriefingData, lang: str) -> str:
    return render_part("units", lang, part=units_part(data, lang))


def laggards_and_leaders(data: BriefingData, plan: Plan, lang: str) -> str:
    """Every laggard with every reason sentence; the leaders with theirs."""
    return render_part("laggards", lang, part=laggards_part(data, plan, lang))


def commitments(data: BriefingData, lang: str) -> str:
    """Commitments of unit commanders: each with its figures and status, missed ones first."""
    return render_part("commitments", lang, part=commitments_part(data, lang))


def backlog_and_difficult(data: BriefingData, lang: str) -> str:
    """Review backlog by unit (top of the list) and city; difficult data groups."""
    return render_part("backlog", lang, part=backlog_part(data, lang))


def organisations(data: BriefingData, lang: str) -> str:
    """Dispatches, direct work, vehicles counted and declared, by organisation type."""
    return render_part("orgs", lang, part=orgs_part(data, lang))


def data_quality(data: BriefingData, lang: str) -> str:
    """Rows received/accepted/rejected by source, rejects by reason, overstating self-reports."""
    return render_part("quality", lang, part=quality_part(data, lang))


def appendix(data: BriefingData, lang: str) -> str:
    """All units, landscape pages, the header row repeated on every page."""
    return render_part("appendix", lang, part=appendix_part(data, lang))


def rank_history(data: BriefingData, lang: str) -> str:
    """Appendix: each unit's rank at every reporting week and a small line of its share
    cleaned (one line when the week's folder has no history)."""
    return render_part("history", lang, part=history_part(data, lang))
