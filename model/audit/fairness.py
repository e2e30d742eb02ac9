"""Whom the score treats unfairly: outcomes and reward-tier access by group.

The score audited is the score under audit, the model's prediction. A person "reaches" a
tier at or above its threshold; a group's share reaching a tier is fairlearn's selection
rate (fairlearn's ``MetricFrame`` gives the same numbers, see :func:`score_frame`). The
impact ratio of a group is its share divided by the share of the most favoured
group (the highest share among the groups shown); under 0.8 it fails the four-fifths rule.
Groups with fewer than ``k`` people are hidden (see :mod:`figures.suppress`) and take no
part in finding the most favoured group.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, selection_rate

from sesame_audit.model.figures import group_tables
from sesame_audit.model.figures.groups import Attribute, attribute_name, group_frame
from sesame_audit.model.figures.suppress import DEFAULT_K, Suppression, suppression
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.run import Run

FOUR_FIFTHS = 0.8
Metric = Callable[[np.ndarray, np.ndarray], float]


def _reaches(threshold: float) -> Metric:
    def share(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(selection_rate(y_true, np.asarray(y_pred) >= threshold, pos_label=True))
    return share


def _mean(_y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_pred))


def _median(_y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.median(y_pred))


def score_frame(run: Run, attribute: Attribute, *, score: np.ndarray | None = None
                ) -> MetricFrame:
    """Return fairlearn's MetricFrame of the score under audit by group.

    The same numbers as :func:`tier_table` before suppression, as a fairlearn object for
    use with fairlearn's own tools (``difference()``, ``ratio()``, ...). The audit computes
    them with one pandas group-by instead: MetricFrame stacks every row of its inputs in
    Python for every metric and group (4 s for 20,000 people, minutes for millions).

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        A column of ``run.people`` or an intersection of two.
    score : numpy.ndarray, optional
        Scores to audit instead of the score under audit (e.g. a retrained model's).

    Returns
    -------
    fairlearn.metrics.MetricFrame
        Metrics ``count``, ``mean_score``, ``median_score`` and ``share_<tier>`` (selection
        rate of reaching the tier) overall and by group; empty intersections are NaN.
    """
    score = np.asarray(run.explanation.prediction if score is None else score, dtype=float)
    metrics: dict[str, Metric] = {"count": count, "mean_score": _mean, "median_score": _median}
    metrics |= {f"share_{t.name}": _reaches(t.min_score) for t in run.roles.tiers}
    return MetricFrame(metrics=metrics, y_true=score, y_pred=score,
                       sensitive_features=group_frame(run.people, attribute))


def _by_group(run: Run, attribute: Attribute, score: np.ndarray | None) -> pd.DataFrame:
    """Count, mean, median and share reaching each tier for every non-empty group."""
    if score is None:
        return stored.groups(run, attribute)
    return group_tables.by_group(run.people, score, run.roles, attribute)


def _join(index: pd.Index) -> list[str]:
    if isinstance(index, pd.MultiIndex):
        return [" & ".join(map(str, key)) for key in index]
    return [str(key) for key in index]


def tier_table_with_suppression(run: Run, attribute: Attribute, *, k: int = DEFAULT_K,
                                score: np.ndarray | None = None
                                ) -> tuple[pd.DataFrame, Suppression]:
    """Return :func:`tier_table` and the suppression decision behind it.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int
        Smallest group size shown.
    score : numpy.ndarray, optional
        Scores to audit instead of the score under audit.

    Returns
    -------
    table : pandas.DataFrame
        See :func:`tier_table`.
    suppressed : Suppression
        Which groups were hidden and why.
    """
    by_group = _by_group(run, attribute, score)
    hidden = suppression(by_group["count"], k=k)
    table = by_group[["count", "mean_score", "median_score",
                      *(f"share_{t}" for t in run.roles.tier_names)]].reset_index(drop=True)
    table.insert(0, "group", _join(by_group.index))
    mask = hidden.mask.to_numpy()
    value_columns = [c for c in table.columns if c != "group"]
    table.loc[mask, value_columns] = np.nan
    table["count"] = pd.array(table["count"].round(), dtype="Int64")
    for tier in run.roles.tier_names:
        share = table[f"share_{tier}"]
        best = share.max()
        table[f"impact_ratio_{tier}"] = share / best if best > 0 else np.nan
    table["suppressed"] = mask
    return table, hidden


def tier_table(run: Run, attribute: Attribute, *, k: int = DEFAULT_K) -> pd.DataFrame:
    """Return score and tier access by group, with impact ratios and small groups hidden.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        A column of ``run.people`` (usually in ``run.roles.sensitive``) or two of them,
        whose intersections form the groups.
    k : int
        Smallest group size shown (default 11).

    Returns
    -------
    pandas.DataFrame
        One row per non-empty group: ``group`` (``"a & b"`` for intersections), ``count``,
        ``mean_score``, ``median_score``, ``share_<tier>`` for every tier (share reaching
        it), ``impact_ratio_<tier>`` (share over the highest share shown) and
        ``suppressed``. Values of hidden groups are missing.

    Raises
    ------
    ValueError
        For an unknown attribute or a bad ``k``.
    """
    return tier_table_with_suppression(run, attribute, k=k)[0]


def impact_ratios(run: Run, attribute: Attribute, *, k: int = DEFAULT_K) -> pd.DataFrame:
    """Return the impact ratio of every group at every tier, flagged by the four-fifths rule.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int
        Smallest group size shown.

    Returns
    -------
    pandas.DataFrame
        Long table: ``attribute``, ``group``, ``tier``, ``share``, ``impact_ratio``,
        ``flagged`` (impact ratio under 0.8) and ``suppressed``; tiers lowest first.
    """
    table = tier_table(run, attribute, k=k)
    rows = [
        pd.DataFrame({
            "attribute": attribute_name(attribute),
            "group": table["group"],
            "tier": tier,
            "share": table[f"share_{tier}"],
            "impact_ratio": table[f"impact_ratio_{tier}"],
            "suppressed": table["suppressed"],
        })
        for tier in run.roles.tier_names
    ]
    long = pd.concat(rows, ignore_index=True)
    long.insert(5, "flagged", (long["impact_ratio"] < FOUR_FIFTHS).fillna(False).astype(bool))
    return long


def demographic_parity(run: Run, attribute: Attribute, *, k: int = DEFAULT_K) -> pd.DataFrame:
    """Return, per tier, the gap between the groups with the highest and lowest access.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int
        Smallest group size shown; hidden groups take no part.

    Returns
    -------
    pandas.DataFrame
        One row per tier: ``tier``, ``threshold``, ``highest_group``, ``highest_share``,
        ``lowest_group``, ``lowest_share``, ``difference`` (highest minus lowest share) and
        ``ratio`` (lowest over highest; missing when no shown group reaches the tier).
    """
    table = tier_table(run, attribute, k=k)
    shown = table[~table["suppressed"]]
    rows = []
    for spec in run.roles.tiers:
        share = shown.set_index("group")[f"share_{spec.name}"]
        high, low = (share.idxmax(), share.idxmin()) if len(share) else (None, None)
        top = float(share.max()) if len(share) else np.nan
        bottom = float(share.min()) if len(share) else np.nan
        rows.append({"tier": spec.name, "threshold": spec.min_score, "highest_group": high,
                     "highest_share": top, "lowest_group": low, "lowest_share": bottom,
                     "difference": top - bottom,
                     "ratio": bottom / top if top > 0 else np.nan})
    return pd.DataFrame(rows)


def score_distribution(run: Run, attribute: Attribute, *, width: float = 25.0,
                       k: int = DEFAULT_K) -> pd.DataFrame:
    """Return the distribution of the score within each group, binned, for charts.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    width : float
        Bin width in points; bins start at ``run.roles.score_min``.
    k : int
        Smallest group size shown; hidden groups are left out.

    Returns
    -------
    pandas.DataFrame
        Long table: ``group``, ``bin_start``, ``bin_end`` and ``share`` (of the group's
        people whose score falls in the bin); every bin of the score range, for every group
        shown.
    """
    if not width > 0:
        raise ValueError(f"bin width must be positive, got {width!r}")
    binned = (stored.bins(run, attribute) if width == group_tables.DISTRIBUTION_WIDTH
              else group_tables.group_bins(run.people, run.explanation.prediction, run.roles,
                                         attribute, width))
    by_group = _by_group(run, attribute, None)  # hidden as in the tier table
    hidden = suppression(by_group["count"], k=k).mask.to_numpy()
    shown = {label for label, gone in zip(_join(by_group.index), hidden, strict=True)
             if not gone}
    table = binned[binned["group"].isin(shown)].reset_index(drop=True)
    if table.empty:
        return pd.DataFrame(columns=["group", "bin_start", "bin_end", "share"])
    share = table["people"] / table.groupby("group")["people"].transform("sum")
    return table[["group", "bin_start", "bin_end"]].assign(share=share.to_numpy())
