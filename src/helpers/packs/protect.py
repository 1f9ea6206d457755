"""Unit packs under a password: one password per unit, kept outside git, reused every week.

    passwords = unit_passwords(ws, plan, codes)  # {unit_code: password}, read from the file
    encrypt_file(path, passwords[code])          # the workbook in place, Office's encryption
    rotate(ws, ["00008"])                        # a new password for a unit, on demand

The passwords live in ``<secrets>/unit_passwords.csv`` (``data/secrets/`` for the project
folders; git-ignored), readable by its owner only. Staff send that file's lines to the units
once, by another channel than the packs. A password is never printed, logged, written into a
pack, the zip or the message carrying a pack.

The units keep the passwords they were sent, so a password is never replaced in silence. They
are made on the first build only (no secrets file, and no sign that passwords were ever issued:
no record of an issue in the processed folder, no encrypted unit pack and no send log in the
outputs), or on demand by :func:`rotate` (``make rotate-passwords``). Any other time, a missing,
damaged or incomplete file, a password not of the form made here, or a file other users can
read stops the packs step with one line naming the file and the fix.

Workbooks are encrypted as Excel does it ("Encrypt with Password": ECMA-376 agile encryption,
AES-256, SHA-512, 100,000 spins) with ``msoffcrypto-tool``; Excel and LibreOffice ask for the
password when they open one. The salts are random, so an encrypted pack differs from one build
to the next while what it holds does not.

    python -m helpers.packs rotate 00008 00070
    python -m helpers.packs rotate all
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import secrets
import stat
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from helpers import ConfigError, store
from helpers.paths import Workspace, is_week, workspace

PASSWORD_FILE = "unit_passwords.csv"
ISSUED_FILE = ".unit-passwords-issued.json"  # in the processed folder: no password in it
FIELDS = ("unit_code", "unit_name", "password", "created")
# Lower case letters and digits that no font confuses: no 0/o, 1/l/i, 9/g/q.
ALPHABET = "abcdefhjkmnprstuvwxyz2345678"
GROUPS, GROUP_SIZE = 4, 4  # 'k7dm-4xhe-...': 16 characters, about 77 bits
PASSWORD_FORM = re.compile(
    rf"[{ALPHABET}]{{{GROUP_SIZE}}}(?:-[{ALPHABET}]{{{GROUP_SIZE}}}){{{GROUPS - 1}}}"
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted workbook is an OLE container
ALL = "all"  # rotate(ws, ["all"]): every unit
MISSING = "missing"  # rotate(ws, ["missing"]): the units the file has no line for
ROTATE_ALL = "make rotate-passwords UNIT=all"


def generate_password(groups: int = GROUPS, size: int = GROUP_SIZE) -> str:
    """A random password, read and typed easily: groups of letters and digits joined by '-'."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(size)) for _ in range(groups))


def password_file(ws: Workspace) -> Path:
    return ws.secrets_dir() / PASSWORD_FILE


def issued_record(ws: Workspace) -> Path:
    return ws.processed / ISSUED_FILE


class PasswordFileError(ConfigError):
    """The secrets file is missing, damaged, incomplete or readable by others (one line)."""


def _damaged(path: Path, what: str) -> PasswordFileError:
    return PasswordFileError(
        f"{path} is damaged ({what}): restore it from its backup, or give every unit a new "
        f"password with `{ROTATE_ALL}` and send each unit its new one"
    )


def _lost(path: Path, evidence: str) -> PasswordFileError:
    return PasswordFileError(
        f"{path} is missing, but unit pack passwords were issued before ({evidence}): "
        f"restore the file from its backup (then `chmod 600` it), or give every unit "
        f"a new password with `{ROTATE_ALL}` and send each unit its new one"
    )


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PasswordFileError(
            f"{path} can be read or written by other users (mode {mode:04o}): make it "
            f"owner-only with `chmod 600 {path}`; if someone else may have read it, give the "
            f"units new passwords with `{ROTATE_ALL}`"
        )


def _read(path: Path) -> dict[str, dict[str, str]]:
    """The file's rows by unit code, checked whole: each line a known unit, once, with a
    password of the form :func:`generate_password` makes. Empty when there is no file."""
    from helpers.units import unit_names

    if not path.is_file():
        return {}
    _check_private(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _damaged(path, f"not UTF-8 text at byte {exc.start}") from None
    if "\x00" in text:
        raise _damaged(path, "binary content")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header != list(FIELDS):
        raise _damaged(path, f"line 1 should be the header {','.join(FIELDS)}")
    known = unit_names()
    rows: dict[str, dict[str, str]] = {}
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        if len(row) != len(FIELDS):
            unit = f" (unit {row[0][:12]})" if row[0] else ""
            raise _damaged(path, f"line {line}{unit} has {len(row)} fields, expected {len(FIELDS)}")
        record = dict(zip(FIELDS, row, strict=True))
        code = record["unit_code"]
        if code not in known:
            raise _damaged(path, f"line {line}: {code[:12]!r} is not a unit code of Hanoi")
        if code in rows:
            raise _damaged(path, f"line {line}: unit {code} is listed twice")
        if not PASSWORD_FORM.fullmatch(record["password"]):
            # never quote the password: say only what it should look like
            raise _damaged(
                path,
                f"line {line}: the password of unit {code} is not one the suite makes "
                f"({GROUPS} groups of {GROUP_SIZE} letters and digits joined by '-')",
            )
        rows[code] = record
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


def _record_issue(ws: Workspace, codes: Iterable[str], how: str) -> None:
    """Remember beside the processed tables that passwords were issued (no password in it):
    a secrets file lost later is then never silently replaced by new passwords."""
    record = issued_record(ws)
    try:
        earlier = json.loads(record.read_text("utf-8")) if record.is_file() else {}
    except ValueError:
        earlier = {}
    events = list(earlier.get("issued", [])) if isinstance(earlier, dict) else []
    events.append(
        {
            "time": datetime.now().astimezone().isoformat(timespec="seconds"),
            "how": how,
            "units": sorted(codes),
            "file": str(password_file(ws)),
        }
    )
    text = json.dumps({"issued": events}, ensure_ascii=False, indent=1)
    record.parent.mkdir(parents=True, exist_ok=True)
    store.atomic_write(record, lambda tmp: tmp.write_text(text, "utf-8"))


def issued_before(ws: Workspace) -> str | None:
    """Where a sign that unit passwords were issued before is found, or None (a first build).

    Signs: the record written when passwords are made (processed folder), an encrypted unit
    pack in a published week, a send log in a published week."""
    if issued_record(ws).is_file():
        return f"recorded in {issued_record(ws)}"
    if ws.output.is_dir():
        for week in sorted((p for p in ws.output.iterdir() if is_week(p.name)), reverse=True):
            if (week / "distribution.json").is_file():
                return f"packs were sent: {week / 'distribution.json'}"
            for pack in sorted((week / "units").glob("*.xlsx")):
                with pack.open("rb") as fh:
                    if fh.read(len(OLE_MAGIC)) == OLE_MAGIC:
                        return f"encrypted packs were published: {pack.parent}"
    return None


def _new_row(code: str, names: dict[str, str], today: str) -> dict[str, str]:
    return {
        "unit_code": code,
        "unit_name": names.get(code, ""),
        "password": generate_password(),
        "created": today,
    }


def passwords_for(ws: Workspace, codes: Iterable[str]) -> dict[str, str]:
    """The password of each unit of ``codes``, from the secrets file.

    The first build (no file and no sign of an earlier issue: :func:`issued_before`) makes one
    for every unit of Hanoi. Otherwise the file must be there, whole, owner-only, with a line
    per unit asked for: else :class:`PasswordFileError` names the file and the fix."""
    from helpers.units import unit_names

    path = password_file(ws)
    wanted = sorted({str(c) for c in codes})
    if not path.exists():
        evidence = issued_before(ws)
        if evidence is not None:
            raise _lost(path, evidence)
        names, today = unit_names(), date.today().isoformat()
        rows = {code: _new_row(code, names, today) for code in sorted(set(names) | set(wanted))}
        _write(path, rows)
        _record_issue(ws, rows, "first build")
    rows = _read(path)
    _check_complete(path, rows, wanted)
    return {code: rows[code]["password"] for code in wanted}


def _check_complete(path: Path, rows: dict[str, dict[str, str]], wanted: Iterable[str]) -> None:
    missing = [code for code in wanted if code not in rows]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" (+{len(missing) - 5} more)" if len(missing) > 5 else ""
        )
        raise PasswordFileError(
            f"{path} has no password for unit(s) {shown}: restore the file from its backup, "
            f"or give the units without one a password with `make rotate-passwords "
            f"UNIT={MISSING}` and send each its own"
        )


def check_secrets(ws: Workspace, plan) -> None:
    """The secrets file as the packs step will need it, checked when a run starts: a run that
    reuses the packs (inputs unchanged) would otherwise never look at it, and a file opened to
    other users, damaged or lost would pass a night in silence. Makes nothing: the first build
    (no file, no sign of an earlier issue) is left to the packs step. A unit without its line
    is refused here too, not from inside the packs' notebook."""
    if not bool(plan.unit_packs.get("encrypt", True)):
        return
    path = password_file(ws)
    if not path.exists():
        evidence = issued_before(ws)
        if evidence is not None:
            raise _lost(path, evidence)
        return
    from helpers.units import unit_names

    # every unit has a pack, so every unit needs its line (the first build writes them all)
    _check_complete(path, _read(path), sorted(unit_names()))


def load_passwords(ws: Workspace) -> dict[str, str]:
    """The passwords on file, by unit code (empty when there is no file yet)."""
    return {code: row["password"] for code, row in _read(password_file(ws)).items()}


def unit_codes(values: Sequence[str], keywords: Sequence[str] = ()) -> list[str]:
    """Unit codes from what a user typed (``make … UNIT=``): codes or names, several separated
    by commas or spaces, or one of ``keywords`` (kept as typed, lower case). Anything else
    stops with the values named: a value is never passed on unchecked."""
    from helpers.units import resolve_unit

    resolved: list[str] = []
    unknown: list[str] = []
    for value in values:
        for piece in (p.strip() for p in str(value).split(",")):
            if not piece:
                continue
            if piece.lower() in keywords or resolve_unit(piece):
                words = [piece]
            else:  # "00008 00070": codes separated by spaces (a name with spaces resolved above)
                words = piece.split()
            for word in words:
                code = word.lower() if word.lower() in keywords else resolve_unit(word)
                (resolved if code else unknown).append(code or piece)
    if unknown:
        shown = ", ".join(repr(v[:40]) for v in dict.fromkeys(unknown))
        also = "".join(f", '{k}'" for k in keywords)
        raise ConfigError(
            f"not a unit of Hanoi: {shown} (give 5-digit unit codes such as 00008 or a unit's "
            f"name{also})"
        )
    if not resolved:
        raise ConfigError("name the unit(s), e.g. UNIT=00008")
    return list(dict.fromkeys(resolved))


def rotate(ws: Workspace, codes: Sequence[str]) -> list[str]:
    """A new password for each unit named (codes, names, ``all``, ``missing``: the units the
    file has no line for); returns the codes given one. ``all`` writes a new file whatever
    the old one held; otherwise the file must be readable (:func:`passwords_for`'s checks)."""
    from helpers.units import unit_names

    wanted = unit_codes(codes, keywords=(ALL, MISSING))
    names, today = unit_names(), date.today().isoformat()
    path = password_file(ws)
    if ALL in wanted:
        rows: dict[str, dict[str, str]] = {}
        chosen = sorted(names)
    else:
        rows = _read(path)
        chosen = sorted(
            {c for c in wanted if c != MISSING}
            | ({c for c in names if c not in rows} if MISSING in wanted else set())
        )
    for code in chosen:
        old = rows.get(code, {}).get("password")
        rows[code] = _new_row(code, names, today)
        while rows[code]["password"] == old:
            rows[code] = _new_row(code, names, today)
    _write(path, rows)
    if chosen:
        _record_issue(ws, chosen, "rotate")
    return chosen


def unit_passwords(ws: Workspace, plan, codes: Iterable[str]) -> dict[str, str]:
    """The passwords the week's packs are encrypted with: none when the plan turns it off
    (``unit_packs.encrypt: false``)."""
    if not bool(plan.unit_packs.get("encrypt", True)):
        return {}
    return passwords_for(ws, codes)


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


def opens_with(path: Path | str, password: str) -> bool:
    """Whether an encrypted pack opens with ``password`` (its own verifier checked, as Excel
    does: one key derivation, nothing decrypted)."""
    import msoffcrypto

    try:
        with Path(path).open("rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            office.load_key(password=password, verify_password=True)
    except Exception:  # a wrong password, or not an encrypted workbook at all  # noqa: BLE001
        return False
    return True


def is_encrypted(data: bytes) -> bool:
    """Whether a workbook's bytes are an encrypted pack (a plain .xlsx is a zip: 'PK')."""
    return data[:8] == OLE_MAGIC


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    from helpers.units import unit_names

    parser = argparse.ArgumentParser(
        prog="python -m helpers.packs", description="Unit pack passwords."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rot = sub.add_parser("rotate", help="give units a new password")
    rot.add_argument(
        "units",
        nargs="*",
        help=f"unit codes or names (commas or spaces between codes), '{ALL}' or '{MISSING}'",
    )
    args = parser.parse_args(argv)
    ws = workspace()
    try:
        done = rotate(ws, args.units)
    except ConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    names = unit_names()
    if not done:
        print(f"every unit already has a password in {password_file(ws)}: nothing changed")
        return 0
    listed = ", ".join(f"{c} {names.get(c, '')}".strip() for c in done[:10])
    more = f" and {len(done) - 10} more" if len(done) > 10 else ""
    print(f"new password for {len(done)} unit(s): {listed}{more}")
    print(
        f"written to {password_file(ws)} (owner-only). Send it to the unit by the usual "
        "separate channel, then rebuild the packs (make weekly-report) before sending them: "
        "packs built earlier still open with the old password."
    )
    return 0
