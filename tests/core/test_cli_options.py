"""One option style across the CLI: ``--quiet/-q`` is a plain flag on every command with
progress lines, help never shows a flag as taking a value, and third-party progress bars
(MLflow's) are off unless ``--verbose``."""

from __future__ import annotations

import os
import re

import pytest
from typer.testing import CliRunner

from credit_scoring.cli import app

#: Commands that print progress lines: each takes the same --quiet/-q flag.
PROGRESS_COMMANDS = [
    ["data", "generate"],
    ["data", "load"],
    ["features", "build"],
    ["features", "publish"],
    ["train"],
    ["score-batch"],
]


@pytest.mark.parametrize("command", PROGRESS_COMMANDS, ids=" ".join)
def test_every_command_with_progress_takes_the_same_quiet_flag(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if "--quiet" in ln)
    assert re.search(r"--quiet\s+-q\s+Print only errors", line), line
    assert "<bool>" not in result.output


def test_a_flag_takes_no_value() -> None:
    result = CliRunner().invoke(app, ["train", "features", "--quiet", "true"])
    assert result.exit_code != 0
    assert "unexpected extra argument" in result.output.lower()


def test_mlflow_progress_bars_are_off_unless_verbose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", raising=False)
    assert CliRunner().invoke(app, ["keys", "--help"]).exit_code == 0
    # --help of a sub-command does not run the root callback; a real command does.
    CliRunner().invoke(app, ["model", "show", "/nonexistent-bundle"])
    assert os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] == "false"
    CliRunner().invoke(app, ["--verbose", "model", "show", "/nonexistent-bundle"])
    assert os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] == "true"
