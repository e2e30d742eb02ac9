"""Donations against the truth: what a donation audit of a synthetic run gets right.

For donations drawn from a synthetic run, the full white-box audit and the hidden rules
are known. This module sets the donation audit beside them:

- **rules**: for each input, the stand-in's mean |SHAP| over the donors beside the mean
  absolute (centred) true contribution of the hidden rule that reads it, and the Pearson
  correlation of the two per donor; a rule is *recovered* when that correlation is at
  least :data:`RECOVERED`;
- **findings**: each four-fifths finding of the white-box audit (impact ratios of the
  whole population's scores) is *confirmed* when the donation audit finds it clearly too,
  *missed* when it does not; a clear donation finding that is not clear in the white-box
  audit is *invented*. The shift of each ratio (donated minus white-box) shows how the
  selection of donors moved it, with and without weighting.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.datasets.dictionary import TRUE_PREFIX
from sesame_audit.model.audit.fairness import CLEAR, impact_ratios
from sesame_audit.model.figures.drivers import mean_abs_shap
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import Run

RECOVERED = 0.8
CONFIRMED, MISSED, INVENTED, NEITHER = "confirmed", "missed", "invented", "neither"


def donor_positions(truth: Run, donated: Run) -> np.ndarray:
    """Return the row of each donor in the run the donations came from.

    Parameters
    ----------
    truth : Run
        The synthetic run.
    donated : Run
        The donations run (ids are the people's ids in ``truth``).

    Returns
    -------
    numpy.ndarray
        Row positions in ``truth.people``, aligned with ``donated.people``.

    Raises
    ------
    ValueError
        When a donor's id is not in ``truth`` (the donations come from another run).
    """
    ids = pd.Index(truth.people[truth.roles.id])
    found = ids.get_indexer(donated.people[donated.roles.id])
    if (found < 0).any():
        raise ValueError(f"{int((found < 0).sum()):,} donors are not people of "
                         f"{truth.path.name}: the donations come from another run")
    return found


def rule_recovery(truth: Run, donated: Run) -> pd.DataFrame:
    """Compare the stand-in's SHAP values with the hidden rules' true contributions.

    Parameters
    ----------
    truth : Run
        The synthetic run, with its true contributions (``true__<feature>`` columns).
    donated : Run
        The donations run.

    Returns
    -------
    pandas.DataFrame
        One row per input, largest stand-in mean |SHAP| first: ``feature``, ``label``,
        ``rule`` (a hidden rule reads it), ``true_mean_abs`` (centred true contribution,
        over the donors), ``standin_mean_abs``, ``whitebox_mean_abs`` (the operator
        model's, over everyone), ``pearson`` (stand-in SHAP against the centred truth,
        per donor; NaN when no rule reads the input), ``recovered`` and ``rank`` (1 = the
        stand-in's largest).
    """
    rows = donor_positions(truth, donated)
    standin = mean_abs_shap(donated.explanation.values)
    whitebox = mean_abs_shap(truth.explanation.values)
    records = []
    for feature in donated.roles.inputs:
        column = TRUE_PREFIX + feature
        rule = column in truth.people.columns
        shap = donated.explanation.values[feature].to_numpy(dtype=float)
        if rule:
            true = truth.people[column].to_numpy(dtype=float)[rows]
            true = true - true.mean()
            pearson = (float(np.corrcoef(true, shap)[0, 1])
                       if true.std() > 1e-9 and shap.std() > 1e-9 else float("nan"))
        else:
            true, pearson = np.zeros(len(rows)), float("nan")
        records.append({"feature": feature, "label": donated.roles.label(feature),
                        "rule": rule, "true_mean_abs": float(np.mean(np.abs(true))),
                        "standin_mean_abs": float(standin[feature]),
                        "whitebox_mean_abs": float(whitebox.get(feature, np.nan)),
                        "pearson": pearson, "recovered": bool(rule and pearson >= RECOVERED)})
    table = pd.DataFrame(records).sort_values("standin_mean_abs", ascending=False,
                                              ignore_index=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table


def _verdict(whitebox: str, donated: str) -> str:
    if whitebox == CLEAR:
        return CONFIRMED if donated == CLEAR else MISSED
    return INVENTED if donated == CLEAR else NEITHER


def finding_verdicts(truth: Run, found: dict[str, Any], *, k: int = DEFAULT_K
                     ) -> pd.DataFrame:
    """Set each donated impact ratio beside the white-box one, with a verdict.

    Parameters
    ----------
    truth : Run
        The synthetic run.
    found : dict
        Output of :func:`donations.donor_audit.donation_findings`.
    k : int, default=11
        Smallest group shown, in the white-box audit too.

    Returns
    -------
    pandas.DataFrame
        One row per attribute, group and tier shown in both: ``attribute``, ``group``,
        ``tier``, ``whitebox`` (ratio) with its interval ``whitebox_low``-``whitebox_high``
        and people ``whitebox_n``, ``whitebox_finding``, ``ratio``, ``low``, ``high``, ``n``
        (donors), ``finding``, ``covered`` (the donated interval holds the white-box ratio),
        ``shift`` (donated - white-box), ``verdict`` (confirmed, missed, invented or
        neither) and, when the donations were weighted, ``weighted_ratio``,
        ``weighted_low``, ``weighted_high``, ``weighted_covered``, ``weighted_shift``
        and ``weighted_verdict``.
    """
    donated = pd.DataFrame(found["impact_ratios"])
    donated = donated[~donated["suppressed"].astype(bool)]
    parts = []
    for attribute in donated["attribute"].unique():
        white = impact_ratios(truth, attribute, k=k)
        white = white[~white["suppressed"].astype(bool)]
        parts.append(white[["attribute", "group", "tier", "impact_ratio", "impact_lower",
                            "impact_upper", "count", "finding"]].rename(
            columns={"impact_ratio": "whitebox", "impact_lower": "whitebox_low",
                     "impact_upper": "whitebox_high", "count": "whitebox_n",
                     "finding": "whitebox_finding"}))
    merged = donated.merge(pd.concat(parts, ignore_index=True),
                           on=["attribute", "group", "tier"], how="inner")
    merged = merged[merged["whitebox"].notna() & merged["ratio"].notna()]
    columns = ["attribute", "group", "tier", "whitebox", "whitebox_low", "whitebox_high",
               "whitebox_n", "whitebox_finding", "ratio", "low", "high", "n", "finding"]
    out = merged[columns].reset_index(drop=True)
    out["covered"] = (out["low"] <= out["whitebox"]) & (out["whitebox"] <= out["high"])
    out["shift"] = out["ratio"] - out["whitebox"]
    out["verdict"] = [_verdict(w, d) for w, d in zip(out["whitebox_finding"], out["finding"],
                                                      strict=True)]
    if found.get("weighted"):
        for name in ("weighted_ratio", "weighted_low", "weighted_high"):
            out[name] = merged[name].to_numpy(dtype=float)
        out["weighted_covered"] = ((out["weighted_low"] <= out["whitebox"])
                                   & (out["whitebox"] <= out["weighted_high"]))
        out["weighted_shift"] = out["weighted_ratio"] - out["whitebox"]
        out["weighted_verdict"] = [
            _verdict(w, d) for w, d in zip(out["whitebox_finding"],
                                           merged["weighted_finding"], strict=True)]
    return out


def compare_with_truth(truth: Run, donated: Run, found: dict[str, Any], *,
                       k: int = DEFAULT_K) -> dict[str, Any]:
    """Compare a donation audit with the white-box audit and the hidden rules.

    Parameters
    ----------
    truth : Run
        The synthetic run the donations were drawn from.
    donated : Run
        The donations run.
    found : dict
        Output of :func:`donations.donor_audit.donation_findings`.
    k : int, default=11
        Smallest group shown.

    Returns
    -------
    dict
        JSON-ready: ``run`` (the truth's name), ``rules`` (records of
        :func:`rule_recovery`), ``findings`` (records of :func:`finding_verdicts`) and
        ``counts`` (verdict -> number, and ``weighted`` verdict -> number when weighted),
        ``rules_recovered`` and ``rules`` counts.

    Examples
    --------
    >>> compare_with_truth(load_run("runs/proxy-n20000-s0"), donated, found)["counts"]
    ... # doctest: +SKIP
    {'confirmed': 4, 'missed': 2, 'invented': 0, 'neither': 60}
    """
    rules = rule_recovery(truth, donated)
    verdicts = finding_verdicts(truth, found, k=k)
    counts = {v: int((verdicts["verdict"] == v).sum())
              for v in (CONFIRMED, MISSED, INVENTED, NEITHER)}
    if "weighted_verdict" in verdicts:
        counts["weighted"] = {v: int((verdicts["weighted_verdict"] == v).sum())
                              for v in (CONFIRMED, MISSED, INVENTED, NEITHER)}
    clean = verdicts.astype(object).where(verdicts.notna(), None)
    return {"run": truth.path.name,
            "rules": rules.astype(object).where(rules.notna(), None).to_dict("records"),
            "findings": clean.to_dict("records"), "counts": counts,
            "rules_total": int(rules["rule"].sum()),
            "rules_recovered": int(rules["recovered"].sum())}
