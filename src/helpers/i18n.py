"""User-facing text and number formats, one catalogue per language.

Catalogues live in ``reports/templates/i18n/<lang>.yaml`` so staff can reword them without
touching code. Keys are dotted paths (``"status.cleaned"``); a missing key is an error, never
a silent fallback to the other language.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import yaml

from helpers import ConfigError
from helpers.paths import I18N_DIR

LANGS = ("vi", "en")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ConfigError(f"report language must be one of {', '.join(LANGS)}, found {lang!r}")
    return lang


@lru_cache(maxsize=4)
def catalogue(lang: str) -> dict[str, Any]:
    path = I18N_DIR / f"{check_lang(lang)}.yaml"
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{'a': {'b': 'x'}} -> {'a.b': 'x'}; used to compare the catalogues key by key."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def t(key: str, lang: str, **values: Any) -> str:
    """The text for ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    node: Any = catalogue(lang)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"catalogue {lang}.yaml has no key '{key}'")
        node = node[part]
    if isinstance(node, dict):
        raise KeyError(f"catalogue {lang}.yaml: '{key}' is a section, not a text")
    return str(node).format(**values) if values else str(node)


def code_label(section: str, code: str, lang: str) -> str:
    """The wording of a code from a catalogue section; the code itself if it has none (a new
    code from an upstream stage must not stop a report)."""
    try:
        return t(f"{section}.{code}", lang)
    except KeyError:
        return str(code)


def labels(section: str, lang: str) -> dict[str, str]:
    """All texts of one section, e.g. labels('status', 'vi') -> {'cleaned': 'Đã làm sạch', ...}."""
    node: Any = catalogue(lang)
    for part in section.split("."):
        node = node[part]
    return {k: str(v) for k, v in node.items() if not isinstance(v, dict)}


def _group(digits: str, sep: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def fmt_int(value: float | int | None, lang: str) -> str:
    """917509 -> '917.509' (vi) or '917,509' (en); missing -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    n = int(round(float(value)))
    sign = "-" if n < 0 else ""
    return sign + _group(str(abs(n)), "." if lang == "vi" else ",")


def fmt_num(value: float | None, lang: str, decimals: int = 1) -> str:
    """1234.5 -> '1.234,5' (vi) or '1,234.5' (en)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{abs(float(value)):.{decimals}f}"
    whole, _, frac = text.partition(".")
    thousands, point = (".", ",") if lang == "vi" else (",", ".")
    sign = "-" if float(value) < 0 and float(text) != 0 else ""
    return sign + _group(whole, thousands) + (point + frac if frac else "")


def fmt_pct(share: float | None, lang: str, decimals: int = 1) -> str:
    """0.41 -> '41,0%' (vi) or '41.0%' (en)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    return fmt_num(float(share) * 100.0, lang, decimals) + "%"


def fmt_date(value: date | datetime | None, lang: str) -> str:
    """Day first in both languages, as Vietnamese forms are: 14/02/2026."""
    if value is None:
        return "–"
    return value.strftime("%d/%m/%Y")
