"""How the drain is doing, and what kind of failure stops it.

A drain error is classified so that a broken schema is not reported as an outage:
``unreachable`` (connection refused or lost, timeouts, the server shutting down: retrying
helps), ``schema`` (a missing table or column, a type mismatch, a missing privilege: an
operator must act), ``constraint`` (rows the database refuses) and ``other``.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

DRAIN_ERROR_CLASSES: tuple[str, ...] = ("unreachable", "schema", "constraint", "other")

#: SQLSTATE prefixes (PostgreSQL) → class. Longest prefix wins.
_SQLSTATE_CLASSES = (
    ("08", "unreachable"),  # connection exception
    ("57", "unreachable"),  # operator intervention: shutdown, statement timeout (57014)
    ("55P03", "unreachable"),  # lock_timeout
    ("53", "unreachable"),  # insufficient resources (disk full, too many connections)
    ("42", "schema"),  # undefined table/column, privilege, syntax
    ("22", "schema"),  # data exception: a column's type no longer fits
    ("23", "constraint"),  # integrity constraint violation
)


def _sqlstate(exc: BaseException) -> str | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None) or getattr(
            getattr(current, "orig", None), "sqlstate", None
        )
        if isinstance(state, str):
            return state
        current = current.__cause__ or current.__context__
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in out:
        out.append(current)
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException) and orig not in out:
            out.append(orig)
        current = current.__cause__ or current.__context__
    return out


def classify_drain_error(exc: BaseException) -> str:
    """One of :data:`DRAIN_ERROR_CLASSES` for an exception raised while draining."""
    state = _sqlstate(exc)
    if state is not None:
        matches = [(p, c) for p, c in _SQLSTATE_CLASSES if state.startswith(p)]
        return max(matches, key=lambda m: len(m[0]))[1] if matches else "other"
    for error in _chain(exc):
        if isinstance(error, sqlite3.IntegrityError):
            return "constraint"
        if isinstance(error, sqlite3.OperationalError):
            text = str(error).lower()
            if "no such" in text or "has no column" in text:
                return "schema"
            return "unreachable"  # locked, unable to open, disk I/O
        if isinstance(error, (OSError, TimeoutError, ConnectionError)):
            return "unreachable"
        name = type(error).__name__
        if name in ("OperationalError", "InterfaceError"):  # psycopg/SQLAlchemy, no SQLSTATE
            return "unreachable"
        if name in ("ProgrammingError", "UndefinedTable", "UndefinedColumn"):
            return "schema"
        if name == "IntegrityError":
            return "constraint"
    return "other"


@dataclass(frozen=True)
class DrainHealth:
    """A drain's state: failed attempts in a row, the class of the last error (``None``
    after a success) and the seconds since the last successful pass."""

    failures: int
    error_class: str | None
    last_success_age_seconds: float

    @staticmethod
    def age(last_success: float) -> float:
        return max(0.0, time.time() - last_success)
