"""What a population's columns look like, without the population: values seen and how often.

A run stores one profile per model input and sensitive attribute (``aggregates/profile``),
so that checking a what-if edit, drawing its widget or pricing a recourse step never needs
the whole population in memory. A categorical column keeps every category with its count;
a numeric column keeps every distinct value with its count, exactly, up to
:data:`MAX_POINTS` distinct values, and beyond that :data:`MAX_POINTS` quantiles of equal
weight with the exact minimum and maximum (percentiles then within 1 / MAX_POINTS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sesame_audit.model.core.columns import is_categorical
from sesame_audit.model.core.roles import Roles

MAX_POINTS = 4096
PROFILE_COLUMNS = ["column", "categorical", "text", "number", "count"]


@dataclass(frozen=True)
class ColumnProfile:
    """The values of one column and their counts.

    Attributes
    ----------
    categorical : bool
        Whether the column holds categories (``values`` are then text).
    values : numpy.ndarray
        Distinct values (ascending numbers, or categories sorted as text).
    counts : numpy.ndarray of float
        People per value (equal shares of the population for compressed numeric columns).
    """

    categorical: bool
    values: np.ndarray
    counts: np.ndarray

    @property
    def total(self) -> float:
        """Number of people with a value."""
        return float(self.counts.sum())

    @property
    def categories(self) -> list[str]:
        """Categories seen, sorted as text (empty for a numeric column)."""
        return [str(v) for v in self.values] if self.categorical else []

    @property
    def minimum(self) -> float:
        """Smallest value seen (numeric columns)."""
        return float(self.values[0])

    @property
    def maximum(self) -> float:
        """Largest value seen (numeric columns)."""
        return float(self.values[-1])

    def quantile(self, p: np.ndarray | float) -> np.ndarray:
        """Return quantiles by the inverted empirical CDF (numpy's ``inverted_cdf``).

        Parameters
        ----------
        p : float or array of float
            Probabilities, 0 to 1.

        Returns
        -------
        numpy.ndarray
            The smallest value whose cumulative share reaches each ``p``.
        """
        wanted = np.maximum(np.ceil(np.asarray(p, dtype=float) * self.total - 1e-9), 1.0)
        index = np.searchsorted(np.cumsum(self.counts), wanted, side="left")
        return self.values[np.minimum(index, len(self.values) - 1)].astype(np.float64)

    @property
    def median(self) -> float:
        """The median (inverted CDF) of a numeric column."""
        return float(self.quantile(0.5))

    def percentile(self, x: np.ndarray) -> np.ndarray:
        """Return the mid-rank percentile (0 to 1) of each ``x`` in the population.

        Parameters
        ----------
        x : numpy.ndarray
            Numbers.

        Returns
        -------
        numpy.ndarray
            ``(share below x + share at or below x) / 2``.
        """
        cumulative = np.concatenate([[0.0], np.cumsum(self.counts)])
        below = cumulative[np.searchsorted(self.values, x, side="left")]
        upto = cumulative[np.searchsorted(self.values, x, side="right")]
        return (below + upto) / (2.0 * self.total)


def column_profile(column: pd.Series, categorical: bool, *,
                   max_points: int = MAX_POINTS) -> ColumnProfile:
    """Profile one column (missing values left out).

    Parameters
    ----------
    column : pandas.Series
        The values.
    categorical : bool
        Whether to treat them as categories.
    max_points : int
        Most distinct numeric values kept exactly.

    Returns
    -------
    ColumnProfile
        Values and counts.
    """
    present = column.dropna()
    if categorical:
        counts = present.astype(str).value_counts().sort_index()
        return ColumnProfile(True, counts.index.to_numpy(dtype=object),
                             counts.to_numpy(dtype=np.float64))
    numbers = present.to_numpy(dtype=np.float64)
    values, counts = np.unique(numbers, return_counts=True)
    if len(values) > max_points:
        ordered = np.sort(numbers)
        cuts = np.linspace(0, len(ordered), max_points + 1).round().astype(int)
        counts = np.diff(cuts).astype(np.float64)
        values = np.add.reduceat(ordered, cuts[:-1]) / counts
        values[0], values[-1] = ordered[0], ordered[-1]
    return ColumnProfile(False, values.astype(np.float64), counts.astype(np.float64))


def merge_profiles(parts: list[ColumnProfile], *, max_points: int = MAX_POINTS
                   ) -> ColumnProfile:
    """Merge the profiles of one column over several chunks of a population.

    Categories and distinct numbers add their counts, exactly. When more than
    ``max_points`` distinct numbers remain, they are cut into ``max_points`` pieces of
    about equal weight, each kept as its weighted mean value and its count, with the exact
    minimum and maximum: percentiles stay within about ``2 / max_points``. One profile is
    returned unchanged.

    Parameters
    ----------
    parts : list of ColumnProfile
        The column's profile in each chunk (all categorical or all numeric).
    max_points : int
        Most distinct numeric values kept.

    Returns
    -------
    ColumnProfile
        The column's profile over all chunks.

    Raises
    ------
    ValueError
        When there is no profile, or categorical and numeric profiles are mixed.
    """
    if not parts:
        raise ValueError("no profile to merge")
    if len(parts) == 1:
        return parts[0]
    categorical = parts[0].categorical
    if any(p.categorical != categorical for p in parts):
        raise ValueError("cannot merge a categorical profile with a numeric one")
    values = np.concatenate([p.values for p in parts])
    counts = np.concatenate([p.counts for p in parts])
    if categorical:
        summed = pd.Series(counts).groupby(values.astype(str)).sum().sort_index()
        return ColumnProfile(True, summed.index.to_numpy(dtype=object),
                             summed.to_numpy(dtype=np.float64))
    values = values.astype(np.float64)
    distinct, inverse = np.unique(values, return_inverse=True)
    weights = np.bincount(inverse, weights=counts, minlength=len(distinct))
    if len(distinct) <= max_points:
        return ColumnProfile(False, distinct, weights)
    middle = np.cumsum(weights) - weights / 2  # where each value sits in the population
    piece = np.minimum((middle / weights.sum() * max_points).astype(np.int64), max_points - 1)
    piece_weight = np.bincount(piece, weights=weights, minlength=max_points)
    piece_sum = np.bincount(piece, weights=weights * distinct, minlength=max_points)
    kept = piece_weight > 0
    merged = piece_sum[kept] / piece_weight[kept]
    merged[0], merged[-1] = distinct[0], distinct[-1]
    return ColumnProfile(False, merged, piece_weight[kept])


def profile_rows(profiles: dict[str, ColumnProfile]) -> pd.DataFrame:
    """Write column profiles as one long table (the stored ``aggregates/profile``).

    Parameters
    ----------
    profiles : dict
        Column -> ColumnProfile, in the order to store.

    Returns
    -------
    pandas.DataFrame
        ``column``, ``categorical``, ``text`` (category), ``number`` (numeric value) and
        ``count``; one row per value kept.
    """
    parts = [pd.DataFrame({
        "column": name, "categorical": profile.categorical,
        "text": profile.values.astype(str) if profile.categorical else "",
        "number": np.nan if profile.categorical else profile.values,
        "count": profile.counts}) for name, profile in profiles.items()]
    if not parts:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    return pd.concat(parts, ignore_index=True)[PROFILE_COLUMNS]


def column_profiles(people: pd.DataFrame, roles: Roles) -> dict[str, ColumnProfile]:
    """Profile every input and sensitive attribute of a population (or of a chunk of it).

    Parameters
    ----------
    people : pandas.DataFrame
        The population.
    roles : Roles
        Which columns are inputs, sensitive or categorical.

    Returns
    -------
    dict
        Column -> ColumnProfile, inputs first.
    """
    names = dict.fromkeys([*roles.inputs, *(c for c in roles.sensitive if c in people.columns)])
    return {name: column_profile(people[name], is_categorical(people[name], roles))
            for name in names}


def profiles_from_table(table: pd.DataFrame) -> dict[str, ColumnProfile]:
    """Rebuild each column's profile from :func:`profile_rows`'s output.

    Parameters
    ----------
    table : pandas.DataFrame
        A stored profile table.

    Returns
    -------
    dict
        Column -> ColumnProfile.
    """
    found = {}
    for name, rows in table.groupby("column", sort=False):
        categorical = bool(rows["categorical"].iloc[0])
        values = (rows["text"].to_numpy(dtype=object) if categorical
                  else rows["number"].to_numpy(dtype=np.float64))
        found[str(name)] = ColumnProfile(categorical, values,
                                         rows["count"].to_numpy(dtype=np.float64))
    return found
