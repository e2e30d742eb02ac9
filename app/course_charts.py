"""Charts of the course pages (hidden rules, policy editor, recourse): pure Altair builders.

Nothing here imports streamlit: every function takes data frames made by ``model/`` and
returns an Altair chart, so the charts are tested through ``chart.to_dict()``. Colours come
from the Okabe-Ito palette, which stays distinct under the common colour-vision
deficiencies.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sesame_audit.app.charts import level_unit, threshold_text
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.course.fidelity import AGREE, DISAGREES, TRACKS, UNDERSTATES

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")


def _palette(domain: list[str]) -> alt.Scale:
    return alt.Scale(domain=domain, range=list(OKABE_ITO[:len(domain)]))


def fidelity_scatter(points: pd.DataFrame, label: str, pearson: float, n_total: int) -> alt.Chart:
    """One point per person: the rule's true contribution against its feature's SHAP value.

    Parameters
    ----------
    points : pandas.DataFrame
        ``true_points`` and ``shap_points`` (from :func:`course.fidelity.fidelity_points`).
    label : str
        Label of the feature.
    pearson : float
        Correlation over the whole run.
    n_total : int
        People in the run (the points may be a sample).

    Returns
    -------
    altair.LayerChart
        The points and the diagonal where SHAP equals the truth.
    """
    lo = float(min(points["true_points"].min(), points["shap_points"].min()))
    hi = float(max(points["true_points"].max(), points["shap_points"].max()))
    shown = f"{len(points):,} of {n_total:,} people" if len(points) < n_total else \
        f"all {n_total:,} people"
    dots = alt.Chart(points).mark_circle(size=14, opacity=0.35, color=OKABE_ITO[0]).encode(
        x=alt.X("true_points:Q", title="True contribution of the rule (points, centred)",
                scale=alt.Scale(domain=[lo, hi])),
        y=alt.Y("shap_points:Q", title="SHAP value of the feature (points)",
                scale=alt.Scale(domain=[lo, hi])),
        tooltip=[alt.Tooltip("true_points:Q", format=".1f", title="True (points)"),
                 alt.Tooltip("shap_points:Q", format=".1f", title="SHAP (points)")],
    )
    diagonal = alt.Chart(pd.DataFrame({"x": [lo, hi], "y": [lo, hi]})).mark_line(
        color=OKABE_ITO[5], strokeDash=[4, 4]).encode(x="x:Q", y="y:Q")
    return (dots + diagonal).properties(
        title=f"Does SHAP find the rule on {label}? r = {pearson:.3f} ({shown})",
        height=320)


def fidelity_bars(terms: pd.DataFrame) -> alt.LayerChart:
    """Pearson correlation of every rule with its feature's SHAP values.

    Parameters
    ----------
    terms : pandas.DataFrame
        ``label``, ``pearson``, ``slope`` and ``verdict`` (from
        :func:`course.fidelity.fidelity_report`).

    Returns
    -------
    altair.LayerChart
        One bar per rule and a line at the agreement threshold.
    """
    data = terms
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
        x=alt.X("pearson:Q", title="Correlation of SHAP with the true contribution (r)",
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("verdict:N", title=None,
                        scale=alt.Scale(domain=[TRACKS, UNDERSTATES, DISAGREES],
                                        range=[OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[5]])),
        tooltip=["label:N", "verdict:N", alt.Tooltip("pearson:Q", format=".3f"),
                 alt.Tooltip("slope:Q", title="size carried (slope)", format=".2f")],
    )
    line = alt.Chart(pd.DataFrame({"x": [AGREE]})).mark_rule(
        color=OKABE_ITO[7], strokeDash=[3, 3]).encode(x="x:Q")
    return (bars + line).properties(title="Which hidden rules do the explanations find?")


def score_distributions(scores: pd.DataFrame) -> alt.Chart:
    """Score distributions of several runs, as step lines on common bins.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`course.compare.compare_scores`.

    Returns
    -------
    altair.Chart
        Share of people per score bin, one line per run.
    """
    runs = list(dict.fromkeys(scores["run"]))
    return alt.Chart(scores).mark_line(interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("bin_start:Q", title="Score (points)"),
        y=alt.Y("share:Q", title="Share of people per 25-point bin", axis=alt.Axis(format="%")),
        color=alt.Color("run:N", title="Rules", scale=_palette(runs)),
        strokeDash=alt.StrokeDash("run:N", legend=None),
        tooltip=["run:N", "bin_start:Q", alt.Tooltip("share:Q", format=".1%")],
    ).properties(title="How do the new rules move the scores?", height=280)


def tier_access(tiers: pd.DataFrame, tier: str, attribute_label: str) -> alt.Chart:
    """Share of each group reaching one tier, side by side for several runs.

    Parameters
    ----------
    tiers : pandas.DataFrame
        Output of :func:`course.compare.compare_tiers` (suppressed groups have no share).
    tier : str
        The tier shown.
    attribute_label : str
        Label of the grouping attribute.

    Returns
    -------
    altair.Chart
        Grouped bars.
    """
    data = tiers[(tiers["tier"] == tier) & ~tiers["suppressed"]]
    runs = list(dict.fromkeys(tiers["run"]))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("group:N", title=attribute_label),
        xOffset=alt.XOffset("run:N", sort=runs),
        y=alt.Y("share:Q", title=f"Share reaching {tier.replace('_', ' ')}",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("run:N", title="Rules", scale=_palette(runs)),
        tooltip=["run:N", "group:N", alt.Tooltip("share:Q", format=".1%"), "count:Q"],
    ).properties(title=f"Who reaches {tier.replace('_', ' ')} under each set of rules?",
                 height=280)


def drivers(frame: pd.DataFrame, *, top: int = 10) -> alt.Chart:
    """Mean absolute SHAP value of the strongest inputs, side by side for several runs.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`course.compare.compare_drivers`.
    top : int
        Inputs shown: the strongest in any run.

    Returns
    -------
    altair.Chart
        Grouped horizontal bars.
    """
    strongest = (frame.groupby("label")["mean_abs_shap_points"].max()
                 .sort_values(ascending=False).head(top).index.tolist())
    runs = list(dict.fromkeys(frame["run"]))
    return alt.Chart(frame[frame["label"].isin(strongest)]).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=strongest, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("run:N", sort=runs),
        x=alt.X("mean_abs_shap_points:Q", title="Mean absolute SHAP value (points)"),
        color=alt.Color("run:N", title="Rules", scale=_palette(runs)),
        tooltip=["run:N", "label:N", alt.Tooltip("mean_abs_shap_points:Q", format=".1f")],
    ).properties(title="Which features drive the score under each set of rules?")


def recourse_burden(table: pd.DataFrame, attribute_label: str, *,
                    roles: Roles | None = None) -> alt.Chart:
    """Share of people below each tier who could reach it, by group.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`audit.recourse_burden.recourse_burden`.
    attribute_label : str
        Label of the grouping attribute.
    roles : Roles, optional
        The run's roles, to write thresholds as typed (without decimals when not given).

    Returns
    -------
    altair.Chart
        One line per group across the tiers (suppressed groups left out).
    """
    data = table[~table["suppressed"]].assign(
        tier_label=lambda d: d["tier"].astype(str).str.replace("_", " ") + " ("
        + d["min_score"].map(lambda v: threshold_text(v, roles)).astype(str) + ")")
    order = list(dict.fromkeys(data.sort_values("min_score")["tier_label"]))
    groups = sorted(data["group"].unique())
    return alt.Chart(data).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("tier_label:N", title=f"Tier to reach (minimum score, {level_unit(roles)})",
                sort=order),
        y=alt.Y("share_with_recourse:Q", title="Share who can reach it by acting",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("group:N", title=attribute_label, scale=_palette(groups)),
        tooltip=["group:N", "tier_label:N", alt.Tooltip("share_with_recourse:Q", format=".0%"),
                 alt.Tooltip("median_cost:Q", format=".2f"), "below:Q"],
    ).properties(title=f"Who can act their way up, by {attribute_label.lower()}?", height=280)
