"""Teacher mode: the hidden rules stay hidden until a teacher reveals them in the sidebar.

In deployment mode (see :mod:`app.deployment`) the toggle opens only after the operator's
passphrase (Streamlit secret ``teacher_passphrase``) is typed; without one, Teacher mode is
unavailable.
"""

from __future__ import annotations

import streamlit as st

from sesame_audit.app.deployment import passphrase, passphrase_matches, require_settings

TEACHER_KEY = "teacher_mode"
UNLOCKED_KEY = "teacher_unlocked"
_TOGGLE_KEY = "teacher_toggle"
PASSPHRASE_KEY = "teacher_passphrase_typed"
LABEL = "Teacher mode: reveal the hidden rules"
HOW_TO_REVEAL = ("The hidden rules stay hidden so that a class can first audit the score "
                 "blind, from its explanations alone. A teacher reveals them by switching on "
                 "**Teacher mode: reveal the hidden rules** in the sidebar.")


def _remember() -> None:
    st.session_state[TEACHER_KEY] = st.session_state[_TOGGLE_KEY]


def _unlocked() -> bool:
    """In deployment mode, ask for the passphrase until it is given; elsewhere, True."""
    if not require_settings().on or st.session_state.get(UNLOCKED_KEY):
        return True
    expected = passphrase()
    if expected is None:
        st.sidebar.caption("Teacher mode is not available here: the operator has set no "
                           "teacher passphrase.")
        return False
    typed = st.sidebar.text_input("Teacher passphrase", type="password", key=PASSPHRASE_KEY,
                                  help="Teachers get it from whoever runs this dashboard.")
    if typed and passphrase_matches(typed, expected):
        st.session_state[UNLOCKED_KEY] = True
        return True
    if typed:
        st.sidebar.error("Wrong passphrase: Teacher mode stays locked.")
    return False


def teacher_mode() -> bool:
    """Draw the teacher-mode toggle in the sidebar and return whether it is on.

    The choice is kept in session state under ``TEACHER_KEY``, so it survives moving
    between pages; it is off when a session starts. In deployment mode the toggle stays
    disabled (and off) until the teacher passphrase has been typed in this session.

    Returns
    -------
    bool
        Whether the hidden rules may be shown.
    """
    if not _unlocked():
        st.session_state[TEACHER_KEY] = False
        st.sidebar.toggle(LABEL, value=False, disabled=True, key=_TOGGLE_KEY)
        return False
    st.session_state[_TOGGLE_KEY] = st.session_state.get(TEACHER_KEY, False)
    return st.sidebar.toggle(LABEL, key=_TOGGLE_KEY, on_change=_remember,
                             help="Off by default, so that a class audits the score blind "
                                  "before seeing the rules.")
