"""Altair charts of the Proxies page: inputs standing in for sensitive attributes.

One colour per input on the whole page (:func:`_input_colours`), grey for the others; every
label comes from the data dictionary through ``labels`` (column -> label).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from sesame_audit.app.audit_charts import OTHER_INPUT, OUTLINE, palette, readable
from sesame_audit.app.chart_style import (
    band_height,
    change_scale,
    change_unit,
    finished,
    title_lines,
    wrapped_axis,
)
from sesame_audit.app.charts import NEUTRAL
from sesame_audit.model.core.roles import LOW, Roles


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
    totals = data.groupby("group")["push"].sum()
    chart = alt.Chart(data, title=title_lines(title)).mark_bar().encode(
        y=alt.Y("group:N", title="Group", axis=wrapped_axis()),
        x=alt.X("push:Q", title=["Mean push on the score", f"(SHAP, {unit})"]),
        color=alt.Color("feature_label:N", title="Input",
                        scale=_input_colours(features, others=False)),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("feature_label:N", title="Input"),
                 alt.Tooltip("push:Q", title=f"Mean push ({unit})", format="+.3~g")])
    return finished(chart.properties(height=band_height(len(totals), 30)),
                    f"Stacked bars of the mean {unit} {len(features)} inputs ("
                    + ", ".join(features) + ") give each group's score; in total " + "; ".join(
                        f"{g} {v:+.3g}" for g, v in totals.items()) + f" {unit}.")


def _input_colours(proxies: Sequence[str], *, others: bool = True) -> alt.Scale:
    """One colour per proxy, the same in every chart of the Proxies page; grey for others."""
    domain = sorted(proxies)
    if not others:
        return alt.Scale(domain=domain, range=palette(len(domain)))
    return alt.Scale(domain=[*domain, OTHER_INPUT], range=[*palette(len(domain)), NEUTRAL])


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
    named = by_feature.assign(
        feature_label=lambda d: d["feature"].map(lambda c: labels.get(c, c)))
    proxies = named.loc[named["is_proxy"], "feature_label"].tolist()
    data = named.head(top).assign(
        gap=lambda d: d["gap_points"] * change_scale(roles),
        colour=lambda d: d["feature_label"].where(d["is_proxy"], OTHER_INPUT),
        kind=lambda d: d["is_proxy"].map({True: "proxy of the attribute",
                                          False: "other input"}))
    chart = alt.Chart(data, title=title_lines("Where the gap between the groups comes from")
                      ).mark_bar().encode(
        y=alt.Y("feature_label:N", sort=data["feature_label"].tolist(), title="Model input",
                axis=wrapped_axis()),
        x=alt.X("gap:Q", title=(["Gap: disfavoured minus", f"favoured group ({unit})"]
                                if roles is not None and roles.favourable == LOW else
                                ["Gap: favoured minus", f"disfavoured group ({unit})"])),
        color=alt.Color("colour:N", title="Input", scale=_input_colours(proxies)),
        tooltip=[alt.Tooltip("feature_label:N", title="Input"),
                 alt.Tooltip("kind:N", title="Kind"),
                 alt.Tooltip("gap:Q", title=unit.capitalize(), format="+.3~g"),
                 alt.Tooltip("strength:Q", title="Strength as a proxy (AUC)", format=".2f")])
    return finished(chart.properties(height=band_height(len(data), 26)),
                    f"Bars of the {unit} of the score gap between the groups that each of "
                    f"{len(data)} inputs carries, proxies of the attribute in colour, others in "
                    "grey: " + "; ".join(f"{f} {v:+.3g}" for f, v in zip(
                        data["feature_label"], data["gap"], strict=True)) + ".")


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
