"""A week built again keeps the unit packs whose inputs did not change (helpers.packs.reuse):
the published pack itself, never one whose rows, figures, password or bytes changed."""

from __future__ import annotations

import shutil
from dataclasses import replace

from helpers import store
from helpers.packs import protect
from tests.packs.builders import PLAIN, U1, U2, U3, WEEK, _digest, build, unit_file
from tests.pii import open_pack, unit_password

ENCRYPTED = replace(PLAIN, unit_packs={**PLAIN.unit_packs, "encrypt": True})


def publish(ws, out):
    """What the runner does with a build's unit packs: into the week's folder."""
    target = ws.output_week(WEEK) / "units"
    target.mkdir(parents=True, exist_ok=True)
    for path in (out / "units").glob("*.xlsx"):
        shutil.copy2(path, target / path.name)


def kept(result) -> dict[str, bool]:
    return dict(zip(result.units["unit_code"], result.units["kept"], strict=True))


def test_a_week_built_again_keeps_every_published_pack(week_ws, tmp_path):
    first = build(week_ws, tmp_path / "a")
    assert not first.units["kept"].any()
    publish(week_ws, tmp_path / "a")
    again = build(week_ws, tmp_path / "b")
    assert kept(again) == {U1: True, U2: True, U3: True}
    for code in (U1, U2, U3):
        assert _digest(unit_file(tmp_path / "b", code)) == _digest(unit_file(tmp_path / "a", code))
    # the table of the build says what each pack holds, as when it was written
    columns = [c for c in first.units.columns if c.startswith("rows_") or c in ("file", "bytes")]
    assert again.units[columns].equals(first.units[columns])


def test_only_the_unit_whose_figures_changed_is_built_again(week_ws, tmp_path):
    build(week_ws, tmp_path / "a")
    publish(week_ws, tmp_path / "a")
    progress = store.load(week_ws, "unit_progress", WEEK)
    progress.loc[progress["unit_code"] == U1, "veh_gain_week"] += 1
    store.save(week_ws, progress, "unit_progress", WEEK)
    again = build(week_ws, tmp_path / "b")
    assert kept(again) == {U1: False, U2: True, U3: True}


def test_a_unit_whose_rows_changed_is_built_again(week_ws, tmp_path):
    build(week_ws, tmp_path / "a")
    publish(week_ws, tmp_path / "a")
    licences = store.load(week_ws, "licence_status", WEEK)
    licences.loc[licences["unit_code"] == U2, "holder_name"] = "Trần Thị Mới"
    store.save(week_ws, licences, "licence_status", WEEK)
    again = build(week_ws, tmp_path / "b")
    assert kept(again) == {U1: True, U2: False, U3: True}


def test_a_published_pack_with_other_bytes_is_not_kept(week_ws, tmp_path):
    build(week_ws, tmp_path / "a")
    publish(week_ws, tmp_path / "a")
    other = unit_file(week_ws.output_week(WEEK), U3)
    other.write_bytes(other.read_bytes() + b"\0")
    again = build(week_ws, tmp_path / "b")
    assert kept(again) == {U1: True, U2: True, U3: False}


def test_a_rotated_password_gives_the_unit_a_new_pack(week_ws, tmp_path):
    build(week_ws, tmp_path / "a", plan=ENCRYPTED)
    publish(week_ws, tmp_path / "a")
    protect.rotate(week_ws, [U2])
    again = build(week_ws, tmp_path / "b", plan=ENCRYPTED)
    assert kept(again) == {U1: True, U2: False, U3: True}
    data = unit_file(tmp_path / "b", U2).read_bytes()
    assert open_pack(data, unit_password(week_ws, U2))[:2] == b"PK"
    assert not protect.opens_with(
        unit_file(week_ws.output_week(WEEK), U2), unit_password(week_ws, U2)
    )


def test_turning_encryption_on_builds_every_pack_again(week_ws, tmp_path):
    build(week_ws, tmp_path / "a")
    publish(week_ws, tmp_path / "a")
    again = build(week_ws, tmp_path / "b", plan=ENCRYPTED)
    assert not again.units["kept"].any()
    assert protect.is_encrypted(unit_file(tmp_path / "b", U1).read_bytes())


def test_forced_build_writes_every_pack_anew(week_ws, tmp_path):
    build(week_ws, tmp_path / "a")
    publish(week_ws, tmp_path / "a")
    again = build(week_ws, tmp_path / "b", keep_unchanged=False)
    assert not again.units["kept"].any()
    assert (
        not (tmp_path / "b" / "units")
        .joinpath(unit_file(tmp_path, U1).name)
        .samefile(unit_file(week_ws.output_week(WEEK), U1))
    )
