"""Reading back a form the suite issued (helpers.forms): its known cells, no header guessing.

A workbook with the hidden `_form` sheet is read by its layout (helpers.forms.layout): the
rows from FIRST_ROW, one per day or organisation, each input cell as typed; the unit is the
form's own. A form of another unit (the file's name starts with another unit's code), of
another delivery, of an older or unknown version, in the wrong folder, or with a locked cell
changed (its fingerprint in `_form`) is *refused*: all its rows are rejected with that reason
(``form_*`` in the rejects table and the ledger), nothing of it is counted. Returned
organisations' reviews supersede the city export's row of the same organisation
(docs/rules.md, "Forms").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa

from helpers import normalize
from helpers.forms.identity import VERSIONS, FormIdentity, parse, read_keys
from helpers.forms.layout import FIELDS, FIRST_ROW, HEADER_ROW, cell_hash, cell_text, fields
from helpers.ingest.rawfile import RawFile
from helpers.ingest.sources import COLUMNS, SKIP_KINDS, relative
from helpers.ingest.validate import Validated, with_reasons
from helpers.paths import Workspace

_LEADING_CODE = re.compile(r"^(\d{5})(?!\d)")
FORM_SOURCES = {"unit_daily": "unit_reports", "org_review": "organizations"}


def _refusal(
    identity: FormIdentity, keys: dict[str, str], path: Path, source: str, delivery: str, sheet
) -> tuple[str, str | None] | None:
    """Why the form is refused (reason code, the locked cell changed), or None."""
    if identity.version != VERSIONS[identity.form]:
        return "form_old_version", None
    if FORM_SOURCES[identity.form] != source or path.parent.name != identity.subfolder:
        return "form_wrong_folder", None
    named = _LEADING_CODE.match(path.name)
    if named and named.group(1) != identity.unit_code:
        return "form_other_unit", None
    if identity.due.isoformat() != delivery:
        return "form_other_period", None
    for key, expected in keys.items():
        if key.startswith("cell:"):
            ref = key[5:]
            if cell_hash(cell_text(sheet[ref].value)) != expected:
                return "form_locked_changed", ref
    return None


def read_form(ws: Workspace, source: str, path: Path, delivery: str) -> list[RawFile] | None:
    """The form's rows as one :class:`RawFile` (refused: ``form["refused"]`` set), or None
    when ``path`` is no form the suite issued; a damaged identity raises FormError."""
    keys = read_keys(path)
    if keys is None:
        return None
    identity = parse(path, keys)
    from openpyxl import load_workbook

    raw = path.read_bytes()
    book = load_workbook(path, data_only=True)
    sheet = book.worksheets[0]
    refused = _refusal(identity, keys, path, source, delivery, sheet)
    # an unknown version is refused; its rows are still counted, by the current layout
    known = (identity.form, identity.version) in FIELDS
    cols = fields(identity.form, identity.version if known else VERSIONS[identity.form])
    n = int(keys.get("rows") or 0)
    data: dict[str, list] = {c: [] for c in COLUMNS[source]}
    lines: list[int] = []
    blank = 0
    for r in range(FIRST_ROW, FIRST_ROW + n):
        values = {f.source_column: sheet.cell(row=r, column=j).value for j, f in enumerate(cols, 1)}
        typed = [
            cell_text(sheet.cell(row=r, column=j).value) for j, f in enumerate(cols, 1) if f.input
        ]
        if not any(typed):
            blank += 1  # a day with no figures yet, an organisation not answered: no row
            continue
        for column in data:
            value = identity.unit_code if column == "unit_code" else values.get(column)
            data[column].append(cell_text(value) or None)
        lines.append(r)
    header = {
        f.source_column: cell_text(sheet.cell(row=HEADER_ROW, column=j).value)
        for j, f in enumerate(cols, 1)
        if f.source_column
    }
    book.close()
    table = pa.table({c: pa.array(v, pa.large_string()) for c, v in data.items()})
    table = table.append_column("source_row", pa.array(lines, pa.int64()))
    skipped = dict.fromkeys(SKIP_KINDS, 0) | {"title": HEADER_ROW - 1, "blank": blank}
    return [
        RawFile(
            source=source,
            file=relative(ws, path),
            sha256=hashlib.sha256(raw).hexdigest(),
            delivery=delivery,
            header_row=HEADER_ROW,
            header=header,
            rows=table,
            skipped=skipped,
            form={
                "form": identity.form,
                "version": identity.version,
                "unit_code": identity.unit_code,
                "first_day": identity.first_day.isoformat(),
                "last_day": identity.last_day.isoformat(),
                "due": identity.due.isoformat(),
                "refused": refused[0] if refused else None,
                "cell": refused[1] if refused else None,
            },
        )
    ]


# ---------------------------------------------------------------- a source's forms, together


def refused(raw: RawFile) -> bool:
    return bool(raw.form and raw.form.get("refused"))


def emptied(raw: RawFile) -> RawFile:
    """A refused form without its rows: they are never validated, nor met as duplicates."""
    return replace(raw, rows=raw.rows.slice(0, 0)) if refused(raw) else raw


def with_refusals(result: Validated, raws: list[RawFile]) -> Validated:
    """``result`` with every row of each refused form rejected with its reason (column
    ``_form``, the value what the form says: its unit, delivery, version or changed cell)."""
    parts = []
    for raw in raws:
        if not refused(raw):
            continue
        form = raw.form or {}
        code = str(form["refused"])
        said = {
            "form_other_unit": form["unit_code"],
            "form_other_period": form["due"],
            "form_old_version": f"{form['form']} v{form['version']}",
            "form_wrong_folder": form["form"],
            "form_locked_changed": form.get("cell"),
        }[code]
        rows = raw.rows.num_rows
        parts.append(
            pd.DataFrame(
                {
                    "source": raw.source,
                    "source_file": raw.file,
                    "source_row": raw.rows.column("source_row").to_numpy(),
                    "column": "_form",
                    "value": said,
                    "reason_code": code,
                    "other_file": pd.Series([None] * rows, dtype="str"),
                    "other_row": pd.Series([pd.NA] * rows, dtype="Int64"),
                }
            )
        )
        result.rejected_rows[raw.file] = rows
        result.accepted_rows[raw.file] = 0
    if parts:
        result.rejects = pd.concat(
            [result.rejects, with_reasons(pd.concat(parts, ignore_index=True))],
            ignore_index=True,
        )
    return result


def supersede(source: str, raws: list[RawFile]) -> list[RawFile]:
    """Organisations answered on a unit's returned review form: the export's row of the same
    organisation (tax code, digits only) is left out, counted as skipped ``superseded``."""
    if source != "organizations":
        return raws
    answered = [r for r in raws if r.form and not refused(r)]
    if not answered:
        return raws
    ids = set()
    for raw in answered:
        ids |= set(_org_ids(raw).dropna())
    out = []
    for raw in raws:
        if raw.form:
            out.append(raw)
            continue
        drop = _org_ids(raw).isin(ids).to_numpy()
        if not drop.any():
            out.append(raw)
            continue
        skipped = raw.skipped | {"superseded": int(drop.sum())}
        out.append(replace(raw, rows=raw.rows.filter(pa.array(~drop)), skipped=skipped))
    return out


def _org_ids(raw: RawFile) -> pd.Series:
    text = raw.rows.column("org_id").to_pandas()
    return normalize.digits_series(normalize.clean_text_series(text))


def forms_used(entries: list[dict]) -> dict[str, dict[str, int]]:
    """Per form: the units whose issued form was read (not refused), and the forms refused."""
    out: dict[str, dict[str, int]] = {}
    for form in FORM_SOURCES:
        mine = [e["form"] for e in entries if (e.get("form") or {}).get("form") == form]
        out[form] = {
            "units": len({f["unit_code"] for f in mine if not f["refused"]}),
            "refused": sum(1 for f in mine if f["refused"]),
        }
    return out
