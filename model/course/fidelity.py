"""Fidelity: do the SHAP values recover the hidden rules' true contributions?

For an additive term g(x_i) of the hidden score, the exact interventional SHAP value of
feature i is g(x_i) - E[g(X_i)]. The model's SHAP value of that feature should track this
centred true contribution; where it does not, the model blends correlated features,
misses part of the rule, or fits noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sesame_audit.datasets.dictionary import TRUE_PREFIX
from sesame_audit.datasets.policy import FRIENDS_FEATURE, Policy, describe_term, parse_policy
from sesame_audit.model.build.fidelity_sums import fidelity_table
from sesame_audit.model.figures.drivers import mean_abs_shap, sample_rows
from sesame_audit.model.runs.stored import accuracy

if TYPE_CHECKING:
    from sesame_audit.model.runs.run import Run

AGREE = 0.95
FULL_SIZE = 0.9
TRACKS, UNDERSTATES, DISAGREES = "tracks the rule", "under-states the rule", "disagrees"
SMALL_SD_POINTS = 2.0
SWAP = -0.5
POINTS_SAMPLE = 3000


class NoHiddenRules(ValueError):
    """A run without hidden rules (e.g. a user's own model): fidelity cannot be measured."""


@dataclass(frozen=True)
class Rule:
    """One hidden rule in plain words."""

    feature: str
    label: str
    text: str
    why: str
    enabled: bool


@dataclass(frozen=True)
class FidelityReport:
    """How well the SHAP values of a run recover its hidden rules, and why not when not.

    Attributes
    ----------
    terms : pandas.DataFrame
        One row per rule: ``feature``, ``label``, ``pearson``, ``slope`` (SHAP points per
        true point), ``true_sd_points``, ``shap_sd_points``, ``rmse_points``, ``verdict``
        (``TRACKS``: Pearson >= ``AGREE`` and slope >= ``FULL_SIZE``; ``UNDERSTATES``: the
        right shape at a smaller size; else ``DISAGREES``), ``agrees`` (verdict is
        ``TRACKS``), ``partner`` and ``partner_corr`` (the input whose SHAP
        error moves most against this rule's: where its credit went), ``diagnosis``.
    unread : pandas.DataFrame
        Inputs no rule reads, with their mean absolute SHAP value in points.
    unread_share : float
        Share of all SHAP mass (mean absolute values) on inputs no rule reads.
    mae_hidden_points : float
        Mean absolute gap between the model and the noise-free hidden score on the held-out
        split (the figure Overview shows; NaN when the build did not measure it).
    noise_sd_points : float
        Noise the policy adds to the published score.
    n : int
        People compared.
    """

    terms: pd.DataFrame
    unread: pd.DataFrame
    unread_share: float
    mae_hidden_points: float
    noise_sd_points: float
    n: int

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready dictionary."""
        return {
            "terms": self.terms.to_dict(orient="records"),
            "unread": self.unread.to_dict(orient="records"),
            "unread_share": self.unread_share,
            "mae_hidden_points": self.mae_hidden_points,
            "noise_sd_points": self.noise_sd_points,
            "n": self.n,
        }


def run_policy(run: Run) -> Policy:
    """Return the hidden rules of a run.

    Parameters
    ----------
    run : Run
        A loaded run.

    Returns
    -------
    Policy
        The policy the run was built with.

    Raises
    ------
    NoHiddenRules
        When the run has no hidden rules (imported from a user's own model).
    """
    if run.policy_text is None:
        raise NoHiddenRules(
            f"{run.path.name} has no hidden rules (it was not generated from a policy), so "
            "there is no ground truth to check the explanations against")
    return parse_policy(run.policy_text, name=str(run.manifest.get("policy", "custom")))


def hidden_rules(run: Run) -> list[Rule]:
    """Return the hidden rules of a run in plain words, friends' weight included.

    Parameters
    ----------
    run : Run
        A loaded run.

    Returns
    -------
    list of Rule
        One per term, then one for the friends' scores when they are weighted.

    Raises
    ------
    NoHiddenRules
        When the run has no hidden rules.
    """
    policy = run_policy(run)
    rules = [Rule(t.feature, run.roles.label(t.feature), describe_term(t), t.why, t.enabled)
             for t in policy.terms]
    if policy.friends.weight:
        w, pivot = policy.friends.weight, policy.friends.pivot
        rules.append(Rule(FRIENDS_FEATURE, run.roles.label(FRIENDS_FEATURE),
                          f"{run.roles.label(FRIENDS_FEATURE)}: {w:g} points per point above "
                          f"{pivot:g} (and minus below it)",
                          "Guilt by association: your friends' scores pull yours.", True))
    return rules


def _truth_columns(run: Run) -> list[str]:
    return [c[len(TRUE_PREFIX):] for c in run.people.columns
            if c.startswith(TRUE_PREFIX) and c[len(TRUE_PREFIX):] in run.explanation.values]


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() < 1e-9 or b.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _verdict(pearson: float, slope: float) -> str:
    if not pearson >= AGREE:
        return DISAGREES
    return TRACKS if slope >= FULL_SIZE else UNDERSTATES


def _diagnosis(row: dict[str, object], partner_label: str, mae: float, shape: str) -> str:
    pearson, sd, slope = row["pearson"], row["true_sd_points"], row["slope"]
    if sd < SMALL_SD_POINTS:
        return (f"The rule barely varies here (sd {sd:.1f} points): too little signal for the "
                "model to learn it apart from noise.")
    if row["partner_corr"] <= SWAP:
        return (f"r = {pearson:.2f}, but the SHAP values carry only {slope:.0%} of the rule's "
                f"swing: part of its effect is credited to {partner_label}, a correlated "
                f"feature (their errors move against each other, r = {row['partner_corr']:.2f}).")
    if row["verdict"] == UNDERSTATES:
        why = ("a step the trees smooth into a ramp, so people near the threshold get part of "
               "it on the wrong side" if shape == "step" else
               "the model shrinks it towards the average (too few or too small trees for its "
               "size, or credit spread over several correlated inputs)")
        return (f"The SHAP values follow the rule's shape (r = {pearson:.2f}) but carry only "
                f"{slope:.0%} of its size: {why}.")
    if row["verdict"] == TRACKS:
        return f"The SHAP values track the rule (r = {pearson:.2f}, slope {slope:.2f})."
    return (f"The model learns this rule only roughly (r = {pearson:.2f}): its own error "
            f"({mae:.1f} points on average against the hidden score) and interactions "
            "between features blur it.")


def fidelity_report(run: Run) -> FidelityReport:
    """Compare every hidden rule with the SHAP values of its feature, with diagnostics.

    Parameters
    ----------
    run : Run
        A loaded run with hidden rules.

    Returns
    -------
    FidelityReport
        Per-rule agreement and the reasons for disagreement, the SHAP mass on inputs no
        rule reads, and the model's error against the hidden score.

    Raises
    ------
    NoHiddenRules
        When the run has no hidden rules or no true contributions.
    """
    policy = run_policy(run)
    features = _truth_columns(run)
    if not features:
        raise NoHiddenRules(f"{run.path.name} stores no true contributions of its rules")
    shapes: dict[str, str] = {}
    for term in policy.terms:  # a feature read by a step anywhere counts as a step
        shapes[term.feature] = "step" if "step" in (shapes.get(term.feature), term.shape) \
            else term.shape
    shap = run.explanation.values.astype(np.float64)
    base = fidelity_table(run.people, shap).set_index("feature")
    gaps = {}
    for feature in shap.columns:
        truth = (run.people[TRUE_PREFIX + feature].to_numpy(dtype=np.float64)
                 if feature in features else np.zeros(len(shap)))
        gaps[feature] = shap[feature].to_numpy() - (truth - truth.mean())
    mae = accuracy(run).get("mae_hidden_points", float("nan"))  # held-out, as on Overview
    rows = []
    for feature in features:
        truth = run.people[TRUE_PREFIX + feature].to_numpy(dtype=np.float64)
        truth = truth - truth.mean()
        s = shap[feature].to_numpy()
        others = {g: _corr(gaps[feature], gap) for g, gap in gaps.items() if g != feature}
        partner = min(others, key=lambda g: np.nan_to_num(others[g], nan=1.0))
        row: dict[str, object] = {
            "feature": feature,
            "label": run.roles.label(feature),
            "pearson": base.loc[feature, "pearson"],
            "slope": float(np.dot(truth, s) / np.dot(truth, truth))
            if truth.std() > 1e-9 else float("nan"),
            "true_sd_points": base.loc[feature, "true_sd_points"],
            "shap_sd_points": base.loc[feature, "shap_sd_points"],
            "rmse_points": base.loc[feature, "rmse_points"],
            "partner": partner,
            "partner_corr": others[partner],
        }
        row["verdict"] = _verdict(float(row["pearson"]), float(row["slope"]))
        row["agrees"] = row["verdict"] == TRACKS
        row["diagnosis"] = _diagnosis(row, run.roles.label(partner), mae,
                                      shapes.get(feature, ""))
        rows.append(row)
    mass = mean_abs_shap(shap)
    unread_features = [f for f in shap.columns if f not in features]
    unread = pd.DataFrame({"feature": unread_features,
                           "label": [run.roles.label(f) for f in unread_features],
                           "mean_abs_shap_points": [float(mass[f]) for f in unread_features]})
    unread = unread.sort_values("mean_abs_shap_points", ascending=False, ignore_index=True)
    total = float(mass.sum())
    return FidelityReport(
        terms=pd.DataFrame(rows),
        unread=unread,
        unread_share=float(mass[unread_features].sum() / total) if total else 0.0,
        mae_hidden_points=mae,
        noise_sd_points=policy.noise,
        n=len(run.people),
    )


def fidelity_points(run: Run, feature: str, *, max_points: int = POINTS_SAMPLE,
                    seed: int = 0) -> pd.DataFrame:
    """Return one point per person (a random sample for large runs): truth against SHAP.

    Parameters
    ----------
    run : Run
        A loaded run with hidden rules.
    feature : str
        A feature some rule reads.
    max_points : int
        Most points returned.
    seed : int
        Seed of the sample.

    Returns
    -------
    pandas.DataFrame
        ``true_points`` (the centred true contribution) and ``shap_points``.

    Raises
    ------
    NoHiddenRules
        When the run has no true contribution for ``feature``.
    """
    if feature not in _truth_columns(run):
        raise NoHiddenRules(f"no hidden rule reads {feature!r} in {run.path.name}")
    truth = run.people[TRUE_PREFIX + feature].to_numpy(dtype=np.float64)
    frame = pd.DataFrame({"true_points": truth - truth.mean(),
                          "shap_points": run.explanation.values[feature].to_numpy(np.float64)})
    return frame.iloc[sample_rows(len(frame), max_points, seed=seed)].reset_index(drop=True)
