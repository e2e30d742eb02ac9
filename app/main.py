"""Sesame Audit dashboard: `streamlit run app/main.py`."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Sesame Audit", page_icon="🔍", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="🏠", default=True),
    st.Page("pages/person.py", title="Person", icon="🧑"),
    st.Page("pages/drivers.py", title="Drivers", icon="📊"),
    st.Page("pages/about.py", title="About", icon="ℹ️"),
]

st.navigation(PAGES).run()
