"""Checks of the trees inside a loaded model file, before any code walks them.

A skops file rebuilds scikit-learn's trees from plain node arrays, and the compiled code that
walks them (scikit-learn's, shap's, this project's numba kernels) trusts those arrays: a
child index out of range reads outside memory (the process crashes), a child that points
back up loops forever, a feature index past the model's columns reads another row's data.
:func:`check_trees` finds every tree in a model (``tree_`` of decision trees, forests and
gradient boosting; the predictors of histogram gradient boosting) and refuses any whose
structure is not a proper tree. The rule for both kinds: every internal node's two children
come after it (scikit-learn numbers nodes so) and every node but the root is the child of
exactly one node, which makes the nodes one tree reached from the root, without cycles.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sesame_audit.model.core.bad_input import BadInputError

__all__ = ["TreeStructureError", "check_trees"]

_MAX_DEPTH_WALKED = 200  # nested containers deeper than this are not a model


class TreeStructureError(BadInputError):
    """A model file whose trees are not well-formed trees."""


def _check_edges(left: np.ndarray, right: np.ndarray, internal: np.ndarray, where: str
                 ) -> None:
    """Refuse unless the internal nodes' children make one tree, children after parents."""
    n = len(internal)
    parents = np.flatnonzero(internal)
    kids = np.concatenate([left[parents], right[parents]]).astype(np.int64)
    if kids.size and (kids.min() < 0 or kids.max() >= n):
        raise TreeStructureError(f"{where} has a child index outside its {n} nodes")
    if kids.size and not (np.concatenate([parents, parents]) < kids).all():
        raise TreeStructureError(f"{where} has a node whose child comes before it (a loop)")
    if not np.array_equal(np.sort(kids), np.arange(1, n)):
        raise TreeStructureError(f"{where} has nodes shared by two parents or never reached "
                                 "from the root")


def _depth(left: np.ndarray, right: np.ndarray, internal: np.ndarray) -> int:
    depth = [0] * len(internal)
    lefts, rights = left.tolist(), right.tolist()
    for i in np.flatnonzero(internal).tolist():  # parents before children
        depth[lefts[i]] = depth[rights[i]] = depth[i] + 1
    return max(depth)


def _check_sklearn_tree(tree: Any, n_features: int, where: str) -> None:
    """Check a ``sklearn.tree._tree.Tree`` against the columns its model takes."""
    n = int(tree.node_count)
    left = np.asarray(tree.children_left)
    right = np.asarray(tree.children_right)
    if n < 1 or len(left) != n or len(right) != n:
        raise TreeStructureError(f"{where} has {n} nodes but arrays of another length")
    leaf = left == -1
    if not np.array_equal(leaf, right == -1):
        raise TreeStructureError(f"{where} has a node with one child only")
    internal = ~leaf
    _check_edges(left, right, internal, where)
    if int(tree.n_features) > n_features:
        raise TreeStructureError(f"{where} claims {int(tree.n_features)} features but its "
                                 f"model takes {n_features}")
    feature = np.asarray(tree.feature)[internal]
    if feature.size and (feature.min() < 0 or feature.max() >= n_features):
        raise TreeStructureError(f"{where} splits on a feature index outside the model's "
                                 f"{n_features} features")
    if np.isnan(np.asarray(tree.threshold)[internal]).any():
        raise TreeStructureError(f"{where} has a split without a threshold (NaN)")
    value = np.asarray(tree.value)
    if value.shape != (n, int(tree.n_outputs), int(tree.max_n_classes)):
        raise TreeStructureError(f"{where} has leaf values of shape {value.shape}, not "
                                 f"({n}, {int(tree.n_outputs)}, {int(tree.max_n_classes)})")
    if not np.isfinite(value).all():
        raise TreeStructureError(f"{where} has a value that is not a finite number")
    if int(tree.max_depth) != _depth(left, right, internal):
        raise TreeStructureError(f"{where} states a depth other than its own")


def _check_predictor(predictor: Any, n_features: int, where: str) -> None:
    """Check a histogram gradient boosting ``TreePredictor``."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    nodes = getattr(predictor, "nodes", None)
    if not isinstance(nodes, np.ndarray) or nodes.dtype != PREDICTOR_RECORD_DTYPE \
            or nodes.ndim != 1 or len(nodes) < 1:
        raise TreeStructureError(f"{where} does not hold a node array of scikit-learn's layout")
    internal = nodes["is_leaf"] == 0
    if not np.isin(nodes["is_leaf"], (0, 1)).all():
        raise TreeStructureError(f"{where} has a node neither leaf nor split")
    left, right = nodes["left"], nodes["right"]
    _check_edges(left, right, internal, where)
    feature = nodes["feature_idx"][internal]
    if feature.size and (feature.min() < 0 or feature.max() >= n_features):
        raise TreeStructureError(f"{where} splits on a feature index outside the model's "
                                 f"{n_features} features")
    if np.isnan(nodes["num_threshold"][internal]).any():
        raise TreeStructureError(f"{where} has a split without a threshold (NaN)")
    if not np.isfinite(nodes["value"]).all():
        raise TreeStructureError(f"{where} has a value that is not a finite number")
    for field in ("raw_left_cat_bitsets", "binned_left_cat_bitsets"):
        bitsets = getattr(predictor, field, None)
        if not isinstance(bitsets, np.ndarray) or bitsets.dtype != np.uint32 \
                or bitsets.ndim != 2 or bitsets.shape[1] != 8:
            raise TreeStructureError(f"{where} holds category sets of another layout")
        if (nodes["bitset_idx"][internal & (nodes["is_categorical"] != 0)]
                >= bitsets.shape[0]).any():
            raise TreeStructureError(f"{where} has a category split without its set")
    counts = nodes["count"].astype(np.int64)
    if (counts[internal] < 1).any():
        raise TreeStructureError(f"{where} has a split that no training row reached")


def _check_estimator(est: Any, name: str) -> None:
    """Checks of one estimator's own fields that its compiled code relies on."""
    predictors = getattr(est, "_predictors", None)
    if predictors is not None:  # HistGradientBoosting*: category splits need their columns
        flags = getattr(getattr(est, "_bin_mapper", None), "is_categorical_", None)
        flags = np.zeros(0, dtype=bool) if flags is None else np.asarray(flags) != 0
        n_features = getattr(est, "n_features_in_", None)
        if flags.size and flags.size != n_features:
            raise TreeStructureError(f"{name} marks categorical columns of another count")
        for trees in predictors:
            for tree in trees:
                nodes = getattr(tree, "nodes", None)
                if not isinstance(nodes, np.ndarray) or nodes.dtype.names is None \
                        or "is_categorical" not in nodes.dtype.names:
                    continue  # refused when the tree itself is checked
                split = (nodes["is_leaf"] == 0) & (nodes["is_categorical"] != 0)
                features = nodes["feature_idx"][split]
                if features.size and (features.min() < 0 or features.max() >= flags.size
                                      or not flags[features].all()):
                    raise TreeStructureError(f"{name} splits by category on a column not "
                                             "marked categorical")
    stages = getattr(est, "estimators_", None)
    per_iteration = getattr(est, "n_trees_per_iteration_", None)
    if isinstance(stages, np.ndarray) and per_iteration is not None:  # GradientBoosting*
        classes = len(getattr(est, "classes_", ()))
        expected = classes if classes > 2 else 1
        if stages.ndim != 2 or stages.shape[1] != per_iteration or per_iteration != expected:
            raise TreeStructureError(f"{name} has trees in a layout other than its classes")
        init_classes = getattr(getattr(est, "init_", None), "classes_", None)
        if init_classes is not None and classes and len(init_classes) != classes:
            raise TreeStructureError(f"{name} starts from a model of other classes")
    if predictors is not None and per_iteration is not None \
            and any(len(trees) != per_iteration for trees in predictors):
        raise TreeStructureError(f"{name} has trees in a layout other than its classes")


def _walk(obj: Any, n_features: int | None, name: str, seen: set[int], depth: int) -> None:
    """Check the trees below ``obj``; ``n_features`` is the column count its rows arrive with.

    A tree is bounded by its own estimator's columns, and a tree inside an ensemble also by
    the ensemble's (forests and gradient boosting pass their rows on unchecked); the steps
    of a pipeline or a stack see other columns, so nothing else passes a bound down.
    """
    from sklearn.base import BaseEstimator
    from sklearn.ensemble import BaseEnsemble
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    if id(obj) in seen or depth > _MAX_DEPTH_WALKED:
        return
    seen.add(id(obj))
    if isinstance(obj, Tree | TreePredictor):
        if n_features is None:
            raise TreeStructureError(f"{name} is a tree outside a fitted model")
        check = _check_sklearn_tree if isinstance(obj, Tree) else _check_predictor
        check(obj, n_features, name)
        return
    if isinstance(obj, BaseEstimator):
        own = getattr(obj, "n_features_in_", None)
        if isinstance(own, int | np.integer):
            n_features = int(own) if n_features is None else min(n_features, int(own))
        name = type(obj).__name__
        _check_estimator(obj, name)
        passed = {"tree_", "_predictors"} | ({"estimators_"} if isinstance(obj, BaseEnsemble)
                                             else set())
        for key, child in vars(obj).items():
            _walk(child, n_features if key in passed else None, f"{name}.{key}", seen,
                  depth + 1)
        return
    if isinstance(obj, dict):
        children = list(obj.items())
    elif isinstance(obj, list | tuple):
        children = list(enumerate(obj))
    elif isinstance(obj, np.ndarray) and obj.dtype == object:
        children = list(enumerate(obj.ravel()))
    else:
        return
    for key, child in children:
        _walk(child, n_features, f"{name}[{key!r}]", seen, depth + 1)


def check_trees(model: Any) -> None:
    """Refuse a model holding a tree that is not a well-formed tree over the model's columns.

    Parameters
    ----------
    model : object
        A model as loaded from a skops file (estimator or pipeline).

    Raises
    ------
    TreeStructureError
        Naming the tree and the fault: a child index out of range, a loop, a node shared
        or unreachable, a feature index past the model's columns, a NaN threshold, a
        non-finite value, a wrong value shape or depth, or native categorical splits.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> check_trees(DecisionTreeRegressor().fit([[0.0], [1.0]], [0.0, 1.0]))
    """
    try:
        _walk(model, None, type(model).__name__, set(), 0)
    except TreeStructureError as exc:
        raise TreeStructureError(f"the model file is malformed, refused: {exc}") from None
