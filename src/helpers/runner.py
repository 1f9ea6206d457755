"""Run the weekly pipeline: execute the notebooks in order with Papermill, record the run.

    python -m helpers.runner --week 2025-11-23 --lang vi

Outputs are built in a staging folder beside ``reports/output/<week>/`` and swapped in only
when every step succeeded, so a failed run never leaves a half-built pack that looks final.
A failed run keeps its executed notebooks under ``reports/output/failed/<week>-<time>/``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

from helpers import PipelineError
from helpers.i18n import check_lang
from helpers.paths import NOTEBOOKS_DIR, Workspace, workspace
from helpers.store import resolve_week

KERNEL_NAME = "catp375"
TRACKED_PACKAGES = (
    "catp375-briefing", "pandas", "numpy", "pyarrow", "duckdb", "papermill", "nbconvert",
    "nbformat", "ipykernel", "matplotlib", "openpyxl", "weasyprint", "vietnam-provinces",
)


@dataclass(frozen=True)
class Step:
    """One pipeline notebook; ``per_lang`` steps run once for each report language.

    ``post`` names a function ``module:function`` called after the notebook succeeded with
    ``(executed_notebook, output_dir, week, lang)``: the briefing export hangs here.
    """

    name: str
    per_lang: bool = False
    post: str | None = None


PIPELINE: tuple[Step, ...] = (
    Step("01_ingest"),
    Step("02_reconcile"),
    Step("03_progress"),
    Step("04_briefing", per_lang=True, post="helpers.briefing:export_briefing"),
    Step("05_packs", per_lang=True),
)


class StepFailed(PipelineError):
    """A notebook failed; the message names the notebook, the cell and the error."""


@dataclass
class RunRecord:
    week: str
    langs: list[str]
    parameters: dict
    started_at: str = ""
    finished_at: str = ""
    steps: list[dict] = field(default_factory=list)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _call(dotted: str) -> Callable:
    module, _, func = dotted.partition(":")
    return getattr(importlib.import_module(module), func)


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


def execute_notebook(source: Path, target: Path, parameters: dict, cwd: Path) -> None:
    import papermill as pm

    pm.execute_notebook(
        str(source),
        str(target),
        parameters=parameters,
        kernel_name=KERNEL_NAME,
        cwd=str(cwd),
        progress_bar=sys.stderr.isatty(),
        log_output=False,
        report_mode=False,
    )


def share_readable(folder: Path) -> None:
    """Temporary files and folders are created private (0600/0700); the pack is for sharing."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


SEND_LOG = "distribution.json"  # written by `make send-packs` after a build, not by it


def keep_send_log(previous: Path, staging: Path) -> None:
    """A rebuilt week keeps the record of what was already sent (outside the manifest: it
    grows with every send)."""
    if (previous / SEND_LOG).is_file():
        shutil.copy2(previous / SEND_LOG, staging / SEND_LOG)


def write_manifest(out_dir: Path, record: RunRecord) -> Path:
    files = []
    for path in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        if path.name == "manifest.json":
            continue
        files.append(
            {
                "path": path.relative_to(out_dir).as_posix(),
                "bytes": path.stat().st_size,
                "sha256": sha256(path),
            }
        )
    manifest = {
        "week": record.week,
        "langs": record.langs,
        "parameters": record.parameters,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "steps": record.steps,
        "packages": package_versions(),
        "files": files,
    }
    target = out_dir / "manifest.json"
    target.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    return target


def run(
    week: str = "",
    langs: Sequence[str] = ("vi",),
    ws: Workspace | None = None,
    *,
    steps: Sequence[Step] = PIPELINE,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    echo: Callable[[str], None] = print,
) -> Path:
    """Run the pipeline for one week; returns the final output folder.

    Raises :class:`StepFailed` naming the notebook and cell when a step fails.
    """
    ws = ws or workspace()
    week = resolve_week(ws, week)
    langs = [check_lang(lang) for lang in langs]
    final = ws.output_week(week)
    ws.output.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{week}.staging-", dir=ws.output))
    nb_out = staging / "notebooks"
    nb_out.mkdir()
    record = RunRecord(
        week=week,
        langs=list(langs),
        parameters={
            "week": week,
            "langs": list(langs),
            "raw_dir": str(ws.raw),
            "processed_dir": str(ws.processed),
            "output_dir": str(final),
        },
        started_at=datetime.now().astimezone().isoformat(timespec="seconds"),
    )
    plan = [(step, lang) for step in steps for lang in (langs if step.per_lang else [None])]
    t_run = time.perf_counter()
    try:
        for index, (step, lang) in enumerate(plan, start=1):
            label = step.name + (f" [{lang}]" if lang else "")
            echo(f"[{index}/{len(plan)}] {label} ... (run elapsed {time.perf_counter() - t_run:.0f} s)")
            params = {
                "week": week,
                "raw_dir": str(ws.raw),
                "processed_dir": str(ws.processed),
                "output_dir": str(staging),
            }
            if lang:
                params["lang"] = lang
            executed = nb_out / (f"{step.name}-{lang}.ipynb" if lang else f"{step.name}.ipynb")
            t0 = time.perf_counter()
            try:
                execute_notebook(notebooks_dir / f"{step.name}.ipynb", executed, params, cwd=notebooks_dir)
                if step.post:
                    _call(step.post)(executed, staging, week, lang)
            except Exception as exc:
                raise StepFailed(_describe_failure(step.name, exc, executed)) from exc
            seconds = round(time.perf_counter() - t0, 2)
            record.steps.append({"step": step.name, "lang": lang, "seconds": seconds})
            echo(f"[{index}/{len(plan)}] {label} done in {seconds:.1f} s")
    except BaseException:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = ws.output / "failed" / f"{week}-{stamp}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(nb_out), str(kept))
        shutil.rmtree(staging, ignore_errors=True)
        echo(f"executed notebooks kept for inspection in {kept}")
        raise
    record.finished_at = datetime.now().astimezone().isoformat(timespec="seconds")
    write_manifest(staging, record)
    keep_send_log(final, staging)
    share_readable(staging)
    old = ws.output / f".{week}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)
    echo(f"week {week}: outputs in {final} ({time.perf_counter() - t_run:.0f} s)")
    return final


def select_steps(names: str) -> tuple[Step, ...]:
    """The pipeline steps named (comma-separated), in pipeline order; empty = all."""
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {step.name for step in PIPELINE}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(f"unknown step(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return tuple(s for s in PIPELINE if not wanted or s.name in wanted)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Plan 375 weekly briefing pipeline.")
    parser.add_argument("--week", default="", help="last day covered, YYYY-MM-DD (default: newest delivery)")
    parser.add_argument("--lang", default="vi", help="report language(s): vi, en or 'vi en'")
    parser.add_argument("--raw-dir", default="")
    parser.add_argument("--processed-dir", default="")
    parser.add_argument("--output-dir", default="")
    parser.add_argument(
        "--steps", default="", help="comma-separated subset of steps, e.g. 01_ingest (default: all)"
    )
    args = parser.parse_args(argv)
    langs = args.lang.replace(",", " ").split()
    ws = workspace(args.raw_dir, args.processed_dir, args.output_dir)
    try:
        run(args.week, langs, ws, steps=select_steps(args.steps))
    except PipelineError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
