"""Altair charts of the dashboard, built by pure functions from the frames of ``model/``.

No streamlit here: every chart is a function of data, tested through ``chart.to_dict()``.
Colours come from the Okabe-Ito palette, which stays distinguishable with the common
forms of colour blindness; axis titles carry their units.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sesame_audit.model.core import units
from sesame_audit.model.core.roles import Roles

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
UP, DOWN, NEUTRAL = "#0072B2", "#D55E00", "#999999"
STATUS_COLOURS = {"reported": "#0072B2", "speculated": "#E69F00"}
VALUE_SCHEME = "blueorange"
POINTS = "score points"
WIDTH = "container"


def level_unit(roles: Roles | None) -> str:
    """The unit of a score axis: ``score points`` when no roles are given."""
    return POINTS if roles is None else units.unit_label(roles)


def change_unit(roles: Roles | None) -> str:
    """The unit of a push or gap: ``score points`` when no roles are given."""
    return POINTS if roles is None else units.change_label(roles)


def level_format(roles: Roles | None) -> str:
    """The d3 format of a score (percentages for a probability)."""
    return ".1%" if roles is not None and roles.unit == units.PROBABILITY else ".4~g"


def change_scale(roles: Roles | None) -> float:
    """The factor that turns a change into its unit (100 for percentage points)."""
    return 100.0 if roles is not None and roles.unit == units.PROBABILITY else 1.0


def level_axis(roles: Roles | None, **options: object) -> alt.Axis:
    """The axis of a score: percentages for a probability."""
    if roles is not None and roles.unit == units.PROBABILITY:
        return alt.Axis(format="%", **options)
    return alt.Axis(**options)


def threshold_text(value: float, roles: Roles | None) -> str:
    """A tier's threshold as typed (no decimals for points)."""
    return f"{value:.0f}" if roles is None else units.format_threshold(value, roles)


def score_histogram_chart(histogram: pd.DataFrame, tiers: pd.DataFrame, *,
                          roles: Roles | None = None) -> alt.LayerChart:
    """Bars of people per score band, with a dashed rule at each tier's threshold.

    Parameters
    ----------
    histogram : pandas.DataFrame
        ``start``, ``end``, ``people`` (from ``figures.population.score_histogram``).
    tiers : pandas.DataFrame
        ``tier``, ``min_score``, ``status`` (from ``figures.population.tier_reach_table``).
    roles : Roles, optional
        The run's roles, for the score's unit (score points when not given).

    Returns
    -------
    altair.LayerChart
        Bars and threshold rules.
    """
    unit = level_unit(roles)
    bars = alt.Chart(histogram).mark_bar(color=UP).encode(
        x=alt.X("start:Q", title=f"Score ({unit})", bin="binned", axis=level_axis(roles)),
        x2="end:Q",
        y=alt.Y("people:Q", title="People",  # headroom for the tier names
                scale=alt.Scale(domain=[0, max(1, int(histogram["people"].max() * 1.5))])),
        tooltip=[alt.Tooltip("start:Q", title=f"From ({unit})", format=level_format(roles)),
                 alt.Tooltip("end:Q", title=f"To ({unit})", format=level_format(roles)),
                 alt.Tooltip("people:Q", title="People", format=",")],
    )
    names = tiers.assign(name=tiers["tier"].str.replace("_", " "))
    rules = alt.Chart(names).mark_rule(strokeDash=[4, 3], color="#000000").encode(
        x="min_score:Q",
        tooltip=[alt.Tooltip("name:N", title="Tier"),
                 alt.Tooltip("min_score:Q", title=f"From ({unit})",
                             format=level_format(roles))])
    text = alt.Chart(names).mark_text(angle=270, align="right", baseline="bottom", dx=-4,
                                      dy=-3, fontSize=11).encode(
        x="min_score:Q", y=alt.value(0), text="name:N")
    return alt.layer(bars, rules, text).properties(title="How are scores spread?",
                                                   width=WIDTH, height=320)


def tier_chart(tiers: pd.DataFrame, *, roles: Roles | None = None) -> alt.Chart:
    """Horizontal bars of the share of people reaching each tier, coloured by the claim.

    Parameters
    ----------
    tiers : pandas.DataFrame
        ``tier``, ``min_score``, ``perk``, ``status``, ``people``, ``share``.
    roles : Roles, optional
        The run's roles, to write thresholds as typed (without decimals when not given).

    Returns
    -------
    altair.Chart
        One bar per tier, lowest threshold at the top; coloured by the press reports' claim
        when the tiers have one.
    """
    data = tiers.assign(name=tiers["tier"].str.replace("_", " ") + " ("
                        + tiers["min_score"].map(lambda v: threshold_text(v, roles)) + "+)",
                        percent=tiers["share"] * 100)
    claimed = bool(tiers["status"].fillna("").astype(str).str.len().gt(0).any())
    colour = (alt.Color("status:N", title="Press reports",
                        scale=alt.Scale(domain=list(STATUS_COLOURS),
                                        range=list(STATUS_COLOURS.values())))
              if claimed else alt.value(UP))
    return alt.Chart(data, title="Who reaches each reward tier?").mark_bar().encode(
        y=alt.Y("name:N", title=None, sort=list(data["name"]),
                axis=alt.Axis(labelLimit=260)),
        x=alt.X("percent:Q", title="People reaching the tier (%)",
                scale=alt.Scale(domain=[0, 100])),
        color=colour,
        tooltip=[alt.Tooltip("name:N", title="Tier"), alt.Tooltip("perk:N", title="Gives"),
                 *([alt.Tooltip("status:N", title="Claim")] if claimed else []),
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
                    domain: tuple[float, float] | None = None,
                    roles: Roles | None = None) -> alt.LayerChart:
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
    roles : Roles, optional
        The run's roles, for the score's unit (score points when not given).

    Returns
    -------
    altair.LayerChart
        Bars and their labels.
    """
    bottom, top = domain or waterfall_domain(steps)
    if roles is None:
        labels = [f"{p:+.1f}" if k in ("up", "down") else f"{p:.0f}"
                  for k, p in zip(steps["kind"], steps["points"], strict=True)]
    else:
        labels = [units.number(p, roles, change=k in ("up", "down"))
                  for k, p in zip(steps["kind"], steps["points"], strict=True)]
    data = steps.assign(
        label=labels,
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
        x=alt.X("lo:Q", title=f"Score ({level_unit(roles)})", scale=scale,
                axis=level_axis(roles)),
        x2="hi:Q",
        color=alt.Color("effect:N", title=None,
                        scale=alt.Scale(domain=[names[k] for k in kinds],
                                        range=list(kinds.values())),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("step:N", title="Feature"),
                 alt.Tooltip("label:N", title=f"Push ({change_unit(roles)})"),
                 alt.Tooltip("end:Q", title="Running score", format=level_format(roles))])
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x=alt.X("hi:Q", scale=scale), text="label:N")
    return alt.layer(bars, text).properties(title=title, width=WIDTH, height=alt.Step(24))


def influence_chart(influence: pd.DataFrame, *, top: int = 15,
                    roles: Roles | None = None) -> alt.Chart:
    """Bars of each feature's mean |SHAP| in points, coloured by privacy category.

    Parameters
    ----------
    influence : pandas.DataFrame
        ``label``, ``privacy``, ``mean_abs_points``, ``mean_signed_points`` (from
        ``figures.drivers.influence_by_feature``), largest first.
    top : int
        Number of features shown.
    roles : Roles, optional
        The run's roles, for the score's unit (score points when not given).

    Returns
    -------
    altair.Chart
        One bar per feature.
    """
    unit, factor = change_unit(roles), change_scale(roles)
    data = influence.head(top).assign(
        mean_abs=lambda d: d["mean_abs_points"] * factor,
        mean_signed=lambda d: d["mean_signed_points"] * factor)
    return alt.Chart(data, title="Which features move scores the most?").mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=list(data["label"]),
                axis=alt.Axis(labelLimit=260)),
        x=alt.X("mean_abs:Q", title=f"Average push, up or down ({unit})"),
        color=_privacy_colour(influence["privacy"]),
        tooltip=[alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("privacy:N", title="Privacy category"),
                 alt.Tooltip("mean_abs:Q", title=f"Mean |push| ({unit})", format=".3~g"),
                 alt.Tooltip("mean_signed:Q", title=f"Mean push ({unit})", format="+.3~g")],
    ).properties(width=WIDTH, height=alt.Step(22))


def _privacy_colour(categories: pd.Series) -> alt.Color:
    domain = sorted(categories.astype(str).unique())
    return alt.Color("privacy:N", title="Privacy category",
                     scale=alt.Scale(domain=domain, range=list(OKABE_ITO[:len(domain)])),
                     legend=alt.Legend(orient="bottom"))


def privacy_chart(privacy: pd.DataFrame, *, roles: Roles | None = None) -> alt.Chart:
    """Bars of the points each privacy category moves a score, on average.

    Parameters
    ----------
    privacy : pandas.DataFrame
        ``privacy``, ``n_features``, ``mean_abs_points``, ``share`` (from
        ``figures.drivers.influence_by_privacy``).
    roles : Roles, optional
        The run's roles, for the score's unit (score points when not given).

    Returns
    -------
    altair.Chart
        One bar per category.
    """
    unit = change_unit(roles)
    data = privacy.assign(percent=privacy["share"] * 100,
                          mean_abs=privacy["mean_abs_points"] * change_scale(roles))
    return alt.Chart(data, title="Which kinds of personal data move scores?").mark_bar().encode(
        y=alt.Y("privacy:N", title=None, sort=list(data["privacy"])),
        x=alt.X("mean_abs:Q", title=f"Average push, up or down ({unit})"),
        color=_privacy_colour(privacy["privacy"]),
        tooltip=[alt.Tooltip("privacy:N", title="Privacy category"),
                 alt.Tooltip("n_features:Q", title="Features"),
                 alt.Tooltip("mean_abs:Q", title=f"Mean |push| ({unit})", format=".3~g"),
                 alt.Tooltip("percent:Q", title="Share of all pushes (%)", format=".0f")],
    ).properties(width=WIDTH, height=alt.Step(30))


def beeswarm_chart(points: pd.DataFrame, n_sampled: int, *,
                   roles: Roles | None = None) -> alt.Chart:
    """A beeswarm: each dot one sampled person, placed by the feature's push on their score.

    Parameters
    ----------
    points : pandas.DataFrame
        ``label``, ``order``, ``points``, ``offset``, ``value_rank`` (from
        ``figures.drivers.beeswarm_data``).
    n_sampled : int
        People drawn, shown in the title.
    roles : Roles, optional
        The run's roles, for the score's unit (score points when not given).

    Returns
    -------
    altair.Chart
        Dots on one row per feature, coloured from low (blue) to high (orange) value.
    """
    order = list(points.sort_values("order")["label"].drop_duplicates())
    title = alt.Title("How does each feature push each person's score?",
                      subtitle=f"{n_sampled:,} people drawn at random")
    unit = change_unit(roles)
    data = points.assign(push=points["points"] * change_scale(roles))
    return alt.Chart(data, title=title).mark_circle(size=9, opacity=0.7).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("offset:Q", scale=alt.Scale(domain=[-1.2, 1.2])),
        x=alt.X("push:Q", title=f"Push on the score ({unit})"),
        color=alt.Color("value_rank:Q", title="Feature value",
                        scale=alt.Scale(scheme=VALUE_SCHEME, domain=[0, 1]),
                        legend=alt.Legend(values=[0, 1], labelExpr=
                                          "datum.value == 0 ? 'low' : 'high'")),
        tooltip=[alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("push:Q", title=f"Push ({unit})", format="+.3~g")],
    ).properties(width=WIDTH, height=alt.Step(36))


def dependence_chart(points: pd.DataFrame, *, feature_label: str, categorical: bool,
                     colour_label: str | None = None, roles: Roles | None = None
                     ) -> alt.Chart:
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
    roles : Roles, optional
        The run's roles, for the score's unit (score points when not given).

    Returns
    -------
    altair.Chart
        The dependence plot.
    """
    title = alt.Title(f"How does {feature_label.lower()} push the score?",
                      subtitle=f"{len(points):,} people drawn at random")
    unit = change_unit(roles)
    chart = alt.Chart(points.assign(push=points["points"] * change_scale(roles)),
                      title=title).mark_circle(size=14, opacity=0.6)
    x = (alt.X("value:N", title=feature_label) if categorical
         else alt.X("value:Q", title=feature_label, scale=alt.Scale(zero=False)))
    encoding = {"x": x, "y": alt.Y("push:Q", title=f"Push on the score ({unit})"),
                "tooltip": [alt.Tooltip("value:N", title=feature_label),
                            alt.Tooltip("push:Q", title=f"Push ({unit})", format="+.3~g")]}
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
