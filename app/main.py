"""Sesame Audit dashboard: `streamlit run app/main.py`."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Sesame Audit", page_icon="🔍", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="🏠", default=True),
    st.Page("pages/fairness.py", title="Fairness", icon="⚖️"),
    st.Page("pages/proxies.py", title="Proxies", icon="🕵️"),
    st.Page("pages/friends.py", title="Friends", icon="🤝"),
    st.Page("pages/recourse.py", title="Recourse", icon="🪜"),
    st.Page("pages/hidden_rules.py", title="Hidden rules", icon="🔐"),
    st.Page("pages/policy_editor.py", title="Policy editor", icon="✏️"),
    st.Page("pages/lessons.py", title="Lessons", icon="🎓"),
]

st.navigation(PAGES).run()
