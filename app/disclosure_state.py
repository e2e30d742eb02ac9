"""Cached loaders of what a score shown in public gives away (Disclosure and Person pages).

``key`` is ``run.key``, the hash of the run's files.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sesame_audit.model.runs.run import Run


@st.cache_data(max_entries=8, show_spinner="Measuring what the shown score gives away…")
def disclosure_of(_run: Run, key: str, k: int) -> dict[str, dict[str, dict[str, float]]]:
    """How well each view of the score reveals each sensitive attribute (JSON-ready)."""
    from sesame_audit.model.audit.disclosure import attribute_disclosure

    del key
    return {a: {v: f.to_dict() for v, f in views.items()}
            for a, views in attribute_disclosure(_run, k=k).items()}


@st.cache_data(max_entries=32, show_spinner=False)
def disclosure_bands(_run: Run, key: str, attribute: str, k: int) -> pd.DataFrame:
    """Share of each group among the people showing each score band."""
    from sesame_audit.model.person.shown_score import band_table

    del key
    return band_table(_run, attribute, k=k)


@st.cache_data(max_entries=8, show_spinner="Comparing the score with each input…")
def disclosure_inputs(_run: Run, key: str) -> pd.DataFrame:
    """How much the shown score narrows each numeric input."""
    from sesame_audit.model.audit.disclosure import narrowing

    del key
    return narrowing(_run)


@st.cache_data(max_entries=256, show_spinner=False)
def shown_score_sentences(_run: Run, key: str, person: str, k: int) -> list[str]:
    """What one person's shown score tells others, in sentences."""
    from sesame_audit.model.person.shown_score import person_sentences

    del key
    return person_sentences(_run, person, k=k)

