"""``credit-scoring model validate VERSION``: build the validation report of a registered
version, attach it to the version's MLflow run and record the ``validated`` transition with the
report's SHA-256.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from credit_scoring.governance import lifecycle
from credit_scoring.governance.report import (
    Comparison,
    ReportInputs,
    render_report,
    sensitivity_table,
    stability_table,
)
from credit_scoring.io import file_sha256
from credit_scoring.runtime.bundle import Bundle, load_bundle
from credit_scoring.runtime.registry import mlflow_client
from credit_scoring.training.run import OOF_ARTIFACT

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

    from credit_scoring.settings import Settings

TOP_FEATURES = 5
#: Rows scored for stability and sensitivity (a seeded sample of larger populations).
SAMPLE_ROWS = 20_000


@dataclass(frozen=True)
class ValidationResult:
    version: str
    path: Path
    sha256: str
    size_bytes: int
    seconds: float
    comparison: str


def _download(client: MlflowClient, run_id: str, path: str, dst: Path) -> Path:
    from mlflow.artifacts import download_artifacts

    return Path(
        download_artifacts(
            run_id=run_id, artifact_path=path, dst_path=str(dst), tracking_uri=client.tracking_uri
        )
    )


def _oof(client: MlflowClient, version: ModelVersion, dst: Path) -> pd.DataFrame:
    from mlflow.exceptions import MlflowException

    try:
        return pd.read_parquet(_download(client, str(version.run_id), OOF_ARTIFACT, dst))
    except (MlflowException, OSError) as exc:
        raise lifecycle.LifecycleError(
            f"{version.name} v{version.version}: its run has no {OOF_ARTIFACT} (trained before "
            "the lifecycle existed?); retrain to validate it"
        ) from exc


def compare_with_champion(
    client: MlflowClient,
    settings: Settings,
    candidate: ModelVersion,
    oof: pd.DataFrame,
    served_column: str,
    features_dir: Path | None,
    work: Path,
) -> Comparison:
    """Candidate vs champion on the same rows (see the module docstring of report)."""
    champ = lifecycle.champion(client, candidate.name)
    if champ is None or str(champ.version) == str(candidate.version):
        return Comparison(None, "none", "there is no other champion to compare with.")
    cand_tags, champ_tags = dict(candidate.tags), dict(champ.tags)
    if lifecycle.same_population(candidate, champ):
        champ_oof = _oof(client, champ, work / "champion")
        column = next((c for c in (served_column, "oof_lightgbm") if c in champ_oof.columns), None)
        if column is None:
            return _not_compared(champ, "the champion logged no OOF.")
        merged = oof[["SK_ID_CURR", "TARGET", served_column]].merge(
            champ_oof[["SK_ID_CURR", column]].rename(columns={column: "champion"}),
            on="SK_ID_CURR",
        )
        return _on_same_rows(
            champ,
            merged,
            served_column,
            merged["champion"],
            method="both out-of-fold on the same training rows",
            note=f"{len(merged):,} rows; candidate and champion were trained on the same data "
            "and feature set, each row scored by folds that did not see it.",
        )
    same_features = cand_tags.get(lifecycle.FEATURE_SET_TAG) == champ_tags.get(
        lifecycle.FEATURE_SET_TAG
    )
    if not same_features:
        return _not_compared(
            champ, "the champion uses another feature set; no numeric comparison is claimed."
        )
    if features_dir is None or not (Path(features_dir) / "train.parquet").is_file():
        return _not_compared(
            champ,
            "the champion was trained on other data; give --features-dir (the candidate's "
            "training features) to re-score the candidate's rows with the champion. No "
            "numeric comparison is claimed.",
        )
    if file_sha256(Path(features_dir) / "train.parquet") != cand_tags.get(lifecycle.DATA_TAG):
        return _not_compared(
            champ,
            f"{features_dir} is not the candidate's training data (fingerprint differs); no "
            "numeric comparison is claimed.",
        )
    champion_bundle = load_bundle(
        f"models:/{champ.name}/{champ.version}", settings=settings, download_dir=work / "cb"
    )
    frame = pd.read_parquet(Path(features_dir) / "train.parquet")
    # Rows the champion trained on are left out: its scores on them would not be honest.
    seen: set[int] = set()
    with contextlib.suppress(lifecycle.LifecycleError):
        seen = set(_oof(client, champ, work / "champion")["SK_ID_CURR"].tolist())
    frame = frame[~frame["SK_ID_CURR"].isin(seen)]
    merged = frame[["SK_ID_CURR"]].merge(oof, on="SK_ID_CURR")
    frame = frame.set_index("SK_ID_CURR").loc[merged["SK_ID_CURR"]]
    if len(merged) == 0 or merged["TARGET"].nunique() < 2:
        return _not_compared(
            champ, "no candidate row outside the champion's training rows; no numeric comparison."
        )
    scores = champion_bundle.score_frame(frame.reset_index())
    return _on_same_rows(
        champ,
        merged,
        served_column,
        scores.probability,
        method="candidate's out-of-fold rows re-scored by the champion",
        note=f"{len(merged):,} rows ({len(seen):,} ids of the champion's own training set left "
        "out); the champion never trained on these rows.",
    )


def _not_compared(champion: ModelVersion, why: str) -> Comparison:
    return Comparison(str(champion.version), "not compared", why)


def _on_same_rows(
    champion: ModelVersion,
    merged: pd.DataFrame,
    served_column: str,
    champion_probs: ArrayLike,
    *,
    method: str,
    note: str,
) -> Comparison:
    """Both models on the rows of ``merged`` (its TARGET and the candidate's ``served_column``)
    and the champion's probabilities of default on the same rows."""
    return Comparison(
        str(champion.version),
        method,
        note,
        merged["TARGET"].to_numpy(),
        merged[served_column].to_numpy(dtype=float),
        np.asarray(champion_probs, dtype=float),
    )


@dataclass(frozen=True)
class _PopulationChecks:
    """Stability (a new population against training) and sensitivity tables, each with its
    note: what it was computed on, or why it is missing."""

    stability: pd.DataFrame | None
    stability_note: str
    sensitivity: pd.DataFrame | None
    sensitivity_note: str

    @classmethod
    def missing(cls, why: str) -> _PopulationChecks:
        return cls(None, why, None, why)


def _population(
    bundle: Bundle, features_dir: Path | None, oof: pd.DataFrame, served_column: str
) -> _PopulationChecks:
    """Stability and sensitivity tables from FEATURES_DIR (or why they are missing)."""
    if features_dir is None:
        return _PopulationChecks.missing("no FEATURES_DIR given (--features-dir).")
    features_dir = Path(features_dir)
    train_path, test_path = features_dir / "train.parquet", features_dir / "test.parquet"
    if not train_path.is_file():
        return _PopulationChecks.missing(f"{train_path} is missing.")
    rng = np.random.default_rng(0)
    train = pd.read_parquet(train_path)
    gain = bundle.booster.feature_importance(importance_type="gain")
    names = bundle.booster.feature_name()
    numeric = [n for n in names if n not in set(bundle.metadata["categorical_features"])]
    top = [n for _, n in sorted(zip(gain, names, strict=True), reverse=True) if n in numeric]
    top = top[:TOP_FEATURES]
    if test_path.is_file() and len(test := pd.read_parquet(test_path)):
        new, label = test, f"the test population of {features_dir.name} ({len(test):,} rows)"
    else:
        new, label = None, ""
    stability: pd.DataFrame | None = None
    stability_note = ""
    if new is not None:
        sample = new.iloc[rng.permutation(len(new))[:SAMPLE_ROWS]]
        new_scores = bundle.score_frame(sample).probability
        stability = stability_table(
            oof[served_column].to_numpy(dtype=float),
            np.asarray(new_scores, dtype=float),
            {n: train[n].to_numpy(dtype=float) for n in top},
            {n: sample[n].to_numpy(dtype=float) for n in top},
        )
        stability_note = f"New population: {label}."
    else:
        stability_note = f"{features_dir} has no test population to compare with."
    base = new if new is not None else train
    sample = base.iloc[rng.permutation(len(base))[:SAMPLE_ROWS]].reset_index(drop=True)
    refused = float(np.mean(bundle.score_frame(sample).decision == "REFUSE"))
    shifted = []
    for name in top:
        sd = float(np.nanstd(train[name].to_numpy(dtype=float)))
        rates = []
        for sign in (-1.0, 1.0):
            moved = sample.copy()
            moved[name] = moved[name].astype(float) + sign * sd
            rates.append(float(np.mean(bundle.score_frame(moved).decision == "REFUSE")))
        shifted.append((name, rates[0], rates[1]))
    sensitivity = sensitivity_table(refused, shifted)
    note = f"{len(sample):,} rows of {'the test population' if new is not None else 'training'}."
    return _PopulationChecks(stability, stability_note, sensitivity, note)


LIMITATIONS = (
    "Figures are out-of-fold on the training population; they estimate performance on "
    "applications like those, not on a population whose economy or acceptance policy changed.",
    "Defaults are observed only for approved applications in the training data (reject "
    "inference is not attempted): performance on applicants the old policy refused is unknown.",
    "The Jeffreys test checks only that PDs do not underestimate defaults per grade; PDs that "
    "overestimate are conservative and not flagged.",
    "Sensitivity moves one feature at a time; correlated features moving together are not "
    "simulated.",
    "Fairness covers only the protected attributes present in the data, with small groups "
    "reported but not judged.",
)


def validate_version(
    settings: Settings,
    version_number: str,
    *,
    by: str,
    features_dir: Path | None = None,
    out: Path | None = None,
    n_boot: int = 200,
    record: bool = True,
) -> ValidationResult:
    """Render the report of ``version_number``, attach it and record ``validated``."""
    started = time.perf_counter()
    client = mlflow_client(settings)
    name = settings.registered_model_name
    version = lifecycle.get_version(client, name, version_number)
    with tempfile.TemporaryDirectory(prefix=".validate-", dir=_mkdir(settings.home)) as tmp:
        work = Path(tmp)
        bundle = load_bundle(
            f"models:/{name}/{version.version}", settings=settings, download_dir=work / "bundle"
        )
        oof = _oof(client, version, work / "oof")
        meta = bundle.metadata
        served = str(meta.get("served_model", "lightgbm"))
        served_column = f"oof_{served}" if f"oof_{served}" in oof.columns else "oof_lightgbm"
        benchmarks = {
            c.removeprefix("oof_"): oof[c].to_numpy(dtype=float)
            for c in oof.columns
            if c.startswith("oof_") and c != served_column and c != "oof_dummy"
        }
        comparison = compare_with_champion(
            client, settings, version, oof, served_column, features_dir, work
        )
        population = _population(bundle, features_dir, oof, served_column)
        fingerprint: dict[str, Any] = dict(meta.get("data_fingerprint", {}))
        lineage = {
            "registered version": f"{name} v{version.version}",
            "MLflow run": version.run_id,
            "bundle created": meta.get("created_at"),
            "bundle checksums SHA-256": file_sha256(bundle.path / "checksums.json"),
            "bundle signed": (bundle.path / "checksums.json.sig").is_file(),
            "code commit": meta.get("git_commit") or "unknown",
            "feature set version": meta.get("feature_set_version"),
            "history version": fingerprint.get("history_version") or bundle.history_version,
            "training data (train.parquet SHA-256)": fingerprint.get("train_parquet_sha256"),
            "source manifest SHA-256": fingerprint.get("source_manifest_sha256"),
            "rows": fingerprint.get("rows"),
        }
        inputs = ReportInputs(
            model_name=name,
            version=str(version.version),
            served_model=served,
            y=oof["TARGET"].to_numpy(),
            probs=oof[served_column].to_numpy(dtype=float),
            benchmarks=benchmarks,
            threshold=float(bundle.threshold),
            cost_fn=float(meta["cost"]["cost_fn"]),
            cost_fp=float(meta["cost"]["cost_fp"]),
            comparison=comparison,
            fairness_rows=list(meta.get("metrics", {}).get("fairness", {}).get("rows", [])),
            lineage=lineage,
            stability=population.stability,
            stability_note=population.stability_note,
            sensitivity=population.sensitivity,
            sensitivity_note=population.sensitivity_note,
            limitations=list(LIMITATIONS),
            n_boot=n_boot,
        )
        document = render_report(inputs)
    path = out or settings.home / "reports" / f"validation-{name}-v{version.version}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(f".{path.name}.tmp")
    tmp_path.write_text(document, encoding="utf-8")
    tmp_path.replace(path)
    sha = file_sha256(path)
    if record:
        with tempfile.TemporaryDirectory() as tmp:
            attached = Path(tmp) / "report.html"
            attached.write_bytes(path.read_bytes())
            client.log_artifact(str(version.run_id), str(attached), lifecycle.REPORT_DIR)
        lifecycle.mark_validated(
            client,
            version,
            by=by,
            report_sha256=sha,
            reason=f"validation report attached ({comparison.method})",
        )
    return ValidationResult(
        str(version.version),
        path,
        sha,
        path.stat().st_size,
        time.perf_counter() - started,
        comparison.method,
    )


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
