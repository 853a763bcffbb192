"""Secondary application columns: contacts and addresses, dates of documents, documents
provided, credit-bureau enquiries, social circle, and the statistics of the client's building.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from credit_scoring.demo.generator import profile
from credit_scoring.demo.generator.arrays import Bools, Columns, Floats
from credit_scoring.demo.generator.sampling import (
    DAYS_PER_YEAR,
    categorical,
    codes_with_missing,
    discrete,
    from_quantiles,
    with_missing,
)

_T = "application_test"
_WORK_FLAGS = frozenset(
    {
        "FLAG_WORK_PHONE",
        "REG_REGION_NOT_WORK_REGION",
        "LIVE_REGION_NOT_WORK_REGION",
        "REG_CITY_NOT_WORK_CITY",
        "LIVE_CITY_NOT_WORK_CITY",
    }
)
_EMPLOYED_SHARE = 0.82


def contact_and_address_columns(
    rng: np.random.Generator, n: int, *, employed: Bools, age: Floats
) -> Columns:
    """Phone/e-mail flags, address mismatch flags, application time, document dates."""
    cols: Columns = {
        "FLAG_MOBIL": (rng.random(n) >= profile.FLAG_MOBIL_ZERO_SHARE).astype(np.int64)
    }
    for name, share in profile.FLAG_SHARES.items():
        if name in _WORK_FLAGS:  # work-related flags are rare without a job
            p = np.where(employed, min(share / _EMPLOYED_SHARE, 1.0), share * 0.05)
        else:
            p = np.full(n, share)
        cols[name] = (rng.random(n) < p).astype(np.int64)
    # Living outside the registration region implies living outside its city too.
    cols["REG_CITY_NOT_LIVE_CITY"] |= cols["REG_REGION_NOT_LIVE_REGION"]
    cols["REG_CITY_NOT_WORK_CITY"] |= cols["REG_REGION_NOT_WORK_REGION"]
    cols["LIVE_CITY_NOT_WORK_CITY"] |= cols["LIVE_REGION_NOT_WORK_REGION"]
    cols["WEEKDAY_APPR_PROCESS_START"] = categorical(
        _T, "WEEKDAY_APPR_PROCESS_START", profile.WEEKDAY_FREQ
    ).sample(rng, n)
    hour = np.round(from_quantiles(rng.random(n), profile.HOUR_QUANTILES))
    cols["HOUR_APPR_PROCESS_START"] = np.clip(hour, 0, 23).astype(np.int64)

    adult_days = (age - 14.0) * DAYS_PER_YEAR
    registration = np.round(from_quantiles(rng.random(n), profile.REGISTRATION_DAYS_QUANTILES))
    cols["DAYS_REGISTRATION"] = np.maximum(registration, -np.floor(age * DAYS_PER_YEAR) + 1)
    id_publish = np.round(from_quantiles(rng.random(n), profile.ID_PUBLISH_DAYS_QUANTILES))
    cols["DAYS_ID_PUBLISH"] = np.maximum(id_publish, -np.floor(adult_days)).astype(np.int64)
    phone = np.round(from_quantiles(rng.random(n), profile.PHONE_CHANGE_DAYS_QUANTILES))
    phone = np.maximum(phone, -np.floor(adult_days))
    cols["DAYS_LAST_PHONE_CHANGE"] = with_missing(
        phone, rng.random(n) < profile.PHONE_CHANGE_MISSING
    )
    return cols


def documents_and_enquiries(
    rng: np.random.Generator, n: int, *, employed: Bools, risk: Floats
) -> Columns:
    """FLAG_DOCUMENT_*, AMT_REQ_CREDIT_BUREAU_* and the social-circle counts."""
    cols: Columns = {}
    for number, share in profile.DOCUMENT_SHARES.items():
        if number == 3:  # the employment document: mostly from employed clients
            p = np.where(employed, min(share / _EMPLOYED_SHARE, 0.97), 0.25)
        else:
            p = np.full(n, share)
        cols[f"FLAG_DOCUMENT_{number}"] = (rng.random(n) < p).astype(np.int64)

    no_enquiry_data = rng.random(n) < profile.BUREAU_REQUEST_MISSING
    for name, freq in profile.BUREAU_REQUEST_FREQ.items():
        values = discrete(rng, freq, n).astype(np.float64)
        cols[name] = with_missing(values, no_enquiry_data)

    observed = np.round(from_quantiles(rng.random(n), profile.SOCIAL_OBS_QUANTILES))
    observed_60 = np.where(rng.random(n) < 0.97, observed, np.maximum(observed - 1, 0))
    # Riskier clients know more people who defaulted.
    p_default = np.clip(0.085 * np.exp(0.35 * risk), 0.0, 0.9)
    defaulted = rng.binomial(observed.astype(np.int64), p_default).astype(np.float64)
    defaulted_60 = rng.binomial(defaulted.astype(np.int64), 0.72).astype(np.float64)
    no_social = rng.random(n) < profile.SOCIAL_MISSING
    cols["OBS_30_CNT_SOCIAL_CIRCLE"] = with_missing(observed, no_social)
    cols["DEF_30_CNT_SOCIAL_CIRCLE"] = with_missing(defaulted, no_social)
    cols["OBS_60_CNT_SOCIAL_CIRCLE"] = with_missing(observed_60, no_social)
    cols["DEF_60_CNT_SOCIAL_CIRCLE"] = with_missing(defaulted_60, no_social)
    return cols


def building_columns(rng: np.random.Generator, n: int) -> Columns:
    """The 47 normalised building statistics (_AVG/_MODE/_MEDI) and 4 building categories.

    A building is either entirely unknown (``BUILDING_ALL_MISSING``) or known with some
    statistics missing; _AVG, _MODE and _MEDI of one statistic are missing together and move
    together. Size-like statistics share one latent "size", the two age statistics another.
    """
    cols: Columns = {}
    unknown = rng.random(n) < profile.BUILDING_ALL_MISSING
    size = rng.standard_normal(n)
    oldness = rng.standard_normal(n)
    for stat, (missing_share, quantiles) in profile.BUILDING_STATS.items():
        driver = oldness if stat.startswith("YEARS_") else size
        latent = 0.8 * driver + 0.6 * rng.standard_normal(n)
        extra = max(missing_share - profile.BUILDING_ALL_MISSING, 0.0) / (
            1 - profile.BUILDING_ALL_MISSING
        )
        missing = unknown | (rng.random(n) < extra)
        for suffix, jitter in (("AVG", 0.0), ("MODE", 0.12), ("MEDI", 0.04)):
            z = latent + jitter * rng.standard_normal(n) if jitter else latent
            values = np.round(from_quantiles(ndtr(z), quantiles), 4)
            cols[f"{stat}_{suffix}"] = with_missing(values, missing)
    total = np.round(
        from_quantiles(
            ndtr(0.9 * size + 0.44 * rng.standard_normal(n)),
            profile.BUILDING_STATS["LIVINGAREA"][1],
        )
        * 1.05,
        4,
    )
    extra = (profile.TOTALAREA_MISSING - profile.BUILDING_ALL_MISSING) / (
        1 - profile.BUILDING_ALL_MISSING
    )
    cols["TOTALAREA_MODE"] = with_missing(np.minimum(total, 1.0), unknown | (rng.random(n) < extra))
    for name, freq in profile.BUILDING_CATEGORY_FREQ.items():
        codes = categorical(_T, name, freq).sample(rng, n)
        extra = max(profile.BUILDING_CATEGORY_MISSING[name] - profile.BUILDING_ALL_MISSING, 0.0) / (
            1 - profile.BUILDING_ALL_MISSING
        )
        cols[name] = codes_with_missing(codes, unknown | (rng.random(n) < extra))
    return cols
