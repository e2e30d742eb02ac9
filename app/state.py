"""Cached loaders and the run the dashboard shows: the only place pages get data from.

The run and its model are cached as resources; frames derived from a run are cached as
data keyed on ``run.key`` (a hash of the run's files), so switching person or feature never
recomputes population-wide results. The modules behind building, explaining and auditing
are imported by the loaders that need them, so that the Overview opens without them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from sesame_audit.app.deployment import one_build, require_settings, session_folder, write_root
from sesame_audit.app.run_banner import show_run
from sesame_audit.datasets.policy import PRESETS
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.figures.dependence import dependence_data
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.destination import run_path
from sesame_audit.model.runs.run import Run, RunError
from sesame_audit.model.runs.store import list_runs, load_run, read_manifest, runs_root

if TYPE_CHECKING:
    from sesame_audit.model.course.fidelity import FidelityReport
    from sesame_audit.model.course.lessons import Lesson
    from sesame_audit.model.person.explained import PersonExplanation
    from sesame_audit.model.person.recourse import Recourse

DEFAULT_RUN = "social-credit-n20000-s0"
RUN_KEY = "run_name"
NEXT_RUN_KEY = "run_name_next"
PICKER_KEY = "run_picker"
URL_RUN_KEY = "run_name_in_address"
QUERY_RUN = "run"
# Session-state keys of choices that belong to one run (people, edits, filters, reports).
RUN_BOUND = ("person_", "search_", "like_", "wi_", "ego_", "recourse_", "fair_", "friends_",
             "proxy_", "flip_", "minimise_", "joint_", "dep_", "fidelity_", "edit_", "on_",
             "w_", "unfriend_", "lessons_", "own_report", "own_download", "outcomes_")
_LINK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,59}")
BUILD_N = 5_000


@st.cache_resource(max_entries=4, show_spinner="Loading the run…")
def _load(path: str, files_key: str) -> Run:
    """Load a run once per process; ``files_key`` changes whenever the run's files do."""
    del files_key
    return load_run(Path(path))


def _files_key(path: Path, manifest: dict[str, Any]) -> str:
    """The manifest's hashes plus each file's size and modification time."""
    parts = []
    for name, digest in sorted(manifest["files"].items()):
        stat = (path / name).stat() if (path / name).is_file() else None
        parts.append(f"{name}:{digest}:{stat and (stat.st_size, stat.st_mtime_ns)}")
    return "|".join(parts)


def available_runs() -> list[str]:
    """Names of the run folders under the runs folder, then of this session's own runs.

    In deployment mode a session's imports and builds live in its scratch folder (see
    :func:`app.deployment.session_folder`); no other session lists them.
    """
    names = [p.name for p in list_runs()]
    own = session_folder()
    return names + [p.name for p in list_runs(own) if p.name not in names] if own else names


def listed_run_path(name: str) -> Path:
    """The folder of a run listed by :func:`available_runs`."""
    own = session_folder()
    shared = runs_root() / name
    if own is not None and not (shared / "manifest.json").is_file():
        return own / name
    return shared


def missing_presets() -> list[str]:
    """Preset scenarios with no run folder yet."""
    names = available_runs()
    return [p for p in PRESETS if not any(n.startswith(f"{p}-n") for n in names)]


def offer_build(container: Any = None) -> None:
    """Offer to build a missing preset at a small size, with a progress bar.

    Parameters
    ----------
    container : streamlit container, optional
        Where to draw (the sidebar by default).
    """
    where = container or st.sidebar
    missing = missing_presets()
    if not missing:
        return
    box = where.expander("Build a missing scenario", expanded=container is not None)
    preset = box.selectbox("Scenario", missing, key="build_preset")
    if box.button(f"Build {preset} ({BUILD_N:,} people, about a minute)", key="build_go"):
        from sesame_audit.model.build.builder import build_run

        with one_build() as free:
            if not free:
                box.warning("A build is already running in this session.")
                return
            bar = box.progress(0.0, text="Starting…")
            name = f"{preset}-n{BUILD_N}-s0"
            try:
                build_run(preset, BUILD_N, 0, run_path(name, write_root()),
                          progress=lambda step, done: bar.progress(min(done, 1.0), text=step))
            except (ValueError, OSError) as exc:
                box.error(f"The build failed and nothing was stored: {exc}")
                return
        st.session_state[NEXT_RUN_KEY] = name
        st.rerun()


def _forget_run_choices() -> None:
    """Forget what belonged to the previous run: person, what-if edits, filters, reports."""
    for key in [k for k in st.session_state if str(k).startswith(RUN_BOUND)]:
        del st.session_state[key]


def choose_run(name: str) -> None:
    """Make ``name`` the run every page shows until the user chooses another.

    The choice is kept in a plain session-state key (a widget's own key is dropped when its
    page is not drawn) and written to the ``?run=`` query parameter, so the address can be
    shared. Switching forgets the person, edits and filters chosen on the previous run.

    Parameters
    ----------
    name : str
        A run folder's name.
    """
    if st.session_state.get(RUN_KEY) != name:
        _forget_run_choices()
    st.session_state[RUN_KEY] = name
    st.session_state[URL_RUN_KEY] = name
    if st.query_params.get(QUERY_RUN) != name:
        st.query_params[QUERY_RUN] = name


def _picked() -> None:
    choose_run(st.session_state[PICKER_KEY])


def _run_in_address(names: list[str]) -> None:
    """Follow a ``?run=`` the dashboard did not write itself (a link), or say why not."""
    asked = st.query_params.get(QUERY_RUN)
    if asked is None or asked == st.session_state.get(URL_RUN_KEY):
        return
    if asked in names:
        choose_run(asked)
        return
    st.session_state[URL_RUN_KEY] = asked
    named = f"`{asked}`" if _LINK_NAME.fullmatch(asked) else "a name that is not a run name"
    st.warning(f"The address asks for run {named}, which is not in the runs folder; "
               "showing the default run instead.")
    choose_run(DEFAULT_RUN if DEFAULT_RUN in names else names[0])


def select_run() -> Run | None:
    """Draw the run picker in the sidebar and the chosen run's identity; return the run.

    The run chosen (in the picker, by a ``?run=`` link, by a build or an import) stays
    chosen on every page until the user chooses another.

    Returns
    -------
    Run or None
        The loaded run; None when there is none or it cannot be loaded (the reason shown).
    """
    names = available_runs()
    if not names:
        where = "" if require_settings().on else f" in {escape_markdown(runs_root())}"
        st.info(f"No run has been built yet{where}. Build the default one with "
                "`make run`, or `sesame-audit build --policy social-credit --n 20000`, "
                "or build a small one here.")
        offer_build(st.container())
        return None
    pending = st.session_state.pop(NEXT_RUN_KEY, None)
    if pending in names:
        choose_run(pending)
    _run_in_address(names)
    if st.session_state.get(RUN_KEY) not in names:
        choose_run(DEFAULT_RUN if DEFAULT_RUN in names else names[0])
    name = st.session_state[RUN_KEY]
    choose_run(name)  # the address loses ?run= when the user moves to another page
    st.session_state[PICKER_KEY] = name
    st.sidebar.selectbox("Run (scenario)", names, key=PICKER_KEY, on_change=_picked,
                         help="Each run is a population scored by one set of hidden "
                              "rules, or a model you imported. Build more with "
                              "`sesame-audit build`.")
    offer_build()
    path = listed_run_path(name)
    try:
        manifest = read_manifest(path)
        run = _load(str(path), _files_key(path, manifest))
    except RunError as exc:
        st.error(f"This run cannot be loaded: {escape_markdown(exc)}")
        return None
    show_run(run)
    return run


@st.cache_data(max_entries=8, show_spinner=False)
def influence(key: str, _run: Run) -> pd.DataFrame:
    """Mean |SHAP| and mean SHAP by feature (stored with the run, cached per run)."""
    return stored.influence(_run)[0]


@st.cache_data(max_entries=8, show_spinner=False)
def privacy_influence(key: str, _run: Run) -> pd.DataFrame:
    """Mean |SHAP| by privacy category (stored with the run, cached per run)."""
    return stored.influence(_run)[1]


@st.cache_data(max_entries=8, show_spinner="Drawing people…")
def beeswarm(key: str, _run: Run) -> tuple[pd.DataFrame, int]:
    """Beeswarm points of a sample of people (stored with the run, cached per run)."""
    return stored.beeswarm(_run)


@st.cache_data(max_entries=64, show_spinner=False)
def dependence(key: str, feature: str, colour: str | None, k: int,
               _run: Run) -> tuple[pd.DataFrame, int]:
    """Dependence points of one feature, grouped by ``colour``, from the run's stored sample."""
    people, values = stored.sample(_run)
    return dependence_data(values, people, _run.roles, feature, colour, k=k)


@st.cache_data(max_entries=8, show_spinner=False)
def score_spread(key: str, _run: Run) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Score histogram, tiers reached and the group below every tier (stored with the run)."""
    return stored.score_spread(_run)


@st.cache_data(max_entries=256, show_spinner="Asking the model…")
def edited(key: str, person: str, edits: tuple[tuple[str, Any], ...],
           _run: Run) -> PersonExplanation:
    """What-if explanation of a person with some inputs edited (cached per edit)."""
    from sesame_audit.model.person.explained import what_if

    return what_if(_run, person, dict(edits))


# --- audit loaders: cached per run (``key`` is ``run.key``, the hash of the run's files) ---

@st.cache_data(max_entries=64, show_spinner="Comparing groups…")
def fairness_tables(_run: Run, key: str, attribute: str | tuple[str, str], k: int
                    ) -> dict[str, object]:
    """Tier access by group, impact ratios, score distribution and the suppression note."""
    from sesame_audit.model.audit.fairness import (
        demographic_parity,
        impact_ratios,
        score_distribution,
        tier_table_with_suppression,
    )

    del key
    table, hidden = tier_table_with_suppression(_run, attribute, k=k)
    return {"table": table, "ratios": impact_ratios(_run, attribute, k=k),
            "parity": demographic_parity(_run, attribute, k=k),
            "distribution": score_distribution(_run, attribute, k=k), "note": hidden.note()}


@st.cache_data(max_entries=8, show_spinner="Measuring how well each input predicts each "
                                            "sensitive attribute…")
def proxy_strength_table(_run: Run, key: str) -> object:
    """The proxy ranking of a run."""
    from sesame_audit.model.audit.proxies import proxy_strength

    del key
    return proxy_strength(_run)


@st.cache_data(max_entries=8, show_spinner="Looking for sensitive attributes read directly…")
def direct_use_table(_run: Run, key: str) -> object:
    """The sensitive attributes a run's model reads directly (see ``proxies.direct_use``)."""
    from sesame_audit.model.audit.proxies import direct_use

    del key
    return direct_use(_run)


@st.cache_data(max_entries=32, show_spinner="Following the score through the proxies…")
def proxy_audit(_run: Run, key: str, attribute: str, threshold: float, k: int
                ) -> dict[str, object]:
    """Score through proxies and the unawareness gap of one attribute."""
    from sesame_audit.model.audit.unawareness import score_through_proxies, unawareness_gap

    strength = proxy_strength_table(_run, key)
    return {"points": score_through_proxies(_run, attribute, threshold=threshold, k=k,
                                            strength=strength),
            "gap": unawareness_gap(_run, attribute, threshold=threshold, k=k,
                                   strength=strength, through=carriers_table(_run, key))}


@st.cache_data(max_entries=8, show_spinner=False)
def carriers_table(_run: Run, key: str) -> dict[str, list[str]]:
    """The inputs through which the model reads each sensitive attribute (once per run)."""
    from sesame_audit.model.figures.same_information import carriers

    del key
    return carriers(_run.people, _run.roles)


@st.cache_data(max_entries=32, show_spinner="Re-scoring everyone…")
def flip_result(_run: Run, key: str, feature: str, attribute: str, k: int) -> object:
    """The flip test of one input for one attribute."""
    from sesame_audit.model.audit.counterfactuals import flip_test

    del key
    return flip_test(_run, feature, attribute, k=k)


@st.cache_data(max_entries=8, show_spinner="Predicting each attribute from all inputs…")
def joint_strength_table(_run: Run, key: str) -> object:
    """How well all inputs together predict each sensitive attribute."""
    from sesame_audit.model.audit.proxies import joint_strength

    del key
    return joint_strength(_run)


@st.cache_data(max_entries=16, show_spinner="Retraining the score without the chosen data…")
def minimised(_run: Run, key: str, drop: tuple[str, ...], k: int) -> object:
    """The data-minimisation test."""
    from sesame_audit.model.audit.counterfactuals import minimise

    del key
    return minimise(_run, list(drop), k=k)


@st.cache_data(max_entries=16, show_spinner="Working out what unfriending would pay…")
def friends_audit(_run: Run, key: str, attribute: str, k: int) -> dict[str, object]:
    """Points from friends and the unfriending incentive by group."""
    from sesame_audit.model.audit.network import friends_by_group, unfriend_incentive

    del key
    return {"points": friends_by_group(_run, attribute, k=k),
            "incentive": unfriend_incentive(_run, attribute, k=k)}


AUDIT_K_KEY = "audit_k_chosen"
_K_WIDGET_KEY = "audit_k"


def _remember_k() -> None:
    st.session_state[AUDIT_K_KEY] = st.session_state[_K_WIDGET_KEY]


def current_k() -> int:
    """The small-group threshold chosen in the sidebar, without drawing it again."""
    floor = require_settings().min_k
    return max(floor, int(st.session_state.get(AUDIT_K_KEY, max(DEFAULT_K, floor))))


def audit_k() -> int:
    """Draw the small-group threshold in the sidebar and return it.

    Every page that shows a figure about a group calls it; the choice is kept in session
    state under ``AUDIT_K_KEY``, so it holds on every page until changed. In deployment
    mode it cannot go below the operator's ``SESAME_MIN_K``.
    """
    floor = require_settings().min_k
    chosen = max(floor, int(st.session_state.get(AUDIT_K_KEY, max(DEFAULT_K, floor))))
    st.session_state[AUDIT_K_KEY] = chosen
    st.session_state[_K_WIDGET_KEY] = chosen
    return max(floor, int(st.sidebar.number_input(
        "Smallest group shown (k)", min_value=floor, max_value=10_000, step=1,
        key=_K_WIDGET_KEY, on_change=_remember_k,
        help="Groups with fewer people are hidden in every chart, table and download, "
             "so that no one can be singled out.")))


# Course pages: fidelity to the hidden rules, recourse, runs rebuilt by the policy editor.

@st.cache_data(max_entries=8, show_spinner="Checking the explanations against the hidden rules…")
def fidelity_of(_run: Run, run_key: str) -> FidelityReport:
    """The run's fidelity report, computed once per run (``run_key`` is ``run.key``)."""
    from sesame_audit.model.course.fidelity import fidelity_report

    del run_key
    return fidelity_report(_run)


@st.cache_data(max_entries=8, show_spinner="Searching what people below each tier could do…")
def recourse_of(_run: Run, run_key: str, sample: int) -> pd.DataFrame:
    """Recourse to every tier for a sample of people (see ``person.recourse``)."""
    from sesame_audit.model.audit.recourse_burden import recourse_sample

    del run_key
    return recourse_sample(_run, sample=sample)


def load_folder(path: str | Path) -> Run | None:
    """Load a run folder by path (e.g. one the policy editor built), or None with a message."""
    folder = Path(path).resolve()
    try:
        return _load(str(folder), _files_key(folder, read_manifest(folder)))
    except RunError as exc:
        st.error(f"This run cannot be loaded: {escape_markdown(exc)}")
        return None


@st.cache_data(max_entries=8, show_spinner="Working out the lessons' answers from this run…")
def lessons_of(_run: Run, run_key: str, _other: Run | None, other_key: str, k: int
               ) -> list[Lesson]:
    """The first five lessons for a run and, when built, its paired preset's run.

    The audit modules behind the lessons (proxies, fairness, network) load here, when the
    Lessons page first asks, so that other pages start without them.
    """
    from sesame_audit.model.course.lessons import lessons

    del run_key, other_key
    return lessons(_run, other=_other, k=k)


@st.cache_data(max_entries=256, show_spinner="Searching what this person could change…")
def person_recourse(_run: Run, run_key: str, person: str) -> Recourse:
    """Recourse of one person to the next tier (see ``person.recourse.find_recourse``)."""
    from sesame_audit.model.person.recourse import find_recourse

    del run_key
    return find_recourse(_run, person)
