"""Score reconcile against the generator's ground truth (what ``make eval`` runs).

    python -m measure.evaluate --week 2025-11-23

Runs ingest (when the week's processed tables are missing) and reconcile on the workspace
(``helpers.paths.workspace()``: project folders or the ``CATP_*_DIR`` variables), reads the
truth from ``<truth>/<week>/{vehicle_status,licence_status,submission_links}.parquet`` and
prints per-status precision and recall, and link precision and recall, with the targets.

Precision of a status: of the records reconcile put in it, the share the truth puts there too.
Recall: of the records the truth puts in it, the share reconcile found. Truth rows a correct
ingest rejects (``rejected_at_ingest``) are left out: they are no records to reconcile (the
ingest tests score those); any other truth record reconcile lacks counts against recall.
Links are scored on submissions: precision over the submissions reconcile linked, recall over
the submissions the truth links; ``unmatched`` and ``duplicate`` rows score the rest of the
link table. The self-report row scores the week's overstating units against ``units.parquet``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import DeliveryError, store
from helpers.paths import Workspace, workspace
from helpers.statuses import LICENCE_STATUSES, VEHICLE_STATUSES

DEFAULT_WEEK = "2025-11-23"
STATUS_TARGET = 0.99
LINK_TARGET = 0.995
MISSING = "(not reconciled)"


@dataclass(frozen=True)
class Scores:
    statuses: pd.DataFrame  # kind, status, truth, predicted, correct, precision, recall, ok
    links: pd.DataFrame  # measure, truth, predicted, correct, precision, recall, ok
    confusion: pd.DataFrame  # kind, truth_status, predicted_status, records (disagreements)
    self_reports: pd.DataFrame | None = None  # overstating units found (same columns as links)

    @property
    def passed(self) -> bool:
        tables = [self.statuses, self.links]
        if self.self_reports is not None:
            tables.append(self.self_reports)
        return bool(all(t["ok"].all() for t in tables))


def score_statuses(
    predicted: pd.DataFrame, truth: pd.DataFrame, statuses: tuple[str, ...], kind: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-status precision/recall of ``predicted`` against ``truth`` (both record_id, status).

    Returns the score table (one row per status, plus ``all`` = share of records right) and
    the confusion rows where the two disagree.
    """
    both = truth[["record_id", "status"]].merge(
        predicted[["record_id", "status"]],
        on="record_id",
        how="outer",
        suffixes=("_truth", "_pred"),
        indicator=True,
    )
    both["status_pred"] = both["status_pred"].astype("string").fillna(MISSING)
    both["status_truth"] = both["status_truth"].astype("string").fillna(MISSING)
    right = both["status_truth"] == both["status_pred"]
    rows = []
    for status in statuses:
        in_truth = both["status_truth"] == status
        in_pred = both["status_pred"] == status
        correct = int((in_truth & in_pred).sum())
        rows.append(
            _score_row(
                kind, status, int(in_truth.sum()), int(in_pred.sum()), correct, STATUS_TARGET
            )
        )
    rows.append(
        _score_row(
            kind,
            "all",
            int((both["_merge"] != "right_only").sum()),
            int((both["_merge"] != "left_only").sum()),
            int(right.sum()),
            STATUS_TARGET,
        )
    )
    confusion = (
        both.loc[~right]
        .groupby(["status_truth", "status_pred"], observed=True)
        .size()
        .rename("records")
        .reset_index()
        .rename(columns={"status_truth": "truth_status", "status_pred": "predicted_status"})
        .sort_values("records", ascending=False, ignore_index=True)
    )
    confusion.insert(0, "kind", kind)
    return pd.DataFrame(rows), confusion


def _score_row(
    kind: str, name: str, truth: int, predicted: int, correct: int, target: float
) -> dict:
    precision = correct / predicted if predicted else None
    recall = correct / truth if truth else None
    ok = all(v is None or v >= target for v in (precision, recall))
    return {
        "kind": kind,
        "status": name,
        "truth": truth,
        "predicted": predicted,
        "correct": correct,
        "precision": precision,
        "recall": recall,
        "ok": ok,
    }


def score_links(predicted: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Link precision/recall (``submission_id``, ``record_id``), and the same for duplicates
    (``is_duplicate``) when both tables carry it."""
    both = truth.assign(_in_truth=True).merge(
        predicted.assign(_in_pred=True),
        on="submission_id",
        how="outer",
        suffixes=("_truth", "_pred"),
    )
    in_truth = both["_in_truth"].astype("boolean").fillna(False)
    in_pred = both["_in_pred"].astype("boolean").fillna(False)
    t_rec = both["record_id_truth"].astype("string")
    p_rec = both["record_id_pred"].astype("string")
    linked_truth, linked_pred = t_rec.notna(), p_rec.notna()
    correct = int((linked_truth & linked_pred & (t_rec == p_rec)).fillna(False).sum())
    rows = [_link_row("link", int(linked_truth.sum()), int(linked_pred.sum()), correct)]
    unmatched_truth, unmatched_pred = ~linked_truth & in_truth, ~linked_pred & in_pred
    rows.append(
        _link_row(
            "unmatched",
            int(unmatched_truth.sum()),
            int(unmatched_pred.sum()),
            int((unmatched_truth & unmatched_pred).sum()),
        )
    )
    if "is_duplicate_truth" in both and "is_duplicate_pred" in both:
        t_dup = both["is_duplicate_truth"].astype("boolean").fillna(False)
        p_dup = both["is_duplicate_pred"].astype("boolean").fillna(False)
        rows.append(
            _link_row("duplicate", int(t_dup.sum()), int(p_dup.sum()), int((t_dup & p_dup).sum()))
        )
    return pd.DataFrame(rows)


def _link_row(measure: str, truth: int, predicted: int, correct: int) -> dict:
    row = _score_row("submission", measure, truth, predicted, correct, LINK_TARGET)
    row["measure"] = row.pop("status")
    return row


def overstating_in_week(
    truth_reports: pd.DataFrame, week: str, *, days: int, min_reported: float
) -> pd.DataFrame:
    """The units that really overstated in the week: the generator made them overstate
    (``overstates``: every report inflated beyond the threshold) *and* the week holds enough
    of their reports for the plan to judge (``self_reports.min_reported`` reported over the days
    of the window they reported on, the rows ingest must reject left out). A unit the generator
    labels once for the whole campaign but that reported 12 vehicles that week did not overstate
    in a way any rule can see; the suite judges each week, so the truth does too."""
    from synth.selfreport import REPORT_COUNTS

    end = pd.Timestamp(week).date()
    start = end - pd.Timedelta(days=days - 1).to_pytimedelta()
    when = pd.to_datetime(truth_reports["report_date"]).dt.date
    rows = truth_reports.loc[(when >= start) & (when <= end)]
    if "rejected_at_ingest" in rows.columns:
        rows = rows.loc[~rows["rejected_at_ingest"].astype(bool)]
    if "delivered" in rows.columns:  # a unit that sent last week's form again: none this week
        rows = rows.loc[rows["delivered"].astype(bool)]
    reported = rows[list(REPORT_COUNTS)].sum(axis=1).groupby(rows["unit_code"]).sum()
    label = rows.groupby("unit_code")["overstates"].any()
    judged = reported.reindex(label.index, fill_value=0) >= min_reported
    return pd.DataFrame(
        {"unit_code": label.index.astype(str), "overstates": (label & judged).to_numpy()}
    )


def score_self_reports(verdict: pd.DataFrame, truth_units: pd.DataFrame) -> pd.DataFrame:
    """Units flagged as overstating (``unit_code``, ``overstated``) against the units that
    overstated (``unit_code``, ``overstates``: :func:`overstating_in_week`, or the generator's
    campaign label when the truth holds no daily reports)."""
    both = truth_units[["unit_code", "overstates"]].merge(
        verdict[["unit_code", "overstated"]], on="unit_code", how="outer"
    )
    t_flag = both["overstates"].astype("boolean").fillna(False)
    p_flag = both["overstated"].astype("boolean").fillna(False)
    row = _link_row(
        "overstating units", int(t_flag.sum()), int(p_flag.sum()), int((t_flag & p_flag).sum())
    )
    row["kind"] = "unit"
    return pd.DataFrame([row])


def load_truth(ws: Workspace, week: str, name: str) -> pd.DataFrame:
    """One weekly truth table, without the rows a correct ingest rejects (never reconciled)."""
    path = ws.truth / week / f"{name}.parquet"
    if not path.is_file():
        raise DeliveryError(
            f"ground truth {path} not found: generate the sample campaign with its truth "
            f"(`make sample-data`, truth goes to {ws.truth}) before scoring"
        )
    truth = pd.read_parquet(path)
    if "rejected_at_ingest" in truth.columns:
        truth = truth.loc[~truth["rejected_at_ingest"].astype(bool)]
    return truth.reset_index(drop=True)


def score_week(ws: Workspace, week: str) -> Scores:
    """Score the reconciled tables of ``week`` against the truth (both must exist)."""
    status_rows, confusions = [], []
    for kind, name, statuses in (
        ("vehicle", "vehicle_status", VEHICLE_STATUSES),
        ("licence", "licence_status", LICENCE_STATUSES),
    ):
        pred = store.load(ws, name, week, columns=["record_id", "status"])
        scores, confusion = score_statuses(pred, load_truth(ws, week, name), statuses, kind)
        status_rows.append(scores)
        confusions.append(confusion)
    link_cols = ["submission_id", "record_id", "is_duplicate"]
    pred_links = store.load(ws, "submission_links", week, columns=link_cols)
    truth_links = load_truth(ws, week, "submission_links")
    truth_links = truth_links[[c for c in link_cols if c in truth_links.columns]]
    links = score_links(pred_links, truth_links)
    self_reports = None
    units_path = ws.truth / "units.parquet"
    if units_path.is_file() and store.exists(ws, "unit_self_report_check", week):
        from helpers.config import load_plan
        from helpers.reconcile import self_report_verdict

        plan = load_plan()
        verdict = self_report_verdict(store.load(ws, "unit_self_report_check", week), week, plan)
        truth_units = pd.read_parquet(units_path)
        reports_path = ws.truth / "unit_reports.parquet"
        if reports_path.is_file():
            truth_units = overstating_in_week(
                pd.read_parquet(reports_path),
                week,
                days=plan.cadence_days,
                min_reported=plan.self_reports.min_reported,
            )
        self_reports = score_self_reports(verdict, truth_units)
    return Scores(
        statuses=pd.concat(status_rows, ignore_index=True),
        links=links,
        confusion=pd.concat(confusions, ignore_index=True),
        self_reports=self_reports,
    )


def _fmt(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.4f}"


def markdown(scores: Scores) -> str:
    """The accuracy tables as Markdown (what docs/accuracy.md keeps)."""
    lines = [
        f"Statuses (target: precision and recall ≥ {STATUS_TARGET})",
        "",
        "| kind | status | truth | reconciled | agree | precision | recall | ok |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in scores.statuses.itertuples():
        lines.append(
            f"| {r.kind} | {r.status} | {r.truth} | {r.predicted} | {r.correct} | "
            f"{_fmt(r.precision)} | {_fmt(r.recall)} | {'yes' if r.ok else 'NO'} |"
        )
    lines += [
        "",
        f"Submission links and self-reports (target: precision and recall ≥ {LINK_TARGET})",
        "",
        "| measure | truth | reconciled | agree | precision | recall | ok |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    link_rows = [scores.links]
    if scores.self_reports is not None:
        link_rows.append(scores.self_reports)
    for r in pd.concat(link_rows, ignore_index=True).itertuples():
        lines.append(
            f"| {r.measure} | {r.truth} | {r.predicted} | {r.correct} | "
            f"{_fmt(r.precision)} | {_fmt(r.recall)} | {'yes' if r.ok else 'NO'} |"
        )
    if len(scores.confusion):
        lines += [
            "",
            "Disagreements (truth → reconciled)",
            "",
            "| kind | truth | reconciled | records |",
            "| --- | --- | --- | ---: |",
        ]
        for r in scores.confusion.head(30).itertuples():
            lines.append(f"| {r.kind} | {r.truth_status} | {r.predicted_status} | {r.records} |")
    return "\n".join(lines)


def run(ws: Workspace, week: str, *, rerun: bool = True) -> Scores:
    """Ingest (if the week is not ingested yet), reconcile, then score."""
    from helpers import ingest, reconcile

    week = store.resolve_week(ws, week)
    if not store.exists(ws, "submissions", week):
        ingest.ingest_week(ws, week)
    if rerun or not store.exists(ws, "vehicle_status", week):
        reconcile.reconcile_week(ws, week)
    return score_week(ws, week)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m measure.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--week",
        default="",
        help=f"week to score (empty = {DEFAULT_WEEK}; 'all' = every delivery, oldest first)",
    )
    parser.add_argument(
        "--no-rerun", action="store_true", help="score the reconciled tables already on disk"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a target is missed"
    )
    parser.add_argument("--out", type=Path, help="also write the Markdown table to this file")
    args = parser.parse_args(argv)
    ws = workspace()
    weeks = ws.deliveries() if args.week == "all" else [args.week or DEFAULT_WEEK]
    texts, missed = [], []
    for week in weeks:
        try:
            scores = run(ws, week, rerun=not args.no_rerun)
        except DeliveryError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        text = markdown(scores)
        if len(weeks) > 1:
            text = f"## Week {week}\n\n{text}"
        texts.append(text)
        print(text + "\n")
        if not scores.passed:
            missed.append(week)
    if missed:
        print(f"SOME TARGETS MISSED (weeks: {', '.join(missed)})")
    else:
        print(f"all targets met ({len(weeks)} week{'s' if len(weeks) > 1 else ''})")
    if args.out:
        args.out.write_text("\n\n".join(texts) + "\n", encoding="utf-8")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
