"""Registry records (vehicles, licences) and the NPDB extract, as delivered, with faults.

Each builder returns a frame with one row per delivered row: the delivered text per canonical
column (``d_<column>``), the facts the truth needs (true person, fault labels, reject reason)
and a ``row_key`` the fault log refers to. The package:

- :mod:`.records`: what both registries share (delivery dates, record IDs, the owner's or
  holder's identity with its faults, the fault log of a person's columns).
- :mod:`.vehicles`: :func:`make_vehicles` and the vehicle reject reasons.
- :mod:`.licences`: :func:`make_licences`, the licence classes and the difficult categories.
- :mod:`.population`: :func:`make_population` (the NPDB extract).
"""

from __future__ import annotations

from synth.registry.licences import (
    LICENCE_CLASSES,
    LICENCE_EXTRA_REJECT,
    LICENCE_NOT_CLEAN_CITY,
    LICENCE_REJECT_REASON,
    LICENCE_TOLERATED_NAME,
    LICENCES_CITY,
    LICENCES_CLEANED_CITY,
    NEW_CLASSES,
    NO_EXPIRY,
    licence_categories,
    make_licences,
)
from synth.registry.population import (
    POPULATION_REJECT_RATES,
    POPULATION_REJECT_REASON,
    POPULATION_TEXT_RATES,
    make_population,
)
from synth.registry.records import (
    DOB_STYLE_P,
    DUPLICATE_ROW_RATE,
    FIRST,
    ID_FAULT_EXPECT,
    ID_FAULT_RATES,
    NAME_FAULT_EXPECT,
    RECORD_NUMBERS,
    REG_STYLE_P,
    UPDATE,
    assign_record_ids,
    id_faults,
    log_person_faults,
    person_block,
    pick_adults,
)
from synth.registry.vehicles import (
    INVALID_PLATES,
    INVALID_VEHICLE_TYPES,
    REJECT_REASON,
    VEHICLE_RATES,
    VEHICLE_REJECT_RATES,
    make_vehicles,
)

__all__ = [
    "FIRST",
    "UPDATE",
    "RECORD_NUMBERS",
    "VEHICLE_RATES",
    "ID_FAULT_RATES",
    "VEHICLE_REJECT_RATES",
    "DUPLICATE_ROW_RATE",
    "DOB_STYLE_P",
    "REG_STYLE_P",
    "INVALID_PLATES",
    "INVALID_VEHICLE_TYPES",
    "pick_adults",
    "assign_record_ids",
    "id_faults",
    "ID_FAULT_EXPECT",
    "NAME_FAULT_EXPECT",
    "log_person_faults",
    "person_block",
    "make_vehicles",
    "REJECT_REASON",
    "LICENCE_CLASSES",
    "NEW_CLASSES",
    "NO_EXPIRY",
    "LICENCES_CITY",
    "LICENCES_CLEANED_CITY",
    "LICENCE_NOT_CLEAN_CITY",
    "LICENCE_TOLERATED_NAME",
    "LICENCE_EXTRA_REJECT",
    "licence_categories",
    "make_licences",
    "LICENCE_REJECT_REASON",
    "POPULATION_REJECT_RATES",
    "POPULATION_TEXT_RATES",
    "POPULATION_REJECT_REASON",
    "make_population",
]
