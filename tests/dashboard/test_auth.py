"""Dashboard credentials: scrypt hashes, no default password, slowed-down guessing."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from credit_scoring.cli.dashboard import app as dashboard_cli
from credit_scoring.dashboard.auth import (
    Credentials,
    PasswordHash,
    attempt_login,
    failure_delay,
    hash_password,
)
from credit_scoring.dashboard.launch import streamlit_command
from credit_scoring.errors import ConfigurationError
from credit_scoring.settings import get_settings

PASSWORD = "a long enough password"


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


def test_no_credentials_means_no_login(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert Credentials.from_settings(get_settings(home=tmp_path)) is None
    assert Credentials.from_settings(get_settings(home=tmp_path, dashboard_user="a")) is None


def test_login_checks_user_and_password_and_slows_down_failures() -> None:
    credentials = Credentials("analyst", PasswordHash.parse(hash_password(PASSWORD)))
    waits: list[float] = []
    assert attempt_login(credentials, "analyst", PASSWORD, failures=0, sleep=waits.append)
    assert not attempt_login(credentials, "someone", PASSWORD, failures=0, sleep=waits.append)
    assert not attempt_login(credentials, "analyst", "wrong", failures=3, sleep=waits.append)
    assert waits == [0.5, 4.0]
    assert [failure_delay(k) for k in (0, 1, 2, 10)] == [0.0, 0.5, 1.0, 8.0]


def test_hash_password_command_prints_a_usable_hash() -> None:
    result = CliRunner().invoke(dashboard_cli, ["hash-password", "--password-stdin"],
                                input=PASSWORD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PasswordHash.parse(result.output.strip()).verify(PASSWORD)


def test_dashboard_refuses_to_start_without_a_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREDIT_SCORING_DASHBOARD_USER", raising=False)
    monkeypatch.delenv("CREDIT_SCORING_DASHBOARD_PASSWORD_HASH", raising=False)
    result = CliRunner().invoke(dashboard_cli, [])
    assert isinstance(result.exception, ConfigurationError)
    assert "no default password" in str(result.exception)


def test_streamlit_is_started_headless_without_telemetry(tmp_path) -> None:  # type: ignore[no-untyped-def]
    command = streamlit_command(tmp_path / "app.py", host="127.0.0.1", port=8765)
    joined = " ".join(command)
    assert "--server.headless true" in joined and "--browser.gatherUsageStats false" in joined
    assert "--server.port 8765" in joined and isinstance(dashboard_cli, typer.Typer)
