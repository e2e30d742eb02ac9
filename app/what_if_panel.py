"""The what-if panel: edit several inputs of a person and compare the two explanations."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sesame_audit.app import charts, state
from sesame_audit.app.run_banner import show_chart
from sesame_audit.model.core import units
from sesame_audit.model.core.roles import LOW
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.person.explained import PersonExplanation, WhatIfError
from sesame_audit.model.person.waterfall import compare_explanations, waterfall_data
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.stored import profiles

PREFIX = "wi_"
PERSON_KEY = "wi__person"


def _reset_for(person: str) -> None:
    """Forget the edits of another person."""
    if st.session_state.get(PERSON_KEY) != person:
        for key in [k for k in st.session_state if str(k).startswith(PREFIX)]:
            del st.session_state[key]
        st.session_state[PERSON_KEY] = person


def _edit_widget(run: Run, feature: str, current: Any) -> Any:
    label = escape_markdown(run.roles.label(feature))
    column = profiles(run)[feature]
    if column.categorical:
        options = column.categories
        index = options.index(str(current)) if str(current) in options else 0
        return st.selectbox(label, options, index=index, key=f"{PREFIX}{feature}")
    seen = f"seen: {column.minimum:g} to {column.maximum:g}"
    hint = "a share from 0 to 1" if run.roles.kinds.get(feature) == "share" else seen
    return st.number_input(f"{label} ({hint})", value=float(current), key=f"{PREFIX}{feature}")


def what_if_panel(run: Run, person: PersonExplanation) -> None:
    """Draw the what-if editor and, once something is edited, both explanations side by side.

    Parameters
    ----------
    run : Run
        The loaded run.
    person : PersonExplanation
        The person's original explanation.
    """
    _reset_for(str(person.person))
    roles = run.roles
    choices = [*roles.actionable, *(c for c in roles.inputs if c not in roles.actionable)]
    features = st.multiselect("Inputs to change (the ones a person can act on come first)",
                              choices, format_func=roles.label, key=f"{PREFIX}features")
    edits = {f: _edit_widget(run, f, person.values[f]) for f in features}
    if not edits:
        st.caption("Choose one or more inputs above to see how the score would change.")
        return
    try:
        after = state.edited(run.key, str(person.person), tuple(sorted(edits.items())), run)
    except WhatIfError as exc:
        st.error(f"Cannot ask the model about this edit: {escape_markdown(exc)}")
        return
    before_steps, after_steps = waterfall_data(person, roles), waterfall_data(after, roles)
    domain = charts.waterfall_domain(before_steps, after_steps,
                                     pad=0.8 * units.band_width(roles))
    st.metric("Score after the edit", units.format_value(after.score, roles),
              delta=units.format_change(after.score - person.score, roles),
              delta_color="inverse" if roles.favourable == LOW else "normal")
    left, right = st.columns(2)
    show_chart(run, charts.waterfall_chart(before_steps, title="As recorded", domain=domain,
                                           roles=roles), left)
    show_chart(run, charts.waterfall_chart(after_steps, title="After the edit", domain=domain,
                                           roles=roles), right)
    st.caption("Compare the bar lengths: an edit changes its own feature's push and, through "
               "interactions in the model, sometimes others.")
    with st.expander("Numbers: contributions before and after"):
        st.dataframe(compare_explanations(person, after, roles), hide_index=True,
                     width="stretch")
