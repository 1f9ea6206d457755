"""Excel packs: the city pack (aggregates only) and one pack per unit (its own worklists).

    result = build_packs(ws, "2025-11-23", out_dir, "vi")

writes ``city-pack-<week>-<lang>.xlsx``, ``units/<unit_code>-<slug>.xlsx`` (126 files, in the
plan's default language: they go to the units) and ``units-<week>.zip``. Each unit pack is
encrypted with its unit's own password (:mod:`helpers.packs.protect`) unless the plan says
``unit_packs.encrypt: false``; the city pack holds aggregates only and stays open.

The package, one job a module:

- :mod:`~helpers.packs.sheetxml`: the sheet-XML writer (data rows rendered column-wise with
  Arrow and spliced into the sheets while the workbook is zipped; cell types explicit, text
  never a formula, Excel's limits);
- :mod:`~helpers.packs.book`: :class:`PackBook`, a workbook and its styling from
  ``reports/templates/excel.yaml`` (tables, widths that fit the text, print set-up);
- :mod:`~helpers.packs.texts`: catalogue texts and labels for codes;
- :mod:`~helpers.packs.units_table`: the units table's columns (headers, formats, display)
  and its printable views;
- :mod:`~helpers.packs.city`: the city pack;
- :mod:`~helpers.packs.worklists`: the units' worklists in DuckDB (queries in the ``.sql``
  files beside it);
- :mod:`~helpers.packs.unit`: a unit's pack, and the worker task that writes and encrypts it;
- :mod:`~helpers.packs.build`: a week's build (worker pool, zip of the unit packs).

Same inputs, same bytes: document timestamps and zip entry dates are fixed to the end of the
reporting week, and every list has a complete sort order (an encrypted pack's salts are random:
the workbook it holds is the same bytes).
"""

from helpers import store
from helpers.config import load_plan
from helpers.packs.book import (
    TEMPLATE_FILE,
    TEXT_FIT_DEFAULTS,
    PackBook,
    document_time,
    load_template,
    sheet_title,
    text_breaks,
    text_lengths,
    text_lines,
    title_block,
)
from helpers.packs.build import (
    RECORD_TABLES,
    PacksResult,
    build_packs,
    bundle,
    overview,
    unit_file_name,
    unit_tasks,
    write_unit_packs,
)
from helpers.packs.city import (
    CITY_KPIS,
    city_pack,
    ledger_table,
    load_city_tables,
    rejects_summary,
    self_report_table,
    trend_table,
)
from helpers.packs.sheetxml import (
    DATE_KINDS,
    EXCEL_MAX_ROWS,
    FORMULA_PREFIXES,
    MAX_CELL_CHARS,
    SHEET_NAME_CHARS,
    SHEET_ROWS,
    TEXT_KINDS,
    Column,
    cut_text,
    is_formula_like,
)
from helpers.packs.texts import label_series, tx, yes_no
from helpers.packs.unit import UNIT_VS_CITY, pending_note, unit_pack
from helpers.packs.units_table import (
    BOOL_COLUMNS,
    METRICS,
    PREFIXES,
    UNIT_HEAD,
    UNIT_TAIL,
    difficult_columns,
    metric_header,
    metric_kind,
    print_view_columns,
    unit_columns,
)
from helpers.packs.worklists import (
    LISTS,
    UNIT_TABLES,
    door_to_door,
    stage_unit_rows,
    unit_worklists,
    worklist_columns,
)

__all__ = [
    "BOOL_COLUMNS",
    "CITY_KPIS",
    "DATE_KINDS",
    "EXCEL_MAX_ROWS",
    "FORMULA_PREFIXES",
    "LISTS",
    "MAX_CELL_CHARS",
    "METRICS",
    "PREFIXES",
    "RECORD_TABLES",
    "SHEET_NAME_CHARS",
    "SHEET_ROWS",
    "TEMPLATE_FILE",
    "TEXT_FIT_DEFAULTS",
    "TEXT_KINDS",
    "UNIT_HEAD",
    "UNIT_TABLES",
    "UNIT_TAIL",
    "UNIT_VS_CITY",
    "Column",
    "PackBook",
    "PacksResult",
    "build_packs",
    "bundle",
    "city_pack",
    "cut_text",
    "difficult_columns",
    "document_time",
    "door_to_door",
    "is_formula_like",
    "label_series",
    "ledger_table",
    "load_city_tables",
    "load_plan",
    "load_template",
    "metric_header",
    "metric_kind",
    "overview",
    "pending_note",
    "print_view_columns",
    "rejects_summary",
    "self_report_table",
    "sheet_title",
    "stage_unit_rows",
    "store",
    "text_breaks",
    "text_lengths",
    "text_lines",
    "title_block",
    "trend_table",
    "tx",
    "unit_columns",
    "unit_file_name",
    "unit_pack",
    "unit_tasks",
    "unit_worklists",
    "worklist_columns",
    "write_unit_packs",
    "yes_no",
]
