"""SHAP values of a set of people: the record every explainer returns and run folders store,
and how far they are from adding up to the predictions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ADDITIVITY_TOLERANCE = 1e-3  # points: largest gap a build accepts (float32 values give ~1e-5)


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
    error : numpy.ndarray or None
        Per person, the estimated error of an approximate explanation (the largest
        standard error of their values, from repeated permutations); None when exact.
    """

    base: float
    values: pd.DataFrame
    prediction: np.ndarray
    rows_per_second: float = float("nan")
    error: np.ndarray | None = None


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


def require_additivity(gap: float) -> None:
    """Refuse SHAP values that do not add up to the predictions within the tolerance.

    Parameters
    ----------
    gap : float
        The largest gap in points, as :func:`additivity_error` gives it.

    Raises
    ------
    ValueError
        If ``gap`` exceeds ``ADDITIVITY_TOLERANCE`` or is not a number.
    """
    if not gap <= ADDITIVITY_TOLERANCE:  # NaN fails too
        raise ValueError(
            f"the SHAP values miss the model's predictions by up to {gap:.3g} points "
            f"(more than the {ADDITIVITY_TOLERANCE:g} allowed); nothing was written")
