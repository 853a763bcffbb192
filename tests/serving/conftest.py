"""Serving fixtures: isolated settings, a migrated database, API keys, real applications,
a stand-in model for the HTTP plumbing, and a dedicated PostgreSQL database."""

from __future__ import annotations

import math
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest
from fastapi import FastAPI

from credit_scoring.serving.app import create_app
from credit_scoring.serving.keys import create_key, revoke_key
from credit_scoring.serving.scorer import Scored
from credit_scoring.settings import Settings, get_settings
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database

with warnings.catch_warnings():
    # Starlette suggests another HTTP client for its TestClient; httpx is what we have.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


#: Bounds of the fixtures' own PostgreSQL sessions: a session left holding a lock (a test
#: killed mid-COPY, say) makes a fixture fail with a message instead of hanging the suite.
FIXTURE_DB_OPTIONS = "-c lock_timeout=15000 -c statement_timeout=60000"


def truncate_log(database_url: str, *, options: str = FIXTURE_DB_OPTIONS) -> None:
    """Empty the decision log, outcomes, keys and read audit of ``database_url`` (bounded)."""
    try:
        with psycopg.connect(
            database_url, autocommit=True, connect_timeout=5, options=options
        ) as connection:
            connection.execute("TRUNCATE decisions, outcomes, api_keys, decision_reads")
    except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled) as exc:
        pytest.fail(
            f"could not empty the test database within the fixture's timeouts: another session "
            f"holds a lock on its tables (see pg_stat_activity): {exc}"
        )


def clean_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A CSV row as JSON-ready fields: NaN → None, numpy scalars → Python."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, float) and math.isnan(value):
            out[key] = None
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out


@pytest.fixture(scope="session")
def applications(real_sample_dir: Path) -> list[dict[str, Any]]:
    """The real sample's application_test rows as API request bodies."""
    frame = pd.read_csv(real_sample_dir / "application_test.csv")
    return [clean_row(r) for r in frame.to_dict("records")]


@dataclass
class StandInModel:
    """A model stand-in for the HTTP plumbing tests (real models in the end-to-end tests).

    The probability rises with age-independent, checkable inputs: ``EXT_SOURCE_2`` low →
    risky. Clients with an even id "have history".
    """

    model_version: str = "stand-in-1"
    bundle_checksum: str = "c" * 64
    identity: str = "stand-in-1"
    feature_set_version: str = "fs-test"
    history_version: str = "fs-test-data"
    threshold: float = 0.5
    source: str = "stand-in"
    closed: bool = False

    def score_one(self, application: Mapping[str, Any]) -> Scored:
        ext = application.get("EXT_SOURCE_2")
        probability = 0.5 if ext is None else 1.0 - float(ext)
        return Scored(
            probability=probability,
            log_odds=math.log(max(probability, 1e-9) / max(1 - probability, 1e-9)),
            score=round(600 - 100 * probability),
            decision="REFUSE" if probability >= self.threshold else "APPROVE",
            reasons=[{"code": "R01", "text": "Low external credit scores", "contribution": 0.3}],
            history_found=int(application["SK_ID_CURR"]) % 2 == 0,
            features=np.array([probability, 1.0, math.nan]),
        )

    def score_many(
        self, applications: Sequence[Mapping[str, Any]], columns: Any = None
    ) -> list[Scored]:
        return [self.score_one(a) for a in applications]

    def card(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "bundle_checksum": self.bundle_checksum,
            "feature_set_version": self.feature_set_version,
            "source": self.source,
            "loaded_at": "2026-01-01T00:00:00+00:00",
            "threshold": self.threshold,
            "review_band": 0.0,
            "cost_fn": 10.0,
            "cost_fp": 1.0,
            "metrics": {"auc": 0.75},
            "features": ["EXT_SOURCE_2"],
            "categorical_features": [],
            "history_clients": 0,
        }

    def close(self) -> None:
        self.closed = True


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def serving_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Fast, quiet settings on an empty database: SQLite, then the real PostgreSQL."""
    database_url = None
    if request.param == "postgres":
        database_url = request.getfixturevalue("postgres_url")
        upgrade_database(database_url)
        truncate_log(database_url)
    return get_settings(
        environment="test",
        home=tmp_path / "home",
        database_url=database_url,
        access_log=False,
        reload_poll_seconds=0.0,
        drain_interval_seconds=0.05,
        key_cache_seconds=0.0,
        # The drain as a thread: starting a drain process per test app costs seconds; the
        # process is tested in test_drain_process.py, test_durability.py and the drills.
        drain_process=False,
        spool_sync="normal",
        model_uri="stand-in",
    )


@pytest.fixture
def migrated(serving_settings: Settings) -> Settings:
    upgrade_database(serving_settings.resolved_database_url)
    return serving_settings


@dataclass(frozen=True)
class Keys:
    score: str
    outcomes: str
    read: str
    admin: str
    everything: str
    revoked: str
    review: str


def make_keys(database_url: str) -> Keys:
    engine = create_db_engine(database_url)
    try:
        made = {
            name: create_key(engine, name=name, scopes=scopes)[1]
            for name, scopes in {
                "score": ["score"],
                "outcomes": ["outcomes"],
                "read": ["read"],
                "admin": ["admin"],
                "everything": ["score", "outcomes", "read", "admin"],
                "revoked": ["score", "outcomes", "read", "admin", "review"],
                "review": ["review"],
            }.items()
        }
        revoke_key(engine, made["revoked"].split("_")[1])
    finally:
        engine.dispose()
    return Keys(**made)


@pytest.fixture
def truncate_log_fixture() -> Callable[..., None]:
    return truncate_log


@pytest.fixture
def make_keys_fixture() -> Callable[[str], Keys]:
    return make_keys


@pytest.fixture
def keys(migrated: Settings) -> Keys:
    return make_keys(migrated.resolved_database_url)


@pytest.fixture
def stand_in() -> StandInModel:
    return StandInModel()


@pytest.fixture
def app(migrated: Settings, stand_in: StandInModel) -> FastAPI:
    return create_app(
        migrated, model_loader=lambda _uri: stand_in, model_identity_of=lambda _uri: "same"
    )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def auth(keys: Keys) -> Callable[[str], dict[str, str]]:
    """Headers carrying the key of a scope (``everything`` for all scopes)."""
    return lambda scope="everything": {"X-API-Key": getattr(keys, scope)}


class LiveServer:
    """The app served by uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def serve() -> type[LiveServer]:
    """``with serve(app) as server:`` runs ``app`` on ``server.url``."""
    return LiveServer


# -- a small real pipeline: generate → load → features build → train (tiny) ----------------

PIPELINE_CLIENTS = 2000
_PIPELINE_SOURCES = ("schema", "data", "features", "model")


@dataclass(frozen=True)
class Pipeline:
    """Artefacts of a small real pipeline run (built once, cached between sessions)."""

    data_dir: Path
    features_dir: Path
    bundle_dir: Path


def _pipeline_key() -> str:
    """Hash of the code the artefacts come from: a change rebuilds them."""
    import hashlib

    import credit_scoring

    root = Path(credit_scoring.__file__).parent
    digest = hashlib.sha256(str(PIPELINE_CLIENTS).encode())
    for package in _PIPELINE_SOURCES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _run_cli(args: list[str], home: Path) -> None:
    from typer.testing import CliRunner

    from credit_scoring.cli import app as cli

    result = CliRunner().invoke(cli, args, env={"CREDIT_SCORING_HOME": str(home)})
    if result.exit_code != 0:
        raise RuntimeError(f"credit-scoring {' '.join(args)} failed: {result.output[-2000:]}")


def _build_pipeline(root: Path) -> None:
    work = root.with_name(root.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    home = work / "home"
    _run_cli(
        ["data", "generate", "--clients", str(PIPELINE_CLIENTS), "--seed", "11", "--out",
         str(work / "raw"), "--quiet"],
        home,
    )  # fmt: skip
    _run_cli(["data", "load", str(work / "raw"), "--out", str(work / "data")], home)
    _run_cli(["features", "build", str(work / "data"), "--out", str(work / "features")], home)
    _run_cli(
        ["train", str(work / "features"), "--no-track", "--out", str(work / "bundle"),
         "--folds", "2", "--max-rounds", "60", "--threads", "1"],
        home,
    )  # fmt: skip
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    work.rename(root)


@pytest.fixture(scope="session")
def pipeline(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The pipeline's artefacts, from pytest's cache when the code did not change."""
    cache = getattr(request.config, "cache", None)
    base = cache.mkdir("serving-pipeline") if cache else tmp_path_factory.mktemp("pipeline")
    root = Path(base) / _pipeline_key()
    if not (root / "bundle" / "checksums.json").is_file():
        _build_pipeline(root)
        for stale in Path(base).iterdir():  # artefacts of older code
            if stale != root and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
    return Pipeline(root / "data", root / "features", root / "bundle")


def publish_history_to(pipeline: Pipeline, database_url: str) -> None:
    from credit_scoring.features.publish import publish_history

    publish_history(pipeline.features_dir, database_url)


@pytest.fixture
def e2e_settings(serving_settings: Settings, pipeline: Pipeline) -> Settings:
    """Serving settings on the real bundle, its history published to a fresh database."""
    settings = serving_settings.model_copy(update={"model_uri": str(pipeline.bundle_dir)})
    upgrade_database(settings.resolved_database_url)
    publish_history_to(pipeline, settings.resolved_database_url)
    return settings


@pytest.fixture
def e2e_app(e2e_settings: Settings) -> FastAPI:
    return create_app(e2e_settings)


@pytest.fixture(scope="session")
def pipeline_applications(pipeline: Pipeline) -> list[dict[str, Any]]:
    """The pipeline's application_test rows (validated Parquet) as request bodies."""
    frame = pd.read_parquet(pipeline.data_dir / "application_test.parquet")
    return [clean_row(r) for r in frame.to_dict("records")]


class TcpProxy:
    """A loopback TCP forwarder to PostgreSQL that a test can cut (``down``) and restore
    (``up``) on the same port: from the API's side, the database becomes unreachable."""

    def __init__(self, target_host: str, target_port: int) -> None:
        import socket

        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: Any = None
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        import socket

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        import contextlib
        import socket

        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: Any) -> None:
        import socket

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: Any, sink: Any) -> None:
        import contextlib

        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.close()

    def url(self, database_url: str) -> str:
        """``database_url`` (PostgreSQL) rewritten to go through this proxy."""
        from sqlalchemy.engine import make_url

        from credit_scoring.store.engine import normalise_database_url

        parsed = make_url(normalise_database_url(database_url))
        return parsed.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)


@pytest.fixture
def pg_proxy(postgres_url: str) -> Iterator[TcpProxy]:
    from sqlalchemy.engine import make_url

    parsed = make_url(postgres_url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    proxy.up()
    try:
        yield proxy
    finally:
        proxy.down()
