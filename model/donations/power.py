"""How many donors a campaign needs: power curves by simulation on a synthetic run.

For every bias and repetition, donors are drawn once as a weighted order of the whole
population (see :func:`donations.campaign.weighted_order`); a campaign of ``m`` donations
is the first ``m`` of that order, so the campaigns of one repetition are nested, as a
growing campaign would be. Each donor states each sensitive attribute with probability
``1 - blank``; scores are rounded as a record shows them. For each campaign size:

- an **impact-ratio finding** (``impact_ratio:ATTRIBUTE=GROUP@TIER``) is detected when the
  donors' ratio of the group to the white-box audit's reference group is clearly under
  0.8 (its whole Katz 95% interval, :func:`figures.intervals.ratio_interval`), with the
  group shown (at least ``k`` donors who state it); its error is the estimate minus the
  white-box ratio;
- a **rule's effect** (``rule:FEATURE``, synthetic runs only) is detected when a linear
  regression of the score on every input finds the feature's coefficients jointly
  non-zero (Wald test at 5%); its estimate is the spread (sd) of the feature's fitted
  contribution over the donors, against the spread of the rule's true contribution.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import chdtrc

from sesame_audit.datasets.dictionary import TRUE_PREFIX
from sesame_audit.model.audit.fairness import CLEAR, FOUR_FIFTHS, impact_ratios
from sesame_audit.model.core.bad_input import BadInputError
from sesame_audit.model.core.roles import reaches
from sesame_audit.model.donations.campaign import parse_bias, round_score, weighted_order
from sesame_audit.model.figures.intervals import ratio_interval, wilson
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import Run

SIZES = (250, 500, 1_000, 2_000, 4_000, 8_000, 16_000)
BIASES = ("none", "mild", "like-the-campaign")
REPS = 100
ALPHA = 0.05
POWER = 0.8
_RATIO = re.compile(r"impact_ratio:([^=@]+)=([^@]+)@(.+)")
_RULE = re.compile(r"rule:(.+)")


@dataclass(frozen=True)
class Finding:
    """A finding whose detection is planned.

    Attributes
    ----------
    kind : {"impact_ratio", "rule"}
        What is detected.
    attribute, group, tier : str
        For an impact ratio: the group of the attribute, at the tier.
    feature : str
        For a rule: the input it reads.
    truth : float
        The white-box ratio, or the spread of the rule's true contribution.
    reference : str
        For an impact ratio: the white-box reference group.
    """

    kind: str
    attribute: str = ""
    group: str = ""
    tier: str = ""
    feature: str = ""
    truth: float = float("nan")
    reference: str = ""

    @property
    def name(self) -> str:
        """The finding as written on the command line."""
        if self.kind == "rule":
            return f"rule:{self.feature}"
        return f"impact_ratio:{self.attribute}={self.group}@{self.tier}"


def _ratio_finding(run: Run, attribute: str, group: str, tier: str, k: int,
                   table: pd.DataFrame | None = None) -> Finding:
    if attribute not in run.roles.sensitive:
        raise BadInputError(f"{attribute!r} is not a sensitive attribute of {run.path.name}")
    if tier not in run.roles.tier_names:
        raise BadInputError(f"unknown tier {tier!r}; tiers: {', '.join(run.roles.tier_names)}")
    table = impact_ratios(run, attribute, k=k) if table is None else table
    row = table[(table["group"] == group) & (table["tier"] == tier)]
    if row.empty or pd.isna(row["impact_ratio"].iloc[0]) or row["reference"].iloc[0] is None:
        raise BadInputError(f"{attribute} = {group!r} has no impact ratio at {tier} in "
                            f"{run.path.name} (an unknown or hidden group)")
    return Finding("impact_ratio", attribute, group, tier,
                   truth=float(row["impact_ratio"].iloc[0]),
                   reference=str(row["reference"].iloc[0]))


def _rule_finding(run: Run, feature: str) -> Finding:
    column = TRUE_PREFIX + feature
    if column not in run.people.columns:
        raise BadInputError(f"no hidden rule reads {feature!r} in {run.path.name} (rules are "
                            "known for synthetic runs only)")
    return Finding("rule", feature=feature,
                   truth=float(run.people[column].to_numpy(dtype=float).std()))


def parse_finding(run: Run, text: str, *, k: int = DEFAULT_K) -> Finding:
    """Read a finding: ``impact_ratio:ATTRIBUTE=GROUP@TIER`` or ``rule:FEATURE``.

    Parameters
    ----------
    run : Run
        The synthetic run.
    text : str
        The finding.
    k : int, default=11
        Smallest group shown.

    Returns
    -------
    Finding
        With its white-box value.

    Raises
    ------
    BadInputError
        For text of another form, or an attribute, group, tier or rule the run lacks.
    """
    if (found := _RATIO.fullmatch(text.strip())) is not None:
        return _ratio_finding(run, *(part.strip() for part in found.groups()), k)
    if (found := _RULE.fullmatch(text.strip())) is not None:
        return _rule_finding(run, found.group(1).strip())
    raise BadInputError(f"finding {text!r}: write impact_ratio:ATTRIBUTE=GROUP@TIER (e.g. "
                        "impact_ratio:ethnicity=minority_a@standard) or rule:FEATURE")


def default_findings(run: Run, *, k: int = DEFAULT_K) -> list[Finding]:
    """Return the white-box audit's clear four-fifths findings at the lowest tier that has
    any (one attribute at a time), and every hidden rule.

    Parameters
    ----------
    run : Run
        A synthetic run.
    k : int, default=11
        Smallest group shown.

    Returns
    -------
    list of Finding
        The findings.
    """
    found = []
    for attribute in [a for a in run.roles.sensitive if a in run.people.columns]:
        table = impact_ratios(run, attribute, k=k)
        clear = table[table["finding"] == CLEAR]
        if len(clear):
            tier = next(t for t in run.roles.tier_names if t in set(clear["tier"]))
            for row in clear[clear["tier"] == tier].itertuples():
                found.append(_ratio_finding(run, attribute, str(row.group), tier, k, table))
    rules = [c[len(TRUE_PREFIX):] for c in run.people.columns if c.startswith(TRUE_PREFIX)]
    return found + [_rule_finding(run, f) for f in rules if f in run.roles.inputs]


def design(people: pd.DataFrame, inputs: tuple[str, ...], categorical: tuple[str, ...]
           ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Return a regression design (intercept, standardised numbers, one-hot categories).

    Parameters
    ----------
    people : pandas.DataFrame
        The population.
    inputs : tuple of str
        Inputs.
    categorical : tuple of str
        Categorical inputs (one column per category but the first).

    Returns
    -------
    X : numpy.ndarray
        The design, intercept first.
    blocks : dict
        Input -> its columns in ``X``.
    """
    columns, blocks = [np.ones(len(people))], {}
    for feature in inputs:
        values = people[feature]
        if feature in categorical:
            levels = sorted(values.astype(str).unique())[1:]
            block = [(values.astype(str) == level).to_numpy(dtype=float) for level in levels]
        else:
            v = values.to_numpy(dtype=float)
            block = [(v - v.mean()) / (v.std() or 1.0)]
        blocks[feature] = np.arange(len(columns), len(columns) + len(block))
        columns += block
    return np.column_stack(columns), blocks


def _rules(X: np.ndarray, y: np.ndarray, blocks: dict[str, np.ndarray],
           rules: list[Finding]) -> list[tuple[bool, float]]:
    """Wald test and fitted spread of each rule's feature, by least squares."""
    inverse = np.linalg.pinv(X.T @ X)
    beta = inverse @ (X.T @ y)
    residual = y - X @ beta
    sigma2 = float(residual @ residual) / max(len(y) - X.shape[1], 1)
    statistics, freedoms, spreads = [], [], []
    for rule in rules:
        cols = blocks[rule.feature]
        b = beta[cols]
        cov = inverse[np.ix_(cols, cols)] * sigma2
        statistics.append(float(b @ np.linalg.lstsq(cov, b, rcond=None)[0]))
        freedoms.append(len(cols))
        spreads.append(float((X[:, cols] @ b).std()))
    p = chdtrc(np.array(freedoms, dtype=float), np.array(statistics))
    return [(bool(q < ALPHA), spread) for q, spread in zip(p, spreads, strict=True)]


def power_curve(run: Run, findings: list[Finding] | None = None, *,
                sizes: tuple[int, ...] = SIZES, biases: tuple[str, ...] = BIASES,
                reps: int = REPS, seed: int = 0, k: int = DEFAULT_K, blank: float = 0.15,
                round_to: float = 1.0) -> dict[str, Any]:
    """Simulate campaigns of every size and bias; the probability of detecting each finding.

    Parameters
    ----------
    run : Run
        A synthetic run (rules need its true contributions).
    findings : list of Finding, optional
        Findings to plan for (default: :func:`default_findings`).
    sizes : tuple of int
        Donations per campaign; sizes over the run's people are left out.
    biases : tuple of str
        Bias presets or specs (see :func:`donations.campaign.parse_bias`).
    reps : int, default=100
        Campaigns simulated per bias.
    seed : int, default=0
        Seed of every draw.
    k : int, default=11
        Smallest group shown.
    blank : float, default=0.15
        Chance that a donor leaves a sensitive attribute blank.
    round_to : float, default=1.0
        Rounding of the recorded score.

    Returns
    -------
    dict
        JSON-ready: ``run``, ``people``, ``reps``, ``sizes``, ``biases``, ``findings``
        (name, kind, truth), ``curve`` (records: ``finding``, ``bias``, ``donations``,
        ``power`` (share of campaigns detecting it), ``power_low``/``power_high`` (Wilson
        95% interval over the campaigns), ``estimate`` (mean), ``error`` (root mean
        square of estimate - truth), ``truth``), ``needed`` (finding -> bias -> fewest
        donations reaching 80% power, None when no size does) and ``seconds``.

    Raises
    ------
    BadInputError
        When no size fits the run, or ``reps`` is under 1.

    Examples
    --------
    >>> plan = power_curve(load_run("runs/proxy-n20000-s0"), reps=50)  # doctest: +SKIP
    >>> plan["needed"]["impact_ratio:ethnicity=minority_a@standard"]["mild"]  # doctest: +SKIP
    500
    """
    start = time.perf_counter()
    chosen = findings if findings is not None else default_findings(run, k=k)
    usable = tuple(m for m in sorted(set(sizes)) if m <= run.n)
    if not usable:
        raise BadInputError(f"every campaign size is over the run's {run.n:,} people")
    if reps < 1:
        raise BadInputError(f"reps must be at least 1, got {reps}")
    roles, people = run.roles, run.people
    score = round_score(run.explanation.prediction, round_to)
    ratios = [f for f in chosen if f.kind == "impact_ratio"]
    rules = [f for f in chosen if f.kind == "rule"]
    X, blocks = design(people, roles.inputs, roles.categorical) if rules else (None, {})
    thresholds = {t.name: t.min_score for t in roles.tiers}
    labels = {a: pd.factorize(people[a].astype(str))
              for a in sorted({f.attribute for f in ratios})}
    rng = np.random.default_rng(seed)
    hits = np.zeros((len(biases), len(usable), len(chosen)))
    estimates = np.full((len(biases), len(usable), len(chosen), reps), np.nan)
    for b, bias in enumerate(biases):
        weights = parse_bias(bias).weights(people)
        for rep in range(reps):
            order = weighted_order(weights, rng)
            stated = {a: rng.random(len(people)) >= blank for a in labels}
            for s, size in enumerate(usable):
                rows = order[:size]
                for i, finding in enumerate(ratios):
                    found, estimate = _ratio_detect(finding, labels, stated, score, rows,
                                                    thresholds, k, roles.favourable)
                    hits[b, s, i] += found
                    estimates[b, s, i, rep] = estimate
                if rules:
                    tested = _rules(X[rows], score[rows], blocks, rules)
                    for j, (found, estimate) in enumerate(tested):
                        hits[b, s, len(ratios) + j] += found
                        estimates[b, s, len(ratios) + j, rep] = estimate
    ordered = ratios + rules
    records, needed = [], {}
    for i, finding in enumerate(ordered):
        needed[finding.name] = {}
        for b, bias in enumerate(biases):
            reached = None
            for s, size in enumerate(usable):
                power = hits[b, s, i] / reps
                low, high = wilson(hits[b, s, i], reps)
                values = estimates[b, s, i]
                values = values[np.isfinite(values)]
                records.append({
                    "finding": finding.name, "bias": bias, "donations": size,
                    "power": float(power), "power_low": float(low), "power_high": float(high),
                    "estimate": float(values.mean()) if len(values) else None,
                    "error": (float(np.sqrt(np.mean((values - finding.truth) ** 2)))
                              if len(values) else None),
                    "truth": finding.truth})
                if reached is None and power >= POWER:
                    reached = size
            needed[finding.name][bias] = reached
    return {"run": run.path.name, "people": run.n, "reps": reps, "sizes": list(usable),
            "biases": list(biases),
            "findings": [{"name": f.name, "kind": f.kind, "truth": f.truth} for f in ordered],
            "curve": records, "needed": needed,
            "seconds": round(time.perf_counter() - start, 2)}


def _ratio_detect(finding: Finding, labels: dict[str, tuple[np.ndarray, pd.Index]],
                  stated: dict[str, np.ndarray], score: np.ndarray, rows: np.ndarray,
                  thresholds: dict[str, float], k: int, favourable: str
                  ) -> tuple[bool, float]:
    """Whether the donors in ``rows`` show the finding clearly, and their ratio."""
    codes, names = labels[finding.attribute]
    label = codes[rows]
    says = stated[finding.attribute][rows]
    reach = reaches(score[rows], thresholds[finding.tier], favourable)
    group = says & (label == names.get_loc(finding.group))
    reference = says & (label == names.get_loc(finding.reference))
    n1, n2 = int(group.sum()), int(reference.sum())
    if n1 < k or n2 < k:
        return False, float("nan")
    ratio, _low, high = ratio_interval(int(reach[group].sum()), n1, int(reach[reference].sum()),
                                       n2)
    return bool(high < FOUR_FIFTHS), float(ratio)
