"""Dashboard users: scrypt hashes, no default user, throttling across sessions, bounded
password checks, the users commands and the README recipe."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from credit_scoring.cli import app as cli
from credit_scoring.cli.dashboard import app as dashboard_cli
from credit_scoring.dashboard import auth
from credit_scoring.dashboard.auth import PasswordHash, authenticate, hash_password
from credit_scoring.dashboard.launch import streamlit_command
from credit_scoring.errors import ConfigurationError
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.users import ThrottlePolicy, add_user, set_disabled, throttled

from .conftest import ULLA_PASSWORD as PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def test_a_hash_verifies_its_password_only() -> None:
    encoded = hash_password(PASSWORD)
    parsed = PasswordHash.parse(encoded)
    assert encoded.startswith("scrypt:32768:8:1:") and PASSWORD not in encoded
    assert parsed.verify(PASSWORD)
    assert not parsed.verify(PASSWORD + "!")
    assert hash_password(PASSWORD) != encoded  # a fresh salt each time


def test_short_passwords_and_malformed_or_weak_hashes_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least 12"):
        hash_password("short")
    with pytest.raises(ConfigurationError, match="not a hash line"):
        PasswordHash.parse("plain-text-password")
    with pytest.raises(ConfigurationError, match="too weak"):
        PasswordHash.parse("scrypt:1024:8:1:" + "00" * 16 + ":" + "00" * 32)


def test_login_checks_the_stored_user_its_password_and_its_status(engine: Engine) -> None:
    ok = authenticate(engine, username="ulla", password=PASSWORD, address="10.0.0.1")
    assert ok.user is not None and ok.user.role == "underwriter" and ok.user.may("viewer")
    assert not ok.user.may("admin")
    for user, password in (("ulla", "wrong password!"), ("nobody", PASSWORD)):
        refused = authenticate(engine, username=user, password=password, address="10.0.0.1")
        assert refused.user is None and refused.message == "Wrong user or password."
    set_disabled(engine, "ulla")
    assert authenticate(engine, username="ulla", password=PASSWORD, address="10.0.0.1").user is None


def test_throttling_holds_across_sessions_per_user_and_per_address(engine: Engine) -> None:
    """Every call is a new session (nothing kept in memory): the stored attempts throttle."""
    policy = ThrottlePolicy(max_user_failures=3, max_address_failures=5)
    for k in range(3):
        authenticate(engine, username="ulla", password=f"guess {k}", address=f"10.0.0.{k}",
                     policy=policy)  # fmt: skip
    locked = authenticate(engine, username="ulla", password=PASSWORD, address="10.9.9.9",
                          policy=policy)  # fmt: skip
    assert locked.user is None and "too many failed logins for this user" in locked.message
    # From one address, guessing many user names is throttled too.
    for k in range(5):
        authenticate(engine, username=f"user{k}", password="x" * 12, address="10.7.7.7",
                     policy=policy)  # fmt: skip
    add_user(engine, username="vera", password_hash=hash_password(PASSWORD), role="viewer")
    from_there = authenticate(engine, username="vera", password=PASSWORD, address="10.7.7.7",
                              policy=policy)  # fmt: skip
    assert from_there.user is None and "from this address" in from_there.message
    elsewhere = authenticate(engine, username="vera", password=PASSWORD, address="10.1.1.1",
                             policy=policy)  # fmt: skip
    assert elsewhere.user is not None
    # The window passes: the user may log in again.
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert throttled(engine, username="ulla", address="10.9.9.9", policy=policy, now=later) is None


def test_password_checks_are_bounded_per_process(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "CHECK_WAIT_SECONDS", 0.05)
    held = [auth._CHECKS.acquire(timeout=1) for _ in range(auth.MAX_CONCURRENT_CHECKS)]
    try:
        assert all(held)
        busy = authenticate(engine, username="ulla", password=PASSWORD, address="10.0.0.1")
        assert busy.user is None and "busy" in busy.message
    finally:
        for _ in held:
            auth._CHECKS.release()
    assert authenticate(engine, username="ulla", password=PASSWORD, address="10.0.0.1").user


def test_users_commands_add_list_set_role_disable(tmp_path: Path) -> None:
    env = {"CREDIT_SCORING_HOME": str(tmp_path)}
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "ada", "--role", "admin", "--password-stdin"],
                          input=PASSWORD + "\n", env=env)  # fmt: skip
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output
    again = runner.invoke(cli, ["users", "add", "ada", "--password-stdin"], input=PASSWORD + "\n",
                          env=env)  # fmt: skip
    assert again.exit_code != 0 and "already exists" in str(again.exception)
    assert runner.invoke(cli, ["users", "set-role", "ada", "viewer"], env=env).exit_code == 0
    assert runner.invoke(cli, ["users", "disable", "ada"], env=env).exit_code == 0
    listed = runner.invoke(cli, ["users", "list"], env=env)
    assert "ada" in listed.output and "viewer" in listed.output and "disabled" in listed.output
    assert "scrypt" not in listed.output
    bad = runner.invoke(cli, ["users", "set-role", "ada", "root"], env=env)
    assert bad.exit_code != 0 and "unknown role" in str(bad.exception)


def test_the_readme_credentials_recipe_works_as_written(tmp_path: Path) -> None:
    """Run the README's own `users add` line in a shell, typing the password at its prompts
    as a person would; the user it creates can then log in."""
    readme = (ROOT / "README.md").read_text()
    lines = [line for line in readme.splitlines() if line.startswith("credit-scoring users add")]
    assert len(lines) == 1, lines
    env = {**os.environ, "CREDIT_SCORING_HOME": str(tmp_path),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        ["bash", "-c", lines[0]], input=f"{PASSWORD}\n{PASSWORD}\n", env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    url = f"sqlite:///{(tmp_path / 'serving.sqlite').as_posix()}"
    made = create_db_engine(url)
    try:
        name = lines[0].split()[3]
        result = authenticate(made, username=name, password=PASSWORD, address="local")
        assert result.user is not None, result.message
    finally:
        made.dispose()


def test_the_dashboard_refuses_to_start_without_a_user(tmp_path: Path) -> None:
    env = {"CREDIT_SCORING_HOME": str(tmp_path)}
    unmigrated = CliRunner().invoke(cli, ["dashboard"], env=env)
    assert isinstance(unmigrated.exception, ConfigurationError)
    assert "db upgrade" in str(unmigrated.exception)
    upgrade_database(f"sqlite:///{(tmp_path / 'serving.sqlite').as_posix()}")
    result = CliRunner().invoke(cli, ["dashboard"], env=env)
    assert isinstance(result.exception, ConfigurationError)
    assert "no default user" in str(result.exception)


def test_hash_password_command_prints_a_usable_hash() -> None:
    result = CliRunner().invoke(dashboard_cli, ["hash-password", "--password-stdin"],
                                input=PASSWORD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PasswordHash.parse(result.output.strip()).verify(PASSWORD)


def test_streamlit_is_started_headless_without_telemetry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    command = streamlit_command(tmp_path / "app.py", host="127.0.0.1", port=8765)
    joined = " ".join(command)
    assert "--server.headless true" in joined and "--browser.gatherUsageStats false" in joined
    assert "--server.port 8765" in joined and isinstance(dashboard_cli, typer.Typer)
