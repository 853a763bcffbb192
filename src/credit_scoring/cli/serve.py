"""``credit-scoring serve``: run the scoring API with uvicorn (pre-start: wait, migrate)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from credit_scoring.cli.options import ModelUri, host_option, port_option
from credit_scoring.errors import ConfigurationError
from credit_scoring.settings import Settings, get_settings

APP_FACTORY = "credit_scoring.serving.app:app_from_environment"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_server(settings: Settings, *, migrate: bool = True) -> None:
    """Pre-start: refuse unsafe settings, wait for the database, apply the migrations, and
    export the settings the worker processes must share."""
    from credit_scoring.store.engine import redact_database_url
    from credit_scoring.store.migrate import upgrade_database, wait_for_database

    if settings.open_local_mode and not is_loopback(settings.api_host):
        raise ConfigurationError(
            f"open local mode (no API keys) only binds to loopback, not {settings.api_host!r}"
        )
    from credit_scoring.outputs import writable_dir

    writable_dir(settings.resolved_spool_dir, what="the spool folder (CREDIT_SCORING_SPOOL_DIR)")
    if migrate:
        wait_for_database(settings.resolved_database_url)
        revision = upgrade_database(settings.resolved_database_url)
        typer.echo(
            f"database {redact_database_url(settings.resolved_database_url)} at revision {revision}"
        )
    # Workers are fresh processes that read their settings from the environment.
    os.environ["CREDIT_SCORING_MODEL_URI"] = settings.resolved_model_uri
    if settings.challenger_uri:
        os.environ["CREDIT_SCORING_CHALLENGER_URI"] = settings.challenger_uri
    # Idle OpenMP threads of a batch predict sleep instead of spinning on the shared cores.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ["CREDIT_SCORING_HOME"] = str(settings.home)
    if settings.api_workers > 1:
        metrics_dir = settings.resolved_spool_dir.parent / f"prometheus-{settings.api_port}"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)


class _TerminatedError(Exception):
    """SIGTERM reached this process after uvicorn's graceful shutdown."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _TerminatedError


def _stop_resource_tracker() -> None:
    """Stop multiprocessing's resource tracker if this process started it, and wait for it.

    It is a child of this process (the workers and drain processes share it); left alone it
    exits only after this process, so a supervisor saw a child outlive ``serve``.
    """
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker
    stop = getattr(tracker, "_stop", None)  # private, present in every supported Python
    if getattr(tracker, "_pid", None) is not None and callable(stop):
        stop()


@contextlib.contextmanager
def _clean_exit() -> Iterator[None]:
    """Leave no child behind, whichever signal stops the server.

    uvicorn shuts down gracefully on SIGINT or SIGTERM, then raises the signal again with the
    handler it found. With the default SIGTERM handler that would end this process before it
    could stop its resource tracker; this handler lets it clean up first, then end by SIGTERM
    as before.
    """
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    terminated = False
    try:
        yield
    except _TerminatedError:
        terminated = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop_resource_tracker()
    if terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)


def run_server(settings: Settings) -> None:
    """Serve until interrupted (blocking); every child process has ended when this returns."""
    from credit_scoring.io import write_json
    from credit_scoring.serving.observability import logging_config

    # A file, not a dict: uvicorn configures logging in the parent, which alters a dict before
    # it is handed to the worker processes.
    log_config = settings.resolved_spool_dir.parent / "logging.json"
    write_json(log_config, logging_config(settings.log_level))
    with _clean_exit():
        _run_uvicorn(settings, log_config)


def _run_uvicorn(settings: Settings, log_config: Path) -> None:
    import uvicorn

    from credit_scoring.serving.guard import SUPERVISOR_PID_ENV, GuardedHttpToolsProtocol

    if settings.api_workers > 1:  # the workers end with this process
        os.environ[SUPERVISOR_PID_ENV] = str(os.getpid())
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        loop="uvloop",
        # httptools plus header/body read timeouts and a cap on idle connections per worker.
        http=GuardedHttpToolsProtocol,
        timeout_keep_alive=settings.api_keep_alive_seconds,
        log_config=str(log_config),
        access_log=False,
        timeout_graceful_shutdown=10,
        # Loading a full-size model and history cache can keep a busy worker from answering
        # the supervisor's health check for a few seconds.
        timeout_worker_healthcheck=60,
    )


def serve_command(
    host: Annotated[str | None, host_option("CREDIT_SCORING_API_HOST")] = None,
    port: Annotated[int | None, port_option("CREDIT_SCORING_API_PORT", 8000)] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: 1).")
    ] = None,
    model: ModelUri = None,
    challenger: Annotated[
        str | None,
        typer.Option(
            help="A challenger scored in shadow on every request (bundle folder or "
            "models:/…; default: the registry alias challenger, if any). Logged, never returned."
        ),
    ] = None,
    migrate: Annotated[
        bool, typer.Option(help="Wait for the database and apply migrations first.")
    ] = True,
) -> None:
    """Start the scoring API and print its address."""
    overrides: dict[str, object] = {
        k: v
        for k, v in {
            "api_host": host,
            "api_port": port,
            "api_workers": workers,
            "model_uri": model,
            "challenger_uri": challenger,
        }.items()
        if v is not None
    }
    settings = get_settings(**overrides)
    prepare_server(settings, migrate=migrate)
    base = f"http://{settings.api_host}:{settings.api_port}"
    typer.echo(
        f"credit-scoring API on {base} (docs {base}/docs; {settings.api_workers} worker(s); "
        f"model {settings.resolved_model_uri})"
    )
    typer.echo(
        "loading the model and its history store into each worker; the API is ready when "
        f"{base}/readyz answers 200"
    )
    if settings.open_local_mode:
        typer.secho("warning: open local mode, requests need no API key", fg="yellow", err=True)
    run_server(settings)
