"""Rank history in the packs: the city pack's sheet (unit x week: rank, then share cleaned) and
a unit pack's own history (one row per reporting week), from progress's ``rank_history``.

Pure table functions (``history_wide``, ``unit_history``) and the sheet writers; the table
is read by the callers (``load_city_tables``, ``unit_tasks``)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from helpers.i18n import fmt_date
from helpers.packs.book import PackBook
from helpers.packs.sheetxml import Column
from helpers.packs.texts import label_series, tx, yes_no


def _week_label(week: date, recomputed: bool, lang: str) -> str:
    return fmt_date(week, lang)[:5] + ("*" if recomputed else "")


def history_wide(hist: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, list[Column]]:
    """Unit x week, in the newest week's rank order: the rank at each week, then the share of
    cleanable vehicle records cleaned at each week (a recomputed week's headers end in *)."""
    weeks = sorted(hist["week"].unique())
    recomputed = hist.groupby("week")["recomputed"].any()
    ranks = hist.pivot(index="unit_code", columns="week", values="rank").reindex(columns=weeks)
    shares = hist.pivot(index="unit_code", columns="week", values="share_cleaned").reindex(
        columns=weeks
    )
    names = hist.drop_duplicates("unit_code", keep="last").set_index("unit_code")["unit_name"]
    out = pd.DataFrame({"unit_code": ranks.index.astype("str"), "unit_name": names[ranks.index]})
    columns = [
        Column("unit_code", tx("columns.unit_code", lang), "code"),
        Column("unit_name", tx("columns.unit_name", lang), "text"),
    ]
    for i, w in enumerate(weeks):
        label = _week_label(w, bool(recomputed[w]), lang)
        out[f"rank_{i}"] = ranks[w].astype("Int64").to_numpy()
        columns.append(Column(f"rank_{i}", tx("history.rank_at", lang, week=label), "int"))
    for i, w in enumerate(weeks):
        label = _week_label(w, bool(recomputed[w]), lang)
        out[f"share_{i}"] = shares[w].astype("float64").to_numpy()
        columns.append(Column(f"share_{i}", tx("history.share_at", lang, week=label), "pct"))
    last = f"rank_{len(weeks) - 1}"
    out = out.sort_values([last, "unit_name"], kind="stable").reset_index(drop=True)
    return out, columns


def history_sheet(book: PackBook, hist: pd.DataFrame, lang: str) -> None:
    """The city pack's rank history sheet (nothing when the week has no history table)."""
    if hist is None or hist.empty:
        return
    frame, columns = history_wide(hist, lang)
    book.data_sheet(
        tx("sheets.rank_history", lang),
        frame,
        columns,
        table_name="RankHistory",
        freeze_cols=2,
        scale=[c.name for c in columns if c.name.startswith("share_")],
    )


def unit_history(hist: pd.DataFrame, unit_code: str, lang: str) -> pd.DataFrame:
    """One unit's rows of ``rank_history``, oldest week first, with labels to show."""
    mine = hist.loc[hist["unit_code"].astype("str") == str(unit_code)]
    return _history_rows(_labelled(mine, lang))


def units_history(hist: pd.DataFrame, lang: str) -> dict[str, pd.DataFrame]:
    """:func:`unit_history` of every unit in ``hist`` at once, by unit code: the labels are
    looked up once for the whole table (per unit they cost the packs ~1 s a week)."""
    labelled = _labelled(hist, lang)
    codes = hist["unit_code"].astype("str")
    return {str(code): _history_rows(rows) for code, rows in labelled.groupby(codes, sort=False)}


def _labelled(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rows with their labels in place of the codes and flags (value by value)."""
    return rows.assign(
        standing=label_series(rows["standing"], "progress.standing", lang),
        named_progress=yes_no(rows["named_progress"], lang),
        named_conduct=yes_no(rows["named_conduct"], lang),
        is_leader=yes_no(rows["is_leader"], lang),
        recomputed=yes_no(rows["recomputed"], lang),
    )


def _history_rows(labelled: pd.DataFrame) -> pd.DataFrame:
    mine = labelled.sort_values("week")
    return pd.DataFrame(
        {
            "week": pd.to_datetime(mine["week"]).to_numpy(),
            "rank": mine["rank"].astype("Int64").to_numpy(),
            "share_cleaned": mine["share_cleaned"].astype("float64").to_numpy(),
            "standing": mine["standing"].to_numpy(),
            "named_progress": mine["named_progress"].to_numpy(),
            "named_conduct": mine["named_conduct"].to_numpy(),
            "is_leader": mine["is_leader"].to_numpy(),
            "recomputed": mine["recomputed"].to_numpy(),
        }
    )


def unit_history_sheet(book: PackBook, rows: pd.DataFrame, lang: str) -> None:
    """A unit pack's history sheet: its rank, share, standing, named (behind on progress, or
    for its conduct) or praised, per week."""
    if rows is None or rows.empty:
        return
    book.data_sheet(
        tx("sheets.unit_history", lang),
        rows,
        [
            Column("week", tx("history.week", lang), "date"),
            Column("rank", tx("columns.rank", lang), "int"),
            Column("share_cleaned", tx("history.share", lang), "pct"),
            Column("standing", tx("history.standing", lang), "label"),
            Column("named_progress", tx("history.laggard", lang), "label"),
            Column("named_conduct", tx("history.conduct", lang), "label"),
            Column("is_leader", tx("history.leader", lang), "label"),
            Column("recomputed", tx("history.recomputed", lang), "label"),
        ],
        table_name="History",
        freeze_cols=1,
    )
