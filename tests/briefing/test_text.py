"""Words and numbers on the briefing's page (helpers.briefing.text and the catalogue): both
languages, page header and footer, number formats, long lists."""

from __future__ import annotations

import pytest

from helpers import briefing, i18n
from helpers.config import load_plan
from tests.briefing.builders import WEEK


def test_briefing_catalogue_sections_have_the_same_keys_in_both_languages():
    vi = i18n.flatten(i18n.catalogue("vi")["briefing"])
    en = i18n.flatten(i18n.catalogue("en")["briefing"])
    assert set(vi) == set(en)
    assert all(str(v).strip() for v in [*vi.values(), *en.values()])


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("vi", 'counter(page) "/" counter(pages)'),
        ("en", '"Page " counter(page) " of " counter(pages)'),
    ],
)
def test_page_footer_counts_pages_in_the_language(lang, expected):
    css = briefing.page_css(load_plan(), WEEK, lang)
    assert expected in css
    assert i18n.t("common.internal_mark", lang) in css
    assert "@page appendix { size: A4 landscape" in css


def test_page_header_names_plan_and_week():
    assert (
        briefing.page_header(load_plan(), WEEK, "en") == "Plan 375/KH-CAHN · week ending 23/11/2025"
    )


def test_kpi_values_use_the_language_number_format(data):
    vi, en = briefing.kpi_values(data, "vehicle", "vi"), briefing.kpi_values(data, "vehicle", "en")
    assigned = int(data.city.loc[data.city["kind"] == "vehicle", "assigned"].iloc[0])
    assert vi["assigned"] == f"{assigned:,}".replace(",", ".")
    assert en["assigned"] == f"{assigned:,}"
    assert "," in vi["share_cleaned_cleanable"] and "." in en["share_cleaned_cleanable"]


def test_long_lists_are_set_in_two_runs_of_columns():
    rows = [[f"unit {i}", str(i)] for i in range(20)]
    table = briefing.render_table(
        briefing.two_up(["Unit", "N"], rows, classes=["text", "num"], widths=["70%", "30%"])
    )
    assert table.count("<tr>") == 1 + 10
    assert '<td class="text">unit 0</td>' in table and '<td class="text">unit 10</td>' in table
