"""Instalment payments: days past due / before due, paid-to-due ratios, recent behaviour.

One row of installments_payments is one payment (an instalment may be paid in several rows).
``DAYS_*`` are days before the application (negative); amounts are currency units. Days past
due = ``max(DAYS_ENTRY_PAYMENT - DAYS_INSTALMENT, 0)``, days before due is the mirror.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from credit_scoring.features.history._common import (
    KEY,
    Metrics,
    any_rows,
    positive_part,
    ratio,
    share,
)

#: "Last N instalments": the client's N most recent due dates (ties all count).
LAST_N_INSTALMENTS = 10


def _payments(installments_payments: ir.Table) -> ir.Table:
    i = installments_payments
    delay = i.DAYS_ENTRY_PAYMENT - i.DAYS_INSTALMENT
    return i.mutate(
        dpd=positive_part(delay),
        dbd=positive_part(-delay),
        paid_ratio=ratio(i.AMT_PAYMENT, i.AMT_INSTALMENT),
        paid_diff=i.AMT_INSTALMENT - i.AMT_PAYMENT,
    )


def installments_features(installments_payments: ir.Table) -> ir.Table:
    """One row per SK_ID_CURR with ``INST_*`` features."""
    i = _payments(installments_payments)
    recent = i.DAYS_INSTALMENT >= -365
    m: Metrics = {
        "INST_HAS_HISTORY": any_rows(i.SK_ID_PREV),
        "INST_COUNT": i.SK_ID_PREV.count(),
        "INST_DPD_MEAN": i.dpd.mean(),
        "INST_DPD_MAX": i.dpd.max(),
        "INST_DPD_SUM": i.dpd.sum(),
        "INST_DBD_MEAN": i.dbd.mean(),
        "INST_DBD_MAX": i.dbd.max(),
        "INST_DBD_SUM": i.dbd.sum(),
        "INST_LATE_COUNT": i.SK_ID_PREV.count(where=i.dpd > 0),
        "INST_LATE_SHARE": share(i.dpd > 0),
        "INST_LATE_30_COUNT": i.SK_ID_PREV.count(where=i.dpd > 30),
        "INST_PAID_RATIO_MEAN": i.paid_ratio.mean(),
        "INST_PAID_RATIO_MIN": i.paid_ratio.min(),
        "INST_PAID_DIFF_MEAN": i.paid_diff.mean(),
        "INST_PAID_DIFF_MAX": i.paid_diff.max(),
        "INST_PAID_DIFF_SUM": i.paid_diff.sum(),
        "INST_UNDERPAID_COUNT": i.SK_ID_PREV.count(where=i.AMT_PAYMENT < i.AMT_INSTALMENT),
        "INST_UNDERPAID_SHARE": share(i.AMT_PAYMENT < i.AMT_INSTALMENT),
        "INST_MISSING_PAYMENT_COUNT": i.SK_ID_PREV.count(where=i.DAYS_ENTRY_PAYMENT.isnull()),
        "INST_AMT_INSTALMENT_MEAN": i.AMT_INSTALMENT.mean(),
        "INST_AMT_INSTALMENT_MAX": i.AMT_INSTALMENT.max(),
        "INST_AMT_INSTALMENT_SUM": i.AMT_INSTALMENT.sum(),
        "INST_AMT_PAYMENT_MEAN": i.AMT_PAYMENT.mean(),
        "INST_AMT_PAYMENT_MIN": i.AMT_PAYMENT.min(),
        "INST_AMT_PAYMENT_SUM": i.AMT_PAYMENT.sum(),
        "INST_DAYS_ENTRY_PAYMENT_MIN": i.DAYS_ENTRY_PAYMENT.min(),
        "INST_DAYS_ENTRY_PAYMENT_MAX": i.DAYS_ENTRY_PAYMENT.max(),
        "INST_VERSION_CHANGE_SHARE": share(i.NUM_INSTALMENT_VERSION > 1),
        "INST_DPD_MEAN_LAST_1Y": i.dpd.mean(where=recent),
        "INST_DPD_MAX_LAST_1Y": i.dpd.max(where=recent),
        "INST_LATE_SHARE_LAST_1Y": (i.dpd > 0).cast("float64").mean(where=recent),
        "INST_PAID_RATIO_MEAN_LAST_1Y": i.paid_ratio.mean(where=recent),
    }
    aggregates = i.group_by(KEY).aggregate(**m)
    return aggregates.left_join(last_instalments_features(i), KEY).drop(f"{KEY}_right")


def last_instalments_features(i: ir.Table) -> ir.Table:
    """Payments of the client's ``LAST_N_INSTALMENTS`` most recent due dates."""
    dated = i.filter(i.DAYS_INSTALMENT.notnull())
    rank = ibis.rank().over(group_by=KEY, order_by=ibis.desc(dated.DAYS_INSTALMENT))
    last = dated.mutate(due_rank=rank).filter(ibis._.due_rank < LAST_N_INSTALMENTS)
    n = LAST_N_INSTALMENTS
    return last.group_by(KEY).aggregate(
        **{
            f"INST_DPD_MEAN_LAST_{n}": last.dpd.mean(),
            f"INST_DPD_MAX_LAST_{n}": last.dpd.max(),
            f"INST_LATE_SHARE_LAST_{n}": share(last.dpd > 0),
            f"INST_PAID_RATIO_MEAN_LAST_{n}": last.paid_ratio.mean(),
            f"INST_PAID_DIFF_SUM_LAST_{n}": last.paid_diff.sum(),
        }
    )
