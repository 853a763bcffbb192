"""``/v1/reviews``: another system records the final decision of a reviewed application."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_type_hints

import orjson
from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.concurrency import run_in_threadpool

from credit_scoring.serving.deps import ReviewKey, ServicesDep
from credit_scoring.serving.routes._responses import AUTH, INVALID, LOG_UNAVAILABLE, NOT_FOUND
from credit_scoring.serving.schemas.requests import RequestId
from credit_scoring.store.reviews import (
    DEFAULT_REVIEW_REASONS,
    Review,
    ReviewError,
    UnknownDecisionError,
    record_review,
)

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


class ReviewCreate(BaseModel):
    """A final decision on a logged decision (typically a REVIEW)."""

    model_config = ConfigDict(extra="forbid")

    request_id: RequestId
    final_decision: Literal["APPROVE", "REFUSE", "APPROVE_COUNTER_OFFER"]
    reason: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="One of the configured review reasons."
    )
    comment: Annotated[str | None, Field(max_length=1000)] = None
    reviewer: Annotated[str, Field(min_length=1, max_length=60)] = Field(
        description="Who decided, in the calling system (stored with the API key's id)."
    )


_REVIEW_FIELDS: dict[str, Any] = {
    name: (str if name == "reviewed_at" else hint, ...)
    for name, hint in get_type_hints(Review).items()
}
#: The stored review as answered (:meth:`Review.as_dict`: the same fields, the time as text).
ReviewPublic = create_model("ReviewPublic", **_REVIEW_FIELDS)


@router.post(
    "",
    response_model=ReviewPublic,
    status_code=status.HTTP_201_CREATED,
    responses={**AUTH, **NOT_FOUND, **INVALID, **LOG_UNAVAILABLE},
    summary="Record the final decision of a review",
)
async def record_final_decision(
    review: ReviewCreate, services: ServicesDep, key: ReviewKey
) -> Response:
    """Append-only: a later review of the same decision supersedes (and keeps) earlier ones.
    The decision must be in the database (decisions reach it well under a second)."""
    reasons = services.settings.review_reasons or DEFAULT_REVIEW_REASONS
    reviewer = f"{review.reviewer} (key {key.key_id or 'local'})"
    try:
        stored = await run_in_threadpool(
            lambda: record_review(
                services.engine,
                request_id=review.request_id,
                reviewer=reviewer,
                channel="api",
                final_decision=review.final_decision,
                reason=review.reason,
                comment=review.comment,
                allowed_reasons=reasons,
            )
        )
    except UnknownDecisionError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except ReviewError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    except Exception as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail="decision log unavailable"
        ) from exc
    return Response(
        orjson.dumps(stored.as_dict()),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
    )
