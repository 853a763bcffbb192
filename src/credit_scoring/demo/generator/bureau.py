"""bureau and bureau_balance: credits the client holds or held at other institutions.

Each credit is opened ``DAYS_CREDIT`` days before the application (≥ 8 years back at most),
has a planned end (``DAYS_CREDIT_ENDDATE``, possibly in the future), and is either closed (with
``DAYS_ENDDATE_FACT`` between its opening and the application) or still active. Delinquency
follows the client's hidden ``habit_bureau``: it shows as monthly statuses 1–5 in
bureau_balance, as ``AMT_CREDIT_MAX_OVERDUE``, and — for active credits overdue today — as
``CREDIT_DAY_OVERDUE``/``AMT_CREDIT_SUM_OVERDUE`` with a matching status in month 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from credit_scoring.demo.generator import profile
from credit_scoring.demo.generator.application import Clients
from credit_scoring.demo.generator.arrays import Bools, Codes, Columns, Floats, Ints
from credit_scoring.demo.generator.sampling import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    categorical,
    code_of,
    count_extra,
    from_quantiles,
    owners,
    position_in_parent,
    round_to,
    sigmoid,
    with_missing,
)

_B = "bureau"
_BB = "bureau_balance"
#: Log-normal draws by credit type, each a (log-median, log-sd): the planned duration in days
#: and the amount in currency units. Types not listed draw from ``_OTHER_TYPES``.
_DURATION, _AMOUNT = 0, 1
_BY_TYPE = {
    #                  duration      amount
    "Consumer credit": ((6.3, 1.1), (11.8, 1.35)),
    "Credit card": ((7.0, 0.8), (11.9, 0.9)),
    "Car loan": ((7.4, 0.45), (13.7, 0.6)),
    "Mortgage": ((8.6, 0.5), (15.1, 0.7)),
    "Microloan": ((4.3, 0.7), (10.3, 0.9)),
}  # fmt: skip
_OTHER_TYPES = ((6.4, 0.9), (12.0, 1.0))


@dataclass(frozen=True)
class BureauTables:
    """bureau rows (``client``: local client index) and bureau_balance rows (``credit``:
    index of their bureau row). ID columns are assigned later by the chunk runner."""

    bureau: Columns
    client: Ints
    bureau_balance: Columns
    credit: Ints


def generate_bureau(rng: np.random.Generator, clients: Clients) -> BureauTables:
    """Bureau credits of ``clients`` and their monthly statuses."""
    n = clients.n
    counts = count_extra(
        rng,
        n,
        none_share=profile.BUREAU_NONE_SHARE,
        extra_mean=profile.BUREAU_EXTRA_MEAN,
        dispersion=profile.BUREAU_EXTRA_DISPERSION,
    )
    young = clients.age_years < 25
    counts[young] = np.minimum(counts[young], rng.integers(0, 4, int(young.sum())))
    client = owners(counts)
    m = client.size
    cols: Columns = {}

    credit_type = categorical(_B, "CREDIT_TYPE", profile.BUREAU_TYPE_FREQ).sample(rng, m)
    cols["CREDIT_TYPE"] = credit_type
    cols["CREDIT_CURRENCY"] = categorical(
        _B, "CREDIT_CURRENCY", profile.BUREAU_CURRENCY_FREQ
    ).sample(rng, m)
    max_age_days = np.maximum((clients.age_years[client] - 18.0) * DAYS_PER_YEAR, 30.0)
    opened = np.minimum(
        from_quantiles(rng.random(m), profile.BUREAU_AGE_DAYS_QUANTILES), max_age_days
    )
    days_credit = -np.maximum(np.round(opened), 1).astype(np.int64)
    cols["DAYS_CREDIT"] = days_credit

    duration = _by_type(rng, credit_type, _DURATION)
    planned_end = days_credit + np.round(duration)
    is_card = credit_type == code_of(_B, "CREDIT_TYPE", "Credit card")
    open_ended = is_card & (rng.random(m) < profile.BUREAU_ENDDATE_MISSING_CARD)

    # Closed: most credits whose planned end has passed, some repaid early.
    elapsed = np.clip(-days_credit / np.maximum(planned_end - days_credit, 1), 0.0, 3.0)
    p_closed = np.where(planned_end < 0, 0.95, 0.55 * elapsed)
    p_closed = np.where(open_ended, 0.25, p_closed)
    closed = rng.random(m) < p_closed
    hb = clients.habit_bureau[client] + 0.7 * rng.standard_normal(m)
    active_code = code_of(_B, "CREDIT_ACTIVE", "Active")
    status = np.where(closed, code_of(_B, "CREDIT_ACTIVE", "Closed"), active_code).astype(np.int16)
    sold = rng.random(m) < profile.BUREAU_SOLD_SHARE * np.exp(0.6 * hb) / 1.5
    status[sold] = code_of(_B, "CREDIT_ACTIVE", "Sold")
    status[rng.random(m) < profile.BUREAU_BAD_DEBT_SHARE] = code_of(_B, "CREDIT_ACTIVE", "Bad debt")
    closed = status == code_of(_B, "CREDIT_ACTIVE", "Closed")
    active = status == active_code
    cols["CREDIT_ACTIVE"] = status

    span = np.maximum(planned_end - days_credit, 1)
    early_end = days_credit + np.floor(rng.uniform(0.15, 1.0, m) * np.minimum(span, -days_credit))
    u = rng.random(m)
    fact = np.where(
        (planned_end < 0) & (u < 0.55),
        planned_end,
        np.where((planned_end < 0) & (u < 0.65), planned_end + rng.integers(1, 90, m), early_end),
    )
    fact = np.clip(fact, days_credit, -1).astype(np.float64)
    cols["DAYS_ENDDATE_FACT"] = with_missing(fact, ~closed)
    cols["DAYS_CREDIT_ENDDATE"] = with_missing(planned_end.astype(np.float64), open_ended)
    update_closed = fact + np.where(rng.random(m) < 0.3, 0, rng.geometric(1 / 40, m))
    update_active = -rng.geometric(1 / 35, m)
    update = np.where(closed, update_closed, update_active)
    cols["DAYS_CREDIT_UPDATE"] = np.clip(update, days_credit, -1).astype(np.int64)

    amount = _by_type(rng, credit_type, _AMOUNT)
    amount *= np.sqrt(clients.income[client] / 150000.0)
    amount = np.where(rng.random(m) < 0.55, round_to(amount, 4500.0), np.round(amount, 2))
    amount[is_card & (rng.random(m) < 0.12)] = 0.0
    cols["AMT_CREDIT_SUM"] = amount
    remaining = np.clip(1.0 - elapsed + 0.1 * rng.standard_normal(m), 0.0, 1.0)
    card_use = np.clip(
        sigmoid(clients.habit_card[client] - 0.6) + 0.1 * rng.standard_normal(m), 0.0, 1.0
    )
    debt = np.round(amount * np.where(is_card, card_use, remaining), 3) * active
    _set_missing_at_random(rng, cols, "AMT_CREDIT_SUM_DEBT", debt)
    limit = np.where(is_card & active & (rng.random(m) < 0.35), amount - debt, 0.0)
    _set_missing_at_random(rng, cols, "AMT_CREDIT_SUM_LIMIT", np.round(np.maximum(limit, 0.0), 3))

    # Delinquency: the worst monthly status (0 none … 5 over 120 days), and overdue today.
    delinquent = rng.random(m) < sigmoid(-2.55 + 1.25 * hb)
    worst = np.where(
        delinquent, 1 + np.minimum(np.floor(rng.exponential(0.25 * np.exp(0.6 * hb))), 4), 0
    ).astype(np.int64)
    overdue_now = active & (rng.random(m) < sigmoid(-5.2 + 1.3 * hb))
    days_overdue = np.where(
        overdue_now, np.minimum(np.ceil(rng.lognormal(3.2, 1.2, m)), 2900), 0
    ).astype(np.int64)
    now_bucket = np.minimum(np.ceil(days_overdue / 30.0), 5).astype(np.int64)
    worst = np.maximum(worst, now_bucket)
    cols["CREDIT_DAY_OVERDUE"] = days_overdue
    overdue_amount = np.round(np.maximum(debt, amount * 0.05) * rng.uniform(0.02, 0.3, m), 3)
    cols["AMT_CREDIT_SUM_OVERDUE"] = np.where(overdue_now, np.maximum(overdue_amount, 1.0), 0.0)
    max_overdue = np.where(worst > 0, np.round(amount * rng.uniform(0.01, 0.2, m), 3), 0.0)
    _set_missing_at_random(rng, cols, "AMT_CREDIT_MAX_OVERDUE", max_overdue)
    prolong = np.where(rng.random(m) < 0.008, rng.integers(1, 4, m), 0)
    cols["CNT_CREDIT_PROLONG"] = prolong.astype(np.int64)
    annuity = np.where(rng.random(m) < 0.5, 0.0, np.round(amount / np.maximum(span / 30.0, 1), 3))
    _set_missing_at_random(rng, cols, "AMT_ANNUITY", annuity)

    balance, credit = _bureau_balance(
        rng, days_credit=days_credit, fact=fact, closed=closed, worst=worst, now=now_bucket
    )
    return BureauTables(bureau=cols, client=client, bureau_balance=balance, credit=credit)


def _by_type(rng: np.random.Generator, credit_type: Codes, quantity: int) -> Floats:
    """Log-normal draws of ``quantity`` (``_DURATION`` or ``_AMOUNT``) by credit type."""
    medians = np.full(credit_type.size, _OTHER_TYPES[quantity][0])
    sds = np.full(credit_type.size, _OTHER_TYPES[quantity][1])
    for name, params in _BY_TYPE.items():
        mask = credit_type == code_of(_B, "CREDIT_TYPE", name)
        medians[mask], sds[mask] = params[quantity]
    return np.exp(medians + sds * rng.standard_normal(credit_type.size))


def _set_missing_at_random(
    rng: np.random.Generator, cols: Columns, column: str, values: np.ndarray
) -> None:
    """``cols[column]``: ``values`` with NaN in random rows, as many as the column misses."""
    missing = rng.random(values.size) < profile.BUREAU_MISSING_SHARE[column]
    cols[column] = with_missing(values, missing)


def _bureau_balance(
    rng: np.random.Generator,
    *,
    days_credit: Ints,
    fact: Floats,
    closed: Bools,
    worst: Ints,
    now: Ints,
) -> tuple[Columns, Ints]:
    """Monthly statuses, from the month after opening to month 0 (most recent first)."""
    m = days_credit.size
    reported = rng.random(m) < profile.BUREAU_BALANCE_SHARE
    first_month = np.minimum(np.floor(days_credit / DAYS_PER_MONTH).astype(np.int64) + 1, 0)
    close_month = np.where(closed, np.floor(fact / DAYS_PER_MONTH), 1).astype(np.int64)
    # Closed credits stop being reported some months after closing (or go on as "C").
    stops = closed & (rng.random(m) < 0.25)
    last_month = np.where(stops, np.minimum(close_month + rng.integers(0, 24, m), 0), 0).astype(
        np.int64
    )
    last_month = np.maximum(last_month, first_month)
    n_rows = np.where(reported, last_month - first_month + 1, 0)
    credit = owners(n_rows)
    month = last_month[credit] - position_in_parent(n_rows)

    code = {s: code_of(_BB, "STATUS", s) for s in ("C", "X", "0", "1", "2", "3", "4", "5")}
    status = np.full(month.size, code["0"], dtype=np.int16)
    unknown_credit = rng.random(m) < profile.BB_UNKNOWN_CREDIT_SHARE
    x_share = np.where(
        unknown_credit, 1.0, np.where(rng.random(m) < 0.5, 0.0, rng.uniform(0.0, 0.5, m))
    )
    status[rng.random(month.size) < x_share[credit]] = code["X"]
    # Late months: buckets up to the credit's worst, the worst itself at least once.
    late_rate = rng.uniform(0.03, 0.35, m)
    open_rows = month <= close_month[credit]
    late = (worst[credit] > 0) & (rng.random(month.size) < late_rate[credit]) & open_rows
    bucket = np.minimum(1 + np.floor(rng.exponential(0.5, month.size)), worst[credit])
    status[late] = (code["0"] + bucket[late]).astype(np.int16)
    has_rows = n_rows > 0
    open_span = np.maximum(np.minimum(close_month, last_month) - first_month + 1, 1)
    worst_row_month = np.maximum(
        np.minimum(close_month, last_month) - np.floor(rng.random(m) * open_span).astype(np.int64),
        first_month,
    )
    worst_row = (np.cumsum(n_rows) - n_rows) + (last_month - worst_row_month)
    pick = has_rows & (worst > 0)
    status[worst_row[pick]] = (code["0"] + worst[pick]).astype(np.int16)
    after_close = closed[credit] & (month > close_month[credit])
    status[after_close] = code["C"]
    # Overdue today: month 0 shows the current bucket.
    today = has_rows & (now > 0) & (last_month == 0)
    status[(np.cumsum(n_rows) - n_rows)[today]] = (code["0"] + now[today]).astype(np.int16)
    return {"MONTHS_BALANCE": month, "STATUS": status}, credit
