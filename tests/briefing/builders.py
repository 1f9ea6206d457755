"""Builders shared by the briefing tests: hand-made progress tables following docs/architecture.md,
readers of the PDF and HTML, and the check that every figure of the summary page is a value of
the processed tables."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import briefing, i18n, progress, schemas, store
from helpers.config import load_plan
from helpers.paths import Workspace
from helpers.statuses import LICENCE_STATUSES, VEHICLE_STATUSES
from helpers.units import official_units
from tests.pii import PersonalTokens, find_personal_data

WEEK = "2025-11-23"


PLAN_START = date(2025, 11, 10)


CODE_MARKERS = ("In [", "Out[", "display(HTML", "briefing.", "import ", "def ", "Traceback")


VEHICLE_GROUPS = [
    s
    for s in VEHICLE_STATUSES
    if s not in ("cleaned", "pending_review", "rejected_awaiting_resubmission", "not_submitted")
]


LICENCE_GROUPS = [
    s
    for s in LICENCE_STATUSES
    if s not in ("cleaned", "pending_review", "rejected_awaiting_resubmission", "not_submitted")
]


# --------------------------------------------------------------------------------------
# builders: hand-made progress tables following docs/architecture.md


def make_unit_progress(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = official_units()[["unit_code", "unit_name", "unit_kind"]].copy()
    n = len(units)
    cols: dict[str, object] = {}
    for prefix, scale in (("veh", 8000), ("lic", 3000)):
        assigned = rng.integers(scale // 2, scale * 2, n)
        share = rng.uniform(0.05, 0.6, n)
        cleaned = (assigned * share).astype(int)
        submitted = np.minimum(assigned, cleaned + rng.integers(50, 800, n))
        pending = rng.integers(0, 300, n)
        cols |= {
            f"{prefix}_assigned": assigned,
            f"{prefix}_submitted": submitted,
            f"{prefix}_approved": cleaned + rng.integers(0, 50, n),
            f"{prefix}_cleaned": cleaned,
            f"{prefix}_pending": pending,
            f"{prefix}_rejected": rng.integers(0, 80, n),
            f"{prefix}_not_submitted": assigned - submitted,
            f"{prefix}_share_cleaned": cleaned / assigned,
            f"{prefix}_share_submitted": submitted / assigned,
            f"{prefix}_gain_week": rng.integers(0, 900, n),
            f"{prefix}_gain_prev_week": rng.integers(0, 900, n),
            f"{prefix}_rate_7d": rng.uniform(0, 130, n),
            f"{prefix}_required_rate": (assigned - cleaned) / 46.0,
            f"{prefix}_projected_finish": [
                date(2026, 1, 1) + timedelta(days=int(d)) for d in rng.integers(-20, 60, n)
            ],
            f"{prefix}_days_late": rng.integers(-20, 60, n),
            f"{prefix}_on_track": rng.uniform(0, 1, n) > 0.6,
        }
        groups = VEHICLE_GROUPS if prefix == "veh" else LICENCE_GROUPS
        total = np.zeros(n, dtype=int)
        resolved_total = np.zeros(n, dtype=int)
        for status in groups:
            counts = rng.integers(0, 120, n)
            resolved = (counts * rng.uniform(0, 0.5, n)).astype(int)
            cols[f"{prefix}_group_{status}"] = counts
            cols[f"{prefix}_resolved_{status}"] = resolved
            total += counts
            resolved_total += resolved
        cols[f"{prefix}_difficult"] = total
        cols[f"{prefix}_difficult_resolved"] = resolved_total
        cols[f"{prefix}_difficult_open"] = total - resolved_total
        cols[f"{prefix}_cleanable"] = assigned - total
        cols[f"{prefix}_share_cleaned_cleanable"] = cleaned / (assigned - total)
        compared = (assigned * rng.uniform(0.9, 1.0, n)).astype(int)
        cols[f"{prefix}_compared"] = compared
        cols[f"{prefix}_share_compared"] = compared / assigned
        cols[f"{prefix}_standing"] = rng.choice(["on_track", "at_risk", "off_track"], n)
    table = pd.concat([units, pd.DataFrame(cols)], axis=1)
    order = table["veh_share_cleaned_cleanable"].rank(ascending=False, method="first").astype(int)
    table["rank"] = order
    table["rank_prev"] = rng.permutation(np.arange(1, n + 1))
    table["rank_change"] = table["rank_prev"] - table["rank"]
    table["standing"] = np.where(
        order <= 40, "on_track", np.where(order <= 90, "at_risk", "off_track")
    )
    table["is_laggard"] = order > n - 12
    table["breaks_progress"] = table["is_laggard"]
    table["breaks_conduct"] = (order > n - 14) & (order <= n - 12)  # conduct only
    table["is_laggard"] = table["breaks_progress"] | table["breaks_conduct"]
    table["is_leader"] = order <= 5
    table["backlog_pending"] = table["veh_pending"] + table["lic_pending"]
    table["backlog_median_lag_days"] = rng.uniform(0.5, 6, n)
    table["backlog_oldest_days"] = rng.integers(0, 15, n)
    ratio = rng.uniform(0.8, 1.3, n)
    table["self_report_ratio"] = ratio
    table["self_report_system"] = rng.integers(200, 900, n)
    table["self_report_reported"] = (table["self_report_system"] * ratio).astype(int)
    table["self_report_overstated"] = ratio > 1.1
    for measure in (
        "vehicles_collected",
        "vehicles_approved",
        "licences_collected",
        "licences_cleaned",
    ):
        table[f"self_report_overstated_{measure}"] = (ratio > 1.1) & (
            measure == "vehicles_collected"
        )
    table["org_count"] = rng.integers(0, 40, n)
    table["org_dispatches"] = table["org_count"] - rng.integers(0, 5, n).clip(0, None)
    table["org_worked_directly"] = (table["org_count"] * 0.4).astype(int)
    table["org_vehicles_counted"] = rng.integers(0, 600, n)
    table["org_vehicles_declared"] = (
        table["org_vehicles_counted"] * rng.uniform(0.2, 1.0, n)
    ).astype(int)
    return table


def make_city_progress(units: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for kind, p in (("vehicle", "veh"), ("licence", "lic")):
        assigned = int(units[f"{p}_assigned"].sum())
        cleaned = int(units[f"{p}_cleaned"].sum())
        rows.append(
            {
                "kind": kind,
                "assigned": assigned,
                "submitted": int(units[f"{p}_submitted"].sum()),
                "approved": int(units[f"{p}_approved"].sum()),
                "cleaned": cleaned,
                "share_cleaned": cleaned / assigned,
                "share_submitted": units[f"{p}_submitted"].sum() / assigned,
                "gain_week": int(units[f"{p}_gain_week"].sum()),
                "gain_prev_week": int(units[f"{p}_gain_prev_week"].sum()),
                "rate_7d": float(units[f"{p}_gain_week"].sum()) / 7,
                "required_rate": (assigned - cleaned) / 46.0,
                "projected_finish": date(2026, 2, 14),
                "days_late": 37,
                "on_track": False,
                "days_left": 46,
                **{
                    f"units_{st}": int((units[f"{p}_standing"] == st).sum())
                    for st in ("on_track", "at_risk", "off_track")
                },
                "pending": int(units[f"{p}_pending"].sum()),
                "oldest_pending_days": 14,
                "submissions_total": int(units[f"{p}_submitted"].sum()),
                "submissions_week": int(units[f"{p}_gain_week"].sum() * 1.3),
                "difficult": int(units[f"{p}_difficult"].sum()),
                "cleanable": int(units[f"{p}_cleanable"].sum()),
                "share_cleaned_cleanable": cleaned / units[f"{p}_cleanable"].sum(),
                "difficult_resolved": int(units[f"{p}_difficult_resolved"].sum()),
                "difficult_open": int(units[f"{p}_difficult_open"].sum()),
                "compared": int(units[f"{p}_compared"].sum()),
                "share_compared": units[f"{p}_compared"].sum() / assigned,
                "units_compared": 126,
                "units_with_records": 126,
                "unit_share_compared_min": float(units[f"{p}_share_compared"].min()),
                "unit_share_compared_max": float(units[f"{p}_share_compared"].max()),
                "gain_change": int(
                    units[f"{p}_gain_week"].sum() - units[f"{p}_gain_prev_week"].sum()
                ),
                "gain_change_share": (
                    units[f"{p}_gain_week"].sum() / units[f"{p}_gain_prev_week"].sum() - 1.0
                ),
                "cleaned_before_start": 0,
                "units_conduct": int(units["breaks_conduct"].sum()),
                "backlog_submissions": int(units["backlog_pending"].sum()),
            }
        )
    return pd.DataFrame(rows)


def make_laggards(units: pd.DataFrame) -> pd.DataFrame:
    lag = units[units["is_laggard"]].sort_values("rank")
    rows = []
    for _, u in lag.iterrows():
        share_vi = i18n.fmt_pct(u["veh_share_cleaned"], "vi")
        share_en = i18n.fmt_pct(u["veh_share_cleaned"], "en")
        rows.append(
            {
                "unit_code": u["unit_code"],
                "unit_name": u["unit_name"],
                "rank": int(u["rank"]),
                "veh_share_cleaned": u["veh_share_cleaned"],
                "veh_share_cleaned_cleanable": u["veh_share_cleaned_cleanable"],
                "breaks_progress": bool(u["breaks_progress"]),
                "breaks_conduct": bool(u["breaks_conduct"]),
                "rules": (["veh_below_median", "veh_bottom_decile"] if u["breaks_progress"] else [])
                + (["self_report_overstated"] if u["breaks_conduct"] else []),
                "reason_vi": f"Tỷ lệ làm sạch {share_vi}, thấp hơn trung vị thành phố hơn 15 điểm; "
                f"Thuộc nhóm 10% đơn vị thấp nhất (hạng {int(u['rank'])}/126)."
                if u["breaks_progress"]
                else "Số tự báo cáo cao hơn hệ thống.",
                "reason_en": f"Share cleaned {share_en}, more than 15 points under the city median; "
                f"In the bottom 10% of units (rank {int(u['rank'])} of 126)."
                if u["breaks_progress"]
                else "Self-reports above the system.",
            }
        )
    return pd.DataFrame(rows)


def make_leaders(units: pd.DataFrame) -> pd.DataFrame:
    rows = []
    units = units.assign(gain_share=units["veh_gain_week"] / units["veh_assigned"])
    for category, column, measure in (
        ("share", "veh_share_cleaned_cleanable", "share_cleanable"),
        ("gain", "gain_share", "gain_share"),
    ):
        top = units.sort_values(column, ascending=False).head(5)
        for position, (_, u) in enumerate(top.iterrows(), start=1):
            rows.append(
                {
                    "unit_code": u["unit_code"],
                    "unit_name": u["unit_name"],
                    "category": category,
                    "measure": measure,
                    "position": position,
                    "value": float(u[column]),
                    "reason_vi": f"Đứng thứ {position} toàn thành phố về {'tỷ lệ' if category == 'share' else 'số'} làm sạch.",
                    "reason_en": f"Position {position} in the city by {'share' if category == 'share' else 'number'} cleaned.",
                }
            )
    return pd.DataFrame(rows)


def make_daily_series(city: pd.DataFrame, week: str = WEEK) -> pd.DataFrame:
    end = date.fromisoformat(week)
    days = [PLAN_START + timedelta(days=i) for i in range((end - PLAN_START).days + 1)]
    rows = []
    for _, c in city.iterrows():
        weights = np.linspace(1, 2, len(days))
        cleaned_day = np.floor(c["cleaned"] * weights / weights.sum()).astype(int)
        cleaned_day[-1] += int(c["cleaned"]) - int(cleaned_day.sum())
        submitted_day = (cleaned_day * 1.4).astype(int)
        approved_day = (cleaned_day * 1.05).astype(int)
        for i, d in enumerate(days):
            rows.append(
                {
                    "date": d,
                    "kind": c["kind"],
                    "submitted_day": submitted_day[i],
                    "approved_day": approved_day[i],
                    "cleaned_day": cleaned_day[i],
                    "submitted_cum": int(submitted_day[: i + 1].sum()),
                    "approved_cum": int(approved_day[: i + 1].sum()),
                    "cleaned_cum": int(cleaned_day[: i + 1].sum()),
                    "target_cum": c["assigned"] * (i + 1) / 60,
                }
            )
    return pd.DataFrame(rows)


def make_org_summary() -> pd.DataFrame:
    types = ["enterprise", "industrial_park", "school", "hospital", "agency", "business_household"]
    return pd.DataFrame(
        {
            "org_type": types,
            "orgs": [420, 12, 160, 35, 210, 980],
            "dispatches_sent": [400, 12, 150, 35, 200, 700],
            "worked_directly": [120, 10, 60, 20, 90, 150],
            "vehicles_counted": [15800, 2300, 900, 610, 4200, 3100],
            "vehicles_declared": [9100, 1900, 640, 500, 3900, 1200],
        }
    )


def make_talking_points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lang": ["vi", "vi", "en", "en"],
            "order": [1, 2, 1, 2],
            "text": [
                "Toàn thành phố đã làm sạch 41,0% hồ sơ xe; cần tăng tốc gấp đôi để kịp hạn chót.",
                "Đề nghị 12 đơn vị chậm tiến độ báo cáo giải pháp khắc phục trong tuần tới.",
                "The city has cleaned 41.0% of vehicle records; the pace must double to meet the deadline.",
                "The 12 laggard units are asked to report their remedies next week.",
            ],
        }
    )


def make_rejects() -> pd.DataFrame:
    rows = (
        [("registry_vehicles", "invalid_plate")] * 14
        + [("submissions", "unknown_unit")] * 9
        + [("population", "invalid_id")] * 21
        + [("unit_reports", "invalid_number")] * 3
        + [("registry_licences", "invalid_date")] * 5
    )
    return pd.DataFrame(
        {
            "source": [s for s, _ in rows],
            "source_file": [f"{WEEK}/{s}.csv" for s, _ in rows],
            "source_row": list(range(2, len(rows) + 2)),
            "column": "x",
            "value": "secret-value-never-shown",
            "reason_code": [r for _, r in rows],
            "reason": "r",
            "reason_vi": "r",
        }
    )


def make_ledger() -> list[dict]:
    counts = {
        "registry_vehicles": (900000, 14),
        "registry_licences": (300000, 5),
        "population": (880000, 21),
        "submissions": (120000, 9),
        "unit_reports": (1764, 3),
        "organizations": (1817, 0),
    }
    return [
        {
            "source": s,
            "file": f"{WEEK}/{s}.csv",
            "sha256": "0" * 64,
            "rows_read": n,
            "rows_accepted": n - r - 2,
            "rows_rejected": r,
            "rows_skipped": {"title": 1, "blank": 1, "totals": 0},
            "balanced": True,
        }
        for s, (n, r) in counts.items()
    ]


def make_self_report_check(units: pd.DataFrame) -> pd.DataFrame:
    days = [PLAN_START + timedelta(days=i) for i in range(14)]
    rows = [
        {
            "report_date": d,
            "unit_code": u,
            "reported_total": 100,
            "system_total": round(100 / ratio),
            "ratio": ratio,
            "overstated": ratio > 1.1 and i % 2 == 0,
        }
        for u, ratio in zip(units["unit_code"], units["self_report_ratio"], strict=True)
        for i, d in enumerate(days)
    ]
    return pd.DataFrame(rows)


def build_progress_tables(ws: Workspace, week: str = WEEK) -> dict[str, pd.DataFrame]:
    """Write every table the briefing reads into ``ws`` (plus the delivery folder)."""
    (ws.raw / week).mkdir(parents=True, exist_ok=True)
    units = make_unit_progress()
    city = make_city_progress(units)
    tables = {
        "unit_progress": units,
        "city_progress": city,
        "laggards": make_laggards(units),
        "leaders": make_leaders(units),
        "daily_series": make_daily_series(city, week),
        "org_summary": make_org_summary(),
        "talking_points": make_talking_points(),
        "rejects": make_rejects(),
        "unit_self_report_check": make_self_report_check(units),
    }
    for name, table in tables.items():
        store.save(ws, schemas.complete(name, table), name, week)
    store.save_json(ws, make_ledger(), "ledger", week)
    return tables


def pdf_text(path: Path) -> tuple[str, list[str]]:
    from pypdf import PdfReader

    pages = [p.extract_text() or "" for p in PdfReader(str(path)).pages]
    return "\n".join(pages), pages


def squash(text: str) -> str:
    """Whitespace-free text, so line breaks inside table cells do not hide a value."""
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------------------
# the notebook through the runner (hand-made tables: slow, a kernel per language)


def check_briefing_pdf(pdf: Path, ws: Workspace, week: str, lang: str) -> None:
    """The PDF's text agrees with the processed tables (shared by both slow tests)."""
    units = store.load(ws, "unit_progress", week)
    city = store.load(ws, "city_progress", week)
    laggards = store.load(ws, "laggards", week)
    data = briefing.load_briefing_data(ws, week)
    text, pages = pdf_text(pdf)
    flat = squash(text)
    assert 8 <= len(pages) <= 30
    for kind in ("vehicle", "licence"):
        for value in briefing.kpi_values(data, kind, lang).values():
            assert squash(value) in flat, (kind, value)
    for _, row in laggards.iterrows():
        assert squash(row["unit_name"]) in flat
        for sentence in briefing.reason_sentences(row[f"reason_{lang}"], lang, row["rules"]):
            assert squash(sentence) in flat, sentence
    appendix_start = next(
        i for i, p in enumerate(pages) if i18n.t("briefing.sections.appendix", lang) in p
    )
    appendix = squash("\n".join(pages[appendix_start:]))
    for name in units["unit_name"]:
        assert squash(name) in appendix, name
    total_pages = len(pages)
    page_of = i18n.t("common.page_of", lang, page=total_pages, pages=total_pages)
    assert squash(page_of) in squash(pages[-1])
    assert all(i18n.t("common.internal_mark", lang) in p for p in pages)
    for marker in CODE_MARKERS:
        assert marker not in text, marker
    if lang == "vi":
        assert "Đã làm sạch" in text and "Phường" in text and "Xã" in text
        share = float(city.loc[city["kind"] == "vehicle", "share_cleaned_cleanable"].iloc[0])
        assert progress.pct_text(share, "vi") in text


def personal_data_in(text: str, tokens: PersonalTokens) -> list[str]:
    """IDs, plates and phones anywhere; names within the stretches between numbers.

    A name holds no digit, so cutting the text at numbers hides none; it only stops a table
    row's end ("... Chậm tiến độ") and the next row's unit ("3 Phường Xuân ...") from reading
    as one folded phrase ("do phuong xuan") that happens to be a person's name.
    """
    found = [hit for hit in find_personal_data(text, tokens) if any(c.isdigit() for c in hit)]
    names_only = PersonalTokens(frozenset(), frozenset(), frozenset(), tokens.names)
    for stretch in re.split(r"\d+", text):
        found.extend(find_personal_data(stretch, names_only))
    return found


# --------------------------------------------------------------------------------------
# the cover: contents and the date of each source's data


def body_parts(data: briefing.BriefingData, lang: str) -> str:
    """Every part after the cover, in the order 04_briefing displays them."""
    plan = load_plan()
    return "".join(
        [
            briefing.summary(data, plan, lang),
            briefing.followup(data, lang),
            briefing.city_progress(data, plan, lang),
            briefing.units_overview(data, lang),
            briefing.laggards_and_leaders(data, plan, lang),
            briefing.commitments(data, lang),
            briefing.backlog_and_difficult(data, lang),
            briefing.organisations(data, lang),
            briefing.data_quality(data, lang),
            briefing.appendix(data, lang),
            briefing.final_results(data, lang),
            briefing.rank_history(data, lang),
        ]
    )


def sections_of(html_text: str) -> list[tuple[str, str]]:
    """(id, heading) of every part section, cover excluded, in document order."""
    found = re.findall(r'<section class="part[^"]*" id="([^"]+)">\s*<h2>([^<]*)</h2>', html_text)
    return [(part, title) for part, title in found]


def contents_of(html_text: str) -> list[tuple[str, str]]:
    cover = html_text.split('<section class="cover"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<li><a href="#([^"]+)">([^<]*)</a></li>', cover)


# --------------------------------------------------------------------------------------
# proof: every figure of the summary page is a value of the processed tables


SUMMARY_SHEET = """<html><head><meta charset="utf-8"><link rel="stylesheet" href="briefing.css">
<style>@page {{ size: A4 portrait; margin: 15mm; }}</style></head><body>{body}</body></html>"""


def _number_pattern(lang: str) -> re.Pattern:
    group, decimal = (r"\.", ",") if lang == "vi" else (",", r"\.")
    return re.compile(rf"\d{{1,3}}(?:{group}\d{{3}})+(?:{decimal}\d+)?|\d+(?:{decimal}\d+)?")


def summary_figures(text: str, lang: str) -> list[str]:
    """Every figure of the summary page's text: dates, then per cents, then numbers (signs
    dropped: a change reads +1,672 or −3,548). List markers and the heading are not figures."""
    lines = [ln for ln in text.splitlines() if not re.fullmatch(r"\s*\d+\.\s*", ln)]
    text = "\n".join(lines).replace(i18n.t("briefing.sections.summary", lang), "")
    figures = re.findall(r"\d{2}/\d{2}/\d{4}", text)
    text = re.sub(r"\d{2}/\d{2}/\d{4}", " ", text)
    number = _number_pattern(lang).pattern
    figures += [
        m.replace(" ", "").replace("\n", "") for m in re.findall(rf"(?:{number})\s*%", text)
    ]
    text = re.sub(rf"(?:{number})\s*%", " ", text)
    figures += re.findall(number, text)
    return figures


def table_figures(tables: dict[str, pd.DataFrame], plan, week: str, lang: str) -> set[str]:
    """Every way the summary may print a value of the processed tables: each city value as a
    count, a share, a pace or a date; the leaders' values; the backlog unit's figures; the
    laggards named (their count, each one's rank, share and first reason as the laggards table
    words it); the standings per kind; the plan's dates and target (the 7 of "the last 7 days"
    is the window).
    Sums over the two kinds (submissions received) are the only derived figures."""
    city, units, leaders = (tables[n] for n in ("city_progress", "unit_progress", "leaders"))
    in_force = plan.in_force(date.fromisoformat(week))
    out = {
        str(progress.WINDOW_DAYS),
        fmt_date(in_force.end, lang),
        fmt_date(in_force.nominal_end, lang),
        fmt_date(plan.start, lang),
        fmt_date(date.fromisoformat(week), lang),
    }
    if in_force.extension is not None and in_force.planned_end is not None:
        # the extension's decision as the plan names it (its reference may hold numbers)
        out.add(fmt_date(in_force.extension.dated, lang))
        out |= set(re.findall(r"\d+", in_force.extension.reference))
    for kind in ("vehicle", "licence"):
        out.add(i18n.fmt_pct(briefing.target_share(plan, kind), lang, 0))
    for _, row in city.iterrows():
        for col, value in row.items():
            if col == "kind" or value is None or (not isinstance(value, date) and pd.isna(value)):
                continue
            if isinstance(value, date):
                out.add(fmt_date(value, lang))
                continue
            value = float(value)
            out |= {
                i18n.fmt_int(abs(value), lang),
                progress.pct_text(abs(value), lang),
                i18n.fmt_pct(abs(value), lang, 2),
            }
        out |= set(progress.pace_texts(row["rate_7d"], row["required_rate"], lang))
    for col in ("submissions_week", "submissions_total"):
        out.add(i18n.fmt_int(city[col].sum(), lang))
    out |= {progress.pct_text(v, lang) for v in leaders["value"]}
    gains = tables.get("conference_gains")
    if gains is not None:  # a previous period's figure as that conference was told it
        told = gains.loc[gains["revised"], "cleaned_told"]
        out |= {i18n.fmt_int(v, lang) for v in told}
    first = progress.backlog_ranking(units)
    if len(first):
        out |= {
            i18n.fmt_int(first.iloc[0][c], lang) for c in ("backlog_pending", "backlog_oldest_days")
        }
    lag = tables.get("laggards")
    if lag is not None and len(lag):
        # the laggards named on the page: how many of how many units, how many more; each
        # one's rank, ranked share and the figures of its reason as the laggards table words it
        out |= {
            i18n.fmt_int(len(lag), lang),
            i18n.fmt_int(len(units), lang),
            i18n.fmt_int(max(len(lag) - briefing.SUMMARY_LAGGARDS, 0), lang),
        }
        shown = briefing.laggards_in_order(lag).head(briefing.SUMMARY_LAGGARDS)
        out.add(i18n.fmt_int(len(shown), lang))  # "below, the 5 lowest-ranked"
        share = briefing.rank_share(lag)
        for _, r in shown.iterrows():
            out |= {i18n.fmt_int(r["rank"], lang), progress.pct_text(r[share], lang)}
            reason = briefing.reason_sentences(r[f"reason_{lang}"], lang, r["rules"])
            out |= set(summary_figures(reason[0] if reason else "", lang))
    return out


STANDING_FORECASTS = ("on_track", "at_risk", "off_track")


def check_summary_figures(
    text: str, tables: dict[str, pd.DataFrame], plan, week: str, lang: str, min_figures: int = 40
) -> None:
    allowed = table_figures(tables, plan, week, lang)
    figures = summary_figures(text, lang)
    assert len(figures) >= min_figures, (week, lang, figures)  # the cards and the points were read
    strays = [f for f in figures if f not in allowed]
    assert not strays, (week, lang, strays)
    flat = squash(text)
    units, city = tables["unit_progress"], tables["city_progress"].set_index("kind")
    for kind, p in (("vehicle", "veh"), ("licence", "lic")):
        counts = units[f"{p}_standing"].value_counts()
        # once the deadline is reached the standings are outcomes, not forecasts
        reached = progress.narrative.deadline_reached(city.loc[kind])
        codes = ("finished", "not_finished", "off_track") if reached else STANDING_FORECASTS
        own = {s: int(counts.get(s, 0)) for s in codes}
        assert own == {s: int(city.loc[kind, f"units_{s}"]) for s in own}, (kind, own)
        assert sum(own.values()) == len(units), (week, kind, own)  # no standing of the other set
        n = {s: i18n.fmt_int(v, lang) for s, v in own.items()}
        line = (
            i18n.t(
                f"briefing.kpi.units_standing_{kind}_reached",
                lang,
                finished=n["finished"],
                not_finished=n["not_finished"],
                off=n["off_track"],
            )
            if reached
            else i18n.t(
                f"briefing.kpi.units_standing_{kind}",
                lang,
                on=n["on_track"],
                risk=n["at_risk"],
                off=n["off_track"],
            )
        )
        assert squash(line) in flat, (week, lang, kind)


def fmt_date(value, lang):
    return i18n.fmt_date(value, lang)
