"""Offline and online paths from feature tables to the model's numeric matrix.

Both paths put the same values in the same column order (``FeatureSet.model_features``):
numeric features as float64 (NaN for missing), categorical features as vocabulary codes from
:mod:`credit_scoring.features.encoding` (``0 … k-1`` known, ``k`` unseen, NaN missing).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.encoding import Vocabulary, encode_frame
from credit_scoring.features.feature_set import FeatureSet


def missing_vocabularies(
    feature_set: FeatureSet, vocabularies: Mapping[str, Vocabulary]
) -> list[str]:
    """Categorical model features that have no vocabulary."""
    return [c for c in feature_set.categorical_features if c not in vocabularies]


def feature_matrix(
    frame: pd.DataFrame,
    feature_set: FeatureSet,
    vocabularies: Mapping[str, Vocabulary],
) -> NDArray[np.float64]:
    """The model matrix (rows of ``frame`` × ``feature_set.model_features``) as float64.

    ``frame`` is a feature table written by ``features build`` (``train.parquet`` or
    ``test.parquet``); ``vocabularies`` are fixed at training time (``fit_vocabularies`` on
    the training rows for ``feature_set.categorical_features``).
    """
    absent = [c for c in feature_set.model_features if c not in frame.columns]
    if absent:
        raise FeatureSetMismatchError(
            f"feature table lacks {len(absent)} model feature(s) of feature set "
            f"{feature_set.version}: {absent[:5]}"
        )
    lacking = missing_vocabularies(feature_set, vocabularies)
    if lacking:
        raise FeatureSetMismatchError(f"no vocabulary for categorical feature(s) {lacking}")
    categorical = set(feature_set.categorical_features)
    codes = encode_frame(frame, {c: vocabularies[c] for c in feature_set.categorical_features})
    matrix = np.empty((len(frame), len(feature_set.model_features)), dtype=np.float64)
    for j, name in enumerate(feature_set.model_features):
        if name in categorical:
            matrix[:, j] = codes[name]
        else:
            matrix[:, j] = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
    return matrix
