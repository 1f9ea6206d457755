"""Generated data says so: the marker the generator leaves in each delivery folder, the
ledger's record of it, and the mark every document built from it carries.

The generator (:mod:`synth`) writes :data:`MARKER` into every delivery folder it makes;
real deliveries never hold it (docs/data-contract.md). Ingest records the marked folders in the
week's ``ledger.json`` (``synthetic_deliveries``); later stages read :func:`week_is_synthetic`
from the processed folder, never the raw one. One marked folder makes the week synthetic: a
document built partly from generated data is not a real conference document.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import i18n
from helpers.paths import Workspace

MARKER = "SYNTHETIC-DATA.txt"
MARKER_TEXT = (
    "This delivery folder was written by the synthetic-data generator (synth).\n"
    "Every document built from it is marked DỮ LIỆU MẪU / SYNTHETIC DATA.\n"
    "Real deliveries never hold this file (docs/data-contract.md).\n"
)


def write_marker(folder: Path) -> None:
    """Leave the marker in a delivery folder the generator wrote."""
    (folder / MARKER).write_text(MARKER_TEXT, "utf-8")


def is_marked(folder: Path) -> bool:
    """Whether a delivery folder holds the generator's marker."""
    return (folder / MARKER).is_file()


def marked_deliveries(ws: Workspace, deliveries: list[str]) -> list[str]:
    """The delivery folders among ``deliveries`` that the generator wrote."""
    return [d for d in deliveries if is_marked(ws.delivery(d))]


def ledger_is_synthetic(ledger: dict | list) -> bool:
    """Whether a ledger records any generated delivery folder (mixed counts as synthetic). A
    ledger of the first form (a bare list of files, written before the mark existed) records
    none."""
    return isinstance(ledger, dict) and bool(ledger.get("synthetic_deliveries"))


def week_is_synthetic(ws: Workspace, week: str) -> bool:
    """Whether the week's processed tables come (even partly) from generated data, as the
    week's ingest ledger records it. A week not ingested yet is not known to be synthetic."""
    path = ws.processed_week(week) / "ledger.json"
    if not path.is_file():
        return False
    return ledger_is_synthetic(json.loads(path.read_text("utf-8")))


def label(lang: str) -> str:
    """The mark itself in ``lang`` ("DỮ LIỆU MẪU" / "SYNTHETIC DATA")."""
    return i18n.t("synthetic.label", lang)


def both_labels() -> str:
    """The mark in both languages, for documents read in either: "DỮ LIỆU MẪU / SYNTHETIC DATA"."""
    return f"{label('vi')} / {label('en')}"


def note(lang: str) -> str:
    """The sentence a mail body or a banner carries under the mark."""
    return i18n.t("synthetic.note", lang)
