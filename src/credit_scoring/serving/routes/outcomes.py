"""``/v1/outcomes``: the observed outcome of an earlier decision (idempotent)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, HTTPException, Response, status
from starlette.concurrency import run_in_threadpool

from credit_scoring.serving.decision_log.spool import find_in_spools
from credit_scoring.serving.deps import OutcomesKey, ServicesDep
from credit_scoring.serving.routes._responses import (
    AUTH,
    INVALID,
    LOG_UNAVAILABLE,
    NOT_FOUND,
    documented,
)
from credit_scoring.serving.schemas import OutcomeCreate, OutcomePublic
from credit_scoring.store.decision_log import (
    OutcomeConflictError,
    decision_exists,
    record_outcome,
)

router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"])


@router.post(
    "",
    response_model=OutcomePublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        **documented(200, "Already recorded: the stored outcome.", OutcomePublic),
        **documented(409, "The opposite outcome was already recorded."),
        **LOG_UNAVAILABLE,
        **AUTH,
        **NOT_FOUND,
        **INVALID,
    },
    summary="Record the outcome of a decision",
)
async def record_decision_outcome(
    outcome: OutcomeCreate, services: ServicesDep, _key: OutcomesKey
) -> Response:
    """201 the first time; sending the same outcome again answers 200 with the stored one."""
    try:
        # Spool first, then the database: the drain commits to the database before it
        # deletes from the spool, so a decision moving between them is always found.
        spooled = await run_in_threadpool(
            find_in_spools, services.spool.path.parent, outcome.request_id
        )
        known = spooled is not None or await run_in_threadpool(
            decision_exists, services.engine, outcome.request_id
        )
        if not known:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail="no decision with this request id"
            )
        stored, created = await run_in_threadpool(
            lambda: record_outcome(
                services.engine,
                request_id=outcome.request_id,
                defaulted=outcome.defaulted,
                observed_at=outcome.observed_at,
            )
        )
    except OutcomeConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except HTTPException:
        raise
    except Exception as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail="decision log unavailable"
        ) from exc
    body = OutcomePublic.model_validate(stored).model_dump(mode="json")
    return Response(
        orjson.dumps(body),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        media_type="application/json",
    )
