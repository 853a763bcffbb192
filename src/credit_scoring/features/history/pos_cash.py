"""POS and cash loan monthly snapshots: lateness, remaining instalments, completion.

``MONTHS_BALANCE`` is months before the application (negative); ``SK_DPD`` days past due.
"""

from __future__ import annotations

import ibis.expr.types as ir

from credit_scoring.features.history._common import KEY, Metrics, per_client, presence, share


def pos_cash_features(pos_cash_balance: ir.Table) -> ir.Table:
    """One row per SK_ID_CURR with ``POS_*`` features."""
    p = pos_cash_balance
    late = p.SK_DPD > 0
    recent = p.MONTHS_BALANCE >= -12
    m: Metrics = {
        **presence("POS", p.SK_ID_PREV, count="MONTHS_COUNT"),
        "POS_MONTHS_BALANCE_MIN": p.MONTHS_BALANCE.min(),
        "POS_MONTHS_BALANCE_MAX": p.MONTHS_BALANCE.max(),
        "POS_SK_DPD_MAX": p.SK_DPD.max(),
        "POS_SK_DPD_MEAN": p.SK_DPD.mean(),
        "POS_SK_DPD_DEF_MAX": p.SK_DPD_DEF.max(),
        "POS_SK_DPD_DEF_MEAN": p.SK_DPD_DEF.mean(),
        "POS_DPD_MONTHS_SHARE": share(late),
        "POS_DPD_DEF_MONTHS_COUNT": p.SK_ID_PREV.count(where=p.SK_DPD_DEF > 0),
        "POS_CNT_INSTALMENT_MEAN": p.CNT_INSTALMENT.mean(),
        "POS_CNT_INSTALMENT_FUTURE_MEAN": p.CNT_INSTALMENT_FUTURE.mean(),
        "POS_SK_DPD_MAX_LAST_12M": p.SK_DPD.max(where=recent),
        "POS_SK_DPD_MEAN_LAST_12M": p.SK_DPD.mean(where=recent),
        "POS_DPD_MONTHS_LAST_12M": p.SK_ID_PREV.count(where=recent & late),
    }
    return per_client(p, m, latest_month_features(p))


def latest_month_features(p: ir.Table) -> ir.Table:
    """Per loan (one row per SK_ID_PREV, no DISTINCT needed): loans, completed loans, and at each
    loan's most recent month the instalments still to pay and whether it is still active."""
    loans = p.group_by(["SK_ID_PREV", KEY]).aggregate(
        last_month=p.MONTHS_BALANCE.max(),
        completed=(p.NAME_CONTRACT_STATUS == "Completed").cast("int64").max(),
    )
    per_loan = loans.group_by(KEY).aggregate(
        POS_LOAN_COUNT=loans.SK_ID_PREV.count(),
        POS_COMPLETED_LOAN_COUNT=loans.completed.sum(),
    )
    rows = p.join(
        loans,
        [
            p.SK_ID_PREV == loans.SK_ID_PREV,
            p[KEY] == loans[KEY],
            loans.last_month == p.MONTHS_BALANCE,
        ],
    )
    latest = rows.group_by(KEY).aggregate(
        POS_LATEST_CNT_INSTALMENT_FUTURE_SUM=rows.CNT_INSTALMENT_FUTURE.sum(),
        POS_LATEST_ACTIVE_LOAN_COUNT=rows.SK_ID_PREV.count(
            where=rows.NAME_CONTRACT_STATUS == "Active"
        ),
        POS_LATEST_SK_DPD_MAX=rows.SK_DPD.max(),
    )
    return per_loan.join(latest, KEY)
