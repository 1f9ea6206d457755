"""The typed rule sections of ``config/plan.yaml`` (``targets``, ``laggards``, ``leaders``,
``self_reports``, ``final``, ``intake``): each checks its values where it is built (a missing
key, a value of the wrong type or out of range is a :class:`~helpers.ConfigError` naming the
key) and reads as a mapping too. Split from :mod:`helpers.config`, which builds them and
re-exports them."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from helpers import ConfigError

# The record kinds the campaign cleans (vehicle registrations, driving licences).
RECORD_KINDS: tuple[str, ...] = ("vehicle", "licence")
# the column prefix of each record kind in the per-unit tables (veh_cleaned, lic_cleaned)
KIND_PREFIX: dict[str, str] = {"vehicle": "veh", "licence": "lic"}


class Section(Mapping[str, Any]):
    """A typed section of the plan: a frozen dataclass whose fields are the section's keys.

    Building one (``from_yaml``, or ``dataclasses.replace`` in a test) checks every value
    against its field's type (an int is a float; a bool is neither), then the section's own
    ranges (``_check``), and raises :class:`ConfigError` naming ``<section>.<key>``.
    """

    NAME: ClassVar[str] = ""

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = typed_value(f"{self.NAME}.{f.name}", getattr(self, f.name), hints[f.name])
            object.__setattr__(self, f.name, value)
        self._check()

    def _check(self) -> None:
        """Ranges and vocabularies beyond the types; raise :class:`ConfigError`."""

    def _fail(self, key: str, must: str) -> typing.NoReturn:
        raise ConfigError(
            f"config/plan.yaml: {self.NAME}.{key} must be {must}, found {getattr(self, key)!r}"
        )

    @classmethod
    def from_yaml(cls, raw: Any) -> typing.Self:
        if not isinstance(raw, Mapping):
            raise ConfigError(f"config/plan.yaml: '{cls.NAME}' must be a section of keys")
        values = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in raw:
                raise ConfigError(f"config/plan.yaml: missing key '{cls.NAME}.{f.name}'")
            values[f.name] = raw[f.name]
        return cls(**values)

    # read as a mapping: the keys are the fields
    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def _keys(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self))  # type: ignore[arg-type]


def typed_value(key: str, value: Any, kind: Any) -> Any:
    """``value`` as ``kind`` (float, int, bool, str or tuple[str, ...]); ConfigError naming
    ``key`` when it is not one."""
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind in (bool, str) and isinstance(value, kind):
        return value
    if (
        typing.get_origin(kind) is tuple
        and isinstance(value, (list, tuple))
        and all(isinstance(v, str) for v in value)
    ):
        return tuple(value)
    wanted = {float: "a number", int: "a whole number", bool: "true or false", str: "a text"}.get(
        kind, "a list of texts"
    )
    raise ConfigError(f"config/plan.yaml: '{key}' must be {wanted}, found {value!r}")


@dataclass(frozen=True)
class Targets(Section):
    """What the deadline asks: shares of the cleanable records cleaned, per kind, and of each
    difficult group's records resolved (each in (0, 1])."""

    NAME: ClassVar[str] = "targets"
    KEYS: ClassVar[dict[str, str]] = {
        "vehicle": "vehicles_cleaned_share",
        "licence": "licences_cleaned_share",
    }

    vehicles_cleaned_share: float
    licences_cleaned_share: float
    difficult_resolved_share: float

    def share(self, kind: str) -> float:
        """The share of ``kind``'s cleanable records to be cleaned by the deadline."""
        return float(getattr(self, self.KEYS[kind]))

    def _check(self) -> None:
        for key in self._keys():
            if not 0.0 < getattr(self, key) <= 1.0:
                self._fail(key, "in (0, 1]")


@dataclass(frozen=True)
class Laggards(Section):
    """Thresholds of the laggard rules (helpers.progress.rules; docs/rules.md)."""

    NAME: ClassVar[str] = "laggards"

    bottom_share: float
    below_median_ratio: float
    below_median_points: float
    gain_vs_city_median: float
    late_vs_city_days: int
    late_vs_city_share: float
    pace_rules_only_behind: bool
    min_records_left: int
    backlog_oldest_days: int
    self_report_overstated: bool
    projected_late_days: int
    weekly_gain_vs_required: float
    at_risk_late_days: int
    kinds: tuple[str, ...]

    def _check(self) -> None:
        if not self.kinds or any(k not in RECORD_KINDS for k in self.kinds):
            self._fail("kinds", f"a list of some of {', '.join(RECORD_KINDS)}")
        if not 0.0 <= self.bottom_share <= 1.0:
            self._fail("bottom_share", "in [0, 1]")
        # every threshold is a count, a number of days or a ratio: none is negative
        for key in self._keys():
            value = getattr(self, key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                self._fail(key, "0 or more")


@dataclass(frozen=True)
class Leaders(Section):
    """How leaders are picked and named (helpers.progress.rules)."""

    NAME: ClassVar[str] = "leaders"
    GAIN_MEASURES: ClassVar[tuple[str, ...]] = ("share", "records")

    top_n: int
    gain_measure: str
    exclude_laggards: bool
    named_in_talking_points: int

    def _check(self) -> None:
        if self.gain_measure not in self.GAIN_MEASURES:
            self._fail("gain_measure", "'share' or 'records'")
        for key in ("top_n", "named_in_talking_points"):
            if getattr(self, key) < 0:
                self._fail(key, "0 or more")


@dataclass(frozen=True)
class SelfReports(Section):
    """When a unit's self-reports overstate the system (helpers.reconcile)."""

    NAME: ClassVar[str] = "self_reports"

    overstate_threshold: float
    min_reported: float

    def _check(self) -> None:
        for key in ("overstate_threshold", "min_reported"):
            if getattr(self, key) < 0:
                self._fail(key, "0 or more")


@dataclass(frozen=True)
class Final(Section):
    """Whom the campaign summary praises and criticises for the whole campaign (the week that
    reaches the end; helpers.progress.final, docs/rules.md "The campaign summary"). Judged on
    the final share the units are ranked by (vehicle records cleaned of those review can
    clean)."""

    NAME: ClassVar[str] = "final"

    praise_top_n: int
    praise_min_share: float
    praise_finished: bool
    criticise_bottom_n: int
    criticise_below_share: float
    criticise_difficult_open_share: float
    criticise_named_weeks: int
    criticise_conduct_weeks: int
    exclude_criticised: bool

    def _check(self) -> None:
        for key in (
            "praise_top_n",
            "criticise_bottom_n",
            "criticise_named_weeks",
            "criticise_conduct_weeks",
        ):
            if getattr(self, key) < 0:
                self._fail(key, "0 or more")
        for key in ("praise_min_share", "criticise_below_share", "criticise_difficult_open_share"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                self._fail(key, "in [0, 1]")


@dataclass(frozen=True)
class Intake(Section):
    """When a delivery is alarming enough to stop the run (helpers.ingest.alarms): a file
    (nearly) all rejected, or a source whose accepted rows fell sharply since the previous
    week's ingest. ``--accept`` (make ACCEPT=1) lets the run go on, said on console and cover."""

    NAME: ClassVar[str] = "intake"

    rejected_share: float
    rejected_min_rows: int
    fall_share: float
    fall_min_rows: int

    def _check(self) -> None:
        for key in ("rejected_share", "fall_share"):
            if not 0.0 < getattr(self, key) <= 1.0:
                self._fail(key, "in (0, 1]")
        for key in ("rejected_min_rows", "fall_min_rows"):
            if getattr(self, key) < 1:
                self._fail(key, "1 or more")
