"""Fixtures shared by the packs tests: a hand-made week, and its packs built once per language
(package-wide: building them takes seconds, every test that only reads them shares them)."""

from __future__ import annotations

import pytest

from helpers import packs
from helpers.paths import Workspace
from tests.packs.builders import PLAIN, U1, U2, U3, WEEK, write_week


@pytest.fixture
def week_ws(tmp_ws) -> Workspace:
    write_week(tmp_ws)
    return tmp_ws


@pytest.fixture(scope="package")
def built(tmp_path_factory) -> dict:
    """The hand-made week built once per language (tests that only read share it)."""
    from tests.conftest import make_workspace

    ws = make_workspace(tmp_path_factory.mktemp("excel-week"))
    write_week(ws)
    out = {}
    for lang in ("vi", "en"):
        folder = ws.output / lang
        out[lang] = (
            ws,
            folder,
            packs.build_packs(
                ws, WEEK, folder, lang, workers=1, units=[U1, U2, U3], unit_lang=lang, plan=PLAIN
            ),
        )
    return out
