"""Exact, fast TreeSHAP for scikit-learn's histogram gradient boosting models.

The values are the path-dependent ("interventional-free") TreeSHAP values that
``shap.TreeExplainer(estimator)`` computes by default, i.e. with
``feature_perturbation="tree_path_dependent"`` and node sample counts as cover.

Algorithm
---------
For a leaf ``l`` with value ``v``, let ``U`` be the ``k`` distinct features on its
root path, ``r_j`` the product of the cover ratios ``count(child) / count(parent)``
along the path edges that split on feature ``j``, and ``b_j`` the indicator that a
row satisfies *every* condition on feature ``j`` along that path. The leaf's share
of the path-dependent game is ``v * prod_{j in U} (b_j if j in S else r_j)``, so its
Shapley value for ``i in U`` is::

    phi_i = v * (b_i - r_i) * sum_m w(m, k) * [t^m] prod_{j in U, j != i} (r_j + b_j t)

with ``w(m, k) = m! (k - 1 - m)! / k!``. It depends on the row only through the
``k``-bit pattern ``b``, so (as in Fast TreeSHAP v2, Yang 2021) we tabulate the leaf once for
all ``2**k`` patterns, here as one number per pattern (:mod:`explain.leaf_tables`). Per row
and tree, a single pre-order pass over the nodes tracks which path features have failed; at
each leaf the pattern indexes the table and ``k`` values are added to the row's.

Memory is bounded: the tables of a block of trees are built, used on every row of the chunk
and freed before the next block's, so at most ``table_budget`` bytes of tables are alive
(256 MiB by default). Leaves with more than ``_MAX_TABLE_BITS`` distinct path features
(fewer if a single tree's tables would exceed the budget) are evaluated per row, exactly,
in ``O(k**2)``.
"""

from __future__ import annotations

import itertools
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import DTypeLike
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from sesame_audit.model.explain.hgb_trees import checked_inputs, trees_of
from sesame_audit.model.explain.leaf_tables import (
    fill_tables,
    fill_value_tables,
    plan_tables,
    shapley_weights,
)
from sesame_audit.model.explain.shap_kernel import BLOCK_ROWS, shap_kernel

__all__ = ["flat_ensemble", "hgb_shap_values", "trees_shap_values"]

_MAX_TABLE_BITS = 12  # leaves with more distinct path features are evaluated per row
_TABLE_BUDGET = 2**28  # bytes of tables alive at once (trees are tabled block by block)
_MAX_PATH_FEATURES = 62  # patterns are bit masks in int64
_TASK_ROWS = 16 * BLOCK_ROWS  # rows per thread-pool task, at most


class _FlatEnsemble:
    """All trees of an ensemble concatenated into node arrays, plus the leaf tables.

    Node ``n`` of tree ``t`` lives at ``tree_start[t] + n`` and its children at
    ``tree_start[t] + node_left[n]`` etc.: sklearn stores nodes in pre-order, so
    children come after their parent. ``node_bit`` is ``1 << slot`` where ``slot`` is
    the position of the node's feature among the distinct features on the path from
    the root to it (the same position for every leaf below). ``node_leaf`` is the leaf
    id or -1. Leaf ``l`` has ``leaf_k[l]`` distinct path features
    ``leaf_feats[o:o + k]`` with cover-ratio products ``leaf_r[o:o + k]``,
    ``o = leaf_off[l]``, and its ``2**k`` numbers ``S(p)`` at ``leaf_tab[l]`` in the
    tables of its block of trees (trees ``block_trees[b]:block_trees[b + 1]``), or
    ``leaf_tab[l] == -1`` if it is evaluated per row.
    """

    def __init__(self, trees: list[np.ndarray], max_table_bits: int, budget: int,
                 left_sets: list[np.ndarray] | None = None) -> None:
        leaf_k, leaf_value, leaf_feats, leaf_r, node_bit, node_leaf = [], [], [], [], [], []
        self.expected = 0.0
        for nodes in trees:
            if left_sets is None and np.any(nodes["is_categorical"].astype(bool)
                                            & ~nodes["is_leaf"].astype(bool)):
                raise ValueError(
                    "Native categorical splits are not supported; ordinal-encode the "
                    "categorical columns and fit with categorical_features=None instead."
                )
            is_leaf = nodes["is_leaf"].astype(bool).tolist()
            feature = nodes["feature_idx"].tolist()
            left, right = nodes["left"].tolist(), nodes["right"].tolist()
            count, value = nodes["count"].astype(np.float64).tolist(), nodes["value"].tolist()
            n_nodes = len(nodes)
            paths: list[tuple[list[int], list[float]]] = [([], [])] * n_nodes
            bits, leaf_ids = [0] * n_nodes, [-1] * n_nodes
            for i in range(n_nodes):  # parents before children
                path, ratios = paths[i]
                if is_leaf[i]:
                    leaf_ids[i] = len(leaf_k)
                    leaf_k.append(len(path))
                    leaf_value.append(value[i])
                    leaf_feats.extend(path)
                    leaf_r.extend(ratios)
                    continue
                if not i < left[i] < n_nodes or not i < right[i] < n_nodes:
                    raise ValueError("tree nodes are not in pre-order")
                f = feature[i]
                slot = path.index(f) if f in path else len(path)
                bits[i] = 1 << slot
                for child in (left[i], right[i]):
                    child_ratios = [*ratios, 1.0] if slot == len(path) else list(ratios)
                    child_ratios[slot] *= count[child] / count[i]
                    paths[child] = ([*path, f] if slot == len(path) else path, child_ratios)
            # The expectation (cover-weighted mean of the leaves) bottom-up, as shap does.
            expectation = list(value)
            for i in range(n_nodes - 1, -1, -1):
                if not is_leaf[i]:
                    cl, cr = count[left[i]], count[right[i]]
                    expectation[i] = (cl * expectation[left[i]] + cr * expectation[right[i]]) / (
                        cl + cr
                    )
            self.expected += expectation[0]
            node_bit.extend(bits)
            node_leaf.extend(leaf_ids)

        self.tree_start = np.cumsum([0] + [len(nodes) for nodes in trees])
        self.max_nodes = int(np.diff(self.tree_start).max())
        nodes = np.concatenate(trees)
        self.node_feat = nodes["feature_idx"].astype(np.int64)
        self.node_thr = nodes["num_threshold"].astype(np.float64)
        self.node_miss_left = nodes["missing_go_to_left"].astype(np.bool_)
        self.node_left = nodes["left"].astype(np.int64)
        self.node_right = nodes["right"].astype(np.int64)
        self.node_value = nodes["value"].astype(np.float64)
        self.node_is_leaf = nodes["is_leaf"].astype(np.bool_)
        self.node_bit = np.asarray(node_bit, dtype=np.int64)
        # Categorical splits: node_cat[n] is the row of cat_bits holding the codes sent left.
        split = nodes["is_categorical"].astype(bool) & ~nodes["is_leaf"].astype(bool)
        self.node_cat = np.where(split, np.cumsum(split) - 1, -1).astype(np.int64)
        self.cat_bits = (np.concatenate(left_sets)[split].astype(np.int64) if split.any()
                         and left_sets is not None else np.zeros((1, 8), dtype=np.int64))
        self.node_leaf = np.asarray(node_leaf, dtype=np.int64)
        k = self.leaf_k = np.asarray(leaf_k, dtype=np.int64)
        self.leaf_value = np.asarray(leaf_value, dtype=np.float64)
        self.leaf_off = np.cumsum(k) - k
        self.leaf_feats = np.asarray(leaf_feats, dtype=np.int64)
        self.leaf_r = np.asarray(leaf_r, dtype=np.float64)
        if k.max() > _MAX_PATH_FEATURES:
            raise ValueError(
                f"a root-to-leaf path splits on more than {_MAX_PATH_FEATURES} distinct "
                "features; such trees are not supported"
            )
        self.weights = shapley_weights(int(k.max()))
        tree_leaves = np.cumsum([0] + [int(t["is_leaf"].astype(bool).sum()) for t in trees])
        self.leaf_tab, self.block_trees, self.cap = plan_tables(
            k, self.leaf_r, self.leaf_off, tree_leaves, max_table_bits, budget)
        self.tree_leaves = tree_leaves
        self.block_size = [int(np.where(self.leaf_tab[lo:hi] >= 0, 1 << np.minimum(
            k[lo:hi], 62), 0).sum()) for lo, hi in zip(
            tree_leaves[self.block_trees[:-1]], tree_leaves[self.block_trees[1:]], strict=True)]
        # Small trees: every value tabulated (k * 2**k per leaf) when all of them fit.
        values = np.where(self.leaf_tab >= 0, k << np.minimum(k, 62), 0)
        self.per_value = bool(len(self.block_trees) == 2 and 8 * values.sum() <= budget)
        if self.per_value:
            self.leaf_tab = np.where(self.leaf_tab >= 0, np.cumsum(values) - values, -1)
            self.block_size = [int(values.sum())]
        self._tables: np.ndarray | None = None  # of the only block, kept when there is one
        # The arguments of shap_kernel after the rows and tree range, before the tables.
        self.arrays = (
            self.tree_start,
            self.max_nodes,
            self.node_feat,
            self.node_thr,
            self.node_miss_left,
            self.node_left,
            self.node_right,
            self.node_cat,
            self.cat_bits,
            self.node_bit,
            self.node_leaf,
            self.leaf_k,
            self.leaf_value,
            self.leaf_off,
            self.leaf_feats,
            self.leaf_r,
            self.leaf_tab,
            self.weights,
            self.per_value,
        )

    def tables(self, block: int, n_jobs: int) -> np.ndarray:
        """Return the tables of a block of trees, filled on ``n_jobs`` threads.

        Parameters
        ----------
        block : int
            Index of the block (see ``block_trees``).
        n_jobs : int
            Threads filling them.

        Returns
        -------
        numpy.ndarray
            ``S(p)`` of every pattern of every tabled leaf of the block, at ``leaf_tab``.
        """
        if self._tables is not None:
            return self._tables
        lo = int(self.tree_leaves[self.block_trees[block]])
        hi = int(self.tree_leaves[self.block_trees[block + 1]])
        tables = np.empty(self.block_size[block])
        # Split the leaves so that each thread fills about the same number of entries.
        sizes = np.where(self.leaf_tab[lo:hi] >= 0, 1 << np.minimum(self.leaf_k[lo:hi], 62), 0)
        cuts = np.searchsorted(np.cumsum(sizes), np.linspace(0, sizes.sum(), n_jobs + 1)[1:-1])
        bounds = [lo, *(lo + int(c) for c in cuts), hi]
        fill, args = fill_tables, (self.leaf_k, self.leaf_off, self.leaf_r, self.leaf_tab,
                                   self.weights, tables)
        if self.per_value:
            fill, args = fill_value_tables, (self.leaf_k, self.leaf_value, self.leaf_off,
                                             self.leaf_r, self.leaf_tab, self.weights, tables)
        if n_jobs == 1 or hi - lo < 2:
            fill(lo, hi, *args)
        else:
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                for task in [pool.submit(fill, a, b, *args)
                             for a, b in itertools.pairwise(bounds)]:
                    task.result()
        if len(self.block_trees) == 2:
            self._tables = tables
        return tables


# Flattened trees per live estimator, with the tree objects they were built from.
_FLAT_CACHE: weakref.WeakKeyDictionary[object, tuple[tuple[object, ...], _FlatEnsemble]] = (
    weakref.WeakKeyDictionary())


def flat_ensemble(
    estimator: HistGradientBoostingRegressor | HistGradientBoostingClassifier,
) -> _FlatEnsemble:
    """Return the estimator's trees flattened, with their leaf tables, built once per fit.

    Building them costs ~30 ms for the score model, which would dominate explaining or
    re-scoring one person (a what-if edit). They are kept while the estimator lives, with
    the tree objects they were built from: a refit (or a warm start adding trees) replaces
    those objects, and the next call builds the arrays again.

    Parameters
    ----------
    estimator : HistGradientBoostingRegressor or HistGradientBoostingClassifier
        A fitted model (see :func:`explain.hgb_trees.trees_of`).

    Returns
    -------
    _FlatEnsemble
        Node arrays of all trees, leaf tables and the expected value.
    """
    trees, _ = trees_of(estimator)  # refuses what the flat arrays cannot represent
    predictors = tuple(iteration[0] for iteration in estimator._predictors)
    kept = _FLAT_CACHE.get(estimator)
    # The cache holds the tree objects themselves, so their identities cannot be reused.
    if kept is not None and len(kept[0]) == len(predictors) and all(
        a is b for a, b in zip(kept[0], predictors, strict=True)
    ):
        return kept[1]
    flat = _FlatEnsemble(trees, _MAX_TABLE_BITS, _TABLE_BUDGET)
    _FLAT_CACHE[estimator] = (predictors, flat)
    return flat


def hgb_shap_values(
    estimator: HistGradientBoostingRegressor | HistGradientBoostingClassifier,
    X: np.ndarray,
    *,
    n_jobs: int = 1,
    chunk_rows: int = 200_000,
    dtype: DTypeLike = np.float32,
) -> tuple[np.ndarray, float]:
    """Compute exact path-dependent TreeSHAP values of a histogram gradient boosting model.

    The values equal those of ``shap.TreeExplainer(estimator).shap_values(X)`` (default
    ``feature_perturbation="tree_path_dependent"``, node sample counts as cover), and
    are additive: ``expected_value + values.sum(axis=1)`` is the estimator's raw
    prediction, i.e. ``predict(X)`` for a regressor with an identity link and the
    log-odds (``decision_function(X)``) for a binary classifier.

    Parameters
    ----------
    estimator : HistGradientBoostingRegressor or HistGradientBoostingClassifier
        A fitted model; classifiers must be binary. Native categorical splits are not
        supported (ordinal-encode those columns instead).
    X : numpy.ndarray of shape (n_rows, n_features)
        The numeric matrix to explain, with the columns the estimator was fitted on.
        NaN is treated as missing, exactly as in ``estimator.predict``.
    n_jobs : int, default=1
        Number of threads (the compiled kernel releases the GIL); ``-1`` uses
        ``OMP_NUM_THREADS`` if set, else one per core. The values do not depend on it.
    chunk_rows : int, default=200_000
        Rows converted to float64 and processed per step, which bounds the working
        memory beyond the returned array.
    dtype : dtype-like, default=numpy.float32
        Dtype of the returned values. Computation is in float64 either way.

    Returns
    -------
    values : numpy.ndarray of shape (n_rows, n_features)
        The SHAP value of each feature for each row, in raw (link) units.
    expected_value : float
        The cover-weighted mean raw prediction, the base value of the explanation.

    Raises
    ------
    TypeError
        If ``estimator`` is not a histogram gradient boosting model.
    ValueError
        If it is unfitted, multiclass, uses native categorical splits, or ``X`` has the
        wrong shape.
    """
    X, baseline, n_jobs = checked_inputs(estimator, X, n_jobs)
    values = _walk(flat_ensemble(estimator), X, n_jobs, chunk_rows, dtype)
    return values, baseline + flat_ensemble(estimator).expected


def _walk(flat: _FlatEnsemble, X: np.ndarray, n_jobs: int, chunk_rows: int,
          dtype: DTypeLike) -> np.ndarray:
    """Run the SHAP kernel over ``X`` in chunks of rows, on ``n_jobs`` threads."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    values = np.empty(X.shape, dtype=dtype)
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        for start in range(0, X.shape[0], chunk_rows):
            chunk = np.ascontiguousarray(X[start : start + chunk_rows], dtype=np.float64)
            n = chunk.shape[0]
            direct = values.dtype == np.float64
            out = values[start : start + n] if direct else np.empty(chunk.shape)
            # Tasks of whole row blocks, about four per thread.
            step = BLOCK_ROWS * max(1, min(_TASK_ROWS // BLOCK_ROWS,
                                            -(-n // (4 * n_jobs * BLOCK_ROWS))))
            for block in range(len(flat.block_trees) - 1):
                tables = flat.tables(block, n_jobs)
                trees = (int(flat.block_trees[block]), int(flat.block_trees[block + 1]))
                tasks = [pool.submit(shap_kernel, chunk, lo, min(lo + step, n), *trees,
                                     *flat.arrays, tables, out) for lo in range(0, n, step)]
                for task in tasks:
                    task.result()
                del tables
            if not direct:
                values[start : start + n] = out
    return values


def trees_shap_values(
    trees: list[np.ndarray],
    baseline: float,
    X: np.ndarray,
    *,
    n_jobs: int = 1,
    chunk_rows: int = 200_000,
    dtype: DTypeLike = np.float64,
    table_budget: int = _TABLE_BUDGET,
    left_sets: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, float]:
    """Exact path-dependent TreeSHAP values of any trees given as node records.

    The trees are those of :func:`explain.sklearn_trees.sklearn_trees` (or of
    :func:`explain.hgb_trees.trees_of`): node records with ``feature_idx``,
    ``num_threshold``, ``missing_go_to_left``, ``left``, ``right``, ``count`` (cover),
    ``value``, ``is_leaf`` and ``is_categorical``, children after their parents. The values
    add up, with the returned base value, to ``baseline`` plus the sum of the trees' leaf
    values that each row reaches.

    Parameters
    ----------
    trees : list of numpy.ndarray
        Node records of each tree.
    baseline : float
        Output before any tree.
    X : numpy.ndarray of shape (n_rows, n_features)
        The rows to explain (NaN is missing).
    n_jobs : int, default=1
        Threads; the values do not depend on it.
    chunk_rows : int, default=200_000
        Rows converted to float64 and processed per step.
    dtype : dtype-like, default=numpy.float64
        Dtype of the returned values.
    table_budget : int, default=2**28
        Bytes the per-leaf tables may take at most (leaves with longer paths are evaluated
        per row, exactly, in O(k**2) for k distinct path features): the memory bound of the
        method beside the node arrays.
    left_sets : list of numpy.ndarray, optional
        Per tree, an ``(n_nodes, 8)`` bitset of the category codes each categorical node
        (``is_categorical``) sends left; a NaN or negative code goes where missing values go
        (see :func:`explain.hgb_trees.native_categorical`). Without it, categorical splits
        are refused.

    Returns
    -------
    values : numpy.ndarray of shape (n_rows, n_features)
        SHAP values.
    expected_value : float
        The base value: ``baseline`` plus each tree's cover-weighted mean leaf value.

    Raises
    ------
    ValueError
        For a matrix of the wrong shape, a thread count under 1, or trees that are not in
        the expected order.
    """
    X = np.asarray(X)
    n_features = 1 + max(int(nodes["feature_idx"].max(initial=0)) for nodes in trees)
    if X.ndim != 2 or X.shape[1] < n_features:
        raise ValueError(f"X must have at least {n_features} columns, got shape {X.shape}")
    if n_jobs < 1:
        raise ValueError("n_jobs must be a positive integer")
    flat = _FlatEnsemble(trees, _MAX_TABLE_BITS, table_budget, left_sets)
    return _walk(flat, X, n_jobs, chunk_rows, dtype), baseline + flat.expected
