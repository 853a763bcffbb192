"""Tabulated TreeSHAP: LightGBM's ``pred_contrib`` values, brute-force Shapley values on small
trees, LightGBM's split decisions, and rows that do not depend on their batch."""

from __future__ import annotations

import itertools
import math

import lightgbm as lgb
import numpy as np
import pytest

from credit_scoring.runtime import treeshap
from credit_scoring.runtime.bundle import Bundle
from credit_scoring.runtime.treeshap import TreeShap, _parse_trees, _Tree
from credit_scoring.training.dataset import TrainingData


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Numbers with NaNs and zeros, a 40-level and a 7-level categorical (columns 3 and 5)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 8))
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, 3] = rng.integers(0, 40, n).astype(float)
    X[rng.random(n) < 0.1, 3] = np.nan
    X[:, 5] = rng.integers(0, 7, n).astype(float)
    X[rng.random(n) < 0.3, 7] = 0.0
    signal = np.nan_to_num(X[:, 0]) + (X[:, 3] % 3 == 0) + np.nan_to_num(X[:, 7]) - (X[:, 5] > 3)
    y = (signal + rng.normal(size=n) > 0.8).astype(int)
    return X, y


def _model(params: dict[str, object], rounds: int = 40) -> lgb.Booster:
    X, y = _data(4_000, seed=1)
    dataset = lgb.Dataset(X, y, categorical_feature=[3, 5], params={"verbose": -1})
    config = {"objective": "binary", "verbose": -1, "min_child_samples": 20, "num_threads": 1}
    return lgb.train({**config, **params}, dataset, rounds)


def _hostile_rows() -> np.ndarray:
    """Rows LightGBM's decisions treat specially: negative, huge, fractional and missing
    categories, near-zero numbers, zeros, NaN everywhere."""
    X, _ = _data(400, seed=2)
    X[:20, 3] = -1.0
    X[20:30, 3] = 1_000.0
    X[30:40, 3] = 2.7
    X[40:50, 3] = -0.5
    X[50:60, 5] = 3e10
    X[60:70, 0] = 1e-40
    X[70:80, 0] = -1e-40
    X[80:90, 1] = 0.0
    X[90:100] = np.nan
    return X


MODELS = {
    "shallow": {"num_leaves": 15, "max_depth": 5},
    "deep, zero as missing": {"num_leaves": 63, "max_depth": 8, "zero_as_missing": True},
    "unbounded, no missing": {"num_leaves": 31, "max_depth": -1, "use_missing": False},
}


@pytest.mark.parametrize("params", MODELS.values(), ids=MODELS.keys())
def test_contributions_equal_lightgbm_pred_contrib(params: dict[str, object]) -> None:
    booster = _model(params)
    shap = TreeShap.from_booster(booster)
    assert shap is not None
    X = _hostile_rows()
    expected = booster.predict(X, pred_contrib=True)
    np.testing.assert_allclose(shap.contributions(X), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("params", MODELS.values(), ids=MODELS.keys())
def test_split_decisions_reach_lightgbm_leaves(params: dict[str, object]) -> None:
    booster = _model(params, rounds=15)
    shap = TreeShap.from_booster(booster)
    assert shap is not None
    X = _hostile_rows()
    np.testing.assert_array_equal(shap.leaves(X), booster.predict(X, pred_leaf=True))


def _path_value(tree: _Tree, x: np.ndarray, known: set[int], node: int = 0) -> float:
    """The tree's expected output when only the features in ``known`` are known (the
    cover-weighted, path-dependent definition); computed by walking both ways."""
    if node < 0:
        return tree.leaf_value[~node]
    left, right = tree.left_child[node], tree.right_child[node]
    if tree.split_feature[node] in known:
        value = x[tree.split_feature[node]]
        return _path_value(tree, x, known, left if value <= tree.threshold[node] else right)

    def count(child: int) -> float:
        return tree.leaf_count[~child] if child < 0 else tree.internal_count[child]

    total = tree.internal_count[node]
    return (
        count(left) * _path_value(tree, x, known, left)
        + count(right) * _path_value(tree, x, known, right)
    ) / total


@pytest.mark.parametrize("params", MODELS.values(), ids=MODELS.keys())
def test_raw_scores_equal_lightgbm_to_the_bit(params: dict[str, object]) -> None:
    booster = _model(params)
    shap = TreeShap.from_booster(booster)
    assert shap is not None
    X = _hostile_rows()
    expected = booster.predict(X, raw_score=True, num_threads=1)
    np.testing.assert_array_equal(shap.raw_scores(X), expected)


@pytest.mark.parametrize("params", MODELS.values(), ids=MODELS.keys())
@pytest.mark.parametrize(
    "columns", [[0], [1, 5], [3, 6]], ids=["number", "number+category", "category+number"]
)
def test_a_grid_of_variants_is_walked_from_the_nodes_of_the_changed_columns(
    params: dict[str, object], columns: list[int]
) -> None:
    """Variants of base rows differing in some columns score as LightGBM scores them: each
    tree is walked by the base row down to the first split on a changed column."""
    booster = _model(params)
    shap = TreeShap.from_booster(booster)
    assert shap is not None
    on = np.isin(shap._arrays["node_feature"], columns)
    assert 0 < on.sum() < len(on)  # paths with and without a split on a changed column
    base = _hostile_rows()[::7]
    k = 5
    grid = np.repeat(base, k, axis=0)
    rng = np.random.default_rng(3)
    for c in columns:
        if c in (3, 5):  # categories, unseen and negative ones included
            grid[:, c] = rng.integers(-2, 45, len(grid)).astype(float)
        else:
            grid[:, c] = rng.normal(size=len(grid))
            grid[::4, c] = 1e-40  # near zero: read as 0.0
        grid[::3, c] = np.nan
    expected = booster.predict(grid, raw_score=True, num_threads=1)
    np.testing.assert_array_equal(shap.raw_scores(grid, base, np.array(columns)), expected)
    # the base rows themselves, as variants of nothing
    np.testing.assert_array_equal(
        shap.raw_scores(base, base, np.array(columns)),
        booster.predict(base, raw_score=True, num_threads=1),
    )
    with pytest.raises(ValueError, match="grid rows"):
        shap.raw_scores(grid[:-1], base, np.array(columns))


def test_contributions_are_brute_force_shapley_values_on_small_trees() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3_000, 4))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=3_000) > 0).astype(int)
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 6, "num_threads": 1},
        lgb.Dataset(X, y),
        3,
    )
    trees = _parse_trees(booster.model_to_string())
    shap = TreeShap.from_booster(booster)
    assert shap is not None
    n = X.shape[1]
    for x in X[:5]:
        phi = np.zeros(n)
        for i in range(n):
            others = [j for j in range(n) if j != i]
            for size in range(n):
                weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                for subset in itertools.combinations(others, size):
                    known = set(subset)
                    for tree in trees:
                        gain = _path_value(tree, x, known | {i}) - _path_value(tree, x, known)
                        phi[i] += weight * gain
        ours = shap.contributions(x.reshape(1, -1))[0]
        np.testing.assert_allclose(ours[:n], phi, rtol=1e-9, atol=1e-12)
        base = sum(_path_value(tree, x, set()) for tree in trees)
        assert ours[n] == pytest.approx(base, rel=1e-12)


def test_a_rows_contributions_do_not_depend_on_its_batch_or_threads() -> None:
    booster = _model(MODELS["shallow"])
    shap = TreeShap.from_booster(booster)
    assert shap is not None
    X = _hostile_rows()
    together = shap.contributions(X, num_threads=1)
    alone = np.vstack([shap.contributions(X[i : i + 1]) for i in range(0, len(X), 7)])
    assert np.array_equal(alone, together[::7], equal_nan=True)
    assert np.array_equal(shap.contributions(X, num_threads=2), together)
    assert np.array_equal(shap.contributions(X[::-1])[::-1], together)


def test_contributions_of_a_bundle_add_up_to_its_log_odds(
    bundle: Bundle, training_data: TrainingData
) -> None:
    assert bundle.tree_shap is not None
    X = training_data.X[:500]
    ours = bundle.contributions_frame(X)
    expected = bundle.booster.predict(X, pred_contrib=True)
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)
    raw = bundle.booster.predict(X, raw_score=True)
    np.testing.assert_allclose(ours.sum(axis=1), raw, rtol=1e-12, atol=1e-12)
    assert np.array_equal(bundle.contributions(X[17]), ours[17])


def test_a_model_too_big_to_tabulate_falls_back_to_pred_contrib(
    bundle: Bundle, training_data: TrainingData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(treeshap, "MAX_TABLE_ENTRIES", 0)
    fresh = Bundle(bundle.path, bundle.metadata, bundle.booster)
    assert fresh.tree_shap is None
    X = training_data.X[:50]
    expected = bundle.booster.predict(X, pred_contrib=True)
    assert np.array_equal(fresh.contributions_frame(X), expected)
    assert np.array_equal(fresh.contributions(X[3]), expected[3])


def test_linear_trees_are_left_to_pred_contrib() -> None:
    X, y = _data(2_000, seed=4)
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "linear_tree": True, "num_threads": 1},
        lgb.Dataset(np.nan_to_num(X), y, params={"verbose": -1}),
        3,
    )
    assert TreeShap.from_booster(booster) is None
