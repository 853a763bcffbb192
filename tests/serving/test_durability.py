"""Durability of the decision log against the real PostgreSQL: a database outage mid-run and
a killed API process lose no answered decision."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from credit_scoring.serving.app import create_app
from credit_scoring.serving.decision_log.spool import find_spool_files
from credit_scoring.settings import get_settings
from credit_scoring.store.migrate import upgrade_database

pytestmark = pytest.mark.postgres


def _count(database_url: str) -> int:
    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        row = connection.execute("SELECT count(*) FROM decisions").fetchone()
    assert row is not None
    return int(row[0])


def _wait_for(predicate: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())


@pytest.fixture
def pg_settings(postgres_url: str, pg_proxy: Any, tmp_path: Path) -> Any:
    """Settings whose database is the real PostgreSQL reached through a proxy we can cut."""
    upgrade_database(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("TRUNCATE decisions, outcomes, api_keys, decision_reads")
    return get_settings(
        environment="test",
        home=tmp_path / "home",
        database_url=pg_proxy.url(postgres_url),
        access_log=False,
        reload_poll_seconds=0.0,
        drain_interval_seconds=0.05,
        key_cache_seconds=600.0,
        spool_sync="full",
        model_uri="stand-in",
    )


@pytest.fixture
def keys(pg_settings: Any, make_keys_fixture: Any) -> Any:
    return make_keys_fixture(pg_settings.resolved_database_url)


def test_a_database_outage_loses_nothing_and_drains_on_recovery(
    pg_settings: Any,
    postgres_url: str,
    pg_proxy: Any,
    keys: Any,
    stand_in: Any,
    applications: list[dict[str, Any]],
) -> None:
    from fastapi.testclient import TestClient

    app = create_app(pg_settings, model_loader=lambda _u: stand_in, model_identity_of=str)
    headers = {"X-API-Key": keys.score}
    answered = 0
    with TestClient(app) as client:
        drain = app.state.services.drain
        for row in applications[:20]:
            answered += client.post("/v1/scores", json=row, headers=headers).status_code == 200
        # Generous bounds: the drain runs in a child process at a lower priority, which a
        # busy machine may keep waiting for seconds (a bound, not a timing).
        assert drain.wait_until_empty(60) and _count(postgres_url) == 20

        pg_proxy.down()
        for row in applications[20:80]:
            response = client.post("/v1/scores", json=row, headers=headers)
            assert response.status_code == 200  # answered from the durable spool
            answered += 1
        assert _wait_for(lambda: drain.failures >= 2, 60)
        assert app.state.services.spool.depth() == 60
        assert _count(postgres_url) == 20  # nothing reached the database meanwhile
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"] is False
        assert ready.json()["spool_depth"] == 60
        assert 'credit_scoring_errors_total{kind="drain"}' in client.get("/metrics").text

        pg_proxy.up()
        assert drain.wait_until_empty(60)
        assert _wait_for(lambda: client.get("/readyz").status_code == 200, 30)
    assert answered == 80 == _count(postgres_url)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_SERVE = (
    "import typer; from credit_scoring.cli.serve import serve_command; "
    "app = typer.Typer(); app.command()(serve_command); app()"
)


def _start_api(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    ready = _wait_for(
        lambda: (
            process.poll() is None
            and httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
            if _port_open(port)
            else False
        ),
        90,
    )
    assert ready, log.read_text()[-3000:]
    return process


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_killed_api_process_loses_no_answered_decision(
    pg_settings: Any,
    postgres_url: str,
    pg_proxy: Any,
    keys: Any,
    pipeline: Any,
    pipeline_applications: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    from credit_scoring.features.publish import publish_history

    publish_history(pipeline.features_dir, postgres_url)
    env = {
        **os.environ,
        "CREDIT_SCORING_HOME": str(pg_settings.home),
        "DATABASE_URL": pg_settings.database_url,
        "CREDIT_SCORING_MODEL_URI": str(pipeline.bundle_dir),
        "CREDIT_SCORING_KEY_CACHE_SECONDS": "600",
        "CREDIT_SCORING_ACCESS_LOG": "false",
    }
    port = _free_port()
    log = tmp_path / "api.log"
    headers = {"X-API-Key": keys.score}
    process = _start_api(env, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            assert client.post("/v1/scores", json=pipeline_applications[0]).status_code == 200
            assert _wait_for(lambda: _count(postgres_url) == 1)
            pg_proxy.down()
            for row in pipeline_applications[1:41]:
                assert client.post("/v1/scores", json=row).status_code == 200
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert _count(postgres_url) == 1
    spooled = find_spool_files(pg_settings.resolved_spool_dir)
    assert spooled  # the 40 answered decisions wait in the dead process's spool

    pg_proxy.up()
    restarted = _start_api(env, port, log)
    try:
        assert _wait_for(lambda: _count(postgres_url) == 41, 60), log.read_text()[-3000:]
    finally:
        restarted.terminate()
        restarted.wait(30)
