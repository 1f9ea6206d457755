"""The packs' workbooks (helpers.packs.book): sheet names, the template's sections, the internal
mark on printed pages."""

from __future__ import annotations

import openpyxl
import pytest

from helpers import packs
from helpers.i18n import flatten, t
from tests.packs.builders import U1, unit_file

# --------------------------------------------------------------------------------------------
# catalogue and template
# --------------------------------------------------------------------------------------------


def test_sheet_names_are_valid_excel_names():
    for lang in ("vi", "en"):
        names = flatten(t.__globals__["catalogue"](lang)["excel"]["sheets"])
        for key, name in names.items():
            assert len(name) <= 31, (lang, key, name)
            assert not set(name) & set("[]:*?/\\"), (lang, key, name)
        unit_sheets = [names[k] for k in ("unit_summary", *packs.LISTS)]
        assert len({n.lower() for n in unit_sheets}) == len(unit_sheets)


def test_sheet_title_truncates_and_makes_unique():
    assert packs.sheet_title("a/b:c") == "a-b-c"
    long = "x" * 40
    assert packs.sheet_title(long) == "x" * 31
    assert packs.sheet_title(long, ["x" * 31]) == "x" * 27 + " (2)"


def test_template_lacking_a_section_is_a_config_error(tmp_path):
    from helpers import ConfigError

    bad = tmp_path / "excel.yaml"
    bad.write_text("font: {name: Arial, size: 10}\n", "utf-8")
    with pytest.raises(ConfigError, match="colours"):
        packs.load_template(bad)


def test_the_internal_mark_prints_once_a_page(built):
    """The title rows (with the mark) repeat on each printed page of a summary: the page
    header then carries no second copy; sheets without a title block keep it there."""
    _, out, result = built["vi"]
    mark = t("common.internal_mark", "vi")
    for path in (result.city, unit_file(out, U1)):
        for ws in openpyxl.load_workbook(path).worksheets:
            header = ws.oddHeader.right.text or ""
            titled = any(c.value == mark for r in ws.iter_rows(max_row=8) for c in r)
            assert titled == bool(ws.print_title_rows and ws.print_title_rows != "$1:$1")
            assert (mark in header) + titled == 1, (path.name, ws.title)
