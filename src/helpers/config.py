"""Campaign parameters from ``config/plan.yaml``, loaded once and checked loudly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from helpers import ConfigError
from helpers.paths import PLAN_FILE

LANGS = ("vi", "en")


@dataclass(frozen=True)
class Plan:
    number: str
    dated: date
    title: dict[str, str]
    issuer: dict[str, str]
    start: date
    end: date
    cadence_days: int
    conference_offset_days: int
    default_lang: str
    targets: dict[str, float]
    laggards: dict[str, float]
    leaders: dict[str, int]
    self_reports: dict[str, float]
    unit_packs: dict[str, Any] = field(default_factory=dict)
    # sending the unit packs: smtp (host, port, sender, starttls), contacts file
    distribution: dict[str, Any] = field(default_factory=dict)
    # sources re-delivered rarely (full replacements): an old delivery of these is normal
    static_sources: tuple[str, ...] = ()

    @property
    def duration_days(self) -> int:
        return (self.end - self.start).days + 1

    def conference_date(self, week: date) -> date:
        return week + timedelta(days=self.conference_offset_days)

    def days_left(self, as_of: date) -> int:
        """Days still available after ``as_of`` up to and including the deadline (never < 0)."""
        return max((self.end - as_of).days, 0)


def _need(raw: dict, dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"config/plan.yaml: missing key '{dotted}'")
        node = node[part]
    return node


def _as_date(value: Any, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(
            f"config/plan.yaml: '{key}' must be a date YYYY-MM-DD, found {value!r}"
        ) from exc


def load_plan(path: Path | str = PLAN_FILE) -> Plan:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"campaign configuration not found: {path}")
    with path.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    plan = Plan(
        number=str(_need(raw, "plan.number")),
        dated=_as_date(_need(raw, "plan.dated"), "plan.dated"),
        title=dict(_need(raw, "plan.title")),
        issuer=dict(_need(raw, "plan.issuer")),
        start=_as_date(_need(raw, "peak.start"), "peak.start"),
        end=_as_date(_need(raw, "peak.end"), "peak.end"),
        cadence_days=int(_need(raw, "reporting.cadence_days")),
        conference_offset_days=int(_need(raw, "reporting.conference_offset_days")),
        default_lang=str(_need(raw, "reporting.default_lang")),
        targets=dict(_need(raw, "targets")),
        laggards=dict(_need(raw, "laggards")),
        leaders=dict(_need(raw, "leaders")),
        self_reports=dict(_need(raw, "self_reports")),
        unit_packs=dict(raw.get("unit_packs") or {}),
        distribution=dict(raw.get("distribution") or {}),
        static_sources=tuple(raw.get("reporting", {}).get("static_sources") or ()),
    )
    if plan.end <= plan.start:
        raise ConfigError("config/plan.yaml: peak.end must come after peak.start")
    for lang in LANGS:
        if lang not in plan.title:
            raise ConfigError(f"config/plan.yaml: plan.title has no '{lang}' text")
    return plan
