"""The unit address book, ``config/unit_contacts.csv``: who receives each unit's pack.

One row per unit: ``unit_code, unit_name, to, cc``; several addresses in one field are
separated by ``;``. Lines starting with ``#`` are comments. The book is checked as a whole
before anything is sent: every one of the 126 units needs a well-formed ``to``; a code that is
no unit, a unit listed twice, a name that is another unit's, or a malformed address is
refused with its line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from helpers import ConfigError
from helpers.paths import CONTACTS_FILE
from helpers.units import draft_codes, official_units, resolve_unit

COLUMNS = ("unit_code", "unit_name", "to", "cc")
# local@domain.tld without spaces or display names: the address book holds bare addresses
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
RESERVED_DOMAIN = ".invalid"  # RFC 2606: the placeholders of the committed book
MAX_SHOWN = 10


@dataclass(frozen=True)
class Contact:
    unit_code: str
    unit_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc


def is_address(text: str) -> bool:
    return bool(_ADDRESS.match(text)) and ".." not in text and len(text) <= 254


def is_placeholder(address: str) -> bool:
    """An address on the reserved ``.invalid`` domain: a placeholder staff must replace."""
    return address.lower().rstrip(".").endswith(RESERVED_DOMAIN)


def _addresses(field: str) -> list[str]:
    return [a.strip() for a in re.split(r"[;,]", field or "") if a.strip()]


def _shown(problems: list[str]) -> str:
    more = len(problems) - MAX_SHOWN
    return "\n  ".join(problems[:MAX_SHOWN] + ([f"... and {more} more"] if more > 0 else []))


def load_contacts(path: Path | str = CONTACTS_FILE) -> dict[str, Contact]:
    """Every unit's contact, by unit code; raises :class:`ConfigError` naming each bad line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"unit address book not found: {path} (one row per unit: {', '.join(COLUMNS)})"
        )
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = [
            (n, text)
            for n, text in enumerate(fh, start=1)
            if text.strip() and not text.lstrip().startswith("#")
        ]
    if not lines:
        raise ConfigError(f"{path}: the address book is empty")
    reader = csv.reader([text for _, text in lines])
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in COLUMNS[:3] if c not in header]
    if missing:
        raise ConfigError(
            f"{path}, line {lines[0][0]}: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(COLUMNS)}"
        )
    names = dict(zip(official_units()["unit_code"], official_units()["unit_name"], strict=True))
    contacts: dict[str, Contact] = {}
    where: dict[str, int] = {}
    problems: list[str] = []
    for (line, _), values in zip(lines[1:], reader, strict=True):
        row = dict(zip(header, (v.strip() for v in values), strict=False))
        raw_code, name = row.get("unit_code", ""), row.get("unit_name", "")
        code = resolve_unit(raw_code) if re.fullmatch(r"\d{1,5}", raw_code) else None
        if code is None:
            draft = draft_codes().get(raw_code.zfill(5)) if raw_code.isdigit() else None
            problems.append(
                f"line {line}: {raw_code!r} is the draft code of {names[draft]}: its official "
                f"code is {draft} (config/units.csv)"
                if draft
                else f"line {line}: {raw_code!r} is not the code of a unit of Hanoi "
                f"(row {','.join(values)!r})"
            )
            continue
        if code in where:
            problems.append(f"line {line}: unit {code} is already listed on line {where[code]}")
            continue
        if name and resolve_unit(name) != code:
            problems.append(f"line {line}: unit {code} is {names[code]}, the row names {name!r}")
            continue
        to, cc = _addresses(row.get("to", "")), _addresses(row.get("cc", ""))
        bad = [a for a in to + cc if not is_address(a)]
        if bad:
            problems.append(
                f"line {line}: unit {code}: not an e-mail address: {', '.join(map(repr, bad))}"
            )
            continue
        if not to:
            problems.append(f"line {line}: unit {code} ({names[code]}) has no 'to' address")
            continue
        where[code] = line
        contacts[code] = Contact(code, names[code], tuple(to), tuple(cc))
    absent = [
        f"{c} {names[c]}"
        for c in sorted(set(names) - set(contacts) - set(where))
        if not any(f"unit {c}" in p for p in problems)
    ]
    if absent:
        problems.append(
            f"{len(absent)} unit(s) have no row: {', '.join(absent[:MAX_SHOWN])}"
            + (" ..." if len(absent) > MAX_SHOWN else "")
        )
    if problems:
        raise ConfigError(
            f"{path}: {len(problems)} problem(s) in the unit address book:\n  " + _shown(problems)
        )
    return dict(sorted(contacts.items()))
