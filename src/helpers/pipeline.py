"""The weekly pipeline, declared once: each step with what it reads and what it writes.

A step is one notebook (``notebooks/<name>.ipynb``) with its stage's package. It declares:

- ``reads`` / ``writes``: the processed tables of ``data/processed/<week>/`` it reads and
  writes (names of :data:`helpers.schemas.CONTRACTS`; ``ledger.json`` is the one JSON file).
  A step may read the tables it writes too (progress reads its own earlier weeks).
- ``config``: the configuration it depends on: ``plan:<section>`` (a section of
  ``config/plan.yaml``), ``packs:unit_packs`` (``config/packs.yaml``), ``aliases``
  (``config/aliases.yaml``), ``secrets`` (the unit pack passwords). ``config/sending.yaml`` is
  read by no step: sending is ``make send-packs``, after the pipeline.
- ``templates``: the report templates it renders (under ``reports/templates/``); they are part
  of the code version every key holds (helpers.incremental).

Who reads the declaration: the runner (the steps, in order: ``runner.PIPELINE``), the store
(:func:`check`: a running step never saves a table it does not write, nor loads one it does
not read), the incremental keys (a step's key hashes its declared config sections and input
tables, helpers.incremental.step_inputs), the stages' own constants (look-ups here) and
docs/architecture.md's stage table (tests/pipeline/test_pipeline_declaration.py holds it to this).

Which step is running: each stage's entry function runs under :func:`running` (decorator
:func:`runs`); with no step running (an analyst's notebook, a test calling a helper) nothing is
checked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from helpers import PipelineError

# The sources of a delivery, one processed table each (helpers.ingest reads and checks them).
SOURCES: tuple[str, ...] = (
    "registry_vehicles",
    "registry_licences",
    "population",
    "submissions",
    "unit_reports",
    "organizations",
    "commitments",
)
# Every section of config/plan.yaml: the campaign (tests hold this to helpers.config).
CAMPAIGN: tuple[str, ...] = (
    "plan",
    "peak",
    "reporting",
    "targets",
    "laggards",
    "leaders",
    "self_reports",
    "final",
    "intake",
)
LEDGER = "ledger.json"  # ingest's account of every file read (not a table: no contract)

RECONCILE_INPUTS: tuple[str, ...] = (
    "registry_vehicles",
    "registry_licences",
    "population",
    "submissions",
    "unit_reports",
)
RECORD_TABLES: tuple[str, ...] = ("vehicle_status", "licence_status", "submissions")
# the record-level tables every unit pack's worklists are cut from
UNIT_RECORD_TABLES: tuple[str, ...] = (
    "vehicle_status",
    "licence_status",
    "submission_links",
    "submissions",
)
# the campaign summary: written only in the week that reaches the deadline in force, and after
FINAL_TABLES: tuple[str, ...] = ("final_figures", "final_units", "final_handover", "final_verdicts")
# what the briefing and the city pack show of progress, every week
PROGRESS_SHOWN: tuple[str, ...] = (
    "unit_progress",
    "city_progress",
    "laggards",
    "leaders",
    "daily_series",
    "org_summary",
    "talking_points",
    "rank_history",
    "commitment_status",
)


def _campaign(*sections: str) -> tuple[str, ...]:
    return tuple(f"plan:{s}" for s in sections or CAMPAIGN)


@dataclass(frozen=True)
class Step:
    """One pipeline notebook: what it reads and writes, and how the runner runs it.

    ``per_lang`` steps run once for each report language. ``post`` names a function
    ``module:function`` called after the notebook succeeded with ``(executed_notebook,
    output_dir, week, lang)``: the briefing export hangs here. ``reads_raw``: the step reads
    the raw deliveries (its key hashes them instead of processed tables); ``takes_force`` a
    notebook with a ``force`` parameter (``--force`` passes it: no reuse inside the step);
    ``takes_accept`` a notebook with an ``accept`` parameter (``--accept`` passes it: a file
    rejected whole or a source fallen by half goes on, said loudly, instead of stopping).
    """

    name: str
    stage: str = ""
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    config: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    per_lang: bool = False
    post: str | None = None
    reads_raw: bool = False
    takes_force: bool = False
    takes_accept: bool = False

    @property
    def tables_read(self) -> tuple[str, ...]:
        return tuple(n for n in self.reads if not n.endswith(".json"))

    @property
    def tables_written(self) -> tuple[str, ...]:
        return tuple(n for n in self.writes if not n.endswith(".json"))

    def input_files(self) -> frozenset[str]:
        """The files of the week's processed folder this step reads (``<table>.parquet``,
        ``ledger.json``): what its incremental key hashes of that folder."""
        return frozenset(n if n.endswith(".json") else f"{n}.parquet" for n in self.reads)

    def plan_sections(self) -> tuple[str, ...]:
        return tuple(c.split(":", 1)[1] for c in self.config if c.startswith("plan:"))


PIPELINE: tuple[Step, ...] = (
    Step(
        "01_ingest",
        stage="ingest",
        writes=(*SOURCES, "rejects", LEDGER),
        config=(*_campaign("peak", "reporting", "intake"), "aliases"),
        reads_raw=True,
        takes_force=True,
        takes_accept=True,
    ),
    Step(
        "02_reconcile",
        stage="reconcile",
        reads=RECONCILE_INPUTS,
        writes=("vehicle_status", "licence_status", "submission_links", "unit_self_report_check"),
        config=_campaign("peak", "reporting", "self_reports"),
    ),
    Step(
        "03_progress",
        stage="progress",
        reads=(
            "vehicle_status",
            "licence_status",
            "submission_links",
            "unit_self_report_check",
            "organizations",
            "commitments",
            LEDGER,
        ),
        # in the order progress_week writes them; the campaign summary's last
        writes=(
            "unit_progress",
            "city_progress",
            "group_progress",
            "laggards",
            "leaders",
            "daily_series",
            "unit_daily",
            "org_summary",
            "talking_points",
            "rank_history",
            "followup",
            "conference_gains",
            "commitment_status",
            *FINAL_TABLES,
        ),
        config=_campaign(),
    ),
    Step(
        "04_briefing",
        stage="briefing",
        reads=(
            *PROGRESS_SHOWN,
            "followup",
            "conference_gains",
            *FINAL_TABLES,
            "unit_self_report_check",
            "rejects",
            *RECORD_TABLES,  # texts too long for a cell, counted before the packs cut them
            LEDGER,
        ),
        config=_campaign(),
        templates=("briefing/", "i18n/"),
        per_lang=True,
        post="helpers.briefing:export_briefing",
    ),
    Step(
        "05_packs",
        stage="packs",
        reads=(
            *PROGRESS_SHOWN,
            *FINAL_TABLES,
            "unit_self_report_check",
            "rejects",
            "unit_daily",
            *UNIT_RECORD_TABLES,
            LEDGER,
        ),
        config=(*_campaign(), "packs:unit_packs", "secrets"),
        templates=("excel.yaml", "i18n/"),
        takes_force=True,  # FORCE=1: every unit pack built anew (none kept: helpers.packs.reuse)
        per_lang=True,
    ),
)

STEPS: dict[str, Step] = {s.name: s for s in PIPELINE}


def step(name: str) -> Step:
    """The declared step ``name`` (``01_ingest`` … ``05_packs``)."""
    try:
        return STEPS[name]
    except KeyError:
        raise PipelineError(
            f"no pipeline step {name!r}: the steps are {', '.join(STEPS)} (helpers.pipeline)"
        ) from None


def writer_of(table: str) -> Step:
    """The one step that writes ``table`` (or ``ledger.json``)."""
    for s in PIPELINE:
        if table in s.writes:
            return s
    raise PipelineError(f"no pipeline step writes {table!r} (helpers.pipeline)")


# --------------------------------------------------------------------------------------------
# The running step: what the store checks against
# --------------------------------------------------------------------------------------------

_RUNNING: ContextVar[str | None] = ContextVar("helpers.pipeline.running", default=None)

P = ParamSpec("P")
R = TypeVar("R")


def current() -> Step | None:
    """The step running now, or None (an analyst's notebook, a test)."""
    name = _RUNNING.get()
    return STEPS[name] if name else None


@contextmanager
def running(name: str) -> Iterator[Step]:
    """Run the block as step ``name``: the store refuses the tables it does not declare."""
    declared = step(name)
    token = _RUNNING.set(name)
    try:
        yield declared
    finally:
        _RUNNING.reset(token)


def runs(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a stage's entry function: it runs as step ``name``."""
    step(name)  # a misspelled name fails at import, not at the first run

    def wrap(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            with running(name):
                return func(*args, **kwargs)

        inner.__pipeline_step__ = name  # type: ignore[attr-defined]
        return inner

    return wrap


def check(name: str, *, write: bool) -> None:
    """Refuse a processed table (or JSON file) the running step does not declare: written
    when ``write``, else read (a step may read what it writes). No step running: no check."""
    now = current()
    if now is None:
        return
    allowed = now.writes if write else (*now.reads, *now.writes)
    if name in allowed:
        return
    verb, field = ("writes", "writes") if write else ("reads", "reads")
    try:
        owner = f"; it is written by {writer_of(name).name}"
    except PipelineError:
        owner = ""
    raise PipelineError(
        f"step {now.name} does not declare that it {verb} the table {name!r}{owner}. "
        f"Add it to the step's {field} in src/helpers/pipeline.py (and to the stage table of "
        f"docs/architecture.md), or leave the table alone"
    )
