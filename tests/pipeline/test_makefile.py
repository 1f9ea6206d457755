"""The Makefile: what a user types into a make variable reaches the command as one argument."""

from __future__ import annotations

import json
import os
import re
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


# the stamps emptied: the target runs its command alone, installing nothing
NO_INSTALL = ["STAMP=", "SYNTH_STAMP=", "DEV_STAMP="]


def make(target: str, fake: Path, **variables: str) -> subprocess.CompletedProcess:
    env = os.environ | {"CATP_RAW_DIR": "elsewhere"}  # no sample generated on the way
    env.pop("MAKEFLAGS", None)
    args = [f"{k}={v}" for k, v in variables.items()]
    return subprocess.run(
        ["make", "-s", target, f"PY={fake}", *NO_INSTALL, *args],
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


def dry_run(target: str, tmp_path: Path, **variables: str) -> str:
    """The commands `make target` would run on a machine with no .venv yet."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "CATP_RAW_DIR")}
    args = [f"{k}={v}" for k, v in variables.items()]
    done = subprocess.run(
        ["make", "-n", target, f"VENV={tmp_path / 'venv'}", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def locks_installed(commands: str) -> list[str]:
    return re.findall(r"pip install .*?-r (requirements[\w-]*\.lock)", commands)


@pytest.mark.parametrize(
    ("target", "variables", "locks"),
    [
        ("setup", {}, ["requirements.lock"]),
        ("weekly-report", {"CATP_RAW_DIR": "elsewhere"}, ["requirements.lock"]),
        ("weekly-report", {}, ["requirements.lock", "requirements-synth.lock"]),
        ("sample-data", {}, ["requirements.lock", "requirements-synth.lock"]),
        ("test", {}, ["requirements.lock", "requirements-dev.lock"]),
        ("check", {}, ["requirements.lock", "requirements-dev.lock"]),
        ("lint", {}, ["requirements.lock", "requirements-dev.lock"]),
    ],
)
def test_a_target_installs_only_the_locks_it_needs(tmp_path, target, variables, locks):
    assert locks_installed(dry_run(target, tmp_path, **variables)) == locks


@pytest.mark.parametrize("target", ["setup", "sample-data", "test"])
def test_every_lock_is_installed_checking_its_hashes(tmp_path, target):
    installs = [
        line for line in dry_run(target, tmp_path).splitlines() if re.search(r"-r \S+\.lock", line)
    ]
    assert installs and all("--require-hashes" in line for line in installs), installs


def test_the_kernel_target_registers_the_kernel_for_the_user(tmp_path):
    commands = dry_run("kernel", tmp_path)
    assert re.search(r"-m ipykernel install --user --name catp375\b", commands), commands


def test_a_user_level_kernel_of_another_checkout_does_not_take_over_the_runs(tmp_path):
    """`make kernel` in another clone writes ~/.local/share/jupyter/kernels/catp375 pointing at
    that clone's .venv; a run in this .venv still starts its own kernel (Jupyter prefers the
    environment's kernels inside a virtual environment)."""
    user_kernel = tmp_path / "home" / ".local" / "share" / "jupyter" / "kernels" / "catp375"
    user_kernel.mkdir(parents=True)
    (user_kernel / "kernel.json").write_text(
        json.dumps({"argv": ["/elsewhere/.venv/bin/python"], "display_name": "x", "language": "py"})
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("JUPYTER_") and k not in ("XDG_DATA_HOME",)
    }
    env["HOME"] = str(tmp_path / "home")
    code = (
        "from jupyter_client.kernelspec import KernelSpecManager\n"
        "print(KernelSpecManager().get_kernel_spec('catp375').argv[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() != "/elsewhere/.venv/bin/python"


@pytest.mark.parametrize("target", ["weekly-report", "send-packs", "eval", "forms", "send-forms"])
def test_the_deliveries_folder_in_catp_raw_dir_reaches_the_command(tmp_path, target):
    # CATP_RAW_DIR is a user variable (never exported raw, see USER_VARS): the command read
    # data/raw instead, so a run meant for the real deliveries built the sample's figures.
    seen = tmp_path / "raw.txt"
    fake = tmp_path / "fake-python"
    fake.write_text(
        f"#!{sys.executable}\nimport os\n"
        f"open({str(seen)!r}, 'w').write(os.environ.get('CATP_RAW_DIR', '<unset>'))\n",
        "utf-8",
    )
    fake.chmod(0o755)
    folder = str(tmp_path / "real deliveries 'x' $(y)")
    env = os.environ | {"CATP_RAW_DIR": folder}
    env.pop("MAKEFLAGS", None)
    done = subprocess.run(
        ["make", "-s", target, f"PY={fake}", *NO_INSTALL],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert seen.read_text("utf-8") == folder
