"""About: what the score is, what the press reports and speculates, what this tool cannot say."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app.glossary import show_glossary
from sesame_audit.app.run_banner import identity_of
from sesame_audit.app.state import select_run
from sesame_audit.datasets.policy import PRESETS, load_policy
from sesame_audit.datasets.tiers import RESTRICTED_NOTE, TIERS
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.core.units import unit_label
from sesame_audit.model.figures.suppress import DEFAULT_K

st.title("What is this score, and what can this audit tell you?")
run = select_run()
synthetic = run is None or identity_of(run)["synthetic"]
if synthetic:
    st.markdown(
        "A **social credit score** such as Sesame Credit rates people from 350 to 950. The "
        "operator says it reads five pillars: credit history, the capacity to honour "
        "contracts, identity, behaviour and preferences, and relationships. Scores open "
        "perks: deposit-free rentals, a prominent dating profile, faster visa applications. "
        "How the score is computed is secret.\n\n"
        "This dashboard audits such a score. It writes **hidden rules** of its own, scores a "
        "synthetic population with them, trains a model that reproduces the score, and "
        "explains every score with **SHAP**: how many points each piece of data added or "
        "removed.")

    st.header("What press reports say reaching a score gives")
    st.dataframe([{"From (points)": t.min_score, "Tier": t.name.replace("_", " "),
                   "Gives": t.perk, "Claim": t.status, "Source": t.note} for t in TIERS],
                 hide_index=True, width="stretch")
    st.caption(f"Reported: described as operating. Speculated: claimed, never confirmed. "
               f"{RESTRICTED_NOTE}")

    st.header("The scenarios: three sets of hidden rules")
    for name in PRESETS:
        policy = load_policy(name)
        st.markdown(f"**{escape_markdown(policy.title)}** (`{name}`): "
                    f"{escape_markdown(policy.description)}")
else:
    st.markdown(
        "This dashboard audits an opaque score. It explains every score with **SHAP**: how "
        f"much each piece of data added or removed ({unit_label(run.roles)}), and shows "
        "which inputs and stand-ins for sensitive attributes drive decisions, and whom the "
        "score treats unfairly. The run shown now is **your own model**, imported with its "
        "table: its score, thresholds and groups are yours, and no hidden rules are known.")

st.header("What this tool cannot tell you")
st.markdown(
    ("- **How the real score works.** The rules here are written from press reports; the "
     "population is synthetic. The findings show what such rules *would* do.\n"
     if synthetic else
     "- **How the model was built.** The audit sees the model's answers on the table "
     "given, not its training or the world it is used in.\n")
    + "- **Causes.** SHAP says how the model's score moves with each input, not why a person "
    "has that input, nor what would happen in the world if it changed.\n"
    "- **Everything about a model you audit.** An explanation describes the model's "
    "behaviour on the data given; features correlated with each other share credit, and a "
    "model can rely on proxies of a sensitive attribute it never reads.\n"
    f"- **Small groups.** Groups of fewer than k people ({DEFAULT_K} unless changed in the "
    "sidebar) are never shown, nor any that could be recomputed from the totals shown, to "
    "protect them and because their numbers would be noise.")

st.header("Auditing a score no one can see: data donations")
st.markdown(
    "Outside a simulation nobody gets the operator's model. People can request their own "
    "record under data-protection law and donate it; the **Audit from donations** page "
    "simulates such a campaign on the loaded run, fits a **stand-in** scikit-learn model on "
    "the donated inputs and scores (chosen by cross-validation), explains it with SHAP and "
    "audits it, with 95% intervals over donors, weighted to the population's shares of each "
    "group and not. On a synthetic run it sets every finding beside the white-box audit and "
    "the hidden rules, and simulates how many donations a campaign needs.\n\n"
    "Its limits: donors choose themselves, and weighting corrects only for the attributes "
    "whose population shares are known; a stand-in learns the score only where donors "
    "are, so rare groups and rare inputs stay uncertain; a self-reported attribute left "
    "blank removes the donor from that comparison; and a stand-in explains the score as "
    "the donations show it, not the operator's actual computation.")

show_glossary()
