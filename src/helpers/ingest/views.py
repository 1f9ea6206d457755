"""What 01_ingest shows: tables and sentences in the notebook's language, counts only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from helpers import i18n
from helpers.ingest.sources import SKIP_KINDS, SOURCE_NAMES, SourceFiles, labelled, relative_to_raw


def sources_table(
    located: dict[str, SourceFiles], raw: Path, lang: str | None = None
) -> pd.DataFrame:
    """One row per source: delivery folder, number of files, file (relative to the raw
    folder ``raw``), size.

    With ``lang`` the column labels come from the catalogue (section ``ingest``).
    """
    rows = []
    for where in located.values():
        names = [relative_to_raw(raw, p) for p in where.files]
        folders = sorted({n.rsplit("/", 1)[0] for n in names})
        rows.append(
            {
                "source": where.source,
                "delivery": where.delivery,
                "files": len(names),
                # one file by name; a folder of workbooks as "<folder>/ (n files)"
                "file": names[0] if len(names) == 1 else f"{', '.join(folders)}/ ({len(names)})",
                "size_mb": round(sum(p.stat().st_size for p in where.files) / 1e6, 2),
            }
        )
    table = pd.DataFrame(rows, columns=["source", "delivery", "files", "file", "size_mb"])
    return labelled(table, lang)


# ---------------------------------------------------------------- what the notebook shows


def ledger_table(ledger: dict, lang: str | None = None) -> pd.DataFrame:
    """One row per file: rows read, accepted, rejected, skipped by kind, balanced."""
    rows = [
        {
            "source": e["source"],
            "file": e["file"],
            "rows_read": e["rows_read"],
            "rows_accepted": e["rows_accepted"],
            "rows_rejected": e["rows_rejected"],
            **{f"skipped_{k}": e["rows_skipped"].get(k, 0) for k in SKIP_KINDS},
            "balanced": e["balanced"],
        }
        for e in ledger["files"]
    ]
    columns = [
        "source",
        "file",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        *(f"skipped_{k}" for k in SKIP_KINDS),
        "balanced",
    ]
    return labelled(pd.DataFrame(rows, columns=columns), lang)


def warnings_text(ledger: dict, lang: str) -> str:
    """The ledger's warnings, one line each after a count, for the console and 01_ingest."""
    found = ledger.get("warnings", [])
    if not found:
        return i18n.t("ingest.no_warning", lang)
    head = i18n.t("ingest.warnings", lang, n=i18n.fmt_int(len(found), lang))
    return "\n".join([head, *(f"  ⚠ {w[f'message_{lang}']}" for w in found)])


def source_table(ledger: dict, lang: str | None = None) -> pd.DataFrame:
    """One row per source: its delivery and age, whether it was parsed or reused from an earlier
    week's ingest, files and rows read, accepted, rejected, skipped by kind."""
    files = ledger_table(ledger)
    table = (
        files.assign(files=1)
        .groupby("source", sort=False)
        .sum(numeric_only=True)
        .reindex([s for s in SOURCE_NAMES if s in set(files["source"])])
        .reset_index()
    )
    table["balanced"] = table["balanced"] == table["files"]
    sources = ledger["sources"]
    for column in ("delivery", "age_days", "stale"):
        table[column] = table["source"].map(lambda s, c=column: sources.get(s, {}).get(c))
    table["read"] = table["source"].map(lambda s: read_how(sources.get(s, {}), lang or "en"))
    columns = [
        "source",
        "delivery",
        "age_days",
        "stale",
        "read",
        "files",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        *(f"skipped_{k}" for k in SKIP_KINDS),
        "balanced",
    ]
    return labelled(table[columns], lang)


def read_how(summary: dict, lang: str) -> str:
    """'parsed' or 'reused from <week>' (an earlier ingest read the same bytes)."""
    week = summary.get("reused_from")
    if not week:
        return i18n.t("ingest.parsed", lang)
    return i18n.t("ingest.reused_from", lang, week=i18n.fmt_date(date.fromisoformat(week), lang))


def summary_text(ledger: dict, lang: str) -> str:
    """One sentence for the analyst: files, rows read, accepted, rejected, skipped."""
    files = ledger["files"]
    sentence = i18n.t(
        "ingest.summary",
        lang,
        files=i18n.fmt_int(len(files), lang),
        read=i18n.fmt_int(sum(e["rows_read"] for e in files), lang),
        accepted=i18n.fmt_int(sum(e["rows_accepted"] for e in files), lang),
        rejected=i18n.fmt_int(sum(e["rows_rejected"] for e in files), lang),
        skipped=i18n.fmt_int(sum(sum(e["rows_skipped"].values()) for e in files), lang),
    )
    if ledger.get("balanced"):
        sentence += " " + i18n.t("ingest.all_balanced", lang)
    return sentence


def reject_counts(rejects: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Problems and rejected rows per source and reason: counts only, never the values."""
    label = "reason_vi" if lang == "vi" else "reason"
    columns = ["source", "reason_code", "reason", "problems", "rows"]
    if rejects.empty:
        return labelled(pd.DataFrame(columns=columns), lang)
    keyed = rejects.assign(
        row_key=rejects["source_file"].astype("str") + ":" + rejects["source_row"].astype("str")
    )
    table = (
        keyed.groupby(["source", "reason_code", label], sort=False)
        .agg(problems=("column", "size"), rows=("row_key", "nunique"))
        .reset_index()
        .rename(columns={label: "reason"})
    )
    order = {s: i for i, s in enumerate(SOURCE_NAMES)}
    table = table.sort_values(
        ["source", "problems"],
        key=lambda c: c.map(order) if c.name == "source" else -c,
        kind="stable",
        ignore_index=True,
    )
    return labelled(table[columns], lang)
