"""Altair charts of the Outcomes page: pure functions from outcome tables to charts.

Every rate is drawn with its 95% interval and the people behind it in the tooltip;
colours are the Okabe-Ito palette, readable with colour-blindness. Every chart leaves
through :func:`chart_style.finished`: as wide as the page, legends under the plot.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sesame_audit.app.audit_charts import OKABE_ITO
from sesame_audit.app.chart_style import (
    band_height,
    cutoff_axis,
    finished,
    title_lines,
    wrapped_axis,
)
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.core.wording import readable

RATE_TITLES = {"tpr": "True positive rate", "fpr": "False positive rate",
               "precision": "Precision"}
_PERCENT = alt.Axis(format=".0%")


def roc_chart(curve: pd.DataFrame, auc: dict, at: tuple[float, float] | None = None
              ) -> alt.LayerChart:
    """ROC curve with the chance diagonal and the point of the chosen cutoff.

    Parameters
    ----------
    curve : pandas.DataFrame
        ``false_positive_rate``, ``true_positive_rate`` (see ``audit.classifier_views.roc``).
    auc : dict
        ``{auc, low, high, n, positives}``.
    at : tuple of float, optional
        False and true positive rates at the chosen cutoff, marked on the curve.

    Returns
    -------
    altair.LayerChart
        The chart.
    """
    title = title_lines(
        "ROC curve: true against false positive rate as the cutoff moves",
        subtitle=f"AUC {auc['auc']:.3f} (95% interval {auc['low']:.3f}-{auc['high']:.3f}), "
                 f"{auc['positives']:,} positive of {auc['n']:,} people")
    x = alt.X("false_positive_rate:Q", title="False positive rate", axis=_PERCENT)
    y = alt.Y("true_positive_rate:Q", title="True positive rate", axis=_PERCENT)
    line = alt.Chart(curve).mark_line(color=OKABE_ITO[0]).encode(x, y)
    chance = alt.Chart(pd.DataFrame({"false_positive_rate": [0.0, 1.0],
                                     "true_positive_rate": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="#707070").encode(x, y)
    layers = [line, chance]
    if at is not None:
        point = pd.DataFrame({"false_positive_rate": [at[0]], "true_positive_rate": [at[1]]})
        layers.append(alt.Chart(point).mark_point(size=120, filled=True,
                                                  color=OKABE_ITO[5]).encode(x, y))
    return finished(alt.layer(*layers).properties(title=title, height=300),
                    f"ROC curve of the model's decisions: AUC {auc['auc']:.3f} (0.5 = chance)"
                    + (f"; the chosen cutoff selects {at[1]:.0%} of positive and {at[0]:.0%} "
                       "of negative outcomes" if at is not None else "") + ".")


def confusion_chart(cells: dict[str, int]) -> alt.LayerChart:
    """The confusion matrix as four labelled squares of people.

    Parameters
    ----------
    cells : dict
        ``true_positive``, ``false_positive``, ``false_negative``, ``true_negative``.

    Returns
    -------
    altair.LayerChart
        The chart.
    """
    frame = pd.DataFrame({
        "outcome": ["positive", "positive", "negative", "negative"],
        "decision": ["selected", "not selected", "selected", "not selected"],
        "kind": ["true positive", "false negative", "false positive", "true negative"],
        "people": [cells["true_positive"], cells["false_negative"], cells["false_positive"],
                   cells["true_negative"]]})
    frame["text"] = frame["kind"] + "\n" + frame["people"].map("{:,}".format)
    base = alt.Chart(frame).encode(
        x=alt.X("decision:N", title="Model's decision", sort=["selected", "not selected"],
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("outcome:N", title="Recorded outcome", sort=["positive", "negative"]))
    squares = base.mark_rect().encode(
        color=alt.Color("people:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["kind", alt.Tooltip("people:Q", format=",")])
    text = base.mark_text(fontSize=14, lineBreak="\n").encode(
        text="text:N",
        color=alt.condition(alt.datum.people > frame["people"].max() / 2,
                            alt.value("white"), alt.value("black")))
    return finished(alt.layer(squares, text).properties(
        title=title_lines("Confusion matrix at the chosen cutoff"), height=180),
        "Confusion matrix: " + "; ".join(f"{k} {n:,} people"
                                         for k, n in zip(frame["kind"], frame["people"],
                                                         strict=True)) + ".")


def error_rate_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Each group's true and false positive rates and precision, with 95% intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of ``audit.error_rates.error_rate_table``; hidden rates are left out.

    Returns
    -------
    altair.LayerChart
        A row per group shown, a dot per rate (one colour each) with its interval as a bar.
    """
    parts = []
    for rate, title in RATE_TITLES.items():
        shown = table.dropna(subset=[rate])
        parts.append(pd.DataFrame({
            "rate": title, "group": shown["group"].map(readable),
            "value": shown[rate].astype(float), "low": shown[f"{rate}_lower"].astype(float),
            "high": shown[f"{rate}_upper"].astype(float),
            "people": shown[f"{rate}_n"].astype(float), "count": shown[f"{rate}_count"]
            .astype(float)}))
    long = pd.concat(parts, ignore_index=True)
    rates = list(RATE_TITLES.values())
    tooltip = [alt.Tooltip("rate:N", title="Rate"), alt.Tooltip("group:N", title="Group"),
               alt.Tooltip("value:Q", format=".1%", title="Value"),
               alt.Tooltip("low:Q", format=".1%", title="95% interval from"),
               alt.Tooltip("high:Q", format=".1%", title="95% interval to"),
               alt.Tooltip("count:Q", format=",", title="Counted"),
               alt.Tooltip("people:Q", format=",", title="Of people")]
    y = alt.Y("group:N", title=None, axis=wrapped_axis())
    offset = alt.YOffset("rate:N", sort=rates)
    colour = alt.Color("rate:N", title="Rate", sort=rates,
                       scale=alt.Scale(domain=rates, range=OKABE_ITO[:3]),
                       legend=alt.Legend(symbolOpacity=1))
    bars = alt.Chart().mark_rule(strokeWidth=3, opacity=0.6).encode(
        y=y, yOffset=offset, color=colour,
        x=alt.X("low:Q", title="Rate (dot) and its 95% interval (bar)", axis=_PERCENT,
                scale=alt.Scale(domain=[0, 1])), x2="high:Q", tooltip=tooltip)
    dots = alt.Chart().mark_point(filled=True, size=70, opacity=1).encode(
        y=y, yOffset=offset, color=colour, x="value:Q", tooltip=tooltip)
    groups = long["group"].nunique()
    return finished(alt.layer(bars, dots, data=long).properties(
        title=title_lines("Error rates by group, with 95% intervals"),
        height=band_height(groups, 14, per_band=3, gap=12)),
        f"True positive rate, false positive rate and precision of {groups} groups, each "
        "with its 95% interval.")


def accuracy_sweep_chart(overall: pd.DataFrame, cutoff: float, roles: Roles) -> alt.LayerChart:
    """Accuracy as the cutoff moves, with its 95% band and the chosen cutoff marked.

    Parameters
    ----------
    overall : pandas.DataFrame
        ``cutoff``, ``accuracy`` and its interval (see ``audit.classifier_views.cutoff_sweep``).
    cutoff : float
        The chosen cutoff, on the score's scale.
    roles : Roles
        The run's roles: the cutoff axis reads as the thresholds are typed (see
        ``chart_style.cutoff_axis``).

    Returns
    -------
    altair.LayerChart
        The chart.
    """
    title, axis = cutoff_axis(roles)
    x = alt.X("cutoff:Q", title=title, axis=axis)
    band = alt.Chart(overall).mark_area(opacity=0.25, color=OKABE_ITO[0]).encode(
        x, y=alt.Y("accuracy_lower:Q", title="Accuracy", axis=_PERCENT), y2="accuracy_upper:Q")
    line = alt.Chart(overall).mark_line(point=True, color=OKABE_ITO[0]).encode(
        x, y="accuracy:Q", tooltip=[alt.Tooltip("cutoff:Q", format=".3g", title="Cutoff"),
                                    alt.Tooltip("accuracy:Q", format=".1%", title="Accuracy")])
    best = overall.loc[overall["accuracy"].idxmax()] if len(overall) else None
    return finished(alt.layer(band, line, _cutoff_rule(cutoff)).properties(
        title=title_lines("Accuracy as the cutoff moves (band: 95% interval)"), height=180),
        "Accuracy of the decisions at each cutoff"
        + (f", highest ({best['accuracy']:.1%}) at {best['cutoff']:.3g}"
           if best is not None else "") + "; a dashed line marks the chosen cutoff.")


def ratio_sweep_chart(groups: pd.DataFrame, cutoff: float, roles: Roles) -> alt.LayerChart:
    """Every group's impact ratio as the cutoff moves, with 0.8 and the chosen cutoff marked.

    Parameters
    ----------
    groups : pandas.DataFrame
        ``cutoff``, ``group``, ``impact_ratio`` and its interval, ``count``, ``selected``.
    cutoff : float
        The chosen cutoff, on the score's scale.
    roles : Roles
        The run's roles: the cutoff axis reads as the thresholds are typed (see
        ``chart_style.cutoff_axis``).

    Returns
    -------
    altair.LayerChart
        A line per group shown; hidden ratios are left out.
    """
    shown = groups.dropna(subset=["impact_ratio"]).assign(
        group=lambda d: d["group"].map(readable))
    title, axis = cutoff_axis(roles)
    ratios = alt.Chart(shown).mark_line(point=True).encode(
        alt.X("cutoff:Q", title=title, axis=axis),
        y=alt.Y("impact_ratio:Q", title="Impact ratio"),
        color=alt.Color("group:N", title="Group", scale=alt.Scale(range=OKABE_ITO)),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("cutoff:Q", format=".3g", title="Cutoff"),
                 alt.Tooltip("impact_ratio:Q", format=".2f", title="Impact ratio"),
                 alt.Tooltip("impact_lower:Q", format=".2f", title="95% interval from"),
                 alt.Tooltip("impact_upper:Q", format=".2f", title="95% interval to"),
                 alt.Tooltip("selected:Q", format=",", title="Selected"),
                 alt.Tooltip("count:Q", format=",", title="People")])
    four_fifths = alt.Chart(pd.DataFrame({"y": [0.8]})).mark_rule(color="#707070").encode(
        y="y:Q")
    return finished(alt.layer(ratios, four_fifths, _cutoff_rule(cutoff)).properties(
        title=title_lines("Each group's impact ratio as the cutoff moves",
                          subtitle="share selected over the reference group's; grey line: "
                                   "0.8"), height=220),
        f"Impact ratio of {shown['group'].nunique()} groups at each cutoff, against the "
        "four-fifths line at 0.8; a dashed line marks the chosen cutoff.")


def _cutoff_rule(cutoff: float) -> alt.Chart:
    """The dashed line of the chosen cutoff."""
    return alt.Chart(pd.DataFrame({"cutoff": [cutoff]})).mark_rule(
        color=OKABE_ITO[5], strokeDash=[4, 2]).encode(x="cutoff:Q")
