"""Validation at the edge: 422 naming every bad field, NaN/Infinity, 413, batch limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from credit_scoring.settings import Settings

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def test_a_valid_application_is_scored_and_answered_in_full(
    client: TestClient, auth: Callable[..., dict[str, str]], applications: list[dict[str, Any]]
) -> None:
    response = client.post("/v1/scores", json=applications[0], headers=auth("score"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "request_id", "client_id", "probability", "score", "decision", "threshold", "reasons",
        "counter_offer", "model_version", "history_found", "created_at",
    }  # fmt: skip
    assert body["client_id"] == applications[0]["SK_ID_CURR"]
    assert body["probability"] == 1.0 - applications[0]["EXT_SOURCE_2"]
    assert body["model_version"] == "stand-in-1"


def test_invalid_fields_get_a_422_naming_each_field_and_why(
    client: TestClient, auth: Callable[..., dict[str, str]], applications: list[dict[str, Any]]
) -> None:
    payload = {**applications[0], "DAYS_BIRTH": 12, "AMT_CREDIT": -5.0, "UNKNOWN": 1}
    del payload["CODE_GENDER"]
    response = client.post("/v1/scores", json=payload, headers=auth("score"))
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["detail"]}
    assert set(errors) == {"DAYS_BIRTH", "AMT_CREDIT", "UNKNOWN", "CODE_GENDER"}
    assert errors["DAYS_BIRTH"]["msg"] == "Input should be less than or equal to -1"
    assert errors["AMT_CREDIT"]["msg"] == "Input should be greater than or equal to 0"
    assert errors["CODE_GENDER"]["type"] == "missing"
    assert errors["UNKNOWN"]["type"] == "extra_forbidden"


def test_nan_and_infinity_literals_are_rejected(
    client: TestClient, auth: Callable[..., dict[str, str]], applications: list[dict[str, Any]]
) -> None:
    base = orjson.dumps({**applications[0], "EXT_SOURCE_2": 0.5, "AMT_ANNUITY": 1.0})
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        body = base.replace(b'"EXT_SOURCE_2":0.5', b'"EXT_SOURCE_2":' + literal)
        assert body != base
        response = client.post(
            "/v1/scores",
            content=body,
            headers={**auth("score"), "content-type": "application/json"},
        )
        assert response.status_code == 422, literal
        assert [e["field"] for e in response.json()["detail"]] == ["EXT_SOURCE_2"]


def test_malformed_json_is_a_422(client: TestClient, auth: Callable[..., dict[str, str]]) -> None:
    response = client.post(
        "/v1/scores",
        content=b'{"SK_ID_CURR": 1,',
        headers={**auth("score"), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_an_oversized_body_gets_a_413(
    client: TestClient, auth: Callable[..., dict[str, str]], migrated: Settings
) -> None:
    body = b'{"pad": "' + b"x" * migrated.max_body_bytes + b'"}'
    response = client.post(
        "/v1/scores", content=body, headers={**auth("score"), "content-type": "application/json"}
    )
    assert response.status_code == 413


def test_batches_are_limited_in_size_and_answered_in_order(
    client: TestClient,
    auth: Callable[..., dict[str, str]],
    applications: list[dict[str, Any]],
    migrated: Settings,
) -> None:
    limit = migrated.max_batch_size
    rows = (applications * (limit // len(applications) + 2))[: limit + 1]
    too_many = client.post("/v1/scores/batch", json={"applications": rows}, headers=auth("score"))
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["field"] == "applications"
    assert f"at most {limit}" in too_many.json()["detail"][0]["msg"]
    empty = client.post("/v1/scores/batch", json={"applications": []}, headers=auth("score"))
    assert empty.status_code == 422
    ok = client.post("/v1/scores/batch", json={"applications": rows[:7]}, headers=auth("score"))
    assert ok.status_code == 200
    results = ok.json()["results"]
    assert [r["client_id"] for r in results] == [r["SK_ID_CURR"] for r in rows[:7]]
    assert len({r["request_id"] for r in results}) == 7


def test_a_bad_item_in_a_batch_is_named_by_its_position(
    client: TestClient, auth: Callable[..., dict[str, str]], applications: list[dict[str, Any]]
) -> None:
    rows = [applications[0], {**applications[1], "HOUR_APPR_PROCESS_START": 24}]
    response = client.post("/v1/scores/batch", json={"applications": rows}, headers=auth("score"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["detail"]] == [
        "applications.1.HOUR_APPR_PROCESS_START"
    ]


def test_an_unknown_category_is_scored(
    client: TestClient, auth: Callable[..., dict[str, str]], applications: list[dict[str, Any]]
) -> None:
    payload = {**applications[0], "ORGANIZATION_TYPE": "Space agency"}
    assert client.post("/v1/scores", json=payload, headers=auth("score")).status_code == 200


def test_the_documented_example_application_is_scored(
    client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    schema = client.get("/openapi.json").json()
    example = schema["components"]["schemas"]["Application"]["examples"][0]
    response = client.post("/v1/scores", json=example, headers=auth("score"))
    assert response.status_code == 200, response.text
    assert response.json()["client_id"] == example["SK_ID_CURR"]


def test_the_example_file_of_the_docs_is_a_valid_application(
    client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    from pathlib import Path

    import credit_scoring

    docs = Path(credit_scoring.__file__).resolve().parents[2] / "docs"
    example = orjson.loads((docs / "api-example-application.json").read_bytes())
    response = client.post("/v1/scores", json=example, headers=auth("score"))
    assert response.status_code == 200, response.text
