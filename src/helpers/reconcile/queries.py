"""The reconcile package's SQL files, read once: ``sql("links")`` is ``links.sql`` beside this
module (package data). Touches nothing but those files."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def sql(name: str) -> str:
    """The text of ``<name>.sql`` in this package."""
    return resources.files("helpers.reconcile").joinpath(f"{name}.sql").read_text(encoding="utf-8")
