"""``credit-scoring keys|db|serve`` (tested through their own Typer apps until registered)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from credit_scoring.cli import db as db_cli
from credit_scoring.cli import keys as keys_cli
from credit_scoring.cli.serve import prepare_server
from credit_scoring.errors import ConfigurationError
from credit_scoring.settings import get_settings
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import current_revision, head_revision
from credit_scoring.store.tables import api_keys

runner = CliRunner()
_EXPORTED = (
    "CREDIT_SCORING_MODEL_URI",
    "CREDIT_SCORING_HOME",
    "PROMETHEUS_MULTIPROC_DIR",
    "OMP_WAIT_POLICY",
)


@pytest.fixture
def server_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Undo what the pre-start step exports for the worker processes."""
    for name in _EXPORTED:
        monkeypatch.setenv(name, "")  # recorded, so the test's exports are undone
        monkeypatch.delenv(name)
    return monkeypatch


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(keys_cli.app, name="keys")
    app.add_typer(db_cli.app, name="db")
    return app


def test_db_upgrade_migrates_to_the_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serving.sqlite'}"
    result = runner.invoke(_cli(), ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert f"at revision {head_revision()}" in result.output
    engine = create_db_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_keys_create_shows_the_key_once_then_list_and_revoke(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serving.sqlite'}"
    created = runner.invoke(
        _cli(),
        ["keys", "create", "--name", "scoring app", "--scope", "score", "--scope", "read",
         "--database-url", url],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    key_id = key.split("_")[1]
    engine = create_db_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(select(api_keys)).one()
    engine.dispose()
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()

    listed = runner.invoke(_cli(), ["keys", "list", "--database-url", url])
    assert key_id in listed.output and "scoring app" in listed.output
    assert key not in listed.output and key.split("_", 2)[2] not in listed.output
    revoked = runner.invoke(_cli(), ["keys", "revoke", key_id, "--database-url", url])
    assert revoked.exit_code == 0 and f"revoked key {key_id}" in revoked.output
    listed = runner.invoke(_cli(), ["keys", "list", "--database-url", url])
    assert listed.output.strip().splitlines()[-1].split()[-2:] != ["-"]


def test_keys_errors_are_package_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serving.sqlite'}"
    bad_scope = runner.invoke(
        _cli(), ["keys", "create", "--name", "x", "--scope", "root", "--database-url", url]
    )
    assert bad_scope.exit_code != 0
    assert "unknown or missing scope" in str(bad_scope.exception)
    unknown = runner.invoke(_cli(), ["keys", "revoke", "ffffffffffff", "--database-url", url])
    assert "no API key with id" in str(unknown.exception)


def test_serve_refuses_open_local_mode_off_loopback(
    tmp_path: Path, server_env: pytest.MonkeyPatch
) -> None:
    settings = get_settings(home=tmp_path, open_local_mode=True, api_host="0.0.0.0")
    with pytest.raises(ConfigurationError, match="loopback"):
        prepare_server(settings, migrate=False)


def test_serve_prestart_migrates_and_exports_the_worker_settings(
    tmp_path: Path, server_env: pytest.MonkeyPatch
) -> None:
    settings = get_settings(home=tmp_path, model_uri="/models/x", api_workers=2, api_port=8123)
    prepare_server(settings, migrate=True)
    engine = create_db_engine(settings.resolved_database_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    import os

    assert os.environ["CREDIT_SCORING_MODEL_URI"] == "/models/x"
    assert os.environ["CREDIT_SCORING_HOME"] == str(tmp_path)
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert metrics_dir.is_dir() and metrics_dir.name == "prometheus-8123"


def test_serve_prints_its_address(tmp_path: Path, server_env: pytest.MonkeyPatch) -> None:
    from credit_scoring.cli import serve as serve_cli

    started: list[Any] = []
    server_env.setattr(serve_cli, "run_server", started.append)
    server_env.setenv("CREDIT_SCORING_HOME", str(tmp_path))
    app = typer.Typer()
    app.command()(serve_cli.serve_command)
    result = runner.invoke(app, ["--host", "127.0.0.1", "--port", "8765", "--model", "/m"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765" in result.output
    assert started[0].api_port == 8765 and started[0].resolved_model_uri == "/m"
