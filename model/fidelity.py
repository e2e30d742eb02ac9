"""Fidelity: do the SHAP values recover the hidden rules' true contributions?

For an additive term g(x_i) of the hidden score, the exact interventional SHAP value of
feature i is g(x_i) - E[g(X_i)]. The model's SHAP value of that feature should track this
centred true contribution; where it does not, the model blends correlated features,
misses part of the rule, or fits noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datasets.dictionary import TRUE_PREFIX

FIDELITY_COLUMNS = ("feature", "pearson", "true_sd_points", "shap_sd_points", "rmse_points")


def fidelity_table(people: pd.DataFrame, shap_values: pd.DataFrame) -> pd.DataFrame:
    """Compare each feature's SHAP values with its centred true contribution.

    Parameters
    ----------
    people : pandas.DataFrame
        Population with ``true__<feature>`` columns.
    shap_values : pandas.DataFrame
        SHAP values, one column per input, rows aligned with ``people``.

    Returns
    -------
    pandas.DataFrame
        One row per feature with a true contribution: ``pearson`` correlation (NaN when
        either side is constant), standard deviations of both, and the root mean square
        gap in points.
    """
    rows = []
    for column in people.columns:
        if not column.startswith(TRUE_PREFIX):
            continue
        feature = column[len(TRUE_PREFIX):]
        if feature not in shap_values:
            continue
        truth = people[column].to_numpy(dtype=np.float64)
        truth = truth - truth.mean()
        shap = shap_values[feature].to_numpy(dtype=np.float64)
        constant = truth.std() < 1e-9 or shap.std() < 1e-9
        rows.append({
            "feature": feature,
            "pearson": float("nan") if constant else float(np.corrcoef(truth, shap)[0, 1]),
            "true_sd_points": float(truth.std()),
            "shap_sd_points": float(shap.std()),
            "rmse_points": float(np.sqrt(np.mean((shap - truth) ** 2))),
        })
    return pd.DataFrame(rows, columns=list(FIDELITY_COLUMNS))
