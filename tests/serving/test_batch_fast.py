"""The vectorised batch path answers exactly what each application alone gets.

``ServedModel.score_many`` builds the rows column by column, predicts once and runs TreeSHAP
once over the adverse rows; its answers (probability, score, decision, reasons with their
contributions and order, history flag, model row) must equal ``score_one``'s bit for bit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import pytest
from fastapi import FastAPI

from credit_scoring.runtime.bundle import load_bundle
from credit_scoring.serving.decision_log.request_ids import new_request_ids
from credit_scoring.serving.routes.scores import _decide
from credit_scoring.serving.schemas import ScoreResult
from credit_scoring.serving.schemas.batch import BatchValidator
from credit_scoring.serving.schemas.requests import application_validator
from credit_scoring.serving.scorer import Scored, ServedModel, load_served_model
from credit_scoring.settings import Settings
from credit_scoring.store.records import DecisionRecord, decode_record, record_json


@pytest.fixture
def served(e2e_settings: Settings) -> ServedModel:
    return load_served_model(str(e2e_settings.model_uri), e2e_settings)


def awkward_applications(applications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Real applications plus what the API also accepts: unknown clients (no history),
    unknown categories, omitted and null fields, zero amounts, the employment sentinel."""
    base = applications[:3]
    omitted = {"EXT_SOURCE_1", "EXT_SOURCE_3", "AMT_ANNUITY", "OCCUPATION_TYPE", "OWN_CAR_AGE"}
    variants = []
    for k, a in enumerate(base):
        variants += [
            {**a, "SK_ID_CURR": 900_000_000 + k},
            {**a, "ORGANIZATION_TYPE": "Space agency", "NAME_TYPE_SUITE": "Robot"},
            {f: v for f, v in a.items() if f not in omitted},
            {**a, "EXT_SOURCE_1": None, "EXT_SOURCE_2": None, "EXT_SOURCE_3": None},
            {**a, "AMT_INCOME_TOTAL": 0.0, "AMT_ANNUITY": 0.0, "CNT_FAM_MEMBERS": 0.0},
            {**a, "DAYS_EMPLOYED": 365243, "SK_ID_CURR": 910_000_000 + k},
            {**a, "EXT_SOURCE_2": 0.0, "EXT_SOURCE_3": 0.0},  # very likely refused
        ]
    validate = application_validator().validate_python
    return [validate(a) for a in [*applications, *variants]]


def assert_same(alone: Scored, batched: Scored) -> None:
    assert batched.probability == alone.probability
    assert batched.log_odds == alone.log_odds
    assert batched.score == alone.score
    assert batched.decision == alone.decision
    assert batched.reasons == alone.reasons  # codes, texts, contributions, order
    assert batched.history_found is alone.history_found
    assert batched.features.tobytes() == alone.features.tobytes()


@pytest.mark.parametrize("threads", [1, 2])
def test_a_batch_answers_exactly_what_each_application_alone_gets(
    served: ServedModel, pipeline_applications: list[dict[str, Any]], threads: int
) -> None:
    applications = awkward_applications(pipeline_applications)
    served.num_threads = threads

    batched = served.score_many(applications)

    assert len(batched) == len(applications)
    for application, result in zip(applications, batched, strict=True):
        assert_same(served.score_one(application), result)
    decisions = {r.decision for r in batched}
    assert "APPROVE" in decisions and decisions - {"APPROVE"}  # both paths taken
    assert any(r.reasons for r in batched) and any(not r.reasons for r in batched)
    assert {r.history_found for r in batched} == {True, False}


def test_a_batch_scored_from_validated_columns_answers_what_each_application_alone_gets(
    served: ServedModel, pipeline_applications: list[dict[str, Any]]
) -> None:
    """The usual body (every field sent) is scored from the validator's columns."""
    applications = awkward_applications(pipeline_applications)
    complete = [a for a in applications if len(a) == len(applications[0])]
    validated = BatchValidator(len(complete)).validate_batch(
        orjson.dumps({"applications": complete})
    )
    assert validated.columns is not None

    batched = served.score_many(validated.applications, validated.columns)

    for application, result in zip(complete, batched, strict=True):
        assert_same(served.score_one(application), result)
    assert {r.decision == "APPROVE" for r in batched} == {True, False}
    assert {r.history_found for r in batched} == {True, False}


def test_a_batch_of_one_and_batches_in_any_order_agree(
    served: ServedModel, pipeline_applications: list[dict[str, Any]]
) -> None:
    applications = awkward_applications(pipeline_applications)[-40:]
    forward = served.score_many(applications)
    backward = served.score_many(applications[::-1])[::-1]
    for a, f, b in zip(applications, forward, backward, strict=True):
        assert_same(f, b)
        assert_same(f, served.score_many([a])[0])
    assert served.score_many([]) == []


def test_bundle_reasons_frame_equals_score_row_for_each_row(
    served: ServedModel, pipeline_applications: list[dict[str, Any]]
) -> None:
    bundle = load_bundle(served.bundle.path)
    applications = awkward_applications(pipeline_applications)
    X = np.vstack([served.feature_row(a)[0] for a in applications])
    frame = bundle.score_frame(X)
    # Every number to the bit: the array calibration and points use libm like one row does.
    rows = zip(X, bundle.reasons_frame(X), frame.raw_score, frame.probability, frame.points,
               frame.decision, strict=True)  # fmt: skip
    for x, reasons, raw, probability, points, decision in rows:
        alone = bundle.score_row(x)
        assert reasons == alone.reasons
        assert raw == alone.raw_score
        assert probability == alone.probability
        assert points == alone.points
        assert decision == alone.decision
    assert bundle.reasons_frame(X[:0]) == []


def test_top_reasons_are_selected_like_one_row_at_a_time(served: ServedModel) -> None:
    """Vectorised selection: positive groups only, largest first, ties in group order — as
    a plain sort of each row gives, and as the one-row selection gives."""
    index = served.bundle.reason_index
    rng = np.random.default_rng(7)
    groups = len(index.groups)
    grouped = rng.normal(size=(300, groups))
    grouped[:50] = np.round(grouped[:50])  # many ties, zeros and negatives
    grouped[50] = 0.0
    grouped[51] = -1.0
    order, top, count = index.top_positions(grouped)
    for row, o, t, c in zip(grouped, order, top, count, strict=True):
        values = row.tolist()
        expected = sorted((k for k in range(groups) if values[k] > 0), key=lambda k: -values[k])
        assert o[:c].tolist() == expected[:4]
        assert t[:c].tolist() == [values[k] for k in expected[:4]]
        assert [r.code for r in index.top_reasons(row)] == [index.groups[k].code for k in o[:c]]
    assert count[50] == count[51] == 0


def test_batch_request_ids_are_distinct_uuid7_of_now() -> None:
    before = time.time_ns() // 1_000_000
    ids = new_request_ids(5000)
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == 5000
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122
    millis = {uuid.UUID(t).int >> 80 for t in ids}
    assert len(millis) == 1 and before <= millis.pop() <= after
    assert new_request_ids(0) == []


@pytest.fixture
def e2e_client(e2e_app: FastAPI) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(e2e_app) as client:
        yield client


def test_batch_answers_over_http_equal_single_answers_and_are_logged(
    e2e_client: Any, keys: Any, pipeline_applications: list[dict[str, Any]]
) -> None:
    applications = awkward_applications(pipeline_applications)[-60:]
    headers = {"X-API-Key": keys.everything}

    batch = e2e_client.post(
        "/v1/scores/batch", json={"applications": applications}, headers=headers
    )

    assert batch.status_code == 200
    body = batch.json()
    results = body["results"]
    assert len(results) == len(applications)
    assert len({r["request_id"] for r in results}) == len(results)
    volatile = {"request_id", "created_at"}
    for application, result in zip(applications, results, strict=True):
        single = e2e_client.post("/v1/scores", json=application, headers=headers).json()
        assert {k: v for k, v in result.items() if k not in volatile} == {
            k: v for k, v in single.items() if k not in volatile
        }
    for result in results[::7]:  # durable (spool or database) and logged as answered
        logged = e2e_client.get(f"/v1/scores/{result['request_id']}", headers=headers).json()
        assert logged["batch_id"] == body["batch_id"]
        assert logged["reasons"] == result["reasons"]
        assert logged["probability"] == result["probability"]
        assert logged["application"] == applications[results.index(result)]


def test_a_decision_record_is_its_answer_then_the_fields_only_the_log_keeps(
    stand_in: Any, applications: list[dict[str, Any]]
) -> None:
    """Records are joined from JSON parts: the bytes of ``orjson.dumps`` of the whole record;
    the application's fields are spooled beside it, as their own JSON."""
    fields = applications[:4]
    scored = stand_in.score_many(fields)

    started = time.perf_counter()
    services: Any = None  # only read to log at DEBUG level

    decisions = _decide(services, stand_in, fields, scored, started=started, batch_id="b-1")

    for answer_json, entry, application, result in zip(
        decisions.answers, decisions.entries, fields, scored, strict=True
    ):
        answer = orjson.loads(answer_json)
        assert answer == {
            "request_id": entry.request_id,
            "client_id": application["SK_ID_CURR"],
            "probability": result.probability,
            "score": result.score,
            "decision": result.decision,
            "threshold": stand_in.threshold,
            "reasons": result.reasons,
            "counter_offer": result.counter_offer,
            "model_version": stand_in.model_version,
            "history_found": result.history_found,
            "created_at": answer["created_at"],
        }
        assert list(answer) == list(ScoreResult.model_fields)
        record = DecisionRecord(
            **{**answer, "created_at": datetime.fromisoformat(answer["created_at"])},
            batch_id="b-1",
            bundle_checksum=stand_in.bundle_checksum,
            feature_set_version=stand_in.history_version,  # logged: features and data
            log_odds=result.log_odds,
            latency_ms=orjson.loads(entry.record)["latency_ms"],
            raw_input=application,
            features=result.features.tobytes(),
        )
        assert entry.record == record_json(record)  # the splice is the record's encoding
        assert entry.raw_input == orjson.dumps(application)
        assert entry.features == result.features.tobytes()
        assert decode_record(entry.record, raw_input=entry.raw_input, features=entry.features) == (
            record
        )
    assert decisions.scored == scored
