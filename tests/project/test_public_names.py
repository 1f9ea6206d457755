"""A module under src/ uses only the public names of another: no ``from x import _y`` (on one line
or several), no ``x._y`` on an imported module of the project. A name another module needs is
public in the module that owns it, so that renaming a private name is safe inside its module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT

SRC = PROJECT_ROOT / "src"


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def private_uses(name: str, source: str, modules: set[str], is_package: bool = False) -> list[str]:
    """Each use, in module ``name``, of another project module's private name: as
    ``line: from x import _y`` or ``line: x._y (module)``."""
    package = name if is_package else name.rpartition(".")[0]
    tops = {m.split(".")[0] for m in modules}
    tree = ast.parse(source)
    bound: dict[str, str] = {}  # local name -> the project module it names
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(kept) + (f".{base}" if base else "")
            for alias in node.names:
                if is_private(alias.name) and base.split(".")[0] in tops:
                    found.append(f"{node.lineno}: from {base} import {alias.name}")
                if f"{base}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                bound[local] = alias.name if alias.asname else local
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            chain = dotted(node.value)
            if chain is None or chain.split(".")[0] not in bound:
                continue
            first, _, rest = chain.partition(".")
            target = bound[first] + (f".{rest}" if rest else "")
            if target in modules and target != name:
                found.append(f"{node.lineno}: {chain}.{node.attr} ({target})")
    return sorted(found, key=lambda f: int(f.split(":")[0]))


def private_imports_under(root: Path) -> dict[str, list[str]]:
    """Module -> its uses of other modules' private names, for every module under ``root``."""
    paths = {module_name(p, root): p for p in root.rglob("*.py")}
    found = {}
    for name, path in sorted(paths.items()):
        uses = private_uses(
            name, path.read_text("utf-8"), set(paths), is_package=path.name == "__init__.py"
        )
        if uses:
            found[name] = uses
    return found


def test_no_module_uses_another_modules_private_names():
    assert private_imports_under(SRC) == {}


MODULES = {"pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.c"}


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from pkg.a import _x", ["1: from pkg.a import _x"]),
        ("from pkg.a import (\n    public,\n    _x,\n)", ["1: from pkg.a import _x"]),
        ("from . import _x", ["1: from pkg.sub import _x"]),
        ("from ..a import _x as y", ["1: from pkg.a import _x"]),
        ("from pkg import a\na._x()", ["2: a._x (pkg.a)"]),
        ("import pkg.a\npkg.a._X", ["2: pkg.a._X (pkg.a)"]),
        ("import pkg.a as m\nm._x", ["2: m._x (pkg.a)"]),
        ("from pkg import sub\nsub._y", ["2: sub._y (pkg.sub)"]),
        ("import pkg\npkg.a._x", ["2: pkg.a._x (pkg.a)"]),
        ("import pkg.sub.c\npkg.sub.c._mine", []),  # its own private name
        ("from pkg.a import public, __version__", []),
        ("import os\nos._exit(0)", []),  # not a module of the project
        ("from pkg.a import thing\nthing._cache", []),  # not a module
        ("def _mine():\n    pass\n_mine()", []),
    ],
)
def test_the_scan_finds_imported_and_reached_private_names(source, expected):
    assert private_uses("pkg.sub.c", source, MODULES) == expected
