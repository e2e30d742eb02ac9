"""Findings from donations, with their uncertainty over donors.

- Tier access by group of the **recorded scores**: no model is involved, so the 95%
  interval of an impact ratio is the usual one over the donors (Katz log method, see
  :mod:`figures.intervals`), with small groups hidden (:mod:`figures.suppress`).
- The same **weighted** to population margins (:mod:`donations.raking`): a weighted share
  has no closed-form interval, so donors are resampled (bootstrap) and re-raked each time.
- What depends on the fit, the stand-in's **drivers** (mean |SHAP| per input) and its
  **impact ratios**, gets a bootstrap over donors that refits the stand-in on every
  resample; the drivers are measured on the donors as donated.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.audit.fairness import (
    CLEAR,
    four_fifths_finding,
    reference_groups,
    reference_size,
    tier_table_with_suppression,
)
from sesame_audit.model.core.bad_input import BadInputError
from sesame_audit.model.core.jsonable import strict
from sesame_audit.model.core.roles import HIGH, reaches
from sesame_audit.model.donations.raking import rake
from sesame_audit.model.donations.standin import StandIn, refit
from sesame_audit.model.explain.any_model import explain_any
from sesame_audit.model.figures.drivers import mean_abs_shap
from sesame_audit.model.figures.group_tables import code_groups
from sesame_audit.model.figures.intervals import Z
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import Run

BOOTSTRAP = 200
REFITS = 20
LEVEL = 0.95


def _percentile(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a cell undefined in every draw
        low = np.nanquantile(draws, (1 - LEVEL) / 2, axis=0)
        high = np.nanquantile(draws, (1 + LEVEL) / 2, axis=0)
    return low, high


def _around(point: np.ndarray, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normal interval around the estimate with the bootstrap's spread: a refit on a
    resample with repeated donors is biased, so percentiles may leave the estimate out."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        half = Z * np.nanstd(draws, axis=0, ddof=1)
    return np.clip(point - half, 0.0, None), point + half


def group_shares(codes: np.ndarray, groups: int, score: np.ndarray, thresholds: np.ndarray,
                 weights: np.ndarray, *, favourable: str = HIGH) -> np.ndarray:
    """Weighted share of each group reaching each threshold.

    Parameters
    ----------
    codes : numpy.ndarray
        Group code of each donor (0 .. groups - 1).
    groups : int
        Number of groups.
    score : numpy.ndarray
        Scores.
    thresholds : numpy.ndarray
        Tier thresholds.
    weights : numpy.ndarray
        Donor weights.
    favourable : {"high", "low"}, default="high"
        Which end of the score is favourable (see :func:`core.roles.reaches`).

    Returns
    -------
    numpy.ndarray
        ``(groups, tiers)`` shares; NaN for a group with no weight.
    """
    total = np.bincount(codes, weights=weights, minlength=groups)
    reached = np.stack([np.bincount(codes, weights=weights * reaches(score, t, favourable),
                                    minlength=groups)
                        for t in thresholds], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return reached / total[:, None]


def _ratios(shares: np.ndarray, reference: np.ndarray) -> np.ndarray:
    ref = shares[reference, np.arange(shares.shape[1])]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(reference >= 0, shares / ref, np.nan)


def _long(run: Run, attribute: str, score: np.ndarray, k: int) -> pd.DataFrame:
    table = tier_table_with_suppression(run, attribute, k=k, score=score)[0]
    references = reference_groups(table, list(run.roles.tier_names), reference_size(k))
    rows = []
    for tier in run.roles.tier_names:
        rows.append(pd.DataFrame({
            "attribute": attribute, "group": table["group"], "tier": tier,
            "n": table["count"], "reached": table[f"reached_{tier}"],
            "ratio": table[f"impact_ratio_{tier}"], "low": table[f"impact_lower_{tier}"],
            "high": table[f"impact_upper_{tier}"],
            "reference": references[tier],
            "suppressed": table["suppressed"]}))
    long = pd.concat(rows, ignore_index=True)
    long["finding"] = four_fifths_finding(long["ratio"], long["high"])
    return long


def _resampled(run: Run, attribute: str, long: pd.DataFrame, score: np.ndarray,
               draws: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Impact ratios of every (group, tier) of ``long`` over resamples ``(rows, weights)``."""
    codes, labels = code_groups(run.people, attribute)
    names = [str(c) for c in labels]
    tiers = list(run.roles.tier_names)
    thresholds = np.array([t.min_score for t in run.roles.tiers])
    reference = np.array([names.index(r) if isinstance(r, str) and r in names else -1
                          for r in (long.drop_duplicates("tier").set_index("tier")
                                    .loc[tiers, "reference"])])
    cells = [(names.index(g), tiers.index(t)) for g, t in zip(long["group"], long["tier"],
                                                             strict=True)]
    out = np.full((len(draws), len(long)), np.nan)
    for i, (rows, weights) in enumerate(draws):
        ratios = _ratios(group_shares(codes[rows], len(names), score[rows], thresholds,
                                      weights, favourable=run.roles.favourable), reference)
        out[i] = [ratios[g, t] for g, t in cells]
    return out


def donation_findings(run: Run, standin: StandIn | None = None, *,
                      margins: pd.DataFrame | None = None, k: int = DEFAULT_K,
                      bootstrap: int = BOOTSTRAP, refits: int = REFITS, seed: int = 0
                      ) -> dict[str, Any]:
    """Audit a donations run: impact ratios as donated and weighted, the stand-in's drivers.

    Parameters
    ----------
    run : Run
        The run written by :func:`donations.standin.import_donations` (people = donors,
        target = the recorded score, prediction = the stand-in's).
    standin : StandIn, optional
        The stand-in, for refits; without it the fit-dependent intervals are left out.
    margins : pandas.DataFrame, optional
        Population margins to weight donors to (see :mod:`donations.raking`).
    k : int, default=11
        Smallest group shown.
    bootstrap : int, default=200
        Resamples for the weighted ratios.
    refits : int, default=20
        Resamples, each refitting the stand-in, for the drivers and the stand-in's ratios.
    seed : int, default=0
        Seed of the resamples.

    Returns
    -------
    dict
        JSON-ready: ``donations``, ``k``, ``weighted`` (margins given and met),
        ``not_weighted_because`` (why margins given could not be met, else None),
        ``bootstrap``,
        ``refits``, ``impact_ratios`` (one record per attribute, group and tier:
        ``attribute``, ``group``, ``tier``, ``n``, ``reached``, ``ratio``, ``low``,
        ``high``, ``finding``, ``reference``, ``suppressed``, and ``weighted_ratio``,
        ``weighted_low``, ``weighted_high``, ``weighted_finding``, ``standin_ratio``,
        ``standin_low``, ``standin_high``; figures of hidden groups None) and ``drivers``
        (``feature``, ``label``, ``mean_abs``, ``low``, ``high``, largest first). Weighted
        intervals are bootstrap percentiles; those over refits are the estimate plus or
        minus 1.96 bootstrap standard deviations (a refit on a resample is biased). A
        weighted interval that every resample gives as one value (no one of the group
        reaching the tier) is left undefined, so the finding is uncertain, not clear.

    Examples
    --------
    >>> found = donation_findings(load_run("runs/donated"), standin)  # doctest: +SKIP
    >>> found["impact_ratios"][0]["ratio"]  # doctest: +SKIP
    0.61
    """
    roles = run.roles
    n = len(run.people)
    recorded = run.people[roles.target].to_numpy(dtype=float)
    predicted = np.asarray(run.explanation.prediction, dtype=float)
    rng = np.random.default_rng(seed)
    weighted: list[tuple[np.ndarray, np.ndarray]] = []
    unweighted = None
    if margins is not None:
        try:
            weights = rake(run.people, margins)
        except BadInputError as exc:  # e.g. no donor states a group the margins give
            margins, unweighted = None, str(exc)
    if margins is not None:
        for _ in range(bootstrap):
            rows = rng.integers(0, n, n)
            try:
                weighted.append((rows, rake(run.people.iloc[rows], margins)))
            except BadInputError:  # a resample lacking a group: that draw says nothing
                continue
    attributes = [a for a in roles.sensitive if a in run.people.columns]
    refitted = _refits(run, standin, refits, rng) if standin is not None and refits else []
    parts = []
    for attribute in attributes:
        long = _long(run, attribute, recorded, k)
        if margins is not None:
            point = _resampled(run, attribute, long, recorded, [(np.arange(n), weights)])[0]
            draws = _resampled(run, attribute, long, recorded, weighted)
            low, high = _percentile(draws)
            # every draw equal (no one of the group reaching the tier): no interval can be
            # read off the bootstrap, except for the reference compared with itself
            flat = (high - low <= 0) & (point != 1.0)
            low, high = np.where(flat, np.nan, low), np.where(flat, np.nan, high)
            long["weighted_ratio"], long["weighted_low"], long["weighted_high"] = point, low, high
            long["weighted_finding"] = four_fifths_finding(point, high)
        if refitted:
            point = _resampled(run, attribute, long, predicted, [(np.arange(n), np.ones(n))])[0]
            draws = np.vstack([_resampled(run, attribute, long, score,
                                          [(np.arange(n), np.ones(n))])
                               for score, _ in refitted])
            low, high = _around(point, draws)
            long["standin_ratio"], long["standin_low"], long["standin_high"] = point, low, high
        parts.append(long)
    table = pd.concat(parts, ignore_index=True)
    figures = [c for c in table.columns if c not in ("attribute", "group", "tier", "reference",
                                                     "suppressed", "finding")]
    table.loc[table["suppressed"].astype(bool), figures] = np.nan
    return {"donations": n, "k": k, "weighted": margins is not None,
            "not_weighted_because": unweighted,
            "bootstrap": bootstrap if margins is not None else 0, "refits": len(refitted),
            "impact_ratios": [{key: strict(_plain(v)) for key, v in row.items()}
                              for row in table.to_dict("records")],
            "drivers": _drivers(run, refitted)}


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if np.isnan(value) else float(value)
    return str(value)


def _refits(run: Run, standin: StandIn, refits: int, rng: np.random.Generator
            ) -> list[tuple[np.ndarray, pd.Series]]:
    """Refit the stand-in on resampled donors: predictions on, and mean |SHAP| over, all."""
    inputs, n = list(run.roles.inputs), len(run.people)
    X = run.people[inputs]
    found = []
    for _ in range(refits):
        model = refit(standin, run.people, rng.integers(0, n, n), inputs, run.roles.target)
        explanation, _method = explain_any(model, X, output="score")
        found.append((np.asarray(explanation.prediction, dtype=float),
                      mean_abs_shap(explanation.values)))
    return found


def _drivers(run: Run, refitted: list[tuple[np.ndarray, pd.Series]]) -> list[dict[str, Any]]:
    point = mean_abs_shap(run.explanation.values)
    if refitted:
        draws = np.vstack([m.reindex(point.index).to_numpy(float) for _, m in refitted])
        low, high = _around(point.to_numpy(float), draws)
    else:
        low = high = np.full(len(point), np.nan)
    rows = [{"feature": f, "label": run.roles.label(f), "mean_abs": float(v),
             "low": strict(float(lo)), "high": strict(float(hi))}
            for f, v, lo, hi in zip(point.index, point.to_numpy(), low, high, strict=True)]
    return sorted(rows, key=lambda r: -r["mean_abs"])


def clear_findings(found: dict[str, Any], *, weighted: bool = False) -> list[dict[str, Any]]:
    """Return the clear four-fifths findings of :func:`donation_findings`, lowest first.

    Parameters
    ----------
    found : dict
        Output of :func:`donation_findings`.
    weighted : bool, default=False
        Whether to read the weighted figures.

    Returns
    -------
    list of dict
        The records whose (weighted) interval lies wholly under 0.8.
    """
    key = "weighted_finding" if weighted else "finding"
    rows = [r for r in found["impact_ratios"] if r.get(key) == CLEAR]
    return sorted(rows, key=lambda r: r["weighted_ratio" if weighted else "ratio"])
