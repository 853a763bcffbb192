"""``/v1/model``: the model being served (its card)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response

from credit_scoring.serving.deps import ReadKey, ServicesDep
from credit_scoring.serving.routes._responses import AUTH, UNAVAILABLE
from credit_scoring.serving.routes.scores import current_model
from credit_scoring.serving.schemas import ModelCard

router = APIRouter(prefix="/v1/model", tags=["model"])


@router.get("", response_model=ModelCard, responses={**AUTH, **UNAVAILABLE}, summary="The model")
async def read_model(services: ServicesDep, _key: ReadKey) -> Response:
    """Version, checksum, training metrics, threshold, cost weights and features."""
    card = current_model(services).card()
    body = ModelCard.model_validate(card).model_dump(mode="json")
    return Response(orjson.dumps(body), media_type="application/json")
