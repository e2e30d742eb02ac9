"""Error-rate fairness: whom the model's mistakes fall on, by group and intersection.

For every group of a sensitive attribute (or of the intersection of two), against the
recorded outcomes (see :mod:`audit.classifier_views`): the true positive rate (of the
people whose outcome is positive, the share the model selects), the false positive rate
(of those whose outcome is negative, the share it selects) and the precision (of those
it selects, the share whose outcome is positive), each with the people behind it and a
Wilson 95% interval. Between the groups shown, as fairlearn defines them: the largest
difference of true positive rates, of false positive rates, their maximum (the
*equalised-odds difference*) and the largest difference of precisions (the
*predictive-parity difference*), each with a simultaneous 95% interval: every pair's
Newcombe interval at the Bonferroni level, so that it holds whichever pair truly sets the
largest difference (the pair that looks largest is picked for looking so, and its own
interval would cover too rarely).

Small cells: a group hidden in the fairness view is hidden here too. A rate is shown only
when its denominator (a group's people with, or without, the outcome; or those selected)
holds at least ``k`` people, and those cells are suppressed with complementary
suppression over every total shown elsewhere (the group, the outcome, and for an
intersection each attribute's own cells), as :func:`figures.suppress.suppression` does.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.audit.classifier_views import (
    Outcomes,
    TooFewOutcomes,
    confusion,
    cutoff_sweep,
    group_visibility,
    recorded_outcomes,
    require_outcomes,
    roc,
)
from sesame_audit.model.core import units
from sesame_audit.model.core.jsonable import strict
from sesame_audit.model.figures.groups import SEPARATOR, Attribute, attribute_name, group_frame
from sesame_audit.model.figures.intervals import largest_difference_interval, wilson
from sesame_audit.model.figures.suppress import DEFAULT_K, suppression
from sesame_audit.model.runs.run import Run

RATES = {"tpr": "true positive rate", "fpr": "false positive rate", "precision": "precision"}
DIFFERENCES = ("tpr_difference", "fpr_difference", "equalized_odds_difference",
               "predictive_parity_difference")
_COLUMNS = ["group", "count", "positives", "negatives", "selected",
            *(f"{r}{s}" for r in RATES for s in ("", "_lower", "_upper", "_n", "_count")),
            "suppressed"]


def _cells(frame: pd.DataFrame, split: np.ndarray, hidden_groups: np.ndarray, k: int
           ) -> dict[tuple[str, ...], tuple[int, bool]]:
    """People per group and value of ``split`` (``yes``/``no``), and whether each such
    cell is hidden: cells of hidden groups, cells under ``k``, and complementary ones."""
    keyed = frame.assign(_split=np.where(split, "yes", "no"))
    counts = keyed.groupby(list(keyed.columns), sort=True).size()
    groups = [SEPARATOR.join(map(str, key[:-1])) for key in counts.index]
    hide = np.isin(np.asarray(groups, dtype=object), hidden_groups)
    mask = suppression(counts, k=k, hide=hide).mask
    return {tuple(map(str, key)): (int(n), bool(h))
            for key, n, h in zip(counts.index, counts.to_numpy(), mask.to_numpy(), strict=True)}


def error_rate_table(run: Run, attribute: Attribute, *, k: int = DEFAULT_K,
                     cutoff: float | None = None) -> pd.DataFrame:
    """Return true and false positive rates and precision by group, small cells hidden.

    Parameters
    ----------
    run : Run
        A run that records outcomes.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int, default=11
        Smallest number of people behind a figure shown.
    cutoff : float, optional
        Decision cutoff on the score's scale; the run's own when None.

    Returns
    -------
    pandas.DataFrame
        One row per group (``"a & b"`` for intersections), sorted: ``count``,
        ``positives``, ``negatives``, ``selected``; for each of ``tpr``, ``fpr`` and
        ``precision`` the rate, ``_lower``/``_upper`` (Wilson 95%), ``_n`` (its
        denominator) and ``_count`` (its numerator); ``suppressed`` (the group is hidden).
        Hidden values are missing.

    Raises
    ------
    TooFewOutcomes
        When the run records no usable outcome.
    """
    outcomes = require_outcomes(run, k=k)
    labels, hidden_groups = group_visibility(run, attribute, k=k)
    frame = group_frame(run.people, attribute)
    y, d = outcomes.positive, outcomes.decision(cutoff)
    by_outcome = _cells(frame, y, hidden_groups, k)
    by_decision = _cells(frame, d, hidden_groups, k)
    key = labels.to_numpy(dtype=object)
    parts = dict(zip(key, map(tuple, frame.to_numpy(dtype=str)), strict=False))
    rows = []
    for group in sorted(parts):
        inside = key == group
        hidden = group in hidden_groups
        positives, hide_pos = by_outcome.get((*parts[group], "yes"), (0, False))
        negatives, hide_neg = by_outcome.get((*parts[group], "no"), (0, False))
        selected, hide_sel = by_decision.get((*parts[group], "yes"), (0, False))
        tp = int((inside & y & d).sum())
        fp = int((inside & ~y & d).sum())
        row: dict[str, Any] = {"group": group, "count": np.nan if hidden else int(inside.sum()),
                               "positives": np.nan if hidden or hide_pos else positives,
                               "negatives": np.nan if hidden or hide_neg else negatives,
                               "selected": np.nan if hidden or hide_sel else selected}
        for rate, count, of, hide in (("tpr", tp, positives, hide_pos),
                                      ("fpr", fp, negatives, hide_neg),
                                      ("precision", tp, selected, hide_sel)):
            show = not (hidden or hide or of < k)
            low, high = wilson(count, of) if show else (np.nan, np.nan)
            row |= {rate: count / of if show else np.nan, f"{rate}_lower": float(low),
                    f"{rate}_upper": float(high), f"{rate}_n": of if show else np.nan,
                    f"{rate}_count": count if show else np.nan}
        rows.append(row | {"suppressed": hidden})
    table = pd.DataFrame(rows, columns=_COLUMNS)
    for column in ["count", "positives", "negatives", "selected",
                   *(f"{r}_{s}" for r in RATES for s in ("n", "count"))]:
        table[column] = pd.array(table[column].round(), dtype="Int64")
    return table


def _difference(table: pd.DataFrame, rate: str, family: int = 1) -> dict[str, Any]:
    """Largest minus smallest rate among the groups showing it, with its simultaneous interval.

    ``family`` is how many such figures are read together (2 for the equalised-odds
    difference, the larger of two); the pairs of groups multiply it.
    """
    shown = table.dropna(subset=[rate])
    if len(shown) < 2:
        return {"value": None, "low": None, "high": None, "groups": None}
    pairs = len(shown) * (len(shown) - 1) // 2
    value, low, high, top, bottom = largest_difference_interval(
        shown[f"{rate}_count"].to_numpy(float), shown[f"{rate}_n"].to_numpy(float),
        family=family * pairs)
    groups = shown["group"].astype(str).to_numpy()
    return {"value": value, "low": low, "high": high, "groups": [groups[top], groups[bottom]]}


def error_rate_differences(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Return the between-group differences of an :func:`error_rate_table`.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`error_rate_table`.

    Returns
    -------
    dict
        ``tpr_difference``, ``fpr_difference``, ``equalized_odds_difference`` (the larger of
        the two, with ``set_by`` naming which: ``tpr`` or ``fpr``) and
        ``predictive_parity_difference``, each ``{value, low, high, groups}``: largest minus
        smallest rate among the groups showing it, its simultaneous 95% interval (see
        :func:`figures.intervals.largest_difference_interval`; for the equalised-odds
        difference, the two rates' intervals share the 5%), and the two groups (highest
        first); every field None when fewer than two groups show the rate.
    """
    tpr, fpr = _difference(table, "tpr"), _difference(table, "fpr")
    joint = {"tpr": _difference(table, "tpr", 2), "fpr": _difference(table, "fpr", 2)}
    both = [(d, name) for d, name in ((tpr, "tpr"), (fpr, "fpr")) if d["value"] is not None]
    odds: dict[str, Any] = {"value": None, "low": None, "high": None, "groups": None,
                            "set_by": None}
    if both:
        worst, name = max(both, key=lambda pair: pair[0]["value"])
        read = [joint[other] for _, other in both]
        odds = worst | {"set_by": name, "low": max(d["low"] for d in read),
                        "high": max(d["high"] for d in read)}
    return {"tpr_difference": tpr, "fpr_difference": fpr, "equalized_odds_difference": odds,
            "predictive_parity_difference": _difference(table, "precision")}


def _rate_cell(row: dict[str, Any], rate: str) -> dict[str, Any]:
    value = row[rate]
    if pd.isna(value):
        return dict.fromkeys(("rate", "low", "high", "n", "count"))
    return {"rate": float(value), "low": float(row[f"{rate}_lower"]),
            "high": float(row[f"{rate}_upper"]), "n": int(row[f"{rate}_n"]),
            "count": int(row[f"{rate}_count"])}


def _count(value: Any) -> int | None:
    return None if value is pd.NA or pd.isna(value) else int(value)


def _group_cells(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(row["group"]): {"n": _count(row["count"]), "positives": _count(row["positives"]),
                                "negatives": _count(row["negatives"]),
                                "selected": _count(row["selected"]),
                                **{rate: _rate_cell(row, rate) for rate in RATES}}
            for row in table.to_dict("records")}


def _hidden_cells(table: pd.DataFrame) -> int:
    return int(table[list(RATES)].isna().to_numpy().sum())


def outcome_views(run: Run, *, k: int = DEFAULT_K) -> tuple[Outcomes, dict[str, Any]]:
    """Return the run's outcomes and the whole-population views: AUC, ROC, confusion.

    Parameters
    ----------
    run : Run
        A run that records outcomes.
    k : int, default=11
        Smallest number of people behind a rate shown.

    Returns
    -------
    outcomes : Outcomes
        See :func:`audit.classifier_views.require_outcomes`.
    views : dict
        ``outcome`` (what a positive outcome is), ``cutoff`` (score scale),
        ``cutoff_shown`` (as typed), ``selects`` (the decision rule in words: "a score at
        or above probability 0.5", "at or below 40" when low is favourable), ``people``,
        ``positives``, ``auc`` (``{auc, low,
        high, n, positives}``), ``roc`` (``false_positive_rate`` and
        ``true_positive_rate`` lists) and the :func:`~audit.classifier_views.confusion`
        ``cells`` and ``rates`` at the run's cutoff.

    Raises
    ------
    TooFewOutcomes
        When the run records no usable outcome.
    """
    outcomes = require_outcomes(run, k=k)
    curve, auc = roc(outcomes)
    return outcomes, {
        "outcome": outcomes.definition, "cutoff": outcomes.cutoff,
        "cutoff_shown": units.format_threshold(outcomes.cutoff, run.roles),
        "selects": (f"a score {run.roles.reach_words} "
                    f"{units.format_threshold(outcomes.cutoff, run.roles)}"),
        "people": outcomes.n, "positives": outcomes.positives, "auc": auc,
        "roc": {column: [float(v) for v in curve[column]] for column in curve.columns},
        **confusion(outcomes, k=k)}


def outcome_findings(run: Run, *, k: int = DEFAULT_K) -> dict[str, Any] | None:
    """Return the outcome audit as JSON-ready findings (the ``outcomes`` of ``audit --json``).

    Parameters
    ----------
    run : Run
        A run.
    k : int, default=11
        Smallest number of people behind a figure shown.

    Returns
    -------
    dict or None
        None when the run records no outcome; ``{"withheld": reason}`` when too few
        people have or lack it; else :func:`outcome_views` plus ``by_group`` (attribute
        or ``a & b`` -> group -> ``{n, positives, negatives, selected, tpr, fpr,
        precision}``, each rate ``{rate, low, high, n, count}``, None when hidden),
        ``differences`` (attribute -> :func:`error_rate_differences`), ``sweep``
        (``overall``: one record per cutoff; ``impact_ratios``: attribute -> cutoff ->
        group -> ``{ratio, low, high, n, selected}``) and ``suppressed_cells`` (rates
        hidden over every table).
    """
    if recorded_outcomes(run) is None:
        return None
    try:
        _, views = outcome_views(run, k=k)
    except TooFewOutcomes as exc:
        return {"withheld": str(exc)}
    sensitive = [a for a in run.roles.sensitive if a in run.columns]
    by_group, differences, sweep, hidden = {}, {}, {}, 0
    for attribute in [*sensitive, *combinations(sensitive, 2)]:
        name = attribute_name(attribute)
        table = error_rate_table(run, attribute, k=k)
        by_group[name] = _group_cells(table)
        differences[name] = error_rate_differences(table)
        hidden += _hidden_cells(table)
    overall = None
    for attribute in sensitive:
        overall, groups = cutoff_sweep(run, attribute, k=k)
        sweep[attribute] = {
            f"{cutoff:g}": {row["group"]: {"ratio": row["impact_ratio"], "low": row["impact_lower"],
                                           "high": row["impact_upper"], "n": int(row["count"]),
                                           "selected": int(row["selected"])}
                            for row in part.to_dict("records")}
            for cutoff, part in groups.groupby("cutoff", sort=True)}
    records = [] if overall is None else overall.to_dict("records")
    return strict({**views, "by_group": by_group, "differences": differences,
                   "sweep": {"overall": records, "impact_ratios": sweep},
                   "suppressed_cells": hidden})


def _interval_text(cell: dict[str, Any], *, percent: bool = False) -> str:
    value = cell["rate"] if "rate" in cell else cell["value"]
    if value is None:
        return "not shown"
    spec = ".1%" if percent else ".3f"
    return f"{value:{spec}} [{cell['low']:{spec}}, {cell['high']:{spec}}]"


def outcome_lines(outcomes: dict[str, Any] | None, name: Any = None) -> list[str]:
    """Return the outcome findings as lines of plain text for a terminal.

    Parameters
    ----------
    outcomes : dict or None
        The ``outcomes`` of the findings (see :func:`outcome_findings`).
    name : callable, optional
        ``name(column, default)`` giving a column's label.

    Returns
    -------
    list of str
        Nothing when the run records no outcome.
    """
    if not outcomes:
        return []
    if "withheld" in outcomes:
        return [f"Outcomes: {outcomes['withheld']}"]
    label = name or (lambda column, default: default)
    rates = outcomes["rates"]
    lines = [f"Against the recorded outcome ({label(outcomes['outcome'], outcomes['outcome'])}"
             f"), deciding at {outcomes['cutoff_shown']}:",
             f"  AUC {_interval_text(outcomes['auc'] | {'rate': outcomes['auc']['auc']})}; "
             f"accuracy {_interval_text(rates['accuracy'], percent=True)}, true positive rate "
             f"{_interval_text(rates['true_positive_rate'], percent=True)}, false positive "
             f"rate {_interval_text(rates['false_positive_rate'], percent=True)}",
             "Differences between groups (largest minus smallest rate, 95% interval):"]
    for attribute, found in outcomes["differences"].items():
        odds, parity = found["equalized_odds_difference"], found["predictive_parity_difference"]
        which = "" if odds["value"] is None else (
            f" ({odds['set_by']}, {odds['groups'][0]} vs {odds['groups'][1]})")
        lines.append(f"  {label(attribute, attribute)}: equalised odds "
                     f"{_interval_text(odds)}{which}; predictive parity "
                     f"{_interval_text(parity)}")
    return lines
