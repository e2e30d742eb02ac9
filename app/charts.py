"""Altair charts of the dashboard, built by pure functions from the frames of ``model/``.

No streamlit here: every chart is a function of data, tested through ``chart.to_dict()``.
Colours come from the Okabe-Ito palette, which stays distinguishable with the common
forms of colour blindness; axis titles carry their units.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
UP, DOWN, NEUTRAL = "#0072B2", "#D55E00", "#999999"
STATUS_COLOURS = {"reported": "#0072B2", "speculated": "#E69F00"}
VALUE_SCHEME = "blueorange"
POINTS = "score points"
WIDTH = "container"


def score_histogram_chart(histogram: pd.DataFrame, tiers: pd.DataFrame) -> alt.LayerChart:
    """Bars of people per score band, with a dashed rule at each tier's threshold.

    Parameters
    ----------
    histogram : pandas.DataFrame
        ``start``, ``end``, ``people`` (from ``figures.population.score_histogram``).
    tiers : pandas.DataFrame
        ``tier``, ``min_score``, ``status`` (from ``figures.population.tier_reach_table``).

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
    names = tiers.assign(name=tiers["tier"].str.replace("_", " "))
    rules = alt.Chart(names).mark_rule(strokeDash=[4, 3], color="#000000").encode(
        x="min_score:Q",
        tooltip=[alt.Tooltip("name:N", title="Tier"),
                 alt.Tooltip("min_score:Q", title="From (points)")])
    text = alt.Chart(names).mark_text(angle=270, align="right", baseline="bottom", dx=-4,
                                      dy=-3, fontSize=11).encode(
        x="min_score:Q", y=alt.value(0), text="name:N")
    return alt.layer(bars, rules, text).properties(title="How are scores spread?",
                                                   width=WIDTH, height=320)


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
    return alt.Chart(data, title="Who reaches each reward tier?").mark_bar().encode(
        y=alt.Y("name:N", title=None, sort=list(data["name"]),
                axis=alt.Axis(labelLimit=260)),
        x=alt.X("percent:Q", title="People reaching the tier (%)",
                scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("status:N", title="Press reports",
                        scale=alt.Scale(domain=list(STATUS_COLOURS),
                                        range=list(STATUS_COLOURS.values()))),
        tooltip=[alt.Tooltip("name:N", title="Tier"), alt.Tooltip("perk:N", title="Gives"),
                 alt.Tooltip("status:N", title="Claim"),
                 alt.Tooltip("people:Q", title="People", format=","),
                 alt.Tooltip("percent:Q", title="Share (%)", format=".1f")],
    ).properties(width=WIDTH, height=alt.Step(28))


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
    y = alt.Y("step:N", title=None, sort=list(data["step"]), axis=alt.Axis(labelLimit=260))
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar(clip=True).encode(
        x=alt.X("lo:Q", title=f"Score ({POINTS})", scale=scale), x2="hi:Q",
        color=alt.Color("effect:N", title=None,
                        scale=alt.Scale(domain=[names[k] for k in kinds],
                                        range=list(kinds.values())),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("step:N", title="Feature"),
                 alt.Tooltip("points:Q", title="Points", format="+.1f"),
                 alt.Tooltip("end:Q", title="Running score", format=".1f")])
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x=alt.X("hi:Q", scale=scale), text="label:N")
    return alt.layer(bars, text).properties(title=title, width=WIDTH, height=alt.Step(24))


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
    return alt.Chart(data, title="Which features move scores the most?").mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=list(data["label"]),
                axis=alt.Axis(labelLimit=260)),
        x=alt.X("mean_abs_points:Q", title=f"Average push, up or down ({POINTS})"),
        color=_privacy_colour(influence["privacy"]),
        tooltip=[alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("privacy:N", title="Privacy category"),
                 alt.Tooltip("mean_abs_points:Q", title="Mean |push| (points)", format=".1f"),
                 alt.Tooltip("mean_signed_points:Q", title="Mean push (points)",
                             format="+.2f")],
    ).properties(width=WIDTH, height=alt.Step(22))


def _privacy_colour(categories: pd.Series) -> alt.Color:
    domain = sorted(categories.astype(str).unique())
    return alt.Color("privacy:N", title="Privacy category",
                     scale=alt.Scale(domain=domain, range=list(OKABE_ITO[:len(domain)])),
                     legend=alt.Legend(orient="bottom"))


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
    return alt.Chart(data, title="Which kinds of personal data move scores?").mark_bar().encode(
        y=alt.Y("privacy:N", title=None, sort=list(data["privacy"])),
        x=alt.X("mean_abs_points:Q", title=f"Average push, up or down ({POINTS})"),
        color=_privacy_colour(privacy["privacy"]),
        tooltip=[alt.Tooltip("privacy:N", title="Privacy category"),
                 alt.Tooltip("n_features:Q", title="Features"),
                 alt.Tooltip("mean_abs_points:Q", title="Mean |push| (points)", format=".1f"),
                 alt.Tooltip("percent:Q", title="Share of all pushes (%)", format=".0f")],
    ).properties(width=WIDTH, height=alt.Step(30))


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
    title = alt.Title("How does each feature push each person's score?",
                      subtitle=f"{n_sampled:,} people drawn at random")
    return alt.Chart(points, title=title).mark_circle(size=9, opacity=0.7).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("offset:Q", scale=alt.Scale(domain=[-1.2, 1.2])),
        x=alt.X("points:Q", title=f"Push on the score ({POINTS})"),
        color=alt.Color("value_rank:Q", title="Feature value",
                        scale=alt.Scale(scheme=VALUE_SCHEME, domain=[0, 1]),
                        legend=alt.Legend(values=[0, 1], labelExpr=
                                          "datum.value == 0 ? 'low' : 'high'")),
        tooltip=[alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("points:Q", title="Push (points)", format="+.1f")],
    ).properties(width=WIDTH, height=alt.Step(36))


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
    title = alt.Title(f"How does {feature_label.lower()} push the score?",
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
                                                      range=list(OKABE_ITO[:len(groups)])),
                                      legend=alt.Legend(orient="bottom"))
        encoding["tooltip"].append(alt.Tooltip("group:N", title=colour_label))
    else:
        encoding["color"] = alt.value(UP)
    return chart.encode(**encoding).properties(width=WIDTH, height=320)
