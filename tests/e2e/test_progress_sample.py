"""End to end: progress on the generated sample week, and the drill-down notebook run on it (slow:
runs the real pipeline once per session)."""

from __future__ import annotations

import html
import re

import pytest

from helpers import i18n, progress

# --- the sample campaign (slow: runs the real pipeline once per session) -----------------------


@pytest.fixture(scope="module")
def sample_tables(progressed, sample_week):
    from helpers import store

    return {name: store.load(progressed, name, sample_week) for name in progress.OUTPUT_TABLES}


@pytest.mark.slow
def test_sample_unit_table_has_126_units_with_shares_between_0_and_1(sample_tables):
    units = sample_tables["unit_progress"]
    assert len(units) == 126 and units["unit_code"].is_unique
    for p in ("veh", "lic"):
        for col in (f"{p}_share_cleaned", f"{p}_share_submitted"):
            assert units[col].dropna().between(0, 1).all(), col
        assert (units[f"{p}_cleaned"] <= units[f"{p}_approved"]).all()
        assert (
            units[f"{p}_submitted"] + units[f"{p}_not_submitted"] == units[f"{p}_assigned"]
        ).all()
    assert units["rank"].min() == 1 and set(units["standing"]) <= set(progress.STANDINGS)


@pytest.mark.slow
def test_sample_city_totals_are_the_sums_of_the_units(sample_tables):
    units, city = sample_tables["unit_progress"], sample_tables["city_progress"].set_index("kind")
    for kind, p in (("vehicle", "veh"), ("licence", "lic")):
        for col in (
            "assigned",
            "submitted",
            "approved",
            "cleaned",
            "pending",
            "gain_week",
            "gain_prev_week",
            "difficult",
        ):
            assert city.loc[kind, col] == units[f"{p}_{col}"].sum(), (kind, col)
    series = sample_tables["daily_series"]
    last = series.loc[series["date"] == series["date"].max()].set_index("kind")
    assert last.loc["vehicle", "cleaned_cum"] == city.loc["vehicle", "cleaned"]


@pytest.mark.slow
def test_sample_laggards_all_have_reasons_in_both_languages(sample_tables):
    units, lag = sample_tables["unit_progress"], sample_tables["laggards"]
    assert set(lag["unit_code"]) == set(units.loc[units["is_laggard"], "unit_code"])
    # behind on progress is off track; conduct alone keeps the unit's progress standing
    assert (units.loc[units["breaks_progress"], "standing"] == "off_track").all()
    conduct_only = units["breaks_conduct"] & ~units["breaks_progress"]
    assert conduct_only.any() and (units.loc[conduct_only, "standing"] != "off_track").all()
    for row in lag.itertuples():
        assert len(row.rules) > 0
        for text in (row.reason_vi, row.reason_en):
            assert len(text.split("; ")) == len(row.rules) and "{" not in text
    leaders = sample_tables["leaders"]
    assert not set(leaders["unit_code"]) & set(lag["unit_code"])
    points = sample_tables["talking_points"]
    assert (points.groupby("lang").size() >= 5).all()


@pytest.mark.slow
def test_explore_unit_runs_under_papermill_without_personal_data(progressed, sample_week, tmp_path):
    import papermill as pm

    from helpers.paths import NOTEBOOKS_DIR
    from tests.pii import find_personal_data, notebook_text, personal_tokens

    target = tmp_path / "explore_unit.ipynb"
    pm.execute_notebook(
        NOTEBOOKS_DIR / "explore_unit.ipynb",
        target,
        kernel_name="catp375",
        parameters={
            "unit": "ngoc ha",
            "lang": "en",
            "week": sample_week,
            "raw_dir": str(progressed.raw),
            "processed_dir": str(progressed.processed),
        },
        progress_bar=False,
        cwd=str(tmp_path),
    )
    text = notebook_text(target)
    assert "Phường Ngọc Hà" in text
    assert find_personal_data(text, personal_tokens(progressed, sample_week)) == []


# ---------------------------------------------------------------------------------------------
# the analyst's drill-down speaks the notebook's language


SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


CODES = ("vehicle", "licence", "enterprise", "school", "hospital", "agency")


def visible_text(output) -> str:
    """What the analyst sees of one output: the HTML's text (no styles, tags or ids), else
    the plain text."""
    data = output.get("data", {})
    if "text/html" in data:
        page = re.sub(r"(?s)<style.*?</style>", " ", data["text/html"])
        return html.unescape(re.sub(r"<[^>]+>", " ", page))
    return data.get("text/plain", "") + output.get("text", "")


@pytest.mark.slow
def test_explore_unit_in_vietnamese_shows_no_codes_no_snake_case_and_no_raw_dict(
    progressed, sample_week, tmp_path
):
    import nbformat
    import papermill as pm

    from helpers.paths import NOTEBOOKS_DIR

    target = tmp_path / "explore_unit.ipynb"
    pm.execute_notebook(
        NOTEBOOKS_DIR / "explore_unit.ipynb",
        target,
        kernel_name="catp375",
        parameters={
            "unit": "ngoc ha",
            "lang": "vi",
            "week": sample_week,
            "raw_dir": str(progressed.raw),
            "processed_dir": str(progressed.processed),
        },
        progress_bar=False,
        cwd=str(tmp_path),
    )
    nb = nbformat.read(target, as_version=4)
    shown = [visible_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "\n".join(shown)
    assert "Phường Ngọc Hà" in text
    assert SNAKE_CASE.findall(text) == []
    assert [code for code in CODES if re.search(rf"\b{code}\b", text)] == []
    assert "{'laggard'" not in text and "{'" not in text
    assert i18n.t("explore.list", "vi") in text and i18n.t("explore.status", "vi") in text
    assert i18n.t("explore.no_report_note", "vi") in text
