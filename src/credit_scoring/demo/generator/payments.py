"""POS_CASH_balance and installments_payments of approved cash and consumer loans.

A loan approved on ``DAYS_DECISION`` has instalments due every 30 days from
``DAYS_FIRST_DUE`` (``AMT_ANNUITY`` each) until its last due date — earlier when it was repaid
early (the last instalment then settles the rest). Only instalments due before the application
(``DAYS_INSTALMENT`` ≤ -1) are reported. Lateness and underpayment follow the client's hidden
``habit_late``/``habit_underpay``; some instalments are paid in two rows. POS rows are the
loan's monthly snapshots from signing to completion (or the last month before the
application).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from credit_scoring.demo.generator import profile
from credit_scoring.demo.generator.application import Clients
from credit_scoring.demo.generator.arrays import Bools, Columns, Floats, Ints
from credit_scoring.demo.generator.previous import PreviousTable
from credit_scoring.demo.generator.sampling import (
    DAYS_PER_MONTH,
    code_of,
    owners,
    position_in_parent,
    sigmoid,
)
from credit_scoring.schema import DAYS_SENTINEL

_POS = "POS_CASH_balance"


@dataclass(frozen=True)
class PaymentHistory:
    """Rows of one history table; ``previous`` indexes their previous_application row."""

    columns: Columns
    previous: Ints

    @classmethod
    def concat(cls, parts: Sequence[PaymentHistory]) -> PaymentHistory:
        """The rows of ``parts``, one table after the other."""
        columns = {
            name: np.concatenate([p.columns[name] for p in parts]) for name in parts[0].columns
        }
        return cls(columns, np.concatenate([p.previous for p in parts]))


def late_days(
    rng: np.random.Generator,
    habit: Floats,
    *,
    early_days_mean: float = profile.PAID_EARLY_DAYS_MEAN,
) -> Floats:
    """Payment day minus due day (positive = late) for rows whose payer has ``habit``."""
    n = habit.size
    late = rng.random(n) < sigmoid(-3.0 + 1.15 * habit)
    days_late = 1.0 + np.floor(rng.lognormal(1.3 + 0.35 * np.maximum(habit, 0.0), 1.1, n))
    days_early = rng.geometric(1.0 / early_days_mean, n) - 1.0
    return np.where(late, np.minimum(days_late, 2000.0), -days_early)


def generate_loan_payments(
    rng: np.random.Generator, clients: Clients, previous: PreviousTable
) -> tuple[PaymentHistory, PaymentHistory]:
    """(POS_CASH_balance, installments_payments) of the approved non-revolving loans."""
    cols = previous.columns
    first_due = cols["DAYS_FIRST_DUE"]
    loan_mask = (
        previous.kind.approved
        & ~previous.kind.revolving
        & (first_due < 0)
        & (cols["CNT_PAYMENT"] >= 1)
    )
    loan = np.flatnonzero(loan_mask)
    term = cols["CNT_PAYMENT"][loan]
    first = first_due[loan]
    annuity = cols["AMT_ANNUITY"][loan]
    last_due = cols["DAYS_LAST_DUE"][loan]
    planned_last = cols["DAYS_LAST_DUE_1ST_VERSION"][loan]
    ended_early = (last_due != DAYS_SENTINEL) & (last_due < planned_last)
    due_before_now = np.clip(np.floor((-1.0 - first) / 30.0) + 1.0, 0.0, term)
    n_inst = np.where(ended_early, np.round((last_due - first) / 30.0) + 1.0, due_before_now)
    n_inst = n_inst.astype(np.int64)

    installments = _instalments(
        rng,
        clients,
        previous,
        loan=loan,
        n_inst=n_inst,
        first=first,
        annuity=annuity,
        term=term,
        ended_early=ended_early,
    )
    pos = _pos_months(
        rng,
        clients,
        previous,
        loan=loan,
        term=term,
        first=first,
        last_due=last_due,
        ended=(last_due != DAYS_SENTINEL),
    )
    return pos, installments


def _instalments(
    rng: np.random.Generator,
    clients: Clients,
    previous: PreviousTable,
    *,
    loan: Ints,
    n_inst: Ints,
    first: Floats,
    annuity: Floats,
    term: Floats,
    ended_early: Bools,
) -> PaymentHistory:
    owner = owners(n_inst)  # index into ``loan``
    number = position_in_parent(n_inst) + 1
    prev = loan[owner]
    client = previous.client[prev]
    due = first[owner] + 30.0 * (number - 1)
    amount = annuity[owner].copy()
    settles = ended_early[owner] & (number == n_inst[owner])
    remaining = np.maximum(term[owner] - number + 1.0, 1.0)
    amount[settles] = np.round(amount[settles] * remaining[settles] * 0.93, 3)

    loan_habit = 0.35 * rng.standard_normal(loan.size)
    late_habit = clients.habit_late[client] + loan_habit[owner]
    entry = np.minimum(due + late_days(rng, late_habit), -1.0)
    entry = np.where(entry < due, np.maximum(entry, due - 120.0), entry)
    under = rng.random(owner.size) < sigmoid(-3.6 + 1.2 * clients.habit_underpay[client])
    paid = np.where(under, np.round(amount * rng.uniform(0.05, 0.99, owner.size), 3), amount)

    version = np.ones(owner.size)
    revised = rng.random(loan.size) < profile.VERSION_CHANGE_SHARE
    revised_from = np.floor(rng.random(loan.size) * np.maximum(n_inst, 1)) + 1
    version[revised[owner] & (number >= revised_from[owner])] = 2.0

    # Some instalments are paid in two rows (same instalment, two payments).
    split = (rng.random(owner.size) < profile.SPLIT_PAYMENT_SHARE) & ~under
    first_part = np.round(amount * rng.uniform(0.2, 0.8, owner.size), 3)
    extra_entry = np.minimum(entry + rng.integers(0, 12, owner.size), -1.0)
    rows = np.concatenate([np.arange(owner.size), np.flatnonzero(split)])
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    is_second = np.zeros(rows.size, dtype=bool)
    is_second[owner.size :] = True
    is_second = is_second[order]
    paid_rows = np.where(
        is_second,
        amount[rows] - first_part[rows],
        np.where(split[rows], first_part[rows], paid[rows]),
    )
    entry_rows = np.where(is_second, extra_entry[rows], entry[rows])
    columns: Columns = {
        "NUM_INSTALMENT_VERSION": version[rows],
        "NUM_INSTALMENT_NUMBER": number[rows].astype(np.int64),
        "DAYS_INSTALMENT": due[rows],
        "DAYS_ENTRY_PAYMENT": entry_rows,
        "AMT_INSTALMENT": amount[rows],
        "AMT_PAYMENT": np.round(paid_rows, 3),
    }
    return PaymentHistory(columns=columns, previous=prev[rows])


def _pos_months(
    rng: np.random.Generator,
    clients: Clients,
    previous: PreviousTable,
    *,
    loan: Ints,
    term: Floats,
    first: Floats,
    last_due: Floats,
    ended: Bools,
) -> PaymentHistory:
    first_month = np.floor(first / DAYS_PER_MONTH).astype(np.int64)
    end_month = np.where(ended, np.floor(last_due / DAYS_PER_MONTH), -1).astype(np.int64)
    end_month = np.clip(end_month, first_month, -1)
    n_months = end_month - first_month + 1
    owner = owners(n_months)
    prev = loan[owner]
    client = previous.client[prev]
    offset = position_in_parent(n_months)
    month = end_month[owner] - offset  # most recent first
    month_end_day = (month + 1) * DAYS_PER_MONTH
    due_so_far = np.clip(np.floor((month_end_day - first[owner]) / 30.0) + 1, 0, term[owner])
    future = term[owner] - due_so_far
    is_last = offset == 0
    completed = ended[owner] & is_last
    future[completed] = 0.0

    code = {s: code_of(_POS, "NAME_CONTRACT_STATUS", s) for s in ("Active", "Completed", "Signed")}
    status = np.full(owner.size, code["Active"], dtype=np.int16)
    status[completed] = code["Completed"]
    is_first = offset == n_months[owner] - 1
    status[is_first & ~completed & (rng.random(owner.size) < 0.25)] = code["Signed"]
    status[rng.random(owner.size) < 0.0008] = code_of(_POS, "NAME_CONTRACT_STATUS", "Demand")
    status[rng.random(owner.size) < 0.0004] = code_of(
        _POS, "NAME_CONTRACT_STATUS", "Returned to the store"
    )

    habit = clients.habit_late[client]
    late_month = (rng.random(owner.size) < sigmoid(-4.4 + 1.3 * habit)) & ~completed
    dpd = np.where(
        late_month,
        1 + np.floor(rng.lognormal(1.8 + 0.4 * np.maximum(habit, 0), 1.2, owner.size)),
        0,
    )
    dpd = np.minimum(dpd, 3000).astype(np.int64)
    dpd_def = np.where(rng.random(owner.size) < 0.45, dpd, 0).astype(np.int64)
    columns: Columns = {
        "MONTHS_BALANCE": month,
        "CNT_INSTALMENT": term[owner].copy(),
        "CNT_INSTALMENT_FUTURE": future,
        "NAME_CONTRACT_STATUS": status,
        "SK_DPD": dpd,
        "SK_DPD_DEF": dpd_def,
    }
    return PaymentHistory(columns=columns, previous=prev)
