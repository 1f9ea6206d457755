"""One spelling in code: identifiers say "organisation" (the house's British spelling, as
"licence"). Names in the data contract (the ``organizations`` table, the ``organization``
owner kind) are delivered names and stay as delivered: they are strings, not identifiers."""

from __future__ import annotations

import io
import json
import tokenize

from helpers.paths import PROJECT_ROOT


def american_identifiers(source: str) -> list[str]:
    """Names (not strings or comments) in Python ``source`` spelled "organization"."""
    return [
        tok.string
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.NAME and "organization" in tok.string.lower()
    ]


def test_no_identifier_in_the_code_or_notebooks_spells_organization_with_a_z():
    found = []
    for path in sorted((PROJECT_ROOT / "src").rglob("*.py")):
        found += [f"{path.name}: {n}" for n in american_identifiers(path.read_text("utf-8"))]
    for path in sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text("utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        code = "\n".join(line for line in code.splitlines() if not line.startswith("%"))
        found += [f"{path.name}: {n}" for n in american_identifiers(code)]
    assert found == []


def test_a_delivered_name_in_a_string_is_not_an_identifier():
    source = 'organisations = load("organizations")\nkind = "organization"\n'
    assert american_identifiers(source) == []
    assert american_identifiers("organizations = 1\n") == ["organizations"]
