"""Registry writes made by training: the experiment, registering a candidate version and the
champion rule (the reads serving needs are in :mod:`credit_scoring.runtime.registry`)."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from credit_scoring.runtime.registry import (
    CHAMPION_ALIAS,
    COST_TAG,
    EXPERIMENT_NAME,
    champion_version,
    cost_of,
)

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
    eligible: bool = True,
    force: bool = False,
    tags: dict[str, str] | None = None,
) -> Promotion:
    """Register ``source`` (the run's bundle artifact URI) as a new version and maybe promote it.

    Promotion rule: ``force``, or (``eligible`` and (no champion, or a lower CV cost than the
    champion's, or a champion without a recorded cost)).
    """
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):  # already registered
        client.create_registered_model(model_name)
    all_tags = {COST_TAG: repr(float(cv_cost)), **(tags or {})}
    version = client.create_model_version(model_name, source=source, run_id=run_id, tags=all_tags)
    current = champion_version(client, model_name)
    previous_cost = cost_of(current) if current is not None else None
    if force:
        promoted, reason = True, "forced"
    elif not eligible:
        promoted, reason = False, "not eligible (does not beat the baselines)"
    elif current is None:
        promoted, reason = True, "first champion"
    elif previous_cost is None or math.isnan(previous_cost) or cv_cost < previous_cost:
        promoted, reason = True, f"CV cost {cv_cost:.4f} < champion's {previous_cost:.4f}"
    else:
        promoted = False
        reason = f"CV cost {cv_cost:.4f} does not beat champion's {previous_cost:.4f}"
    if promoted:
        client.set_registered_model_alias(model_name, CHAMPION_ALIAS, version.version)
    return Promotion(
        version=str(version.version),
        promoted=promoted,
        reason=reason,
        previous_version=str(current.version) if current is not None else None,
        previous_cost=previous_cost,
    )
