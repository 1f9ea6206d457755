"""Views for the notebook (helpers.reconcile.views): status tables per unit and city, masked
examples."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import reconcile
from helpers.statuses import VEHICLE_STATUSES
from tests import reconcile_rows as R
from tests.reconcile.builders import WEEK, _reconcile

# --------------------------------------------------------------------------------------------
# Views for the notebook
# --------------------------------------------------------------------------------------------


def test_status_table_has_every_unit_and_status(vehicle_cases, tmp_path):
    counts = pd.DataFrame(
        {
            "unit_code": [R.UNIT, R.UNIT, R.OTHER_UNIT],
            "status": ["cleaned", "not_submitted", "cleaned"],
            "records": [3, 2, 1],
        }
    )
    table = reconcile.status_table(counts, "vehicle").set_index("unit_code")
    assert len(table) == 126
    assert list(table.columns[1:-1]) == list(VEHICLE_STATUSES)
    assert table.loc[R.UNIT, "total"] == 5 and table.loc["00004", "total"] == 0


def test_city_status_table_shares_add_up():
    counts = pd.DataFrame(
        {"unit_code": [R.UNIT, R.OTHER_UNIT], "status": ["cleaned", "cleaned"], "records": [3, 1]}
    )
    city = reconcile.city_status_table(counts, "licence").set_index("status")
    assert city.loc["cleaned", "records"] == 4 and city["share"].sum() == pytest.approx(1.0)
    assert city.loc["holder_deceased", "difficult"]


def test_difficult_examples_mask_ids_and_carry_no_names(tmp_path):
    v = R.vehicle(1, owner_id="001090012345")
    ws = _reconcile(
        tmp_path, vehicles=[v, R.vehicle(2)], population=[R.owner_of(v, status="deceased")]
    )
    examples = reconcile.difficult_examples(ws, WEEK, "vehicle")
    assert set(examples["status"]) == {"owner_deceased", "id_not_in_population"}
    assert "001*******45" in set(examples["person_id"])
    text = examples.astype(str).to_string()
    assert "001090012345" not in text and "Nguyễn" not in text and "29A" not in text


def test_status_counts_reads_the_written_table(small_week):
    ws, _ = small_week
    counts = reconcile.status_counts(ws, WEEK, "vehicle")
    assert counts["records"].sum() == 2
