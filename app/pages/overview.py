"""Overview: which scenario is loaded and how the score is distributed."""

from __future__ import annotations

import streamlit as st

from app.state import select_run

st.title("What does this score decide, and how is it spread?")
run = select_run()
if run is not None:
    metrics = run.manifest["metrics"]
    cols = st.columns(3)
    cols[0].metric("People", f"{len(run.people):,}")
    cols[1].metric("Mean score", f"{run.people[run.roles.target].mean():.0f}")
    cols[2].metric("Model accuracy (held-out R²)", f"{metrics['r2']:.3f}")
