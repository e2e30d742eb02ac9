"""Altair charts of the Outcomes page: pure functions from outcome tables to charts.

Every rate is drawn with its 95% interval and the people behind it in the tooltip;
colours are the Okabe-Ito palette, readable with colour-blindness.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from sesame_audit.app.audit_charts import OKABE_ITO, WIDTH

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
    title = alt.TitleParams(
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
    return alt.layer(*layers).properties(title=title, width=360, height=360)


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
    frame["text"] = frame["kind"] + ": " + frame["people"].map("{:,}".format)
    base = alt.Chart(frame).encode(
        x=alt.X("decision:N", title="Model's decision", sort=["selected", "not selected"],
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("outcome:N", title="Recorded outcome", sort=["positive", "negative"]))
    squares = base.mark_rect().encode(
        color=alt.Color("people:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["kind", alt.Tooltip("people:Q", format=",")])
    text = base.mark_text(fontSize=14).encode(
        text="text:N",
        color=alt.condition(alt.datum.people > frame["people"].max() / 2,
                            alt.value("white"), alt.value("black")))
    return alt.layer(squares, text).properties(
        title="Confusion matrix at the chosen cutoff", width=alt.Step(240), height=alt.Step(70))


def error_rate_chart(table: pd.DataFrame) -> alt.FacetChart:
    """Each group's true and false positive rates and precision, with 95% intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of ``audit.error_rates.error_rate_table``; hidden rates are left out.

    Returns
    -------
    altair.FacetChart
        One panel per rate; a dot per group shown, its interval as a bar.
    """
    parts = []
    for rate, title in RATE_TITLES.items():
        shown = table.dropna(subset=[rate])
        parts.append(pd.DataFrame({
            "rate": title, "group": shown["group"].astype(str),
            "value": shown[rate].astype(float), "low": shown[f"{rate}_lower"].astype(float),
            "high": shown[f"{rate}_upper"].astype(float),
            "people": shown[f"{rate}_n"].astype(float), "count": shown[f"{rate}_count"]
            .astype(float)}))
    long = pd.concat(parts, ignore_index=True)
    tooltip = ["rate", "group", alt.Tooltip("value:Q", format=".1%", title="rate"),
               alt.Tooltip("low:Q", format=".1%", title="95% interval from"),
               alt.Tooltip("high:Q", format=".1%", title="95% interval to"),
               alt.Tooltip("count:Q", format=",", title="counted"),
               alt.Tooltip("people:Q", format=",", title="of people")]
    y = alt.Y("group:N", title=None, axis=alt.Axis(labelLimit=260))
    bars = alt.Chart().mark_rule(strokeWidth=3, color=OKABE_ITO[4]).encode(
        y=y, x=alt.X("low:Q", title="Rate (95% interval)", axis=_PERCENT,
                     scale=alt.Scale(domain=[0, 1])), x2="high:Q", tooltip=tooltip)
    dots = alt.Chart().mark_point(filled=True, size=70, color=OKABE_ITO[0]).encode(
        y=y, x="value:Q", tooltip=tooltip)
    return alt.layer(bars, dots, data=long).properties(width=260).facet(
        column=alt.Column("rate:N", title=None, sort=list(RATE_TITLES.values()))).properties(
        title="Error rates by group, with 95% intervals")


def sweep_chart(overall: pd.DataFrame, groups: pd.DataFrame, cutoff: float, *,
                cutoff_title: str) -> alt.VConcatChart:
    """Accuracy and every group's impact ratio as the cutoff moves, the chosen one marked.

    Parameters
    ----------
    overall : pandas.DataFrame
        ``cutoff``, ``accuracy`` and its interval (see ``audit.classifier_views.cutoff_sweep``).
    groups : pandas.DataFrame
        ``cutoff``, ``group``, ``impact_ratio`` and its interval, ``count``, ``selected``.
    cutoff : float
        The chosen cutoff, on the score's scale.
    cutoff_title : str
        Axis title of the cutoff (its unit).

    Returns
    -------
    altair.VConcatChart
        Accuracy above, impact ratios below, a rule at the chosen cutoff in both.
    """
    x = alt.X("cutoff:Q", title=cutoff_title)
    rule = alt.Chart(pd.DataFrame({"cutoff": [cutoff]})).mark_rule(
        color=OKABE_ITO[5], strokeDash=[4, 2]).encode(x="cutoff:Q")
    band = alt.Chart(overall).mark_area(opacity=0.25, color=OKABE_ITO[0]).encode(
        x, y=alt.Y("accuracy_lower:Q", title="Accuracy", axis=_PERCENT), y2="accuracy_upper:Q")
    line = alt.Chart(overall).mark_line(point=True, color=OKABE_ITO[0]).encode(
        x, y="accuracy:Q", tooltip=[alt.Tooltip("cutoff:Q", format=".3g"),
                                    alt.Tooltip("accuracy:Q", format=".1%")])
    top = alt.layer(band, line, rule).properties(
        title="Accuracy as the cutoff moves (band: 95% interval)", width=WIDTH, height=160)
    shown = groups.dropna(subset=["impact_ratio"])
    ratios = alt.Chart(shown).mark_line(point=True).encode(
        x, y=alt.Y("impact_ratio:Q", title="Impact ratio (share selected / reference's)"),
        color=alt.Color("group:N", title="Group", scale=alt.Scale(range=OKABE_ITO)),
        tooltip=["group", alt.Tooltip("cutoff:Q", format=".3g"),
                 alt.Tooltip("impact_ratio:Q", format=".2f"),
                 alt.Tooltip("impact_lower:Q", format=".2f", title="95% interval from"),
                 alt.Tooltip("impact_upper:Q", format=".2f", title="95% interval to"),
                 alt.Tooltip("selected:Q", format=","), alt.Tooltip("count:Q", format=",",
                                                                   title="people")])
    four_fifths = alt.Chart(pd.DataFrame({"y": [0.8]})).mark_rule(color="#707070").encode(
        y="y:Q")
    bottom = alt.layer(ratios, four_fifths, rule).properties(
        title="Each group's impact ratio as the cutoff moves (grey line: 0.8)",
        width=WIDTH, height=220)
    return alt.vconcat(top, bottom)
