"""Person: why one person has their score, what would change it, and their data."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import charts, state
from sesame_audit.app.chart_view import show_chart
from sesame_audit.app.person_picker import pick_person
from sesame_audit.app.what_if_panel import what_if_panel
from sesame_audit.model.person.explained import explain_person
from sesame_audit.model.person.subject_access import (
    person_data,
    subject_access,
    to_json,
    to_markdown,
)
from sesame_audit.model.person.waterfall import waterfall_data

st.title("Why does this person have this score?")
run = state.select_run()
if run is None:
    st.stop()
chosen = pick_person(run)
if chosen is None:
    st.stop()
try:
    person = explain_person(run, chosen)
except KeyError as exc:
    st.error(f"{exc.args[0]}. Type an id from the run, or search with filters.")
    st.stop()

cols = st.columns(3)
cols[0].metric("Score", f"{person.score:.0f} points",
               delta=f"{person.score - person.base:+.0f} vs average", delta_color="off")
cols[1].metric("Tier reached", person.tier.replace("_", " "))
if person.next_tier is not None:
    cols[2].metric(f"Next tier: {person.next_tier.name.replace('_', ' ')}",
                   f"{person.points_to_next:.0f} points away", help=person.next_tier.perk)
    st.caption(f"The next tier would give: {person.next_tier.perk}.")

steps = waterfall_data(person, run.roles)
show_chart(charts.waterfall_chart(steps))
st.caption("Read from the top: the average score, then each feature's push up (blue) or "
           "down (red-orange), ending at this person's score.")

st.header("Principal reasons")
for reason in person.reasons:
    st.markdown(f"- {reason.text}")
if not person.reasons:
    st.markdown("No feature lowered this score by more than half a point.")

st.header("What could this person change to reach the next tier?")
found = state.person_recourse(run, run.key, str(chosen))
(st.success if found.reachable else st.warning)(found.text)
st.caption("Only what a person can change is searched, never ethnicity, age, hukou, district, "
           "education, credit history or past defaults; each proposal is re-scored by the "
           "model. The Recourse page compares groups.")

st.header("What the run holds about this person")
data = person_data(run, chosen)
st.caption("Grouped by privacy category. Sensitive attributes are kept for the audit; "
           "the model does not read them, but it may read their proxies.")
st.dataframe(data[["privacy", "label", "value", "use"]], hide_index=True, width="stretch",
             height=36 * (len(data) + 1))

st.header("What if some of this were different?")
what_if_panel(run, person)

summary = subject_access(run, chosen)
left, right = st.columns(2)
left.download_button("Download this explanation (Markdown)", to_markdown(summary),
                     file_name=f"score-explanation-{chosen}.md", mime="text/markdown",
                     key="download_md")
right.download_button("Download this explanation (JSON)", to_json(summary),
                      file_name=f"score-explanation-{chosen}.json",
                      mime="application/json", key="download_json")
