"""Dashboard queries: read-only engines, SQL aggregates by time bucket on SQLite and
PostgreSQL, histogram percentiles and the realised cost curve."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DBAPIError

from credit_scoring.metrics import cost_at_threshold
from credit_scoring.store import reads
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.tables import decisions, outcomes

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
# (hours after Monday 00:00, latency ms, probability, decision, defaulted or None)
ROWS = [
    (0.5, 1.0, 0.02, "APPROVE", 0),
    (0.7, 3.0, 0.30, "REFUSE", 1),
    (1.2, 2.0, 0.05, "APPROVE", 1),
    (30.0, 8.0, 0.15, "REFUSE", 0),
    (200.0, 40.0, 0.01, "APPROVE", None),  # the next Monday's week
]


def fill(engine: Engine) -> None:
    with engine.begin() as connection:
        for i, (hours, latency, p, decision, y) in enumerate(ROWS):
            request_id = str(uuid.UUID(int=i + 1))
            connection.execute(
                insert(decisions).values(
                    request_id=request_id, batch_id=None,
                    created_at=MONDAY + timedelta(hours=hours), client_id=i, model_version="m",
                    bundle_checksum="c", feature_set_version="f", probability=p,
                    log_odds=float(np.log(p / (1 - p))), score=int(600 - 100 * p),
                    decision=decision, threshold=0.1, reasons=[], history_found=i != 2,
                    latency_ms=latency, raw_input={}, features=None,
                )
            )  # fmt: skip
            if y is not None:
                stamp = MONDAY + timedelta(days=30)
                connection.execute(
                    insert(outcomes).values(request_id=request_id, defaulted=bool(y),
                                            observed_at=stamp, recorded_at=stamp)
                )  # fmt: skip


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{(tmp_path / 'serving.sqlite').as_posix()}"
    upgrade_database(url)
    writer = create_db_engine(url)
    fill(writer)
    writer.dispose()
    return url


@pytest.fixture(scope="module")
def postgres_url(
    fresh_postgres: Callable[[str], AbstractContextManager[str]],
) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database holding the test decisions."""
    with fresh_postgres("cs_dash") as url:
        upgrade_database(url)
        writer = create_db_engine(url)
        fill(writer)
        writer.dispose()
        yield url


def check_aggregates(engine: Engine) -> None:
    hourly = reads.volume_over_time(engine, granularity="hour")
    assert hourly["decisions"].tolist() == [2, 1, 1, 1]
    assert hourly["bucket"].iloc[0] == MONDAY and hourly["bucket"].iloc[1] == MONDAY + timedelta(
        hours=1
    )
    daily = reads.volume_over_time(engine, granularity="day")
    assert daily["decisions"].tolist() == [3, 1, 1]
    assert daily["approval_rate"].iloc[0] == pytest.approx(2 / 3)
    assert daily["no_history"].tolist() == [1, 0, 0]
    weekly = reads.volume_over_time(engine, granularity="week")
    assert weekly["bucket"].tolist() == [MONDAY, MONDAY + timedelta(days=7)]
    assert weekly["decisions"].tolist() == [4, 1]
    since = reads.volume_over_time(engine, granularity="day", since=MONDAY + timedelta(days=1))
    assert since["decisions"].tolist() == [1, 1]
    bands = reads.score_distribution(engine, granularity="week")
    assert bands["decisions"].sum() == 5 and set(bands["band"]) <= {560, 580}
    summary = reads.log_summary(engine)
    assert (summary["decisions"], summary["outcomes"]) == (5, 4)
    assert summary["first"] == MONDAY + timedelta(hours=0.5)
    curve = reads.realised_cost_curve(engine, cost_fn=10, cost_fp=1, resolution=0.01)
    labelled = [(p, y) for _, _, p, _, y in ROWS if y is not None]
    y_true = [y for _, y in labelled]
    y_prob = [p for p, _ in labelled]
    for threshold, cost in zip(curve["threshold"], curve["cost"], strict=True):
        expected = cost_at_threshold(y_true, y_prob, threshold, cost_fn=10, cost_fp=1).cost
        assert cost == pytest.approx(expected)


def test_aggregates_by_time_bucket_on_sqlite(sqlite_url: str) -> None:
    check_aggregates(create_db_engine(sqlite_url, read_only=True))


@pytest.mark.postgres
def test_aggregates_by_time_bucket_on_postgresql(postgres_url: str) -> None:
    check_aggregates(create_db_engine(postgres_url, read_only=True))


def test_the_sqlite_engine_cannot_write(sqlite_url: str) -> None:
    engine = create_db_engine(sqlite_url, read_only=True)
    with pytest.raises(DBAPIError, match="readonly"), engine.begin() as connection:
        connection.execute(text("DELETE FROM decisions"))
    assert reads.log_summary(engine)["decisions"] == 5


@pytest.mark.postgres
def test_the_postgresql_engine_cannot_write(postgres_url: str) -> None:
    engine = create_db_engine(postgres_url, read_only=True)
    with pytest.raises(DBAPIError, match="read-only transaction"), engine.begin() as connection:
        connection.execute(text("DELETE FROM decisions"))
    assert reads.log_summary(engine)["decisions"] == 5
    engine.dispose()


def test_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no decision-log database"):
        create_db_engine(f"sqlite:///{tmp_path / 'absent.sqlite'}", read_only=True)


def test_latency_percentiles_from_the_sql_histogram(sqlite_url: str) -> None:
    latency = reads.latency_over_time(
        create_db_engine(sqlite_url, read_only=True), granularity="week"
    )
    first = latency.iloc[0]
    # Latencies 1, 3, 2, 8 ms: the median lies in the [2, 3) ms bin of the histogram.
    assert first["decisions"] == 4 and 2.0 <= first["p50_ms"] <= 3.0
    assert first["max_ms"] == 8.0 and first["p99_ms"] <= 8.0


def test_histogram_quantile_by_hand() -> None:
    counts = np.array([0, 10, 10] + [0] * 18, dtype=float)  # 10 in [0.5, 1), 10 in [1, 1.5)
    assert reads.histogram_quantile(counts, 0.5, top=1.4) == pytest.approx(1.0)
    assert reads.histogram_quantile(counts, 0.25, top=1.4) == pytest.approx(0.75)
    assert reads.histogram_quantile(counts, 1.0, top=1.4) == pytest.approx(1.4)
    assert np.isnan(reads.histogram_quantile(np.zeros(21), 0.5, top=0))


def test_empty_or_unmigrated_databases_read_as_empty(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'blank.sqlite').as_posix()}"
    create_db_engine(url).connect().close()  # an empty file, no tables
    engine = create_db_engine(url, read_only=True)
    assert reads.log_summary(engine)["decisions"] == 0
    assert reads.stored_window_sizes(engine, "drift") == []
    assert reads.stored_results(engine, job="drift", window="1d").empty
