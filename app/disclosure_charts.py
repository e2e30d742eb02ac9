"""Charts of the Disclosure page: what a score shown in public gives away."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from sesame_audit.app.audit_charts import OKABE_ITO, readable
from sesame_audit.app.chart_style import band_height, finished, title_lines, wrapped_axis
from sesame_audit.model.audit.disclosure import view_label
from sesame_audit.model.core import units
from sesame_audit.model.core.roles import Roles


def disclosure_frame(attributes: Mapping[str, Mapping[str, Mapping[str, float]]],
                     labels: Mapping[str, str], roles: Roles | None = None) -> pd.DataFrame:
    """Flatten ``disclosure_findings(...)["attributes"]`` into one row per attribute and view.

    Parameters
    ----------
    attributes : mapping
        Attribute -> view -> figures (``auc``, ``low``, ``high``, ``n``, ...).
    labels : mapping
        Column -> label.
    roles : Roles, optional
        The run's roles, to write the badge's threshold as typed.

    Returns
    -------
    pandas.DataFrame
        ``attribute``, ``view`` (in words) and the figures.
    """
    rows = [{"attribute": labels.get(a, a), "view": view_label(v, roles), **figures}
            for a, views in attributes.items() for v, figures in views.items()]
    return pd.DataFrame(rows)


def disclosure_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """AUC of guessing each attribute from each view of the score, with 95% intervals.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`disclosure_frame`.

    Returns
    -------
    altair.LayerChart
        Dots and interval bars per attribute, one colour per view, with chance (0.5) marked.
    """
    views = list(dict.fromkeys(frame["view"]))
    base = alt.Chart(frame)
    y = alt.Y("attribute:N", title=None, axis=wrapped_axis())
    colour = alt.Color("view:N", sort=views, title="What is shown",
                       scale=alt.Scale(range=OKABE_ITO[:len(views)]))
    offset = alt.YOffset("view:N", sort=views)
    tooltip = [alt.Tooltip("attribute:N", title="Attribute"),
               alt.Tooltip("view:N", title="Shown"),
               alt.Tooltip("auc:Q", title="AUC", format=".2f"),
               alt.Tooltip("low:Q", title="95% low", format=".2f"),
               alt.Tooltip("high:Q", title="95% high", format=".2f"),
               alt.Tooltip("n:Q", title="People", format=",")]
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", title="AUC", scale=alt.Scale(domain=[0.4, 1.0])), x2="high:Q", y=y,
        yOffset=offset, color=colour, tooltip=tooltip)
    dots = base.mark_point(filled=True, size=70).encode(
        x="auc:Q", y=y, yOffset=offset, color=colour, tooltip=tooltip)
    chance = alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(strokeDash=[4, 4],
                                                             color="#555").encode(x="x:Q")
    attributes = frame["attribute"].nunique()
    return finished(alt.layer(bars, dots, chance).properties(
        height=band_height(attributes, 16, per_band=len(views), gap=12),
        title=title_lines("How well an onlooker guesses each attribute from the shown score",
                          subtitle="0.5 = a coin toss, 1 = a sure guess")),
        f"Dots of the AUC, with 95% intervals, of guessing each of {attributes} sensitive "
        f"attributes from {len(views)} views of the score; a dashed line marks 0.5, a coin "
        "toss: " + "; ".join(f"{a} from {v.lower()} {u:.2f}" for a, v, u in zip(
            frame["attribute"], frame["view"], frame["auc"], strict=True)) + ".")


def band_chart(bands: pd.DataFrame, label: str, roles: Roles) -> alt.Chart:
    """Who shows each score band: the share of each group among the band's people.

    Parameters
    ----------
    bands : pandas.DataFrame
        Output of :func:`sesame_audit.model.person.shown_score.band_table`.
    label : str
        Label of the attribute.
    roles : Roles
        The run's roles, to write the bands in the score's unit.

    Returns
    -------
    altair.Chart
        Stacked bars per band (suppressed cells left out), each group's overall share in the
        tooltip.
    """
    data = bands[~bands["suppressed"]].copy()
    data["group"] = [readable(g) for g in data["group"]]
    data["band"] = [units.band_text(start, end, roles) for start, end in zip(
        data["band_start"], data["band_end"], strict=True)]
    unit = units.unit_label(roles)
    order = list(dict.fromkeys(data["band"]))
    groups = sorted(data["group"].unique())
    chart = alt.Chart(data, height=240,
                      title=title_lines(f"{label} of the people showing each score")
                      ).mark_bar().encode(
        x=alt.X("band:N", sort=order, title=f"Score shown ({unit})",
                axis=alt.Axis(labelAngle=-45, labelLimit=150, labelOverlap=False)),
        y=alt.Y("share:Q", title="Share of the people in the band",
                axis=alt.Axis(format="%"), stack="zero"),
        color=alt.Color("group:N", sort=groups, title=label,
                        scale=alt.Scale(range=OKABE_ITO[:max(len(groups), 1)])),
        tooltip=[alt.Tooltip("band:N", title="Score shown"), alt.Tooltip("group:N", title=label),
                 alt.Tooltip("share:Q", title="Share of the band", format=".0%"),
                 alt.Tooltip("low:Q", title="95% low", format=".0%"),
                 alt.Tooltip("high:Q", title="95% high", format=".0%"),
                 alt.Tooltip("overall_share:Q", title="Share of everyone", format=".0%"),
                 alt.Tooltip("lift:Q", title="Times as likely as average", format=".2f"),
                 alt.Tooltip("band_people:Q", title="People in the band", format=",")])
    return finished(chart, f"Stacked bars of the share of each {label.lower()} group among the "
                    f"people in each of {len(order)} score bands ({unit}), groups: "
                    + ", ".join(groups) + (f"; bands from {order[0]} to {order[-1]}"
                                           if order else "") + ".")


def narrowing_chart(inputs: pd.DataFrame, *, top: int = 12) -> alt.LayerChart:
    """How much of each private input the shown score explains, with 95% intervals.

    Parameters
    ----------
    inputs : pandas.DataFrame
        Output of :func:`sesame_audit.model.audit.disclosure.narrowing`.
    top : int, default=12
        Inputs shown, most narrowed first.

    Returns
    -------
    altair.LayerChart
        Bars with interval rules.
    """
    data = inputs.head(top)
    order = data["label"].tolist()
    base = alt.Chart(data)
    y = alt.Y("label:N", sort=order, title=None, axis=wrapped_axis())
    tooltip = [alt.Tooltip("label:N", title="Input"),
               alt.Tooltip("explained:Q", title="Explained by the score", format=".0%"),
               alt.Tooltip("low:Q", title="95% low", format=".0%"),
               alt.Tooltip("high:Q", title="95% high", format=".0%"),
               alt.Tooltip("n:Q", title="People", format=",")]
    bars = base.mark_bar(color=OKABE_ITO[0]).encode(
        x=alt.X("explained:Q", title=["Share of the input's variation", "the score explains"],
                axis=alt.Axis(format="%")), y=y, tooltip=tooltip)
    rules = base.mark_rule(color="#000").encode(x="low:Q", x2="high:Q", y=y, tooltip=tooltip)
    return finished(alt.layer(bars, rules).properties(
        height=band_height(len(order), 30),
        title=title_lines("How much of each input the shown score gives away")),
        f"Bars, with 95% intervals, of the share of each of {len(order)} inputs' variation "
        "that the shown score explains: " + "; ".join(
            f"{lab} {v:.0%}" for lab, v in zip(data["label"], data["explained"], strict=True))
        + ".")
