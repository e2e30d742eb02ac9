"""What the score would be if: the flip test and data minimisation.

Both re-score the population with something changed: the flip test gives everyone the
majority group's most common value of one proxy; data minimisation retrains the score
model without chosen inputs ("is this data needed?"). Each reports how accuracy and the
gaps between groups move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sesame_audit.model.audit.classifier_views import recorded_outcomes
from sesame_audit.model.audit.fairness import tier_table_with_suppression
from sesame_audit.model.audit.proxies import check_sensitive
from sesame_audit.model.build.train import (
    TreeParams,
    fit_outcome_classifier,
    fit_score_model,
)
from sesame_audit.model.core.roles import HIGH, LOG_ODDS, Roles, reaches
from sesame_audit.model.figures.groups import group_labels, group_means
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.scoring import score_rows


@dataclass(frozen=True)
class FlipResult:
    """What the score would be if everyone shared the majority's value of one proxy.

    Attributes
    ----------
    feature, attribute : str
        The proxy changed and the attribute whose groups are compared.
    majority : str
        Largest group of the attribute.
    value : object
        The value given to everyone (the majority's most common category, or its median).
    by_group : pandas.DataFrame
        ``group``, ``count``, ``mean_before``, ``mean_after``, ``change``, ``suppressed``.
    tiers : pandas.DataFrame
        Long: ``group``, ``tier``, ``share_before``, ``share_after``, for groups shown.
    gap_before, gap_after : float
        Highest minus lowest mean score of the groups shown, in points.
    """

    feature: str
    attribute: str
    majority: str
    value: object
    by_group: pd.DataFrame
    tiers: pd.DataFrame
    gap_before: float
    gap_after: float


def flip_test(run: Run, feature: str, attribute: str, *, k: int = DEFAULT_K) -> FlipResult:
    """Give everyone the majority group's usual value of one input and re-score them.

    Parameters
    ----------
    run : Run
        A loaded run; its model re-predicts every person.
    feature : str
        A model input (e.g. a proxy such as the district).
    attribute : str
        A sensitive attribute; its largest group is the majority.
    k : int
        Smallest group size shown.

    Returns
    -------
    FlipResult
        Mean score and tier access by group, before and after.

    Raises
    ------
    ValueError
        When ``feature`` is not a model input or ``attribute`` not a column.
    """
    if feature not in run.roles.inputs:
        raise ValueError(f"{feature!r} is not a model input of this run")
    check_sensitive(run, attribute)
    groups = group_labels(run.people, attribute)
    majority = str(groups.value_counts().idxmax())
    among = run.people.loc[(groups == majority).to_numpy(), feature]
    if feature in run.roles.categorical or not pd.api.types.is_numeric_dtype(among):
        value: object = among.mode(dropna=True).iloc[0]
    else:
        value = float(among.median())
    X = run.people[list(run.roles.inputs)].copy()
    X[feature] = pd.Series([value] * len(X), index=X.index).astype(X[feature].dtype)
    before = pd.Series(np.asarray(run.explanation.prediction, float), index=X.index)
    after = pd.Series(score_rows(run, X), index=X.index)
    table, _ = group_means(pd.DataFrame({"mean_before": before, "mean_after": after}),
                                groups, k=k)
    table.insert(4, "change", table["mean_after"] - table["mean_before"])
    shown = set(table.loc[~table["suppressed"], "group"])
    rows = []
    for spec in run.roles.tiers:
        reached = pd.DataFrame({"b": run.roles.reaches(before, spec.min_score),
                                "a": run.roles.reaches(after, spec.min_score)})
        rates = reached.groupby(groups.to_numpy()).mean()
        rows += [{"group": g, "tier": spec.name, "share_before": float(rates.loc[g, "b"]),
                  "share_after": float(rates.loc[g, "a"])} for g in sorted(shown)]
    shown_table = table[~table["suppressed"]]
    return FlipResult(
        feature=feature, attribute=attribute, majority=majority,
        value=value.item() if isinstance(value, np.generic) else value,
        by_group=table, tiers=pd.DataFrame(rows, columns=["group", "tier", "share_before",
                                                          "share_after"]),
        gap_before=float(shown_table["mean_before"].max() - shown_table["mean_before"].min()),
        gap_after=float(shown_table["mean_after"].max() - shown_table["mean_after"].min()))


@dataclass(frozen=True)
class Minimisation:
    """What dropping some inputs costs in accuracy and changes in group gaps.

    Attributes
    ----------
    dropped : list of str
        Inputs left out of the retrained model.
    accuracy : pandas.DataFrame
        ``metric``, ``before`` and ``after``. For a regressor, ``r2`` and ``mae_points``
        of the run's model (before) and of the retrained one (after), on the same
        held-out split. For a classifier, ``accuracy`` (at the run's cutoff), ``auc`` and
        ``brier``, of boosted trees retrained with every input (before) and without the
        dropped ones (after), both on the same held-out split.
    gaps : pandas.DataFrame
        Per sensitive attribute: ``attribute``, ``gap_before``, ``gap_after`` (highest minus
        lowest mean score of the groups shown, in points), ``worst_ratio_before``,
        ``worst_ratio_after`` (lowest impact ratio at any tier).
    against : str
        What accuracy is measured against: the score (a regressor), the recorded outcomes
        or, for a classifier of a run without outcomes, the run's model's own decisions.
    """

    dropped: list[str]
    accuracy: pd.DataFrame
    gaps: pd.DataFrame
    against: str = "the score"


_MINIMISED: dict[tuple[str, tuple[str, ...], int], Minimisation] = {}
_MINIMISED_MAX = 32


def resolve_drop(run: Run, drop: list[str]) -> list[str]:
    """Return the inputs named by ``drop``: input names and/or privacy categories.

    Parameters
    ----------
    run : Run
        A loaded run.
    drop : list of str
        Input names, or privacy categories (e.g. ``"social graph"``) standing for all their
        inputs.

    Returns
    -------
    list of str
        Inputs to leave out, in the model's order.

    Raises
    ------
    ValueError
        For a name that is neither an input nor a privacy category of an input, or when
        nothing (or everything) would be dropped.
    """
    categories = {run.roles.privacy.get(f) for f in run.roles.inputs}
    chosen: set[str] = set()
    for name in drop:
        if name in run.roles.inputs:
            chosen.add(name)
        elif name in categories:
            chosen |= {f for f in run.roles.inputs if run.roles.privacy.get(f) == name}
        else:
            raise ValueError(f"{name!r} is neither a model input nor a privacy category of "
                             "this run")
    kept = [f for f in run.roles.inputs if f not in chosen]
    if not chosen:
        raise ValueError("choose at least one input or privacy category to drop")
    if not kept:
        raise ValueError("dropping every input leaves nothing to score with")
    return [f for f in run.roles.inputs if f in chosen]


def _gap_row(run: Run, attribute: str, score: np.ndarray, k: int) -> tuple[float, float]:
    table = tier_table_with_suppression(run, attribute, k=k, score=score)[0]
    shown = table[~table["suppressed"]]
    ratios = shown[[c for c in shown.columns if c.startswith("impact_ratio_")]].to_numpy(float)
    worst = float(np.nanmin(ratios)) if np.isfinite(ratios).any() else np.nan
    return float(shown["mean_score"].max() - shown["mean_score"].min()), worst


def _retrain_classifier(run: Run, kept: Roles, seed: int) -> tuple[np.ndarray, pd.DataFrame, str]:
    """Retrain a classifier with every input and without the dropped ones, on one split.

    The label is the recorded outcome, else the run's model's own decision at its cutoff.
    Returns the retrained model's score of everyone in the run's unit, the measures
    before and after, and what they are measured against.
    """
    roles, found = run.roles, recorded_outcomes(run)
    cutoff = roles.tiers[0].min_score
    if roles.unit == LOG_ODDS:
        cutoff = 1.0 / (1.0 + math.exp(-cutoff))
    if found is not None:  # the positive class (stored as 1), whichever is favourable
        label = run.people[roles.target].to_numpy(dtype=float) == 1.0
        against = "the recorded outcomes"
    else:
        # the model's own positive class, whichever end of the score is favourable
        label = reaches(run.explanation.prediction, roles.tiers[0].min_score, HIGH)
        against = "the model's own decisions"
        if label.all() or not label.any():
            raise ValueError("the model makes the same decision for everyone: there is "
                             "nothing to retrain against")
    _, before = fit_outcome_classifier(run.people, roles, label, cutoff=cutoff, seed=seed)
    model, after = fit_outcome_classifier(run.people, kept, label, cutoff=cutoff, seed=seed)
    probability = model.predict_proba(run.people[list(kept.inputs)])[
        :, list(model.classes_).index(True)]
    score = probability
    if roles.unit == LOG_ODDS:
        clipped = np.clip(probability, 1e-12, 1 - 1e-12)
        score = np.log(clipped / (1 - clipped))
    metrics = ["accuracy", "auc", "brier"]
    return score, pd.DataFrame({"metric": metrics, "before": [before[m] for m in metrics],
                                "after": [after[m] for m in metrics]}), against


def minimise(run: Run, drop: list[str], *, k: int = DEFAULT_K) -> Minimisation:
    """Retrain the score model without some inputs: is this data needed?

    The model is refitted with :func:`build.train.fit_score_model` on the same split and
    seed as the run's, then scores everyone; a classifier's is refitted as boosted trees
    classifying the recorded outcome (:func:`build.train.fit_outcome_classifier`), with
    and without the dropped inputs, and measured by accuracy, AUC and Brier score. Results
    are kept in memory per run and choice.

    Parameters
    ----------
    run : Run
        A loaded run.
    drop : list of str
        Inputs and/or privacy categories to leave out.
    k : int
        Smallest group size shown in the gaps.

    Returns
    -------
    Minimisation
        Accuracy and group gaps before and after.
    """
    dropped = resolve_drop(run, drop)
    key = (run.key, tuple(dropped), k)
    if key in _MINIMISED:
        return _MINIMISED[key]
    roles = run.roles
    kept_roles = replace(roles, inputs=tuple(f for f in roles.inputs if f not in dropped),
                         categorical=tuple(c for c in roles.categorical if c not in dropped))
    seed = int(run.manifest.get("seed", 0))
    old_score = np.asarray(run.explanation.prediction, float)
    if roles.task == "classification":
        new_score, measures, against = _retrain_classifier(run, kept_roles, seed)
    else:
        before = run.manifest.get("metrics", {})
        if not {"r2", "mae_points"} <= set(before):
            _, before = fit_score_model(run.people, roles, seed=seed)
        leaves = before.get("max_leaf_nodes")  # the run's own size: compare like with like
        params = TreeParams(max_leaf_nodes=int(leaves)) if leaves else None
        model, after = fit_score_model(run.people, kept_roles, seed=seed, params=params)
        new_score = model.predict(run.people[list(kept_roles.inputs)])
        measures = pd.DataFrame({"metric": ["r2", "mae_points"],
                                 "before": [float(before["r2"]), float(before["mae_points"])],
                                 "after": [float(after["r2"]), float(after["mae_points"])]})
        against = "the score"
    gaps = []
    for attribute in roles.sensitive:
        if attribute in run.people.columns:
            gap_b, worst_b = _gap_row(run, attribute, old_score, k)
            gap_a, worst_a = _gap_row(run, attribute, new_score, k)
            gaps.append({"attribute": attribute, "gap_before": gap_b, "gap_after": gap_a,
                         "worst_ratio_before": worst_b, "worst_ratio_after": worst_a})
    result = Minimisation(
        dropped=dropped, accuracy=measures,
        gaps=pd.DataFrame(gaps, columns=["attribute", "gap_before", "gap_after",
                                         "worst_ratio_before", "worst_ratio_after"]),
        against=against)
    if len(_MINIMISED) >= _MINIMISED_MAX:
        _MINIMISED.pop(next(iter(_MINIMISED)))
    _MINIMISED[key] = result
    return result
