"""Cached loaders of the Outcomes page (``key`` is ``run.key``, the hash of the run's files)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sesame_audit.model.audit.classifier_views import confusion, cutoff_sweep, require_outcomes
from sesame_audit.model.audit.error_rates import error_rate_table, outcome_views
from sesame_audit.model.figures.groups import Attribute
from sesame_audit.model.runs.run import Run


@st.cache_data(max_entries=16, show_spinner="Comparing decisions with outcomes…")
def views(_run: Run, key: str, k: int) -> dict:
    """AUC, ROC and the confusion matrix at the run's cutoff (see ``outcome_views``)."""
    del key
    return outcome_views(_run, k=k)[1]


@st.cache_data(max_entries=64, show_spinner=False)
def at_cutoff(_run: Run, key: str, cutoff: float, k: int) -> dict:
    """The confusion matrix and its rates at one cutoff (see ``confusion``)."""
    del key
    return confusion(require_outcomes(_run, k=k), cutoff, k=k)


@st.cache_data(max_entries=64, show_spinner="Computing error rates by group…")
def error_rates(_run: Run, key: str, attribute: Attribute, cutoff: float, k: int
                ) -> pd.DataFrame:
    """Error rates by group at one cutoff (see ``error_rate_table``)."""
    del key
    return error_rate_table(_run, attribute, k=k, cutoff=cutoff)


@st.cache_data(max_entries=32, show_spinner="Moving the cutoff…")
def sweep(_run: Run, key: str, attribute: Attribute, k: int
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracy and impact ratios over the cutoff grid (see ``cutoff_sweep``)."""
    del key
    return cutoff_sweep(_run, attribute, k=k)
