"""The units' boundaries shipped in config/ and the maps drawn from them (helpers.maps)."""

from __future__ import annotations

import json
import logging
import re

import numpy as np
import pandas as pd
import pytest

from helpers import maps, paths
from helpers.units import load_units

shapely = pytest.importorskip("shapely")


def make_units(standings: dict[str, str] | None = None) -> pd.DataFrame:
    """unit_progress's columns the map reads, for the 126 official units (at risk unless
    ``standings`` says otherwise)."""
    units = load_units()[["unit_code", "unit_name"]].copy()
    units["standing"] = [(standings or {}).get(c, "at_risk") for c in units["unit_code"]]
    units["veh_share_cleaned_cleanable"] = 0.25
    units["veh_gain_week"] = 10
    units["rank"] = np.arange(1, len(units) + 1)
    return units


def test_boundaries_hold_one_valid_polygon_per_official_code():
    collection = json.loads(maps.BOUNDARIES_FILE.read_text(encoding="utf-8"))
    codes = [f["properties"]["unit_code"] for f in collection["features"]]
    assert len(codes) == 126 and len(set(codes)) == 126
    assert set(codes) == set(load_units()["unit_code"])
    geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in collection["features"]])
    assert shapely.is_valid(geoms).all()
    assert not shapely.is_empty(geoms).any()
    assert shapely.coverage_is_valid(geoms)  # shared borders still shared: no gap, no overlap


def test_boundaries_credit_their_source_commit_and_licence():
    meta = json.loads(maps.BOUNDARIES_FILE.read_text(encoding="utf-8"))["metadata"]
    assert "thanglequoc/vietnamese-provinces-database" in meta["source"]
    assert re.fullmatch(r"[0-9a-f]{40}", meta["commit"]) and meta["commit"] in meta["source"]
    assert meta["licence"].startswith("MIT")


def test_standing_colours_are_the_briefing_css_fill_colours():
    css = (paths.TEMPLATES_DIR / "briefing" / "briefing.css").read_text(encoding="utf-8")
    for standing, colour in maps.STANDING_COLOURS.items():
        rule = re.search(rf"\.fill\.{standing}[^{{]*\{{ background: (#[0-9a-f]{{6}})", css)
        assert rule and rule.group(1) == colour, standing


def test_each_unit_is_filled_with_the_colour_of_its_standing_in_the_table():
    chosen = {"00004": "on_track", "00008": "at_risk", "00070": "off_track"}
    svg, _ = maps.city_standing_map(make_units(chosen), "vi")
    for code, standing in chosen.items():
        assert maps.svg_fill(svg, f"standing-unit-{code}") == maps.STANDING_COLOURS[standing]


def test_each_unit_shows_its_name_and_figures_on_hover():
    svg, _ = maps.city_standing_map(make_units(), "en")
    title = re.search(r'<g id="standing-unit-00008"><title>([^<]*)</title>', svg)
    assert title and title.group(1).startswith("Phường Ngọc Hà: ")
    assert "25.0%" in title.group(1)


def test_a_unit_missing_from_the_boundaries_is_named_not_left_blank(tmp_path, caplog):
    collection = json.loads(maps.BOUNDARIES_FILE.read_text(encoding="utf-8"))
    collection["features"] = [
        f for f in collection["features"] if f["properties"]["unit_code"] != "00070"
    ]
    path = tmp_path / "unit_boundaries.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="helpers.maps"):
        svg, note = maps.city_standing_map(
            make_units(), "en", boundaries=maps.load_boundaries(path)
        )
    assert "Phường Hoàn Kiếm (00070)" in note
    assert "00070 Phường Hoàn Kiếm" in caplog.text
    assert maps.svg_fill(svg, "standing-unit-00070") is None


def test_a_boundary_without_an_official_code_names_the_file_and_feature(tmp_path):
    collection = json.loads(maps.BOUNDARIES_FILE.read_text(encoding="utf-8"))
    collection["features"][2]["properties"]["unit_code"] = "70"
    path = tmp_path / "unit_boundaries.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    with pytest.raises(maps.ConfigError, match=r"feature 3 \(70\).*5-digit"):
        maps.load_boundaries(path)


def test_explore_unit_map_outlines_the_explored_unit_and_keeps_the_standings():
    from helpers import progress

    page = progress.unit_map(make_units({"00070": "off_track"}), "00070", "en")
    assert "Phường Hoàn Kiếm on the map of the city" in page
    assert maps.svg_fill(page, "explore-unit-00070") == maps.STANDING_COLOURS["off_track"]
    assert "<title>Phường Hoàn Kiếm: " in page


def test_neighbours_are_the_units_that_share_a_border():
    near = maps.neighbours(maps.load_boundaries())
    # Hoàn Kiếm and Cửa Nam, two wards of the old centre, share a border; Hoàn Kiếm and Sóc
    # Sơn, at the city's two ends, do not
    assert "00082" in near["00070"] and "00070" in near["00082"]
    assert "00376" not in near["00070"]
    collection = json.loads(maps.BOUNDARIES_FILE.read_text(encoding="utf-8"))
    shapes = {
        f["properties"]["unit_code"]: shapely.geometry.shape(f["geometry"])
        for f in collection["features"]
    }
    border = shapes["00070"].boundary.intersection(shapes["00082"].boundary)
    assert border.length > 0  # a border, not a corner


def test_neighbours_agree_with_shapely_for_every_unit():
    collection = json.loads(maps.BOUNDARIES_FILE.read_text(encoding="utf-8"))
    shapes = {
        f["properties"]["unit_code"]: shapely.geometry.shape(f["geometry"])
        for f in collection["features"]
    }
    codes = list(shapes)
    tree = shapely.STRtree([shapes[c] for c in codes])
    near = maps.neighbours(maps.load_boundaries())
    for code in codes:
        expected = {
            codes[j]
            for j in tree.query(shapes[code])
            if codes[j] != code
            and shapes[code].boundary.intersection(shapes[codes[j]].boundary).length > 0
        }
        assert set(near[code]) == expected, code
