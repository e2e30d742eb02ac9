"""The plain sentences that open the Overview, Fairness and Proxies pages.

Each is computed by :mod:`sesame_audit.model.audit.headline` (which ``sesame-audit audit``
and the report call too), cached per run, and shown as text: never as Markdown.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sesame_audit.app.headline_charts import penalty_chart
from sesame_audit.app.run_banner import show_chart
from sesame_audit.model.audit.fairness import CLEAR
from sesame_audit.model.audit.headline import (
    Penalty,
    attribute_words,
    most_penalised,
    penalty_of,
    penalty_sentence,
    proxy_sentence,
)
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.runs.run import Run


@st.cache_data(max_entries=16, show_spinner="Finding who the score penalises…")
def _penalty(_run: Run, key: str, k: int) -> Penalty | None:
    del key
    return penalty_of(_run, k=k)


@st.cache_data(max_entries=16, show_spinner="Following the gaps through the proxies…")
def _proxy_story(_run: Run, key: str, k: int) -> str | None:
    from sesame_audit.app.state import carriers_table, proxy_strength_table
    from sesame_audit.model.audit.unawareness import unawareness_gap

    strength = proxy_strength_table(_run, key)  # the page's cached tables: computed once
    through = carriers_table(_run, key)
    gaps = [unawareness_gap(_run, a, k=k, strength=strength, through=through)
            for a in _run.roles.sensitive if a in _run.columns]
    gaps = [g for g in gaps if g.favoured is not None]
    if not gaps:
        return None
    widest = max(gaps, key=lambda g: (abs(g.proxy_gap), abs(g.gap)))
    return proxy_sentence(widest, _run.roles, _run.roles.labels)


def _lead(sentence: str) -> None:
    """The sentence in bold, escaped (it holds labels from the run)."""
    st.markdown(f"**{escape_markdown(sentence)}**")


def show_penalty(run: Run, k: int) -> None:
    """Open the Overview: who the score penalises, in a sentence and a chart.

    Parameters
    ----------
    run : Run
        The run shown.
    k : int
        Smallest group size shown.
    """
    penalty = _penalty(run, run.key, k)
    sentence = penalty_sentence(penalty, run.roles, run.roles.labels)
    _lead(sentence)
    if penalty is not None:
        show_chart(run, penalty_chart(penalty, run.roles, run.roles.labels, sentence=sentence))
        first = ("Orange: the group the score penalises most clearly" if penalty.finding == CLEAR
                 else "Dark grey: the group nearest to a four-fifths finding (there is no "
                 "clear one)")
        st.caption(f"{first}; blue: the reference group, the most favoured group with enough "
                   "people; black lines: 95% intervals. The Fairness page compares every group "
                   "at every tier.")


def show_fairness_lead(run: Run, ratios: pd.DataFrame, attribute: str | tuple[str, str],
                       k: int) -> None:
    """Open the Fairness page with the most penalised group of the groups compared.

    When the groups compared show no clear finding, the sentence says which attribute it
    is about, and points to the run's clearest finding when another attribute has one (the
    Overview's), so that the page never reads as "no group is disadvantaged" on its own.

    Parameters
    ----------
    run : Run
        The run shown.
    ratios : pandas.DataFrame
        Output of :func:`audit.fairness.impact_ratios` for the groups compared.
    attribute : str or tuple of str
        The attribute compared, or the two of an intersection.
    k : int
        Smallest group size shown.
    """
    penalty = most_penalised(ratios, {t.name: t.min_score for t in run.roles.tiers})
    sentence = penalty_sentence(penalty, run.roles, run.roles.labels)
    if penalty is not None and penalty.finding == CLEAR:
        _lead(sentence)
        return
    columns = attribute if isinstance(attribute, tuple) else (attribute,)
    compared = " and ".join(run.roles.label(c).lower() for c in columns)
    _lead(f"By {compared}: {sentence[0].lower()}{sentence[1:]}")
    overall = _penalty(run, run.key, k)
    if overall is not None and overall.finding == CLEAR and overall.attribute not in columns:
        st.info(f"By {escape_markdown(attribute_words(overall.attribute, run.roles.labels))}, "
                "the score does show a clear four-fifths finding (the one the Overview "
                "opens with): choose it under \"Compare groups by\".")


def show_proxy_lead(run: Run, k: int) -> None:
    """Open the Proxies page with the widest gap carried by stand-ins, in a sentence.

    Parameters
    ----------
    run : Run
        The run shown.
    k : int
        Smallest group size shown.
    """
    sentence = _proxy_story(run, run.key, k)
    if sentence is not None:
        _lead(sentence)
