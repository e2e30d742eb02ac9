"""Drivers: what moves the score for everyone, by feature and by kind of personal data."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import charts, state
from sesame_audit.app.chart_style import change_scale
from sesame_audit.app.glossary import explain
from sesame_audit.app.run_banner import identity_of, show_chart
from sesame_audit.model.core import units
from sesame_audit.model.figures.dependence import dependence_summary
from sesame_audit.model.figures.drivers import beeswarm_summary
from sesame_audit.model.runs.stored import profiles

st.title("What drives the score for everyone?")
run = state.select_run()
if run is None:
    st.stop()
roles = run.roles

influence = state.influence(run.key, run)
show_chart(run, charts.influence_chart(influence, roles=roles))
st.caption("Longer bars move people's scores further from the average; the colour says "
           "which kind of personal data the feature is.")

privacy = state.privacy_influence(run.key, run)
show_chart(run, charts.privacy_chart(privacy, roles=roles))
st.caption(f"How far ({units.change_label(roles)}) a person's score moves, on average, because "
           "of each kind of data taken together"
           + (": look at the social graph and the special categories." if
              identity_of(run)["synthetic"] else "."))

points, n_sampled = state.beeswarm(run.key, run)
unit, factor = units.change_label(roles), change_scale(roles)
PUSH_FORMAT = "%+.3g"
spread = beeswarm_summary(points)
quantiles = ["lowest", "p10", "median", "p90", "highest"]
spread[quantiles] = spread[quantiles] * factor
spread = spread.rename(columns={
    "label": "Feature", "people": "People", "lowest": f"Lowest ({unit})",
    "p10": "10th percentile", "median": "Median", "p90": "90th percentile",
    "highest": f"Highest ({unit})"})
show_chart(run, charts.beeswarm_chart(points, n_sampled, roles=roles), numbers=spread,
           formats={c: PUSH_FORMAT for c in spread.columns[2:]})
st.caption(f"Each dot is one of {n_sampled:,} people drawn at random: right of zero the "
           "feature raised their score, left lowered it; orange dots have high values "
           "(categories are coloured in alphabetical order).")

st.header("How does one feature push the score, and for whom?")
cols = st.columns(2)
feature = cols[0].selectbox("Feature", influence["feature"].tolist(), format_func=roles.label,
                            help=explain("SHAP"),
                            key="dep_feature")
groups = [c for c in roles.sensitive if c in run.columns]
colour = cols[1].selectbox("Colour by", [None, *groups], key="dep_colour",
                           format_func=lambda c: "nobody (one colour)" if c is None
                           else roles.label(c))
k = state.audit_k()
dots, n_shown = state.dependence(run.key, feature, colour, k, run)
categorical = profiles(run)[feature].categorical
bands = dependence_summary(dots, categorical=categorical, k=k)
bands = bands.assign(mean_points=bands["mean_points"] * factor).rename(columns={
    "band": roles.label(feature), "group": roles.label(colour) if colour else "Group",
    "people": "People", "mean_points": f"Mean push ({unit})"})
show_chart(run, charts.dependence_chart(dots, feature_label=roles.label(feature),
                                        categorical=categorical,
                                        colour_label=roles.label(colour) if colour else None,
                                        roles=roles),
           numbers=bands, formats={f"Mean push ({unit})": PUSH_FORMAT})
st.caption(f"{n_shown:,} people drawn at random; groups of fewer than {k} are merged. Look for "
           "colours that sit apart at the same value.")
