"""Naming convention of history features (the reason-code catalogue is built from it).

Every history feature starts with the prefix of its source table; ``<PREFIX>HAS_HISTORY`` is
1 when the client has rows in that source and 0 otherwise (missing history is a signal).
"""

from __future__ import annotations

#: Source prefix → the table(s) it summarises.
HISTORY_PREFIXES: dict[str, str] = {
    "BUREAU_BB_": "bureau_balance (rolled up through bureau)",
    "BUREAU_": "bureau",
    "PREV_": "previous_application",
    "POS_": "POS_CASH_balance",
    "INST_": "installments_payments",
    "CC_": "credit_card_balance",
}
HAS_HISTORY_SUFFIX = "HAS_HISTORY"


def is_history_flag(name: str) -> bool:
    """True for ``<PREFIX>HAS_HISTORY`` columns (0 rather than missing without history)."""
    return name.endswith(HAS_HISTORY_SUFFIX) and name.startswith(tuple(HISTORY_PREFIXES))
