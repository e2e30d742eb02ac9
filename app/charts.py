"""Altair charts of the dashboard, built by pure functions from the frames of ``model/``.

No streamlit here: every chart is a function of data, tested through ``chart.to_dict()``.
Colours come from the Okabe-Ito palette, which stays distinguishable with the common
forms of colour blindness; axis titles carry the run's unit. Every chart leaves through
:func:`chart_style.finished` (described, as wide as its container, legends below).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sesame_audit.app.chart_style import (
    band_height,
    change_scale,
    change_text,
    change_unit,
    finished,
    level_axis,
    level_format,
    level_text,
    level_unit,
    threshold_text,
    title_lines,
    wrapped_axis,
)
from sesame_audit.model.core import units
from sesame_audit.model.core.roles import LOW, Roles

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
UP, DOWN, NEUTRAL = "#0072B2", "#D55E00", "#999999"
STATUS_COLOURS = {"reported": "#0072B2", "speculated": "#E69F00"}
VALUE_SCHEME = "blueorange"


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
    low = roles is not None and roles.favourable == LOW
    bars = alt.Chart(histogram).mark_bar(color=UP).encode(
        x=alt.X("start:Q", title=f"Score ({unit})", bin="binned", axis=level_axis(roles)),
        x2="end:Q",
        y=alt.Y("people:Q", title="People",  # headroom for the tier names
                scale=alt.Scale(domain=[0, max(1, int(histogram["people"].max() * 1.5))])),
        tooltip=[alt.Tooltip("start:Q", title=f"From ({unit})", format=level_format(roles)),
                 alt.Tooltip("end:Q", title=f"To ({unit})", format=level_format(roles)),
                 alt.Tooltip("people:Q", title="People", format=",")],
    )
    generated = {t.name for t in roles.tiers if t.generated} if roles is not None else set()
    names = tiers.assign(  # a tier made from a threshold is named by it, as typed
        name=[threshold_text(m, roles) if t in generated else t.replace("_", " ")
              for t, m in zip(tiers["tier"], tiers["min_score"], strict=True)],
        row=[4 + 13 * i for i in range(len(tiers))])
    rules = alt.Chart(names).mark_rule(strokeDash=[4, 3], color="#000000").encode(
        x="min_score:Q",
        tooltip=[alt.Tooltip("name:N", title="Tier"),
                 alt.Tooltip("min_score:Q", title=f"{'Up to' if low else 'From'} ({unit})",
                             format=level_format(roles))])
    text = alt.Chart(names).mark_text(align="left", baseline="top", dx=3,
                                      fontSize=11).encode(
        x="min_score:Q", y=alt.Y("row:Q", scale=None), text="name:N")
    top = histogram["people"].idxmax()
    description = (f"Histogram of {int(histogram['people'].sum()):,} scores in "
                   f"{len(histogram)} bands from {level_text(histogram['start'].min(), roles)} "
                   f"to {level_text(histogram['end'].max(), roles)}; the fullest band is "
                   f"{level_text(histogram.loc[top, 'start'], roles)} to "
                   f"{level_text(histogram.loc[top, 'end'], roles)}. Dashed lines mark the "
                   "tiers: " + ", ".join(
                       f"{n} {'up to' if low else 'from'} {threshold_text(m, roles)}"
                       for n, m in zip(names["name"], names["min_score"], strict=True)) + ".")
    return finished(alt.layer(bars, rules, text).properties(
        title=title_lines("How are scores spread?"), height=320), description)


def tier_chart(tiers: pd.DataFrame, *, roles: Roles | None = None,
               synthetic: bool = True) -> alt.Chart:
    """Horizontal bars of the share of people reaching each tier, coloured by the claim.

    Parameters
    ----------
    tiers : pandas.DataFrame
        ``tier``, ``min_score``, ``perk``, ``status``, ``people``, ``share``.
    roles : Roles, optional
        The run's roles, to write thresholds as typed (without decimals when not given).
    synthetic : bool, default=True
        Whether the run is a synthetic world, whose tiers are reward tiers; a user's own
        run's are thresholds.

    Returns
    -------
    altair.Chart
        One bar per tier, least favourable at the top; coloured by the press reports' claim
        when the tiers have one.
    """
    reach = tiers["min_score"].map(lambda v: f"{v:.0f}+" if roles is None
                                   else units.reach_label(v, roles))
    generated = {t.name for t in roles.tiers if t.generated} if roles is not None else set()
    data = tiers.assign(name=[r if t in generated else f"{t.replace('_', ' ')} ({r})"
                              for t, r in zip(tiers["tier"], reach, strict=True)],
                        percent=tiers["share"] * 100)
    claimed = bool(tiers["status"].fillna("").astype(str).str.len().gt(0).any())
    colour = (alt.Color("status:N", title="Press reports",
                        scale=alt.Scale(domain=list(STATUS_COLOURS),
                                        range=list(STATUS_COLOURS.values())))
              if claimed else alt.value(UP))
    what = "reward tier" if synthetic else "threshold"
    chart = alt.Chart(data, title=title_lines(f"Who reaches each {what}?")).mark_bar(
    ).encode(
        y=alt.Y("name:N", title=None, sort=list(data["name"]), axis=wrapped_axis()),
        x=alt.X("percent:Q", title="People reaching the tier (%)",
                scale=alt.Scale(domain=[0, 100])),
        color=colour,
        tooltip=[alt.Tooltip("name:N", title="Tier"), alt.Tooltip("perk:N", title="Gives"),
                 *([alt.Tooltip("status:N", title="Claim")] if claimed else []),
                 alt.Tooltip("people:Q", title="People", format=","),
                 alt.Tooltip("percent:Q", title="Share (%)", format=".1f")],
    ).properties(height=band_height(len(data), 28))
    claims = (f" ({s})" if claimed and isinstance(s, str) and s else ""
              for s in data["status"])
    return finished(chart, f"Bars of the share of people reaching each {what}: " + "; ".join(
        f"{n} {p:.0f}%{c}" if pd.notna(p) else f"{n} hidden"
        for n, p, c in zip(data["name"], data["percent"], claims, strict=True)) + ".")


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
        The run's roles, for the score's unit (score points when not given) and its
        favourable end: a push that way is blue, one against it orange.

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
    favourable, adverse = UP, DOWN  # blue for a push the favourable way, orange against
    low = roles is not None and roles.favourable == LOW
    kinds = {"up": adverse if low else favourable, "down": favourable if low else adverse,
             "base": NEUTRAL, "total": "#000000"}
    names = {"up": "raises the score", "down": "lowers the score", "base": "average score",
             "total": "final score"}
    data["effect"] = data["kind"].map(names)
    y = alt.Y("step:N", title=None, sort=list(data["step"]), axis=wrapped_axis())
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar(clip=True).encode(
        x=alt.X("lo:Q", title=f"Score ({level_unit(roles)})", scale=scale,
                axis=level_axis(roles)),
        x2="hi:Q",
        color=alt.Color("effect:N", title=None,
                        scale=alt.Scale(domain=[names[k] for k in kinds],
                                        range=list(kinds.values())),
                        ),
        tooltip=[alt.Tooltip("step:N", title="Feature"),
                 alt.Tooltip("label:N", title=f"Push ({change_unit(roles)})"),
                 alt.Tooltip("end:Q", title="Running score", format=level_format(roles))])
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x=alt.X("hi:Q", scale=scale), text="label:N")
    moves = data[data["kind"].isin(["up", "down"])]
    ends = data[data["kind"].isin(["base", "total"])]["points"]
    description = (f"Waterfall from the average score, {level_text(ends.iloc[0], roles)}, "
                   f"to this score, {level_text(ends.iloc[-1], roles)}: " + "; ".join(
                       f"{s} {change_text(p, roles)}" for s, p in zip(
                           moves["step"], moves["points"], strict=True)) + ".")
    return finished(alt.layer(bars, text).properties(title=title_lines(title),
                                                     height=band_height(len(data), 28)),
                    description)


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
    chart = alt.Chart(data, title=title_lines("Which features move scores the most?")
                      ).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=list(data["label"]), axis=wrapped_axis()),
        x=alt.X("mean_abs:Q", title=f"Average push, up or down ({unit})"),
        color=_privacy_colour(influence["privacy"]),
        tooltip=[alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("privacy:N", title="Privacy category"),
                 alt.Tooltip("mean_abs:Q", title=f"Mean |push| ({unit})", format=".3~g"),
                 alt.Tooltip("mean_signed:Q", title=f"Mean push ({unit})", format="+.3~g")],
    ).properties(height=band_height(len(data), 30))
    return finished(chart, f"Bars of the {len(data)} features that move scores the most, in "
                    f"average {unit} up or down: " + "; ".join(
                        f"{lab} {v:.3g} ({c})" for lab, v, c in zip(
                            data["label"], data["mean_abs"], data["privacy"],
                            strict=True)) + ".")


def _privacy_colour(categories: pd.Series) -> alt.Color:
    domain = sorted(categories.astype(str).unique())
    return alt.Color("privacy:N", title="Privacy category",
                     scale=alt.Scale(domain=domain, range=list(OKABE_ITO[:len(domain)])))


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
    chart = alt.Chart(data, title=title_lines("Which kinds of personal data move scores?")
                      ).mark_bar().encode(
        y=alt.Y("privacy:N", title=None, sort=list(data["privacy"]), axis=wrapped_axis()),
        x=alt.X("mean_abs:Q", title=f"Average push, up or down ({unit})"),
        color=_privacy_colour(privacy["privacy"]),
        tooltip=[alt.Tooltip("privacy:N", title="Privacy category"),
                 alt.Tooltip("n_features:Q", title="Features"),
                 alt.Tooltip("mean_abs:Q", title=f"Mean |push| ({unit})", format=".3~g"),
                 alt.Tooltip("percent:Q", title="Share of all pushes (%)", format=".0f")],
    ).properties(height=band_height(len(data), 30))
    return finished(chart, "Bars of the average points each kind of personal data moves a "
                    "score: " + "; ".join(f"{c} {v:.1f}" for c, v in zip(
                        data["privacy"], data["mean_abs_points"], strict=True)) + ".")


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
    title = title_lines("How does each feature push each person's score?",
                        subtitle=f"{n_sampled:,} people drawn at random")
    unit = change_unit(roles)
    data = points.assign(push=points["points"] * change_scale(roles))
    chart = alt.Chart(data, title=title).mark_circle(size=9, opacity=0.7).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=wrapped_axis()),
        yOffset=alt.YOffset("offset:Q", scale=alt.Scale(domain=[-1.2, 1.2])),
        x=alt.X("push:Q", title=f"Push on the score ({unit})"),
        color=alt.Color("value_rank:Q", title="Feature value",
                        scale=alt.Scale(scheme=VALUE_SCHEME, domain=[0, 1]),
                        legend=alt.Legend(values=[0, 1], labelExpr=
                                          "datum.value == 0 ? 'low' : 'high'")),
        tooltip=[alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("push:Q", title=f"Push ({unit})", format="+.3~g")],
    ).properties(height=band_height(len(order), 36))
    return finished(chart, f"Beeswarm of {n_sampled:,} people: one row per feature ("
                    + ", ".join(order) + f"), each dot a person placed by the {unit} the "
                    "feature added to or took from their score, coloured from low (blue) to "
                    "high (orange) feature value.")


def dependence_chart(points: pd.DataFrame, *, feature_label: str, categorical: bool,
                     colour_label: str | None = None, roles: Roles | None = None
                     ) -> alt.Chart:
    """Dots of a feature's value against its push on the score, optionally by group.

    Parameters
    ----------
    points : pandas.DataFrame
        ``value``, ``points`` and optionally ``group`` (from
        ``figures.dependence.dependence_data``).
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
    title = title_lines(f"How does {feature_label.lower()} push the score?",
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
                                                      range=list(OKABE_ITO[:len(groups)])))
        encoding["tooltip"].append(alt.Tooltip("group:N", title=colour_label))
    else:
        encoding["color"] = alt.value(UP)
    by = f", coloured by {colour_label.lower()}" if "group" in points else ""
    return finished(chart.encode(**encoding).properties(height=320),
                    f"Dots of {len(points):,} people: {feature_label.lower()} against the "
                    f"{unit} it adds to or takes from the score (from "
                    f"{change_text(points['points'].min(), roles)} to "
                    f"{change_text(points['points'].max(), roles)}){by}.")
