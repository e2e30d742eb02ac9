"""Altair charts of the audit pages: pure functions from audit tables to charts.

Colours are the Okabe-Ito palette and viridis, both readable with colour-blindness; every
label comes from the data dictionary through ``labels`` (column -> label), never a raw
column name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from sesame_audit.app.charts import NEUTRAL, band_height, finished, title_lines, wrapped_axis

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
FLAG_COLOUR = "#D55E00"
OUTLINE = "#000000"
LEGEND_SWATCH = "#DDDDDD"
UNDER, AT_LEAST = "under 4/5 of the top group", "4/5 or more"
OTHER_INPUT = "other input"


def readable(value: object) -> str:
    """Return a category or tier name as words (``minority_a`` -> ``minority a``)."""
    return str(value).replace("_", " ")


def tier_labels(tiers: Sequence[tuple[str, float]]) -> dict[str, str]:
    """Return tier name -> label with its threshold, e.g. ``"car rental (650+)"``.

    Parameters
    ----------
    tiers : sequence of (name, threshold)
        Tiers, lowest first.

    Returns
    -------
    dict
        Name -> label, in tier order.
    """
    return {name: f"{readable(name)} ({threshold:.0f}+)" for name, threshold in tiers}


def _palette(n: int) -> list[str]:
    """Group colours: Okabe-Ito without black, which the four-fifths outline needs."""
    colours = [c for c in OKABE_ITO if c != OUTLINE]
    return [colours[i % len(colours)] for i in range(n)]


def tier_access_chart(ratios: pd.DataFrame, tiers: Sequence[tuple[str, float]]) -> alt.Chart:
    """Share of each group reaching each tier, with four-fifths flags.

    Parameters
    ----------
    ratios : pandas.DataFrame
        Output of :func:`audit.fairness.impact_ratios`.
    tiers : sequence of (name, threshold)
        Tiers, lowest first.

    Returns
    -------
    altair.Chart
        Grouped bars; groups under four fifths of the most favoured one are outlined.
    """
    names = tier_labels(tiers)
    data = ratios[~ratios["suppressed"]].assign(
        tier_label=lambda d: d["tier"].map(names), group=lambda d: d["group"].map(readable),
        status=lambda d: d["flagged"].map({True: UNDER, False: AT_LEAST}))
    groups = sorted(data["group"].unique())
    flagged = data[data["flagged"]]
    description = (f"Bars of the share of each of {len(groups)} groups reaching each of "
                   f"{len(names)} tiers; {len(flagged)} bars are outlined because the group "
                   "reaches the tier less than four fifths as often as the most favoured "
                   "group" + (": " + "; ".join(f"{g} at {t}" for g, t in zip(
                       flagged["group"], flagged["tier_label"], strict=True)) if len(flagged)
                              else "") + ".")
    chart = alt.Chart(data, title=title_lines("Share of each group reaching each tier")
                      ).mark_bar(strokeWidth=2.5).encode(
        y=alt.Y("tier_label:N", sort=list(names.values()), title="Tier (score threshold)",
                axis=wrapped_axis()),
        yOffset=alt.YOffset("group:N", sort=groups),
        x=alt.X("share:Q", title="People reaching the tier (%)", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("group:N", sort=groups, title="Group",
                        scale=alt.Scale(range=_palette(len(groups)))),
        stroke=alt.Stroke("status:N", title="Four-fifths rule",
                          legend=alt.Legend(symbolFillColor=LEGEND_SWATCH, symbolType="square",
                                            symbolStrokeWidth=2.5),
                          scale=alt.Scale(domain=[UNDER, AT_LEAST],
                                          range=[OUTLINE, "transparent"])),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("tier_label:N", title="Tier"),
                 alt.Tooltip("share:Q", title="Share reaching", format=".1%"),
                 alt.Tooltip("impact_ratio:Q", title="Impact ratio", format=".2f"),
                 alt.Tooltip("status:N", title="Four-fifths rule")])
    return finished(chart.properties(height=band_height(len(names), 14, per_band=len(groups),
                                                        gap=10)),
                    description)


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
        Cells coloured from 0 to 1; values under 0.8 marked with "!".
    """
    names = tier_labels(tiers)
    data = ratios[~ratios["suppressed"] & ratios["impact_ratio"].notna()].assign(
        tier_label=lambda d: d["tier"].map(names), group=lambda d: d["group"].map(readable),
        text=lambda d: d["impact_ratio"].map("{:.2f}".format).astype(str)
        + d["flagged"].map({True: " !", False: ""}).astype(str))
    base = alt.Chart(data).encode(
        x=alt.X("tier_label:N", sort=list(names.values()), title="Tier (score threshold)",
                axis=alt.Axis(labelAngle=-45, labelLimit=150, labelOverlap=False)),
        y=alt.Y("group:N", title="Group", axis=wrapped_axis()))
    cells = base.mark_rect().encode(
        color=alt.Color("impact_ratio:Q", title="Impact ratio (1 = equal access)",
                        scale=alt.Scale(scheme="viridis", domain=[0, 1])),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("tier_label:N", title="Tier"),
                 alt.Tooltip("impact_ratio:Q", title="Impact ratio", format=".2f")])
    text = base.mark_text(fontWeight="bold").encode(
        text="text:N",
        color=alt.condition("datum.impact_ratio > 0.6", alt.value("black"), alt.value("white")))
    flagged = data[data["flagged"]]
    return finished((cells + text).properties(height=band_height(data["group"].nunique(), 28),
                                              title=title_lines(
        "Impact ratio: share reaching the tier over the most favoured group's")),
                    f"Heatmap of the impact ratio of {data['group'].nunique()} groups at "
                    f"{data['tier_label'].nunique()} tiers, from 0 to 1 (1 = as often as the "
                    f"most favoured group); {len(flagged)} cells are under 0.8 and marked !.")


def distribution_chart(distribution: pd.DataFrame, tiers: Sequence[tuple[str, float]]
                       ) -> alt.LayerChart:
    """Distribution of the score within each group, with the tier thresholds.

    Parameters
    ----------
    distribution : pandas.DataFrame
        Output of :func:`audit.fairness.score_distribution`.
    tiers : sequence of (name, threshold)
        Tiers, lowest first, drawn as vertical rules.

    Returns
    -------
    altair.LayerChart
        One row of cells per group (the darker, the more of the group's people in that
        score band), readable for an intersection of many groups as for two.
    """
    data = distribution.assign(group=distribution["group"].map(readable))
    groups = sorted(data["group"].unique())
    cells = alt.Chart(data).mark_rect().encode(
        x=alt.X("bin_start:Q", title="Score under audit (points)",
                scale=alt.Scale(zero=False)),
        x2="bin_end:Q",
        y=alt.Y("group:N", sort=groups, title="Group", axis=wrapped_axis()),
        color=alt.Color("share:Q", title="Share of the group's people",
                        scale=alt.Scale(scheme="greys", domainMin=0),
                        legend=alt.Legend(format="%")),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("bin_start:Q", title="From (points)"),
                 alt.Tooltip("bin_end:Q", title="To (points)"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")])
    rules = alt.Chart(pd.DataFrame({"threshold": [t for _, t in tiers],
                                    "tier": [readable(n) for n, _ in tiers]})).mark_rule(
        strokeDash=[4, 4], color=FLAG_COLOUR, strokeWidth=1.5).encode(
        x="threshold:Q", tooltip=[alt.Tooltip("tier:N", title="Tier"),
                                  alt.Tooltip("threshold:Q", title="Threshold (points)")])
    middle = data.assign(mid=(data["bin_start"] + data["bin_end"]) / 2,
                         weighted=lambda d: d["mid"] * d["share"])
    centres = middle.groupby("group")["weighted"].sum() / middle.groupby("group")["share"].sum()
    return finished((cells + rules).properties(
        height=band_height(len(groups), max(18, 90 // len(groups))),
        title=title_lines("How the score is spread within each group")),
                    f"Heatmap of how the score is spread within {len(groups)} groups, one "
                    "row per group, darker where more of the group's people score; average "
                    "scores: " + "; ".join(f"{g} {c:.0f}" for g, c in centres.items())
                    + ". Dashed lines mark the tier thresholds.")


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
    base = alt.Chart(data).encode(
        x=alt.X("attribute_label:N", title="Sensitive attribute",
                axis=alt.Axis(labelAngle=-45, labelLimit=150, labelOverlap=False)),
        y=alt.Y("feature_label:N", sort=order, title="Model input", axis=wrapped_axis()))
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
    strongest = data.sort_values("strength", ascending=False).head(3)
    return finished((cells + text).properties(
        height=band_height(len(order), 26),
        title=title_lines("Strength of each input as a stand-in (AUC)")),
                    f"Heatmap of how well each of {len(order)} inputs alone predicts each of "
                    f"{data['attribute_label'].nunique()} sensitive attributes (AUC, 0.5 = no "
                    "information, 1 = a perfect stand-in); strongest: " + "; ".join(
                        f"{f} for {a} {v:.2f}" for f, a, v in zip(
                            strongest["feature_label"], strongest["attribute_label"],
                            strongest["strength"], strict=True)) + ".")


def points_by_group_chart(by_feature: pd.DataFrame, labels: Mapping[str, str], *,
                          title: str) -> alt.Chart:
    """Mean points each feature adds to or takes from each group's score, stacked.

    Parameters
    ----------
    by_feature : pandas.DataFrame
        Long table with ``group``, ``feature`` and ``points`` (mean SHAP value).
    labels : mapping
        Column -> label.
    title : str
        Chart title.

    Returns
    -------
    altair.Chart
        Horizontal stacked bars, one per group.
    """
    data = by_feature.assign(group=by_feature["group"].map(readable),
                             feature_label=by_feature["feature"].map(
                                 lambda c: labels.get(c, c)))
    features = sorted(data["feature_label"].unique())
    totals = data.groupby("group")["points"].sum()
    chart = alt.Chart(data, title=title_lines(title)).mark_bar().encode(
        y=alt.Y("group:N", title="Group", axis=wrapped_axis()),
        x=alt.X("points:Q", title="Mean points of the score (SHAP)"),
        color=alt.Color("feature_label:N", title="Input",
                        scale=_input_colours(features, others=False)),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("feature_label:N", title="Input"),
                 alt.Tooltip("points:Q", title="Mean points", format="+.1f")])
    return finished(chart.properties(height=band_height(len(totals), 30)),
                    f"Stacked bars of the mean points {len(features)} inputs ("
                    + ", ".join(features) + ") give each group's score; in total " + "; ".join(
                        f"{g} {v:+.1f}" for g, v in totals.items()) + " points.")


def _input_colours(proxies: Sequence[str], *, others: bool = True) -> alt.Scale:
    """One colour per proxy, the same in every chart of the Proxies page; grey for others."""
    domain = sorted(proxies)
    if not others:
        return alt.Scale(domain=domain, range=_palette(len(domain)))
    return alt.Scale(domain=[*domain, OTHER_INPUT], range=[*_palette(len(domain)), NEUTRAL])


def gap_chart(by_feature: pd.DataFrame, labels: Mapping[str, str], *, top: int = 12
              ) -> alt.Chart:
    """Which inputs make up the score gap between two groups.

    Parameters
    ----------
    by_feature : pandas.DataFrame
        ``UnawarenessGap.by_feature``: ``feature``, ``gap_points``, ``is_proxy``.
    labels : mapping
        Column -> label.
    top : int
        Inputs shown, largest in size first.

    Returns
    -------
    altair.Chart
        Horizontal bars coloured by whether the input is a proxy.
    """
    named = by_feature.assign(
        feature_label=lambda d: d["feature"].map(lambda c: labels.get(c, c)))
    proxies = named.loc[named["is_proxy"], "feature_label"].tolist()
    data = named.head(top).assign(
        colour=lambda d: d["feature_label"].where(d["is_proxy"], OTHER_INPUT),
        kind=lambda d: d["is_proxy"].map({True: "proxy of the attribute",
                                          False: "other input"}))
    chart = alt.Chart(data, title=title_lines("Where the gap between the groups comes from")
                      ).mark_bar().encode(
        y=alt.Y("feature_label:N", sort=data["feature_label"].tolist(), title="Model input",
                axis=wrapped_axis()),
        x=alt.X("gap_points:Q", title="Gap points (favoured minus disfavoured)"),
        color=alt.Color("colour:N", title="Input", scale=_input_colours(proxies)),
        tooltip=[alt.Tooltip("feature_label:N", title="Input"),
                 alt.Tooltip("kind:N", title="Kind"),
                 alt.Tooltip("gap_points:Q", title="Points", format="+.1f")])
    return finished(chart.properties(height=band_height(len(data), 26)),
                    f"Bars of the points of the score gap between the groups that each of "
                    f"{len(data)} inputs carries, proxies of the attribute in colour, others in "
                    "grey: " + "; ".join(f"{f} {v:+.1f}" for f, v in zip(
                        data["feature_label"], data["gap_points"], strict=True)) + ".")


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
    base = alt.Chart(long).encode(
        y=alt.Y("group:N", title="Group", axis=wrapped_axis()),
        x=alt.X("mean:Q", title=value_title, scale=alt.Scale(zero=False)))
    line = base.mark_line(color=NEUTRAL).encode(detail="group:N")
    dots = base.mark_point(size=90, strokeWidth=2).encode(
        color=alt.Color("when:N", title="Mean score", sort=["before", "after"],
                        scale=alt.Scale(domain=["before", "after"], range=[NEUTRAL, OUTLINE])),
        shape=alt.Shape("when:N", sort=["before", "after"], legend=None,
                        scale=alt.Scale(domain=["before", "after"],
                                        range=["circle", "diamond"])),
        fill=alt.Fill("when:N", legend=None, scale=alt.Scale(
            domain=["before", "after"], range=["white", OUTLINE])),
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("when:N", title="When"),
                 alt.Tooltip("mean:Q", title="Mean", format=".1f")])
    return finished((line + dots).properties(height=band_height(len(shown), 30),
                                             title=title_lines(title)),
                    f"Dumbbells of each group's {value_title.lower()} before (hollow grey) and "
                    "after (black) the change: " + "; ".join(
                        f"{g} {b:.1f} to {a:.1f}" for g, b, a in zip(
                            shown["group"], shown["mean_before"], shown["mean_after"],
                            strict=True)) + ".")


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
    bars = alt.Chart(shown).mark_bar(color=OKABE_ITO[0]).encode(
        y=alt.Y("group:N", title="Group", axis=wrapped_axis()),
        x=alt.X(f"{value}:Q", title=value_title,
                axis=alt.Axis(format="%") if percent else alt.Axis()),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=fmt)])
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


def ego_chart(ego: pd.DataFrame, labels: Mapping[str, str], colour_by: str) -> alt.LayerChart:
    """A person at the centre, their friends on a circle, coloured by score.

    Parameters
    ----------
    ego : pandas.DataFrame
        Output of :func:`audit.network.ego_network`.
    labels : mapping
        Column -> label.
    colour_by : str
        Sensitive attribute drawn as the shape of each dot.

    Returns
    -------
    altair.LayerChart
        Spokes, dots coloured by score, the person named "this person", the friend
        unfriending drops first ringed.
    """
    centre = ego[ego["role"] == "person"].iloc[0]
    spokes = ego[ego["role"] == "friend"].assign(x0=centre["x"], y0=centre["y"])
    data = ego.assign(group=ego[colour_by].map(readable),
                      who=ego["role"].map({"person": "the person", "friend": "a friend"}),
                      ring=ego["lowest"].map({True: "dropped first", False: "kept"}))
    axis = alt.Axis(labels=False, ticks=False, grid=False, domain=False)
    lines = alt.Chart(spokes).mark_rule(color="lightgrey").encode(
        x=alt.X("x0:Q", axis=axis, title=None), y=alt.Y("y0:Q", axis=axis, title=None),
        x2="x:Q", y2="y:Q")
    dots = alt.Chart(data).mark_point(filled=True, size=260, strokeWidth=3).encode(
        x=alt.X("x:Q", axis=axis, title=None, scale=alt.Scale(domain=[-1.3, 1.3])),
        y=alt.Y("y:Q", axis=axis, title=None, scale=alt.Scale(domain=[-1.3, 1.3])),
        color=alt.Color("score:Q", title="Score (points)", scale=alt.Scale(scheme="viridis")),
        shape=alt.Shape("group:N", title=labels.get(colour_by, colour_by),
                        legend=alt.Legend(symbolFillColor=NEUTRAL, symbolStrokeColor=NEUTRAL)),
        stroke=alt.Stroke("ring:N", title="Unfriending",
                          legend=alt.Legend(symbolFillColor=LEGEND_SWATCH, symbolSize=200),
                          scale=alt.Scale(domain=["dropped first", "kept"],
                                          range=[FLAG_COLOUR, "transparent"])),
        tooltip=[alt.Tooltip("who:N", title="Who"), alt.Tooltip("id:N", title="Person"),
                 alt.Tooltip("score:Q", title="Score (points)", format=".0f"),
                 alt.Tooltip("group:N", title=labels.get(colour_by, colour_by))])
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
        Tiers, to name ``share_<tier>`` and ``impact_ratio_<tier>`` columns.

    Returns
    -------
    pandas.DataFrame
        The same values, columns renamed (``mean_score`` -> ``Mean score``, ...).
    """
    names = tier_labels(tiers)
    renamed = {}
    for column in frame.columns:
        for prefix, words in (("share_", "Share reaching"), ("impact_ratio_", "Impact ratio,")):
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
