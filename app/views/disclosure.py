"""Disclosure: what a score shown on a profile or a badge gives away about the person."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import disclosure_charts as charts
from sesame_audit.app import disclosure_state, state
from sesame_audit.app.audit_widgets import table_expander
from sesame_audit.app.glossary import explain
from sesame_audit.app.run_banner import show_chart
from sesame_audit.model.audit.disclosure import view_label

st.title("What does a score shown in public give away?")
run = state.select_run()
if run is None:
    st.stop()
k, name = state.audit_k(), run.roles.label
found = disclosure_state.disclosure_of(run, run.key, k)
frame = charts.disclosure_frame(found, run.roles.labels, run.roles)
if frame.empty:
    st.info(f"This run has no sensitive attribute with two groups of at least {k} people: "
            "there is nothing to measure.")
    st.stop()
top = frame[frame["view"] == view_label("score")].sort_values("auc").iloc[-1]
st.text(f"Seeing only a person's score, an onlooker guesses their {top['attribute'].lower()} "
        f"with an AUC of {top['auc']:.2f} (95% interval {top['low']:.2f}-{top['high']:.2f}; "
        f"0.5 is a coin toss, 1 a sure guess), from {int(top['n']):,} people.")
show_chart(run, charts.disclosure_chart(frame))
st.caption("AUC: the chance that the onlooker, shown one member of a group and one "
           "non-member, ranks the member higher. A badge shows less than the score, "
           "so it usually gives away less.")
table_expander(run.roles.labels, frame)

attributes = list(found)
attribute = st.selectbox("Who shows each score?", attributes, format_func=name,
                         help=explain("AUC"),
                         key="disclosure_attribute")
bands = disclosure_state.disclosure_bands(run, run.key, attribute, k)
show_chart(run, charts.band_chart(bands, name(attribute), run.roles))
st.caption(f"Groups with fewer than {k} people in a band are left out, and so is any cell "
           "that would let them be recomputed.")
table_expander(run.roles.labels, bands)

st.header("What the score tells about inputs a person may keep private")
inputs = disclosure_state.disclosure_inputs(run, run.key)
if inputs.empty:
    st.info("This run has no numeric input to compare with the score.")
else:
    show_chart(run, charts.narrowing_chart(inputs))
    st.caption(f"From the run's fixed sample of {int(inputs['n'].max()):,} people: the share "
               "of an input's variation that the score's ten bands explain (0% = the score "
               "says nothing of it).")
    table_expander(run.roles.labels, inputs)
