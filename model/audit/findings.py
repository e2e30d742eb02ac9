"""The audit's findings in one JSON-ready dictionary: what the CLI prints and a report cites."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sesame_audit.model.audit.disclosure import disclosure_findings
from sesame_audit.model.audit.fairness import FOUR_FIFTHS, tier_table_with_suppression
from sesame_audit.model.audit.network import FRIENDS_FEATURE, friends_by_group
from sesame_audit.model.audit.proxies import proxy_strength
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import Run


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def audit_findings(run: Run, *, k: int = DEFAULT_K) -> dict[str, Any]:
    """Audit a run: tier access by group, four-fifths flags, proxies, friends, drivers.

    Parameters
    ----------
    run : Run
        A loaded run.
    k : int
        Smallest group size shown (default 11).

    Returns
    -------
    dict
        JSON-ready: ``run`` (name), ``people``, ``k``, ``tiers`` (name -> threshold),
        ``impact_ratios`` (attribute -> group -> tier -> ratio, None when hidden),
        ``flags`` (list of ``{attribute, group, tier, impact_ratio}`` under 0.8, lowest
        first), ``proxies`` (ranked list of ``{feature, attribute, strength,
        mutual_information}``), ``suppressed_cells`` (groups hidden over every table),
        ``friends`` (attribute -> group -> mean points from friends, None when hidden; None
        when friends' scores are not an input), ``accuracy`` (the manifest's held-out
        metrics), ``drivers`` (feature -> mean absolute SHAP value in points, largest
        first) and ``disclosure`` (what the score shown in public reveals: ``attributes``
        and ``inputs`` of :func:`~sesame_audit.model.audit.disclosure.disclosure_findings`).
    """
    ratios: dict[str, dict[str, dict[str, float | None]]] = {}
    flags: list[dict[str, Any]] = []
    suppressed = 0
    sensitive = [a for a in run.roles.sensitive if a in run.people.columns]
    for attribute in sensitive:
        table, hidden = tier_table_with_suppression(run, attribute, k=k)
        suppressed += hidden.cells
        ratios[attribute] = {}
        for row in table.to_dict("records"):
            ratios[attribute][row["group"]] = {
                t: _number(row[f"impact_ratio_{t}"]) for t in run.roles.tier_names}
            flags += [{"attribute": attribute, "group": row["group"], "tier": t,
                       "impact_ratio": float(ratio)}
                      for t, ratio in ratios[attribute][row["group"]].items()
                      if ratio is not None and ratio < FOUR_FIFTHS]
    flags.sort(key=lambda f: (f["impact_ratio"], f["attribute"], f["group"], f["tier"]))
    friends: dict[str, dict[str, float | None]] | None = None
    if FRIENDS_FEATURE in run.roles.inputs:
        friends = {}
        for attribute in sensitive:
            table = friends_by_group(run, attribute, k=k)
            friends[attribute] = {g: _number(p) for g, p in zip(table["group"], table["points"],
                                                                 strict=True)}
    drivers = run.explanation.values.abs().mean().astype(float).sort_values(ascending=False)
    metrics = run.manifest.get("metrics", {})
    shown = disclosure_findings(run, k=k, bands=False)
    return {
        "run": run.path.name,
        "people": len(run.people),
        "k": k,
        "tiers": {t.name: t.min_score for t in run.roles.tiers},
        "impact_ratios": ratios,
        "flags": flags,
        "proxies": [{name: (float(v) if isinstance(v, float | np.floating) else v)
                     for name, v in row.items()}
                    for row in proxy_strength(run).to_dict("records")],
        "suppressed_cells": int(suppressed),
        "friends": friends,
        "accuracy": {m: float(v) for m, v in metrics.items()
                     if isinstance(v, int | float) and not isinstance(v, bool)},
        "drivers": {f: float(v) for f, v in drivers.items()},
        "disclosure": {key: shown[key] for key in ("views", "attributes", "inputs")},
    }


def findings_text(findings: dict[str, Any], labels: dict[str, str] | None = None,
                  *, top: int = 8) -> str:
    """Return a plain-text summary of :func:`audit_findings` for a terminal.

    Parameters
    ----------
    findings : dict
        Output of :func:`audit_findings`.
    labels : dict, optional
        Column -> human label.
    top : int
        Most flags, proxies and drivers listed.

    Returns
    -------
    str
        Several lines of text.
    """
    name = (labels or {}).get
    lines = [f"Audit of {findings['run']} ({findings['people']:,} people; groups under "
             f"{findings['k']} people hidden: {findings['suppressed_cells']})"]
    accuracy = findings["accuracy"]
    if "r2" in accuracy:
        lines.append(f"  model: held-out R2 {accuracy['r2']:.3f}, "
                     f"MAE {accuracy.get('mae_points', float('nan')):.1f} points")
    flags = findings["flags"]
    lines.append(f"Four-fifths rule: {len(flags)} group/tier pair(s) under 0.8")
    for flag in flags[:top]:
        lines.append(f"  {flag['impact_ratio']:5.2f}  {name(flag['attribute'], flag['attribute'])}"
                     f" = {flag['group']}, tier {flag['tier']}")
    lines.append("Strongest proxies (AUC of one input predicting a sensitive attribute):")
    for proxy in findings["proxies"][:top]:
        lines.append(f"  {proxy['strength']:5.2f}  {name(proxy['feature'], proxy['feature'])}"
                     f" -> {name(proxy['attribute'], proxy['attribute'])}")
    if findings["friends"] is None:
        lines.append("Points from friends: not available for this run")
    else:
        lines.append("Mean points from friends' scores, by group:")
        for attribute, groups in findings["friends"].items():
            shown = ", ".join(f"{g} {p:+.1f}" if p is not None else f"{g} hidden"
                              for g, p in groups.items())
            lines.append(f"  {name(attribute, attribute)}: {shown}")
    lines.append("Largest drivers (mean |SHAP|, points):")
    for feature, points in list(findings["drivers"].items())[:top]:
        lines.append(f"  {points:6.1f}  {name(feature, feature)}")
    return "\n".join(lines)
