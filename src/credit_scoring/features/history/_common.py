"""Small Ibis building blocks shared by the history aggregates (portable DuckDB ↔ Spark).

Every expression here is safe under Spark's ANSI mode (no division by zero, no failing casts)
and gives NULL, never NaN or ±inf, for undefined values, so both engines agree.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from credit_scoring.schema import DAYS_SENTINEL, table

KEY = "SK_ID_CURR"
#: Recent windows, in days before the application (days are negative offsets).
YEAR_WINDOWS: dict[str, int] = {"1Y": 365, "2Y": 730, "3Y": 1095}

Metrics = dict[str, Any]


def without_sentinels(t: ir.Table, table_name: str) -> ir.Table:
    """Replace the 365243 "not applicable" day offset by NULL in the columns that use it."""
    replaced = {
        c.name: t[c.name].nullif(DAYS_SENTINEL)
        for c in table(table_name).columns
        if DAYS_SENTINEL in c.sentinels
    }
    return t.mutate(**replaced) if replaced else t


def ratio(numerator: ir.Value, denominator: ir.Value) -> ir.Value:
    """``numerator / denominator`` as float64, NULL when the denominator is 0 or NULL."""
    return numerator.cast("float64") / denominator.cast("float64").nullif(0)


def share(condition: ir.BooleanValue) -> ir.FloatingScalar:
    """Share of rows where ``condition`` holds (rows where it is NULL are ignored)."""
    return condition.cast("float64").mean()


def positive_part(x: ir.NumericValue) -> ir.Value:
    """``max(x, 0)`` that keeps NULL as NULL (SQL GREATEST would turn NULL into 0)."""
    return ibis.cases((x > 0, x.cast("float64")), (x <= 0, ibis.literal(0.0)))


def any_rows(x: ir.Value) -> ir.Value:
    """1.0 when the group has at least one non-NULL ``x``, else 0.0."""
    return (x.count() > 0).cast("float64")


def presence(prefix: str, ids: ir.Column, *, count: str = "COUNT") -> Metrics:
    """``<prefix>_HAS_HISTORY`` (1.0: the client has rows) and ``<prefix>_<count>``, the
    client's rows (``ids``: the table's row identifier, never NULL)."""
    return {f"{prefix}_HAS_HISTORY": any_rows(ids), f"{prefix}_{count}": ids.count()}


def per_client(rows: ir.Table, metrics: Metrics, *more: ir.Table) -> ir.Table:
    """One row per client: ``metrics`` aggregated over ``rows``, then the columns of each of
    ``more`` (tables keyed by SK_ID_CURR), left-joined in order."""
    out = rows.group_by(KEY).aggregate(**metrics)
    for table_ in more:
        out = out.left_join(table_, KEY).drop(f"{KEY}_right")
    return out
