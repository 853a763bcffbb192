"""The traffic simulator: scenarios, outcomes from the true risk, and a run against the real
API followed by the monitoring jobs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from credit_scoring.cli.monitor import app as monitor_app
from credit_scoring.cli.simulate import simulate_command
from credit_scoring.demo.generator.truth import application_logit
from credit_scoring.demo.simulate.demo import DemoEnvironment
from credit_scoring.demo.simulate.population import load_population
from credit_scoring.demo.simulate.scenarios import (
    MEASUREMENT_SHIFT,
    POPULATION_SHIFT,
    apply_shift,
    generator_columns,
    scenario,
    shifted_true_pd,
)
from credit_scoring.demo.simulate.traffic import ensure_loopback, plan_traffic, send_traffic
from credit_scoring.errors import ConfigurationError
from credit_scoring.monitoring.jobs import drift_job, performance_job
from credit_scoring.monitoring.windows import WindowSpec
from credit_scoring.runtime.bundle import load_bundle
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.reads import DecisionSelection, read_results
from credit_scoring.store.tables import decisions, outcomes

SHIFTED_FIELDS = ("AMT_INCOME_TOTAL", "EXT_SOURCE_2", "EXT_SOURCE_3")


def test_scenario_shapes() -> None:
    assert not scenario("stable").intensity(4).any()
    assert scenario("gradual").intensity(5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert scenario("sudden").intensity(4).tolist() == [0.0, 0.0, 1.0, 1.0]
    assert scenario("feature-shift", change_at=0.25).intensity(4).tolist() == [0, 1, 1, 1]
    with pytest.raises(ValueError, match="windy"):
        scenario("windy")


def test_recomputed_application_logit_matches_the_generators(demo_env: DemoEnvironment) -> None:
    pool = load_population(demo_env.raw_dir)
    truth = pd.read_parquet(demo_env.raw_dir / "truth.parquet").set_index("SK_ID_CURR")
    ours = application_logit(generator_columns(pool.applications))
    theirs = truth.loc[pool.applications["SK_ID_CURR"], "LOGIT_APPLICATION"].to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)


def test_population_shift_moves_fields_and_raises_true_risk(demo_env: DemoEnvironment) -> None:
    pool = load_population(demo_env.raw_dir)
    rng = np.random.default_rng(0)
    full = np.ones(len(pool))
    shifted = apply_shift(pool.applications, full, POPULATION_SHIFT, rng=rng)
    ratio = shifted["AMT_INCOME_TOTAL"] / pool.applications["AMT_INCOME_TOTAL"]
    assert ratio.to_numpy() == pytest.approx(0.6, rel=1e-3)
    assert shifted["EXT_SOURCE_2"].dropna().between(0, 1).all()
    revolving = (shifted["NAME_CONTRACT_TYPE"] == "Revolving loans").mean()
    assert revolving > (pool.applications["NAME_CONTRACT_TYPE"] == "Revolving loans").mean() + 0.2
    new_pd = shifted_true_pd(pool.true_pd, pool.applications, shifted, POPULATION_SHIFT)
    assert new_pd.mean() > 1.5 * pool.true_pd.mean()
    none = apply_shift(pool.applications, np.zeros(len(pool)), POPULATION_SHIFT, rng=rng)
    pd.testing.assert_frame_equal(none, pool.applications)


def test_measurement_shift_keeps_the_true_risk(demo_env: DemoEnvironment) -> None:
    pool = load_population(demo_env.raw_dir)
    shifted = apply_shift(
        pool.applications, np.ones(len(pool)), MEASUREMENT_SHIFT, rng=np.random.default_rng(0)
    )
    assert (shifted["AMT_INCOME_TOTAL"] > pool.applications["AMT_INCOME_TOTAL"]).all()
    np.testing.assert_array_equal(
        shifted_true_pd(pool.true_pd, pool.applications, shifted, MEASUREMENT_SHIFT),
        pool.true_pd,
    )


def test_plans_are_reproducible_and_bounded(demo_env: DemoEnvironment) -> None:
    pool = load_population(demo_env.raw_dir)
    a = plan_traffic(pool, scenario("sudden"), 50, seed=4)
    b = plan_traffic(pool, scenario("sudden"), 50, seed=4)
    assert a.bodies == b.bodies and (a.defaulted == b.defaulted).all()
    assert all(v == v for body in a.bodies for v in body.values())  # no NaN sent
    with pytest.raises(ConfigurationError, match="between 1 and"):
        plan_traffic(pool, scenario("stable"), 0, seed=0)


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "http://example.com", "ftp://127.0.0.1"])
def test_only_loopback_targets_are_accepted(url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"loopback|http"):
        ensure_loopback(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:8"])
def test_loopback_targets_pass(url: str) -> None:
    assert ensure_loopback(url).port is not None


def wait_for_log(database_url: str, n: int, timeout: float = 30.0) -> None:
    engine = create_db_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                count = connection.execute(select(func.count()).select_from(decisions)).scalar()
            if count == n:
                return
            time.sleep(0.1)
        raise AssertionError(f"{count} decisions logged, expected {n}")
    finally:
        engine.dispose()


def test_sudden_run_against_the_api_is_flagged_by_drift_and_raises_realised_cost(
    live_api,
    demo_env: DemoEnvironment,  # type: ignore[no-untyped-def]
) -> None:
    pool = load_population(demo_env.raw_dir)
    # 300 per phase: enough rows per reference bin for PSI bands (not ``low_n``).
    plan = plan_traffic(pool, scenario("sudden"), 600, seed=11)
    report = send_traffic(plan, api_url=live_api.url, api_key=live_api.key, with_outcomes=True)
    assert report.statuses == {200: 600} and report.outcomes_posted == 600
    assert report.changed_at is not None
    wait_for_log(live_api.database_url, 600)

    engine = create_db_engine(live_api.database_url)
    bundle = load_bundle(demo_env.bundle_dir)
    daily = WindowSpec.parse("1d")
    before = DecisionSelection(until=report.changed_at)
    after = DecisionSelection(since=report.changed_at)

    def drift(selection: DecisionSelection) -> pd.DataFrame:
        rows = drift_job(
            engine,
            reference_bins=bundle.metadata["reference_bins"],
            features=bundle.features,
            window=daily,
            selection=selection,
        ).rows
        return rows[(rows.metric == "psi") & rows.column.isin(SHIFTED_FIELDS)]

    assert set(drift(after).band) == {"alert"}
    assert "alert" not in set(drift(before).band)

    def realised(selection: DecisionSelection, metric: str) -> float:
        rows = performance_job(
            engine, window=daily, selection=selection, cost_fn=10, cost_fp=1
        ).rows
        return float(rows.loc[(rows.metric == metric) & (rows.segment == "all"), "value"].sum())

    # Riskier applicants default more; the model refuses more of them, which holds the cost
    # back, but it still rises (300 decisions per phase: the default rate is the clear signal).
    rate_before = realised(before, "default_rate_realised")
    assert realised(after, "default_rate_realised") > rate_before * 1.3
    assert realised(after, "cost_realised") > realised(before, "cost_realised")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outcomes)).scalar() == 600
    engine.dispose()


def test_cli_sends_stable_traffic_with_the_key_from_the_named_variable(
    live_api,
    demo_env: DemoEnvironment,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    app = typer.Typer()
    app.command()(simulate_command)
    monkeypatch.setenv("SIM_KEY", live_api.key)
    result = CliRunner().invoke(
        app,
        [
            "--n",
            "12",
            "--scenario",
            "stable",
            "--api-url",
            live_api.url,
            "--api-key-env",
            "SIM_KEY",
            "--data",
            str(demo_env.raw_dir),
            "--rate",
            "200",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "12 score requests" in result.output and "statuses 200: 12" in result.output
    refused = CliRunner().invoke(
        app,
        ["--n", "1", "--api-url", "http://192.168.1.1:8000", "--data", str(demo_env.raw_dir)],
    )
    assert refused.exit_code != 0 and "loopback" in str(refused.exception)


def test_a_missing_applicant_pool_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="application_test"):
        load_population(tmp_path)


def test_monitor_cli_runs_every_job_and_snapshots_the_api_counters(  # type: ignore[no-untyped-def]
    live_api, demo_env: DemoEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = load_population(demo_env.raw_dir)
    plan = plan_traffic(pool, scenario("feature-shift", change_at=0.0), 300, seed=3)
    send_traffic(plan, api_url=live_api.url, api_key=live_api.key, with_outcomes=True)
    wait_for_log(live_api.database_url, 300)
    monkeypatch.setenv("CREDIT_SCORING_HOME", str(live_api.settings.home))
    monkeypatch.setenv("DATABASE_URL", live_api.database_url)
    monkeypatch.setenv("CREDIT_SCORING_MODEL_URI", str(demo_env.bundle_dir))
    result = CliRunner().invoke(
        monitor_app, ["all", "--window", "1d", "--metrics-url", f"{live_api.url}/metrics"]
    )
    assert result.exit_code == 0, result.output
    assert "drift: 300 decisions, 1 window(s) of 1d" in result.output
    # Income reported in another unit: the income features are flagged.
    assert "AMT_INCOME_TOTAL" in result.output
    engine = create_db_engine(live_api.database_url)
    errors = read_results(engine, job="service", window="1d", metrics=["requests"])
    engine.dispose()
    assert errors["value"].sum() >= 600  # 300 scores + 300 outcomes, counted by the API
    bad = CliRunner().invoke(monitor_app, ["drift", "--window", "5 minutes"])
    assert bad.exit_code != 0 and "expected <n>m" in str(bad.exception)
