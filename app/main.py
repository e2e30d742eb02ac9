"""Sesame Audit dashboard: `streamlit run app/main.py`.

Pages live in `app/views/`, not `app/pages/`: Streamlit treats a `pages/` folder beside the
main script as pages of their own, which showed file names in the sidebar on a first visit.
Icons are emoji: a ``:material/...:`` page icon makes the browser fetch it from a font
server on another host.
"""

from __future__ import annotations

import streamlit as st

from sesame_audit.app.deployment import require_settings

st.set_page_config(page_title="Sesame Audit", page_icon="🔍", layout="wide")
require_settings()

PAGES = [
    st.Page("views/overview.py", title="Overview", icon="🏠", default=True),
    st.Page("views/person.py", title="Person", icon="👤"),
    st.Page("views/drivers.py", title="Drivers", icon="📊"),
    st.Page("views/fairness.py", title="Fairness", icon="⚖️"),
    st.Page("views/proxies.py", title="Proxies", icon="🕵️"),
    st.Page("views/friends.py", title="Friends", icon="👥"),
    st.Page("views/disclosure.py", title="Disclosure", icon="📢"),
    st.Page("views/outcomes.py", title="Outcomes", icon="🎯"),
    st.Page("views/recourse.py", title="Recourse", icon="🪜"),
    st.Page("views/hidden_rules.py", title="Hidden rules", icon="🔓"),
    st.Page("views/policy_editor.py", title="Policy editor", icon="✏️"),
    st.Page("views/lessons.py", title="Lessons", icon="🎓"),
    st.Page("views/own.py", title="Audit your own model", icon="📤"),
    st.Page("views/donations.py", title="Audit from donations", icon="🗳️"),
    st.Page("views/about.py", title="About", icon="ℹ️"),
]

st.navigation(PAGES, expanded=True).run()  # every page listed, none behind "View more"
