"""A small synthetic FEATURES_DIR with a known signal, and a model trained on it once.

Feature names follow the feature pipeline's convention (application names, history prefixes,
``<PREFIX>HAS_HISTORY`` flags); CODE_GENDER and NAME_FAMILY_STATUS are protected columns kept
for the fairness report and are not model inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_scoring.features.feature_set import FeatureSet, feature_set_version, write_feature_set
from credit_scoring.runtime.bundle import Bundle, load_bundle, write_bundle
from credit_scoring.training.cv import BoostingConfig
from credit_scoring.training.dataset import TrainingData, load_training_data
from credit_scoring.training.train import TrainingOutcome, TrainOptions, fit_model

EDUCATION = ("Secondary / secondary special", "Higher education", "Incomplete higher")
INCOME_TYPE = ("Working", "Commercial associate", "Pensioner", "State servant")
APPLICATION = (
    "EXT_SOURCE_MEAN",
    "AGE_YEARS",
    "CREDIT_INCOME_RATIO",
    "DAYS_EMPLOYED",
    "NAME_EDUCATION_TYPE",
    "NAME_INCOME_TYPE",
)
HISTORY = ("INST_HAS_HISTORY", "INST_DPD_MEAN", "BUREAU_OVERDUE_COUNT", "PREV_REFUSED_COUNT")
CATEGORICAL = ("NAME_EDUCATION_TYPE", "NAME_INCOME_TYPE")
PROTECTED = ("CODE_GENDER", "NAME_FAMILY_STATUS")


def true_logit(frame: pd.DataFrame) -> np.ndarray:
    """The generating log-odds of default (known signal, one interaction)."""
    ext = frame["EXT_SOURCE_MEAN"].fillna(0.5).to_numpy()
    dpd = frame["INST_DPD_MEAN"].fillna(0.0).to_numpy()
    education = frame["NAME_EDUCATION_TYPE"].map({EDUCATION[0]: 0.3, EDUCATION[1]: -0.4}).fillna(0)
    employed = frame["DAYS_EMPLOYED"].to_numpy()
    return (
        -3.0
        - 4.0 * (ext - 0.5)
        + 1.5 * (ext < 0.3)
        + 0.6 * np.isnan(employed)
        - 0.02 * (frame["AGE_YEARS"].to_numpy() - 40.0)
        + 0.5 * np.log(frame["CREDIT_INCOME_RATIO"].to_numpy())
        + 0.6 * np.minimum(dpd, 6.0)
        + 0.35 * frame["BUREAU_OVERDUE_COUNT"].to_numpy()
        + 1.5 * ((ext < 0.4) & (dpd > 1.0))
        + 1.0 * (dpd > 2.5)
        + education.to_numpy(dtype=float)
    )


def synthetic_features(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    has_inst = rng.random(n) < 0.8
    frame = pd.DataFrame(
        {
            "SK_ID_CURR": np.arange(100_000, 100_000 + n, dtype=np.int64),
            "EXT_SOURCE_MEAN": np.where(rng.random(n) < 0.05, np.nan, rng.beta(4, 3, n)),
            "AGE_YEARS": rng.uniform(21, 68, n),
            "CREDIT_INCOME_RATIO": rng.lognormal(1.0, 0.6, n),
            "DAYS_EMPLOYED": np.where(rng.random(n) < 0.15, np.nan, -rng.gamma(2.0, 900.0, n)),
            "NAME_EDUCATION_TYPE": rng.choice(EDUCATION, n, p=[0.6, 0.3, 0.1]),
            "NAME_INCOME_TYPE": rng.choice(INCOME_TYPE, n),
            "INST_HAS_HISTORY": has_inst.astype(float),
            "INST_DPD_MEAN": np.where(has_inst, rng.exponential(1.0, n), np.nan),
            "BUREAU_OVERDUE_COUNT": rng.poisson(0.4, n).astype(float),
            "PREV_REFUSED_COUNT": rng.poisson(0.7, n).astype(float),
            "CODE_GENDER": rng.choice(["F", "M"], n, p=[0.65, 0.35]),
            "NAME_FAMILY_STATUS": rng.choice(["Married", "Single / not married"], n),
        }
    )
    # A few missing categorical values, as in the real data.
    frame.loc[rng.random(n) < 0.03, "NAME_INCOME_TYPE"] = None
    prob = 1.0 / (1.0 + np.exp(-true_logit(frame)))
    frame.insert(1, "TARGET", (rng.random(n) < prob).astype(np.int64))
    return frame


def write_features_dir(
    path: Path, frame: pd.DataFrame, *, source_manifest_sha256: str = "0" * 64
) -> Path:
    """A FEATURES_DIR as ``features build`` writes it (train.parquet + feature_set.json)."""
    path.mkdir(parents=True, exist_ok=True)
    model_features = APPLICATION + HISTORY
    feature_set = FeatureSet(
        version=feature_set_version(model_features, CATEGORICAL),
        model_features=model_features,
        categorical_features=CATEGORICAL,
        protected_columns=PROTECTED,
        history_features=HISTORY,
        application_features=APPLICATION,
        rows={"train": len(frame), "test": 0, "history": len(frame)},
        source_manifest_sha256=source_manifest_sha256,
    )
    frame.to_parquet(path / "train.parquet", index=False)
    write_feature_set(path, feature_set)
    return path


#: Small and fast: 3 folds, few rounds, a large learning rate.
FAST_OPTIONS = TrainOptions(
    boosting=BoostingConfig(
        max_rounds=200, early_stopping_rounds=20, n_folds=3, seed=7, num_threads=1
    ),
    params={"learning_rate": 0.1},
    n_boot=20,
)


@pytest.fixture(scope="session")
def fast_options() -> TrainOptions:
    return FAST_OPTIONS


@pytest.fixture(scope="session")
def write_features() -> Callable[..., Path]:
    """``write_features(path, frame, source_manifest_sha256=…)`` (see write_features_dir)."""
    return write_features_dir


@pytest.fixture(scope="session")
def make_frame() -> Callable[[int, int], pd.DataFrame]:
    """``make_frame(n, seed)``: a synthetic feature table (see :func:`synthetic_features`)."""
    return synthetic_features


@pytest.fixture(scope="session")
def make_features_dir(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., Path]:
    def make(n: int = 3000, seed: int = 0, frame: pd.DataFrame | None = None) -> Path:
        path = tmp_path_factory.mktemp("features")
        return write_features_dir(path, synthetic_features(n, seed) if frame is None else frame)

    return make


@pytest.fixture(scope="session")
def features_dir(make_features_dir: Callable[..., Path]) -> Path:
    return make_features_dir()


@pytest.fixture(scope="session")
def training_data(features_dir: Path) -> TrainingData:
    return load_training_data(features_dir)


@pytest.fixture(scope="session")
def outcome(training_data: TrainingData) -> TrainingOutcome:
    return fit_model(training_data, options=FAST_OPTIONS)


@pytest.fixture(scope="session")
def bundle_dir(outcome: TrainingOutcome, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bundle(
        tmp_path_factory.mktemp("bundles") / "bundle",
        booster=outcome.booster,
        metadata=outcome.metadata,
        model_card=outcome.model_card,
        scorecard=outcome.scorecard,
    )


@pytest.fixture(scope="session")
def bundle(bundle_dir: Path) -> Bundle:
    return load_bundle(bundle_dir)
