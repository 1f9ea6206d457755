"""Identity: how an owner or holder is checked against the population extract.

The comparison itself (name and date-of-birth checks, the identity result) is the ``checks``
and ``result`` steps of ``status_records.sql``; this module holds what parameterises it: the
confidence of each result, the results that count as the same person, and their labels.
Pure; touches no files but the catalogues (through :mod:`helpers.i18n`).
"""

from __future__ import annotations

import pandas as pd

from helpers.i18n import labels
from helpers.sqltext import literal
from helpers.statuses import IDENTITY_OK, IDENTITY_RESULTS

# How sure each identity result is (0..1). Facts of the data (no valid ID, not in the extract)
# are certain; tolerated differences lower the confidence that both records are one person.
IDENTITY_CONFIDENCE: dict[str, float] = {
    "match": 1.0,
    "match_name_typo": 0.9,
    "match_middle_swapped": 0.95,
    "match_year_only": 0.9,
    "dob_day_month_swapped": 0.9,
    "dob_mismatch": 0.95,
    "name_mismatch": 0.95,
    "id_birth_mismatch": 1.0,
    "id_not_in_population": 1.0,
    "invalid_id": 1.0,
    "not_checked": 1.0,
}


def confidence_case(column: str) -> str:
    whens = " ".join(f"WHEN {literal(k)} THEN {float(v)}" for k, v in IDENTITY_CONFIDENCE.items())
    return f"CASE {column} {whens} END"


OK_LIST = ", ".join(literal(r) for r in sorted(IDENTITY_OK))


def identity_labels() -> pd.DataFrame:
    """One row per identity result: ``identity_result``, ``label_en``, ``label_vi``."""
    en, vi = labels("identity", "en"), labels("identity", "vi")
    return pd.DataFrame(
        {
            "identity_result": list(IDENTITY_RESULTS),
            "label_en": [en[c] for c in IDENTITY_RESULTS],
            "label_vi": [vi[c] for c in IDENTITY_RESULTS],
        }
    )
