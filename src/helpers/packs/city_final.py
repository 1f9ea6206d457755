"""The city pack's campaign summary sheets, in a week that reaches the end of the peak (when
progress wrote the campaign summary's tables, :mod:`helpers.progress.final`): each unit's
final result with the whole campaign's verdict and reasons, and the handover list of the
difficult records still open per unit and group, with the unit pack's sheet that lists them.
Both are printable views (at most ``print.max_columns`` columns, fitted to a page width).
Aggregates only."""

from __future__ import annotations

import pandas as pd

from helpers.i18n import fmt_int, t
from helpers.packs.book import PackBook
from helpers.packs.sheetxml import Column
from helpers.packs.texts import label_series, tx, yes_no
from helpers.packs.units_table import metric_header
from helpers.record_tables import STATUS_LIST


def final_results_table(units: pd.DataFrame, verdicts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """final_units by rank, with the verdict(s) and reasons of the whole campaign in words."""
    said = verdicts.assign(
        label=label_series(verdicts["verdict"], "excel.verdict", lang),
        reason=verdicts[f"reason_{lang}"].fillna(""),
    )
    said = said.assign(line=said["label"] + ": " + said["reason"])
    joined = said.groupby("unit_code").agg(
        verdict=("label", " / ".join), final_reason=("line", "\n".join)
    )
    out = units.merge(joined, left_on="unit_code", right_index=True, how="left")
    out["standing"] = label_series(out["standing"], "progress.standing", lang)
    out["outcome"] = [
        t(f"briefing.final.outcome_{o}", lang, left=fmt_int(n, lang))
        for o, n in zip(out["outcome"], out["records_left"], strict=True)
    ]
    out["finished"] = yes_no(out["finished"], lang)
    return out.sort_values(["rank", "unit_code"], kind="stable", ignore_index=True)


def handover_table(handover: pd.DataFrame, lang: str) -> pd.DataFrame:
    """final_handover in words: the kind, the group, the unit pack's sheet listing them."""
    sheet = handover["group"].map(STATUS_LIST)
    return handover.assign(
        record_kind=label_series(handover["kind"], "briefing.kind", lang),
        difficult_group=label_series(handover["group"], "status", lang),
        unit_pack_sheet=label_series(sheet, "excel.sheets", lang),
    ).sort_values(["unit_code", "kind", "open"], ascending=[True, True, False], ignore_index=True)


def final_sheets(book: PackBook, tables: dict[str, pd.DataFrame], lang: str) -> None:
    """The two campaign summary sheets; nothing in a week without the campaign summary."""
    if "final_units" not in tables:
        return
    results = final_results_table(tables["final_units"], tables["final_verdicts"], lang)
    shares = ["veh_share_cleaned_cleanable", "veh_share_cleaned", "lic_share_cleaned_cleanable"]
    book.data_sheet(
        tx("sheets.final_results", lang),
        results,
        [
            Column("rank", tx("columns.rank", lang), "int"),
            Column("unit_code", tx("columns.unit_code", lang), "code"),
            Column("unit_name", tx("columns.unit_name", lang), "text"),
            *[Column(c, metric_header(c, lang), "pct") for c in shares],
            Column("veh_cleaned", metric_header("veh_cleaned", lang), "int"),
            Column("veh_cleanable", metric_header("veh_cleanable", lang), "int"),
            Column("difficult_open", tx("columns.difficult_open_total", lang), "int"),
            Column("finished", tx("columns.finished", lang), "label"),
            Column("finished_on", tx("columns.finished_on", lang), "date"),
            Column("outcome", t("briefing.final.outcome", lang), "label"),
            Column("verdict", tx("columns.verdict", lang), "label"),
            Column("final_reason", tx("columns.final_reason", lang), "long_text"),
        ],
        table_name="FinalResults",
        freeze_cols=3,
        scale=shares,
    )
    book.data_sheet(
        tx("sheets.handover", lang),
        handover_table(tables["final_handover"], lang),
        [
            Column("unit_code", tx("columns.unit_code", lang), "code"),
            Column("unit_name", tx("columns.unit_name", lang), "text"),
            Column("record_kind", tx("columns.record_kind", lang), "label"),
            Column("difficult_group", tx("columns.difficult_group", lang), "text"),
            Column("records", tx("columns.group_records", lang), "int"),
            Column("open", tx("columns.group_open", lang), "int"),
            Column("unit_pack_sheet", tx("columns.unit_pack_sheet", lang), "text"),
        ],
        table_name="Handover",
        freeze_cols=2,
    )
