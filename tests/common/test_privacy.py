"""Masking personal data shown outside the unit's own worklist."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.privacy import mask_id, mask_text


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("001090012345", "001*******45"),  # CCCD: province code and last two digits kept
        ("123456789", "123****89"),  # old CMND
        ("0101234567-001", "010*********01"),  # tax code of a branch
        ("12345", "*****"),  # too short to keep anything
        ("  001090012345 ", "001*******45"),  # stray spaces do not leak a digit
    ],
)
def test_mask_id_keeps_head_and_tail_only(value: str, masked: str) -> None:
    assert mask_id(pd.Series([value])).iloc[0] == masked


def test_mask_id_keeps_missing_missing_and_index() -> None:
    values = pd.Series([None, "", "001090012345"], index=[7, 8, 9])
    out = mask_id(values)
    assert out.isna().tolist() == [True, True, False]
    assert out.index.tolist() == [7, 8, 9]


def test_mask_id_does_not_change_its_input() -> None:
    values = pd.Series(["001090012345"])
    mask_id(values)
    assert values.iloc[0] == "001090012345"


def test_mask_text_keeps_initials() -> None:
    assert mask_text(pd.Series(["Nguyễn Văn An"])).iloc[0] == "N. V. A."
