"""Fidelity from sums that merge over chunks: SHAP values against the hidden rules' truth.

For an additive term g(x_i) of the hidden score, the exact interventional SHAP value of
feature i is g(x_i) - E[g(X_i)]. The sums kept here let a population explained a city at a
time get the same fidelity as one held whole; :mod:`course.fidelity` reads it per rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sesame_audit.datasets.dictionary import TRUE_PREFIX

FIDELITY_COLUMNS = ("feature", "pearson", "true_sd_points", "shap_sd_points", "rmse_points")


FIDELITY_SUMS = ("n", "t", "s", "tt", "ss", "ts")


def fidelity_sums(people: pd.DataFrame, shap_values: pd.DataFrame) -> pd.DataFrame:
    """Sum, per feature with a true contribution, what fidelity is computed from.

    Sums add up over chunks of a population, so a population explained a city at a time
    gets the same fidelity as one held whole (see :mod:`build.summaries`).

    Parameters
    ----------
    people : pandas.DataFrame
        Population (or a chunk of it) with ``true__<feature>`` columns.
    shap_values : pandas.DataFrame
        SHAP values, one column per input, rows aligned with ``people``.

    Returns
    -------
    pandas.DataFrame
        ``feature`` and the sums ``n, t, s, tt, ss, ts`` of the true contribution ``t`` and
        the SHAP value ``s`` (products summed per person).
    """
    rows = []
    for column in people.columns:
        feature = column[len(TRUE_PREFIX):]
        if not column.startswith(TRUE_PREFIX) or feature not in shap_values:
            continue
        t = people[column].to_numpy(dtype=np.float64)
        s = shap_values[feature].to_numpy(dtype=np.float64)
        rows.append({"feature": feature, "n": float(len(t)), "t": t.sum(), "s": s.sum(),
                     "tt": (t * t).sum(), "ss": (s * s).sum(), "ts": (t * s).sum()})
    return pd.DataFrame(rows, columns=["feature", *FIDELITY_SUMS])


def fidelity_from_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """Turn :func:`fidelity_sums` (of one or several chunks, stacked) into fidelity.

    Parameters
    ----------
    sums : pandas.DataFrame
        Rows of :func:`fidelity_sums`; rows of the same feature are added up.

    Returns
    -------
    pandas.DataFrame
        As :func:`fidelity_table`.
    """
    rows = []
    for feature, r in sums.groupby("feature", sort=False)[list(FIDELITY_SUMS)].sum().iterrows():
        mean_t, mean_s = r["t"] / r["n"], r["s"] / r["n"]
        var_t = max(r["tt"] / r["n"] - mean_t**2, 0.0)
        var_s = max(r["ss"] / r["n"] - mean_s**2, 0.0)
        cov = r["ts"] / r["n"] - mean_t * mean_s
        sd_t, sd_s = np.sqrt(var_t), np.sqrt(var_s)
        # The truth is centred: E[(s - (t - mean_t))^2] = E[s^2] - 2 cov(s, t) + var(t).
        mse = max(r["ss"] / r["n"] - 2 * cov + var_t, 0.0)
        rows.append({"feature": feature,
                     "pearson": (float("nan") if sd_t < 1e-9 or sd_s < 1e-9
                                 else float(cov / (sd_t * sd_s))),
                     "true_sd_points": float(sd_t), "shap_sd_points": float(sd_s),
                     "rmse_points": float(np.sqrt(mse))})
    return pd.DataFrame(rows, columns=list(FIDELITY_COLUMNS))


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
    return fidelity_from_sums(fidelity_sums(people, shap_values))
