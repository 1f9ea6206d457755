"""The table contract as code: checked where tables are written and read, and in the docs."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from helpers import paths, schemas, store

WEEK = "2025-11-23"


def talking_points(**over) -> pd.DataFrame:
    return pd.DataFrame({"lang": ["vi"], "order": [1], "text": ["Một câu."], **over})


def test_a_complete_table_is_written_and_read_back(tmp_ws):
    store.save(tmp_ws, talking_points(), "talking_points", WEEK)
    assert store.load(tmp_ws, "talking_points", WEEK)["text"].tolist() == ["Một câu."]


def test_a_missing_column_is_named_where_the_table_is_written(tmp_ws):
    with pytest.raises(schemas.ContractError, match=r"'talking_points'.*missing: order"):
        store.save(tmp_ws, talking_points().drop(columns="order"), "talking_points", WEEK)


def test_a_column_of_the_wrong_type_is_named(tmp_ws):
    with pytest.raises(
        schemas.ContractError, match=r"'talking_points'.*column 'order' holds .*string.*says int"
    ):
        store.save(tmp_ws, talking_points(order=["first"]), "talking_points", WEEK)


def test_a_column_outside_the_contract_is_refused_with_where_to_add_it(tmp_ws):
    with pytest.raises(schemas.ContractError, match=r"'note' is not in its contract.*schemas\.py"):
        store.save(tmp_ws, talking_points(note=["x"]), "talking_points", WEEK)


def test_a_null_where_the_contract_allows_none_is_named(tmp_ws):
    with pytest.raises(schemas.ContractError, match=r"column 'text' holds 1 null"):
        store.save(tmp_ws, talking_points(text=[None]), "talking_points", WEEK)


def test_a_delivery_s_own_extra_column_is_kept_in_a_raw_table():
    frame = schemas.complete(
        "unit_reports",
        pd.DataFrame({"report_date": [date(2025, 11, 20)], "unit_code": ["00008"], "STT": ["1"]}),
    )
    schemas.check_table("unit_reports", __import__("pyarrow").Table.from_pandas(frame))


def test_a_table_written_around_save_is_caught_when_read(tmp_ws):
    path = store.table_path(tmp_ws, "talking_points", WEEK)
    path.parent.mkdir(parents=True)
    talking_points(order=[1.5]).to_parquet(path)
    with pytest.raises(schemas.ContractError, match="'order' holds double"):
        store.load(tmp_ws, "talking_points", WEEK)


def test_reading_a_column_a_table_lacks_names_it(tmp_ws):
    store.save(tmp_ws, talking_points(), "talking_points", WEEK)
    with pytest.raises(schemas.ContractError, match="no column.*tone"):
        store.load(tmp_ws, "talking_points", WEEK, columns=["text", "tone"])


def test_builders_complete_a_hand_made_table_from_the_contract():
    frame = schemas.complete("leaders", pd.DataFrame({"unit_code": ["00008"]}))
    assert set(frame.columns) == {c.name for c in schemas.CONTRACTS["leaders"].columns}
    assert frame["position"].tolist() == [0]  # never null: its family's zero
    assert frame["value"].isna().all()  # may be null: left empty


def _documented(table: str, text: str) -> str:
    """The bullet of docs/architecture.md that describes ``table``."""
    match = re.search(rf"^- `{table}`.*?(?=^- `|^#|\Z)", text, re.M | re.S)
    assert match, f"docs/architecture.md does not describe the table {table}"
    return match.group(0)


@pytest.mark.parametrize("table", sorted(schemas.CONTRACTS))
def test_docs_list_the_columns_of_every_table(table):
    text = (paths.PROJECT_ROOT / "docs" / "architecture.md").read_text("utf-8")
    bullet = _documented(table, text)
    named = set(re.findall(r"`([a-z_0-9<>]+)`", bullet))
    missing = []
    for column in schemas.CONTRACTS[table].columns:
        name = column.name
        short = re.sub(r"^(veh|lic)_", "", name)
        pattern = re.sub(r"^(veh|lic)_(group|resolved)_.*$", r"\1_\2_<status>", name)
        measure = re.sub(
            r"^(self_report_\w+?_|reported_|system_|overstated_)"
            r"(vehicles_collected|vehicles_approved|licences_collected|"
            r"licences_cleaned)$",
            r"\1<m>",
            name,
        )
        if not ({name, short, pattern, measure} & named):
            missing.append(name)
    assert not missing, f"docs/architecture.md: {table} does not list {missing}"
