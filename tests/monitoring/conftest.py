"""Monitoring fixtures: a migrated SQLite decision log for synthetic decisions, and the real
scoring API serving a fast model trained on a generated population."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from credit_scoring.demo.simulate.demo import DemoEnvironment, build_demo
from credit_scoring.demo.simulate.offline import Population, synthetic_population
from credit_scoring.serving.app import create_app
from credit_scoring.serving.keys import create_key
from credit_scoring.settings import Settings, get_settings
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database


@pytest.fixture(scope="session")
def population() -> Population:
    return synthetic_population(20_000, n_numeric=8, n_categorical=3, seed=0)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{(tmp_path / 'serving.sqlite').as_posix()}"
    upgrade_database(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> DemoEnvironment:
    """A generated population, a fast real model and a serving database (built once)."""
    return build_demo(tmp_path_factory.getbasetemp() / "demo", clients=2500, test_clients=600)


@dataclass(frozen=True)
class LiveApi:
    url: str
    key: str
    database_url: str
    settings: Settings


class _Server:
    """The real scoring API under uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the scoring API did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def live_api(demo_env: DemoEnvironment, tmp_path: Path) -> Iterator[LiveApi]:
    """The API serving the demo bundle, on a private copy of the demo database."""
    shutil.copy(demo_env.root / "serving.sqlite", tmp_path / "serving.sqlite")
    url = f"sqlite:///{(tmp_path / 'serving.sqlite').as_posix()}"
    settings = get_settings(
        environment="test",
        home=tmp_path / "home",
        database_url=url,
        model_uri=str(demo_env.bundle_dir),
        access_log=False,
        reload_poll_seconds=0.0,
        drain_interval_seconds=0.05,
        # The drain as a thread: starting a drain process per test app costs seconds; the
        # process is tested in test_drain_process.py, test_durability.py and the drills.
        drain_process=False,
        spool_sync="normal",
    )
    engine = create_db_engine(url)
    key = create_key(engine, name="simulator", scopes=["score", "outcomes", "read"])[1]
    engine.dispose()
    with _Server(create_app(settings)) as server:
        yield LiveApi(f"http://127.0.0.1:{server.port}", key, url, settings)


@pytest.fixture(scope="module")
def postgres_url(
    fresh_postgres: Callable[[str], AbstractContextManager[str]],
) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database (fails, never skips, if the server is down)."""
    with fresh_postgres("cs_monitor") as url:
        upgrade_database(url)
        yield url
