"""MLflow tracking and registry: one client built from settings, never a global URI.

The tracking store defaults to a local SQLite file under ``Settings.home`` with artifacts in
``home/mlruns``; ``MLFLOW_TRACKING_URI`` overrides it. A registered version carries its CV
cost per application as the tag ``cv_cost``; the alias ``champion`` moves only through the
governed lifecycle (:mod:`credit_scoring.governance.lifecycle`).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credit_scoring.errors import ModelNotFoundError

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

    from credit_scoring.settings import Settings

EXPERIMENT_NAME = "credit-scoring"
CHAMPION_ALIAS = "champion"
COST_TAG = "cv_cost"
BUNDLE_ARTIFACT_PATH = "bundle"
#: A registry reference: ``models:/<name>@<alias>`` or ``models:/<name>/<version>``.
REGISTRY_PREFIX = "models:/"


def mlflow_client(settings: Settings) -> MlflowClient:
    """A client on the configured tracking/registry store (creates ``home`` if needed)."""
    from mlflow.tracking import MlflowClient

    uri = settings.resolved_mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def champion_version(client: MlflowClient, model_name: str) -> ModelVersion | None:
    """The version holding the ``champion`` alias, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, CHAMPION_ALIAS)
    except MlflowException:
        return None


def cost_of(version: ModelVersion) -> float:
    try:
        return float(version.tags.get(COST_TAG, "nan"))
    except (TypeError, ValueError):
        return math.nan


def resolve_version(client: MlflowClient, uri: str) -> ModelVersion:
    """``models:/<name>@<alias>`` or ``models:/<name>/<version>`` → the model version."""
    from mlflow.exceptions import MlflowException

    ref = uri.removeprefix(REGISTRY_PREFIX)
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
    version = resolve_version(client, uri)
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
        "cv_cost": cost_of(version),
        "run_id": version.run_id,
        "source": version.source,
        "tags": dict(version.tags),
    }
