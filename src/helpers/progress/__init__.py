"""Progress: per-unit and city progress, deadline arithmetic, laggards and leaders, with reasons.

Record-level tables (``vehicle_status``, ``licence_status``, ``submission_links``: 8.5 M rows
for the city) are aggregated in DuckDB, straight from Parquet (or from a DataFrame in tests);
only per-unit and per-day aggregates come into pandas, where the 126-row unit table, the city
rows, the rules and the sentences are built. Every function returns new tables and leaves
its inputs alone. The package, in the order a week runs through it:

- :mod:`.definitions`: the vocabulary (kinds, prefixes, rule codes, windows, output tables,
  the ``Source`` type) and the shared small formulas (share, rank, median).
- :mod:`.records`: record level, DuckDB over Parquet -> :class:`Aggregates`.
- :mod:`.metrics`: the unit table, the city rows, the difficult groups, the daily series.
- :mod:`.rules`: laggard rules, standings, leader picks (thresholds from ``plan.laggards``
  and ``plan.leaders``).
- :mod:`.narrative`: reasons, leaders' sentences, talking points, pace and share texts.
- :mod:`.targets`: what a unit is set for the next conference (its pack and e-mail say it).
- :mod:`.week`: :func:`compute` (pure) under :func:`progress_week` (reads, computes, writes).
- :mod:`.figures` (03_progress's charts) and :mod:`.explore` (explore_unit's drill-down).

Definitions (docs/architecture.md, "Written by progress"; the week is its last day, ``as_of``):

- cleaned: records whose primary status is ``cleaned``; their cleaning moment is the
  ``reviewed_at`` of the approving review of the winning submission.
- gain_week: records cleaned in the 7 days ending on ``as_of``; ``rate_7d`` = gain_week / 7.
- cleanable: assigned minus the records in difficult groups (review alone cannot clean them;
  each group is its own measure, open / resolved: ``group_progress``).
- target: ``ceil(targets.<kind>_cleaned_share * cleanable)``; remaining = target - cleaned
  (>= 0). Shares judged (rank, rules, leaders) are cleaned / cleanable
  (``<p>_share_cleaned_cleanable``); ``<p>_share_cleaned`` stays cleaned / assigned.
- required_rate: remaining / days left after ``as_of`` up to the deadline; 0 when nothing
  remains; null when something remains and the deadline has passed (no pace is enough).
- projected_finish: ``as_of + ceil(remaining / rate_7d)`` days; the day the target was reached
  when nothing remains; null when the pace is zero (or would take over ten years) and for a
  unit with no records assigned. days_late = projected_finish - deadline (negative = early).
- city_projected_finish: the city's own projection (sums of the units, one pace), on every
  unit row; days_after_city = projected_finish - city_projected_finish.
- on_track: projected_finish on or before the deadline (a unit with nothing assigned is on
  track). ``<p>_standing`` per kind: off_track when the unit breaks a progress naming rule of
  that kind, at_risk when projected later than the deadline by more than
  ``laggards.at_risk_late_days`` (or never), else on_track; once the week reaches the
  deadline in force (no day left) an outcome instead: off_track (still named), not_finished
  (records left) or finished (none left); ``standing`` is the worse of the
  kinds in ``laggards.kinds``. Conduct rules (backlog, self-reports) name a unit
  (``breaks_conduct``) but never change a standing: conduct is not lateness.
- laggard rules (``rule_flags``; thresholds in ``laggards``). A conference criticises the
  units markedly worse than their peers, and in an early week the whole city is behind, so
  only *naming* rules make a laggard: relative to the city (share under the units' median by
  points or by a ratio, bottom decile, weekly gain under a fraction of the units' median gain,
  projected finish later than the city's by more than ``late_vs_city_days`` and
  ``late_vs_city_share`` x the city's own days to finish) or about the unit's conduct (old
  review backlog, overstated self-reports). *Context* rules, absolute against the deadline
  (projected late, weekly gain under the required pace), never name a unit alone; a laggard's
  ``rules`` and reasons carry them after its naming rules. The share-of-city-time guard is
  there because early projections are loose (units' projections spread over years while the
  city's own is months away), so a fixed number of days alone would name most units early on.
- How many units the default thresholds name on the sample, week by week: docs/accuracy.md,
  "Laggards and standings on the sample".
- shares (cleaned / assigned, submitted / assigned) are null for a unit with nothing assigned;
  such a unit ranks last and is neither a laggard by share nor a leader.
- history (gain_prev_week, rank_prev): from the previous reporting week's ``unit_progress``
  when its processed folder holds one (the figures that week's conference saw); otherwise
  recomputed from the cleaning timestamps as of that week, so a first run is complete.
"""

from __future__ import annotations

# raised by progress; importable from here as before the split
from helpers import ConfigError, DeliveryError, PipelineError
from helpers.progress.definitions import (
    CONDUCT_RULES,
    GROUPS,
    KIND_CONTEXT_RULES,
    KIND_NAMING_RULES,
    KIND_RULES,
    KINDS,
    ORG_TYPES,
    OUTPUT_TABLES,
    PREFIX,
    PROJECTION_HORIZON_DAYS,
    RANK_SHARE,
    STATUS_TABLE,
    UNIT_NAMING_RULES,
    UNIT_RULES,
    WINDOW_DAYS,
    Source,
)
from helpers.progress.explore import (
    PENDING_LINK_COLUMNS,
    PENDING_SUBMISSION_COLUMNS,
    STATUS_COLUMNS,
    chart_unit_curve,
    find_unit,
    unit_card,
    unit_curve,
    unit_map,
    unit_organisations,
    unit_pending,
    unit_recognition,
    unit_self_reports,
    unit_statuses,
)
from helpers.progress.figures import chart_city_series, chart_unit_shares
from helpers.progress.final import final_lines, handover_lines
from helpers.progress.metrics import (
    backlog_ranking,
    city_progress,
    daily_series,
    group_progress,
    unit_progress,
    unit_table,
)
from helpers.progress.narrative import (
    CHANGE_MIN_BASE,
    change_text,
    compared_text,
    laggards,
    leaders,
    pace_texts,
    pct_text,
    rule_sentence,
    talking_points,
)
from helpers.progress.records import (
    Aggregates,
    aggregate,
    cleaned_by_day,
    org_summary,
    organisations_by_unit,
    record_counts,
    review_backlog,
    self_report_summary,
    submissions_by_day,
)
from helpers.progress.rules import (
    laggard_rules,
    leader_picks,
    rule_codes,
    rule_flags,
    rule_kinds,
    standings,
)
from helpers.progress.targets import next_week_targets
from helpers.progress.week import compute, load_previous, previous_week, progress_week
from helpers.statuses import STANDINGS

__all__ = [
    "unit_map",
    "CONDUCT_RULES",
    "GROUPS",
    "KIND_CONTEXT_RULES",
    "KIND_NAMING_RULES",
    "KIND_RULES",
    "KINDS",
    "ORG_TYPES",
    "OUTPUT_TABLES",
    "PREFIX",
    "PROJECTION_HORIZON_DAYS",
    "RANK_SHARE",
    "STANDINGS",
    "STATUS_COLUMNS",
    "STATUS_TABLE",
    "PENDING_LINK_COLUMNS",
    "PENDING_SUBMISSION_COLUMNS",
    "UNIT_NAMING_RULES",
    "UNIT_RULES",
    "WINDOW_DAYS",
    "Aggregates",
    "ConfigError",
    "DeliveryError",
    "PipelineError",
    "Source",
    "aggregate",
    "backlog_ranking",
    "CHANGE_MIN_BASE",
    "change_text",
    "chart_city_series",
    "chart_unit_curve",
    "chart_unit_shares",
    "city_progress",
    "cleaned_by_day",
    "compared_text",
    "compute",
    "daily_series",
    "final_lines",
    "find_unit",
    "group_progress",
    "handover_lines",
    "laggard_rules",
    "laggards",
    "leader_picks",
    "leaders",
    "load_previous",
    "next_week_targets",
    "org_summary",
    "organisations_by_unit",
    "pace_texts",
    "pct_text",
    "previous_week",
    "progress_week",
    "record_counts",
    "review_backlog",
    "rule_codes",
    "rule_flags",
    "rule_kinds",
    "rule_sentence",
    "self_report_summary",
    "standings",
    "submissions_by_day",
    "talking_points",
    "unit_card",
    "unit_curve",
    "unit_organisations",
    "unit_pending",
    "unit_progress",
    "unit_recognition",
    "unit_self_reports",
    "unit_statuses",
    "unit_table",
]
