"""The maps of the packs, as pictures on their summary sheets: the city by standing on the city
pack's, the unit among its neighbours on each unit pack's. Drawn by :mod:`helpers.maps` (the
briefing's drawing, saved as PNG: Excel and LibreOffice show a PNG everywhere). A unit that has
no boundary gets no picture and a note naming it, never a blank.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from helpers import maps
from helpers.i18n import t
from helpers.packs.book import PackBook
from helpers.statuses import standings_shown

CITY_WIDTH_PX = 500  # the city map beside the KPI table: within a landscape page's width
UNIT_DPI = 72  # a small picture (190 px): 126 of them are drawn each week
# shown at 140 px beside the summary table, sharper in print: at 190 px with its legend it
# widened the page, which then printed the summary at 7.5 pt
UNIT_WIDTH_PX = 140


def _picture(png: bytes, width_px: float | None = None) -> Image:
    image = Image(io.BytesIO(png))
    if width_px:  # shown smaller than drawn: sharper in print
        image.height = round(image.height * width_px / image.width)
        image.width = round(width_px)
    return image


def city_map(book: PackBook, ws, units: pd.DataFrame, lang: str, anchor: str) -> None:
    """The city map by standing (the briefing's, as PNG) at ``anchor`` with its title on the
    row above; a unit without a boundary named under the title."""
    boundaries = maps.load_boundaries()
    fig = maps.standing_figure(units, lang, boundaries=boundaries)
    column = "".join(ch for ch in anchor if ch.isalpha())
    row = int(anchor[len(column) :])
    book.put(ws, row - 1, _column_index(column), t("map.standing_title", lang), bold=True)
    image = _picture(maps.png_bytes(fig, dpi=150), CITY_WIDTH_PX)
    ws.add_image(image, anchor)
    note = maps.missing_note(units, boundaries, lang, where="city pack")
    if note:  # under the picture: 15 rows of 20 px hold it
        below = row + round(image.height / 20) + 1
        _note_at(book, ws, below, column, note)


def unit_map(
    book: PackBook,
    ws,
    unit: Mapping[str, Any],
    standings: Mapping[str, str],
    lang: str,
    anchor: str,
) -> None:
    """The unit among its neighbours, each filled by its standing (``standings``: every unit's
    by code), the unit outlined and labelled, at ``anchor`` with its title on the row above; a
    unit without a boundary gets the note naming it there instead."""
    boundaries = maps.load_boundaries()
    code, name = str(unit["unit_code"]), str(unit["unit_name"])
    column = "".join(ch for ch in anchor if ch.isalpha())
    row = int(anchor[len(column) :])
    if code not in boundaries.paths:
        maps.warn_missing({code: name}, "unit pack")
        _note_at(book, ws, row - 1, column, t("map.missing", lang, units=f"{name} ({code})"))
        return
    fills = {c: maps.STANDING_COLOURS.get(str(s), maps.NO_DATA) for c, s in standings.items()}
    fig = maps.neighbourhood_figure(code, fills, name, boundaries=boundaries)
    _caption(book, ws, row - 1, _column_index(column), t("map.neighbours_title", lang))
    image = _picture(maps.png_bytes(fig, dpi=UNIT_DPI), UNIT_WIDTH_PX)
    ws.add_image(image, anchor)
    # the legend in cells under the picture: a drawn legend doubled each picture's time
    below = row + math.ceil(image.height / 20) + 1
    for i, standing in enumerate(standings_shown(standings.values())):
        swatch = ws.cell(row=below + i, column=_column_index(column))
        swatch.fill = PatternFill("solid", fgColor=maps.STANDING_COLOURS[standing].lstrip("#"))
        book.put(ws, below + i, _column_index(column) + 1, t(f"progress.standing.{standing}", lang))


def _caption(book: PackBook, ws, row: int, column: int, text: str, span: int = 3) -> None:
    """A picture's title wrapped over the ``span`` columns it sits on: in one line it ran on to
    the right and widened the printed page (the summary then printed at 7.5 pt)."""
    cell = book.put(ws, row, column, text, bold=True)
    ws.merge_cells(start_row=row, start_column=column, end_row=row, end_column=column + span - 1)
    cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    width = sum(
        ws.column_dimensions[get_column_letter(c)].width or 8.43
        for c in range(column, column + span)
    )
    height = book.row_heights(np.array([len(text)]), np.array([0]), width)
    book.grow_row(ws, row, float(height[0]))


def _column_index(letters: str) -> int:
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(letters)


def _note_at(book: PackBook, ws, row: int, column: str, text: str) -> None:
    cell = book.put(ws, row, _column_index(column), text)
    f = book.template["font"]
    cell.font = Font(
        name=f["name"], size=f["size"], italic=True, color=book.template["colours"]["note"]
    )
