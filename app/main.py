"""Sesame Audit dashboard: `streamlit run app/main.py`.

Pages live in `app/views/`, not `app/pages/`: Streamlit treats a `pages/` folder beside the
main script as pages of their own, which showed file names in the sidebar on a first visit.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Sesame Audit", page_icon=":material/search:", layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("views/person.py", title="Person", icon=":material/person:"),
    st.Page("views/drivers.py", title="Drivers", icon=":material/bar_chart:"),
    st.Page("views/fairness.py", title="Fairness", icon=":material/balance:"),
    st.Page("views/proxies.py", title="Proxies", icon=":material/visibility:"),
    st.Page("views/friends.py", title="Friends", icon=":material/group:"),
    st.Page("views/disclosure.py", title="Disclosure", icon=":material/visibility_off:"),
    st.Page("views/recourse.py", title="Recourse", icon=":material/stairs:"),
    st.Page("views/hidden_rules.py", title="Hidden rules", icon=":material/lock_open:"),
    st.Page("views/policy_editor.py", title="Policy editor", icon=":material/edit:"),
    st.Page("views/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("views/own.py", title="Audit your own model", icon=":material/upload_file:"),
    st.Page("views/about.py", title="About", icon=":material/info:"),
]

st.navigation(PAGES).run()
