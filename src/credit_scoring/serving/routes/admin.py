"""``/v1/admin``: operations (model reload)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from credit_scoring.serving.deps import AdminKey, ServicesDep
from credit_scoring.serving.routes._responses import AUTH, ErrorBody
from credit_scoring.serving.schemas import ReloadResult

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post(
    "/reload",
    response_model=ReloadResult,
    responses={
        **AUTH,
        503: {"model": ErrorBody, "description": "Loading failed; the old model keeps serving."},
    },
    summary="Reload the model",
)
async def reload_model(services: ServicesDep, _key: AdminKey) -> ReloadResult:
    """Load the model reference (e.g. the registry's champion) beside the current model, then
    swap; requests in flight finish with the old one. Other workers follow within a second."""
    try:
        swap = await services.runtime.reload(force=True)
    except Exception as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"reload failed, still serving the previous model: {exc}"[:500],
        ) from exc
    services.runtime.request_reload_everywhere()
    return ReloadResult(
        previous_version=swap.previous_version,
        model_version=swap.model_version,
        bundle_checksum=swap.bundle_checksum,
        changed=swap.changed,
        history_version=swap.history_version,
        previous_history_version=swap.previous_history_version,
    )
