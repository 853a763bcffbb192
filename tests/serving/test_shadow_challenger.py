"""A shadow challenger: every decision also logs the challenger's answer (never returned to
the client), and a challenger that fails never fails a request."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from credit_scoring.serving.app import create_app
from credit_scoring.serving.scorer import load_served_model

SHADOW_COLUMNS = (
    "challenger_version",
    "challenger_probability",
    "challenger_decision",
    "challenger_score",
)
SHADOW_FIELDS = set(SHADOW_COLUMNS)


def _logged(settings: Any, expected: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    engine = sa.create_engine(settings.resolved_database_url)
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                result = connection.execute(
                    sa.text(
                        "SELECT request_id, probability, decision, score, "
                        + ", ".join(SHADOW_COLUMNS)
                        + " FROM decisions"
                    )
                )
                rows = [dict(r._mapping) for r in result]
            if len(rows) >= expected:
                return rows
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise AssertionError(f"{len(rows)} of {expected} decisions logged within {timeout} s")


def _score_all(
    settings: Any, keys: Any, applications: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    headers = {"X-API-Key": keys.everything}
    answers = []
    with TestClient(create_app(settings)) as api:
        for application in applications[:3]:
            answer = api.post("/v1/scores", json=application, headers=headers)
            assert answer.status_code == 200, answer.text
            answers.append(answer.json())
        batch = api.post(
            "/v1/scores/batch", json={"applications": applications[3:8]}, headers=headers
        )
        assert batch.status_code == 200, batch.text
        answers += batch.json()["results"]
    for answer in answers:
        assert not SHADOW_FIELDS & set(answer)  # never returned to the client
    return answers


def test_every_decision_logs_the_challengers_answer(
    e2e_settings: Any, pipeline: Any, keys: Any, pipeline_applications: list[dict[str, Any]],
    tmp_path: Path,
) -> None:  # fmt: skip
    challenger_dir = tmp_path / "challenger"
    shutil.copytree(pipeline.bundle_dir, challenger_dir)
    settings = e2e_settings.model_copy(update={"challenger_uri": str(challenger_dir)})
    served = load_served_model(settings.resolved_model_uri, settings)
    assert served.challenger is not None
    answers = _score_all(settings, keys, pipeline_applications)
    rows = {r["request_id"]: r for r in _logged(settings, len(answers))}
    assert set(rows) == {a["request_id"] for a in answers}
    for answer in answers:
        row = rows[answer["request_id"]]
        assert row["challenger_version"] == served.challenger.model_version
        # The same bundle in shadow: the same answer, logged beside the champion's.
        assert np.isclose(row["challenger_probability"], answer["probability"], rtol=0, atol=1e-12)
        assert row["challenger_decision"] == answer["decision"]
        assert row["challenger_score"] == answer["score"]


class _Exploding:
    """Stands in for a challenger bundle whose every prediction raises."""

    def __getattr__(self, name: str) -> Any:
        def explode(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("challenger crashed")

        return explode


def test_a_challenger_crash_leaves_the_champions_answers_intact(
    e2e_settings: Any, pipeline: Any, keys: Any, pipeline_applications: list[dict[str, Any]],
    tmp_path: Path,
) -> None:  # fmt: skip
    from fastapi.testclient import TestClient

    challenger_dir = tmp_path / "challenger"
    shutil.copytree(pipeline.bundle_dir, challenger_dir)
    settings = e2e_settings.model_copy(update={"challenger_uri": str(challenger_dir)})

    def crashing_loader(uri: str) -> Any:
        served = load_served_model(uri, settings)
        assert served.challenger is not None
        served.challenger.bundle = _Exploding()  # type: ignore[assignment]
        return served

    headers = {"X-API-Key": keys.everything}
    plain = e2e_settings.model_copy(update={"challenger_uri": None})
    with TestClient(create_app(plain)) as api:
        expected = [
            api.post("/v1/scores", json=a, headers=headers).json()
            for a in pipeline_applications[:3]
        ]
    answers = []
    with TestClient(create_app(settings, model_loader=crashing_loader)) as api:
        for application in pipeline_applications[:3]:
            answer = api.post("/v1/scores", json=application, headers=headers)
            assert answer.status_code == 200, answer.text
            answers.append(answer.json())
        batch = api.post(
            "/v1/scores/batch", json={"applications": pipeline_applications[3:6]}, headers=headers
        )
        assert batch.status_code == 200, batch.text
        answers += batch.json()["results"]
    for got, want in zip(answers, expected, strict=False):
        for field in ("probability", "score", "decision", "reasons"):
            assert got[field] == want[field]
    rows = {r["request_id"]: r for r in _logged(settings, len(answers) + len(expected))}
    for answer in answers:
        row = rows[answer["request_id"]]
        assert all(row[c] is None for c in SHADOW_COLUMNS)  # logged without the challenger
