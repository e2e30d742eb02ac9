"""Which inputs are a sensitive attribute, or carry the same information (direct use).

An input named like the attribute (``age`` and ``age_band``), or one that determines it or
is determined by it (an age and its age band, a district code and a region), lets the model
read the attribute directly: such an input is direct use of the attribute, not a proxy of
it. Functions take the table and its roles, so audits and a person's data sheet share them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sesame_audit.model.core.roles import Roles
from sesame_audit.model.figures.association import (
    AUDIT_STREAM,
    entropy,
    feature_codes,
    mutual_information,
)
from sesame_audit.model.figures.drivers import sample_rows
from sesame_audit.model.figures.groups import group_labels

SAME_INFORMATION = 0.99


def audit_rows(n: int, sample: int | None) -> np.ndarray:
    """Return the rows an audit of ``n`` people reads: all, or a fixed random sample.

    Parameters
    ----------
    n : int
        People in the run.
    sample : int or None
        Most people read (all when None or fewer).

    Returns
    -------
    numpy.ndarray of int
        Row positions, drawn from the audit's own random stream.
    """
    if sample is None or n <= sample:
        return np.arange(n)
    if sample < 100:
        raise ValueError(f"sample must be at least 100 people, got {sample}")
    return sample_rows(n, sample, seed=AUDIT_STREAM)


def attribute_codes(people: pd.DataFrame, roles: Roles, rows: np.ndarray
                    ) -> dict[str, np.ndarray]:
    """Return the group codes (0..m-1) of every sensitive attribute with two groups or more.

    Parameters
    ----------
    people : pandas.DataFrame
        The table.
    roles : Roles
        Its roles.
    rows : numpy.ndarray of int
        Rows read (see :func:`audit_rows`).

    Returns
    -------
    dict
        Attribute -> one code per row read.
    """
    found = {}
    for attribute in roles.sensitive:
        if attribute not in people.columns:
            continue
        codes = pd.factorize(group_labels(people.iloc[rows], attribute))[0]
        if codes.max() >= 1:
            found[attribute] = codes
    return found


def same_name(feature: str, attribute: str) -> bool:
    """Whether two column names share a stem: equal, or one is the other plus ``_suffix``."""
    return (feature == attribute or attribute.startswith(f"{feature}_")
            or feature.startswith(f"{attribute}_"))


def same_information(values: pd.Series, target: np.ndarray, *, categorical: bool) -> bool:
    """Whether an input and a sensitive attribute determine one another, either way.

    A category (or a distinct number) determines the attribute when the normalised mutual
    information ``I(input; attribute) / H(attribute)`` is at least 0.99, and is determined by
    it when ``I / H(input)`` is. A number is a band's source when each of its values belongs
    to one group (all but 1% of people) and, in increasing order, its values change group no
    more often than twice the number of groups (an age and its age band).

    Parameters
    ----------
    values : pandas.Series
        The input.
    target : numpy.ndarray of int
        Group (0..m-1) of each person, aligned with ``values``.
    categorical : bool
        Whether the input holds categories.

    Returns
    -------
    bool
        True when the input carries the attribute's information (or the attribute the
        input's).
    """
    if categorical or not pd.api.types.is_numeric_dtype(values):
        codes = feature_codes(values, categorical=True)
        shared = mutual_information(codes, target)
        entropies = [entropy(target), entropy(codes)]
        return any(h > 0 and shared / h >= SAME_INFORMATION for h in entropies)
    numbers = values.to_numpy(dtype=float)
    seen = ~np.isnan(numbers)
    distinct, index = np.unique(numbers[seen], return_inverse=True)  # sorted
    groups = int(target.max()) + 1
    by_value = np.bincount(index * groups + target[seen],
                           minlength=len(distinct) * groups).reshape(-1, groups)
    mixed = int((by_value.sum(axis=1) - by_value.max(axis=1)).sum())
    changes = int(np.count_nonzero(np.diff(by_value.argmax(axis=1))))
    return (mixed <= (1 - SAME_INFORMATION) * len(target)
            and changes <= 2 * groups)


def is_direct(people: pd.DataFrame, roles: Roles, feature: str, attribute: str,
              rows: np.ndarray, target: np.ndarray) -> bool:
    """Whether an input is the attribute, or carries its information (see module doc).

    Parameters
    ----------
    people : pandas.DataFrame
        The table.
    roles : Roles
        Its roles.
    feature, attribute : str
        An input and a sensitive attribute.
    rows : numpy.ndarray of int
        Rows read (see :func:`audit_rows`).
    target : numpy.ndarray of int
        The attribute's group codes on those rows (see :func:`attribute_codes`).

    Returns
    -------
    bool
        True for direct use.
    """
    return same_name(feature, attribute) or same_information(
        people[feature].iloc[rows], target, categorical=feature in roles.categorical)


def carriers(people: pd.DataFrame, roles: Roles, *, sample: int | None = 20_000
             ) -> dict[str, list[str]]:
    """Return, for each sensitive attribute, the inputs through which the model reads it.

    Parameters
    ----------
    people : pandas.DataFrame
        The table.
    roles : Roles
        Its roles.
    sample : int or None
        People compared (a fixed random sample; all when None or fewer).

    Returns
    -------
    dict
        Attribute -> inputs that are it or carry its information, in the model's order
        (empty when the model does not read it); every sensitive attribute of the table.
    """
    rows = audit_rows(len(people), sample)
    targets = attribute_codes(people, roles, rows)
    found = {a: [a] if a in roles.inputs else [] for a in roles.sensitive
             if a in people.columns}
    for attribute, target in targets.items():
        found[attribute] = [f for f in roles.inputs
                            if is_direct(people, roles, f, attribute, rows, target)]
    return found
