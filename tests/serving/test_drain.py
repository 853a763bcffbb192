"""The drain: spool → database in batches, idempotent, retried while the database is down."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from sqlalchemy import func, select

from credit_scoring.serving.decision_log.drain import DecisionDrain
from credit_scoring.serving.decision_log.sink import DecisionSink
from credit_scoring.serving.decision_log.spool import (
    SpooledRow,
    SpoolFile,
    SpoolWriter,
)
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.tables import decisions

from .decision_records import make_record, spool_entry


def fill(spool: SpoolFile, n: int) -> list[str]:
    writer = SpoolWriter(spool)
    records = [make_record(i) for i in range(n)]
    asyncio.run(writer.append([spool_entry(r) for r in records]))
    writer.close()
    return [r.request_id for r in records]


def count(engine: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(decisions)).scalar_one())


class FlakySink(DecisionSink):
    """The real sink, failing while ``down`` is set (a database outage)."""

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.down = threading.Event()
        self.failures = 0

    def write(self, rows: Sequence[SpooledRow]) -> int:
        if self.down.is_set():
            self.failures += 1
            raise ConnectionError("database down")
        return super().write(rows)


def test_drained_rows_reach_the_database_and_leave_the_spool(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    spool = SpoolFile.claim(tmp_path / "spool")
    ids = fill(spool, 25)
    drain = DecisionDrain(
        spool=spool, sink=DecisionSink(engine), batch_size=10, interval_seconds=0.01, sync="normal"
    )
    assert drain.drain_once(spool) == 10
    assert spool.depth() == 15 and count(engine) == 10
    drain.start()
    assert drain.wait_until_empty(5)
    drain.stop()
    assert count(engine) == 25
    with engine.connect() as connection:
        stored = connection.execute(select(decisions).where(decisions.c.request_id == ids[3])).one()
    assert stored.reasons[0]["code"] == "R01" and stored.raw_input["SK_ID_CURR"] == 3
    assert np.array_equal(np.frombuffer(stored.features), np.arange(3.0))
    spool.close()
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty decision log: SQLite, then the real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
        upgrade_database(url)
        return url
    url = str(request.getfixturevalue("postgres_url"))
    upgrade_database(url)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("TRUNCATE decisions")
    return url


def test_writing_the_same_decisions_twice_logs_them_once(tmp_path: Path, database_url: str) -> None:
    engine = create_db_engine(database_url)
    spool = SpoolFile.claim(tmp_path / "spool")
    fill(spool, 5)
    rows = spool.peek(10)
    sink = DecisionSink(engine)
    assert sink.write(rows[:2]) == 2
    # e.g. a crash between the database commit and the spool delete: written again
    assert sink.write(rows) == 3
    assert sink.write(rows) == 0
    assert count(engine) == 5
    with engine.connect() as connection:
        stored = connection.execute(select(decisions).order_by(decisions.c.client_id)).all()
    assert [r.client_id for r in stored] == list(range(5))
    assert stored[4].raw_input == {"SK_ID_CURR": 4, "NAME_CONTRACT_TYPE": "Cash loans"}
    assert stored[4].created_at.tzinfo is not None or database_url.startswith("sqlite")
    assert np.array_equal(np.frombuffer(stored[4].features), np.arange(3.0))
    spool.close()
    engine.dispose()


def test_raw_inputs_spooled_apart_reach_the_database_like_those_inside_the_record(
    tmp_path: Path, database_url: str
) -> None:
    engine = create_db_engine(database_url)
    spool = SpoolFile.claim(tmp_path / "spool")
    records = [make_record(i) for i in range(4)]
    records[1].raw_input["AMT_CREDIT"] = 1e-7  # written by orjson, stored as written
    apart = [spool_entry(r) for r in records[:2]]
    inside = [spool_entry(r, raw_input_apart=False) for r in records[2:]]
    writer = SpoolWriter(spool)
    asyncio.run(writer.append([*apart, *inside]))
    writer.close()
    rows = spool.peek(10)
    assert [r.raw_input is not None for r in rows] == [True, True, False, False]

    assert DecisionSink(engine).write(rows) == 4

    with engine.connect() as connection:
        stored = connection.execute(select(decisions).order_by(decisions.c.client_id)).all()
    assert [r.raw_input for r in stored] == [r.raw_input for r in records]
    assert [r.reasons for r in stored] == [r.reasons for r in records]
    assert [r.request_id for r in stored] == [r.request_id for r in records]
    spool.close()
    engine.dispose()


def test_while_the_database_is_down_decisions_wait_and_drain_on_recovery(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    spool = SpoolFile.claim(tmp_path / "spool")
    sink = FlakySink(engine)
    sink.down.set()
    depths: list[int] = []
    errors: list[int] = []
    drain = DecisionDrain(
        spool=spool,
        sink=sink,
        batch_size=100,
        interval_seconds=0.01,
        sync="normal",
        on_depth=depths.append,
        on_error=lambda error_class: errors.append(error_class),
    )
    drain.start()
    fill(spool, 30)
    deadline = time.monotonic() + 5
    while sink.failures < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sink.failures >= 3 and errors and spool.depth() == 30 and count(engine) == 0
    assert drain.last_error == "ConnectionError"
    assert set(errors) == {"unreachable"} and drain.health().error_class == "unreachable"
    sink.down.clear()
    assert drain.wait_until_empty(10)
    drain.stop()
    assert count(engine) == 30 and depths[-1] == 0 and drain.failures == 0
    assert drain.health().error_class is None
    spool.close()
    engine.dispose()


def test_a_dead_workers_spool_is_adopted_and_drained(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_database(url)
    engine = create_db_engine(url)
    alive = SpoolFile.claim(tmp_path / "spool")
    dead = SpoolFile.claim(tmp_path / "spool")
    fill(dead, 12)
    dead.close()  # its process is gone; the file stays
    drain = DecisionDrain(
        spool=alive,
        sink=DecisionSink(engine),
        batch_size=5,
        interval_seconds=0.01,
        sync="normal",
        adopt_every_seconds=0.0,
    )
    drain.start()
    deadline = time.monotonic() + 5
    while count(engine) < 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    drain.stop()
    assert count(engine) == 12
    alive.close()
    engine.dispose()
