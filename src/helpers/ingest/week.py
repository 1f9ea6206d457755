"""The week: every source read, validated and written, the ledger balanced and the processed
folder swapped in atomically."""

from __future__ import annotations

import gzip
import json
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from helpers import PipelineError, headers, i18n, pipeline, schemas, store, synthetic
from helpers.bars import bar
from helpers.config import Plan, load_plan
from helpers.incremental import Hashes, code_version
from helpers.ingest import read_form
from helpers.ingest.alarms import previous_ledger, rejection_alarms, stop_unless_accepted
from helpers.ingest.rawfile import RawFile, release_memory
from helpers.ingest.read import read_file
from helpers.ingest.reuse import find_earlier, reuse_source, source_key
from helpers.ingest.sources import (
    OPTIONAL_SOURCES,
    SourceFiles,
    delivery_warnings,
    locate_sources,
    raw_format,
    source_ages,
    warning,
)
from helpers.ingest.validate import REJECT_COLUMNS, Validated, combine, validate, with_reasons
from helpers.paths import Workspace
from helpers.units import UNIT_COUNT
from helpers.workers import process_pool

# ---------------------------------------------------------------- the week


def ledger_entry(raw: RawFile, result: Validated) -> dict:
    """rows read = accepted + rejected + skipped, for one file (or workbook sheet)."""
    skipped = dict(raw.skipped)
    accepted = result.accepted_rows.get(raw.file, 0)
    rejected = result.rejected_rows.get(raw.file, 0)
    return {
        "source": raw.source,
        "file": raw.file,
        "delivery": raw.delivery,
        "sha256": raw.sha256,
        "header_row": raw.header_row,
        "rows_read": raw.rows_read,
        "rows_accepted": accepted,
        "rows_rejected": rejected,
        "rows_skipped": skipped,
        "balanced": raw.rows_read == accepted + rejected + sum(skipped.values()),
        "copy_of": result.copy_of.get(raw.file),
        "notes": result.notes.get(raw.file, {}),
        "columns_guessed": headers.guessed(raw.source, raw.header),
        "columns_unused": [
            c for c in raw.extra_columns if not headers.is_unused(c) and not headers.is_unit_name(c)
        ],
        "reject_reasons": _reject_reasons(result.rejects, raw.file),
    }


def _reject_reasons(rejects: pd.DataFrame, file: str) -> dict[str, int]:
    """Problems per reject reason in one file, commonest first (one per row and column)."""
    mine = rejects["reason_code"][rejects["source_file"] == file]
    return {str(code): int(n) for code, n in mine.value_counts().items()}


def _empty_rejects() -> pd.DataFrame:
    return with_reasons(
        pd.DataFrame(
            {
                c: pd.Series([], dtype="int64" if c in ("source_row", "other_row") else "str")
                for c in (*REJECT_COLUMNS[:6], "other_file", "other_row")
            }
        )
    )


# Columns with few distinct values: dictionary-encoded in Parquet (cheap and small); the
# others (IDs, names, plates) are written plain, which is faster for near-unique text.
LOW_CARDINALITY = frozenset(
    {
        "unit_code",
        "vehicle_type",
        "owner_kind",
        "owner_id_kind",
        "holder_id_kind",
        "citizen_id_kind",
        "licence_class",
        "gender",
        "status",
        "kind",
        "declared_status",
        "review_status",
        "reject_reason",
        "org_type",
        "source_file",
        "source",
        "column",
        "reason_code",
        "reason",
        "reason_vi",
    }
)


WRITE_BATCH = 1 << 18  # rows filtered and written at a time: one batch copied, not the table


def write_table(table: pa.Table, path: Path, keep: np.ndarray | None = None) -> None:
    """One processed table (only the ``keep`` rows) into a fresh staging folder, which
    ``store.replace_dir`` then swaps in."""
    dictionary = [c for c in table.column_names if c in LOW_CARDINALITY]
    with pq.ParquetWriter(
        path, table.schema, compression="snappy", use_dictionary=dictionary
    ) as writer:
        for start in range(0, max(table.num_rows, 1), WRITE_BATCH):
            part = table.slice(start, WRITE_BATCH)
            if keep is not None:
                part = part.filter(pa.array(keep[start : start + WRITE_BATCH]))
            writer.write_table(part, row_group_size=WRITE_BATCH)


PARALLEL_BYTES = 64 * 2**20  # raw bytes from which sources are ingested in worker processes
# A source of this many cells (rows x columns) or more takes gigabytes while validated (about
# 40-50 bytes a cell: the city's submissions 5.6 GB, registry 4.1 GB, population 2.8 GB): two
# such sources at once are what peaks.
HEAVY_CELLS = 5_000_000
_SAMPLE = 8 << 20  # bytes of text a CSV's rows are counted in, to estimate the whole file's


def raw_cells(path: Path) -> int:
    """Rows x columns of one raw file, estimated without reading it: a Parquet file's from its
    footer; a CSV's rows from the lines in its first 8 MB of text (through gzip: and the
    share of the compressed file they took); a workbook's (small) from its bytes."""
    fmt = raw_format(path)
    size = path.stat().st_size
    try:
        if fmt == ".parquet":
            meta = pq.ParquetFile(path).metadata
            return meta.num_rows * meta.num_columns
        if fmt not in (".csv", ".csv.gz"):
            return size // 16
        with path.open("rb") as raw, gzip.open(raw) if fmt == ".csv.gz" else raw as text:
            head = text.read(_SAMPLE)
            # through gzip: the compressed bytes read so far (read ahead by at most a buffer)
            share = raw.tell() / size if fmt == ".csv.gz" and len(head) == _SAMPLE else 1.0
    except (OSError, EOFError, ValueError, pa.ArrowException):
        return size  # unreadable: reading it says why (helpers.ingest.read)
    if not head:
        return 0
    first = head.split(b"\n", 1)[0]
    columns = 1 + max(first.count(sep) for sep in (b",", b";", b"\t", b"|"))
    lines = head.count(b"\n") or 1
    return int(lines * columns * (size / len(head) if fmt == ".csv" else 1 / share))


def ingest_source(
    ws: Workspace, source: str, where: SourceFiles, staging: Path
) -> tuple[list[dict], pd.DataFrame, dict]:
    """Read, validate and write one source; returns its ledger entries, rejects and totals."""
    raws = [raw for path in where.files for raw in read_file(ws, source, path, where.delivery)]
    raws = read_form.supersede(source, raws)
    release_memory()
    result = validate(source, combine([read_form.emptied(r) for r in raws]), where.delivery)
    result = read_form.with_refusals(result, raws)
    files = [ledger_entry(raw, result) | ({"form": raw.form} if raw.form else {}) for raw in raws]
    del raws  # the raw text is not needed to write the typed table
    write_table(result.table, staging / f"{source}.parquet", keep=result.keep)
    schemas.check_file(source, staging / f"{source}.parquet")
    totals = {
        "delivery": where.delivery,
        "files": len(files),
        "rows_read": sum(e["rows_read"] for e in files),
        "rows_accepted": sum(e["rows_accepted"] for e in files),
        "rows_rejected": sum(e["rows_rejected"] for e in files),
        "rows_skipped": sum(sum(e["rows_skipped"].values()) for e in files),
    }
    rejects = result.rejects
    del result
    release_memory()
    return files, rejects, totals


def fits_beside(source: str, running: set[str], cells: dict[str, int]) -> bool:
    """Whether ``source`` may start while ``running`` are being ingested, so that the process
    tree's peak stays near the biggest source's own (docs/performance.md, #18 lever a).

    A heavy source (``HEAVY_CELLS`` estimated cells or more: :func:`raw_cells`) never runs
    beside the biggest one: that goes beside the light sources only, and the other heavy ones
    two at a time (the city's registry beside its population, its submissions alone). Light
    sources run beside anything.
    """
    biggest = max(cells, key=lambda s: cells[s])
    heavy = {s for s in (source, *running) if cells[s] >= HEAVY_CELLS}
    return len(heavy) <= 1 or biggest not in heavy


def _ingest_sources(
    ws: Workspace,
    located: dict[str, SourceFiles],
    staging: Path,
    workers: int,
    ticks: tqdm | None = None,
) -> dict[str, tuple]:
    """Every source, one after another, or for a city's deliveries in ``workers`` processes.

    Sources are independent until the ledger: at city scale two processes take them biggest
    first, scheduled by memory (:func:`fits_beside`): the biggest (the submissions export)
    beside the light sources only, then the vehicle registry beside population. Small
    deliveries stay in this process (starting a worker costs more than it saves). ``ticks``
    (by default a :func:`helpers.bars.bar`) moves by one as each source is done, in whichever
    order the workers finish.
    """
    size = {s: sum(p.stat().st_size for p in w.files) for s, w in located.items()}
    with ticks if ticks is not None else bar(len(located), "ingest", unit="source") as ticks:
        if workers <= 1 or sum(size.values()) < PARALLEL_BYTES:
            done = {}
            for s, w in located.items():
                done[s] = ingest_source(ws, s, w, staging)
                ticks.update()
            return done
        cells = {s: sum(raw_cells(p) for p in w.files) for s, w in located.items()}
        pending = sorted(located, key=lambda s: -cells[s])
        finished: dict[str, tuple] = {}
        running: dict[Future, str] = {}
        # spawn: a fresh interpreter, never a fork of a kernel that holds Arrow/DuckDB threads;
        # the workers end with this process (helpers.workers)
        with process_pool(workers) as pool:
            while pending or running:
                # the biggest pending source that fits beside those running, while a worker is
                # free (with none running every source fits: the loop always moves on)
                while len(running) < workers:
                    busy = set(running.values())
                    nxt = next((s for s in pending if fits_beside(s, busy, cells)), None)
                    if nxt is None:
                        break
                    pending.remove(nxt)
                    running[pool.submit(ingest_source, ws, nxt, located[nxt], staging)] = nxt
                ended, _ = wait(running, return_when=FIRST_COMPLETED)
                for job in ended:
                    finished[running.pop(job)] = job.result()
                    ticks.update()
            return finished


def _column_warnings(source: str, files: list[dict]) -> list[dict]:
    """One warning per header read by its words, and per header no column uses, with the
    number of files (126 unit workbooks with the same extra column make one line)."""
    guessed: dict[tuple[str, str, str], int] = {}
    unused: dict[str, int] = {}
    for entry in files:
        for g in entry["columns_guessed"]:
            key = (g["column"], g["header"], g["alias"])
            guessed[key] = guessed.get(key, 0) + 1
        for header in entry["columns_unused"]:
            unused[header] = unused.get(header, 0) + 1
    return [
        *(
            warning("header_guessed", source=source, column=c, header=h, alias=a, files=n)
            for (c, h, a), n in guessed.items()
        ),
        *(warning("unused_column", source=source, header=h, files=n) for h, n in unused.items()),
    ]


def _form_warnings(entries: list[dict]) -> list[dict]:
    """Each refused form with its reason, then how many units used the issued forms."""
    out = []
    for e in entries:
        form = e.get("form") or {}
        if form.get("refused"):
            params = {"file": e["file"], "rows": e["rows_rejected"], "cell": form.get("cell")}
            out.append(
                {
                    "code": "form_refused",
                    "params": params | {"reason_code": form["refused"]},
                    **{
                        f"message_{lang}": i18n.t(
                            "ingest_warning.form_refused",
                            lang,
                            **params,
                            reason=i18n.t(f"rejects.{form['refused']}", lang),
                        )
                        + (f" ({form['cell']})" if form.get("cell") else "")
                        for lang in i18n.LANGS
                    },
                }
            )
    used = read_form.forms_used(entries)
    if any(u["units"] or u["refused"] for u in used.values()):
        out.append(
            warning(
                "forms_used",
                daily=used["unit_daily"]["units"],
                orgs=used["org_review"]["units"],
                units=UNIT_COUNT,
                refused=sum(u["refused"] for u in used.values()),
            )
        )
    return out


@pipeline.runs("01_ingest")
def ingest_week(
    ws: Workspace,
    week: str,
    workers: int = 2,
    plan: Plan | None = None,
    *,
    reuse: bool = True,
    accept: bool = False,
) -> dict:
    """Ingest every source for ``week`` into ``data/processed/<week>/`` (replaced atomically).

    Writes one Parquet table per source, ``rejects.parquet`` and ``ledger.json``; returns the
    ledger as a summary. Raises :class:`DeliveryError` for a missing or bad file and
    :class:`PipelineError` when a file does not balance (nothing is replaced then). Large
    deliveries are ingested ``workers`` sources at a time. With ``reuse`` a source whose raw
    files an earlier ingest already read byte for byte is taken from it (helpers.ingest.reuse;
    the ledger says which week parsed it); ``reuse=False`` parses every source.

    A file with (nearly) all its rows rejected, or a source whose accepted rows fell sharply
    since the previous week's ingest (``plan.intake``; helpers.ingest.alarms), raises
    :class:`DeliveryError` naming it and the commonest reason (nothing is replaced), unless
    ``accept``: then the alarms head the ledger's warnings, said as accepted.
    """
    week = store.resolve_week(ws, week)
    plan = plan or load_plan()
    located = locate_sources(ws, week)
    warnings = delivery_warnings(ws, week, located, plan)
    ages = source_ages(located, week, plan)
    hashes = Hashes(ws)
    code = code_version(hashes)
    keys = {s: source_key(ws, where, hashes, code) for s, where in located.items()}
    hashes.save()
    earlier = find_earlier(ws, keys, week) if reuse else {}
    entries: list[dict] = []
    summary: dict[str, dict] = {}
    with store.replace_dir(ws.processed_week(week), forbidden=ws.raw) as staging:
        parse = {s: where for s, where in located.items() if s not in earlier}
        done = _ingest_sources(ws, parse, staging, workers) if parse else {}
        done |= {s: reuse_source(ws, s, found, staging) for s, found in earlier.items()}
        rejects_all: list[pd.DataFrame] = []
        for source in located:  # the ledger in the sources' fixed order, however they ran
            files, rejects, summary[source] = done[source]
            found = earlier.get(source)
            summary[source] |= ages[source] | {
                "reuse_key": keys[source],
                "parsed_in": found.parsed_in if found else week,
                "reused_from": found.parsed_in if found else None,
            }
            warnings += [
                warning(
                    "duplicate_file", file=e["file"], other=e["copy_of"], rows=e["rows_rejected"]
                )
                for e in files
                if e["copy_of"]
            ]
            warnings += _column_warnings(source, files)
            warnings += [
                warning(f"note_{kind}", file=e["file"], rows=n, delivery=e["delivery"])
                for e in files
                for kind, n in e["notes"].items()
            ]
            entries += files
            if len(rejects):
                rejects_all.append(rejects)
        warnings += _form_warnings(entries)
        alarms = rejection_alarms(
            [e for e in entries if not (e.get("form") or {}).get("refused")],
            summary,
            previous_ledger(ws, week),
            plan.intake,
        )
        warnings = stop_unless_accepted(alarms, accept) + warnings
        for source in OPTIONAL_SOURCES:  # not delivered (yet): an empty table, no warning
            if source not in located:
                write_table(schemas.empty_table(source), staging / f"{source}.parquet")
        rejects = pd.concat(rejects_all, ignore_index=True) if rejects_all else _empty_rejects()
        write_table(
            pa.Table.from_pandas(rejects, preserve_index=False), staging / "rejects.parquet"
        )
        schemas.check_file("rejects", staging / "rejects.parquet")
        unbalanced = [e for e in entries if not e["balanced"]]
        ledger = {
            "week": week,
            "balanced": not unbalanced,
            "sources": summary,
            "files": entries,
            "warnings": warnings,
            # the generator's marked folders up to the week (helpers.synthetic): any one makes
            # every document of the week say DỮ LIỆU MẪU / SYNTHETIC DATA
            # how many units returned the issued forms (helpers.forms), how many were refused
            "forms": read_form.forms_used(entries),
            "synthetic_deliveries": synthetic.marked_deliveries(
                ws, [d for d in ws.deliveries() if d <= week]
            ),
        }
        (staging / "ledger.json").write_text(
            json.dumps(ledger, ensure_ascii=False, indent=2), "utf-8"
        )
        if unbalanced:
            worst = unbalanced[0]
            raise PipelineError(
                f"ledger does not balance for {len(unbalanced)} file(s), e.g. {worst['file']}: "
                f"read {worst['rows_read']} != accepted {worst['rows_accepted']} + rejected "
                f"{worst['rows_rejected']} + skipped {sum(worst['rows_skipped'].values())}"
            )
    return ledger
