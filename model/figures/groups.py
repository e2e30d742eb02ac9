"""Groups of people by a sensitive attribute or an intersection of two, with suppression.

Every audit that reports by group goes through :func:`group_frame` (which columns, how
missing values are named) and, for means of a per-person quantity, :func:`group_means`
(which hides small groups).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from sesame_audit.model.figures.suppress import DEFAULT_K, Suppression, suppression

Attribute = str | tuple[str, str]
SEPARATOR = " & "
MAX_GROUPS = 60
MISSING = "missing"


def attribute_columns(attribute: Attribute) -> list[str]:
    """Return the columns of an attribute or of an intersection of two.

    Parameters
    ----------
    attribute : str or tuple of two str
        A column, or two columns whose intersection forms the groups.

    Returns
    -------
    list of str
        One or two column names.

    Raises
    ------
    ValueError
        When a tuple does not hold two distinct names.
    """
    if isinstance(attribute, str):
        return [attribute]
    columns = list(attribute)
    if len(columns) != 2 or len(set(columns)) != 2 or not all(isinstance(c, str)
                                                               for c in columns):
        raise ValueError(f"an intersection takes two different attributes, got {attribute!r}")
    return columns


def attribute_name(attribute: Attribute) -> str:
    """Return the name of an attribute or intersection, e.g. ``"ethnicity & hukou"``."""
    return SEPARATOR.join(attribute_columns(attribute))


def attribute_key(attribute: Attribute) -> str:
    """Return the key a stored table files an attribute or intersection under.

    Unlike :func:`attribute_name`, two different attributes never share a key, whatever
    their columns are called (a column ``"a & b"`` and the intersection of ``a`` and
    ``b``, for instance).

    Parameters
    ----------
    attribute : str or tuple of two str
        A column, or two columns whose intersection forms the groups.

    Returns
    -------
    str
        The column names as a JSON list, e.g. ``'["ethnicity", "hukou"]'``.
    """
    return json.dumps(attribute_columns(attribute))


def group_frame(people: pd.DataFrame, attribute: Attribute) -> pd.DataFrame:
    """Return the columns defining the groups, as text, missing values named ``missing``.

    Parameters
    ----------
    people : pandas.DataFrame
        The population table.
    attribute : str or tuple of two str
        Column(s) defining the groups.

    Returns
    -------
    pandas.DataFrame
        One text column per attribute, aligned with ``people``.

    Raises
    ------
    ValueError
        When a column is unknown or holds more than 60 distinct values (bin it first).
    """
    columns = attribute_columns(attribute)
    for column in columns:
        if column not in people.columns:
            raise ValueError(f"unknown attribute {column!r}: not a column of this run")
        distinct = people[column].nunique(dropna=False)
        if distinct > MAX_GROUPS:
            raise ValueError(f"attribute {column!r} has {distinct:,} distinct values; group "
                             f"it into at most {MAX_GROUPS} categories first")
    return pd.DataFrame({c: people[c].astype(object).where(people[c].notna(), MISSING)
                         .astype(str) for c in columns}, index=people.index)


def group_labels(people: pd.DataFrame, attribute: Attribute) -> pd.Series:
    """Return each person's group label, e.g. ``"minority_a & rural"``.

    Parameters
    ----------
    people : pandas.DataFrame
        The population table.
    attribute : str or tuple of two str
        Column(s) defining the groups.

    Returns
    -------
    pandas.Series of str
        Group label per person.
    """
    frame = group_frame(people, attribute)
    labels = frame.iloc[:, 0]
    for column in frame.columns[1:]:
        labels = labels + SEPARATOR + frame[column]
    return labels.rename(attribute_name(attribute))


def group_means(values: pd.DataFrame | pd.Series, groups: pd.Series | pd.DataFrame, *,
                k: int = DEFAULT_K) -> tuple[pd.DataFrame, Suppression]:
    """Return the mean of per-person values by group, small groups hidden.

    Parameters
    ----------
    values : pandas.DataFrame or pandas.Series
        Per-person quantities (NaN ignored in means), aligned with ``groups``.
    groups : pandas.Series or pandas.DataFrame
        Group label per person, or the columns defining the groups (see
        :func:`group_frame`): with two columns the groups are suppressed as an
        intersection, whose groups of either attribute are shown elsewhere.
    k : int, default=11
        Smallest group size shown.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``group``, ``count``, one mean column per value column and ``suppressed``;
        counts and means of hidden groups are missing. Sorted by group.
    suppressed : Suppression
        What was hidden.
    """
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    columns = list(groups.columns) if isinstance(groups, pd.DataFrame) else [None]
    keys = ([groups[c].to_numpy() for c in columns] if isinstance(groups, pd.DataFrame)
            else [groups.to_numpy()])
    grouped = frame.groupby(keys, sort=True)
    counts = grouped.size()
    if isinstance(counts.index, pd.MultiIndex):
        counts.index = counts.index.set_names(columns)
    hidden = suppression(counts, k=k)
    means = grouped.mean()
    means[hidden.mask.to_numpy()] = np.nan
    table = means.reset_index(drop=True)
    labels = [SEPARATOR.join(map(str, key)) if isinstance(key, tuple) else key
              for key in counts.index]
    table.insert(0, "group", labels)
    table.insert(1, "count", pd.array(np.where(hidden.mask, pd.NA, counts.to_numpy()),
                                      dtype="Int64"))
    table["suppressed"] = hidden.mask.to_numpy()
    order = np.argsort(np.asarray(table["group"], dtype=str), kind="stable")
    return table.iloc[order].reset_index(drop=True), hidden
