"""Exact path-dependent TreeSHAP of a LightGBM model, from per-leaf tables (reason codes).

The values are LightGBM's ``pred_contrib`` (the same cover-weighted, path-dependent
definition, Lundberg et al. 2018), computed another way, after "Fast TreeSHAP v2" (Yang 2021):

For a leaf with value ``v`` whose path splits on the distinct features ``U`` (``u`` of them),
let ``z_k`` be the product of the cover ratios (child count / parent count) of the splits on
feature ``k`` along the path and ``A`` the features on which the row follows every split of
the path. The leaf then adds, to feature ``i`` of ``U``::

    i in A:      v (1 - z_i) F(A - {i}) Z(A)
    i not in A:  -v F(A) Z(A)

where ``Z(A)`` is the product of ``z_k`` over ``U - A`` and
``F(T) = sum over S ⊆ T of |S|! (u - |S| - 1)! / u! · prod over T - S of z_k``. ``v F`` and
``Z`` depend only on the leaf and the subset ``A`` (at most ``2**u`` of them), so they are
tabulated once per model; a row then costs one decision per split node and, per leaf, one
table look-up per path feature — no recursion. Numba compiles the two loops (cached on disk).

Rows are independent and each is summed in a fixed order (trees, then leaves, then path
features), so a row's contributions do not depend on the batch it is in. They equal
LightGBM's to rounding (about 1e-15 relative; a test checks it on trained models), and split
decisions follow LightGBM's ``NumericalDecision`` / ``CategoricalDecision`` (missing types,
default directions, category bitsets) exactly (a test checks leaf indices).

Models whose tables would exceed :data:`MAX_TABLE_ENTRIES` (very deep trees) are not
tabulated: :meth:`TreeShap.from_booster` returns ``None`` and callers use ``pred_contrib``.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import lightgbm as lgb
import numba
import numpy as np
from numpy.typing import NDArray

#: Table size above which a model is not tabulated (2 float64 per entry: 256 MiB).
MAX_TABLE_ENTRIES = 1 << 24
#: LightGBM's ``kZeroThreshold`` (a float constant): smaller magnitudes count as zero.
ZERO_THRESHOLD = float(np.float32(1e-35))

_CATEGORICAL = 1
_DEFAULT_LEFT = 2
_MISSING_ZERO = 1
_MISSING_NAN = 2
_INT_LIMIT = 2147483648.0  # values outside int32 convert to INT_MIN in LightGBM: "right"
_BLOCK_ROWS = 128  # rows per kernel call (the feature-major block stays in cache)


@numba.njit(cache=True, nogil=True, inline="always")
def _goes_left(
    x: float,
    kind: int,
    threshold: float,
    cat_start: int,
    cat_words: int,
    cat_bits: NDArray[np.uint32],
) -> bool:  # pragma: no cover - compiled by numba (its result is tested against LightGBM)
    """LightGBM's ``Decision`` of one split node for the value ``x``."""
    if -ZERO_THRESHOLD <= x <= ZERO_THRESHOLD:  # LightGBM drops near-zero inputs: 0.0
        x = 0.0
    if kind & _CATEGORICAL:
        if math.isnan(x) or x <= -_INT_LIMIT or x >= _INT_LIMIT:
            return False
        category = int(x)  # truncation, as C's static_cast<int>
        if category < 0:
            return False
        word = category >> 5
        if word >= cat_words:
            return False
        return bool((cat_bits[cat_start + word] >> np.uint32(category & 31)) & np.uint32(1))
    missing = (kind >> 2) & 3
    if math.isnan(x) and missing != _MISSING_NAN:
        x = 0.0
    if (missing == _MISSING_ZERO and -ZERO_THRESHOLD <= x <= ZERO_THRESHOLD) or (
        missing == _MISSING_NAN and math.isnan(x)
    ):
        return bool(kind & _DEFAULT_LEFT)
    return x <= threshold


@numba.njit(cache=True, nogil=True)
def _shap_block(
    XT: NDArray[np.float64],
    phiT: NDArray[np.float64],
    tree_nodes: NDArray[np.int64],
    tree_leaves: NDArray[np.int64],
    node_feature: NDArray[np.int32],
    node_threshold: NDArray[np.float64],
    node_kind: NDArray[np.int8],
    node_cat_start: NDArray[np.int32],
    node_cat_words: NDArray[np.int32],
    cat_bits: NDArray[np.uint32],
    leaf_path: NDArray[np.int64],
    leaf_slots: NDArray[np.int64],
    leaf_table: NDArray[np.int64],
    path_node: NDArray[np.int32],
    path_left: NDArray[np.bool_],
    path_slot: NDArray[np.int64],
    slot_feature: NDArray[np.int32],
    slot_weight: NDArray[np.float64],
    table_vf: NDArray[np.float64],
    table_z: NDArray[np.float64],
) -> None:  # pragma: no cover - compiled by numba (its output is tested against LightGBM)
    """Add the contributions of a block of rows, feature-major: ``XT`` is (features, rows),
    ``phiT`` (features + 1, rows). Loops run over the rows innermost, without branches on
    the data, so they vectorise; each row's sums are formed in the same order whatever the
    block holds (no reduction across rows, no fused multiply-add)."""
    n_trees = len(tree_nodes) - 1
    rows = XT.shape[1]
    max_nodes = 1
    for t in range(n_trees):
        max_nodes = max(max_nodes, tree_nodes[t + 1] - tree_nodes[t])
    left = np.empty((max_nodes, rows), dtype=np.bool_)
    followed = np.empty(rows, dtype=np.int64)
    z_a = np.empty(rows, dtype=np.float64)
    against = np.empty(rows, dtype=np.float64)
    for t in range(n_trees):
        first = tree_nodes[t]
        for j in range(tree_nodes[t + 1] - first):
            node = first + j
            x = XT[node_feature[node]]
            kind = node_kind[node]
            threshold = node_threshold[node]
            go = left[j]
            if kind & _CATEGORICAL:
                for r in range(rows):
                    go[r] = _goes_left(
                        x[r], kind, threshold, node_cat_start[node], node_cat_words[node], cat_bits
                    )
                continue
            missing = (kind >> 2) & 3
            default_left = (kind & _DEFAULT_LEFT) != 0
            if missing == _MISSING_NAN:
                for r in range(rows):
                    v = x[r]
                    v = 0.0 if -ZERO_THRESHOLD <= v <= ZERO_THRESHOLD else v
                    go[r] = default_left if v != v else v <= threshold
            elif missing == _MISSING_ZERO:
                for r in range(rows):
                    v = x[r]
                    zero = (v != v) or (-ZERO_THRESHOLD <= v <= ZERO_THRESHOLD)
                    go[r] = default_left if zero else v <= threshold
            else:
                for r in range(rows):
                    v = x[r]
                    v = 0.0 if (v != v) or (-ZERO_THRESHOLD <= v <= ZERO_THRESHOLD) else v
                    go[r] = v <= threshold
        for leaf in range(tree_leaves[t], tree_leaves[t + 1]):
            s0 = leaf_slots[leaf]
            u = leaf_slots[leaf + 1] - s0
            if u == 0:
                continue
            full = (1 << u) - 1
            followed[:] = full
            for p in range(leaf_path[leaf], leaf_path[leaf + 1]):
                go = left[path_node[p]]
                expected = path_left[p]
                slot = path_slot[p]
                for r in range(rows):
                    followed[r] &= ~(np.int64(go[r] != expected) << slot)
            t0 = leaf_table[leaf]
            for r in range(rows):
                z_a[r] = table_z[t0 + followed[r]]
                against[r] = -(table_vf[t0 + followed[r]] * z_a[r])
            for k in range(u):
                bit = 1 << k
                weight = slot_weight[s0 + k]
                phi = phiT[slot_feature[s0 + k]]
                for r in range(rows):
                    a = followed[r]
                    term = weight * table_vf[t0 + (a ^ bit)] * z_a[r]
                    phi[r] += term if a & bit else against[r]


@numba.njit(cache=True, nogil=True, inline="always")
def _child(
    info: int,
    links: int,
    x: float,
    threshold: float,
    node_cat_start: NDArray[np.int32],
    node_cat_words: NDArray[np.int32],
    cat_bits: NDArray[np.uint32],
    g: int,
) -> int:  # pragma: no cover - compiled by numba (its result is tested against LightGBM)
    """The child of packed node ``g`` (see :func:`_pack_nodes`) that the value ``x`` goes to:
    ``_goes_left`` for a categorical node, else with where NaN and near-zero values go read
    off the node's bits."""
    kind = (info >> 32) & 0xFF
    if kind & _CATEGORICAL:
        go = _goes_left(x, kind, threshold, node_cat_start[g], node_cat_words[g], cat_bits)
    elif x != x:
        go = (info >> 40) & 1 == 1
    elif -ZERO_THRESHOLD <= x <= ZERO_THRESHOLD:
        go = (info >> 41) & 1 == 1
    else:
        go = x <= threshold
    return ((links << 32) >> 32) if go else (links >> 32)


@numba.njit(cache=True, nogil=True)
def _grid_raw(
    base: NDArray[np.float64],
    grid: NDArray[np.float64],
    moving: NDArray[np.bool_],
    out: NDArray[np.float64],
    tree_nodes: NDArray[np.int64],
    tree_leaves: NDArray[np.int64],
    node_info: NDArray[np.int64],
    node_links: NDArray[np.int64],
    node_threshold: NDArray[np.float64],
    node_height: NDArray[np.int64],
    node_cat_start: NDArray[np.int32],
    node_cat_words: NDArray[np.int32],
    cat_bits: NDArray[np.uint32],
    leaf_value: NDArray[np.float64],
) -> None:  # pragma: no cover - compiled by numba (its output is tested against LightGBM)
    """Raw scores of ``grid``: ``len(grid) // len(base)`` rows per ``base`` row, each equal to
    its base row but in the features marked in ``moving``.

    In each tree the base row is walked first, down to its leaf or to the first node on its
    path that splits on a moving feature: above that node every grid row takes the base row's
    path, so a path without one gives every grid row the base row's leaf. From that node the
    grid rows are walked together, one depth level at a time. Each row sums its leaf values
    in tree order from 0.0, as LightGBM's ``PredictRaw``."""
    n_trees = len(tree_nodes) - 1
    k = grid.shape[0] // base.shape[0]
    node = np.empty(k, dtype=np.int64)
    out[:] = 0.0
    for b in range(base.shape[0]):
        x = base[b]
        rows = grid[b * k : b * k + k]
        total = out[b * k : b * k + k]
        for t in range(n_trees):
            first = tree_nodes[t]
            n = 0 if tree_nodes[t + 1] > first else -1
            while n >= 0:
                g = first + n
                info = node_info[g]
                feature = info & 0xFFFFFFFF
                if moving[feature]:
                    break
                n = _child(
                    info, node_links[g], x[feature], node_threshold[g],
                    node_cat_start, node_cat_words, cat_bits, g,
                )  # fmt: skip
            if n < 0:
                value = leaf_value[tree_leaves[t] + ~n]
                for q in range(k):
                    total[q] += value
                continue
            node[:] = n
            for _ in range(node_height[first + n]):
                for q in range(k):
                    n = node[q]
                    if n >= 0:
                        g = first + n
                        info = node_info[g]
                        node[q] = _child(
                            info, node_links[g], rows[q, info & 0xFFFFFFFF], node_threshold[g],
                            node_cat_start, node_cat_words, cat_bits, g,
                        )  # fmt: skip
            for q in range(k):
                total[q] += leaf_value[tree_leaves[t] + ~node[q]]


def _pack_nodes(arrays: dict[str, NDArray]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each split node's feature, decision type and NaN / near-zero directions in one int64
    (``info``: feature in bits 0-31, ``decision_type`` in 32-39, bit 40 set when NaN goes
    left, bit 41 when a value within ``ZERO_THRESHOLD`` of 0 goes left) and its two children
    in another (``links``: left child in the low 32 bits, right in the high 32, signed), so
    that a step down a tree reads three numbers of the node.

    LightGBM reads NaN as 0.0 unless the node's missing type is NaN (then NaN goes the
    default way) and sends zero and NaN the default way under missing type Zero; a value
    within ``ZERO_THRESHOLD`` of 0 is read as 0.0."""
    kind = arrays["node_kind"].astype(np.int64) & 0xFF
    missing, default_left = (kind >> 2) & 3, (kind & _DEFAULT_LEFT) != 0
    zero_goes_left = arrays["node_threshold"] >= 0.0
    nan_left = np.where(missing != 0, default_left, zero_goes_left)
    zero_left = np.where(missing == _MISSING_ZERO, default_left, zero_goes_left)
    info = (
        arrays["node_feature"].astype(np.int64)
        | (kind << 32)
        | (nan_left.astype(np.int64) << 40)
        | (zero_left.astype(np.int64) << 41)
    )
    left = arrays["node_left"].astype(np.int64) & 0xFFFFFFFF
    links = left | (arrays["node_right"].astype(np.int64) << 32)
    return info, links


@numba.njit(cache=True)
def _fill_tables(
    leaf_slots: NDArray[np.int64],
    leaf_table: NDArray[np.int64],
    leaf_value: NDArray[np.float64],
    slot_z: NDArray[np.float64],
    table_vf: NDArray[np.float64],
    table_z: NDArray[np.float64],
) -> None:  # pragma: no cover - compiled by numba (its tables are tested through SHAP values)
    """``v·F(M)`` and ``Z(M)`` of every leaf and every subset ``M`` of its path features."""
    poly = np.empty(64, dtype=np.float64)
    for leaf in range(len(leaf_value)):
        s0 = leaf_slots[leaf]
        u = leaf_slots[leaf + 1] - s0
        if u == 0:
            continue
        weight = np.empty(u, dtype=np.float64)  # |S|! (u - |S| - 1)! / u!
        weight[0] = 1.0 / u
        for s in range(1, u):
            weight[s] = weight[s - 1] * s / (u - s)
        t0 = leaf_table[leaf]
        for mask in range(1 << u):
            # Elementary symmetric polynomials e_0..e_m of z over the subset (m = its size).
            poly[0] = 1.0
            m = 0
            z_rest = 1.0
            for k in range(u):
                z = slot_z[s0 + k]
                if mask & (1 << k):
                    m += 1
                    poly[m] = 0.0
                    for d in range(m, 0, -1):
                        poly[d] += z * poly[d - 1]
                else:
                    z_rest *= z
            total = 0.0
            for s in range(m + 1):  # S of size s leaves m - s features at their zero fraction
                total += weight[s] * poly[m - s]
            table_vf[t0 + mask] = leaf_value[leaf] * total
            table_z[t0 + mask] = z_rest


class _NotTabulableError(ValueError):
    """A model this module does not tabulate (LightGBM's ``pred_contrib`` is used)."""


@dataclass(frozen=True)
class _Tree:
    """One tree of the LightGBM text model (split nodes, then leaves)."""

    split_feature: list[int]
    threshold: list[float]
    decision_type: list[int]
    left_child: list[int]
    right_child: list[int]
    internal_count: list[float]
    leaf_value: list[float]
    leaf_count: list[float]
    cat_boundaries: list[int]
    cat_threshold: list[int]


def _parse_trees(model_text: str) -> list[_Tree]:
    """The trees of a LightGBM text model (its own full-precision numbers)."""
    trees: list[_Tree] = []
    body = model_text.split("end of trees", 1)[0]
    for block in body.split("\nTree=")[1:]:
        fields: dict[str, str] = {}
        for line in block.splitlines()[1:]:
            key, sep, value = line.partition("=")
            if sep:
                fields[key] = value
        if int(fields.get("is_linear", "0")):
            raise _NotTabulableError("linear trees")

        def ints(key: str, fields: dict[str, str] = fields) -> list[int]:
            return [int(v) for v in fields[key].split()] if fields.get(key) else []

        def floats(key: str, fields: dict[str, str] = fields) -> list[float]:
            return [float(v) for v in fields[key].split()] if fields.get(key) else []

        trees.append(
            _Tree(
                split_feature=ints("split_feature"),
                threshold=floats("threshold"),
                decision_type=ints("decision_type"),
                left_child=ints("left_child"),
                right_child=ints("right_child"),
                internal_count=floats("internal_count"),
                leaf_value=floats("leaf_value"),
                leaf_count=floats("leaf_count"),
                cat_boundaries=ints("cat_boundaries"),
                cat_threshold=ints("cat_threshold"),
            )
        )
    return trees


def _heights(tree: _Tree) -> list[int]:
    """Split levels from each split node down to its deepest leaf."""
    n_nodes = len(tree.split_feature)
    order, stack = [], [0] if n_nodes else []
    while stack:  # pre-order: a node before its children
        node = stack.pop()
        order.append(node)
        stack.extend(c for c in (tree.left_child[node], tree.right_child[node]) if c >= 0)
    height = [0] * n_nodes
    for node in reversed(order):
        children = (tree.left_child[node], tree.right_child[node])
        height[node] = 1 + max(height[c] if c >= 0 else 0 for c in children)
    return height


def _expected_value(tree: _Tree) -> float:
    """LightGBM's ``Tree::ExpectedValue`` (cover-weighted mean leaf value), same order."""
    if not tree.split_feature:
        return tree.leaf_value[0]
    total = tree.internal_count[0]
    value = 0.0
    for count, leaf_value in zip(tree.leaf_count, tree.leaf_value, strict=True):
        value += (count / total) * leaf_value
    return value


class TreeShap:
    """Tabulated TreeSHAP of one booster (see the module docstring)."""

    def __init__(self, arrays: dict[str, NDArray], base_value: float, n_features: int) -> None:
        self._arrays = arrays
        self._args = tuple(arrays[name] for name in _KERNEL_ARRAYS)
        self._walk_args = tuple(arrays[name] for name in _WALK_ARRAYS)
        self.base_value = base_value
        self.n_features = n_features

    @classmethod
    def from_booster(cls, booster: lgb.Booster) -> TreeShap | None:
        """Tables for ``booster`` (a binary model), or ``None`` when they would be too big
        or the trees are linear."""
        return cls.from_model_text(booster.model_to_string(), booster.num_feature())

    @classmethod
    def from_model_text(cls, model_text: str, n_features: int) -> TreeShap | None:
        try:
            trees = _parse_trees(model_text)
        except _NotTabulableError:
            return None
        builder = _TableBuilder()
        base_value = 0.0
        for tree in trees:
            base_value += _expected_value(tree)
            try:
                builder.add(tree)
            except _NotTabulableError:
                return None
            if builder.table_entries > MAX_TABLE_ENTRIES:
                return None
        arrays = builder.arrays()
        _fill_tables(
            arrays["leaf_slots"],
            arrays["leaf_table"],
            arrays["leaf_value"],
            arrays["slot_z"],
            arrays["table_vf"],
            arrays["table_z"],
        )
        return cls(arrays, base_value, n_features)

    def contributions(
        self, X: NDArray[np.float64], *, num_threads: int | None = None
    ) -> NDArray[np.float64]:
        """``(rows, features + 1)``: each row's log-odds contribution per feature, then the
        base value (LightGBM's ``pred_contrib`` layout). Blocks of rows are spread over
        ``num_threads`` threads (all cores when None; the kernel releases the GIL); the values
        do not depend on it."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"matrix has shape {X.shape}; the model expects {self.n_features}")
        out = np.empty((len(X), self.n_features + 1), dtype=np.float64)
        blocks = [(i, min(i + _BLOCK_ROWS, len(X))) for i in range(0, len(X), _BLOCK_ROWS)]

        def run(block: tuple[int, int]) -> None:
            start, stop = block
            phiT = np.zeros((self.n_features + 1, stop - start), dtype=np.float64)
            _shap_block(np.ascontiguousarray(X[start:stop].T), phiT, *self._args)
            phiT[self.n_features] += self.base_value
            out[start:stop] = phiT.T

        threads = max(1, min(num_threads or os.cpu_count() or 1, len(blocks)))
        if threads == 1:
            for block in blocks:
                run(block)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(run, blocks))
        return out

    def raw_scores(
        self,
        grid: NDArray[np.float64],
        base: NDArray[np.float64] | None = None,
        moving: NDArray[np.intp] | None = None,
    ) -> NDArray[np.float64]:
        """Raw scores (log-odds) of the rows of ``grid``, equal to LightGBM's
        ``predict(raw_score=True)`` to the bit (same leaves, same summation order).

        For a grid of variants of ``base`` rows (``len(grid) // len(base)`` consecutive rows
        per base row, differing from it only in the features at positions ``moving``), each
        tree is walked by the base row down to the first split on a moving feature of its path
        and only from there by the grid rows."""
        grid = np.ascontiguousarray(grid, dtype=np.float64)
        if grid.ndim != 2 or grid.shape[1] != self.n_features:
            raise ValueError(f"matrix has shape {grid.shape}; the model expects {self.n_features}")
        mask = np.zeros(self.n_features, dtype=np.bool_)
        if base is None:
            base = grid
        else:
            mask[np.asarray(moving if moving is not None else [], dtype=np.intp)] = True
        base = np.ascontiguousarray(base, dtype=np.float64).reshape(-1, self.n_features)
        if not len(base) or len(grid) % len(base):
            raise ValueError(f"{len(grid)} grid rows for {len(base)} base rows")
        out = np.empty(len(grid), dtype=np.float64)
        if len(grid):
            _grid_raw(base, grid, mask, out, *self._walk_args)
        return out

    def leaves(self, X: NDArray[np.float64]) -> NDArray[np.int64]:
        """Leaf index of every row in every tree (as ``predict(pred_leaf=True)``), from the
        same split decisions as :meth:`contributions`; for checking them against LightGBM."""
        a = self._arrays
        X = np.asarray(X, dtype=np.float64)
        tree_nodes = a["tree_nodes"]
        result = np.zeros((len(X), len(tree_nodes) - 1), dtype=np.int64)
        for t in range(len(tree_nodes) - 1):
            first = int(tree_nodes[t])
            if tree_nodes[t + 1] == first:
                continue
            for r, x in enumerate(X):
                node = 0
                while node >= 0:
                    g = first + node
                    go_left = _goes_left.py_func(
                        float(x[a["node_feature"][g]]),
                        int(a["node_kind"][g]),
                        float(a["node_threshold"][g]),
                        int(a["node_cat_start"][g]),
                        int(a["node_cat_words"][g]),
                        a["cat_bits"],
                    )
                    node = int(a["node_left"][g] if go_left else a["node_right"][g])
                result[r, t] = ~node
        return result


_WALK_ARRAYS = (
    "tree_nodes",
    "tree_leaves",
    "node_info",
    "node_links",
    "node_threshold",
    "node_height",
    "node_cat_start",
    "node_cat_words",
    "cat_bits",
    "leaf_value",
)
_KERNEL_ARRAYS = (
    "tree_nodes",
    "tree_leaves",
    "node_feature",
    "node_threshold",
    "node_kind",
    "node_cat_start",
    "node_cat_words",
    "cat_bits",
    "leaf_path",
    "leaf_slots",
    "leaf_table",
    "path_node",
    "path_left",
    "path_slot",
    "slot_feature",
    "slot_weight",
    "table_vf",
    "table_z",
)


class _TableBuilder:
    """Flattens trees into the kernel's arrays (node, leaf, path and slot tables)."""

    def __init__(self) -> None:
        self.tree_nodes = [0]
        self.tree_leaves = [0]
        self.node_height: list[int] = []
        self.node: dict[str, list[float]] = {
            k: [] for k in ("feature", "threshold", "kind", "cat_start", "cat_words", "l", "r")
        }
        self.cat_bits: list[int] = []
        self.leaf_path = [0]
        self.leaf_slots = [0]
        self.leaf_table = [0]
        self.leaf_value: list[float] = []
        self.path_node: list[int] = []
        self.path_left: list[bool] = []
        self.path_slot: list[int] = []
        self.slot_feature: list[int] = []
        self.slot_z: list[float] = []
        self.table_entries = 0

    def add(self, tree: _Tree) -> None:
        n_nodes = len(tree.split_feature)
        n_leaves = len(tree.leaf_value)
        cat_offset = len(self.cat_bits)
        self.cat_bits.extend(tree.cat_threshold)
        for j in range(n_nodes):
            kind = tree.decision_type[j]
            self.node["feature"].append(tree.split_feature[j])
            self.node["threshold"].append(tree.threshold[j])
            self.node["kind"].append(kind)
            self.node["l"].append(tree.left_child[j])
            self.node["r"].append(tree.right_child[j])
            if kind & _CATEGORICAL:
                cat = int(tree.threshold[j])
                start, stop = tree.cat_boundaries[cat], tree.cat_boundaries[cat + 1]
                self.node["cat_start"].append(cat_offset + start)
                self.node["cat_words"].append(stop - start)
            else:
                self.node["cat_start"].append(0)
                self.node["cat_words"].append(0)
        leaves: list[tuple[list[tuple[int, bool]], int]] = []
        if n_nodes:
            stack: list[tuple[int, list[tuple[int, bool]]]] = [(0, [])]
            while stack:
                node, path = stack.pop()
                children = ((tree.left_child[node], True), (tree.right_child[node], False))
                for child, went_left in children:
                    step = [*path, (node, went_left)]
                    if child < 0:
                        leaves.append((step, ~child))
                    else:
                        stack.append((child, step))
            leaves.sort(key=lambda item: item[1])
        else:
            leaves.append(([], 0))
        for path, leaf in leaves:
            self._add_leaf(tree, path, leaf)
        self.tree_nodes.append(self.tree_nodes[-1] + n_nodes)
        self.tree_leaves.append(self.tree_leaves[-1] + n_leaves)
        self.node_height.extend(_heights(tree))

    def _add_leaf(self, tree: _Tree, path: list[tuple[int, bool]], leaf: int) -> None:
        slots: dict[int, int] = {}
        zero_fraction: list[float] = []
        for node, went_left in path:
            feature = tree.split_feature[node]
            child = tree.left_child[node] if went_left else tree.right_child[node]
            child_count = tree.leaf_count[~child] if child < 0 else tree.internal_count[child]
            ratio = child_count / tree.internal_count[node]
            if feature not in slots:
                slots[feature] = len(slots)
                zero_fraction.append(1.0)
            slot = slots[feature]
            zero_fraction[slot] *= ratio
            self.path_node.append(node)
            self.path_left.append(went_left)
            self.path_slot.append(slot)
        u = len(slots)
        if u > 30:
            raise _NotTabulableError("a leaf path with more than 30 distinct features")
        self.slot_feature.extend(slots)
        self.slot_z.extend(zero_fraction)
        self.leaf_value.append(tree.leaf_value[leaf])
        self.leaf_path.append(len(self.path_node))
        self.leaf_slots.append(len(self.slot_feature))
        size = (1 << u) if u else 0
        self.table_entries += size
        self.leaf_table.append(self.leaf_table[-1] + size)

    def arrays(self) -> dict[str, NDArray]:
        i64 = np.int64
        slot_z = np.asarray(self.slot_z, dtype=np.float64)
        arrays: dict[str, NDArray] = {
            "tree_nodes": np.asarray(self.tree_nodes, dtype=i64),
            "tree_leaves": np.asarray(self.tree_leaves, dtype=i64),
            "node_height": np.asarray(self.node_height, dtype=i64),
            "node_feature": np.asarray(self.node["feature"], dtype=np.int32),
            "node_threshold": np.asarray(self.node["threshold"], dtype=np.float64),
            "node_kind": np.asarray(self.node["kind"], dtype=np.int8),
            "node_cat_start": np.asarray(self.node["cat_start"], dtype=np.int32),
            "node_cat_words": np.asarray(self.node["cat_words"], dtype=np.int32),
            "node_left": np.asarray(self.node["l"], dtype=i64),
            "node_right": np.asarray(self.node["r"], dtype=i64),
            "cat_bits": np.asarray(self.cat_bits, dtype=np.uint32),
            "leaf_path": np.asarray(self.leaf_path, dtype=i64),
            "leaf_slots": np.asarray(self.leaf_slots, dtype=i64),
            "leaf_table": np.asarray(self.leaf_table, dtype=i64),
            "leaf_value": np.asarray(self.leaf_value, dtype=np.float64),
            "path_node": np.asarray(self.path_node, dtype=np.int32),
            "path_left": np.asarray(self.path_left, dtype=np.bool_),
            "path_slot": np.asarray(self.path_slot, dtype=i64),
            "slot_feature": np.asarray(self.slot_feature, dtype=np.int32),
            "slot_z": slot_z,
            "slot_weight": 1.0 - slot_z,
            "table_vf": np.zeros(self.table_entries, dtype=np.float64),
            "table_z": np.zeros(self.table_entries, dtype=np.float64),
        }
        arrays["node_info"], arrays["node_links"] = _pack_nodes(arrays)
        return arrays
