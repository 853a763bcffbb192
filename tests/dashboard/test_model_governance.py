"""The Model page shows the served registry version's lifecycle and offers its validation
report (only when the report matches the SHA-256 recorded at validation)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest


def test_model_page_links_the_validation_report_of_the_approved_champion(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, empty_log, demo_env, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from credit_scoring.governance import lifecycle
    from credit_scoring.runtime.registry import BUNDLE_ARTIFACT_PATH, mlflow_client
    from credit_scoring.settings import get_settings
    from credit_scoring.training.registry import experiment_id, register_candidate

    dashboard_settings(empty_log)
    settings = get_settings(home=tmp_path / "home")
    client = mlflow_client(settings)
    run = client.create_run(experiment_id(client, settings), run_name="lightgbm")
    client.log_artifacts(run.info.run_id, str(demo_env.bundle_dir), BUNDLE_ARTIFACT_PATH)
    report = tmp_path / "report.html"
    report.write_text("<html><body><h1>Validation report</h1></body></html>")
    client.log_artifact(run.info.run_id, str(report), "validation")
    source = f"{run.info.artifact_uri}/{BUNDLE_ARTIFACT_PATH}"
    version = register_candidate(
        client, model_name="credit-scoring", run_id=run.info.run_id, source=source, cv_cost=0.5
    ).version
    sha = hashlib.sha256(report.read_bytes()).hexdigest()
    lifecycle.mark_validated(
        client, client.get_model_version("credit-scoring", version), by="Val Idator",
        report_sha256=sha, reason="report attached",
    )  # fmt: skip
    lifecycle.approve(client, "credit-scoring", version, by="Ann Risk", reason="fit for use")
    monkeypatch.delenv("CREDIT_SCORING_MODEL_URI")  # the champion of the registry

    at = dashboard.open(dashboard.app(logged_in=True), "model")
    assert not at.exception, [e.value for e in at.exception]
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "champion · approved by Ann Risk · report checksum verified" in captions
    lifecycle_table = at.dataframe[-1].value
    assert list(lifecycle_table["state"]) == ["candidate", "validated", "approved", "champion"]
    (button,) = at.get("download_button")
    assert "Validation report" in str(button.proto.label)
