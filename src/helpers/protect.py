"""Unit packs under a password: one password per unit, kept outside git, reused every week.

    passwords = ensure_passwords(ws, codes)   # {unit_code: password}; a unit without one gets one
    encrypt_file(path, passwords[code])       # the workbook in place, Office's standard encryption
    rotate(ws, ["00008"])                     # a new password for a unit, on demand

The passwords live in ``<secrets>/unit_passwords.csv`` (``data/secrets/`` for the project
folders; git-ignored), readable by its owner only. Staff send that file's lines to the units
once, by another channel than the packs. A password is never printed, logged, written into a
pack, the zip or the message carrying a pack.

Workbooks are encrypted as Excel does it ("Encrypt with Password": ECMA-376 agile encryption,
AES-256, SHA-512, 100,000 spins) with ``msoffcrypto-tool``; Excel and LibreOffice ask for the
password when they open one. The salts are random, so an encrypted pack differs from one build
to the next while what it holds does not.

    python -m helpers.protect rotate 00008 00070
"""

from __future__ import annotations

import argparse
import csv
import io
import secrets
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from helpers import ConfigError, store
from helpers.paths import Workspace, workspace

PASSWORD_FILE = "unit_passwords.csv"
FIELDS = ("unit_code", "unit_name", "password", "created")
# Lower case letters and digits that no font confuses: no 0/o, 1/l/i, 9/g/q.
ALPHABET = "abcdefhjkmnprstuvwxyz2345678"
GROUPS, GROUP_SIZE = 4, 4  # 'k7dm-4xhe-...': 16 characters, about 77 bits
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted workbook is an OLE container


def generate_password(groups: int = GROUPS, size: int = GROUP_SIZE) -> str:
    """A random password, read and typed easily: groups of letters and digits joined by '-'."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(size)) for _ in range(groups))


def password_file(ws: Workspace) -> Path:
    return ws.secrets_dir() / PASSWORD_FILE


def _read(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"unit_code", "password"} <= set(reader.fieldnames):
            raise ConfigError(f"{path}: expected the columns {', '.join(FIELDS)}")
        rows = {}
        for line, row in enumerate(reader, start=2):
            code, password = (row.get("unit_code") or "").strip(), row.get("password") or ""
            if not code or not password:
                raise ConfigError(f"{path}, line {line}: a unit code and a password are needed")
            rows[code] = {k: (row.get(k) or "") for k in FIELDS}
    return rows


def _write(path: Path, rows: dict[str, dict[str, str]]) -> None:
    """The whole file replaced at once, created owner-only (0600) in an owner-only folder."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for code in sorted(rows):
        writer.writerow(rows[code])
    text = buffer.getvalue()

    def write_private(tmp: Path) -> None:
        tmp.write_text(text, "utf-8", newline="")
        tmp.chmod(0o600)  # mkstemp makes it 0600 already: said, not assumed

    store.atomic_write(path, write_private)


def _names() -> dict[str, str]:
    from helpers.units import unit_names

    return unit_names()


def ensure_passwords(ws: Workspace, codes: Iterable[str]) -> dict[str, str]:
    """Each unit's password; a unit that has none yet gets one (generated once, then kept)."""
    path = password_file(ws)
    rows = _read(path)
    missing = sorted({str(c) for c in codes} - set(rows))
    if missing:
        names, today = _names(), date.today().isoformat()
        for code in missing:
            rows[code] = {
                "unit_code": code,
                "unit_name": names.get(code, ""),
                "password": generate_password(),
                "created": today,
            }
        _write(path, rows)
    return {code: row["password"] for code, row in rows.items()}


def load_passwords(ws: Workspace) -> dict[str, str]:
    """The passwords on file, by unit code (empty when there is no file yet)."""
    return {code: row["password"] for code, row in _read(password_file(ws)).items()}


def rotate(ws: Workspace, codes: Sequence[str]) -> list[str]:
    """A new password for each unit named (by code or name); returns the codes rotated."""
    from helpers.units import resolve_unit

    resolved: list[str] = []
    unknown: list[str] = []
    for value in codes:
        code = resolve_unit(value)
        (resolved if code else unknown).append(code or value)
    if unknown:
        raise ConfigError(
            f"not a unit of Hanoi: {', '.join(map(repr, unknown))} "
            "(give a 5-digit unit code such as 00008, or the unit's name)"
        )
    if not resolved:
        raise ConfigError("name the unit(s) whose password to change, e.g. UNIT=00008")
    path = password_file(ws)
    rows = _read(path)
    names, today = _names(), date.today().isoformat()
    for code in resolved:
        old = rows.get(code, {}).get("password")
        new = generate_password()
        while new == old:
            new = generate_password()
        rows[code] = {
            "unit_code": code,
            "unit_name": names.get(code, ""),
            "password": new,
            "created": today,
        }
    _write(path, rows)
    return sorted(set(resolved))


def unit_passwords(ws: Workspace, plan, codes: Iterable[str]) -> dict[str, str]:
    """The passwords the week's packs are encrypted with: none when the plan turns it off
    (``unit_packs.encrypt: false``)."""
    if not bool(plan.unit_packs.get("encrypt", True)):
        return {}
    return ensure_passwords(ws, codes)


# --------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------


def encrypt_bytes(data: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    if not password:
        raise ValueError("an empty password protects nothing")
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def encrypt_file(path: Path | str, password: str) -> Path:
    """Encrypt a workbook in place (written atomically: never half a file under its name)."""
    path = Path(path)
    sealed = encrypt_bytes(path.read_bytes(), password)
    return store.atomic_write(path, lambda tmp: tmp.write_bytes(sealed))


def decrypt_bytes(data: bytes, password: str) -> bytes:
    """The workbook inside an encrypted pack; raises ``msoffcrypto`` errors on a wrong password."""
    import msoffcrypto

    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password=password, verify_password=True)
    out = io.BytesIO()
    office.decrypt(out)
    return out.getvalue()


def is_encrypted(data: bytes) -> bool:
    """Whether a workbook's bytes are an encrypted pack (a plain .xlsx is a zip: 'PK')."""
    return data[:8] == OLE_MAGIC


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.protect", description="Unit pack passwords."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rot = sub.add_parser("rotate", help="give units a new password")
    rot.add_argument("units", nargs="*", help="unit codes or names (commas allowed)")
    args = parser.parse_args(argv)
    ws = workspace()
    units = [u.strip() for value in args.units for u in value.split(",") if u.strip()]
    try:
        done = rotate(ws, units)
    except ConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    names = _names()
    print(
        f"new password for {len(done)} unit(s): "
        + ", ".join(f"{c} {names.get(c, '')}".strip() for c in done)
    )
    print(
        f"written to {password_file(ws)} (owner-only). Send it to the unit by the usual "
        "separate channel, then rebuild the packs (make weekly-report) before sending them: "
        "packs built earlier still open with the old password."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
