"""Incremental runs: what a step or a source read, reduced to hashes, so that work whose
inputs did not change is reused instead of redone (docs/architecture.md, "Incremental runs").

- :class:`Hashes`: the SHA-256 of files, remembered per path with the size, modification time,
  inode and change time it was computed for (``<processed>/.incremental/hashes.json``): an
  unchanged 8.5 M-record registry is not read again just to be hashed, and a file copied over
  with its times kept (``cp -p``) is (its change time moved).
- :func:`code_version`: the package version, the versions of the libraries the outputs depend
  on, and one hash over the helpers source and the report templates (catalogues included), so
  an edited module or sentence makes everything run again.
- :func:`digest`: one SHA-256 over named parts (a step's key, a source's reuse key).
- :func:`step_inputs`: a pipeline step's inputs, part by part: exactly what it declares
  (helpers.pipeline): the sections of the configuration files it reads, the processed files
  it reads (or the raw deliveries, for ingest).
- :func:`load_state` / :func:`save_state`: per week, each published step's key and the files
  it made (written only once the run's files are published).
- :func:`load_resume` / :func:`save_resume`: per week, the steps a stopped run finished, with
  their files, for the next run to take instead of doing them again.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import xxhash

from helpers import paths
from helpers.paths import (
    PACKAGE_DIR,
    TEMPLATES_DIR,
    Workspace,
    is_week,
    packs_file,
    plan_file,
    sending_file,
)

if TYPE_CHECKING:
    from helpers.pipeline import Step

HASHES_NAME = "hashes.json"
PACKAGE_NAME = "catp375-briefing"
TRACKED_PACKAGES = (
    PACKAGE_NAME,
    "pandas",
    "numpy",
    "pyarrow",
    "duckdb",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "matplotlib",
    "openpyxl",
    "weasyprint",
)
# The code whose hash is part of every key: the package and the report templates; and the
# reference data every step reads as if it were code (the 126 units and their codes).
CODE_DIRS: tuple[Path, ...] = (PACKAGE_DIR, TEMPLATES_DIR)
REFERENCE_FILES: tuple[Path, ...] = (paths.UNITS_FILE,)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fast_hash(path: Path) -> str:
    """xxh3-128 of a file's content: proves a file unchanged at memory speed (not a
    cryptographic hash: the SHA-256 stays what the manifest and the keys record)."""
    digest = xxhash.xxh3_128()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def digest(parts: object) -> str:
    """One SHA-256 over a JSON-able value (dict keys sorted)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _ignored(path: Path) -> bool:
    """Hidden files, Excel lock files, byte-code: never an input."""
    return path.name.startswith((".", "~$")) or path.suffix == ".pyc" or path.name == "__pycache__"


def tree_files(folder: Path) -> list[Path]:
    """The files under ``folder`` (sorted), hidden ones and byte-code left out."""
    if not folder.is_dir():
        return []
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _ignored(Path(d)))
        out += [Path(root) / f for f in sorted(files) if not _ignored(Path(f))]
    return out


class Hashes:
    """SHA-256 of files, remembered across runs (``hashes.json``) with what proves a file
    unchanged since it was hashed.

    Size and modification time prove nothing: ``cp -p`` of a corrected file, or an edit whose
    time is put back, keeps both. The change time (ctime) cannot be put back (the kernel sets
    it to now on every write, ``touch`` and ``cp -p`` included), so a file whose size,
    modification time, inode *and* change time are those it was hashed with is unchanged. When
    only the change time moved (the runner hard-links a published file into the next run's
    pack, which changes it) the content is read again with a fast hash (xxh3-128, at memory
    speed) and compared with the one remembered; the SHA-256 is computed again only when the
    content differs."""

    def __init__(self, ws: Workspace | None = None) -> None:
        self.path = ws.incremental_dir() / HASHES_NAME if ws is not None else None
        self.known: dict[str, list] = {}
        self.changed = False
        if self.path is not None and self.path.is_file():
            try:
                self.known = json.loads(self.path.read_text("utf-8"))
            except ValueError:
                self.known = {}

    def of(self, path: Path) -> str:
        st = path.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
        name = os.path.abspath(path)
        hit = self.known.get(name)
        # an entry: size, mtime, inode, sha256, ctime, xxh3 (entries of older versions have
        # no ctime or xxh3: checked as if the change time moved)
        if hit is not None and len(hit) == 6 and hit[:3] == stamp[:3] and hit[4] == stamp[3]:
            return str(hit[3])
        quick = fast_hash(path)
        if hit is not None and len(hit) == 6 and hit[0] == st.st_size and hit[5] == quick:
            value = str(hit[3])
        else:
            value = sha256(path)
        self.known[name] = [*stamp[:3], value, stamp[3], quick]
        self.changed = True
        return value

    def folder(self, folder: Path) -> dict[str, str]:
        """Every file under ``folder`` (relative POSIX path) -> its hash."""
        return {p.relative_to(folder).as_posix(): self.of(p) for p in tree_files(folder)}

    def save(self) -> None:
        """Write the cache back (files that no longer exist are forgotten)."""
        if self.path is None or not self.changed:
            return
        from helpers.store import atomic_write

        try:  # another process (a notebook's kernel) may have added its own since
            merged = json.loads(self.path.read_text("utf-8")) if self.path.is_file() else {}
        except ValueError:
            merged = {}
        merged |= self.known
        kept = {k: v for k, v in merged.items() if os.path.exists(k)}
        self.known = kept
        text = json.dumps(kept)
        atomic_write(self.path, lambda tmp: tmp.write_text(text, "utf-8"))
        self.changed = False


def code_version(hashes: Hashes | None = None) -> dict[str, str]:
    """The package version, the libraries' versions, a hash over the code and templates and
    one over the reference data (config/units.csv)."""
    hashes = hashes or Hashes()
    versions = package_versions()
    source = {d.name: hashes.folder(d) for d in CODE_DIRS}
    return {
        "package": versions[PACKAGE_NAME],
        "libraries": digest(versions),
        "source": digest(source),
        "reference": digest({f.name: hashes.of(f) for f in REFERENCE_FILES}),
    }


# --------------------------------------------------------------------------------------------
# What a step reads
# --------------------------------------------------------------------------------------------


# The configuration files whose sections a step declares (``plan:targets``): read where
# helpers.config reads them.
SECTIONED = {"plan": plan_file, "packs": packs_file, "sending": sending_file}
_parsed: dict[tuple[str, str], dict] = {}  # (path, sha256) -> the file's sections


def _sections(path: Path, hashes: Hashes) -> dict:
    """The file's sections as YAML reads them (parsed once per content): a comment or a
    section the step does not read changes nothing of its key."""
    from helpers.config import read_yaml

    key = (str(path), hashes.of(path))
    if key not in _parsed:
        _parsed[key] = read_yaml(path)
    return _parsed[key]


def config_hash(ws: Workspace, name: str, hashes: Hashes) -> str:
    """The hash of one configuration a step reads: ``<file>:<section>`` (``plan:targets``,
    ``packs:unit_packs``: that section's values), ``aliases`` or ``secrets``."""
    file, _, section = name.partition(":")
    if section and file in SECTIONED:
        path = SECTIONED[file]()
        if not path.is_file():
            return ""  # the step itself says the file is missing
        return digest(_sections(path, hashes).get(section))
    if name == "aliases":
        return hashes.of(paths.ALIASES_FILE)  # read where helpers.headers reads it
    if name == "secrets":  # the unit pack passwords: only their hash is kept
        return digest(hashes.folder(ws.secrets_dir()))
    raise ValueError(
        f"unknown configuration {name!r}: plan:<section>, packs:<section>, aliases or secrets"
    )


def raw_state(ws: Workspace, week: str, hashes: Hashes) -> dict[str, str]:
    """Every file of the delivery folders up to ``week`` and the names of the raw folder's
    other folders: all that ingest reads or warns about."""
    state = {f"other/{name}": "" for name in ws.other_folders()}
    for delivery in (d for d in ws.deliveries() if d <= week):
        folder = ws.delivery(delivery)
        state |= {f"{delivery}/{rel}": sha for rel, sha in hashes.folder(folder).items()}
        state[f"{delivery}/"] = ""  # an empty delivery folder is warned about too
    return state


def processed_weeks(ws: Workspace) -> list[str]:
    if not ws.processed.is_dir():
        return []
    return sorted(p.name for p in ws.processed.iterdir() if p.is_dir() and is_week(p.name))


def step_inputs(
    ws: Workspace,
    week: str,
    *,
    notebook: Path,
    lang: str | None,
    spec: Step,
    not_inputs: Iterable[str],
    hashes: Hashes,
    code: Mapping[str, str],
) -> dict[str, str]:
    """A step's inputs, one hash per part: the code, its notebook, its language, each
    configuration section it declares (helpers.pipeline), and its data: the raw deliveries
    (ingest), or the week's processed files it declares to read (a step declaring none: those
    that the step itself and the later steps did not write, ``not_inputs``) plus every earlier
    week's processed files (progress reads last week's)."""
    parts = {"code": digest(code), "notebook": hashes.of(notebook), "lang": lang or ""}
    for name in spec.config:
        parts[f"config:{name}"] = config_hash(ws, name, hashes)
    if spec.reads_raw:
        parts["raw"] = digest(raw_state(ws, week, hashes))
        return parts
    skip = set(not_inputs)
    declared = spec.input_files()
    this_week = hashes.folder(ws.processed_week(week))
    parts["processed"] = digest(
        {r: s for r, s in this_week.items() if r not in skip and (not declared or r in declared)}
    )
    earlier = {
        f"{w}/{rel}": sha
        for w in processed_weeks(ws)
        if w < week
        for rel, sha in hashes.folder(ws.processed_week(w)).items()
    }
    parts["earlier_weeks"] = digest(earlier)
    return parts


# Parts a step may change itself while it runs: its own week's processed files (its outputs
# are left out of its inputs once known) and the unit pack passwords it creates.
SELF_WRITTEN = frozenset({"processed", "config:secrets"})


def recorded_key(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """The key to remember for a step that ran: its inputs once it ran, so the outputs it
    left out of its inputs and the passwords it created do not make the next run redo it;
    empty (run again next time) when anything else changed while it ran (an edit during
    the run: which version the step read is unknown)."""
    moved = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    return digest(dict(after)) if moved <= SELF_WRITTEN else ""


# --------------------------------------------------------------------------------------------
# What a week's steps made
# --------------------------------------------------------------------------------------------


def state_path(ws: Workspace, week: str) -> Path:
    return ws.incremental_dir() / f"{week}.json"


def load_state(ws: Workspace, week: str) -> dict[str, dict]:
    """Per step (``name`` or ``name[lang]``): its key, the run that made its outputs, and its
    outputs' hashes (``processed``: in the week's processed folder; ``output``: in the week's
    output folder)."""
    return _steps_in(state_path(ws, week))


def _steps_in(path: Path) -> dict[str, dict]:
    """The ``steps`` of a state or resume file; none when it is missing or unreadable (the
    steps are then done again, never trusted half-read)."""
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text("utf-8")).get("steps", {}))
    except ValueError:
        return {}


def save_state(ws: Workspace, week: str, steps: Mapping[str, dict]) -> None:
    from helpers.store import atomic_write

    text = json.dumps({"week": week, "steps": dict(steps)}, ensure_ascii=False, indent=1)
    atomic_write(state_path(ws, week), lambda tmp: tmp.write_text(text, "utf-8"))


RESUME_NAME = "resume"
RESUME_FILE = "resume.json"


def resume_root(ws: Workspace) -> Path:
    """Where stopped runs keep their finished steps, one folder per week."""
    return ws.incremental_dir() / RESUME_NAME


def resume_dir(ws: Workspace, week: str) -> Path:
    """A stopped run's finished steps for ``week``: ``resume.json`` (per step its entry, as in
    the state file) and ``output/`` (the files they made for the pack: never published from
    here, only taken by the next run of the week)."""
    return resume_root(ws) / week


def load_resume(ws: Workspace, week: str) -> dict[str, dict]:
    return _steps_in(resume_dir(ws, week) / RESUME_FILE)


def save_resume(
    ws: Workspace, week: str, entries: Mapping[str, dict], sources: Mapping[str, Path]
) -> Path | None:
    """Build the week's resume folder anew: ``entries`` per step, each step's output files
    linked from ``sources[step]``; removed when there is nothing to keep. Built beside and
    swapped in (store.replace_dir), so a kill leaves the old folder or the new one, and a
    staging folder the next run removes."""
    from helpers.store import replace_dir

    target = resume_dir(ws, week)
    if not entries:
        shutil.rmtree(target, ignore_errors=True)
        return None
    with replace_dir(target) as staging:
        for step_id, entry in entries.items():
            for rel in entry["output"]:
                link_or_copy(sources[step_id] / rel, staging / "output" / rel)
        text = json.dumps({"week": week, "steps": dict(entries)}, ensure_ascii=False, indent=1)
        (staging / RESUME_FILE).write_text(text, "utf-8")
    return target


def outputs_intact(entry: Mapping, processed: Path, output: Path, hashes: Hashes) -> bool:
    """Whether every file a step made is still there as it made it."""
    for folder, files in ((processed, entry.get("processed", {})), (output, entry["output"])):
        for rel, sha in files.items():
            path = folder / rel
            if not path.is_file() or hashes.of(path) != sha:
                return False
    return True


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link when the file system allows it, else a copy. Safe because nothing in the
    suite writes a file in place: every writer writes a new file and renames it over the old
    one (store.atomic_write, store.replace_dir), which leaves the other link untouched."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Size, modification time and inode of every file under ``folder``: what changed."""
    out = {}
    for path in tree_files(folder):
        st = path.stat()
        out[path.relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


class StepReuse:
    """The runner's side of incremental runs, for one week: whether a step can be skipped,
    carrying a skipped step's files into the run's staging folder, remembering what a step
    that ran made.

    A step (``name`` or ``name[lang]``) is skipped when its key (:func:`step_inputs`) equals
    the one remembered for it, and every file it made is still there unchanged: its processed
    tables, and its files in the published week folder (executed notebook, PDF, packs), or in
    the week's resume folder for a step a stopped run finished.

    Nothing is written as published before it is: what the steps of this run made is kept in
    memory and written to the state file by :meth:`published`, once the runner has published
    the run's files; a run that stops keeps its finished steps with :meth:`keep_stopped`.
    """

    def __init__(self, ws: Workspace, week: str, *, force: bool = False) -> None:
        self.ws, self.week, self.force = ws, week, force
        self.hashes = Hashes(ws)
        self.code = code_version(self.hashes)
        self.state = load_state(ws, week)  # published steps, then this run's as they finish
        # a stopped run's finished steps not yet taken or discarded by this run
        self.resume = {} if force else load_resume(ws, week)
        self.resume_output = resume_dir(ws, week) / "output"
        self.finished: dict[str, dict] = {}  # this run's steps, done with a key

    def snapshot(self) -> dict[str, tuple[int, int, int]]:
        return snapshot(self.ws.processed_week(self.week))

    def inputs(self, step_id: str, step: str, later: Sequence[str], **kwargs) -> dict[str, str]:
        """The step's inputs; ``later`` names this step and the pipeline's later steps, whose
        processed files are not its inputs."""
        not_inputs = {
            rel
            for entry in [*self.state.values(), *self.resume.values()]
            if entry.get("step") in set(later)
            for rel in entry.get("processed", {})
        }
        parts = step_inputs(
            self.ws,
            self.week,
            hashes=self.hashes,
            code=self.code,
            not_inputs=not_inputs,
            **kwargs,
        )
        self.hashes.save()  # the notebook's own hashing (ingest) starts from what is known
        return parts

    def reusable(
        self, step_id: str, parts: Mapping[str, str], published: Path
    ) -> tuple[dict, Path] | None:
        """The remembered entry and the folder holding its files when the step can be
        skipped (the published week folder, else the stopped run's resume folder), else
        None. A stopped run's entry is used now or never: its inputs changed."""
        if self.force:
            return None
        key = digest(parts)
        processed = self.ws.processed_week(self.week)
        stopped = self.resume.pop(step_id, None)
        for entry, folder in ((self.state.get(step_id), published), (stopped, self.resume_output)):
            if not entry or not entry.get("key") or entry["key"] != key:
                continue
            if outputs_intact(entry, processed, folder, self.hashes):
                if entry is stopped:
                    self.state[step_id] = entry
                    self.finished[step_id] = entry
                return entry, folder
        return None

    def carry(self, entry: Mapping, source: Path, staging: Path) -> list[str]:
        """Link the files a skipped step made (in ``source``) into the staging folder."""
        for rel in entry["output"]:
            link_or_copy(source / rel, staging / rel)
        return sorted(entry["output"])

    def ran(
        self,
        step_id: str,
        *,
        step: str,
        stem: str,
        later: Sequence[str],
        inputs: Mapping,
        before: Mapping[str, str],
        processed_before: Mapping[str, tuple],
        staging: Path,
        made: Iterable[str],
        run: str,
        started_at: str,
    ) -> str:
        """Remember (in memory: see :meth:`published`) what a step that ran made; returns the
        key remembered ('' = none).

        ``inputs`` are the keyword arguments its inputs were computed with (``before``)."""
        folder = self.ws.processed_week(self.week)
        now = snapshot(folder)
        written = sorted(rel for rel, stamp in now.items() if processed_before.get(rel) != stamp)
        self.state[step_id] = {
            "step": step,
            "stem": stem,
            "run": run,
            "started_at": started_at,
            "key": "",
            "processed": {rel: self.hashes.of(folder / rel) for rel in written},
            "output": {rel: self.hashes.of(staging / rel) for rel in sorted(made)},
        }
        after = self.inputs(step_id, step, later, **inputs)
        key = recorded_key(before, after)
        self.state[step_id]["key"] = key
        self.state[step_id]["inputs"] = after
        if key:
            self.finished[step_id] = self.state[step_id]
        else:
            self.finished.pop(step_id, None)
        self.hashes.save()
        return key

    def published(self) -> None:
        """The run's files are published: remember its steps. The stopped run's steps it took
        are published with them and those it discarded are gone; what is left in the resume
        folder are the steps this run did not cover (a run of some steps only)."""
        save_state(self.ws, self.week, self.state)
        left = self.resume
        save_resume(self.ws, self.week, left, dict.fromkeys(left, self.resume_output))
        self.hashes.save()

    def keep_stopped(self, staging: Path) -> tuple[Path | None, list[str]]:
        """The run stopped: keep the steps it finished (their files are in ``staging``), and
        the stopped run's steps it did not reach, in the resume folder; the published state is
        left as it was. Returns the folder and the steps kept."""
        entries = self.resume | self.finished
        sources = dict.fromkeys(self.resume, self.resume_output)
        sources |= dict.fromkeys(self.finished, staging)
        folder = save_resume(self.ws, self.week, entries, sources)
        self.hashes.save()
        return folder, list(self.finished)
