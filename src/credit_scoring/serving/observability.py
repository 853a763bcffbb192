"""Prometheus metrics and structured JSON logs of the scoring API.

Metrics live in a registry owned by each app (tests build many apps in one process). When
``PROMETHEUS_MULTIPROC_DIR`` is set (``credit-scoring serve --workers N`` sets it), values are
shared through that folder and ``/metrics`` aggregates every worker.

Logs are one JSON object per line. Nothing personal is logged at INFO: no raw inputs, and
client ids only as a salted hash (:func:`client_ref`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("credit_scoring.serving")
access_logger = logging.getLogger("credit_scoring.serving.access")

#: Seconds; fine buckets below 10 ms where the scoring path lives.
LATENCY_BUCKETS = (
    0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1,
    0.25, 0.5, 1.0, 2.5,
)  # fmt: skip
METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST
#: ASGI scope key holding the request's start time (``time.perf_counter()`` seconds).
STARTED_KEY = "credit_scoring.started"
#: ASGI scope key holding the public id of the API key that authenticated the request.
KEY_ID_KEY = "credit_scoring.key_id"
#: Status logged for a request whose client hung up before the answer (nginx's convention).
CLIENT_CLOSED = 499


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """Every metric the API exposes, registered in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.request_latency = Histogram(
            "credit_scoring_http_request_duration_seconds",
            "Time from request received to response sent, by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.requests = Counter(
            "credit_scoring_http_requests",
            "HTTP requests answered, by route template and status code.",
            ["method", "route", "status"],
            registry=reg,
        )
        self.decisions = Counter(
            "credit_scoring_decisions",
            "Decisions answered, by outcome (APPROVE, REFUSE, REVIEW).",
            ["decision"],
            registry=reg,
        )
        self.unknown_clients = Counter(
            "credit_scoring_unknown_clients",
            "Applications scored without history (client absent from the history store).",
            registry=reg,
        )
        self.errors = Counter(
            "credit_scoring_errors",
            "Errors by kind (http_5xx, drain, reload, spool).",
            ["kind"],
            registry=reg,
        )
        self.disconnects = Counter(
            "credit_scoring_client_disconnects",
            "Requests whose client hung up before the answer was sent (not server errors).",
            registry=reg,
        )
        self.spool_depth = Gauge(
            "credit_scoring_spool_depth",
            "Decisions answered but not yet committed to the decision-log database.",
            registry=reg,
            multiprocess_mode="livesum",
        )
        self.drain_errors = Counter(
            "credit_scoring_drain_errors",
            "Failed drain passes by error class (unreachable, schema, constraint, other).",
            ["error_class"],
            registry=reg,
        )
        self.drain_failures = Gauge(
            "credit_scoring_drain_consecutive_failures",
            "Failed drain passes in a row (the worst worker).",
            registry=reg,
            multiprocess_mode="livemax",
        )
        self.drain_last_success_age = Gauge(
            "credit_scoring_drain_last_success_age_seconds",
            "Seconds since a drain last reached the decision-log database (the worst worker).",
            registry=reg,
            multiprocess_mode="livemax",
        )
        self.spool_present = Gauge(
            "credit_scoring_spool_present",
            "1 when every worker's spool file is present and writable, else 0.",
            registry=reg,
            multiprocess_mode="livemin",
        )
        self.ready = Gauge(
            "credit_scoring_ready",
            "1 when every worker is ready (what /readyz says), else 0.",
            registry=reg,
            multiprocess_mode="livemin",
        )
        from credit_scoring.store.alert_reads import ALERT_GAUGES

        #: What the alert rules watch, read from the database at most every 30 s when
        #: /metrics is scraped (see :meth:`Services.refresh_alert_values`).
        self.alert_gauges = {
            name: Gauge(name, text, registry=reg, multiprocess_mode="mostrecent")
            for name, text in ALERT_GAUGES.items()
        }
        self.drained = Counter(
            "credit_scoring_decisions_drained",
            "Decisions committed to the decision-log database by the drain.",
            registry=reg,
        )
        self.model_info = Gauge(
            "credit_scoring_model_info",
            "The model being served (value 1), labelled by version and bundle checksum.",
            ["model_version", "bundle_checksum"],
            registry=reg,
            multiprocess_mode="liveall",
        )

        # Label children resolved once: labels() costs a lock and a lookup per call.
        self._latency: dict[tuple[str, str], Any] = {}
        self._counts: dict[tuple[str, str, int], Any] = {}
        self._decided: dict[str, Any] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        latency = self._latency.get((method, route))
        if latency is None:
            latency = self._latency[(method, route)] = self.request_latency.labels(method, route)
        latency.observe(seconds)
        count = self._counts.get((method, route, status))
        if count is None:
            count = self._counts[(method, route, status)] = self.requests.labels(
                method, route, str(status)
            )
        count.inc()

    def count_decision(self, decision: str) -> None:
        child = self._decided.get(decision)
        if child is None:
            child = self._decided[decision] = self.decisions.labels(decision)
        child.inc()

    def drain_error(self, error_class: str) -> None:
        self.errors.labels("drain").inc()
        self.drain_errors.labels(error_class).inc()

    def set_model(self, model_version: str, bundle_checksum: str) -> None:
        self.model_info.clear()
        self.model_info.labels(model_version, bundle_checksum[:12]).set(1)

    def render(self) -> bytes:
        """The exposition text (every worker's values in multiprocess mode)."""
        if multiprocess_dir():
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


class AccessMiddleware:
    """Pure ASGI middleware: latency histogram, request counter and one access-log line.

    Routes are reported by template (``/v1/scores/{request_id}``), never by concrete path or
    query string, so no client identifier reaches the logs or the metric labels.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics, log_requests: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope[STARTED_KEY] = started
        status = 500
        answered = disconnected = False

        async def receive_wrapper() -> Message:
            nonlocal disconnected
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                answered = True
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        except ClientDisconnect:
            # The client hung up mid-body: nobody to answer, and not a server error (else
            # anyone could inflate the error rate). Counted and logged as such below.
            disconnected = True
        finally:
            elapsed = time.perf_counter() - started
            if disconnected and not answered:
                status = CLIENT_CLOSED
                self.metrics.disconnects.inc()
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.observe_request(method, template, status, elapsed)
            if status >= 500:
                self.metrics.errors.labels("http_5xx").inc()
            if self.log_requests and access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "request",
                    extra={
                        "fields": {
                            "method": method,
                            "route": template,
                            "status": status,
                            "latency_ms": round(elapsed * 1000.0, 3),
                            # The key's public id (never the secret): who read or scored.
                            "key_id": scope.get(KEY_ID_KEY),
                        }
                    },
                )


def client_ref(client_id: int, salt: str) -> str:
    """A short salted hash of a client id, to correlate log lines without naming the client."""
    digest = hashlib.sha256(f"{salt}:{client_id}".encode()).hexdigest()
    return digest[:12]


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and ``extra={"fields": …}``."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            payload.update(fields)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(payload, default=str).decode()


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """``logging.config.dictConfig`` mapping for the server: JSON lines on stderr.

    uvicorn's own access log is off (it would print query strings); the API logs requests
    itself through :class:`AccessMiddleware`.
    """
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"default": handler},
        "loggers": {
            "credit_scoring": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
