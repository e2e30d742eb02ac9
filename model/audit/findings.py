"""The audit's findings in one JSON-ready dictionary: what the CLI prints and a report cites."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.audit.disclosure import disclosure_findings
from sesame_audit.model.audit.error_rates import outcome_findings, outcome_lines
from sesame_audit.model.audit.fairness import (
    CLEAR,
    FOUR_FIFTHS,
    MIN_REFERENCE,
    UNCERTAIN,
    impact_ratios,
    reference_size,
    tier_table_with_suppression,
)
from sesame_audit.model.audit.headline import most_penalised, penalty_sentence, plain
from sesame_audit.model.audit.network import FRIENDS_FEATURE, friends_by_group
from sesame_audit.model.audit.proxies import direct_use, direct_use_lines, proxy_strength
from sesame_audit.model.core import units
from sesame_audit.model.core.jsonable import strict
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.core.wording import metric_label
from sesame_audit.model.figures.drivers import mean_abs_shap
from sesame_audit.model.figures.groups import Attribute, attribute_name
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import Run

HIDDEN_FINDING = ("A finding may be hidden: a group too small to show (under {k} people, or "
                  "one that would give such a group away) fails the four-fifths rule.")


def _finite_or_none(value: Any) -> float | None:
    return strict(float(value))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{name: (float(v) if isinstance(v, float | np.floating) else v)
             for name, v in row.items()} for row in frame.to_dict("records")]


def _count(value: Any) -> int | None:
    return None if value is None or value is pd.NA or pd.isna(value) else int(value)


def _cell(row: dict[str, Any]) -> dict[str, Any]:
    """One impact ratio as JSON: the ratio, its 95% interval and the people behind it
    (every field None for a hidden group)."""
    if bool(row["suppressed"]):
        return dict.fromkeys(("ratio", "low", "high", "n", "reached"))
    return {"ratio": _finite_or_none(row["impact_ratio"]),
            "low": _finite_or_none(row["impact_lower"]),
            "high": _finite_or_none(row["impact_upper"]), "n": _count(row["count"]),
            "reached": _count(row["reached"])}


def _hidden_flag(run: Run, attribute: Attribute, hidden: pd.Series) -> bool:
    """Whether a group hidden at ``k`` would fail the four-fifths rule were it shown."""
    if not hidden.any():
        return False
    table = tier_table_with_suppression(run, attribute, k=1)[0]
    ratios = table[[f"impact_ratio_{t}" for t in run.roles.tier_names]].to_numpy(float)
    return bool((ratios[hidden.to_numpy()] < FOUR_FIFTHS).any())


def audit_findings(run: Run, *, k: int = DEFAULT_K, min_reference: int = MIN_REFERENCE
                   ) -> dict[str, Any]:
    """Audit a run: tier access by group, four-fifths findings, proxies, friends, drivers.

    Groups are those of every sensitive attribute and of every intersection of two
    (named ``"a & b"``), with small-cell suppression (see :mod:`figures.suppress`).

    Parameters
    ----------
    run : Run
        A loaded run.
    k : int, default=11
        Smallest group size shown.
    min_reference : int, default=30
        Fewest people of a reference group, besides ``k``.

    Returns
    -------
    dict
        JSON-ready: ``run`` (name), ``people``, ``k``, ``headline`` (who the score
        penalises most clearly, see :mod:`audit.headline`: ``sentence`` and, when a group
        is penalised, its figures), ``tiers`` (name -> threshold),
        ``reference_min`` (fewest people of a reference group), ``references`` (attribute
        -> tier -> reference group, None when no group is large enough),
        ``impact_ratios`` (attribute or intersection of two, named ``a & b`` -> group ->
        tier -> ``{ratio, low, high, n, reached}``: the ratio, its 95% interval, the
        group's people and how many reach the tier; every field None when the group is
        hidden), ``flags`` (clear four-fifths findings: the whole interval under 0.8, as
        ``{attribute, group, tier, impact_ratio, low, high, n, reached, reference}``, lowest
        first), ``uncertain`` (ratios under 0.8 whose interval reaches 0.8, same fields),
        ``proxies`` (ranked list of ``{feature, attribute, strength, mutual_information}``,
        the attribute itself and its bands left out), ``direct_use`` (sensitive attributes
        read by the model, see :func:`audit.proxies.direct_use`), ``suppressed_cells``
        (groups hidden over every table), ``findings_may_be_hidden`` (True when a hidden
        group would fail the four-fifths rule were it shown), ``friends`` (attribute ->
        group -> ``{points, low, high, n}``: mean points from friends with its 95% interval
        and the group's people, every field None when hidden; None when friends' scores
        are not an input), ``accuracy`` (the manifest's metrics, with ``measured_on`` when
        recorded), ``drivers`` (feature -> mean absolute SHAP value in points, largest
        first), ``disclosure`` (what the score shown in public reveals: ``views``,
        ``attributes`` and ``inputs`` of :func:`audit.disclosure.disclosure_findings`) and
        ``outcomes`` (the model's decisions against recorded outcomes: AUC, ROC, confusion
        matrix, error rates and their differences by group, cutoff sweep; see
        :func:`audit.error_rates.outcome_findings`; None when the run records none).
    """
    ratios: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    references: dict[str, dict[str, str | None]] = {}
    flags: list[dict[str, Any]] = []
    uncertain: list[dict[str, Any]] = []
    suppressed, may_be_hidden = 0, False
    singles: list[pd.DataFrame] = []
    sensitive = [a for a in run.roles.sensitive if a in run.people.columns]
    for attribute in [*sensitive, *combinations(sensitive, 2)]:
        hidden = tier_table_with_suppression(run, attribute, k=k,
                                             min_reference=min_reference)[1]
        suppressed += hidden.cells
        may_be_hidden = may_be_hidden or _hidden_flag(run, attribute, hidden.mask)
        name = attribute_name(attribute)
        long = impact_ratios(run, attribute, k=k, min_reference=min_reference)
        if isinstance(attribute, str):
            singles.append(long)
        ratios[name], references[name] = {}, {}
        for row in long.to_dict("records"):
            cell = _cell(row)
            ratios[name].setdefault(row["group"], {})[row["tier"]] = cell
            references[name][row["tier"]] = (None if pd.isna(row["reference"])
                                             else str(row["reference"]))
            if row["finding"] in (CLEAR, UNCERTAIN):
                found = {"attribute": name, "group": row["group"], "tier": row["tier"],
                         "impact_ratio": cell["ratio"], "low": cell["low"],
                         "high": cell["high"], "n": cell["n"], "reached": cell["reached"],
                         "reference": references[name][row["tier"]]}
                (flags if row["finding"] == CLEAR else uncertain).append(found)
    for found in (flags, uncertain):
        found.sort(key=lambda f: (f["impact_ratio"], f["attribute"], f["group"], f["tier"]))
    friends: dict[str, dict[str, dict[str, Any]]] | None = None
    if FRIENDS_FEATURE in run.roles.inputs:
        friends = {}
        for attribute in sensitive:
            table = friends_by_group(run, attribute, k=k)
            friends[attribute] = {
                row["group"]: {"points": _finite_or_none(row["points"]),
                               "low": _finite_or_none(row["points_lower"]),
                               "high": _finite_or_none(row["points_upper"]),
                               "n": _count(row["count"])}
                for row in table.to_dict("records")}
    drivers = mean_abs_shap(run.explanation.values).sort_values(ascending=False)
    metrics = run.manifest.get("metrics", {})
    shown = disclosure_findings(run, k=k, bands=False)
    thresholds = {t.name: t.min_score for t in run.roles.tiers}
    penalty = most_penalised(pd.concat(singles, ignore_index=True), thresholds) if singles \
        else None
    headline = {"sentence": penalty_sentence(penalty, run.roles, run.roles.labels),
                **(penalty.to_json() if penalty is not None else {})}
    return {
        "run": run.path.name,
        "people": len(run.people),
        "k": k,
        "headline": headline,
        "tiers": {t.name: t.min_score for t in run.roles.tiers},
        "favourable": run.roles.favourable,
        "reference_min": reference_size(k, min_reference),
        "references": references,
        "impact_ratios": ratios,
        "flags": flags,
        "uncertain": uncertain,
        "proxies": _records(proxy_strength(run)),
        "direct_use": _records(direct_use(run)),
        "suppressed_cells": int(suppressed),
        "findings_may_be_hidden": may_be_hidden,
        "friends": friends,
        "accuracy": {m: (v if m == "measured_on" else float(v)) for m, v in metrics.items()
                     if (m == "measured_on" and isinstance(v, str))
                     or (isinstance(v, int | float) and not isinstance(v, bool))},
        "drivers": {f: float(v) for f, v in drivers.items()},
        "disclosure": {key: shown[key] for key in ("views", "attributes", "inputs")},
        "outcomes": outcome_findings(run, k=k),
    }


def _flag_line(flag: dict[str, Any], name: Any) -> str:
    attribute = " & ".join(name(a, a) for a in str(flag["attribute"]).split(" & "))
    return (f"  {flag['impact_ratio']:5.2f} [{flag['low']:.2f}, {flag['high']:.2f}]  "
            f"{attribute} = {plain(flag['group'])}, tier {plain(flag['tier'])} "
            f"({flag['reached']} of {flag['n']} people; reference "
            f"{plain(flag['reference'])})")


def findings_text(findings: dict[str, Any], labels: dict[str, str] | None = None,
                  *, roles: Roles, top: int = 8) -> str:
    """Return a plain-text summary of :func:`audit_findings` for a terminal.

    Parameters
    ----------
    findings : dict
        Output of :func:`audit_findings`.
    labels : dict, optional
        Column -> human label.
    roles : Roles
        The run's roles, to write the error and the drivers in the score's unit.
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
    if findings.get("headline"):
        lines.append(f"Headline: {findings['headline']['sentence']}")
    accuracy = findings["accuracy"]
    if "r2" in accuracy:
        mae = units.format_change(accuracy.get("mae_points", float("nan")), roles,
                                  signed=False)
        lines.append(f"  {metric_label('r2', accuracy)} {accuracy['r2']:.3f}, "
                     f"{metric_label('mae_points').lower()} {mae}")
    flags, uncertain = findings["flags"], findings.get("uncertain") or []
    lines.append(f"Four-fifths rule: {len(flags)} clear finding(s), group/tier pairs whose "
                 "whole 95% interval lies under 0.8 (reference: the most favoured group of "
                 f"at least {findings.get('reference_min', '?')} people)")
    if findings.get("findings_may_be_hidden"):
        lines.append(f"  {HIDDEN_FINDING.format(k=findings['k'])}")
    for flag in flags[:top]:
        lines.append(_flag_line(flag, name))
    lines.append(f"Uncertain: {len(uncertain)} pair(s) under 0.8 whose interval reaches 0.8")
    for flag in uncertain[:top]:
        lines.append(_flag_line(flag, name))
    for line in direct_use_lines(findings.get("direct_use") or [], labels, roles=roles):
        lines.append(line)
    lines.append("Strongest proxies (AUC of one input predicting a sensitive attribute):")
    for proxy in findings["proxies"][:top]:
        lines.append(f"  {proxy['strength']:5.2f}  {name(proxy['feature'], proxy['feature'])}"
                     f" -> {name(proxy['attribute'], proxy['attribute'])}")
    if findings["friends"] is None:
        lines.append("Points from friends: not available for this run")
    else:
        lines.append("Mean points from friends' scores, by group:")
        for attribute, groups in findings["friends"].items():
            shown = ", ".join(f"{plain(g)} {c['points']:+.1f} [{c['low']:+.1f}, "
                              f"{c['high']:+.1f}]" if c["points"] is not None
                              else f"{plain(g)} hidden"
                              for g, c in groups.items())
            lines.append(f"  {name(attribute, attribute)}: {shown}")
    lines += outcome_lines(findings.get("outcomes"), name)
    lines.append(f"Largest drivers (mean |SHAP|, {units.change_label(roles)}):")
    for feature, push in list(findings["drivers"].items())[:top]:
        lines.append(f"  {units.number(push, roles, change=True).lstrip('+'):>6}  "
                     f"{name(feature, feature)}")
    return "\n".join(lines)
