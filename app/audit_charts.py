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

from sesame_audit.app.chart_style import (  # noqa: F401  (WIDTH: charts sized by hand)
    WIDTH,
    band_height,
    finished,
    level_axis,
    level_format,
    level_text,
    level_unit,
    title_lines,
    wrapped_axis,
)
from sesame_audit.app.charts import NEUTRAL
from sesame_audit.model.core.roles import Roles, named_after_threshold
from sesame_audit.model.core.wording import readable

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
FLAG_COLOUR = "#D55E00"
OUTLINE = "#000000"
LEGEND_SWATCH = "#DDDDDD"
OTHER_INPUT = "other input"


def tier_labels(tiers: Sequence[tuple[str, float]]) -> dict[str, str]:
    """Return tier name -> label with its threshold, e.g. ``"car rental (650+)"``.

    Parameters
    ----------
    tiers : sequence of (name, threshold) or (name, threshold, where it is reached)
        Tiers, least favourable first; the threshold is written without decimals and a
        ``+`` unless the text of where it is reached is given (see
        :func:`core.units.reach_label`: ``0.5+``, ``≤ 25``).

    Returns
    -------
    dict
        Name -> label, in tier order; a tier named after its threshold (``at_least_0.5``)
        is labelled by the threshold alone (``0.5+``).
    """
    reach = {tier[0]: tier[2] if len(tier) > 2 else format(tier[1], ".0f") + "+"
             for tier in tiers}
    return {name: where if named_after_threshold(name) else f"{readable(name)} ({where})"
            for name, where in reach.items()}


def palette(n: int) -> list[str]:
    """Group colours: Okabe-Ito without black, which the four-fifths outline needs."""
    colours = [c for c in OKABE_ITO if c != OUTLINE]
    return [colours[i % len(colours)] for i in range(n)]


STATUS = {"clear": "clearly under 4/5", "uncertain": "under 4/5, unsure",
          "none": "4/5 or more"}


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
    found = data[data["finding"] != "none"]
    description = (f"Bars of the share of each of {len(groups)} groups reaching each of "
                   f"{len(names)} tiers, with 95% intervals; {len(found)} bars are outlined "
                   "because the group reaches the tier less than four fifths as often as the "
                   "reference group (solid: clearly, dashed: uncertain)" + (
                       ": " + "; ".join(f"{g} at {t} ({f})" for g, t, f in zip(
                           found["group"], found["tier_label"], found["finding"],
                           strict=True)) if len(found) else "") + ".")
    base = alt.Chart(data).encode(
        y=alt.Y("tier_label:N", sort=list(names.values()), title="Tier (score threshold)",
                axis=wrapped_axis()),
        yOffset=alt.YOffset("group:N", sort=groups))
    bars = base.mark_bar(strokeWidth=2.5).encode(
        x=alt.X("share:Q", title=["People reaching the tier", "(%, 95% interval)"],
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("group:N", sort=groups, title="Group",
                        scale=alt.Scale(range=palette(len(groups)))),
        stroke=alt.Stroke("status:N", title="Four-fifths rule",
                          legend=alt.Legend(symbolFillColor=LEGEND_SWATCH, symbolType="square",
                                            symbolStrokeWidth=2.5),
                          scale=alt.Scale(domain=list(STATUS.values()),
                                          range=[OUTLINE, OUTLINE, "transparent"])),
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
    whiskers = base.mark_rule(color=OUTLINE).encode(x="share_lower:Q", x2="share_upper:Q")
    return finished((bars + whiskers).properties(
        height=band_height(len(names), 14, per_band=len(groups), gap=10),
        title=title_lines("Share of each group reaching each tier")), description)


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
    base = alt.Chart(data).encode(
        x=alt.X("tier_label:N", sort=list(names.values()), title="Tier (score threshold)",
                axis=alt.Axis(labelAngle=-45, labelLimit=150, labelOverlap=False)),
        y=alt.Y("group:N", title="Group", axis=wrapped_axis()))
    cells = base.mark_rect().encode(
        color=alt.Color("impact_ratio:Q", title="Impact ratio (1 = equal)",
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
    clear, unsure = (int((data["finding"] == f).sum()) for f in ("clear", "uncertain"))
    return finished((cells + text).properties(height=band_height(data["group"].nunique(), 28),
                                              title=title_lines(
        "Impact ratio: share reaching the tier over the reference group's")),
                    f"Heatmap of the impact ratio of {data['group'].nunique()} groups at "
                    f"{data['tier_label'].nunique()} tiers, from 0 to 1 (1 = as often as the "
                    f"reference group); {clear} cells are clearly under 0.8 (marked !), "
                    f"{unsure} under 0.8 with an uncertain interval (marked ?).")


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
        One row of cells per group (the darker, the more of the group's people in that
        score band), readable for an intersection of many groups as for two.
    """
    unit, fmt = level_unit(roles), level_format(roles)
    data = distribution.assign(group=distribution["group"].map(readable))
    groups = sorted(data["group"].unique())
    cells = alt.Chart(data).mark_rect().encode(
        x=alt.X("bin_start:Q", title=f"Score under audit ({unit})",
                scale=alt.Scale(zero=False), axis=level_axis(roles)),
        x2="bin_end:Q",
        y=alt.Y("group:N", sort=groups, title="Group", axis=wrapped_axis()),
        color=alt.Color("share:Q", title="Share of the group's people",
                        scale=alt.Scale(scheme="greys", domainMin=0),
                        legend=alt.Legend(format="%")),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("bin_start:Q", title=f"From ({unit})", format=fmt),
                 alt.Tooltip("bin_end:Q", title=f"To ({unit})", format=fmt),
                 alt.Tooltip("share:Q", title="Share", format=".1%")])
    rules = alt.Chart(pd.DataFrame({"threshold": [t[1] for t in tiers],
                                    "tier": [readable(t[0]) for t in tiers]})).mark_rule(
        strokeDash=[4, 4], color=FLAG_COLOUR, strokeWidth=1.5).encode(
        x="threshold:Q", tooltip=[alt.Tooltip("tier:N", title="Tier"),
                                  alt.Tooltip("threshold:Q", title=f"Threshold ({unit})",
                                              format=fmt)])
    middle = data.assign(mid=(data["bin_start"] + data["bin_end"]) / 2,
                         weighted=lambda d: d["mid"] * d["share"])
    centres = middle.groupby("group")["weighted"].sum() / middle.groupby("group")["share"].sum()
    return finished((cells + rules).properties(
        height=band_height(len(groups), max(18, 90 // max(len(groups), 1))),
        title=title_lines("How the score is spread within each group")),
                    f"Heatmap of how the score is spread within {len(groups)} groups, one "
                    "row per group, darker where more of the group's people score; average "
                    "scores: " + "; ".join(f"{g} {level_text(c, roles)}"
                                           for g, c in centres.items())
                    + ". Dashed lines mark the tier thresholds.")


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
    low, high = f"{value}_lower", f"{value}_upper"
    interval = low in shown and high in shown
    tooltip = [alt.Tooltip("group:N", title="Group"),
               alt.Tooltip(f"{value}:Q", title=value_title, format=fmt)]
    if interval:
        tooltip += [alt.Tooltip(f"{low}:Q", title="95% interval from", format=fmt),
                    alt.Tooltip(f"{high}:Q", title="95% interval to", format=fmt)]
    if "count" in shown:
        tooltip.append(alt.Tooltip("count:Q", title="People", format=","))
    y = alt.Y("group:N", title="Group", axis=wrapped_axis())
    bars = alt.Chart(shown).mark_bar(color=OKABE_ITO[0]).encode(
        y=y,
        x=alt.X(f"{value}:Q", title=[value_title, "(95% interval)"] if interval else value_title,
                axis=alt.Axis(format="%") if percent else alt.Axis()),
        tooltip=tooltip)
    if interval:
        bars = bars + alt.Chart(shown).mark_rule(color=OUTLINE).encode(
            y=y, x=f"{low}:Q", x2=f"{high}:Q")
    text = "; ".join(f"{g} {v:{fmt}}" for g, v in zip(shown["group"], shown[value],
                                                       strict=True))
    description = f"Bars of {value_title.lower()} for {len(shown)} groups: {text}."
    if rule is None:
        return finished(bars.properties(height=band_height(len(shown), 30),
                                        title=title_lines(title)),
                        description)
    line = alt.Chart(pd.DataFrame({"at": [rule]})).mark_rule(
        strokeDash=[4, 4], color=OUTLINE).encode(x="at:Q")
    return finished((bars + line).properties(height=band_height(len(shown), 30),
                                             title=title_lines(title)),
                    f"{description} A dashed line marks {rule:g}.")


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
        Spokes, dots coloured by score, the person named "this person", the friend
        unfriending drops first ringed.
    """
    centre = ego[ego["role"] == "person"].iloc[0]
    spokes = ego[ego["role"] == "friend"].assign(x0=centre["x"], y0=centre["y"])
    data = ego.assign(who=ego["role"].map({"person": "the person", "friend": "a friend"}),
                      ring=ego["lowest"].map({True: "dropped first", False: "kept"}))
    tooltip = [alt.Tooltip("who:N", title="Who"), alt.Tooltip("id:N", title="Person"),
               alt.Tooltip("score:Q", title="Score (points)", format=".0f")]
    shape: dict[str, Any] = {}
    if colour_by is not None:
        data = data.assign(group=ego[colour_by].map(readable))
        title = labels.get(colour_by, colour_by)
        shape["shape"] = alt.Shape("group:N", title=title, legend=alt.Legend(
            symbolFillColor=NEUTRAL, symbolStrokeColor=NEUTRAL))
        tooltip.append(alt.Tooltip("group:N", title=title))
    axis = alt.Axis(labels=False, ticks=False, grid=False, domain=False)
    lines = alt.Chart(spokes).mark_rule(color="lightgrey").encode(
        x=alt.X("x0:Q", axis=axis, title=None), y=alt.Y("y0:Q", axis=axis, title=None),
        x2="x:Q", y2="y:Q")
    dots = alt.Chart(data).mark_point(filled=True, size=260, strokeWidth=3).encode(
        x=alt.X("x:Q", axis=axis, title=None, scale=alt.Scale(domain=[-1.3, 1.3])),
        y=alt.Y("y:Q", axis=axis, title=None, scale=alt.Scale(domain=[-1.3, 1.3])),
        color=alt.Color("score:Q", title="Score (points)", scale=alt.Scale(scheme="viridis")),
        stroke=alt.Stroke("ring:N", title="Unfriending",
                          legend=alt.Legend(symbolFillColor=LEGEND_SWATCH, symbolSize=200),
                          scale=alt.Scale(domain=["dropped first", "kept"],
                                          range=[FLAG_COLOUR, "transparent"])),
        tooltip=tooltip, **shape)
    name = alt.Chart(data[data["role"] == "person"]).mark_text(
        dy=-22, fontWeight="bold", fontSize=12).encode(
        x=alt.X("x:Q", axis=axis), y=alt.Y("y:Q", axis=axis), text=alt.value("this person"))
    friends = data[data["role"] == "friend"]
    dropped = friends[friends["lowest"]]
    return finished(
        (lines + dots + name).properties(
            height=420, title=title_lines("A person and their friends' scores")),
        f"Network of person {centre['id']} (score {centre['score']:.0f}) and "
        f"{len(friends)} friends, scores from {friends['score'].min():.0f} to "
        f"{friends['score'].max():.0f}" + (
            f"; friend {dropped['id'].iloc[0]} (score {dropped['score'].iloc[0]:.0f}) "
            "would be dropped first" if len(dropped) else "") + ".")


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
    if "group" in out.columns:
        out["group"] = out["group"].map(readable)
    if "tier" in out.columns:
        out["tier"] = out["tier"].map(lambda t: names.get(t, readable(t)))
    return out.rename(columns=renamed)


def number_formats(table: pd.DataFrame) -> dict[str, str]:
    """Number formats for a table made by :func:`display_table`, for ``st.column_config``.

    Shares show as percentages; ratios, AUCs and correlations with two decimals; other
    fractional numbers (points, means) with one.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`display_table`.

    Returns
    -------
    dict
        Column -> format (``"percent"`` or a printf format).
    """
    formats = {}
    for column in table.columns:
        if not pd.api.types.is_float_dtype(table[column]):
            continue
        name = str(column).lower()
        if name.startswith("share") or " share" in name or "rate" in name:
            formats[column] = "percent"
        elif any(word in name for word in ("ratio", "auc", "strength", "correlation",
                                           "pearson", "information")):
            formats[column] = "%.2f"
        else:
            formats[column] = "%.1f"
    return formats
