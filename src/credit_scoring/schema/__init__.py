"""The Home Credit data contract: every table, column, dtype, vocabulary, key and relation.

The loader, the synthetic generator, the API request model and the data tests all derive from
this module. Column order and dtypes are those of the Kaggle CSV files (verified against the real
sample by ``tests/data/test_schema_contract.py``); descriptions come from the Kaggle data
dictionary shipped next to this file.
"""

from credit_scoring.schema.model import (
    Column,
    ForeignKey,
    Kind,
    Table,
    describe,
)
from credit_scoring.schema.tables import (
    APPLICATION_TEST,
    APPLICATION_TRAIN,
    BUREAU,
    BUREAU_BALANCE,
    CREDIT_CARD_BALANCE,
    DAYS_SENTINEL,
    HISTORY_TABLES,
    INSTALLMENTS_PAYMENTS,
    MAX_ID,
    POS_CASH_BALANCE,
    PREVIOUS_APPLICATION,
    SCHEMA_VERSION,
    TABLES,
    table,
)

__all__ = [
    "APPLICATION_TEST",
    "APPLICATION_TRAIN",
    "BUREAU",
    "BUREAU_BALANCE",
    "CREDIT_CARD_BALANCE",
    "DAYS_SENTINEL",
    "HISTORY_TABLES",
    "INSTALLMENTS_PAYMENTS",
    "MAX_ID",
    "POS_CASH_BALANCE",
    "PREVIOUS_APPLICATION",
    "SCHEMA_VERSION",
    "TABLES",
    "Column",
    "ForeignKey",
    "Kind",
    "Table",
    "describe",
    "table",
]
