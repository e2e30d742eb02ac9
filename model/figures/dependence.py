"""Dependence data: how one input's SHAP values follow its values, coloured by a group.

Large populations are sampled (the sample size is returned with the data); groups of fewer
than ``k`` people are merged so that none can be recomputed from the counts shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sesame_audit.model.core.roles import Roles
from sesame_audit.model.figures.drivers import sample_rows
from sesame_audit.model.figures.suppress import DEFAULT_K, check_k

OTHER_GROUPS = "other groups (small, merged)"


def suppress_small_groups(groups: pd.Series, *, k: int = DEFAULT_K) -> pd.Series:
    """Merge groups of fewer than ``k`` people, and the next smallest until the merged group
    holds ``k``; hide everyone when all of them together are fewer than ``k``.

    The people shown are counted, so a group left out would be the number drawn minus the
    groups shown: merging, rather than hiding, leaves nothing to recompute.

    Parameters
    ----------
    groups : pandas.Series
        Group of each person shown.
    k : int, default=11
        Smallest group that may be shown.

    Returns
    -------
    pandas.Series of object
        Group labels; small groups become :data:`OTHER_GROUPS`, or every label is missing
        (NaN) when fewer than ``k`` people are shown in all.
    """
    k = check_k(k)
    labels = groups.astype(str).astype(object)
    if len(labels) < k:
        return pd.Series(np.nan, index=labels.index, dtype=object)
    counts = labels.value_counts().sort_index(kind="stable").sort_values(kind="stable")
    small = list(counts.index[counts < k])
    while small and counts[small].sum() < k:
        small.append(counts.index[len(small)])
    return labels.where(~labels.isin(small), OTHER_GROUPS)


def dependence_data(values: pd.DataFrame, table: pd.DataFrame, roles: Roles, feature: str,
                    colour: str | None = None, *, sample: int = 3_000,
                    seed: int = 0, k: int = DEFAULT_K) -> tuple[pd.DataFrame, int]:
    """Return a feature's value against its SHAP value, for a sample of people.

    Parameters
    ----------
    values : pandas.DataFrame
        SHAP values in points.
    table : pandas.DataFrame
        The people (inputs and sensitive attributes), rows aligned with ``values``.
    roles : Roles
        Column roles.
    feature : str
        An input.
    colour : str, optional
        A column to group the dots by (typically a sensitive attribute); groups of fewer
        than ``k`` people shown are merged (see :func:`suppress_small_groups`).
    sample : int
        Largest number of people drawn.
    seed : int
        Seed of the sample.
    k : int, default=11
        Smallest group shown.

    Returns
    -------
    points : pandas.DataFrame
        ``value`` (the feature's value), ``points`` (its SHAP value) and, with ``colour``,
        ``group``; suppressed people are dropped.
    n_shown : int
        Number of people in ``points``.

    Raises
    ------
    KeyError
        When ``feature`` is not an input or ``colour`` not a column.
    """
    if feature not in values.columns:
        raise KeyError(f"{feature!r} is not a model input")
    if colour is not None and colour not in table.columns:
        raise KeyError(f"{colour!r} is not a column of this run")
    rows = sample_rows(len(values), sample, seed=seed)
    points = pd.DataFrame({
        "value": table[feature].iloc[rows].to_numpy(),
        "points": values[feature].to_numpy(dtype=np.float64)[rows],
    })
    if colour is not None:
        points["group"] = suppress_small_groups(
            pd.Series(table[colour].iloc[rows].to_numpy()), k=k).to_numpy()
        points = points.dropna(subset=["group"]).reset_index(drop=True)
    return points, len(points)


def dependence_summary(points: pd.DataFrame, *, categorical: bool,
                       bins: int = 8, k: int = DEFAULT_K) -> pd.DataFrame:
    """Summarise dependence points as a table: mean SHAP by value band (and group).

    Parameters
    ----------
    points : pandas.DataFrame
        Output of :func:`dependence_data`.
    categorical : bool
        Whether ``value`` holds categories (one row per category) or numbers (quantile
        bands).
    bins : int
        Number of quantile bands for numbers.
    k : int, default=11
        Smallest group shown.

    Returns
    -------
    pandas.DataFrame
        ``band``, optionally ``group``, ``people`` and ``mean_points``; rows with fewer than
        ``k`` people are left out.
    """
    if categorical:
        band = points["value"].astype(str)
    else:
        numbers = points["value"].astype(float)
        band = pd.qcut(numbers, q=bins, duplicates="drop", precision=2)
    keys = [band.rename("band")]
    if "group" in points:
        keys.append(points["group"].rename("group"))
    table = (points.groupby(keys, observed=True)["points"]
             .agg(people="size", mean_points="mean").reset_index())
    table["band"] = table["band"].astype(str)
    return table[table["people"] >= check_k(k)].reset_index(drop=True)
