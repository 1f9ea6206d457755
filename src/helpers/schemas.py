"""The contract between stages as code: one schema per processed table.

Each table lists its columns with a type family (text, int, number, bool, date, timestamp,
list) and whether it may hold nulls (``!`` = never null). ``store.save``, ``store.load``,
ingest's writer and reconcile's DuckDB writer check it, so a wrong, missing or unexpected
column fails where it is written, naming the table and the column; docs/architecture.md lists
the same columns (a test checks both agree). Tables read from raw files (``raw``) also carry
``source_file``/``source_row`` and keep any extra column of the delivery as text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from helpers import PipelineError
from helpers.statuses import DIFFICULT_GROUPS, LICENCE_STATUSES, VEHICLE_STATUSES

FAMILIES = ("text", "int", "number", "bool", "date", "timestamp", "list")


class ContractError(PipelineError):
    """A processed table does not match its contract (names the table and the column)."""


@dataclass(frozen=True)
class Column:
    name: str
    family: str
    nullable: bool


@dataclass(frozen=True)
class Contract:
    name: str
    columns: tuple[Column, ...]
    raw: bool = False  # read from raw files: source columns and the delivery's extra columns

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _difficult_group_columns() -> str:
    """unit_progress: records and resolved records of every difficult group, per kind."""
    out = []
    for prefix, statuses in (("veh", VEHICLE_STATUSES), ("lic", LICENCE_STATUSES)):
        for status in (s for s in statuses if s in DIFFICULT_GROUPS):
            out += [f"{prefix}_group_{status}:int", f"{prefix}_resolved_{status}:int"]
    return " ".join(out)


def _contract(spec: str, *, raw: bool = False, more: str = "") -> Contract:
    columns = []
    for token in (spec + " " + more).split():
        name, family = token.split(":")
        assert family in FAMILIES, token
        columns.append(Column(name.rstrip("!"), family, not name.endswith("!")))
    if raw:
        columns += [Column("source_file", "text", False), Column("source_row", "int", False)]
    return Contract("", tuple(columns), raw)


_SPECS = {
    "city_progress": _contract(
        """
        kind!:text assigned:int submitted:int approved:int cleaned:int share_cleaned:number
        share_submitted:number gain_week:int gain_prev_week:int period_start:date
        period_days:int rate_7d:number
        required_rate:number projected_finish:date days_late:int on_track:bool days_left:int
        days_overdue:int
        units_on_track:int units_at_risk:int units_off_track:int units_finished:int
        units_not_finished:int pending:int
        oldest_pending_days:int submissions_total:int submissions_week:int difficult:int
        target:int remaining:int units_kind_on_track:int cleanable:int
        share_cleaned_cleanable:number difficult_resolved:int difficult_open:int
        compared:int share_compared:number units_compared:int units_with_records:int
        unit_share_compared_min:number unit_share_compared_max:number gain_change:int
        gain_change_share:number cleaned_before_start:int units_conduct:int
        backlog_submissions:int
        """
    ),
    "commitments": _contract(
        """
        unit_code!:text measure!:text target!:number by_date!:date given_on!:date
        commitment_text:text
        """,
        raw=True,
    ),
    "commitment_status": _contract(
        """
        unit_code!:text unit_name!:text measure!:text direction!:text unit!:text
        target!:number by_date!:date given_on!:date commitment_text:text
        value_given:number value_given_told:number value_now:number value_by:number
        pace_per_day:number projected:number days_left!:int status!:text order!:int
        """
    ),
    "daily_series": _contract(
        """
        date!:date kind!:text submitted_day:int submitted_cum:int approved_day:int
        approved_cum:int cleaned_day:int cleaned_cum:int target_cum:number
        """
    ),
    "followup": _contract(
        """
        week_prev!:date prev_recomputed!:bool subject!:text kind!:text unit_code:text
        unit_name:text rank_then:int rank_now:int share_then:number share_now:number
        share_gain:number city_median_gain:number laggard_now:bool leader_now:bool
        improved:bool named_for:text conduct_rules_then:list named_in_row:int outcome!:text
        cleaned_then:int cleaned_then_now:int cleaned_now:int
        target_remaining_then:int required_rate_then:number cleaned_needed:int
        cleaned_since:int rate_achieved:number days:int
        """
    ),
    "final_figures": _contract(
        """
        order!:int measure!:text kind:text counts!:text value!:number total:number
        share:number deadline!:date days_overdue!:int
        """
    ),
    "final_handover": _contract(
        """
        unit_code!:text unit_name!:text kind!:text group!:text records!:int open!:int
        """
    ),
    "final_units": _contract(
        """
        unit_code!:text unit_name!:text rank:int veh_assigned!:int veh_cleanable!:int
        veh_cleaned!:int veh_difficult!:int veh_difficult_open!:int veh_share_cleaned:number
        veh_share_cleaned_cleanable:number lic_assigned!:int lic_cleanable!:int
        lic_cleaned!:int lic_difficult!:int lic_difficult_open!:int lic_share_cleaned:number
        lic_share_cleaned_cleanable:number difficult!:int difficult_open!:int finished!:bool
        finished_on:date outcome!:text records_left!:int standing:text is_leader:bool
        weeks_named!:int
        weeks_named_conduct!:int weeks_reported!:int
        """
    ),
    "final_verdicts": _contract(
        """
        unit_code!:text unit_name!:text verdict!:text position!:int rules:list
        reason_vi:text reason_en:text
        """
    ),
    "group_progress": _contract(
        """
        kind!:text group!:text records:int resolved:int open:int share_resolved:number
        target:int remaining:int units_with_open:int unit_most_open:text
        unit_most_open_count:int
        """
    ),
    "laggards": _contract(
        """
        unit_code!:text unit_name!:text rank:int veh_share_cleaned:number
        veh_share_cleaned_cleanable:number breaks_progress:bool breaks_conduct:bool
        rules:list reason_vi:text reason_en:text
        """
    ),
    "leaders": _contract(
        """
        unit_code!:text unit_name!:text category!:text measure!:text position!:int
        value:number reason_vi:text reason_en:text
        """
    ),
    "licence_status": _contract(
        """
        record_id!:text unit_code!:text licence_no:text licence_class:text status!:text
        flags:list submission_id:text n_submissions:int first_submitted_at:timestamp
        last_submitted_at:timestamp review_status:text reviewed_at:timestamp
        identity_result:text identity_confidence:number name_check:text dob_check:text
        holder_id_kind:text population_unit_code:text holder_name:text holder_id:text
        holder_dob:date holder_dob_year:int status_reason:text status_reason_vi:text
        """
    ),
    "org_summary": _contract(
        """
        org_type!:text orgs:int dispatches_sent:int worked_directly:int vehicles_counted:int
        vehicles_declared:int orgs_both:int counted_both:int declared_both:int
        """
    ),
    "organizations": _contract(
        """
        org_id!:text org_name:text org_type!:text unit_code!:text dispatch_sent_on:date
        worked_directly:bool vehicles_counted:int vehicles_declared:int
        """,
        raw=True,
    ),
    "population": _contract(
        """
        citizen_id:text full_name:text full_name_key:text dob:date dob_year:int gender:text
        unit_code!:text status!:text
        """,
        raw=True,
    ),
    "conference_gains": _contract(
        """
        week:date kind!:text period_start:date period_end!:date cleaned!:int cleaned_told:int
        recomputed!:bool revised!:bool
        """
    ),
    "rank_history": _contract(
        """
        week!:date unit_code!:text unit_name!:text rank!:int share_cleaned:number
        standing!:text is_laggard!:bool named_progress!:bool named_conduct!:bool
        is_leader!:bool recomputed!:bool
        """
    ),
    "registry_licences": _contract(
        """
        record_id!:text unit_code!:text licence_no:text licence_class:text holder_name:text
        holder_name_key:text holder_id:text holder_id_kind:text holder_id_repaired:bool
        holder_dob:date holder_dob_year:int issued_on:date expires_on:date
        """,
        raw=True,
    ),
    "registry_vehicles": _contract(
        """
        record_id!:text unit_code!:text plate:text plate_key:text vehicle_type:text
        chassis_no:text chassis_key:text engine_no:text registered_on:date owner_kind:text
        owner_name:text owner_name_key:text owner_id:text owner_id_kind:text
        owner_id_repaired:bool owner_dob:date owner_dob_year:int owner_address:text
        """,
        raw=True,
    ),
    "rejects": _contract(
        """
        source!:text source_file:text source_row:int column!:text value:text
        reason_code!:text reason:text reason_vi:text other_file:text other_row:int
        """
    ),
    "submission_links": _contract(
        """
        submission_id!:text kind!:text unit_code!:text record_id:text record_unit_code:text
        link_method:text is_duplicate:bool superseded_by:text link_reason:text
        candidates:list submitted_at!:timestamp review_status!:text reviewed_at:timestamp
        declared_status:text counts_this_week:bool
        """
    ),
    "submissions": _contract(
        """
        submission_id!:text submitted_at!:timestamp kind!:text citizen_id:text
        citizen_id_kind:text full_name:text full_name_key:text dob:date dob_year:int
        phone:text plate:text plate_key:text chassis_no:text chassis_key:text
        declared_status:text licence_no:text unit_code!:text review_status!:text
        reviewed_at:timestamp reject_reason:text
        """,
        raw=True,
    ),
    "talking_points": _contract(
        """
        lang!:text order!:int text!:text
        """
    ),
    "unit_daily": _contract(
        """
        unit_code!:text kind!:text date!:date submitted_day:int approved_day:int
        cleaned_day:int
        """
    ),
    "unit_progress": _contract(
        """
        unit_code!:text unit_name!:text unit_kind:text veh_assigned:int veh_submitted:int
        veh_approved:int veh_cleaned:int veh_pending:int veh_rejected:int
        veh_not_submitted:int veh_difficult:int veh_difficult_resolved:int veh_compared:int
        veh_share_cleaned:number veh_share_submitted:number veh_cleanable:int
        veh_share_cleaned_cleanable:number veh_share_compared:number veh_difficult_open:int
        veh_gain_week:int veh_gain_prev_week:int veh_share_cleaned_prev:number
        veh_share_cleaned_cleanable_prev:number veh_rate_7d:number veh_target:int
        veh_remaining:int veh_required_rate:number veh_projected_finish:date
        veh_days_late:int veh_on_track:bool lic_assigned:int lic_submitted:int
        lic_approved:int lic_cleaned:int lic_pending:int lic_rejected:int
        lic_not_submitted:int lic_difficult:int lic_difficult_resolved:int lic_compared:int
        lic_share_cleaned:number lic_share_submitted:number lic_cleanable:int
        lic_share_cleaned_cleanable:number lic_share_compared:number lic_difficult_open:int
        lic_gain_week:int lic_gain_prev_week:int lic_share_cleaned_prev:number
        lic_share_cleaned_cleanable_prev:number lic_rate_7d:number lic_target:int
        lic_remaining:int lic_required_rate:number lic_projected_finish:date
        lic_days_late:int lic_on_track:bool veh_city_projected_finish:date
        veh_days_after_city:int lic_city_projected_finish:date lic_days_after_city:int
        backlog_pending:int backlog_median_lag_days:number backlog_oldest_days:int rank:int
        rank_prev:int rank_change:int self_report_reported:int self_report_system:int
        self_report_ratio:number self_report_overstated:bool
        self_report_reported_vehicles_collected:int
        self_report_system_vehicles_collected:int
        self_report_overstated_vehicles_collected:bool
        self_report_reported_vehicles_approved:int self_report_system_vehicles_approved:int
        self_report_overstated_vehicles_approved:bool
        self_report_reported_licences_collected:int
        self_report_system_licences_collected:int
        self_report_overstated_licences_collected:bool
        self_report_reported_licences_cleaned:int self_report_system_licences_cleaned:int
        self_report_overstated_licences_cleaned:bool org_count:int org_dispatches:int
        org_worked_directly:int org_vehicles_counted:int org_vehicles_declared:int
        breaks_progress:bool breaks_conduct:bool is_laggard:bool veh_standing:text
        lic_standing:text standing:text is_leader:bool
        """,
        more=_difficult_group_columns(),
    ),
    "unit_reports": _contract(
        """
        report_date!:date unit_code!:text vehicles_collected:int vehicles_approved:int
        licences_collected:int licences_cleaned:int
        """,
        raw=True,
    ),
    "unit_self_report_check": _contract(
        """
        report_date!:date unit_code!:text has_report:bool reported_vehicles_collected:int
        system_vehicles_collected:int reported_vehicles_approved:int
        system_vehicles_approved:int reported_licences_collected:int
        system_licences_collected:int reported_licences_cleaned:int
        system_licences_cleaned:int overstated_vehicles_collected:bool
        overstated_vehicles_approved:bool overstated_licences_collected:bool
        overstated_licences_cleaned:bool reported_total:int system_total:int ratio:number
        overstated:bool
        """
    ),
    "vehicle_status": _contract(
        """
        record_id!:text unit_code!:text vehicle_type:text owner_kind:text status!:text
        flags:list submission_id:text n_submissions:int first_submitted_at:timestamp
        last_submitted_at:timestamp review_status:text reviewed_at:timestamp
        declared_status:text identity_result:text identity_confidence:number name_check:text
        dob_check:text owner_id_kind:text population_unit_code:text plate:text
        owner_name:text owner_id:text owner_address:text status_reason:text
        status_reason_vi:text
        """
    ),
}

CONTRACTS: dict[str, Contract] = {
    name: Contract(name, spec.columns, spec.raw) for name, spec in _SPECS.items()
}


def family_of(kind: pa.DataType) -> str | None:
    """The contract family of an Arrow type; None for an all-null column (fits any)."""
    if pa.types.is_null(kind):
        return None
    if pa.types.is_dictionary(kind):
        return family_of(kind.value_type)
    checks = (
        ("text", pa.types.is_string),
        ("text", pa.types.is_large_string),
        ("bool", pa.types.is_boolean),
        ("int", pa.types.is_integer),
        ("number", pa.types.is_floating),
        ("number", pa.types.is_decimal),
        ("date", pa.types.is_date),
        ("timestamp", pa.types.is_timestamp),
        ("list", pa.types.is_list),
        ("list", pa.types.is_large_list),
    )
    return next((family for family, test in checks if test(kind)), str(kind))


def check_schema(
    name: str, schema: pa.Schema, *, where: object = "", partial: bool = False
) -> None:
    """Raise :class:`ContractError` when ``schema`` breaks table ``name``'s contract.

    ``partial`` (hand-made tables in tests, a subset of columns read back) skips the check
    that every column is there; a column that is there must still be of its family.
    """
    contract = CONTRACTS.get(name)
    if contract is None:
        return  # a table outside the pipeline's contract (scratch tables, tests)
    at = f" ({where})" if where else ""
    names = set(schema.names)
    missing = [c.name for c in contract.columns if c.name not in names]
    if missing and not partial:
        raise ContractError(f"table '{name}'{at}: column(s) missing: {', '.join(missing)}")
    for field in schema:
        column = contract.column(field.name)
        found = family_of(field.type)
        if column is None:
            if contract.raw and found in ("text", None):
                continue  # a delivery's own extra column, kept as text
            raise ContractError(
                f"table '{name}'{at}: column '{field.name}' is not in its contract "
                "(helpers/schemas.py); add it there and to docs/architecture.md"
            )
        if (
            found is not None
            and found != column.family
            and (found, column.family)
            != (
                "int",
                "number",  # whole numbers are numbers
            )
        ):
            raise ContractError(
                f"table '{name}'{at}: column '{field.name}' holds {field.type} "
                f"({found}), the contract says {column.family}"
            )


def check_nulls(name: str, null_counts: dict[str, int], *, where: object = "") -> None:
    """Raise when a column the contract says is never null holds nulls."""
    contract = CONTRACTS.get(name)
    if contract is None:
        return
    at = f" ({where})" if where else ""
    for column in contract.columns:
        if not column.nullable and null_counts.get(column.name, 0):
            raise ContractError(
                f"table '{name}'{at}: column '{column.name}' holds "
                f"{null_counts[column.name]} null value(s); it may hold none"
            )


def check_table(name: str, table: pa.Table, *, where: object = "", partial: bool = False) -> None:
    check_schema(name, table.schema, where=where, partial=partial)
    check_nulls(name, {f.name: table.column(f.name).null_count for f in table.schema}, where=where)


def check_file(name: str, path, *, partial: bool = False) -> None:
    """Check a Parquet file's schema, and its null counts from the file's own statistics."""
    meta = pq.ParquetFile(path).metadata
    check_schema(name, meta.schema.to_arrow_schema(), where=path, partial=partial)
    nulls: dict[str, int] = {}
    for group in range(meta.num_row_groups):
        rows = meta.row_group(group)
        for index in range(rows.num_columns):
            chunk = rows.column(index)
            stats = chunk.statistics
            if stats is not None and stats.has_null_count:
                top = chunk.path_in_schema.split(".")[0]
                nulls[top] = nulls.get(top, 0) + stats.null_count
    check_nulls(name, nulls, where=path)


# the pandas dtype an empty column of each family takes (nullable ints and bools stay so)
_EMPTY = {
    "text": "object",
    "int": "Int64",
    "number": "float64",
    "bool": "boolean",
    "date": "object",
    "timestamp": "datetime64[us]",
    "list": "object",
}


def complete(name: str, frame):
    """A hand-made table (tests, notebooks' what-ifs) with every column of its contract: the
    columns it lacks are added empty (null), typed as the contract says. Pure: a new frame."""
    import pandas as pd

    contract = CONTRACTS[name]
    out = frame.copy()
    for column in contract.columns:
        if column.name not in out.columns:
            # a column that may hold no null gets its family's zero ("", 0, False)
            fill = None if column.nullable else _ZERO.get(column.family)
            out[column.name] = pd.Series(
                [fill] * len(out), index=out.index, dtype=_EMPTY[column.family]
            )
    return out


_ZERO = {"text": "", "int": 0, "number": 0.0, "bool": False}

_ARROW = {
    "text": pa.string(),
    "int": pa.int64(),
    "number": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "list": pa.list_(pa.string()),
}


def empty_table(name: str) -> pa.Table:
    """Table ``name`` with no rows: every column of its contract, typed (an optional source
    no delivery holds yet)."""
    columns = CONTRACTS[name].columns
    return pa.Table.from_pylist(
        [], schema=pa.schema([pa.field(c.name, _ARROW[c.family]) for c in columns])
    )
