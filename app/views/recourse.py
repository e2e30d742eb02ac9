"""Recourse: what a person could change to reach the next tier, and who can change nothing."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import course_charts as charts
from sesame_audit.app.person_picker import pick_person
from sesame_audit.app.run_banner import identity_of, show_chart
from sesame_audit.app.state import audit_k, person_recourse, recourse_of, select_run
from sesame_audit.model.audit.recourse_burden import SAMPLE, recourse_burden
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.person.recourse import COST_IN_WORDS, LARGE_MOVE

st.title("Who can act their way to a better score?")
run = select_run()
if run is None:
    st.stop()
if not run.roles.actionable:
    st.warning("This run lists no input a person can change, so nobody has any recourse.")
    st.stop()

st.header("One person")
person = pick_person(run)  # the Person page's picker: ids as text, any type of id
found = None
if person is not None:
    try:
        found = person_recourse(run, run.key, person)
    except KeyError as exc:
        st.error(escape_markdown(str(exc).strip("'\"")))
if found is not None:
    (st.success if found.plausible else st.warning)(escape_markdown(found.text))
if found is not None and found.changes:
    st.dataframe([{"change": c.text, "cost": round(c.cost, 2), "privacy": c.privacy,
                   "plausible": "yes" if c.plausible else "no: too large a move"}
                  for c in found.changes], hide_index=True)
st.caption(("Only things a person can change are proposed; never ethnicity, age, hukou, "
            "district, education, credit history length or past defaults. "
            if identity_of(run)["synthetic"] else
            "Only the inputs the roles file lists as actionable are proposed. ")
           + COST_IN_WORDS + f" A change past more than {LARGE_MOVE:.0%} of people is "
             "marked not plausible.")

st.header("Every group")
attribute = st.selectbox("Group people by", run.roles.sensitive, key="recourse_attribute",
                         format_func=run.roles.label)
sample = st.number_input("People sampled", 50, 5_000, min(SAMPLE, run.n), 50,
                         key="recourse_sample", help="The search takes about a second per "
                         "ten people on a laptop.")
if st.button("Search recourse for the sample", key="recourse_go"):
    st.session_state["recourse_searched"] = True
if st.session_state.get("recourse_searched"):
    k = audit_k()
    table = recourse_burden(run, attribute, found=recourse_of(run, run.key, int(sample)), k=k)
    if table["suppressed"].all():
        st.info(f"Every group of this sample is under {k} people (or would give one away) and "
                "stays hidden: sample more.")
        st.stop()
    show_chart(run, charts.recourse_burden(table, run.roles.label(attribute), roles=run.roles))
    st.caption(f"Of the people not reaching each tier in a random sample of "
               f"{min(int(sample), run.n):,}, the share who could reach it by "
               f"changing only what they control; groups under {k} people are hidden.")
    with st.expander("The numbers"):
        st.dataframe(table, hide_index=True)
