"""The analyst's drill-down into one unit (helpers.progress.explore): finding a unit, its
record-level views as pure functions, labelled tables."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from helpers import i18n, progress
from tests.progress.builders import B


def test_find_unit_by_code_or_any_spelling():
    assert progress.find_unit("00008") == B
    assert progress.find_unit("P. Ngoc Ha") == B
    with pytest.raises(progress.PipelineError, match="did you mean Phường Ngọc Hà"):
        progress.find_unit("Ngoc")


def test_unit_self_reports_leave_a_day_without_a_report_blank():
    check = pd.DataFrame(
        {
            "report_date": [date(2025, 11, 21), date(2025, 11, 22)],
            "unit_code": ["00008"] * 2,
            "has_report": [True, False],
            "ratio": [1.0, 0.0],
            "overstated": [False, False],
            **{
                f"{side}_{m}": [5, 0] if side == "reported" else [5, 3]
                for m in (
                    "vehicles_collected",
                    "vehicles_approved",
                    "licences_collected",
                    "licences_cleaned",
                )
                for side in ("reported", "system")
            },
        }
    )
    styled = progress.unit_self_reports(check, "00008", "vi")
    table = styled.data
    reported = i18n.t(
        "explore.reported", "vi", what=i18n.t("excel.measures.vehicles_collected", "vi")
    )
    assert table[reported].iloc[0] == 5 and pd.isna(table[reported].iloc[1])
    assert i18n.t("explore.no_report_note", "vi") in styled.to_html()


def test_unit_recognition_is_a_labelled_table_not_a_dict():
    laggards = pd.DataFrame({"unit_code": ["00008"], "reason_vi": ["chậm"], "reason_en": ["slow"]})
    leaders = pd.DataFrame(columns=["unit_code", "category", "reason_vi", "reason_en"])
    table = progress.unit_recognition(laggards, leaders, "00008", "vi")
    assert list(table.columns) == [i18n.t("explore.list", "vi"), i18n.t("explore.reason", "vi")]
    assert table.values.tolist() == [[i18n.t("explore.laggard", "vi"), "chậm"]]
    neither = progress.unit_recognition(laggards, leaders, "00001", "en")
    assert neither.iloc[0, 0] == i18n.t("explore.neither", "en")


# --- the drill-down's record-level views are pure functions over tables -------------------------


def test_unit_statuses_counts_one_units_records_from_tables():
    vehicles = pd.DataFrame(
        {
            "unit_code": ["00008", "00008", "00008", "00009"],
            "status": ["cleaned"] * 2 + ["owner_deceased"] * 2,
        }
    )
    licences = pd.DataFrame({"unit_code": ["00009"], "status": ["cleaned"]})
    table = progress.unit_statuses({"vehicle": vehicles, "licence": licences}, "00008", "en")
    labels = i18n.catalogue("en")["status"]
    assert table.values.tolist() == [
        [i18n.t("progress.kind.vehicle", "en"), labels["cleaned"], 2],
        [i18n.t("progress.kind.vehicle", "en"), labels["owner_deceased"], 1],
    ]


def test_unit_pending_lists_the_oldest_waiting_submissions_as_of_the_week_masked():
    links = pd.DataFrame(
        {
            "submission_id": ["s1", "s2", "s3", "s4", "s5"],
            "kind": ["vehicle", "licence", "vehicle", "vehicle", "vehicle"],
            "unit_code": ["00008", "00008", "00008", "00009", "00008"],
            "record_id": ["r1", None, "r3", "r4", "r5"],
            "submitted_at": pd.to_datetime(
                [
                    "2025-11-20 09:00",
                    "2025-11-10 08:00",
                    "2025-11-24 10:00",
                    "2025-11-01 08:00",
                    "2025-11-05 08:00",
                ]
            ),
            "review_status": ["pending", "pending", "pending", "pending", "approved"],
        }
    )
    submissions = pd.DataFrame(
        {"submission_id": ["s1", "s2", "s3", "s4"], "citizen_id": ["001234567845"] * 4}
    )
    out = progress.unit_pending(links, submissions, "00008", as_of=date(2025, 11, 23), limit=5)
    # s3 came after the week, s4 is another unit's, s5 was reviewed: oldest first
    assert out["submission_id"].tolist() == ["s2", "s1"]
    assert out["days_waiting"].tolist() == [13, 3]
    assert out["record_id"].tolist()[1] == "r1" and pd.isna(out["record_id"].iloc[0])
    assert "001234567845" not in out["citizen_id"].tolist()
    assert progress.unit_pending(links, submissions, "00008", as_of=date(2025, 11, 23), limit=1)[
        "submission_id"
    ].tolist() == ["s2"]
    shown = progress.unit_pending(links, submissions, "00008", as_of=date(2025, 11, 23), lang="en")
    assert i18n.t("excel.columns.days_waiting", "en") in shown.columns
