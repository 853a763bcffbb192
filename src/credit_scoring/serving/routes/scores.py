"""``/v1/scores``: score applications (one or a batch) and read logged decisions.

The request path builds no DataFrame: validated fields → one numpy row → booster → decision;
the decision is committed to the local spool before the answer leaves (see
``decision_log``). Request models are derived from the data contract when the router is built.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from credit_scoring.serving.decision_log.request_ids import new_request_id, new_request_ids
from credit_scoring.serving.decision_log.spool import SpoolEntry, SpoolError, find_in_spools
from credit_scoring.serving.deps import ReadKey, ScoreKey, ServicesDep
from credit_scoring.serving.observability import STARTED_KEY, client_ref
from credit_scoring.serving.routes._body import parse_body, request_body
from credit_scoring.serving.routes._responses import (
    AUTH,
    INVALID,
    NOT_FOUND,
    TOO_LARGE,
    UNAVAILABLE,
    documented,
)
from credit_scoring.serving.schemas import (
    BatchScoreResult,
    DecisionDetail,
    DecisionPage,
    ScoreResult,
    application_model,
    batch_request_model,
)
from credit_scoring.serving.schemas.batch import fast_batch_validator
from credit_scoring.serving.schemas.requests import (
    REQUEST_ID_PATTERN,
    Timestamp,
    application_validator,
)
from credit_scoring.serving.scorer import Scored, ServedModel
from credit_scoring.serving.state import Services
from credit_scoring.settings import Settings
from credit_scoring.store.decision_log import (
    DecisionQuery,
    InvalidCursorError,
    get_decision,
    list_decisions,
    record_read,
)
from credit_scoring.store.records import (
    DETAIL_FIELDS,
    SUMMARY_FIELDS,
    DecisionRecord,
    decode_record,
    features_blob,
    record_encoder,
)
from credit_scoring.store.reviews import final_decision, review_trail

logger = logging.getLogger("credit_scoring.serving.decisions")

JSON = "application/json"


def current_model(services: Services) -> ServedModel:
    served = services.runtime.current
    if served is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            # The loader's error names paths: it is logged, not answered.
            detail="no model loaded yet",
        )
    return served


def _started(request: Request) -> float:
    started: float = request.scope.get(STARTED_KEY, time.perf_counter())
    return started


@dataclass(frozen=True)
class _Decisions:
    """Scored applications made into decisions: each answer as JSON, its spool entry."""

    answers: list[bytes]
    entries: list[SpoolEntry]
    scored: Sequence[Scored]


def _decide(
    services: Services,
    served: ServedModel,
    fields: Sequence[Mapping[str, Any]],
    scored: Sequence[Scored],
    *,
    started: float,
    batch_id: str | None,
) -> _Decisions:
    """Answers and spool entries of scored applications.

    A decision's record is its answer followed by the fields only the log keeps, written by
    :func:`~credit_scoring.store.records.record_encoder` from the decision record's field
    lists. The application's fields are spooled as their own JSON (``raw_input``), which the
    drain passes on to the database as they are.
    """
    latency_ms = round((time.perf_counter() - started) * 1000.0, 3)
    request_ids = new_request_ids(len(scored)) if len(scored) > 1 else [new_request_id()]
    model_version = served.model_version
    encode = record_encoder(
        {
            "created_at": datetime.now(UTC),
            "model_version": model_version,
            "threshold": served.threshold,
            "batch_id": batch_id,
            "bundle_checksum": served.bundle_checksum,
            # the history version: feature set and data (what produced this decision's features)
            "feature_set_version": served.history_version,
            "latency_ms": latency_ms,
        }
    )
    dumps = orjson.dumps
    answers: list[bytes] = []
    entries: list[SpoolEntry] = []
    for request_id, application, result in zip(request_ids, fields, scored, strict=True):
        answer, record = encode(
            request_id=request_id,
            client_id=int(application["SK_ID_CURR"]),
            probability=result.probability,
            score=result.score,
            decision=result.decision,
            reasons=result.reasons,
            counter_offer=result.counter_offer,
            history_found=result.history_found,
            log_odds=result.log_odds,
            **_shadow_fields(result.shadow),
        )
        answers.append(answer)
        entries.append(
            SpoolEntry(request_id, record, features_blob(result.features), dumps(application))
        )
    if logger.isEnabledFor(logging.DEBUG):
        for request_id, application, result in zip(request_ids, fields, scored, strict=True):
            logger.debug(
                "decision",
                extra={
                    "fields": {
                        "request_id": request_id,
                        "client": client_ref(int(application["SK_ID_CURR"]), services.log_salt),
                        "decision": result.decision,
                        "model_version": model_version,
                    }
                },
            )
    return _Decisions(answers, entries, scored)


_NO_SHADOW: dict[str, Any] = {
    "challenger_version": None,
    "challenger_probability": None,
    "challenger_decision": None,
    "challenger_score": None,
}


def _shadow_fields(shadow: tuple[str, float, str, int] | None) -> dict[str, Any]:
    """The logged (never answered) fields of a shadow challenger's answer."""
    if shadow is None:
        return _NO_SHADOW
    return {
        "challenger_version": shadow[0],
        "challenger_probability": shadow[1],
        "challenger_decision": shadow[2],
        "challenger_score": shadow[3],
    }


async def _commit(services: Services, decisions: _Decisions) -> None:
    try:
        await services.writer.append(decisions.entries)
    except SpoolError as exc:
        services.metrics.errors.labels("spool").inc()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="the decision could not be made durable; it was not taken",
        ) from exc
    metrics = services.metrics
    scored = decisions.scored
    if len(scored) == 1:
        metrics.count_decision(scored[0].decision)
    else:
        for decision, count in Counter(r.decision for r in scored).items():
            metrics.decisions.labels(decision).inc(count)
    unknown = sum(not r.history_found for r in scored)
    if unknown:
        metrics.unknown_clients.inc(unknown)


def scores_router(settings: Settings) -> APIRouter:
    """The router, with request models built from the data contract and the settings."""
    Application = application_model()
    ScoreBatchRequest = batch_request_model(settings.max_batch_size)
    validate_batch = fast_batch_validator(settings.max_batch_size).batches
    router = APIRouter(prefix="/v1/scores", tags=["scores"])

    @router.post(
        "",
        response_model=ScoreResult,
        responses={**AUTH, **INVALID, **TOO_LARGE, **UNAVAILABLE},
        summary="Score one application",
        openapi_extra=request_body(Application),
    )
    async def score_application(request: Request, _key: ScoreKey) -> Response:
        """Probability of default, score, decision and reasons for one application.

        Answered only once the decision is in the durable spool of the decision log.
        """
        fields = await parse_body(request, application_validator())
        services: Services = request.app.state.services
        served = current_model(services)
        scored = served.score_one(fields)
        decisions = _decide(
            services, served, [fields], [scored], started=_started(request), batch_id=None
        )
        await _commit(services, decisions)
        return Response(decisions.answers[0], media_type=JSON)

    @router.post(
        "/batch",
        response_model=BatchScoreResult,
        responses={**AUTH, **INVALID, **TOO_LARGE, **UNAVAILABLE},
        summary=f"Score up to {settings.max_batch_size} applications",
        openapi_extra=request_body(ScoreBatchRequest),
    )
    async def score_batch(request: Request, _key: ScoreKey) -> Response:
        """One result per application, in order; each is logged as its own decision."""
        batch = await parse_body(request, validate_batch)
        services: Services = request.app.state.services
        served = current_model(services)
        fields = batch.applications
        scored = served.score_many(fields, batch.columns)
        batch_id = new_request_id()
        decisions = _decide(
            services, served, fields, scored, started=_started(request), batch_id=batch_id
        )
        await _commit(services, decisions)
        results = b",".join(decisions.answers)
        body = b"".join((b'{"batch_id":"', batch_id.encode(), b'","results":[', results, b"]}"))
        return Response(body, media_type=JSON)

    @router.get(
        "/{request_id}",
        response_model=DecisionDetail,
        responses={**AUTH, **NOT_FOUND, 422: INVALID[422]},
        summary="A logged decision",
    )
    async def read_decision(
        request_id: Annotated[str, Path(pattern=REQUEST_ID_PATTERN)],
        services: ServicesDep,
        key: ReadKey,
    ) -> Response:
        """The decision with its inputs, reasons, provenance and outcome (if recorded).

        Every read is recorded (key id, decision, time) before it is answered; a read that
        cannot be recorded is refused (503)."""
        request_id = request_id.lower()
        found = await _find_decision(services, request_id)
        try:
            await run_in_threadpool(
                lambda: record_read(
                    services.engine,
                    key_id=key.key_id,
                    request_id=request_id,
                    found=found is not None,
                )
            )
        except Exception as exc:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, detail="decision log unavailable"
            ) from exc
        if found is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail="no decision with this request id"
            )
        return found

    async def _find_decision(services: Services, request_id: str) -> Response | None:
        # Database, spool, database again: the drain commits to the database before it
        # deletes from the spool, so a decision moving between them is always found.
        database_ok = True
        for attempt in range(2):
            try:
                logged = await run_in_threadpool(get_decision, services.engine, request_id)
            except Exception:
                logged, database_ok = None, False
            if logged is not None:
                trail = await run_in_threadpool(review_trail, services.engine, request_id)
                return _detail(
                    *logged, logged=True, final=final_decision(logged[0].decision, trail)
                )
            if attempt == 0:
                spooled = await run_in_threadpool(
                    find_in_spools, services.spool.path.parent, request_id
                )
                if spooled is not None:
                    found = decode_record(
                        spooled.record, raw_input=spooled.raw_input, features=spooled.features
                    )
                    return _detail(
                        found, None, logged=False, final=final_decision(found.decision, [])
                    )
        if not database_ok:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, detail="decision log unavailable"
            )
        return None

    @router.get(
        "",
        response_model=DecisionPage,
        responses={**AUTH, **documented(400, "Invalid cursor.")},
        summary="List logged decisions",
    )
    async def list_logged_decisions(
        services: ServicesDep,
        _key: ReadKey,
        client_id: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
        since: Annotated[Timestamp | None, Query(description="Inclusive lower bound.")] = None,
        until: Annotated[Timestamp | None, Query(description="Exclusive upper bound.")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        """Newest first; decisions appear once drained to the database (well under a second)."""
        query = DecisionQuery(client_id, since, until, limit, cursor)
        try:
            rows, next_cursor = await run_in_threadpool(list_decisions, services.engine, query)
        except InvalidCursorError as exc:
            # The cursor is not echoed: it is client input.
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="invalid cursor") from exc
        page = {"items": [_summary(r) for r in rows], "next_cursor": next_cursor}
        return Response(orjson.dumps(page), media_type=JSON)

    return router


def _summary(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in SUMMARY_FIELDS}


def _detail(
    record: DecisionRecord,
    outcome: Mapping[str, Any] | None,
    *,
    logged: bool,
    final: Mapping[str, Any] | None = None,
) -> Response:
    detail = {name: getattr(record, name) for name in (*SUMMARY_FIELDS, *DETAIL_FIELDS)}
    detail.update(application=record.raw_input, outcome=outcome, final=final, logged=logged)
    return Response(orjson.dumps(detail), media_type=JSON)
