"""The report's section on recorded outcomes: the model's decisions against what happened.

It reads the ``outcomes`` of the audit findings (see :func:`audit.error_rates.outcome_findings`)
and writes them as rows of text: AUC, confusion matrix and rates at the run's cutoff, the
differences of error rates between groups, and each group's rates with their people and
95% intervals. Hidden cells arrive hidden from the audit and read "suppressed".
"""

from __future__ import annotations

from typing import Any

from sesame_audit.model.audit.error_rates import RATES

_OVERALL = {"accuracy": "accuracy", "selection_rate": "selected",
            "true_positive_rate": "true positive rate", "false_positive_rate":
            "false positive rate", "precision": "precision"}
_DIFFERENCES = {"equalized_odds_difference": "equalised odds",
                "predictive_parity_difference": "predictive parity",
                "tpr_difference": "true positive rates", "fpr_difference": "false positive rates"}


def _share(cell: dict[str, Any]) -> str:
    if cell.get("rate") is None:
        return "suppressed"
    return (f"{cell['rate']:.1%} [{cell['low']:.1%}, {cell['high']:.1%}], "
            f"{cell['count']:,} of {cell['n']:,}")


def _difference(cell: dict[str, Any]) -> str:
    if cell.get("value") is None:
        return "fewer than two groups shown"
    return (f"{cell['value']:.3f} [{cell['low']:.3f}, {cell['high']:.3f}] "
            f"({cell['groups'][0]} vs {cell['groups'][1]})")


def outcomes_context(findings: dict[str, Any]) -> dict[str, Any] | None:
    """Return what the report's outcomes section shows, or None when there are no outcomes.

    Parameters
    ----------
    findings : dict
        Output of ``audit.findings.audit_findings``.

    Returns
    -------
    dict or None
        ``withheld`` (why nothing is shown, or empty), ``outcome``, ``cutoff``, ``auc``,
        ``cells`` (confusion matrix, label -> people), ``rates`` (label -> text),
        ``differences`` (rows of attribute and texts) and ``groups`` (rows of attribute,
        group, people and each rate's text).
    """
    found = findings.get("outcomes")
    if not found:
        return None
    if "withheld" in found:
        return {"withheld": found["withheld"]}
    auc = found["auc"]
    cells = found["cells"]
    return {
        "withheld": "",
        "outcome": found["outcome"],
        "cutoff": found["cutoff_shown"], "selects": found["selects"],
        "auc": (f"{auc['auc']:.3f} [{auc['low']:.3f}, {auc['high']:.3f}], "
                f"{auc['positives']:,} positive of {auc['n']:,}"),
        "cells": [("positive", "selected", cells["true_positive"]),
                  ("positive", "not selected", cells["false_negative"]),
                  ("negative", "selected", cells["false_positive"]),
                  ("negative", "not selected", cells["true_negative"])],
        "rates": [(label, _share(found["rates"][key])) for key, label in _OVERALL.items()],
        "differences": [{"attribute": attribute,
                         **{key: _difference(diff[key]) for key in _DIFFERENCES}}
                        for attribute, diff in found["differences"].items()],
        "groups": [{"attribute": attribute, "group": group,
                    "people": "suppressed" if cell["n"] is None else f"{cell['n']:,}",
                    **{rate: _share(cell[rate]) for rate in RATES}}
                   for attribute, groups in found["by_group"].items()
                   for group, cell in groups.items()],
    }
