"""Registry writes made by training: the experiment and registering a candidate version (the
champion moves only through :mod:`credit_scoring.governance.lifecycle`; the reads serving needs
are in :mod:`credit_scoring.runtime.registry`)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from credit_scoring.runtime.registry import (
    COST_TAG,
    EXPERIMENT_NAME,
    champion_version,
    cost_of,
)

CANDIDATE_ALIAS = "candidate"

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from credit_scoring.settings import Settings


def experiment_id(client: MlflowClient, settings: Settings, name: str = EXPERIMENT_NAME) -> str:
    """The experiment's id, creating it with artifacts under ``home/mlruns`` the first time."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    location = (settings.home / "mlruns").resolve()
    location.mkdir(parents=True, exist_ok=True)
    return str(client.create_experiment(name, artifact_location=location.as_uri()))


@dataclass(frozen=True)
class Promotion:
    """Outcome of registering a candidate."""

    version: str
    promoted: bool
    reason: str
    previous_version: str | None
    previous_cost: float | None


def register_candidate(
    client: MlflowClient,
    *,
    model_name: str,
    run_id: str,
    source: str,
    cv_cost: float,
    tags: dict[str, str] | None = None,
) -> Promotion:
    """Register ``source`` (the run's bundle artifact URI) as a new version in state
    ``candidate`` (alias ``candidate``). Nothing is promoted here: the champion moves only
    through the governed lifecycle (:mod:`credit_scoring.governance.lifecycle`)."""
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):  # already registered
        client.create_registered_model(model_name)
    transition = {
        "state": CANDIDATE_ALIAS,
        "by": "credit-scoring train",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reason": f"registered by training run {run_id}",
        "report_sha256": None,
    }
    all_tags = {
        COST_TAG: repr(float(cv_cost)),
        **(tags or {}),
        "lifecycle.state": CANDIDATE_ALIAS,
        "lifecycle.001": json.dumps(transition, sort_keys=True),
    }
    version = client.create_model_version(model_name, source=source, run_id=run_id, tags=all_tags)
    client.set_registered_model_alias(model_name, CANDIDATE_ALIAS, str(version.version))
    current = champion_version(client, model_name)
    return Promotion(
        version=str(version.version),
        promoted=False,
        reason="candidate: awaiting validation and a named approval",
        previous_version=str(current.version) if current is not None else None,
        previous_cost=cost_of(current) if current is not None else None,
    )
