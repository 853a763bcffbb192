"""Previous Home Credit applications: outcomes, amounts, timing, first and last application.

Amounts are currency units; ``DAYS_*`` are days before the current application (negative), with
the 365243 "not applicable" sentinel replaced by NULL before aggregating.
"""

from __future__ import annotations

import ibis.expr.types as ir

from credit_scoring.features.history._common import (
    KEY,
    YEAR_WINDOWS,
    Metrics,
    per_client,
    presence,
    ratio,
    share,
    without_sentinels,
)

_CONTRACT_TYPES = {
    "CASH": "Cash loans",
    "CONSUMER": "Consumer loans",
    "REVOLVING": "Revolving loans",
}


def previous_features(previous_application: ir.Table) -> ir.Table:
    """One row per SK_ID_CURR with ``PREV_*`` features."""
    p = without_sentinels(previous_application, "previous_application")
    p = p.mutate(credit_application_ratio=ratio(p.AMT_CREDIT, p.AMT_APPLICATION))
    status = p.NAME_CONTRACT_STATUS
    approved = status == "Approved"
    refused = status == "Refused"
    decision = p.DAYS_DECISION
    # An approved credit still running at application time (planned end in the future).
    running = approved & (p.DAYS_LAST_DUE_1ST_VERSION > 0)

    m: Metrics = {
        **presence("PREV", p.SK_ID_PREV),
        "PREV_APPROVED_COUNT": p.SK_ID_PREV.count(where=approved),
        "PREV_REFUSED_COUNT": p.SK_ID_PREV.count(where=refused),
        "PREV_CANCELED_COUNT": p.SK_ID_PREV.count(where=status == "Canceled"),
        "PREV_APPROVED_SHARE": share(approved),
        "PREV_REFUSED_SHARE": share(refused),
    }
    for suffix, contract_type in _CONTRACT_TYPES.items():
        m[f"PREV_{suffix}_COUNT"] = p.SK_ID_PREV.count(
            where=p.NAME_CONTRACT_TYPE.isin([contract_type])
        )
    m |= {
        "PREV_REFUSED_SCORING_COUNT": p.SK_ID_PREV.count(
            where=refused & p.CODE_REJECT_REASON.isin(["SCO", "SCOFR"])
        ),
        "PREV_YIELD_HIGH_SHARE": share(p.NAME_YIELD_GROUP == "high"),
        "PREV_AMT_APPLICATION_MEAN": p.AMT_APPLICATION.mean(),
        "PREV_AMT_APPLICATION_MAX": p.AMT_APPLICATION.max(),
        "PREV_AMT_CREDIT_MEAN": p.AMT_CREDIT.mean(),
        "PREV_AMT_CREDIT_MAX": p.AMT_CREDIT.max(),
        "PREV_AMT_CREDIT_SUM": p.AMT_CREDIT.sum(),
        "PREV_AMT_ANNUITY_MEAN": p.AMT_ANNUITY.mean(),
        "PREV_AMT_ANNUITY_MAX": p.AMT_ANNUITY.max(),
        "PREV_AMT_DOWN_PAYMENT_MEAN": p.AMT_DOWN_PAYMENT.mean(),
        "PREV_AMT_GOODS_PRICE_MEAN": p.AMT_GOODS_PRICE.mean(),
        "PREV_CREDIT_APPLICATION_RATIO_MEAN": p.credit_application_ratio.mean(),
        "PREV_CREDIT_APPLICATION_RATIO_MIN": p.credit_application_ratio.min(),
        "PREV_RATE_DOWN_PAYMENT_MEAN": p.RATE_DOWN_PAYMENT.mean(),
        "PREV_RATE_DOWN_PAYMENT_MAX": p.RATE_DOWN_PAYMENT.max(),
        "PREV_CNT_PAYMENT_MEAN": p.CNT_PAYMENT.mean(),
        "PREV_CNT_PAYMENT_SUM": p.CNT_PAYMENT.sum(),
        "PREV_DAYS_DECISION_MIN": decision.min(),  # first application
        "PREV_DAYS_DECISION_MAX": decision.max(),  # last application
        "PREV_DAYS_DECISION_MEAN": decision.mean(),
        "PREV_DAYS_FIRST_DUE_MEAN": p.DAYS_FIRST_DUE.mean(),
        "PREV_DAYS_LAST_DUE_1ST_VERSION_MAX": p.DAYS_LAST_DUE_1ST_VERSION.max(),
        "PREV_DAYS_TERMINATION_MAX": p.DAYS_TERMINATION.max(),
        "PREV_NFLAG_INSURED_ON_APPROVAL_MEAN": p.NFLAG_INSURED_ON_APPROVAL.mean(),
        "PREV_APPROVED_AMT_CREDIT_SUM": p.AMT_CREDIT.sum(where=approved),
        "PREV_APPROVED_AMT_CREDIT_MEAN": p.AMT_CREDIT.mean(where=approved),
        "PREV_APPROVED_AMT_ANNUITY_MEAN": p.AMT_ANNUITY.mean(where=approved),
        "PREV_APPROVED_CNT_PAYMENT_MEAN": p.CNT_PAYMENT.mean(where=approved),
        "PREV_APPROVED_CREDIT_APPLICATION_RATIO_MEAN": p.credit_application_ratio.mean(
            where=approved
        ),
        "PREV_APPROVED_DAYS_DECISION_MAX": decision.max(where=approved),
        "PREV_RUNNING_COUNT": p.SK_ID_PREV.count(where=running),
        "PREV_RUNNING_AMT_ANNUITY_SUM": p.AMT_ANNUITY.sum(where=running),
        "PREV_REFUSED_AMT_APPLICATION_MEAN": p.AMT_APPLICATION.mean(where=refused),
        "PREV_REFUSED_AMT_APPLICATION_MAX": p.AMT_APPLICATION.max(where=refused),
        "PREV_REFUSED_DAYS_DECISION_MAX": decision.max(where=refused),
    }
    for window, n_days in YEAR_WINDOWS.items():
        recent = decision >= -n_days
        m[f"PREV_COUNT_LAST_{window}"] = p.SK_ID_PREV.count(where=recent)
        m[f"PREV_REFUSED_COUNT_LAST_{window}"] = p.SK_ID_PREV.count(where=recent & refused)
    return per_client(p, m, last_application_features(p))


def last_application_features(p: ir.Table) -> ir.Table:
    """Applications decided on the client's most recent decision day (ties all count)."""
    last_day = p.group_by(KEY).aggregate(last_decision=p.DAYS_DECISION.max())
    last = p.join(last_day, [p[KEY] == last_day[KEY], last_day.last_decision == p.DAYS_DECISION])
    return last.group_by(KEY).aggregate(
        PREV_LAST_AMT_CREDIT=last.AMT_CREDIT.mean(),
        PREV_LAST_AMT_ANNUITY=last.AMT_ANNUITY.mean(),
        PREV_LAST_CREDIT_APPLICATION_RATIO=last.credit_application_ratio.mean(),
        PREV_LAST_REFUSED=(last.NAME_CONTRACT_STATUS == "Refused").cast("float64").max(),
        PREV_LAST_APPROVED=(last.NAME_CONTRACT_STATUS == "Approved").cast("float64").max(),
    )
