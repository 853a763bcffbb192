"""The serving side of the lifecycle: a registry version is served only once approved.

The lifecycle itself (:mod:`credit_scoring.governance.lifecycle`) writes the tags read here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from credit_scoring.errors import CreditScoringError
from credit_scoring.runtime import registry
from credit_scoring.runtime.registry import REGISTRY_PREFIX

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from credit_scoring.settings import Settings

STATE_TAG = "lifecycle.state"
APPROVED_BY_TAG = "approved_by"
#: States in which an approved version may be served.
SERVABLE_STATES = ("approved", "champion", "retired")


class NotApprovedError(CreditScoringError):
    """A registry version was not approved by a named person (or the demo's auto-approval)."""


def check_tags(name: str, version: str, tags: dict[str, str]) -> str:
    """The approver's name, or :class:`NotApprovedError`."""
    state = tags.get(STATE_TAG, "candidate")
    approver = tags.get(APPROVED_BY_TAG)
    if not approver or state not in SERVABLE_STATES:
        raise NotApprovedError(
            f"{name} v{version} is {state}, not approved: the API serves only an approved "
            "champion (credit-scoring model validate VERSION, then model approve VERSION "
            "--by NAME --reason TEXT)"
        )
    return approver


def resolve_version(uri: str, settings: Settings) -> ModelVersion:
    """The registry version ``models:/<name>@<alias>`` or ``models:/<name>/<version>`` names,
    read from the configured store (creating nothing, unlike ``registry.mlflow_client``)."""
    from mlflow.tracking import MlflowClient

    tracking = settings.resolved_mlflow_tracking_uri
    return registry.resolve_version(MlflowClient(tracking_uri=tracking, registry_uri=tracking), uri)


def require_approved(uri: str, settings: Settings) -> str | None:
    """For a registry reference, the approver of the version it points to (refusing an
    unapproved one); None for a bundle folder (not governed by the registry)."""
    if not uri.startswith(REGISTRY_PREFIX):
        return None
    version = resolve_version(uri, settings)
    return check_tags(version.name, str(version.version), dict(version.tags))
