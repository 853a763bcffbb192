"""Probes and metrics: ``/healthz`` (alive), ``/readyz`` (ready to score), ``/metrics``.

They need no API key: they carry no personal data and are polled by infrastructure.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from credit_scoring.serving.deps import ServicesDep
from credit_scoring.serving.observability import METRICS_CONTENT_TYPE
from credit_scoring.serving.routes._responses import documented
from credit_scoring.serving.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    """The process answers."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses=documented(503, "Not ready.", Readiness),
    summary="Readiness",
)
async def readyz(services: ServicesDep) -> Response:
    """Ready when a model (with its history cache) is loaded, the database answers, the spool
    file is in place and under its depth limit, and the drain is healthy (no schema or
    constraint error, and a recent success whenever decisions wait).

    While the database is down the API still scores and spools decisions, but reports not
    ready so a load balancer can prefer healthy replicas. The body names no path and quotes
    no error text (the probe needs no key).
    """
    database = await run_in_threadpool(services.database_reachable)
    ready, readiness = await run_in_threadpool(lambda: services.readiness(database=database))
    services.metrics.ready.set(1 if ready else 0)
    body = Readiness.model_validate(readiness)
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
    """Request latency histogram, decisions by outcome, spool depth, errors, drain and spool
    health, and the values the alert rules watch (read from the database every 30 s)."""
    try:
        await run_in_threadpool(services.refresh_alert_values)
    except Exception as exc:  # the database down: the last values stay
        services.metrics.errors.labels("alert_values").inc()
        del exc
    body = await run_in_threadpool(services.metrics.render)
    return Response(body, media_type=METRICS_CONTENT_TYPE)
