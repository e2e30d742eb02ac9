"""Fast prediction for scikit-learn's histogram gradient boosting models, equal to ``predict``.

Audits that re-score a whole population (the flip test, the unfriending incentive, the
build's own predictions) spend most of their time in ``HistGradientBoosting*.predict``,
which makes one pass over every row per tree (300 passes for the score model: ~12 s for a
million people on one core). This module walks all trees for one row at a time instead, in
numba with the GIL released, over row ranges on threads. The leaf values are added to the
baseline in the same order as scikit-learn adds them, in float64, so the raw predictions are
the same numbers, not approximations; the tests compare them with ``predict`` on random
models and data with ties and missing values.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from sesame_audit.model.explain.compiled import kernel
from sesame_audit.model.explain.hgb_trees import checked_inputs, sklearn_supported
from sesame_audit.model.explain.treeshap import flat_ensemble

__all__ = ["PREDICT_CHECK_ROWS", "checked_output", "encoded_output", "fast_output",
           "hgb_raw_predict"]

PREDICT_CHECK_ROWS = 4_096  # rows predicted both ways before the fast path is trusted

_BLOCK_ROWS = 512  # rows walked through a tree together
_TASK_ROWS = 32 * _BLOCK_ROWS  # rows per thread-pool task


@kernel(nogil=True)
def _predict_kernel(X, row_start, row_stop, tree_start, max_nodes, feature, threshold,
                    missing_left, left, right, is_leaf, value, baseline,
                    out):  # pragma: no cover - compiled
    """Write ``baseline + sum of the trees' leaf values`` of rows ``row_start:row_stop``.

    Rows go in blocks, transposed, so that each node is one branch-free loop over the
    block: ``reach[n, i]`` is 1.0 if row ``i`` reaches node ``n`` of the tree, and each leaf
    adds ``reach * value`` (its value for the one row that reaches it, an exact zero for the
    others), so every row's total is built in scikit-learn's order, tree after tree.
    """
    n_features = X.shape[1]
    n_trees = tree_start.shape[0] - 1
    xt = np.zeros((n_features, _BLOCK_ROWS))
    reach = np.zeros((max_nodes, _BLOCK_ROWS))
    total = np.empty(_BLOCK_ROWS)
    for r0 in range(row_start, row_stop, _BLOCK_ROWS):
        n_valid = min(row_stop, r0 + _BLOCK_ROWS) - r0
        for i in range(n_valid):
            for f in range(n_features):
                xt[f, i] = X[r0 + i, f]
        total[:] = baseline
        for t in range(n_trees):
            s = tree_start[t]
            reach[0, :] = 1.0
            for n in range(s, tree_start[t + 1]):
                h = n - s
                if is_leaf[n]:
                    v = value[n]
                    for i in range(_BLOCK_ROWS):
                        total[i] += reach[h, i] * v
                    continue
                f = feature[n]
                thr = threshold[n]
                miss = missing_left[n]
                lc = left[n]
                rc = right[n]
                for i in range(_BLOCK_ROWS):
                    x = xt[f, i]
                    # As sklearn: NaN follows missing_go_to_left, else x <= threshold.
                    go = (x <= thr) | (miss & np.isnan(x))
                    r = reach[h, i]
                    reach[lc, i] = r * go
                    reach[rc, i] = r - r * go
        for i in range(n_valid):
            out[r0 + i] = total[i]


def hgb_raw_predict(estimator: HistGradientBoostingRegressor | HistGradientBoostingClassifier,
                    X: np.ndarray, *, n_jobs: int = -1) -> np.ndarray:
    """Return the raw prediction (before the link) of every row, as ``_raw_predict`` does.

    Parameters
    ----------
    estimator : HistGradientBoostingRegressor or HistGradientBoostingClassifier
        A fitted model without native categorical splits; classifiers must be binary.
    X : numpy.ndarray of shape (n_rows, n_features)
        The numeric matrix, with the columns the estimator was fitted on; NaN is missing.
    n_jobs : int, default=-1
        Threads; ``-1`` uses ``OMP_NUM_THREADS`` if set, else one per core. The result does
        not depend on it.

    Returns
    -------
    numpy.ndarray of shape (n_rows,)
        ``predict(X)`` for a squared-error regressor, ``decision_function(X)`` for a binary
        classifier, in float64.

    Raises
    ------
    TypeError, ValueError
        As :func:`explain.hgb_trees.checked_inputs`.
    """
    X, baseline, n_jobs = checked_inputs(estimator, X, n_jobs)
    X = np.ascontiguousarray(X, dtype=np.float64)
    flat = flat_ensemble(estimator)
    arrays = (flat.tree_start, flat.max_nodes, flat.node_feat, flat.node_thr,
              flat.node_miss_left, flat.node_left, flat.node_right, flat.node_is_leaf,
              flat.node_value, float(baseline))
    out = np.empty(X.shape[0], dtype=np.float64)
    if len(X) <= _TASK_ROWS:  # one task: no thread pool to start
        _predict_kernel(X, 0, len(X), *arrays, out)
        return out
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        tasks = [pool.submit(_predict_kernel, X, lo, min(lo + _TASK_ROWS, len(X)), *arrays, out)
                 for lo in range(0, len(X), _TASK_ROWS)]
        for task in tasks:
            task.result()
    return out


def encoded_output(trees: Any, matrix: np.ndarray, output: str, positive: int
                   ) -> np.ndarray | None:
    """Return a boosted model's output for already encoded rows, or None if it cannot.

    Parameters
    ----------
    trees : estimator
        The model's tree ensemble (a pipeline's last step); only a histogram gradient
        boosting regressor, or a binary classifier, without native categorical splits is
        handled.
    matrix : numpy.ndarray
        The rows as the ensemble sees them (after the pipeline's earlier steps).
    output : {"score", "probability", "log_odds"}
        ``score`` is ``predict`` of a regressor; the others are of the positive class.
    positive : int
        Index of the positive class in ``classes_`` (classifiers).

    Returns
    -------
    numpy.ndarray or None
        One float per row, equal to what ``predict``, ``predict_proba`` or
        ``decision_function`` give; None for any other model, or a scikit-learn outside
        :data:`explain.hgb_trees.SKLEARN_TESTED`, which the caller scores the usual way.
    """
    if not isinstance(trees, HistGradientBoostingRegressor | HistGradientBoostingClassifier):
        return None
    if not sklearn_supported():  # the caller's predict() is right for any version
        return None
    regressor = isinstance(trees, HistGradientBoostingRegressor)
    if (output == "score") != regressor or (not regressor and trees.n_trees_per_iteration_ != 1):
        return None
    if getattr(trees, "is_categorical_", None) is not None and trees.is_categorical_.any():
        return None
    raw = hgb_raw_predict(trees, np.asarray(matrix, dtype=np.float64))
    if regressor:
        return np.asarray(trees._loss.link.inverse(raw), dtype=np.float64)
    if output == "probability":
        proba = trees._loss.predict_proba(raw.reshape(-1, 1))
        return np.asarray(proba, dtype=np.float64)[:, positive]
    return raw if positive == 1 else -raw


def fast_output(model: Any, X: pd.DataFrame, output: str, positive: int) -> np.ndarray | None:
    """Return the model's output through :func:`hgb_raw_predict`, or None if it cannot.

    Parameters
    ----------
    model : estimator
        A fitted model or pipeline (see :func:`encoded_output` for the models handled).
    X : pandas.DataFrame
        Inputs, in the columns the model was fitted on.
    output : {"score", "probability", "log_odds"}
        Which output.
    positive : int
        Index of the positive class in ``classes_`` (classifiers).

    Returns
    -------
    numpy.ndarray or None
        See :func:`encoded_output`.
    """
    pre, trees = (model[:-1], model[-1]) if isinstance(model, Pipeline) else (None, model)
    if not isinstance(trees, HistGradientBoostingRegressor | HistGradientBoostingClassifier):
        return None
    encoded = pre.transform(X) if pre is not None and len(pre) else X
    matrix = encoded.to_numpy(dtype=np.float64) if hasattr(encoded, "to_numpy") else encoded
    return encoded_output(trees, matrix, output, positive)


def checked_output(fast: Callable[[], np.ndarray | None],
                   slow: Callable[[pd.DataFrame], np.ndarray], X: pd.DataFrame) -> np.ndarray:
    """Return the fast output of ``X`` if it equals the model's own on the first rows exactly.

    Parameters
    ----------
    fast : callable
        ``fast()`` gives the output of every row of ``X`` through the tree walker, or None
        (see :func:`encoded_output`).
    slow : callable
        ``slow(rows)`` gives the model's own output (``predict`` and the like) of some rows.
    X : pandas.DataFrame
        The rows.

    Returns
    -------
    numpy.ndarray
        ``fast()`` if it equals ``slow`` on the first ``PREDICT_CHECK_ROWS`` rows; else
        ``slow(X)``, which is also used for at most ``PREDICT_CHECK_ROWS`` rows (checking
        would cost as much as predicting).
    """
    quick = fast() if len(X) > PREDICT_CHECK_ROWS else None
    check = slice(0, PREDICT_CHECK_ROWS)
    if quick is not None and np.array_equal(quick[check], slow(X.iloc[check])):
        return quick
    return slow(X)
