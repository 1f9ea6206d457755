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

from helpers import ConfigError, packs
from helpers.packs import protect
from helpers.paths import PROJECT_ROOT
from tests.packs.builders import PLAIN, U1, U2, U3, WEEK, unit_file, write_week
from tests.pii import open_pack, unit_password

LOOK_ALIKES = set("0oO1lIi9gq")  # and no capitals: 2, 5, 8 then cannot pass for Z, S, B


def test_passwords_are_long_random_and_free_of_look_alike_characters():
    made = [protect.generate_password() for _ in range(300)]
    assert len(set(made)) == len(made)
    for password in made:
        groups = password.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert password == password.lower() and not set(password) & LOOK_ALIKES, password


def test_the_first_build_makes_a_password_for_every_unit_once_and_keeps_it_owner_only(tmp_ws):
    first = protect.passwords_for(tmp_ws, [U1, U2])
    again = protect.passwords_for(tmp_ws, [U1, U2, U3])
    assert again[U1] == first[U1] and again[U2] == first[U2]
    on_file = protect.load_passwords(tmp_ws)
    assert len(on_file) == 126 and len(set(on_file.values())) == 126
    path = protect.password_file(tmp_ws)
    assert path == tmp_ws.processed.parent / "secrets" / "unit_passwords.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert unit_password(tmp_ws, U3) == again[U3]
    assert protect.issued_record(tmp_ws).is_file()
    assert not any(p in protect.issued_record(tmp_ws).read_text() for p in on_file.values())


def test_rotating_changes_only_the_units_named(tmp_ws):
    before = protect.passwords_for(tmp_ws, [U1, U2])
    assert protect.rotate(tmp_ws, [U1]) == [U1]
    after = protect.load_passwords(tmp_ws)
    assert after[U1] != before[U1] and after[U2] == before[U2]
    with pytest.raises(ConfigError, match="'Atlantis'"):
        protect.rotate(tmp_ws, ["Atlantis"])


def test_rotate_command_names_the_unit_but_never_prints_the_password(tmp_ws, monkeypatch, capsys):
    monkeypatch.setenv("CATP_SECRETS_DIR", str(tmp_ws.secrets_dir()))
    monkeypatch.setenv("CATP_PROCESSED_DIR", str(tmp_ws.processed))
    protect.passwords_for(tmp_ws, ["00008"])
    assert protect.main(["rotate", "Ngọc Hà"]) == 0
    out = capsys.readouterr().out
    assert "00008" in out and protect.load_passwords(tmp_ws)["00008"] not in out
    assert protect.main(["rotate", "99999"]) == 2
    assert "99999" in capsys.readouterr().err


def test_rotate_command_refuses_anything_but_unit_codes_and_names(tmp_ws, monkeypatch, capsys):
    monkeypatch.setenv("CATP_SECRETS_DIR", str(tmp_ws.secrets_dir()))
    monkeypatch.setenv("CATP_PROCESSED_DIR", str(tmp_ws.processed))
    before = protect.passwords_for(tmp_ws, ["00008", U1, U2])
    assert protect.main(["rotate", "00008; touch x"]) == 2
    assert "not a unit of Hanoi" in capsys.readouterr().err
    assert protect.load_passwords(tmp_ws)["00008"] == before["00008"]
    assert protect.main(["rotate", f"{U1} {U2}"]) == 0  # UNIT="00008 00070" arrives as one word
    after = protect.load_passwords(tmp_ws)
    assert after[U1] != before[U1] and after[U2] != before[U2]


def test_make_rotate_passwords_passes_the_unit_as_one_argument_never_to_the_shell(tmp_ws, tmp_path):
    import os
    import sys

    marker = tmp_path / "ran"
    env = os.environ | {
        "CATP_SECRETS_DIR": str(tmp_ws.secrets_dir()),
        "CATP_PROCESSED_DIR": str(tmp_ws.processed),
        "PYTHONPATH": str(PROJECT_ROOT / "src"),
    }
    for hostile in (
        f"00008; touch {marker}",
        f"00008' ; touch '{marker}",
        f"$(shell touch {marker})",
    ):
        done = subprocess.run(
            ["make", "-s", "rotate-passwords", f"UNIT={hostile}", f"PY={sys.executable}", "STAMP="],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0 and "not a unit of Hanoi" in done.stderr, done.stderr
        assert not marker.exists(), hostile


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
    on = packs.build_packs(ws, WEEK, ws.output / "on", "vi", workers=1, units=[U1, U2, U3])
    off = packs.build_packs(
        ws, WEEK, ws.output / "off", "vi", workers=1, units=[U1, U2, U3], plan=PLAIN
    )
    return ws, on, off


def test_unit_packs_are_encrypted_by_default_and_open_with_their_own_password(sealed):
    ws, on, off = sealed
    assert packs.load_plan().unit_packs["encrypt"] is True
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
    shown = packs.overview(on).to_string() + on.units.to_string() + repr(on.seconds)
    for password in passwords.values():
        assert password not in shown
        for path in outputs:
            data = path.read_bytes()
            assert password.encode() not in data
            if path.suffix == ".xlsx":
                plain = open_pack(data, passwords.get(path.name[:5]))
                with zipfile.ZipFile(io.BytesIO(plain)) as z:
                    assert not any(password.encode() in z.read(n) for n in z.namelist())


# --------------------------------------------------------------------------------------------
# A password is never replaced in silence: after the first build, the file must be there whole
# --------------------------------------------------------------------------------------------


def _refused(ws, codes=(U1, U2, U3)) -> str:
    """The one line the packs step stops with; the file is left as it was."""
    path = protect.password_file(ws)
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(protect.PasswordFileError) as caught:
        protect.unit_passwords(ws, packs.load_plan(), codes)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    assert (path.read_bytes() if path.exists() else None) == before
    return message


def test_a_lost_secrets_file_is_not_made_again_once_passwords_were_issued(tmp_ws):
    protect.passwords_for(tmp_ws, [U1])
    protect.password_file(tmp_ws).unlink()
    message = _refused(tmp_ws)
    assert "missing" in message and "make rotate-passwords UNIT=all" in message


def test_a_lost_secrets_file_is_noticed_from_the_published_packs_alone(tmp_ws):
    units = tmp_ws.output_week(WEEK) / "units"
    units.mkdir(parents=True)
    (units / f"{U1}-pack.xlsx").write_bytes(protect.OLE_MAGIC + b"\0" * 64)
    message = _refused(tmp_ws)
    assert str(units) in message


def test_a_unit_whose_line_is_missing_is_not_given_a_new_password(tmp_ws):
    protect.passwords_for(tmp_ws, [U1])
    path = protect.password_file(tmp_ws)
    path.write_text("".join(line for line in path.open() if not line.startswith(U2)), "utf-8")
    message = _refused(tmp_ws)
    assert U2 in message and "UNIT=missing" in message


def test_a_truncated_secrets_file_is_refused_not_read_as_a_short_password(tmp_ws):
    protect.passwords_for(tmp_ws, [U1])
    path = protect.password_file(tmp_ws)
    text = path.read_text("utf-8")
    line = text.index(f"\n{U2},") + 1
    start = text.index(",", text.index(",", line) + 1) + 1
    cut = start + 8  # 'k7dm-4xh': a group, its dash and three more of U2's password
    path.write_text(text[:cut], "utf-8")
    message = _refused(tmp_ws)
    assert "damaged" in message and U2 in message
    # what is left is never quoted; eight random characters, never in the message by chance
    # (two were: 'ba' in 'backup')
    assert text[start:cut] not in message


def test_a_binary_secrets_file_is_refused_naming_it(tmp_ws):
    protect.passwords_for(tmp_ws, [U1])
    protect.password_file(tmp_ws).write_bytes(bytes(range(256)) * 4)
    assert "damaged" in _refused(tmp_ws)


def test_a_secrets_file_other_users_can_read_is_refused(tmp_ws):
    protect.passwords_for(tmp_ws, [U1])
    path = protect.password_file(tmp_ws)
    path.chmod(0o644)
    assert f"chmod 600 {path}" in _refused(tmp_ws)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize("password", ["56", "password12345678", "ABCD-EFGH-JKMN-PRST", "abcd-efhj"])
def test_a_password_too_short_or_not_of_the_generated_form_is_refused(tmp_ws, password):
    protect.passwords_for(tmp_ws, [U1])
    path = protect.password_file(tmp_ws)
    lines = path.read_text("utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(U1))
    code, name, _, created = lines[at].rstrip("\n").split(",")
    lines[at] = f"{code},{name},{password},{created}\n"
    path.write_text("".join(lines), "utf-8")
    message = _refused(tmp_ws)
    assert U1 in message and password not in message


def test_rotating_all_replaces_a_damaged_file_and_missing_fills_only_the_gaps(tmp_ws):
    first = protect.passwords_for(tmp_ws, [U1])
    path = protect.password_file(tmp_ws)
    path.write_text("".join(line for line in path.open() if not line.startswith(U2)), "utf-8")
    assert protect.rotate(tmp_ws, ["missing"]) == [U2]
    kept = protect.load_passwords(tmp_ws)
    assert len(kept) == 126 and kept[U1] == first[U1]
    path.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(protect.PasswordFileError):
        protect.rotate(tmp_ws, [U1])
    assert len(protect.rotate(tmp_ws, ["all"])) == 126
    assert protect.load_passwords(tmp_ws)[U1] != first[U1]


def test_the_packs_step_stops_on_a_damaged_secrets_file_before_writing_a_pack(tmp_path):
    from tests.conftest import make_workspace

    ws = make_workspace(tmp_path)
    write_week(ws)
    protect.passwords_for(ws, [U1])
    path = protect.password_file(ws)
    path.write_text(path.read_text("utf-8")[:-30], "utf-8")
    with pytest.raises(protect.PasswordFileError, match="damaged"):
        packs.build_packs(ws, WEEK, ws.output / "packs", "vi", workers=1, units=[U1, U2, U3])
    assert not list((ws.output / "packs").glob("units/*.xlsx"))


def test_a_run_that_would_reuse_the_packs_still_refuses_a_secrets_file_others_can_read(tmp_ws):
    # unchanged inputs make 05_packs "reused": the step, and so the check, never ran, and a
    # file opened to others passed a night in silence. The run checks it before any step.
    from helpers import runner

    (tmp_ws.raw / WEEK).mkdir(parents=True, exist_ok=True)
    protect.passwords_for(tmp_ws, [U1])
    path = protect.password_file(tmp_ws)
    path.chmod(0o644)
    with pytest.raises(protect.PasswordFileError, match="chmod 600"):
        runner.run(WEEK, ["vi"], tmp_ws, steps=runner.select_steps("05_packs"), echo=lambda _: None)
    assert not (tmp_ws.output / "failed").exists()  # refused before any notebook ran
    path.chmod(0o600)
    path.write_text("unit_code\n", "utf-8")
    with pytest.raises(protect.PasswordFileError, match="damaged"):
        runner.run(WEEK, ["vi"], tmp_ws, steps=runner.select_steps("05_packs"), echo=lambda _: None)
