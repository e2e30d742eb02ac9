"""What if the rules were different? Edit a run's policy, rebuild it small, compare the runs.

The edited run always goes to a new folder whose name carries a digest of the edited
policy, so the run it was edited from is never overwritten; rebuilding the same edit at the
same size and seed reuses the folder (same seed, same bytes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from sesame_audit.datasets.policy import Friends, Policy, PolicyError, policy_to_toml, validate
from sesame_audit.model.audit.fairness import tier_table
from sesame_audit.model.build.builder import Progress, build_run
from sesame_audit.model.figures.drivers import mean_abs_shap
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.destination import run_path
from sesame_audit.model.runs.run import POLICY, Run, RunError
from sesame_audit.model.runs.store import read_manifest, runs_root

EDITOR_MIN_N = 2_000
EDITOR_MAX_N = 20_000
BIN_POINTS = 25.0


def edit_policy(policy: Policy, *, weights: Mapping[str, float] | None = None,
                enabled: Mapping[str, bool] | None = None,
                friends_weight: float | None = None, name: str | None = None) -> Policy:
    """Return a copy of a policy with weights changed and terms switched on or off.

    Parameters
    ----------
    policy : Policy
        The policy to edit.
    weights : mapping, optional
        Feature -> new weight in points.
    enabled : mapping, optional
        Feature -> whether its term is on.
    friends_weight : float, optional
        New weight of the friends' mean score.
    name : str, optional
        Name of the edited policy; defaults to ``<name>-edited`` when anything changed.

    Returns
    -------
    Policy
        The edited, validated policy (equal to ``policy`` when nothing changed).

    Raises
    ------
    PolicyError
        For a feature no term reads, or an edit that breaks the policy's rules (a weight
        beyond the score range, a friends' weight without a fixed point), naming it.
    """
    edited = policy
    for feature, weight in (weights or {}).items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) \
                or not np.isfinite(weight) or abs(weight) > 1000:
            raise PolicyError(f"term ({feature}): weight {weight!r} must be a number between "
                              "-1000 and 1000 points")
        edited = edited.with_term(feature, weight=float(weight))
    for feature, on in (enabled or {}).items():
        edited = edited.with_term(feature, enabled=bool(on))
    if friends_weight is not None:
        edited = replace(edited, friends=Friends(float(friends_weight), policy.friends.pivot))
    if not edited.active_terms:
        raise PolicyError("every term is switched off: a policy needs at least one rule")
    validate(edited)
    if edited != policy:
        edited = replace(edited, name=name or f"{policy.name.removesuffix('-edited')}-edited")
    return edited


def check_population_size(n: object) -> int:
    """Check the population size of an edited run.

    Parameters
    ----------
    n : object
        Requested number of people.

    Returns
    -------
    int
        ``n`` as an int.

    Raises
    ------
    ValueError
        When ``n`` is not an integer between ``EDITOR_MIN_N`` and ``EDITOR_MAX_N``.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise ValueError(f"the number of people must be a whole number, got {n!r}")
    if not EDITOR_MIN_N <= n <= EDITOR_MAX_N:
        raise ValueError(f"the number of people must be between {EDITOR_MIN_N:,} and "
                         f"{EDITOR_MAX_N:,} for a quick rebuild, got {n:,}")
    return int(n)


def edited_run_path(policy: Policy, n: int, seed: int, *, root: Path | None = None) -> Path:
    """Return the folder of an edited run: ``<name>-<digest>-n<N>-s<seed>``.

    Parameters
    ----------
    policy : Policy
        The edited policy.
    n, seed : int
        Size and seed.
    root : pathlib.Path, optional
        Runs folder; defaults to :func:`runs.store.runs_root`.

    Returns
    -------
    pathlib.Path
        A folder name no preset run uses, the same for the same edit.

    Raises
    ------
    DestinationError
        When the policy's name is not a plain slug (see :func:`runs.destination.run_path`).
    """
    digest = hashlib.sha256(policy_to_toml(policy).encode()).hexdigest()[:8]
    return run_path(f"{policy.name}-{digest}-n{n}-s{seed}", root or runs_root())


def rebuild(policy: Policy, n: int, seed: int = 0, *, root: Path | None = None,
            progress: Progress | None = None) -> Path:
    """Build (or reuse) the run of an edited policy in a new folder.

    Parameters
    ----------
    policy : Policy
        The edited policy.
    n : int
        People, checked by :func:`check_population_size`.
    seed : int
        Seed.
    root : pathlib.Path, optional
        Runs folder.
    progress : callable, optional
        ``progress(step, fraction)``, passed to :func:`build.builder.build_run`.

    Returns
    -------
    pathlib.Path
        The run folder; an existing folder is reused only when it holds this very policy,
        otherwise a free name is taken, so no run is ever overwritten.
    """
    n = check_population_size(n)
    path = edited_run_path(policy, n, seed, root=root)
    text = policy_to_toml(policy)
    for suffix in range(1, 100):
        candidate = path if suffix == 1 else run_path(f"{path.name}-{suffix}", path.parent)
        if not candidate.exists():
            return build_run(policy, n, seed, candidate, progress=progress)
        try:
            read_manifest(candidate)
            same = (candidate / POLICY).read_text(encoding="utf-8") == text
        except (RunError, OSError):
            same = False
        if same:
            if progress is not None:
                progress("This edit was built before: reusing it", 1.0)
            return candidate
    raise RunError(f"too many runs named {path.name}-*; remove some from {path.parent}")


def _scores(run: Run) -> np.ndarray:
    return np.asarray(run.explanation.prediction, dtype=np.float64)


def compare_scores(runs: Mapping[str, Run], *, width: float = BIN_POINTS) -> pd.DataFrame:
    """Score distributions of several runs on common bins.

    Parameters
    ----------
    runs : mapping
        Name shown -> run.
    width : float
        Bin width in points.

    Returns
    -------
    pandas.DataFrame
        ``run``, ``bin_start``, ``bin_end``, ``count`` and ``share`` (of the run's people)
        of the model's scores, one row per run and bin.
    """
    all_scores = {name: _scores(run) for name, run in runs.items()}
    lo = min(float(s.min()) for s in all_scores.values())
    hi = max(float(s.max()) for s in all_scores.values())
    edges = np.arange(np.floor(lo / width) * width, hi + width, width)
    frames = []
    for name, scores in all_scores.items():
        counts, _ = np.histogram(scores, bins=edges)
        frames.append(pd.DataFrame({"run": name, "bin_start": edges[:-1], "bin_end": edges[1:],
                                    "count": counts, "share": counts / len(scores)}))
    return pd.concat(frames, ignore_index=True)


def compare_tiers(runs: Mapping[str, Run], attribute: str, *, k: int = DEFAULT_K
                  ) -> pd.DataFrame:
    """Share of each group reaching each tier, in several runs (from the fairness audit).

    Parameters
    ----------
    runs : mapping
        Name shown -> run.
    attribute : str
        A column to group people by (a sensitive attribute).
    k : int
        Smallest group shown; hidden groups (see :mod:`figures.suppress`) have no values.

    Returns
    -------
    pandas.DataFrame
        ``run``, ``group``, ``tier``, ``min_score``, ``count``, ``share`` reaching the tier
        by the model's score (:func:`audit.fairness.tier_table`) and ``suppressed``.

    Raises
    ------
    ValueError
        When a run has no column ``attribute``.
    """
    frames = []
    for name, run in runs.items():
        table = tier_table(run, attribute, k=k)
        frames += [pd.DataFrame({"run": name, "group": table["group"], "tier": tier.name,
                                 "min_score": tier.min_score, "count": table["count"],
                                 "share": table[f"share_{tier.name}"],
                                 "suppressed": table["suppressed"]})
                   for tier in run.roles.tiers]
    return pd.concat(frames, ignore_index=True)


def compare_drivers(runs: Mapping[str, Run]) -> pd.DataFrame:
    """Mean absolute SHAP value of every input, in several runs.

    Parameters
    ----------
    runs : mapping
        Name shown -> run.

    Returns
    -------
    pandas.DataFrame
        ``run``, ``feature``, ``label`` and ``mean_abs_shap_points``, one row per run and
        input, largest first within each run.
    """
    frames = []
    for name, run in runs.items():
        mass = mean_abs_shap(run.explanation.values)
        frames.append(pd.DataFrame({"run": name, "feature": mass.index,
                                    "label": [run.roles.label(f) for f in mass.index],
                                    "mean_abs_shap_points": mass.to_numpy()})
                      .sort_values("mean_abs_shap_points", ascending=False))
    return pd.concat(frames, ignore_index=True)
