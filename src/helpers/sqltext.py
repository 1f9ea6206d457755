"""The one door from outside text into SQL: identifiers quoted, literals escaped.

Nothing from a delivery, a config file or a path is ever formatted into SQL text any other way.
Values go in as bound parameters (``con.execute(sql, [value])``) wherever DuckDB takes one; the
few statements whose grammar takes no parameter (``COPY ... TO``, ``CREATE VIEW``, ``SET``, a
``CASE`` built from a catalogue) take a value through :func:`literal`. A column name read from a
file (a delivery's own extra column is kept under the name it was delivered with) goes through
:func:`ident`. DuckDB runs several statements in one call, so an unescaped quote is not a crash
but a way to run anything as the user (a header ``x"); COPY ... TO '/any/path'; --``).
"""

from __future__ import annotations

import os

__all__ = ["ident", "literal"]


def _text(value: str | os.PathLike) -> str:
    text = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(text, str):
        raise TypeError(f"SQL text must be a str or a path, not {type(value).__name__}")
    if "\x00" in text:
        # DuckDB ends a string at a NUL byte: what follows would be read as SQL
        raise ValueError(f"a NUL character cannot go into SQL text: {text!r}")
    return text


def ident(name: str) -> str:
    """A column or table name as a DuckDB quoted identifier (``"`` doubled)."""
    return '"' + _text(name).replace('"', '""') + '"'


def literal(value: str | os.PathLike) -> str:
    """A text or path as a DuckDB string literal (``'`` doubled; DuckDB's plain string literals
    have no backslash escapes)."""
    return "'" + _text(value).replace("'", "''") + "'"
