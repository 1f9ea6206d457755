"""Plates and chassis numbers of the synthetic vehicles: Hanoi prefixes, series, the spellings
a plate is delivered in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.common import (
    WHOLE,
    Part,
    base36,
    cat,
    isin,
    text,
    unique_draw,
    where_text,
    zfill_int,
    zfill_text,
)

HANOI_PREFIXES = np.array([29, 30, 31, 32, 33, 40])
HANOI_PREFIX_P = np.array([0.30, 0.25, 0.12, 0.10, 0.13, 0.10])
CAR_SERIES = np.array(list("ABCDEFGHK") + ["LD"], dtype=object)
CAR_SERIES_P = np.array([0.1] * 9 + [0.1]) * np.array([1] * 9 + [0.2])
MOTO_LETTERS = np.array(list("BCDEFGHKLMNPSTUVXYZ"), dtype=object)
VEHICLE_TYPES = ("motorbike", "car", "moped", "e-bike", "other")
VEHICLE_TYPE_P = np.array([0.80, 0.12, 0.035, 0.03, 0.015])
# plate text forms: canonical, then the variants (recorded as faults, repaired to the key)
PLATE_FORM_P = np.array([0.70, 0.18, 0.05, 0.04, 0.03])
PLATE_FORMS = ("canonical", "compact", "spaced_lower", "hyphen_compact", "dash_dot")


def make_plates(
    rng: np.random.Generator, vtype: np.ndarray, avoid: np.ndarray | None = None, part: Part = WHOLE
):
    """Unique Hanoi plates: (key, prefix, series, number text) per vehicle type.

    A slice's numbers keep all but their last digit in the slice's class, so a one-digit typo
    of the last digit (the submissions' plate typo) cannot reach another slice's plate.
    """
    n = len(vtype)
    is_car = np.isin(vtype, ["car", "other"])
    prefix = rng.choice(HANOI_PREFIXES, n, p=HANOI_PREFIX_P)
    p = CAR_SERIES_P / CAR_SERIES_P.sum()
    car_series = CAR_SERIES[rng.choice(len(CAR_SERIES), n, p=p)]
    moto_letter = MOTO_LETTERS[rng.integers(0, len(MOTO_LETTERS), n)]
    moto_digit = rng.integers(1, 10, n)
    series = np.where(is_car, car_series, cat(moto_letter, moto_digit))
    four = rng.random(n) < np.where(is_car, 0.08, 0.18)
    # unique numeric code per (prefix, series, digits): draw distinct ids in a big space
    space = 10**12
    codes = unique_draw(rng, n, space)
    # the slice class is taken over every digit after the letters: a motorbike's series digit
    # and 4 digits ("29B1" "2345") spell the same letters and digits as a car's 5 digits
    # ("29B" "12345"), which the compact form reads both ways
    span4, span5 = part.span(10_000, 10), part.span(100_000, 10)
    shift4 = np.where(is_car, 0, moto_digit * 1_000)
    shift5 = np.where(is_car, 0, moto_digit * 10_000)
    number = np.where(
        four,
        zfill_int(part.expand(codes % span4, 10, shift4), 4),
        zfill_int(part.expand(codes % span5, 10, shift5), 5),
    )
    key = cat(prefix.astype(str), series, number)
    # collisions across different (prefix, series) are impossible: key includes both; within
    # one (prefix, series) the number may repeat, so re-draw those numbers
    for _ in range(50):
        # every repeat of a key after its first: hashed, not sorted (docs/performance.md)
        dup = pd.Series(key, copy=False).duplicated(keep="first").to_numpy().copy()
        if avoid is not None and len(avoid):
            dup |= isin(key, avoid)
        if not dup.any():
            break
        newc = rng.integers(0, span5, int(dup.sum()))
        number[dup] = np.where(
            four[dup],
            zfill_int(part.expand(newc % span4, 10, shift4[dup]), 4),
            zfill_int(part.expand(newc, 10, shift5[dup]), 5),
        )
        key[dup] = cat(prefix[dup].astype(str), series[dup], number[dup])
    return key, prefix.astype(str), series, number


def plate_text(prefix, series, number, form: np.ndarray):
    """Delivered plate text in one of the contract's forms (all spell the same letters and
    digits; :func:`ingest_key` gives the key ingest derives from each)."""
    num = pd.Series(text(number))
    five = (num.str.len() == 5).to_numpy()
    head, tail = text(num.str.slice(0, 3)), text(num.str.slice(3))
    num_dot = where_text(five, cat(head, ".", tail), number)
    num_sp = where_text(five, cat(head, " ", tail), number)
    moto = pd.Series(text(series)).str.contains(r"\d").to_numpy()
    canon = where_text(
        moto, cat(prefix, "-", series, " ", num_dot), cat(prefix, series, "-", num_dot)
    )
    form = np.asarray(form)
    out = canon
    for f, make in (
        (1, lambda: cat(prefix, series, number)),
        (2, lambda: text(pd.Series(cat(prefix, series, " ", num_sp)).str.lower())),
        (3, lambda: cat(prefix, series, "-", number)),
        (4, lambda: cat(prefix, "-", series, " ", num_dot)),
    ):
        if (form == f).any():  # build a form only where it is used at all
            out = where_text(form == f, make(), out)
    return out


def ingest_key(prefix, series, number, form: np.ndarray, vtype: np.ndarray | None = None):
    """The key ingest derives from the plate text of a form: the series/number boundary kept
    (``29B1-2345``), except the compact form with five digits after the letters, which reads
    both ways (``29B12345``: B + 123.45 or B1 + 2345) and keys without it, unless its series
    digit would be 0 (only the car reading) or the registry's vehicle type (``vtype``: car or
    motorbike) settles it (Thông tư 79/2024/TT-BCA; helpers.normalize.plate_series)."""
    moto = pd.Series(text(series)).str.contains(r"\d").to_numpy()
    num = pd.Series(text(number))
    digits = num.str.len().to_numpy() + moto
    both = (np.asarray(form) == 1) & (digits == 5) & (moto | ~num.str.startswith("0").to_numpy())
    if vtype is not None:
        both &= ~isin(np.asarray(vtype, dtype=object), np.array(["car", "motorbike"], dtype=object))
    return where_text(both, cat(prefix, series, number), cat(prefix, series, "-", number))


WMI = np.array(
    ["RLH", "RLC", "RMK", "RPE", "MH1", "LVV", "RL4", "KMH", "JTD", "WDD", "RLA"], dtype=object
)
ENGINE_MODELS = np.array(
    ["JC51E", "JF52E", "E3X5E", "1NZFE", "G4FC", "K15B", "VHB", "HC12E"], dtype=object
)


def make_chassis(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    codes = unique_draw(rng, n, 36**8)
    chassis = cat(
        WMI[rng.integers(0, len(WMI), n)],
        base36(codes, 8),
        zfill_text(rng.integers(0, 1_000_000, n), 6),
    )
    engine = cat(
        ENGINE_MODELS[rng.integers(0, len(ENGINE_MODELS), n)],
        "-",
        zfill_text(rng.integers(0, 10_000_000, n), 7),
    )
    return chassis, engine
