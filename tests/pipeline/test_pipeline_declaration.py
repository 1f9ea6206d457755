"""The pipeline declared once (helpers.pipeline): the store holds each step to it, the
incremental keys hash what it declares, docs/architecture.md agrees with it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from helpers import PipelineError, config, incremental, paths, pipeline, runner, schemas, store
from helpers.incremental import Hashes
from helpers.paths import NOTEBOOKS_DIR

WEEK = "2025-11-23"
TABLES = set(schemas.CONTRACTS) | {pipeline.LEDGER}


def _table(name: str) -> pd.DataFrame:
    return schemas.complete(name, pd.DataFrame())


# --------------------------------------------------------------------------------------------
# the store refuses what the running step does not declare
# --------------------------------------------------------------------------------------------


def test_a_step_saving_a_table_it_does_not_declare_fails_naming_step_table_and_writer(tmp_ws):
    with pipeline.running("02_reconcile"), pytest.raises(PipelineError) as caught:
        store.save(tmp_ws, _table("talking_points"), "talking_points", WEEK)
    message = str(caught.value)
    assert "step 02_reconcile does not declare that it writes the table 'talking_points'" in message
    assert "written by 03_progress" in message and "src/helpers/pipeline.py" in message
    assert not store.table_path(tmp_ws, "talking_points", WEEK).exists()


def test_a_step_loading_a_table_it_does_not_declare_fails(tmp_ws):
    store.save(tmp_ws, _table("talking_points"), "talking_points", WEEK)  # no step: no check
    with pipeline.running("02_reconcile"), pytest.raises(PipelineError, match="reads the table"):
        store.load(tmp_ws, "talking_points", WEEK)


def test_a_step_reaching_an_undeclared_table_by_path_or_query_fails(tmp_ws):
    con = store.duckdb_connect(threads=1)
    target = store.table_path(tmp_ws, "leaders", WEEK)
    with pipeline.running("04_briefing"):
        with pytest.raises(PipelineError, match="reads the table 'group_progress'"):
            store.table_path(tmp_ws, "group_progress", WEEK)  # DuckDB reads by path
        with pytest.raises(PipelineError, match="writes the table 'leaders'"):
            store.query_to_parquet(con, "SELECT 1 AS x", target, contract="leaders")
        with pytest.raises(PipelineError, match=r"reads the table 'ledger\.json'"):
            with pipeline.running("02_reconcile"):
                store.load_json(tmp_ws, "ledger", WEEK)


def test_a_step_reads_and_writes_what_it_declares_and_with_no_step_nothing_is_checked(tmp_ws):
    with pipeline.running("03_progress"):
        store.save(tmp_ws, _table("unit_progress"), "unit_progress", WEEK)
        store.load(tmp_ws, "unit_progress", WEEK)  # its own (earlier weeks: the history)
    with pipeline.running("04_briefing"):
        store.load(tmp_ws, "unit_progress", WEEK)
    assert pipeline.current() is None
    store.save(tmp_ws, _table("leaders"), "leaders", WEEK)  # an analyst, a test


def test_a_function_run_as_a_step_is_that_step_while_it_runs():
    seen = []
    probe = pipeline.runs("03_progress")(lambda: seen.append(pipeline.current()))
    probe()
    assert seen == [pipeline.step("03_progress")] and pipeline.current() is None


@pytest.mark.parametrize(
    ("entry", "name"),
    [
        ("helpers.ingest:ingest_week", "01_ingest"),
        ("helpers.reconcile:reconcile_week", "02_reconcile"),
        ("helpers.progress:progress_week", "03_progress"),
        ("helpers.briefing:load_briefing_data", "04_briefing"),
        ("helpers.packs:build_packs", "05_packs"),
    ],
)
def test_each_stage_entry_function_runs_as_its_step(entry, name):
    assert runner._call(entry).__pipeline_step__ == name


# --------------------------------------------------------------------------------------------
# the declaration holds together
# --------------------------------------------------------------------------------------------


def test_the_runner_runs_the_declared_steps_in_order():
    assert runner.PIPELINE is pipeline.PIPELINE
    assert [s.name for s in pipeline.PIPELINE] == sorted(s.name for s in pipeline.PIPELINE)
    for step in pipeline.PIPELINE:
        assert (NOTEBOOKS_DIR / f"{step.name}.ipynb").is_file()


def test_every_table_has_one_writer_and_is_read_only_after_it_is_written():
    written: list[str] = [t for s in pipeline.PIPELINE for t in s.writes]
    assert sorted(written) == sorted(set(written)), "a table written by two steps"
    assert set(written) == TABLES
    before: set[str] = set()
    for step in pipeline.PIPELINE:
        assert set(step.reads) <= before, f"{step.name} reads what no earlier step wrote"
        before |= set(step.writes)


def test_the_declared_configuration_exists():
    known = config._known_keys()
    assert set(pipeline.CAMPAIGN) == set(known), "a section of plan.yaml no step can declare"
    for step in pipeline.PIPELINE:
        assert set(step.plan_sections()) <= set(known)
        for name in step.config:
            incremental.config_hash(paths.workspace(), name, Hashes())
        for template in step.templates:
            assert (paths.TEMPLATES_DIR / template).exists(), template


def test_the_stages_constants_are_look_ups_into_the_declaration():
    from helpers import ingest, packs, progress, reconcile
    from helpers.progress.final import FINAL_TABLES

    assert ingest.SOURCE_NAMES == pipeline.SOURCES
    assert set(pipeline.step("01_ingest").writes) == {
        *ingest.SOURCE_NAMES,
        "rejects",
        "ledger.json",
    }
    assert reconcile.INPUT_TABLES == pipeline.step("02_reconcile").reads
    assert reconcile.OUTPUT_TABLES == pipeline.step("02_reconcile").writes
    assert (*progress.OUTPUT_TABLES, *FINAL_TABLES) == pipeline.step("03_progress").writes
    assert set(packs.RECORD_TABLES) <= set(pipeline.step("04_briefing").reads)
    assert set(packs.UNIT_TABLES) <= set(pipeline.step("05_packs").reads)


# --------------------------------------------------------------------------------------------
# the incremental key hashes what a step declares
# --------------------------------------------------------------------------------------------


def _keys(ws) -> dict[str, str]:
    hashes = Hashes()
    return {
        step.name: incremental.digest(
            incremental.step_inputs(
                ws,
                WEEK,
                notebook=NOTEBOOKS_DIR / f"{step.name}.ipynb",
                lang=None,
                spec=step,
                not_inputs=(),
                hashes=hashes,
                code={},
            )
        )
        for step in pipeline.PIPELINE
    }


def _copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text("utf-8")
    assert old in text, old
    target = tmp_path / source.name
    target.write_text(text.replace(old, new), "utf-8")
    return target


def test_a_step_key_changes_only_with_the_configuration_it_declares(tmp_ws, tmp_path, monkeypatch):
    (tmp_ws.raw / WEEK).mkdir(parents=True)
    first = _keys(tmp_ws)
    sending = _copy(tmp_path, paths.SENDING_FILE, 'host: ""', 'host: "mail.example.org"')
    monkeypatch.setenv("CATP_SENDING_FILE", str(sending))
    plan = _copy(tmp_path, paths.PLAN_FILE, "targets:\n", "# a comment\ntargets:\n")
    monkeypatch.setenv("CATP_PLAN_FILE", str(plan))
    assert _keys(tmp_ws) == first  # an SMTP host, a comment: no step's input
    _copy(tmp_path, paths.PLAN_FILE, "vehicles_cleaned_share: 1.0", "vehicles_cleaned_share: 0.9")
    changed = {name for name, key in _keys(tmp_ws).items() if key != first[name]}
    assert changed == {"03_progress", "04_briefing", "05_packs"}
    packs = _copy(tmp_path, paths.PACKS_FILE, "full_ids: false", "full_ids: true")
    monkeypatch.setenv("CATP_PACKS_FILE", str(packs))
    again = _keys(tmp_ws)
    monkeypatch.delenv("CATP_PACKS_FILE")
    assert {n for n, k in again.items() if k != _keys(tmp_ws)[n]} == {"05_packs"}


def test_a_step_key_holds_only_the_processed_tables_it_declares(tmp_ws):
    (tmp_ws.raw / WEEK).mkdir(parents=True)
    first = _keys(tmp_ws)
    store.save(tmp_ws, _table("rejects"), "rejects", WEEK)  # read by the briefing and packs
    changed = {name for name, key in _keys(tmp_ws).items() if key != first[name]}
    assert changed == {"04_briefing", "05_packs"}


# --------------------------------------------------------------------------------------------
# docs/architecture.md agrees with the declaration
# --------------------------------------------------------------------------------------------

ARCHITECTURE = paths.PROJECT_ROOT / "docs" / "architecture.md"


def _stage_rows(text: str) -> dict[str, list[str]]:
    """The stage table's row of each pipeline step (by its notebook): its cells."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5:
            continue
        for step in pipeline.PIPELINE:
            if f"`{step.name}`" in cells[1]:
                rows[step.name] = cells
    return rows


def _named_tables(cell: str) -> set[str]:
    return {n for n in re.findall(r"`([a-z_.]+)`", cell) if n in TABLES}


@pytest.mark.parametrize("step", pipeline.PIPELINE, ids=lambda s: s.name)
def test_the_architecture_stage_table_lists_what_each_step_reads_and_writes(step):
    rows = _stage_rows(ARCHITECTURE.read_text("utf-8"))
    assert step.name in rows, f"docs/architecture.md: no row of the stage table for {step.name}"
    _stage, _notebook, _code, reads, writes = rows[step.name]
    assert _named_tables(reads) == set(step.reads), (
        f"docs/architecture.md, stage {step.name}: reads "
        f"{sorted(_named_tables(reads) ^ set(step.reads))} disagree with helpers.pipeline"
    )
    assert _named_tables(writes) == set(step.writes), (
        f"docs/architecture.md, stage {step.name}: writes "
        f"{sorted(_named_tables(writes) ^ set(step.writes))} disagree with helpers.pipeline"
    )


def test_the_architecture_page_describes_each_table_under_the_step_that_writes_it():
    text = ARCHITECTURE.read_text("utf-8")
    section = text[text.index("## Processed tables") :]
    section = section[: section.index("\n## ", 1)]
    where: dict[str, str] = {}
    heading = ""
    for line in section.splitlines():
        if line.startswith("#"):
            heading = line
        match = re.match(r"^- `([a-z_.]+)`", line)
        if match and match.group(1) in TABLES:
            where[match.group(1)] = heading
    assert set(where) == TABLES
    for table, under in where.items():
        stage = pipeline.writer_of(table).stage
        if table in pipeline.FINAL_TABLES:
            assert under.startswith("#### The campaign summary"), table
        else:
            assert under == f"### Written by {stage}", f"{table} is described under {under!r}"
