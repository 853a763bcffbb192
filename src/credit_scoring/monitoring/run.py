"""Settings-level entry of the monitoring jobs (what ``credit-scoring monitor …`` calls).

Opens the serving database (applying its migrations, which create the monitoring tables),
loads the model bundle for drift, scrapes the API's request counters when asked, and runs the
jobs of :mod:`credit_scoring.monitoring.jobs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from credit_scoring.errors import ConfigurationError
from credit_scoring.io import file_sha256
from credit_scoring.monitoring.drift import BandThreshold, PValueThreshold
from credit_scoring.monitoring.jobs import (
    JOBS,
    Job,
    JobResult,
    drift_job,
    performance_job,
    review_job,
    service_job,
)
from credit_scoring.monitoring.windows import WindowSpec
from credit_scoring.settings import Settings
from credit_scoring.store.reads import DecisionSelection


@dataclass(frozen=True)
class MonitorOptions:
    """What to monitor: window width, time range (UTC; ``since`` inclusive, ``until``
    exclusive), the last ``last`` windows only, the model (bundle folder or registry URI)."""

    window: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    last: int | None = None
    model_uri: str | None = None
    model_version: str | None = None
    metrics_url: str | None = None
    store: bool = True


def fetch_metrics(url: str, *, timeout: float = 10.0) -> str:
    """The Prometheus exposition text at ``url`` (the API's ``/metrics``)."""
    try:
        response = httpx.get(url, timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ConfigurationError(f"cannot read request counters from {url}: {exc}") from exc
    return response.text


def _selection(options: MonitorOptions, spec: WindowSpec) -> DecisionSelection:
    since = options.since
    if options.last is not None:
        if options.last < 1:
            raise ConfigurationError(f"--last must be ≥ 1, got {options.last}")
        end = options.until or datetime.now(UTC)
        first = spec.floor(end) - (options.last - 1) * spec.width
        since = max(since, first) if since is not None else first
    return DecisionSelection(since=since, until=options.until, model_version=options.model_version)


def run_monitoring(
    settings: Settings, jobs: Sequence[Job], options: MonitorOptions
) -> list[JobResult]:
    """Run ``jobs`` (any of ``drift``, ``performance``, ``service``, ``review``) in that
    order."""
    from credit_scoring.runtime.bundle import CHECKSUMS_FILE, load_bundle
    from credit_scoring.store.engine import create_db_engine
    from credit_scoring.store.migrate import upgrade_database

    unknown = [j for j in jobs if j not in JOBS]
    if unknown:
        raise ConfigurationError(f"unknown monitoring job(s) {unknown}; expected {list(JOBS)}")
    spec = WindowSpec.parse(options.window or settings.monitor_window)
    selection = _selection(options, spec)
    url = settings.resolved_database_url
    upgrade_database(url)
    engine = create_db_engine(url)
    results: list[JobResult] = []
    try:
        if "drift" in jobs:
            bundle = load_bundle(
                options.model_uri or settings.resolved_model_uri, settings=settings
            )
            checksum = file_sha256(bundle.path / CHECKSUMS_FILE)
            reference = bundle.metadata.get("reference_bins")
            if not reference:
                raise ConfigurationError(f"bundle {bundle.path} carries no reference bins")
            results.append(
                drift_job(
                    engine,
                    reference_bins=reference,
                    features=bundle.features,
                    window=spec,
                    selection=DecisionSelection(
                        since=selection.since,
                        until=selection.until,
                        bundle_checksum=checksum,
                        model_version=selection.model_version,
                    ),
                    psi_threshold=BandThreshold(settings.drift_psi_warn, settings.drift_psi_alert),
                    test_threshold=PValueThreshold(settings.drift_alpha),
                    store=options.store,
                )
            )
        if "performance" in jobs:
            results.append(
                performance_job(
                    engine,
                    window=spec,
                    selection=selection,
                    cost_fn=settings.cost_fn,
                    cost_fp=settings.cost_fp,
                    store=options.store,
                )
            )
        if "service" in jobs:
            text = fetch_metrics(options.metrics_url) if options.metrics_url else None
            results.append(
                service_job(
                    engine,
                    window=spec,
                    selection=selection,
                    metrics_text=text,
                    store=options.store,
                )
            )
        if "review" in jobs:
            results.append(review_job(engine, window=spec, store=options.store))
    finally:
        engine.dispose()
    return results
