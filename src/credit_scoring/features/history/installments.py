"""Instalment payments: days past due / before due, paid-to-due ratios, recent behaviour.

One row of installments_payments is one payment (an instalment may be paid in several rows).
``DAYS_*`` are days before the application (negative); amounts are currency units. Days past
due = ``max(DAYS_ENTRY_PAYMENT - DAYS_INSTALMENT, 0)``, days before due is the mirror.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
from ibis.common.exceptions import IbisError

from credit_scoring.features.history._common import (
    KEY,
    Metrics,
    per_client,
    positive_part,
    presence,
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
    m: Metrics = {
        **presence("INST", i.SK_ID_PREV),
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
    }
    # Instalments due in the last year.
    recent = i.DAYS_INSTALMENT >= -365
    m |= {
        "INST_DPD_MEAN_LAST_1Y": i.dpd.mean(where=recent),
        "INST_DPD_MAX_LAST_1Y": i.dpd.max(where=recent),
        "INST_LATE_SHARE_LAST_1Y": (i.dpd > 0).cast("float64").mean(where=recent),
        "INST_PAID_RATIO_MEAN_LAST_1Y": i.paid_ratio.mean(where=recent),
    }
    return per_client(i, m, last_instalments_features(i))


def last_instalments_features(i: ir.Table) -> ir.Table:
    """Payments of the client's ``LAST_N_INSTALMENTS`` most recent due dates."""
    n = LAST_N_INSTALMENTS
    dated = i.filter(i.DAYS_INSTALMENT.notnull())
    last = _last_due_dates(dated, n)
    return last.group_by(KEY).aggregate(
        **{
            f"INST_DPD_MEAN_LAST_{n}": last.dpd.mean(),
            f"INST_DPD_MAX_LAST_{n}": last.dpd.max(),
            f"INST_LATE_SHARE_LAST_{n}": share(last.dpd > 0),
            f"INST_PAID_RATIO_MEAN_LAST_{n}": last.paid_ratio.mean(),
            f"INST_PAID_DIFF_SUM_LAST_{n}": last.paid_diff.sum(),
        }
    )


def _last_due_dates(dated: ir.Table, n: int) -> ir.Table:
    """Rows of ``dated`` with fewer than ``n`` rows of the same client due strictly later.

    On DuckDB as :func:`last_due_rows_by_cutoff` (a hash aggregate and a join), elsewhere as
    :func:`last_due_rows_by_rank` (a window, which sorts every client's rows); same rows.
    """
    if _backend_name(dated) == "duckdb":
        return last_due_rows_by_cutoff(dated, n)
    return last_due_rows_by_rank(dated, n)


def _backend_name(t: ir.Table) -> str | None:
    """The name of the backend ``t`` is bound to; None for unbound tables (schemas only)."""
    try:
        return str(ibis.get_backend(t).name)
    except IbisError:
        return None


def last_due_rows_by_rank(dated: ir.Table, n: int) -> ir.Table:
    """``rank() OVER (PARTITION BY client ORDER BY DAYS_INSTALMENT DESC) < n`` (0-based)."""
    rank = ibis.rank().over(group_by=KEY, order_by=ibis.desc(dated.DAYS_INSTALMENT))
    return dated.mutate(due_rank=rank).filter(ibis._.due_rank < n).drop("due_rank")


def last_due_rows_by_cutoff(dated: ir.Table, n: int) -> ir.Table:
    """Rows due on or after the client's ``n``-th latest due date, counting repeats (every row
    when the client has fewer): the same rows as the rank, on DuckDB only (``max(x, n)``)."""
    cutoffs = dated.group_by(KEY).aggregate(
        due_cutoff=_largest_values(dated.DAYS_INSTALMENT, n).mins()
    )
    joined = dated.inner_join(cutoffs, KEY)
    return joined.filter(joined.due_cutoff <= joined.DAYS_INSTALMENT).drop("due_cutoff")


@ibis.udf.agg.builtin(name="max")
def _largest_values(value: dt.float64, n: dt.int64) -> dt.Array(dt.float64):  # type: ignore[valid-type]
    """DuckDB's ``max(value, n)``: the ``n`` largest values of the group (with repeats)."""
