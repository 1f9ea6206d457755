"""Maps of the 126 units, drawn with matplotlib from ``config/unit_boundaries.geojson`` (the
units' polygons, simplified by ``tools/unit_boundaries.py``; source, commit and licence in the
file's ``metadata`` and in docs/data-contract.md, "Unit boundaries"). No tiles, no network.

Shared by the stages that draw a map (the briefing, ``explore_unit``): :func:`load_boundaries`
reads and checks the file once; :func:`draw_units` fills each unit of an axes by a colour
chosen by the caller, joined on the official code (never the name); :func:`svg_markup` turns
the figure into an inline ``<svg>`` whose unit groups carry a ``<title>`` (a hover tooltip in
a browser and in Jupyter, offline, with no script). A unit that has no polygon is never left
silently blank: :func:`missing_units` names it, the callers say so under the map, and
:func:`warn_missing` logs it.
"""

from __future__ import annotations

import html
import io
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from helpers import ConfigError, paths

log = logging.getLogger(__name__)

BOUNDARIES_FILE = paths.CONFIG_DIR / "unit_boundaries.geojson"

# the same colours as the briefing's CSS (.fill.<standing>; tests/common/test_maps.py checks)
# (once the deadline is reached: finished as on track, not finished as at risk)
STANDING_COLOURS = {
    "on_track": "#2e7d32",
    "at_risk": "#e0a100",
    "off_track": "#c62828",
    "finished": "#2e7d32",
    "not_finished": "#e0a100",
}
NO_DATA = "#d9d9d9"  # a unit on the map with no figure this week
BORDER = "#ffffff"
OUTLINE = "#1d1d1d"

# a plane near Hanoi: kilometres east and north of 105.8 E, 21.0 N (equirectangular; the
# city spans under 1 degree, where this is within 0.5 % of a conformal projection)
_LON0, _LAT0 = 105.8, 21.0
_KX = 111.32 * math.cos(math.radians(_LAT0))
_KY = 110.57
# the central wards' inset: the old inner districts, too small to read at city scale
CENTRE_LONLAT = (105.765, 20.955, 105.905, 21.09)


def project(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Longitude/latitude (degrees) to the map's plane (km)."""
    return (np.asarray(lon) - _LON0) * _KX, (np.asarray(lat) - _LAT0) * _KY


CENTRE = (*project(*CENTRE_LONLAT[:2]), *project(*CENTRE_LONLAT[2:]))


@dataclass(frozen=True, eq=False)  # compared and hashed as the one object loaded
class Boundaries:
    """The units' outlines in the map's plane: a matplotlib ``Path`` per official code, the
    point its label goes at, and the file's metadata (source, commit, licence)."""

    paths: Mapping[str, Any]
    anchors: Mapping[str, tuple[float, float]]
    boxes: Mapping[str, tuple[float, float, float, float]]  # x0, y0, x1, y1
    metadata: Mapping[str, Any]

    @property
    def extent(self) -> tuple[float, float, float, float]:
        boxes = np.array(list(self.boxes.values()))
        return boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()


def _rings(geometry: Mapping[str, Any]) -> list[list[Any]]:
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"a Polygon or MultiPolygon, not {geometry.get('type')!r}")


def _anchor(path: Any, outer: np.ndarray) -> tuple[float, float]:
    """A point inside the unit for its label: the largest ring's centroid when inside, else
    the inside point of a 15 x 15 grid nearest to it (a crescent's centroid lies outside)."""
    x, y = outer[:, 0], outer[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = cross.sum() / 2
    if abs(area) > 0:
        cx = float(((x + np.roll(x, -1)) * cross).sum() / (6 * area))
        cy = float(((y + np.roll(y, -1)) * cross).sum() / (6 * area))
    else:
        cx, cy = float(x.mean()), float(y.mean())
    if path.contains_point((cx, cy)):
        return cx, cy
    gx, gy = np.meshgrid(np.linspace(x.min(), x.max(), 15), np.linspace(y.min(), y.max(), 15))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    inside = grid[path.contains_points(grid)]
    if not len(inside):
        return cx, cy
    best = inside[np.argmin(((inside - (cx, cy)) ** 2).sum(axis=1))]
    return float(best[0]), float(best[1])


@lru_cache(maxsize=4)
def load_boundaries(path: Path | None = None) -> Boundaries:
    """The boundaries file read and checked: a FeatureCollection whose features each carry a
    5-digit ``unit_code`` (once) and a Polygon or MultiPolygon in longitude/latitude."""
    from matplotlib.path import Path as MplPath

    path = path or BOUNDARIES_FILE
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot be read as GeoJSON ({exc})") from exc
    shapes: dict[str, Any] = {}
    anchors: dict[str, tuple[float, float]] = {}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for i, feature in enumerate(collection.get("features", [])):
        code = str((feature.get("properties") or {}).get("unit_code", ""))
        where = f"{path}: feature {i + 1} ({code or 'no unit_code'})"
        if not re.fullmatch(r"\d{5}", code):
            raise ConfigError(f"{where}: expected a 5-digit official unit_code")
        if code in shapes:
            raise ConfigError(f"{where}: unit_code {code} appears twice")
        try:
            polygons = _rings(feature.get("geometry") or {})
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where}: geometry expected as {exc}") from exc
        vertices: list[np.ndarray] = []
        kinds: list[np.ndarray] = []
        largest, largest_size = np.zeros((1, 2)), -1.0
        for polygon in polygons:
            for j, ring in enumerate(polygon):
                xy = np.column_stack(project(*np.asarray(ring, dtype="float64").T))
                vertices.append(xy)
                step = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
                # rings repeat their first vertex: no CLOSEPOLY needed
                step[0] = MplPath.MOVETO
                kinds.append(step)
                size = float(np.ptp(xy[:, 0]) * np.ptp(xy[:, 1]))
                if j == 0 and size > largest_size:
                    largest, largest_size = xy, size
        unit_path = MplPath(np.concatenate(vertices), np.concatenate(kinds))
        shapes[code] = unit_path
        points = np.concatenate(vertices)
        lo, hi = points.min(axis=0), points.max(axis=0)
        boxes[code] = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
        anchors[code] = _anchor(unit_path, largest)
    if not shapes:
        raise ConfigError(f"{path}: no unit polygons")
    return Boundaries(shapes, anchors, boxes, collection.get("metadata") or {})


def missing_units(boundaries: Boundaries, codes: Iterable[str]) -> list[str]:
    """The codes (of a table's units) that have no polygon to draw, in their order."""
    return [c for c in codes if c not in boundaries.paths]


def warn_missing(missing: Mapping[str, str], where: str) -> None:
    """Log the units a map could not draw, by code and name."""
    if missing:
        named = ", ".join(f"{code} {name}" for code, name in missing.items())
        log.warning(
            "%s: no boundary for %d unit(s), not on the map: %s", where, len(missing), named
        )


def draw_units(
    ax: Any,
    boundaries: Boundaries,
    fills: Mapping[str, str],
    *,
    numbers: Mapping[str, str] | None = None,
    highlight: str | None = None,
    extent: tuple[float, float, float, float] | None = None,
    gid_prefix: str = "unit",
    linewidth: float = 0.3,
    fontsize: float = 5.5,
) -> None:
    """Fill each unit by ``fills[code]`` (grey when it has none), each patch with the SVG id
    ``<gid_prefix>-<code>``; outline and number the units in ``numbers``; draw ``highlight``
    with a heavy outline. ``extent`` (x0, y0, x1, y1 in km) crops to a window: units outside
    it are not drawn at all (the inset stays small)."""
    import matplotlib.patheffects as pe
    from matplotlib.patches import PathPatch

    numbers = numbers or {}
    x0, y0, x1, y1 = extent or boundaries.extent
    for code, unit_path in boundaries.paths.items():
        bx0, by0, bx1, by1 = boundaries.boxes[code]
        if bx0 > x1 or by0 > y1 or bx1 < x0 or by1 < y0:
            continue
        # add_artist, not add_patch: the limits are set below, and add_patch's walk over
        # every segment of 15,000 vertices to update them took seconds
        ax.add_artist(
            PathPatch(
                unit_path,
                facecolor=fills.get(code, NO_DATA),
                edgecolor=BORDER,
                linewidth=linewidth,
                gid=f"{gid_prefix}-{code}",
                in_layout=False,  # inside the axes: the layout need not measure 126 shapes
            )
        )
    marked = [c for c in numbers if c in boundaries.paths]
    if highlight in boundaries.paths:
        marked.append(str(highlight))
    for code in marked:  # drawn last, so no neighbour's white border covers them
        heavy = code == highlight
        ax.add_artist(
            PathPatch(
                boundaries.paths[code],
                facecolor="none",
                edgecolor=OUTLINE,
                linewidth=1.6 if heavy else 0.8,
                zorder=3,
                in_layout=False,
            )
        )
        x, y = boundaries.anchors[code]
        if code in numbers and x0 <= x <= x1 and y0 <= y <= y1:
            ax.text(
                x,
                y,
                numbers[code],
                fontsize=fontsize,
                fontweight="bold",
                ha="center",
                va="center",
                color=OUTLINE,
                zorder=4,
                in_layout=False,
                path_effects=[pe.withStroke(linewidth=1.6, foreground="white")],
            )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()


def inset_frame(ax: Any, extent: tuple[float, float, float, float] = CENTRE) -> None:
    """The inset's window drawn on the city map."""
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = extent
    ax.add_patch(
        Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#12355b", linewidth=0.8)
    )


class Markup(str):
    """An inline ``<svg>`` that Jinja places as it is (``__html__``) and Jupyter displays as
    HTML (``_repr_html_``), tooltips working in both."""

    def __html__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return str(self)


_DECIMALS = re.compile(r"(\b(?!0\.)\d+\.\d\d)\d+")  # not a glyph's scale (0.0625)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|xlink:href="#|href="#)([^")]+)')


def svg_markup(fig: Any, titles: Mapping[str, str], *, prefix: str, alt: str) -> Markup:
    """The figure as an inline ``<svg>``: its ids prefixed with ``prefix`` (several maps share
    one HTML page), a ``<title>`` in each group whose id is a key of ``titles`` (the gid given
    to :func:`draw_units`), the whole described by ``alt``."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(
        {"svg.fonttype": "path", "svg.hashsalt": prefix, "font.family": "DejaVu Sans"}
    ):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]  # no XML declaration or DOCTYPE inside HTML
    svg = _DECIMALS.sub(r"\1", svg)  # 0.01 pt is enough: a third of the file's size

    def titled(match: re.Match[str]) -> str:
        gid = match.group(1)
        tag = f'id="{prefix}-{gid}"'
        if gid in titles:
            return f"{tag}><title>{html.escape(titles[gid])}</title"
        return tag

    # a group's opening tag is `<g id="...">`: a title goes right after it
    svg = re.sub(r'\bid="([^"]+)">', lambda m: titled(m) + ">", svg)
    svg = _ID.sub(
        lambda m: (
            m.group(0) if m.group(1).startswith(prefix + "-") else f'id="{prefix}-{m.group(1)}"'
        ),
        svg,
    )
    svg = _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(alt)}" class="map" ', 1)
    return Markup(svg)


def svg_fill(svg: str, gid: str) -> str | None:
    """The fill colour of the unit patch ``gid`` in an SVG from :func:`svg_markup` (tests and
    checks read the drawn map back)."""
    match = re.search(
        rf'<g id="[^"]*{re.escape(gid)}">(?:<title>.*?</title>)?\s*<path[^>]*?style="([^"]*)"',
        svg,
        re.S,
    )
    if not match:
        return None
    fill = re.search(r"fill:\s*(#[0-9a-fA-F]{6})", match.group(1))
    return fill.group(1).lower() if fill else None


# ---------------------------------------------------------------------------------------
# the unit tables on the map: colours and tooltips from unit_progress (shared by the
# briefing and explore_unit, so both show the standing the tables show)


def standing_fills(units: Any) -> dict[str, str]:
    """Each unit's fill: the colour of its ``standing`` in ``unit_progress``."""
    return {
        str(code): STANDING_COLOURS.get(str(standing), NO_DATA)
        for code, standing in zip(units["unit_code"], units["standing"], strict=True)
    }


def unit_titles(units: Any, lang: str, *, gid_prefix: str = "unit") -> dict[str, str]:
    """Each unit's tooltip: name, standing, vehicle share cleaned of cleanable, this period's
    gain, rank."""
    from helpers.i18n import fmt_int, fmt_pct, t

    count = len(units)
    out = {}
    for row in units.itertuples(index=False):  # 126 rows: one sentence each
        out[f"{gid_prefix}-{row.unit_code}"] = t(
            "map.unit_title",
            lang,
            name=row.unit_name,
            standing=t(f"progress.standing.{row.standing}", lang),
            share=fmt_pct(_number(row.veh_share_cleaned_cleanable), lang),
            gain=fmt_int(_number(row.veh_gain_week), lang),
            rank=fmt_int(_number(row.rank), lang),
            count=fmt_int(count, lang),
        )
    return out


def _number(value: Any) -> float | None:
    try:
        return None if value is None or math.isnan(float(value)) else float(value)
    except (TypeError, ValueError):
        return None


def missing_note(units: Any, boundaries: Boundaries, lang: str, *, where: str) -> str:
    """The sentence naming the units that have no polygon (empty when none), also logged."""
    from helpers.i18n import t

    names = dict(zip(units["unit_code"].astype(str), units["unit_name"], strict=True))
    missing = {c: names[c] for c in missing_units(boundaries, names)}
    warn_missing(missing, where)
    if not missing:
        return ""
    return t("map.missing", lang, units="; ".join(f"{n} ({c})" for c, n in missing.items()))


def standing_legend(ax: Any, lang: str, counts: Mapping[str, int] | None = None, **kw: Any) -> None:
    """Swatches of the week's three standings (with their counts when given): the deadline's
    (finished, not finished, off track) once a unit has one, else the forecast's."""
    from matplotlib.patches import Patch

    from helpers.i18n import t
    from helpers.statuses import standings_shown

    shown = standings_shown(counts or {})

    handles = [
        Patch(
            facecolor=STANDING_COLOURS[s],
            edgecolor="none",
            label=t(f"progress.standing.{s}", lang)
            + (f" ({counts.get(s, 0)})" if counts is not None else ""),
        )
        for s in shown
    ]
    ax.legend(handles=handles, frameon=False, fontsize=7, **kw)


def standing_figure(
    units: Any,
    lang: str,
    *,
    numbers: Mapping[str, str] | None = None,
    highlight: str | None = None,
    width: float = 7.1,
    height: float = 4.1,
    boundaries: Boundaries | None = None,
) -> Any:
    """The city with each unit filled by its standing, ``numbers`` outlined and numbered,
    ``highlight`` outlined heavily, the central wards in an inset: the matplotlib figure,
    saved as SVG by :func:`city_standing_map` and as PNG for the city pack."""
    from helpers.charts import figure
    from helpers.i18n import t

    boundaries = boundaries or load_boundaries()
    fills = standing_fills(units)
    fig = figure(width, height)
    city, inset = fig.subplots(1, 2, width_ratios=[1.0, 1.0])
    cx0, cy0, cx1, cy1 = CENTRE
    outside = {  # the central wards' numbers are read in the inset
        c: n
        for c, n in (numbers or {}).items()
        if c in boundaries.anchors
        and not (cx0 <= boundaries.anchors[c][0] <= cx1 and cy0 <= boundaries.anchors[c][1] <= cy1)
    }
    draw_units(city, boundaries, fills, numbers=outside, highlight=highlight, fontsize=5)
    inset_frame(city)
    draw_units(
        inset,
        boundaries,
        fills,
        numbers=numbers,
        highlight=highlight,
        extent=CENTRE,
        gid_prefix="inset",
        linewidth=0.5,
        fontsize=7,
    )
    inset.set_title(t("map.inset", lang), fontsize=8, loc="left", color="#12355b")
    for spine in inset.spines.values():
        spine.set_visible(True)
        spine.set_edgecolor("#12355b")
    inset.set_axis_on()
    inset.set_xticks([])
    inset.set_yticks([])
    counts = units["standing"].value_counts().to_dict()
    standing_legend(city, lang, counts, loc="lower left", bbox_to_anchor=(0.0, -0.02))
    return fig


def city_standing_map(
    units: Any,
    lang: str,
    *,
    numbers: Mapping[str, str] | None = None,
    highlight: str | None = None,
    prefix: str = "standing",
    width: float = 7.1,
    height: float = 4.1,
    boundaries: Boundaries | None = None,
) -> tuple[Markup, str]:
    """:func:`standing_figure` as an inline SVG (a tooltip per unit) and the sentence naming
    any unit without a boundary."""
    from helpers.i18n import t

    boundaries = boundaries or load_boundaries()
    fig = standing_figure(
        units,
        lang,
        numbers=numbers,
        highlight=highlight,
        width=width,
        height=height,
        boundaries=boundaries,
    )
    titles = unit_titles(units, lang)
    titles |= {k.replace("unit-", "inset-", 1): v for k, v in titles.items()}
    svg = svg_markup(fig, titles, prefix=prefix, alt=t("map.standing_alt", lang))
    return svg, missing_note(units, boundaries, lang, where=prefix)


def png_bytes(fig: Any, dpi: float = 100) -> bytes:
    """The figure as PNG (the workbooks' pictures: Excel shows no SVG everywhere); the same
    figure as :func:`svg_markup`, only the output format differs."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):  # Vietnamese diacritics
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# neighbours: units that share a border


@lru_cache(maxsize=4)
def neighbours(boundaries: Boundaries) -> Mapping[str, frozenset[str]]:
    """Each unit's neighbours: the units it shares a border with. The file's borders are
    simplified once per shared border (coverage-aware, tools/unit_boundaries.py), so two
    neighbours hold the same vertices along it; two shared vertices make a border (one is a
    corner touching). Computed from the vertices at once, not pair by pair."""
    codes = list(boundaries.paths)
    owner = np.concatenate(
        [np.full(len(boundaries.paths[c].vertices), i) for i, c in enumerate(codes)]
    )
    points = np.concatenate([boundaries.paths[c].vertices for c in codes])
    # the same longitude/latitude projects to the same floats: round off only the noise
    keys = np.round(points * 1e4).astype(np.int64)
    pairs = np.unique(np.column_stack([keys, owner]), axis=0)  # each vertex once per unit
    _, vertex, counts = np.unique(pairs[:, :2], axis=0, return_inverse=True, return_counts=True)
    vertex = vertex.ravel()
    shared = counts[vertex] > 1
    order = np.argsort(vertex[shared], kind="stable")
    groups = np.split(pairs[shared][order, 2], np.cumsum(counts[counts > 1])[:-1])
    touching: dict[tuple[int, int], int] = {}
    for group in groups:  # a vertex held by 2 units (3 at a triple point): a few thousand
        for a in group:
            for b in group:
                if a < b:
                    touching[(a, b)] = touching.get((a, b), 0) + 1
    out: dict[str, set[str]] = {c: set() for c in codes}
    for (a, b), n in touching.items():
        if n >= 2:
            out[codes[a]].add(codes[b])
            out[codes[b]].add(codes[a])
    return {c: frozenset(v) for c, v in out.items()}


def neighbourhood_figure(
    code: str,
    fills: Mapping[str, str],
    label: str,
    *,
    size: float = 2.6,
    boundaries: Boundaries | None = None,
) -> Any:
    """The unit ``code`` among its neighbours: the window around them, each filled by
    ``fills`` (the units beyond them grey), the unit outlined heavily and labelled."""
    from helpers.charts import figure

    boundaries = boundaries or load_boundaries()
    near = [code, *sorted(neighbours(boundaries)[code])]
    box = np.array([boundaries.boxes[c] for c in near])
    x0, y0, x1, y1 = box[:, 0].min(), box[:, 1].min(), box[:, 2].max(), box[:, 3].max()
    pad = 0.03 * max(x1 - x0, y1 - y0)
    fig = figure(size, size)
    ax = fig.subplots()
    draw_units(
        ax,
        boundaries,
        {c: fills[c] for c in near if c in fills},
        numbers={code: label},
        highlight=code,
        extent=(x0 - pad, y0 - pad, x1 + pad, y1 + pad),
        linewidth=0.6,
        fontsize=7,
    )
    return fig
