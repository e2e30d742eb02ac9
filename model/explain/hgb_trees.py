"""The trees of a fitted scikit-learn histogram gradient boosting model, checked for walking.

:mod:`explain.treeshap` and :mod:`explain.tree_predict` walk the trees themselves; both accept
only what they represent exactly: a fitted regressor or binary classifier without native
categorical splits, and a matrix with the model's columns.
"""

from __future__ import annotations

import os

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

__all__ = ["checked_inputs", "trees_of"]


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
    """
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
        Threads, or -1 for one per core.

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
    n_jobs = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    if n_jobs < 1:
        raise ValueError("n_jobs must be a positive integer or -1")
    return X, baseline, n_jobs
