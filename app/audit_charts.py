"""Altair charts of the audit pages: pure functions from audit tables to charts.

Colours are the Okabe-Ito palette and viridis, both readable with colour-blindness; every
label comes from the data dictionary through ``labels`` (column -> label), never a raw
column name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from sesame_audit.app.charts import change_scale, change_unit, level_axis, level_format, level_unit
from sesame_audit.model.core.roles import Roles

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
FLAG_COLOUR = "#D55E00"
WIDTH = 640


def readable(value: object) -> str:
    """Return a category or tier name as words (``minority_a`` -> ``minority a``)."""
    return str(value).replace("_", " ")


def tier_labels(tiers: Sequence[tuple[str, float]]) -> dict[str, str]:
    """Return tier name -> label with its threshold, e.g. ``"car rental (650+)"``.

    Parameters
    ----------
    tiers : sequence of (name, threshold) or (name, threshold, threshold as text)
        Tiers, lowest first; the threshold is written without decimals unless its text
        is given (see :func:`core.units.format_threshold`).

    Returns
    -------
    dict
        Name -> label, in tier order.
    """
    return {tier[0]: f"{readable(tier[0])} ("
                     f"{tier[2] if len(tier) > 2 else format(tier[1], '.0f')}+)"
            for tier in tiers}


def _palette(n: int) -> list[str]:
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


STATUS = {"clear": "clearly under 4/5 of the reference", "uncertain": "under 4/5, uncertain",
          "none": "at or above 4/5"}


def tier_access_chart(ratios: pd.DataFrame, tiers: Sequence[tuple[str, float]]
                      ) -> alt.LayerChart:
    """Share of each group reaching each tier, with 95% intervals and four-fifths findings.

    Parameters
    ----------
    ratios : pandas.DataFrame
        Output of :func:`audit.fairness.impact_ratios`.
    tiers : sequence of (name, threshold)
        Tiers, lowest first.

    Returns
    -------
    altair.LayerChart
        Grouped bars with error bars (Wilson intervals); a clear finding is outlined in
        orange, an uncertain one dashed.
    """
    names = tier_labels(tiers)
    data = ratios[~ratios["suppressed"]].assign(
        tier_label=lambda d: d["tier"].map(names), group=lambda d: d["group"].map(readable),
        status=lambda d: d["finding"].map(STATUS))
    groups = sorted(data["group"].unique())
    base = alt.Chart(data, width=WIDTH, title="Share of each group reaching each tier").encode(
        x=alt.X("tier_label:N", sort=list(names.values()), title="Tier (score threshold)"),
        xOffset=alt.XOffset("group:N", sort=groups))
    bars = base.mark_bar(strokeWidth=2).encode(
        y=alt.Y("share:Q", title="People reaching the tier (%, 95% interval)",
                axis=alt.Axis(format="%")),
        color=alt.Color("group:N", sort=groups, title="Group",
                        scale=alt.Scale(range=_palette(len(groups)))),
        stroke=alt.Stroke("status:N", title="Four-fifths rule",
                          legend=alt.Legend(symbolFillColor="white"),
                          scale=alt.Scale(domain=list(STATUS.values()),
                                          range=[FLAG_COLOUR, FLAG_COLOUR, "transparent"])),
        strokeDash=alt.StrokeDash("status:N", legend=None,
                                  scale=alt.Scale(domain=list(STATUS.values()),
                                                  range=[[1, 0], [4, 3], [1, 0]])),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("tier_label:N", title="Tier"),
                 alt.Tooltip("count:Q", title="People", format=","),
                 alt.Tooltip("reached:Q", title="Reaching", format=","),
                 alt.Tooltip("share:Q", title="Share reaching", format=".1%"),
                 alt.Tooltip("share_lower:Q", title="95% interval from", format=".1%"),
                 alt.Tooltip("share_upper:Q", title="95% interval to", format=".1%"),
                 alt.Tooltip("impact_ratio:Q", title="Impact ratio", format=".2f"),
                 alt.Tooltip("impact_lower:Q", title="Ratio's interval from", format=".2f"),
                 alt.Tooltip("impact_upper:Q", title="Ratio's interval to", format=".2f"),
                 alt.Tooltip("reference:N", title="Reference group"),
                 alt.Tooltip("status:N", title="Four-fifths rule")])
    whiskers = base.mark_rule(color="black").encode(y="share_lower:Q", y2="share_upper:Q")
    return bars + whiskers


def impact_heatmap(ratios: pd.DataFrame, tiers: Sequence[tuple[str, float]]) -> alt.LayerChart:
    """Impact ratio of each group at each tier, as a heatmap with the values written in.

    Parameters
    ----------
    ratios : pandas.DataFrame
        Output of :func:`audit.fairness.impact_ratios`.
    tiers : sequence of (name, threshold)
        Tiers, lowest first.

    Returns
    -------
    altair.LayerChart
        Cells coloured from 0 to 1; clear findings marked with "!", uncertain ones with
        "?".
    """
    names = tier_labels(tiers)
    data = ratios[~ratios["suppressed"] & ratios["impact_ratio"].notna()].assign(
        tier_label=lambda d: d["tier"].map(names), group=lambda d: d["group"].map(readable),
        text=lambda d: d["impact_ratio"].map("{:.2f}".format).astype(str)
        + d["finding"].map({"clear": " !", "uncertain": " ?", "none": ""}).astype(str))
    base = alt.Chart(data, width=WIDTH,
                     title="Impact ratio: share reaching the tier over the most favoured "
                           "group's").encode(
        x=alt.X("tier_label:N", sort=list(names.values()), title="Tier (score threshold)"),
        y=alt.Y("group:N", title="Group"))
    cells = base.mark_rect().encode(
        color=alt.Color("impact_ratio:Q", title="Impact ratio (1 = equal access)",
                        scale=alt.Scale(scheme="viridis", domain=[0, 1])),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("tier_label:N", title="Tier"),
                 alt.Tooltip("impact_ratio:Q", title="Impact ratio", format=".2f"),
                 alt.Tooltip("impact_lower:Q", title="95% interval from", format=".2f"),
                 alt.Tooltip("impact_upper:Q", title="95% interval to", format=".2f"),
                 alt.Tooltip("count:Q", title="People", format=","),
                 alt.Tooltip("reference:N", title="Reference group")])
    text = base.mark_text(fontWeight="bold").encode(
        text="text:N",
        color=alt.condition("datum.impact_ratio > 0.6", alt.value("black"), alt.value("white")))
    return cells + text


def distribution_chart(distribution: pd.DataFrame, tiers: Sequence[tuple[str, float]], *,
                       roles: Roles | None = None) -> alt.LayerChart:
    """Distribution of the score within each group, with the tier thresholds.

    Parameters
    ----------
    distribution : pandas.DataFrame
        Output of :func:`audit.fairness.score_distribution`.
    tiers : sequence of (name, threshold)
        Tiers, lowest first, drawn as vertical rules.
    roles : Roles, optional
        The run's roles, for the score's unit (score points when not given).

    Returns
    -------
    altair.LayerChart
        One line per group.
    """
    unit, fmt = level_unit(roles), level_format(roles)
    data = distribution.assign(group=distribution["group"].map(readable),
                               middle=(distribution["bin_start"] + distribution["bin_end"]) / 2)
    groups = sorted(data["group"].unique())
    lines = alt.Chart(data, width=WIDTH, title="How the score is spread within each group"
                      ).mark_line(interpolate="step-after").encode(
        x=alt.X("bin_start:Q", title=f"Score under audit ({unit})",
                scale=alt.Scale(zero=False), axis=level_axis(roles)),
        y=alt.Y("share:Q", title="Share of the group's people (%)",
                axis=alt.Axis(format="%")),
        color=alt.Color("group:N", sort=groups, title="Group",
                        scale=alt.Scale(range=_palette(len(groups)))),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("bin_start:Q", title=f"From ({unit})", format=fmt),
                 alt.Tooltip("bin_end:Q", title=f"To ({unit})", format=fmt),
                 alt.Tooltip("share:Q", title="Share", format=".1%")])
    rules = alt.Chart(pd.DataFrame({"threshold": [t[1] for t in tiers],
                                    "tier": [readable(t[0]) for t in tiers]})).mark_rule(
        strokeDash=[4, 4], color="grey").encode(
        x="threshold:Q", tooltip=[alt.Tooltip("tier:N", title="Tier"),
                                  alt.Tooltip("threshold:Q", title=f"Threshold ({unit})",
                                              format=fmt)])
    return lines + rules


def proxy_heatmap(strength: pd.DataFrame, labels: Mapping[str, str]) -> alt.LayerChart:
    """How well each input alone predicts each sensitive attribute.

    Parameters
    ----------
    strength : pandas.DataFrame
        Output of :func:`audit.proxies.proxy_strength`.
    labels : mapping
        Column -> label.

    Returns
    -------
    altair.LayerChart
        Inputs (rows, strongest first) by attributes (columns), AUC written in the cells.
    """
    data = strength.assign(feature_label=strength["feature"].map(lambda c: labels.get(c, c)),
                           attribute_label=strength["attribute"].map(
                               lambda c: labels.get(c, c)),
                           text=strength["strength"].map("{:.2f}".format).astype(str))
    order = (data.groupby("feature_label")["strength"].max()
             .sort_values(ascending=False).index.tolist())
    base = alt.Chart(data, width=420, title="Strength of each input as a stand-in (AUC)").encode(
        x=alt.X("attribute_label:N", title="Sensitive attribute"),
        y=alt.Y("feature_label:N", sort=order, title="Model input"))
    cells = base.mark_rect().encode(
        color=alt.Color("strength:Q", title="AUC (0.5 = no information)",
                        scale=alt.Scale(scheme="viridis", domain=[0.5, 1])),
        tooltip=[alt.Tooltip("feature_label:N", title="Input"),
                 alt.Tooltip("attribute_label:N", title="Attribute"),
                 alt.Tooltip("strength:Q", title="AUC", format=".3f"),
                 alt.Tooltip("mutual_information:Q", title="Mutual information (bits)",
                             format=".3f")])
    text = base.mark_text(fontSize=10).encode(
        text="text:N",
        color=alt.condition("datum.strength > 0.75", alt.value("black"), alt.value("white")))
    return cells + text


def points_by_group_chart(by_feature: pd.DataFrame, labels: Mapping[str, str], *,
                          title: str, roles: Roles | None = None) -> alt.Chart:
    """Mean points each feature adds to or takes from each group's score, stacked.

    Parameters
    ----------
    by_feature : pandas.DataFrame
        Long table with ``group``, ``feature`` and ``points`` (mean SHAP value).
    labels : mapping
        Column -> label.
    title : str
        Chart title.
    roles : Roles, optional
        The run's roles, for the score's unit (score points when not given).

    Returns
    -------
    altair.Chart
        Horizontal stacked bars, one per group.
    """
    unit = change_unit(roles)
    data = by_feature.assign(group=by_feature["group"].map(readable),
                             push=by_feature["points"] * change_scale(roles),
                             feature_label=by_feature["feature"].map(
                                 lambda c: labels.get(c, c)))
    features = sorted(data["feature_label"].unique())
    return alt.Chart(data, width=WIDTH, title=title).mark_bar().encode(
        y=alt.Y("group:N", title="Group"),
        x=alt.X("push:Q", title=f"Mean push on the score (SHAP, {unit})"),
        color=alt.Color("feature_label:N", sort=features, title="Input",
                        scale=alt.Scale(range=_palette(len(features)))),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("feature_label:N", title="Input"),
                 alt.Tooltip("push:Q", title=f"Mean push ({unit})", format="+.3~g")])


def gap_chart(by_feature: pd.DataFrame, labels: Mapping[str, str], *, top: int = 12,
              roles: Roles | None = None) -> alt.Chart:
    """Which inputs make up the score gap between two groups.

    Parameters
    ----------
    by_feature : pandas.DataFrame
        ``UnawarenessGap.by_feature``: ``feature``, ``gap_points``, ``strength``,
        ``is_proxy``.
    labels : mapping
        Column -> label.
    top : int
        Inputs shown, largest in size first.
    roles : Roles, optional
        The run's roles, for the score's unit (score points when not given).

    Returns
    -------
    altair.Chart
        Horizontal bars coloured by whether the input is a proxy.
    """
    unit = change_unit(roles)
    data = by_feature.head(top).assign(
        gap=lambda d: d["gap_points"] * change_scale(roles),
        feature_label=lambda d: d["feature"].map(lambda c: labels.get(c, c)),
        kind=lambda d: d["is_proxy"].map({True: "proxy of the attribute",
                                          False: "other input"}))
    return alt.Chart(data, width=WIDTH, title="Where the gap between the groups comes from"
                     ).mark_bar().encode(
        y=alt.Y("feature_label:N", sort=data["feature_label"].tolist(), title="Model input"),
        x=alt.X("gap:Q", title=f"Gap (favoured minus disfavoured, {unit})"),
        color=alt.Color("kind:N", title="Input",
                        scale=alt.Scale(domain=["proxy of the attribute", "other input"],
                                        range=[FLAG_COLOUR, "#56B4E9"])),
        tooltip=[alt.Tooltip("feature_label:N", title="Input"),
                 alt.Tooltip("gap:Q", title=unit.capitalize(), format="+.3~g"),
                 alt.Tooltip("strength:Q", title="Strength as a proxy (AUC)", format=".2f")])


def before_after_chart(by_group: pd.DataFrame, *, title: str, value_title: str
                       ) -> alt.LayerChart:
    """Mean score of each group before and after a change, as a dumbbell.

    Parameters
    ----------
    by_group : pandas.DataFrame
        ``group``, ``mean_before``, ``mean_after`` and ``suppressed``.
    title : str
        Chart title.
    value_title : str
        Axis title, with its unit.

    Returns
    -------
    altair.LayerChart
        A line from before to after per group, with a dot at each end.
    """
    shown = by_group[~by_group["suppressed"]].assign(group=lambda d: d["group"].map(readable))
    long = shown.melt(id_vars=["group"], value_vars=["mean_before", "mean_after"],
                      var_name="when", value_name="mean")
    long["when"] = long["when"].map({"mean_before": "before", "mean_after": "after"})
    base = alt.Chart(long, width=WIDTH, title=title).encode(
        y=alt.Y("group:N", title="Group"),
        x=alt.X("mean:Q", title=value_title, scale=alt.Scale(zero=False)))
    line = base.mark_line(color="grey").encode(detail="group:N")
    dots = base.mark_point(filled=True, size=90).encode(
        color=alt.Color("when:N", title="", sort=["before", "after"],
                        scale=alt.Scale(range=[OKABE_ITO[1], OKABE_ITO[0]])),
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("when:N", title=""),
                 alt.Tooltip("mean:Q", title="Mean", format=".1f")])
    return line + dots


def group_bar_chart(table: pd.DataFrame, value: str, *, title: str, value_title: str,
                    rule: float | None = None, percent: bool = False) -> alt.Chart | alt.LayerChart:
    """One bar per shown group, optionally with a reference line.

    Parameters
    ----------
    table : pandas.DataFrame
        ``group``, ``value`` column and ``suppressed``.
    value : str
        Column to draw.
    title, value_title : str
        Chart and axis titles (the axis title says the unit).
    rule : float, optional
        Reference value drawn as a dashed line (e.g. 0 points, or a ratio of 1).
    percent : bool
        Whether the values are shares.

    Returns
    -------
    altair.Chart or altair.LayerChart
        Horizontal bars.
    """
    shown = table[~table["suppressed"]].assign(group=lambda d: d["group"].map(readable))
    fmt = ".1%" if percent else ".2f"
    bars = alt.Chart(shown, width=WIDTH, title=title).mark_bar(color=OKABE_ITO[0]).encode(
        y=alt.Y("group:N", title="Group"),
        x=alt.X(f"{value}:Q", title=value_title,
                axis=alt.Axis(format="%") if percent else alt.Axis()),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=fmt)])
    if rule is None:
        return bars
    line = alt.Chart(pd.DataFrame({"at": [rule]})).mark_rule(
        strokeDash=[4, 4], color=FLAG_COLOUR).encode(x="at:Q")
    return bars + line


def ego_chart(ego: pd.DataFrame, labels: Mapping[str, str],
              colour_by: str | None = None) -> alt.LayerChart:
    """A person at the centre, their friends on a circle, coloured by score.

    Parameters
    ----------
    ego : pandas.DataFrame
        Output of :func:`audit.network.ego_network`.
    labels : mapping
        Column -> label.
    colour_by : str, optional
        Sensitive attribute drawn as the shape of each dot (a column of ``ego``); none by
        default, since friends' sensitive attributes are not shown.

    Returns
    -------
    altair.LayerChart
        Spokes, dots coloured by score, the friend unfriending drops first ringed.
    """
    centre = ego[ego["role"] == "person"].iloc[0]
    spokes = ego[ego["role"] == "friend"].assign(x0=centre["x"], y0=centre["y"])
    data = ego.assign(who=ego["role"].map({"person": "the person", "friend": "a friend"}),
                      ring=ego["lowest"].map({True: "dropped first", False: "kept"}))
    tooltip = [alt.Tooltip("who:N", title=""), alt.Tooltip("id:N", title="Person"),
               alt.Tooltip("score:Q", title="Score (points)", format=".0f")]
    shape: dict[str, Any] = {}
    if colour_by is not None:
        data = data.assign(group=ego[colour_by].map(readable))
        title = labels.get(colour_by, colour_by)
        shape["shape"] = alt.Shape("group:N", title=title,
                                   legend=alt.Legend(orient="bottom"))  # not to a side
        tooltip.append(alt.Tooltip("group:N", title=title))
    axis = alt.Axis(labels=False, ticks=False, grid=False, domain=False)
    lines = alt.Chart(spokes).mark_rule(color="lightgrey").encode(
        x=alt.X("x0:Q", axis=axis, title=None), y=alt.Y("y0:Q", axis=axis, title=None),
        x2="x:Q", y2="y:Q")
    dots = alt.Chart(data, width=420, height=420,
                     title="A person and their friends' scores").mark_point(
        filled=True, size=260, strokeWidth=3).encode(
        x=alt.X("x:Q", axis=axis, title=None, scale=alt.Scale(domain=[-1.3, 1.3])),
        y=alt.Y("y:Q", axis=axis, title=None, scale=alt.Scale(domain=[-1.3, 1.3])),
        color=alt.Color("score:Q", title="Score (points)", scale=alt.Scale(scheme="viridis")),
        stroke=alt.Stroke("ring:N", title="Unfriending",
                          legend=alt.Legend(symbolFillColor="white", orient="bottom"),
                          scale=alt.Scale(domain=["dropped first", "kept"],
                                          range=[FLAG_COLOUR, "transparent"])),
        tooltip=tooltip, **shape)
    return lines + dots


def display_table(frame: pd.DataFrame, labels: Mapping[str, str],
                  tiers: Sequence[tuple[str, float]] = ()) -> pd.DataFrame:
    """Return an audit table with readable column names and values, for the table views.

    Parameters
    ----------
    frame : pandas.DataFrame
        An audit table.
    labels : mapping
        Column -> label, for columns naming inputs or attributes (and for their values in
        ``feature`` and ``attribute`` columns).
    tiers : sequence of (name, threshold)
        Tiers, to name ``share_<tier>``, ``impact_ratio_<tier>``, ``reached_<tier>`` and
        the interval columns of each tier.

    Returns
    -------
    pandas.DataFrame
        The same values, columns renamed (``mean_score`` -> ``Mean score``, ...).
    """
    names = tier_labels(tiers)
    renamed = {}
    for column in frame.columns:
        for prefix, words in (("share_", "Share reaching"), ("impact_ratio_", "Impact ratio,"),
                              ("reached_", "People reaching"),
                              ("share_lower_", "95% interval from, share reaching"),
                              ("share_upper_", "95% interval to, share reaching"),
                              ("impact_lower_", "95% interval from, impact ratio,"),
                              ("impact_upper_", "95% interval to, impact ratio,")):
            if column.startswith(prefix) and column[len(prefix):] in names:
                renamed[column] = f"{words} {names[column[len(prefix):]]}"
        if column not in renamed:
            text = labels.get(column, readable(column))
            renamed[column] = text[:1].upper() + text[1:]
    out = frame.copy()
    for column in ("feature", "attribute"):
        if column in out.columns:
            out[column] = out[column].map(lambda c: labels.get(c, c))
    return out.rename(columns=renamed)
