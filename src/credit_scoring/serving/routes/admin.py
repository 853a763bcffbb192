"""``/v1/admin``: operations (model reload, key revocation)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from credit_scoring.serving.deps import AdminKey, ServicesDep
from credit_scoring.serving.keys import ApiKeyError
from credit_scoring.serving.routes._responses import AUTH, documented
from credit_scoring.serving.schemas import ReloadResult

logger = logging.getLogger("credit_scoring.serving")


class RevokedKey(BaseModel):
    key_id: str
    revoked: bool


router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post(
    "/reload",
    response_model=ReloadResult,
    responses={**AUTH, **documented(503, "Loading failed; the old model keeps serving.")},
    summary="Reload the model",
)
async def reload_model(services: ServicesDep, _key: AdminKey) -> ReloadResult:
    """Load the model reference (e.g. the registry's champion) beside the current model, then
    swap; requests in flight finish with the old one. Other workers follow within a second."""
    try:
        result = await services.runtime.reload(force=True)
    except Exception as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            # The error's text may name paths and hosts: logged, not answered.
            detail=f"reload failed ({exc.__class__.__name__}), still serving the previous "
            "model; the server log has the error",
        ) from exc
    services.runtime.request_reload_everywhere()
    return result


@router.delete(
    "/keys/{key_id}",
    response_model=RevokedKey,
    responses={**AUTH, **documented(404, "No key with this id.")},
    summary="Revoke an API key",
)
async def revoke_api_key(
    key_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")],
    services: ServicesDep,
    _key: AdminKey,
) -> RevokedKey:
    """Revoke a key by its public id: refused at once by this worker, within a second by
    every other worker (they read the revoked ids twice a second). Idempotent."""
    try:
        await run_in_threadpool(services.keys.revoke, key_id)
    except ApiKeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no API key with this id") from exc
    logger.info("API key revoked", extra={"fields": {"revoked_key_id": key_id}})
    return RevokedKey(key_id=key_id, revoked=True)
