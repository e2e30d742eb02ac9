"""Drivers: what moves the score for everyone, by feature and by kind of personal data."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import charts, state
from sesame_audit.app.run_banner import identity_of, in_unit, show_chart
from sesame_audit.model.core import units
from sesame_audit.model.figures.drivers import beeswarm_summary, dependence_summary
from sesame_audit.model.runs.stored import profiles

st.title("What drives the score for everyone?")
run = state.select_run()
if run is None:
    st.stop()
roles = run.roles

influence = state.influence(run.key, run)
show_chart(run, charts.influence_chart(influence, roles=roles), width="stretch")
st.caption("Longer bars move people's scores further from the average; the colour says "
           "which kind of personal data the feature is.")
with st.expander("Numbers: influence by feature"):
    st.dataframe(in_unit(influence, roles), hide_index=True, width="stretch")

privacy = state.privacy_influence(run.key, run)
show_chart(run, charts.privacy_chart(privacy, roles=roles), width="stretch")
st.caption(f"How far ({units.change_label(roles)}) a person's score moves, on average, because "
           "of each kind of data taken together"
           + (": look at the social graph and the special categories." if
              identity_of(run)["synthetic"] else "."))
with st.expander("Numbers: influence by privacy category"):
    st.dataframe(in_unit(privacy, roles), hide_index=True, width="stretch")

points, n_sampled = state.beeswarm(run.key, run)
show_chart(run, charts.beeswarm_chart(points, n_sampled, roles=roles), width="stretch")
st.caption(f"Each dot is one of {n_sampled:,} people drawn at random: right of zero the "
           "feature raised their score, left lowered it; orange dots have high values "
           "(categories are coloured in alphabetical order).")
with st.expander("Numbers: spread of each feature's push"):
    st.dataframe(in_unit(beeswarm_summary(points), roles), hide_index=True, width="stretch")

st.subheader("How does one feature push the score, and for whom?")
cols = st.columns(2)
feature = cols[0].selectbox("Feature", influence["feature"].tolist(), format_func=roles.label,
                            key="dep_feature")
groups = [c for c in roles.sensitive if c in run.columns]
colour = cols[1].selectbox("Colour by", [None, *groups], key="dep_colour",
                           format_func=lambda c: "nobody (one colour)" if c is None
                           else roles.label(c))
k = state.audit_k()
dots, n_shown = state.dependence(run.key, feature, colour, k, run)
categorical = profiles(run)[feature].categorical
show_chart(run, charts.dependence_chart(dots, feature_label=roles.label(feature),
                                        categorical=categorical,
                                        colour_label=roles.label(colour) if colour else None,
                                        roles=roles), width="stretch")
st.caption(f"{n_shown:,} people drawn at random; groups of fewer than {k} are merged. Look for "
           "colours that sit apart at the same value.")
with st.expander("Numbers: average push by value band"):
    st.dataframe(in_unit(dependence_summary(dots, categorical=categorical, k=k), roles),
                 hide_index=True, width="stretch")
