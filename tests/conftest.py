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


def _approve_version(client: object, model_name: str, version: str) -> None:
    """Validate (a stand-in report checksum) and approve ``version`` through the lifecycle."""
    from credit_scoring.governance import lifecycle

    v = client.get_model_version(model_name, version)  # type: ignore[attr-defined]
    lifecycle.mark_validated(
        client,  # type: ignore[arg-type]
        v,
        by="test validator",
        report_sha256="0" * 64,
        reason="test: stand-in report",
    )
    lifecycle.approve(
        client,  # type: ignore[arg-type]
        model_name,
        version,
        by="test approver",
        reason="test",
    )


@pytest.fixture(scope="session")
def approve_version():  # type: ignore[no-untyped-def]
    """``approve_version(client, model_name, version)``: validated and approved (champion)."""
    return _approve_version


class SigningKeys:
    """A trusted and a foreign Ed25519 key pair, and bundle copies signed (or not) by them."""

    def __init__(self, folder: Path) -> None:
        from credit_scoring.governance.signing import create_key_pair

        self.trusted_private, self.trusted_public = folder / "trusted.pem", folder / "trusted.pub"
        self.foreign_private, self.foreign_public = folder / "foreign.pem", folder / "foreign.pub"
        create_key_pair(self.trusted_private, self.trusted_public)
        create_key_pair(self.foreign_private, self.foreign_public)

    def copy(self, bundle_dir: Path, dest: Path, *, signed_by: Path | None) -> Path:
        """A copy of ``bundle_dir`` at ``dest`` signed with the private key ``signed_by``."""
        import shutil

        from credit_scoring.training.signing import sign_if_configured

        shutil.copytree(bundle_dir, dest)
        sign_if_configured(dest, get_settings(signing_key_file=signed_by))
        return dest

    def variants(self, bundle_dir: Path, folder: Path) -> dict[str, Path]:
        """Copies of ``bundle_dir``: ``good`` (trusted key), ``unsigned``, ``foreign`` (another
        key), ``altered`` (signed, then one byte of model.txt changed) and ``resigned-manifest``
        (model.txt altered and checksums.json rewritten to match, signature left as it was)."""
        import json

        from credit_scoring.io import file_sha256

        out = {
            "good": self.copy(bundle_dir, folder / "good", signed_by=self.trusted_private),
            "unsigned": self.copy(bundle_dir, folder / "unsigned", signed_by=None),
            "foreign": self.copy(bundle_dir, folder / "foreign", signed_by=self.foreign_private),
        }
        for name in ("altered", "resigned-manifest"):
            path = self.copy(bundle_dir, folder / name, signed_by=self.trusted_private)
            model = path / "model.txt"
            model.write_bytes(model.read_bytes().replace(b"version=", b"version =", 1))
            if name == "resigned-manifest":
                manifest = json.loads((path / "checksums.json").read_text())
                manifest["files"]["model.txt"] = file_sha256(model)
                (path / "checksums.json").write_text(json.dumps(manifest))
            out[name] = path
        return out

    def settings_overrides(self) -> dict[str, object]:
        return {"require_signed_bundles": True, "trusted_public_keys": str(self.trusted_public)}


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory: pytest.TempPathFactory) -> SigningKeys:
    return SigningKeys(tmp_path_factory.mktemp("signing-keys"))


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
