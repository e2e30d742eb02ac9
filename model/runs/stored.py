"""The stored aggregates of a run, read back for the pages (see :mod:`figures.group_tables`).

Every reader falls back to computing its table from the population when a run has none
stored (a run held in memory), with the same function, so both paths give equal tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sesame_audit.model.core.wording import r2_label as r2_label  # its home; kept importable
from sesame_audit.model.figures import drivers, population
from sesame_audit.model.figures.group_tables import (
    GROUP_KEYS,
    SHAP_PREFIX,
    by_group,
    group_bins,
    sample_table,
)
from sesame_audit.model.figures.groups import Attribute, attribute_columns, attribute_key
from sesame_audit.model.figures.profile import ColumnProfile, column_profiles, profiles_from_table

if TYPE_CHECKING:
    from sesame_audit.model.runs.run import Run


def profiles(run: Run) -> dict[str, ColumnProfile]:
    """Each input's and sensitive attribute's values and counts (see :mod:`figures.profile`).

    Parameters
    ----------
    run : Run
        A run.

    Returns
    -------
    dict
        Column -> ColumnProfile.
    """
    if "profiles" not in run.memo:
        stored = run.aggregate("profile")
        run.memo["profiles"] = (profiles_from_table(stored) if stored is not None
                                else column_profiles(run.people, run.roles))
    return run.memo["profiles"]


def score_spread(run: Run) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, object]]:
    """The score histogram, the tiers reached and the group below every tier.

    Parameters
    ----------
    run : Run
        A run.

    Returns
    -------
    histogram : pandas.DataFrame
        See :func:`figures.population.score_histogram`.
    tiers : pandas.DataFrame
        See :func:`figures.population.tier_reach_table`.
    below : dict
        See :func:`figures.population.below_tiers`.
    """
    histogram, tiers, below = (run.aggregate(n) for n in ("histogram", "tiers", "below"))
    if histogram is None or tiers is None or below is None:
        score = run.explanation.prediction
        return (population.score_histogram(score, run.roles),
                population.tier_reach_table(score, run.roles),
                population.below_tiers(score, run.roles))
    record = below.iloc[0].to_dict()
    threshold = record.get("threshold")
    record["threshold"] = None if threshold is None or pd.isna(threshold) else float(threshold)
    record["people"], record["share"] = int(record["people"]), float(record["share"])
    return histogram, tiers, record


def influence(run: Run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean |SHAP| by feature and by privacy category.

    Parameters
    ----------
    run : Run
        A run.

    Returns
    -------
    by_feature : pandas.DataFrame
        See :func:`figures.drivers.influence_by_feature`.
    by_privacy : pandas.DataFrame
        See :func:`figures.drivers.influence_by_privacy`.
    """
    feature, privacy = run.aggregate("influence"), run.aggregate("privacy")
    if feature is None or privacy is None:
        values = run.explanation.values
        return (drivers.influence_by_feature(values, run.roles),
                drivers.influence_by_privacy(values, run.roles))
    return feature, privacy


def beeswarm(run: Run) -> tuple[pd.DataFrame, int]:
    """The beeswarm points and the number of people drawn.

    Parameters
    ----------
    run : Run
        A run.

    Returns
    -------
    points : pandas.DataFrame
        See :func:`figures.drivers.beeswarm_data`.
    n_sampled : int
        People drawn.
    """
    stored = run.aggregate("beeswarm")
    if stored is None:
        return drivers.beeswarm_data(run.explanation.values, run.people, run.roles)
    return stored, len(drivers.sample_rows(run.n, drivers.BEESWARM_SAMPLE))


def sample(run: Run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fixed random sample of people behind the dependence plots.

    Parameters
    ----------
    run : Run
        A run.

    Returns
    -------
    people : pandas.DataFrame
        Id, inputs and sensitive attributes of the people drawn.
    values : pandas.DataFrame
        Their SHAP values.
    """
    stored = run.aggregate("sample")
    if stored is None:
        stored = sample_table(run.people, run.explanation.values, run.roles)
    shap_columns = [c for c in stored.columns if c.startswith(SHAP_PREFIX)]
    values = stored[shap_columns].rename(columns=lambda c: c[len(SHAP_PREFIX):])
    return stored.drop(columns=shap_columns), values


def _stored_rows(run: Run, name: str, attribute: Attribute) -> pd.DataFrame | None:
    """The rows of a stored by-attribute aggregate for ``attribute``, or None if it has none."""
    stored = run.aggregate(name)
    if stored is None or not len(stored):
        return None
    rows = stored[stored["attribute"] == attribute_key(attribute)]
    return None if rows.empty else rows


def groups(run: Run, attribute: Attribute) -> pd.DataFrame:
    """The by-group table of an attribute (see :func:`by_group`), stored or computed.

    Parameters
    ----------
    run : Run
        A run.
    attribute : str or tuple of two str
        Column(s) defining the groups.

    Returns
    -------
    pandas.DataFrame
        As :func:`by_group`.
    """
    keys = attribute_columns(attribute)
    rows = _stored_rows(run, "groups", attribute)
    if rows is None:
        return by_group(run.people, run.explanation.prediction, run.roles, attribute)
    table = rows.drop(columns=["attribute", *GROUP_KEYS[len(keys):]], errors="ignore")
    table = table.rename(columns=dict(zip(GROUP_KEYS, keys, strict=False)))
    return table.set_index(keys)


def bins(run: Run, attribute: Attribute) -> pd.DataFrame:
    """People per 25-point score bin for every group (see :func:`group_bins`).

    Parameters
    ----------
    run : Run
        A run.
    attribute : str or tuple of two str
        Column(s) defining the groups.

    Returns
    -------
    pandas.DataFrame
        As :func:`group_bins`.
    """
    rows = _stored_rows(run, "group_bins", attribute)
    if rows is None:
        return group_bins(run.people, run.explanation.prediction, run.roles, attribute)
    return rows.drop(columns="attribute").reset_index(drop=True)


def accuracy(run: Run) -> dict[str, float]:
    """Return the model's held-out accuracy recorded in the run's manifest.

    Parameters
    ----------
    run : Run
        A loaded run.

    Returns
    -------
    dict
        ``r2`` and ``mae_points`` (in the score's unit) against the recorded score, plus
        ``r2_hidden`` and ``mae_hidden_points`` against the noise-free hidden score when it
        was known; for a classifier ``accuracy`` (of the decision at the first threshold),
        ``auc``, ``brier`` (probabilities only) and ``positive_rate``; only the entries
        present in the manifest.
    """
    metrics = run.manifest.get("metrics", {})
    wanted = ("r2", "mae_points", "r2_hidden", "mae_hidden_points", "accuracy", "auc", "brier",
              "positive_rate")
    return {k: float(metrics[k]) for k in wanted if k in metrics}
