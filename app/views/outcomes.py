"""Outcomes: the model's decisions against what happened, overall and by group."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sesame_audit.app import outcome_charts as charts
from sesame_audit.app import outcome_state, state
from sesame_audit.app.audit_widgets import table_expander
from sesame_audit.app.run_banner import show_chart
from sesame_audit.model.audit.classifier_views import TooFewOutcomes, cutoff_grid
from sesame_audit.model.audit.error_rates import error_rate_differences
from sesame_audit.model.core import units
from sesame_audit.model.core.roles import LOW
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.core.wording import readable

st.title("How do the model's decisions compare with what happened?")
run = state.select_run()
if run is None:
    st.stop()
k, roles, name = state.audit_k(), run.roles, run.roles.label
try:
    views = outcome_state.views(run, run.key, k)
except TooFewOutcomes as exc:
    st.info(escape_markdown(f"Nothing to compare: {exc}."))
    st.stop()


def rate_text(cell: dict) -> str:
    """A rate with its interval and people, or why it is not shown."""
    if cell["rate"] is None:
        return f"not shown (fewer than {k} people)"
    return (f"{cell['rate']:.1%} (95% interval {cell['low']:.1%}-{cell['high']:.1%}; "
            f"{cell['count']:,} of {cell['n']:,})")


st.text(f"Recorded outcome: {views['outcome']}. The model selects a person with "
        f"{views['selects']}.")
auc = views["auc"]
left, right = st.columns(2)
left.metric("AUC (0.5 = chance)", f"{auc['auc']:.3f}",
            help=f"95% interval {auc['low']:.3f}-{auc['high']:.3f}, from {auc['n']:,} people")
right.metric("Accuracy at the run's cutoff", f"{views['rates']['accuracy']['rate']:.1%}",
             help=rate_text(views["rates"]["accuracy"]))

grid = cutoff_grid(roles)
cutoff = st.select_slider("Decision cutoff", options=grid, value=views["cutoff"],
                          format_func=lambda c: units.format_threshold(c, roles),
                          key="outcomes_cutoff")
matrix = outcome_state.at_cutoff(run, run.key, cutoff, k)
rates = matrix["rates"]
curve = pd.DataFrame(views["roc"])
at = (rates["false_positive_rate"]["rate"], rates["true_positive_rate"]["rate"])
show_chart(run, charts.roc_chart(curve, auc, at))
st.caption("The orange dot is the chosen cutoff; the dashed diagonal is a coin toss. A "
           f"{'lower' if run.roles.favourable == LOW else 'higher'} cutoff selects fewer "
           "people: fewer false positives, more false negatives.")
show_chart(run, charts.confusion_chart(matrix["cells"]))
st.dataframe(pd.DataFrame({
    "measure": [readable(r) for r in rates],
    "rate": [f"{c['rate']:.1%}" if c["rate"] is not None else "hidden"
             for c in rates.values()],
    "95% interval": [f"{c['low']:.1%}-{c['high']:.1%}" if c["rate"] is not None else ""
                     for c in rates.values()],
    "people": [f"{c['count']:,}/{c['n']:,}" if c["rate"] is not None
               else f"under {k}" for c in rates.values()]}), hide_index=True)

sensitive = [a for a in roles.sensitive if a in run.columns]
if not sensitive:
    st.info("This run has no sensitive attribute to compare groups by.")
    st.stop()
st.header("Whom do the mistakes fall on?")
first = st.selectbox("Compare groups by", sensitive, format_func=name,
                     key="outcomes_attribute")
second = st.selectbox("…crossed with (intersection)", ["", *[a for a in sensitive
                                                             if a != first]],
                      format_func=lambda c: name(c) if c else "nothing", key="outcomes_second")
attribute = (first, second) if second else first
table = outcome_state.error_rates(run, run.key, attribute, cutoff, k)
if table[["tpr", "fpr", "precision"]].isna().all().all():
    st.warning(f"Every group has fewer than {k} people behind its rates (or would give "
               "such a group away): there is nothing to show.")
else:
    show_chart(run, charts.error_rate_chart(table))
    differences = error_rate_differences(table)
    for key, words in (("equalized_odds_difference", "Equalised-odds difference"),
                       ("predictive_parity_difference", "Predictive-parity difference")):
        found = differences[key]
        if found["value"] is not None:
            st.text(f"{words}: {found['value']:.3f} (95% interval {found['low']:.3f} to "
                    f"{found['high']:.3f}), between {readable(found['groups'][0])} and "
                    f"{readable(found['groups'][1])}.")
    st.caption("True positive rate: of the people whose outcome is positive, the share "
               "selected. False positive rate: of those whose outcome is negative, the share "
               f"selected. Precision: of those selected, the share positive. Rates resting on "
               f"fewer than {k} people, or that would give such a count away, are hidden. "
               "A difference's interval holds for the largest gap whichever two groups truly "
               "differ most, so it is wider than one pair's own interval.")
table_expander(run.roles.labels, table)

st.header("Moving the cutoff")
overall, by_group = outcome_state.sweep(run, run.key, attribute, k)
show_chart(run, charts.accuracy_sweep_chart(overall, cutoff, roles))
show_chart(run, charts.ratio_sweep_chart(by_group, cutoff, roles))
st.caption("Each line is a group's share selected divided by the reference group's (the "
           "most favoured with enough people). The dashed line is the chosen cutoff.")
table_expander(run.roles.labels, overall, by_group)
