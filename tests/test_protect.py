"""Unit pack passwords and encryption: one password per unit, kept owner-only outside git,
reused every week, rotated on demand; the packs open with their own unit's password only."""

from __future__ import annotations

import io
import stat
import subprocess
import zipfile

import msoffcrypto
import openpyxl
import pytest

from helpers import ConfigError, excel, protect
from helpers.paths import PROJECT_ROOT
from tests.pii import open_pack, unit_password
from tests.test_excel import PLAIN, U1, U2, U3, WEEK, unit_file, write_week

LOOK_ALIKES = set("0oO1lIi9gq")  # and no capitals: 2, 5, 8 then cannot pass for Z, S, B


def test_passwords_are_long_random_and_free_of_look_alike_characters():
    made = [protect.generate_password() for _ in range(300)]
    assert len(set(made)) == len(made)
    for password in made:
        groups = password.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert password == password.lower() and not set(password) & LOOK_ALIKES, password


def test_a_password_is_made_once_per_unit_and_kept_owner_only(tmp_ws):
    first = protect.ensure_passwords(tmp_ws, [U1, U2])
    again = protect.ensure_passwords(tmp_ws, [U1, U2, U3])
    assert again[U1] == first[U1] and again[U2] == first[U2] and again[U3] not in first.values()
    path = protect.password_file(tmp_ws)
    assert path == tmp_ws.processed.parent / "secrets" / "unit_passwords.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert unit_password(tmp_ws, U3) == again[U3]


def test_rotating_changes_only_the_units_named(tmp_ws):
    before = protect.ensure_passwords(tmp_ws, [U1, U2])
    assert protect.rotate(tmp_ws, [U1]) == [U1]
    after = protect.load_passwords(tmp_ws)
    assert after[U1] != before[U1] and after[U2] == before[U2]
    with pytest.raises(ConfigError, match="'Atlantis'"):
        protect.rotate(tmp_ws, ["Atlantis"])


def test_rotate_command_names_the_unit_but_never_prints_the_password(tmp_ws, monkeypatch, capsys):
    monkeypatch.setenv("CATP_SECRETS_DIR", str(tmp_ws.secrets_dir()))
    protect.ensure_passwords(tmp_ws, ["00008"])
    assert protect.main(["rotate", "Ngọc Hà"]) == 0
    out = capsys.readouterr().out
    assert "00008" in out and protect.load_passwords(tmp_ws)["00008"] not in out
    assert protect.main(["rotate", "99999"]) == 2
    assert "99999" in capsys.readouterr().err


def test_secrets_folder_is_ignored_by_git():
    probe = subprocess.run(
        ["git", "check-ignore", "-q", "data/secrets/unit_passwords.csv"],
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert probe.returncode == 0


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    """The hand-made week built twice: with the plan's default (encrypted) and without."""
    from tests.conftest import make_workspace

    ws = make_workspace(tmp_path_factory.mktemp("sealed"))
    write_week(ws)
    on = excel.build_packs(ws, WEEK, ws.output / "on", "vi", workers=1, units=[U1, U2, U3])
    off = excel.build_packs(
        ws, WEEK, ws.output / "off", "vi", workers=1, units=[U1, U2, U3], plan=PLAIN
    )
    return ws, on, off


def test_unit_packs_are_encrypted_by_default_and_open_with_their_own_password(sealed):
    ws, on, off = sealed
    assert excel.load_plan().unit_packs["encrypt"] is True
    for code in (U1, U2, U3):
        data = unit_file(ws.output / "on", code).read_bytes()
        assert protect.is_encrypted(data)
        with pytest.raises(zipfile.BadZipFile):
            openpyxl.load_workbook(unit_file(ws.output / "on", code))
        # what the unit opens is exactly the workbook an unencrypted build writes
        assert (
            open_pack(data, unit_password(ws, code))
            == unit_file(ws.output / "off", code).read_bytes()
        )
        other = unit_password(ws, U2 if code != U2 else U1)
        with pytest.raises(msoffcrypto.exceptions.InvalidKeyError):
            open_pack(data, other)


def test_city_pack_stays_open_and_the_zip_holds_the_encrypted_packs(sealed):
    ws, on, off = sealed
    assert on.city.read_bytes()[:2] == b"PK"
    openpyxl.load_workbook(on.city)
    with zipfile.ZipFile(on.bundle) as z:
        assert all(protect.is_encrypted(z.read(name)) for name in z.namelist())


def test_no_password_appears_in_any_output(sealed):
    ws, on, off = sealed
    passwords = protect.load_passwords(ws)
    outputs = [p for p in (ws.output / "on").rglob("*") if p.is_file()]
    shown = excel.overview(on).to_string() + on.units.to_string() + repr(on.seconds)
    for password in passwords.values():
        assert password not in shown
        for path in outputs:
            data = path.read_bytes()
            assert password.encode() not in data
            if path.suffix == ".xlsx":
                plain = open_pack(data, passwords.get(path.name[:5]))
                with zipfile.ZipFile(io.BytesIO(plain)) as z:
                    assert not any(password.encode() in z.read(n) for n in z.namelist())
