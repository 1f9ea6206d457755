"""Campaign parameters from ``config/plan.yaml``, loaded once and checked loudly.

The campaign file holds the campaign (plan, peak, reporting, targets and rules); the packs'
options live in ``config/packs.yaml`` (``unit_packs``) and sending them by e-mail in
``config/sending.yaml`` (``distribution``): :func:`load_plan` reads all three, with the same
strictness (unknown keys named with the closest known one, ranges, keys given twice), so a
reader still finds them as ``plan.unit_packs`` and ``plan.distribution``. A pipeline step's
incremental key hashes only the sections it declares (helpers.pipeline), so an SMTP change
rebuilds nothing.

The rule sections (``targets``, ``laggards``, ``leaders``, ``self_reports``, ``final``,
``intake``) are typed objects that check their values where they are built: a missing key, a
value of the wrong type or out of range is a :class:`ConfigError` naming the key; nothing
falls back to a silent default. Each section also reads as a mapping (``plan.targets["vehicles_cleaned_share"]``,
``plan.leaders.get("gain_measure")``) for code written before the sections were typed.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

import yaml

from helpers import ConfigError, DeliveryError
from helpers.i18n import LANGS
from helpers.paths import PACKS_FILE, SENDING_FILE, packs_file, plan_file, sending_file
from helpers.paths import PLAN_FILE as PLAN_FILE  # the default, where tests read it
from helpers.pipeline import SOURCES  # the delivered sources, declared with the steps
from helpers.plan_sections import (  # re-exported: helpers.config.Targets, ...
    KIND_PREFIX as KIND_PREFIX,
)
from helpers.plan_sections import RECORD_KINDS as RECORD_KINDS
from helpers.plan_sections import Final as Final
from helpers.plan_sections import Intake as Intake
from helpers.plan_sections import Laggards as Laggards
from helpers.plan_sections import Leaders as Leaders
from helpers.plan_sections import Section as Section
from helpers.plan_sections import SelfReports as SelfReports
from helpers.plan_sections import Targets as Targets
from helpers.plan_sections import typed_value


class WeekOutsideCampaign(DeliveryError):
    """A week asked for after the campaign's (extended) end by more than one cadence."""


@dataclass(frozen=True)
class Extension:
    """The peak extended by decision: its new last day, the decision's reference and date."""

    end: date
    reference: str
    dated: date


# Where a week stands against the peak (Plan.phase): inside the nominal peak, inside an
# extension decided after it, or past the (extended) end with no extension covering it.
PHASES = ("in_peak", "extended", "overdue")


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
    targets: Targets
    laggards: Laggards
    leaders: Leaders
    self_reports: SelfReports
    final: Final
    intake: Intake
    # the packs' options (config/packs.yaml: full_ids, encrypt, lang)
    unit_packs: dict[str, Any] = field(default_factory=dict)
    # sending the unit packs (config/sending.yaml: smtp host, port, starttls; sender, reply_to)
    distribution: dict[str, Any] = field(default_factory=dict)
    # sources re-delivered rarely (full replacements): an old delivery of these is normal
    static_sources: tuple[str, ...] = ()
    # the peak extended by decision (peak.extension); ``end`` is then the extension's end
    extension: Extension | None = None
    # peak.end as planned when an extension moved ``end`` (None: ``end`` is peak.end)
    planned_end: date | None = None
    # an extension decided after the week the plan was put in force for (``in_force``): not
    # known to that week's documents, kept so a later week can be put in force again
    pending_extension: Extension | None = None

    SECTIONS: ClassVar[dict[str, type[Section]]] = {
        "targets": Targets,
        "laggards": Laggards,
        "leaders": Leaders,
        "self_reports": SelfReports,
        "final": Final,
        "intake": Intake,
    }

    def __post_init__(self) -> None:
        # a section given as a mapping (``dataclasses.replace(plan, laggards={...})``) is
        # built and checked like one read from the file
        for name, section in self.SECTIONS.items():
            value = getattr(self, name)
            if not isinstance(value, section):
                object.__setattr__(self, name, section.from_yaml(value))

    # ``end`` is the deadline every projection, required pace and standing works toward. As
    # loaded it is peak.end; ``in_force(week)`` moves it to an extension's end from the week the
    # extension was decided (a briefing never knows of a decision taken after its week).

    def in_force(self, as_of: date) -> Plan:
        """The plan as it stood at ``as_of``: an extension decided by then moves ``end`` (the
        planned end kept in ``planned_end``); one decided later is not known yet (kept aside in
        ``pending_extension``, so the plan can be put in force for a later week again). Works
        from any plan already put in force: a follow-up of an earlier week asks for that week's
        plan from the current week's."""
        ext = self.extension if self.extension is not None else self.pending_extension
        base = replace(self, end=self.nominal_end, planned_end=None)
        if ext is None:
            stood = replace(base, extension=None, pending_extension=None)
        elif ext.dated <= as_of:
            stood = replace(
                base, end=ext.end, planned_end=base.end, extension=ext, pending_extension=None
            )
        else:
            stood = replace(base, extension=None, pending_extension=ext)
        return self if stood == self else stood

    @property
    def nominal_end(self) -> date:
        """The plan's own last day (peak.end), whatever an extension decided later."""
        return self.planned_end if self.planned_end is not None else self.end

    @property
    def duration_days(self) -> int:
        """Days of the peak up to the deadline in force (extended when extended)."""
        return (self.end - self.start).days + 1

    @property
    def nominal_days(self) -> int:
        """Days of the peak as planned (60 for Plan 375)."""
        return (self.nominal_end - self.start).days + 1

    def conference_date(self, week: date) -> date:
        return week + timedelta(days=self.conference_offset_days)

    def day_of_peak(self, as_of: date) -> int:
        """1 on the first day of the peak; keeps counting past the end."""
        return (as_of - self.start).days + 1

    def days_left(self, as_of: date) -> int:
        """Days still available after ``as_of`` up to and including the deadline (never < 0)."""
        return max((self.end - as_of).days, 0)

    def days_overdue(self, as_of: date) -> int:
        """Days ``as_of`` lies past the deadline in force (0 up to and on it)."""
        return max((as_of - self.end).days, 0)

    def phase(self, as_of: date) -> str:
        """``in_peak`` up to peak.end, ``extended`` after it up to an extension's end,
        ``overdue`` past the deadline in force (one of PHASES). Call on ``in_force(as_of)``."""
        if as_of > self.end:
            return "overdue"
        if as_of > self.nominal_end:
            return "extended"
        return "in_peak"

    def reaches_end(self, as_of: date) -> bool:
        """A week whose delivery reaches the deadline in force: its briefing closes the campaign."""
        return as_of >= self.end

    @property
    def last_week(self) -> date:
        """The last week a briefing is built for without asking: one cadence after the peak's
        end, extended by any extension decided (the final summary's week)."""
        ext = self.extension or self.pending_extension
        last = max(self.nominal_end, ext.end) if ext is not None else self.nominal_end
        return last + timedelta(days=self.cadence_days)

    def check_week(self, week: date) -> None:
        """Refuse a week after :attr:`last_week` (a typo such as 2030 for 2025 would build a
        full pack of stale data), naming the campaign's dates and how to build it anyway."""
        if week <= self.last_week:
            return
        ext = self.extension or self.pending_extension
        ends = f"{self.nominal_end}" + (f", extended to {ext.end}" if ext is not None else "")
        raise WeekOutsideCampaign(
            f"week {week} is after the campaign: Plan {self.number} runs {self.start} to {ends}, "
            f"briefings up to {self.last_week}; check WEEK, or build it anyway with ANY_WEEK=1 "
            "(--any-week)"
        )


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


def _extension(raw: Any, peak_end: date) -> Extension | None:
    """peak.extension: absent or empty = no extension; else end, reference and dated, all needed."""
    if not raw:
        return None
    if not isinstance(raw, dict):
        raise ConfigError("config/plan.yaml: 'peak.extension' must hold end, reference and dated")
    for key in ("end", "reference", "dated"):
        if raw.get(key) in (None, ""):
            raise ConfigError(f"config/plan.yaml: missing key 'peak.extension.{key}'")
    ext = Extension(
        end=_as_date(raw["end"], "peak.extension.end"),
        reference=str(raw["reference"]),
        dated=_as_date(raw["dated"], "peak.extension.dated"),
    )
    if ext.end <= peak_end:
        raise ConfigError(
            f"config/plan.yaml: peak.extension.end ({ext.end}) must come after peak.end ({peak_end})"
        )
    if ext.dated > ext.end:
        raise ConfigError(
            f"config/plan.yaml: peak.extension.dated ({ext.dated}) must be on or before the "
            f"extension's own end ({ext.end}): a peak is extended before it ends"
        )
    return ext


def load_plan(path: Path | str | None = None) -> Plan:
    """The campaign configuration: ``path``, else :func:`helpers.paths.plan_file`."""
    path = Path(path) if path else plan_file()
    if not path.is_file():
        raise ConfigError(f"campaign configuration not found: {path}")
    try:
        plan = _load_plan(path)
    except ConfigError as exc:
        if path.resolve() == PLAN_FILE.resolve():
            raise
        # the messages name config/plan.yaml; another file (CATP_PLAN_FILE) is named as it is
        raise ConfigError(str(exc).replace("config/plan.yaml", str(path), 1)) from None
    # the packs' options and the sending settings, each from its own file
    return replace(plan, unit_packs=load_packs(), distribution=load_sending())


def _load_plan(path: Path) -> Plan:
    raw = read_yaml(path)
    for section, where in MOVED.items():
        if section in raw:
            raise ConfigError(
                f"config/plan.yaml: the section '{section}' has moved to {where} (same keys): "
                f"cut it from the campaign file and paste it there"
            )
    _check_keys(raw, _known_keys(), "")
    plan = Plan(
        number=str(_need(raw, "plan.number")),
        dated=_as_date(_need(raw, "plan.dated"), "plan.dated"),
        title=dict(_need(raw, "plan.title")),
        issuer=dict(_need(raw, "plan.issuer")),
        start=_as_date(_need(raw, "peak.start"), "peak.start"),
        end=_as_date(_need(raw, "peak.end"), "peak.end"),
        cadence_days=typed_value(
            "reporting.cadence_days", _need(raw, "reporting.cadence_days"), int
        ),
        conference_offset_days=typed_value(
            "reporting.conference_offset_days", _need(raw, "reporting.conference_offset_days"), int
        ),
        default_lang=str(_need(raw, "reporting.default_lang")),
        targets=Targets.from_yaml(_need(raw, "targets")),
        laggards=Laggards.from_yaml(_need(raw, "laggards")),
        leaders=Leaders.from_yaml(_need(raw, "leaders")),
        self_reports=SelfReports.from_yaml(_need(raw, "self_reports")),
        final=Final.from_yaml(_need(raw, "final")),
        intake=Intake.from_yaml(_need(raw, "intake")),
        static_sources=tuple(raw.get("reporting", {}).get("static_sources") or ()),
    )
    if plan.end <= plan.start:
        raise ConfigError("config/plan.yaml: peak.end must come after peak.start")
    _check_reporting(plan)
    plan = replace(plan, extension=_extension(raw["peak"].get("extension"), plan.end))
    for lang in LANGS:
        if lang not in plan.title:
            raise ConfigError(f"config/plan.yaml: plan.title has no '{lang}' text")
    return plan


class _StrictLoader(yaml.SafeLoader):
    """YAML as the plan is written: a key given twice in one section is an error (PyYAML keeps
    the last in silence), and a date that is no calendar day names its line (PyYAML raises a
    bare ValueError)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{key}' is given twice (lines {seen[key] + 1} and "
                    f"{key_node.start_mark.line + 1}): keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"'{node.value}' is no calendar day ({exc})", node.start_mark
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def read_yaml(path: Path, sections: str = "plan:, peak:, ...") -> dict:
    """The file as a mapping; one line naming the file and the line when it is not YAML (or
    gives a key twice). Every configuration file is read through here (config/aliases.yaml
    too: its error was PyYAML's seven-line message)."""
    try:
        raw = yaml.load(path.read_bytes().decode("utf-8"), Loader=_StrictLoader)  # noqa: S506
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 YAML"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}:{where}: not valid YAML ({problem})") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must be a mapping of sections ({sections})")
    return raw


# The keys plan.yaml may hold: a section maps to its keys (None: a leaf). The rule sections'
# keys are their dataclasses' fields. A key not here is a typo until proven otherwise: an
# ignored `peak.extention` would publish "overdue" for an extended peak, an ignored
# `distribution.smtp.hots` would leave the packs in the outbox.
_PLAIN_KEYS: dict[str, Any] = {
    "plan": {"number": None, "dated": None, "title": dict.fromkeys(LANGS), "issuer": None},
    "peak": {
        "start": None,
        "end": None,
        "extension": {"end": None, "reference": None, "dated": None},
    },
    "reporting": {
        "cadence_days": None,
        "conference_offset_days": None,
        "default_lang": None,
        "static_sources": None,
    },
}
# The sections that left the campaign file, and the file each lives in now.
MOVED: dict[str, str] = {"unit_packs": "config/packs.yaml", "distribution": "config/sending.yaml"}
_PACKS_KEYS: dict[str, Any] = {"unit_packs": {"full_ids": None, "encrypt": None, "lang": None}}
_SENDING_KEYS: dict[str, Any] = {
    "distribution": {
        "smtp": {"host": None, "port": None, "starttls": None, "timeout_s": None},
        "sender": None,
        "reply_to": None,
    },
}


def _known_keys() -> dict[str, Any]:
    known = dict(_PLAIN_KEYS)
    for name, section in Plan.SECTIONS.items():
        known[name] = {f.name: None for f in dataclasses.fields(section)}  # type: ignore[arg-type]
    return known


def _check_keys(
    raw: Any, known: dict[str, Any], prefix: str, label: str = "config/plan.yaml"
) -> None:
    """Every key of ``raw`` is one of ``known`` (recursively); else ConfigError naming the
    file (``label``), the key and the closest known one."""
    if not isinstance(raw, dict):
        return
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else ""
            where = f"'{prefix[:-1]}'" if prefix else "the file"
            raise ConfigError(
                f"{label}: unknown key '{dotted}' in {where}{hint} "
                f"(known: {', '.join(map(str, known))})"
            )
        if isinstance(known[key], dict):
            if value is not None and not isinstance(value, dict):
                raise ConfigError(f"{label}: '{dotted}' must be a section of keys")
            _check_keys(value, known[key], dotted + ".", label)


def _check_reporting(plan: Plan) -> None:
    """Ranges of the keys outside the typed rule sections."""

    def fail(key: str, must: str, value: Any) -> typing.NoReturn:
        raise ConfigError(f"config/plan.yaml: {key} must be {must}, found {value!r}")

    if plan.cadence_days < 1:
        fail("reporting.cadence_days", "1 or more", plan.cadence_days)
    if plan.conference_offset_days < 0:
        fail("reporting.conference_offset_days", "0 or more", plan.conference_offset_days)
    if plan.default_lang not in LANGS:
        fail("reporting.default_lang", f"one of {', '.join(LANGS)}", plan.default_lang)

    for source in plan.static_sources:
        if source not in SOURCES:
            fail("reporting.static_sources", f"some of {', '.join(SOURCES)}", source)


def _label(path: Path, default: Path, name: str) -> str:
    """How a message names a configuration file: as the project spells it, else its path."""
    return name if path.resolve() == default.resolve() else str(path)


def _read_section(path: Path, default: Path, name: str, known: dict[str, Any]) -> dict:
    """The one section of a configuration file beside the campaign (``packs.yaml``,
    ``sending.yaml``), checked like the campaign file; empty when the section is left out."""
    label = _label(path, default, name)
    if not path.is_file():
        raise ConfigError(f"configuration not found: {path} (the project's is {name})")
    try:
        raw = read_yaml(path)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(str(path), label, 1)) from None
    (section,) = known
    plan_only = {k: v for k, v in raw.items() if k not in known}
    if plan_only:
        key = next(iter(plan_only))
        if key in _PLAIN_KEYS or key in Plan.SECTIONS:
            raise ConfigError(
                f"{label}: '{key}' belongs in config/plan.yaml (the campaign); this file "
                f"holds '{section}' only"
            )
    _check_keys(raw, known, "", label)
    return dict(raw.get(section) or {})


def load_packs(path: Path | str | None = None) -> dict[str, Any]:
    """The packs' options (``unit_packs`` of config/packs.yaml, or ``CATP_PACKS_FILE``)."""
    path = Path(path) if path else packs_file()
    label = _label(path, PACKS_FILE, "config/packs.yaml")
    packs = _read_section(path, PACKS_FILE, "config/packs.yaml", _PACKS_KEYS)

    def fail(key: str, must: str, value: Any) -> typing.NoReturn:
        raise ConfigError(f"{label}: unit_packs.{key} must be {must}, found {value!r}")

    for key in ("full_ids", "encrypt"):
        if key in packs and not isinstance(packs[key], bool):
            fail(key, "true or false", packs[key])
    if packs.get("lang") not in (None, "", *LANGS):
        fail("lang", f"one of {', '.join(LANGS)}", packs["lang"])
    return packs


def load_sending(path: Path | str | None = None) -> dict[str, Any]:
    """The sending settings (``distribution`` of config/sending.yaml, or
    ``CATP_SENDING_FILE``): SMTP host, port, STARTTLS, timeout; sender, reply-to."""
    path = Path(path) if path else sending_file()
    label = _label(path, SENDING_FILE, "config/sending.yaml")
    sending = _read_section(path, SENDING_FILE, "config/sending.yaml", _SENDING_KEYS)

    def fail(key: str, must: str, value: Any) -> typing.NoReturn:
        raise ConfigError(f"{label}: distribution.{key} must be {must}, found {value!r}")

    smtp = sending.get("smtp") or {}
    port = smtp.get("port")
    if port is not None and (
        isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536
    ):
        fail("smtp.port", "a port number 1-65535", port)
    if "starttls" in smtp and not isinstance(smtp["starttls"], bool):
        fail("smtp.starttls", "true or false", smtp["starttls"])
    timeout = smtp.get("timeout_s")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        fail("smtp.timeout_s", "a number of seconds above 0", timeout)
    for key in ("host", "sender", "reply_to"):
        value = smtp.get(key) if key == "host" else sending.get(key)
        if value is not None and not isinstance(value, str):
            fail(f"{'smtp.' if key == 'host' else ''}{key}", "a text", value)
    return sending
