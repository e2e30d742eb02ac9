"""How much of a group gap flows through proxies: the score through them, and unawareness.

Leaving a sensitive attribute out of a model ("unawareness") does not remove its gap when
inputs stand in for it (:mod:`audit.proxies`). :func:`score_through_proxies` sums, by group,
the SHAP points of the inputs that are proxies of an attribute; :func:`unawareness_gap`
splits a gap between groups into what the proxies carry and the rest, with intervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sesame_audit.model.audit.proxies import (
    PROXY_THRESHOLD,
    TOP_CONTRIBUTORS,
    check_sensitive,
    proxies_of,
    proxy_strength,
)
from sesame_audit.model.core import units
from sesame_audit.model.core.roles import LOW, Roles
from sesame_audit.model.figures.groups import group_labels, group_means
from sesame_audit.model.figures.intervals import mean_gap_interval
from sesame_audit.model.figures.same_information import carriers
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import Run


@dataclass(frozen=True)
class ProxyPoints:
    """Points of the score that flow through an attribute's proxies.

    Attributes
    ----------
    attribute : str
        The sensitive attribute.
    threshold : float
        Smallest strength that makes an input a proxy.
    proxies : list of str
        The proxies, strongest first.
    per_person : pandas.Series
        Sum of the proxies' SHAP values of each person, in points.
    by_group : pandas.DataFrame
        ``group``, ``count``, ``points`` (mean of ``per_person``), ``score`` (mean score),
        ``suppressed``.
    by_feature : pandas.DataFrame
        Long: ``group``, ``feature``, ``points`` (mean SHAP value), for groups shown.
    """

    attribute: str
    threshold: float
    proxies: list[str]
    per_person: pd.Series
    by_group: pd.DataFrame
    by_feature: pd.DataFrame = field(repr=False)


def score_through_proxies(run: Run, attribute: str, *, threshold: float = PROXY_THRESHOLD,
                          k: int = DEFAULT_K, strength: pd.DataFrame | None = None
                          ) -> ProxyPoints:
    """Return the points of everyone's score that come from the attribute's proxies.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str
        A sensitive attribute.
    threshold : float
        Smallest strength (AUC) that makes an input a proxy (default 0.7).
    k : int
        Smallest group size shown.
    strength : pandas.DataFrame, optional
        Output of :func:`proxy_strength`, when already computed.
    through : mapping, optional
        Output of :func:`figures.same_information.carriers` for the run, when already
        computed (every attribute at once).

    Returns
    -------
    ProxyPoints
        Per person and per group.
    """
    check_sensitive(run, attribute)
    strength = proxy_strength(run) if strength is None else strength
    proxies = proxies_of(strength, attribute, threshold)
    shap = run.explanation.values
    per_person = shap[proxies].sum(axis=1).astype(float).rename("points")
    groups = group_labels(run.people, attribute)
    score = pd.Series(run.explanation.prediction, index=shap.index, name="score")
    by_group, _ = group_means(pd.concat([per_person, score], axis=1), groups, k=k)
    means, _ = group_means(shap[proxies].astype(float), groups, k=k)
    shown = means[~means["suppressed"]]
    by_feature = shown.melt(id_vars=["group"], value_vars=proxies, var_name="feature",
                            value_name="points")
    return ProxyPoints(attribute=attribute, threshold=threshold, proxies=proxies,
                       per_person=per_person.set_axis(run.people[run.roles.id].to_numpy()),
                       by_group=by_group, by_feature=by_feature)


@dataclass(frozen=True)
class UnawarenessGap:
    """The score gap between groups of an attribute the model does not read.

    Attributes
    ----------
    attribute : str
        The sensitive attribute.
    is_input : bool
        Whether the model reads the attribute: it is an input, or an input carries the same
        information (then "unawareness" does not hold).
    favoured, disfavoured : str or None
        Groups shown with the most and the least favourable mean score (highest and
        lowest, or lowest and highest when low scores are favourable).
    gap : float
        Difference of their mean scores, in points: the higher mean minus the lower.
    proxy_gap : float
        Part of ``gap`` carried by the proxies' SHAP values, in points.
    share_through_proxies : float
        ``proxy_gap / gap`` (NaN when there is no gap).
    proxies : list of str
        Inputs with strength at least the threshold for the attribute.
    by_feature : pandas.DataFrame
        ``feature``, ``gap_points`` (difference of mean SHAP values between the two
        groups; they sum to ``gap``), ``strength`` (the input's one-feature AUC for the
        attribute; NaN for the attribute itself and inputs carrying its information),
        ``is_proxy``, largest first.
    threshold : float
        Smallest strength that makes an input a proxy.
    gap_low, gap_high : float
        95% interval of ``gap`` (normal, Welch's standard error).
    n_favoured, n_disfavoured : int
        People in the two groups (0 when fewer than two groups are shown).
    read_through : list of str
        The inputs through which the model reads the attribute (the attribute itself, or
        inputs carrying its information, see :mod:`figures.same_information`).
    """

    attribute: str
    is_input: bool
    favoured: str | None
    disfavoured: str | None
    gap: float
    proxy_gap: float
    share_through_proxies: float
    proxies: list[str]
    by_feature: pd.DataFrame = field(repr=False)
    threshold: float = PROXY_THRESHOLD
    gap_low: float = np.nan
    gap_high: float = np.nan
    n_favoured: int = 0
    n_disfavoured: int = 0
    read_through: list[str] = field(default_factory=list)

    def reading(self, labels: Mapping[str, str] | None = None) -> str:
        """Return how the model reads the attribute, in words (empty when it does not).

        Parameters
        ----------
        labels : mapping, optional
            Column -> label.

        Returns
        -------
        str
            "itself" when the attribute is an input, else "through <inputs>, which carry
            the same information", else "".
        """
        if self.attribute in self.read_through:
            return "itself"
        if not self.read_through:
            return ""
        names = " and ".join((labels or {}).get(f, f) for f in self.read_through)
        carry = "carries" if len(self.read_through) == 1 else "carry"
        return f"through {names}, which {carry} the same information"

    def contributors(self, top: int = TOP_CONTRIBUTORS) -> pd.DataFrame:
        """Return the inputs carrying most of the gap, whatever their strength as proxies.

        Parameters
        ----------
        top : int, default=3
            Inputs returned.

        Returns
        -------
        pandas.DataFrame
            The first ``top`` rows of ``by_feature`` that push the gap the way it goes
            (``gap_points`` of the gap's sign), largest first.
        """
        sign = 1.0 if not self.gap < 0 else -1.0
        pushing = self.by_feature[self.by_feature["gap_points"] * sign > 0]
        return pushing.head(top).reset_index(drop=True)


def unawareness_sentence(gap: UnawarenessGap, label: dict[str, str] | None = None, *,
                         roles: Roles | None = None) -> str:
    """Return the unawareness test in words: the gap, its interval, who carries it.

    Parameters
    ----------
    gap : UnawarenessGap
        Output of :func:`unawareness_gap`, with two groups compared.
    label : dict, optional
        Column -> label, for the attribute and the inputs named.
    roles : Roles, optional
        The run's roles, to write the gap in the score's unit (score points without).

    Returns
    -------
    str
        Plain text (no Markdown): the attribute, whether it is an input, the gap with its
        95% interval and group sizes, the inputs that carry most of it with their points
        and strength, and how much the proxies carry, or that no input reaches the
        threshold.
    """
    name = (label or {}).get

    def amount(value: float, signed: bool = False) -> str:
        if roles is None:
            return f"{value:{'+' if signed else ''}.0f} points"
        return units.format_change(value, roles, signed=signed)

    attribute = name(gap.attribute, gap.attribute)
    interval = (f"{gap.gap_low:.0f} to {gap.gap_high:.0f}" if roles is None
                else f"{amount(gap.gap_low)} to {amount(gap.gap_high)}")
    reading = gap.reading(label)
    status = (f"is read by the model {reading}" if reading else "is not an input")
    side = "above" if roles is None else roles.better_side
    text = (f"{attribute} {status}, yet "
            f"'{str(gap.favoured).replace('_', ' ')}' ({gap.n_favoured:,} people) score "
            f"{amount(gap.gap)} (95% interval {interval}) {side} "
            f"'{str(gap.disfavoured).replace('_', ' ')}' ({gap.n_disfavoured:,} people) on "
            "average.")
    parts = []
    for row in gap.contributors().itertuples():
        strength = ("" if pd.isna(row.strength) else f", strength {row.strength:.2f}")
        parts.append(f"{name(row.feature, row.feature)} ({amount(row.gap_points, True)}"
                     f"{strength})")
    if parts:
        text += " The largest contributors: " + "; ".join(parts) + "."
    if gap.proxies:
        text += (f" The inputs with strength at least {gap.threshold:.2f} (proxies) carry "
                 f"{amount(gap.proxy_gap)} of the {amount(gap.gap)}.")
    else:
        text += (f" No input reaches a strength of {gap.threshold:.2f} for {attribute}, "
                 "so none counts as a proxy; the contributors above carry the gap "
                 "nonetheless.")
    return text


def unawareness_gap(run: Run, attribute: str, *, k: int = DEFAULT_K,
                    threshold: float = PROXY_THRESHOLD, strength: pd.DataFrame | None = None,
                    through: Mapping[str, list[str]] | None = None) -> UnawarenessGap:
    """Test "fairness through unawareness": a gap remains though the attribute is no input.

    The gap between the mean scores of two groups splits exactly into the differences of
    their mean SHAP values, feature by feature, since every score is the base plus its
    SHAP values; the proxies' share of it is how much the proxies account for.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str
        A sensitive attribute.
    k : int
        Smallest group size shown; hidden groups are not compared.
    threshold : float
        Smallest strength that makes an input a proxy.
    strength : pandas.DataFrame, optional
        Output of :func:`proxy_strength`, when already computed.
    through : mapping, optional
        Output of :func:`figures.same_information.carriers` for the run, when already
        computed (every attribute at once).

    Returns
    -------
    UnawarenessGap
        The gap, its 95% interval and its decomposition.
    """
    check_sensitive(run, attribute)
    strength = proxy_strength(run) if strength is None else strength
    proxies = proxies_of(strength, attribute, threshold)
    groups = group_labels(run.people, attribute)
    shap = run.explanation.values.astype(float)
    score = pd.Series(run.explanation.prediction, index=shap.index, name="__score")
    table, _ = group_means(pd.concat([shap, score], axis=1), groups, k=k)
    shown = table[~table["suppressed"]].set_index("group")
    through = carriers(run.people, run.roles) if through is None else through
    read_through = list(through.get(attribute, []))
    is_input = bool(read_through)
    if len(shown) < 2:
        empty = pd.DataFrame(columns=["feature", "gap_points", "strength", "is_proxy"])
        return UnawarenessGap(attribute, is_input, None, None, np.nan, np.nan, np.nan,
                              proxies, empty, threshold, read_through=read_through)
    favoured, disfavoured = shown["__score"].idxmax(), shown["__score"].idxmin()
    upper, lower = favoured, disfavoured
    if run.roles.favourable == LOW:
        favoured, disfavoured = disfavoured, favoured
    diff = shown.loc[upper, list(shap.columns)] - shown.loc[lower, list(shap.columns)]
    auc = strength[strength["attribute"] == attribute].set_index("feature")["strength"]
    by_feature = pd.DataFrame({"feature": diff.index, "gap_points": diff.to_numpy(float),
                               "strength": auc.reindex(diff.index).to_numpy(float),
                               "is_proxy": [f in proxies for f in diff.index]})
    by_feature = by_feature.reindex(by_feature["gap_points"].abs()
                                    .sort_values(ascending=False).index).reset_index(drop=True)
    spread = score.groupby(groups.to_numpy()).std(ddof=1)
    sizes = shown["count"].astype(int)
    gap, low, high = mean_gap_interval(
        shown.loc[upper, "__score"], spread[upper], sizes[upper],
        shown.loc[lower, "__score"], spread[lower], sizes[lower])
    proxy_gap = float(diff[proxies].sum())
    return UnawarenessGap(
        attribute=attribute, is_input=is_input, favoured=str(favoured),
        disfavoured=str(disfavoured), gap=gap, proxy_gap=proxy_gap,
        share_through_proxies=proxy_gap / gap if gap else np.nan, proxies=proxies,
        by_feature=by_feature, threshold=threshold, gap_low=low, gap_high=high,
        n_favoured=int(sizes[favoured]), n_disfavoured=int(sizes[disfavoured]),
        read_through=read_through)
