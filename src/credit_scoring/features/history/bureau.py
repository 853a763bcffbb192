"""Bureau features: credits reported by other institutions, with their monthly statuses.

bureau_balance is first summarised per bureau credit (months observed, months past due, worst
status), then rolled up with the bureau credits to one row per client. Amounts are currency
units; ``DAYS_*`` are days before the application (negative); ``MONTHS_BALANCE`` is months
before the application (negative).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from credit_scoring.features.history._common import (
    KEY,
    YEAR_WINDOWS,
    Metrics,
    any_rows,
    per_client,
    presence,
    ratio,
    share,
    without_sentinels,
)

_DPD_BUCKETS = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}  # STATUS 1..5: increasing lateness
_CREDIT_TYPES = {
    "CREDIT_CARD": "Credit card",
    "CONSUMER_CREDIT": "Consumer credit",
    "CAR_LOAN": "Car loan",
    "MORTGAGE": "Mortgage",
    "MICROLOAN": "Microloan",
}


def bureau_balance_by_credit(bureau_balance: ir.Table) -> ir.Table:
    """One row per SK_ID_BUREAU: months observed, months past due, worst status (0–5)."""
    status = bureau_balance.STATUS
    dpd = ibis.cases(*((status == k, v) for k, v in _DPD_BUCKETS.items()), else_=0)
    bb = bureau_balance.mutate(dpd=dpd)
    late = bb.dpd > 0
    return bb.group_by("SK_ID_BUREAU").aggregate(
        bb_months=bb.MONTHS_BALANCE.count(),
        bb_dpd_months=bb.MONTHS_BALANCE.count(where=late),
        bb_dpd_months_12=bb.MONTHS_BALANCE.count(where=late & (bb.MONTHS_BALANCE >= -12)),
        bb_unknown_months=bb.MONTHS_BALANCE.count(where=status == "X"),
        bb_worst_status=bb.dpd.max(),
        bb_first_month=bb.MONTHS_BALANCE.min(),
    )


def bureau_features(bureau: ir.Table, bureau_balance: ir.Table) -> ir.Table:
    """One row per SK_ID_CURR with ``BUREAU_*`` and ``BUREAU_BB_*`` features."""
    b = without_sentinels(bureau, "bureau")
    b = b.left_join(bureau_balance_by_credit(bureau_balance), "SK_ID_BUREAU").drop(
        "SK_ID_BUREAU_right"
    )
    active = b.CREDIT_ACTIVE == "Active"
    closed = b.CREDIT_ACTIVE == "Closed"
    days = b.DAYS_CREDIT
    debt = b.AMT_CREDIT_SUM_DEBT
    credit = b.AMT_CREDIT_SUM
    overdue = b.AMT_CREDIT_SUM_OVERDUE

    m: Metrics = {
        **presence("BUREAU", b.SK_ID_BUREAU),
        "BUREAU_ACTIVE_COUNT": b.SK_ID_BUREAU.count(where=active),
        "BUREAU_CLOSED_COUNT": b.SK_ID_BUREAU.count(where=closed),
        "BUREAU_BAD_DEBT_OR_SOLD_COUNT": b.SK_ID_BUREAU.count(
            where=b.CREDIT_ACTIVE.isin(["Bad debt", "Sold"])
        ),
        "BUREAU_ACTIVE_SHARE": share(active),
    }
    for suffix, credit_type in _CREDIT_TYPES.items():
        m[f"BUREAU_{suffix}_COUNT"] = b.SK_ID_BUREAU.count(where=b.CREDIT_TYPE.isin([credit_type]))
    m |= {
        "BUREAU_DAYS_CREDIT_MIN": days.min(),
        "BUREAU_DAYS_CREDIT_MAX": days.max(),
        "BUREAU_DAYS_CREDIT_MEAN": days.mean(),
        "BUREAU_DAYS_CREDIT_STD": days.std(),
        "BUREAU_DAYS_CREDIT_ENDDATE_MIN": b.DAYS_CREDIT_ENDDATE.min(),
        "BUREAU_DAYS_CREDIT_ENDDATE_MAX": b.DAYS_CREDIT_ENDDATE.max(),
        "BUREAU_DAYS_CREDIT_ENDDATE_MEAN": b.DAYS_CREDIT_ENDDATE.mean(),
        "BUREAU_DAYS_ENDDATE_FACT_MAX": b.DAYS_ENDDATE_FACT.max(),
        "BUREAU_DAYS_ENDDATE_FACT_MEAN": b.DAYS_ENDDATE_FACT.mean(),
        # Negative: closed before the planned end date.
        "BUREAU_ENDDATE_FACT_MINUS_PLANNED_MEAN": (
            b.DAYS_ENDDATE_FACT - b.DAYS_CREDIT_ENDDATE
        ).mean(),
        "BUREAU_DAYS_CREDIT_UPDATE_MAX": b.DAYS_CREDIT_UPDATE.max(),
        "BUREAU_DAYS_CREDIT_UPDATE_MEAN": b.DAYS_CREDIT_UPDATE.mean(),
        "BUREAU_CREDIT_DAY_OVERDUE_MAX": b.CREDIT_DAY_OVERDUE.max(),
        "BUREAU_CREDIT_DAY_OVERDUE_MEAN": b.CREDIT_DAY_OVERDUE.mean(),
        "BUREAU_OVERDUE_COUNT": b.SK_ID_BUREAU.count(where=b.CREDIT_DAY_OVERDUE > 0),
        "BUREAU_AMT_CREDIT_MAX_OVERDUE_MAX": b.AMT_CREDIT_MAX_OVERDUE.max(),
        "BUREAU_AMT_CREDIT_MAX_OVERDUE_MEAN": b.AMT_CREDIT_MAX_OVERDUE.mean(),
        "BUREAU_CNT_CREDIT_PROLONG_SUM": b.CNT_CREDIT_PROLONG.sum(),
        "BUREAU_AMT_CREDIT_SUM_SUM": credit.sum(),
        "BUREAU_AMT_CREDIT_SUM_MEAN": credit.mean(),
        "BUREAU_AMT_CREDIT_SUM_MAX": credit.max(),
        "BUREAU_AMT_CREDIT_SUM_DEBT_SUM": debt.sum(),
        "BUREAU_AMT_CREDIT_SUM_DEBT_MEAN": debt.mean(),
        "BUREAU_AMT_CREDIT_SUM_DEBT_MAX": debt.max(),
        "BUREAU_AMT_CREDIT_SUM_LIMIT_SUM": b.AMT_CREDIT_SUM_LIMIT.sum(),
        "BUREAU_AMT_CREDIT_SUM_LIMIT_MEAN": b.AMT_CREDIT_SUM_LIMIT.mean(),
        "BUREAU_AMT_CREDIT_SUM_OVERDUE_SUM": overdue.sum(),
        "BUREAU_AMT_CREDIT_SUM_OVERDUE_MAX": overdue.max(),
        "BUREAU_AMT_ANNUITY_SUM": b.AMT_ANNUITY.sum(),
        "BUREAU_AMT_ANNUITY_MEAN": b.AMT_ANNUITY.mean(),
        "BUREAU_DEBT_CREDIT_RATIO": ratio(debt.sum(), credit.sum()),
        "BUREAU_OVERDUE_DEBT_RATIO": ratio(overdue.sum(), debt.sum()),
        # Active credits: what the client owes now.
        "BUREAU_ACTIVE_DEBT_SUM": debt.sum(where=active),
        "BUREAU_ACTIVE_CREDIT_SUM": credit.sum(where=active),
        "BUREAU_ACTIVE_LIMIT_SUM": b.AMT_CREDIT_SUM_LIMIT.sum(where=active),
        "BUREAU_ACTIVE_OVERDUE_SUM": overdue.sum(where=active),
        "BUREAU_ACTIVE_ANNUITY_SUM": b.AMT_ANNUITY.sum(where=active),
        "BUREAU_ACTIVE_DEBT_CREDIT_RATIO": ratio(debt.sum(where=active), credit.sum(where=active)),
        "BUREAU_ACTIVE_DAYS_CREDIT_MEAN": days.mean(where=active),
        "BUREAU_ACTIVE_DAYS_CREDIT_ENDDATE_MAX": b.DAYS_CREDIT_ENDDATE.max(where=active),
        "BUREAU_ACTIVE_CREDIT_DAY_OVERDUE_MAX": b.CREDIT_DAY_OVERDUE.max(where=active),
        # Closed credits: how the client ended past credits.
        "BUREAU_CLOSED_CREDIT_SUM": credit.sum(where=closed),
        "BUREAU_CLOSED_DAYS_CREDIT_MAX": days.max(where=closed),
        "BUREAU_CLOSED_DAYS_ENDDATE_FACT_MAX": b.DAYS_ENDDATE_FACT.max(where=closed),
        "BUREAU_CLOSED_AMT_CREDIT_MAX_OVERDUE_MAX": b.AMT_CREDIT_MAX_OVERDUE.max(where=closed),
    }
    for window, n_days in YEAR_WINDOWS.items():
        recent = days >= -n_days
        m[f"BUREAU_COUNT_LAST_{window}"] = b.SK_ID_BUREAU.count(where=recent)
        m[f"BUREAU_CREDIT_SUM_LAST_{window}"] = credit.sum(where=recent)
    m |= {
        "BUREAU_BB_HAS_HISTORY": any_rows(b.bb_months),
        "BUREAU_BB_MONTHS_SUM": b.bb_months.sum(),
        "BUREAU_BB_MONTHS_MEAN": b.bb_months.mean(),
        "BUREAU_BB_DPD_MONTHS_SUM": b.bb_dpd_months.sum(),
        "BUREAU_BB_DPD_SHARE": ratio(b.bb_dpd_months.sum(), b.bb_months.sum()),
        "BUREAU_BB_DPD_MONTHS_LAST_12M_SUM": b.bb_dpd_months_12.sum(),
        "BUREAU_BB_CREDITS_WITH_DPD_COUNT": b.SK_ID_BUREAU.count(where=b.bb_dpd_months > 0),
        "BUREAU_BB_WORST_STATUS_MAX": b.bb_worst_status.max(),
        "BUREAU_BB_WORST_STATUS_MEAN": b.bb_worst_status.mean(),
        "BUREAU_BB_UNKNOWN_SHARE": ratio(b.bb_unknown_months.sum(), b.bb_months.sum()),
        "BUREAU_BB_FIRST_MONTH_MIN": b.bb_first_month.min(),
    }
    joined = per_client(b, m, credit_type_counts(bureau))
    columns = [c for c in joined.columns if c != _NUNIQUE]
    at = columns.index("BUREAU_ACTIVE_SHARE") + 1  # its place in the feature order
    return joined.select(*columns[:at], _NUNIQUE, *columns[at:])


_NUNIQUE = "BUREAU_CREDIT_TYPE_NUNIQUE"


def credit_type_counts(bureau: ir.Table) -> ir.Table:
    """Distinct non-NULL credit types of every client with bureau credits (0 if all NULL).

    Computed apart from the other aggregates: a ``COUNT(DISTINCT …)`` among them makes DuckDB
    materialise the whole joined bureau relation; grouping the two columns first does not.
    """
    pairs = bureau.select(KEY, "CREDIT_TYPE").distinct()
    return pairs.group_by(KEY).aggregate(**{_NUNIQUE: pairs.CREDIT_TYPE.count()})
