"""Charts of the course pages (hidden rules, policy editor, recourse): pure Altair builders.

Nothing here imports streamlit: every function takes data frames made by ``model/`` and
returns an Altair chart, so the charts are tested through ``chart.to_dict()``. Colours come
from the Okabe-Ito palette, which stays distinct under the common colour-vision
deficiencies.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sesame_audit.app.chart_style import (
    band_height,
    finished,
    level_unit,
    threshold_text,
    title_lines,
    wrapped_axis,
)
from sesame_audit.model.core.roles import LOW, Roles
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
    return finished((dots + diagonal).properties(
        title=title_lines(f"Does SHAP find the rule on {label}?",
                          subtitle=f"r = {pearson:.3f} ({shown})"), height=320),
        f"Scatter of {shown}: the true contribution of the rule on {label} against its "
        f"SHAP value, both from {lo:.1f} to {hi:.1f} points; correlation r = {pearson:.3f}. "
        "A dashed diagonal marks where SHAP equals the truth.")


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
        y=alt.Y("label:N", title=None, sort="-x", axis=wrapped_axis()),
        x=alt.X("pearson:Q", title="Correlation of SHAP with the true contribution (r)",
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("verdict:N", title=None,
                        scale=alt.Scale(domain=[TRACKS, UNDERSTATES, DISAGREES],
                                        range=[OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[5]])),
        tooltip=[alt.Tooltip("label:N", title="Rule on"),
                 alt.Tooltip("verdict:N", title="Verdict"),
                 alt.Tooltip("pearson:Q", title="Correlation (r)", format=".3f"),
                 alt.Tooltip("slope:Q", title="Size carried (slope)", format=".2f")],
    )
    line = alt.Chart(pd.DataFrame({"x": [AGREE]})).mark_rule(
        color=OKABE_ITO[7], strokeDash=[3, 3]).encode(x="x:Q")
    return finished(
        (bars + line).properties(title=title_lines("Which hidden rules do the explanations "
                                                   "find?"), height=band_height(len(data), 24)),
        f"Bars of the correlation of SHAP with each of {len(data)} hidden rules; "
        f"{int(data['agrees'].sum())} are tracked in full (a correlation of {AGREE} or more, "
        "dashed line, and most of the rule's size): " + "; ".join(
            f"{lab} {r:.2f} ({v})" for lab, r, v in zip(data["label"], data["pearson"],
                                                         data["verdict"], strict=True)) + ".")


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
    chart = alt.Chart(scores).mark_line(interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("bin_start:Q", title="Score (points)"),
        y=alt.Y("share:Q", title="Share of people per 25-point bin", axis=alt.Axis(format="%")),
        color=alt.Color("run:N", title="Rules", scale=_palette(runs)),
        strokeDash=alt.StrokeDash("run:N", title="Rules"),  # merged with the colour legend
        tooltip=[alt.Tooltip("run:N", title="Rules"),
                 alt.Tooltip("bin_start:Q", title="From (points)"),
                 alt.Tooltip("share:Q", title="Share of people", format=".1%")],
    ).properties(title=title_lines("How do the new rules move the scores?"), height=280)
    means = scores.assign(mid=scores["bin_start"] * scores["share"]).groupby(
        "run", sort=False)["mid"].sum()
    return finished(chart, f"Step lines of the share of people per 25-point score band "
                    f"under {len(runs)} sets of rules; average band start: " + "; ".join(
                        f"{r} {m:.0f}" for r, m in means.items()) + " points.")


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
    data = tiers[(tiers["tier"] == tier) & ~tiers["suppressed"]].assign(
        group=lambda d: d["group"].astype(str).str.replace("_", " "))
    runs = list(dict.fromkeys(tiers["run"]))
    name = tier.replace("_", " ")
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("group:N", title=attribute_label, axis=wrapped_axis()),
        yOffset=alt.YOffset("run:N", sort=runs),
        x=alt.X("share:Q", title=f"Share reaching {name}",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("run:N", title="Rules", scale=_palette(runs)),
        tooltip=[alt.Tooltip("run:N", title="Rules"),
                 alt.Tooltip("group:N", title=attribute_label),
                 alt.Tooltip("share:Q", title=f"Share reaching {name}", format=".1%"),
                 alt.Tooltip("count:Q", title="People", format=",")],
    ).properties(title=title_lines(f"Who reaches {name} under each set of rules?"),
                 height=band_height(data["group"].nunique(), 14, per_band=len(runs), gap=10))
    return finished(chart, f"Bars of the share of each group reaching {name}, under "
                    f"{len(runs)} sets of rules: " + "; ".join(
                        f"{g} {s:.0%} ({r})" for g, s, r in zip(
                            data["group"], data["share"], data["run"], strict=True)) + ".")


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
    chart = alt.Chart(frame[frame["label"].isin(strongest)]).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=strongest, axis=wrapped_axis()),
        yOffset=alt.YOffset("run:N", sort=runs),
        x=alt.X("mean_abs_shap_points:Q", title="Mean absolute SHAP value (points)"),
        color=alt.Color("run:N", title="Rules", scale=_palette(runs)),
        tooltip=[alt.Tooltip("run:N", title="Rules"), alt.Tooltip("label:N", title="Feature"),
                 alt.Tooltip("mean_abs_shap_points:Q", title="Mean |SHAP| (points)",
                             format=".1f")],
    ).properties(title=title_lines("Which features drive the score under each set of rules?"),
                 height=band_height(len(strongest), 12, per_band=len(runs), gap=14))
    return finished(chart, f"Bars of the mean absolute SHAP value of the {len(strongest)} "
                    f"strongest features under {len(runs)} sets of rules: "
                    + ", ".join(strongest) + ".")


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
        group=lambda d: d["group"].astype(str).str.replace("_", " "),
        tier_label=lambda d: d["tier"].astype(str).str.replace("_", " ") + " ("
        + d["min_score"].map(lambda v: threshold_text(v, roles)).astype(str) + ")")
    low = roles is not None and roles.favourable == LOW
    order = list(dict.fromkeys(data.sort_values("min_score", ascending=not low)["tier_label"]))
    groups = sorted(data["group"].unique())
    chart = alt.Chart(data).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("tier_label:N", title=f"Tier to reach ({'maximum' if low else 'minimum'} score, "
                f"{level_unit(roles)})",
                sort=order, axis=alt.Axis(labelAngle=-45, labelLimit=150, labelOverlap=False)),
        y=alt.Y("share_with_recourse:Q", title="Share who can reach it by acting",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("group:N", title=attribute_label, scale=_palette(groups)),
        tooltip=[alt.Tooltip("group:N", title=attribute_label),
                 alt.Tooltip("tier_label:N", title="Tier"),
                 alt.Tooltip("share_with_recourse:Q", title="Can reach it", format=".0%"),
                 alt.Tooltip("median_cost:Q", title="Median cost", format=".2f"),
                 alt.Tooltip("below:Q", title="People below it", format=",")],
    ).properties(title=title_lines(f"Who can act their way up, by "
                                   f"{attribute_label.lower()}?"), height=280)
    return finished(chart, f"Lines of the share of people below each tier who could reach it "
                    f"by acting, one line per {attribute_label.lower()} group: " + "; ".join(
                        f"{g} at {t} {v:.0%}" for g, t, v in zip(
                            data["group"], data["tier_label"], data["share_with_recourse"],
                            strict=True)) + ".")
