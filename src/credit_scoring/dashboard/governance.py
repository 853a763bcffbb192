"""The served version's lifecycle and validation report, for the Model page."""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credit_scoring.errors import ModelNotFoundError
from credit_scoring.runtime.approval import APPROVED_BY_TAG, STATE_TAG, resolve_version
from credit_scoring.runtime.registry import REGISTRY_PREFIX

if TYPE_CHECKING:
    from credit_scoring.settings import Settings

REPORT_TAG = "validation.report_sha256"
REPORT_ARTIFACT = "validation/report.html"


@dataclass(frozen=True)
class Governance:
    version: str
    state: str
    approved_by: str | None
    transitions: list[dict[str, Any]]
    report_sha256: str | None
    report: bytes | None
    note: str


def served_governance(uri: str, settings: Settings) -> Governance | None:
    """Lifecycle and report of the registry version ``uri`` names (None for a bundle folder).

    The report is offered only when its bytes match the SHA-256 recorded at validation."""
    if not uri.startswith(REGISTRY_PREFIX):
        return None
    from mlflow.artifacts import download_artifacts
    from mlflow.exceptions import MlflowException

    tracking = settings.resolved_mlflow_tracking_uri
    try:
        version = resolve_version(uri, settings)
    except ModelNotFoundError:
        return None
    tags = dict(version.tags)
    transitions = [
        json.loads(v)
        for k, v in sorted(tags.items())
        if k.startswith("lifecycle.") and k.removeprefix("lifecycle.").isdigit()
    ]
    expected = tags.get(REPORT_TAG)
    report: bytes | None = None
    note = "no validation report recorded"
    if expected:
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = download_artifacts(
                    run_id=version.run_id,
                    artifact_path=REPORT_ARTIFACT,
                    dst_path=tmp,
                    tracking_uri=tracking,
                )
                data = Path(path).read_bytes()
        except (MlflowException, OSError) as exc:
            note = f"the report could not be read from the run: {exc}"
        else:
            if hashlib.sha256(data).hexdigest() == expected:
                report, note = data, "report checksum verified"
            else:
                note = "the attached report does not match its recorded SHA-256: not shown"
    return Governance(
        str(version.version),
        tags.get(STATE_TAG, "candidate"),
        tags.get(APPROVED_BY_TAG),
        transitions,
        expected,
        report,
        note,
    )
