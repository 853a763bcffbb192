"""Join the per-source aggregates into one history row per client."""

from __future__ import annotations

from collections.abc import Mapping

import ibis.expr.types as ir

from credit_scoring.features.history._common import KEY
from credit_scoring.features.history.bureau import bureau_features
from credit_scoring.features.history.credit_card import credit_card_features
from credit_scoring.features.history.installments import installments_features
from credit_scoring.features.history.pos_cash import pos_cash_features
from credit_scoring.features.history.previous import previous_features
from credit_scoring.features.naming import is_history_flag


def source_features(tables: Mapping[str, ir.Table]) -> list[ir.Table]:
    """The five per-source aggregates, each one row per SK_ID_CURR that has rows there."""
    return [
        bureau_features(tables["bureau"], tables["bureau_balance"]),
        previous_features(tables["previous_application"]),
        pos_cash_features(tables["POS_CASH_balance"]),
        installments_features(tables["installments_payments"]),
        credit_card_features(tables["credit_card_balance"]),
    ]


def history_features(tables: Mapping[str, ir.Table]) -> ir.Table:
    """SK_ID_CURR + every history feature (float64), one row per client with any history.

    ``tables`` maps the six history table names to Ibis tables with the schema's columns.
    Aggregates of a source the client has no rows in are NULL; its ``HAS_HISTORY`` flag is 0.
    Rows come in no particular order (sorting 200+ wide columns in the engine costs more than
    sorting the result; :func:`~credit_scoring.features.history.engine.compute_history` does).
    """
    parts = source_features(tables)
    # Full outer joins on the per-source aggregates (a few hundred thousand rows each): every
    # client with any history appears once, without re-scanning the raw tables for keys.
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.outer_join(part, KEY)
        joined = joined.mutate(**{KEY: joined[KEY].coalesce(joined[f"{KEY}_right"])}).drop(
            f"{KEY}_right"
        )
    features = [c for c in joined.columns if c != KEY]
    columns = [joined[KEY]]
    for name in features:
        value = joined[name].cast("float64")
        if is_history_flag(name):
            value = value.fill_null(0.0)
        columns.append(value.name(name))
    return joined.select(*columns)
