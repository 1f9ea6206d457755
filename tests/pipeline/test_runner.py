"""The runner executes real notebooks on the project kernel with Papermill: failures named, the
manifest, languages, the command line, one clear line for a read-only folder or a full disk,
what the console says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from helpers import runner
from helpers.runner import Step, StepFailed
from tests.pipeline.builders import WEEK, cli, published, write_notebook


def test_failing_cell_names_notebook_and_cell_and_leaves_no_output(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    messages: list[str] = []
    steps = [Step("01_write"), Step("03_boom")]
    with pytest.raises(StepFailed) as info:
        runner.run(WEEK, ["vi"], tmp_ws, steps=steps, notebooks_dir=notebooks, echo=messages.append)
    text = str(info.value)
    assert "03_boom.ipynb" in text
    assert "cell 3 (\"raise ValueError('the delivery is upside down')\")" in text
    assert "ValueError: the delivery is upside down" in text
    assert not (tmp_ws.output / WEEK).exists()
    assert not [p for p in tmp_ws.output.iterdir() if "staging" in p.name]
    kept = list((tmp_ws.output / "failed").glob(f"{WEEK}-*/03_boom.ipynb"))
    assert len(kept) == 1
    failed_nb = nbformat.read(kept[0], as_version=4)
    assert any(
        o.get("ename") == "ValueError" for c in failed_nb.cells for o in c.get("outputs", [])
    )


def test_good_run_writes_manifest_whose_hashes_match(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    final = runner.run(
        WEEK,
        ["vi"],
        tmp_ws,
        steps=[Step("01_write"), Step("02_ok")],
        notebooks_dir=notebooks,
        echo=lambda _: None,
    )
    assert final == tmp_ws.output / WEEK
    assert (final / "note.txt").read_text("utf-8") == WEEK
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    assert manifest["week"] == WEEK
    assert [s["step"] for s in manifest["steps"]] == ["01_write", "02_ok"]
    assert manifest["packages"]["papermill"] != "not installed"
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == {"note.txt", "notebooks/01_write.ipynb", "notebooks/02_ok.ipynb"}
    for rel, entry in listed.items():
        assert entry["sha256"] == runner.sha256(final / rel)
        assert entry["bytes"] == (final / rel).stat().st_size


def test_rerun_replaces_its_steps_files_drops_those_no_longer_made_keeps_the_rest(
    tmp_ws, tmp_path, monkeypatch
):
    (tmp_ws.raw / WEEK).mkdir()
    nbs = tmp_path / "extra"
    nbs.mkdir()
    write_notebook(
        nbs,
        "01_write",
        "import os, time\nfrom pathlib import Path\n"
        "(Path(output_dir) / 'note.txt').write_text(str(time.time_ns()), 'utf-8')\n"
        "if os.environ.get('CATP_TEST_EXTRA'):\n"
        "    (Path(output_dir) / 'extra.txt').write_text('x', 'utf-8')",
    )
    kwargs = dict(steps=[Step("01_write")], notebooks_dir=nbs, echo=lambda _: None)
    monkeypatch.setenv("CATP_TEST_EXTRA", "1")
    final = runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    note = (final / "note.txt").read_text("utf-8")
    (final / "by-hand.txt").write_text("old", "utf-8")  # no run made it
    monkeypatch.delenv("CATP_TEST_EXTRA")
    runner.run(WEEK, ["vi"], tmp_ws, force=True, **kwargs)
    assert (final / "note.txt").read_text("utf-8") != note  # replaced
    assert not (final / "extra.txt").exists()  # made by the same step before, made no more
    assert (final / "by-hand.txt").read_text("utf-8") == "old"  # kept, as the send log is
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    assert {f["path"] for f in manifest["files"]} == {"note.txt", "notebooks/01_write.ipynb"}


def test_rebuilding_a_week_keeps_the_log_of_packs_already_sent(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    kwargs = dict(steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None)
    final = runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    (final / "distribution.json").write_text('{"sends": [{"unit_code": "00008"}]}', "utf-8")
    runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    assert json.loads((final / "distribution.json").read_text("utf-8"))["sends"] == [
        {"unit_code": "00008"}
    ]
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    assert "distribution.json" not in {f["path"] for f in manifest["files"]}


def test_per_language_steps_run_once_per_language(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    write_notebook(notebooks, "04_lang", "lang = 'vi'")
    final = runner.run(
        WEEK,
        ["vi", "en"],
        tmp_ws,
        steps=[Step("02_ok"), Step("04_lang", per_lang=True)],
        notebooks_dir=notebooks,
        echo=lambda _: None,
    )
    names = sorted(p.name for p in (final / "notebooks").iterdir())
    assert names == ["02_ok.ipynb", "04_lang-en.ipynb", "04_lang-vi.ipynb"]


def write_language_notebooks(folder: Path) -> list[Step]:
    """01_write, and a per-language step writing ``doc-<lang>.txt`` (a stamp of its run)."""
    write_notebook(
        folder,
        "04_lang",
        "import time\nfrom pathlib import Path\n"
        "(Path(output_dir) / f'doc-{lang}.txt').write_text(str(time.time_ns()), 'utf-8')",
    )
    return [Step("01_write"), Step("04_lang", per_lang=True)]


def test_a_build_in_the_other_language_keeps_the_first_languages_files_byte_identical(
    tmp_ws, notebooks
):
    (tmp_ws.raw / WEEK).mkdir()
    steps = write_language_notebooks(notebooks)
    kwargs: dict = dict(steps=steps, notebooks_dir=notebooks)
    final = runner.run(WEEK, ["vi"], tmp_ws, echo=lambda _: None, **kwargs)
    first = json.loads((final / "manifest.json").read_text("utf-8"))
    vi_files = {rel: data for rel, data in published(final).items() if "-vi." in rel}
    assert set(vi_files) == {"doc-vi.txt", "notebooks/04_lang-vi.ipynb"}

    lines: list[str] = []
    runner.run(WEEK, ["en"], tmp_ws, echo=lines.append, **kwargs)

    now = published(final)
    assert {rel: now.get(rel) for rel in vi_files} == vi_files
    assert "doc-en.txt" in now and "notebooks/04_lang-en.ipynb" in now
    manifest = json.loads((final / "manifest.json").read_text("utf-8"))
    runs = {f["path"]: f["run"] for f in manifest["files"]}
    assert runs["doc-vi.txt"] == first["run"] and runs["doc-en.txt"] == manifest["run"]
    assert {r["run"] for r in manifest["runs"]} == {first["run"], manifest["run"]}
    for entry in manifest["files"]:
        assert entry["sha256"] == runner.sha256(final / entry["path"])
    assert any(line.startswith(f"week {WEEK}: kept from earlier runs") for line in lines)


@pytest.mark.parametrize("given", [[], [""], ["  "]])
def test_an_empty_language_is_refused_before_anything_and_the_pack_is_kept(
    tmp_ws, notebooks, given
):
    from helpers import ConfigError

    (tmp_ws.raw / WEEK).mkdir()
    steps = write_language_notebooks(notebooks)
    kwargs: dict = dict(steps=steps, notebooks_dir=notebooks, echo=lambda _: None)
    final = runner.run(WEEK, ["vi"], tmp_ws, **kwargs)
    before = published(final)
    with pytest.raises(ConfigError, match="no report language given"):
        runner.run(WEEK, given, tmp_ws, **kwargs)
    assert published(final) == before


def test_an_empty_language_on_the_command_line_exits_nonzero_in_one_line(tmp_ws, capsys):
    (tmp_ws.raw / WEEK).mkdir()
    code = runner.main(cli(tmp_ws, "--week", WEEK, "--lang", ""))
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("ERROR: no report language given") and len(err.splitlines()) == 1
    assert not (tmp_ws.output / WEEK).exists()


@pytest.mark.parametrize(
    ("given", "langs"),
    [("EN", ["en"]), ("vi en", ["vi", "en"]), ("Vi, EN", ["vi", "en"]), ("en en", ["en"])],
)
def test_report_languages_are_read_whatever_their_case(given, langs):
    assert runner.report_langs(given) == langs


def test_a_week_far_after_the_campaign_is_refused_unless_asked_for(tmp_ws, notebooks):
    from helpers.config import WeekOutsideCampaign

    week = "2030-01-01"
    (tmp_ws.raw / WEEK).mkdir()
    kwargs: dict = dict(steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None)
    with pytest.raises(WeekOutsideCampaign) as caught:
        runner.run(week, ["vi"], tmp_ws, **kwargs)
    said = str(caught.value)
    assert "2025-11-10 to 2026-01-08, extended to 2026-01-19" in said
    assert "ANY_WEEK=1" in said
    assert not (tmp_ws.output / week).exists()
    final = runner.run(week, ["vi"], tmp_ws, any_week=True, **kwargs)
    assert (final / "note.txt").read_text("utf-8") == week


def test_main_exits_nonzero_with_one_line_message(tmp_ws, capsys):
    code = runner.main(["--raw-dir", str(tmp_ws.raw), "--output-dir", str(tmp_ws.output)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("ERROR: no delivery folder")
    assert str(tmp_ws.raw) in err


def test_outputs_are_readable_by_the_staff_who_distribute_them(tmp_ws, notebooks):
    (tmp_ws.raw / WEEK).mkdir()
    final = runner.run(
        WEEK, ["vi"], tmp_ws, steps=[Step("01_write")], notebooks_dir=notebooks, echo=lambda _: None
    )
    umask = os.umask(0)
    os.umask(umask)
    assert final.stat().st_mode & 0o777 == 0o777 & ~umask  # not the 0700 of a temp folder
    assert (final / "note.txt").stat().st_mode & 0o777 == 0o666 & ~umask


# --------------------------------------------------------------------------------------------
# A read-only folder or a full disk: one line naming the path and the fix
# --------------------------------------------------------------------------------------------


def test_read_only_output_folder_is_one_clear_line(tmp_ws, read_only_dir, notebooks, capsys):
    (tmp_ws.raw / WEEK).mkdir()
    code = runner.main(
        [
            "--raw-dir",
            str(tmp_ws.raw),
            "--processed-dir",
            str(tmp_ws.processed),
            "--output-dir",
            str(read_only_dir),
            "--week",
            WEEK,
            "--notebooks-dir",
            str(notebooks),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"ERROR: cannot write {read_only_dir}")
    assert "make it writable" in err and "--output-dir" in err


def test_disk_full_in_a_notebook_is_one_clear_line(tmp_ws, small_disk, tmp_path, capsys):
    (tmp_ws.raw / WEEK).mkdir()
    nbs = tmp_path / "fill"
    nbs.mkdir()
    write_notebook(
        nbs,
        "01_ingest",
        "from pathlib import Path\n(Path(output_dir) / 'big.bin').write_bytes(bytes(4 << 20))",
    )
    code = runner.main(
        [
            "--raw-dir",
            str(tmp_ws.raw),
            "--processed-dir",
            str(tmp_ws.processed),
            "--output-dir",
            str(small_disk),
            "--week",
            WEEK,
            "--steps",
            "01_ingest",
            "--notebooks-dir",
            str(nbs),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("ERROR: 01_ingest: disk full while writing ")
    assert f"free space on {small_disk} and re-run" in err
    assert not [p for p in small_disk.iterdir() if "staging" in p.name]


def test_delivery_warnings_are_said_on_the_console_after_ingest_and_last_in_english(tmp_ws):
    # the console speaks English whatever the run's language (the step lines are English)
    from helpers.paths import NOTEBOOKS_DIR
    from tests.ingest_builders import full_delivery

    full_delivery(tmp_ws, "2025-11-09")
    (tmp_ws.raw / "2025-11-23").mkdir()
    (tmp_ws.raw / "2025-11-23 (1)").mkdir()
    lines: list[str] = []
    runner.run(
        "2025-11-23",
        ["vi"],
        tmp_ws,
        steps=[Step("01_ingest")],
        notebooks_dir=NOTEBOOKS_DIR,
        echo=lines.append,
    )
    warned = [line for line in lines if line.startswith("WARNING: ")]
    assert any("'2025-11-23 (1)'" in line for line in warned)
    assert any("submissions comes from the delivery of 2025-11-09" in line for line in warned)
    assert lines[-1].startswith("WARNING: ") and "read them before the conference" in lines[-1]


def test_the_kernels_sockets_are_in_a_private_folder_not_beside_the_notebooks(tmp_ws, tmp_path):
    # In the notebooks' folder, two kernels started at once could pick the same socket names
    # and a killed run left its sockets there (notebooks/kernel-ipc-1 … 10).
    nbs = tmp_path / "sockets"
    nbs.mkdir()
    write_notebook(
        nbs,
        "01_ingest",
        "import os\n"
        "left = [n for n in os.listdir('.') if n.startswith('kernel-ipc')]\n"
        "assert not left, left",
    )
    (tmp_ws.raw / WEEK).mkdir()
    runner.run(WEEK, ["vi"], tmp_ws, steps=[Step("01_ingest")], notebooks_dir=nbs, echo=print)
    assert not [p.name for p in nbs.iterdir() if p.name.startswith("kernel-ipc")]


def test_the_kernel_talks_over_local_ipc_and_prints_no_tcp_warning(tmp_ws, tmp_path):
    nbs = tmp_path / "ipc"
    nbs.mkdir()
    write_notebook(nbs, "01_ingest", "import os\nprint(os.getpid())")
    (tmp_ws.raw / WEEK).mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.runner",
            *cli(tmp_ws, "--week", WEEK, "--steps", "01_ingest", "--notebooks-dir", str(nbs)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "without encryption" not in done.stderr + done.stdout
    assert (tmp_ws.output / WEEK / "notebooks" / "01_ingest.ipynb").is_file()


def test_the_last_line_names_the_briefing_and_the_units_zip(tmp_ws, tmp_path):
    nbs = tmp_path / "last"
    nbs.mkdir()
    write_notebook(
        nbs,
        "04_briefing",
        "from pathlib import Path\n"
        "for name in ('briefing-w-vi.pdf', 'units-w.zip', 'city.xlsx'):\n"
        "    (Path(output_dir) / name).write_text('x')",
    )
    (tmp_ws.raw / WEEK).mkdir()
    lines: list[str] = []
    runner.run(
        WEEK,
        ["vi"],
        tmp_ws,
        steps=[Step("04_briefing")],
        notebooks_dir=nbs,
        echo=lines.append,
        partial=False,
    )
    assert (
        lines[-1]
        == f"week {WEEK}: for the conference and the units: briefing-w-vi.pdf, units-w.zip"
    )


def test_help_names_the_program_and_the_steps(capsys):
    with pytest.raises(SystemExit):
        runner.main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m helpers.runner")
    assert "01_ingest, 02_reconcile, 03_progress, 04_briefing, 05_packs" in " ".join(out.split())


def test_a_file_rejected_whole_stops_the_run_unless_accepted_then_says_alarm(tmp_ws):
    from helpers.paths import NOTEBOOKS_DIR
    from tests.ingest_builders import full_delivery, rows_of, write_csv

    full_delivery(tmp_ws, "2025-11-23", skip=("organizations",))
    rows = rows_of("organizations", *({"unit_code": "Phường Không Có"} for _ in range(30)))
    write_csv(tmp_ws.raw / "2025-11-23" / "organizations.csv", rows)
    ingest_step = next(s for s in runner.PIPELINE if s.name == "01_ingest")
    with pytest.raises(StepFailed) as err:
        runner.run("2025-11-23", ["en"], tmp_ws, steps=[ingest_step], echo=lambda _: None)
    assert "organizations.csv: 30 of its 30 data rows rejected" in str(err.value)
    assert "unknown_unit" in str(err.value)
    lines: list[str] = []
    runner.run(
        "2025-11-23",
        ["en"],
        tmp_ws,
        steps=[ingest_step],
        notebooks_dir=NOTEBOOKS_DIR,
        echo=lines.append,
        accept=True,
    )
    alarms = [line for line in lines if line.startswith("ALARM: ACCEPTED BY THE DUTY OFFICER")]
    assert len(alarms) == 1 and "organizations.csv" in alarms[0]


def test_a_broken_plan_file_stops_the_run_before_any_step_naming_that_file(
    tmp_ws, tmp_path, monkeypatch
):
    # it failed inside 03_progress's notebook, left a failed/ folder each time, and named
    # config/plan.yaml whatever CATP_PLAN_FILE pointed at
    from helpers import ConfigError
    from helpers.paths import PLAN_FILE

    week = "2025-11-23"
    (tmp_ws.raw / week).mkdir(parents=True, exist_ok=True)
    broken = tmp_path / "night.yaml"
    broken.write_text(PLAN_FILE.read_text("utf-8").replace("  extension:", "  extention:"), "utf-8")
    monkeypatch.setenv("CATP_PLAN_FILE", str(broken))
    with pytest.raises(ConfigError) as caught:
        runner.run(week, ["vi"], tmp_ws, echo=lambda _: None)
    assert str(broken) in str(caught.value) and "peak.extension" in str(caught.value)
    assert not (tmp_ws.output / "failed").exists()


def test_a_pipeline_notebook_run_by_hand_is_refused_before_it_writes(tmp_ws, tmp_path):
    # as JupyterLab runs it: the notebook's defaults, no runner around it
    import papermill as pm

    from helpers import store
    from helpers.paths import NOTEBOOKS_DIR

    (tmp_ws.raw / WEEK).mkdir()
    assert store.RUN_ENV not in os.environ
    target = tmp_path / "by-hand.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as caught:
        pm.execute_notebook(
            NOTEBOOKS_DIR / "02_reconcile.ipynb",
            target,
            kernel_name="catp375",
            parameters={"raw_dir": str(tmp_ws.raw), "processed_dir": str(tmp_ws.processed)},
            progress_bar=False,
            cwd=str(tmp_path),
        )
    assert caught.value.ename == "HandRun"
    assert f"python -m helpers.runner --week {WEEK} --steps" in caught.value.evalue
    assert list(tmp_ws.processed.iterdir()) == [] and list(tmp_ws.output.iterdir()) == []


def test_a_step_that_ends_well_sends_no_interrupt_to_its_kernel(tmp_ws, tmp_path):
    # jupyter_client interrupted (SIGINT) every kernel's process group before shutting it
    # down: "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel" after a good step
    marker = tmp_path / "interrupted"
    child = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, lambda *_: open(sys.argv[1], 'w').write('SIGINT'))\n"
        "time.sleep(8)\n"
    )
    nbs = tmp_path / "sigint"
    nbs.mkdir()
    write_notebook(
        nbs,
        "01_child",
        f"import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {child!r}, {str(marker)!r}])\n"
        "time.sleep(1)",
    )
    (tmp_ws.raw / WEEK).mkdir()
    runner.run(
        WEEK, ["vi"], tmp_ws, steps=[Step("01_child")], notebooks_dir=nbs, echo=lambda _: None
    )
    time.sleep(1)
    assert not marker.exists()
