"""About: what the score is, what the press reports and speculates, what this tool cannot say."""

from __future__ import annotations

import streamlit as st

from sesame_audit.datasets.policy import PRESETS, load_policy
from sesame_audit.datasets.tiers import RESTRICTED_NOTE, TIERS

st.title("What is this score, and what can this audit tell you?")
st.markdown(
    "A **social credit score** such as Sesame Credit rates people from 350 to 950. The "
    "operator says it reads five pillars: credit history, the capacity to honour contracts, "
    "identity, behaviour and preferences, and relationships. Scores open perks: deposit-free "
    "rentals, a prominent dating profile, faster visa applications. How the score is "
    "computed is secret.\n\n"
    "This dashboard audits such a score. It writes **hidden rules** of its own, scores a "
    "synthetic population with them, trains a model that reproduces the score, and explains "
    "every score with **SHAP**: how many points each piece of data added or removed.")

st.header("What press reports say reaching a score gives")
st.dataframe([{"From (points)": t.min_score, "Tier": t.name.replace("_", " "), "Gives": t.perk,
               "Claim": t.status, "Source": t.note} for t in TIERS],
             hide_index=True, width="stretch")
st.caption(f"Reported: described as operating. Speculated: claimed, never confirmed. "
           f"{RESTRICTED_NOTE}")

st.header("The scenarios: three sets of hidden rules")
for name in PRESETS:
    policy = load_policy(name)
    st.markdown(f"**{policy.title}** (`{name}`): {policy.description}")

st.header("What this tool cannot tell you")
st.markdown(
    "- **How the real score works.** The rules here are written from press reports; the "
    "population is synthetic. The findings show what such rules *would* do.\n"
    "- **Causes.** SHAP says how the model's score moves with each input, not why a person "
    "has that input, nor what would happen in the world if it changed.\n"
    "- **Everything about a model you audit.** An explanation describes the model's "
    "behaviour on the data given; features correlated with each other share credit, and a "
    "model can rely on proxies of a sensitive attribute it never reads.\n"
    "- **Small groups.** Groups of fewer than 11 people are never shown, to protect them and "
    "because their numbers would be noise.")
