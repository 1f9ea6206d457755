"""The sheet writer's text passes (helpers.packs.sheetxml): the Arrow passes a column's text
needs only when it holds the bytes they act on are skipped otherwise, with the same result."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helpers.packs import sheetxml

TEXTS = [
    ["Số 5 ngõ 12, Tổ 3", None, "", "Nguyễn Văn A"],  # nothing to remove or escape
    ["A & B", "x < y", "y > x", "line\r\nnext", None],  # each escape
    ["bell\x07", "tab\tkept", "vt\x0bgone", "\x1f", None],  # control characters
    ["not\ufffeok", "nor\uffff", "ｆｕｌｌ\uff01 width", "€ sign"],  # 0xEF lead bytes
    ["=SUM(A1)", "+1", "-2", "@x"],
]


def _escape_always(arr: pa.Array) -> pa.Array:
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        arr = pc.replace_substring(arr, old, new)
    return arr


@pytest.mark.parametrize("values", TEXTS)
def test_skipped_passes_give_what_the_full_passes_give(values):
    arr = pa.array(values, pa.string())
    cleaned, _ = sheetxml._clean_strings(arr)
    full = pc.replace_substring_regex(arr, sheetxml._ILLEGAL_XML_RE, "")
    full = pc.if_else(pc.equal(full, ""), pa.scalar(None, pa.string()), full)
    assert cleaned.to_pylist() == full.to_pylist()
    assert sheetxml._xml_escape(cleaned).to_pylist() == _escape_always(cleaned).to_pylist()


def test_a_sliced_column_is_always_passed():
    arr = pa.array(["plain", "A & B", "x\x07"], pa.string()).slice(1)
    assert sheetxml._may_hold(arr, sheetxml._byte_set(b"#"))
    assert sheetxml._xml_escape(arr).to_pylist() == ["A &amp; B", "x\x07"]


def test_a_column_without_the_bytes_is_not_passed():
    arr = pa.array(["Số 5 ngõ 12", None, "Tổ 3"], pa.string())
    assert not sheetxml._may_hold(arr, sheetxml._ILLEGAL_BYTES)
    assert not sheetxml._may_hold(arr, sheetxml._byte_set(b"&"))
    assert sheetxml._may_hold(pa.array(["a\x0cb"], pa.string()), sheetxml._ILLEGAL_BYTES)
