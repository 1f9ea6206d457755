"""Deliveries that would silently empty a figure: a file with (nearly) all its rows rejected,
or a source whose accepted rows fell sharply since the previous week's ingest.

Either stops the week's ingest with one line naming the file (or source) and the commonest
reject reason; the duty officer who has checked it passes ``--accept`` (make ACCEPT=1), and
the alarm becomes a warning at the head of the ledger's list (console, 01_ingest, cover).
Thresholds: ``intake`` in config/plan.yaml.
"""

from __future__ import annotations

import json

from helpers import DeliveryError, i18n
from helpers.config import Intake
from helpers.paths import Workspace, is_week

ALARM_CODES: tuple[str, ...] = ("file_rejected", "source_fell")


def previous_ledger(ws: Workspace, week: str) -> dict | None:
    """The ledger of the newest week ingested before ``week`` (None when there is none, or
    it cannot be read: the fall is then not judged, the whole-file check still is)."""
    if not ws.processed.is_dir():
        return None
    weeks = sorted(d.name for d in ws.processed.iterdir() if is_week(d.name) and d.name < week)
    for name in reversed(weeks):
        path = ws.processed_week(name) / "ledger.json"
        if path.is_file():
            try:
                ledger = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                return None
            return ledger if isinstance(ledger, dict) else None
    return None


def _commonest(reasons: dict[str, int]) -> str | None:
    return max(reasons, key=lambda code: (reasons[code], code)) if reasons else None


def _alarm(code: str, reason: str | None, **params: object) -> dict:
    """A ledger warning in both languages, the reject reason in each one's words."""
    out: dict = {"code": code, "params": {**params, "reason_code": reason}}
    for lang in i18n.LANGS:
        said = (
            f"{reason} ({i18n.t(f'rejects.{reason}', lang)})"
            if reason
            else i18n.t("ingest_warning.no_rejects", lang)
        )
        shown = {k: i18n.fmt_int(v, lang) if isinstance(v, int) else v for k, v in params.items()}
        out[f"message_{lang}"] = i18n.t(f"ingest_warning.{code}", lang, reason=said, **shown)
    return out


def rejection_alarms(
    files: list[dict], sources: dict[str, dict], previous: dict | None, intake: Intake
) -> list[dict]:
    """The week's alarms, as ledger warnings: files (nearly) all rejected, then sources whose
    accepted rows fell by more than ``intake.fall_share`` since ``previous`` (a ledger)."""
    alarms = []
    for entry in files:
        data = entry["rows_accepted"] + entry["rows_rejected"]
        if entry.get("copy_of") or data < intake.rejected_min_rows:
            continue  # a file repeating another is counted once and said apart
        if entry["rows_rejected"] >= intake.rejected_share * data:
            alarms.append(
                _alarm(
                    "file_rejected",
                    _commonest(entry.get("reject_reasons") or {}),
                    file=entry["file"],
                    rejected=entry["rows_rejected"],
                    rows=data,
                )
            )
    before = (previous or {}).get("sources") or {}
    for source, now in sources.items():
        was = (before.get(source) or {}).get("rows_accepted")
        if not isinstance(was, int) or was < intake.fall_min_rows:
            continue
        if now["rows_accepted"] < (1 - intake.fall_share) * was:
            reasons: dict[str, int] = {}
            for entry in files:
                if entry["source"] == source:
                    for code, n in (entry.get("reject_reasons") or {}).items():
                        reasons[code] = reasons.get(code, 0) + n
            alarms.append(
                _alarm(
                    "source_fell",
                    _commonest(reasons),
                    source=source,
                    accepted=now["rows_accepted"],
                    before=was,
                    previous=str((previous or {}).get("week", "")),
                    read=now["rows_read"],
                    rejected=now["rows_rejected"],
                )
            )
    return alarms


def stop_unless_accepted(alarms: list[dict], accept: bool) -> list[dict]:
    """Raise :class:`DeliveryError` (one line, every alarm) unless ``accept``; else the
    alarms as warnings, each said to have been accepted."""
    if not alarms:
        return []
    if not accept:
        raise DeliveryError(
            "; ".join(a["message_en"] for a in alarms)
            + ". Nothing was replaced. Check the file (its encoding, its header row, whether it "
            "is whole); if the figures are right as delivered, run again with ACCEPT=1 "
            "(make weekly-report ACCEPT=1, or --accept): the briefing's cover will say so"
        )
    accepted = []
    for alarm in alarms:
        said = {
            f"message_{lang}": i18n.t(
                "ingest_warning.accepted", lang, alarm=alarm[f"message_{lang}"]
            )
            for lang in i18n.LANGS
        }
        accepted.append(alarm | said | {"accepted": True})
    return accepted
