"""Ingest: a week's raw deliveries -> clean typed tables, rejects and a balanced ledger.

Steps (each a function the notebook can call on its own):

1. :func:`locate_sources` picks, for every source, the newest delivery folder on or before the
   week that holds it.
2. :func:`read_file` reads one raw file (CSV in UTF-8 / UTF-8-BOM / cp1258 with ``,`` or ``;``,
   gzip, xlsx with title blocks and merged cells, Parquet), finds the header row among
   canonical names and Vietnamese aliases, and sorts every row into data, title, blank or
   totals, with the row number a user sees in the file.
3. :func:`validate` normalises and checks one file's data rows (docs/rules.md) and splits them
   into accepted typed rows and rejects (one reject row per problem).
4. :func:`ingest_week` runs all of it, checks that every file balances (rows read = accepted +
   rejected + skipped) and swaps the week's processed folder in atomically.

Everything per record is vectorised (pyarrow kernels, once-per-distinct-value maps); the only
Python loops run per file, per column, per distinct value, or over rows pyarrow could not
split (ragged CSV lines) and the cells openpyxl hands over.
"""

from helpers.ingest.rawfile import RawFile
from helpers.ingest.read import read_file
from helpers.ingest.sources import (
    COLUMNS,
    DUPLICATE_KEYS,
    NATURAL_KEYS,
    OPTIONAL_SOURCES,
    RAW_FORMATS,
    REQUIRED_COLUMNS,
    SKIP_KINDS,
    SOURCE_NAMES,
    SourceFiles,
    delivery_warnings,
    locate_sources,
    source_ages,
    warning,
)
from helpers.ingest.validate import REJECT_COLUMNS, Validated, combine, validate
from helpers.ingest.views import (
    ledger_table,
    reject_counts,
    source_table,
    sources_table,
    summary_text,
    warnings_text,
)
from helpers.ingest.week import (
    PARALLEL_BYTES,
    ingest_source,
    ingest_week,
    ledger_entry,
    write_table,
)

__all__ = [
    "COLUMNS",
    "DUPLICATE_KEYS",
    "NATURAL_KEYS",
    "OPTIONAL_SOURCES",
    "PARALLEL_BYTES",
    "RAW_FORMATS",
    "REJECT_COLUMNS",
    "REQUIRED_COLUMNS",
    "SKIP_KINDS",
    "SOURCE_NAMES",
    "RawFile",
    "SourceFiles",
    "Validated",
    "combine",
    "delivery_warnings",
    "ingest_source",
    "ingest_week",
    "ledger_entry",
    "ledger_table",
    "locate_sources",
    "read_file",
    "reject_counts",
    "source_ages",
    "source_table",
    "sources_table",
    "summary_text",
    "validate",
    "warning",
    "warnings_text",
    "write_table",
]
