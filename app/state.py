"""Cached loaders and the run the dashboard shows: the only place pages get data from."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from model.fidelity import FidelityReport, fidelity_report
from model.recourse import recourse_sample
from model.store import Run, RunError, list_runs, load_run, read_manifest, runs_root

if TYPE_CHECKING:
    from model.lessons import Lesson

DEFAULT_RUN = "social-credit-n20000-s0"
RUN_KEY = "run_name"


@st.cache_resource(max_entries=4, show_spinner="Loading the run…")
def _load(path: str, files_key: str) -> Run:
    """Load a run once per process; ``files_key`` changes whenever the run's files do."""
    del files_key
    return load_run(Path(path))


def available_runs() -> list[str]:
    """Names of the run folders under the runs folder."""
    return [p.name for p in list_runs()]


def select_run() -> Run | None:
    """Draw the run picker in the sidebar and return the chosen run, or None with a message.

    Returns
    -------
    Run or None
        The loaded run; None when there is none or it cannot be loaded (the reason shown).
    """
    names = available_runs()
    if not names:
        st.info(f"No run has been built yet in `{runs_root()}`. Build the default one with "
                "`make run`, or `sesame-audit build --policy social-credit --n 20000`.")
        return None
    if st.session_state.get(RUN_KEY) not in names:
        st.session_state[RUN_KEY] = DEFAULT_RUN if DEFAULT_RUN in names else names[0]
    name = st.sidebar.selectbox("Run (scenario)", names, key=RUN_KEY,
                                help="Each run is a population scored by one set of hidden "
                                     "rules. Build more with `sesame-audit build`.")
    path = runs_root() / name
    try:
        manifest = read_manifest(path)
        files_key = "".join(sorted(manifest["files"].values()))
        return _load(str(path), files_key)
    except RunError as exc:
        st.error(f"This run cannot be loaded: {exc}")
        return None


# Course pages: fidelity to the hidden rules, recourse, runs rebuilt by the policy editor.

@st.cache_data(max_entries=8, show_spinner="Checking the explanations against the hidden rules…")
def fidelity_of(_run: Run, run_key: str) -> FidelityReport:
    """The run's fidelity report, computed once per run (``run_key`` is ``run.key``)."""
    del run_key
    return fidelity_report(_run)


@st.cache_data(max_entries=8, show_spinner="Searching what people below each tier could do…")
def recourse_of(_run: Run, run_key: str, sample: int) -> pd.DataFrame:
    """Recourse to every tier for a sample of people (see ``model.recourse``)."""
    del run_key
    return recourse_sample(_run, sample=sample)


def load_folder(path: str | Path) -> Run | None:
    """Load a run folder by path (e.g. one the policy editor built), or None with a message."""
    try:
        manifest = read_manifest(Path(path))
        return _load(str(Path(path).resolve()), "".join(sorted(manifest["files"].values())))
    except RunError as exc:
        st.error(f"This run cannot be loaded: {exc}")
        return None


@st.cache_data(max_entries=8, show_spinner="Working out the lessons' answers from this run…")
def lessons_of(_run: Run, run_key: str, _other: Run | None, other_key: str) -> list[Lesson]:
    """The first five lessons for a run and, when built, its paired preset's run.

    The audit modules behind the lessons (proxies, fairness, network) load here, when the
    Lessons page first asks, so that other pages start without them.
    """
    from model.lessons import lessons

    del run_key, other_key
    return lessons(_run, other=_other)
