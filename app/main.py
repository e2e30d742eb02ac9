"""Sesame Audit dashboard: `streamlit run app/main.py`."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Sesame Audit", page_icon=":material/search:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/person.py", title="Person", icon=":material/person:"),
    st.Page("pages/drivers.py", title="Drivers", icon=":material/bar_chart:"),
    st.Page("pages/fairness.py", title="Fairness", icon=":material/balance:"),
    st.Page("pages/proxies.py", title="Proxies", icon=":material/visibility:"),
    st.Page("pages/friends.py", title="Friends", icon=":material/group:"),
    st.Page("pages/recourse.py", title="Recourse", icon=":material/stairs:"),
    st.Page("pages/hidden_rules.py", title="Hidden rules", icon=":material/lock_open:"),
    st.Page("pages/policy_editor.py", title="Policy editor", icon=":material/edit:"),
    st.Page("pages/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("pages/own.py", title="Audit your own model", icon=":material/upload_file:"),
    st.Page("pages/about.py", title="About", icon=":material/info:"),
]

st.navigation(PAGES).run()
