"""Commands that only read never create a file or a database: run where no store exists, they
fail naming the store they looked for (and how to point at another), and leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from credit_scoring.cli import app
from credit_scoring.store.migrate import upgrade_database


@pytest.mark.parametrize(
    ("command", "store", "setting"),
    [
        (["keys", "list"], "serving.sqlite", "DATABASE_URL"),
        (["log", "audit"], "serving.sqlite", "DATABASE_URL"),
        (["model", "list"], "mlflow.db", "MLFLOW_TRACKING_URI"),
        (["model", "show"], "mlflow.db", "MLFLOW_TRACKING_URI"),
    ],
)
def test_a_read_only_command_creates_nothing_where_no_store_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], store: str, setting: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "MLFLOW_TRACKING_URI", "CREDIT_SCORING_HOME"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, command)
    assert result.exit_code != 0
    message = str(result.exception) if result.exception else result.output
    assert str(tmp_path / "artifacts" / store) in message
    assert "nothing was created" in message and setting in message
    assert list(tmp_path.iterdir()) == []


def test_keys_list_reads_an_existing_database_without_changing_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serving.sqlite'}"
    upgrade_database(url)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = CliRunner().invoke(app, ["keys", "list", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "no API keys" in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        n for n in before if not n.endswith(("-wal", "-shm"))
    ]


def test_keys_list_refuses_a_database_without_tables(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "empty.sqlite"
    sqlite3.connect(path).close()
    result = CliRunner().invoke(app, ["keys", "list", "--database-url", f"sqlite:///{path}"])
    assert result.exit_code != 0
    message = str(result.exception) if result.exception else result.output
    assert "has no tables yet" in message and "db upgrade" in message
