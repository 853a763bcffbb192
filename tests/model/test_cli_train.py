"""``credit-scoring train`` end to end on a small synthetic FEATURES_DIR (MLflow in tmp_path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credit_scoring.cli import app
from credit_scoring.cli import model as model_cli
from credit_scoring.errors import ModelNotFoundError

FAST = ["--folds", "3", "--max-rounds", "300", "--learning-rate", "0.05", "--threads", "1"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CREDIT_SCORING_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path / "home"


def test_train_writes_a_bundle_logs_runs_and_registers_a_candidate(
    home: Path, features_dir: Path
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["train", str(features_dir), *FAST])
    assert first.exit_code == 0, first.output
    assert "registry: credit-scoring v1 candidate (candidate: awaiting" in first.output
    bundle_line = next(line for line in first.output.splitlines() if line.startswith("bundle: "))
    bundle_dir = Path(bundle_line.removeprefix("bundle: "))
    assert bundle_dir.parent == home / "models"
    assert {p.name for p in bundle_dir.iterdir()} == {
        "model.txt", "metadata.json", "model_card.md", "checksums.json", "scorecard.json",
        "scorecard_points.csv",
    }  # fmt: skip
    for name in ("dummy", "logistic", "lightgbm", "scorecard"):
        assert f"\n{name} " in "\n" + first.output
    _check_tracking(home)

    shown = runner.invoke(model_cli.app, ["show", "models:/credit-scoring/1"])
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output[shown.output.index("{") :])
    assert info["cv"]["auc"] > 0.7
    assert Path(info["path"]).name == "credit-scoring-v1"
    assert info["lifecycle"]["state"] == "candidate" and info["lifecycle"]["approved_by"] is None
    listed = runner.invoke(model_cli.app, ["list"])
    assert "v1" in listed.output and "candidate" in listed.output
    assert "champion" not in listed.output.split("\n")[0]
    unknown = runner.invoke(model_cli.app, ["approve", "7", "--by", "A", "--reason", "r"])
    assert isinstance(unknown.exception, ModelNotFoundError)


def test_lifecycle_validate_approve_reject_rollback_recorded(
    home: Path, features_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from credit_scoring.governance.lifecycle import LifecycleError

    runner = CliRunner()
    assert runner.invoke(app, ["train", str(features_dir), *FAST]).exit_code == 0
    early = runner.invoke(model_cli.app, ["approve", "1", "--by", "Ann Risk", "--reason", "ok"])
    assert isinstance(early.exception, LifecycleError)  # not validated yet
    assert "validate" in str(early.exception)

    validated = runner.invoke(
        model_cli.app,
        ["validate", "1", "--by", "Val Idator", "--features-dir", str(features_dir),
         "--n-boot", "20"],
    )  # fmt: skip
    assert validated.exit_code == 0, validated.output
    report = home / "reports" / "validation-credit-scoring-v1.html"
    assert report.is_file() and "Jeffreys" in report.read_text(encoding="utf-8")
    from credit_scoring.io import file_sha256

    sha = file_sha256(report)
    approved = runner.invoke(
        model_cli.app, ["approve", "1", "--by", "Ann Risk", "--reason", "meets the policy"]
    )
    assert approved.exit_code == 0, approved.output
    shown = runner.invoke(model_cli.app, ["show"])  # the champion by default
    info = json.loads(shown.output[shown.output.index("{") :])
    life = info["lifecycle"]
    assert life["state"] == "champion" and life["approved_by"] == "Ann Risk"
    assert life["report_sha256"] == sha
    states = [t["state"] for t in life["transitions"]]
    assert states == ["candidate", "validated", "approved", "champion"]
    approval = life["transitions"][2]
    assert approval["by"] == "Ann Risk" and approval["reason"] == "meets the policy"
    assert approval["report_sha256"] == sha and approval["at"]

    # The report is attached to the version's run.
    from credit_scoring.runtime.registry import mlflow_client
    from credit_scoring.settings import get_settings

    client = mlflow_client(get_settings(home=home))
    run_id = client.get_model_version("credit-scoring", "1").run_id
    assert [a.path for a in client.list_artifacts(run_id, "validation")] == [
        "validation/report.html"
    ]

    # v2 with the demo's auto-approval, forced: approved by "make demo"; v1 retired.
    monkeypatch.setenv("CREDIT_SCORING_AUTO_APPROVE_BY", "make demo")
    second = runner.invoke(app, ["train", str(features_dir), *FAST, "--force"])
    assert second.exit_code == 0, second.output
    assert "registry: credit-scoring v2 champion (approved by make demo: forced)" in second.output
    monkeypatch.delenv("CREDIT_SCORING_AUTO_APPROVE_BY")
    # v3 is rejected by name and can no longer be approved.
    assert runner.invoke(app, ["train", str(features_dir), *FAST]).exit_code == 0
    rejected = runner.invoke(
        model_cli.app, ["reject", "3", "--by", "Ann Risk", "--reason", "unstable"]
    )
    assert rejected.exit_code == 0, rejected.output
    again = runner.invoke(model_cli.app, ["approve", "3", "--by", "Ann Risk", "--reason", "x"])
    assert isinstance(again.exception, LifecycleError)

    rolled = runner.invoke(
        model_cli.app, ["rollback", "--by", "Ops On-call", "--reason", "v2 misbehaves"]
    )
    assert rolled.exit_code == 0 and "rolled back to v1" in rolled.output
    listed = runner.invoke(model_cli.app, ["list"]).output
    lines = listed.splitlines()
    v1 = next(line for line in lines if line.startswith("v1 "))
    v2 = next(line for line in lines if line.startswith("v2 "))
    v3 = next(line for line in lines if line.startswith("v3 "))
    assert "champion" in v1 and "retired" in v2 and "rejected" in v3
    assert "by Ops On-call: rollback from v2: v2 misbehaves" in listed
    assert "approved  by make demo: auto-approved: forced" in listed
    assert "by Ann Risk: unstable" in listed


def _check_tracking(home: Path) -> None:
    """One run per candidate with metrics and provenance; plots and bundle on LightGBM's."""
    from credit_scoring.runtime.registry import EXPERIMENT_NAME, mlflow_client
    from credit_scoring.settings import get_settings

    client = mlflow_client(get_settings(home=home))
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {"dummy", "logistic", "lightgbm", "scorecard"}
    for run in runs.values():
        assert {"auc", "gini", "ks", "brier", "cost", "threshold"} <= set(run.data.metrics)
        assert run.data.tags["data.rows.train"] == "3000"
        assert "git_commit" in run.data.tags
    lgbm = runs["lightgbm"].info.run_id
    plots = {Path(a.path).name for a in client.list_artifacts(lgbm, "plots")}
    assert plots == {
        "roc.png",
        "cost_vs_threshold.png",
        "calibration.png",
        "feature_importance.png",
    }
    bundle = {Path(a.path).name for a in client.list_artifacts(lgbm, "bundle")}
    assert "model.txt" in bundle and "checksums.json" in bundle
    assert runs["lightgbm"].data.metrics["auc"] > runs["dummy"].data.metrics["auc"]


def test_train_refuses_a_folder_without_features(home: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", str(tmp_path)])
    assert result.exit_code != 0
    assert "feature_set.json" in str(result.exception) + result.output


def test_train_can_serve_the_scorecard_and_set_the_fairness_policy(
    home: Path, features_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bundle"
    result = CliRunner().invoke(
        app,
        ["train", str(features_dir), *FAST, "--no-track", "--out", str(out), "--serve",
         "scorecard", "--fairness-min-count", "50", "--fairness-min-share", "0.02"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["served_model"] == "scorecard"
    policy = metadata["metrics"]["fairness"]["policy"]
    assert (policy["min_count"], policy["min_share"]) == (50, 0.02)
    assert "imbalance: none" in result.output and "calibration: platt" in result.output
    wrong = CliRunner().invoke(app, ["train", str(features_dir), "--serve", "forest"])
    assert wrong.exit_code != 0
