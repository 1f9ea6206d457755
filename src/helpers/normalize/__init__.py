"""Normalisation shared by every stage: text, names, IDs, plates, dates, enumerations.

Vectorised helpers take and return pandas Series (pandas' ``str`` dtype, missing = NaN) and do
their work in pyarrow compute kernels, or once per distinct value (dates, enumerations), so
they stay fast on millions of rows. Scalar helpers exist for small lists (the 126 unit names,
headers). Never loop per record over big tables with the scalar ones.

Every vectorised normaliser is idempotent: feeding its output back in changes nothing.

The package's modules, one job each: ``text`` (scalar text and names), ``arrow`` (arrow
plumbing and byte scans), ``ids`` (IDs, licences, plates, chassis), ``dates``, ``enums``
(enumerations and counts). Their public names used outside the package are re-exported here
(``normalize.fold``); the Arrow plumbing other stages use is imported from ``normalize.arrow``.
"""

from __future__ import annotations

from helpers.normalize.dates import (  # noqa: F401
    DATE_PROBLEMS,
    EXCEL_EPOCH,
    parse_dates,
)
from helpers.normalize.enums import (  # noqa: F401
    ENUMS,
    count_series,
    enum_aliases,
    enum_series,
)
from helpers.normalize.ids import (  # noqa: F401
    CCCD_PROVINCE_CODES,
    ID_KINDS,
    LICENCE_CLASSES,
    MST_WEIGHTS,
    PHONE_PATTERN,
    PLATE_KEY_PATTERN,
    PLATE_LOOKALIKES,
    PLATE_PROVINCES,
    PLATE_SERIES_LETTERS,
    alnum_key_series,
    digits_series,
    id_series,
    licence_class_series,
    licence_no_series,
    phone_series,
    plate_series,
)
from helpers.normalize.text import (  # noqa: F401
    clean_text,
    clean_text_series,
    fold,
    fold_key,
    fold_series,
    name_key_series,
    name_series,
    names_series,
)

__all__ = [
    "CCCD_PROVINCE_CODES",
    "DATE_PROBLEMS",
    "ENUMS",
    "EXCEL_EPOCH",
    "ID_KINDS",
    "LICENCE_CLASSES",
    "MST_WEIGHTS",
    "PHONE_PATTERN",
    "PLATE_KEY_PATTERN",
    "PLATE_LOOKALIKES",
    "PLATE_PROVINCES",
    "PLATE_SERIES_LETTERS",
    "alnum_key_series",
    "clean_text",
    "clean_text_series",
    "count_series",
    "digits_series",
    "enum_aliases",
    "enum_series",
    "fold",
    "fold_key",
    "fold_series",
    "id_series",
    "licence_class_series",
    "licence_no_series",
    "name_key_series",
    "name_series",
    "names_series",
    "parse_dates",
    "phone_series",
    "plate_series",
]
