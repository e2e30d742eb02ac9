"""Summaries of one chunk of a population that merge into the run's stored aggregates.

A build explains the population chunk by chunk (a city at a time, possibly on other
machines) and never holds it whole: each chunk is reduced to a :class:`ChunkSummary`, and
:func:`merge` turns the summaries, in row order, into the tables of
:mod:`runs.stored`. What a summary keeps, per person, is only the score and a small
integer code per sensitive attribute (13 bytes a person), so that group tables keep
their exact medians; everything else is sums, counts, column profiles and the rows of the
fixed samples that fall in the chunk. A population held in memory is one chunk, so the
stored tables and the ones recomputed from a loaded population come from the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sesame_audit.model.build.fidelity_sums import fidelity_from_sums, fidelity_sums
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.explain.explanation import Explanation, additivity_error
from sesame_audit.model.figures import drivers, population
from sesame_audit.model.figures.group_tables import (
    SAMPLE,
    SHAP_PREFIX,
    Coded,
    attribute_tables,
    code_groups,
    sample_table,
)
from sesame_audit.model.figures.groups import MAX_GROUPS
from sesame_audit.model.figures.profile import (
    ColumnProfile,
    column_profiles,
    merge_profiles,
    profile_rows,
)

_CODE = np.int8  # a group code per person and attribute: MAX_GROUPS (60) fits


@dataclass(frozen=True)
class ChunkSummary:
    """What one chunk of a population contributes to the stored aggregates.

    Attributes
    ----------
    offset : int
        Row position of the chunk's first person in the population.
    score : numpy.ndarray
        Each person's score (the model's prediction), float64.
    groups : dict
        Sensitive column -> (codes, labels) of :func:`runs.stored.code_groups`, codes
        as int8; a column with too many values to compare as groups is left out.
    abs_sum, signed_sum : numpy.ndarray
        Per input (in ``roles.inputs`` order), the sum of |SHAP| and of SHAP.
    privacy_abs_sum : dict
        Privacy category -> sum over people of |sum of the category's SHAP values|.
    profiles : dict
        Input or sensitive column -> its :class:`figures.profile.ColumnProfile` in the chunk.
    sample : pandas.DataFrame
        The chunk's rows of the fixed sample (:func:`runs.stored.sample_table`).
    swarm : pandas.DataFrame
        The chunk's rows of the beeswarm sample, as ``sample``.
    fidelity : pandas.DataFrame
        :func:`course.fidelity.fidelity_sums` of the chunk.
    additivity : float
        Largest ``|base + sum(SHAP) - prediction|`` in the chunk.
    """

    offset: int
    score: np.ndarray
    groups: dict[str, Coded]
    abs_sum: np.ndarray
    signed_sum: np.ndarray
    privacy_abs_sum: dict[str, float]
    profiles: dict[str, ColumnProfile]
    sample: pd.DataFrame
    swarm: pd.DataFrame
    fidelity: pd.DataFrame
    additivity: float

    @property
    def n(self) -> int:
        """People in the chunk."""
        return len(self.score)


def _in_chunk(rows: np.ndarray, offset: int, n: int) -> np.ndarray:
    """The positions, inside a chunk, of the sampled rows that fall in it."""
    return rows[(rows >= offset) & (rows < offset + n)] - offset


def summarise(people: pd.DataFrame, explanation: Explanation, roles: Roles, *,
              offset: int = 0, total: int | None = None) -> ChunkSummary:
    """Reduce one chunk of a population to what the stored aggregates need of it.

    Parameters
    ----------
    people : pandas.DataFrame
        The chunk's rows of the population.
    explanation : Explanation
        Their SHAP values and scores, rows aligned with ``people``.
    roles : Roles
        Column roles.
    offset : int
        Row position of the chunk's first person in the whole population.
    total : int, optional
        Size of the whole population (the samples are drawn from it); ``len(people)`` by
        default, for a population that is one chunk.

    Returns
    -------
    ChunkSummary
        The chunk's contribution.
    """
    total = len(people) if total is None else total
    inputs = list(roles.inputs)
    values = explanation.values[inputs]
    data = values.to_numpy(dtype=np.float64)
    score = np.asarray(explanation.prediction, dtype=np.float64)
    groups: dict[str, Coded] = {}
    sensitive = [c for c in roles.sensitive if c in people.columns]
    for column in sensitive:
        try:
            codes, labels = code_groups(people, column)
        except ValueError:  # too many distinct values to compare as groups
            continue
        groups[column] = (codes.astype(_CODE), labels)  # at most MAX_GROUPS labels
    privacy: dict[str, float] = {}
    for category, columns in drivers.privacy_columns(inputs, roles).items():
        privacy[category] = float(np.abs(values[columns].to_numpy(np.float64).sum(axis=1)).sum())
    profiles = column_profiles(people, roles)
    sample, swarm = (
        sample_table(people, values, roles,
                     rows=_in_chunk(drivers.sample_rows(total, size), offset, len(people)))
        for size in (SAMPLE, drivers.BEESWARM_SAMPLE))
    return ChunkSummary(
        offset=offset, score=score, groups=groups, abs_sum=np.abs(data).sum(axis=0),
        signed_sum=data.sum(axis=0), privacy_abs_sum=privacy, profiles=profiles,
        sample=sample, swarm=swarm, fidelity=fidelity_sums(people, values),
        additivity=additivity_error(explanation))


def _merge_groups(chunks: list[ChunkSummary]) -> dict[str, Coded]:
    """Each sensitive column's codes over the whole population, labels sorted as text."""
    merged: dict[str, Coded] = {}
    for column in chunks[0].groups:
        if not all(column in c.groups for c in chunks):
            continue
        labels = pd.Index(sorted({str(v) for c in chunks for v in c.groups[column][1]}))
        if len(labels) > MAX_GROUPS:
            continue
        codes = [labels.get_indexer(c.groups[column][1]).astype(_CODE)[c.groups[column][0]]
                 for c in chunks]
        merged[column] = (np.concatenate(codes), labels)
    return merged


@dataclass(frozen=True)
class Merged:
    """The population's aggregates, merged from its chunks.

    Attributes
    ----------
    tables : dict
        Name -> table, as stored under ``aggregates/`` (see :mod:`runs.stored`).
    fidelity : pandas.DataFrame
        SHAP against the hidden rules per feature (as :func:`course.fidelity.fidelity_table`);
        empty without ground truth.
    additivity : float
        Largest ``|base + sum(SHAP) - prediction|`` over everyone.
    """

    tables: dict[str, pd.DataFrame]
    fidelity: pd.DataFrame
    additivity: float


def merge(chunks: list[ChunkSummary], roles: Roles) -> Merged:
    """Merge the summaries of a population's chunks, given in row order.

    Parameters
    ----------
    chunks : list of ChunkSummary
        One per chunk, in row order (``offset`` increasing, no gap).
    roles : Roles
        Column roles.

    Returns
    -------
    Merged
        Every stored aggregate, the fidelity table and the additivity error.

    Raises
    ------
    ValueError
        When there is no chunk, or the chunks do not follow one another.
    """
    if not chunks:
        raise ValueError("no chunk to merge")
    expected = 0
    for chunk in chunks:
        if chunk.offset != expected:
            raise ValueError(f"chunks out of order: one starts at row {chunk.offset:,}, "
                             f"expected {expected:,}")
        expected += chunk.n
    n = expected
    inputs = list(roles.inputs)
    score = np.concatenate([c.score for c in chunks])
    abs_mean = sum(c.abs_sum for c in chunks) / n if n else np.zeros(len(inputs))
    signed_mean = sum(c.signed_sum for c in chunks) / n if n else np.zeros(len(inputs))
    influence = drivers.influence_table(inputs, abs_mean, signed_mean, roles)
    privacy = drivers.privacy_table(
        {k: sum(c.privacy_abs_sum[k] for c in chunks) / n if n else 0.0
         for k in chunks[0].privacy_abs_sum}, inputs, roles)
    profiles = {c: merge_profiles([ch.profiles[c] for ch in chunks]) for c in chunks[0].profiles}
    swarm = pd.concat([c.swarm for c in chunks], ignore_index=True)
    shap_columns = [f"{SHAP_PREFIX}{f}" for f in inputs]
    swarm_values = swarm[shap_columns].set_axis(inputs, axis=1)
    ranks = {f: drivers.rank_by_profile(swarm[f], profiles[f]) for f in inputs}
    points = drivers.beeswarm_points(swarm_values, ranks,
                                     influence["feature"].head(drivers.BEESWARM_TOP).tolist(),
                                     roles)
    groups_table, bins_table = attribute_tables(_merge_groups(chunks), score, roles)
    tables = {
        "profile": profile_rows(profiles),
        "histogram": population.score_histogram(score, roles),
        "tiers": population.tier_reach_table(score, roles),
        "below": pd.DataFrame([population.below_tiers(score, roles)]),
        "influence": influence,
        "privacy": privacy,
        "beeswarm": points,
        "sample": pd.concat([c.sample for c in chunks], ignore_index=True),
        "groups": groups_table,
        "group_bins": bins_table,
    }
    return Merged(tables=tables,
                  fidelity=fidelity_from_sums(pd.concat([c.fidelity for c in chunks])),
                  additivity=max(c.additivity for c in chunks))
