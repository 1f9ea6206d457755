"""Run the weekly pipeline: execute the notebooks in order with Papermill, record the run.

    python -m helpers.runner --week 2025-11-23 --lang vi

Outputs are built in a staging folder beside ``reports/output/<week>/`` and published only
when every step succeeded, so a failed run never leaves a half-built pack that looks final.
Publishing is per file (helpers.publish): a run replaces the files it made and keeps every
other file of the week (the other language's documents, the files of a step it did not run),
and the manifest says which run made each file. A failed or interrupted run (Ctrl-C, SIGTERM)
keeps its executed notebooks under ``reports/output/failed/<week>-<time>/``, and the steps it
finished (their files and keys) in ``<processed>/.incremental/resume/<week>/``
(helpers.stopped): the next run of the week takes those whose inputs are unchanged instead of
doing them again (helpers.incremental). Nothing of a run is recorded as published before it is.

While a long step runs, its progress (sources read, units packed) is relayed to the console
from its kernel's log (helpers.relay). A pipeline notebook refuses to run outside a run
(store.output_folder): run by hand in JupyterLab it says how to run its step.

One run at a time per workspace: a run holds ``<processed>/.run.lock`` (who holds it is
written inside); a second run stops at once naming the holder, or waits with ``--wait``.
The next run removes the staging folders a killed run left behind.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from helpers import ConfigError, PipelineError, StorageError, pipeline, store
from helpers.config import load_plan
from helpers.headers import load_aliases
from helpers.i18n import LANGS, check_lang
from helpers.incremental import StepReuse, resume_root
from helpers.incremental import sha256 as sha256  # re-exported: runner.sha256
from helpers.packs import protect
from helpers.paths import NOTEBOOKS_DIR, Workspace, workspace
from helpers.publish import RunRecord, publish
from helpers.relay import Relay
from helpers.runlock import LOCK_NAME as LOCK_NAME  # re-exported: runner.LOCK_NAME
from helpers.runlock import RunLocked as RunLocked  # re-exported: runner.RunLocked
from helpers.runlock import run_lock
from helpers.stopped import end_children, keep_for_inspection, keep_for_resume, own_children
from helpers.store import resolve_week

KERNEL_NAME = "catp375"

# jsonschema (under papermill and nbformat) imports rfc3987_syntax when it is installed, and
# that module builds an Earley parser at import: 1.3 s of CPU (2-3 s wall on a shared machine)
# in every runner process, for the "iri" format checks nbformat never asks for (its schemas
# have no format, it passes no format checker). Marked absent before papermill is imported,
# the import is skipped as jsonschema allows (an optional dependency); validation is unchanged.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


# The steps, in order, with what each reads and writes: declared once in helpers.pipeline.
Step = pipeline.Step
PIPELINE: tuple[Step, ...] = pipeline.PIPELINE


def notebook_parameters(
    step: Step,
    ws: Workspace,
    week: str,
    staging: Path,
    lang: str | None,
    *,
    force: bool = False,
    accept: bool = False,
) -> dict[str, object]:
    """What Papermill gives a step's notebook: the run's folders (``output_root``: every
    week's outputs, where the secrets check finds published packs; ``output_dir``: this run's
    staging folder), the week, and the step's own switches."""
    params: dict[str, object] = {
        "week": week,
        "raw_dir": str(ws.raw),
        "processed_dir": str(ws.processed),
        "output_root": str(ws.output),
        "output_dir": str(staging),
    }
    if lang:
        params["lang"] = lang
    if step.takes_force:
        params["force"] = force
    if step.takes_accept:
        params["accept"] = accept
    return params


class StepFailed(PipelineError):
    """A notebook failed; the message names the notebook, the cell and the error."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: a clean abort."""


def _call(dotted: str) -> Callable:
    module, _, func = dotted.partition(":")
    return getattr(importlib.import_module(module), func)


def _warm_up(dotted: str) -> threading.Thread:
    """Import the module of a step's post function, and call its ``warm_up`` when it has one,
    in a thread while the step's notebook runs in its kernel (the runner only waits for the
    kernel then): the briefing's export finds nbconvert and WeasyPrint imported. A failure here
    is left for the post call itself to raise, where the step reports it."""
    # Papermill first, here: what the main thread imports while the kernel runs is then done,
    # and the two threads never wait on each other's half-imported modules.
    import papermill  # noqa: F401

    def work() -> None:
        with contextlib.suppress(Exception):
            module = importlib.import_module(dotted.partition(":")[0])
            warm = getattr(module, "warm_up", None)
            if callable(warm):
                warm()

    thread = threading.Thread(target=work, name=f"warm-up {dotted}", daemon=True)
    thread.start()
    return thread


def _describe_failure(step: str, exc: BaseException, executed: Path) -> str:
    """One readable line: which notebook, which cell, what went wrong (no traceback wall).

    Cells are numbered from 1 as in the source notebook (Papermill's injected parameters cell
    is not counted), and the first line of the failing cell is quoted.
    """
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    index = getattr(exc, "cell_index", None)
    if index is None:
        return f"{step}.ipynb failed before any cell ran: {ename}: {evalue}"
    where = f"cell {index + 1}"
    try:
        import nbformat

        cells = nbformat.read(executed, as_version=4).cells

        def tagged(cell, tag):
            return tag in cell.get("metadata", {}).get("tags", [])

        # cell_index counts the executed cells: Papermill's error banner (added at the top
        # afterwards) is not among them, its injected parameters cell is.
        executed_cells = [c for c in cells if not tagged(c, "papermill-error-cell-tag")]
        failing = executed_cells[index]
        source_cells = [c for c in executed_cells if not tagged(c, "injected-parameters")]
        first_line = failing.source.strip().splitlines()[0][:80]
        where = f"cell {source_cells.index(failing) + 1} ({first_line!r})"
    except Exception:  # the message is still useful without the quote
        pass
    return f"notebook {step}.ipynb failed in {where}: {ename}: {evalue}"


def _ipc_kernel_manager(log: Path | None = None) -> type:
    """A kernel manager that talks to its kernel over local IPC sockets instead of TCP ports:
    nothing listens on the network, and the kernel no longer warns at every step that TCP
    is unencrypted.

    With ``log``, the kernel's own stdout and stderr (and so its pool workers') go to that
    file instead of the console: what a cell prints is in the notebook anyway, and what is
    left (the kernel's shutdown tracebacks after SIGTERM, ``Exception ignored in
    ZipFile.__del__`` from each worker on a full disk) is noise on the console, where the
    run says its one line. The runner keeps the file with the failed run's notebooks."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IpcKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _ip_default(self) -> str:
            # jupyter_client names the sockets "kernel-ipc-<n>" in the working folder
            # (notebooks/): two kernels started at once there can pick the same names, and a
            # killed run leaves its sockets beside the notebooks. Each kernel gets its own
            # private folder instead.
            return str(Path(tempfile.mkdtemp(prefix="catp375-kernel-")) / "kernel-ipc")

        def cleanup_ipc_files(self) -> None:
            super().cleanup_ipc_files()
            with contextlib.suppress(OSError):  # not empty: a socket still in use is kept
                Path(self.ip).parent.rmdir()

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts (SIGINT) every kernel it shuts down, idle or not: a
            # kernel caught in a message handler then logs "[IPKernelApp] ERROR |
            # KeyboardInterrupt caught in kernel" at the end of a successful step. A
            # shutdown asks the kernel by message anyway; a stopped run interrupts the cell
            # itself (helpers.stopped.end_children).
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if log is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            with log.open("ab") as fh:  # the kernel has its own copy once started
                kw.setdefault("stdout", fh)
                kw.setdefault("stderr", fh)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return IpcKernelManager


def execute_notebook(
    source: Path,
    target: Path,
    parameters: dict,
    cwd: Path,
    *,
    kernel_log: Path | None = None,
    run_id: str = "",
) -> None:
    """Execute ``source`` into ``target`` on the project kernel. The kernel inherits this
    process's environment: its progress bars write one final line (and relay their progress
    to the kernel's log, helpers.relay), and ``run_id`` lets its notebook write (a pipeline
    notebook refuses to run outside a run: store.output_folder)."""
    import papermill as pm

    from helpers import bars

    given = {bars.ENV: "final"} | ({store.RUN_ENV: run_id} if run_id else {})
    before = {name: os.environ.get(name) for name in given}
    os.environ.update(given)
    try:
        pm.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            cwd=str(cwd),
            progress_bar=sys.stderr.isatty(),
            log_output=False,
            report_mode=False,
            kernel_manager_class=_ipc_kernel_manager(kernel_log),
        )
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            out[path.relative_to(folder).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return out


def _fullest(folders: Sequence[Path]) -> Path | None:
    """Of the folders a step writes, the one on the disk with the least free space."""
    free: dict[Path, int] = {}
    for folder in folders:
        with contextlib.suppress(OSError):
            free[folder] = shutil.disk_usage(folder).free
    return min(free, key=lambda folder: free[folder]) if free else None


def _storage_failure(exc: BaseException, where: Sequence[Path] = ()) -> StorageError | None:
    """A read-only or disk-full error, raised here or in a notebook, as one clear line.

    When the error does not name its file (a write to an open file), the folder named is the
    one of ``where`` on the fullest disk.
    """
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError):
        message = store.storage_message(exc, exc.filename or _fullest(where))
        return StorageError(message) if message else None
    ename, evalue = getattr(exc, "ename", ""), getattr(exc, "evalue", "")
    if ename == "StorageError":
        return StorageError(evalue)
    # an OSError raised in a notebook reaches us as text: "[Errno 28] No space ...: '/path'"
    match = _ERRNO_TEXT.match(evalue or "")
    if match and ename in _OS_ERRORS:
        error = OSError(int(match["errno"]), match["text"], match["path"])
        message = store.storage_message(error, match["path"] or _fullest(where))
        return StorageError(message) if message else None
    return None


_ERRNO_TEXT = re.compile(r"^\[Errno (?P<errno>\d+)\] (?P<text>[^:]+)(?:: '(?P<path>.*?)')?")
_OS_ERRORS = {"OSError", "PermissionError", "IOError"}


def ingest_warnings(ws: Workspace, week: str) -> list[dict]:
    """The warnings the week's ingest wrote into its ledger (none when it has no ledger)."""
    ledger = ws.processed_week(week) / "ledger.json"
    if not ledger.is_file():
        return []
    return list(json.loads(ledger.read_text("utf-8")).get("warnings", []))


def report_langs(given: Sequence[str] | str) -> list[str]:
    """The run's report languages, each once, in the order given, whatever their case
    (``EN`` is ``en``); none is an error: a run without a language would publish nothing
    for the conference."""
    words = given.replace(",", " ").split() if isinstance(given, str) else list(given)
    langs = list(dict.fromkeys(check_lang(w.strip().lower()) for w in words if w.strip()))
    if not langs:
        raise ConfigError(
            f"no report language given (REPORT_LANG / --lang is empty): give one or both of "
            f'{", ".join(LANGS)}, e.g. REPORT_LANG=vi or REPORT_LANG="vi en"; nothing was '
            "built, the published pack is unchanged"
        )
    return langs


def run(
    week: str = "",
    langs: Sequence[str] = ("vi",),
    ws: Workspace | None = None,
    *,
    steps: Sequence[Step] = PIPELINE,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    echo: Callable[[str], None] = print,
    partial: bool | None = None,
    wait: bool = False,
    force: bool = False,
    accept: bool = False,
    any_week: bool = False,
) -> Path:
    """Run the pipeline for one week; returns the final output folder.

    A step whose inputs are unchanged since the run that made its files is skipped and its
    files kept (helpers.incremental; the manifest says "reused" or "ran" per step);
    ``force`` runs every step, and ingest parses every source again. ``accept`` lets the
    ingest go on past a file (nearly) all rejected or a source fallen by half since the
    previous week (helpers.ingest.alarms), said loudly on the console and the cover.

    The run's files are published one by one (helpers.publish): they replace the week's
    files of the same name, and every other file of the week is kept (the other language's
    documents, a step not run); ``partial`` (by default when ``steps`` is a proper subset of
    :data:`PIPELINE`) is recorded in the manifest. A week after the campaign's (extended) end
    by more than one cadence is refused unless ``any_week``. Raises :class:`StepFailed`
    naming the notebook and cell when a step fails, :class:`RunLocked` when another run holds
    the workspace, :class:`StorageError` when a folder is read-only or the disk is full.
    """
    ws = ws or workspace()
    week = resolve_week(ws, week)
    langs = report_langs(langs)
    # what every step reads, checked before any step runs: one line, no failed notebook
    plan = load_plan()
    if not any_week:
        plan.check_week(date.fromisoformat(week))
    if any(step.name == "01_ingest" for step in steps):
        load_aliases()  # how the ingest reads headers: one line here, not a failed notebook
    if any(step.name == "05_packs" for step in steps):
        protect.check_secrets(ws, plan)
    if partial is None:
        partial = set(steps) < set(PIPELINE)
    now = datetime.now().astimezone()
    started_at = now.isoformat(timespec="seconds")
    try:
        with run_lock(ws, week, started_at, wait=wait, echo=echo):
            leftovers = store.remove_dead_staging([ws.output, ws.processed, resume_root(ws)])
            # the unit packs' row staging (personal data) in the temp folder
            leftovers += store.remove_dead_staging(
                [Path(tempfile.gettempdir())], prefix=".catp375-"
            )
            for path in leftovers:
                echo(f"removed {path}, left behind by a run that was killed")
            record = RunRecord(
                week=week,
                langs=list(langs),
                parameters={
                    "week": week,
                    "langs": list(langs),
                    "steps": [step.name for step in steps],
                    "force": force,
                    "accept": accept,
                    "raw_dir": str(ws.raw),
                    "processed_dir": str(ws.processed),
                    "output_dir": str(ws.output_week(week)),
                },
                started_at=started_at,
                run_id=f"{now:%Y%m%dT%H%M%S}-{os.getpid()}",
                partial=partial,
            )
            reuse = StepReuse(ws, week, force=force)
            live = echo is print and sys.stdout.isatty()  # progress on one live line
            return _run_locked(
                ws, week, langs, record, steps, notebooks_dir, echo, reuse, accept=accept, live=live
            )
    except BaseException as exc:
        failure = _storage_failure(exc, where=[ws.output, ws.processed])
        if failure is None or failure is exc:
            raise
        raise failure from exc


def _run_locked(
    ws: Workspace,
    week: str,
    langs: list[str],
    record: RunRecord,
    steps: Sequence[Step],
    notebooks_dir: Path,
    echo: Callable[[str], None],
    reuse: StepReuse,
    *,
    accept: bool = False,
    live: bool = False,
) -> Path:
    final = ws.output_week(week)
    ws.output.mkdir(parents=True, exist_ok=True)
    staging = store.staging_dir(ws.output, week)
    nb_out = staging / "notebooks"
    nb_out.mkdir()
    children = own_children()
    # the kernels' own console output, kept with a failed run's notebooks (named with this
    # process's pid: a killed run's is removed by the next run)
    kernel_logs = Path(tempfile.mkdtemp(prefix=f".catp375-kernel-logs.staging-{os.getpid()}-"))
    plan = [(step, lang) for step in steps for lang in (langs if step.per_lang else [None])]
    t_run = time.perf_counter()
    warned: list[dict] = []
    try:
        for index, (step, lang) in enumerate(plan, start=1):
            label = step.name + (f" [{lang}]" if lang else "")
            params = notebook_parameters(
                step, ws, week, staging, lang, force=reuse.force, accept=accept
            )
            stem = f"{step.name}-{lang}" if lang else step.name
            step_id = step.name + (f"[{lang}]" if lang else "")
            record.covered.add(stem)
            notebook = notebooks_dir / f"{step.name}.ipynb"
            later = _later(step, steps)
            inputs = dict(notebook=notebook, lang=lang, spec=step)
            parts = reuse.inputs(step_id, step.name, later, **inputs)
            found = reuse.reusable(step_id, parts, final)
            if found is not None:
                earlier, source = found
                stopped = source != final  # finished by a run that stopped before publishing
                for rel in reuse.carry(earlier, source, staging):
                    record.made[rel] = [earlier.get("stem", stem)]
                    record.carried[rel] = {
                        "run": earlier["run"],
                        "started_at": earlier["started_at"],
                    }
                record.steps.append(
                    {"step": step.name, "lang": lang, "seconds": 0.0, "status": "reused"}
                    | {"key": earlier["key"], "made_by_run": earlier["run"]}
                    | ({"made_by_stopped_run": True} if stopped else {})
                )
                why = (
                    f"finished by the stopped run {earlier['run']}"
                    if stopped
                    else f"inputs unchanged since run {earlier['run']}"
                )
                echo(f"[{index}/{len(plan)}] {label}: reused ({why})")
            else:
                elapsed = time.perf_counter() - t_run
                counter = f"[{index}/{len(plan)}] {label}"
                echo(f"{counter} ... (run elapsed {elapsed:.0f} s)")
                executed = nb_out / f"{stem}.ipynb"
                before = _snapshot(staging)
                processed_before = reuse.snapshot()
                t0 = time.perf_counter()
                kernel_log = kernel_logs / f"{stem}.kernel.log"
                warming = _warm_up(step.post) if step.post else None
                try:
                    with Relay(kernel_log, counter, echo, live=live):
                        execute_notebook(
                            notebook,
                            executed,
                            params,
                            cwd=notebooks_dir,
                            kernel_log=kernel_log,
                            run_id=record.run_id,
                        )
                    if step.post:
                        if warming is not None:
                            warming.join()
                        _call(step.post)(executed, staging, week, lang)
                except Exception as exc:
                    failure = _storage_failure(exc, where=[ws.output, ws.processed])
                    if failure is not None:
                        raise StorageError(f"{label}: {failure}") from exc
                    raise StepFailed(_describe_failure(step.name, exc, executed)) from exc
                seconds = round(time.perf_counter() - t0, 2)
                made = [
                    rel for rel, stamp in _snapshot(staging).items() if before.get(rel) != stamp
                ]
                for rel in made:
                    record.made.setdefault(rel, []).append(executed.stem)
                key = reuse.ran(
                    step_id,
                    step=step.name,
                    stem=stem,
                    later=later,
                    inputs=inputs,
                    before=parts,
                    processed_before=processed_before,
                    staging=staging,
                    made=made,
                    run=record.run_id,
                    started_at=record.started_at,
                )
                record.steps.append(
                    {"step": step.name, "lang": lang, "seconds": seconds, "status": "ran"}
                    | {"key": key}
                )
                echo(f"{counter} done in {seconds:.1f} s")
            if step.name == "01_ingest":
                warned = ingest_warnings(ws, week)
                for said in warned:
                    # an alarm the duty officer accepted is said apart, where it cannot be
                    # missed; in English, as every line of the console
                    loud = "ALARM" if said.get("accepted") else "WARNING"
                    echo(f"{loud}: {said.get('message_en') or said.get('message_vi')}")
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            echo("run interrupted: ending its kernel and workers ...")
            end_children(children)
        keep_for_resume(reuse, staging, echo)
        keep_for_inspection(ws.output, week, nb_out, kernel_logs, echo)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(kernel_logs, ignore_errors=True)
        raise
    shutil.rmtree(kernel_logs, ignore_errors=True)
    record.finished_at = datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        kept = publish(staging, final, record)
        reuse.published()  # only now: what the state file says is published, is
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    what = "updated with the steps run" if record.partial else "outputs in"
    echo(f"week {week}: {what} {final} ({time.perf_counter() - t_run:.0f} s)")
    if kept:
        files = sorted(rel for rels in kept.values() for rel in rels)
        shown = [rel for rel in files if "/" not in rel and rel.endswith((".pdf", ".xlsx"))]
        others = len(files) - len(shown)
        echo(
            f"week {week}: kept from earlier runs (steps or languages not in this one): "
            + ", ".join(shown + ([f"{others} other file(s)"] if others else []))
        )
    made = sorted(
        p.name for p in final.glob("*") if p.suffix in (".pdf", ".zip") and p.name in record.made
    )
    if made:
        echo(f"week {week}: for the conference and the units: {', '.join(made)}")
    if warned:
        # said again last, where a duty officer reading the end of the run sees it
        echo(
            f"WARNING: {len(warned)} warning(s) about this week's deliveries (above, in "
            f"01_ingest and on the briefing's cover): read them before the conference"
        )
    return final


def _later(step: Step, steps: Sequence[Step]) -> list[str]:
    """The step and the steps after it in the pipeline's order (the run's own for others)."""
    order = [s.name for s in PIPELINE] + [s.name for s in steps if s not in PIPELINE]
    return order[order.index(step.name) :]


def select_steps(names: str) -> tuple[Step, ...]:
    """The pipeline steps named (comma-separated), in pipeline order; empty = all."""
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {step.name for step in PIPELINE}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(f"unknown step(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return tuple(s for s in PIPELINE if not wanted or s.name in wanted)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.runner",
        description="Run the Plan 375 weekly briefing pipeline (what `make weekly-report` calls).",
    )
    parser.add_argument(
        "--week", default="", help="last day covered, YYYY-MM-DD (default: newest delivery)"
    )
    parser.add_argument(
        "--lang", default="vi", help="report language(s), one or both of: vi, en (e.g. 'vi en')"
    )
    parser.add_argument("--raw-dir", default="", help="deliveries folder (default: data/raw)")
    parser.add_argument(
        "--processed-dir", default="", help="processed tables (default: data/processed)"
    )
    parser.add_argument("--output-dir", default="", help="outputs (default: reports/output)")
    parser.add_argument(
        "--steps",
        default="",
        help="comma-separated subset of the steps "
        f"{', '.join(step.name for step in PIPELINE)} (default: all); a subset updates only "
        "its own files in the published pack",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="if another run holds the workspace, wait for it instead of stopping (make WAIT=1)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="run every step and parse every source again, even when its inputs are unchanged "
        "(make FORCE=1)",
    )
    parser.add_argument(
        "--accept",
        action="store_true",
        help="go on when a delivered file has (nearly) all its rows rejected, or a source's "
        "accepted rows fell by more than half since the previous week; said loudly on the "
        "console and the briefing's cover (make ACCEPT=1)",
    )
    parser.add_argument(
        "--any-week",
        action="store_true",
        help="build a week after the campaign's (extended) end by more than one cadence, "
        "refused otherwise (make ANY_WEEK=1)",
    )
    parser.add_argument("--notebooks-dir", default="", help=argparse.SUPPRESS)  # tests
    args = parser.parse_args(argv)
    ws = workspace(args.raw_dir, args.processed_dir, args.output_dir)
    notebooks_dir = Path(args.notebooks_dir) if args.notebooks_dir else NOTEBOOKS_DIR
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        run(
            args.week,
            report_langs(args.lang),
            ws,
            steps=select_steps(args.steps),
            notebooks_dir=notebooks_dir,
            wait=args.wait,
            force=args.force,
            accept=args.accept,
            any_week=args.any_week,
        )
    except PipelineError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted (Ctrl-C)"
        print(f"ERROR: run {how}; the published pack is unchanged", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _terminate(signum, frame) -> None:
    """SIGTERM: abort like Ctrl-C (once; the clean-up is not interrupted again)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


if __name__ == "__main__":
    sys.exit(main())
