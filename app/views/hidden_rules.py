"""Hidden rules: the policy in plain words, and how well SHAP recovers each rule."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import course_charts as charts
from sesame_audit.app.glossary import explain
from sesame_audit.app.run_banner import show_chart
from sesame_audit.app.state import fidelity_of, select_run
from sesame_audit.app.teacher import HOW_TO_REVEAL, teacher_mode
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.course.fidelity import (
    UNDERSTATES,
    NoHiddenRules,
    fidelity_points,
    hidden_rules,
    run_policy,
)

st.title("Do the explanations find the hidden rules?")
run = select_run()
revealed = teacher_mode()
if run is None:
    st.stop()
try:
    run_policy(run)  # a run without hidden rules says so before asking for Teacher mode
    if not revealed:
        st.info(HOW_TO_REVEAL)
        st.stop()
    rules = hidden_rules(run)
    report = fidelity_of(run, run.key)
except NoHiddenRules as exc:
    st.warning(f"{escape_markdown(exc)}. The other pages still audit this model; this one "
               "needs a run generated from hidden rules "
               "(`sesame-audit build --policy social-credit`).")
    st.stop()

st.header("The hidden rules, in plain words")
st.markdown("\n".join(f"- {escape_markdown(r.text)}" + ("" if r.enabled else " (switched off)")
                      + (f": *{escape_markdown(r.why)}*" if r.why else "") for r in rules))

terms = report.terms
cols = st.columns(3)
cols[0].metric("Rules the explanations track in full",
               f"{int(terms['agrees'].sum())} of {len(terms)}",
               help="Correlation with the rule's true contribution of at least 0.95 and at "
                    "least 90% of its size.")
cols[1].metric("SHAP on inputs no rule reads", f"{report.unread_share:.1%}",
               help=explain("SHAP"))
cols[2].metric("Model error vs hidden score", f"{report.mae_hidden_points:.1f} points",
               help="Mean absolute gap on the held-out people, as on Overview. The published "
                    f"score adds noise of {report.noise_sd_points:g} points.")
leaves = run.manifest.get("metrics", {}).get("max_leaf_nodes")
if leaves:
    st.caption(f"The score model's trees have {int(leaves)} leaves each, the smallest size "
               "within 0.003 of the best R² on a validation part of the training people.")

understated = terms[terms["verdict"] == UNDERSTATES]
if len(understated):
    st.warning("SHAP follows these rules' shape but under-states their size: "
               + "; ".join(f"{escape_markdown(r.label)} ({r.slope:.0%} of it)"
                           for r in understated.itertuples())
               + ". The rule-by-rule numbers below say why for each.")
show_chart(run, charts.fidelity_bars(terms))
st.caption("A bar near 1 means the SHAP values of that feature move exactly with the rule's "
           "true contribution; the dashed line marks 0.95.")
with st.expander("The numbers, rule by rule"):
    st.dataframe(terms.drop(columns=["feature", "partner"]), hide_index=True)
    st.dataframe(report.unread, hide_index=True)

labels = dict(zip(terms["label"], terms["feature"], strict=True))
chosen = st.selectbox("Rule to inspect", list(labels), key="fidelity_rule")
row = terms[terms["label"] == chosen].iloc[0]
points = fidelity_points(run, labels[chosen])
show_chart(run, charts.fidelity_scatter(points, chosen, row["pearson"], report.n))
st.caption(f"Each dot is a person; on the dashed diagonal SHAP equals the truth. "
           f"{escape_markdown(row['diagnosis'])}")
with st.expander("The numbers for this rule"):
    st.dataframe(row.drop(["feature", "partner"]).astype(str).rename("value"))
