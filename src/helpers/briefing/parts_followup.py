"""The follow-up of the previous conference (``followup_part``) and the units' rank history
(``history_part``, an appendix page), as already-formatted values for their templates.

Reads only :class:`~helpers.briefing.data.BriefingData` (its ``followup`` and
``rank_history`` tables, written by progress); no HTML here (the templates escape every value).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from helpers.briefing.data import BriefingData
from helpers.briefing.text import Text, date_text, int_text, is_missing, pct_text
from helpers.i18n import fmt_date, fmt_num, fmt_pct, t


def _points(value: Any, lang: str) -> str:
    """A share gain in percentage points, signed ("+2.4 pp", "−0.3 pp")."""
    if is_missing(value):
        return "–"
    v = float(value) * 100
    sign = "+" if v > 0 else ("−" if v < 0 else "")
    return sign + fmt_num(abs(v), lang, 1) + " " + t("briefing.followup.pp", lang)


def pace_text(value: Any, lang: str) -> str:
    """Records a day, one decimal ("–" unknown)."""
    return "–" if is_missing(value) else fmt_num(float(value), lang, 1)


# followup.named_for -> the label of the breach kind (progress.breach)
_BREACH_OF_NAMING = {"progress": "progress", "conduct": "conduct", "progress_conduct": "both"}


def _named_for(row: Any, lang: str) -> str:
    """Why the previous conference named the unit: progress, conduct (with the conduct rules
    that named it), or both; each is followed up on what it named."""
    label = t(f"progress.breach.{_BREACH_OF_NAMING[str(row['named_for'])]}", lang)
    rules = row.get("conduct_rules_then")
    if rules is not None and not isinstance(rules, float) and len(rules):
        label += ": " + ", ".join(t(f"progress.rule_short.{r}", lang) for r in rules)
    return label


def followup_part(data: BriefingData, lang: str) -> dict[str, Any]:
    """The previous conference's laggards (figures then and now, improved or not, named how
    many times in a row), its leaders kept or lost, and the city's targets then against what
    was cleaned since. In the first week, one line saying there was no previous conference."""
    text = Text(lang)
    table = data.followup
    if table is None or table.empty:
        return {"none": text("followup.none")}
    first = table.iloc[0]
    when = date_text(first["week_prev"], lang)
    recomputed = bool(first["prev_recomputed"])
    lag = table.loc[table["subject"] == "laggard"]
    lead = table.loc[table["subject"] == "leader"]
    city = table.loc[table["subject"] == "city"]
    improved = int(lag["improved"].fillna(False).astype(bool).sum())
    median = lag["city_median_gain"].dropna()
    rows = [
        {
            "unit": r["unit_name"],
            "named_for": _named_for(r, lang),
            "rank": f"{int_text(r['rank_then'], lang)} → {int_text(r['rank_now'], lang)}",
            "then": pct_text(r["share_then"], lang),
            "now": pct_text(r["share_now"], lang),
            "gain": _points(r["share_gain"], lang),
            "in_row": int_text(r["named_in_row"], lang),
            "still": text("followup.answer_yes")
            if bool(r["laggard_now"])
            else text("followup.answer_no"),
            "outcome": str(r["outcome"]),
            "outcome_label": text(f"followup.outcome_{r['outcome']}"),
        }
        for _, r in lag.iterrows()
    ]
    kept = [str(n) for n in lead.loc[lead["outcome"] == "kept", "unit_name"]]
    lost = [str(n) for n in lead.loc[lead["outcome"] == "lost", "unit_name"]]
    targets = []
    for _, r in city.iterrows():
        kind = text(f"kind.{r['kind']}")
        if r["outcome"] == "no_target":
            sentence = text(
                "followup.city_no_target",
                kind=kind,
                since=int_text(r["cleaned_since"], lang),
                days=int_text(r["days"], lang),
                rate=pace_text(r["rate_achieved"], lang),
            )
        else:
            sentence = text(
                "followup.city_target",
                kind=kind,
                required=pace_text(r["required_rate_then"], lang),
                days=int_text(r["days"], lang),
                needed=int_text(r["cleaned_needed"], lang),
                since=int_text(r["cleaned_since"], lang),
                rate=pace_text(r["rate_achieved"], lang),
                remaining=int_text(r["target_remaining_then"], lang),
            )
        told, revised = r.get("cleaned_then"), r.get("cleaned_then_now")
        if not is_missing(told) and not is_missing(revised) and int(told) != int(revised):
            # late events moved the previous conference's figure: said, never a silent change
            sentence += " " + text(
                "followup.revised",
                date=when,
                told=int_text(told, lang),
                now=int_text(revised, lang),
            )
        targets.append(
            {
                "text": sentence,
                "outcome": str(r["outcome"]),
                "outcome_label": text(f"followup.outcome_{r['outcome']}"),
            }
        )
    return {
        "none": None,
        "lead": text(
            "followup.lead",
            date=when,
            recomputed=text("followup.recomputed") if recomputed else "",
        ),
        "laggards_lead": text(
            "followup.laggards_lead",
            count=int_text(len(lag), lang),
            improved=int_text(improved, lang),
            median=_points(median.iloc[0], lang) if len(median) else "–",
        )
        if len(lag)
        else text("followup.no_laggards"),
        "headers": [
            t("common.unit", lang),
            text("followup.named_for"),
            text("followup.rank"),
            text("followup.share_then", date=when[:5]),
            text("followup.share_now"),
            text("followup.gain"),
            text("followup.in_row"),
            text("followup.still"),
            text("followup.outcome"),
        ],
        "rows": rows,
        "leaders": text(
            "followup.leaders",
            kept=", ".join(kept) or "–",
            n_kept=int_text(len(kept), lang),
            lost=", ".join(lost) or "–",
            n_lost=int_text(len(lost), lang),
        )
        if len(lead)
        else text("followup.no_leaders"),
        "targets": targets,
    }


# ---------------------------------------------------------------------------------------
# rank history (appendix)

SPARK_W, SPARK_H = 140, 11


def sparkline(shares: list[float], top: float = 1.0) -> str:
    """An SVG polyline's points for shares 0..``top`` (one scale for every unit, so units
    compare by eye); empty when fewer than two weeks are known."""
    known = [(i, s) for i, s in enumerate(shares) if not is_missing(s)]
    if len(known) < 2 or len(shares) < 2:
        return ""
    step = (SPARK_W - 4) / (len(shares) - 1)
    return " ".join(
        f"{2 + i * step:.1f},{SPARK_H - 1 - (SPARK_H - 2) * min(max(float(s) / top, 0.0), 1.0):.1f}"
        for i, s in known
    )


def history_part(data: BriefingData, lang: str) -> dict[str, Any]:
    """One row per unit (current rank order): its rank at every reporting week, a small line
    of its share of cleanable vehicle records cleaned (0–100 %), the share now. Weeks that
    were recomputed (never run) are marked in their heading. One line when the week's folder
    holds no history (written before it existed)."""
    hist = data.rank_history
    text = Text(lang)
    if hist is None or hist.empty:
        return {"none": text("history.none")}
    weeks = sorted(hist["week"].unique())
    recomputed = hist.groupby("week")["recomputed"].any()
    ranks = hist.pivot(index="unit_code", columns="week", values="rank").reindex(columns=weeks)
    shares = hist.pivot(index="unit_code", columns="week", values="share_cleaned").reindex(
        columns=weeks
    )
    # the conference's naming beside the rank, by kind: ▼ behind on progress, ◆ conduct
    marks = pd.Series("", index=hist.index)
    for column, mark in (("named_progress", "▼"), ("named_conduct", "◆")):
        if column in hist:
            marks = marks + hist[column].fillna(False).astype(bool).map({True: mark, False: ""})
    named = (
        hist.assign(_mark=marks)
        .pivot(index="unit_code", columns="week", values="_mark")
        .reindex(columns=weeks)
        .fillna("")
    )
    names = hist.drop_duplicates("unit_code", keep="last").set_index("unit_code")["unit_name"]
    order = pd.DataFrame({"rank": ranks[weeks[-1]], "name": names}).sort_values(["rank", "name"])
    best = shares.max().max()
    top = 1.0 if pd.isna(best) else min(1.0, max(0.1, math.ceil(float(best) * 10 - 1e-9) / 10))
    rows = []
    for code in order.index:
        rows.append(
            {
                "unit": str(names[code]),
                "ranks": [
                    (int_text(v, lang) + (" " + m if m else ""))
                    for v, m in zip(ranks.loc[code], named.loc[code], strict=True)
                ],
                "line": sparkline(list(shares.loc[code]), top),
                "share": pct_text(shares.loc[code, weeks[-1]], lang),
            }
        )
    marked = [bool(recomputed[w]) for w in weeks]
    return {
        "none": None,
        "lead": text("history.lead", count=len(rows), weeks=len(weeks), top=fmt_pct(top, lang, 0))
        + " "
        + text("history.marks"),
        "note": text("history.recomputed_note") if any(marked) else "",
        "weeks": [
            fmt_date(pd.Timestamp(w).date(), lang)[:5] + ("*" if m else "")
            for w, m in zip(weeks, marked, strict=True)
        ],
        "headers": {
            "unit": t("common.unit", lang),
            "line": text("history.line"),
            "share": text("history.share"),
        },
        "rows": rows,
        "spark": {"w": SPARK_W, "h": SPARK_H},
    }


__all__ = ["followup_part", "history_part", "pace_text", "sparkline"]
