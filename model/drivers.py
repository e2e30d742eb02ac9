"""What drives the score for everyone: global influence, beeswarm and dependence data.

Every function takes SHAP values in score points (one column per input, rows aligned with
the table), the table itself and the column roles, so it works for any audited model.
Large populations are sampled for point charts; the sample size is returned with the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.columns import is_categorical
from model.roles import Roles

MIN_GROUP = 11
BEESWARM_SAMPLE = 2_000
OTHER_GROUPS = "other groups (small, merged)"
UNCATEGORISED = "uncategorised"


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
    frame = pd.DataFrame({
        "feature": list(values.columns),
        "label": [roles.label(c) for c in values.columns],
        "privacy": [roles.privacy.get(c, UNCATEGORISED) for c in values.columns],
        "mean_abs_points": np.abs(data).mean(axis=0) if len(data) else 0.0,
        "mean_signed_points": data.mean(axis=0) if len(data) else 0.0,
    })
    return frame.sort_values("mean_abs_points", ascending=False, ignore_index=True)


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
    categories = pd.Series({c: roles.privacy.get(c, UNCATEGORISED) for c in values.columns})
    rows = []
    for category, columns in categories.groupby(categories).groups.items():
        summed = values[list(columns)].to_numpy(dtype=np.float64).sum(axis=1)
        rows.append({"privacy": category, "n_features": len(columns),
                     "mean_abs_points": float(np.abs(summed).mean()) if len(summed) else 0.0})
    frame = pd.DataFrame(rows, columns=["privacy", "n_features", "mean_abs_points"])
    total = frame["mean_abs_points"].sum()
    frame["share"] = frame["mean_abs_points"] / total if total > 0 else 0.0
    return frame.sort_values("mean_abs_points", ascending=False, ignore_index=True)


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


def value_rank(column: pd.Series, roles: Roles) -> np.ndarray:
    """Return each value's position among the population's values, from 0 (low) to 1 (high).

    Numbers use their percentile rank; categories their position in sorted order.

    Parameters
    ----------
    column : pandas.Series
        One column of the table.
    roles : Roles
        Which columns are categorical.

    Returns
    -------
    numpy.ndarray of float
        Ranks in [0, 1].
    """
    if is_categorical(column, roles):
        codes = pd.Categorical(column.astype(str)).codes.astype(float)
        top = codes.max() if len(codes) else 0.0
        return codes / top if top > 0 else np.zeros(len(codes))
    return column.rank(pct=True, method="average").to_numpy(dtype=float)


def beeswarm_data(values: pd.DataFrame, table: pd.DataFrame, roles: Roles, *,
                  top: int = 12, sample: int = BEESWARM_SAMPLE, bins: int = 80,
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
    parts = []
    for order, feature in enumerate(features):
        rank = value_rank(table[feature], roles)[rows]
        parts.append(pd.DataFrame({
            "feature": feature, "label": roles.label(feature), "order": order,
            "points": values[feature].to_numpy(dtype=np.float64)[rows], "value_rank": rank,
        }))
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
    return points, len(rows)


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


def suppress_small_groups(groups: pd.Series, *, min_size: int = MIN_GROUP) -> pd.Series:
    """Merge groups of fewer than ``min_size`` people; hide them if still too small.

    Parameters
    ----------
    groups : pandas.Series
        Group of each person shown.
    min_size : int
        Smallest group that may be shown.

    Returns
    -------
    pandas.Series of object
        Group labels; small groups become :data:`OTHER_GROUPS`, or missing (NaN) when the
        merged group is itself smaller than ``min_size``.
    """
    labels = groups.astype(str).astype(object)
    counts = labels.value_counts()
    small = counts.index[counts < min_size]
    merged = labels.where(~labels.isin(small), OTHER_GROUPS)
    if 0 < (merged == OTHER_GROUPS).sum() < min_size:
        merged = merged.where(merged != OTHER_GROUPS, np.nan)
    return merged


def dependence_data(values: pd.DataFrame, table: pd.DataFrame, roles: Roles, feature: str,
                    colour: str | None = None, *, sample: int = 3_000,
                    seed: int = 0) -> tuple[pd.DataFrame, int]:
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
        than 11 people shown are merged or left out.
    sample : int
        Largest number of people drawn.
    seed : int
        Seed of the sample.

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
            pd.Series(table[colour].iloc[rows].to_numpy())).to_numpy()
        points = points.dropna(subset=["group"]).reset_index(drop=True)
    return points, len(points)


def dependence_summary(points: pd.DataFrame, *, categorical: bool,
                       bins: int = 8) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        ``band``, optionally ``group``, ``people`` and ``mean_points``; rows with fewer than
        11 people are left out.
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
    return table[table["people"] >= MIN_GROUP].reset_index(drop=True)
