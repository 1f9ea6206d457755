"""The briefing exported (helpers.briefing.export): HTML and PDF named by week and language,
outputs only, the notebook run through the runner on hand-made tables (slow), the PDF of a final
week."""

from __future__ import annotations

import dataclasses

import nbformat
import pytest

from helpers import briefing, i18n
from helpers.config import load_plan
from helpers.runner import Step, run
from tests.briefing.builders import (
    SUMMARY_SHEET,
    WEEK,
    check_briefing_pdf,
    pdf_text,
    personal_data_in,
    squash,
)
from tests.pii import PersonalTokens

BRIEFING_STEP = Step("04_briefing", per_lang=True, post="helpers.briefing:export_briefing")


def test_export_keeps_rich_outputs_and_drops_code_prompts_and_plain_text(tmp_path):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    nb = new_notebook(
        cells=[
            new_markdown_cell("# notebook title never printed"),
            new_code_cell(
                "secret_source = 1",
                outputs=[
                    new_output("stream", name="stdout", text="stream text never printed"),
                    new_output(
                        "execute_result",
                        data={"text/plain": "'plain repr never printed'"},
                        execution_count=3,
                    ),
                    new_output(
                        "display_data",
                        data={"text/html": "<p>rich part kept</p>", "text/plain": "<IPython HTML>"},
                    ),
                ],
                execution_count=3,
            ),
        ]
    )
    source = tmp_path / "executed.ipynb"
    nbformat.write(nb, source)
    pdf, html_path = briefing.export_briefing(source, tmp_path / "out", WEEK, "en")
    page = html_path.read_text("utf-8")
    assert "rich part kept" in page
    for hidden in ("never printed", "secret_source", "In&nbsp;[", "Out[", "[3]"):
        assert hidden not in page
    text, pages = pdf_text(pdf)
    assert "rich part kept" in text and "never printed" not in text
    assert "Page 1 of 1" in text and "FOR INTERNAL CIRCULATION ONLY" in text


def test_export_writes_html_and_pdf_named_by_week_and_language(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    source = tmp_path / "executed.ipynb"
    nbformat.write(nb, source)
    pdf, html_path = briefing.export_briefing(source, tmp_path, WEEK, "vi")
    assert pdf.name == f"briefing-{WEEK}-vi.pdf" and pdf.stat().st_size > 1000
    assert html_path.name == f"briefing-{WEEK}-vi.html"
    assert '<html lang="vi">' in html_path.read_text("utf-8")


@pytest.mark.slow
def test_notebook_builds_the_briefing_from_hand_made_tables(hand_made):
    ws, _ = hand_made
    # one language here: both run end to end on the sample (weekly_report)
    final = run(WEEK, ["en"], ws, steps=[BRIEFING_STEP], echo=lambda _: None)
    for lang in ("en",):
        pdf = final / f"briefing-{WEEK}-{lang}.pdf"
        assert (final / f"briefing-{WEEK}-{lang}.html").is_file()
        check_briefing_pdf(pdf, ws, WEEK, lang)
        executed = nbformat.read(final / "notebooks" / f"04_briefing-{lang}.ipynb", as_version=4)
        assert not [
            o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"
        ]
    assert "secret-value-never-shown" not in (final / f"briefing-{WEEK}-en.html").read_text("utf-8")


def test_personal_data_scan_finds_a_name_but_not_words_joined_across_numbers():
    tokens = PersonalTokens(
        frozenset({"001203004005"}), frozenset(), frozenset(), frozenset({"do phuong xuan"})
    )
    assert personal_data_in("Chậm tiến độ\n3 Phường Xuân Phương", tokens) == []
    assert personal_data_in("chủ xe Đỗ Phương Xuân", tokens) == ["do phuong xuan"]
    assert personal_data_in("CCCD 001203004005", tokens) == ["001203004005"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_post_deadline_briefing_builds_to_pdf(final_week, tmp_path, lang):
    plan = dataclasses.replace(load_plan(), extension=None)
    body = "".join(
        [
            briefing.cover(final_week, plan, lang),
            briefing.summary(final_week, plan, lang),
            briefing.city_progress(final_week, plan, lang),
            briefing.laggards_and_leaders(final_week, plan, lang),
        ]
    )
    pdf = tmp_path / f"final-{lang}.pdf"
    briefing.write_pdf(SUMMARY_SHEET.format(body=body), pdf)
    text, _ = pdf_text(pdf)
    assert "71/60" not in text and "71 of 60" not in text
    assert squash(i18n.t("progress.deadline.days_overdue", lang)) in squash(text)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_cover_of_an_extended_final_week_with_warnings_is_one_page(final_week, tmp_path, lang):
    # the extension row, every source, two warnings and the campaign summary in the contents:
    # the longest cover a week can have must still be one page (its note spilled onto a blank
    # second page once the extension and the commitments source were added)
    warnings = [
        {
            "code": "stale_source",
            "message_en": "The population extract is 14 days old.",
            "message_vi": "Trích xuất dân cư đã cũ 14 ngày.",
        },
        {
            "code": "unread_file",
            "message_en": "2026-01-19/notes.docx is read by no source.",
            "message_vi": "2026-01-19/notes.docx không thuộc nguồn nào.",
        },
    ]
    data = dataclasses.replace(
        final_week,
        sources={s: {"delivery": "2026-01-19"} for s in briefing.SOURCES},
        warnings=warnings,
        final={},  # a week with the campaign summary: one more line of contents
    )
    plan = load_plan()
    cover = briefing.cover(data, plan, lang)
    assert plan.extension.reference in cover and warnings[1][f"message_{lang}"] in cover
    pdf = tmp_path / f"cover-{lang}.pdf"
    briefing.write_pdf(SUMMARY_SHEET.format(body=cover), pdf)
    _, pages = pdf_text(pdf)
    assert len(pages) == 1, f"the cover runs over {len(pages)} pages"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_maps_hover_hint_is_in_the_html_but_not_printed(final_week, tmp_path, lang):
    # "Hover over a unit for its figures" was printed in the PDF, where nothing hovers
    hint = i18n.t("map.hover", lang)
    html = briefing.city_progress(final_week, load_plan(), lang)
    assert hint in html
    pdf = tmp_path / f"city-{lang}.pdf"
    briefing.write_pdf(SUMMARY_SHEET.format(body=html), pdf)
    text, _ = pdf_text(pdf)
    assert squash(hint) not in squash(text)
    assert squash(i18n.t("map.standing_title", lang)) in squash(text)
