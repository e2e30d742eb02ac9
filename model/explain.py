"""SHAP explanations of the score, in score points, one value per original input.

For a pipeline ``encode -> trees`` the trees are explained on the encoded frame, whose
columns are the original inputs (ordinal codes keep one column per input), with TreeSHAP in
its exact, path-dependent form. ``base + values.sum(axis=1)`` equals the model's own
``predict()``; :func:`additivity_error` measures how closely.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shap
from sklearn.pipeline import Pipeline


@dataclass(frozen=True)
class Explanation:
    """SHAP values of a set of people.

    Attributes
    ----------
    base : float
        Expected value of the model: the score before any feature is known.
    values : pandas.DataFrame
        One row per person and one float32 column per input, in score points.
    prediction : numpy.ndarray
        The model's ``predict()`` for the same rows.
    rows_per_second : float
        Throughput of the explanation step.
    """

    base: float
    values: pd.DataFrame
    prediction: np.ndarray
    rows_per_second: float = float("nan")


def _split(model: Pipeline) -> tuple[Pipeline | None, object]:
    if isinstance(model, Pipeline):
        return (model[:-1] if len(model) > 1 else None), model[-1]
    return None, model


def explain(model: Pipeline, X: pd.DataFrame, *, chunk_rows: int = 100_000) -> Explanation:
    """Explain every row of ``X`` with exact TreeSHAP.

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
    explainer = shap.TreeExplainer(trees)
    parts = []
    for lo in range(0, len(encoded), chunk_rows):
        chunk = encoded.iloc[lo:lo + chunk_rows].to_numpy(dtype=np.float64)
        parts.append(np.asarray(explainer.shap_values(chunk, check_additivity=False),
                                dtype=np.float32))
    elapsed = time.perf_counter() - start
    values = np.concatenate(parts) if parts else np.zeros((0, encoded.shape[1]), np.float32)
    frame = pd.DataFrame(values, columns=list(encoded.columns), index=X.index)
    frame = frame[list(X.columns)]
    base = float(np.ravel(explainer.expected_value)[0])
    return Explanation(base=base, values=frame, prediction=model.predict(X),
                       rows_per_second=len(X) / elapsed if elapsed > 0 else float("nan"))


def additivity_error(explanation: Explanation) -> float:
    """Return the largest gap, in points, between ``base + sum(values)`` and the prediction.

    Parameters
    ----------
    explanation : Explanation
        SHAP values and predictions of the same rows.

    Returns
    -------
    float
        ``max |base + values.sum(axis=1) - prediction|`` (0 for no rows).
    """
    if len(explanation.values) == 0:
        return 0.0
    total = explanation.base + explanation.values.to_numpy(dtype=np.float64).sum(axis=1)
    return float(np.max(np.abs(total - explanation.prediction)))
