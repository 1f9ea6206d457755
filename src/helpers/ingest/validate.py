"""Validation: a source's data rows -> typed accepted rows and rejects (one per problem),
by the rules of docs/rules.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers import headers, i18n, normalize
from helpers.config import load_plan
from helpers.ingest.rawfile import TEXT_TYPES, RawFile, release_memory
from helpers.ingest.sources import COLUMNS, NATURAL_KEYS, REQUIRED_COLUMNS
from helpers.normalize.arrow import to_arrow
from helpers.statuses import COMMITMENT_MEASURES, REJECT_REASONS
from helpers.units import resolve_unit_cells

# ---------------------------------------------------------------- validating one file


class _Problems:
    """Collects (row, column, reason) problems of one source's rows; one reject row each.

    Also caches every column's cleaned text, so each column is cleaned once, and lets a
    column's raw and cleaned text go once its checks are done (:meth:`release`).
    """

    def __init__(self, rows: pd.DataFrame) -> None:
        self.rows = rows
        self.bad = np.zeros(len(rows), dtype=bool)
        self.parts: list[pd.DataFrame] = []
        self._text: dict[str, pd.Series] = {}
        self._released: set[str] = set()
        self.notes: dict[str, np.ndarray] = {}  # accepted-as-adjusted rows, per kind of note

    def release(self, *columns: str) -> None:
        """Drop these columns' raw text (from the rows, which validation owns: see
        :func:`combine`) and their cleaned text: their typed values are made and every reject
        on them has taken its value. The city registry's raw text no longer sits beside its
        whole typed table (about 1 GB less at the validation's peak)."""
        for column in columns:
            self._text.pop(column, None)
            if column in self.rows:
                del self.rows[column]
            self._released.add(column)
        release_memory()

    def note(self, kind: str, mask: np.ndarray) -> None:
        """Rows kept but adjusted (counted per file in the ledger, never rejected)."""
        self.notes[kind] = np.asarray(mask, dtype=bool)

    def text(self, column: str) -> pd.Series:
        assert column not in self._released, column
        if column not in self._text:
            self._text[column] = normalize.clean_text_series(self.rows[column])
            release_memory()  # the scan's temporaries, before the next column's
        return self._text[column]

    def blank(self, column: str) -> np.ndarray:
        return self.text(column).isna().to_numpy()

    def add(
        self,
        mask: np.ndarray | pd.Series,
        column: str,
        reason: str,
        other: np.ndarray | None = None,
        values: np.ndarray | None = None,
    ) -> None:
        """Reject the ``mask`` rows; ``other`` (row positions, one per masked row) names the
        row each one repeats or contradicts; ``values`` (one per row) replaces the cell shown
        as the reject's value."""
        assert reason in REJECT_REASONS, reason
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        where = np.flatnonzero(mask)
        # a reject's value is taken from the raw text: never after that text was let go
        assert values is not None or column not in self._released, column
        if values is not None:
            value = np.asarray(values, dtype=object)[where]
        elif column in self.rows:
            value = self.rows[column].iloc[where].to_numpy(dtype=object)
        else:
            value = np.full(len(where), None, dtype=object)
        part = {
            "source_file": self.rows["source_file"].iloc[where].to_numpy(),
            "source_row": self.rows["source_row"].iloc[where].to_numpy(),
            "column": column,
            "value": value,
            "reason_code": reason,
        }
        if other is not None:
            part["other_file"] = self.rows["source_file"].iloc[other].astype("str").to_numpy()
            part["other_row"] = self.rows["source_row"].iloc[other].to_numpy()
        self.parts.append(pd.DataFrame(part))

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(
                {
                    "source_file": pd.Series([], dtype="str"),
                    "source_row": pd.Series([], dtype="int64"),
                    "column": pd.Series([], dtype="str"),
                    "value": pd.Series([], dtype="str"),
                    "reason_code": pd.Series([], dtype="str"),
                    "other_file": pd.Series([], dtype="str"),
                    "other_row": pd.Series([], dtype="Int64"),
                }
            )
        out = pd.concat(self.parts, ignore_index=True)
        for column, dtype in (("other_file", "str"), ("other_row", "Int64")):
            out[column] = (
                out[column].astype(dtype)
                if column in out
                else pd.Series(pd.NA, index=out.index, dtype=dtype)
            )
        value = out["value"].astype("str")
        out["value"] = value.mask(value.str.strip() == "")  # a blank is missing, not ''
        out["source_file"] = out["source_file"].astype("str")
        return out.sort_values(["source_file", "source_row"], kind="stable", ignore_index=True)


def _required(p: _Problems, columns: tuple[str, ...]) -> None:
    for column in columns:
        p.add(p.blank(column), column, "missing_required")


def _unit(p: _Problems, column: str = "unit_code") -> pd.Series:
    """Official unit codes, resolved once per distinct spelling (helpers.units): a code and a
    name that disagree (in one cell, or a unit-name column beside the code) are rejected with
    both named; a draft code no unit holds is read as its unit and noted in the ledger."""
    named = next((c for c in p.rows.columns if c != column and headers.is_unit_name(c)), None)
    cells = resolve_unit_cells(p.text(column), p.text(named) if named else None)
    mismatch = cells["problem"].notna().to_numpy()
    p.add(mismatch, column, "unit_code_name_mismatch", values=cells["detail"].to_numpy())
    p.add(
        cells["unit_code"].isna().to_numpy() & ~mismatch & ~p.blank(column), column, "unknown_unit"
    )
    p.note("draft_unit_code", cells["draft"].to_numpy(dtype=bool))
    return pd.Series(cells["unit_code"].array, index=p.rows.index, dtype="str")


def _enum(p: _Problems, column: str, name: str) -> pd.Series:
    mapped = normalize.enum_series(p.text(column), name)
    p.add(~mapped["valid"].to_numpy(), column, "invalid_enum")
    return mapped["value"]


def _dates(
    p: _Problems,
    column: str,
    as_of: date,
    *,
    year_only: bool = False,
    allow_future: bool = False,
) -> pd.DataFrame:
    parsed = normalize.parse_dates(
        p.text(column), as_of=as_of, year_only=year_only, allow_future=allow_future
    )
    problem = parsed["problem"]
    if problem.notna().any():
        for code in normalize.DATE_PROBLEMS:
            p.add((problem == code).to_numpy(), column, code)
    return parsed


def _date32(values: pd.Series) -> pd.Series:
    days = values.to_numpy().astype("datetime64[D]")
    return pd.Series(
        pd.arrays.ArrowExtensionArray(pa.array(days, type=pa.date32(), from_pandas=True)),
        index=values.index,
    )


def _timestamps(values: pd.Series) -> pd.Series:
    return values.astype("datetime64[us]")


def _count(p: _Problems, column: str) -> pd.Series:
    counted = normalize.count_series(p.text(column))
    p.add(~counted["valid"].to_numpy(), column, "invalid_number")
    return counted["value"]


def _duplicates(p: _Problems, keys: pd.Series, column: str) -> None:
    """Second and later rows of a file with a key an earlier row of that file holds."""
    files = p.rows["source_file"]
    if len(files.cat.categories) > 1:
        repeated = pd.DataFrame({"file": files, "key": keys}).duplicated(keep="first")
        p.add((repeated & keys.notna()).to_numpy(), column, "duplicate_key")
        return
    # one file: hash once, and locate repeats only for the few keys seen more than once
    codes = pa.array(keys).dictionary_encode().indices
    codes = np.asarray(pc.fill_null(codes, -1).to_numpy(zero_copy_only=False))
    counts = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0, np.int64)
    if not len(counts) or counts.max() <= 1:
        release_memory()
        return
    many = np.flatnonzero((codes >= 0) & (counts[np.maximum(codes, 0)] > 1))
    _, first = np.unique(codes[many], return_index=True)
    repeated = np.zeros(len(codes), dtype=bool)
    repeated[many] = True
    repeated[many[first]] = False
    del codes, counts
    release_memory()  # the hash table of every key
    p.add(repeated, column, "duplicate_key")


def _key_codes(key: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row: whether its key is whole, and an exact integer for the key (equal keys, equal
    integers). A one-text-column key (a submission ID) is dictionary-encoded in Arrow: no
    Python string per row (4.9 M submissions: ~1.3 GB and 20 s less than hashing in pandas);
    other keys get pandas' 64-bit hashes of the whole key (no float round trip through NaN)."""
    if key.shape[1] == 1 and isinstance(key.dtypes.iloc[0], pd.StringDtype):
        indices = to_arrow(key.iloc[:, 0]).dictionary_encode().indices
        codes = np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False), np.int64)
        return codes >= 0, codes
    known = key.notna().all(axis=1).to_numpy()
    return known, pd.util.hash_pandas_object(key, index=False).to_numpy()


def _repeats(p: _Problems, typed: pd.DataFrame, keys: tuple[str, ...]) -> dict[int, int]:
    """Rows sharing a natural key across the source's files (docs/rules.md): identical
    repeats -> `duplicate_row` (the first kept), disagreeing ones -> all `conflicting_rows`.

    Only the few rows whose key is repeated are compared. Returns, per file code, the file
    whose rows every data row of it repeats (a workbook delivered twice), when there is one.
    """
    known, key_hash = _key_codes(typed[list(keys)])
    repeated = np.zeros(len(key_hash), dtype=bool)
    repeated[known] = pd.Series(key_hash[known]).duplicated(keep=False).to_numpy()
    if not repeated.any():
        return {}
    rows = np.flatnonzero(repeated)
    content = typed.iloc[rows].drop(columns=["source_file", "source_row"], errors="ignore")
    frame = pd.DataFrame(
        {
            "key": key_hash[rows],
            "content": pd.util.hash_pandas_object(content, index=False).to_numpy(),
            "row": rows,
        }
    )
    group = frame.groupby("key", sort=False)
    first = group["row"].transform("min").to_numpy()
    rank = group.cumcount().to_numpy()  # rows are in file order within each key
    second = frame["key"].map(pd.Series(rows[rank == 1], index=frame["key"][rank == 1])).to_numpy()
    agree = (group["content"].transform("nunique") == 1).to_numpy()
    later = agree & (rows != first)
    column = keys[0]
    dup = np.zeros(len(p.bad), dtype=bool)
    dup[rows[later]] = True
    p.add(dup, column, "duplicate_row", other=first[later])
    clash = np.zeros(len(p.bad), dtype=bool)
    clash[rows[~agree]] = True
    p.add(
        clash,
        column,
        "conflicting_rows",
        other=np.where(rows[~agree] == first[~agree], second[~agree], first[~agree]),
    )
    # a file all of whose data rows repeat rows of one other file: a copy delivered twice
    files = p.rows["source_file"].cat.codes.to_numpy()
    copies: dict[int, int] = {}
    for code in np.unique(files[rows[later]]):
        mine = later & (files[rows] == code)
        sources = np.unique(files[first[mine]])
        if len(sources) == 1 and sources[0] != code and mine.sum() == (files == code).sum():
            copies[int(code)] = int(sources[0])
    return copies


def _vehicles(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    # each column's raw text is let go once its typed values and rejects are made (the rejects
    # in the order they always came: a row's rejects are listed in that order)
    _required(p, REQUIRED_COLUMNS["registry_vehicles"])
    record_id = p.text("record_id")
    _duplicates(p, record_id, "record_id")
    # the vehicle type settles a plate written run together that reads both ways (car/motorbike)
    vehicle_type = normalize.enum_series(p.text("vehicle_type"), "vehicle_type")
    plate = normalize.plate_series(p.text("plate"), vehicle_type=vehicle_type["value"])
    p.add(~plate["valid"].to_numpy() & plate["plate"].notna().to_numpy(), "plate", "invalid_plate")
    p.release("plate")
    owner_kind = _enum(p, "owner_kind", "owner_kind")
    owner = normalize.id_series(p.text("owner_id"), organisation=owner_kind == "organization")
    p.release("owner_kind", "owner_id")
    dob = _dates(p, "owner_dob", as_of, year_only=True)
    p.release("owner_dob")
    registered = _dates(p, "registered_on", as_of)
    p.release("registered_on")
    name = normalize.names_series(p.text("owner_name"))
    p.release("owner_name")
    unit = _unit(p)
    p.release("unit_code")
    p.add(~vehicle_type["valid"].to_numpy(), "vehicle_type", "invalid_enum")  # as _enum does
    p.release("vehicle_type")
    return pd.DataFrame(
        {
            "record_id": record_id,
            "unit_code": unit,
            "plate": plate["plate"],
            "plate_key": plate["plate_key"],
            "vehicle_type": vehicle_type["value"],
            "chassis_no": p.text("chassis_no"),
            "chassis_key": normalize.alnum_key_series(p.text("chassis_no")),
            "engine_no": p.text("engine_no"),
            "registered_on": _date32(registered["value"]),
            "owner_kind": owner_kind,
            "owner_name": name["name"],
            "owner_name_key": name["key"],
            "owner_id": owner["id"],
            "owner_id_kind": owner["kind"],
            "owner_id_repaired": owner["repaired"],
            "owner_dob": _date32(dob["value"]),
            "owner_dob_year": dob["year"],
            "owner_address": p.text("owner_address"),
        }
    )


def _licences(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["registry_licences"])
    record_id = p.text("record_id")
    _duplicates(p, record_id, "record_id")
    licence = normalize.licence_no_series(p.text("licence_no"))
    p.add(~licence["valid"].to_numpy() & ~p.blank("licence_no"), "licence_no", "invalid_licence_no")
    klass = normalize.licence_class_series(p.text("licence_class"))
    p.add(
        ~klass["valid"].to_numpy() & ~p.blank("licence_class"),
        "licence_class",
        "invalid_licence_class",
    )
    holder = normalize.id_series(p.text("holder_id"))
    dob = _dates(p, "holder_dob", as_of, year_only=True)
    issued = _dates(p, "issued_on", as_of)
    expires = _dates(p, "expires_on", as_of, allow_future=True)
    name = normalize.names_series(p.text("holder_name"))
    return pd.DataFrame(
        {
            "record_id": record_id,
            "unit_code": _unit(p),
            "licence_no": licence["licence_no"],
            "licence_class": klass["licence_class"],
            "holder_name": name["name"],
            "holder_name_key": name["key"],
            "holder_id": holder["id"],
            "holder_id_kind": holder["kind"],
            "holder_id_repaired": holder["repaired"],
            "holder_dob": _date32(dob["value"]),
            "holder_dob_year": dob["year"],
            "issued_on": _date32(issued["value"]),
            "expires_on": _date32(expires["value"]),
        }
    )


def _population(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    # raw text let go column by column, rejects in their usual order (as _vehicles)
    _required(p, REQUIRED_COLUMNS["population"])
    citizen = normalize.id_series(p.text("citizen_id"))
    p.add(
        (citizen["kind"] != "cccd").to_numpy() & ~p.blank("citizen_id"), "citizen_id", "invalid_id"
    )
    _duplicates(p, citizen["id"], "citizen_id")
    p.release("citizen_id")
    dob = _dates(p, "dob", as_of, year_only=True)
    p.release("dob")
    name = normalize.names_series(p.text("full_name"))
    p.release("full_name")
    gender = _enum(p, "gender", "gender")
    p.release("gender")
    unit = _unit(p)
    p.release("unit_code")
    status = _enum(p, "status", "population_status")
    p.release("status")
    return pd.DataFrame(
        {
            "citizen_id": citizen["id"],
            "full_name": name["name"],
            "full_name_key": name["key"],
            "dob": _date32(dob["value"]),
            "dob_year": dob["year"],
            "gender": gender,
            "unit_code": unit,
            "status": status,
        }
    )


def _review_in_time(
    p: _Problems,
    submitted: pd.Series,
    reviewed: pd.Series,
    review: pd.Series,
    reason: pd.Series,
    as_of: date,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A review dated after the delivery's last day has not happened in this week: the
    submission is kept as pending (it counts the week the review falls in) and the ledger
    says how many. A review before its submission is impossible: the row is rejected (a
    review given as a bare date may fall on the submission's day)."""
    later = (reviewed >= pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_numpy()
    p.note("reviews_after_delivery", later)
    sub_day, rev_day = submitted.dt.normalize(), reviewed.dt.normalize()
    bare_date = (reviewed == rev_day).to_numpy()
    early = (
        (rev_day < sub_day).to_numpy() | ((reviewed < submitted).to_numpy() & ~bare_date)
    ) & ~later
    p.add(early, "reviewed_at", "reviewed_before_submitted")
    return (
        reviewed.mask(later),
        review.mask(later, "pending"),
        reason.mask(later),
    )


def _submissions(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["submissions"])
    submission_id = p.text("submission_id")
    kind = _enum(p, "kind", "submission_kind")
    plate = normalize.plate_series(p.text("plate"))
    p.add(~plate["valid"].to_numpy() & plate["plate"].notna().to_numpy(), "plate", "invalid_plate")
    chassis = p.text("chassis_no")
    licence = normalize.licence_no_series(p.text("licence_no"))
    p.add(~licence["valid"].to_numpy() & ~p.blank("licence_no"), "licence_no", "invalid_licence_no")
    vehicle = (kind == "vehicle").to_numpy()
    p.add(
        vehicle & plate["plate"].isna().to_numpy() & chassis.isna().to_numpy(),
        "plate",
        "missing_required",
    )
    p.add((kind == "licence").to_numpy() & p.blank("licence_no"), "licence_no", "missing_required")
    citizen = normalize.id_series(p.text("citizen_id"))
    submitted = _dates(p, "submitted_at", as_of)
    reviewed = _dates(p, "reviewed_at", as_of, allow_future=True)
    review = _enum(p, "review_status", "review_status")
    reviewed_at, review, reason = _review_in_time(
        p, submitted["value"], reviewed["value"], review, p.text("reject_reason"), as_of
    )
    dob = _dates(p, "dob", as_of, year_only=True)
    name = normalize.names_series(p.text("full_name"))
    return pd.DataFrame(
        {
            "submission_id": submission_id,
            "submitted_at": _timestamps(submitted["value"]),
            "kind": kind,
            "citizen_id": citizen["id"],
            "citizen_id_kind": citizen["kind"],
            "full_name": name["name"],
            "full_name_key": name["key"],
            "dob": _date32(dob["value"]),
            "dob_year": dob["year"],
            "phone": normalize.phone_series(p.text("phone"))["phone"],
            "plate": plate["plate"],
            "plate_key": plate["plate_key"],
            "chassis_no": chassis,
            "chassis_key": normalize.alnum_key_series(chassis),
            "declared_status": _enum(p, "declared_status", "declared_status"),
            "licence_no": licence["licence_no"],
            "unit_code": _unit(p),
            "review_status": review,
            "reviewed_at": _timestamps(reviewed_at),
            "reject_reason": reason,
        }
    )


def _unit_reports(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["unit_reports"])
    reported = _dates(p, "report_date", as_of)
    return pd.DataFrame(
        {
            "report_date": _date32(reported["value"]),
            "unit_code": _unit(p),
            **{c: _count(p, c) for c in REQUIRED_COLUMNS["unit_reports"][2:]},
        }
    )


def _organisations(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    _required(p, REQUIRED_COLUMNS["organizations"])
    dispatched = _dates(p, "dispatch_sent_on", as_of)
    worked = _enum(p, "worked_directly", "yes_no")
    return pd.DataFrame(
        {
            "org_id": normalize.digits_series(p.text("org_id")),
            "org_name": p.text("org_name"),
            "org_type": _enum(p, "org_type", "org_type"),
            "unit_code": _unit(p),
            "dispatch_sent_on": _date32(dispatched["value"]),
            "worked_directly": worked.map({"yes": True, "no": False}).astype("boolean"),
            "vehicles_counted": _count(p, "vehicles_counted"),
            "vehicles_declared": _count(p, "vehicles_declared"),
        }
    )


def _target(p: _Problems, measure: pd.Series) -> pd.Series:
    """A commitment's target figure: a percentage (1-100, ``95``, ``95,5``, ``95 %``) for a
    share measure, a whole number for a count (``1.200`` = 1200); ``invalid_target`` when it
    is no number, ``target_out_of_range`` when it is out of its measure's range."""
    text = p.text("target")
    pct = measure.map(lambda m: COMMITMENT_MEASURES[m]["unit"] == "pct", na_action="ignore")
    pct = pct.fillna(False).astype(bool).to_numpy()
    decimal = pd.to_numeric(
        text.str.replace("%", "", regex=False).str.replace(",", ".", regex=False).str.strip(),
        errors="coerce",
    ).astype("float64")
    count = normalize.count_series(text)["value"].astype("float64")
    value = pd.Series(np.where(pct, decimal, count), index=text.index)
    known = measure.notna().to_numpy() & text.notna().to_numpy()
    bad = known & value.isna().to_numpy()
    p.add(bad, "target", "invalid_target")
    down = measure.map(lambda m: COMMITMENT_MEASURES[m]["direction"] == "down", na_action="ignore")
    low = np.where(pct, 1.0, np.where(down.fillna(False).astype(bool).to_numpy(), 0.0, 1.0))
    high = np.where(pct, 100.0, COUNT_TARGET_MAX)
    out = known & ~bad & ((value.to_numpy() < low) | (value.to_numpy() > high))
    p.add(out, "target", "target_out_of_range")
    return value


COUNT_TARGET_MAX = 10_000_000  # a count target above this is a typing slip


def _commitments(rows: pd.DataFrame, p: _Problems, as_of: date) -> pd.DataFrame:
    """Commitments of unit commanders: unit, measure (closed vocabulary), target, by-date and
    the date given, inside the campaign (peak start .. the latest end the plan knows). The
    commander's name (personal data) is read but never carried."""
    plan = load_plan()  # the campaign's window: config/plan.yaml (peak start, latest end)
    _required(p, REQUIRED_COLUMNS["commitments"])
    measure = normalize.enum_series(p.text("measure"), "commitment_measure")
    p.add(~measure["valid"].to_numpy(), "measure", "unknown_measure")
    given = _dates(p, "given_on", as_of)["value"]
    by = _dates(p, "by_date", as_of, allow_future=True)["value"]
    p.add((by < given).to_numpy(), "by_date", "by_date_before_given")
    last = plan.extension.end if plan.extension is not None else plan.end
    p.add((given < pd.Timestamp(plan.start)).to_numpy(), "given_on", "outside_campaign")
    p.add((by > pd.Timestamp(last)).to_numpy(), "by_date", "outside_campaign")
    return pd.DataFrame(
        {
            "unit_code": _unit(p),
            "measure": measure["value"],
            "target": _target(p, measure["value"]),
            "by_date": _date32(by),
            "given_on": _date32(given),
            "commitment_text": p.text("commitment_text"),
        }
    )


_VALIDATORS = {
    "registry_vehicles": _vehicles,
    "registry_licences": _licences,
    "population": _population,
    "submissions": _submissions,
    "unit_reports": _unit_reports,
    "organizations": _organisations,
    "commitments": _commitments,
}

REJECT_COLUMNS = (
    "source",
    "source_file",
    "source_row",
    "column",
    "value",
    "reason_code",
    "reason",
    "reason_vi",
    "other_file",
    "other_row",
)


@dataclass
class Validated:
    """One source's outcome: accepted typed rows and rejects (one row per problem)."""

    table: pa.Table  # every data row typed, in contract order
    keep: np.ndarray  # the accepted rows of ``table``
    rejects: pd.DataFrame
    rejected_rows: dict[str, int]  # per source_file: raw rows with a problem, each counted once
    accepted_rows: dict[str, int]  # per source_file
    copy_of: dict[str, str] = field(default_factory=dict)  # file -> the file it repeats whole
    notes: dict[str, dict[str, int]] = field(default_factory=dict)  # file -> note -> rows

    @property
    def accepted(self) -> pa.Table:
        return self.table if self.keep.all() else self.table.filter(pa.array(self.keep))


def combine(raws: list[RawFile]) -> pd.DataFrame:
    """The data rows of one source's files as one frame, with ``source_file`` (categorical).

    Validating a source once instead of file by file keeps ~900 small unit workbooks fast.
    The frame takes the rows over: each file keeps its rows' numbers (``source_row``, so
    ``rows_read``) but no longer their text, so validation can let a column's raw text go
    once it is checked (:meth:`_Problems.release`) instead of holding all of it to the end.
    """
    if not raws:
        raise ValueError("combine needs at least one file")
    tables = [r.rows for r in raws]
    table = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
    rows = table.to_pandas(types_mapper=TEXT_TYPES.get)
    codes = np.repeat(np.arange(len(raws)), [t.num_rows for t in tables])
    rows["source_file"] = pd.Categorical.from_codes(codes, categories=[r.file for r in raws])
    for raw in raws:
        raw.rows = raw.rows.select(["source_row"])
    return rows


def validate(source: str, rows: pd.DataFrame, delivery: str) -> Validated:
    """Normalise and check a source's data rows against docs/rules.md (pure: new tables).

    ``rows`` is :func:`combine`'s output (text columns, ``source_file``, ``source_row``);
    dates after ``delivery`` (the delivery's last day) are rejected as in the future.
    """
    problems = _Problems(rows)
    as_of = date.fromisoformat(delivery)
    typed = _VALIDATORS[source](rows, problems, as_of)
    typed.index = rows.index
    copies = _repeats(problems, typed, NATURAL_KEYS[source]) if source in NATURAL_KEYS else {}
    known = set(COLUMNS[source]) | {"source_file", "source_row"}
    for extra in [c for c in rows.columns if c not in known]:
        typed[extra] = problems.text(extra)
    files = rows["source_file"].cat
    codes = files.codes.to_numpy()
    names = pa.array([str(c) for c in files.categories], pa.large_string())
    typed["source_file"] = pd.Series(names.take(pa.array(codes)), index=rows.index, dtype="str")
    typed["source_row"] = rows["source_row"].astype("int64")
    bad = problems.bad
    # contract order (extra columns, then source_file, source_row), as Arrow
    table = pa.Table.from_pandas(_order(typed), preserve_index=False)
    del typed
    rejects = problems.table()
    rejects.insert(0, "source", source)
    n_files = len(names)
    rejected = np.bincount(codes[bad], minlength=n_files)
    total = np.bincount(codes, minlength=n_files)
    return Validated(
        table=table,
        keep=~bad,
        rejects=with_reasons(rejects),
        rejected_rows={str(f): int(r) for f, r in zip(files.categories, rejected, strict=True)},
        accepted_rows={
            str(f): int(t - r) for f, t, r in zip(files.categories, total, rejected, strict=True)
        },
        copy_of={str(files.categories[c]): str(files.categories[o]) for c, o in copies.items()},
        notes={
            str(f): {
                kind: int(n)
                for kind, mask in problems.notes.items()
                if (n := (mask & ~bad & (codes == i)).sum())
            }
            for i, f in enumerate(files.categories)
        },
    )


def with_reasons(rejects: pd.DataFrame) -> pd.DataFrame:
    en = {code: i18n.t(f"rejects.{code}", "en") for code in REJECT_REASONS}
    vi = {code: i18n.t(f"rejects.{code}", "vi") for code in REJECT_REASONS}
    out = rejects.copy()
    out["reason"] = out["reason_code"].map(en).astype("str")
    out["reason_vi"] = out["reason_code"].map(vi).astype("str")
    for column in ("source", "source_file", "column", "reason_code"):
        out[column] = out[column].astype("str")
    out["source_row"] = out["source_row"].astype("int64")
    out["other_file"] = out["other_file"].astype("str")
    out["other_row"] = out["other_row"].astype("Int64")
    return out[list(REJECT_COLUMNS)]


def _order(table: pd.DataFrame) -> pd.DataFrame:
    """Accepted columns: contract order first, extra columns, then source_file, source_row."""
    tail = ["source_file", "source_row"]
    head = [c for c in table.columns if c not in tail]
    return table[head + tail]
