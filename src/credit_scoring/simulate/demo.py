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
from pathlib import Path

from credit_scoring.io import read_json, write_json

DEMO_FILE = "demo.json"


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
    from credit_scoring.data.generator import generate_dataset
    from credit_scoring.features.build import build_features
    from credit_scoring.features.store import publish_history
    from credit_scoring.model.bundle import write_bundle
    from credit_scoring.model.cv import BoostingConfig
    from credit_scoring.model.dataset import load_training_data
    from credit_scoring.model.train import TrainOptions, fit_model
    from credit_scoring.serving.db import upgrade_database

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
    )
    log("migrating the serving database and publishing the history store …")
    upgrade_database(env.database_url)
    publish_history(env.features_dir, env.database_url)
    write_json(marker, {"parameters": wanted, "paths": {k: str(v) for k, v in asdict(env).items()}})
    return env
