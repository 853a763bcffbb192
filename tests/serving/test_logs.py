"""Structured JSON logs, without personal data at INFO."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from credit_scoring.serving.app import create_app
from credit_scoring.serving.observability import JsonFormatter, client_ref, logging_config


def test_requests_are_logged_as_json_without_inputs_or_client_ids(
    migrated: Any,
    keys: Any,
    stand_in: Any,
    applications: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from fastapi.testclient import TestClient

    settings = migrated.model_copy(update={"access_log": True})
    app = create_app(settings, model_loader=lambda _u: stand_in, model_identity_of=str)
    with caplog.at_level(logging.INFO, logger="credit_scoring"), TestClient(app) as client:
        for row in applications[:5]:
            client.post("/v1/scores", json=row, headers={"X-API-Key": keys.score})
        client.get("/v1/scores", params={"client_id": applications[0]["SK_ID_CURR"]},
                   headers={"X-API-Key": keys.read})  # fmt: skip
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records]
    access = [line for line in lines if line["logger"] == "credit_scoring.serving.access"]
    assert len(access) == 6
    assert {a["route"] for a in access} == {"/v1/scores"}
    assert all({"method", "status", "latency_ms"} <= set(a) for a in access)
    text = "\n".join(json.dumps(line) for line in lines)
    for row in applications[:5]:
        assert str(row["SK_ID_CURR"]) not in text
        assert str(row["AMT_CREDIT"]) not in text
    assert "client_id=" not in text and "?" not in "".join(a["route"] for a in access)


def test_client_references_are_salted_hashes() -> None:
    assert client_ref(100001, "a") != client_ref(100001, "b")
    assert client_ref(100001, "a") == client_ref(100001, "a")
    assert "100001" not in client_ref(100001, "a")


def test_the_server_logging_config_writes_json_and_silences_uvicorn_access() -> None:
    config = logging_config("INFO")
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert config["formatters"]["json"]["()"].endswith("JsonFormatter")
    record = logging.LogRecord("credit_scoring.x", logging.INFO, __file__, 1, "hello", (), None)
    record.fields = {"route": "/v1/scores"}
    assert json.loads(JsonFormatter().format(record))["route"] == "/v1/scores"
