"""The trees of any fitted scikit-learn tree model, in the node layout the fast kernels walk.

Decision trees, random forests, extra trees and gradient boosting (regressors, and
classifiers on the output their trees add up to) are turned into the node arrays of
:mod:`explain.treeshap`: one record per node with its feature, threshold, missing-value
direction, children, cover (the weighted number of training samples, as shap uses) and
value, the leaf values already scaled so that the trees add up to the model's output:

- a regressor's ``predict``;
- a forest or tree classifier's ``predict_proba`` of one class (its trees' class shares,
  averaged);
- a gradient boosting classifier's log-odds (``decision_function``, binary only).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)

__all__ = ["NODE_DTYPE", "SKLEARN_TREE_MODELS", "as_tree_input", "sklearn_trees"]

NODE_DTYPE = np.dtype([("value", "f8"), ("count", "f8"), ("feature_idx", "i8"),
                       ("num_threshold", "f8"), ("missing_go_to_left", "u1"), ("left", "i8"),
                       ("right", "i8"), ("is_leaf", "u1"), ("is_categorical", "u1")])
_SINGLE = (DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier,
           ExtraTreeRegressor)
_FORESTS = (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier,
            ExtraTreesRegressor)
_BOOSTED = (GradientBoostingClassifier, GradientBoostingRegressor)
SKLEARN_TREE_MODELS = _SINGLE + _FORESTS + _BOOSTED


def as_tree_input(X: np.ndarray) -> np.ndarray:
    """Rows as scikit-learn's trees compare them: rounded to float32, held in float64.

    Decision trees (and the forests and boosting built on them) cast their input to
    float32 before comparing it with a split's threshold; a float64 value just above a
    threshold can round onto it and go left. Walking the trees on these rows follows the
    same paths as ``predict``.

    Parameters
    ----------
    X : numpy.ndarray
        Rows in float64 (NaN is missing).

    Returns
    -------
    numpy.ndarray
        The rows rounded to float32, as float64.
    """
    return np.asarray(X, dtype=np.float32).astype(np.float64)


def _nodes(tree: Any, values: np.ndarray) -> np.ndarray:
    """One tree (``estimator.tree_``) as node records, with the given value per node."""
    left, right = tree.children_left, tree.children_right
    n = tree.node_count
    nodes = np.zeros(n, dtype=NODE_DTYPE)
    leaf = left < 0
    nodes["is_leaf"] = leaf
    nodes["left"] = np.where(leaf, 0, left)
    nodes["right"] = np.where(leaf, 0, right)
    nodes["feature_idx"] = np.where(leaf, 0, tree.feature)
    nodes["num_threshold"] = np.where(leaf, 0.0, tree.threshold)
    nodes["missing_go_to_left"] = np.asarray(tree.missing_go_to_left, dtype=np.uint8)
    nodes["count"] = tree.weighted_n_node_samples
    nodes["value"] = values
    return nodes


def _class_share(tree: Any, column: int) -> np.ndarray:
    """Share of the training samples of each node that are of class ``column``."""
    value = tree.value[:, 0, :]
    total = value.sum(axis=1)
    return np.divide(value[:, column], total, out=np.zeros(len(total)), where=total > 0)


def sklearn_trees(estimator: Any, *, positive: int = 1) -> tuple[list[np.ndarray], float]:
    """Return the node arrays of a fitted scikit-learn tree model and its baseline output.

    Parameters
    ----------
    estimator : a fitted tree model of ``SKLEARN_TREE_MODELS``
        Regressor, or classifier explained on the column ``positive`` of
        ``predict_proba`` (trees and forests) or on the log-odds (gradient boosting, binary).
    positive : int, default=1
        Column of ``classes_`` explained, for classifiers.

    Returns
    -------
    trees : list of numpy.ndarray
        Node records (``NODE_DTYPE``) of each tree, leaf values scaled so that the trees
        add up to the output, nodes in scikit-learn's order (children after parents). Walk
        them on rows passed through :func:`as_tree_input`.
    baseline : float
        The output before any tree (the initial prediction of gradient boosting, else 0).

    Raises
    ------
    TypeError
        For a model that is not one of ``SKLEARN_TREE_MODELS``.
    ValueError
        For an unfitted model, a multi-output model, or a multiclass gradient boosting
        classifier.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> model = RandomForestRegressor(n_estimators=3, random_state=0).fit([[0], [1]], [0, 1])
    >>> trees, baseline = sklearn_trees(model)
    >>> len(trees), baseline
    (3, 0.0)
    """
    if not isinstance(estimator, SKLEARN_TREE_MODELS):
        raise TypeError(f"not a scikit-learn tree model: {type(estimator).__name__}")
    if not hasattr(estimator, "n_features_in_"):
        raise ValueError("the estimator is not fitted")
    if getattr(estimator, "n_outputs_", 1) != 1:
        raise ValueError("only models with one output are supported")
    classifier = hasattr(estimator, "classes_")
    if isinstance(estimator, _BOOSTED):
        if classifier and len(estimator.classes_) != 2:
            raise ValueError("only binary gradient boosting classifiers are supported")
        sign = -1.0 if classifier and positive == 0 else 1.0
        rate = estimator.learning_rate
        trees = [_nodes(t.tree_, sign * rate * t.tree_.value[:, 0, 0])
                 for t in estimator.estimators_[:, 0]]
        zero = np.zeros((1, estimator.n_features_in_))
        baseline = float(np.ravel(estimator._raw_predict_init(zero))[0]) * sign
        return trees, baseline
    members = [estimator] if isinstance(estimator, _SINGLE) else list(estimator.estimators_)
    scale = 1.0 / len(members)
    trees = [_nodes(m.tree_, scale * (_class_share(m.tree_, positive) if classifier
                                      else m.tree_.value[:, 0, 0]))
             for m in members]
    return trees, 0.0
