"""End to end on a small real pipeline: the API answers what offline scoring answers."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import psycopg
import pytest
from fastapi import FastAPI

from credit_scoring.runtime.bundle import load_bundle
from credit_scoring.serving.schemas.application import CATEGORY_PATTERN

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture
def e2e_client(e2e_app: FastAPI) -> Any:
    from fastapi.testclient import TestClient

    with TestClient(e2e_app) as client:
        yield client


def test_api_answers_equal_offline_scoring_of_the_feature_table(
    e2e_client: TestClient, keys: Any, pipeline: Any, pipeline_applications: list[dict[str, Any]]
) -> None:
    """Skew test: raw fields through the API == the offline feature table through the bundle."""
    headers = {"X-API-Key": keys.score}
    batch = e2e_client.post(
        "/v1/scores/batch", json={"applications": pipeline_applications}, headers=headers
    )
    assert batch.status_code == 200
    online = {r["client_id"]: r for r in batch.json()["results"]}
    singles = [
        e2e_client.post("/v1/scores", json=a, headers=headers).json()
        for a in pipeline_applications[:25]
    ]

    bundle = load_bundle(pipeline.bundle_dir)
    table = pd.read_parquet(pipeline.features_dir / "test.parquet")
    offline = bundle.score_frame(table[list(bundle.features)])
    history_ids = set(pd.read_parquet(pipeline.features_dir / "history.parquet")["SK_ID_CURR"])
    adverse = np.flatnonzero(offline.decision != "APPROVE")
    offline_reasons = dict(
        zip(adverse, bundle.reasons_frame(table[list(bundle.features)].iloc[adverse]), strict=True)
    )
    assert len(online) == len(table) > 100
    assert 0 < len(adverse) < len(table)
    for i, client_id in enumerate(table["SK_ID_CURR"].tolist()):
        answer = online[client_id]
        assert math.isclose(answer["probability"], offline.probability[i], abs_tol=1e-12)
        assert answer["decision"] == offline.decision[i]
        assert answer["score"] == round(float(offline.points[i]))
        assert answer["history_found"] is (client_id in history_ids)
        expected = offline_reasons.get(i, ())
        assert [r["code"] for r in answer["reasons"]] == [r.code for r in expected]
        for got, want in zip(answer["reasons"], expected, strict=True):
            assert math.isclose(got["contribution"], want.contribution, abs_tol=1e-9)
    for single in singles:  # one at a time == in a batch
        twin = online[single["client_id"]]
        assert single["probability"] == twin["probability"]
        assert single["decision"] == twin["decision"] and single["score"] == twin["score"]
        assert [r["code"] for r in single["reasons"]] == [r["code"] for r in twin["reasons"]]


def test_an_unknown_client_is_scored_without_history_and_flagged(
    e2e_client: TestClient, keys: Any, pipeline_applications: list[dict[str, Any]]
) -> None:
    stranger = {**pipeline_applications[0], "SK_ID_CURR": 987_654_321}
    answer = e2e_client.post("/v1/scores", json=stranger, headers={"X-API-Key": keys.score})
    assert answer.status_code == 200
    assert answer.json()["history_found"] is False
    assert 0.0 <= answer.json()["probability"] <= 1.0


def test_the_model_card_describes_the_served_bundle(
    e2e_client: TestClient, keys: Any, pipeline: Any
) -> None:
    card = e2e_client.get("/v1/model", headers={"X-API-Key": keys.read}).json()
    bundle = load_bundle(pipeline.bundle_dir)
    assert card["model_version"] == bundle.model_id
    assert card["threshold"] == bundle.threshold
    assert card["features"] == list(bundle.features)
    assert card["feature_set_version"] == bundle.feature_set_version
    assert (card["cost_fn"], card["cost_fp"]) == (10.0, 1.0)
    assert card["history_clients"] > 0 and "auc" in str(card["metrics"])


def test_a_history_store_lacking_a_feature_fails_the_load(e2e_settings: Any, pipeline: Any) -> None:
    from credit_scoring.errors import FeatureSetMismatchError
    from credit_scoring.runtime.scorer import Scorer
    from credit_scoring.serving.scorer import load_history

    bundle = load_bundle(pipeline.bundle_dir)
    history = load_history(e2e_settings.resolved_database_url, bundle.history_version)
    used = [c for c in history.columns if c in set(bundle.features)]
    history.columns = tuple(c for c in history.columns if c != used[0])  # an older store
    with pytest.raises(FeatureSetMismatchError, match="history rows lack"):
        Scorer(bundle, history)


def test_without_a_published_history_the_api_is_up_but_not_ready(
    migrated: Any, keys: Any, pipeline: Any, pipeline_applications: list[dict[str, Any]]
) -> None:
    from fastapi.testclient import TestClient

    from credit_scoring.serving.app import create_app

    settings = migrated.model_copy(update={"model_uri": str(pipeline.bundle_dir)})
    if settings.database_url:  # the session's PostgreSQL database: forget what was published
        with psycopg.connect(settings.database_url, autocommit=True) as connection:
            connection.execute("DELETE FROM feature_sets")
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["model_loaded"] is False
        assert "FeatureSetMismatchError" in ready.json()["detail"]
        assert "/" not in ready.json()["detail"]  # no path or URL in a public probe
        scored = client.post(
            "/v1/scores", json=pipeline_applications[0], headers={"X-API-Key": keys.score}
        )
        assert scored.status_code == 503 and "no model loaded" in scored.json()["detail"]
        assert client.get("/healthz").status_code == 200


@pytest.fixture
def served(e2e_settings: Any) -> Any:
    from credit_scoring.serving.scorer import load_served_model

    return load_served_model(str(e2e_settings.model_uri), e2e_settings)


def test_extreme_but_valid_inputs_score_to_a_probability(
    served: Any, pipeline_applications: list[dict[str, Any]]
) -> None:
    """Any application the request model accepts scores to a finite probability in [0, 1]."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from credit_scoring.serving.schemas.requests import application_validator

    # up to the contract's physical bounds (amounts ≤ 1e12, days ≥ -1,000,000, counts ≤ 1e9)
    amounts = st.one_of(st.none(), st.floats(0.0, 1e12), st.just(0.0), st.just(1e12))
    days = st.integers(-1_000_000, -1)

    @given(
        income=amounts,
        credit=amounts,
        annuity=amounts,
        birth=days,
        employed=st.one_of(st.integers(-1_000_000, 0), st.just(365243)),
        children=st.integers(0, 10**9),
        category=st.from_regex(CATEGORY_PATTERN, fullmatch=True).filter(lambda c: len(c) <= 200),
    )
    @settings(max_examples=60, deadline=None, database=None)
    def check(**v: Any) -> None:
        raw = {
            **pipeline_applications[0],
            "AMT_INCOME_TOTAL": v["income"],
            "AMT_CREDIT": v["credit"],
            "AMT_ANNUITY": v["annuity"],
            "DAYS_BIRTH": v["birth"],
            "DAYS_EMPLOYED": v["employed"],
            "CNT_CHILDREN": v["children"],
            "ORGANIZATION_TYPE": v["category"],
        }
        fields = application_validator().validate_python(raw)
        for result in (served.score_one(fields), served.score_many([fields])[0]):
            assert 0.0 <= result.probability <= 1.0
            assert math.isfinite(result.log_odds) and isinstance(result.score, int)

    check()
