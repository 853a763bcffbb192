"""Shared fixtures: where the real Home Credit sample lives, and isolated settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
