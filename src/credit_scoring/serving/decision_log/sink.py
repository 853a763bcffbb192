"""Writing spooled decisions to the database, idempotent on request id.

PostgreSQL: one binary ``COPY`` straight into ``decisions`` (numbers, timestamps and the model
row travel in binary; no staging copy); if some request ids are already there (a crash between
the database commit and the spool delete), the batch is written again through a temporary
staging table with ``INSERT … ON CONFLICT DO NOTHING``. SQLite: ``INSERT … ON CONFLICT DO
NOTHING``.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from sqlalchemy import Engine
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from credit_scoring.serving.decision_log.spool import SpooledRow
from credit_scoring.store.records import COPY_TYPES, RECORD_FIELDS, copy_values, decode_record
from credit_scoring.store.tables import decisions

_STAGING = "decisions_staging"
_COLUMN_LIST = ", ".join(RECORD_FIELDS)


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
            values = [
                copy_values(r.record, raw_input=r.raw_input, features=r.features) for r in rows
            ]
            try:
                return self._copy(values, staged=False)
            except psycopg.errors.UniqueViolation:
                return self._copy(values, staged=True)
        records = [
            decode_record(r.record, raw_input=r.raw_input, features=r.features).as_row()
            for r in rows
        ]
        statement = sqlite_insert(decisions).on_conflict_do_nothing(index_elements=["request_id"])
        with self.engine.begin() as connection:
            result = connection.execute(statement, records)
        return max(result.rowcount, 0)

    def _copy(self, values: list[list[object]], *, staged: bool) -> int:
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
                    copy.set_types(list(COPY_TYPES))
                    for row in values:
                        copy.write_row(row)
                if not staged:
                    return len(values)
                cursor.execute(
                    f"INSERT INTO decisions ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "
                    f"FROM {_STAGING} ON CONFLICT (request_id) DO NOTHING"
                )
                return max(cursor.rowcount, 0)
