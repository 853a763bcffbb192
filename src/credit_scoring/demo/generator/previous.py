"""previous_application: the client's earlier applications at Home Credit.

Each application has a contract type, a decision date (``DAYS_DECISION``, within the last 8
years), an outcome — refusals follow the client's hidden ``habit_refused`` — and, when
approved, a repayment schedule (``DAYS_FIRST_DUE`` … ``DAYS_TERMINATION``, 365243 where not
applicable) that the POS, instalment and card histories are generated from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from credit_scoring.demo.generator import profile
from credit_scoring.demo.generator.application import Clients
from credit_scoring.demo.generator.arrays import Codes, Columns, Floats, Ints
from credit_scoring.demo.generator.previous_details import PreviousKinds, descriptive_columns
from credit_scoring.demo.generator.sampling import (
    DAYS_PER_YEAR,
    categorical,
    code_of,
    count_extra,
    discrete,
    from_quantiles,
    owners,
    round_to,
    sigmoid,
    starts,
    with_missing,
)
from credit_scoring.schema import DAYS_SENTINEL

_T = "previous_application"
_SENTINEL = float(DAYS_SENTINEL)


@dataclass(frozen=True)
class PreviousTable:
    """previous_application rows (``client``: local client index; SK_ID_PREV assigned later)
    and the flags the payment and card generators need."""

    columns: Columns
    client: Ints
    kind: PreviousKinds


def generate_previous(rng: np.random.Generator, clients: Clients) -> PreviousTable:
    """Previous applications of ``clients`` (about 4.7 per client, 5% have none)."""
    counts = count_extra(
        rng,
        clients.n,
        none_share=profile.PREVIOUS_NONE_SHARE,
        extra_mean=profile.PREVIOUS_EXTRA_MEAN,
        dispersion=profile.PREVIOUS_EXTRA_DISPERSION,
    )
    client = owners(counts)
    m = client.size
    cols: Columns = {}
    contract = categorical(_T, "NAME_CONTRACT_TYPE", profile.PREVIOUS_TYPE_FREQ).sample(rng, m)
    # Nearly every client with applications was granted at least one instalment loan (95% of
    # Kaggle clients have instalment history): usually their first application.
    anchor = np.zeros(m, dtype=bool)
    first = starts(counts)[counts > 0]
    anchor[first] = rng.random(first.size) < profile.FIRST_LOAN_GRANTED_SHARE
    instalment_type = np.where(
        rng.random(m) < 0.5, code_of(_T, "NAME_CONTRACT_TYPE", "Consumer loans"),
        code_of(_T, "NAME_CONTRACT_TYPE", "Cash loans"),
    )  # fmt: skip
    converted = anchor & ~np.isin(
        contract, [code_of(_T, "NAME_CONTRACT_TYPE", v) for v in ("Cash loans", "Consumer loans")]
    )
    contract[converted] = instalment_type[converted]
    cols["NAME_CONTRACT_TYPE"] = contract
    is_type = {
        key: contract == code_of(_T, "NAME_CONTRACT_TYPE", value)
        for key, value in (
            ("cash", "Cash loans"),
            ("consumer", "Consumer loans"),
            ("revolving", "Revolving loans"),
            ("xna", "XNA"),
        )
    }
    status = _outcomes(rng, contract, clients.habit_refused[client])
    status[anchor] = code_of(_T, "NAME_CONTRACT_STATUS", "Approved")
    cols["NAME_CONTRACT_STATUS"] = status
    approved = status == code_of(_T, "NAME_CONTRACT_STATUS", "Approved")
    canceled = status == code_of(_T, "NAME_CONTRACT_STATUS", "Canceled")
    refused = status == code_of(_T, "NAME_CONTRACT_STATUS", "Refused")

    # Approved contracts tend to be older than refused or abandoned applications.
    max_days = np.maximum((clients.age_years[client] - 18.0) * DAYS_PER_YEAR, 20.0)
    u = rng.random(m) ** np.where(approved, 0.7, 1.3)
    age_days = np.minimum(from_quantiles(u, profile.PREVIOUS_AGE_DAYS_QUANTILES), max_days)
    decision = -np.maximum(np.round(age_days), 1).astype(np.int64)
    cols["DAYS_DECISION"] = decision

    # An abandoned offer (and some refused cash requests) carries no amounts at all.
    empty = (canceled & (is_type["cash"] | is_type["revolving"] | is_type["xna"])) & (
        (rng.random(m) < profile.CASH_CANCELED_EMPTY_SHARE) | ~is_type["cash"]
    )
    empty |= is_type["xna"] | (refused & is_type["cash"] & (rng.random(m) < 0.14))
    kind = PreviousKinds(**is_type, approved=approved, empty=empty)
    term = _amounts(rng, cols, kind=kind, income=clients.income[client])
    _schedule(rng, cols, kind=kind, term=term)
    cols.update(descriptive_columns(rng, cols, kind=kind, client=client, n_clients=clients.n))
    return PreviousTable(columns=cols, client=client, kind=kind)


def _outcomes(rng: np.random.Generator, contract: Codes, habit: Floats) -> Codes:
    """Approved / Canceled / Refused / Unused offer; refusals tilted by the client's habit."""
    m = contract.size
    names = ("Approved", "Canceled", "Refused", "Unused offer")
    base = np.zeros((m, 4))
    for type_name, shares in profile.PREVIOUS_STATUS_BY_TYPE.items():
        mask = contract == code_of(_T, "NAME_CONTRACT_TYPE", type_name)
        base[mask] = [shares[s] for s in names]
    refused_base = np.clip(base[:, 2], 1e-6, 1 - 1e-6)
    tilt = habit + 0.6 * rng.standard_normal(m)
    p_refused = sigmoid(np.log(refused_base / (1 - refused_base)) + 1.1 * tilt - 0.55)
    p_refused = np.where(base[:, 2] > 0, p_refused, 0.0)
    others = base[:, [0, 1, 3]]
    others = others / np.maximum(others.sum(axis=1, keepdims=True), 1e-12)
    cumulative = np.cumsum(others, axis=1)
    u = rng.random(m)
    pick = (u[:, None] > cumulative[:, :2]).sum(axis=1)
    other_codes = np.asarray([code_of(_T, "NAME_CONTRACT_STATUS", names[i]) for i in (0, 1, 3)])
    status = other_codes[pick].astype(np.int16)
    status[rng.random(m) < p_refused] = code_of(_T, "NAME_CONTRACT_STATUS", "Refused")
    return status


def _amounts(
    rng: np.random.Generator, cols: Columns, *, kind: PreviousKinds, income: Floats
) -> Floats:
    """Application, credit, goods price, down payment, annuity and term (CNT_PAYMENT)."""
    m = income.size
    cash, consumer, revolving, empty = kind.cash, kind.consumer, kind.revolving, kind.empty
    scale = np.sqrt(income / 150000.0)

    goods_consumer = np.clip(np.exp(10.9 + 0.95 * rng.standard_normal(m)) * scale**0.6, 1800, 3e6)
    goods_consumer = np.where(
        rng.random(m) < 0.6, np.round(goods_consumer), np.round(goods_consumer, 1)
    )
    has_down = rng.random(m) < 0.55
    down_rate = np.where(rng.random(m) < 0.4, 0.1, rng.uniform(0.02, 0.35, m))
    down = np.where(has_down, np.round(goods_consumer * down_rate, 1), 0.0)
    cash_amount = np.clip(np.exp(12.35 + 0.9 * rng.standard_normal(m)) * scale, 22500, 4.05e6)
    cash_amount = round_to(cash_amount, np.where(rng.random(m) < 0.6, 22500.0, 4500.0))
    limit = discrete(
        rng,
        dict(zip(profile.REVOLVING_LIMITS, profile.PREVIOUS_REVOLVING_LIMIT_WEIGHTS, strict=True)),
        m,
    ).astype(np.float64)

    application = np.where(consumer, goods_consumer, np.where(cash, cash_amount, limit))
    application[empty] = 0.0
    insurance = np.where(rng.random(m) < 0.35, 1.0, 1.0 + rng.uniform(0.03, 0.2, m))
    credit = np.where(
        consumer,
        round_to((goods_consumer - down) * np.minimum(insurance, 1.1), 0.5),
        np.where(cash, round_to(cash_amount * insurance, 1.5), limit),
    )
    credit[empty] = 0.0
    cols["AMT_APPLICATION"] = application
    cols["AMT_CREDIT"] = credit
    goods = with_missing(application, empty)
    goods[revolving & (rng.random(m) < 0.5)] = np.nan
    cols["AMT_GOODS_PRICE"] = goods
    cols["AMT_DOWN_PAYMENT"] = with_missing(down, ~consumer)
    rate = np.where(goods_consumer > 0, down / goods_consumer, 0.0)
    cols["RATE_DOWN_PAYMENT"] = with_missing(rate, ~consumer)

    term = np.where(
        consumer,
        discrete(rng, profile.CONSUMER_TERM_FREQ, m),
        discrete(rng, profile.CASH_PREV_TERM_FREQ, m),
    ).astype(np.float64)
    term[revolving] = 0.0
    yield_name = ("low_action", "low_normal", "middle", "high")
    yields = np.asarray([profile.YIELD_RATES[k] for k in yield_name])
    consumer_yield = categorical(_T, "NAME_YIELD_GROUP", profile.CONSUMER_YIELD_FREQ).sample(rng, m)
    cash_yield = categorical(_T, "NAME_YIELD_GROUP", profile.CASH_YIELD_FREQ).sample(rng, m)
    yield_code = np.where(consumer, consumer_yield, cash_yield).astype(np.int16)
    yield_code[revolving | empty] = code_of(_T, "NAME_YIELD_GROUP", "XNA")
    cols["NAME_YIELD_GROUP"] = yield_code
    lookup = np.zeros(len(profile.YIELD_RATES) + 1)
    for name, value in zip(yield_name, yields, strict=True):
        lookup[code_of(_T, "NAME_YIELD_GROUP", name)] = value
    yearly = lookup[yield_code]
    safe_term = np.maximum(term, 1.0)
    annuity = np.round(credit * (1.0 + yearly * safe_term / 12.0) / safe_term, 3)
    annuity = np.where(revolving, np.round(credit * profile.REVOLVING_ANNUITY_RATE, 3), annuity)
    cols["AMT_ANNUITY"] = with_missing(annuity, empty)
    cols["CNT_PAYMENT"] = with_missing(term, empty)
    return term


def _schedule(
    rng: np.random.Generator, cols: Columns, *, kind: PreviousKinds, term: Floats
) -> None:
    """DAYS_FIRST_DRAWING … DAYS_TERMINATION of approved loans (NaN otherwise)."""
    decision = cols["DAYS_DECISION"]
    m = decision.size
    approved, revolving = kind.approved, kind.revolving
    instalment = approved & ~revolving
    first_due = decision + np.where(
        rng.random(m) < 0.85, rng.integers(21, 41, m), rng.integers(41, 120, m)
    )
    last_due_planned = first_due + 30 * (np.maximum(term, 1) - 1)
    # Early repayment: the loan ends at an earlier (already past) due date.
    due_count = np.clip(np.floor((-1 - first_due) / 30) + 1, 0, np.maximum(term, 1))
    early = instalment & (term >= 2) & (due_count >= 1)
    early &= rng.random(m) < profile.EARLY_REPAYMENT_SHARE
    early_at = 1 + np.floor(rng.random(m) * np.maximum(np.minimum(due_count, term - 1), 1))
    early_due = first_due + 30 * (early_at - 1)
    running = last_due_planned >= 0
    last_due = np.where(early, early_due, np.where(running, _SENTINEL, last_due_planned))
    termination = np.where(
        last_due == _SENTINEL, _SENTINEL, np.minimum(last_due + rng.integers(1, 12, m), -1)
    )
    termination = np.maximum(termination, last_due)
    drawing = np.full(m, _SENTINEL)

    # Cards: drawn soon after the decision (or never), closed by some applications' time.
    drawn = revolving & (rng.random(m) < profile.REVOLVING_DRAWN_SHARE)
    card_drawing = np.minimum(decision + rng.integers(0, 60, m), -1)
    card_first_due = np.minimum(card_drawing + rng.integers(20, 60, m), -1)
    card_closed = drawn & (rng.random(m) < profile.REVOLVING_CLOSED_SHARE)
    card_last = card_first_due + np.floor(rng.random(m) * (-card_first_due))
    drawing = np.where(drawn, card_drawing, drawing)
    first_due = np.where(revolving, np.where(drawn, card_first_due, _SENTINEL), first_due)
    last_due_planned = np.where(revolving, _SENTINEL, last_due_planned)
    last_due = np.where(revolving, np.where(card_closed, card_last, _SENTINEL), last_due)
    termination = np.where(
        revolving,
        np.where(card_closed, np.minimum(card_last + rng.integers(1, 40, m), -1), _SENTINEL),
        termination,
    )
    termination = np.where(revolving & card_closed, np.maximum(termination, last_due), termination)
    not_approved = ~approved
    for name, values in (
        ("DAYS_FIRST_DRAWING", drawing),
        ("DAYS_FIRST_DUE", first_due),
        ("DAYS_LAST_DUE_1ST_VERSION", last_due_planned),
        ("DAYS_LAST_DUE", last_due),
        ("DAYS_TERMINATION", termination),
    ):
        cols[name] = with_missing(np.asarray(values, dtype=np.float64), not_approved)
    insured_share = np.zeros(m)
    for type_name, share in profile.INSURED_SHARE_BY_TYPE.items():
        insured_share[
            cols["NAME_CONTRACT_TYPE"] == code_of(_T, "NAME_CONTRACT_TYPE", type_name)
        ] = share
    insured = (rng.random(m) < insured_share).astype(np.float64)
    cols["NFLAG_INSURED_ON_APPROVAL"] = with_missing(insured, not_approved)
