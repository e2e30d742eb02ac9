"""The person picker: by id, by searching with filters, or "someone like me"."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sesame_audit.app.state import audit_k
from sesame_audit.model.core import units
from sesame_audit.model.core.roles import BELOW_ALL_TIERS, Roles
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.person.finder import FinderError, find_people, nearest_person
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.stored import profiles

MODES = ("By id", "Search with filters", "Someone like me")
ANY = "(any)"


def _options(run: Run, column: str) -> list[str]:
    return [str(v) for v in profiles(run)[column].values]


def _by_id(run: Run) -> str:
    first = str(run.first_id())
    label = run.roles.label(run.roles.id)
    label = label if label.lower().endswith("id") else f"{label} id"  # not "applicant_id id"
    return st.text_input(escape_markdown(label), value=first,
                         key="person_id",
                         help="The identifier in the run's table.").strip()


def _search(run: Run) -> str | None:
    roles = run.roles
    cols = st.columns(3)
    attribute = cols[0].selectbox("Attribute", [None, *roles.sensitive, *roles.categorical],
                                  format_func=lambda c: ANY if c is None else roles.label(c),
                                  key="search_column")
    value = (cols[1].selectbox("Value", _options(run, attribute), key="search_value")
             if attribute is not None else None)
    tiers = [None, BELOW_ALL_TIERS, *roles.tier_names]
    tier = cols[2].selectbox("Highest tier reached", tiers, key="search_tier",
                             format_func=lambda t: ANY if t is None else t.replace("_", " "))
    where = {attribute: value} if attribute is not None else None
    k = audit_k()
    matches, n = find_people(run, where=where, tier=tier, limit=200, k=k)
    if n is None:
        st.info(f"Fewer than {k} people match, or the number would give away such a group: "
                "nobody is listed.")
        return None
    if matches.empty:
        st.info("Nobody matches these filters.")
        return None
    st.caption(f"{n:,} people match; the first {len(matches):,} are listed.")
    return str(st.selectbox("Person", matches[roles.id].tolist(), key="search_pick",
                            format_func=lambda p: _describe(matches, roles, p)))


def _describe(matches: Any, roles: Roles, person: Any) -> str:
    row = matches[matches[roles.id] == person].iloc[0]
    return (f"{person}: score {units.format_value(row['score'], roles)}, "
            f"{str(row['tier']).replace('_', ' ')}")


def _like_me(run: Run) -> str | None:
    roles = run.roles
    columns = st.multiselect("Attributes to compare", [*roles.inputs, *roles.sensitive],
                             format_func=roles.label, key="like_columns",
                             default=[c for c in roles.sensitive[:1]])
    attributes: dict[str, Any] = {}
    for column in columns:
        seen = profiles(run)[column]
        if seen.categorical:
            attributes[column] = st.selectbox(escape_markdown(roles.label(column)),
                                              seen.categories,
                                              key=f"like_{column}")
        else:
            attributes[column] = st.number_input(escape_markdown(roles.label(column)),
                                                 value=seen.median,
                                                 key=f"like_{column}")
    try:
        person, distance = nearest_person(run, attributes)
    except FinderError as exc:
        st.info(f"Cannot search yet: {escape_markdown(exc)}.")
        return None
    st.caption(f"Nearest person: {escape_markdown(person)} (distance {distance:.2f}; "
               "0 = identical on the attributes given).")
    return str(person)


def pick_person(run: Run) -> str | None:
    """Draw the picker and return the chosen person's id as text, or None.

    Parameters
    ----------
    run : Run
        The loaded run.

    Returns
    -------
    str or None
        The id typed or found; None when a search found nobody.
    """
    mode = st.radio("Find a person", MODES, horizontal=True, key="person_mode")
    if mode == MODES[1]:
        return _search(run)
    if mode == MODES[2]:
        return _like_me(run)
    return _by_id(run)
