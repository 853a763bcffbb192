"""Descriptive columns of previous applications, consistent with their type and outcome.

Cash loans carry a purpose and no goods; consumer (POS) loans a goods category, a seller and a
down payment; revolving loans are cards. Refusals carry a reject reason, unused offers the
reason "CLIENT", everything else "XAP". The product combination follows from the product type,
the yield group and the goods category, as in the real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from credit_scoring.demo.generator import profile
from credit_scoring.demo.generator.arrays import Bools, Codes, Columns, Ints
from credit_scoring.demo.generator.sampling import (
    categorical,
    code_of,
    codes_with_missing,
    from_quantiles,
    with_missing,
)

_T = "previous_application"
_HOUSEHOLD = (
    "Consumer Electronics",
    "Computers",
    "Audio/Video",
    "Photo / Cinema Equipment",
    "Furniture",
    "Homewares",
    "Office Appliances",
)
_INDUSTRY = (
    "Construction Materials",
    "Auto Accessories",
    "Vehicles",
    "Gardening",
    "House Construction",
)


@dataclass(frozen=True)
class PreviousKinds:
    """Masks over previous applications: the contract type (``xna``: none given), whether it
    was ``approved``, and ``empty`` (an abandoned offer or refused request with no amounts)."""

    cash: Bools
    consumer: Bools
    revolving: Bools
    xna: Bools
    approved: Bools
    empty: Bools


def _code(column: str, value: str) -> int:
    return code_of(_T, column, value)


def _constant(column: str, value: str, m: int) -> Codes:
    return np.full(m, _code(column, value), dtype=np.int16)


def descriptive_columns(
    rng: np.random.Generator, cols: Columns, *, kind: PreviousKinds, client: Ints, n_clients: int
) -> Columns:
    """Every remaining previous_application column (see the module docstring)."""
    m = client.size
    cash, consumer, revolving, empty = kind.cash, kind.consumer, kind.revolving, kind.empty
    status = cols["NAME_CONTRACT_STATUS"]
    approved = kind.approved
    refused = status == _code("NAME_CONTRACT_STATUS", "Refused")
    unused = status == _code("NAME_CONTRACT_STATUS", "Unused offer")
    out: Columns = {}
    out["WEEKDAY_APPR_PROCESS_START"] = categorical(
        _T, "WEEKDAY_APPR_PROCESS_START", profile.PREVIOUS_WEEKDAY_FREQ
    ).sample(rng, m)
    hour = np.round(from_quantiles(rng.random(m), profile.PREVIOUS_HOUR_QUANTILES))
    out["HOUR_APPR_PROCESS_START"] = np.clip(hour, 0, 23).astype(np.int64)
    last_per_contract = rng.random(m) < 0.995
    out["FLAG_LAST_APPL_PER_CONTRACT"] = np.where(
        last_per_contract,
        _code("FLAG_LAST_APPL_PER_CONTRACT", "Y"),
        _code("FLAG_LAST_APPL_PER_CONTRACT", "N"),
    ).astype(np.int16)
    out["NFLAG_LAST_APPL_IN_DAY"] = (rng.random(m) < 0.996).astype(np.int64)
    has_rate = consumer & approved & (rng.random(m) < profile.RATE_INTEREST_SHARE * 2.5)
    out["RATE_INTEREST_PRIMARY"] = with_missing(rng.uniform(0.035, 0.2, m), ~has_rate)
    out["RATE_INTEREST_PRIVILEGED"] = with_missing(rng.uniform(0.37, 0.87, m), ~has_rate)

    purpose = categorical(_T, "NAME_CASH_LOAN_PURPOSE", profile.CASH_PURPOSE_FREQ).sample(rng, m)
    purpose[~cash] = _code("NAME_CASH_LOAN_PURPOSE", "XAP")
    purpose[empty] = _code("NAME_CASH_LOAN_PURPOSE", "XNA")
    out["NAME_CASH_LOAN_PURPOSE"] = purpose

    payment = np.where(
        rng.random(m) < 0.985,
        _code("NAME_PAYMENT_TYPE", "Cash through the bank"),
        _code("NAME_PAYMENT_TYPE", "Non-cash from your account"),
    ).astype(np.int16)
    payment[(approved & (rng.random(m) < 0.17)) | (refused & (rng.random(m) < 0.34))] = _code(
        "NAME_PAYMENT_TYPE", "XNA"
    )
    payment[empty | (status == _code("NAME_CONTRACT_STATUS", "Canceled"))] = _code(
        "NAME_PAYMENT_TYPE", "XNA"
    )
    out["NAME_PAYMENT_TYPE"] = payment
    reason = categorical(_T, "CODE_REJECT_REASON", profile.REFUSAL_REASON_FREQ).sample(rng, m)
    reason[~refused] = _code("CODE_REJECT_REASON", "XAP")
    reason[unused] = _code("CODE_REJECT_REASON", "CLIENT")
    out["CODE_REJECT_REASON"] = reason

    suite = categorical(_T, "NAME_TYPE_SUITE", profile.PREVIOUS_SUITE_FREQ).sample(rng, m)
    p_missing = np.zeros(m)
    for name, share in profile.PREVIOUS_SUITE_MISSING_BY_STATUS.items():
        p_missing[status == _code("NAME_CONTRACT_STATUS", name)] = share
    out["NAME_TYPE_SUITE"] = codes_with_missing(suite, rng.random(m) < p_missing)

    # The client's first application is "New" (or "Refreshed"), later ones mostly "Repeater".
    decision = cols["DAYS_DECISION"]
    first_decision = np.full(n_clients, np.iinfo(np.int64).max)
    np.minimum.at(first_decision, client, decision)
    first = decision == first_decision[client]
    client_type = np.where(
        rng.random(m) < 0.88,
        _code("NAME_CLIENT_TYPE", "Repeater"),
        _code("NAME_CLIENT_TYPE", "Refreshed"),
    ).astype(np.int16)
    client_type[rng.random(m) < 0.0015] = _code("NAME_CLIENT_TYPE", "XNA")
    client_type[first] = np.where(
        rng.random(int(first.sum())) < 0.8,
        _code("NAME_CLIENT_TYPE", "New"),
        _code("NAME_CLIENT_TYPE", "Refreshed"),
    )
    out["NAME_CLIENT_TYPE"] = client_type

    goods = categorical(_T, "NAME_GOODS_CATEGORY", profile.GOODS_CATEGORY_FREQ).sample(rng, m)
    goods[~consumer] = _code("NAME_GOODS_CATEGORY", "XNA")
    out["NAME_GOODS_CATEGORY"] = goods
    portfolio = np.where(
        cash,
        _code("NAME_PORTFOLIO", "Cash"),
        np.where(revolving, _code("NAME_PORTFOLIO", "Cards"), _code("NAME_PORTFOLIO", "POS")),
    ).astype(np.int16)
    portfolio[consumer & (goods == _code("NAME_GOODS_CATEGORY", "Vehicles"))] = _code(
        "NAME_PORTFOLIO", "Cars"
    )
    portfolio[empty | kind.xna | (consumer & (rng.random(m) < 0.04))] = _code(
        "NAME_PORTFOLIO", "XNA"
    )
    out["NAME_PORTFOLIO"] = portfolio
    cross_sell = rng.random(m) < np.where(cash, 0.78, 0.5)
    product = np.where(
        cross_sell, _code("NAME_PRODUCT_TYPE", "x-sell"), _code("NAME_PRODUCT_TYPE", "walk-in")
    ).astype(np.int16)
    product[consumer | empty] = _code("NAME_PRODUCT_TYPE", "XNA")
    out["NAME_PRODUCT_TYPE"] = product

    channel = np.empty(m, dtype=np.int16)
    for type_name, freq in profile.CHANNEL_BY_TYPE.items():
        mask = cols["NAME_CONTRACT_TYPE"] == _code("NAME_CONTRACT_TYPE", type_name)
        channel[mask] = categorical(_T, "CHANNEL_TYPE", freq).sample(rng, int(mask.sum()))
    out["CHANNEL_TYPE"] = channel
    area = np.round(np.exp(rng.normal(4.6, 2.0, m))).astype(np.int64)
    no_seller = (cash & (rng.random(m) < 0.85)) | (revolving & (rng.random(m) < 0.6)) | empty
    area[no_seller] = -1
    area[consumer & (rng.random(m) < 0.02)] = 0
    out["SELLERPLACE_AREA"] = area
    industry = categorical(
        _T, "NAME_SELLER_INDUSTRY", profile.SELLER_INDUSTRY_CONSUMER_FREQ
    ).sample(rng, m)
    industry[(cash & (rng.random(m) < 0.85)) | (revolving & (rng.random(m) < 0.6)) | empty] = _code(
        "NAME_SELLER_INDUSTRY", "XNA"
    )
    out["NAME_SELLER_INDUSTRY"] = industry
    out["PRODUCT_COMBINATION"] = _product_combination(
        rng, kind, yield_code=cols["NAME_YIELD_GROUP"], goods=goods, cross_sell=cross_sell
    )
    return out


def _product_combination(
    rng: np.random.Generator,
    kind: PreviousKinds,
    *,
    yield_code: Codes,
    goods: Codes,
    cross_sell: Bools,
) -> Codes:
    """PRODUCT_COMBINATION: the product type, its yield level and (POS) its goods group."""
    m = goods.size
    name = "PRODUCT_COMBINATION"
    combination = _constant(name, "Cash", m)
    level = np.full(m, "middle", dtype=object)
    level[yield_code == code_of(_T, "NAME_YIELD_GROUP", "high")] = "high"
    level[
        np.isin(
            yield_code, [code_of(_T, "NAME_YIELD_GROUP", v) for v in ("low_normal", "low_action")]
        )
    ] = "low"
    for lvl in ("low", "middle", "high"):
        at_level = kind.cash & ~kind.empty & (level == lvl)
        combination[at_level & cross_sell] = _code(name, f"Cash X-Sell: {lvl}")
        combination[at_level & ~cross_sell] = _code(name, f"Cash Street: {lvl}")
    revolving = kind.revolving
    combination[revolving] = _code(name, "Card Street")
    combination[revolving & cross_sell & ~kind.empty] = _code(name, "Card X-Sell")
    free = yield_code == code_of(_T, "NAME_YIELD_GROUP", "low_action")
    group = np.full(m, "other", dtype=object)
    group[goods == code_of(_T, "NAME_GOODS_CATEGORY", "Mobile")] = "mobile"
    group[np.isin(goods, [code_of(_T, "NAME_GOODS_CATEGORY", g) for g in _HOUSEHOLD])] = "household"
    group[np.isin(goods, [code_of(_T, "NAME_GOODS_CATEGORY", g) for g in _INDUSTRY])] = "industry"
    consumer = kind.consumer
    for grp in ("mobile", "household", "industry"):
        mask = consumer & (group == grp)
        combination[mask & ~free] = _code(name, f"POS {grp} with interest")
        combination[mask & free] = _code(name, f"POS {grp} without interest")
    other = consumer & (group == "other")
    combination[other & ~free] = _code(name, "POS other with interest")
    combination[other & free] = _code(name, "POS others without interest")
    return codes_with_missing(combination, rng.random(m) < 0.0002)
