"""``credit-scoring model …``: inspect bundles and registered versions, move the champion."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from credit_scoring.settings import get_settings

app = typer.Typer(help="Inspect models and manage the champion alias.", no_args_is_help=True)
_TRACKING = "MLFLOW_TRACKING_URI"


@app.command("show")
def show_command(
    source: Annotated[
        str | None,
        typer.Argument(help="Bundle folder or models:/<name>@<alias> (default: the champion)."),
    ] = None,
) -> None:
    """Print a bundle's identity, threshold and cross-validated metrics (checksums verified)."""
    from credit_scoring.cli.readonly import require_existing_store
    from credit_scoring.runtime.bundle import load_bundle

    settings = get_settings()
    source = source or f"models:/{settings.registered_model_name}@champion"
    if source.startswith("models:/"):
        require_existing_store(
            settings.resolved_mlflow_tracking_uri, what="MLflow registry", setting=_TRACKING
        )
    bundle = load_bundle(source, settings=settings)
    meta = bundle.metadata
    lgbm = meta["metrics"]["candidates"]["lightgbm"]
    info = {
        "path": str(bundle.path),
        "model_id": bundle.model_id,
        "created_at": meta["created_at"],
        "git_commit": meta.get("git_commit"),
        "feature_set_version": bundle.feature_set_version,
        "features": len(bundle.features),
        "threshold": bundle.threshold,
        "review_band": bundle.review_band,
        "calibration": meta["calibration"]["method"],
        "cv": {k: lgbm[k] for k in ("auc", "gini", "ks", "brier", "cost")},
    }
    typer.echo(json.dumps(info, indent=2))


@app.command("promote")
def promote_command(
    version: Annotated[str, typer.Argument(help="Registered version to make the champion.")],
) -> None:
    """Give the ``champion`` alias to a registered version (a manual override)."""
    from mlflow.exceptions import MlflowException

    from credit_scoring.errors import ModelNotFoundError
    from credit_scoring.runtime.registry import CHAMPION_ALIAS, mlflow_client

    settings = get_settings()
    client = mlflow_client(settings)
    try:
        client.get_model_version(settings.registered_model_name, version)
    except MlflowException as exc:
        raise ModelNotFoundError(
            f"no version {version} of {settings.registered_model_name!r}: {exc.message}"
        ) from exc
    client.set_registered_model_alias(settings.registered_model_name, CHAMPION_ALIAS, version)
    typer.echo(f"{settings.registered_model_name} v{version} is now {CHAMPION_ALIAS}")


@app.command("list")
def list_command() -> None:
    """Registered versions with their CV cost and aliases."""
    from credit_scoring.cli.readonly import require_existing_store
    from credit_scoring.runtime.registry import describe_version, mlflow_client

    settings = get_settings()
    require_existing_store(
        settings.resolved_mlflow_tracking_uri, what="MLflow registry", setting=_TRACKING
    )
    client = mlflow_client(settings)
    name = settings.registered_model_name
    versions = client.search_model_versions(f"name='{name}'")
    by_version: dict[str, list[str]] = {}
    from mlflow.exceptions import MlflowException

    from credit_scoring.errors import ModelNotFoundError

    try:
        registered = client.get_registered_model(name)
    except MlflowException as exc:
        raise ModelNotFoundError(f"no registered model {name!r}: {exc.message}") from exc
    for alias, version_number in registered.aliases.items():
        by_version.setdefault(str(version_number), []).append(alias)
    for version in sorted(versions, key=lambda v: int(v.version)):
        d = describe_version(version)
        aliases = ",".join(by_version.get(str(d["version"]), [])) or "-"
        typer.echo(f"v{d['version']:<4} cost {d['cv_cost']:.4f}  {aliases}  {d['source']}")
