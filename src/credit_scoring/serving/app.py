"""The scoring API application: ``create_app(settings)``.

Nothing happens at import. The app's lifespan opens the database engine, claims a spool file,
starts the drain, loads the model (a failure leaves the API up but not ready; the watcher
retries) and starts the reload watcher; on shutdown it commits what is queued, drains what it
can and releases everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from importlib import metadata
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credit_scoring.errors import (
    BundleIntegrityError,
    ConfigurationError,
    CreditScoringError,
    FeatureSetMismatchError,
    ModelNotFoundError,
)
from credit_scoring.serving.decision_log.drain import DecisionDrain
from credit_scoring.serving.decision_log.drain_process import DrainProcess
from credit_scoring.serving.decision_log.sink import DecisionSink
from credit_scoring.serving.decision_log.spool import SpoolFile, SpoolWriter
from credit_scoring.serving.docs import add_offline_docs
from credit_scoring.serving.keys import REVOCATION_POLL_SECONDS, KeyVerifier
from credit_scoring.serving.observability import AccessMiddleware, Metrics
from credit_scoring.serving.routes import admin, health, model, outcomes, reviews
from credit_scoring.serving.routes.scores import scores_router
from credit_scoring.serving.runtime import ModelRuntime
from credit_scoring.serving.schemas import application_model, batch_request_model
from credit_scoring.serving.scorer import ServedModel, load_served_model, served_identity
from credit_scoring.serving.state import Services
from credit_scoring.settings import Settings, get_settings
from credit_scoring.store.engine import create_db_engine, service_timeouts

logger = logging.getLogger("credit_scoring.serving")

#: File touched by ``POST /v1/admin/reload`` so every worker of the host reloads.
RELOAD_MARKER = "reload-requested"

ModelLoader = Callable[[str], ServedModel]

_DESCRIPTION = """\
Scores consumer-credit applications: raw application fields in, a calibrated probability of
default, score points, an APPROVE / REFUSE (/ REVIEW) decision and up to four reasons out.
Every decision is made durable in a local spool before it is answered, then logged to the
database. Authenticate with `X-API-Key: <key>` (or `Authorization: Bearer <key>`); keys are
created with `credit-scoring keys create`.
"""

_ERROR_STATUS: tuple[tuple[type[CreditScoringError], int], ...] = (
    (ModelNotFoundError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (BundleIntegrityError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (FeatureSetMismatchError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (ConfigurationError, status.HTTP_500_INTERNAL_SERVER_ERROR),
)


def _version() -> str:
    try:
        return metadata.version("credit-scoring")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Every bad field and why (no echo of the submitted values)."""
    out = []
    for error in exc.errors():
        loc = [p for p in error.get("loc", ()) if isinstance(p, (str, int))]
        where = [p for p in loc if p != "body"]
        out.append(
            {
                "field": ".".join(str(p) for p in where) or "body",
                "loc": loc,
                "msg": str(error.get("msg", "")),
                "type": str(error.get("type", "")),
            }
        )
    return out


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        {"detail": _field_errors(exc)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


async def _package_error(_request: Request, exc: Exception) -> JSONResponse:
    code = next(
        (c for kind, c in _ERROR_STATUS if isinstance(exc, kind)),
        status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
    error = exc.__class__.__name__
    logger.error("request failed", extra={"fields": {"error": f"{error}: {exc}"[:500]}})
    # The error's text may name paths or hosts: logged above, never answered.
    return JSONResponse({"detail": f"{error}; the server log has the detail"}, status_code=code)


def _openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """FastAPI's schema plus the request models the scoring routes parse themselves."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)  # FastAPI's own, from the app's title, routes and tags
        _, definitions = models_json_schema(
            [
                (application_model(), "validation"),
                (batch_request_model(settings.max_batch_size), "validation"),
            ],
            ref_template="#/components/schemas/{model}",
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(definitions["$defs"])
        app.openapi_schema = schema
    return app.openapi_schema


class BodyLimit:
    """413 with a JSON error for a body over ``max_body_bytes``: at once when its declared
    ``Content-Length`` is over, else as soon as the bytes read pass the limit (a chunked body;
    the route's read fails with an HTTP error the app turns into the JSON answer). It replaces
    FastAPI's ``max_body_size``, whose early answer is plain text."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def _too_large(self, size: str) -> str:
        return f"request body too large: {size} bytes, the limit is {self.max_body_bytes}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_body_bytes:
                    response = JSONResponse({"detail": self._too_large(value.decode())}, 413)
                    await response(scope, receive, send)
                    return
                break
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(413, detail=self._too_large(f"over {received}"))
            return message

        await self.app(scope, limited_receive, send)


def check_open_mode(settings: Settings) -> None:
    """Refuse open local mode in production; warn loudly otherwise."""
    if not settings.open_local_mode:
        return
    if settings.environment == "production":
        raise ConfigurationError("open_local_mode is refused when environment=production")
    logger.warning(
        "OPEN LOCAL MODE: the API accepts requests without an API key; never expose it",
        extra={"fields": {"open_local_mode": True}},
    )


def _open_services(
    settings: Settings,
    metrics: Metrics,
    loader: ModelLoader,
    identify: Callable[[str], str],
) -> Services:
    timeouts = service_timeouts(settings)
    engine = create_db_engine(settings.resolved_database_url, timeouts=timeouts)
    spool_dir = settings.resolved_spool_dir
    spool = SpoolFile.claim(spool_dir, sync=settings.spool_sync)
    writer = SpoolWriter(spool)
    drain_options: dict[str, Any] = {
        "sink": DecisionSink(engine),
        "batch_size": settings.drain_batch_size,
        "interval_seconds": settings.drain_interval_seconds,
        "sync": settings.spool_sync,
        "on_depth": metrics.spool_depth.set,
        "on_drained": metrics.drained.inc,
        "on_error": metrics.drain_error,
    }

    def make_drain(spool: SpoolFile) -> DecisionDrain | DrainProcess:
        if settings.drain_process:
            return DrainProcess(
                spool=spool,
                database_url=settings.resolved_database_url,
                timeouts=timeouts,
                log_level=settings.log_level,
                pass_timeout_seconds=settings.drain_pass_timeout_seconds,
                **drain_options,
            )
        return DecisionDrain(spool=spool, **drain_options)

    runtime: ModelRuntime[ServedModel] = ModelRuntime(
        settings.resolved_model_uri,
        loader=loader,
        identify=identify,
        marker_path=spool_dir / RELOAD_MARKER,
        on_swap=lambda m: metrics.set_model(m.model_version, m.bundle_checksum),
        on_error=metrics.errors.labels("reload").inc,
    )
    keys = KeyVerifier(
        engine, ttl_seconds=settings.key_cache_seconds, stale_seconds=settings.key_stale_seconds
    )
    return Services(
        settings, engine, metrics, runtime, spool, writer, make_drain(spool), keys, make_drain
    )


async def _watch_revocations(keys: KeyVerifier) -> None:
    """Read the revoked key ids twice a second (a revocation by another worker or the CLI is
    effective here within a second; the revoking worker applies its own at once). While the
    database is down the last known set stays in force."""
    while True:
        try:
            await run_in_threadpool(keys.refresh_revocations)
        except Exception as exc:  # the key store unreachable: retried on the next tick
            logger.debug("revocation check failed", extra={"fields": {"error": type(exc).__name__}})
        await asyncio.sleep(REVOCATION_POLL_SECONDS)


#: Seconds between checks of the spool file's presence and publications of the drain's health.
HEALTH_CHECK_SECONDS = 0.5


async def _watch_health(services: Services) -> None:
    """Publish the drain's and spool's health; re-create a spool file that vanished (someone
    deleted it: appends would go to an unlinked file, lost at the next restart)."""
    while True:
        await asyncio.sleep(HEALTH_CHECK_SECONDS)
        try:
            if not services.spool.present():
                logger.error(
                    "the spool file vanished; refusing decisions until it is re-created",
                    extra={"fields": {"spool": services.spool.path.name}},
                )
                services.metrics.errors.labels("spool").inc()
                services.writer.refuse()  # on the loop: no append starts after this
                await run_in_threadpool(services.replace_spool)
            await run_in_threadpool(services.publish_current_health)
        except Exception as exc:
            logger.error(
                "spool health check failed", extra={"fields": {"error": type(exc).__name__}}
            )


def _close_services(services: Services) -> None:
    services.writer.close()
    services.drain.stop()
    services.spool.close()
    services.engine.dispose()


def create_app(
    settings: Settings | None = None,
    *,
    model_loader: ModelLoader | None = None,
    model_identity_of: Callable[[str], str] | None = None,
) -> FastAPI:
    """The API for ``settings`` (default: from the environment).

    ``model_loader``/``model_identity_of`` replace how a model reference is loaded and
    identified (default: bundle + history store, see :mod:`credit_scoring.serving.scorer`).
    """
    settings = settings or get_settings()
    metrics = Metrics()

    def default_loader(uri: str) -> ServedModel:
        return load_served_model(uri, settings)

    def default_identity(uri: str) -> str:
        return served_identity(uri, settings)

    loader = model_loader or default_loader
    identify = model_identity_of or default_identity

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_open_mode(settings)
        services = await run_in_threadpool(_open_services, settings, metrics, loader, identify)
        app.state.services = services
        services.drain.start()
        try:
            await services.runtime.reload(force=True)
        except Exception as exc:
            logger.warning(
                "no model loaded at start-up; not ready, retrying in the background",
                extra={"fields": {"error": f"{exc.__class__.__name__}: {exc}"[:300]}},
            )
        watcher = asyncio.create_task(services.runtime.watch(settings.reload_poll_seconds))
        revocations = asyncio.create_task(_watch_revocations(services.keys))
        health = asyncio.create_task(_watch_health(services))
        logger.info(
            "scoring API started",
            extra={
                "fields": {
                    "model": services.runtime.current.model_version
                    if services.runtime.current
                    else None,
                    "spool": services.spool.path.name,
                }
            },
        )
        try:
            yield
        finally:
            for task in (watcher, revocations, health):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await run_in_threadpool(_close_services, services)
            services.runtime.unfreeze()
            logger.info("scoring API stopped")

    app = FastAPI(
        title="credit-scoring API",
        version=_version(),
        description=_DESCRIPTION,
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
        docs_url=None,  # served from the API's own assets below (no CDN)
        redoc_url=None,
        openapi_tags=[
            {"name": "scores", "description": "Score applications; read logged decisions."},
            {"name": "outcomes", "description": "Observed outcomes of decisions."},
            {"name": "reviews", "description": "Final decisions of reviewed applications."},
            {"name": "model", "description": "The model being served."},
            {"name": "admin", "description": "Operations."},
            {"name": "health", "description": "Probes and metrics (no key needed)."},
        ],
    )
    app.include_router(scores_router(settings))
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    app.include_router(outcomes.router)
    app.include_router(reviews.router)
    app.include_router(model.router)
    app.include_router(admin.router)
    app.include_router(health.router)
    add_offline_docs(app)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(CreditScoringError, _package_error)
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(AccessMiddleware, metrics=metrics, log_requests=settings.access_log)
    app.state.metrics = metrics
    return app


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` (each worker process reads the environment); a
    worker of a supervisor ends with it."""
    from credit_scoring.serving.guard import exit_with_supervisor, supervisor_pid_from_environment

    exit_with_supervisor(supervisor_pid_from_environment())
    return create_app(get_settings())
