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


def test_train_writes_a_bundle_logs_runs_and_registers_the_champion(
    home: Path, features_dir: Path
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["train", str(features_dir), *FAST])
    assert first.exit_code == 0, first.output
    assert "registry: credit-scoring v1 champion (first champion)" in first.output
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

    shown = runner.invoke(model_cli.app, ["show"])
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output[shown.output.index("{") :])
    assert info["cv"]["auc"] > 0.7
    assert Path(info["path"]).name == "credit-scoring-v1"
    listed = runner.invoke(model_cli.app, ["list"])
    assert "v1" in listed.output and "champion" in listed.output
    promoted = runner.invoke(model_cli.app, ["promote", "1"])
    assert promoted.exit_code == 0 and "v1 is now champion" in promoted.output
    unknown = runner.invoke(model_cli.app, ["promote", "7"])
    assert isinstance(unknown.exception, ModelNotFoundError)


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
