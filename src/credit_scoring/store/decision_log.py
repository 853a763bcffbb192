"""The decision log as the API reads it, and recording outcomes (``/v1/scores``, ``/v1/outcomes``).

Listing is newest first with keyset pagination: the opaque cursor encodes the
``(created_at, request_id)`` of the last row served, so pages stay stable while new decisions
arrive. Timestamps are stored in UTC.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, and_, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from credit_scoring.errors import CreditScoringError
from credit_scoring.store.records import SUMMARY_FIELDS, DecisionRecord, utc
from credit_scoring.store.tables import decision_reads, decisions, outcomes


class InvalidCursorError(CreditScoringError):
    """A pagination cursor that this API did not issue."""


class OutcomeConflictError(CreditScoringError):
    """An outcome was already recorded for this decision with the opposite value."""


def encode_cursor(created_at: datetime, request_id: str) -> str:
    raw = orjson.dumps([utc(created_at).isoformat(), request_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, request_id = orjson.loads(raw)
        return utc(datetime.fromisoformat(created)), str(request_id)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidCursorError(f"invalid cursor {cursor[:40]!r}") from exc


def _as_dict(row: Any) -> dict[str, Any]:
    """A result row as a plain dict (column names as ``str``, not SQLAlchemy's subclass)."""
    return {str(k): v for k, v in row._mapping.items()}


def _normalise(row: dict[str, Any]) -> dict[str, Any]:
    row["created_at"] = utc(row["created_at"])
    return row


@dataclass(frozen=True)
class DecisionQuery:
    """Filters of ``GET /v1/scores``: ``since`` inclusive, ``until`` exclusive."""

    client_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    cursor: str | None = None


def list_decisions(engine: Engine, query: DecisionQuery) -> tuple[list[dict[str, Any]], str | None]:
    """One page of decision summaries, newest first, and the cursor of the next page."""
    c = decisions.c
    statement = select(*(c[name] for name in SUMMARY_FIELDS))
    if query.client_id is not None:
        statement = statement.where(c.client_id == query.client_id)
    if query.since is not None:
        statement = statement.where(c.created_at >= utc(query.since))
    if query.until is not None:
        statement = statement.where(c.created_at < utc(query.until))
    if query.cursor:
        after_time, after_id = decode_cursor(query.cursor)
        statement = statement.where(
            or_(
                c.created_at < after_time, and_(c.created_at == after_time, c.request_id < after_id)
            )
        )
    statement = statement.order_by(c.created_at.desc(), c.request_id.desc()).limit(query.limit + 1)
    with engine.connect() as connection:
        rows = [_normalise(_as_dict(r)) for r in connection.execute(statement)]
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["request_id"])
    return rows, next_cursor


def get_decision(
    engine: Engine, request_id: str
) -> tuple[DecisionRecord, dict[str, Any] | None] | None:
    """A logged decision (without its model row) and its outcome, or ``None`` if the database
    does not have it."""
    columns = [c for c in decisions.columns if c.name != "features"]
    statement = select(*columns).where(decisions.c.request_id == request_id)
    with engine.connect() as connection:
        row = connection.execute(statement).first()
        if row is None:
            return None
        outcome = connection.execute(
            select(outcomes).where(outcomes.c.request_id == request_id)
        ).first()
    values = _normalise(_as_dict(row))
    values["features"] = None
    record = DecisionRecord(**values)
    return record, None if outcome is None else _outcome_dict(_as_dict(outcome))


def decision_exists(engine: Engine, request_id: str) -> bool:
    statement = select(decisions.c.request_id).where(decisions.c.request_id == request_id)
    with engine.connect() as connection:
        return connection.execute(statement).first() is not None


def _outcome_dict(row: dict[str, Any]) -> dict[str, Any]:
    row["observed_at"] = utc(row["observed_at"])
    row["recorded_at"] = utc(row["recorded_at"])
    return row


def record_outcome(
    engine: Engine, *, request_id: str, defaulted: bool, observed_at: datetime | None
) -> tuple[dict[str, Any], bool]:
    """Record the outcome of a decision once; returns ``(outcome, created)``.

    Repeating the same outcome returns the stored one (``created`` false); the opposite
    outcome raises :class:`OutcomeConflictError`.
    """
    now = datetime.now(UTC)
    values = {
        "request_id": request_id,
        "defaulted": defaulted,
        "observed_at": utc(observed_at) if observed_at else now,
        "recorded_at": now,
    }
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(outcomes)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["request_id"])
        .returning(outcomes.c.request_id)
    )
    with engine.begin() as connection:
        created = connection.execute(statement).first() is not None
        stored = connection.execute(
            select(outcomes).where(outcomes.c.request_id == request_id)
        ).one()
    outcome = _outcome_dict(_as_dict(stored))
    if outcome["defaulted"] != defaulted:
        raise OutcomeConflictError(
            f"decision {request_id} already has outcome defaulted={outcome['defaulted']}; "
            "an outcome is recorded once"
        )
    return outcome, created


def insert_decisions(
    engine: Engine,
    records: Sequence[DecisionRecord],
    outcome_rows: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Insert decisions (and outcomes: ``request_id``, ``defaulted``, ``observed_at``,
    ``recorded_at``) in one transaction: synthetic logs and tools, not the API's drain."""
    with engine.begin() as connection:
        if records:
            connection.execute(insert(decisions), [r.as_row() for r in records])
        if outcome_rows:
            connection.execute(insert(outcomes), list(outcome_rows))


def record_read(engine: Engine, *, key_id: str | None, request_id: str, found: bool) -> None:
    """Record that ``key_id`` read (or looked for) the decision ``request_id``."""
    with engine.begin() as connection:
        connection.execute(
            decision_reads.insert().values(
                read_at=datetime.now(UTC), key_id=key_id, request_id=request_id, found=found
            )
        )
