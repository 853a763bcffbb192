"""One scoring path: the same applications through the API, ``score-batch`` and the
dashboard's what-if page get the same probabilities, points, decisions and reasons, to the bit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI

from credit_scoring.batch import load_batch_model, score_batch
from credit_scoring.batch.scoring import REASON_SEPARATOR
from credit_scoring.dashboard.scoring import load_model, score_application
from credit_scoring.settings import Settings


@pytest.fixture
def api_answers(
    e2e_app: FastAPI, keys: Any, pipeline_applications: list[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """The API's answers by client id: the batch endpoint for all, one request for some."""
    from fastapi.testclient import TestClient

    headers = {"X-API-Key": keys.score}
    with TestClient(e2e_app) as client:
        batch = client.post(
            "/v1/scores/batch", json={"applications": pipeline_applications}, headers=headers
        )
        assert batch.status_code == 200, batch.text
        answers = {r["client_id"]: r for r in batch.json()["results"]}
        for application in pipeline_applications[:20]:
            single = client.post("/v1/scores", json=application, headers=headers)
            assert single.status_code == 200, single.text
            one = single.json()
            twin = answers[one["client_id"]]
            for field in ("probability", "score", "decision", "reasons", "history_found"):
                assert one[field] == twin[field], field
    return answers


def test_api_batch_and_dashboard_give_the_same_answers(
    api_answers: dict[int, dict[str, Any]],
    e2e_settings: Settings,
    pipeline: Any,
    pipeline_applications: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    # score-batch, local engine, history from the store the API serves.
    out = tmp_path / "scores.parquet"
    model = load_batch_model(str(pipeline.bundle_dir), e2e_settings)
    score_batch(
        pipeline.data_dir / "application_test.parquet",
        out,
        model=model,
        database_url=e2e_settings.resolved_database_url,
        chunk_rows=97,
    )
    batch = pd.read_parquet(out).set_index("SK_ID_CURR")
    assert len(batch) == len(api_answers) == len(pipeline_applications) > 100
    decisions = set()
    for client_id, answer in api_answers.items():
        row = batch.loc[client_id]
        assert row["probability"] == answer["probability"]  # exact, not approximately
        assert row["score"] == answer["score"]
        assert row["decision"] == answer["decision"]
        assert bool(row["history_found"]) is answer["history_found"]
        codes = [r["code"] for r in answer["reasons"]]
        assert row["reasons"] == (REASON_SEPARATOR.join(codes) if codes else None)
        decisions.add(answer["decision"])
    assert "APPROVE" in decisions and decisions - {"APPROVE"}  # adverse rows have reasons

    # The dashboard's what-if scoring: validated like the API, scored by the same Scorer.
    dashboard_model = load_model(e2e_settings, e2e_settings.resolved_database_url)
    adverse_seen = 0
    for application in pipeline_applications[:60]:
        outcome = score_application(dashboard_model, application)
        assert outcome.errors == {} and outcome.scored is not None
        scored, answer = outcome.scored, api_answers[application["SK_ID_CURR"]]
        assert scored.probability == answer["probability"]
        assert scored.score == answer["score"]
        assert scored.decision == answer["decision"]
        assert scored.reasons == answer["reasons"]  # codes, texts, contributions, order
        assert scored.history_found is answer["history_found"]
        adverse_seen += scored.decision != "APPROVE"
    assert adverse_seen > 0
