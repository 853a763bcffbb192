"""The default model reference: the registry's champion alias (MLflow, local SQLite store)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from credit_scoring.runtime.registry import BUNDLE_ARTIFACT_PATH, mlflow_client
from credit_scoring.serving.app import create_app
from credit_scoring.serving.scorer import load_served_model, model_identity
from credit_scoring.training.registry import experiment_id, register_candidate


def _register(settings: Any, bundle_dir: Path, *, cv_cost: float, approve: Any = None) -> str:
    """Log ``bundle_dir`` as a run's artifact and register it (approved: the champion)."""
    client = mlflow_client(settings)
    run = client.create_run(experiment_id(client, settings), run_name="serving-test")
    client.log_artifacts(run.info.run_id, str(bundle_dir), BUNDLE_ARTIFACT_PATH)
    client.set_terminated(run.info.run_id)
    promotion = register_candidate(
        client,
        model_name=settings.registered_model_name,
        run_id=run.info.run_id,
        source=f"{run.info.artifact_uri}/{BUNDLE_ARTIFACT_PATH}",
        cv_cost=cv_cost,
    )
    assert not promotion.promoted  # nothing moves without an approval
    if approve is not None:
        approve(client, settings.registered_model_name, promotion.version)
    return promotion.version


def test_the_champion_is_served_and_a_new_champion_is_picked_up(
    e2e_settings: Any,
    pipeline: Any,
    keys: Any,
    pipeline_applications: list[dict[str, Any]],
    approve_version: Any,
) -> None:
    from fastapi.testclient import TestClient

    settings = e2e_settings.model_copy(update={"model_uri": None, "reload_poll_seconds": 0.5})
    uri = settings.resolved_model_uri
    assert uri == "models:/credit-scoring@champion"
    first = _register(settings, pipeline.bundle_dir, cv_cost=0.9, approve=approve_version)
    assert model_identity(uri, settings) == f"credit-scoring/{first}"
    served = load_served_model(uri, settings)
    assert served.model_version == f"credit-scoring/{first}"
    assert not list(settings.home.glob(".model-download-*"))  # no download left behind

    with TestClient(create_app(settings)) as client:
        headers = {"X-API-Key": keys.everything}
        answer = client.post("/v1/scores", json=pipeline_applications[0], headers=headers)
        assert answer.json()["model_version"] == f"credit-scoring/{first}"
        second = _register(settings, pipeline.bundle_dir, cv_cost=0.5, approve=approve_version)
        deadline = time.monotonic() + 30
        version = ""
        while time.monotonic() < deadline and version != f"credit-scoring/{second}":
            time.sleep(0.25)
            version = client.get("/v1/model", headers=headers).json()["model_version"]
        assert version == f"credit-scoring/{second}"
        answer = client.post("/v1/scores", json=pipeline_applications[0], headers=headers)
        assert answer.json()["model_version"] == f"credit-scoring/{second}"


def test_a_trained_but_unapproved_model_is_not_served(
    e2e_settings: Any,
    pipeline: Any,
    keys: Any,
    pipeline_applications: list[dict[str, Any]],
    approve_version: Any,
) -> None:
    """A candidate is not served, not even when someone moves the champion alias to it by hand;
    once approved it is."""
    import pytest
    from fastapi.testclient import TestClient

    from credit_scoring.runtime.approval import NotApprovedError

    settings = e2e_settings.model_copy(update={"model_uri": None, "reload_poll_seconds": 0})
    uri = settings.resolved_model_uri
    version = _register(settings, pipeline.bundle_dir, cv_cost=0.5)
    client = mlflow_client(settings)
    client.set_registered_model_alias(settings.registered_model_name, "champion", version)
    with pytest.raises(NotApprovedError, match="not approved"):
        load_served_model(uri, settings)
    headers = {"X-API-Key": keys.everything}
    with TestClient(create_app(settings)) as api:
        assert api.get("/readyz").status_code == 503
        answer = api.post("/v1/scores", json=pipeline_applications[0], headers=headers)
        assert answer.status_code == 503
    approve_version(client, settings.registered_model_name, version)
    assert load_served_model(uri, settings).model_version == f"credit-scoring/{version}"
