"""History aggregates per client, written once in Ibis and run on DuckDB or PySpark.

:func:`history_features` composes the per-source aggregates (bureau with bureau_balance,
previous applications, POS/cash, instalments, credit cards) into one table keyed by
SK_ID_CURR, with every feature as float64 and the ``<PREFIX>HAS_HISTORY`` flags 0/1.
:func:`compute_history` runs it on an engine over ``DATA_DIR/<table>.parquet``.
"""

from __future__ import annotations

from credit_scoring.features.history.compose import history_features
from credit_scoring.features.history.engine import (
    ENGINES,
    Engine,
    compute_history,
    connect,
    register_tables,
)

__all__ = [
    "ENGINES",
    "Engine",
    "compute_history",
    "connect",
    "history_features",
    "register_tables",
]
