"""Views for the notebook and later stages: the week's reconcile tables turned into small
per-unit and city tables (counts by status, a few masked examples, the link summary).

Reads the reconcile tables of ``data/processed/<week>/``; writes nothing. Personal data never
leaves :func:`difficult_examples` unmasked.
"""

from __future__ import annotations

import pandas as pd

from helpers import DeliveryError, store
from helpers.i18n import labels, t
from helpers.paths import Workspace
from helpers.privacy import mask_id
from helpers.sqltext import ident, literal
from helpers.statuses import DIFFICULT_GROUPS, LICENCE_STATUSES, VEHICLE_STATUSES
from helpers.units import official_units


def status_counts(ws: Workspace, week: str, kind: str) -> pd.DataFrame:
    """Long table ``unit_code``, ``status``, ``records`` from the week's status table."""
    name = {"vehicle": "vehicle_status", "licence": "licence_status"}[kind]
    path = store.table_path(ws, name, week)
    if not path.is_file():
        raise DeliveryError(f"{name} for week {week} not found ({path}); run reconcile first")
    con = store.duckdb_connect()
    try:
        return con.execute(
            "SELECT unit_code, status, count(*) AS records FROM read_parquet(?) "
            "GROUP BY ALL ORDER BY ALL",
            [str(path)],
        ).df()
    finally:
        con.close()


def status_table(counts: pd.DataFrame, kind: str, lang: str | None = None) -> pd.DataFrame:
    """Units x statuses (126 rows, every status a column in precedence order) plus ``total``.

    With ``lang``, the status columns carry their catalogue labels (for display).
    """
    order = list(VEHICLE_STATUSES if kind == "vehicle" else LICENCE_STATUSES)
    wide = counts.pivot_table(
        index="unit_code", columns="status", values="records", aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(columns=order, fill_value=0)
    units = official_units()[["unit_code", "unit_name"]]
    out = units.merge(wide.reset_index(), on="unit_code", how="left")
    out[order] = out[order].fillna(0).astype("int64")
    out["total"] = out[order].sum(axis=1)
    out.columns.name = None
    if lang:
        out = out.rename(columns={**labels("status", lang), "total": t("reconcile.total", lang)})
    return out


def city_status_table(counts: pd.DataFrame, kind: str, lang: str | None = None) -> pd.DataFrame:
    """One row per status (precedence order): ``status``, ``records``, ``share``, ``difficult``.

    With ``lang``, a ``label`` column carries the status's catalogue label (for display).
    """
    order = list(VEHICLE_STATUSES if kind == "vehicle" else LICENCE_STATUSES)
    totals = counts.groupby("status")["records"].sum().reindex(order, fill_value=0)
    out = totals.rename("records").rename_axis("status").reset_index()
    total = out["records"].sum()
    out["share"] = out["records"] / total if total else 0.0
    out["difficult"] = out["status"].isin(DIFFICULT_GROUPS)
    if lang:
        out.insert(1, "label", out["status"].map(labels("status", lang)))
    return out


def difficult_examples(
    ws: Workspace, week: str, kind: str, per_group: int = 3, lang: str | None = None
) -> pd.DataFrame:
    """A few records of each difficult group, personal data masked (IDs as ``001*******45``).

    Only codes and masked IDs leave this function: no names, plates, phones or addresses.
    The sample is stable (ordered by a hash of ``record_id``), so reruns show the same rows.
    """
    name = {"vehicle": "vehicle_status", "licence": "licence_status"}[kind]
    id_col = "owner_id" if kind == "vehicle" else "holder_id"
    path = store.table_path(ws, name, week)
    groups = ", ".join(literal(g) for g in sorted(DIFFICULT_GROUPS))
    con = store.duckdb_connect()
    try:
        rows = con.execute(
            f"SELECT status, unit_code, record_id, {ident(id_col)} AS person_id, identity_result, "
            f"identity_confidence, flags FROM read_parquet({literal(path)}) "
            f"WHERE status IN ({groups}) "
            f"QUALIFY row_number() OVER (PARTITION BY status ORDER BY hash(record_id)) <= "
            f"{int(per_group)} ORDER BY status, unit_code, record_id"
        ).df()
    finally:
        con.close()
    rows["person_id"] = mask_id(rows["person_id"])
    rows["flags"] = rows["flags"].map(lambda f: ", ".join(f) if f is not None else "")
    if lang:
        rows.insert(1, "label", rows["status"].map(labels("status", lang)))
        rows["identity_result"] = rows["identity_result"].map(labels("identity", lang))
    return rows


def link_summary(ws: Workspace, week: str, lang: str | None = None) -> pd.DataFrame:
    """Submissions by kind, link method and reason, with duplicates counted apart.

    With ``lang``, methods and reasons carry their catalogue labels (for display).
    """
    path = store.table_path(ws, "submission_links", week)
    con = store.duckdb_connect()
    try:
        out = con.execute(
            "SELECT kind, link_method, link_reason, count(*) AS submissions, "
            "count(*) FILTER (WHERE is_duplicate) AS duplicates "
            "FROM read_parquet(?) GROUP BY ALL ORDER BY ALL",
            [str(path)],
        ).df()
    finally:
        con.close()
    if lang:
        out["link_method"] = out["link_method"].map(labels("reconcile.link_method_label", lang))
        out["link_reason"] = out["link_reason"].map(labels("reconcile.link_reason", lang))
    return out
