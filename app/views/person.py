"""Person: why one person has their score, what would change it, and their data."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import charts, disclosure_state, state
from sesame_audit.app.glossary import explain
from sesame_audit.app.person_picker import pick_person
from sesame_audit.app.run_banner import identity_of, show_chart
from sesame_audit.app.what_if_panel import what_if_panel
from sesame_audit.model.core import units
from sesame_audit.model.core.roles import LOG_ODDS, LOW
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.person.explained import explain_person
from sesame_audit.model.person.subject_access import (
    SENSITIVE_INPUT_USE,
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
    st.error(f"{escape_markdown(exc.args[0])}. Type an id from the run, or search with filters.")
    st.stop()

roles = run.roles
cols = st.columns(3)
cols[0].metric("Score", units.format_value(person.score, roles),
               help=explain("log-odds" if roles.unit == LOG_ODDS else "SHAP"),
               delta=f"{units.format_change(person.score - person.base, roles)} vs average",
               delta_color="off")
cols[1].metric("Tier reached", escape_markdown(units.tier_label(person.tier, roles)))
if person.next_tier is not None:
    perk = escape_markdown(person.next_tier.perk)
    cols[2].metric("Next tier", escape_markdown(units.tier_label(person.next_tier.name, roles)),
                   help=perk)  # the distance below: a metric's value is cut past ~18 characters
    cols[2].caption(f"{units.format_change(person.points_to_next, roles, signed=False)} away")
    if not person.next_tier.generated:  # a tier named after its threshold gives nothing more
        st.caption(f"The next tier would give: {perk}.")

steps = waterfall_data(person, roles)
domain = charts.waterfall_domain(steps, pad=0.8 * units.band_width(roles))
show_chart(run, charts.waterfall_chart(steps, roles=roles, domain=domain))
up, down = ("red-orange", "blue") if roles.favourable == LOW else ("blue", "red-orange")
st.caption(f"Read from the top: the average score, then each feature's push up ({up}) or "
           f"down ({down}), ending at this person's score.")
if person.error is not None:
    error = units.format_error(person.error, roles)
    st.caption("These pushes are approximate (permutation SHAP): "
               f"± {error}, approximate, "
               "for this person (the error estimated from two independent runs).")

st.header("Principal reasons")
for reason in person.reasons:
    st.markdown(f"- {escape_markdown(reason.text)}")
if not person.reasons:
    st.markdown(f"No feature {roles.adverse_verb} this score by more than "
                f"{units.format_change(units.smallest_reason(roles), roles, signed=False)}.")

st.header("What could this person change to reach the next tier?")
found = state.person_recourse(run, run.key, str(chosen))
(st.success if found.plausible else st.warning)(escape_markdown(found.text))
st.caption(("Only what a person can change is searched, never ethnicity, age, hukou, "
            "district, education, credit history or past defaults; "
            if identity_of(run)["synthetic"] else
            "Only the inputs the roles file lists as actionable are searched; ")
           + "each proposal is re-scored by the model. The Recourse page compares groups.")

st.header("What the run holds about this person")
data = person_data(run, chosen)
read = data["use"].str.startswith(SENSITIVE_INPUT_USE).any()  # itself or through an input
st.caption("Grouped by privacy category. Sensitive attributes are kept for the audit; "
           + ("the model does not read them, but it may read their proxies." if not read
              else "the model reads some of them, itself or through an input carrying the "
                   "same information (marked 'read by the model'); "
                   "the others it may read through their proxies."))
shown = data[["label", "use", "value", "privacy"]].rename(columns={
    "label": "Data", "use": "Use", "value": "Value", "privacy": "Privacy category"})
st.dataframe(shown, hide_index=True, width="stretch", height=36 * (len(data) + 1),
             column_config={"Use": st.column_config.TextColumn(width="medium")})

st.header("What if some of this were different?")
what_if_panel(run, person)

st.header("What this score tells others when it is shown")
k = state.current_k()  # drawn in the sidebar by the person picker
for sentence in disclosure_state.shown_score_sentences(run, run.key, str(chosen), k):
    st.text(sentence)
st.caption("From the people of the run who show a score in the same band; the Disclosure "
           "page has the whole picture.")

summary = subject_access(run, chosen, k=k)
left, right = st.columns(2)
left.download_button("Download this explanation (Markdown)", to_markdown(summary),
                     file_name=f"score-explanation-{run.path.name}-{chosen}.md",
                     mime="text/markdown", key="download_md")
right.download_button("Download this explanation (JSON)", to_json(summary),
                      file_name=f"score-explanation-{run.path.name}-{chosen}.json",
                      mime="application/json", key="download_json")
