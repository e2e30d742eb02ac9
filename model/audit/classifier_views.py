"""A decision against what happened: recorded outcomes, ROC, confusion matrix, cutoff sweep.

An imported run *records outcomes* when its roles file names a ``target`` (see
:mod:`importing.roles_file`). A person's outcome is *positive* when a classifier's target
is its positive class (stored as 1), or when a regressor's recorded target reaches the
run's decision cutoff. The *decision* is the model's score reaching a cutoff: the run's
own (its first tier, as typed in the roles file) unless another is asked for. Reaching
follows the run's favourable direction, as for the tiers (at or above; at or below when
low scores are favourable, and then a classifier's positive outcome is its class 0, the
favourable one).

Every rate carries the people behind it and a Wilson 95% interval, and the AUC its
DeLong interval (see :mod:`figures.intervals`). Nothing is shown when fewer than ``k``
people have, or lack, the outcome. Error rates by group are in :mod:`audit.error_rates`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from sesame_audit.model.audit.fairness import MIN_REFERENCE, reference_groups, reference_size
from sesame_audit.model.core import units
from sesame_audit.model.core.roles import HIGH, LOW, Roles, favourable_sign, reaches
from sesame_audit.model.figures.groups import SEPARATOR, Attribute, group_frame
from sesame_audit.model.figures.intervals import auc_interval, ratio_interval, wilson
from sesame_audit.model.figures.suppress import DEFAULT_K, suppression
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.run import Run

ROC_POINTS = 101
_GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)


class TooFewOutcomes(ValueError):
    """Fewer than ``k`` people have, or lack, the recorded outcome: nothing is shown."""


@dataclass(frozen=True)
class Outcomes:
    """What happened to each person, beside the model's score.

    Attributes
    ----------
    score : numpy.ndarray
        The model's score per person (the run's unit).
    positive : numpy.ndarray of bool
        Whether each person's recorded outcome is positive.
    cutoff : float
        The run's decision cutoff on the score's scale (its lowest tier).
    column : str
        The target column.
    definition : str
        What a positive outcome is, in words.
    favourable : {"high", "low"}
        Which end of the score is favourable (see :meth:`core.roles.Roles.reaches`).
    """

    score: np.ndarray
    positive: np.ndarray
    cutoff: float
    column: str
    definition: str
    favourable: str = HIGH

    @property
    def n(self) -> int:
        """People."""
        return len(self.score)

    @property
    def positives(self) -> int:
        """People whose outcome is positive."""
        return int(self.positive.sum())

    def decision(self, cutoff: float | None = None) -> np.ndarray:
        """Whether the model's score reaches ``cutoff`` (the run's own when None)."""
        return reaches(self.score, self.cutoff if cutoff is None else cutoff, self.favourable)

    @property
    def oriented(self) -> np.ndarray:
        """The score turned so that higher is more favourable (for ROC and AUC)."""
        return favourable_sign(self.favourable) * self.score


def recorded_outcomes(run: Run) -> Outcomes | None:
    """Return the outcomes an imported run records, or None when it records none.

    Parameters
    ----------
    run : Run
        A run.

    Returns
    -------
    Outcomes or None
        None for a synthetic run, an import without a ``target``, or outcomes all of
        one kind.
    """
    metrics = run.manifest.get("metrics") or {}
    if run.manifest.get("source") != "imported" or not {"accuracy", "r2"} & set(metrics):
        return None
    roles = run.roles
    if roles.target not in run.columns or not roles.tiers:
        return None
    values = run.people[roles.target].to_numpy(dtype=float)
    cutoff = float(roles.tiers[0].min_score)
    label = roles.label(roles.target)
    if roles.task == "classification":
        positive = values == (0.0 if roles.favourable == LOW else 1.0)
        definition = f"{label}: 0" if roles.favourable == LOW else label
    else:
        positive = roles.reaches(values, cutoff)
        words = "at most" if roles.favourable == LOW else "at least"
        definition = (f"recorded {label} {words} {units.format_threshold(cutoff, roles)} "
                      "(the decision cutoff)")
    if positive.all() or not positive.any():
        return None
    score = np.asarray(run.explanation.prediction, dtype=float)
    return Outcomes(score, positive, cutoff, roles.target, definition, roles.favourable)


def require_outcomes(run: Run, *, k: int = DEFAULT_K) -> Outcomes:
    """Return the run's outcomes, or raise when it has none or too few to show.

    Parameters
    ----------
    run : Run
        A run.
    k : int, default=11
        Smallest number of people shown.

    Returns
    -------
    Outcomes
        The outcomes.

    Raises
    ------
    TooFewOutcomes
        Saying why nothing can be shown.
    """
    found = recorded_outcomes(run)
    if found is None:
        raise TooFewOutcomes("this run records no outcome of both kinds: import it with the "
                             "roles file's 'target' naming what happened to each person")
    if min(found.positives, found.n - found.positives) < k:
        raise TooFewOutcomes(f"fewer than {k} people have, or lack, the recorded outcome: "
                             "nothing is shown")
    return found


def cutoff_grid(roles: Roles) -> list[float]:
    """Return the cutoffs the sweep and the page's slider offer, on the score's scale.

    Parameters
    ----------
    roles : Roles
        The run's roles.

    Returns
    -------
    list of float
        For a classifier, probabilities 0.05 to 0.95 by 0.05 (as log-odds for a score in
        log-odds); for a regressor, 19 evenly spaced points inside the score's range;
        with every tier's threshold; ascending.
    """
    if roles.task == "classification":
        grid = [float(p) for p in _GRID]
        if roles.unit == "log_odds":
            grid = [math.log(p / (1 - p)) for p in grid]
    else:
        grid = list(np.linspace(roles.score_min, roles.score_max, 21)[1:-1])
    return sorted({round(float(c), 12) for c in grid} | {t.min_score for t in roles.tiers})


def _rate(count: int, of: int, k: int) -> dict[str, float | int | None]:
    """A rate with its Wilson interval and the people behind it; None when under ``k``."""
    if of < k:
        return {"rate": None, "low": None, "high": None, "n": None, "count": None}
    low, high = wilson(count, of)
    return {"rate": count / of, "low": float(low), "high": float(high), "n": int(of),
            "count": int(count)}


def confusion(outcomes: Outcomes, cutoff: float | None = None, *, k: int = DEFAULT_K
              ) -> dict[str, dict]:
    """Return the confusion matrix at a cutoff and the rates read from it.

    Parameters
    ----------
    outcomes : Outcomes
        See :func:`require_outcomes`.
    cutoff : float, optional
        On the score's scale; the run's own when None.
    k : int, default=11
        A rate whose denominator has fewer people is not shown.

    Returns
    -------
    dict
        ``cells`` (``true_positive``, ``false_positive``, ``false_negative``,
        ``true_negative``: people) and ``rates``: ``accuracy``, ``selection_rate``,
        ``true_positive_rate``, ``false_positive_rate``, ``precision``, each
        ``{rate, low, high, n, count}`` (n the denominator, count the numerator).
    """
    y, d = outcomes.positive, outcomes.decision(cutoff)
    tp, fp = int((y & d).sum()), int((~y & d).sum())
    fn, tn = int((y & ~d).sum()), int((~y & ~d).sum())
    n = tp + fp + fn + tn
    return {"cells": {"true_positive": tp, "false_positive": fp, "false_negative": fn,
                      "true_negative": tn},
            "rates": {"accuracy": _rate(tp + tn, n, k),
                      "selection_rate": _rate(tp + fp, n, k),
                      "true_positive_rate": _rate(tp, tp + fn, k),
                      "false_positive_rate": _rate(fp, fp + tn, k),
                      "precision": _rate(tp, tp + fp, k)}}


def roc(outcomes: Outcomes, *, points: int = ROC_POINTS) -> tuple[pd.DataFrame, dict]:
    """Return the ROC curve, thinned for drawing, and the AUC with its 95% interval.

    Parameters
    ----------
    outcomes : Outcomes
        See :func:`require_outcomes`.
    points : int, default=101
        Most points kept: the curve at false positive rates 0, 0.01, ... 1 (the highest
        true positive rate reached at each), so no point stands for a single person.

    Returns
    -------
    curve : pandas.DataFrame
        ``false_positive_rate``, ``true_positive_rate``, ascending.
    auc : dict
        ``{auc, low, high, n, positives}`` (DeLong's interval).
    """
    fpr, tpr, _ = roc_curve(outcomes.positive, outcomes.oriented)
    grid = np.linspace(0.0, 1.0, points)
    reached = np.array([tpr[fpr <= x].max() for x in grid])
    curve = pd.DataFrame({"false_positive_rate": grid, "true_positive_rate": reached})
    auc, low, high = auc_interval(outcomes.oriented, outcomes.positive)
    return curve, {"auc": auc, "low": low, "high": high, "n": outcomes.n,
                   "positives": outcomes.positives}


def group_visibility(run: Run, attribute: Attribute, *, k: int = DEFAULT_K
                     ) -> tuple[pd.Series, np.ndarray]:
    """Return each person's group label and the groups hidden in the fairness view.

    Parameters
    ----------
    run : Run
        A run.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int, default=11
        Smallest group shown.

    Returns
    -------
    labels : pandas.Series of str
        Group per person (``"a & b"`` for intersections).
    hidden : numpy.ndarray of str
        Labels of the groups that :func:`audit.fairness.tier_table` hides (the same
        counts and the same rule).
    """
    counts = stored.groups(run, attribute)["count"]
    hidden = suppression(counts, k=k).mask.to_numpy()
    names = [SEPARATOR.join(map(str, g)) if isinstance(g, tuple) else str(g)
             for g in counts.index]
    frame = group_frame(run.people, attribute)
    labels = frame.iloc[:, 0]
    for column in frame.columns[1:]:
        labels = labels + SEPARATOR + frame[column]
    return labels, np.asarray(names, dtype=object)[hidden]


def cutoff_sweep(run: Run, attribute: Attribute, *, k: int = DEFAULT_K,
                 cutoffs: list[float] | None = None, min_reference: int = MIN_REFERENCE
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move the decision cutoff: accuracy and every group's impact ratio at each cutoff.

    Parameters
    ----------
    run : Run
        A run that records outcomes.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int, default=11
        Smallest group shown; groups are hidden as in the fairness view.
    cutoffs : list of float, optional
        On the score's scale; :func:`cutoff_grid` when None.
    min_reference : int, default=30
        Fewest people of a reference group, besides ``k``.

    Returns
    -------
    overall : pandas.DataFrame
        One row per cutoff: ``cutoff``, ``accuracy`` (with ``accuracy_lower``/``_upper``),
        ``selection_rate``, ``true_positive_rate``, ``false_positive_rate``.
    groups : pandas.DataFrame
        One row per cutoff and group shown: ``cutoff``, ``group``, ``count``, ``selected``,
        ``share`` (selected over count), ``impact_ratio`` with ``impact_lower``/``_upper``
        (share over the reference group's, Katz interval) and ``reference``.

    Raises
    ------
    TooFewOutcomes
        When the run records no usable outcome.
    """
    outcomes = require_outcomes(run, k=k)
    cutoffs = cutoff_grid(run.roles) if cutoffs is None else sorted(cutoffs)
    labels, hidden = group_visibility(run, attribute, k=k)
    shown = ~labels.isin(hidden).to_numpy()
    codes, names = pd.factorize(labels[shown], sort=True)
    count = np.bincount(codes, minlength=len(names)).astype(float)
    rows, group_rows = [], []
    for cutoff in cutoffs:
        found = confusion(outcomes, cutoff, k=1)
        rates = found["rates"]
        rows.append({"cutoff": cutoff, "accuracy": rates["accuracy"]["rate"],
                     "accuracy_lower": rates["accuracy"]["low"],
                     "accuracy_upper": rates["accuracy"]["high"],
                     "selection_rate": rates["selection_rate"]["rate"],
                     "true_positive_rate": rates["true_positive_rate"]["rate"],
                     "false_positive_rate": rates["false_positive_rate"]["rate"]})
        selected = np.bincount(codes, weights=outcomes.decision(cutoff)[shown].astype(float),
                               minlength=len(names))
        table = pd.DataFrame({"group": names, "count": count, "suppressed": False,
                              "share_cut": selected / count})
        reference = reference_groups(table, ["cut"], reference_size(k, min_reference))["cut"]
        if reference is None:
            ratio = low = high = np.full(len(names), np.nan)
        else:
            ref = int(np.flatnonzero(np.asarray(names) == reference)[0])
            ratio, low, high = ratio_interval(selected, count, selected[ref], count[ref])
            low[ref] = high[ref] = ratio[ref]
        group_rows.append(pd.DataFrame({
            "cutoff": cutoff, "group": names, "count": count.astype(int),
            "selected": selected.astype(int), "share": selected / count,
            "impact_ratio": ratio, "impact_lower": low, "impact_upper": high,
            "reference": reference}))
    groups = (pd.concat(group_rows, ignore_index=True) if group_rows else pd.DataFrame())
    return pd.DataFrame(rows), groups
