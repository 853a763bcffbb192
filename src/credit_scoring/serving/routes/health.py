"""Probes and metrics: ``/healthz`` (alive), ``/readyz`` (ready to score), ``/metrics``.

They need no API key: they carry no personal data and are polled by infrastructure.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from credit_scoring.serving.deps import ServicesDep
from credit_scoring.serving.observability import METRICS_CONTENT_TYPE
from credit_scoring.serving.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    """The process answers."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready."}},
    summary="Readiness",
)
async def readyz(services: ServicesDep) -> Response:
    """Ready when a model (with its history cache) is loaded and the database answers.

    While the database is down the API still scores and spools decisions, but reports not
    ready so a load balancer can prefer healthy replicas.
    """
    served = services.runtime.current
    database = await run_in_threadpool(services.database_reachable)
    depth = await run_in_threadpool(services.spool.depth)
    ready = served is not None and database
    problems = []
    if served is None:
        problems.append(f"no model loaded ({services.runtime.last_error or 'loading'})")
    if not database:
        problems.append("database unreachable")
    body = Readiness(
        status="ready" if ready else "not ready",
        model_loaded=served is not None,
        model_version=served.model_version if served else None,
        database=database,
        spool_depth=depth,
        detail="; ".join(problems) or None,
    )
    return Response(
        orjson.dumps(body.model_dump()),
        status_code=status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE,
        media_type="application/json",
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {METRICS_CONTENT_TYPE: {}}, "description": "Prometheus text."}},
    summary="Prometheus metrics",
)
async def metrics(services: ServicesDep) -> Response:
    """Request latency histogram, decisions by outcome, spool depth, errors."""
    body = await run_in_threadpool(services.metrics.render)
    return Response(body, media_type=METRICS_CONTENT_TYPE)
