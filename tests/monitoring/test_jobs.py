"""Monitoring jobs end to end on a SQLite decision log: read, compute, store, re-run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, update

from credit_scoring.demo.simulate.offline import (
    LogSpec,
    Population,
    sample_decisions,
    write_decision_log,
)
from credit_scoring.monitoring.jobs import drift_job, performance_job, service_job
from credit_scoring.monitoring.windows import WindowSpec
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.reads import DecisionSelection, read_decisions, read_results
from credit_scoring.store.tables import decisions, monitoring_results, monitoring_runs

DAILY = WindowSpec.parse("1d")
DAY1 = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
DAY2 = DAY1 + timedelta(days=1)


def stable_day() -> LogSpec:
    return LogSpec(start=DAY1, span=timedelta(hours=23), seed=1)


def shifted_day() -> LogSpec:
    """The next day, with NUM_000 (the strongest driver of defaults) one SD higher."""
    return LogSpec(start=DAY2, span=timedelta(hours=23), seed=2, shift={"NUM_000": 1.0})


@pytest.fixture
def two_days(engine: Engine, population: Population) -> Engine:
    write_decision_log(engine, population, 3000, stable_day())
    write_decision_log(engine, population, 3000, shifted_day(), first_id=10_000)
    return engine


def run_drift(engine: Engine, population: Population, **kwargs: object):  # type: ignore[no-untyped-def]
    return drift_job(
        engine,
        reference_bins=population.reference(),
        features=population.features,
        window=DAILY,
        selection=DecisionSelection(),
        **kwargs,  # type: ignore[arg-type]
    )


def test_read_decisions_returns_the_logged_rows(engine: Engine, population: Population) -> None:
    spec = stable_day()
    write_decision_log(engine, population, 500, spec)
    X, columns = sample_decisions(population, 500, spec)
    logged = read_decisions(
        engine, DecisionSelection(), n_features=len(population.features), with_outcomes=True
    )
    assert len(logged) == 500
    order = np.argsort(logged.created_ns, kind="stable")  # the log was written in time order
    assert logged.features is not None and logged.defaulted is not None
    np.testing.assert_array_equal(logged.features[order], X)
    np.testing.assert_allclose(logged.probability[order], columns["probability"])
    np.testing.assert_array_equal(np.isnan(logged.defaulted[order]), np.isnan(columns["defaulted"]))
    first = pd.Timestamp(int(logged.created_ns[order[0]]), tz="UTC")
    assert abs(first - (DAY1 + timedelta(seconds=float(columns["offset_seconds"][0])))) < (
        pd.Timedelta(microseconds=1)
    )


def test_time_range_is_since_inclusive_until_exclusive(two_days: Engine) -> None:
    selection = DecisionSelection(since=DAY2, until=DAY2 + timedelta(hours=12))
    logged = read_decisions(two_days, selection)
    assert 0 < len(logged) < 3000
    assert logged.created_ns.min() >= pd.Timestamp(DAY2).value


def test_drift_job_flags_the_shifted_feature_on_the_shifted_day_only(
    two_days: Engine, population: Population
) -> None:
    result = run_drift(two_days, population)
    assert result.n_decisions == 6000 and result.n_windows == 2
    psi = result.rows[result.rows.metric == "psi"]
    day1 = psi[psi.window_start == DAY1]
    day2 = psi[psi.window_start == DAY2]
    assert set(day1.band) == {"ok"}
    flagged = set(day2.loc[day2.band == "alert", "column"])
    # The shifted feature and the outputs it drives (probability, points) move.
    assert "NUM_000" in flagged and "output:probability" in flagged
    assert not flagged & {f"NUM_00{j}" for j in range(5, 8)}
    assert set(result.rows.kind) == {"numeric", "categorical"}
    assert {"ks", "chi2"} <= set(result.rows.metric)
    assert result.alerts().iloc[0]["band"] == "alert"


def test_drift_results_are_stored_and_a_rerun_replaces_them(
    two_days: Engine, population: Population
) -> None:
    first = run_drift(two_days, population)
    stored = read_results(two_days, job="drift", window="1d", metrics=["psi"])
    assert len(stored) == (first.rows.metric == "psi").sum()
    assert stored.loc[stored.column_name == "NUM_000", "value"].max() == pytest.approx(
        first.rows.loc[
            (first.rows.metric == "psi") & (first.rows.column == "NUM_000"), "value"
        ].max()
    )
    run_drift(two_days, population)
    with two_days.connect() as connection:
        n_rows = connection.execute(select(func.count()).select_from(monitoring_results)).scalar()
        n_runs = connection.execute(select(func.count()).select_from(monitoring_runs)).scalar()
    assert n_rows == first.n_written and n_runs == 2


def test_decisions_without_a_model_row_are_left_out_of_feature_drift_with_a_note(
    engine: Engine, population: Population
) -> None:
    write_decision_log(engine, population, 400, stable_day())
    with engine.begin() as connection:
        ids = connection.execute(select(decisions.c.request_id).limit(100)).scalars().all()
        connection.execute(
            update(decisions).where(decisions.c.request_id.in_(ids)).values(features=None)
        )
    result = run_drift(engine, population)
    features = result.rows[(result.rows.column == "NUM_001") & (result.rows.metric == "psi")]
    outputs = result.rows[(result.rows.column == "output:points") & (result.rows.metric == "psi")]
    assert features.n_rows.sum() == 300 and outputs.n_rows.sum() == 400
    assert any("100 decision(s)" in note for note in result.notes)


def test_empty_log_gives_no_rows_and_no_error(engine: Engine, population: Population) -> None:
    result = run_drift(engine, population)
    assert result.n_decisions == 0 and result.rows.empty
    perf = performance_job(
        engine, window=DAILY, selection=DecisionSelection(), cost_fn=10, cost_fp=1
    )
    assert perf.rows.empty and "no outcomes recorded yet" in perf.notes
    assert service_job(engine, window=DAILY, selection=DecisionSelection()).rows.empty


def test_performance_job_sees_the_realised_cost_rise_after_the_shift(two_days: Engine) -> None:
    result = performance_job(
        two_days, window=DAILY, selection=DecisionSelection(), cost_fn=10.0, cost_fp=1.0
    )
    rows = result.rows[result.rows.segment == "all"].set_index(["metric", "window_start"]).value
    assert rows["default_rate_realised", DAY2] > rows["default_rate_realised", DAY1] * 1.3
    assert rows["cost_realised", DAY2] > rows["cost_realised", DAY1]
    # The probabilities are the truth here, so estimates track the realised values.
    for day in (DAY1, DAY2):
        assert rows["default_rate_expected", day] == pytest.approx(
            rows["default_rate_realised", day], abs=0.02
        )
    stored = read_results(two_days, job="performance", window="1d", metrics=["auc"])
    assert len(stored) == 2 and stored.value.between(0.6, 0.9).all()


def test_service_job_stores_latency_and_error_rates_from_counter_snapshots(
    two_days: Engine,
) -> None:
    text = (
        'credit_scoring_http_requests_total{method="POST",route="/v1/scores",status="200"} 95\n'
        'credit_scoring_http_requests_total{method="POST",route="/v1/scores",status="503"} 5\n'
    )
    taken = datetime(2026, 11, 3, 12, tzinfo=UTC)
    result = service_job(
        two_days, window=DAILY, selection=DecisionSelection(), metrics_text=text, now=lambda: taken
    )
    values = result.rows.set_index(["metric", "window_start"]).value
    assert values["n_decisions", DAY1] == 3000
    assert 0 < values["latency_p50_ms", DAY1] < values["latency_p99_ms", DAY1]
    assert values["error_rate_5xx", DAY2] == pytest.approx(0.05)
    stored = read_results(two_days, job="service", window="1d", metrics=["error_rate_5xx"])
    assert stored.value.tolist() == pytest.approx([0.05])


@pytest.mark.postgres
def test_jobs_read_and_store_the_same_on_postgresql(
    postgres_url: str, population: Population, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    pg = create_db_engine(postgres_url)
    write_decision_log(pg, population, 1500, stable_day())
    write_decision_log(pg, population, 1500, shifted_day(), first_id=10_000)
    sqlite_url = f"sqlite:///{(tmp_path / 'twin.sqlite').as_posix()}"
    upgrade_database(sqlite_url)
    lite = create_db_engine(sqlite_url)
    write_decision_log(lite, population, 1500, stable_day())
    write_decision_log(lite, population, 1500, shifted_day(), first_id=10_000)
    a = read_decisions(pg, DecisionSelection(since=DAY2), n_features=len(population.features))
    b = read_decisions(lite, DecisionSelection(since=DAY2), n_features=len(population.features))
    order_a, order_b = np.argsort(a.created_ns), np.argsort(b.created_ns)
    np.testing.assert_array_equal(a.created_ns[order_a], b.created_ns[order_b])
    np.testing.assert_array_equal(a.features[order_a], b.features[order_b])  # type: ignore[index]
    on_pg = run_drift(pg, population).rows
    on_lite = run_drift(lite, population).rows
    key = ["window_start", "column", "metric"]
    merged = on_pg.merge(on_lite, on=key, suffixes=("_pg", "_lite"))
    assert len(merged) == len(on_pg) == len(on_lite)
    np.testing.assert_allclose(merged.value_pg, merged.value_lite)
    stored = read_results(pg, job="drift", window="1d", metrics=["psi"])
    assert len(stored) == (on_pg.metric == "psi").sum()
    perf = performance_job(pg, window=DAILY, selection=DecisionSelection(), cost_fn=10, cost_fp=1)
    assert perf.n_decisions == 3000
    pg.dispose()
    lite.dispose()
