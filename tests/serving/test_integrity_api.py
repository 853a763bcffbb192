"""Data integrity at the API: the contract's physical bounds and one id range, and the history
version a model was trained with served, reported on reload and logged with every decision."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from credit_scoring.features.feature_set import read_feature_set, write_feature_set
from credit_scoring.features.publish import publish_history
from credit_scoring.schema import MAX_ID
from credit_scoring.serving.schemas.batch import BatchValidator
from credit_scoring.serving.schemas.requests import application_validator


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("AMT_ANNUITY", 1.7e308),
        ("AMT_CREDIT", 1e13),
        ("DAYS_BIRTH", -(2**63)),
        ("DAYS_EMPLOYED", -(2**62)),
        ("CNT_CHILDREN", 2**40),
        ("SK_ID_CURR", 2**63 - 1),
        ("SK_ID_CURR", MAX_ID + 1),
    ],
)
def test_absurd_but_finite_values_are_refused_by_both_validators(
    pipeline_applications: list[dict[str, Any]], field: str, value: float
) -> None:
    application = {**pipeline_applications[0], field: value}
    with pytest.raises(ValidationError) as caught:
        application_validator().validate_python(application)
    assert field in str(caught.value)
    body = json.dumps({"applications": [pipeline_applications[1], application]})
    with pytest.raises(ValidationError) as in_batch:
        BatchValidator(10).validate_json(body)
    assert field in str(in_batch.value)


def test_the_largest_id_the_loader_accepts_is_accepted(
    pipeline_applications: list[dict[str, Any]],
) -> None:
    application = {**pipeline_applications[0], "SK_ID_CURR": MAX_ID}
    assert application_validator().validate_python(application)["SK_ID_CURR"] == MAX_ID


def _publish_other_data(pipeline: Any, url: str, tmp_path: Path) -> str:
    """The same feature definitions over other data (half the clients), published as current."""
    other = Path(shutil.copytree(pipeline.features_dir, tmp_path / "other_features"))
    history = pd.read_parquet(other / "history.parquet")
    history.iloc[: len(history) // 2].to_parquet(other / "history.parquet", index=False)
    feature_set = read_feature_set(other)
    relabelled = type(feature_set)(**{**feature_set.__dict__, "data_fingerprint": "f" * 64})
    write_feature_set(other, relabelled)
    publish_history(other, url)
    return relabelled.history_version


def test_the_model_is_served_with_its_own_history_after_another_dataset_is_published(
    e2e_settings: Any, pipeline: Any, pipeline_applications: list[dict[str, Any]],
    keys: Any, tmp_path: Path,
) -> None:  # fmt: skip
    from fastapi.testclient import TestClient

    from credit_scoring.runtime.bundle import load_bundle
    from credit_scoring.serving.app import create_app

    bundle = load_bundle(str(pipeline.bundle_dir))
    trained_with = bundle.history_version
    assert trained_with.startswith(f"{bundle.feature_set_version}")
    clients = len(pd.read_parquet(pipeline.features_dir / "history.parquet"))
    other = _publish_other_data(pipeline, e2e_settings.resolved_database_url, tmp_path)
    assert other != trained_with
    with TestClient(create_app(e2e_settings)) as client:
        card = client.get("/v1/model", headers={"X-API-Key": keys.read}).json()
        assert card["history_version"] == trained_with
        assert card["history_clients"] == clients
        reload = client.post("/v1/admin/reload", headers={"X-API-Key": keys.admin}).json()
        assert reload["history_version"] == reload["previous_history_version"] == trained_with
        answer = client.post(
            "/v1/scores", json=pipeline_applications[0], headers={"X-API-Key": keys.score}
        ).json()
        logged = client.get(
            f"/v1/scores/{answer['request_id']}", headers={"X-API-Key": keys.read}
        ).json()
        assert logged["feature_set_version"] == trained_with
