"""Unit self-reports (daily Excel workbooks) and the organisations list, per delivery."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth import deliver as dv
from synth import mail as ml
from synth import world as wd
from synth.common import DMY, Faults, cat, format_dates, take, zfill_text
from synth.mail import slug
from synth.xlsx import STYLE_TITLE, Sheet, col_letter, write_workbook

REPORT_MISSING_DAY = 0.03  # a unit forgets to send a day's row
REPORT_BLANK_CELL = 0.005  # a count left blank -> missing_required
REPORT_TEXT_COUNT = 0.003  # "12 xe" typed into a count -> invalid_number
REPORT_COUNTS = [
    "vehicles_collected",
    "vehicles_approved",
    "licences_collected",
    "licences_cleaned",
]


def system_counts(sub: pd.DataFrame, n_units: int, days: np.ndarray) -> pd.DataFrame:
    """What the system holds per unit and day (accepted submissions; record unit if linked)."""
    acc = sub[sub["reject"].isna() & ~sub["is_copy"]]
    d0 = days[0]
    nd = len(days)
    out = {}
    for kind, c_col, a_col in (
        ("vehicle", "vehicles_collected", "vehicles_approved"),
        ("licence", "licences_collected", "licences_cleaned"),
    ):
        k = acc[acc["kind"] == kind]
        u = k["unit_idx"].to_numpy()
        ds = (dv.day_index(k["t_sub"].to_numpy()) - d0).astype(np.int64)
        dr = (dv.day_index(k["t_rev"].to_numpy()) - d0).astype(np.int64)
        m = (ds >= 0) & (ds < nd)
        out[c_col] = np.bincount(u[m] * nd + ds[m], minlength=n_units * nd)
        m = (dr >= 0) & (dr < nd) & (k["decision"].to_numpy() == "approved")
        out[a_col] = np.bincount(u[m] * nd + dr[m], minlength=n_units * nd)
    frame = pd.DataFrame(
        {"unit_idx": np.repeat(np.arange(n_units), nd), "report_date": np.tile(days, n_units)}
    )
    for c in REPORT_COUNTS:
        frame[c] = out[c]
    return frame


REPORT_DAYS = np.arange(np.datetime64("2025-11-10"), np.datetime64("2026-01-19") + 1)


def make_unit_reports(
    rng, sub: pd.DataFrame | None, units: wd.Units, counts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every daily self-report row of the campaign (reported and system figures).

    ``counts`` (the ``system_counts`` of every slice, summed) replaces ``sub`` when a city is
    generated in slices: the reports need the whole city's figures per unit and day.
    """
    sys_ = system_counts(sub, len(units.frame), REPORT_DAYS) if counts is None else counts
    factor = units.frame["self_report_factor"].to_numpy()[sys_["unit_idx"].to_numpy()]
    rep = sys_.copy()
    for c in REPORT_COUNTS:
        noise = rng.normal(1.0, 0.02, len(rep))
        rep[c] = np.round(sys_[c].to_numpy() * factor * noise).astype(np.int64)
        rep[f"system_{c}"] = sys_[c].to_numpy()
    rep["overstates"] = units.frame["overstates"].to_numpy()[rep["unit_idx"].to_numpy()]
    keep = rng.random(len(rep)) >= REPORT_MISSING_DAY
    rep = rep[keep].reset_index(drop=True)
    rep["row_key"] = np.arange(len(rep), dtype=np.int64)
    txt = {c: rep[c].astype(str).to_numpy(dtype=object) for c in REPORT_COUNTS}
    rep["fault"] = None
    rep["fault"] = rep["fault"].astype(object)
    rep["fault_column"] = None
    rep["fault_column"] = rep["fault_column"].astype(object)
    perm = rng.permutation(len(rep))
    nb, nt = int(round(REPORT_BLANK_CELL * len(rep))), int(round(REPORT_TEXT_COUNT * len(rep)))
    for sel, kind in ((perm[:nb], "blank_count"), (perm[nb : nb + nt], "text_count")):
        col = np.array(REPORT_COUNTS, dtype=object)[rng.integers(0, 4, len(sel))]
        rep.loc[sel, "fault"] = kind
        rep.loc[sel, "fault_column"] = col
        for c in REPORT_COUNTS:
            s = sel[col == c]
            txt[c][s] = "" if kind == "blank_count" else cat(txt[c][s], " xe")
    for c in REPORT_COUNTS:
        rep[f"d_{c}"] = txt[c]
    return rep


def log_report_faults(rep: pd.DataFrame, faults: Faults) -> None:
    for kind, reason in (("blank_count", "missing_required"), ("text_count", "invalid_number")):
        m = (rep["fault"] == kind).to_numpy()
        for c in REPORT_COUNTS:
            mc = m & (rep["fault_column"] == c).to_numpy()
            faults.add(
                "unit_reports",
                rep["row_key"].to_numpy()[mc],
                c,
                kind,
                take(rep[f"d_{c}"], mc),
                rep[c].astype(str).to_numpy()[mc],
                "rejected",
                reason,
            )


def write_unit_reports(
    writer: dv.Writer, rep: pd.DataFrame, units: wd.Units, delivery: str, mail=None
):
    """A delivery's self-reports: one combined workbook, a workbook per unit, or (a mailed
    delivery when ``mail``, a :class:`synth.mail.MailPlan`, is given) the messages units
    send with the issued form or their own workbook, collected after (synth.mail)."""
    days = dv.delivery_days(delivery)
    week = rep[(rep["report_date"] >= days[0]) & (rep["report_date"] <= days[-1])]
    week = week.sort_values(["unit_idx", "report_date"], kind="stable")
    uf = units.frame
    first, last = format_dates(days[[0, -1]], DMY)
    if dv.UNIT_REPORT_FORM[delivery] == "combined":
        _combined(writer, week, uf, delivery, first, last)
        return
    own = _OwnWorkbooks(week, uf, first, last)
    if mail is not None and delivery in mail.deliveries:
        ml.write_mailed(writer, week, uf, delivery, mail, own.sheet, REPORT_COUNTS)
        return
    for ui in range(len(uf)):  # per unit (126), not per record
        lo, hi = own.rows(ui)
        if hi == lo:
            continue
        sheet, first_row = own.sheet(ui, lo, hi)
        rel = f"{delivery}/unit_reports/{uf['unit_code'].iat[ui]}_{slug(own.names[ui])}.xlsx"
        write_workbook(writer.out / rel, [sheet])
        writer.record("unit_reports", rel, own.keys[lo:hi], first_row)


class _OwnWorkbooks:
    """The units' own workbooks of a delivery (title block, the day rows, a totals row)."""

    def __init__(self, week: pd.DataFrame, uf: pd.DataFrame, first: str, last: str) -> None:
        self.first, self.last = first, last
        uidx = week["unit_idx"].to_numpy()
        self.serial = (
            (
                week["report_date"].to_numpy().astype("datetime64[D]")
                - np.datetime64("1899-12-30", "D")
            )
            .astype(np.int64)
            .tolist()
        )
        self.counts = {c: week[f"d_{c}"].tolist() for c in REPORT_COUNTS}
        self.sums = {c: week[c].to_numpy() for c in REPORT_COUNTS}
        self.keys = week["row_key"].to_numpy()
        self.bounds = np.searchsorted(uidx, np.arange(len(uf) + 1))
        self.names = uf["unit_name"].tolist()
        self.kinds = uf["unit_kind"].tolist()
        self.bases = uf["base_name"].tolist()

    def rows(self, ui: int) -> tuple[int, int]:
        return int(self.bounds[ui]), int(self.bounds[ui + 1])

    def sheet(self, ui: int, lo: int, hi: int) -> tuple[Sheet, int]:
        """Unit ``ui``'s workbook of rows ``lo:hi`` and the sheet row of its first day."""
        header = dv.UNIT_REPORT_HEADERS_VI
        lastc = col_letter(len(header) - 1)
        n = hi - lo
        prefix = "CÔNG AN PHƯỜNG" if self.kinds[ui] == "phuong" else "CÔNG AN XÃ"
        top: list[list[object]] = [
            ["CÔNG AN THÀNH PHỐ HÀ NỘI", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
            [f"{prefix} {self.bases[ui].upper()}", None, None, "Độc lập - Tự do - Hạnh phúc"],
            [],
            ["BÁO CÁO KẾT QUẢ RÀ SOÁT, LÀM SẠCH DỮ LIỆU ĐĂNG KÝ XE, GIẤY PHÉP LÁI XE"],
            [f"(Thực hiện Kế hoạch số 375/KH-CAHN, từ ngày {self.first} đến ngày {self.last})"],
            [],
        ]
        hdr_row = len(top) + 1
        total_row = hdr_row + n + 1
        totals = ["Tổng cộng", None, None] + [int(self.sums[c][lo:hi].sum()) for c in REPORT_COUNTS]
        sheet = Sheet(
            name="Bao cao",
            top=top,
            top_styles=[STYLE_TITLE] * len(top),
            header=header,
            columns=[
                list(range(1, n + 1)),
                self.serial[lo:hi],
                [self.names[ui]] * n,
                *[self.counts[c][lo:hi] for c in REPORT_COUNTS],
            ],
            column_kinds=["int", "date", "text", "mixed", "mixed", "mixed", "mixed"],
            bottom=[totals],
            merges=[
                "A1:C1",
                f"D1:{lastc}1",
                "A2:C2",
                f"D2:{lastc}2",
                f"A4:{lastc}4",
                f"A5:{lastc}5",
                f"A{total_row}:C{total_row}",
            ],
            widths=[6, 14, 24, 16, 16, 16, 18],
        )
        return sheet, hdr_row + 1


def _combined(writer, week, uf, delivery, first, last) -> None:
    codes = uf["unit_code"].to_numpy()[week["unit_idx"].to_numpy()]
    data = pd.DataFrame(
        {
            "STT": np.arange(1, len(week) + 1),
            "report_date": format_dates(
                week["report_date"].to_numpy().astype("datetime64[D]"), DMY
            ),
            "unit_code": codes,
            **{c: week[f"d_{c}"].to_numpy() for c in REPORT_COUNTS},
        }
    )
    header = ["STT", "report_date", "Mã đơn vị", *REPORT_COUNTS]
    lastc = col_letter(len(header) - 1)
    top = [
        ["CÔNG AN THÀNH PHỐ HÀ NỘI"],
        ["PHÒNG CẢNH SÁT GIAO THÔNG"],
        [],
        ["TỔNG HỢP BÁO CÁO NGÀY CỦA CÔNG AN CÁC XÃ, PHƯỜNG"],
        [f"(Từ ngày {first} đến ngày {last})"],
        [],
    ]
    hdr = len(top) + 1
    total_row = hdr + len(week) + 1
    sheet = Sheet(
        name="Tong hop",
        top=top,
        top_styles=[STYLE_TITLE] * len(top),
        header=header,
        data=data,
        kinds={
            "STT": "int",
            "report_date": "text",
            "unit_code": "text",
            **{c: "mixed" for c in REPORT_COUNTS},
        },
        bottom=[["Tổng cộng", None, None] + [int(week[c].sum()) for c in REPORT_COUNTS]],
        merges=[
            f"A1:{lastc}1",
            f"A2:{lastc}2",
            f"A4:{lastc}4",
            f"A5:{lastc}5",
            f"A{total_row}:C{total_row}",
        ],
        widths=[6, 14, 12, 18, 18, 18, 18],
    )
    rel = f"{delivery}/unit_reports/tong-hop-{delivery}.xlsx"
    write_workbook(writer.out / rel, [sheet])
    writer.record("unit_reports", rel, week["row_key"].to_numpy(), hdr + 1)


# ---------------------------------------------------------------- organisations
ORG_FAULTS = {  # extra rows; each a copy of a real organisation with one fault
    "blank_org_name": ("org_name", "missing_required"),
    "unknown_unit": ("unit_code", "unknown_unit"),
    "invalid_org_type": ("org_type", "invalid_enum"),
    "text_vehicles_counted": ("vehicles_counted", "invalid_number"),
}
ORG_FAULT_RATE = 0.004  # per kind, of organisations (at least one row each)


def org_rows(rng, orgs: pd.DataFrame, units: wd.Units, faults: Faults) -> pd.DataFrame:
    """Organisation rows (real ones, then the faulty extra rows), with fault labels."""
    rows = orgs.copy()
    rows["fault"] = None
    rows["fault"] = rows["fault"].astype(object)
    rows["d_unit_code"] = wd.spell_units(rng, units, rows["unit_idx"].to_numpy())
    rows["d_org_name"] = rows["org_name"]
    rows["d_org_id"] = rows["org_id"]
    rows["d_counted_text"] = None
    rows["d_org_type_raw"] = None
    n = len(orgs)
    extra = []
    unknown = wd.unknown_unit_names()
    next_tax = 0
    for k in ORG_FAULTS:
        c = max(int(round(ORG_FAULT_RATE * n)), 1)
        src = rows.iloc[rng.choice(n, c, replace=False)].copy()
        src["fault"] = k
        ids = cat("0199", zfill_text(np.arange(next_tax, next_tax + c), 6))
        next_tax += c
        src["d_org_id"] = ids
        src["org_id"] = ids
        if k == "blank_org_name":
            src["d_org_name"] = ""
        elif k == "unknown_unit":
            src["d_unit_code"] = unknown[rng.integers(0, len(unknown), c)]
        elif k == "invalid_org_type":
            src["d_org_type_raw"] = "Không xác định"
        elif k == "text_vehicles_counted":
            src["d_counted_text"] = "khoảng 20"
            src["counted_on"] = np.datetime64("2025-11-14")
        extra.append(src)
    rows = pd.concat([rows] + extra, ignore_index=True)
    # the faulty rows sit among the others, as a unit would have typed them
    rows["_pos"] = np.concatenate([np.arange(n, dtype=float), rng.uniform(0, n, len(rows) - n)])
    rows = rows.sort_values("_pos", kind="stable", ignore_index=True).drop(columns="_pos")
    rows["row_key"] = np.arange(len(rows), dtype=np.int64)
    for k, (col, reason) in ORG_FAULTS.items():
        m = (rows["fault"] == k).to_numpy()
        delivered = {
            "org_name": rows["d_org_name"],
            "unit_code": rows["d_unit_code"],
            "org_type": rows["d_org_type_raw"],
            "vehicles_counted": rows["d_counted_text"],
            "org_id": rows["d_org_id"],
        }[col].to_numpy(dtype=object)[m]
        faults.add(
            "organizations",
            rows["row_key"].to_numpy()[m],
            col,
            k,
            delivered,
            None,
            "rejected",
            reason,
        )
    return rows


def org_frame(rows: pd.DataFrame, delivery: str, lang: str) -> pd.DataFrame:
    """The organisations table as known on a delivery's last day."""
    d = np.datetime64(delivery)

    def upto(col):
        v = rows[col].to_numpy()
        return ~np.isnat(v) & (v <= d)

    dispatch = np.where(
        upto("dispatch_on"),
        format_dates(
            np.where(np.isnat(rows["dispatch_on"].to_numpy()), d, rows["dispatch_on"].to_numpy()),
            DMY,
        ),
        "",
    )
    worked = np.where(upto("worked_on"), "yes", "no").astype(object)
    counted = np.where(upto("counted_on"), rows["vehicles_counted"].astype(str), "").astype(object)
    declared = np.where(upto("declared_on"), rows["vehicles_declared"].astype(str), "").astype(
        object
    )
    ct = rows["d_counted_text"].to_numpy(dtype=object)
    counted = np.where(pd.notna(ct), ct, counted)
    org_type = dv.enum(rows["org_type"].to_numpy(dtype=object), "org_type", lang)
    raw = rows["d_org_type_raw"].to_numpy(dtype=object)
    org_type = np.where(pd.notna(raw), raw, org_type)
    return pd.DataFrame(
        {
            "org_id": rows["d_org_id"].to_numpy(dtype=object),
            "org_name": rows["d_org_name"].to_numpy(dtype=object),
            "org_type": org_type,
            "unit_code": rows["d_unit_code"].to_numpy(dtype=object),
            "dispatch_sent_on": dispatch,
            "worked_directly": dv.enum(worked, "worked_directly", lang),
            "vehicles_counted": counted,
            "vehicles_declared": declared,
        }
    )
