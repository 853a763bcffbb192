"""Shared fixtures: where the real Home Credit sample lives, isolated settings, and fresh
PostgreSQL databases."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from credit_scoring.settings import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def _sample_dir() -> Path:
    """The real sample: ``CREDIT_SCORING_SAMPLE_DIR`` or ``shared/`` beside the clone."""
    configured = os.environ.get("CREDIT_SCORING_SAMPLE_DIR")
    if configured:
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "data" / "homecredit_sample"


@pytest.fixture(scope="session")
def real_sample_dir() -> Path:
    path = _sample_dir()
    if not (path / "application_train.csv").is_file():
        pytest.fail(f"the real Home Credit sample is missing at {path}")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose every artefact lives in a fresh temporary folder."""
    return get_settings(environment="test", home=tmp_path / "home", drain_process=False)


def _postgres_admin_url() -> str:
    """The PostgreSQL server of the `postgres` tests (a database is created per use on it):
    ``CREDIT_SCORING_TEST_POSTGRES_URL``, else a PostgreSQL ``DATABASE_URL``, else the local
    server on 127.0.0.1:5432."""
    configured = os.environ.get("CREDIT_SCORING_TEST_POSTGRES_URL")
    database_url = os.environ.get("DATABASE_URL", "")
    if configured:
        return configured
    if database_url.startswith(("postgresql", "postgres:")):
        return database_url.replace("postgresql+psycopg://", "postgresql://")
    return "postgresql://postgres@127.0.0.1:5432/postgres"


POSTGRES_ADMIN_URL = _postgres_admin_url()
#: Bounds of the fixtures' own PostgreSQL sessions: a session left holding a lock (a test
#: killed mid-COPY, say) makes a fixture fail with a message instead of hanging the suite.
FIXTURE_DB_OPTIONS = "-c lock_timeout=15000 -c statement_timeout=60000"


@contextlib.contextmanager
def fresh_postgres_database(prefix: str = "cs_test") -> Iterator[str]:
    """A new, empty PostgreSQL database ``<prefix>_<random>``, dropped on exit; fails (never
    skips) when the server is down."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(
            POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5, options=FIXTURE_DB_OPTIONS
        )
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required for the postgres tests ({POSTGRES_ADMIN_URL}): {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with psycopg.connect(
            POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5, options=FIXTURE_DB_OPTIONS
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def fresh_postgres() -> Callable[[str], contextlib.AbstractContextManager[str]]:
    """:func:`fresh_postgres_database`, for fixtures and tests of any folder."""
    return fresh_postgres_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session (not migrated), dropped at the end."""
    with fresh_postgres_database() as url:
        yield url
