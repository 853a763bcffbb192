"""The serving database's tables, defined in :mod:`credit_scoring.store.tables` (one
MetaData for every table); re-exported here for the decision log's modules."""

from credit_scoring.store.tables import (
    DECISION_COLUMNS,
    VERSION_TABLE,
    access_audit,
    api_keys,
    dashboard_users,
    decisions,
    login_attempts,
    metadata,
    outcomes,
    reviews,
)

__all__ = [
    "DECISION_COLUMNS",
    "VERSION_TABLE",
    "access_audit",
    "api_keys",
    "dashboard_users",
    "decisions",
    "login_attempts",
    "metadata",
    "outcomes",
    "reviews",
]
