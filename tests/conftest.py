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
