"""``credit-scoring serve`` stops cleanly: every child process (workers, their drain processes,
multiprocessing's resource tracker) has ended when it exits, and nothing reports leaked
semaphores. Run as a real process on the serving tests' pipeline and a SQLite database."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi import FastAPI

from credit_scoring.store.migrate import upgrade_database

from .conftest import Pipeline, publish_history_to

READY_TIMEOUT = 180.0
STOP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited early:\n{log_path.read_text()[-3000:]}"
        try:
            if httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"serve not ready in {READY_TIMEOUT} s:\n{log_path.read_text()[-3000:]}")


@pytest.mark.parametrize(
    ("workers", "stop_signal"),
    [(2, signal.SIGINT), (1, signal.SIGTERM)],
    ids=["2-workers-sigint", "1-worker-sigterm"],
)
def test_serve_stops_with_no_child_left_and_no_leak_warning(
    tmp_path: Path, pipeline: Pipeline, workers: int, stop_signal: signal.Signals
) -> None:
    home = tmp_path / "home"
    database_url = f"sqlite:///{tmp_path / 'serving.sqlite'}"
    upgrade_database(database_url)
    publish_history_to(pipeline, database_url)
    port = _free_port()
    env = {
        **os.environ,
        "CREDIT_SCORING_HOME": str(home),
        "DATABASE_URL": database_url,
        "CREDIT_SCORING_OPEN_LOCAL_MODE": "true",
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    log_path = tmp_path / "serve.log"
    command = [
        str(Path(sys.executable).with_name("credit-scoring")), "serve", "--port", str(port),
        "--workers", str(workers), "--model", str(pipeline.bundle_dir),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(process, f"http://127.0.0.1:{port}", log_path)
            children = psutil.Process(process.pid).children(recursive=True)
            names = [" ".join(c.cmdline()[-3:]) for c in children]
            # workers (if more than one), a drain process each, and the resource tracker
            assert len(children) >= workers + 1, names
            process.send_signal(stop_signal)
            process.wait(timeout=STOP_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    # Checked at once: a child that outlives serve, even for a moment, is caught here.
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    for child in alive:
        child.kill()
    assert not alive, f"children outlived serve: {[c.pid for c in alive]} of {names}"
    output = log_path.read_text()
    assert "leaked" not in output, output[-3000:]
    assert "resource_tracker" not in output, output[-3000:]
    assert "scoring API stopped" in output
    expected = -stop_signal if stop_signal == signal.SIGTERM else 0
    assert process.returncode == expected, output[-3000:]


def test_a_stopped_api_unfreezes_what_loading_the_model_froze(e2e_app: FastAPI) -> None:
    # Frozen objects are never freed: native extensions (DuckDB) then reported leaks at exit.
    from fastapi.testclient import TestClient

    gc.unfreeze()
    with TestClient(e2e_app) as client:
        assert client.get("/readyz").status_code == 200
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
