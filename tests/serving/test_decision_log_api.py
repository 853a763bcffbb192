"""Decisions are logged, readable by id, listed page by page; outcomes are idempotent."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy import func, select

from credit_scoring.serving.schemas import (
    BatchScoreResult,
    DecisionDetail,
    DecisionPage,
    ScoreResult,
)
from credit_scoring.store.records import ANSWER_FIELDS, features_from_blob
from credit_scoring.store.tables import decisions

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

Auth = Callable[..., dict[str, str]]


def _drained(app: FastAPI) -> None:
    assert app.state.services.drain.wait_until_empty(10)


def _logged_count(app: FastAPI) -> int:
    with app.state.services.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(decisions)).scalar_one())


def test_every_answered_decision_is_logged_with_its_inputs_and_provenance(
    client: TestClient, app: FastAPI, auth: Auth, applications: list[dict[str, Any]]
) -> None:
    answered = [
        client.post("/v1/scores", json=a, headers=auth("score")).json() for a in applications[:20]
    ]
    batch = client.post(
        "/v1/scores/batch", json={"applications": applications[20:30]}, headers=auth("score")
    ).json()
    _drained(app)
    assert _logged_count(app) == 30
    with app.state.services.engine.connect() as connection:
        row = connection.execute(
            select(decisions).where(decisions.c.request_id == answered[3]["request_id"])
        ).one()
        batch_rows = connection.execute(
            select(decisions.c.batch_id).where(decisions.c.batch_id == batch["batch_id"])
        ).all()
    assert len(batch_rows) == 10
    assert row.client_id == applications[3]["SK_ID_CURR"]
    assert row.raw_input == {k: v for k, v in applications[3].items()}
    assert row.model_version == "stand-in-1" and row.bundle_checksum == "c" * 64
    assert row.probability == answered[3]["probability"] and row.decision == answered[3]["decision"]
    assert row.reasons == answered[3]["reasons"] and row.latency_ms > 0
    features = features_from_blob(row.features)
    assert features is not None and features[0] == answered[3]["probability"]


def test_a_decision_is_readable_by_id_before_and_after_the_drain(
    client: TestClient, app: FastAPI, auth: Auth, applications: list[dict[str, Any]]
) -> None:
    drain = app.state.services.drain
    drain.stop()  # keep the decision in the spool for the first read
    answer = client.post("/v1/scores", json=applications[0], headers=auth("score")).json()
    spooled = client.get(f"/v1/scores/{answer['request_id']}", headers=auth("read"))
    assert spooled.status_code == 200
    assert spooled.json()["logged"] is False
    assert spooled.json()["application"] == applications[0]
    drain.drain_once(drain.spool)
    logged = client.get(f"/v1/scores/{answer['request_id']}", headers=auth("read")).json()
    assert logged["logged"] is True and logged["outcome"] is None
    for key in ("probability", "score", "decision", "reasons", "model_version", "client_id"):
        assert logged[key] == answer[key] == spooled.json()[key], key
    missing = client.get("/v1/scores/0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b", headers=auth("read"))
    assert missing.status_code == 404
    assert client.get("/v1/scores/not-an-id", headers=auth("read")).status_code == 422


def test_outcomes_are_recorded_once_and_repeats_are_idempotent(
    client: TestClient, app: FastAPI, auth: Auth, applications: list[dict[str, Any]]
) -> None:
    answer = client.post("/v1/scores", json=applications[0], headers=auth("score")).json()
    body = {"request_id": answer["request_id"], "defaulted": True}
    first = client.post("/v1/outcomes", json=body, headers=auth("outcomes"))
    again = client.post("/v1/outcomes", json=body, headers=auth("outcomes"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    opposite = client.post(
        "/v1/outcomes", json={**body, "defaulted": False}, headers=auth("outcomes")
    )
    assert opposite.status_code == 409
    unknown = client.post(
        "/v1/outcomes",
        json={"request_id": "0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b", "defaulted": False},
        headers=auth("outcomes"),
    )
    assert unknown.status_code == 404
    observed = "2027-03-01T00:00:00+00:00"
    other = client.post("/v1/scores", json=applications[1], headers=auth("score")).json()
    dated = client.post(
        "/v1/outcomes",
        json={"request_id": other["request_id"], "defaulted": False, "observed_at": observed},
        headers=auth("outcomes"),
    )
    assert dated.status_code == 201
    assert datetime.fromisoformat(dated.json()["observed_at"]) == datetime(2027, 3, 1, tzinfo=UTC)
    _drained(app)
    detail = client.get(f"/v1/scores/{answer['request_id']}", headers=auth("read")).json()
    assert detail["outcome"]["defaulted"] is True


def test_listing_pages_through_every_decision_exactly_once_newest_first(
    client: TestClient, app: FastAPI, auth: Auth, applications: list[dict[str, Any]]
) -> None:
    rows = applications[:23]
    for row in rows:
        client.post("/v1/scores", json=row, headers=auth("score"))
    _drained(app)
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/scores", params=params, headers=auth("read")).json()
        seen.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5 and len(seen) == 23
    assert len({s["request_id"] for s in seen}) == 23
    keys = [(s["created_at"], s["request_id"]) for s in seen]
    assert keys == sorted(keys, reverse=True)
    assert [s["client_id"] for s in seen] == [r["SK_ID_CURR"] for r in reversed(rows)]


def test_listing_filters_by_client_and_time_window(
    client: TestClient, app: FastAPI, auth: Auth, applications: list[dict[str, Any]]
) -> None:
    target = applications[5]
    for row in [target, applications[6], target]:
        client.post("/v1/scores", json=row, headers=auth("score"))
        time.sleep(0.005)
    _drained(app)
    mine = client.get(
        "/v1/scores", params={"client_id": target["SK_ID_CURR"]}, headers=auth("read")
    ).json()["items"]
    assert len(mine) == 2 and {m["client_id"] for m in mine} == {target["SK_ID_CURR"]}
    newest = datetime.fromisoformat(mine[0]["created_at"])
    oldest = datetime.fromisoformat(mine[1]["created_at"])
    window = {"since": oldest.isoformat(), "until": newest.isoformat()}
    between = client.get("/v1/scores", params=window, headers=auth("read")).json()["items"]
    assert [b["request_id"] for b in between][-1] == mine[1]["request_id"]
    assert mine[0]["request_id"] not in {b["request_id"] for b in between}  # until is exclusive
    future = {"since": (newest + timedelta(days=1)).isoformat()}
    assert client.get("/v1/scores", params=future, headers=auth("read")).json()["items"] == []
    bad = client.get("/v1/scores", params={"cursor": "garbage!"}, headers=auth("read"))
    assert bad.status_code == 400
    naive = client.get("/v1/scores", params={"since": "2026-01-01T00:00:00"}, headers=auth("read"))
    assert naive.status_code == 422


def test_metrics_count_requests_decisions_and_spool_depth(
    client: TestClient, app: FastAPI, auth: Auth, applications: list[dict[str, Any]]
) -> None:
    for row in applications[:4]:
        client.post("/v1/scores", json=row, headers=auth("score"))
    client.post("/v1/scores", json={}, headers=auth("score"))
    _drained(app)
    text = client.get("/metrics").text
    assert (
        'credit_scoring_http_request_duration_seconds_count{method="POST",route="/v1/scores"} 5.0'
        in text
    )
    assert (
        'credit_scoring_http_requests_total{method="POST",route="/v1/scores",status="422"} 1.0'
        in text
    )
    decided = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("credit_scoring_decisions_total{")
    )
    assert decided == 4
    assert "credit_scoring_spool_depth 0.0" in text
    assert (
        'credit_scoring_model_info{bundle_checksum="cccccccccccc",model_version="stand-in-1"} 1.0'
        in text
    )
    assert "SK_ID_CURR" not in text


def test_readiness_reports_the_model_and_the_database(client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["model_loaded"] and body["database"]
    assert client.get("/healthz").json() == {"status": "ok"}


def test_real_answers_validate_against_the_documented_response_models(
    client: TestClient, app: FastAPI, auth: Auth, applications: list[dict[str, Any]]
) -> None:
    """The routes answer raw bytes; the models they document (derived from the decision
    record, unknown fields refused) must accept what they really send, spooled or logged."""
    drain = app.state.services.drain
    drain.stop()
    one = client.post("/v1/scores", json=applications[0], headers=auth("score"))
    batch = client.post(
        "/v1/scores/batch", json={"applications": applications[1:4]}, headers=auth("score")
    )
    request_id = one.json()["request_id"]
    spooled = client.get(f"/v1/scores/{request_id}", headers=auth("read"))
    drain.drain_once(drain.spool)
    client.post("/v1/outcomes", json={"request_id": request_id, "defaulted": True},
                headers=auth("outcomes"))  # fmt: skip
    logged = client.get(f"/v1/scores/{request_id}", headers=auth("read"))
    page = client.get("/v1/scores?limit=2", headers=auth("read"))

    assert list(ScoreResult.model_validate_json(one.content).model_dump()) == list(one.json())
    assert len(BatchScoreResult.model_validate_json(batch.content).model_dump()["results"]) == 3
    assert DecisionDetail.model_validate_json(spooled.content).model_dump()["logged"] is False
    detail = DecisionDetail.model_validate_json(logged.content).model_dump()
    assert detail["outcome"]["defaulted"] is True and detail["application"] == applications[0]
    assert len(DecisionPage.model_validate_json(page.content).model_dump()["items"]) == 2
    openapi = client.get("/openapi.json").json()["components"]["schemas"]
    assert list(openapi["ScoreResult"]["properties"]) == list(ANSWER_FIELDS)
    assert openapi["ScoreResult"]["properties"]["probability"]["maximum"] == 1.0
