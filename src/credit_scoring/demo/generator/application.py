"""Application rows: who the client is, their work, money, external scores and region.

Every client first gets hidden latent traits (standard normals): ``risk`` (general credit
risk) and payment habits derived from it. The application columns are drawn from the profile
with realistic dependencies (age → pension → DAYS_EMPLOYED sentinel → organisation "XNA";
gender → occupation and car; income → loan size; ``risk`` → external scores, education, years
employed). The latent traits are never written; the truth only uses observable columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from credit_scoring.demo.generator import profile
from credit_scoring.demo.generator.application_details import (
    building_columns,
    contact_and_address_columns,
    documents_and_enquiries,
)
from credit_scoring.demo.generator.arrays import Bools, Columns, Floats
from credit_scoring.demo.generator.sampling import (
    DAYS_PER_YEAR,
    categorical,
    code_of,
    codes_with_missing,
    correlated_normal,
    discrete,
    from_quantiles,
    latent_uniform,
    round_to,
    sigmoid,
    with_missing,
)
from credit_scoring.schema import DAYS_SENTINEL

_T = "application_test"  # same columns and vocabularies as application_train (minus TARGET)

# Risk order (safest first) used to tie categories to the latent risk.
_EDUCATION_BY_RISK = {
    k: profile.EDUCATION_FREQ[k]
    for k in (
        "Academic degree",
        "Higher education",
        "Incomplete higher",
        "Secondary / secondary special",
        "Lower secondary",
    )
}
_SKILLED = (
    "Managers",
    "Core staff",
    "High skill tech staff",
    "Accountants",
    "IT staff",
    "HR staff",
    "Medicine staff",
    "Secretaries",
    "Realty agents",
)
_MANUAL = (
    "Laborers",
    "Drivers",
    "Low-skill Laborers",
    "Cleaning staff",
    "Cooking staff",
    "Security staff",
    "Waiters/barmen staff",
)


@dataclass(frozen=True)
class Clients:
    """One chunk of clients: application columns plus the hidden traits behind them.

    ``columns`` holds every application_test column except SK_ID_CURR (categoricals as
    vocabulary codes). ``risk`` and the habits are standard normals (higher = riskier).
    """

    columns: Columns
    risk: Floats
    habit_late: Floats  # paying instalments late
    habit_underpay: Floats  # paying less than due
    habit_bureau: Floats  # delinquency on credits at other institutions
    habit_refused: Floats  # being refused by Home Credit
    habit_card: Floats  # revolving-credit utilisation
    age_years: Floats
    income: Floats

    @property
    def n(self) -> int:
        return int(self.risk.size)


def generate_clients(rng: np.random.Generator, n: int) -> Clients:
    """Draw ``n`` clients and their application columns (no SK_ID_CURR, no TARGET)."""
    risk = rng.standard_normal(n)
    # History habits share a common part with the general risk, plus their own noise, so the
    # history tables carry information the application does not.
    habit = correlated_normal(rng, risk, 0.55)
    cols: Columns = {}

    gender = categorical(_T, "CODE_GENDER", profile.GENDER_FREQ).sample(rng, n)
    male = gender == code_of(_T, "CODE_GENDER", "M")
    cols["CODE_GENDER"] = gender
    age = from_quantiles(rng.random(n), profile.AGE_YEARS_QUANTILES)
    cols["DAYS_BIRTH"] = -np.round(age * DAYS_PER_YEAR).astype(np.int64)

    employed = _work_columns(rng, cols, age=age, male=male, risk=risk)
    _family_columns(rng, cols, age=age)
    income = _money_columns(rng, cols, age=age, male=male, employed=employed)
    _external_scores(rng, cols, age=age, risk=risk)
    _region_columns(rng, cols, risk=risk)
    cols.update(contact_and_address_columns(rng, n, employed=employed, age=age))
    cols.update(documents_and_enquiries(rng, n, employed=employed, risk=risk))
    cols.update(building_columns(rng, n))
    return Clients(
        columns=cols,
        risk=risk,
        habit_late=correlated_normal(rng, habit, 0.8),
        habit_underpay=correlated_normal(rng, habit, 0.75),
        habit_bureau=correlated_normal(rng, habit, 0.75),
        habit_refused=correlated_normal(rng, habit, 0.7),
        habit_card=correlated_normal(rng, habit, 0.7),
        age_years=age,
        income=income,
    )


def _work_columns(
    rng: np.random.Generator, cols: Columns, *, age: Floats, male: Bools, risk: Floats
) -> Bools:
    """Income type, DAYS_EMPLOYED (365243 when not employed), occupation, organisation."""
    n = age.size
    centre = profile.PENSION_AGE_CENTRE + np.where(male, 2.5, -1.5)
    p_pension = profile.PENSIONER_YOUNG_SHARE + (1 - profile.PENSIONER_YOUNG_SHARE) * sigmoid(
        (age - centre) / profile.PENSION_AGE_SCALE
    )
    pensioner = rng.random(n) < p_pension
    income_type = categorical(_T, "NAME_INCOME_TYPE", profile.WORKING_INCOME_TYPE_FREQ).sample(
        rng, n
    )
    income_type[pensioner] = code_of(_T, "NAME_INCOME_TYPE", "Pensioner")
    cols["NAME_INCOME_TYPE"] = income_type
    unemployed = income_type == code_of(_T, "NAME_INCOME_TYPE", "Unemployed")
    employed = ~pensioner & ~unemployed

    # Short employment goes with higher risk; nobody works before 16.
    years = from_quantiles(latent_uniform(rng, -risk, 0.3), profile.EMPLOYED_YEARS_QUANTILES)
    years = np.minimum(years, np.maximum(age - 16.0, 0.1) * 0.95)
    days = -np.maximum(np.round(years * DAYS_PER_YEAR), 0).astype(np.int64)
    cols["DAYS_EMPLOYED"] = np.where(employed, days, DAYS_SENTINEL)

    education = categorical(_T, "NAME_EDUCATION_TYPE", _EDUCATION_BY_RISK).from_uniform(
        latent_uniform(rng, risk, 0.35)
    )
    cols["NAME_EDUCATION_TYPE"] = education
    educated = np.isin(
        education,
        [code_of(_T, "NAME_EDUCATION_TYPE", v) for v in ("Higher education", "Academic degree")],
    )
    occupation = np.empty(n, dtype=np.int16)
    for is_male, freq in ((False, profile.OCCUPATION_FREQ_F), (True, profile.OCCUPATION_FREQ_M)):
        for is_educated in (False, True):
            tilted = {
                k: v * (1.8 if k in _SKILLED else 0.55 if k in _MANUAL else 1.0)
                if is_educated
                else v
                for k, v in freq.items()
            }
            mask = (male == is_male) & (educated == is_educated)
            occupation[mask] = categorical(_T, "OCCUPATION_TYPE", tilted).sample(
                rng, int(mask.sum())
            )
    p_missing = np.where(
        employed, profile.OCCUPATION_MISSING_WORKING, profile.OCCUPATION_MISSING_PENSIONER
    )
    cols["OCCUPATION_TYPE"] = codes_with_missing(occupation, rng.random(n) < p_missing)
    organization = categorical(_T, "ORGANIZATION_TYPE", profile.ORGANIZATION_FREQ).sample(rng, n)
    organization[~employed] = code_of(_T, "ORGANIZATION_TYPE", "XNA")
    cols["ORGANIZATION_TYPE"] = organization
    cols["FLAG_EMP_PHONE"] = employed.astype(np.int64)
    return employed


def _family_columns(rng: np.random.Generator, cols: Columns, *, age: Floats) -> None:
    """Family status, children, family size, housing, companion at application."""
    n = age.size
    status = categorical(_T, "NAME_FAMILY_STATUS", profile.FAMILY_STATUS_FREQ).sample(rng, n)
    single = code_of(_T, "NAME_FAMILY_STATUS", "Single / not married")
    widow = code_of(_T, "NAME_FAMILY_STATUS", "Widow")
    # The young are more often single, the old more often widowed.
    status[(age < 30) & (rng.random(n) < 0.12)] = single
    status[(age > 58) & (rng.random(n) < 0.15)] = widow
    status[(status == widow) & (age < 35) & (rng.random(n) < 0.8)] = single
    cols["NAME_FAMILY_STATUS"] = status
    children = discrete(rng, profile.CHILDREN_FREQ, n)
    children[(age > 52) & (rng.random(n) < 0.85)] = 0
    children[(age < 24) & (rng.random(n) < 0.6)] = 0
    cols["CNT_CHILDREN"] = children
    couple = np.isin(
        status, [code_of(_T, "NAME_FAMILY_STATUS", v) for v in ("Married", "Civil marriage")]
    )
    cols["CNT_FAM_MEMBERS"] = (children + 1 + couple).astype(np.float64)
    housing = categorical(_T, "NAME_HOUSING_TYPE", profile.HOUSING_FREQ).sample(rng, n)
    housing[(age < 28) & (rng.random(n) < 0.12)] = code_of(_T, "NAME_HOUSING_TYPE", "With parents")
    cols["NAME_HOUSING_TYPE"] = housing
    suite = categorical(_T, "NAME_TYPE_SUITE", profile.SUITE_FREQ).sample(rng, n)
    cols["NAME_TYPE_SUITE"] = codes_with_missing(suite, rng.random(n) < profile.SUITE_MISSING)


def _money_columns(
    rng: np.random.Generator, cols: Columns, *, age: Floats, male: Bools, employed: Bools
) -> Floats:
    """Income, car and realty, and the loan applied for (credit, annuity, goods price)."""
    n = age.size
    educated = np.isin(
        cols["NAME_EDUCATION_TYPE"],
        [code_of(_T, "NAME_EDUCATION_TYPE", v) for v in ("Higher education", "Academic degree")],
    )
    log_income = (
        profile.INCOME_LOG_MEDIAN
        + profile.INCOME_LOG_SD * rng.standard_normal(n)
        + 0.22 * educated
        + 0.18 * male
        - 0.30 * ~employed
        - 0.08
    )
    income = np.clip(np.exp(log_income), 25650.0, 1.2e7)
    on_grid = rng.random(n) < 0.9
    income = np.where(on_grid, round_to(income, 4500.0), round_to(income, 1.5))
    cols["AMT_INCOME_TOTAL"] = np.maximum(income, 25650.0)

    car_share = np.where(
        male, profile.OWN_CAR_FREQ_BY_GENDER["M"], profile.OWN_CAR_FREQ_BY_GENDER["F"]
    )
    has_car = rng.random(n) < car_share
    cols["FLAG_OWN_CAR"] = np.where(
        has_car, code_of(_T, "FLAG_OWN_CAR", "Y"), code_of(_T, "FLAG_OWN_CAR", "N")
    ).astype(np.int16)
    car_age = np.minimum(
        np.round(from_quantiles(rng.random(n), profile.OWN_CAR_AGE_QUANTILES)), np.floor(age - 17)
    )
    cols["OWN_CAR_AGE"] = with_missing(car_age, ~has_car)
    realty = rng.random(n) < profile.OWN_REALTY_SHARE
    cols["FLAG_OWN_REALTY"] = np.where(
        realty, code_of(_T, "FLAG_OWN_REALTY", "Y"), code_of(_T, "FLAG_OWN_REALTY", "N")
    ).astype(np.int16)

    contract = categorical(_T, "NAME_CONTRACT_TYPE", profile.CONTRACT_TYPE_FREQ).sample(rng, n)
    cols["NAME_CONTRACT_TYPE"] = contract
    revolving = contract == code_of(_T, "NAME_CONTRACT_TYPE", "Revolving loans")

    # Cash loans: a goods price scaled to income, an insurance load, and an annuity whose
    # credit/annuity ratio (≈ the term in months) grows with the size of the loan.
    log_goods = (
        profile.GOODS_LOG_MEDIAN
        + profile.GOODS_INCOME_ELASTICITY * (np.log(income) - profile.INCOME_LOG_MEDIAN)
        + profile.GOODS_LOG_SD * rng.standard_normal(n)
    )
    goods = np.clip(np.exp(log_goods), 40500.0, 3.6e6)
    grid = np.where(rng.random(n) < 0.65, 22500.0, 4500.0)
    goods = np.maximum(np.round(goods / grid) * grid, 40500.0)
    load = 1.0 + np.minimum(0.03 + rng.exponential(0.15, n), 0.66)
    load[rng.random(n) < profile.CREDIT_GOODS_EQUAL_SHARE] = 1.0
    credit = round_to(goods * load, 1.5)
    size_z = (np.log(credit) - 13.0) / 0.65
    ratio = from_quantiles(
        latent_uniform(rng, size_z, profile.CREDIT_ANNUITY_RATIO_LOADING),
        profile.CREDIT_ANNUITY_RATIO_QUANTILES,
    )
    annuity = credit / ratio
    annuity = np.where(rng.random(n) < 0.85, round_to(annuity, 1.5), np.round(annuity, 3))

    limit = discrete(
        rng, dict(zip(profile.REVOLVING_LIMITS, profile.REVOLVING_LIMIT_WEIGHTS, strict=True)), n
    )
    credit = np.where(revolving, limit.astype(np.float64), credit)
    annuity = np.where(revolving, credit * profile.REVOLVING_ANNUITY_RATE, annuity)
    goods = np.where(revolving, credit, goods)
    goods[revolving & (rng.random(n) < profile.REVOLVING_GOODS_MISSING)] = np.nan
    cols["AMT_CREDIT"] = credit
    cols["AMT_ANNUITY"] = annuity
    cols["AMT_GOODS_PRICE"] = goods
    return cols["AMT_INCOME_TOTAL"]


def _external_scores(rng: np.random.Generator, cols: Columns, *, age: Floats, risk: Floats) -> None:
    """EXT_SOURCE_1..3: noisy, partly age-driven readings of the latent risk, in [0, 1]."""
    age_z = (age - 43.0) / 12.0
    loadings = {
        "EXT_SOURCE_1": (0.62, 0.45),
        "EXT_SOURCE_2": (0.62, 0.05),
        "EXT_SOURCE_3": (0.66, 0.15),
    }
    for name, (risk_loading, age_loading) in loadings.items():
        latent = -risk_loading * risk + age_loading * age_z
        noise_sd = np.sqrt(max(1.0 - risk_loading**2 - age_loading**2, 0.05))
        # age_z has roughly unit variance, so this is about a standard normal.
        u = (latent + noise_sd * rng.standard_normal(risk.size)) / np.sqrt(
            risk_loading**2 + age_loading**2 + noise_sd**2
        )
        values = from_quantiles(ndtr(u), profile.EXT_SOURCE_QUANTILES[name])
        cols[name] = with_missing(values, rng.random(risk.size) < profile.EXT_SOURCE_MISSING[name])


def _region_columns(rng: np.random.Generator, cols: Columns, *, risk: Floats) -> None:
    """Region rating (3 = poorest, slightly riskier), its city version, region population."""
    n = risk.size
    ratings = np.asarray(list(profile.REGION_RATING_FREQ), dtype=np.int64)
    cumulative = np.cumsum(list(profile.REGION_RATING_FREQ.values()))
    index = np.searchsorted(cumulative, latent_uniform(rng, risk, 0.2), side="right")
    rating = ratings[np.minimum(index, ratings.size - 1)]
    cols["REGION_RATING_CLIENT"] = rating
    city = rating.copy()
    u = rng.random(n)
    city[(rating == 2) & (u < 0.012)] = 1
    city[(rating == 3) & (u < 0.10)] = 2
    city[(rating == 3) & (u < 0.02)] = 1
    cols["REGION_RATING_CLIENT_W_CITY"] = city
    population = np.empty(n, dtype=np.float64)
    for value, (levels, weights) in profile.REGION_POPULATION_BY_RATING.items():
        mask = rating == value
        w = np.asarray(weights, dtype=np.float64)
        population[mask] = rng.choice(np.asarray(levels), size=int(mask.sum()), p=w / w.sum())
    cols["REGION_POPULATION_RELATIVE"] = population
