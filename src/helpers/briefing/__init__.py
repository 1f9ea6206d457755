"""The weekly briefing pack: the document on the table at the progress conference.

``notebooks/04_briefing.ipynb`` loads the progress tables with :func:`load_briefing_data` and
displays the parts rendered here, in the order of the document (cover, summary, the campaign
summary in a week that reaches the end of the peak, the follow-up of the previous conference,
city progress, all units, laggards and leaders, commitments of unit commanders, backlog and
difficult groups, organisations, data quality, appendix). Each part is an HTML string (charts inline as SVG), so the notebook shows what the
page shows. After the notebook ran, the runner calls :func:`export_briefing`, which turns the
executed notebook into HTML with the template ``reports/templates/briefing/`` (no input, no
prompts) and prints it to PDF with WeasyPrint.

Only per-unit and city aggregates are read: no person's name, ID, plate, phone or address
can reach the page. Every label comes from the catalogue section ``briefing`` (plus the shared
``common``, ``status``, ``progress`` and ``rejects`` sections); numbers use the language's
conventions.

Modules: ``data`` (load the tables), ``tables`` (pure table functions), ``text`` (labels and
number formats), ``charts`` (matplotlib -> SVG), ``parts``, ``parts_detail``,
``parts_followup``, ``parts_commitments`` and ``parts_final`` (each part's values, formatted),
``render`` (the parts through their Jinja templates in
``reports/templates/briefing/parts/``), ``export`` (notebook -> HTML -> PDF).
"""

from helpers.briefing.charts import (
    SERIES_COLOURS,
    Image,
    city_curves_chart,
    svg_image,
    weekly_gains_chart,
)
from helpers.briefing.data import (
    BriefingData,
    ledger_files,
    ledger_sources,
    ledger_warnings,
    load_briefing_data,
)
from helpers.briefing.export import (
    FONTS_DIR,
    TEMPLATE_DIR,
    TEMPLATE_NAME,
    export_briefing,
    fonts_css,
    page_css,
    render_html,
    write_pdf,
)
from helpers.briefing.parts import (
    PARTS,
    breach_label,
    city_part,
    cover_part,
    data_as_of_part,
    kpi_values,
    laggards_part,
    pace_line,
    summary_part,
    table,
    two_up,
    units_chart_part,
    units_part,
)
from helpers.briefing.parts_commitments import commitment_rows, commitments_part, figure_text
from helpers.briefing.parts_detail import (
    APPENDIX_COLUMNS,
    appendix_part,
    backlog_part,
    orgs_part,
    quality_part,
)
from helpers.briefing.parts_final import final_part, has_final
from helpers.briefing.parts_followup import followup_part, history_part, sparkline
from helpers.briefing.render import (
    appendix,
    backlog_and_difficult,
    campaign_summary,
    city_progress,
    commitments,
    cover,
    data_quality,
    followup,
    laggards_and_leaders,
    organisations,
    rank_history,
    render_part,
    render_table,
    summary,
    units_chart,
    units_overview,
)
from helpers.briefing.tables import (
    BACKLOG_TOP,
    CONDUCT_MARK,
    DIFFICULT_TOP,
    KINDS,
    PREFIX,
    SOURCES,
    city_row,
    city_target,
    difficult_groups,
    laggard_rule_counts,
    leader_measure,
    ledger_by_source,
    overstating_units,
    peak_day,
    rank_share,
    reason_sentences,
    rejects_by_reason,
    source_freshness,
    target_share,
    week_span,
    weekly_gains,
)
from helpers.briefing.text import (
    HANOI_TZ,
    Text,
    group_criterion,
    hanoi_now,
    page_header,
    reject_label,
    source_label,
    standing_label,
    status_label,
)
from helpers.statuses import breach_of

__all__ = [
    "APPENDIX_COLUMNS",
    "BACKLOG_TOP",
    "CONDUCT_MARK",
    "DIFFICULT_TOP",
    "FONTS_DIR",
    "HANOI_TZ",
    "KINDS",
    "PARTS",
    "PREFIX",
    "SERIES_COLOURS",
    "SOURCES",
    "TEMPLATE_DIR",
    "TEMPLATE_NAME",
    "BriefingData",
    "Image",
    "Text",
    "appendix",
    "appendix_part",
    "backlog_and_difficult",
    "backlog_part",
    "breach_label",
    "breach_of",
    "campaign_summary",
    "city_curves_chart",
    "city_part",
    "city_progress",
    "city_row",
    "commitment_rows",
    "commitments",
    "commitments_part",
    "city_target",
    "cover",
    "cover_part",
    "data_as_of_part",
    "data_quality",
    "difficult_groups",
    "export_briefing",
    "followup",
    "followup_part",
    "history_part",
    "rank_history",
    "sparkline",
    "final_part",
    "figure_text",
    "fonts_css",
    "group_criterion",
    "has_final",
    "hanoi_now",
    "kpi_values",
    "laggard_rule_counts",
    "laggards_and_leaders",
    "laggards_part",
    "leader_measure",
    "ledger_by_source",
    "ledger_files",
    "ledger_sources",
    "ledger_warnings",
    "load_briefing_data",
    "organisations",
    "orgs_part",
    "overstating_units",
    "pace_line",
    "page_css",
    "page_header",
    "peak_day",
    "quality_part",
    "rank_share",
    "reason_sentences",
    "reject_label",
    "rejects_by_reason",
    "render_html",
    "render_part",
    "render_table",
    "source_freshness",
    "source_label",
    "standing_label",
    "status_label",
    "summary",
    "summary_part",
    "svg_image",
    "table",
    "target_share",
    "two_up",
    "units_chart",
    "units_chart_part",
    "units_overview",
    "units_part",
    "week_span",
    "weekly_gains",
    "weekly_gains_chart",
    "write_pdf",
]
