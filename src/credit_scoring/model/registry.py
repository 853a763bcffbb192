"""MLflow tracking and registry: one client built from settings, never a global URI.

The tracking store defaults to a local SQLite file under ``Settings.home`` with artifacts in
``home/mlruns``; ``MLFLOW_TRACKING_URI`` overrides it. A registered version carries its CV
cost per application as the tag ``cv_cost`` and becomes a ``candidate``; the alias
``champion`` moves only through the governed lifecycle (:mod:`credit_scoring.governance`).
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credit_scoring.errors import ModelNotFoundError

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

    from credit_scoring.settings import Settings

EXPERIMENT_NAME = "credit-scoring"
CHAMPION_ALIAS = "champion"
CANDIDATE_ALIAS = "candidate"
COST_TAG = "cv_cost"
BUNDLE_ARTIFACT_PATH = "bundle"


def mlflow_client(settings: Settings) -> MlflowClient:
    """A client on the configured tracking/registry store (creates ``home`` if needed)."""
    from mlflow.tracking import MlflowClient

    uri = settings.resolved_mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id(client: MlflowClient, settings: Settings, name: str = EXPERIMENT_NAME) -> str:
    """The experiment's id, creating it with artifacts under ``home/mlruns`` the first time."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    location = (settings.home / "mlruns").resolve()
    location.mkdir(parents=True, exist_ok=True)
    return str(client.create_experiment(name, artifact_location=location.as_uri()))


def champion_version(client: MlflowClient, model_name: str) -> ModelVersion | None:
    """The version holding the ``champion`` alias, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, CHAMPION_ALIAS)
    except MlflowException:
        return None


@dataclass(frozen=True)
class Promotion:
    """Outcome of registering a candidate."""

    version: str
    promoted: bool
    reason: str
    previous_version: str | None
    previous_cost: float | None


def _cost_of(version: ModelVersion) -> float:
    try:
        return float(version.tags.get(COST_TAG, "nan"))
    except (TypeError, ValueError):
        return math.nan


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
        previous_cost=_cost_of(current) if current is not None else None,
    )


def _resolve(client: MlflowClient, uri: str) -> ModelVersion:
    """``models:/<name>@<alias>`` or ``models:/<name>/<version>`` → the model version."""
    from mlflow.exceptions import MlflowException

    ref = uri.removeprefix("models:/")
    try:
        if "@" in ref:
            name, alias = ref.split("@", 1)
            return client.get_model_version_by_alias(name, alias)
        name, _, version = ref.rpartition("/")
        return client.get_model_version(name, version)
    except MlflowException as exc:
        raise ModelNotFoundError(f"no registered model at {uri}: {exc.message}") from exc


def download_bundle(uri: str, *, settings: Settings, dst_dir: Path | None = None) -> Path:
    """Download the bundle folder a registry reference points to; returns the local folder."""
    from mlflow.artifacts import download_artifacts

    client = mlflow_client(settings)
    version = _resolve(client, uri)
    target_root = Path(dst_dir) if dst_dir else settings.home / "models" / "downloads"
    target = target_root / f"{version.name}-v{version.version}"
    target_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=target_root))
    try:
        local = Path(
            download_artifacts(
                artifact_uri=version.source,
                dst_path=str(staging),
                tracking_uri=settings.resolved_mlflow_tracking_uri,
            )
        )
        if target.exists():
            shutil.rmtree(target)
        local.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def describe_version(version: ModelVersion) -> dict[str, Any]:
    return {
        "name": version.name,
        "version": version.version,
        "aliases": list(getattr(version, "aliases", []) or []),
        "cv_cost": _cost_of(version),
        "run_id": version.run_id,
        "source": version.source,
        "tags": dict(version.tags),
    }
