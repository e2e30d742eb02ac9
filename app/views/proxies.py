"""Proxies: which inputs stand in for sensitive attributes, and what flows through them."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import proxy_charts as charts
from sesame_audit.app import state
from sesame_audit.app.audit_charts import display_table
from sesame_audit.app.audit_widgets import table_expander
from sesame_audit.app.glossary import explain, glossary_link
from sesame_audit.app.kept_results import keep, kept, latest
from sesame_audit.app.run_banner import show_chart
from sesame_audit.app.story import show_proxy_lead
from sesame_audit.model.audit.proxies import direct_use_lines
from sesame_audit.model.audit.unawareness import unawareness_sentence
from sesame_audit.model.core import units
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.person.explained import format_value

st.title("Which inputs stand in for sensitive attributes?")
run = state.select_run()
sensitive = [] if run is None else [a for a in run.roles.sensitive if a in run.columns]
if run is not None and not sensitive:
    st.info("This run has no sensitive attribute: there is nothing to find proxies for.")
elif run is not None:
    k, name, labels, roles = state.audit_k(), run.roles.label, run.roles.labels, run.roles

    def shown(column: str) -> str:
        """A column's label, escaped for Markdown."""
        return escape_markdown(name(column))

    show_proxy_lead(run, k)
    glossary_link()
    strength = state.proxy_strength_table(run, run.key)
    direct = state.direct_use_table(run, run.key)
    for line in direct_use_lines(direct.to_dict("records"), dict(labels), roles=roles):
        st.warning(escape_markdown(line))
    show_chart(run, charts.proxy_heatmap(strength, labels))
    st.caption("Bright cells are inputs that give away a sensitive attribute on their own "
               "(0.5 = no better than a coin toss, 1 = a perfect stand-in).")
    table_expander(labels, strength)
    attribute = st.selectbox("Sensitive attribute", sensitive, format_func=name,
                             key="proxy_attribute", help=explain("unawareness"))
    threshold = st.slider("Strength that makes an input a proxy (AUC)", 0.55, 0.95, 0.7, 0.05,
                          key="proxy_threshold", help=explain("AUC"))
    found = state.proxy_audit(run, run.key, attribute, threshold, k)
    points, gap = found["points"], found["gap"]
    if not points.proxies:
        st.info(f"No input reaches a strength of {threshold:.2f} for {shown(attribute)}.")
    else:
        show_chart(run, charts.points_by_group_chart(
            points.by_feature, labels, title="What each proxy gives each group", roles=roles))
        st.caption(f"Bars left of zero are what the proxies of {shown(attribute)} take off "
                   "a group's average score, bars right of it what they add"
                   + (" (a lower score is the better one here)." if roles.favourable == "low"
                      else "."))
    if gap.favoured is not None:  # the unawareness test
        st.markdown("**Unawareness test.** "
                    + escape_markdown(unawareness_sentence(gap, dict(labels), roles=roles)))
        show_chart(run, charts.gap_chart(gap.by_feature, labels, roles=roles))
        st.caption("Long coloured bars mean the gap comes through stand-ins for the attribute "
                   "(each proxy keeps its colour from the chart above; grey: other inputs).")
        table_expander(labels, points.by_group, gap.by_feature)
    feature = st.selectbox("Flip test: give everyone the largest group's typical value of",
                           run.roles.inputs,
                           index=run.roles.inputs.index((points.proxies or run.roles.inputs)[0]),
                           format_func=name, key="flip_feature", help=explain("flip test"))
    flipped = state.flip_result(run, run.key, feature, attribute, k)
    given = format_value(flipped.value, roles.kinds.get(feature, ""))
    show_chart(run, charts.before_after_chart(
        flipped.by_group, value_title=f"Mean score ({units.unit_label(roles)})", roles=roles,
        title=f"Mean score if everyone had {name(feature)} = {given}"))
    typical = ("most common category" if feature in roles.categorical
               or isinstance(flipped.value, str) else "median")
    st.caption(f"Everyone is given the {typical} {shown(feature)} of the largest group, "
               f"{escape_markdown(flipped.majority.replace('_', ' '))}: "
               f"{escape_markdown(given)}. If the groups' dots close in, {shown(feature)} "
               "carries the gap (from "
               f"{units.format_change(flipped.gap_before, roles, signed=False)} to "
               f"{units.format_change(flipped.gap_after, roles, signed=False)}).")
    table_expander(labels, flipped.by_group, flipped.tiers)
    if st.button("How well do all inputs together predict each attribute?", key="joint_button"):
        keep(run.key, ("joint",), state.joint_strength_table(run, run.key))
    joint = kept(run.key, ("joint",))
    if joint is not None:
        st.dataframe(display_table(joint, labels), hide_index=True)
    st.header("Is this data needed? Retrain without it")
    categories = sorted({run.roles.privacy.get(f, "") for f in run.roles.inputs} - {""})
    drop = st.multiselect("Leave out", [*categories, *run.roles.inputs], key="minimise_drop",
                          format_func=lambda c: f"all {c} data" if c in categories else name(c))
    if st.button("Retrain", key="minimise_button", disabled=not drop):
        try:
            result = state.minimised(run, run.key, tuple(drop), k)
            keep(run.key, ("retrain", k, tuple(drop)), result)
        except ValueError as exc:
            st.error(escape_markdown(exc))
    retrained = latest(run.key, ("retrain", k))
    if retrained is not None:
        (_, _, left_out), result = retrained
        st.caption("Retrained without " + escape_markdown(", ".join(
            f"all {c} data" if c in categories else name(c) for c in left_out)) + ".")
        st.dataframe(display_table(result.accuracy, labels), hide_index=True)
        st.caption(f"Accuracy measured against {result.against}, on the same held-out "
                   "fifth of the people before and after.")
        st.dataframe(display_table(result.gaps, labels), hide_index=True)
