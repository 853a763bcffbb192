"""Writing spooled decisions to the database, idempotent on request id.

PostgreSQL: one binary ``COPY`` straight into ``decisions`` (numbers, timestamps and the model
row travel in binary; no staging copy); if some request ids are already there (a crash between
the database commit and the spool delete), the batch is written again through a temporary
staging table with ``INSERT … ON CONFLICT DO NOTHING``. SQLite: ``INSERT … ON CONFLICT DO
NOTHING``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import psycopg
from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Engine, Float, Integer, LargeBinary
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from credit_scoring.serving.decision_log.models import DECISION_COLUMNS, decisions
from credit_scoring.serving.decision_log.spool import SpooledRow

_JSON_COLUMNS = frozenset(c.name for c in decisions.columns if isinstance(c.type, JSON))
_NULLABLE_JSON = frozenset(
    c.name for c in decisions.columns if c.name in _JSON_COLUMNS and c.nullable
)
_STAGING = "decisions_staging"
_COLUMN_LIST = ", ".join(DECISION_COLUMNS)


def _postgres_type(column_type: Any) -> str:
    """The PostgreSQL type name binary COPY sends a ``decisions`` column as."""
    for kind, name in (
        (BigInteger, "int8"),
        (Integer, "int4"),
        (Float, "float8"),
        (Boolean, "bool"),
        (DateTime, "timestamptz"),
        # JSON text as is: binary COPY hands the bytes to ``json``'s input function (psycopg's
        # json dumper would encode a str again, as a JSON string).
        (JSON, "text"),
        (LargeBinary, "bytea"),
    ):
        if isinstance(column_type, kind):
            return name
    return "text"


_COPY_TYPES = [_postgres_type(c.type) for c in decisions.columns]


def decode_record(row: SpooledRow) -> dict[str, Any]:
    """The ``decisions`` row a spooled decision becomes (``created_at`` as a datetime)."""
    record: dict[str, Any] = orjson.loads(row.record)
    if row.raw_input is not None:
        record["raw_input"] = orjson.loads(row.raw_input)
    record["created_at"] = datetime.fromisoformat(record["created_at"])
    record["features"] = row.features
    record.setdefault("counter_offer", None)
    return record


def _copy_values(row: SpooledRow) -> list[Any]:
    """A spooled decision as COPY values; JSON columns as JSON text (raw inputs kept apart
    in the spool are passed on as written, without parsing them)."""
    record: dict[str, Any] = orjson.loads(row.record)
    record["created_at"] = datetime.fromisoformat(record["created_at"])
    record["features"] = row.features
    for name in _JSON_COLUMNS:
        if name == "raw_input" and row.raw_input is not None:
            record[name] = row.raw_input.decode()
        elif name in _NULLABLE_JSON:
            value = record.get(name)
            record[name] = None if value is None else orjson.dumps(value).decode()
        else:
            record[name] = orjson.dumps(record[name]).decode()
    return [record[name] for name in DECISION_COLUMNS]


class DecisionSink:
    """Writes decisions to the database; re-writing a request id is a no-op."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    def write(self, rows: Sequence[SpooledRow]) -> int:
        """Commit ``rows`` in one transaction; returns how many were new."""
        if not rows:
            return 0
        if self._postgres:
            values = [_copy_values(r) for r in rows]
            try:
                return self._copy(values, staged=False)
            except psycopg.errors.UniqueViolation:
                return self._copy(values, staged=True)
        records = [decode_record(r) for r in rows]
        statement = sqlite_insert(decisions).on_conflict_do_nothing(index_elements=["request_id"])
        with self.engine.begin() as connection:
            result = connection.execute(statement, records)
        return max(result.rowcount, 0)

    def _copy(self, values: list[list[Any]], *, staged: bool) -> int:
        target = _STAGING if staged else "decisions"
        with self.engine.begin() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cursor:
                if staged:
                    cursor.execute(
                        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} "
                        "(LIKE decisions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
                    )
                with cursor.copy(
                    f"COPY {target} ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(_COPY_TYPES)
                    for row in values:
                        copy.write_row(row)
                if not staged:
                    return len(values)
                cursor.execute(
                    f"INSERT INTO decisions ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "
                    f"FROM {_STAGING} ON CONFLICT (request_id) DO NOTHING"
                )
                return max(cursor.rowcount, 0)
