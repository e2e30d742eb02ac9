"""Whom the score treats unfairly: outcomes and reward-tier access by group.

The score audited is the score under audit, the model's prediction. A person "reaches" a
tier at or above its threshold (at or below when low scores are favourable, see
:meth:`core.roles.Roles.reaches`); a group's share reaching a tier is fairlearn's selection
rate (fairlearn's ``MetricFrame`` gives the same numbers, see :func:`score_frame`). The
impact ratio of a group is its share divided by the share of the reference group: the most
favoured group (highest share) among the groups shown with at least ``max(k, 30)`` people,
so that a handful of people never sets the bar. Every share and ratio carries the people
behind it and a 95% interval (see :mod:`figures.intervals`). Under 0.8 a ratio fails the
four-fifths rule: the finding is *clear* when its whole interval lies under 0.8 and
*uncertain* when the interval reaches 0.8. Groups with fewer than ``k`` people are hidden
(see :mod:`figures.suppress`) and take no part in choosing the reference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, selection_rate

from sesame_audit.model.core.roles import Roles
from sesame_audit.model.figures import group_tables
from sesame_audit.model.figures.groups import Attribute, attribute_name, group_frame
from sesame_audit.model.figures.intervals import mean_interval, ratio_interval, wilson
from sesame_audit.model.figures.suppress import DEFAULT_K, Suppression, suppression
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.run import Run

FOUR_FIFTHS = 0.8
MIN_REFERENCE = 30
CLEAR, UNCERTAIN, NO_FINDING = "clear", "uncertain", "none"
Metric = Callable[[np.ndarray, np.ndarray], float]


def _reaches(roles: Roles, threshold: float) -> Metric:
    def share(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(selection_rate(y_true, roles.reaches(y_pred, threshold), pos_label=True))
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
    metrics |= {f"share_{t.name}": _reaches(run.roles, t.min_score) for t in run.roles.tiers}
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


def reference_size(k: int = DEFAULT_K, min_reference: int = MIN_REFERENCE) -> int:
    """Return the fewest people a reference group must have: ``max(k, min_reference)``."""
    return max(k, min_reference)


def reference_groups(table: pd.DataFrame, tiers: list[str], minimum: int
                     ) -> dict[str, str | None]:
    """Return the reference group of every tier: the most favoured of the large groups shown.

    Parameters
    ----------
    table : pandas.DataFrame
        A table with ``group``, ``count``, ``suppressed`` and ``share_<tier>`` columns (see
        :func:`tier_table`).
    tiers : list of str
        Tier names.
    minimum : int
        Fewest people a reference group has (see :func:`reference_size`).

    Returns
    -------
    dict
        Tier -> group with the highest share among the groups shown with at least
        ``minimum`` people (the first by name on ties); None when no such group reaches
        the tier.
    """
    large = table[~table["suppressed"].astype(bool)
                  & (table["count"].astype(float).fillna(0) >= minimum)]
    found: dict[str, str | None] = {}
    for tier in tiers:
        share = large.set_index("group")[f"share_{tier}"].astype(float)
        found[tier] = str(share.idxmax()) if len(share) and share.max() > 0 else None
    return found


def four_fifths_finding(ratio: np.ndarray | pd.Series, high: np.ndarray | pd.Series
                        ) -> np.ndarray:
    """Classify impact ratios by the four-fifths rule, taking their intervals into account.

    Parameters
    ----------
    ratio : array-like
        Impact ratios (NaN when hidden or undefined).
    high : array-like
        Upper ends of their 95% intervals.

    Returns
    -------
    numpy.ndarray of str
        ``"clear"`` where the whole interval lies under 0.8, ``"uncertain"`` where the ratio
        is under 0.8 but its interval reaches 0.8, ``"none"`` otherwise.
    """
    ratio, high = np.asarray(ratio, dtype=float), np.asarray(high, dtype=float)
    under = ratio < FOUR_FIFTHS
    return np.select([under & (high < FOUR_FIFTHS), under], [CLEAR, UNCERTAIN], NO_FINDING)


def tier_table_with_suppression(run: Run, attribute: Attribute, *, k: int = DEFAULT_K,
                                score: np.ndarray | None = None,
                                min_reference: int = MIN_REFERENCE
                                ) -> tuple[pd.DataFrame, Suppression]:
    """Return :func:`tier_table` and the suppression decision behind it.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int, default=11
        Smallest group size shown.
    score : numpy.ndarray, optional
        Scores to audit instead of the score under audit.
    min_reference : int, default=30
        Fewest people of a reference group, besides ``k`` (see :func:`reference_size`).

    Returns
    -------
    table : pandas.DataFrame
        See :func:`tier_table`.
    suppressed : Suppression
        Which groups were hidden and why.
    """
    tiers = run.roles.tier_names
    by_group = _by_group(run, attribute, score)
    if "sd_score" not in by_group.columns:  # stored before spreads were kept
        by_group = by_group.assign(sd_score=np.nan)
    hidden = suppression(by_group["count"], k=k)
    table = by_group[["count", "mean_score", "sd_score", "median_score",
                      *(f"share_{t}" for t in tiers)]].reset_index(drop=True)
    table.insert(0, "group", _join(by_group.index))
    mask = hidden.mask.to_numpy()
    value_columns = [c for c in table.columns if c != "group"]
    table.loc[mask, value_columns] = np.nan
    n = table["count"].to_numpy(float)
    low, high = mean_interval(table["mean_score"], table["sd_score"], n)
    table.insert(3, "mean_lower", low)
    table.insert(4, "mean_upper", high)
    table["count"] = pd.array(table["count"].round(), dtype="Int64")
    table["suppressed"] = mask
    reference = reference_groups(table, tiers, reference_size(k, min_reference))
    for tier in tiers:
        reached = np.round(table[f"share_{tier}"].to_numpy(float) * n)
        table[f"reached_{tier}"] = pd.array(reached, dtype="Int64")
        table[f"share_lower_{tier}"], table[f"share_upper_{tier}"] = wilson(reached, n)
        if reference[tier] is None:
            ratio = low = high = np.full(len(table), np.nan)
        else:
            ref = int(np.flatnonzero(table["group"].to_numpy() == reference[tier])[0])
            ratio, low, high = ratio_interval(reached, n, reached[ref], n[ref])
            low[ref] = high[ref] = ratio[ref]  # a group compared with itself: exactly 1
        table[f"impact_ratio_{tier}"] = ratio
        table[f"impact_lower_{tier}"], table[f"impact_upper_{tier}"] = low, high
    table["suppressed"] = table.pop("suppressed")
    return table, hidden


def tier_table(run: Run, attribute: Attribute, *, k: int = DEFAULT_K,
               min_reference: int = MIN_REFERENCE) -> pd.DataFrame:
    """Return score and tier access by group, with impact ratios and small groups hidden.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        A column of ``run.people`` (usually in ``run.roles.sensitive``) or two of them,
        whose intersections form the groups.
    k : int, default=11
        Smallest group size shown.
    min_reference : int, default=30
        Fewest people of a reference group, besides ``k``.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty group: ``group`` (``"a & b"`` for intersections), ``count``,
        ``mean_score`` with its 95% interval ``mean_lower``/``mean_upper``, ``sd_score``,
        ``median_score``; for every tier ``share_<tier>``, ``reached_<tier>`` (people
        reaching it), the Wilson interval ``share_lower_<tier>``/``share_upper_<tier>``,
        ``impact_ratio_<tier>`` (share over the reference group's, see
        :func:`reference_groups`) with its interval ``impact_lower_<tier>``/
        ``impact_upper_<tier>``; and ``suppressed``. Values of hidden groups are missing.

    Raises
    ------
    ValueError
        For an unknown attribute or a bad ``k``.

    See Also
    --------
    impact_ratios : the same figures as a long table, with the four-fifths findings.
    """
    return tier_table_with_suppression(run, attribute, k=k, min_reference=min_reference)[0]


def impact_ratios(run: Run, attribute: Attribute, *, k: int = DEFAULT_K,
                  min_reference: int = MIN_REFERENCE) -> pd.DataFrame:
    """Return the impact ratio of every group at every tier, classified by the four-fifths rule.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int, default=11
        Smallest group size shown.
    min_reference : int, default=30
        Fewest people of a reference group, besides ``k``.

    Returns
    -------
    pandas.DataFrame
        Long table: ``attribute``, ``group``, ``tier``, ``count``, ``reached``, ``share``,
        ``share_lower``, ``share_upper``, ``impact_ratio``, ``impact_lower``,
        ``impact_upper``, ``reference`` (the tier's reference group), ``finding``
        (``clear``, ``uncertain`` or ``none``, see :func:`four_fifths_finding`),
        ``flagged`` (a clear finding) and ``suppressed``; tiers lowest first.
    """
    table = tier_table(run, attribute, k=k, min_reference=min_reference)
    reference = reference_groups(table, run.roles.tier_names, reference_size(k, min_reference))
    rows = [
        pd.DataFrame({
            "attribute": attribute_name(attribute),
            "group": table["group"],
            "tier": tier,
            "count": table["count"],
            "reached": table[f"reached_{tier}"],
            "share": table[f"share_{tier}"],
            "share_lower": table[f"share_lower_{tier}"],
            "share_upper": table[f"share_upper_{tier}"],
            "impact_ratio": table[f"impact_ratio_{tier}"],
            "impact_lower": table[f"impact_lower_{tier}"],
            "impact_upper": table[f"impact_upper_{tier}"],
            "reference": reference[tier],
            "suppressed": table["suppressed"],
        })
        for tier in run.roles.tier_names
    ]
    long = pd.concat(rows, ignore_index=True)
    finding = four_fifths_finding(long["impact_ratio"], long["impact_upper"])
    long.insert(len(long.columns) - 1, "finding", finding)
    long.insert(len(long.columns) - 1, "flagged", finding == CLEAR)
    return long


def four_fifths_headline(ratios: pd.DataFrame) -> str:
    """Return the four-fifths rule's findings in one plain sentence: clear, then uncertain.

    Parameters
    ----------
    ratios : pandas.DataFrame
        Output of :func:`impact_ratios`.

    Returns
    -------
    str
        How many group/tier pairs clearly fail (the whole 95% interval under 0.8), how many
        fall under 0.8 without certainty, and the reference group of each tier.
    """
    clear = int((ratios["finding"] == CLEAR).sum())
    uncertain = int((ratios["finding"] == UNCERTAIN).sum())
    references = ratios.drop_duplicates("tier").set_index("tier")["reference"]
    named = "; ".join(f"{tier.replace('_', ' ')}: {group.replace('_', ' ')}"
                      for tier, group in references.items()
                      if isinstance(group, str))
    text = (f"{clear} group/tier pair(s) clearly fail the four-fifths rule: the group reaches "
            "the tier less than 80% as often as the reference group, with the whole 95% "
            f"interval under 0.8. {uncertain} more fall under 0.8 but their interval reaches "
            "0.8 (too few people to be sure).")
    return text + (f" Reference groups (the most favoured with enough people): {named}."
                   if named else " No group is large enough to serve as reference.")


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
