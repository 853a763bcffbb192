"""Dashboard fixtures: the demo model and database, an empty and a filled decision log, the
settings the Streamlit app reads from the environment, and AppTest helpers."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from credit_scoring.dashboard.auth import hash_password
from credit_scoring.demo.simulate.demo import (
    DemoEnvironment,
    DemoLog,
    backfill_demo_log,
    build_demo,
)
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.users import UserError, add_user

APP = Path(__file__).resolve().parents[2] / "src" / "credit_scoring" / "dashboard" / "app.py"
USER = "analyst"  # an admin
PASSWORD = "correct horse battery staple"
#: One user per role, all with PASSWORD.
USERS = {"viewer": "vera", "underwriter": "ulla", "admin": USER}
PAGES = ("review", "score", "overview", "service", "drift", "performance", "model", "users")


#: The password of ``ulla`` in :func:`engine` (the login and throttle tests).
ULLA_PASSWORD = "a long enough password"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite serving database with one user: ``ulla``, an underwriter."""
    url = f"sqlite:///{(tmp_path / 'users.sqlite').as_posix()}"
    upgrade_database(url)
    made = create_db_engine(url)
    add_user(made, username="ulla", password_hash=hash_password(ULLA_PASSWORD), role="underwriter")
    yield made
    made.dispose()


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> DemoEnvironment:
    """Same parameters as the monitoring tests' environment: built once per session."""
    return build_demo(tmp_path_factory.getbasetemp() / "demo", clients=2500, test_clients=600)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


def copy_database(env: DemoEnvironment, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(env.root / "serving.sqlite", folder / "serving.sqlite")
    return f"sqlite:///{(folder / 'serving.sqlite').as_posix()}"


@pytest.fixture
def empty_log(demo_env: DemoEnvironment, tmp_path: Path) -> str:
    """A migrated database with the history store and no decision."""
    return copy_database(demo_env, tmp_path / "empty")


@dataclass(frozen=True)
class FilledLog:
    database_url: str
    log: DemoLog


@pytest.fixture(scope="session")
def filled_log(demo_env: DemoEnvironment, tmp_path_factory: pytest.TempPathFactory) -> FilledLog:
    """Seven days of decisions (the last two shifted) with outcomes, counter snapshots and
    the three monitoring jobs' results."""
    url = copy_database(demo_env, tmp_path_factory.mktemp("filled"))
    # Ending at 23:00 UTC yesterday, whatever the time of the run: the latest daily window then
    # holds 23 hours of decisions (ending now, early in a UTC day it would hold a handful, too
    # few for the drift bands the tests read).
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = midnight - timedelta(hours=1)
    return FilledLog(url, backfill_demo_log(demo_env, database_url=url, decisions=3000, end=end))


@pytest.fixture
def dashboard_settings(
    demo_env: DemoEnvironment, password_hash: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):  # type: ignore[no-untyped-def]
    """Point the app at a database: ``use(url)``; login configured, cache off."""

    def use(database_url: str, *, login: bool = True) -> None:
        monkeypatch.setenv("CREDIT_SCORING_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("CREDIT_SCORING_MODEL_URI", str(demo_env.bundle_dir))
        monkeypatch.setenv("CREDIT_SCORING_DASHBOARD_CACHE_SECONDS", "0")
        if login:
            add_users(database_url, password_hash)

    return use


def add_users(database_url: str, password_hash: str) -> None:
    """One user per role (:data:`USERS`) in the database (kept when already there)."""
    engine = create_db_engine(database_url)
    try:
        for role, name in USERS.items():
            with contextlib.suppress(UserError):
                add_user(engine, username=name, password_hash=password_hash, role=role)
    finally:
        engine.dispose()


def copy_log(log: FilledLog, folder: Path) -> str:
    """A private copy of a filled log (for tests that write reviews)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(log.database_url.removeprefix("sqlite:///"))
    shutil.copy(source, folder / "serving.sqlite")
    return f"sqlite:///{(folder / 'serving.sqlite').as_posix()}"


class Dashboard:
    """AppTest helpers: the app (optionally already logged in) and page switching."""

    user = USER
    password = PASSWORD
    pages = PAGES
    users = USERS

    @staticmethod
    def app(*, logged_in: bool, role: str = "admin") -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        if logged_in:
            at.session_state["dashboard_user"] = USERS[role]
        return at.run()

    @staticmethod
    def open(at: AppTest, page: str) -> AppTest:
        return at.switch_page(f"pages/{page}.py").run()


@pytest.fixture
def dashboard() -> type[Dashboard]:
    return Dashboard


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        default=None,
        help="Folder for the browser test's page screenshots (default: a temporary folder). "
        "Pass tests/dashboard on the command line so this option is known.",
    )


@pytest.fixture
def private_filled_log(filled_log: FilledLog, tmp_path: Path) -> str:
    """A copy of the filled log this test may write to (reviews, audit)."""
    return copy_log(filled_log, tmp_path / "private-log")
