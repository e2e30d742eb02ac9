"""SHAP explanations of the score, in score points, one value per original input.

For a pipeline ``encode -> trees`` the trees are explained on the encoded frame, whose
columns are the original inputs (ordinal codes keep one column per input), with TreeSHAP in
its exact, path-dependent form: :mod:`explain.treeshap` for histogram gradient boosting (the
score model; tens of thousands of rows per second), shap's TreeExplainer for other trees.
``base + values.sum(axis=1)`` equals the model's own ``predict()``; :func:`additivity_error`
(:mod:`explain.explanation`)
measures how closely. The predictions of a boosted regressor come from
:mod:`explain.tree_predict`, used only where they equal ``predict()`` on the first rows.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from sesame_audit.model.explain.explanation import Explanation
from sesame_audit.model.explain.tree_predict import checked_output, encoded_output
from sesame_audit.model.explain.treeshap import hgb_shap_values

if TYPE_CHECKING:
    import shap

_HGB = (HistGradientBoostingRegressor, HistGradientBoostingClassifier)


def _split(model: Pipeline) -> tuple[Pipeline | None, object]:
    if isinstance(model, Pipeline):
        return (model[:-1] if len(model) > 1 else None), model[-1]
    return None, model


def explain_rows(trees: object, rows: np.ndarray) -> np.ndarray:
    """Return exact TreeSHAP values (float32) of ``rows`` for a fitted tree model.

    Parameters
    ----------
    trees : estimator
        A fitted tree ensemble (the last step of the pipeline).
    rows : numpy.ndarray
        Encoded inputs, float64.

    Returns
    -------
    numpy.ndarray
        SHAP values, one column per encoded input, in score points.
    """
    if isinstance(trees, _HGB):
        return hgb_shap_values(trees, rows, n_jobs=-1)[0]
    values = _explainer(trees).shap_values(rows, check_additivity=False)
    return np.asarray(values, dtype=np.float32)


def explain_base(model: Pipeline) -> float:
    """Return the base value of a fitted pipeline's explanation (as :func:`explain` gives).

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A fitted pipeline whose last step is a tree ensemble.

    Returns
    -------
    float
        The model's expected output over its training data, in score points.
    """
    _, trees = _split(model)
    return _base(trees, int(trees.n_features_in_))


def _base(trees: object, width: int) -> float:
    """The explanation's base value: the model's expected output over its training data."""
    if isinstance(trees, _HGB):
        return float(hgb_shap_values(trees, np.zeros((0, width)))[1])
    return float(np.ravel(_explainer(trees).expected_value)[0])


@lru_cache(maxsize=8)
def _explainer(trees: object) -> shap.TreeExplainer:
    """One TreeExplainer per fitted model and process: building it costs ~0.1 s, which
    would dominate explaining a single row (a what-if edit). shap itself is imported here,
    when first needed: importing it takes seconds, and the score model never needs it."""
    import shap

    return shap.TreeExplainer(trees)


def explain(model: Pipeline, X: pd.DataFrame, *, chunk_rows: int = 100_000) -> Explanation:
    """Explain every row of ``X`` with exact TreeSHAP, chunk by chunk.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A fitted pipeline whose last step is a tree ensemble and whose earlier steps map each
        input to one column of the same name.
    X : pandas.DataFrame
        Inputs, in the columns the model was fitted on.
    chunk_rows : int
        Rows explained at a time, to bound memory.

    Returns
    -------
    Explanation
        Base value, float32 SHAP values per input, and predictions.
    """
    pre, trees = _split(model)
    start = time.perf_counter()
    encoded = pre.transform(X) if pre is not None else X
    matrix = encoded.to_numpy(dtype=np.float64)
    parts = [explain_rows(trees, matrix[lo:lo + chunk_rows])
             for lo in range(0, len(matrix), chunk_rows)]
    elapsed = time.perf_counter() - start
    values = np.concatenate(parts) if parts else np.zeros((0, matrix.shape[1]), np.float32)
    frame = pd.DataFrame(values, columns=list(encoded.columns), index=X.index)
    frame = frame[list(X.columns)]
    base = _base(trees, matrix.shape[1])
    return Explanation(base=base, values=frame, prediction=_predict(model, trees, matrix, X),
                       rows_per_second=len(X) / elapsed if elapsed > 0 else float("nan"))


def _predict(model: Pipeline, trees: object, matrix: np.ndarray, X: pd.DataFrame) -> np.ndarray:
    """``model.predict(X)``: for a boosted regressor through :mod:`explain.tree_predict` on the
    encoded rows, used only if it equals ``model.predict`` on the first rows exactly."""
    return checked_output(lambda: encoded_output(trees, matrix, "score", 1), model.predict, X)
