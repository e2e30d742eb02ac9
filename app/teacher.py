"""Teacher mode: the hidden rules stay hidden until a teacher reveals them in the sidebar."""

from __future__ import annotations

import streamlit as st

TEACHER_KEY = "teacher_mode"
_TOGGLE_KEY = "teacher_toggle"
HOW_TO_REVEAL = ("The hidden rules stay hidden so that a class can first audit the score "
                 "blind, from its explanations alone. A teacher reveals them by switching on "
                 "**Teacher mode: reveal the hidden rules** in the sidebar.")


def _remember() -> None:
    st.session_state[TEACHER_KEY] = st.session_state[_TOGGLE_KEY]


def teacher_mode() -> bool:
    """Draw the teacher-mode toggle in the sidebar and return whether it is on.

    The choice is kept in session state under ``TEACHER_KEY``, so it survives moving
    between pages; it is off when a session starts.

    Returns
    -------
    bool
        Whether the hidden rules may be shown.
    """
    st.session_state[_TOGGLE_KEY] = st.session_state.get(TEACHER_KEY, False)
    return st.sidebar.toggle("Teacher mode: reveal the hidden rules", key=_TOGGLE_KEY,
                             on_change=_remember,
                             help="Off by default, so that a class audits the score blind "
                                  "before seeing the rules.")
