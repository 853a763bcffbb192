"""``credit-scoring model …``: inspect bundles and registered versions; the governed lifecycle
(validate → approve → champion, reject, rollback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from credit_scoring.settings import get_settings

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

app = typer.Typer(
    help="Inspect models; validate, approve, reject and roll back registered versions.",
    no_args_is_help=True,
)
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
        "signed": (bundle.path / "checksums.json.sig").is_file(),
    }
    if source.startswith("models:/"):
        info["lifecycle"] = _lifecycle_of(source)
    typer.echo(json.dumps(info, indent=2))


def _lifecycle_of(uri: str) -> dict[str, object]:
    from credit_scoring.governance import lifecycle
    from credit_scoring.runtime.registry import mlflow_client, resolve_version

    settings = get_settings()
    client = mlflow_client(settings)
    version = resolve_version(client, uri)
    registered = client.get_registered_model(version.name)
    aliases = [a for a, v in registered.aliases.items() if str(v) == str(version.version)]
    return lifecycle.describe(version, aliases)


_By = Annotated[str, typer.Option("--by", help="Who decides (recorded in the registry).")]
_Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the registry).")]


def _registered_model() -> tuple[MlflowClient, str]:
    """The registry client and the name of the registered model (from the settings)."""
    from credit_scoring.runtime.registry import mlflow_client

    settings = get_settings()
    return mlflow_client(settings), settings.registered_model_name


@app.command("validate")
def validate_command(
    version: Annotated[str, typer.Argument(help="Registered version to validate.")],
    by: _By,
    features_dir: Annotated[
        Path | None,
        typer.Option(
            "--features-dir",
            help="The version's FEATURES_DIR: stability and sensitivity on its test "
            "population, and the champion re-scoring the candidate's rows.",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Report file (default: HOME/reports/…).")] = None,
    n_boot: Annotated[int, typer.Option(min=20, help="Bootstrap resamples.")] = 200,
) -> None:
    """Write the validation report (HTML), attach it to the run and record ``validated``."""
    from credit_scoring.governance.validate import validate_version

    settings = get_settings()
    result = validate_version(
        settings, version, by=by, features_dir=features_dir, out=out, n_boot=n_boot
    )
    typer.echo(
        f"{settings.registered_model_name} v{result.version} validated by {by}: report "
        f"{result.path} ({result.size_bytes / 1e6:.1f} MB, {result.seconds:.1f} s, SHA-256 "
        f"{result.sha256[:16]}…); champion comparison: {result.comparison}"
    )


@app.command("approve")
def approve_command(
    version: Annotated[str, typer.Argument(help="Validated version to approve.")],
    by: _By,
    reason: _Reason,
) -> None:
    """Approve a validated version: it becomes the champion (recorded: who, when, why)."""
    from credit_scoring.governance import lifecycle

    client, name = _registered_model()
    lifecycle.approve(client, name, version, by=by, reason=reason)
    typer.echo(f"{name} v{version} approved by {by}; it is now champion")


@app.command("reject")
def reject_command(
    version: Annotated[str, typer.Argument(help="Candidate or validated version to reject.")],
    by: _By,
    reason: _Reason,
) -> None:
    """Reject a version (it can no longer be approved)."""
    from credit_scoring.governance import lifecycle

    client, name = _registered_model()
    lifecycle.reject(client, name, version, by=by, reason=reason)
    typer.echo(f"{name} v{version} rejected by {by}")


@app.command("rollback")
def rollback_command(
    by: _By,
    reason: _Reason,
) -> None:
    """Give the champion alias back to the previous champion (recorded)."""
    from credit_scoring.governance import lifecycle

    client, name = _registered_model()
    version = lifecycle.rollback(client, name, by=by, reason=reason)
    typer.echo(f"{name} rolled back to v{version.version} by {by}")


@app.command("list")
def list_command() -> None:
    """Registered versions with their CV cost and aliases."""
    from credit_scoring.cli.readonly import require_existing_store
    from credit_scoring.runtime.registry import describe_version

    require_existing_store(
        get_settings().resolved_mlflow_tracking_uri, what="MLflow registry", setting=_TRACKING
    )
    client, name = _registered_model()
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
    from credit_scoring.governance import lifecycle

    for version in sorted(versions, key=lambda v: int(v.version)):
        d = describe_version(version)
        aliases = ",".join(by_version.get(str(d["version"]), [])) or "-"
        typer.echo(
            f"v{d['version']:<4} cost {d['cv_cost']:.4f}  {lifecycle.state_of(version):<9} "
            f"{aliases}  {d['source']}"
        )
        for t in lifecycle.transitions(version):
            report = f" report {t.report_sha256[:12]}…" if t.report_sha256 else ""
            typer.echo(f"      {t.at}  {t.state:<9} by {t.by}: {t.reason}{report}")
