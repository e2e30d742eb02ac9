"""The dashboard's terms, one line each: shown on About and as help where a term appears.

Every page that first uses a term passes :func:`explain` as the ``help=`` of its widget or
metric, and links to the glossary on About with :func:`glossary_link`.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

ABOUT_PAGE = "views/about.py"
GLOSSARY: dict[str, str] = {
    "impact ratio": "A group's share reaching a tier divided by the reference group's share "
                    "(1 = as often, 0.5 = half as often).",
    "four-fifths rule": "A rule of thumb from US employment law: an impact ratio under 0.8 "
                        "(four fifths) suggests adverse impact.",
    "95% interval": "The range the figure would fall in 95 times out of 100 with another "
                    "sample of the same size; wide when the group is small.",
    "AUC": "How well one thing ranks another: 0.5 is a coin toss, 1 a sure guess (the chance "
           "a member of a group is ranked above a non-member).",
    "SHAP": "How much each input pushed one person's score up or down from the average score; "
            "the pushes add up to the score exactly (approximately when the run says it was "
            "explained by permutation).",
    "R²": "The share of the score's variation the model reproduces: 1 = all of it, 0 = no "
          "better than the average.",
    "log-odds": "A probability p written as log(p / (1 - p)): 0 is 50%, +1 about 73%, -1 "
                "about 27%.",
    "unawareness": "Fairness through unawareness: leaving a sensitive attribute out of the "
                   "model; gaps can remain through inputs that stand in for it.",
    "flip test": "Give everyone the same value of one input, re-score them and see whether "
                 "the gap between groups closes.",
    "proxy": "An input that reveals a sensitive attribute on its own (here: an AUC of at "
             "least 0.7 for it), such as a district standing in for ethnicity.",
    "reference group": "The most favoured group with at least max(k, 30) people, whose share "
                       "every impact ratio divides by.",
    "k (smallest group shown)": "Groups with fewer people are hidden everywhere, and so is "
                                "any group that could be worked out from the totals.",
}


def explain(term: str) -> str:
    """Return a term's one-line explanation, for a ``help=`` tooltip.

    Parameters
    ----------
    term : str
        A key of :data:`GLOSSARY`.

    Returns
    -------
    str
        The explanation, followed by where the glossary is.
    """
    return f"{term}: {GLOSSARY[term]} (All terms: About, Glossary.)"


def glossary_link() -> None:
    """Draw a link to the glossary on the About page."""
    try:
        st.page_link(ABOUT_PAGE, label="What the terms mean (glossary)", icon="📖")
    except StreamlitAPIException:  # a page run on its own, outside the navigation
        st.caption("What the terms mean: the glossary on the About page.")


def show_glossary() -> None:
    """Draw the glossary: every term in bold with its one line, as a list."""
    st.header("Glossary", anchor="glossary")
    st.markdown("\n".join(f"- **{term}**: {text}" for term, text in GLOSSARY.items()))
