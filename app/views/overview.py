"""Overview: which scenario is loaded, how the score is spread, who reaches which tier."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import charts, state
from sesame_audit.app.chart_view import show_chart
from sesame_audit.datasets.dictionary import PILLARS
from sesame_audit.model.runs.stored import accuracy

st.title("What does this score decide, and how is it spread?")
run = state.select_run()
if run is None:
    st.stop()

manifest = run.manifest
st.markdown(f"**Scenario:** {manifest.get('policy_title') or manifest.get('policy', run.path.name)}"
            f" — run `{run.path.name}`")
histogram, tiers, below = state.score_spread(run.key, run)
fit = accuracy(run)
cols = st.columns(4)
cols[0].metric("People", f"{run.n:,}")
cols[1].metric("Average score", f"{run.base:.0f} points")
if "r2" in fit:
    cols[2].metric("Model accuracy (held-out R²)", f"{fit['r2']:.3f}",
                   help="How much of the recorded score's variation the model reproduces "
                        "on people it was not trained on (1 = all of it).")
    cols[3].metric("Typical error", f"{fit['mae_points']:.1f} points",
                   help="Mean absolute gap between the model's score and the recorded one.")
if "r2_hidden" in fit:
    st.caption(f"Against the hidden rules without noise: R² {fit['r2_hidden']:.3f}, "
               f"typical error {fit['mae_hidden_points']:.1f} points.")

show_chart(charts.score_histogram_chart(histogram, tiers))
st.caption("Each bar counts people in a 10-point band of the score under audit; dashed "
           "lines mark where a reward tier starts.")

show_chart(charts.tier_chart(tiers))
st.caption("Look at how quickly the share of people falls for the perks press reports "
           "describe (blue) and the ones they only speculate about (orange).")
if below["threshold"] is not None:
    st.warning(f"{below['people']:,} people ({below['share']:.0%}) score below "
               f"{below['threshold']:.0f}. {below['note']}")

used = set(run.roles.pillars.values())
pillars = [p for p in PILLARS if p in used] + sorted(used - set(PILLARS))
if pillars:
    st.header("What the score is said to read: five pillars")
    for pillar in pillars:
        st.markdown(f"- **{pillar.capitalize()}**: {PILLARS.get(pillar, '')}")
