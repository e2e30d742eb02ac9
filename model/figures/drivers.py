"""What drives the score for everyone: global influence and beeswarm data.

Every function takes SHAP values in score points (one column per input, rows aligned with
the table), the table itself and the column roles, so it works for any audited model.
Large populations are sampled for point charts; the sample size is returned with the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sesame_audit.model.core.columns import is_categorical
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.figures.profile import ColumnProfile, column_profile

BEESWARM_SAMPLE = 2_000
BEESWARM_TOP = 12
UNCATEGORISED = "uncategorised"


def influence_table(features: list[str], mean_abs: np.ndarray, mean_signed: np.ndarray,
                    roles: Roles) -> pd.DataFrame:
    """Return the influence table from each input's mean |SHAP| and mean SHAP.

    Parameters
    ----------
    features : list of str
        Inputs, in the order of the two arrays.
    mean_abs, mean_signed : numpy.ndarray
        Mean |SHAP| and mean SHAP of each input, in points.
    roles : Roles
        Labels and privacy categories.

    Returns
    -------
    pandas.DataFrame
        As :func:`influence_by_feature`.
    """
    frame = pd.DataFrame({
        "feature": list(features),
        "label": [roles.label(c) for c in features],
        "privacy": [roles.privacy.get(c, UNCATEGORISED) for c in features],
        "mean_abs_points": np.asarray(mean_abs, dtype=np.float64),
        "mean_signed_points": np.asarray(mean_signed, dtype=np.float64),
    })
    return frame.sort_values("mean_abs_points", ascending=False, ignore_index=True,
                             kind="stable")


def mean_abs_shap(values: pd.DataFrame) -> pd.Series:
    """Return each input's mean |SHAP|: the average size of its push, up or down, in points.

    Parameters
    ----------
    values : pandas.DataFrame
        SHAP values in points, one column per input.

    Returns
    -------
    pandas.Series of float
        One float64 per input, in the columns' order (0 for no rows).
    """
    data = values.to_numpy(dtype=np.float64)
    means = np.abs(data).sum(axis=0) / len(data) if len(data) else np.zeros(data.shape[1])
    return pd.Series(means, index=values.columns, dtype=np.float64)


def influence_by_feature(values: pd.DataFrame, roles: Roles) -> pd.DataFrame:
    """Return how much each input moves scores: mean |SHAP| and mean signed SHAP.

    Parameters
    ----------
    values : pandas.DataFrame
        SHAP values in points, one column per input.
    roles : Roles
        Labels and privacy categories.

    Returns
    -------
    pandas.DataFrame
        One row per input, largest ``mean_abs_points`` first, with columns ``feature``,
        ``label``, ``privacy``, ``mean_abs_points`` (average size of the push, up or down)
        and ``mean_signed_points`` (average push; near 0 for centred SHAP values).
    """
    data = values.to_numpy(dtype=np.float64)
    n = len(data)
    return influence_table(list(values.columns), mean_abs_shap(values).to_numpy(),
                           data.sum(axis=0) / n if n else np.zeros(data.shape[1]), roles)


def privacy_columns(features: list[str], roles: Roles) -> dict[str, list[str]]:
    """Group inputs by privacy category (inputs without one are "uncategorised").

    Parameters
    ----------
    features : list of str
        Inputs.
    roles : Roles
        Privacy categories.

    Returns
    -------
    dict
        Category -> its inputs, categories sorted.
    """
    found: dict[str, list[str]] = {}
    for feature in features:
        found.setdefault(roles.privacy.get(feature, UNCATEGORISED), []).append(feature)
    return dict(sorted(found.items()))


def privacy_table(mean_abs: dict[str, float], features: list[str], roles: Roles
                  ) -> pd.DataFrame:
    """Return the influence of each privacy category from its mean |summed SHAP|.

    Parameters
    ----------
    mean_abs : dict
        Category -> mean over people of |sum of the category's SHAP values|.
    features : list of str
        Inputs (to count each category's).
    roles : Roles
        Privacy categories.

    Returns
    -------
    pandas.DataFrame
        As :func:`influence_by_privacy`.
    """
    columns = privacy_columns(features, roles)
    frame = pd.DataFrame([{"privacy": c, "n_features": len(columns[c]),
                           "mean_abs_points": float(mean_abs[c])} for c in columns],
                         columns=["privacy", "n_features", "mean_abs_points"])
    total = frame["mean_abs_points"].sum()
    frame["share"] = frame["mean_abs_points"] / total if total > 0 else 0.0
    return frame.sort_values("mean_abs_points", ascending=False, ignore_index=True,
                             kind="stable")


def influence_by_privacy(values: pd.DataFrame, roles: Roles) -> pd.DataFrame:
    """Return how many points each privacy category moves a person's score, on average.

    The SHAP values of a category's inputs are summed per person (the category's joint push
    from the average score), then averaged in absolute value over people.

    Parameters
    ----------
    values : pandas.DataFrame
        SHAP values in points, one column per input.
    roles : Roles
        Privacy categories (inputs without one count as "uncategorised").

    Returns
    -------
    pandas.DataFrame
        One row per category, largest first: ``privacy``, ``n_features``,
        ``mean_abs_points`` and ``share`` (of the sum over categories, 0 to 1).
    """
    features, n = list(values.columns), len(values)
    means = {c: float(np.abs(values[cols].to_numpy(np.float64).sum(axis=1)).sum() / n)
             if n else 0.0 for c, cols in privacy_columns(features, roles).items()}
    return privacy_table(means, features, roles)


def sample_rows(n: int, size: int, *, seed: int = 0) -> np.ndarray:
    """Return sorted row positions of a reproducible sample (all rows when ``n <= size``).

    Parameters
    ----------
    n : int
        Number of rows.
    size : int
        Largest sample.
    seed : int
        Seed of the sample.

    Returns
    -------
    numpy.ndarray of int
        Row positions.
    """
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def rank_by_profile(values: pd.Series, profile: ColumnProfile) -> np.ndarray:
    """Return each value's position among the population's values, from 0 (low) to 1 (high).

    Numbers get their mid-rank percentile in the population (half the people at the same
    value count as below); categories their position among the sorted categories.

    Parameters
    ----------
    values : pandas.Series
        Values to place (e.g. a sample's).
    profile : ColumnProfile
        The column's profile over the whole population.

    Returns
    -------
    numpy.ndarray of float
        Ranks in [0, 1]; NaN for missing values.
    """
    missing = values.isna().to_numpy()
    if profile.categorical:
        categories = pd.Index(profile.categories)
        top = max(len(categories) - 1, 1)
        position = categories.get_indexer(values.astype(str)).astype(float) / top
    else:
        position = profile.percentile(values.to_numpy(dtype=np.float64))
    return np.where(missing, np.nan, position)


def value_rank(column: pd.Series, roles: Roles) -> np.ndarray:
    """Return each value's position among the column's values, from 0 (low) to 1 (high).

    Parameters
    ----------
    column : pandas.Series
        One column of the table.
    roles : Roles
        Which columns are categorical.

    Returns
    -------
    numpy.ndarray of float
        See :func:`rank_by_profile`, with the column's own profile.
    """
    return rank_by_profile(column, column_profile(column, is_categorical(column, roles)))


def beeswarm_points(values: pd.DataFrame, ranks: dict[str, np.ndarray], features: list[str],
                    roles: Roles, *, bins: int = 80) -> pd.DataFrame:
    """Stack sampled people's SHAP values into beeswarm rows, one per feature.

    Parameters
    ----------
    values : pandas.DataFrame
        SHAP values of the people drawn, one column per input.
    ranks : dict
        Input -> the value rank of each person drawn (:func:`rank_by_profile`).
    features : list of str
        The inputs shown, most influential first.
    roles : Roles
        Labels.
    bins : int
        Number of SHAP bins across the whole range used for stacking.

    Returns
    -------
    pandas.DataFrame
        As the first output of :func:`beeswarm_data`.
    """
    parts = [pd.DataFrame({"feature": feature, "label": roles.label(feature), "order": order,
                           "points": values[feature].to_numpy(dtype=np.float64),
                           "value_rank": ranks[feature]})
             for order, feature in enumerate(features)]
    points = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["feature", "label", "order", "points", "value_rank"])
    if len(points):
        lo, hi = points["points"].min(), points["points"].max()
        width = (hi - lo) / bins if hi > lo else 1.0
        binned = np.floor((points["points"] - lo) / width).astype(int)
        slot = points.groupby([points["feature"], binned]).cumcount().to_numpy()
        side = np.where(slot % 2 == 0, 1.0, -1.0)
        height = pd.Series((slot + 1) // 2, index=points.index, dtype=float)
        crowd = height.groupby(points["feature"]).transform("max").clip(lower=1.0)
        points["offset"] = side * height / crowd
    else:
        points["offset"] = []
    return points


def beeswarm_data(values: pd.DataFrame, table: pd.DataFrame, roles: Roles, *,
                  top: int = BEESWARM_TOP, sample: int = BEESWARM_SAMPLE, bins: int = 80,
                  seed: int = 0) -> tuple[pd.DataFrame, int]:
    """Return the points of a beeswarm: one dot per sampled person and top feature.

    Dots with similar SHAP values are stacked away from the feature's centre line
    (alternately above and below), as in a beeswarm; each feature's most crowded bin
    reaches the full height.

    Parameters
    ----------
    values : pandas.DataFrame
        SHAP values in points.
    table : pandas.DataFrame
        The inputs, rows aligned with ``values`` (for the colour: the value's rank).
    roles : Roles
        Labels and categorical columns.
    top : int
        Number of features, the most influential (mean |SHAP|) first.
    sample : int
        Largest number of people drawn.
    bins : int
        Number of SHAP bins across the whole range used for stacking.
    seed : int
        Seed of the sample.

    Returns
    -------
    points : pandas.DataFrame
        ``feature``, ``label``, ``order`` (0 = most influential), ``points`` (SHAP),
        ``offset`` (stacking position, -1 to 1) and ``value_rank`` (0 low to 1 high).
    n_sampled : int
        Number of people drawn.
    """
    features = influence_by_feature(values, roles)["feature"].head(top).tolist()
    rows = sample_rows(len(values), sample, seed=seed)
    ranks = {f: value_rank(table[f], roles)[rows] for f in features}
    return beeswarm_points(values.iloc[rows], ranks, features, roles, bins=bins), len(rows)


def beeswarm_summary(points: pd.DataFrame) -> pd.DataFrame:
    """Summarise beeswarm points as a table: the spread of each feature's push.

    Parameters
    ----------
    points : pandas.DataFrame
        Output of :func:`beeswarm_data`.

    Returns
    -------
    pandas.DataFrame
        One row per feature in the beeswarm's order: ``label``, ``people``, ``lowest``,
        ``p10``, ``median``, ``p90``, ``highest`` (points).
    """
    grouped = points.sort_values("order").groupby("label", sort=False)["points"]
    return pd.DataFrame({
        "people": grouped.size(), "lowest": grouped.min(), "p10": grouped.quantile(0.1),
        "median": grouped.median(), "p90": grouped.quantile(0.9), "highest": grouped.max(),
    }).reset_index()
