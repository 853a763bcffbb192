"""The review queue over the API: a REVIEW decision waits (pending_review), another system
records the final decision with scope ``review``, the decision then shows it, the queue
forgets it, and the trail (append-only) and the audit keep who / when / what."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from credit_scoring.serving.app import create_app
from credit_scoring.settings import Settings
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.reviews import review_queue, review_summary, review_trail
from credit_scoring.store.tables import access_audit, reviews


def _logged(client: TestClient, request_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        detail: dict[str, Any] = client.get(f"/v1/scores/{request_id}", headers=headers).json()
        if detail.get("logged"):
            return detail
        assert time.monotonic() < deadline, f"{request_id} not in the database within 30 s"
        time.sleep(0.1)


def test_queue_then_final_decision_then_audit_trail(
    e2e_settings: Settings, keys: Any, pipeline_applications: list[dict[str, Any]]
) -> None:
    settings = e2e_settings.model_copy(update={"review_band": 0.2})  # plenty of REVIEWs
    read = {"X-API-Key": keys.read}
    with TestClient(create_app(settings)) as client:
        answers = [
            client.post("/v1/scores", json=a, headers={"X-API-Key": keys.score}).json()
            for a in pipeline_applications[:40]
        ]
        review = next(a for a in answers if a["decision"] == "REVIEW")
        automatic = next(a for a in answers if a["decision"] != "REVIEW")
        detail = _logged(client, review["request_id"], read)
        assert detail["final"] == {**detail["final"], "status": "pending_review",
                                   "final_decision": None}  # fmt: skip
        other = _logged(client, automatic["request_id"], read)["final"]
        assert other["status"] == "automatic"
        assert other["final_decision"] == automatic["decision"]

        engine = create_db_engine(settings.resolved_database_url)
        queue = review_queue(engine)
        assert review["request_id"] in set(queue["request_id"])
        assert queue["created_at"].is_monotonic_increasing  # oldest first
        assert (queue["age_hours"] >= 0).all()

        body = {"request_id": review["request_id"], "final_decision": "REFUSE",
                "reason": "affordability concern", "comment": "rent not covered",
                "reviewer": "j.doe"}  # fmt: skip
        denied = client.post("/v1/reviews", json=body, headers={"X-API-Key": keys.score})
        assert denied.status_code == 403
        bad = client.post("/v1/reviews", json={**body, "reason": "gut feeling"},
                          headers={"X-API-Key": keys.review})  # fmt: skip
        assert bad.status_code == 422 and "reason" in bad.json()["detail"]
        missing = client.post(
            "/v1/reviews",
            json={**body, "request_id": "0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"},
            headers={"X-API-Key": keys.review},
        )
        assert missing.status_code == 404
        made = client.post("/v1/reviews", json=body, headers={"X-API-Key": keys.review})
        assert made.status_code == 201, made.text
        assert made.json()["reviewer"].startswith("j.doe (key ")

        final = _logged(client, review["request_id"], read)["final"]
        assert final["status"] == "reviewed" and final["final_decision"] == "REFUSE"
        assert final["reason"] == "affordability concern" and final["amount"] is None
        assert review["request_id"] not in set(review_queue(engine)["request_id"])

        # A second review supersedes the first; both stay (append-only).
        again = client.post(
            "/v1/reviews",
            json={**body, "final_decision": "APPROVE", "reason": "income verified"},
            headers={"X-API-Key": keys.review},
        )
        assert again.status_code == 201
        final = _logged(client, review["request_id"], read)["final"]
        assert final["final_decision"] == "APPROVE" and final["reviews"] == 2
        assert final["amount"] == review_application_amount(pipeline_applications, review)
        trail = review_trail(engine, review["request_id"])
        assert [r.final_decision for r in trail] == ["REFUSE", "APPROVE"]
        with engine.connect() as connection:
            audit = connection.execute(
                select(access_audit.c.username, access_audit.c.action).where(
                    access_audit.c.request_id == review["request_id"]
                )
            ).all()
            assert len(connection.execute(select(reviews.c.id)).all()) == 2
        assert [tuple(a) for a in audit] == [(trail[0].reviewer, "review")] * 2
        summary = review_summary(engine)
        assert summary["reviews"] == 1  # one decision reviewed (its latest review counts)
        assert summary["queue_size"] == len(review_queue(engine))
        engine.dispose()


def review_application_amount(applications: list[dict[str, Any]], answer: dict[str, Any]) -> float:
    client_id = answer["client_id"]
    return float(next(a for a in applications if a["SK_ID_CURR"] == client_id)["AMT_CREDIT"])
