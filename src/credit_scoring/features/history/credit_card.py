"""Credit-card monthly balances: utilisation, drawings, minimum payments, lateness.

``MONTHS_BALANCE`` is months before the application (negative); amounts are currency units;
utilisation is balance / credit limit (NULL when the limit is 0).
"""

from __future__ import annotations

import ibis.expr.types as ir

from credit_scoring.features.history._common import Metrics, per_client, presence, ratio, share


def credit_card_features(credit_card_balance: ir.Table) -> ir.Table:
    """One row per SK_ID_CURR with ``CC_*`` features."""
    c = credit_card_balance
    c = c.mutate(
        utilisation=ratio(c.AMT_BALANCE, c.AMT_CREDIT_LIMIT_ACTUAL),
        payment_min_ratio=ratio(c.AMT_PAYMENT_CURRENT, c.AMT_INST_MIN_REGULARITY),
    )
    recent = c.MONTHS_BALANCE >= -12
    last_6m = c.MONTHS_BALANCE >= -6
    drawings = c.AMT_DRAWINGS_CURRENT
    m: Metrics = {
        **presence("CC", c.SK_ID_PREV, count="MONTHS_COUNT"),
        "CC_MONTHS_BALANCE_MIN": c.MONTHS_BALANCE.min(),
        "CC_AMT_BALANCE_MEAN": c.AMT_BALANCE.mean(),
        "CC_AMT_BALANCE_MAX": c.AMT_BALANCE.max(),
        "CC_AMT_CREDIT_LIMIT_ACTUAL_MEAN": c.AMT_CREDIT_LIMIT_ACTUAL.mean(),
        "CC_AMT_CREDIT_LIMIT_ACTUAL_MAX": c.AMT_CREDIT_LIMIT_ACTUAL.max(),
        "CC_UTILISATION_MEAN": c.utilisation.mean(),
        "CC_UTILISATION_MAX": c.utilisation.max(),
        "CC_UTILISATION_MEAN_LAST_6M": c.utilisation.mean(where=last_6m),
        "CC_AMT_DRAWINGS_CURRENT_MEAN": drawings.mean(),
        "CC_AMT_DRAWINGS_CURRENT_MAX": drawings.max(),
        "CC_AMT_DRAWINGS_CURRENT_SUM": drawings.sum(),
        "CC_AMT_DRAWINGS_ATM_CURRENT_MEAN": c.AMT_DRAWINGS_ATM_CURRENT.mean(),
        "CC_AMT_DRAWINGS_ATM_CURRENT_SUM": c.AMT_DRAWINGS_ATM_CURRENT.sum(),
        "CC_AMT_DRAWINGS_POS_CURRENT_MEAN": c.AMT_DRAWINGS_POS_CURRENT.mean(),
        "CC_CNT_DRAWINGS_CURRENT_MEAN": c.CNT_DRAWINGS_CURRENT.mean(),
        "CC_CNT_DRAWINGS_CURRENT_MAX": c.CNT_DRAWINGS_CURRENT.max(),
        "CC_CNT_DRAWINGS_ATM_CURRENT_MEAN": c.CNT_DRAWINGS_ATM_CURRENT.mean(),
        "CC_AMT_PAYMENT_CURRENT_MEAN": c.AMT_PAYMENT_CURRENT.mean(),
        "CC_AMT_PAYMENT_TOTAL_CURRENT_SUM": c.AMT_PAYMENT_TOTAL_CURRENT.sum(),
        "CC_AMT_INST_MIN_REGULARITY_MEAN": c.AMT_INST_MIN_REGULARITY.mean(),
        "CC_PAYMENT_MIN_RATIO_MEAN": c.payment_min_ratio.mean(),
        "CC_PAID_BELOW_MIN_COUNT": c.SK_ID_PREV.count(
            where=c.AMT_PAYMENT_CURRENT < c.AMT_INST_MIN_REGULARITY
        ),
        "CC_AMT_RECEIVABLE_PRINCIPAL_MEAN": c.AMT_RECEIVABLE_PRINCIPAL.mean(),
        "CC_AMT_TOTAL_RECEIVABLE_MEAN": c.AMT_TOTAL_RECEIVABLE.mean(),
        "CC_AMT_TOTAL_RECEIVABLE_MAX": c.AMT_TOTAL_RECEIVABLE.max(),
        "CC_CNT_INSTALMENT_MATURE_CUM_MAX": c.CNT_INSTALMENT_MATURE_CUM.max(),
        "CC_SK_DPD_MAX": c.SK_DPD.max(),
        "CC_SK_DPD_MEAN": c.SK_DPD.mean(),
        "CC_SK_DPD_DEF_MAX": c.SK_DPD_DEF.max(),
        "CC_DPD_MONTHS_SHARE": share(c.SK_DPD > 0),
        "CC_AMT_BALANCE_MEAN_LAST_12M": c.AMT_BALANCE.mean(where=recent),
        "CC_AMT_DRAWINGS_CURRENT_SUM_LAST_12M": drawings.sum(where=recent),
        "CC_SK_DPD_MAX_LAST_12M": c.SK_DPD.max(where=recent),
    }
    return per_client(c, m)
