"""The briefing pack: document parts, the nbconvert template, the PDF, no personal data.

Fast tests build the progress tables by hand (126 rows for the real unit codes) into a tmp
workspace; the slow tests run the real notebook through the runner on the generated sample.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from helpers import briefing, i18n, progress, schemas, store
from helpers.config import load_plan
from helpers.paths import Workspace
from helpers.runner import Step, run
from helpers.statuses import LICENCE_STATUSES, VEHICLE_STATUSES
from helpers.units import official_units
from tests.pii import PersonalTokens, find_personal_data, notebook_text, personal_tokens

WEEK = "2025-11-23"
PLAN_START = date(2025, 11, 10)
BRIEFING_STEP = Step("04_briefing", per_lang=True, post="helpers.briefing:export_briefing")
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
# fast tests on hand-made tables


@pytest.fixture
def hand_made(tmp_ws: Workspace) -> tuple[Workspace, dict[str, pd.DataFrame]]:
    return tmp_ws, build_progress_tables(tmp_ws)


@pytest.fixture
def data(hand_made) -> briefing.BriefingData:
    ws, _ = hand_made
    return briefing.load_briefing_data(ws, WEEK)


def test_briefing_catalogue_sections_have_the_same_keys_in_both_languages():
    vi = i18n.flatten(i18n.catalogue("vi")["briefing"])
    en = i18n.flatten(i18n.catalogue("en")["briefing"])
    assert set(vi) == set(en)
    assert all(str(v).strip() for v in [*vi.values(), *en.values()])


def test_rejected_values_are_never_loaded(data):
    assert list(data.rejects.columns) == ["source", "reason_code"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("vi", 'counter(page) "/" counter(pages)'),
        ("en", '"Page " counter(page) " of " counter(pages)'),
    ],
)
def test_page_footer_counts_pages_in_the_language(lang, expected):
    css = briefing.page_css(load_plan(), WEEK, lang)
    assert expected in css
    assert i18n.t("common.internal_mark", lang) in css
    assert "@page appendix { size: A4 landscape" in css


def test_page_header_names_plan_and_week():
    assert (
        briefing.page_header(load_plan(), WEEK, "en") == "Plan 375/KH-CAHN · week ending 23/11/2025"
    )


def test_kpi_values_use_the_language_number_format(data):
    vi, en = briefing.kpi_values(data, "vehicle", "vi"), briefing.kpi_values(data, "vehicle", "en")
    assigned = int(data.city.loc[data.city["kind"] == "vehicle", "assigned"].iloc[0])
    assert vi["assigned"] == f"{assigned:,}".replace(",", ".")
    assert en["assigned"] == f"{assigned:,}"
    assert "," in vi["share_cleaned_cleanable"] and "." in en["share_cleaned_cleanable"]


def test_summary_shows_kpis_and_every_talking_point_of_its_language(data):
    part = briefing.summary(data, load_plan(), "vi")
    for value in briefing.kpi_values(data, "licence", "vi").values():
        assert value in part
    assert "Đề nghị 12 đơn vị chậm tiến độ" in part
    assert "The 12 laggard units" not in part


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_summary_names_the_worst_laggards_with_their_reason_and_counts_the_rest(data, lang):
    """Page 2 runs the meeting: the first laggards by rank (worst first), each with what it is
    named for and its first reason, then how many more and where the full list is."""
    part = briefing.summary(data, load_plan(), lang)
    ordered = data.laggards.sort_values(["rank", "unit_name"], ascending=[False, True])
    shown = ordered.head(briefing.SUMMARY_LAGGARDS)
    assert len(ordered) > len(shown) > 0  # the hand-made week has more laggards than are shown
    for _, row in shown.iterrows():
        first = briefing.reason_sentences(row[f"reason_{lang}"], lang, row["rules"])[0]
        assert row["unit_name"] in part and str(escape(first)) in part
    for name in ordered["unit_name"].iloc[len(shown) :]:
        assert name not in part.split(i18n.t("briefing.summary.talking_points", lang))[1]
    more = i18n.t(
        "briefing.summary.laggards_more",
        lang,
        n=i18n.fmt_int(len(ordered) - len(shown), lang),
        shown=i18n.fmt_int(len(shown), lang),
        section=re.sub(r"^\d+\.\s*", "", i18n.t("briefing.sections.laggards", lang)),
    )
    assert str(escape(more)) in part
    # said before the table: after it, its one line spilled onto a page of its own
    assert part.index(str(escape(more))) < part.index("summary-laggards")
    assert 'href="#laggards"' in part  # the page number comes from the link's target


def test_laggards_part_lists_every_laggard_with_every_reason_sentence(data):
    part = briefing.laggards_and_leaders(data, load_plan(), "en")
    for _, row in data.laggards.iterrows():
        assert row["unit_name"] in part
        sentences = briefing.reason_sentences(row["reason_en"], "en", row["rules"])
        assert len(sentences) == len(row["rules"])
        for sentence in sentences:
            assert (f"<li>{sentence}</li>" if len(sentences) > 1 else sentence) in part
    assert "Tỷ lệ làm sạch" not in part


def test_weekly_gains_add_up_to_the_cleaned_total(data):
    gains = briefing.weekly_gains(data, load_plan())
    vehicle = gains[gains["kind"] == "vehicle"]
    assert list(vehicle["week_end"]) == [date(2025, 11, 16), date(2025, 11, 23)]
    cleaned = int(data.city.loc[data.city["kind"] == "vehicle", "cleaned"].iloc[0])
    assert int(vehicle["cleaned_day"].sum()) == cleaned


def test_difficult_groups_sum_the_unit_columns(data):
    groups = briefing.difficult_groups(data.units).set_index("status")
    assert (
        groups.loc["organization_owned", "vehicle"]
        == data.units["veh_group_organization_owned"].sum()
    )
    assert pd.isna(groups.loc["organization_owned", "licence"])
    assert groups.loc["holder_deceased", "licence"] == data.units["lic_group_holder_deceased"].sum()


def test_ledger_by_source_sums_files_and_skipped_kinds(data):
    table = briefing.ledger_by_source(data.ledger + [dict(data.ledger[0], file="other.csv")])
    vehicles = table.set_index("source").loc["registry_vehicles"]
    assert vehicles["files"] == 2
    assert vehicles["rows_read"] == 1_800_000
    assert vehicles["rows_skipped"] == 4


def test_ledger_files_accepts_a_mapping_keyed_by_file():
    entries = briefing.ledger_files({"a.csv": {"source": "population", "rows_read": 3}})
    assert entries == [{"source": "population", "rows_read": 3, "file": "a.csv"}]


def test_overstating_units_count_their_flagged_days(data):
    over = briefing.overstating_units(data)
    assert set(over["unit_code"]) == set(
        data.units.loc[data.units["self_report_overstated"], "unit_code"]
    )
    assert (over["days_flagged"] == 7).all()
    assert all(measures == ["vehicles_collected"] for measures in over["measures"])


def test_data_quality_names_the_counts_that_overstate(data):
    part = briefing.data_quality(data, "vi")
    assert i18n.t("progress.measure.vehicles_collected", "vi") in part
    assert "secret-value-never-shown" not in part


def test_appendix_has_one_row_per_unit(data):
    part = briefing.appendix(data, "vi")
    assert part.count("<tr>") == 126 + 1
    assert 'class="part part-appendix landscape"' in part


def test_export_keeps_rich_outputs_and_drops_code_prompts_and_plain_text(tmp_path):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    nb = new_notebook(
        cells=[
            new_markdown_cell("# notebook title never printed"),
            new_code_cell(
                "secret_source = 1",
                outputs=[
                    new_output("stream", name="stdout", text="stream text never printed"),
                    new_output(
                        "execute_result",
                        data={"text/plain": "'plain repr never printed'"},
                        execution_count=3,
                    ),
                    new_output(
                        "display_data",
                        data={"text/html": "<p>rich part kept</p>", "text/plain": "<IPython HTML>"},
                    ),
                ],
                execution_count=3,
            ),
        ]
    )
    source = tmp_path / "executed.ipynb"
    nbformat.write(nb, source)
    pdf, html_path = briefing.export_briefing(source, tmp_path / "out", WEEK, "en")
    page = html_path.read_text("utf-8")
    assert "rich part kept" in page
    for hidden in ("never printed", "secret_source", "In&nbsp;[", "Out[", "[3]"):
        assert hidden not in page
    text, pages = pdf_text(pdf)
    assert "rich part kept" in text and "never printed" not in text
    assert "Page 1 of 1" in text and "FOR INTERNAL CIRCULATION ONLY" in text


def test_export_writes_html_and_pdf_named_by_week_and_language(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    source = tmp_path / "executed.ipynb"
    nbformat.write(nb, source)
    pdf, html_path = briefing.export_briefing(source, tmp_path, WEEK, "vi")
    assert pdf.name == f"briefing-{WEEK}-vi.pdf" and pdf.stat().st_size > 1000
    assert html_path.name == f"briefing-{WEEK}-vi.html"
    assert '<html lang="vi">' in html_path.read_text("utf-8")


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


@pytest.mark.slow
def test_notebook_builds_the_briefing_from_hand_made_tables(hand_made):
    ws, _ = hand_made
    # one language here: both run end to end on the sample (weekly_report)
    final = run(WEEK, ["en"], ws, steps=[BRIEFING_STEP], echo=lambda _: None)
    for lang in ("en",):
        pdf = final / f"briefing-{WEEK}-{lang}.pdf"
        assert (final / f"briefing-{WEEK}-{lang}.html").is_file()
        check_briefing_pdf(pdf, ws, WEEK, lang)
        executed = nbformat.read(final / "notebooks" / f"04_briefing-{lang}.ipynb", as_version=4)
        assert not [
            o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"
        ]
    assert "secret-value-never-shown" not in (final / f"briefing-{WEEK}-en.html").read_text("utf-8")


# --------------------------------------------------------------------------------------
# end to end on the generated sample: the briefings the real runner wrote (weekly_report)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_briefing_agrees_with_the_processed_tables(
    weekly_report, progressed, sample_week, lang
):
    check_briefing_pdf(
        weekly_report / f"briefing-{sample_week}-{lang}.pdf", progressed, sample_week, lang
    )


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_briefing_carries_no_personal_data(weekly_report, progressed, sample_week, lang):
    tokens = personal_tokens(progressed, sample_week)
    assert len(tokens.ids) > 100 and len(tokens.plates) > 100 and len(tokens.names) > 100
    documents = {  # what the chair reads, what is mailed, what is kept with the run
        "pdf": pdf_text(weekly_report / f"briefing-{sample_week}-{lang}.pdf")[0],
        "html": (weekly_report / f"briefing-{sample_week}-{lang}.html").read_text("utf-8"),
        "notebook": notebook_text(weekly_report / "notebooks" / f"04_briefing-{lang}.ipynb"),
    }
    for where, text in documents.items():
        leaked = personal_data_in(text, tokens)
        assert not leaked, f"{where} ({lang}) carries personal data, e.g. {leaked[:3]}"


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


def test_generated_at_is_on_the_cover(data):
    part = briefing.cover(data, load_plan(), "vi", generated_at=datetime(2025, 11, 24, 7, 30))
    assert "07:30 24/11/2025" in part
    assert "TÀI LIỆU LƯU HÀNH NỘI BỘ" in part
    assert "ngày thứ 14/60" in part


def test_laggard_rules_are_counted_most_broken_first():
    laggards = pd.DataFrame({"rules": [["veh_slow_gain", "backlog_old"], ["veh_slow_gain"], []]})
    counts = briefing.laggard_rule_counts(laggards)
    assert counts.to_dict() == {"veh_slow_gain": 2, "backlog_old": 1}
    assert list(counts.index)[0] == "veh_slow_gain"


def test_reason_is_split_only_when_it_gives_one_sentence_per_rule():
    two_rules = ["veh_slow_gain", "backlog_old"]
    assert briefing.reason_sentences("a; b", "en", two_rules) == ["a", "b"]
    assert briefing.reason_sentences("a; b; c", "en", two_rules) == ["a; b; c"]
    assert briefing.reason_sentences("a; b", "en", ["veh_slow_gain"]) == ["a; b"]


def test_parts_escape_every_value_from_the_tables(data):
    name = '<b>Unit & "Co"</b>'
    code = data.units["unit_code"].iloc[0]
    units = data.units.assign(
        unit_name=np.where(data.units["unit_code"] == code, name, data.units["unit_name"])
    )
    marked = briefing.BriefingData(**{**data.__dict__, "units": units})
    for part in (briefing.units_overview(marked, "en"), briefing.appendix(marked, "en")):
        assert name not in part
        assert str(escape(name)) in part


def test_long_lists_are_set_in_two_runs_of_columns():
    rows = [[f"unit {i}", str(i)] for i in range(20)]
    table = briefing.render_table(
        briefing.two_up(["Unit", "N"], rows, classes=["text", "num"], widths=["70%", "30%"])
    )
    assert table.count("<tr>") == 1 + 10
    assert '<td class="text">unit 0</td>' in table and '<td class="text">unit 10</td>' in table


def test_units_chart_draws_every_unit_once_in_share_order(data):
    chart = briefing.units_chart(data, "en")
    best = data.units.sort_values("veh_share_cleaned_cleanable", ascending=False)["unit_name"]
    positions = [re.search(rf"\. {re.escape(name)}(</td>| <span)", chart).start() for name in best]
    assert len(positions) == 126
    assert positions[0] < positions[1]  # the first column is read top to bottom
    assert i18n.t("progress.standing.off_track", "en") in chart


def test_personal_data_scan_finds_a_name_but_not_words_joined_across_numbers():
    tokens = PersonalTokens(
        frozenset({"001203004005"}), frozenset(), frozenset(), frozenset({"do phuong xuan"})
    )
    assert personal_data_in("Chậm tiến độ\n3 Phường Xuân Phương", tokens) == []
    assert personal_data_in("chủ xe Đỗ Phương Xuân", tokens) == ["do phuong xuan"]
    assert personal_data_in("CCCD 001203004005", tokens) == ["001203004005"]


def test_data_quality_counts_the_record_texts_cut_in_the_packs(hand_made):
    ws, _ = hand_made
    long = "x" * 40_000
    store.save(
        ws,
        pd.DataFrame({"unit_code": ["00008", "00008"], "note": [long, long]}),
        "submissions",
        WEEK,
        partial=True,
    )
    data = briefing.load_briefing_data(ws, WEEK)
    assert data.overlong_texts == 2
    part = briefing.data_quality(data, "en")
    assert i18n.t("briefing.quality.cut_texts", "en", count="2") in part.replace("&quot;", '"')


def test_data_quality_says_nothing_about_cut_texts_when_none_is_too_long(data):
    assert data.overlong_texts == 0
    assert "32,767" not in briefing.data_quality(data, "en")


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


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_contents_list_every_section_of_the_body_in_order(data, lang):
    cover = briefing.cover(data, load_plan(), lang)
    sections = sections_of(body_parts(data, lang))
    assert ("leaders", i18n.t("briefing.sections.leaders", lang)) in sections
    assert contents_of(cover) == sections


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_briefing_contents_list_every_section(weekly_report, sample_week, lang):
    page = (weekly_report / f"briefing-{sample_week}-{lang}.html").read_text("utf-8")
    assert len(sections_of(page)) >= 9
    assert contents_of(page) == sections_of(page)
    _, pages = pdf_text(weekly_report / f"briefing-{sample_week}-{lang}.pdf")
    note = squash(i18n.t("briefing.cover.note", lang))
    assert note in squash(pages[0]), "the cover runs onto a second page"
    assert squash(i18n.t("briefing.sections.summary", lang)) in squash(pages[1])


def ledger_with_sources(deliveries: dict[str, str], **extra) -> dict:
    return {
        "week": WEEK,
        "balanced": True,
        "files": make_ledger(),
        "sources": {s: {"delivery": d, "files": 1} for s, d in deliveries.items()},
        **extra,
    }


FRESH = {
    "registry_vehicles": "2025-11-17",
    "registry_licences": "2025-11-17",
    "population": "2025-11-17",
    "submissions": WEEK,
    "unit_reports": WEEK,
    "organizations": WEEK,
}


def test_source_freshness_computes_age_and_staleness_from_the_cadence():
    sources = dict(FRESH, population="2025-11-09")
    table = briefing.source_freshness(ledger_with_sources(sources)["sources"], WEEK, 7)
    rows = table.set_index("source")
    assert list(table["source"]) == list(briefing.SOURCES)
    assert rows.at["registry_vehicles", "age_days"] == 6
    assert not rows.at["registry_vehicles", "stale"]
    assert rows.at["population", "age_days"] == 14 and rows.at["population", "stale"]
    assert rows.at["submissions", "delivery"] == date(2025, 11, 23)


def test_source_freshness_takes_the_ledgers_verdict_when_it_has_one():
    ledger = ledger_with_sources(FRESH)
    ledger["sources"]["submissions"] |= {"stale": True, "age_days": 9}
    rows = briefing.source_freshness(ledger["sources"], WEEK, 7).set_index("source")
    assert rows.at["submissions", "stale"] and rows.at["submissions", "age_days"] == 9


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cover_shows_each_sources_delivery_date_and_marks_a_stale_one(hand_made, lang):
    ws, _ = hand_made
    warning = {
        "code": "stale_source",
        "message_en": "The population extract is 14 days old.",
        "message_vi": "Trích xuất dân cư đã cũ 14 ngày.",
    }
    store.save_json(
        ws,
        ledger_with_sources(dict(FRESH, population="2025-11-09"), warnings=[warning]),
        "ledger",
        WEEK,
    )
    data = briefing.load_briefing_data(ws, WEEK)
    cover = briefing.cover(data, load_plan(), lang)
    block = cover.split('class="data-as-of"', 1)[1]
    assert i18n.t("briefing.cover.data_as_of", lang) in cover
    for source in briefing.SOURCES:
        # the templates escape with markupsafe (an apostrophe is &#39;)
        assert str(escape(i18n.t(f"briefing.source.{source}", lang))) in block
    assert i18n.fmt_date(date(2025, 11, 9), lang) in block
    assert i18n.fmt_date(date(2025, 11, 17), lang) in block
    stale = re.findall(r'<tr class="stale">(.*?)</tr>', block)
    assert len(stale) == 1
    assert i18n.t("briefing.source.population", lang) in stale[0]
    assert "⚠" in stale[0] and i18n.t("briefing.cover.stale", lang, days=14) in stale[0]
    assert block.count("⚠") == 1 + 1  # the stale row and the warnings box
    box = cover.split('class="warnings"', 1)[1]
    assert warning[f"message_{lang}"] in box


def test_cover_says_an_accepted_alarm_first_and_in_bold(hand_made):
    from helpers.ingest.alarms import stop_unless_accepted

    ws, _ = hand_made
    alarm = {
        "code": "file_rejected",
        "params": {},
        "message_en": "2025-11-23/submissions.csv: 67,185 of its 67,185 data rows rejected",
        "message_vi": "2025-11-23/submissions.csv: 67.185 trên 67.185 dòng dữ liệu bị loại",
    }
    ordinary = {"code": "stale_source", "message_en": "Old.", "message_vi": "Cũ."}
    warnings = [*stop_unless_accepted([alarm], accept=True), ordinary]
    store.save_json(ws, ledger_with_sources(FRESH, warnings=warnings), "ledger", WEEK)
    cover = briefing.cover(briefing.load_briefing_data(ws, WEEK), load_plan(), "en")
    items = re.findall(r"<li( class=\"alarm\")?>(.*?)</li>", cover.split('class="warnings"')[1])
    assert items[0][0] and "ACCEPTED BY THE DUTY OFFICER" in items[0][1]
    assert "67,185 of its 67,185 data rows rejected" in items[0][1]
    assert items[1] == ("", "Old.")


def test_cover_has_no_warnings_box_when_the_ledger_has_none(hand_made):
    ws, _ = hand_made
    store.save_json(ws, ledger_with_sources(FRESH), "ledger", WEEK)
    cover = briefing.cover(briefing.load_briefing_data(ws, WEEK), load_plan(), "en")
    assert 'class="warnings"' not in cover and "⚠" not in cover
    assert cover.count('<tr class="fresh">') == len(briefing.SOURCES)


# --------------------------------------------------------------------------------------
# judgments: each figure says what it counts, one definition per figure


def test_weekly_bars_add_up_to_the_cleaned_total_with_cleanings_before_the_peak(data):
    daily = data.daily.copy()
    first = daily.groupby("kind")["date"].transform("min") == daily["date"]
    # 330 vehicle records were cleaned before the peak: every cumulative figure carries them
    daily["cleaned_cum"] = daily["cleaned_cum"] + np.where(daily["kind"] == "vehicle", 330, 0)
    city = data.city.copy()
    city.loc[city["kind"] == "vehicle", "cleaned"] += 330
    shifted = briefing.BriefingData(**{**data.__dict__, "daily": daily, "city": city})
    assert first.any()
    gains = briefing.weekly_gains(shifted, load_plan())
    vehicle = gains[gains["kind"] == "vehicle"]
    assert pd.isna(vehicle["week_end"].iloc[0]) and vehicle["cleaned_day"].iloc[0] == 330
    assert int(vehicle["cleaned_day"].sum()) == int(
        city.loc[city["kind"] == "vehicle", "cleaned"].iloc[0]
    )
    part = briefing.city_progress(shifted, load_plan(), "en")
    assert "before the peak started" in part


def test_conduct_and_progress_are_labelled_apart(data):
    part = briefing.laggards_and_leaders(data, load_plan(), "en")
    rules = part.index("Progress rules"), part.index("Conduct rules")
    assert rules[0] < rules[1]
    lag = data.laggards
    conduct_only = lag[lag["breaks_conduct"] & ~lag["breaks_progress"]]
    assert len(conduct_only)
    name = conduct_only["unit_name"].iloc[0]
    row = part[part.index(name) :]
    assert row.index('class="breach conduct">Conduct<') < row.index("</tr>")
    chart = briefing.units_chart(data, "en")
    marked = data.units.loc[data.units["breaks_conduct"], "unit_name"]
    for unit in marked:
        assert f'{unit} <span class="conduct">' in chart


def test_leader_heading_names_what_the_category_ranks(data):
    part = briefing.laggards_and_leaders(data, load_plan(), "en")
    assert i18n.t("briefing.leaders.category_gain_share", "en") in part
    assert "Largest number cleaned this week" not in part
    counted = data.leaders.assign(
        measure=np.where(
            data.leaders["category"] == "gain", "gain_records", data.leaders["measure"]
        )
    )
    part = briefing.laggards_and_leaders(
        briefing.BriefingData(**{**data.__dict__, "leaders": counted}), load_plan(), "en"
    )
    assert i18n.t("briefing.leaders.category_gain_records", "en") in part


def test_backlog_table_ranks_by_the_one_definition_the_talking_point_uses(data):
    units = data.units.copy()
    # the unit with the oldest item has few submissions: it must not head the table
    units.loc[0, ["backlog_pending", "backlog_oldest_days"]] = [1, 99]
    shifted = briefing.BriefingData(**{**data.__dict__, "units": units})
    part = briefing.backlog_and_difficult(shifted, "en")
    first = progress.backlog_ranking(units).iloc[0]["unit_name"]
    table = part[part.index("<tbody>") :]
    assert table.index(first) < table.index("</tr>")


def test_pending_figures_say_whether_they_count_records_or_submissions(data):
    part = briefing.backlog_and_difficult(data, "en")
    for key in ("backlog.pending", "backlog.veh_pending", "backlog.lic_pending"):
        label = i18n.t(f"briefing.{key}", "en")
        assert label in part and ("ubmission" in label or "record" in label), label
    city = briefing.city_progress(data, load_plan(), "en")
    assert "Records whose latest submission awaits review" in city


def test_pace_line_shows_the_decimals_that_keep_pace_and_need_apart(data):
    city = data.city.copy()
    city.loc[city["kind"] == "vehicle", ["rate_7d", "required_rate"]] = [2.0, 2.4]
    shifted = briefing.BriefingData(**{**data.__dict__, "city": city})
    part = briefing.summary(shifted, load_plan(), "en")
    assert "Pace 2.0 records/day over the last 7 days, 2.4/day required" in part


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_comparison_tiles_name_vehicle_owners_and_licence_holders_apart(data, lang):
    kinds = briefing.summary_part(data, load_plan(), lang)["kinds"]
    veh, lic = (
        next(tile["label"] for tile in k["tiles"] if tile["value"] == v)
        for k, v in zip(
            kinds,
            [briefing.kpi_values(data, kind, lang)["compared"] for kind in ("vehicle", "licence")],
            strict=True,
        )
    )
    holder = {"vi": "người có gplx", "en": "licence holder"}[lang]
    assert holder in lic.lower() and holder not in veh.lower()
    assert {"vi": "chủ xe", "en": "owners"}[lang] not in lic.lower()
    row = briefing.city_part(data, load_plan(), lang)["figures"]["rows"]
    compared = next(r[0] for r in row if r[0] == i18n.t("briefing.city.row_compared", lang))
    assert holder in compared.lower()  # one row for both kinds names both


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_curve_chart_says_the_submission_lines_count_submissions(lang):
    """The curves of submitted and approved count submissions (daily_series counts rows of
    the submissions), the cleaned curve counts records: each label says which."""
    word = {"vi": "lượt kê khai", "en": "submissions"}[lang]
    for series in ("submitted", "approved"):
        assert word in i18n.t(f"briefing.city.series_{series}", lang).lower()
    cleaned = i18n.t("briefing.city.series_cleaned", lang).lower()
    assert {"vi": "hồ sơ", "en": "records"}[lang] in cleaned


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_criteria_table_counts_the_named_units_and_sets_context_rules_apart(data, lang):
    """The criteria table counts rules among the units named, not the city: its column says
    so, and the rules that never name a unit alone (projected late, slow gain) stand apart, so
    "projected late 40" never reads against page 2's standings of all units."""
    lag = data.laggards.copy()
    lag["rules"] = [
        ["veh_below_median", "veh_projected_late"] if i % 2 else ["backlog_old"]
        for i in range(len(lag))
    ]
    shifted = briefing.BriefingData(**{**data.__dict__, "laggards": lag})
    rules = briefing.laggards_part(shifted, load_plan(), lang)["rules"]
    assert rules["headers"][1] == i18n.t("briefing.laggards.units_named", lang)
    groups = [r["group"] for r in rules["rows"] if "group" in r]
    assert i18n.t("briefing.laggards.rules_context", lang) in groups
    after = [r.get("rule") for r in rules["rows"]]
    context_at = after.index(None, groups.index(i18n.t("briefing.laggards.rules_context", lang)))
    assert i18n.t("progress.rule_name.veh_projected_late", lang) in after[context_at:]


def test_list_headings_count_the_rows_they_list(data):
    """A heading "(10 units)" lists 10 rows: fewer units with a gap, fewer in the title."""
    units = data.units.copy()
    units["org_vehicles_declared"] = units["org_vehicles_counted"]
    units.loc[units.index[:3], "org_vehicles_declared"] = 0
    units.loc[units.index[:3], "org_vehicles_counted"] = 5
    units["backlog_pending"] = 0
    units.loc[units.index[:2], "backlog_pending"] = 4
    shifted = briefing.BriefingData(**{**data.__dict__, "units": units})
    orgs = briefing.organisations(shifted, "vi")
    assert "(3 đơn vị)" in orgs and "(10 đơn vị)" not in orgs
    assert i18n.t("briefing.backlog.by_unit", "vi", n=2) in briefing.backlog_and_difficult(
        shifted, "vi"
    )


def test_organisations_rate_only_over_organisations_with_both_figures(data):
    """33,8 % of declared-by-some over counted-by-others is no rate: each type's rate is over
    the organisations with both figures, a type with none has no rate, and the header says so."""
    orgs = data.orgs.copy()
    orgs["orgs_both"] = [10, 0, 4, 0, 0, 0]
    orgs["counted_both"] = [200, 0, 50, 0, 0, 0]
    orgs["declared_both"] = [150, 0, 10, 0, 0, 0]
    shifted = briefing.BriefingData(**{**data.__dict__, "orgs": orgs})
    by_type = briefing.orgs_part(shifted, "en")["by_type"]
    rates = {row[0]: row[-1] for row in by_type["rows"]}
    assert rates["Enterprises"] == "75.0%" and rates["Schools"] == "20.0%"
    assert rates["Industrial parks"] == "–" and rates["Agencies"] == "–"
    assert by_type["foot"][-1] == "64.0%"  # 160 of 250, over the same organisations
    assert by_type["headers"][-1] == i18n.t("briefing.orgs.declared_share", "en")
    assert "both" in by_type["headers"][-1]


def test_gain_tile_shows_no_per_cent_change_on_a_tiny_previous_period(data):
    city = data.city.copy()
    lic = city["kind"] == "licence"
    city.loc[lic, ["gain_week", "gain_prev_week", "gain_change", "gain_change_share"]] = [
        6,
        1,
        5,
        5.0,
    ]
    shifted = briefing.BriefingData(**{**data.__dict__, "city": city})
    kinds = briefing.summary_part(shifted, load_plan(), "vi")["kinds"]
    tile = next(
        tile
        for tile in kinds[1]["tiles"]
        if tile["label"] == i18n.t("briefing.kpi.gain_week", "vi")
    )
    assert "+5 hồ sơ" in tile["note"] and "500" not in tile["note"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_difficult_groups_that_cannot_show_resolution_say_how_they_are_resolved(data, lang):
    """Duplicates leave the registry and owners elsewhere leave the unit: no approval ever
    resolves them here, so their resolved count is not measured ("–"), and the table says how
    they are resolved instead of "0 resolved" every week."""
    units = data.units.copy()
    units["veh_group_duplicate_registry_record"] = 3
    units["veh_resolved_duplicate_registry_record"] = 0
    shifted = briefing.BriefingData(**{**data.__dict__, "units": units})
    groups = briefing.backlog_part(shifted, lang)["groups"]
    row = next(
        r
        for r in groups["rows"]
        if r["group"] == briefing.status_label("duplicate_registry_record", lang)
    )
    zero = i18n.t("briefing.backlog.open_resolved", lang, open="1", resolved="0").split("1", 1)[1]
    assert zero not in row["vehicle"]
    assert row["vehicle"] == i18n.t(
        "briefing.backlog.open_unmeasured", lang, open=i18n.fmt_int(3 * len(units), lang)
    )
    note = str(escape(i18n.t("briefing.backlog.unmeasured_note", lang)))
    assert note in briefing.backlog_and_difficult(shifted, lang)


def test_summary_gives_the_comparison_with_the_population_database(data):
    part = briefing.summary(data, load_plan(), "en")
    veh = data.city.set_index("kind").loc["vehicle"]
    assert i18n.t("briefing.kpi.compared_vehicle", "en") in part
    assert i18n.fmt_int(veh["compared"], "en") in part
    assert progress.pct_text(veh["share_compared"], "en") + " of assigned" in part


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
        own = {s: int(counts.get(s, 0)) for s in ("on_track", "at_risk", "off_track")}
        assert own == {s: int(city.loc[kind, f"units_{s}"]) for s in own}, (kind, own)
        line = i18n.t(
            f"briefing.kpi.units_standing_{kind}",
            lang,
            on=i18n.fmt_int(own["on_track"], lang),
            risk=i18n.fmt_int(own["at_risk"], lang),
            off=i18n.fmt_int(own["off_track"], lang),
        )
        assert squash(line) in flat, (week, lang, kind)


def fmt_date(value, lang):
    return i18n.fmt_date(value, lang)


@pytest.mark.slow
def test_summary_figures_are_table_values_in_every_sample_week_and_language(
    sample_ws, tmp_path_factory
):
    """The sample campaign week by week in order (some weeks skipped, a registry re-delivered in
    mid-week, then the final week without the extension): every figure of page 2 is a table
    value, and what the pages remember of earlier conferences holds (docs/rules.md,
    "Conferences and their periods", "Namings and their kinds")."""
    from helpers import ingest, reconcile
    from helpers.progress import RANK_SHARE
    from tests.conftest import make_workspace

    root = tmp_path_factory.mktemp("every-week")
    ws = make_workspace(root)
    for folder in sample_ws.raw.iterdir():  # the sample's deliveries, as they are
        (ws.raw / folder.name).symlink_to(folder, target_is_directory=True)
    # a registry re-delivered on a Wednesday: no conference, never "the previous conference"
    (ws.raw / "2025-12-10").mkdir()
    shutil.copy2(
        sample_ws.raw / "2025-12-07" / "registry_licences.parquet",
        ws.raw / "2025-12-10" / "registry_licences.parquet",
    )
    plan = load_plan()
    weeks = sorted(d for d in ws.deliveries() if d != "2025-12-10")
    assert len(weeks) >= 10 and weeks[-1] == "2026-01-19"
    # every week: 14/12 first with 30/11 and 07/12 skipped (its previous conference is
    # recomputed), then the skipped weeks run late (an analyst catching up), then the rest in
    # order; the final week again without the extension (overdue). Page 2 is printed and read
    # for the weeks the reviewers read (the first two, 14/12, the last before the extension
    # was decided, the first after peak.end (extended) and the final one).
    order = [weeks[0], weeks[1], "2025-12-14"]
    order += [w for w in weeks if w not in order]
    assert sorted(order) == weeks
    printed = {weeks[0], weeks[1], "2025-12-14", "2026-01-04", "2026-01-11", "2026-01-19"}
    runs = [(week, plan) for week in order] + [
        ("2026-01-19", dataclasses.replace(plan, extension=None))
    ]
    told: dict[str, dict[str, pd.DataFrame]] = {}
    for week, week_plan in runs:
        if not store.exists(ws, "vehicle_status", week):
            ingest.ingest_week(ws, week)
            reconcile.reconcile_week(ws, week, week_plan)
        tables = progress.progress_week(ws, week, week_plan)
        # the conference reviews the days after the previous delivery of the week's submissions
        previous = max((w for w in weeks if w < week), default=None)
        city = tables["city_progress"].set_index("kind")
        start = date.fromisoformat(previous) + timedelta(days=1) if previous else plan.start
        assert (city["period_start"] == start).all(), week
        days = tables["daily_series"]
        for kind in ("vehicle", "licence"):
            mine = days[(days["kind"] == kind) & (days["date"] >= start)]
            assert city.loc[kind, "gain_week"] == mine["cleaned_day"].sum(), (week, kind)
        if previous is None:
            assert city["gain_prev_week"].isna().all(), week  # the first compares with nothing
        follow = tables["followup"]
        if previous is not None:
            assert (follow["week_prev"] == date.fromisoformat(previous)).all(), week
            assert (follow["prev_recomputed"] == (previous not in told)).all(), week
            lag = follow[follow["subject"] == "laggard"].set_index("unit_code")
            town = follow[follow["subject"] == "city"].set_index("kind")
            needed = town["cleaned_needed"].dropna()
            assert (needed <= town.loc[needed.index, "target_remaining_then"]).all(), week
            if previous in told:  # what that conference was told, word for word
                then = told[previous]["unit_progress"].set_index("unit_code")
                assert (lag["share_then"] == then.loc[lag.index, RANK_SHARE]).all(), week
                named = then[then["is_laggard"]].index
                assert sorted(lag.index) == sorted(named), week
                city_then = told[previous]["city_progress"].set_index("kind")
                assert (town["cleaned_then"] == city_then.loc[town.index, "cleaned"]).all()
        # namings of one kind counted as that kind, in the history and the final verdicts
        hist = tables["rank_history"]
        assert (hist["is_laggard"] == (hist["named_progress"] | hist["named_conduct"])).all()
        if "final_units" in tables:
            result = tables["final_units"].set_index("unit_code")
            counted = hist.groupby("unit_code")["named_progress"].sum()
            assert (result["weeks_named"] == counted.reindex(result.index)).all()
            verdicts = tables["final_verdicts"]
            often = verdicts[verdicts["rules"].map(lambda r: "named_often" in list(r))]
            assert (result.loc[often["unit_code"], "weeks_named"] > 0).all()
        # each period's bar: counted now, beside what its conference was told (when run)
        gains = tables["conference_gains"]
        for kind in ("vehicle", "licence"):
            mine = gains[gains["kind"] == kind]
            assert mine["cleaned"].sum() == city.loc[kind, "cleaned"], (week, kind)
            for earlier, then in ((w, x) for w, x in told.items() if w < week):
                row = mine[mine["week"] == date.fromisoformat(earlier)].iloc[0]
                said = then["city_progress"].set_index("kind").loc[kind, "gain_week"]
                assert row["cleaned_told"] == said, (week, earlier, kind)
                assert row["revised"] == (row["cleaned"] != said), (week, earlier, kind)
        told[week] = tables
        data = briefing.load_briefing_data(ws, week)
        for lang in ("vi", "en"):  # a revised bar is said as a revision beside the chart
            note = briefing.parts_city.revisions_note(data, week_plan, lang)
            for _, row in gains[gains["revised"]].iterrows():
                assert i18n.fmt_int(row["cleaned_told"], lang) in note, (week, lang)
        for lang in ("vi", "en") if week in printed else ():
            pdf = root / f"summary-{week}-{lang}.pdf"
            body = briefing.summary(data, week_plan, lang)
            briefing.write_pdf(SUMMARY_SHEET.format(body=body), pdf)
            text, _ = pdf_text(pdf)
            check_summary_figures(text, tables, week_plan, week, lang)
            assert "71/60" not in text and "71 of 60" not in text


def test_summary_figure_check_catches_a_figure_no_table_gives(data, tmp_path):
    plan = load_plan()
    tables = {
        "city_progress": data.city,
        "unit_progress": data.units,
        "leaders": data.leaders,
        "laggards": data.laggards,
    }
    # the hand-made talking points are free text: the cards alone here
    cards = briefing.BriefingData(
        **{**data.__dict__, "talking_points": data.talking_points.iloc[0:0]}
    )
    pdf = tmp_path / "summary.pdf"
    briefing.write_pdf(SUMMARY_SHEET.format(body=briefing.summary(cards, plan, "en")), pdf)
    text, _ = pdf_text(pdf)
    check_summary_figures(text, tables, plan, WEEK, "en", min_figures=30)
    with pytest.raises(AssertionError, match="123,457"):
        check_summary_figures(
            text + " cleaned 123,457 records", tables, plan, WEEK, "en", min_figures=30
        )
    # the licence standings must come from the licence column, not the vehicles'
    city = data.city.copy()
    city.loc[city["kind"] == "licence", ["units_on_track", "units_at_risk", "units_off_track"]] = (
        city.loc[
            city["kind"] == "vehicle", ["units_on_track", "units_at_risk", "units_off_track"]
        ].to_numpy()
    )
    with pytest.raises(AssertionError):
        check_summary_figures(
            text, {**tables, "city_progress": city}, plan, WEEK, "en", min_figures=30
        )


def test_appendix_gives_each_units_comparison_with_the_population_database(data):
    part = briefing.appendix(data, "en")
    assert i18n.t("briefing.appendix.veh_compared", "en") in part
    row = data.units.sort_values(["rank", "unit_name"]).iloc[0]
    first = part[part.index("<tbody>") :]
    first = first[: first.index("</tr>")]
    assert progress.pct_text(row["veh_share_compared"], "en") in first


# --- the three cases of the deadline and sections that could be empty ----------------------------


def test_no_leader_section_is_empty_it_says_why_and_shows_the_best_units(data):
    nobody = briefing.BriefingData(**{**data.__dict__, "leaders": data.leaders.iloc[0:0]})
    for lang in ("vi", "en"):
        part = briefing.laggards_and_leaders(nobody, load_plan(), lang)
        leaders_section = part[part.index(i18n.t("briefing.sections.leaders", lang)) :]
        assert i18n.t("briefing.leaders.none", lang, n=5) in leaders_section
        best = data.units.sort_values(
            ["veh_share_cleaned_cleanable", "unit_code"], ascending=[False, True]
        ).head(5)
        for _, unit in best.iterrows():
            assert unit["unit_name"] in leaders_section
            assert progress.pct_text(unit["veh_share_cleaned_cleanable"], lang) in leaders_section


def test_a_leader_category_without_units_says_so(data):
    shares_only = briefing.BriefingData(
        **{**data.__dict__, "leaders": data.leaders[data.leaders["category"] == "share"]}
    )
    part = briefing.laggards_and_leaders(shares_only, load_plan(), "en")
    assert i18n.t("briefing.leaders.none_gain", "en") in part


def test_backlog_without_waiting_submissions_says_so(data):
    units = data.units.assign(backlog_pending=0)
    part = briefing.backlog_and_difficult(
        briefing.BriefingData(**{**data.__dict__, "units": units}), "en"
    )
    assert i18n.t("briefing.backlog.none", "en") in part


@pytest.fixture
def final_week(tmp_ws: Workspace) -> briefing.BriefingData:
    """Hand-made tables for the week 13-19 January 2026 (the 20 January conference)."""
    tables = build_progress_tables(tmp_ws, "2026-01-19")
    # on the deadline or past it no pace is required (progress leaves it null)
    city = tables["city_progress"]
    city = city.assign(
        required_rate=np.nan,
        days_left=0,
        days_overdue=11,
        remaining=city["assigned"] - city["cleaned"],
    )
    store.save(tmp_ws, schemas.complete("city_progress", city), "city_progress", "2026-01-19")
    return briefing.load_briefing_data(tmp_ws, "2026-01-19")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_post_deadline_cover_and_summary_with_the_extension(final_week, lang):
    plan = load_plan()
    cover = briefing.cover(final_week, plan, lang)
    assert i18n.t("progress.deadline.day_of_extended", lang, day=71, days=71, nominal=60) in cover
    assert plan.extension.reference in cover
    assert "71/60" not in cover and "71 of 60" not in cover
    summary = briefing.summary(final_week, plan, lang)
    assert i18n.t("progress.deadline.days_left", lang) in summary
    assert (
        i18n.t(
            "progress.deadline.note_extended",
            lang,
            date="19/01/2026",
            reference=plan.extension.reference,
        )
        in summary
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_post_deadline_cover_and_summary_without_the_extension(final_week, lang):
    plan = dataclasses.replace(load_plan(), extension=None)
    cover = briefing.cover(final_week, plan, lang)
    overdue = i18n.t("progress.days.other", lang, n=11)
    assert i18n.t("progress.deadline.overdue", lang, days=overdue, deadline="08/01/2026") in cover
    assert "71/60" not in cover and "71 of 60" not in cover
    summary = briefing.summary(final_week, plan, lang)
    assert i18n.t("progress.deadline.days_overdue", lang) in summary
    assert (
        i18n.t("progress.deadline.note_overdue", lang, date="08/01/2026", days=overdue) in summary
    )
    # no pace is required past the deadline: the line says what is left
    veh = final_week.city.set_index("kind").loc["vehicle"]
    left = i18n.t(
        "briefing.kpi.pace_left",
        lang,
        rate=progress.pace_texts(veh["rate_7d"], veh["required_rate"], lang)[0],
        remaining=i18n.fmt_int(veh["remaining"], lang),
    )
    assert left in summary


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_deadline_day_itself_is_the_last_day_not_past_the_deadline(final_week, lang):
    # 19/01 is the extended peak's own last day: nothing has expired yet
    plan = load_plan()
    assert plan.in_force(final_week.as_of).end == final_week.as_of
    summary = briefing.summary(final_week, plan, lang)
    veh = final_week.city.set_index("kind").loc["vehicle"]
    values = {
        "rate": progress.pace_texts(veh["rate_7d"], veh["required_rate"], lang)[0],
        "remaining": i18n.fmt_int(veh["remaining"], lang),
    }
    assert i18n.t("briefing.kpi.pace_last_day", lang, **values) in summary
    assert i18n.t("briefing.kpi.pace_left", lang, **values) not in summary


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_post_deadline_briefing_builds_to_pdf(final_week, tmp_path, lang):
    plan = dataclasses.replace(load_plan(), extension=None)
    body = "".join(
        [
            briefing.cover(final_week, plan, lang),
            briefing.summary(final_week, plan, lang),
            briefing.city_progress(final_week, plan, lang),
            briefing.laggards_and_leaders(final_week, plan, lang),
        ]
    )
    pdf = tmp_path / f"final-{lang}.pdf"
    briefing.write_pdf(SUMMARY_SHEET.format(body=body), pdf)
    text, _ = pdf_text(pdf)
    assert "71/60" not in text and "71 of 60" not in text
    assert squash(i18n.t("progress.deadline.days_overdue", lang)) in squash(text)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_cover_of_an_extended_final_week_with_warnings_is_one_page(final_week, tmp_path, lang):
    # the extension row, every source, two warnings and the campaign summary in the contents:
    # the longest cover a week can have must still be one page (its note spilled onto a blank
    # second page once the extension and the commitments source were added)
    warnings = [
        {
            "code": "stale_source",
            "message_en": "The population extract is 14 days old.",
            "message_vi": "Trích xuất dân cư đã cũ 14 ngày.",
        },
        {
            "code": "unread_file",
            "message_en": "2026-01-19/notes.docx is read by no source.",
            "message_vi": "2026-01-19/notes.docx không thuộc nguồn nào.",
        },
    ]
    data = dataclasses.replace(
        final_week,
        sources={s: {"delivery": "2026-01-19"} for s in briefing.SOURCES},
        warnings=warnings,
        final={},  # a week with the campaign summary: one more line of contents
    )
    plan = load_plan()
    cover = briefing.cover(data, plan, lang)
    assert plan.extension.reference in cover and warnings[1][f"message_{lang}"] in cover
    pdf = tmp_path / f"cover-{lang}.pdf"
    briefing.write_pdf(SUMMARY_SHEET.format(body=cover), pdf)
    _, pages = pdf_text(pdf)
    assert len(pages) == 1, f"the cover runs over {len(pages)} pages"


def test_appendix_and_unit_names_print_readable_and_whole():
    """The appendix prints at 8 pt or more (it was ~6.5 pt) and the all-units chart never cuts
    a long unit name with an ellipsis."""
    css = (briefing.TEMPLATE_DIR / "briefing.css").read_text("utf-8")
    sizes = re.findall(r"table\.appendix-table[^{]*\{[^}]*font-size:\s*([\d.]+)pt", css)
    assert sizes and min(float(s) for s in sizes) >= 7.5
    assert float(sizes[0]) >= 8
    assert "ellipsis" not in css
