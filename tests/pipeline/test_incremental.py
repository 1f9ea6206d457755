"""Incremental runs (helpers.incremental, helpers.ingest.reuse): unchanged work is reused.

The end-to-end tests share one copy of the generated sample's deliveries and run the real
runner (Papermill, real notebooks) on it, in the unit packs' language only; each test starts
from whatever the previous one left and says what it needs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time

import pandas as pd
import pytest

from helpers import i18n, incremental, ingest, runner, store
from helpers.incremental import Hashes, link_or_copy
from helpers.paths import NOTEBOOKS_DIR, PLAN_FILE, SENDING_FILE, Workspace
from tests.conftest import SAMPLE_WEEK, make_workspace, recorded_files_exist

WEEK = SAMPLE_WEEK
ALL = ["01_ingest", "02_reconcile", "03_progress", "04_briefing", "05_packs"]
UP_TO_BRIEFING = ",".join(ALL[:4])

# --------------------------------------------------------------------------------------------
# The pieces
# --------------------------------------------------------------------------------------------


def test_hashes_are_remembered_and_follow_a_changed_byte(tmp_path):
    ws = make_workspace(tmp_path)
    path = tmp_path / "file.bin"
    path.write_bytes(b"abc")
    hashes = Hashes(ws)
    first = hashes.of(path)
    hashes.save()
    assert Hashes(ws).known[str(path)][3] == first
    path.write_bytes(b"abd")
    assert Hashes(ws).of(path) == incremental.sha256(path) != first


def _rewrite_keeping_size_and_times(path, content: bytes) -> None:
    """What `cp -p` of a corrected file, or an edit whose time is put back, leaves: the same
    size, modification time and inode, other bytes."""
    st = path.stat()
    assert len(content) == st.st_size
    with path.open("r+b") as fh:  # in place: the inode stays
        fh.write(content)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        st.st_size,
        st.st_mtime_ns,
        st.st_ino,
    )


def test_a_file_rewritten_with_its_size_and_times_kept_is_hashed_again(tmp_path):
    ws = make_workspace(tmp_path)
    path = tmp_path / "registry.csv"
    path.write_bytes(b"plate,owner\n30A-12345,1\n")
    hashes = Hashes(ws)
    first = hashes.of(path)
    hashes.save()
    _rewrite_keeping_size_and_times(path, b"plate,owner\n30A-12345,2\n")
    assert Hashes(ws).of(path) == incremental.sha256(path) != first


def test_a_moved_change_time_alone_rereads_fast_but_keeps_the_sha256(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path)
    path = tmp_path / "pack.xlsx"
    path.write_bytes(b"x" * 1000)
    hashes = Hashes(ws)
    first = hashes.of(path)
    hashes.save()
    os.link(path, tmp_path / "linked.xlsx")  # what carrying a reused file does: ctime moves
    calls = []
    monkeypatch.setattr(incremental, "sha256", lambda p: calls.append(p) or "recomputed")
    again = Hashes(ws)
    assert again.of(path) == first and calls == []
    again.save()
    assert Hashes(ws).of(path) == first and calls == []  # the new change time remembered


def test_code_version_changes_with_an_edited_module_or_the_package_version(tmp_path, monkeypatch):
    copy = tmp_path / "helpers"
    shutil.copytree(incremental.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(incremental, "CODE_DIRS", (copy,))
    before = incremental.code_version()
    module = copy / "statuses.py"
    module.write_text(module.read_text("utf-8") + "\n# edited\n", "utf-8")
    edited = incremental.code_version()
    assert edited["source"] != before["source"]
    real = incremental.package_versions
    monkeypatch.setattr(
        incremental,
        "package_versions",
        lambda: real() | {incremental.PACKAGE_NAME: "99.0.0"},
    )
    assert incremental.code_version()["package"] == "99.0.0"
    assert incremental.digest(incremental.code_version()) != incremental.digest(edited)


def test_a_linked_table_survives_a_rewrite_of_the_week_it_was_linked_from(tmp_path):
    """Writers replace files by rename (store.atomic_write): the other link keeps its bytes."""
    ws = make_workspace(tmp_path)
    df = pd.DataFrame({"week": ["one"]})
    earlier = store.atomic_write(
        ws.processed_week("2025-11-17") / "t.parquet", lambda tmp: df.to_parquet(tmp)
    )
    later = ws.processed_week(WEEK) / "t.parquet"
    link_or_copy(earlier, later)
    store.atomic_write(earlier, lambda tmp: df.assign(week="two").to_parquet(tmp))
    assert pd.read_parquet(later)["week"].tolist() == ["one"]
    assert pd.read_parquet(earlier)["week"].tolist() == ["two"]


def test_a_key_remembered_after_an_edit_during_the_run_makes_the_next_run_redo_it():
    before = {"code": "a", "config:plan": "p", "processed": "x"}
    assert incremental.recorded_key(before, before | {"processed": "y"}) != ""
    assert incremental.recorded_key(before, before | {"config:secrets": "s"}) != ""
    assert incremental.recorded_key(before, before | {"config:plan": "q"}) == ""


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "reused from the ingest of 17/11/2025"),
        ("vi", "dùng lại kết quả nhập của tuần 17/11/2025"),
    ],
)
def test_the_source_table_says_which_week_a_reused_source_was_parsed_in(lang, said):
    entry = {
        "file": "f.csv",
        "rows_read": 1,
        "rows_accepted": 1,
        "rows_rejected": 0,
        "rows_skipped": {},
        "balanced": True,
    }
    ledger = {
        "files": [entry | {"source": "population"}, entry | {"source": "submissions"}],
        "sources": {
            "population": {"delivery": "2025-11-17", "reused_from": "2025-11-17"},
            "submissions": {"delivery": WEEK, "reused_from": None},
        },
    }
    table = ingest.source_table(ledger, lang)
    read = table[i18n.t("ingest.read", lang)].tolist()
    assert read[0].startswith(said)
    assert read[1] == i18n.t("ingest.parsed", lang)


# --------------------------------------------------------------------------------------------
# Through the runner, on the sample
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inc_ws(sample_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The sample's deliveries in a workspace of their own, with its own passwords."""
    root = tmp_path_factory.mktemp("incremental")
    ws = make_workspace(root)
    shutil.rmtree(ws.raw)
    shutil.copytree(sample_ws.raw, ws.raw)
    return ws


def run(ws: Workspace, steps: str = "", **kwargs) -> dict:
    """One run of the real runner; returns its manifest."""
    lines: list[str] = []
    final = runner.run(
        WEEK, ["vi"], ws, steps=runner.select_steps(steps), echo=lines.append, **kwargs
    )
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    manifest["console"] = lines
    return manifest


def statuses(manifest: dict) -> dict[str, str]:
    return {s["step"]: s["status"] for s in manifest["steps"]}


def ledger_reuse(ws: Workspace) -> dict[str, str | None]:
    ledger = json.loads((ws.processed_week(WEEK) / "ledger.json").read_text("utf-8"))
    return {source: done["reused_from"] for source, done in ledger["sources"].items()}


def tables(ws: Workspace) -> dict[str, pd.DataFrame]:
    """Every processed table of the week, rows in one order (DuckDB's order may vary)."""
    out = {}
    for path in sorted(ws.processed_week(WEEK).glob("*.parquet")):
        df = pd.read_parquet(path).astype(str)  # lists and categories compared as text
        out[path.stem] = df.sort_values(list(df.columns), ignore_index=True)
    return out


def briefing_text(ws: Workspace) -> str:
    """The PDF's text without the time it was generated (WeasyPrint's PDF also embeds its
    creation date in the file, so the bytes of two builds never compare equal)."""
    from pypdf import PdfReader

    pdf = ws.output_week(WEEK) / f"briefing-{WEEK}-vi.pdf"
    text = "\n".join(p.extract_text() or "" for p in PdfReader(str(pdf)).pages)
    return re.sub(r"\d{2}:\d{2} \d{2}/\d{2}/\d{4}", "<generated at>", text)


@pytest.mark.slow
def test_rerun_with_nothing_changed_runs_no_step_and_is_fast(inc_ws):
    run(inc_ws)  # the first run, or whatever the earlier tests left made current again
    pdf = inc_ws.output_week(WEEK) / f"briefing-{WEEK}-vi.pdf"
    built = pdf.read_bytes()
    t0 = time.perf_counter()
    manifest = run(inc_ws)
    seconds = time.perf_counter() - t0
    assert statuses(manifest) == dict.fromkeys(ALL, "reused")
    assert seconds < 15  # ~2 s on a quiet machine: hashes and links only
    assert pdf.read_bytes() == built
    assert "[1/5] 01_ingest: reused (inputs unchanged since run" in manifest["console"][0]
    files = {f["path"]: f for f in manifest["files"]}
    assert files[pdf.name]["run"] != manifest["run"]  # made by the run it was reused from
    assert files[pdf.name]["steps"] == ["04_briefing-vi"]
    assert all(s["key"] for s in manifest["steps"])


@pytest.mark.slow
def test_forced_run_reruns_everything_and_equals_the_reused_run(inc_ws):
    run(inc_ws, UP_TO_BRIEFING)
    reused = run(inc_ws, UP_TO_BRIEFING)
    assert set(statuses(reused).values()) == {"reused"}
    kept_tables, kept_text = tables(inc_ws), briefing_text(inc_ws)

    forced = run(inc_ws, UP_TO_BRIEFING, force=True)  # the packs: as the briefing (cost)

    assert statuses(forced) == dict.fromkeys(ALL[:4], "ran")
    assert set(ledger_reuse(inc_ws).values()) == {None}  # every source parsed again
    rebuilt = tables(inc_ws)
    assert set(rebuilt) == set(kept_tables)
    for name, table in rebuilt.items():
        pd.testing.assert_frame_equal(table, kept_tables[name], obj=name)
    assert briefing_text(inc_ws) == kept_text


@pytest.mark.slow
def test_a_published_file_edited_in_place_is_made_again_not_vouched_for(inc_ws):
    # right after the forced run: everything is current, so only the edit can make a step run
    assert set(statuses(run(inc_ws, UP_TO_BRIEFING)).values()) == {"reused"}
    html = inc_ws.output_week(WEEK) / f"briefing-{WEEK}-vi.html"
    made = html.read_bytes()
    forged = made.replace(b"<body", b"<BODY", 1)
    assert forged != made
    _rewrite_keeping_size_and_times(html, forged)
    manifest = run(inc_ws, UP_TO_BRIEFING)
    assert statuses(manifest)["04_briefing"] == "ran"
    assert html.read_bytes() != forged
    files = {f["path"]: f for f in manifest["files"]}
    assert files[html.name]["sha256"] == incremental.sha256(html)


@pytest.mark.slow
def test_a_changed_plan_reruns_the_steps_that_read_it(inc_ws, tmp_path, monkeypatch):
    run(inc_ws, "01_ingest,02_reconcile")
    plan = tmp_path / "plan.yaml"
    plan.write_text(edited_extension_reference(), "utf-8")  # peak: both read it
    monkeypatch.setenv("CATP_PLAN_FILE", str(plan))
    manifest = run(inc_ws, "01_ingest,02_reconcile")
    assert statuses(manifest) == {"01_ingest": "ran", "02_reconcile": "ran"}
    # the sources' bytes did not change: ingest ran, but parsed none of them again
    assert set(ledger_reuse(inc_ws).values()) == {WEEK}


def edited_extension_reference() -> str:
    """The plan with the peak extension's reference edited: a change to ``peak``, a section
    ingest, reconcile and progress declare (helpers.pipeline)."""
    text = PLAN_FILE.read_text("utf-8")
    assert text.count('(mẫu)"') == 1
    return text.replace('(mẫu)"', '(mẫu, sửa)"')


@pytest.mark.slow
def test_an_smtp_change_reruns_no_step_and_a_target_reruns_progress_not_ingest(
    inc_ws, tmp_path, monkeypatch
):
    up_to_progress = ",".join(ALL[:3])
    run(inc_ws, up_to_progress)
    sending = tmp_path / "sending.yaml"
    text = SENDING_FILE.read_text("utf-8")
    sending.write_text(text.replace('host: ""', 'host: "mail.example.org"'), "utf-8")
    monkeypatch.setenv("CATP_SENDING_FILE", str(sending))
    assert statuses(run(inc_ws, up_to_progress)) == dict.fromkeys(ALL[:3], "reused")
    plan = tmp_path / "plan.yaml"
    text = PLAN_FILE.read_text("utf-8")
    plan.write_text(
        text.replace("vehicles_cleaned_share: 1.0", "vehicles_cleaned_share: 0.9"), "utf-8"
    )
    monkeypatch.setenv("CATP_PLAN_FILE", str(plan))
    manifest = run(inc_ws, up_to_progress)
    assert statuses(manifest) == {
        "01_ingest": "reused",
        "02_reconcile": "reused",
        "03_progress": "ran",
    }


@pytest.mark.slow
def test_a_new_package_version_reruns_every_step(inc_ws, monkeypatch):
    run(inc_ws, "01_ingest,02_reconcile")
    real = incremental.package_versions
    monkeypatch.setattr(
        incremental, "package_versions", lambda: real() | {incremental.PACKAGE_NAME: "99.0.0"}
    )
    manifest = run(inc_ws, "01_ingest,02_reconcile")
    assert statuses(manifest) == {"01_ingest": "ran", "02_reconcile": "ran"}


@pytest.mark.slow
def test_a_changed_byte_in_one_source_reparses_it_only_and_reruns_what_follows(inc_ws):
    delivered = inc_ws.delivery(WEEK) / "submissions.csv"
    original = delivered.read_bytes()
    changed = bytearray(original)
    last_digit = max(i for i, b in enumerate(changed) if chr(b).isdigit())
    changed[last_digit] = ord("1") if changed[last_digit] != ord("1") else ord("2")
    delivered.write_bytes(bytes(changed))
    try:
        manifest = run(inc_ws, UP_TO_BRIEFING)
    finally:
        delivered.write_bytes(original)
    assert set(statuses(manifest).values()) == {"ran"}
    reuse = ledger_reuse(inc_ws)
    assert reuse.pop("submissions") is None
    assert set(reuse.values()) == {WEEK}  # the other five taken from the week's last ingest
    ledger = json.loads((inc_ws.processed_week(WEEK) / "ledger.json").read_text("utf-8"))
    assert ledger["balanced"]
    reused_files = [e for e in ledger["files"] if e["source"] != "submissions"]
    assert reused_files and all(e["reused_from"] == WEEK for e in reused_files)


@pytest.mark.slow
def test_a_corrected_source_copied_with_its_times_kept_is_parsed_again(inc_ws):
    run(inc_ws, "01_ingest")
    delivered = inc_ws.delivery(WEEK) / "submissions.csv"
    original = delivered.read_bytes()
    changed = bytearray(original)
    last_digit = max(i for i, b in enumerate(changed) if chr(b).isdigit())
    changed[last_digit] = ord("1") if changed[last_digit] != ord("1") else ord("2")
    _rewrite_keeping_size_and_times(delivered, bytes(changed))
    try:
        manifest = run(inc_ws, "01_ingest")
    finally:
        delivered.write_bytes(original)
    assert statuses(manifest) == {"01_ingest": "ran"}
    assert ledger_reuse(inc_ws)["submissions"] is None


@pytest.mark.slow
def test_a_run_stopped_in_the_briefing_is_taken_up_from_the_briefing(inc_ws, tmp_path, monkeypatch):
    import nbformat
    from nbformat.v4 import new_code_cell

    run(inc_ws, ",".join(ALL[:3]))
    final = inc_ws.output_week(WEEK)
    published = {p: p.read_bytes() for p in final.rglob("*") if p.is_file()}
    # a changed plan: the stopped run does ingest, reconcile and progress again
    plan = tmp_path / "plan.yaml"
    plan.write_text(edited_extension_reference(), "utf-8")
    monkeypatch.setenv("CATP_PLAN_FILE", str(plan))
    # and its briefing fails after its first cells ran (a real kernel, a real error)
    broken = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, broken)
    notebook = nbformat.read(broken / "04_briefing.ipynb", as_version=4)
    notebook.cells.insert(5, new_code_cell("raise RuntimeError('stopped in the briefing')"))
    nbformat.write(notebook, broken / "04_briefing.ipynb")
    stopped: list[str] = []
    with pytest.raises(runner.StepFailed, match="stopped in the briefing"):
        runner.run(WEEK, ["vi"], inc_ws, notebooks_dir=broken, echo=stopped.append)
    assert [line for line in stopped if " done in " in line][-1].startswith("[3/5] 03_progress")
    assert {p: p.read_bytes() for p in final.rglob("*") if p.is_file()} == published
    kept = incremental.load_resume(inc_ws, WEEK)
    assert set(kept) == set(ALL[:3])
    recorded_files_exist(inc_ws, WEEK)

    manifest = run(inc_ws, UP_TO_BRIEFING)  # the packs would add a minute and prove nothing more

    assert statuses(manifest) == dict.fromkeys(ALL[:3], "reused") | {ALL[3]: "ran"}
    for index, step in enumerate(ALL[:3], start=1):
        said = f"[{index}/4] {step}: reused (finished by the stopped run {kept[step]['run']})"
        assert said in manifest["console"]
    assert not incremental.resume_dir(inc_ws, WEEK).exists()
    recorded_files_exist(inc_ws, WEEK)
    files = {f["path"]: f["run"] for f in manifest["files"]}
    assert files["notebooks/03_progress.ipynb"] == kept["03_progress"]["run"]
    assert files[f"briefing-{WEEK}-vi.pdf"] == manifest["run"]


def test_code_version_changes_with_the_units_reference_file(tmp_path, monkeypatch):
    copy = tmp_path / "units.csv"
    shutil.copyfile(incremental.paths.UNITS_FILE, copy)
    monkeypatch.setattr(incremental, "REFERENCE_FILES", (copy,))
    before = incremental.code_version()
    copy.write_text(copy.read_text("utf-8").replace("00082,", "00073,"), "utf-8")
    assert incremental.code_version()["reference"] != before["reference"]


def test_code_version_covers_the_runtime_package_only():
    # the generator (src/synth) and the measurements (src/measure) change no week's output
    covered = [d.resolve() for d in incremental.CODE_DIRS]
    for other in ("synth", "measure"):
        folder = (incremental.PACKAGE_DIR.parent / other).resolve()
        assert folder.is_dir(), folder
        assert not any(folder.is_relative_to(d) for d in covered), folder
