"""No stage imports a later stage: ingest, reconcile, progress, briefing, packs, sending run in
that order, and a stage's code may use what an earlier stage owns, never what a later one does
(the briefing would otherwise change when the packs' layout changes). Modules outside the order
(the runner, the pipeline declaration, evaluate, bench, synth and the shared modules: paths,
config, store, schemas, i18n, statuses, units, normalize, …) are not checked."""

from __future__ import annotations

import pytest

from tests.project.test_import_graph import import_graph

# Stage -> the packages (or top-level modules) that make it, in the order the week runs them.
STAGES: dict[str, tuple[str, ...]] = {
    "ingest": ("helpers.ingest",),
    "reconcile": ("helpers.reconcile",),
    "progress": ("helpers.progress",),
    "briefing": ("helpers.briefing",),
    "packs": ("helpers.packs",),
    "sending": ("helpers.sending",),
}
ORDER = list(STAGES)


def stage_of(module: str) -> str | None:
    """The stage whose package holds ``module``; None for a module outside the stage order."""
    for stage, packages in STAGES.items():
        if any(module == p or module.startswith(f"{p}.") for p in packages):
            return stage
    return None


def later_stage_imports(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a later stage's module, as ``importer (stage) -> imported (stage)``."""
    found = []
    for module, imported in sorted(graph.items()):
        own = stage_of(module)
        if own is None:
            continue
        for other in sorted(imported):
            theirs = stage_of(other)
            if theirs is not None and ORDER.index(theirs) > ORDER.index(own):
                found.append(f"{module} ({own}) -> {other} ({theirs})")
    return found


def test_no_stage_imports_a_later_stage():
    assert later_stage_imports(import_graph()) == []


@pytest.mark.parametrize(
    "module, stage",
    [
        ("helpers.packs.unit", "packs"),
        ("helpers.packs.protect", "packs"),
        ("helpers.sending", "sending"),
        ("helpers.progress.week", "progress"),
        ("helpers.excelsior", None),
        ("helpers.store", None),
        ("synth.world", None),
    ],
)
def test_a_module_belongs_to_the_stage_of_its_package(module, stage):
    assert stage_of(module) == stage


def test_an_earlier_stage_imported_by_a_later_one_is_allowed_and_the_reverse_is_found():
    graph = {
        "helpers.packs.unit": {"helpers.progress", "helpers.store"},
        "helpers.briefing.data": {"helpers.packs.build"},
        "helpers.runner": {"helpers.sending"},
    }
    assert later_stage_imports(graph) == [
        "helpers.briefing.data (briefing) -> helpers.packs.build (packs)"
    ]
