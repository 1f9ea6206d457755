"""pyproject.toml and the locks: what is imported is declared, what is declared is used, and the
runtime lock holds the runtime only (hashed, at the same versions as the other locks)."""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))["project"]
SRC = PROJECT_ROOT / "src" / "helpers"
GENERATOR = PROJECT_ROOT / "src" / "synth"  # with measure, the only code that may use `synth`
MEASURE = PROJECT_ROOT / "src" / "measure"  # make bench / make eval install the synth extra
LOCKS = {
    "runtime": PROJECT_ROOT / "requirements.lock",
    "synth": PROJECT_ROOT / "requirements-synth.lock",
    "dev": PROJECT_ROOT / "requirements-dev.lock",
}

# import name -> distribution, where they differ (the rest: the same name, normalised)
DISTRIBUTION_OF = {
    "IPython": "ipython",
    "yaml": "pyyaml",
    "msoffcrypto": "msoffcrypto-tool",
}
# declared but never imported: what uses them instead
USED_WITHOUT_IMPORT = {
    "jupyterlab": "make lab",
    "ipykernel": "the catp375 kernel Papermill runs the notebooks on",
    "pytest-xdist": "make test's -n (a pytest plugin)",
    "ruff": "make check / lint / format",
    "mypy": "make check",
    "types-pyyaml": "mypy's stubs for yaml",
    "nbstripout": "the pre-commit hook",
    "pre-commit": ".pre-commit-config.yaml",
    "pip-tools": "make lock",
}
OWN = {"helpers", "synth", "measure", "tests"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalise(re.match(r"[A-Za-z0-9_.\-]+", requirement)[0])


def declared(*groups: str) -> set[str]:
    names = set(map(requirement_name, PYPROJECT["dependencies"]))
    for group in groups:
        names |= set(map(requirement_name, PYPROJECT["optional-dependencies"][group]))
    return names


def top_level_imports(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def notebook_source(path: Path) -> str:
    """The code cells, without IPython's magics and shell lines (not Python)."""
    cells = json.loads(path.read_text("utf-8"))["cells"]
    lines = [
        line
        for cell in cells
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if not line.lstrip().startswith(("%", "!"))
    ]
    return "\n".join(lines)


def distributions_imported(files: list[Path]) -> dict[str, set[str]]:
    """distribution -> the files importing it (the standard library and our own left out)."""
    used: dict[str, set[str]] = {}
    for path in files:
        text = notebook_source(path) if path.suffix == ".ipynb" else path.read_text("utf-8")
        for name in top_level_imports(text) - OWN:
            if name not in sys.stdlib_module_names:
                dist = normalise(DISTRIBUTION_OF.get(name, name))
                used.setdefault(dist, set()).add(path.relative_to(PROJECT_ROOT).as_posix())
    return used


RUNTIME_CODE = sorted(SRC.rglob("*.py")) + sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
GENERATOR_CODE = sorted(GENERATOR.rglob("*.py")) + sorted(MEASURE.rglob("*.py"))
DEVELOPMENT_CODE = sorted((PROJECT_ROOT / "tests").rglob("*.py")) + sorted(
    (PROJECT_ROOT / "tools").rglob("*.py")
)


@pytest.mark.parametrize(
    ("code", "groups"),
    [(RUNTIME_CODE, ()), (GENERATOR_CODE, ("synth",)), (DEVELOPMENT_CODE, ("synth", "dev"))],
    ids=["src-and-notebooks-runtime", "generator-synth", "tests-and-tools-dev"],
)
def test_every_import_is_declared_in_pyproject(code, groups):
    assert code, "no files found"
    undeclared = {
        dist: sorted(files)
        for dist, files in distributions_imported(code).items()
        if dist not in declared(*groups)
    }
    assert undeclared == {}, "imported but not declared in pyproject.toml"


def test_every_declared_dependency_is_imported_or_its_use_said():
    imported = set(distributions_imported(RUNTIME_CODE + GENERATOR_CODE + DEVELOPMENT_CODE))
    unused = declared("synth", "dev") - imported - set(USED_WITHOUT_IMPORT)
    assert unused == set(), "declared in pyproject.toml but imported nowhere"
    assert set(USED_WITHOUT_IMPORT) <= declared("synth", "dev")


def test_the_generator_extra_is_not_in_the_runtime_dependencies():
    assert "isal" not in declared()
    assert "isal" in declared("synth")


def pins(lock: Path) -> dict[str, str]:
    text = lock.read_text("utf-8")
    return {
        normalise(m["name"]): m["version"]
        for m in re.finditer(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[^\s\\;]+)", text, re.M)
    }


def test_the_runtime_lock_holds_no_development_or_generator_package():
    runtime = pins(LOCKS["runtime"])
    only_elsewhere = {
        "pytest",
        "pytest-xdist",
        "mypy",
        "ruff",
        "hypothesis",
        "aiosmtpd",
        "pypdf",
        "isal",
    }
    assert only_elsewhere & set(runtime) == set()
    assert declared() <= set(runtime)


@pytest.mark.parametrize(("lock", "groups"), [("synth", ("synth",)), ("dev", ("synth", "dev"))])
def test_each_lock_pins_what_its_extras_declare(lock, groups):
    assert declared(*groups) <= set(pins(LOCKS[lock]))


def test_the_locks_agree_and_each_adds_to_the_one_before():
    runtime, synth, dev = (pins(LOCKS[k]) for k in ("runtime", "synth", "dev"))
    assert runtime.items() <= synth.items()
    assert synth.items() <= dev.items()


@pytest.mark.parametrize("lock", list(LOCKS))
def test_every_pinned_package_carries_hashes(lock):
    # a requirement spans its line and the `--hash` continuation lines that follow it
    entries = re.split(r"\n(?=[A-Za-z0-9])", LOCKS[lock].read_text("utf-8"))
    unhashed = [e.split()[0] for e in entries if "==" in e.split()[0] and "--hash=sha256:" not in e]
    assert unhashed == []
