"""Export: the executed ``04_briefing`` notebook -> HTML (nbconvert, the template
``reports/templates/briefing/index.html.j2``: outputs only) -> PDF (WeasyPrint).

:func:`export_briefing` is the runner's post step of ``04_briefing``; it writes
``briefing-<week>-<lang>.html`` and ``.pdf`` into the run's output folder, each through
``helpers.store.atomic_write``. Reads the notebook, the plan and the template's fonts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpers.briefing.text import page_header
from helpers.config import Plan
from helpers.i18n import check_lang, t
from helpers.paths import TEMPLATES_DIR
from helpers.store import atomic_write
from helpers.synthetic import label as synthetic_label
from helpers.synthetic import week_is_synthetic

TEMPLATE_NAME = "briefing"
TEMPLATE_DIR = TEMPLATES_DIR / TEMPLATE_NAME
FONTS_DIR = TEMPLATE_DIR / "fonts"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page_css(plan: Plan, week: str, lang: str, *, synthetic: bool = False) -> str:
    """@page rules: header (plan, week) and footer (page X of Y, internal mark) in ``lang``;
    a briefing built from generated data says so at the top of every page."""
    template = t("common.page_of", lang)
    before, _, rest = template.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    counter = " ".join(
        part
        for part in (
            _css_string(before) if before else "",
            "counter(page)",
            _css_string(middle) if middle else "",
            "counter(pages)",
            _css_string(after) if after else "",
        )
        if part
    )
    header = _css_string(page_header(plan, week, lang))
    issuer = _css_string(plan.issuer[lang])
    mark = _css_string(t("common.internal_mark", lang))
    margins = (
        f"\n  @top-left {{ content: {header}; }}"
        f"\n  @top-right {{ content: {issuer}; }}"
        f"\n  @bottom-left {{ content: {mark}; }}"
        f"\n  @bottom-right {{ content: {counter}; }}"
    )
    if synthetic:
        margins += f"\n  @top-center {{ content: {_css_string(synthetic_label(lang))}; }}"
    return (
        f"@page {{ size: A4 portrait; margin: 17mm 14mm 16mm 14mm;{margins}\n}}\n"
        f"@page appendix {{ size: A4 landscape; margin: 15mm 12mm 14mm 12mm;{margins}\n}}\n"
    )


def fonts_css() -> str:
    """@font-face rules for the embedded DejaVu Sans (covers every Vietnamese diacritic)."""
    regular = (FONTS_DIR / "DejaVuSans.ttf").as_uri()
    bold = (FONTS_DIR / "DejaVuSans-Bold.ttf").as_uri()
    return (
        f'@font-face {{ font-family: "Briefing Sans"; src: url("{regular}"); font-weight: normal; }}\n'
        f'@font-face {{ font-family: "Briefing Sans"; src: url("{bold}"); font-weight: bold; }}\n'
        'html { font-family: "Briefing Sans", "DejaVu Sans", sans-serif; }\n'
    )


def render_html(nb, plan: Plan, week: str, lang: str, *, synthetic: bool = False) -> str:
    """The executed notebook as the briefing's HTML: outputs only, through the template."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
    )
    resources = {
        "briefing": {
            "lang": lang,
            "title": f"{t('briefing.doc_title', lang)} · {page_header(plan, week, lang)}",
            "author": plan.issuer[lang],
            "page_css": page_css(plan, week, lang, synthetic=synthetic),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def warm_up() -> None:
    """Import what :func:`export_briefing` needs (nbconvert, WeasyPrint): the runner calls it in
    a thread while the notebook runs in its kernel, so the imports (about 0.6 s of CPU) are
    done by the time the export starts."""
    import nbformat  # noqa: F401
    from nbconvert import HTMLExporter  # noqa: F401
    from weasyprint import CSS, HTML  # noqa: F401
    from weasyprint.text.fonts import FontConfiguration  # noqa: F401


def _built_from_generated_data(nb, week: str) -> bool:
    """Whether the week the notebook ran on is synthetic, read from the ledger of the processed
    folder Papermill gave it (helpers.synthetic)."""
    from helpers.paths import workspace

    given = nb.metadata.get("papermill", {}).get("parameters", {})
    ws = workspace(given.get("raw_dir") or None, given.get("processed_dir") or None)
    return week_is_synthetic(ws, week)


def write_pdf(html_text: str, target: Path) -> None:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    fonts = CSS(string=fonts_css(), font_config=font_config)
    document = HTML(string=html_text, base_url=str(TEMPLATE_DIR))
    atomic_write(
        target, lambda tmp: document.write_pdf(tmp, stylesheets=[fonts], font_config=font_config)
    )


def export_briefing(
    executed_notebook: Path, output_dir: Path, week: str, lang: str
) -> tuple[Path, Path]:
    """Called by the runner after 04_briefing ran: write the week's briefing HTML and PDF."""
    import nbformat

    from helpers.config import load_plan

    check_lang(lang)
    nb = nbformat.read(str(executed_notebook), as_version=4)
    html_text = render_html(
        nb,
        load_plan().in_force(date.fromisoformat(week)),
        week,
        lang,
        synthetic=_built_from_generated_data(nb, week),
    )
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    html_path = output_dir / f"briefing-{week}-{lang}.html"
    pdf_path = output_dir / f"briefing-{week}-{lang}.pdf"
    atomic_write(html_path, lambda tmp: tmp.write_text(html_text, "utf-8"))
    write_pdf(html_text, pdf_path)
    return pdf_path, html_path
