"""The trees of a fitted scikit-learn histogram gradient boosting model, checked for walking.

:mod:`explain.treeshap` and :mod:`explain.tree_predict` walk the trees themselves; both accept
only what they represent exactly: a fitted regressor or binary classifier without native
categorical splits, and a matrix with the model's columns. They read scikit-learn's private
tree attributes (``_predictors``, ``TreePredictor.nodes``, ``_baseline_prediction``), whose
layout only the versions in :data:`SKLEARN_TESTED` are tested with; others are refused.
"""

from __future__ import annotations

import re

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from sesame_audit.model.explain.compiled import thread_count

__all__ = ["SKLEARN_TESTED", "UnsupportedScikitLearn", "checked_inputs", "native_categorical",
           "sklearn_supported", "trees_of"]

SKLEARN_TESTED = ((1, 6), (1, 10))  # scikit-learn versions >= the first and < the second


class UnsupportedScikitLearn(ValueError):
    """The installed scikit-learn is outside :data:`SKLEARN_TESTED`."""


def sklearn_supported(version: str | None = None) -> bool:
    """Return whether a scikit-learn version is one the tree walkers are tested with.

    Parameters
    ----------
    version : str, optional
        A version string such as ``"1.9.1"``; the installed scikit-learn's by default.

    Returns
    -------
    bool
        True if ``SKLEARN_TESTED[0] <= (major, minor) < SKLEARN_TESTED[1]``.
    """
    found = re.match(r"(\d+)\.(\d+)", version or sklearn.__version__)
    if found is None:
        return False
    low, high = SKLEARN_TESTED
    return low <= (int(found[1]), int(found[2])) < high


def _tested_range() -> str:
    (a, b), (c, d) = SKLEARN_TESTED
    return f">={a}.{b},<{c}.{d}"


def trees_of(
    estimator: HistGradientBoostingRegressor | HistGradientBoostingClassifier,
) -> tuple[list[np.ndarray], float]:
    """Return the node arrays of the estimator's trees and its baseline (raw) prediction.

    Parameters
    ----------
    estimator : HistGradientBoostingRegressor or HistGradientBoostingClassifier
        A fitted regressor or binary classifier without native categorical splits.

    Returns
    -------
    trees : list of numpy.ndarray
        Each tree's structured node array (scikit-learn's ``TreePredictor.nodes``), in order.
    baseline : float
        The raw prediction before any tree.

    Raises
    ------
    TypeError
        If ``estimator`` is not a histogram gradient boosting model.
    ValueError
        If it is unfitted, multiclass or uses native categorical splits.
    UnsupportedScikitLearn
        If the installed scikit-learn is not one the walkers are tested with.
    """
    if not sklearn_supported():
        raise UnsupportedScikitLearn(
            f"scikit-learn {sklearn.__version__} is not supported by the fast tree walkers "
            f"(tested with {_tested_range()}); install scikit-learn{_tested_range()}")
    if not isinstance(estimator, (HistGradientBoostingRegressor, HistGradientBoostingClassifier)):
        raise TypeError(
            "expected a fitted HistGradientBoostingRegressor or HistGradientBoostingClassifier, "
            f"got {type(estimator).__name__}"
        )
    if not hasattr(estimator, "_predictors"):
        raise ValueError("the estimator is not fitted")
    if estimator.n_trees_per_iteration_ != 1:
        raise ValueError("only regression and binary classification are supported")
    if getattr(estimator, "_preprocessor", None) is not None or (
        estimator.is_categorical_ is not None and estimator.is_categorical_.any()
    ):
        raise ValueError(
            "Native categorical features are not supported; ordinal-encode the categorical "
            "columns and fit with categorical_features=None instead."
        )
    trees = [iteration[0].nodes for iteration in estimator._predictors]
    return trees, float(np.asarray(estimator._baseline_prediction).reshape(-1)[0])


def native_categorical(
    estimator: HistGradientBoostingRegressor | HistGradientBoostingClassifier, X: object,
) -> tuple[list[np.ndarray], float, list[np.ndarray], np.ndarray, np.ndarray]:
    """The trees of a model with native categorical splits, with what walking them needs.

    The model encodes its inputs first (categories to codes, categorical columns first);
    a categorical split sends a code left when it is in the split's left set, a category
    the model never saw and a missing value where the split sends missing values, exactly
    as ``predict`` does. Each categorical node gets its effective 256-bit left set.

    Parameters
    ----------
    estimator : HistGradientBoostingRegressor or HistGradientBoostingClassifier
        A fitted regressor or binary classifier with native categorical features.
    X : array-like
        The rows the model takes (as ``predict`` would).

    Returns
    -------
    trees : list of numpy.ndarray
        Node records of each tree, over the encoded columns.
    baseline : float
        The raw prediction before any tree.
    left_sets : list of numpy.ndarray
        Per tree, an ``(n_nodes, 8)`` uint32 bitset of the codes each categorical node
        sends left (zero for other nodes).
    encoded : numpy.ndarray
        ``X`` as the trees read it (float64).
    owner : numpy.ndarray
        For each encoded column, the input column it comes from.

    Raises
    ------
    ValueError
        As :func:`trees_of` for anything but the categorical splits.
    """
    if not sklearn_supported():
        trees_of(estimator)  # raises UnsupportedScikitLearn
    preprocessor = getattr(estimator, "_preprocessor", None)
    if preprocessor is None or estimator.n_trees_per_iteration_ != 1:
        raise ValueError("expected a regressor or binary classifier with native categorical "
                         "features")
    known, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
    sets = []
    for iteration in estimator._predictors:
        predictor = iteration[0]
        nodes = predictor.nodes
        bits = np.zeros((len(nodes), 8), dtype=np.uint32)
        split = np.flatnonzero(nodes["is_categorical"].astype(bool)
                               & ~nodes["is_leaf"].astype(bool))
        for n in split.tolist():
            left = predictor.raw_left_cat_bitsets[nodes["bitset_idx"][n]]
            unknown = ~known[f_idx_map[nodes["feature_idx"][n]]]
            bits[n] = left | (unknown if nodes["missing_go_to_left"][n] else 0)
        sets.append(bits)
    mask = np.asarray(estimator.is_categorical_, dtype=bool)
    owner = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
    encoded = np.asarray(estimator._preprocess_X(X, reset=False), dtype=np.float64)
    baseline = float(np.asarray(estimator._baseline_prediction).reshape(-1)[0])
    return [it[0].nodes for it in estimator._predictors], baseline, sets, encoded, owner


def checked_inputs(
    estimator: HistGradientBoostingRegressor | HistGradientBoostingClassifier,
    X: np.ndarray,
    n_jobs: int,
) -> tuple[np.ndarray, float, int]:
    """Check a model, its input matrix and a thread count before walking the trees.

    Parameters
    ----------
    estimator : HistGradientBoostingRegressor or HistGradientBoostingClassifier
        A fitted model (see :func:`trees_of`).
    X : numpy.ndarray
        The matrix to walk, with the estimator's columns.
    n_jobs : int
        Threads, or -1 for the process's setting (see :func:`explain.compiled.thread_count`).

    Returns
    -------
    X : numpy.ndarray
        ``X`` as an array.
    baseline : float
        The raw prediction before any tree.
    n_jobs : int
        The number of threads to use.

    Raises
    ------
    TypeError, ValueError
        As :func:`trees_of`; a ValueError for the wrong shape or thread count.
    """
    _, baseline = trees_of(estimator)
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X must have shape (n_rows, {estimator.n_features_in_}), got {X.shape}")
    return X, baseline, thread_count(n_jobs)
