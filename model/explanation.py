"""SHAP values of a set of people: the record every explainer returns and run folders store."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


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
