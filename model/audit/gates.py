"""Audit gates: thresholds on audit findings that fail a build when a finding crosses them.

A gate is one short expression, ``METRIC[ATTRIBUTE] OP NUMBER``, read as "fail when any
finding of METRIC is OP NUMBER"::

    impact_ratio<0.8              any group's tier access under 0.8 of the best group's
    impact_ratio[sex]<0.8         the same, for the attribute ``sex`` only
    impact_ratio[sex & age]<0.8   the same, for the intersection of ``sex`` and ``age``
    proxy_strength>0.7            any input predicts a sensitive attribute that strongly
    proxy_strength[ethnicity]>=0.5
    suppressed_cells>20           more than 20 group x tier cells too small to show

On a run that records outcomes (see ``audit.error_rates``), also::

    equalized_odds_difference>0.1        any attribute's largest gap in true or false
                                         positive rates between two groups over 0.1
    predictive_parity_difference[sex]>0.1
    tpr_difference>0.1   fpr_difference>0.1
    auc<0.7                              the model ranks outcomes worse than that

METRIC is ``impact_ratio``, ``proxy_strength``, ``suppressed_cells`` or one of those outcome
metrics; OP is one of ``<``, ``<=``, ``>``, ``>=``; spaces are allowed. Impact ratios cover
every sensitive attribute and every intersection of two (named as in the findings,
``a & b``), and so do differences of error rates. Suppressed impact ratios and rates
(groups under k people, or that would give one away) never trip a gate.

An impact ratio, a difference of error rates or an AUC trips a gate only when its whole 95%
interval crosses the threshold (for ``<`` its upper end is under it): a clear finding. A
ratio that crosses while its interval does not is uncertain: :func:`uncertain_crossings`
lists those apart, and they never fail a build. A sensitive attribute read directly by the
model is not a proxy of itself (see ``audit.proxies.direct_use``), so ``proxy_strength``
never sees it.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

OUTCOME_METRICS = ("equalized_odds_difference", "predictive_parity_difference",
                   "tpr_difference", "fpr_difference", "auc")
METRICS = ("impact_ratio", "proxy_strength", "suppressed_cells", *OUTCOME_METRICS)
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_GATE = re.compile(r"^\s*([a-z_]+)\s*(?:\[\s*([^\]]+?)\s*\])?\s*(<=|>=|<|>)\s*(\S+)\s*$")


class GateError(ValueError):
    """A gate expression that cannot be read; the message shows the expected syntax."""


@dataclass(frozen=True)
class Gate:
    """A parsed gate: fail when ``metric`` (for ``attribute``, if given) ``op`` ``threshold``."""

    metric: str
    op: str
    threshold: float
    attribute: str | None = None

    @property
    def text(self) -> str:
        """The gate written back in its canonical form."""
        scope = f"[{self.attribute}]" if self.attribute else ""
        return f"{self.metric}{scope}{self.op}{self.threshold:g}"


@dataclass(frozen=True)
class Breach:
    """A finding that crosses a gate, with the 95% interval of an impact ratio."""

    gate: Gate
    where: str
    value: float
    low: float | None = None
    high: float | None = None

    @property
    def text(self) -> str:
        """One line saying which gate and which finding."""
        interval = ("" if self.low is None or self.high is None
                    else f" [95% interval {self.low:.3g} to {self.high:.3g}]")
        return f"{self.gate.text}: {self.where} = {self.value:.3g}{interval}"


def parse_gate(text: str) -> Gate:
    """Parse one gate expression (syntax in the module docstring).

    Parameters
    ----------
    text : str
        E.g. ``"impact_ratio<0.8"`` or ``"proxy_strength[ethnicity] > 0.7"``.

    Returns
    -------
    Gate
        The gate.

    Raises
    ------
    GateError
        For an unknown metric, a missing or unknown operator, or a threshold that is not a
        finite number.
    """
    usage = ("expected METRIC[ATTRIBUTE] OP NUMBER, e.g. impact_ratio<0.8, with METRIC one "
             f"of {', '.join(METRICS)} and OP one of <, <=, >, >=")
    match = _GATE.match(text or "")
    if not match:
        raise GateError(f"malformed gate {text!r}: {usage}")
    metric, attribute, op, raw = match.groups()
    if metric not in METRICS:
        raise GateError(f"unknown metric {metric!r} in gate {text!r}: {usage}")
    try:
        threshold = float(raw)
    except ValueError:
        raise GateError(f"threshold {raw!r} in gate {text!r} is not a number") from None
    if not math.isfinite(threshold):
        raise GateError(f"threshold {raw!r} in gate {text!r} is not a finite number")
    if metric == "suppressed_cells" and attribute:
        raise GateError(f"suppressed_cells counts all attributes; drop [{attribute}] in {text!r}")
    if metric == "auc" and attribute:
        raise GateError(f"auc is one figure for everyone; drop [{attribute}] in {text!r}")
    return Gate(metric, op, threshold, attribute)


Crossing = tuple[str, float, float | None, float | None]  # where, value, low, high


def _values(findings: dict[str, Any], gate: Gate) -> Iterable[Crossing]:
    if gate.metric == "impact_ratio":
        for attribute, groups in (findings.get("impact_ratios") or {}).items():
            if gate.attribute not in (None, attribute):
                continue
            for group, tiers in groups.items():
                for tier, cell in tiers.items():
                    ratio = (cell or {}).get("ratio")
                    if ratio is not None and math.isfinite(ratio):
                        yield (f"{attribute}={group}, tier {tier}", float(ratio),
                               cell.get("low"), cell.get("high"))
    elif gate.metric == "proxy_strength":
        for proxy in findings.get("proxies") or []:
            if gate.attribute in (None, proxy["attribute"]) and proxy["strength"] is not None:
                yield (f"{proxy['feature']} -> {proxy['attribute']}",
                       float(proxy["strength"]), None, None)
    elif gate.metric == "auc":
        auc = findings["outcomes"]["auc"]
        if auc["auc"] is not None:
            yield "AUC", float(auc["auc"]), auc["low"], auc["high"]
    elif gate.metric in OUTCOME_METRICS:
        for attribute, found in findings["outcomes"]["differences"].items():
            cell = found[gate.metric]
            if gate.attribute in (None, attribute) and cell["value"] is not None:
                yield (f"{attribute}: {cell['groups'][0]} vs {cell['groups'][1]}",
                       float(cell["value"]), cell["low"], cell["high"])
    else:
        yield "suppressed cells", float(findings.get("suppressed_cells") or 0), None, None


def _check_attributes(findings: dict[str, Any], gate: Gate) -> None:
    outcomes = findings.get("outcomes")
    if gate.metric in OUTCOME_METRICS and (not outcomes or "withheld" in outcomes):
        why = (outcomes or {}).get("withheld") or "this run records no outcomes"
        raise GateError(f"gate {gate.text!r} cannot be checked: {why}")
    if gate.attribute is None:
        return
    known = set(findings.get("impact_ratios") or {}) | {
        p["attribute"] for p in findings.get("proxies") or []}
    if gate.attribute not in known:
        raise GateError(f"gate {gate.text!r} names attribute {gate.attribute!r}, which "
                        f"this audit does not have ({', '.join(sorted(known))})")


def _crossings(findings: dict[str, Any], gates: Sequence[Gate], *, clear: bool
               ) -> list[Breach]:
    breaches: list[Breach] = []
    for gate in gates:
        _check_attributes(findings, gate)
        test = _OPERATORS[gate.op]
        worst_first = gate.op in ("<", "<=")
        hits = []
        for where, value, low, high in _values(findings, gate):
            far = high if worst_first else low  # the end of the interval nearest the gate
            whole = far is None or not math.isfinite(far) or test(far, gate.threshold)
            if test(value, gate.threshold) and whole == clear:
                hits.append(Breach(gate, where, value, low, high))
        breaches += sorted(hits, key=lambda b: b.value, reverse=not worst_first)
    return breaches


def evaluate_gates(findings: dict[str, Any], gates: Sequence[Gate]) -> list[Breach]:
    """Return every clear finding that crosses a gate, in gate order, worst first within one.

    Parameters
    ----------
    findings : dict
        Output of ``audit.findings.audit_findings`` (keys ``impact_ratios``, ``proxies``,
        ``suppressed_cells``, ``outcomes``).
    gates : sequence of Gate
        Parsed gates.

    Returns
    -------
    list of Breach
        Empty when no gate is crossed. An impact ratio, a difference of error rates or an
        AUC counts when its whole 95% interval crosses the threshold.

    Raises
    ------
    GateError
        When a gate names an attribute the findings do not have, or an outcome metric on
        a run that records no outcomes.

    See Also
    --------
    uncertain_crossings : impact ratios that cross a gate while their interval does not.
    """
    return _crossings(findings, gates, clear=True)


def uncertain_crossings(findings: dict[str, Any], gates: Sequence[Gate]) -> list[Breach]:
    """Return the findings that cross a gate while their 95% interval does not.

    Parameters
    ----------
    findings : dict
        Output of ``audit.findings.audit_findings``.
    gates : sequence of Gate
        Parsed gates.

    Returns
    -------
    list of Breach
        Uncertain findings, in gate order, worst first within a gate; they fail no build.

    Raises
    ------
    GateError
        When a gate names an attribute the findings do not have.
    """
    return _crossings(findings, gates, clear=False)
