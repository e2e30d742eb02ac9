"""Fairness: tier access and score by group or intersection, four-fifths rule, suppression."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app.audit_charts import distribution_chart, impact_heatmap, tier_access_chart
from sesame_audit.app.audit_widgets import table_expander
from sesame_audit.app.chart_view import show_chart
from sesame_audit.app.state import audit_k, fairness_tables, select_run

st.title("Whom does the score treat unfairly?")
run = select_run()
if run is not None:
    k = audit_k()
    options = [a for a in run.roles.sensitive if a in run.columns]
    if not options:
        st.info("This run has no sensitive attribute to compare groups by.")
        st.stop()
    name = run.roles.label
    first = st.selectbox("Compare groups by", options, format_func=name, key="fair_attribute")
    second = st.selectbox("…crossed with (intersection)", ["", *[o for o in options
                                                                 if o != first]],
                          format_func=lambda c: name(c) if c else "nothing",
                          key="fair_second")
    attribute = (first, second) if second else first
    result = fairness_tables(run, run.key, attribute, k)
    tiers = [(t.name, t.min_score) for t in run.roles.tiers]
    flagged = result["ratios"][result["ratios"]["flagged"]]
    st.markdown(f"**{len(flagged)}** group/tier pairs fail the four-fifths rule: the group "
                "reaches the tier less than 80% as often as the most favoured group.")
    st.caption(result["note"])
    if result["table"]["suppressed"].all():
        st.warning(f"Every group has fewer than {k} people (or hides one that does): "
                   "there is nothing to show. Lower the smallest group shown.")
        st.stop()
    show_chart(tier_access_chart(result["ratios"], tiers))
    st.caption("Compare bar heights within a tier: an outlined bar marks a group that reaches "
               "the tier less than four fifths as often as the best-placed group.")
    show_chart(impact_heatmap(result["ratios"], tiers))
    st.caption("Each cell divides a group's share by the most favoured group's share; dark "
               "cells and '!' (under 0.8) show where access is unequal.")
    show_chart(distribution_chart(result["distribution"], tiers))
    st.caption("Each row is a group; where its dark cells sit left of the dashed tier lines, "
               "fewer of its people get the perks.")
    table_expander(run.roles.labels, result["table"], result["parity"], tiers=tiers)
