"""Guilt by association: points from friends, the pressure to unfriend, one person's friends."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app.audit_charts import ego_chart, group_bar_chart
from sesame_audit.app.audit_widgets import table_expander
from sesame_audit.app.chart_view import show_chart
from sesame_audit.app.state import audit_k, friends_audit, select_run
from sesame_audit.model.audit.network import NotAvailableError, ego_network, unfriend_gain

st.title("How much do your friends decide your score?")
run = select_run()
sensitive = [] if run is None else [a for a in run.roles.sensitive if a in run.columns]
if run is not None and not sensitive:
    st.info("This run has no sensitive attribute to compare groups by.")
elif run is not None:
    k, name, labels = audit_k(), run.roles.label, run.roles.labels
    attribute = st.selectbox("Compare groups by", sensitive, format_func=name,
                             key="friends_attribute")
    try:
        found = friends_audit(run, run.key, attribute, k)
    except NotAvailableError as exc:
        st.info(f"Friends' audit {exc}.")
        st.stop()
    show_chart(group_bar_chart(found["points"], "points", rule=0.0,
                               title="Points each group gets from its friends' scores",
                               value_title="Mean points from friends (SHAP)"))
    st.caption("Bars left of the line: on average, friends' scores pull this group down.")
    by_group = found["incentive"].by_group
    show_chart(group_bar_chart(by_group, "pressure", rule=1.0,
                               title="Who gets unfriended for a better score?",
                               value_title="Times dropped over times befriended (ratio)"))
    st.caption("If everyone dropped their lowest-scoring friend, groups right of the line "
               "would be dropped more often than their place among friends implies.")
    table_expander(labels, found["points"], by_group)
    ids = run.people[run.roles.id]
    person = st.number_input("Person", min_value=int(ids.min()), max_value=int(ids.max()),
                             value=int(ids.iloc[0]), step=1, key="ego_person")
    drop = st.slider("Friends to drop", 1, 5, 1, key="unfriend_drop")
    try:
        show_chart(ego_chart(ego_network(run, person), labels, attribute))
        st.caption("Dark dots are low-scoring friends; the ringed one is the friend this "
                   "person would drop first to raise their own score.")
        gain = unfriend_gain(run, person, drop=drop)
    except (KeyError, ValueError) as exc:
        st.warning(str(exc).strip("'\""))
    else:
        st.markdown(f"Dropping {drop} friend(s) ({', '.join(gain.dropped_groups[attribute])}) "
                    f"would change this score by **{gain.gain:+.1f} points** "
                    f"({gain.score_before:.0f} → {gain.score_after:.0f}).")
        table_expander(labels, ego_network(run, person))
