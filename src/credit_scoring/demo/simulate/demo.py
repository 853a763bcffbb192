"""A small, complete local environment: population → features → fast model → database.

Builds, under one folder, everything a scoring API needs to run for real — a synthetic
population with known true risk (``raw/``, also the simulator's applicant pool), its feature
tables (``features/``), a quickly trained LightGBM bundle (``bundle/``) and a migrated SQLite
serving database with the history store published (``serving.sqlite``). Used by the
end-to-end tests of the simulator and the dashboard, and by the dashboard benchmark; the
model is trained with few rounds and folds, so its metrics are only indicative.

Building is idempotent: a folder that already holds a finished environment is reused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from credit_scoring.io import file_sha256, read_json, write_json

DEMO_FILE = "demo.json"
#: Shift of the demo log's last days, in training standard deviations: lower external scores
#: and incomes, more late instalments (a riskier population).
DEMO_SHIFT = {
    "EXT_SOURCE_1": -0.8,
    "EXT_SOURCE_2": -0.8,
    "EXT_SOURCE_3": -0.8,
    "EXT_SOURCE_MEAN": -0.8,
    "EXT_SOURCE_MIN": -0.8,
    "EXT_SOURCE_MAX": -0.8,
    "AMT_INCOME_TOTAL": -0.5,
    "INST_LATE_SHARE": 0.5,
}


@dataclass(frozen=True)
class DemoEnvironment:
    """Paths of a built environment; ``database_url`` is the serving database."""

    root: Path
    raw_dir: Path
    features_dir: Path
    bundle_dir: Path
    database_url: str

    @classmethod
    def at(cls, root: Path) -> DemoEnvironment:
        root = Path(root)
        return cls(
            root=root,
            raw_dir=root / "raw",
            features_dir=root / "features",
            bundle_dir=root / "bundle",
            database_url=f"sqlite:///{(root / 'serving.sqlite').as_posix()}",
        )


def build_demo(
    root: Path,
    *,
    clients: int = 4000,
    test_clients: int = 1000,
    seed: int = 3,
    log: Callable[[str], None] = lambda message: None,
) -> DemoEnvironment:
    """Build (or reuse) the environment under ``root``."""
    from credit_scoring.demo.generator import generate_dataset
    from credit_scoring.features.build import build_features
    from credit_scoring.features.publish import publish_history
    from credit_scoring.runtime.bundle import write_bundle
    from credit_scoring.store.migrate import upgrade_database
    from credit_scoring.training.cv import BoostingConfig
    from credit_scoring.training.dataset import load_training_data
    from credit_scoring.training.train import TrainOptions, fit_model

    env = DemoEnvironment.at(root)
    marker = env.root / DEMO_FILE
    wanted = {"clients": clients, "test_clients": test_clients, "seed": seed}
    if marker.is_file() and read_json(marker).get("parameters") == wanted:
        return env
    env.root.mkdir(parents=True, exist_ok=True)
    log(f"generating {clients:,} + {test_clients:,} clients …")
    generate_dataset(env.raw_dir, clients=clients, test_clients=test_clients, seed=seed)
    log("building features …")
    build_features(env.raw_dir, env.features_dir)
    log("training a fast model …")
    options = TrainOptions(
        boosting=BoostingConfig(max_rounds=60, early_stopping_rounds=10, n_folds=3, seed=seed),
        params={"learning_rate": 0.15},
        n_boot=5,
        baselines=False,
        imbalance_options=("none",),
    )
    outcome = fit_model(load_training_data(env.features_dir), options=options)
    write_bundle(
        env.bundle_dir,
        booster=outcome.booster,
        metadata=outcome.metadata,
        model_card=outcome.model_card,
        scorecard=outcome.scorecard,
    )
    log("migrating the serving database and publishing the history store …")
    upgrade_database(env.database_url)
    publish_history(env.features_dir, env.database_url)
    write_json(marker, {"parameters": wanted, "paths": {k: str(v) for k, v in asdict(env).items()}})
    return env


@dataclass(frozen=True)
class DemoLog:
    """What :func:`backfill_demo_log` wrote: decisions, the shifted period, window width."""

    decisions: int
    start: datetime
    shifted_from: datetime
    window: str


def backfill_demo_log(
    env: DemoEnvironment,
    *,
    database_url: str | None = None,
    decisions: int = 7000,
    days: int = 7,
    shifted_days: int = 2,
    shift: dict[str, float] | None = None,
    end: datetime | None = None,
    seed: int = 5,
    feature_share: float = 1.0,
) -> DemoLog:
    """Fill a decision log with ``days`` of decisions of the demo bundle ending at ``end``
    (default: now; whole UTC days, the last one partial), the last ``shifted_days`` shifted by
    ``shift`` (default :data:`DEMO_SHIFT`), their outcomes, request-counter
    snapshots; then run the drift, performance, service and review jobs with daily windows.

    The decisions are scored by the bundle on the demo's feature rows (no API involved), so
    the monitoring pages have weeks of history in seconds. ``feature_share`` of the decisions
    carry their model row (feature drift is computed on those; output drift on all).
    """
    import pandas as pd

    from credit_scoring.demo.simulate.offline import LogSpec, bundle_population, write_decision_log
    from credit_scoring.metrics import COST_FN, COST_FP
    from credit_scoring.monitoring.jobs import drift_job, performance_job, review_job, service_job
    from credit_scoring.monitoring.store import RunRecord, snapshot_rows, write_results
    from credit_scoring.monitoring.windows import WindowSpec
    from credit_scoring.runtime.bundle import CHECKSUMS_FILE, load_bundle
    from credit_scoring.store.engine import create_db_engine
    from credit_scoring.store.reads import ALL_MODELS, COUNTER_JOB, DecisionSelection

    url = database_url or env.database_url
    bundle = load_bundle(env.bundle_dir)
    checksum = file_sha256(env.bundle_dir / CHECKSUMS_FILE)
    population = bundle_population(bundle, pd.read_parquet(env.features_dir / "train.parquet"))
    finish = (end or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    today = finish.replace(hour=0)
    # Whole UTC days, the last one (today) up to ``finish``.
    start = today - timedelta(days=days - 1)
    shifted_from = today - timedelta(days=shifted_days - 1)
    moved = shift or DEMO_SHIFT
    moved = {k: v for k, v in moved.items() if k in bundle.features}
    engine = create_db_engine(url)
    try:
        # Same decision rate throughout: split by time.
        stable_n = round(decisions * (shifted_from - start) / (finish - start))
        common = {
            "threshold": bundle.threshold,
            "review_band": bundle.review_band,
            "model_version": bundle.model_id,
            "bundle_checksum": checksum,
            "feature_set_version": bundle.history_version,  # as the API logs it
            "feature_share": feature_share,
        }
        write_decision_log(
            engine, population, stable_n,
            LogSpec(start=start, span=shifted_from - start, seed=seed, **common),  # type: ignore[arg-type]
        )  # fmt: skip
        write_decision_log(
            engine, population, decisions - stable_n,
            LogSpec(start=shifted_from, span=finish - shifted_from, seed=seed + 1, shift=moved,
                    **common),  # type: ignore[arg-type]
            first_id=stable_n + 1,
        )  # fmt: skip
        hours = max(int((finish - start).total_seconds() // 3600), 1)
        per_hour = decisions / hours
        counts = {"2xx": 0.0, "3xx": 0.0, "4xx": 0.0, "5xx": 0.0}
        snapshots = []
        for hour in range(hours + 1):
            taken = start + timedelta(hours=hour)
            if hour:
                counts["2xx"] += per_hour
                counts["4xx"] += per_hour * 0.01
                counts["5xx"] += per_hour * (0.02 if taken > shifted_from else 0.001)
            snapshots.append(snapshot_rows(taken, dict(counts)))
        run = RunRecord.start(COUNTER_JOB, "", ALL_MODELS, {"demo": True})
        write_results(engine, run, pd.concat(snapshots, ignore_index=True), n_decisions=0)
        daily = WindowSpec.parse("1d")
        everything = DecisionSelection()
        drift_job(
            engine,
            reference_bins=bundle.metadata["reference_bins"],
            features=bundle.features,
            window=daily,
            selection=DecisionSelection(bundle_checksum=checksum),
        )
        cost = bundle.metadata.get("cost", {})
        performance_job(
            engine,
            window=daily,
            selection=everything,
            cost_fn=float(cost.get("cost_fn", COST_FN)),
            cost_fp=float(cost.get("cost_fp", COST_FP)),
        )
        service_job(engine, window=daily, selection=everything)
        review_job(engine, window=daily, now=lambda: finish)
    finally:
        engine.dispose()
    return DemoLog(decisions=decisions, start=start, shifted_from=shifted_from, window="1d")
