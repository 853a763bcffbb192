"""Auto-approval after ``train`` (``Settings.auto_approve_by``: demos only)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from credit_scoring.governance import lifecycle
from credit_scoring.runtime.registry import mlflow_client

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from credit_scoring.settings import Settings
    from credit_scoring.training.run import TrainingRun


def auto_approve_trained(
    result: TrainingRun, *, settings: Settings, force: bool, features_dir: Path | None
) -> TrainingRun:
    """Validate (report attached), approve and promote the run's candidate when it qualifies;
    the approval is recorded under ``settings.auto_approve_by``."""
    from credit_scoring.governance.validate import validate_version

    assert result.promotion is not None and settings.auto_approve_by
    by = settings.auto_approve_by

    def validate(version: ModelVersion) -> str:
        return validate_version(
            settings, str(version.version), by=by, features_dir=features_dir
        ).sha256

    promoted, reason = lifecycle.auto_promote(
        mlflow_client(settings),
        settings.registered_model_name,
        result.promotion.version,
        by=by,
        eligible=bool(result.outcome.summary["beats_baselines"]),
        force=force,
        validate=validate,
    )
    promotion = dataclasses.replace(result.promotion, promoted=promoted, reason=reason)
    return dataclasses.replace(result, promotion=promotion)
