"""Reconcile: link submissions to registry records, check identities, decide one status each.

The rules are stated once in ``docs/rules.md``; this module is their implementation. All
record-level work is set-based SQL in DuckDB over the week's processed Parquet tables (no
Python loop per record), so the same code runs on the sample and on the 8.5 M-record city.

    counts = reconcile_week(ws, "2025-11-23")

writes ``vehicle_status``, ``licence_status``, ``submission_links`` and
``unit_self_report_check`` into ``data/processed/<week>/``. The functions after
:func:`reconcile_week` turn those tables into the per-unit views the notebook and progress use.

The package, one job per module (each says what it may touch): ``inputs`` (typed views over
the processed tables), ``links`` (submissions to records, registry duplicates, candidates),
``identity`` (owner/holder against the population extract), ``precedence`` (statuses:
precedence as data), ``self_reports`` (self-reports against the system), ``week`` (the stage's
writer) and ``views`` (small tables for the notebook). SQL longer than a few lines lives in
``.sql`` files beside them, named for what they produce.
"""

from __future__ import annotations

from helpers.reconcile.identity import IDENTITY_CONFIDENCE, identity_labels
from helpers.reconcile.inputs import INPUT_TABLES
from helpers.reconcile.links import (  # noqa: F401  (private names the tests use)
    LINK_METHODS,
    LINK_REASONS,
    MAX_CANDIDATES,
    candidate_method,
)
from helpers.reconcile.precedence import status_reasons
from helpers.reconcile.self_reports import (
    SELF_REPORT_MEASURES,
    judge_self_reports,
    self_report_verdict,
)
from helpers.reconcile.views import (
    city_status_table,
    difficult_examples,
    link_summary,
    status_counts,
    status_table,
)
from helpers.reconcile.week import OUTPUT_TABLES, reconcile_tables, reconcile_week

__all__ = [
    "IDENTITY_CONFIDENCE",
    "INPUT_TABLES",
    "LINK_METHODS",
    "LINK_REASONS",
    "MAX_CANDIDATES",
    "OUTPUT_TABLES",
    "SELF_REPORT_MEASURES",
    "city_status_table",
    "difficult_examples",
    "identity_labels",
    "judge_self_reports",
    "link_summary",
    "reconcile_tables",
    "reconcile_week",
    "self_report_verdict",
    "status_counts",
    "status_reasons",
    "status_table",
]
