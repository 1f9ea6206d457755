"""Finds personal data of the sample campaign in any text a test extracts (PDF, HTML, cells).

Unit packs are encrypted: :func:`open_pack` decrypts one with msoffcrypto itself (not through
the suite's own code) so the scanner reads what the unit reads.

Tokens come from the processed tables of the week: every citizen/owner/holder ID, every plate
(normalised key), every phone and every full name (accent-folded). Text is searched for them
with set look-ups over its tokens, so scanning a document against 100,000 people is quick.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pandas as pd

from helpers import store
from helpers.normalize import fold
from helpers.paths import Workspace

_DIGITS = re.compile(r"\d{9,13}")
_PLATE = re.compile(r"\b\d{2}[A-Za-z]{1,2}\d?[-. ]?\d{3}[.\s]?\d{1,2}\b")
_WORD = re.compile(r"[^\W\d_]+")
_NOT_NAME = re.compile(r"[^\w ]|\d|_")


@dataclass(frozen=True)
class PersonalTokens:
    ids: frozenset[str]
    plates: frozenset[str]
    phones: frozenset[str]
    names: frozenset[str]


def _col(ws: Workspace, table: str, week: str, column: str) -> set[str]:
    if not store.exists(ws, table, week):
        return set()
    df = store.load(ws, table, week)
    if column not in df.columns:
        return set()
    return {str(v) for v in df[column].dropna().unique() if str(v).strip()}


def personal_tokens(ws: Workspace, week: str) -> PersonalTokens:
    ids = (
        _col(ws, "population", week, "citizen_id")
        | _col(ws, "registry_vehicles", week, "owner_id")
        | _col(ws, "registry_licences", week, "holder_id")
        | _col(ws, "submissions", week, "citizen_id")
    )
    # plate keys keep a '-' between series and number; the scan compares letters and digits
    plates = {
        k.replace("-", "")
        for k in _col(ws, "registry_vehicles", week, "plate_key")
        | _col(ws, "submissions", week, "plate_key")
    }
    phones = {re.sub(r"\D", "", p) for p in _col(ws, "submissions", week, "phone")}
    names = set()
    for table, column in (
        ("population", "full_name"),
        ("registry_vehicles", "owner_name"),
        ("registry_licences", "holder_name"),
        ("submissions", "full_name"),
    ):
        # Only names of three words or more: two-word strings collide with unit names.
        names |= {fold(n) for n in _col(ws, table, week, column) if len(n.split()) >= 3}
    return PersonalTokens(
        frozenset(ids),
        frozenset(plates),
        frozenset(p for p in phones if len(p) >= 9),
        frozenset(names),
    )


def find_personal_data(text: str, tokens: PersonalTokens) -> list[str]:
    """Every personal token found in ``text`` (empty list = clean)."""
    found: list[str] = []
    for run in _DIGITS.findall(text):
        if run in tokens.ids or run in tokens.phones:
            found.append(run)
    for plate in _PLATE.findall(text):
        key = re.sub(r"[^0-9A-Za-z]", "", plate).upper()
        if key in tokens.plates:
            found.append(plate)
    # A name is letters and spaces only: cut the text at anything else (digits, punctuation,
    # line breaks) so words of neighbouring table cells never join into a false "name".
    for segment in _NOT_NAME.split(fold(text)):
        words = _WORD.findall(segment)
        for size in (3, 4, 5):
            for i in range(len(words) - size + 1):
                phrase = " ".join(words[i : i + size])
                if phrase in tokens.names:
                    found.append(phrase)
    return found


def notebook_text(path) -> str:
    """All text of an executed notebook's outputs (what a reader of the notebook sees)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(str(out["text"]))
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") or mime == "image/svg+xml":
                    parts.append(value if isinstance(value, str) else "".join(value))
            parts.extend(out.get("traceback", []))
    return "\n".join(parts)


def load_frame(ws: Workspace, name: str, week: str) -> pd.DataFrame:
    return store.load(ws, name, week)


def unit_password(ws: Workspace, unit_code: str) -> str:
    """A unit's password, read from the secrets file as staff would read it."""
    with (ws.secrets_dir() / "unit_passwords.csv").open(encoding="utf-8", newline="") as fh:
        return {row["unit_code"]: row["password"] for row in csv.DictReader(fh)}[unit_code]


def open_pack(data: bytes, password: str | None) -> bytes:
    """The workbook inside an encrypted unit pack (a plain workbook is returned as it is)."""
    if data[:2] == b"PK":
        return data
    import msoffcrypto

    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password=password, verify_password=True)
    out = io.BytesIO()
    office.decrypt(out)
    return out.getvalue()


def workbook_text(data: bytes, password: str | None = None) -> list[str]:
    """Every cell's text of a workbook (decrypted first when it is a unit pack), one per cell,
    so words of neighbouring cells never join."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(open_pack(data, password)), read_only=True)
    try:
        return [
            str(v)
            for sheet in wb.worksheets
            for row in sheet.iter_rows(values_only=True)
            for v in row
            if v is not None
        ]
    finally:
        wb.close()
