"""Altair charts of the dashboard, built by pure functions from the frames of ``model/``.

No streamlit here: every chart is a function of data, tested through ``chart.to_dict()``.
Colours come from the Okabe-Ito palette, which stays distinguishable with the common
forms of colour blindness; axis titles carry their units. Every chart leaves through
:func:`finished`: a text alternative (the ``description`` a screen reader announces), the
width of its container, legends under the plot and long labels wrapped, so that it reads
on a phone as on a desktop.
"""

from __future__ import annotations

import textwrap
from typing import TypeVar

import altair as alt
import pandas as pd

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
UP, DOWN, NEUTRAL = "#0072B2", "#D55E00", "#999999"
STATUS_COLOURS = {"reported": "#0072B2", "speculated": "#E69F00"}
VALUE_SCHEME = "blueorange"
POINTS = "score points"
WIDTH = "container"
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
LABEL_LIMIT = 180
LEGEND_LABEL_LIMIT = 320
WRAP_AT = 24
TITLE_WRAP = 36

AnyChart = TypeVar("AnyChart", alt.Chart, alt.LayerChart)


def wrapped_axis(**kwargs: object) -> alt.Axis:
    """An axis whose labels longer than ``WRAP_AT`` characters break onto a second line.

    Labels are cut at the last space before ``WRAP_AT``; what still does not fit in
    ``LABEL_LIMIT`` pixels ends in an ellipsis (every chart's tooltip has the full text).

    Parameters
    ----------
    **kwargs
        Other properties of the axis.

    Returns
    -------
    altair.Axis
        The axis.
    """
    cut = f"lastindexof(slice(datum.label, 0, {WRAP_AT}), ' ')"
    wrap = (f"length(datum.label) > {WRAP_AT} && {cut} > 0 ? "
            f"[slice(datum.label, 0, {cut}), slice(datum.label, {cut} + 1)] : datum.label")
    return alt.Axis(labelExpr=wrap, labelLimit=LABEL_LIMIT, labelOverlap=False, **kwargs)


def title_lines(text: str, *, subtitle: str | None = None) -> alt.Title:
    """A chart title broken into lines of at most ``TITLE_WRAP`` characters.

    Vega never wraps a title, so a long one is cut at the edge of a phone's screen.

    Parameters
    ----------
    text : str
        The title.
    subtitle : str, optional
        A line under it, wrapped the same way.

    Returns
    -------
    altair.Title
        The title, one string per line.
    """
    lines = textwrap.wrap(text, TITLE_WRAP) or [text]
    if subtitle is None:
        return alt.Title(lines)
    return alt.Title(lines, subtitle=textwrap.wrap(subtitle, TITLE_WRAP + 10) or [subtitle])


def band_height(bands: int, step: float, *, per_band: int = 1, gap: float = 0.0) -> int:
    """The height in pixels of a chart with ``bands`` rows of ``per_band`` bars each.

    A height in pixels rather than a Vega-Lite step: with a step, Vega-Lite drops the fitting
    of a chart to its container's width with a warning, whatever ``autosize`` says.

    Parameters
    ----------
    bands : int
        Rows on the discrete axis.
    step : float
        Pixels per bar.
    per_band : int, default=1
        Bars per row (groups side by side within a row).
    gap : float, default=0.0
        Extra pixels between rows.

    Returns
    -------
    int
        The height.
    """
    return int(max(bands, 1) * (per_band * step + gap))


def finished(chart: AnyChart, description: str) -> AnyChart:
    """Return a chart ready to draw: described, as wide as its container, legends below.

    Parameters
    ----------
    chart : altair.Chart or altair.LayerChart
        The chart.
    description : str
        What the chart shows, in words: the aria-label of the drawn chart.

    Returns
    -------
    altair.Chart or altair.LayerChart
        The chart with its description, ``width="container"``, ``fit-x`` sizing (a height
        set by a step stays, instead of being dropped) and legends under the plot, their
        entries listed downwards so that they fit a phone's width.
    """
    return chart.properties(description=description, width=WIDTH, autosize=FIT_WIDTH
                            ).configure_legend(orient="bottom", direction="vertical",
                                               labelLimit=LEGEND_LABEL_LIMIT,
                                               titleLimit=LEGEND_LABEL_LIMIT)


def score_histogram_chart(histogram: pd.DataFrame, tiers: pd.DataFrame) -> alt.LayerChart:
    """Bars of people per score band, with a dashed rule at each tier's threshold.

    Parameters
    ----------
    histogram : pandas.DataFrame
        ``start``, ``end``, ``people`` (from ``figures.population.score_histogram``).
    tiers : pandas.DataFrame
        ``tier``, ``min_score``, ``status`` (from ``figures.population.tier_table``).

    Returns
    -------
    altair.LayerChart
        Bars and threshold rules.
    """
    bars = alt.Chart(histogram).mark_bar(color=UP).encode(
        x=alt.X("start:Q", title=f"Score ({POINTS})", bin="binned"),
        x2="end:Q",
        y=alt.Y("people:Q", title="People",  # headroom for the tier names
                scale=alt.Scale(domain=[0, max(1, int(histogram["people"].max() * 1.5))])),
        tooltip=[alt.Tooltip("start:Q", title="From (points)"),
                 alt.Tooltip("end:Q", title="To (points)"),
                 alt.Tooltip("people:Q", title="People", format=",")],
    )
    names = tiers.assign(name=tiers["tier"].str.replace("_", " "),
                         row=[4 + 13 * i for i in range(len(tiers))])
    rules = alt.Chart(names).mark_rule(strokeDash=[4, 3], color="#000000").encode(
        x="min_score:Q",
        tooltip=[alt.Tooltip("name:N", title="Tier"),
                 alt.Tooltip("min_score:Q", title="From (points)")])
    text = alt.Chart(names).mark_text(align="left", baseline="top", dx=3,
                                      fontSize=11).encode(
        x="min_score:Q", y=alt.Y("row:Q", scale=None), text="name:N")
    top = histogram["people"].idxmax()
    description = (f"Histogram of {int(histogram['people'].sum()):,} scores in "
                   f"{len(histogram)} bands from {histogram['start'].min():.0f} to "
                   f"{histogram['end'].max():.0f} points; the fullest band is "
                   f"{histogram.loc[top, 'start']:.0f} to {histogram.loc[top, 'end']:.0f}. "
                   "Dashed lines mark the tiers: " + ", ".join(
                       f"{n} from {m:.0f}" for n, m in zip(names["name"], names["min_score"],
                                                          strict=True)) + ".")
    return finished(alt.layer(bars, rules, text).properties(
        title=title_lines("How are scores spread?"), height=320), description)


def tier_chart(tiers: pd.DataFrame) -> alt.Chart:
    """Horizontal bars of the share of people reaching each tier, coloured by the claim.

    Parameters
    ----------
    tiers : pandas.DataFrame
        ``tier``, ``min_score``, ``perk``, ``status``, ``people``, ``share``.

    Returns
    -------
    altair.Chart
        One bar per tier, lowest threshold at the top.
    """
    data = tiers.assign(name=tiers["tier"].str.replace("_", " ") + " ("
                        + tiers["min_score"].map("{:.0f}+".format) + ")",
                        percent=tiers["share"] * 100)
    chart = alt.Chart(data, title=title_lines("Who reaches each reward tier?")).mark_bar(
    ).encode(
        y=alt.Y("name:N", title=None, sort=list(data["name"]), axis=wrapped_axis()),
        x=alt.X("percent:Q", title="People reaching the tier (%)",
                scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("status:N", title="Press reports",
                        scale=alt.Scale(domain=list(STATUS_COLOURS),
                                        range=list(STATUS_COLOURS.values()))),
        tooltip=[alt.Tooltip("name:N", title="Tier"), alt.Tooltip("perk:N", title="Gives"),
                 alt.Tooltip("status:N", title="Claim"),
                 alt.Tooltip("people:Q", title="People", format=","),
                 alt.Tooltip("percent:Q", title="Share (%)", format=".1f")],
    ).properties(height=band_height(len(data), 28))
    return finished(chart, "Bars of the share of people reaching each reward tier: " + "; ".join(
        f"{n} {p:.0f}% ({s})" for n, p, s in zip(data["name"], data["percent"], data["status"],
                                                 strict=True)) + ".")


def waterfall_domain(*steps: pd.DataFrame, pad: float = 8.0) -> tuple[float, float]:
    """Return a score range that shows every step of one or more waterfalls.

    Base and total bars are left out (they start at the bottom of the score's range and are
    cut at the chart's edge), so small steps stay visible.

    Parameters
    ----------
    *steps : pandas.DataFrame
        Outputs of ``person.waterfall.waterfall_data``.
    pad : float
        Points added on each side.

    Returns
    -------
    tuple of float
        Lowest and highest score shown.
    """
    both = pd.concat(steps)
    moves = both[both["kind"].isin(["up", "down"])]
    values = pd.concat([both["end"], moves["start"]])
    return float(values.min()) - pad, float(values.max()) + pad


def waterfall_chart(steps: pd.DataFrame, *, title: str = "What moved this score?",
                    domain: tuple[float, float] | None = None) -> alt.LayerChart:
    """A horizontal waterfall from the average score to the person's score.

    Parameters
    ----------
    steps : pandas.DataFrame
        ``step``, ``kind``, ``points``, ``start``, ``end``, ``order`` (from
        ``person.waterfall.waterfall_data``).
    title : str
        Chart title.
    domain : tuple of float, optional
        Score axis range, to compare two waterfalls on the same scale.

    Returns
    -------
    altair.LayerChart
        Bars and their point labels.
    """
    bottom, top = domain or waterfall_domain(steps)
    data = steps.assign(
        label=[f"{p:+.1f}" if k in ("up", "down") else f"{p:.0f}"
               for k, p in zip(steps["kind"], steps["points"], strict=True)],
        lo=steps[["start", "end"]].min(axis=1).clip(lower=bottom),
        hi=steps[["start", "end"]].max(axis=1))
    scale = alt.Scale(domain=[bottom, top], nice=False)
    kinds = {"up": UP, "down": DOWN, "base": NEUTRAL, "total": "#000000"}
    names = {"up": "raises the score", "down": "lowers the score", "base": "average score",
             "total": "final score"}
    data["effect"] = data["kind"].map(names)
    y = alt.Y("step:N", title=None, sort=list(data["step"]), axis=wrapped_axis())
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar(clip=True).encode(
        x=alt.X("lo:Q", title=f"Score ({POINTS})", scale=scale), x2="hi:Q",
        color=alt.Color("effect:N", title=None,
                        scale=alt.Scale(domain=[names[k] for k in kinds],
                                        range=list(kinds.values())),
                        ),
        tooltip=[alt.Tooltip("step:N", title="Feature"),
                 alt.Tooltip("points:Q", title="Points", format="+.1f"),
                 alt.Tooltip("end:Q", title="Running score", format=".1f")])
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x=alt.X("hi:Q", scale=scale), text="label:N")
    moves = data[data["kind"].isin(["up", "down"])]
    ends = data[data["kind"].isin(["base", "total"])]["points"]
    description = (f"Waterfall from the average score, {ends.iloc[0]:.0f} points, to this "
                   f"score, {ends.iloc[-1]:.0f}: " + "; ".join(
                       f"{s} {lab}" for s, lab in zip(moves["step"], moves["label"],
                                                      strict=True)) + " points.")
    return finished(alt.layer(bars, text).properties(title=title_lines(title),
                                                     height=band_height(len(data), 28)),
                    description)


def influence_chart(influence: pd.DataFrame, *, top: int = 15) -> alt.Chart:
    """Bars of each feature's mean |SHAP| in points, coloured by privacy category.

    Parameters
    ----------
    influence : pandas.DataFrame
        ``label``, ``privacy``, ``mean_abs_points``, ``mean_signed_points`` (from
        ``figures.drivers.influence_by_feature``), largest first.
    top : int
        Number of features shown.

    Returns
    -------
    altair.Chart
        One bar per feature.
    """
    data = influence.head(top)
    chart = alt.Chart(data, title=title_lines("Which features move scores the most?")
                      ).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=list(data["label"]), axis=wrapped_axis()),
        x=alt.X("mean_abs_points:Q", title=f"Average push, up or down ({POINTS})"),
        color=_privacy_colour(influence["privacy"]),
        tooltip=[alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("privacy:N", title="Privacy category"),
                 alt.Tooltip("mean_abs_points:Q", title="Mean |push| (points)", format=".1f"),
                 alt.Tooltip("mean_signed_points:Q", title="Mean push (points)",
                             format="+.2f")],
    ).properties(height=band_height(len(data), 26))
    return finished(chart, f"Bars of the {len(data)} features that move scores the most, in "
                    "average points up or down: " + "; ".join(
                        f"{lab} {v:.1f} ({c})" for lab, v, c in zip(
                            data["label"], data["mean_abs_points"], data["privacy"],
                            strict=True)) + ".")


def _privacy_colour(categories: pd.Series) -> alt.Color:
    domain = sorted(categories.astype(str).unique())
    return alt.Color("privacy:N", title="Privacy category",
                     scale=alt.Scale(domain=domain, range=list(OKABE_ITO[:len(domain)])))


def privacy_chart(privacy: pd.DataFrame) -> alt.Chart:
    """Bars of the points each privacy category moves a score, on average.

    Parameters
    ----------
    privacy : pandas.DataFrame
        ``privacy``, ``n_features``, ``mean_abs_points``, ``share`` (from
        ``figures.drivers.influence_by_privacy``).

    Returns
    -------
    altair.Chart
        One bar per category.
    """
    data = privacy.assign(percent=privacy["share"] * 100)
    chart = alt.Chart(data, title=title_lines("Which kinds of personal data move scores?")
                      ).mark_bar().encode(
        y=alt.Y("privacy:N", title=None, sort=list(data["privacy"]), axis=wrapped_axis()),
        x=alt.X("mean_abs_points:Q", title=f"Average push, up or down ({POINTS})"),
        color=_privacy_colour(privacy["privacy"]),
        tooltip=[alt.Tooltip("privacy:N", title="Privacy category"),
                 alt.Tooltip("n_features:Q", title="Features"),
                 alt.Tooltip("mean_abs_points:Q", title="Mean |push| (points)", format=".1f"),
                 alt.Tooltip("percent:Q", title="Share of all pushes (%)", format=".0f")],
    ).properties(height=band_height(len(data), 30))
    return finished(chart, "Bars of the average points each kind of personal data moves a "
                    "score: " + "; ".join(f"{c} {v:.1f}" for c, v in zip(
                        data["privacy"], data["mean_abs_points"], strict=True)) + ".")


def beeswarm_chart(points: pd.DataFrame, n_sampled: int) -> alt.Chart:
    """A beeswarm: each dot one sampled person, placed by the feature's push on their score.

    Parameters
    ----------
    points : pandas.DataFrame
        ``label``, ``order``, ``points``, ``offset``, ``value_rank`` (from
        ``figures.drivers.beeswarm_data``).
    n_sampled : int
        People drawn, shown in the title.

    Returns
    -------
    altair.Chart
        Dots on one row per feature, coloured from low (blue) to high (orange) value.
    """
    order = list(points.sort_values("order")["label"].drop_duplicates())
    title = title_lines("How does each feature push each person's score?",
                        subtitle=f"{n_sampled:,} people drawn at random")
    chart = alt.Chart(points, title=title).mark_circle(size=9, opacity=0.7).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=wrapped_axis()),
        yOffset=alt.YOffset("offset:Q", scale=alt.Scale(domain=[-1.2, 1.2])),
        x=alt.X("points:Q", title=f"Push on the score ({POINTS})"),
        color=alt.Color("value_rank:Q", title="Feature value",
                        scale=alt.Scale(scheme=VALUE_SCHEME, domain=[0, 1]),
                        legend=alt.Legend(values=[0, 1], labelExpr=
                                          "datum.value == 0 ? 'low' : 'high'")),
        tooltip=[alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("points:Q", title="Push (points)", format="+.1f")],
    ).properties(height=band_height(len(order), 36))
    return finished(chart, f"Beeswarm of {n_sampled:,} people: one row per feature ("
                    + ", ".join(order) + "), each dot a person placed by the points the "
                    "feature added to or took from their score, coloured from low (blue) to "
                    "high (orange) feature value.")


def dependence_chart(points: pd.DataFrame, *, feature_label: str, categorical: bool,
                     colour_label: str | None = None) -> alt.Chart:
    """Dots of a feature's value against its push on the score, optionally by group.

    Parameters
    ----------
    points : pandas.DataFrame
        ``value``, ``points`` and optionally ``group`` (from
        ``figures.drivers.dependence_data``).
    feature_label : str
        Label of the feature (x axis).
    categorical : bool
        Whether the values are categories (then jittered within each category).
    colour_label : str, optional
        Label of the grouping column, when ``points`` has ``group``.

    Returns
    -------
    altair.Chart
        The dependence plot.
    """
    title = title_lines(f"How does {feature_label.lower()} push the score?",
                        subtitle=f"{len(points):,} people drawn at random")
    chart = alt.Chart(points, title=title).mark_circle(size=14, opacity=0.6)
    x = (alt.X("value:N", title=feature_label) if categorical
         else alt.X("value:Q", title=feature_label, scale=alt.Scale(zero=False)))
    encoding = {"x": x, "y": alt.Y("points:Q", title=f"Push on the score ({POINTS})"),
                "tooltip": [alt.Tooltip("value:N", title=feature_label),
                            alt.Tooltip("points:Q", title="Push (points)", format="+.1f")]}
    if categorical:
        chart = chart.transform_calculate(jitter="random()")
        encoding["xOffset"] = alt.XOffset("jitter:Q")
    if "group" in points:
        groups = sorted(points["group"].astype(str).unique())
        encoding["color"] = alt.Color("group:N", title=colour_label,
                                      scale=alt.Scale(domain=groups,
                                                      range=list(OKABE_ITO[:len(groups)])))
        encoding["tooltip"].append(alt.Tooltip("group:N", title=colour_label))
    else:
        encoding["color"] = alt.value(UP)
    by = f", coloured by {colour_label.lower()}" if "group" in points else ""
    return finished(chart.encode(**encoding).properties(height=320),
                    f"Dots of {len(points):,} people: {feature_label.lower()} against the "
                    f"points it adds to or takes from the score (from "
                    f"{points['points'].min():+.1f} to {points['points'].max():+.1f}){by}.")
