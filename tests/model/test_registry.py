"""Registry rules against a real local MLflow store (SQLite in tmp_path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from credit_scoring.errors import ModelNotFoundError
from credit_scoring.runtime.bundle import load_bundle
from credit_scoring.runtime.registry import BUNDLE_ARTIFACT_PATH, champion_version, mlflow_client
from credit_scoring.settings import Settings
from credit_scoring.training.registry import experiment_id, register_candidate


def _log_bundle(settings: Settings, bundle_dir: Path) -> tuple[str, str]:
    client = mlflow_client(settings)
    run = client.create_run(experiment_id(client, settings), run_name="lightgbm")
    client.log_artifacts(run.info.run_id, str(bundle_dir), BUNDLE_ARTIFACT_PATH)
    client.set_terminated(run.info.run_id)
    return run.info.run_id, f"{run.info.artifact_uri}/{BUNDLE_ARTIFACT_PATH}"


def test_training_registers_a_candidate_and_nothing_is_promoted_by_itself(
    settings: Settings, bundle_dir: Path
) -> None:
    client = mlflow_client(settings)
    name = settings.registered_model_name

    def register(cost: float):
        run_id, source = _log_bundle(settings, bundle_dir)
        return register_candidate(
            client, model_name=name, run_id=run_id, source=source, cv_cost=cost
        )

    first = register(0.60)
    assert not first.promoted and "awaiting" in first.reason
    assert champion_version(client, name) is None
    cheaper = register(0.10)  # a lower CV cost does not promote by itself any more
    assert not cheaper.promoted and champion_version(client, name) is None
    version = client.get_model_version(name, cheaper.version)
    assert version.tags["lifecycle.state"] == "candidate"
    assert str(client.get_model_version_by_alias(name, "candidate").version) == cheaper.version
    # The store lives under the settings' home, nothing elsewhere.
    assert (settings.home / "mlflow.db").is_file()
    assert (settings.home / "mlruns").is_dir()


def test_bundle_loads_from_the_champion_alias(
    settings: Settings, bundle_dir: Path, tmp_path: Path, approve_version: Any
) -> None:
    client = mlflow_client(settings)
    run_id, source = _log_bundle(settings, bundle_dir)
    registered = register_candidate(
        client, model_name=settings.registered_model_name, run_id=run_id, source=source,
        cv_cost=0.5,
    )  # fmt: skip
    approve_version(client, settings.registered_model_name, registered.version)
    uri = f"models:/{settings.registered_model_name}@champion"
    loaded = load_bundle(uri, settings=settings, download_dir=tmp_path / "dl")
    direct = load_bundle(bundle_dir)
    assert loaded.path.parent == tmp_path / "dl"
    assert loaded.model_id == direct.model_id
    with pytest.raises(ModelNotFoundError):
        load_bundle("models:/no-such-model@champion", settings=settings)
