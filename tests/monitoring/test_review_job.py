"""The review monitoring job: the queue and the reviews stored per window, on SQLite and
PostgreSQL; the alerts on the queue's oldest wait and the override rate."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from typer.testing import CliRunner

from credit_scoring.cli.monitor import app as monitor_app
from credit_scoring.monitoring.alerts import evaluate, load_rules
from credit_scoring.monitoring.jobs import review_job
from credit_scoring.monitoring.review import REVIEW_METRICS
from credit_scoring.monitoring.windows import WindowSpec
from credit_scoring.store.alert_reads import MIN_REVIEWS_FOR_RATE, alert_values
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.reads import read_results
from credit_scoring.store.reviews import record_review, review_summary
from credit_scoring.store.tables import decisions, monitoring_results, monitoring_runs, outcomes

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
DAILY = WindowSpec.parse("1d")
NOW = datetime(2026, 11, 4, 15, 30, tzinfo=UTC)  # a Wednesday afternoon
_BASE = {
    "batch_id": None, "model_version": "m", "bundle_checksum": "c", "feature_set_version": "f",
    "log_odds": -2.0, "score": 560, "threshold": 0.10, "reasons": [], "history_found": True,
    "latency_ms": 1.0, "raw_input": {"AMT_CREDIT": 100000.0}, "features": None,
}  # fmt: skip


def _decision(
    request_id: str, *, probability: float, decision: str, age: timedelta
) -> dict[str, Any]:
    return {**_BASE, "request_id": request_id, "client_id": len(request_id),
            "created_at": NOW - age, "probability": probability, "decision": decision}  # fmt: skip


def _fill(engine: Engine) -> None:
    """Five REVIEW decisions: two waiting (30 h and 2 h), three reviewed — one approved at or
    above the threshold (an override, later defaulted) and two confirmed (one outcome, repaid)
    — and an automatic approval that is not part of the queue."""
    rows = [
        _decision("w1", probability=0.101, decision="REVIEW", age=timedelta(hours=30)),
        _decision("w2", probability=0.095, decision="REVIEW", age=timedelta(hours=2)),
        _decision("r1", probability=0.105, decision="REVIEW", age=timedelta(days=3)),
        _decision("r2", probability=0.104, decision="REVIEW", age=timedelta(days=3)),
        _decision("r3", probability=0.093, decision="REVIEW", age=timedelta(days=3)),
        _decision("a1", probability=0.020, decision="APPROVE", age=timedelta(days=3)),
    ]
    with engine.begin() as connection:
        connection.execute(insert(decisions), rows)
    for request_id, final in (("r1", "APPROVE"), ("r2", "REFUSE"), ("r3", "APPROVE")):
        record_review(engine, request_id=request_id, reviewer="ann", channel="dashboard",
                      final_decision=final, reason="income verified",
                      now=NOW - timedelta(days=2))  # fmt: skip
    outcome = {"observed_at": NOW - timedelta(days=1), "recorded_at": NOW - timedelta(days=1)}
    with engine.begin() as connection:
        connection.execute(
            insert(outcomes),
            [{**outcome, "request_id": "r1", "defaulted": True},
             {**outcome, "request_id": "r3", "defaulted": False}],
        )  # fmt: skip


def _values(rows: Any) -> dict[str, float]:
    return dict(zip(rows["metric"], rows["value"], strict=True))


def test_review_job_stores_the_review_summary_in_the_window_it_is_taken_in(
    engine: Engine,
) -> None:
    _fill(engine)
    result = review_job(engine, window=DAILY, now=lambda: NOW)
    summary = review_summary(engine, now=NOW)
    values = _values(result.rows)
    assert list(values) == list(REVIEW_METRICS)
    assert values == pytest.approx({m: float(summary[m]) for m in REVIEW_METRICS}, nan_ok=True)
    assert values["queue_size"] == 2 and values["oldest_age_hours"] == pytest.approx(30.0)
    assert values["reviews"] == 3 and values["override_rate"] == pytest.approx(1 / 3)
    assert values["default_rate_overridden"] == 1.0 and values["default_rate_confirmed"] == 0.0
    assert result.n_decisions == 5 and result.n_written == len(REVIEW_METRICS)
    stored = read_results(engine, job="review", window="1d")
    assert set(stored["window_start"]) == {datetime(2026, 11, 4, tzinfo=UTC)}
    assert set(stored["window_end"]) == {datetime(2026, 11, 5, tzinfo=UTC)}
    assert set(stored["model_version"]) == {"*"}
    counts = dict(zip(stored["metric"], stored["n_rows"], strict=True))
    assert counts["oldest_age_hours"] == 2 and counts["override_rate"] == 3
    assert counts["default_rate_confirmed"] == 1


def test_a_later_run_replaces_its_window_and_the_next_window_adds_to_the_history(
    engine: Engine,
) -> None:
    _fill(engine)
    review_job(engine, window=DAILY, now=lambda: NOW)
    record_review(engine, request_id="w1", reviewer="bob", channel="api",
                  final_decision="REFUSE", reason="income verified", now=NOW)  # fmt: skip
    review_job(engine, window=DAILY, now=lambda: NOW + timedelta(hours=1))
    stored = read_results(engine, job="review", window="1d", metrics=["queue_size"])
    assert stored["value"].tolist() == [1.0]  # the day's latest snapshot only
    review_job(engine, window=DAILY, now=lambda: NOW + timedelta(days=1))
    history = read_results(engine, job="review", window="1d", metrics=["queue_size", "reviews"])
    by_day = history.pivot_table(index="window_start", columns="metric", values="value")
    assert by_day["queue_size"].tolist() == [1.0, 1.0]
    assert by_day["reviews"].tolist() == [4.0, 4.0]
    with engine.connect() as connection:
        runs = connection.execute(
            select(func.count()).where(monitoring_runs.c.job == "review")
        ).scalar()
    assert runs == 3


def test_an_empty_log_is_noted_and_its_undefined_values_stored_as_null(engine: Engine) -> None:
    result = review_job(engine, window=DAILY, now=lambda: NOW)
    assert result.notes == ("no REVIEW decision in the log yet",)
    values = _values(result.rows)
    assert values["queue_size"] == 0 and values["reviews"] == 0
    assert math.isnan(values["oldest_age_hours"]) and math.isnan(values["override_rate"])
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                select(monitoring_results.c.metric, monitoring_results.c.value).where(
                    monitoring_results.c.job == "review"
                )
            ).all()
        )
    assert stored["oldest_age_hours"] is None and stored["queue_size"] == 0.0


def test_not_storing_computes_the_snapshot_only(engine: Engine) -> None:
    _fill(engine)
    result = review_job(engine, window=DAILY, store=False, now=lambda: NOW)
    assert result.run_id is None and result.n_written == 0 and len(result.rows)
    assert read_results(engine, job="review").empty


def _snapshot_rows(engine: Engine, *, queue: int, oldest_hours: float | None, reviews: int,
                   override_rate: float | None, at: datetime) -> None:  # fmt: skip
    base = {
        "run_id": "r", "job": "review", "window_size": "1d", "window_start": at,
        "window_end": at + timedelta(days=1), "model_version": "*", "column_name": "",
        "kind": "", "segment": "all", "p_value": None, "band": None, "computed_at": at,
    }  # fmt: skip
    rows = [
        {**base, "metric": "queue_size", "value": float(queue), "n_rows": queue},
        {**base, "metric": "oldest_age_hours", "value": oldest_hours, "n_rows": queue},
        {**base, "metric": "override_rate", "value": override_rate, "n_rows": reviews},
    ]
    with engine.begin() as connection:
        connection.execute(insert(monitoring_results), rows)


def test_review_alerts_fire_from_the_latest_snapshot(engine: Engine) -> None:
    rules = load_rules(RULES)
    # an older day within bounds, the latest with a day-and-a-half wait and most reviews
    # overturned
    _snapshot_rows(engine, queue=3, oldest_hours=5.0, reviews=40, override_rate=0.2,
                   at=NOW - timedelta(days=2))  # fmt: skip
    _snapshot_rows(engine, queue=3, oldest_hours=36.0, reviews=40, override_rate=0.6,
                   at=NOW - timedelta(days=1))  # fmt: skip
    values = alert_values(engine, now=NOW)
    assert values["credit_scoring_review_oldest_age_seconds"] == pytest.approx(36 * 3600.0)
    assert values["credit_scoring_review_override_rate"] == pytest.approx(0.6)
    fired = {f.rule.name for f in evaluate(rules, values)}
    assert fired == {"ReviewQueueStale", "OverrideRateHigh"}


def test_an_empty_queue_exports_no_wait_and_a_few_reviews_no_override_rate(
    engine: Engine,
) -> None:
    _snapshot_rows(engine, queue=0, oldest_hours=None, reviews=MIN_REVIEWS_FOR_RATE - 1,
                   override_rate=0.9, at=NOW - timedelta(days=1))  # fmt: skip
    values = alert_values(engine, now=NOW)
    assert values["credit_scoring_review_oldest_age_seconds"] == 0.0  # the alert resolves
    assert "credit_scoring_review_override_rate" not in values
    assert not {f.rule.name for f in evaluate(load_rules(RULES), values)}


def test_a_job_run_feeds_the_alerts(engine: Engine) -> None:
    _fill(engine)
    review_job(engine, window=DAILY, now=lambda: NOW)
    values = alert_values(engine, now=NOW)
    assert values["credit_scoring_review_oldest_age_seconds"] == pytest.approx(30 * 3600.0)
    assert "credit_scoring_review_override_rate" not in values  # 3 reviews: too few
    assert {f.rule.name for f in evaluate(load_rules(RULES), values)} == {"ReviewQueueStale"}


def test_monitor_review_command_stores_the_snapshot(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_db_engine(database_url)
    _fill(engine)
    monkeypatch.setenv("CREDIT_SCORING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(monitor_app, ["review", "--window", "1h"])
    assert result.exit_code == 0, result.output
    assert "review: 5 decisions, 1 window(s) of 1h" in result.output
    assert "queue_size 2" in result.output and "reviews 3" in result.output
    stored = read_results(engine, job="review", window="1h", metrics=["queue_size"])
    engine.dispose()
    assert stored["value"].tolist() == [2.0]


@pytest.mark.postgres
def test_review_job_gives_the_same_snapshot_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    sqlite_url = f"sqlite:///{(tmp_path / 'twin.sqlite').as_posix()}"
    upgrade_database(sqlite_url)
    found = {}
    for name, url in (("postgres", postgres_url), ("sqlite", sqlite_url)):
        engine = create_db_engine(url)
        _fill(engine)
        found[name] = _values(review_job(engine, window=DAILY, now=lambda: NOW).rows)
        stored = read_results(engine, job="review", window="1d")
        assert len(stored) == len(REVIEW_METRICS)
        assert alert_values(engine, now=NOW)["credit_scoring_review_oldest_age_seconds"] == (
            pytest.approx(30 * 3600.0)
        )
        engine.dispose()
    assert found["postgres"] == pytest.approx(found["sqlite"], nan_ok=True)
