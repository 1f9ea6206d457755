"""Build ``config/unit_boundaries.geojson``: the 126 units' polygons, simplified for a printed
page and a web page, from the public GeoJSON of thanglequoc/vietnamese-provinces-database.

    python tools/unit_boundaries.py /path/to/vietnamese-provinces-database[.git] [--commit SHA]

The source (MIT licence; geometry derived from the reorganisation maps published at
sapnhap.bando.com.vn) holds one file per unit under ``json/geojson/01_ha_noi/wards/``, keyed
by the official 5-digit code. The source may be a git directory (read at ``--commit``, default
HEAD, without a work tree) or a checkout. Units are joined on the official code of
``config/units.csv``, never on the name (the source writes "Hoà" where the GSO list writes
"Hòa"): a code missing on either side stops the tool.

Simplification is coverage-aware (``shapely.coverage_simplify``): each shared border is
simplified once, so neighbours still meet without gaps or overlaps. The coordinates are first
snapped to a 1e-6 degree grid (about 0.1 m), which closes the source's one 24 m sliver between
00562 and 00565; the result is rounded to 1e-5 degree (about 1 m). Re-running on the same
commit writes the same file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from helpers.normalize import fold  # noqa: E402
from helpers.units import load_units  # noqa: E402

REPOSITORY = "thanglequoc/vietnamese-provinces-database"
WARDS = "json/geojson/01_ha_noi/wards"
OUT = ROOT / "config" / "unit_boundaries.geojson"
SNAP = 1e-6  # degrees: closes the source's slivers before simplifying
TOLERANCE = 4e-4  # degrees, about 40 m: below a printed line at city and inset scale
PRECISION = 1e-5  # degrees, about 1 m


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True, text=True
    ).stdout


def read_source(source: Path, commit: str | None) -> tuple[str, dict[str, dict]]:
    """The commit read and each ward file's feature, by the code its file name starts with."""
    git_dir = source / ".git" if (source / ".git").exists() else source
    if (git_dir / "HEAD").is_file():
        commit = _git(git_dir, "rev-parse", commit or "HEAD").strip()
        names = _git(git_dir, "ls-tree", "--name-only", commit, f"{WARDS}/").split()
        texts = {Path(n).name: _git(git_dir, "show", f"{commit}:{n}") for n in names}
    else:
        if not commit:
            raise SystemExit(f"{source}: not a git directory; say which commit with --commit")
        texts = {p.name: p.read_text("utf-8") for p in sorted((source / WARDS).glob("*.geojson"))}
    features = {}
    for name, text in texts.items():
        collection = json.loads(text)
        if len(collection.get("features", [])) != 1:
            raise SystemExit(f"{name}: expected one feature, found {len(collection['features'])}")
        feature = collection["features"][0]
        code = str(feature["properties"]["code"])
        if not name.startswith(code + "_"):
            raise SystemExit(f"{name}: its feature says code {code}")
        features[code] = feature
    return str(commit), features


def build(commit: str, features: dict[str, dict]) -> dict:
    units = load_units().set_index("unit_code")
    missing = sorted(set(units.index) - set(features))
    extra = sorted(set(features) - set(units.index))
    if missing or extra:
        raise SystemExit(
            f"codes differ from config/units.csv: missing {missing or 'none'}, "
            f"not official {extra or 'none'}"
        )
    codes = list(units.index)  # the order of config/units.csv
    geoms = shapely.set_precision(np.array([shape(features[c]["geometry"]) for c in codes]), SNAP)
    simple = shapely.set_precision(shapely.coverage_simplify(geoms, TOLERANCE), PRECISION)
    problems = [c for c, ok in zip(codes, shapely.is_valid(simple), strict=True) if not ok]
    if problems or not shapely.coverage_is_valid(simple):
        raise SystemExit(f"simplified polygons not a valid coverage (invalid: {problems})")
    city = shapely.union_all(simple)
    if city.geom_type != "Polygon" or len(city.interiors):
        raise SystemExit("simplified units leave a gap in the city")
    for code in codes:  # the names only as a check on the codes: spellings may differ
        theirs = features[code]["properties"].get("fullName", "")
        if fold(theirs) != fold(units.at[code, "unit_name"]):
            print(f"note: {code} is '{units.at[code, 'unit_name']}' here, '{theirs}' there")
    return {
        "type": "FeatureCollection",
        "metadata": {
            "what": "Hanoi's 126 commune-level units (1 July 2025), simplified for maps",
            "source": f"https://github.com/{REPOSITORY}/tree/{commit}/{WARDS}",
            "commit": commit,
            "licence": "MIT License, Copyright (c) 2021 Thang Le Quoc",
            "geometry_origin": "sapnhap.bando.com.vn (Vietnam Administrative Units Reference Map)",
            "built_by": "tools/unit_boundaries.py",
            "simplification": (
                f"shapely {shapely.__version__} coverage_simplify, tolerance {TOLERANCE} deg, "
                f"snapped to {SNAP} deg before and rounded to {PRECISION} deg after"
            ),
            "source_vertices": int(shapely.get_num_coordinates(geoms).sum()),
            "vertices": int(shapely.get_num_coordinates(simple).sum()),
        },
        "features": [
            {
                "type": "Feature",
                "id": code,
                "properties": {
                    "unit_code": code,
                    "source_name": features[code]["properties"].get("fullName", ""),
                },
                "geometry": mapping(geom),
            }
            for code, geom in zip(codes, simple, strict=True)
        ],
    }


def write(collection: dict, out: Path) -> None:
    """One feature a line: a rebuilt file diffs unit by unit."""
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
    text += ',\n "features": [\n' + ",\n".join(lines) + "\n]}\n"
    out.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the repository: a git directory or checkout")
    parser.add_argument("--commit", help="commit to read (default: HEAD)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    commit, features = read_source(args.source, args.commit)
    collection = build(commit, features)
    write(collection, args.out)
    meta = collection["metadata"]
    size = args.out.stat().st_size
    print(
        f"{args.out}: {len(collection['features'])} units, {meta['source_vertices']} -> "
        f"{meta['vertices']} vertices, {size / 1024:.0f} KB (commit {commit[:12]})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
