"""Tables computed once from the whole population when a run is written, read by the pages.

This module computes them; :mod:`runs.stored` reads them back from a run.

A run folder keeps, under ``aggregates/``, everything the Overview, Drivers and Fairness
views need: the score histogram and tiers, influence by feature and privacy category, the
beeswarm points, a fixed random sample of people for dependence plots, the profile of every
column, and for every sensitive attribute and ordered pair of them the by-group table
(count, mean, standard deviation, median, share reaching each tier) and a binned score
distribution per group.
They are small (kilobytes), so opening a run of a million people reads kilobytes, not the
population. Small groups are stored with their counts and hidden when shown (the threshold
``k`` is the viewer's choice); counts alone identify no one.

Every reader falls back to computing its table from the population when a run has none
stored (a run held in memory), with the same function, so both paths give equal tables.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd

from sesame_audit.model.core.columns import RESERVED_PREFIX
from sesame_audit.model.core.roles import POINTS, Roles
from sesame_audit.model.core.units import band_width
from sesame_audit.model.figures import drivers
from sesame_audit.model.figures.groups import (
    SEPARATOR,
    Attribute,
    attribute_columns,
    attribute_key,
    group_frame,
)
from sesame_audit.model.figures.population import score_bins

SAMPLE = 3_000
DISTRIBUTION_WIDTH = 25.0
SHAP_PREFIX = f"{RESERVED_PREFIX}shap__"
GROUP_KEYS = ("g0", "g1")


Coded = tuple[np.ndarray, pd.Index]  # each person's group code, and the sorted group labels


def code_groups(people: pd.DataFrame, column: str) -> Coded:
    """Return each person's group code and the groups' labels (text, sorted).

    Parameters
    ----------
    people : pandas.DataFrame
        The population.
    column : str
        A column defining groups (see :func:`figures.groups.group_frame`).

    Returns
    -------
    codes : numpy.ndarray of int
        Position of each person's group in ``labels``.
    labels : pandas.Index
        Group labels, sorted as text; missing values are the group ``missing``.
    """
    codes, labels = pd.factorize(group_frame(people, column)[column], sort=True)
    return np.asarray(codes, dtype=np.int64), labels


def _key(coded: list[Coded]) -> tuple[np.ndarray, list[int]]:
    """One integer per person that sorts like the tuple of its group labels."""
    sizes = [len(labels) for _, labels in coded]
    key = coded[0][0].astype(np.int64)  # a copy, wide enough for the combined key
    for (codes, _), size in zip(coded[1:], sizes[1:], strict=True):
        key = key * size + codes
    return key, sizes


def _split_key(key: np.ndarray, coded: list[Coded], sizes: list[int]) -> list[pd.Index]:
    """The label of each column for each combined key."""
    parts, rest = [], key
    for (_, labels), size in zip(reversed(coded), reversed(sizes), strict=True):
        parts.append(labels[rest % size])
        rest = rest // size
    return parts[::-1]


def _table(coded: list[Coded], columns: list[str], score: np.ndarray,
           roles: Roles) -> pd.DataFrame:
    key, sizes = _key(coded)
    space = int(np.prod(sizes))
    count = np.bincount(key, minlength=space)
    present = np.flatnonzero(count)
    found = count[present].astype(float)
    table = pd.DataFrame({"count": found}, index=present)
    table["median_score"] = pd.Series(score).groupby(key, sort=True).median().to_numpy()
    mean = np.bincount(key, weights=score, minlength=space)
    mean[present] /= found
    table["mean_score"] = mean[present]
    squares = np.bincount(key, weights=(score - mean[key]) ** 2, minlength=space)[present]
    with np.errstate(invalid="ignore", divide="ignore"):  # one person: no spread measured
        table["sd_score"] = np.sqrt(squares / (found - 1))
    for t in roles.tiers:  # sums of 0/1 are exact, so the shares are too
        reached = np.bincount(key, weights=roles.reaches(score, t.min_score), minlength=space)
        table[f"share_{t.name}"] = reached[present] / found
    parts = _split_key(present, coded, sizes)
    table.index = (pd.Index(parts[0], name=columns[0]) if len(parts) == 1
                   else pd.MultiIndex.from_arrays(parts, names=columns))
    return table


def by_group(people: pd.DataFrame, score: np.ndarray, roles: Roles,
             attribute: Attribute) -> pd.DataFrame:
    """Count, mean, median and share reaching each tier, for every non-empty group.

    Parameters
    ----------
    people : pandas.DataFrame
        The population.
    score : numpy.ndarray
        Each person's score.
    roles : Roles
        Tiers.
    attribute : str or tuple of two str
        Column(s) defining the groups.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (one level per column, as text, sorted): ``count``,
        ``median_score``, ``mean_score``, ``sd_score`` (standard deviation of the score,
        NaN for one person) and ``share_<tier>``.
    """
    columns = attribute_columns(attribute)
    coded = [code_groups(people, c) for c in columns]
    return _table(coded, columns, np.asarray(score, dtype=float), roles)


def distribution_width(roles: Roles) -> float:
    """Width of the bins of the score's distribution within groups: 25 points, else 2.5
    histogram bands (see :func:`core.units.band_width`)."""
    return DISTRIBUTION_WIDTH if roles.unit == POINTS else 2.5 * band_width(roles)


def _bins(coded: list[Coded], binned: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    key, sizes = _key(coded)
    edges, column = binned
    n_bins = len(edges) - 1
    counts = np.bincount(key * n_bins + column, minlength=int(np.prod(sizes)) * n_bins)
    counts = counts.reshape(-1, n_bins)
    present = np.flatnonzero(counts.sum(axis=1))
    names = _split_key(present, coded, sizes)
    labels = [SEPARATOR.join(str(part[i]) for part in names) for i in range(len(present))]
    rows = [pd.DataFrame({"group": label, "bin_start": edges[:-1], "bin_end": edges[1:],
                          "people": counts[group]})
            for label, group in sorted(zip(labels, present, strict=True))]
    if not rows:
        return pd.DataFrame(columns=["group", "bin_start", "bin_end", "people"])
    return pd.concat(rows, ignore_index=True)


def group_bins(people: pd.DataFrame, score: np.ndarray, roles: Roles, attribute: Attribute,
               width: float | None = None) -> pd.DataFrame:
    """People per score bin of ``width``, for every group.

    Parameters
    ----------
    people : pandas.DataFrame
        The population.
    score : numpy.ndarray
        Each person's score (clipped to the score's range).
    roles : Roles
        The score's range.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    width : float, optional
        Bin width in the score's unit (:func:`distribution_width` by default); bins start
        at ``roles.score_min``.

    Returns
    -------
    pandas.DataFrame
        ``group`` (label, ``"a & b"`` for intersections), ``bin_start``, ``bin_end`` and
        ``people``; every bin of every non-empty group, groups sorted by label.
    """
    coded = [code_groups(people, c) for c in attribute_columns(attribute)]
    width = distribution_width(roles) if width is None else width
    return _bins(coded, score_bins(np.asarray(score, dtype=float), roles, width))


def attributes_stored(roles: Roles, columns: list[str]) -> list[Attribute]:
    """The attributes a run stores group tables for: each sensitive one and ordered pairs."""
    single = [c for c in roles.sensitive if c in columns]
    return [*single, *permutations(single, 2)]


def attribute_tables(coded: dict[str, Coded], score: np.ndarray, roles: Roles
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the stored group tables of every sensitive attribute and ordered pair.

    Parameters
    ----------
    coded : dict
        Sensitive column -> (each person's group code, group labels), for the columns that
        can be compared as groups (see :func:`code_groups`).
    score : numpy.ndarray
        Each person's score.
    roles : Roles
        Tiers and the score's range.

    Returns
    -------
    groups : pandas.DataFrame
        :func:`by_group` of each attribute, one after the other: ``attribute`` (its
        :func:`figures.groups.attribute_key`), ``g0``,
        ``g1`` (the groups), then its columns.
    group_bins : pandas.DataFrame
        :func:`group_bins` of each attribute, with an ``attribute`` column (its key).
    """
    score = np.asarray(score, dtype=float)
    binned = score_bins(score, roles, distribution_width(roles))
    tables, bins = [], []
    for attribute in attributes_stored(roles, list(coded)):
        keys = attribute_columns(attribute)
        columns = [coded[c] for c in keys]
        table = _table(columns, keys, score, roles).reset_index()
        table = table.rename(columns=dict(zip(keys, GROUP_KEYS, strict=False)))
        table.insert(0, "attribute", attribute_key(attribute))
        tables.append(table)
        counted = _bins(columns, binned)
        counted.insert(0, "attribute", attribute_key(attribute))
        bins.append(counted)
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(),
            pd.concat(bins, ignore_index=True) if bins else pd.DataFrame())


def sample_table(people: pd.DataFrame, values: pd.DataFrame, roles: Roles, *,
                 rows: np.ndarray | None = None) -> pd.DataFrame:
    """A fixed random sample of people: id, inputs, sensitive attributes and SHAP values.

    Parameters
    ----------
    people : pandas.DataFrame
        The population (or one chunk of it).
    values : pandas.DataFrame
        SHAP values, rows aligned with ``people``.
    roles : Roles
        Column roles.
    rows : numpy.ndarray, optional
        Row positions to take; by default those of :func:`figures.drivers.sample_rows`
        (``SAMPLE`` people at most, seed 0).

    Returns
    -------
    pandas.DataFrame
        The rows, SHAP columns prefixed ``shap__``.
    """
    rows = drivers.sample_rows(len(people), SAMPLE) if rows is None else rows
    keep = list(dict.fromkeys([roles.id, *roles.inputs,
                               *(c for c in roles.sensitive if c in people.columns)]))
    frame = people[keep].iloc[rows].reset_index(drop=True)
    shap_part = values.iloc[rows].reset_index(drop=True).add_prefix(SHAP_PREFIX)
    return pd.concat([frame, shap_part], axis=1)
