"""A small, fast and byte-deterministic .xlsx writer for the generated deliveries.

openpyxl stamps the current time into every workbook and writes zip entries with today's date,
so two runs with one seed would differ; it is also slow for the ~800 small unit workbooks. This
writer emits the few XML parts a workbook needs (inline strings, one date style, bold title
style, merged cells) with fixed zip dates. Cells of a data block are rendered column by column
with vectorised string operations, so a 100,000-row sheet costs a second, not a minute.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

EXCEL_EPOCH = date(1899, 12, 30)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

STYLE_NORMAL, STYLE_DATE, STYLE_TITLE, STYLE_HEADER, STYLE_DATETIME = 0, 1, 2, 3, 4

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{sheets}"
    '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_WB_REL = (
    '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Times New Roman"/></font>'
    '<font><b/><sz val="12"/><name val="Times New Roman"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
    'applyAlignment="1"><alignment horizontal="center"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def col_letter(i: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    return get_column_letter(i + 1)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, value: object, style: int = STYLE_NORMAL) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "" if style == STYLE_NORMAL else f'<c r="{ref}" s="{style}"/>'
    s = f' s="{style}"' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, np.integer)):
        return f'<c r="{ref}"{s}><v>{int(value)}</v></c>'
    if isinstance(value, (float, np.floating)):
        return f'<c r="{ref}"{s}><v>{repr(float(value))}</v></c>'
    if isinstance(value, datetime):
        serial = (value - datetime(1899, 12, 30)).total_seconds() / 86400
        return f'<c r="{ref}" s="{STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{STYLE_DATE}"><v>{(value - EXCEL_EPOCH).days}</v></c>'
    text = str(value)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_esc(text)}</t></is></c>'


@dataclass
class Sheet:
    """One worksheet: free rows above (title block), a data block, free rows below (totals).

    ``data`` columns are rendered by kind: 'text' (str or missing), 'int' (numbers, missing ok),
    'date' (day counts since 1899-12-30 shown as dates), 'mixed' (str that looks like a number
    is written as a number, the way Excel keeps an ID it has eaten the zeros of).
    """

    name: str
    top: Sequence[Sequence[object]] = field(default_factory=list)
    top_styles: list[int] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    data: pd.DataFrame | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    columns: list[list] | None = None  # alternative to ``data``: column lists, kinds in order
    column_kinds: list[str] = field(default_factory=list)
    bottom: Sequence[Sequence[object]] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    widths: Sequence[float] = field(default_factory=list)

    @property
    def header_row(self) -> int:
        """1-based spreadsheet row of the header."""
        return len(self.top) + 1


def _row_xml(r: int, values: Sequence[object], style: int = STYLE_NORMAL) -> str:
    cells = "".join(_cell(f"{col_letter(j)}{r}", v, style) for j, v in enumerate(values))
    return f'<row r="{r}">{cells}</row>'


def _data_rows(data: pd.DataFrame, kinds: dict[str, str], first_row: int) -> list[str]:
    n = len(data)
    if n == 0:
        return []
    if n < 3000:  # small sheets (unit reports): plain Python beats per-column pandas overhead
        return _data_rows_small(data, kinds, first_row)
    rows = pd.Series(np.arange(first_row, first_row + n).astype(str))
    parts = []
    for j, col in enumerate(data.columns):
        letter = col_letter(j)
        kind = kinds.get(col, "text")
        values = data[col].reset_index(drop=True)
        missing = values.isna()
        ref = letter + rows
        if kind == "int":
            txt = values.astype("Int64").astype("string")
            cell = '<c r="' + ref + '"><v>' + txt + "</v></c>"
        elif kind == "date":
            txt = values.astype("Int64").astype("string")
            cell = '<c r="' + ref + f'" s="{STYLE_DATE}"><v>' + txt + "</v></c>"
        else:
            txt = values.astype("string").fillna("")
            esc = (
                txt.str.replace("&", "&amp;", regex=False)
                .str.replace("<", "&lt;", regex=False)
                .str.replace(">", "&gt;", regex=False)
            )
            cell = '<c r="' + ref + '" t="inlineStr"><is><t xml:space="preserve">' + esc
            cell = cell + "</t></is></c>"
            if kind == "mixed":
                numeric = txt.str.fullmatch(r"[1-9][0-9]{0,14}|0").fillna(False)
                cell = cell.where(~numeric, '<c r="' + ref + '"><v>' + txt + "</v></c>")
            missing = missing | (txt == "")
        parts.append(cell.where(~missing, "").astype(str))
    body = parts[0]
    for p in parts[1:]:
        body = body + p
    return ('<row r="' + rows + '">' + body + "</row>").tolist()


def _data_rows_small(data: pd.DataFrame, kinds: dict[str, str], first_row: int) -> list[str]:
    cols = list(data.columns)
    return _column_rows(
        [data[c].tolist() for c in cols], [kinds.get(c, "text") for c in cols], first_row
    )


def _column_rows(values: list[list], ks: list[str], first_row: int) -> list[str]:
    letters = [col_letter(j) for j in range(len(values))]
    n = len(values[0]) if values else 0
    out = []
    for i in range(n):
        r = first_row + i
        cells = []
        for j, kind in enumerate(ks):
            v = values[j][i]
            if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v == "":
                continue
            ref = f"{letters[j]}{r}"
            if kind == "int":
                cells.append(f'<c r="{ref}"><v>{int(v)}</v></c>')
            elif kind == "date":
                cells.append(f'<c r="{ref}" s="{STYLE_DATE}"><v>{int(v)}</v></c>')
            elif kind == "mixed" and _NUMERIC.fullmatch(str(v)):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                cells.append(
                    f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">'
                    f"{_esc(str(v))}</t></is></c>"
                )
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    return out


_NUMERIC = re.compile(r"[1-9][0-9]{0,14}|0")


def _sheet_xml(sheet: Sheet) -> bytes:
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    ]
    if sheet.widths:
        cols = "".join(
            f'<col min="{j + 1}" max="{j + 1}" width="{w}" customWidth="1"/>'
            for j, w in enumerate(sheet.widths)
        )
        out.append(f"<cols>{cols}</cols>")
    out.append("<sheetData>")
    r = 1
    for i, values in enumerate(sheet.top):
        style = sheet.top_styles[i] if i < len(sheet.top_styles) else STYLE_NORMAL
        out.append(_row_xml(r, values, style) if any(v not in (None, "") for v in values) else "")
        r += 1
    if sheet.header:
        out.append(_row_xml(r, list(sheet.header), STYLE_HEADER))
        r += 1
    if sheet.data is not None:
        out.extend(_data_rows(sheet.data, sheet.kinds, r))
        r += len(sheet.data)
    elif sheet.columns is not None:
        out.extend(_column_rows(sheet.columns, sheet.column_kinds, r))
        r += len(sheet.columns[0]) if sheet.columns else 0
    for values in sheet.bottom:
        out.append(_row_xml(r, values, STYLE_HEADER))
        r += 1
    out.append("</sheetData>")
    if sheet.merges:
        merged = "".join(f'<mergeCell ref="{m}"/>' for m in sheet.merges)
        out.append(f'<mergeCells count="{len(sheet.merges)}">{merged}</mergeCells>')
    out.append("</worksheet>")
    return "".join(out).encode("utf-8")


def write_workbook(path: Path, sheets: list[Sheet]) -> None:
    """Write the sheets as one .xlsx with fixed zip dates (byte-identical for equal input)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook_bytes(sheets))


def workbook_bytes(sheets: list[Sheet]) -> bytes:
    """The .xlsx of the sheets as bytes (an attachment of a generated message)."""
    n = len(sheets)
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=i + 1) for i in range(n))
        ).encode(),
        "_rels/.rels": _RELS.encode(),
        "xl/workbook.xml": _WORKBOOK.format(
            sheets="".join(
                f'<sheet name="{_esc(s.name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                for i, s in enumerate(sheets)
            )
        ).encode(),
        "xl/_rels/workbook.xml.rels": _WB_RELS.format(
            sheets="".join(_WB_REL.format(n=i + 1) for i in range(n))
        ).encode(),
        "xl/styles.xml": _STYLES.encode(),
    }
    for i, s in enumerate(sheets):
        parts[f"xl/worksheets/sheet{i + 1}.xml"] = _sheet_xml(s)
    return zip_parts(parts)


def zip_parts(parts: dict[str, bytes]) -> bytes:
    """A zip of the parts in order, with fixed dates (byte-identical for equal input)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, payload in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, payload, compresslevel=6)
    return buf.getvalue()
