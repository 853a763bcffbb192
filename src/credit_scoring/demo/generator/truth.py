"""The known ground truth: each client's true default probability from observable data only.

``TRUE_PD = sigmoid(intercept + application part + history part)``. Both parts are smooth
functions (a few monotone non-linearities and three interactions) of quantities any good
feature pipeline computes — nothing hidden enters them:

* application part — ``EXT_SOURCE_1..3`` (strongest; missing sources count as average),
  age, years employed (``DAYS_EMPLOYED = 365243`` as "not employed"), the credit/annuity,
  annuity/income and credit/goods ratios, education, occupation, contract type, the city's
  region rating, defaulted acquaintances (``DEF_30_CNT_SOCIAL_CIRCLE``), and young × low
  external score;
* history part — per client, over the rows of the history tables: the share of late instalment
  payments and their mean days past due, the share of underpaid instalment rows, the worst
  bureau_balance status, the number of bureau credits overdue today and of active ones, the
  share of refused previous applications, the mean card utilisation (balance / limit over months
  with a limit), has-history flags, and two interactions (late payments × payment burden, card
  utilisation × low external score).

:func:`client_aggregates` defines those per-client aggregates exactly (they match the
``INST_*``, ``BUREAU_*``, ``PREV_*`` and ``CC_*`` features of ``credit_scoring.features``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from credit_scoring.demo.generator.arrays import Columns, Floats
from credit_scoring.demo.generator.bureau import BureauTables
from credit_scoring.demo.generator.payments import PaymentHistory
from credit_scoring.demo.generator.previous import PreviousTable
from credit_scoring.demo.generator.sampling import (
    DAYS_PER_YEAR,
    code_of,
    segment_count,
    segment_max,
    segment_sum,
    sigmoid,
)
from credit_scoring.schema import DAYS_SENTINEL, table

_A = "application_test"
_EDUCATION_EFFECT = {
    "Academic degree": -0.45, "Higher education": -0.28, "Incomplete higher": -0.05,
    "Secondary / secondary special": 0.0, "Lower secondary": 0.2,
}  # fmt: skip
_OCCUPATION_EFFECT = {
    "Low-skill Laborers": 0.45, "Drivers": 0.22, "Waiters/barmen staff": 0.2, "Laborers": 0.12,
    "Security staff": 0.12, "Cooking staff": 0.1, "Sales staff": 0.05, "Accountants": -0.28,
    "Managers": -0.15, "High skill tech staff": -0.15, "Core staff": -0.1, "IT staff": -0.2,
    "HR staff": -0.1, "Medicine staff": -0.08,
}  # fmt: skip
#: Contribution of the worst bureau_balance status (0 = none or no monthly data … 5).
_WORST_STATUS_EFFECT = np.asarray([0.0, 0.3, 0.6, 0.8, 0.9, 1.0])
#: Global scale of both parts (calibrated for an oracle AUC of about 0.81 at 8% defaults).
APPLICATION_SCALE = 0.6
HISTORY_SCALE = 1.0


@dataclass(frozen=True)
class HistoryRows:
    """The history tables of one chunk, as their generators return them (each row's owner a
    local index). ``installments`` holds the loans' instalments, then the cards'."""

    bureau: BureauTables
    previous: PreviousTable
    installments: PaymentHistory
    card: PaymentHistory


def client_aggregates(rows: HistoryRows, n_clients: int) -> dict[str, Floats]:
    """Per-client aggregates of the history rows (NaN where the client has no such rows).

    ``INST_*`` over installments_payments rows (late: ``DAYS_ENTRY_PAYMENT >
    DAYS_INSTALMENT``; days past due: ``max(DAYS_ENTRY_PAYMENT - DAYS_INSTALMENT, 0)``;
    underpaid: ``AMT_PAYMENT < AMT_INSTALMENT``), ``BUREAU_*`` over bureau rows (overdue:
    ``CREDIT_DAY_OVERDUE > 0``), ``BUREAU_BB_WORST_STATUS_MAX`` the highest STATUS 1–5 over
    the client's bureau_balance rows (C and X count as 0), ``PREV_REFUSED_SHARE`` over
    previous_application rows, ``CC_UTILISATION_MEAN`` the mean of ``AMT_BALANCE /
    AMT_CREDIT_LIMIT_ACTUAL`` over card months with a positive limit.
    """
    n = n_clients
    out: dict[str, Floats] = {}
    inst = rows.installments.columns
    owner = rows.previous.client[rows.installments.previous]
    delay = inst["DAYS_ENTRY_PAYMENT"] - inst["DAYS_INSTALMENT"]
    count = segment_count(owner, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["INST_COUNT"] = count
        out["INST_LATE_SHARE"] = segment_count(owner, n, delay > 0) / count
        out["INST_DPD_MEAN"] = segment_sum(owner, np.maximum(delay, 0.0), n) / count
        underpaid = inst["AMT_PAYMENT"] < inst["AMT_INSTALMENT"]
        out["INST_UNDERPAID_SHARE"] = segment_count(owner, n, underpaid) / count

        bureau = rows.bureau.bureau
        bureau_client = rows.bureau.client
        out["BUREAU_COUNT"] = segment_count(bureau_client, n)
        out["BUREAU_OVERDUE_COUNT"] = segment_count(
            bureau_client, n, bureau["CREDIT_DAY_OVERDUE"] > 0
        )
        active = bureau["CREDIT_ACTIVE"] == code_of("bureau", "CREDIT_ACTIVE", "Active")
        out["BUREAU_ACTIVE_COUNT"] = segment_count(bureau_client, n, active)
        status = rows.bureau.bureau_balance["STATUS"]
        zero = code_of("bureau_balance", "STATUS", "0")
        bucket = np.where(status > zero, status - zero, 0).astype(np.float64)
        bb_owner = bureau_client[rows.bureau.credit]
        worst = segment_max(bb_owner, bucket, n, empty=-1.0)
        out["BUREAU_BB_WORST_STATUS_MAX"] = np.where(worst < 0, np.nan, worst)

        prev = rows.previous.columns
        out["PREV_COUNT"] = segment_count(rows.previous.client, n)
        refused = prev["NAME_CONTRACT_STATUS"] == code_of(
            "previous_application", "NAME_CONTRACT_STATUS", "Refused"
        )
        out["PREV_REFUSED_SHARE"] = (
            segment_count(rows.previous.client, n, refused) / out["PREV_COUNT"]
        )

        card = rows.card.columns
        card_owner = rows.previous.client[rows.card.previous]
        out["CC_MONTHS_COUNT"] = segment_count(card_owner, n)
        with_limit = card["AMT_CREDIT_LIMIT_ACTUAL"] > 0
        utilisation = card["AMT_BALANCE"][with_limit] / card["AMT_CREDIT_LIMIT_ACTUAL"][with_limit]
        out["CC_UTILISATION_MEAN"] = segment_sum(
            card_owner[with_limit], utilisation, n
        ) / segment_count(card_owner[with_limit], n)
    return out


def _clip01(x: Floats) -> Floats:
    return np.clip(x, 0.0, 1.0)


def _filled(x: Floats, value: float = 0.0) -> Floats:
    return np.where(np.isnan(x), value, x)


def _effects(codes: np.ndarray, column: str, effects: Mapping[str, float]) -> Floats:
    lookup = np.zeros(len(table(_A).column(column).categories) + 1)
    for name, value in effects.items():
        lookup[code_of(_A, column, name)] = value
    return lookup[codes]  # code -1 (missing) reads the trailing 0


def ext_source_mean(app: Columns) -> Floats:
    """Mean of the EXT_SOURCE_* present (NaN when none is)."""
    stacked = np.vstack([app[f"EXT_SOURCE_{k}"] for k in (1, 2, 3)])
    present = ~np.isnan(stacked)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, stacked, 0.0).sum(axis=0) / present.sum(axis=0)


def application_logit(app: Columns) -> Floats:
    """The application part of the true logit (see the module docstring), one per client."""
    logit = np.zeros(app["DAYS_BIRTH"].size)
    for k, (slope, missing) in {1: (1.7, 0.0), 2: (2.1, 0.15), 3: (2.4, 0.15)}.items():
        x = app[f"EXT_SOURCE_{k}"]
        effect = -slope * (x - 0.5) + 3.0 * np.maximum(0.3 - x, 0.0)
        logit += np.where(np.isnan(x), missing, effect)
    age = app["DAYS_BIRTH"] / -DAYS_PER_YEAR
    logit += 0.45 * np.clip((40.0 - age) / 15.0, -1.0, 1.2)
    not_employed = app["DAYS_EMPLOYED"] == DAYS_SENTINEL
    years = np.where(not_employed, 0.0, app["DAYS_EMPLOYED"] / -DAYS_PER_YEAR)
    logit += np.where(
        not_employed, -0.15, 0.5 * np.exp(-years / 1.5) - 0.12 * np.minimum(years, 10.0) / 10.0
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        term = app["AMT_CREDIT"] / app["AMT_ANNUITY"]
        burden = app["AMT_ANNUITY"] / app["AMT_INCOME_TOTAL"]
        load = app["AMT_CREDIT"] / app["AMT_GOODS_PRICE"]
    logit += _filled(0.4 * np.exp(-(((term - 17.0) / 4.5) ** 2)))
    logit += _filled(1.4 * np.clip(burden - 0.12, 0.0, 0.4))
    logit += _filled(0.9 * np.clip(load - 1.0, 0.0, 0.4))
    logit += _effects(app["NAME_EDUCATION_TYPE"], "NAME_EDUCATION_TYPE", _EDUCATION_EFFECT)
    logit += _effects(app["OCCUPATION_TYPE"], "OCCUPATION_TYPE", _OCCUPATION_EFFECT)
    logit += _effects(app["NAME_CONTRACT_TYPE"], "NAME_CONTRACT_TYPE", {"Revolving loans": -0.35})
    logit += 0.2 * (app["REGION_RATING_CLIENT_W_CITY"] - 2)
    logit += 0.25 * (_filled(app["DEF_30_CNT_SOCIAL_CIRCLE"]) >= 1)
    young = _clip01((35.0 - age) / 12.0)
    low_ext = _clip01((0.45 - _filled(ext_source_mean(app), 0.45)) / 0.3)
    logit += 0.8 * young * low_ext
    return APPLICATION_SCALE * logit


def history_logit(app: Columns, agg: Mapping[str, Floats]) -> Floats:
    """The history part of the true logit (see the module docstring), one per client."""
    late = _filled(agg["INST_LATE_SHARE"])
    has_inst = agg["INST_COUNT"] > 0
    logit = np.where(
        has_inst,
        1.5 * np.sqrt(late)
        + 0.25 * np.log1p(_filled(agg["INST_DPD_MEAN"]))
        + 1.2 * _filled(agg["INST_UNDERPAID_SHARE"]),
        0.1,
    )
    worst = _filled(agg["BUREAU_BB_WORST_STATUS_MAX"]).astype(np.int64)
    logit += np.where(
        agg["BUREAU_COUNT"] > 0,
        0.35 * np.minimum(agg["BUREAU_OVERDUE_COUNT"], 2.0)
        + _WORST_STATUS_EFFECT[np.clip(worst, 0, 5)]
        + 0.07 * np.minimum(agg["BUREAU_ACTIVE_COUNT"], 6.0)
        - 0.15,
        0.05,
    )
    logit += np.where(agg["PREV_COUNT"] > 0, 1.1 * _filled(agg["PREV_REFUSED_SHARE"]), 0.25)
    utilisation = np.clip(_filled(agg["CC_UTILISATION_MEAN"]), 0.0, 1.1)
    has_utilisation = ~np.isnan(agg["CC_UTILISATION_MEAN"])
    logit += np.where(has_utilisation, 1.0 * utilisation**2 - 0.15, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        burden = _filled(app["AMT_ANNUITY"] / app["AMT_INCOME_TOTAL"])
    logit += 1.2 * np.sqrt(late) * np.clip(burden / 0.25, 0.0, 1.5)
    low_ext = _clip01((0.45 - _filled(ext_source_mean(app), 0.45)) / 0.3)
    logit += 0.5 * utilisation * low_ext
    return HISTORY_SCALE * logit


def solve_intercept(logits: Floats, default_rate: float) -> float:
    """The intercept ``b`` with ``mean(sigmoid(logits + b)) == default_rate`` (bisection,
    deterministic to the last bit for the same inputs)."""
    lo, hi = -30.0, 30.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if float(np.mean(sigmoid(logits + mid))) < default_rate:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return 0.5 * (lo + hi)
