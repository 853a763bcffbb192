"""The GitHub Actions workflow runs what ``.ci/run`` runs, on Python 3.11 with PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def _workflow() -> dict[str, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _runs(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]) for step in job["steps"] if "run" in step]


def test_the_workflow_runs_ci_run_or_make_test() -> None:
    job = _workflow()["jobs"]["test"]
    runs = _runs(job)
    assert any("bash .ci/run" in r or "make test" in r for r in runs), runs
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci_run, ".ci/run ends with make test"
    assert job["env"]["CI"] == "true"
    assert job["env"]["UV_PYTHON_DOWNLOADS"] == "never"


def test_the_tests_run_on_python_3_11_with_a_postgresql_service() -> None:
    job = _workflow()["jobs"]["test"]
    assert str(job["container"]).startswith("python:3.11-")
    postgres = job["services"]["postgres"]
    assert str(postgres["image"]).startswith("postgres:")
    assert "pg_isready" in postgres["options"]
    url = job["env"]["CREDIT_SCORING_TEST_POSTGRES_URL"]
    assert url.startswith("postgresql://") and "@postgres:5432/" in url
    # The sample the data and model tests read is checked before the run, not skipped.
    assert any("CREDIT_SCORING_SAMPLE_DIR" in r and "exit 1" in r for r in _runs(job))


def test_the_container_files_are_validated_and_built() -> None:
    job = _workflow()["jobs"]["containers"]
    runs = " ".join(_runs(job))
    assert "docker compose config" in runs and "docker compose build" in runs
    compose = (ROOT / "compose.yaml").read_text()
    required = {name for name in job["env"] if "${" + name + ":?" in compose}
    assert required == set(job["env"]), "the job sets exactly the variables compose requires"
