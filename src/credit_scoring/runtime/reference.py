"""Reference distributions saved at training time, for drift monitoring (PSI from bins).

Numeric feature: up to 9 interior decile edges ``e`` (unique); bin ``i`` holds
``e[i-1] < x <= e[i]`` (bin 0 is ``x <= e[0]``, the last bin ``x > e[-1]``), plus a missing
bin. Categorical feature: one proportion per vocabulary category, one for unseen categories
and one for missing. Proportions are shares of the training rows (they sum to 1 with the
missing share). :func:`assign_bins` is the one binning rule to reuse when comparing a window
of logged decisions with these bins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from credit_scoring.features.encoding import Vocabulary

N_BINS = 10


def assign_bins(values: ArrayLike, edges: ArrayLike) -> NDArray[np.intp]:
    """Bin index of each value under ``edges`` (right-closed bins); -1 for missing values."""
    x = np.asarray(values, dtype=np.float64)
    out = np.searchsorted(np.asarray(edges, dtype=np.float64), x, side="left").astype(np.intp)
    out[np.isnan(x)] = -1
    return out


def numeric_reference(values: ArrayLike, *, n_bins: int = N_BINS) -> dict[str, Any]:
    """Decile edges and the share of rows in each bin and in the missing bin."""
    x = np.asarray(values, dtype=np.float64)
    present = x[~np.isnan(x)]
    if present.size:
        quantiles = np.quantile(present, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
        edges = np.unique(quantiles)
    else:
        edges = np.array([], dtype=np.float64)
    bins = assign_bins(x, edges)
    counts = np.bincount(bins[bins >= 0], minlength=len(edges) + 1)
    n = max(len(x), 1)
    return {
        "kind": "numeric",
        "edges": [float(e) for e in edges],
        "proportions": [float(c) / n for c in counts],
        "missing": float(np.sum(bins < 0)) / n,
    }


def categorical_reference(codes: ArrayLike, vocabulary: Vocabulary) -> dict[str, Any]:
    """Share of each category (vocabulary order), of unseen categories and of missing values."""
    x = np.asarray(codes, dtype=np.float64)
    n = max(len(x), 1)
    present = x[~np.isnan(x)].astype(np.intp)
    counts = np.bincount(present, minlength=len(vocabulary) + 1)[: len(vocabulary) + 1]
    return {
        "kind": "categorical",
        "categories": list(vocabulary),
        "proportions": [float(c) / n for c in counts[: len(vocabulary)]],
        "unseen": float(counts[len(vocabulary)]) / n,
        "missing": float(np.sum(np.isnan(x))) / n,
    }


def reference_bins(
    X: NDArray[np.float64],
    *,
    features: Sequence[str],
    vocabularies: Mapping[str, Vocabulary],
    outputs: Mapping[str, NDArray[np.float64]],
) -> dict[str, Any]:
    """Reference bins of every model feature and of the model outputs (probability, score)."""
    feature_bins = {}
    for j, name in enumerate(features):
        if name in vocabularies:
            feature_bins[name] = categorical_reference(X[:, j], vocabularies[name])
        else:
            feature_bins[name] = numeric_reference(X[:, j])
    return {
        "binning": "deciles, right-closed (searchsorted side=left), missing separate",
        "n_rows": int(X.shape[0]),
        "features": feature_bins,
        "outputs": {name: numeric_reference(values) for name, values in outputs.items()},
    }
