import re

import pytest

from helpers import i18n


def test_catalogues_have_the_same_keys():
    vi = set(i18n.flatten(i18n.catalogue("vi")))
    en = set(i18n.flatten(i18n.catalogue("en")))
    assert sorted(vi - en) == [] and sorted(en - vi) == []


def test_no_empty_texts():
    for lang in i18n.LANGS:
        empty = [k for k, v in i18n.flatten(i18n.catalogue(lang)).items() if not str(v).strip()]
        assert empty == [], lang


@pytest.mark.parametrize(
    "value, vi, en",
    [
        (917509, "917.509", "917,509"),
        (0, "0", "0"),
        (-1234, "-1.234", "-1,234"),
        (999, "999", "999"),
    ],
)
def test_integers_follow_language_conventions(value, vi, en):
    assert i18n.fmt_int(value, "vi") == vi
    assert i18n.fmt_int(value, "en") == en


def test_percentages_follow_language_conventions():
    assert i18n.fmt_pct(0.41, "vi") == "41,0%"
    assert i18n.fmt_pct(0.41, "en") == "41.0%"
    assert i18n.fmt_pct(None, "vi") == "–"


def test_missing_key_is_an_error_not_a_fallback():
    with pytest.raises(KeyError, match="no key 'common.nope'"):
        i18n.t("common.nope", "en")


def test_placeholders_are_filled():
    assert i18n.t("common.page_of", "en", page=2, pages=9) == "Page 2 of 9"
    assert i18n.t("common.page_of", "vi", page=2, pages=9) == "Trang 2/9"


def _texts(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, str):
        yield node


def test_vietnamese_catalogue_uses_one_term_for_declaring_and_for_the_population_database():
    """ "kê khai" (never "khai báo") and "CSDL dân cư" (never "CSDLQG" or the long forms), so a
    reader never wonders whether two words are two things."""
    texts = list(_texts(i18n.catalogue("vi")))
    for other in ("khai báo", "CSDLQG", "quốc gia về dân cư"):
        assert not [s for s in texts if other in s.lower() or other in s], other


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_catalogue_text_prints_a_file_path_of_the_repository(lang):
    texts = list(_texts(i18n.catalogue(lang)))
    assert not [s for s in texts if re.search(r"docs/|\.md\b|plan\.yaml", s)]
