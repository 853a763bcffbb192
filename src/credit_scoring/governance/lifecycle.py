"""The governed lifecycle of a registered model version, recorded in the MLflow registry.

States: ``candidate`` (registered by a training run) → ``validated`` (a validation report is
attached to the run, its SHA-256 recorded) → ``approved`` (a named person, a reason) →
``champion`` (the alias moves). Side exits: ``rejected`` (a named person, a reason) and
``retired`` (replaced as champion, or rolled back). Nothing moves by itself: training only
registers a candidate, unless auto-approval is switched on (``Settings.auto_approve_by``, for
demos), in which case the approval is recorded under that name like any other.

Every transition is a model-version tag ``lifecycle.NNN`` holding JSON ``{state, by, at,
reason, report_sha256}`` (NNN increasing), and ``lifecycle.state`` holds the current state.
Every champion change is also a registered-model tag ``champion.NNN`` (``{version, previous,
by, at, reason}``) so ``rollback`` knows the previous champion. The API serves a registry
version only when it carries an approval (:func:`require_approved`).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from credit_scoring.errors import CreditScoringError, ModelNotFoundError
from credit_scoring.runtime.approval import APPROVED_BY_TAG, STATE_TAG

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

CANDIDATE = "candidate"
VALIDATED = "validated"
APPROVED = "approved"
CHAMPION = "champion"
REJECTED = "rejected"
RETIRED = "retired"
CHALLENGER = "challenger"

TRANSITION_PREFIX = "lifecycle."
CHAMPION_PREFIX = "champion."
REPORT_TAG = "validation.report_sha256"
REPORT_DIR = "validation"
REPORT_ARTIFACT = f"{REPORT_DIR}/report.html"
DATA_TAG = "data_fingerprint"
FEATURE_SET_TAG = "feature_set_version"
#: States from which a version may be approved / made champion.
APPROVABLE = (VALIDATED,)
SERVABLE = (APPROVED, CHAMPION)


class LifecycleError(CreditScoringError):
    """A lifecycle transition is not allowed from the version's current state."""


@dataclass(frozen=True)
class Transition:
    state: str
    by: str
    at: str
    reason: str
    report_sha256: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "state": self.state,
                "by": self.by,
                "at": self.at,
                "reason": self.reason,
                "report_sha256": self.report_sha256,
            },
            sort_keys=True,
        )[:4900]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _numbered(tags: dict[str, str], prefix: str) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for key, value in tags.items():
        suffix = key.removeprefix(prefix)
        if key.startswith(prefix) and suffix.isdigit():
            with contextlib.suppress(ValueError):
                out.append((int(suffix), json.loads(value)))
    return sorted(out, key=lambda item: item[0])


def transitions(version: ModelVersion) -> list[Transition]:
    """The recorded transitions of ``version``, oldest first."""
    return [
        Transition(
            state=str(d.get("state")),
            by=str(d.get("by")),
            at=str(d.get("at")),
            reason=str(d.get("reason")),
            report_sha256=d.get("report_sha256"),
        )
        for _, d in _numbered(dict(version.tags), TRANSITION_PREFIX)
    ]


def state_of(version: ModelVersion) -> str:
    """The version's current lifecycle state (``candidate`` for versions registered before
    the lifecycle existed and never moved)."""
    return str(dict(version.tags).get(STATE_TAG, CANDIDATE))


def get_version(client: MlflowClient, model_name: str, version: str) -> ModelVersion:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(model_name, str(version))
    except MlflowException as exc:
        raise ModelNotFoundError(f"no version {version} of {model_name!r}: {exc.message}") from exc


def record(
    client: MlflowClient,
    version: ModelVersion,
    transition: Transition,
    *,
    set_state: bool = True,
) -> ModelVersion:
    """Append ``transition`` to the version's tags and (``set_state``) set its current state."""
    number = len(_numbered(dict(version.tags), TRANSITION_PREFIX)) + 1
    name, v = version.name, str(version.version)
    client.set_model_version_tag(name, v, f"{TRANSITION_PREFIX}{number:03d}", transition.to_json())
    if set_state:
        client.set_model_version_tag(name, v, STATE_TAG, transition.state)
    return client.get_model_version(name, v)


def _require_name(by: str, reason: str) -> None:
    if not by.strip():
        raise LifecycleError("a transition needs a named person (--by NAME)")
    if not reason.strip():
        raise LifecycleError("a transition needs a reason (--reason TEXT)")


def champion(client: MlflowClient, model_name: str) -> ModelVersion | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None


def mark_validated(
    client: MlflowClient, version: ModelVersion, *, by: str, report_sha256: str, reason: str
) -> ModelVersion:
    """The validation report (SHA-256 ``report_sha256``) is attached: a candidate becomes
    ``validated``; an approved, serving or retired version is re-validated (recorded, its state
    and approval unchanged). A rejected version is not validated again."""
    state = state_of(version)
    if state == REJECTED:
        raise LifecycleError(f"{version.name} v{version.version} was rejected")
    client.set_model_version_tag(version.name, str(version.version), REPORT_TAG, report_sha256)
    return record(
        client,
        version,
        Transition(VALIDATED, by, _now(), reason, report_sha256=report_sha256),
        set_state=state in (CANDIDATE, VALIDATED),
    )


def approve(
    client: MlflowClient,
    model_name: str,
    version_number: str,
    *,
    by: str,
    reason: str,
) -> ModelVersion:
    """Approve a validated version and make it the champion (both transitions recorded)."""
    _require_name(by, reason)
    version = get_version(client, model_name, version_number)
    state = state_of(version)
    if state not in APPROVABLE:
        hint = " (run `credit-scoring model validate` first)" if state == CANDIDATE else ""
        raise LifecycleError(
            f"{model_name} v{version.version} is {state}; only a validated version can be "
            f"approved{hint}"
        )
    report = dict(version.tags).get(REPORT_TAG)
    version = record(client, version, Transition(APPROVED, by, _now(), reason, report))
    client.set_model_version_tag(model_name, str(version.version), APPROVED_BY_TAG, by)
    return make_champion(client, version, by=by, reason=reason, report_sha256=report)


def make_champion(
    client: MlflowClient,
    version: ModelVersion,
    *,
    by: str,
    reason: str,
    report_sha256: str | None,
) -> ModelVersion:
    """Move the ``champion`` alias to an approved ``version``; the replaced one is retired."""
    if state_of(version) not in SERVABLE and state_of(version) != RETIRED:
        raise LifecycleError(f"{version.name} v{version.version} is not approved")
    name = version.name
    previous = champion(client, name)
    if previous is not None and str(previous.version) != str(version.version):
        record(
            client,
            previous,
            Transition(RETIRED, by, _now(), f"replaced by v{version.version}: {reason}"),
        )
    client.set_registered_model_alias(name, CHAMPION, str(version.version))
    with contextlib.suppress(Exception):
        alias = client.get_model_version_by_alias(name, CANDIDATE)
        if str(alias.version) == str(version.version):
            client.delete_registered_model_alias(name, CANDIDATE)
    registered = client.get_registered_model(name)
    number = len(_numbered(dict(registered.tags), CHAMPION_PREFIX)) + 1
    entry = {
        "version": str(version.version),
        "previous": str(previous.version) if previous is not None else None,
        "by": by,
        "at": _now(),
        "reason": reason[:2000],
        "report_sha256": report_sha256,
    }
    client.set_registered_model_tag(name, f"{CHAMPION_PREFIX}{number:03d}", json.dumps(entry))
    return record(client, version, Transition(CHAMPION, by, _now(), reason, report_sha256))


def reject(
    client: MlflowClient, model_name: str, version_number: str, *, by: str, reason: str
) -> ModelVersion:
    """Reject a candidate or validated version (it can never be approved afterwards)."""
    _require_name(by, reason)
    version = get_version(client, model_name, version_number)
    state = state_of(version)
    if state not in (CANDIDATE, VALIDATED, APPROVED):
        raise LifecycleError(f"{model_name} v{version.version} is {state}; it cannot be rejected")
    report = dict(version.tags).get(REPORT_TAG)
    version = record(client, version, Transition(REJECTED, by, _now(), reason, report))
    with contextlib.suppress(Exception):
        alias = client.get_model_version_by_alias(model_name, CANDIDATE)
        if str(alias.version) == str(version.version):
            client.delete_registered_model_alias(model_name, CANDIDATE)
    return version


def champion_history(client: MlflowClient, model_name: str) -> list[dict[str, Any]]:
    """Every champion change of ``model_name``, oldest first."""
    registered = client.get_registered_model(model_name)
    return [d for _, d in _numbered(dict(registered.tags), CHAMPION_PREFIX)]


def rollback(client: MlflowClient, model_name: str, *, by: str, reason: str) -> ModelVersion:
    """Give the ``champion`` alias back to the version that held it before the current one."""
    _require_name(by, reason)
    current = champion(client, model_name)
    if current is None:
        raise LifecycleError(f"{model_name} has no champion to roll back")
    history = champion_history(client, model_name)
    entry = next((d for d in reversed(history) if d.get("version") == str(current.version)), None)
    previous = entry.get("previous") if entry else None
    if not previous:
        raise LifecycleError(
            f"{model_name} v{current.version} has no recorded previous champion to roll back to"
        )
    target = get_version(client, model_name, previous)
    if not dict(target.tags).get(APPROVED_BY_TAG):
        raise LifecycleError(f"{model_name} v{previous} was never approved; not rolled back")
    return make_champion(
        client,
        target,
        by=by,
        reason=f"rollback from v{current.version}: {reason}",
        report_sha256=dict(target.tags).get(REPORT_TAG),
    )


def same_population(a: ModelVersion, b: ModelVersion) -> bool:
    """Both versions were trained on the same data and feature set (their CV figures were
    computed on the same rows and may be compared)."""
    ta, tb = dict(a.tags), dict(b.tags)
    return (
        bool(ta.get(DATA_TAG))
        and ta.get(DATA_TAG) == tb.get(DATA_TAG)
        and ta.get(FEATURE_SET_TAG) == tb.get(FEATURE_SET_TAG)
    )


def cv_cost(version: ModelVersion) -> float:
    try:
        return float(dict(version.tags).get("cv_cost", "nan"))
    except (TypeError, ValueError):
        return math.nan


def describe(version: ModelVersion, aliases: list[str]) -> dict[str, Any]:
    """State, approval and transitions of ``version`` (for ``model list`` / ``model show``)."""
    tags = dict(version.tags)
    return {
        "version": str(version.version),
        "state": state_of(version),
        "aliases": aliases,
        "cv_cost": cv_cost(version),
        "approved_by": tags.get(APPROVED_BY_TAG),
        "report_sha256": tags.get(REPORT_TAG),
        "data_fingerprint": tags.get(DATA_TAG),
        "feature_set_version": tags.get(FEATURE_SET_TAG),
        "transitions": [t.__dict__ for t in transitions(version)],
    }


def auto_promote(
    client: MlflowClient,
    model_name: str,
    version_number: str,
    *,
    by: str,
    eligible: bool,
    force: bool = False,
    validate: Callable[[ModelVersion], str] | None = None,
) -> tuple[bool, str]:
    """The auto-approval of demos (``Settings.auto_approve_by``): validate, approve and promote
    the candidate when ``force``, or ``eligible`` and (no champion, or a lower CV cost than the
    champion's computed on the same data and feature set). Costs of models trained on other
    data are never compared. ``validate(version)`` attaches the report, returns its SHA-256."""
    version = get_version(client, model_name, version_number)
    current = champion(client, model_name)
    cost = cv_cost(version)
    previous_cost = cv_cost(current) if current is not None else math.nan
    if force:
        promoted, reason = True, "forced"
    elif not eligible:
        promoted, reason = False, "not eligible (does not beat the baselines)"
    elif current is None:
        promoted, reason = True, "first champion"
    elif not same_population(version, current):
        promoted = False
        reason = (
            f"not compared with champion v{current.version}: trained on other data or another "
            "feature set (validate it and approve by name)"
        )
    elif math.isnan(previous_cost) or cost < previous_cost:
        promoted, reason = True, f"CV cost {cost:.4f} < champion's {previous_cost:.4f} (same rows)"
    else:
        promoted = False
        reason = f"CV cost {cost:.4f} does not beat champion's {previous_cost:.4f} (same rows)"
    if not promoted:
        return False, reason
    report_sha256 = validate(version) if validate is not None else None
    if report_sha256 is None:
        version = record(
            client,
            version,
            Transition(VALIDATED, by, _now(), "auto-approval: no validation report generated"),
        )
    else:
        version = get_version(client, model_name, version_number)
    approve(client, model_name, version_number, by=by, reason=f"auto-approved: {reason}")
    return True, f"approved by {by}: {reason}"
