"""The small-cell rule on hand-made tables, checked against bounds found by linear programming,
and where it is applied: findings and gates on intersections, the finder, the ego network."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from test_network import _friends_world
from tiny_runs import tiny_run

from sesame_audit.model.audit.findings import audit_findings
from sesame_audit.model.audit.gates import evaluate_gates, parse_gate
from sesame_audit.model.audit.network import ego_network
from sesame_audit.model.figures.suppress import count_text, suppression
from sesame_audit.model.person.finder import find_people
from sesame_audit.model.report.document import report_context

K = 11


def _bounds(cells: pd.DataFrame, hidden: np.ndarray, lines: list[np.ndarray],
            target: np.ndarray) -> tuple[float, float]:
    """Smallest and largest number of people ``target`` (a 0/1 vector over the hidden
    cells) can hold, given every line's total and the cells shown (an LP over the hidden
    counts, which are non-negative)."""
    values = cells["count"].to_numpy(dtype=float)
    rows, rhs = [], []
    for line in lines:
        inside = np.isin(np.flatnonzero(hidden), line).astype(float)
        if inside.any():
            rows.append(inside)
            rhs.append(values[line].sum() - values[line][~hidden[line]].sum())
    low = linprog(target, A_eq=rows, b_eq=rhs, bounds=(0, None)).fun
    high = -linprog(-target, A_eq=rows, b_eq=rhs, bounds=(0, None)).fun
    return low, high


def _assert_nothing_small_recoverable(counts: pd.Series, mask: np.ndarray) -> None:
    """No hidden cell, nor the hidden part of a line, is pinned to fewer than K people."""
    cells = counts.rename("count").reset_index()
    n = len(cells)
    lines = [np.arange(n)]
    for level in range(counts.index.nlevels):
        codes = counts.index.get_level_values(level)
        margin = counts.groupby(codes).sum()
        lines += [np.flatnonzero(codes == v) for v in margin.index if margin[v] >= K]
    positions = np.flatnonzero(mask)
    targets = [np.eye(len(positions))[i] for i in range(len(positions))]
    targets += [np.isin(positions, line).astype(float) for line in lines]
    for target in targets:
        if not target.any():
            continue
        low, high = _bounds(cells, mask, lines, target)
        truth = float(counts.to_numpy()[positions] @ target)
        if np.isclose(low, high):
            assert truth >= K, f"{truth} people recoverable exactly"


def test_two_hidden_groups_of_7_and_3_hide_a_third() -> None:
    counts = pd.Series({"a": 7, "b": 3, "c": 40, "d": 50})
    hidden = suppression(counts, k=K)
    assert hidden.mask.tolist() == [True, True, True, False]
    assert counts[hidden.mask].sum() >= K  # the total minus "d" is 50
    _assert_nothing_small_recoverable(counts, hidden.mask.to_numpy())


@pytest.mark.parametrize("seed", range(6))
def test_random_intersections_leave_nothing_small_to_recompute(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, columns = ["r1", "r2", "r3"], ["c1", "c2", "c3", "c4"]
    values = rng.choice([1, 3, 5, 8, 12, 20, 40, 70], size=len(rows) * len(columns))
    index = pd.MultiIndex.from_tuples(list(product(rows, columns)), names=["p", "q"])
    counts = pd.Series(values, index=index)
    mask = suppression(counts, k=K).mask.to_numpy()
    assert mask[counts.to_numpy() < K].all()
    _assert_nothing_small_recoverable(counts, mask)


def test_an_intersection_hides_the_same_groups_whichever_attribute_comes_first() -> None:
    pairs = list(product(["a", "b", "c"], ["x", "y"]))
    values = [3, 47, 15, 15, 30, 30]
    one = suppression(pd.Series(values, index=pd.MultiIndex.from_tuples(
        pairs, names=["p", "q"])), k=K).mask
    other = suppression(pd.Series(values, index=pd.MultiIndex.from_tuples(
        [(q, p) for p, q in pairs], names=["q", "p"])), k=K).mask
    assert {key for key, gone in one.items() if gone} == {
        (p, q) for (q, p), gone in other.items() if gone}


def test_counts_below_k_are_words() -> None:
    assert count_text(3, k=K) == "fewer than 11"
    assert count_text(0, k=K) == "0"
    assert count_text(1234, k=K) == "1,234"


def _crossed_run(small: int = 30, others: int = 30):
    """Groups x&u (``small`` people, 60% reaching 'high'), x&v, y&u, y&v (``others``, all
    reach)."""
    sizes = {("x", "u"): small, ("x", "v"): others, ("y", "u"): others, ("y", "v"): others}
    a, b, score = [], [], []
    for (first, second), size in sizes.items():
        reach = round(0.6 * size) if (first, second) == ("x", "u") else size
        a += [first] * size
        b += [second] * size
        score += [620.0] * reach + [450.0] * (size - reach)
    people = pd.DataFrame({"person_id": np.arange(len(a)), "a": a, "b": b, "x": 0.0,
                           "score": score})
    return tiny_run(people, inputs=("x",), sensitive=("a", "b"),
                    prediction=np.array(score), shap=pd.DataFrame({"x": np.zeros(len(a))}))


def test_findings_and_gates_cover_intersections() -> None:
    findings = audit_findings(_crossed_run(60, 60), k=K)  # enough people for clear findings
    # x: 96 of 120 reach 'high' against 120 of 120 for y, so 0.8: not under the rule; x & u: 0.6
    assert findings["impact_ratios"]["a"]["x"]["high"]["ratio"] == pytest.approx(0.8)
    assert findings["impact_ratios"]["a & b"]["x & u"]["high"]["ratio"] == pytest.approx(0.6)
    # 450 points reach neither tier, so both tiers flag x & u at 0.6
    assert [(f["attribute"], f["group"], f["tier"]) for f in findings["flags"]] == [
        ("a & b", "x & u", "high"), ("a & b", "x & u", "low")]
    breaches = evaluate_gates(findings, [parse_gate("impact_ratio<0.8")])
    assert sorted(b.where for b in breaches) == ["a & b=x & u, tier high",
                                                 "a & b=x & u, tier low"]
    assert evaluate_gates(findings, [parse_gate("impact_ratio[a]<0.8")]) == []
    assert not findings["findings_may_be_hidden"]


def test_a_hidden_group_that_would_be_flagged_is_announced() -> None:
    run = _crossed_run(small=10)  # x & u: 6 of 10 reach 'high'
    findings = audit_findings(run, k=K)
    assert findings["impact_ratios"]["a & b"]["x & u"]["high"]["ratio"] is None
    assert findings["findings_may_be_hidden"]
    summary = " ".join(report_context(run, findings, k=K)["summary"])
    assert "A finding may be hidden" in summary
    assert not audit_findings(run, k=5)["findings_may_be_hidden"]  # shown, and flagged
    shown = audit_findings(run, k=5)  # 6 of 10: under 0.8, too few people to be clear
    assert [(f["group"], f["tier"]) for f in shown["flags"] + shown["uncertain"]
            if f["attribute"] == "a & b"] == [("x & u", "high"), ("x & u", "low")]


def test_the_finder_never_lists_fewer_than_k() -> None:
    run = _crossed_run(small=10)
    matches, n = find_people(run, where={"a": "x"}, k=K)
    assert n == 40 and len(matches) == 40
    for value in ("x", "y"):
        for tier in ("below_tiers", "high"):
            matches, n = find_people(run, where={"a": value}, tier=tier, k=K, limit=100)
            truth = int(((run.people["a"] == value)
                         & ((run.explanation.prediction >= 600) == (tier == "high"))).sum())
            if 0 < truth < K:
                assert n is None and matches.empty
            elif n is not None:
                assert n == truth == len(matches)
    # x holds 40, 4 of them below every tier: its 36 at 'high' would give the 4 away
    assert find_people(run, where={"a": "x"}, tier="high", k=K)[1] is None


def test_friends_are_shown_without_their_sensitive_attributes() -> None:
    run = _friends_world()
    assert "group" not in ego_network(run, 0).columns
    revealed = ego_network(run, 0, with_sensitive=True)
    assert revealed["group"].tolist() == ["a", "b", "b", "a"]  # persons 0, 1, 3, 2
