"""The Makefile: what a user types into a make variable reaches the command as one argument."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT


def hostile_values(marker: Path) -> list[str]:
    """Values that would run `touch marker` if make or the shell read them as code."""
    return [
        f'x"; touch {marker}; echo "',
        f"x' ; touch '{marker}",
        f"$(shell touch {marker})",
        f"$$(touch {marker})",
        f"`touch {marker}`",
        f"x $(touch {marker}) y",
    ]


@pytest.fixture
def argv_file(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in for the venv's python that writes the arguments it was given to a file."""
    out = tmp_path / "argv.json"
    fake = tmp_path / "fake-python"
    fake.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(out)!r}, 'w').write(json.dumps(sys.argv[1:]))\n",
        "utf-8",
    )
    fake.chmod(0o755)
    return fake, out


def make(target: str, fake: Path, **variables: str) -> subprocess.CompletedProcess:
    env = os.environ | {"CATP_RAW_DIR": "elsewhere"}  # no sample generated on the way
    env.pop("MAKEFLAGS", None)
    args = [f"{k}={v}" for k, v in variables.items()]
    return subprocess.run(
        ["make", "-s", target, f"PY={fake}", "STAMP=", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("target", "variable", "option"),
    [
        ("weekly-report", "WEEK", "--week"),
        ("weekly-report", "REPORT_LANG", "--lang"),
        ("send-packs", "WEEK", "--week"),
        ("send-packs", "UNIT", "--units"),
        ("rotate-passwords", "UNIT", "rotate"),
        ("eval", "WEEK", "--week"),
        ("bench", "SCENARIO", "--scenario"),
        ("bench", "SCALE", "--scale"),
        ("bench", "STAGES", "--stages"),
        ("bench", "RUNS", "--runs"),
        ("bench", "RAW_DIR", "--raw-dir"),
    ],
)
def test_a_user_variable_reaches_the_command_as_one_argument_never_as_code(
    tmp_path, argv_file, target, variable, option
):
    fake, out = argv_file
    marker = tmp_path / "pwned"
    for value in hostile_values(marker):
        out.unlink(missing_ok=True)
        done = make(target, fake, **{variable: value})
        assert done.returncode == 0, done.stderr
        assert not marker.exists(), value
        argv = json.loads(out.read_text("utf-8"))
        assert argv[argv.index(option) + 1] == value, (value, argv)


@pytest.mark.parametrize(
    "variable", ["WAIT", "FORCE", "ACCEPT", "ANY_WEEK", "DRY_RUN", "CATP_RAW_DIR"]
)
def test_a_switch_variable_holding_code_runs_nothing(tmp_path, argv_file, variable):
    fake, out = argv_file
    marker = tmp_path / "pwned"
    target = "send-packs" if variable == "DRY_RUN" else "weekly-report"
    for value in hostile_values(marker):
        done = make(target, fake, **{variable: value})
        assert not marker.exists(), (value, done.stderr)


def test_the_switches_still_switch(argv_file):
    fake, out = argv_file
    switches = dict(WAIT="1", FORCE="yes", ACCEPT="true", ANY_WEEK="1")
    assert make("weekly-report", fake, **switches).returncode == 0
    argv = json.loads(out.read_text("utf-8"))
    assert {"--wait", "--force", "--accept", "--any-week"} <= set(argv)
    assert make("weekly-report", fake, WAIT="0", FORCE="0").returncode == 0
    said = set(json.loads(out.read_text("utf-8")))
    assert not {"--wait", "--force", "--accept", "--any-week"} & said


def test_help_lists_every_target_with_its_description_in_one_column(argv_file):
    fake, _ = argv_file
    lines = make("help", fake).stdout.splitlines()
    names = [line.split()[0] for line in lines if not line.startswith("   ")]
    assert "rotate-passwords" in names and "weekly-report" in names  # the longest, the widest
    width = max(len(name) for name in names)
    # every description (and its continuation lines) starts in the same column
    assert {len(line) - len(line[2 + width :].lstrip(" ")) for line in lines} == {4 + width}
    assert max(len(line) for line in lines) <= 100
