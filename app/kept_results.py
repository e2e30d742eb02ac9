"""Results a visitor asked for (a slow measure, a retrained model), kept for the session.

A result computed on a button press used to vanish at the next click. Each is kept in the
session under its run's key, so it shows again on return to the page, and never on another
run. The oldest are dropped beyond :data:`MOST`.
"""

from __future__ import annotations

from collections.abc import Hashable

import streamlit as st

KEPT_KEY = "kept_results"
MOST = 16


def kept(run_key: str, what: Hashable) -> object | None:
    """Return the result kept for ``what`` on the run ``run_key``, or None.

    Parameters
    ----------
    run_key : str
        The run's key (its manifest hash), so a result never shows on another run.
    what : hashable
        What was asked, e.g. ``("retrain", ("phone",))``.

    Returns
    -------
    object or None
        The kept result.
    """
    return st.session_state.get(KEPT_KEY, {}).get((run_key, what))


def keep(run_key: str, what: Hashable, result: object) -> None:
    """Keep ``result`` for ``what`` on the run ``run_key`` for the rest of the session.

    Parameters
    ----------
    run_key : str
        The run's key.
    what : hashable
        What was asked.
    result : object
        The result to show again on return.
    """
    store = st.session_state.setdefault(KEPT_KEY, {})
    store.pop((run_key, what), None)
    store[(run_key, what)] = result
    while len(store) > MOST:
        store.pop(next(iter(store)))


def latest(run_key: str, kind: tuple) -> tuple[tuple, object] | None:
    """Return the most recent ``(what, result)`` whose ``what`` starts with ``kind``, or None.

    Parameters
    ----------
    run_key : str
        The run's key.
    kind : tuple
        The first elements of ``what`` (e.g. ``("retrain", k)``: a result kept at another
        k is not shown).

    Returns
    -------
    tuple or None
        What was asked and its result.
    """
    for (key, what), result in reversed(st.session_state.get(KEPT_KEY, {}).items()):
        if key == run_key and isinstance(what, tuple) and what[:len(kind)] == kind:
            return what, result
    return None
