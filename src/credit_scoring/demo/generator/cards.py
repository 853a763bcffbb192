"""credit_card_balance (monthly card statements) and the card rows of installments_payments.

The client's earliest approved revolving application becomes a card reported every month
from its opening to one to four months before the application (or to its closing month). Its
utilisation (balance / limit) follows the client's hidden ``habit_card``; idle cards keep a
zero balance and cards not yet activated a zero limit. Each month with a payment also appears
in installments_payments (instalment version 0, as in the real data).
"""

from __future__ import annotations

import numpy as np

from credit_scoring.demo.generator import profile
from credit_scoring.demo.generator.application import Clients
from credit_scoring.demo.generator.arrays import Bools, Columns, Ints
from credit_scoring.demo.generator.payments import PaymentHistory, late_days
from credit_scoring.demo.generator.previous import PreviousTable
from credit_scoring.demo.generator.sampling import (
    DAYS_PER_MONTH,
    code_of,
    owners,
    position_in_parent,
    sigmoid,
    starts,
    with_missing,
)
from credit_scoring.schema import DAYS_SENTINEL

_CC = "credit_card_balance"


def _earliest_per_client(client: Ints, decision: Ints, candidates: Bools) -> Ints:
    """Index of each client's earliest candidate row (clients without one are absent)."""
    index = np.flatnonzero(candidates)
    index = index[np.lexsort((decision[index], client[index]))]
    first = np.ones(index.size, dtype=bool)
    first[1:] = client[index][1:] != client[index][:-1]
    return index[first]


def generate_cards(
    rng: np.random.Generator, clients: Clients, previous: PreviousTable
) -> tuple[PaymentHistory, PaymentHistory]:
    """(credit_card_balance, card rows of installments_payments)."""
    cols = previous.columns
    decision = cols["DAYS_DECISION"]
    card = _earliest_per_client(
        previous.client, decision, previous.kind.approved & previous.kind.revolving
    )
    card = card[rng.random(card.size) < profile.CARD_HISTORY_SHARE]
    k = card.size
    client_of_card = previous.client[card]
    last_due = cols["DAYS_LAST_DUE"][card]
    closed = last_due != DAYS_SENTINEL
    lag = np.searchsorted(np.cumsum([0.57, 0.35, 0.07, 0.01]), rng.random(k), side="right")
    end_month = np.where(closed, np.floor(last_due / DAYS_PER_MONTH), -1 - lag).astype(np.int64)
    open_month = np.floor(decision[card] / DAYS_PER_MONTH).astype(np.int64)
    end_month = np.clip(end_month, open_month, -1)
    n_months = end_month - open_month + 1

    owner = owners(n_months)
    age = position_in_parent(n_months)  # 0 = opening month; rows run oldest first
    month = open_month[owner] + age
    n = owner.size
    habit = clients.habit_card[client_of_card]
    limit = cols["AMT_CREDIT"][card].astype(np.int64)
    not_activated = rng.random(k) < profile.CARD_NOT_ACTIVATED_SHARE
    inactive_months = np.where(not_activated, np.ceil(rng.random(k) * n_months), 0)
    row_limit = np.where(age < inactive_months[owner], 0, limit[owner]).astype(np.int64)
    completed = closed[owner] & (age == n_months[owner] - 1)
    row_limit[completed & (rng.random(n) < 0.4)] = 0

    idle = rng.random(k) < profile.CARD_IDLE_SHARE * 2.0 * sigmoid(-0.8 * habit)
    level = sigmoid(-0.45 + 1.35 * habit + 0.3 * rng.standard_normal(k))
    utilisation = np.clip(level[owner] + 0.12 * rng.standard_normal(n), 0.0, 1.15)
    used = ~idle[owner] & (row_limit > 0) & (rng.random(n) > 0.1) & ~completed
    balance = np.where(used, np.round(utilisation * row_limit, 3), 0.0)

    draws = used & (rng.random(n) < 0.15 + 0.5 * level[owner])
    drawn = np.where(draws, np.round(row_limit * rng.uniform(0.02, 0.3, n), 2), 0.0)
    atm = draws & (rng.random(n) < 0.6)
    other = draws & ~atm & (rng.random(n) < 0.01)
    pos = draws & ~atm & ~other
    count_atm = np.where(atm, rng.integers(1, 4, n), 0)
    count_pos = np.where(pos, rng.integers(1, 11, n), 0)
    count_other = np.where(other, 1, 0)

    minimum = np.round(balance * 0.05, 3)
    below_minimum = (balance > 0) & (rng.random(n) < sigmoid(-3.2 + 1.2 * habit[owner]))
    payment = np.where(
        below_minimum,
        np.round(minimum * rng.uniform(0.0, 0.9, n), 3),
        np.round(minimum * rng.uniform(1.0, 3.0, n), 3),
    )
    payment[balance == 0] = 0.0
    # Months with no activity report no drawing or payment details at all.
    quiet = (balance == 0) & ~draws & (rng.random(n) < 0.4)
    # Instalments matured so far: months since activation (a few are skipped).
    matures = (row_limit > 0) & (rng.random(n) < 0.85)
    matured = np.cumsum(matures)
    matured = matured - np.repeat(matured[starts(n_months)] - matures[starts(n_months)], n_months)
    no_regularity = ((row_limit == 0) & (rng.random(n) < 0.7)) | ((age < 2) & (rng.random(n) < 0.3))

    code = {s: code_of(_CC, "NAME_CONTRACT_STATUS", s) for s in ("Active", "Completed", "Signed")}
    status = np.full(n, code["Active"], dtype=np.int16)
    status[completed] = code["Completed"]
    status[(age == 0) & (rng.random(n) < 0.05)] = code["Signed"]
    dpd = np.where(below_minimum & (rng.random(n) < 0.5), rng.integers(1, 31, n), 0)
    columns: Columns = {
        "MONTHS_BALANCE": month,
        "AMT_BALANCE": balance,
        "AMT_CREDIT_LIMIT_ACTUAL": row_limit,
        "AMT_DRAWINGS_ATM_CURRENT": with_missing(np.where(atm, drawn, 0.0), quiet),
        "AMT_DRAWINGS_CURRENT": drawn,
        "AMT_DRAWINGS_OTHER_CURRENT": with_missing(np.where(other, drawn, 0.0), quiet),
        "AMT_DRAWINGS_POS_CURRENT": with_missing(np.where(pos, drawn, 0.0), quiet),
        "AMT_INST_MIN_REGULARITY": with_missing(minimum, no_regularity),
        "AMT_PAYMENT_CURRENT": with_missing(payment, quiet),
        "AMT_PAYMENT_TOTAL_CURRENT": payment,
        "AMT_RECEIVABLE_PRINCIPAL": np.round(balance * rng.uniform(0.93, 0.99, n), 3),
        "AMT_RECIVABLE": np.round(balance - payment * 0.01, 3),
        "AMT_TOTAL_RECEIVABLE": np.round(balance - payment * 0.01, 3),
        "CNT_DRAWINGS_ATM_CURRENT": with_missing(count_atm.astype(np.float64), quiet),
        "CNT_DRAWINGS_CURRENT": (count_atm + count_pos + count_other).astype(np.int64),
        "CNT_DRAWINGS_OTHER_CURRENT": with_missing(count_other.astype(np.float64), quiet),
        "CNT_DRAWINGS_POS_CURRENT": with_missing(count_pos.astype(np.float64), quiet),
        "CNT_INSTALMENT_MATURE_CUM": with_missing(matured.astype(np.float64), no_regularity),
        "NAME_CONTRACT_STATUS": status,
        "SK_DPD": dpd.astype(np.int64),
        "SK_DPD_DEF": np.where(rng.random(n) < 0.3, dpd, 0).astype(np.int64),
    }
    balance_history = PaymentHistory(columns=columns, previous=card[owner])

    # Card repayments as instalment rows (version 0), one per month with a payment.
    paid = np.flatnonzero(payment > 0)
    due = np.round(month[paid] * DAYS_PER_MONTH + 20.0)
    due = np.minimum(np.maximum(due, decision[card][owner[paid]]), -1.0)  # not before opening
    entry = np.minimum(due + late_days(rng, clients.habit_late[client_of_card[owner[paid]]]), -1.0)
    paid_owner = owner[paid]
    first_of_card = np.ones(paid.size, dtype=bool)
    first_of_card[1:] = paid_owner[1:] != paid_owner[:-1]
    run_start = np.maximum.accumulate(np.where(first_of_card, np.arange(paid.size), 0))
    number = np.arange(paid.size) - run_start + 1
    instalments: Columns = {
        "NUM_INSTALMENT_VERSION": np.zeros(paid.size),
        "NUM_INSTALMENT_NUMBER": number.astype(np.int64),
        "DAYS_INSTALMENT": due,
        "DAYS_ENTRY_PAYMENT": entry,
        "AMT_INSTALMENT": payment[paid],
        "AMT_PAYMENT": payment[paid],
    }
    return balance_history, PaymentHistory(columns=instalments, previous=card[paid_owner])
