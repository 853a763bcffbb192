"""Baselines evaluated on the same folds as LightGBM: a majority-class dummy and a
regularised logistic regression (numeric: ``arcsinh`` so heavy-tailed amounts do not
dominate, then mean-imputed with missing indicators, then standardised; categorical codes:
one-hot)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

Folds = list[tuple[NDArray[np.intp], NDArray[np.intp]]]
LOGISTIC_C = 0.05


def dummy_model() -> DummyClassifier:
    """Predicts the training default rate for everyone (majority class at any threshold < it)."""
    return DummyClassifier(strategy="prior")


def logistic_model(
    *, n_features: int, categorical: list[int], seed: int, C: float = LOGISTIC_C
) -> Pipeline:
    numeric = [j for j in range(n_features) if j not in set(categorical)]
    transformers: list[tuple[str, Any, list[int]]] = [
        (
            "numeric",
            # Mean imputation after arcsinh (≈ a log-scale mean): scikit-learn's median on a
            # dense matrix goes through a masked-array sort that took ~40 % of the fit at full
            # size, for the same out-of-fold AUC (0.8118 vs 0.8120 on one fold).
            make_pipeline(
                FunctionTransformer(np.arcsinh),
                SimpleImputer(strategy="mean", add_indicator=True, keep_empty_features=True),
                StandardScaler(),
            ),
            numeric,
        )
    ]
    if categorical:
        transformers.append(
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1.0, keep_empty_features=True),
                    OneHotEncoder(handle_unknown="ignore", min_frequency=20),
                ),
                categorical,
            )
        )
    return Pipeline(
        [
            ("prepare", ColumnTransformer(transformers)),
            # tol 1e-3: on these standardised inputs lbfgs converges in ~40 iterations; the
            # AUC does not move past that (measured on 50k synthetic clients).
            ("logistic", LogisticRegression(C=C, max_iter=300, tol=1e-3)),
        ]
    )


def cross_validate_baseline(
    kind: str,
    X: NDArray[np.float64],
    y: NDArray[np.int8],
    *,
    folds: Folds,
    categorical: list[int],
    seed: int,
    n_jobs: int = 1,
) -> NDArray[np.float64]:
    """Out-of-fold probabilities of default of the ``"dummy"`` or ``"logistic"`` baseline.

    Folds are fitted in ``n_jobs`` processes (the logistic fit is single-threaded: on a busy
    machine OpenBLAS's spinning threads made it ~20× slower than one thread, measured), so
    the folds, not BLAS, use the cores.
    """
    oof = np.full(len(y), np.nan)
    jobs = [
        delayed(_fit_predict)(kind, X, y, train_idx, valid_idx, categorical, seed)
        for train_idx, valid_idx in folds
    ]
    workers = max(1, min(n_jobs, len(folds))) if kind == "logistic" else 1
    predictions = Parallel(n_jobs=workers)(jobs)
    for (_, valid_idx), prob in zip(folds, predictions, strict=True):
        oof[valid_idx] = prob
    return oof


def _fit_predict(
    kind: str,
    X: NDArray[np.float64],
    y: NDArray[np.int8],
    train_idx: NDArray[np.intp],
    valid_idx: NDArray[np.intp],
    categorical: list[int],
    seed: int,
) -> NDArray[np.float64]:
    if kind == "dummy":
        model: Any = dummy_model()
    elif kind == "logistic":
        model = logistic_model(n_features=X.shape[1], categorical=categorical, seed=seed)
    else:
        raise ValueError(f"unknown baseline {kind!r}")
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(X[train_idx], y[train_idx])
        return np.asarray(model.predict_proba(X[valid_idx])[:, 1], dtype=np.float64)
