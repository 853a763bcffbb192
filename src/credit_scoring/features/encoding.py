"""Categorical encoding with a vocabulary fixed at training time and stored with the model.

Codes are ``0 … k-1`` for the ``k`` known categories (in vocabulary order), ``k`` for any
category not seen in training, and NaN for a missing value, so LightGBM can treat the column
as categorical and an unseen value never raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

Vocabulary = tuple[str, ...]


def fit_vocabulary(values: Iterable[object], *, min_count: int = 1) -> Vocabulary:
    """Categories seen at least ``min_count`` times, most frequent first (ties by name)."""
    counts = pd.Series(list(values) if not isinstance(values, pd.Series) else values)
    counts = counts.dropna().astype(str).value_counts()
    kept = counts[counts >= min_count]
    ordered = sorted(kept.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(str(name) for name, _ in ordered)


def fit_vocabularies(
    frame: pd.DataFrame, columns: Iterable[str], *, min_count: int = 1
) -> dict[str, Vocabulary]:
    """One vocabulary per categorical column of ``frame``."""
    return {c: fit_vocabulary(frame[c], min_count=min_count) for c in columns}


def encode(values: object, vocabulary: Vocabulary) -> NDArray[np.float64]:
    """Codes of ``values`` (array-like or a single value) under ``vocabulary``.

    Unknown categories get ``len(vocabulary)``; missing values (None/NaN) get NaN.
    """
    index = {name: float(i) for i, name in enumerate(vocabulary)}
    unseen = float(len(vocabulary))
    arr = np.atleast_1d(np.asarray(values, dtype=object))
    out = np.empty(arr.shape, dtype=np.float64)
    for i, value in enumerate(arr.ravel()):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out.flat[i] = np.nan
        else:
            out.flat[i] = index.get(str(value), unseen)
    return out


def encode_frame(
    frame: pd.DataFrame, vocabularies: Mapping[str, Vocabulary]
) -> dict[str, NDArray[np.float64]]:
    """Encode every column named in ``vocabularies`` (vectorised through pandas Categorical)."""
    out: dict[str, NDArray[np.float64]] = {}
    for column, vocabulary in vocabularies.items():
        series = frame[column]
        codes = pd.Categorical(series.astype("string"), categories=list(vocabulary)).codes
        result = codes.astype(np.float64)
        unseen = (codes == -1) & series.notna().to_numpy()
        result[unseen] = float(len(vocabulary))
        result[(codes == -1) & ~unseen] = np.nan
        out[column] = result
    return out
