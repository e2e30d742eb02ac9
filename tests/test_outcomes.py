"""Decisions against recorded outcomes: every rate recomputed by hand from the stored frame,
intervals from independent implementations, small cells hidden, gates, CLI and report."""

from __future__ import annotations

import json
import math
from itertools import combinations, product

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import equalized_odds_difference
from outcome_inputs import INPUTS, REGIONS, import_outcome_run
from scipy.optimize import linprog
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from sesame_audit.model.audit.classifier_views import (
    TooFewOutcomes,
    confusion,
    cutoff_grid,
    cutoff_sweep,
    recorded_outcomes,
    require_outcomes,
    roc,
)
from sesame_audit.model.audit.error_rates import (
    error_rate_differences,
    error_rate_table,
    outcome_findings,
)
from sesame_audit.model.audit.fairness import impact_ratios, tier_table
from sesame_audit.model.audit.findings import audit_findings
from sesame_audit.model.audit.gates import (
    GateError,
    evaluate_gates,
    parse_gate,
    uncertain_crossings,
)
from sesame_audit.model.cli import main
from sesame_audit.model.figures.intervals import auc_interval, difference_interval
from sesame_audit.model.figures.suppress import suppression
from sesame_audit.model.report.document import build_report
from sesame_audit.model.runs.store import load_run

K = 11


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory):
    """A folder with the loan table imported in log-odds, and once without a target."""
    where = tmp_path_factory.mktemp("outcomes")
    import_outcome_run(where, "loans")
    import_outcome_run(where, "no-target",
                       roles='id = "person"\nsensitive = ["sex", "region"]\n'
                             'positive_class = "yes"\nthresholds = [0.5]\n')
    return where


@pytest.fixture(scope="module")
def run(folder):
    return load_run(folder / "runs" / "loans")


def _by_hand(run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome, decision (probability at least 0.5) and score (log-odds), read from the
    table and the model's own predict_proba."""
    frame = pd.read_csv(run.path.parent.parent / "loans.csv").set_index("person")
    frame = frame.loc[run.people["person"]]
    outcome = (frame["approved"] == "yes").to_numpy()
    probability = run.model.predict_proba(frame[INPUTS])[:, 1]
    score = np.asarray(run.explanation.prediction, dtype=float)
    assert np.allclose(score, np.log(probability / (1 - probability)))
    return outcome, probability >= 0.5, score


def _wilson(count: int, n: int) -> tuple[float, float]:
    return proportion_confint(count, n, alpha=0.05, method="wilson")


def test_only_imported_runs_with_a_target_record_outcomes(folder, run) -> None:
    assert recorded_outcomes(load_run(folder / "runs" / "no-target")) is None
    assert outcome_findings(load_run(folder / "runs" / "no-target")) is None
    with pytest.raises(TooFewOutcomes, match="records no outcome"):
        require_outcomes(load_run(folder / "runs" / "no-target"))
    found = recorded_outcomes(run)
    outcome, _, score = _by_hand(run)
    assert np.array_equal(found.positive, outcome)
    assert np.allclose(found.score, score)
    with pytest.raises(TooFewOutcomes, match="fewer than"):
        require_outcomes(run, k=int(outcome.sum()) + 1)


def test_confusion_matrix_and_rates_are_recomputed_by_hand(run) -> None:
    outcome, decision, _ = _by_hand(run)
    found = confusion(require_outcomes(run), k=K)
    tn, fp, fn, tp = confusion_matrix(outcome, decision).ravel()
    assert found["cells"] == {"true_positive": tp, "false_positive": fp,
                              "false_negative": fn, "true_negative": tn}
    rates = found["rates"]
    assert rates["accuracy"]["rate"] == pytest.approx(accuracy_score(outcome, decision))
    for name, count, of in (("true_positive_rate", tp, tp + fn),
                            ("false_positive_rate", fp, fp + tn),
                            ("precision", tp, tp + fp), ("selection_rate", tp + fp, len(outcome))):
        cell = rates[name]
        assert (cell["count"], cell["n"]) == (count, of)
        assert cell["rate"] == pytest.approx(count / of)
        assert (cell["low"], cell["high"]) == pytest.approx(_wilson(count, of))


def test_a_log_odds_run_decides_at_the_typed_probability(run) -> None:
    assert run.roles.tiers[0].min_score == pytest.approx(0.0)
    probabilities = [1 / (1 + math.exp(-c)) for c in cutoff_grid(run.roles)]
    assert probabilities == pytest.approx(list(np.round(np.arange(0.05, 0.951, 0.05), 2)))


def _placements_auc(score: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """AUC and DeLong's standard error by comparing every positive with every negative."""
    pos, neg = score[positive], score[~positive]
    compare = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    auc = compare.mean()
    v10, v01 = compare.mean(axis=1), compare.mean(axis=0)
    return auc, math.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))


def test_auc_and_its_interval_match_sklearn_and_delong_by_pairs(run) -> None:
    outcome, _, score = _by_hand(run)
    curve, auc = roc(require_outcomes(run))
    assert auc["auc"] == pytest.approx(roc_auc_score(outcome, score))
    expected, se = _placements_auc(score, outcome)
    assert auc["auc"] == pytest.approx(expected)
    assert auc["low"] == pytest.approx(expected - 1.959963984540054 * se)
    assert auc["high"] == pytest.approx(min(1.0, expected + 1.959963984540054 * se))
    assert (auc["n"], auc["positives"]) == (len(outcome), int(outcome.sum()))
    assert curve["true_positive_rate"].is_monotonic_increasing
    assert curve["true_positive_rate"].iloc[-1] == 1.0
    # a point of the curve: the highest true positive rate at a false positive rate <= 0.2
    fpr = np.array([(score[~outcome] >= c).mean() for c in np.unique(score)])
    tpr = np.array([(score[outcome] >= c).mean() for c in np.unique(score)])
    at = curve.loc[np.isclose(curve["false_positive_rate"], 0.2), "true_positive_rate"]
    assert float(at.iloc[0]) == pytest.approx(tpr[fpr <= 0.2].max())


def test_tied_scores_count_one_half() -> None:
    auc, low, high = auc_interval(np.array([1.0, 1.0, 0.0, 1.0]),
                                  np.array([True, False, False, True]))
    assert auc == pytest.approx(roc_auc_score([1, 0, 0, 1], [1.0, 1.0, 0.0, 1.0]))
    assert low <= auc <= high


def test_error_rates_by_group_are_recomputed_by_hand(run) -> None:
    outcome, decision, _ = _by_hand(run)
    table = error_rate_table(run, "sex", k=K).set_index("group")
    for group in ("female", "male"):
        inside = (run.people["sex"] == group).to_numpy()
        y, d = outcome[inside], decision[inside]
        row = table.loc[group]
        assert (row["count"], row["positives"], row["negatives"], row["selected"]) == (
            inside.sum(), y.sum(), (~y).sum(), d.sum())
        for rate, count, of in (("tpr", (y & d).sum(), y.sum()),
                                ("fpr", (~y & d).sum(), (~y).sum()),
                                ("precision", (y & d).sum(), d.sum())):
            assert row[rate] == pytest.approx(count / of)
            assert (row[f"{rate}_count"], row[f"{rate}_n"]) == (count, of)
            assert (row[f"{rate}_lower"], row[f"{rate}_upper"]) == pytest.approx(
                _wilson(int(count), int(of)))


def test_an_intersection_is_recomputed_by_hand(run) -> None:
    outcome, decision, _ = _by_hand(run)
    table = error_rate_table(run, ("sex", "region"), k=1).set_index("group")
    for sex, region in product(("female", "male"), ("north", "east")):
        inside = ((run.people["sex"] == sex) & (run.people["region"] == region)).to_numpy()
        y, d = outcome[inside], decision[inside]
        row = table.loc[f"{sex} & {region}"]
        assert row["fpr"] == pytest.approx((~y & d).sum() / (~y).sum())
        assert row["precision"] == pytest.approx((y & d).sum() / d.sum())


def test_differences_match_fairlearn_and_newcombe(run) -> None:
    outcome, decision, _ = _by_hand(run)
    table = error_rate_table(run, "sex", k=K)
    found = error_rate_differences(table)
    assert found["equalized_odds_difference"]["value"] == pytest.approx(
        equalized_odds_difference(outcome, decision, sensitive_features=run.people["sex"]))
    precision = {g: (outcome & decision)[(run.people["sex"] == g).to_numpy()].sum()
                 / decision[(run.people["sex"] == g).to_numpy()].sum()
                 for g in ("female", "male")}
    parity = found["predictive_parity_difference"]
    assert parity["value"] == pytest.approx(max(precision.values()) - min(precision.values()))
    high, low = (table.set_index("group").loc[g] for g in parity["groups"])
    expected = confint_proportions_2indep(
        int(high["precision_count"]), int(high["precision_n"]), int(low["precision_count"]),
        int(low["precision_n"]), method="newcomb", compare="diff")
    # Two groups: one pair, so Newcombe's interval at 95%, of a difference that is >= 0.
    assert (parity["low"], parity["high"]) == pytest.approx((max(expected[0], 0.0), expected[1]))
    eo = found["equalized_odds_difference"]
    assert eo["value"] == max(found["tpr_difference"]["value"],
                              found["fpr_difference"]["value"])
    assert found[f"{eo['set_by']}_difference"]["value"] == eo["value"]


def test_newcombe_reproduces_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II, example (a): 56/70 - 48/80.
    difference, low, high = difference_interval(56, 70, 48, 80)
    assert (round(float(low), 4), round(float(high), 4)) == (0.0524, 0.3339)
    assert difference == pytest.approx(0.2)


def _assert_nothing_small_pinned(counts: pd.Series, mask: np.ndarray) -> None:
    """No hidden cell, nor the hidden part of a shown line, is pinned by the totals shown
    (every margin that its own table shows, and the population) to fewer than K people."""
    n, index = len(counts), counts.index
    lines = [np.arange(n)]
    for size in range(1, index.nlevels):
        for levels in combinations(range(index.nlevels), size):
            keys = list(zip(*(index.get_level_values(level) for level in levels), strict=True))
            margin = pd.Series(counts.to_numpy(), index=pd.MultiIndex.from_tuples(keys)
                               if size > 1 else [k[0] for k in keys]).groupby(level=list(
                                   range(size))).sum()
            shown = ~suppression(margin, k=K).mask
            for key in margin.index[shown.to_numpy()]:
                wanted = key if isinstance(key, tuple) else (key,)
                lines.append(np.flatnonzero([k == wanted for k in keys]))
    values, positions = counts.to_numpy(dtype=float), np.flatnonzero(mask)
    rows, rhs = [], []
    for line in lines:
        inside = np.isin(positions, line).astype(float)
        if inside.any():
            rows.append(inside)
            rhs.append(values[line][mask[line]].sum())
    for target in [*np.eye(len(positions)), *(np.isin(positions, line).astype(float)
                                             for line in lines)]:
        if not target.any() or not rows:
            continue
        low = linprog(target, A_eq=rows, b_eq=rhs, bounds=(0, None)).fun
        high = -linprog(-target, A_eq=rows, b_eq=rhs, bounds=(0, None)).fun
        truth = float(values[positions] @ target)
        if np.isclose(low, high) and truth > 0:
            assert truth >= K, f"{truth} people recoverable exactly"


def test_small_cells_are_hidden_with_their_complements(run) -> None:
    outcome, _, _ = _by_hand(run)
    table = error_rate_table(run, "region", k=K).set_index("group")
    fairness = tier_table(run, "region", k=K).set_index("group")
    assert table["suppressed"].to_dict() == fairness["suppressed"].to_dict()
    assert table.loc["isle", "suppressed"]  # 9 people
    assert pd.isna(table.loc["isle", ["tpr", "fpr", "precision", "count"]]).all()
    assert pd.isna(table.loc["fjord", "tpr"])  # 5 people with the outcome
    assert pd.isna(table.loc["fjord", "positives"])
    for rate in ("tpr", "fpr", "precision"):
        shown = table[rate].notna()
        assert (table.loc[shown, f"{rate}_n"] >= K).all()
    groups = run.people["region"].to_numpy()
    counts = pd.Series(1, index=pd.MultiIndex.from_arrays(
        [groups, np.where(outcome, "yes", "no")])).groupby(level=[0, 1]).sum()
    hidden = np.array([pd.isna(table.loc[g, "positives" if v == "yes" else "negatives"])
                       for g, v in counts.index])
    assert hidden[[g == "fjord" for g, _ in counts.index]].all()  # its complement too
    _assert_nothing_small_pinned(counts, hidden)


@pytest.mark.parametrize("seed", range(4))
def test_three_level_tables_leave_nothing_small_to_recompute(seed: int) -> None:
    rng = np.random.default_rng(seed)
    keys = list(product(["a1", "a2", "a3"], ["b1", "b2"], ["yes", "no"]))
    counts = pd.Series(rng.choice([2, 4, 9, 13, 25, 60], size=len(keys)),
                       index=pd.MultiIndex.from_tuples(keys))
    mask = suppression(counts, k=K).mask.to_numpy()
    assert mask[counts.to_numpy() < K].all()
    _assert_nothing_small_pinned(counts, mask)


def test_sweep_matches_the_fairness_view_at_the_runs_cutoff(run) -> None:
    outcome, _, score = _by_hand(run)
    overall, groups = cutoff_sweep(run, "region", k=K)
    assert list(overall["cutoff"]) == cutoff_grid(run.roles)
    for row in overall.itertuples():
        assert row.accuracy == pytest.approx(np.mean(outcome == (score >= row.cutoff)))
    at = groups[np.isclose(groups["cutoff"], 0.0)].set_index("group")
    ratios = impact_ratios(run, "region", k=K).set_index("group")
    shown = ratios[~ratios["suppressed"]]
    assert sorted(at.index) == sorted(shown.index)
    for column, theirs in (("impact_ratio", "impact_ratio"), ("impact_lower", "impact_lower"),
                           ("impact_upper", "impact_upper"), ("selected", "reached")):
        assert at.loc[shown.index, column].to_numpy(float) == pytest.approx(
            shown[theirs].to_numpy(float))
    low = math.log(0.3 / 0.7)
    cut = groups[np.isclose(groups["cutoff"], low)].set_index("group")
    north = (run.people["region"] == "north").to_numpy()
    assert cut.loc["north", "share"] == pytest.approx((score[north] >= low).mean())


@pytest.fixture(scope="module")
def findings(run):
    return audit_findings(run, k=K)


def test_audit_json_carries_the_outcomes(findings) -> None:
    found = findings["outcomes"]
    assert {"outcome", "cutoff", "cutoff_shown", "people", "positives", "auc", "roc", "cells",
            "rates", "by_group", "differences", "sweep", "suppressed_cells"} <= set(found)
    assert set(found["by_group"]) == {"sex", "region", "sex & region"}
    assert found["by_group"]["region"]["isle"]["tpr"] == dict.fromkeys(
        ("rate", "low", "high", "n", "count"))
    assert found["suppressed_cells"] >= 4
    json.dumps(found, allow_nan=False)


def test_gates_on_error_rates_fail_only_on_clear_findings(findings) -> None:
    eo = findings["outcomes"]["differences"]["sex"]["equalized_odds_difference"]
    assert eo["low"] > 0
    clear = parse_gate(f"equalized_odds_difference[sex]>{eo['low'] - 0.001}")
    assert [b.where for b in evaluate_gates(findings, [clear])] == [
        f"sex: {eo['groups'][0]} vs {eo['groups'][1]}"]
    middle = parse_gate(f"equalized_odds_difference[sex]>{(eo['low'] + eo['value']) / 2}")
    assert not evaluate_gates(findings, [middle])
    assert len(uncertain_crossings(findings, [middle])) == 1
    auc = findings["outcomes"]["auc"]
    assert evaluate_gates(findings, [parse_gate(f"auc<{auc['high'] + 0.001}")])
    assert not evaluate_gates(findings, [parse_gate(f"auc<{auc['auc'] - 0.001}")])
    with pytest.raises(GateError, match="one figure"):
        parse_gate("auc[sex]<0.7")


def test_an_outcome_gate_on_a_run_without_outcomes_is_an_error(folder, capsys) -> None:
    path = folder / "runs" / "no-target"
    assert main(["audit", str(path), "--fail-on", "equalized_odds_difference>0.1"]) == 2
    assert "records no outcomes" in capsys.readouterr().err


def test_cli_prints_outcomes_and_fails_on_a_gate(folder, capsys) -> None:
    path = folder / "runs" / "loans"
    assert main(["audit", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["outcomes"]["auc"]["auc"] == pytest.approx(
        roc(require_outcomes(load_run(path)))[1]["auc"])
    assert main(["audit", str(path), "--fail-on", "auc<0.999"]) == 1
    out = capsys.readouterr()
    assert "Against the recorded outcome" in out.out
    assert "FAILED auc<0.999" in out.err


def test_report_has_an_outcomes_section(run, findings) -> None:
    html = build_report(run, findings, "html", k=K).decode()
    assert 'id="outcomes"' in html
    auc = findings["outcomes"]["auc"]
    assert f"{auc['auc']:.3f} [{auc['low']:.3f}, {auc['high']:.3f}]" in html
    data = json.loads(build_report(run, findings, "json", k=K))
    assert data["findings"]["outcomes"]["cells"] == findings["outcomes"]["cells"]


def test_region_sizes_are_as_planted(run) -> None:
    assert run.people["region"].value_counts().to_dict() == REGIONS


def test_retrain_without_measures_a_classifier_by_accuracy_and_auc(folder, run) -> None:
    from sklearn.model_selection import train_test_split

    from sesame_audit.model.audit.counterfactuals import minimise
    from sesame_audit.model.build.train import fit_outcome_classifier

    outcome, _, _ = _by_hand(run)
    result = minimise(run, ["income", "debts"], k=K)
    assert result.against == "the recorded outcomes"
    measures = result.accuracy.set_index("metric")
    assert list(measures.index) == ["accuracy", "auc", "brier"]
    assert measures.loc["auc", "after"] < measures.loc["auc", "before"] - 0.1
    # the "after" figures, recomputed on the held-out rows of the same split
    model, _ = fit_outcome_classifier(run.people, replace_inputs(run, ["age"]), outcome)
    _, test = train_test_split(np.arange(len(outcome)), test_size=0.2, random_state=0)
    probability = model.predict_proba(run.people.iloc[test][["age"]])[:, 1]
    assert measures.loc["accuracy", "after"] == pytest.approx(
        accuracy_score(outcome[test], probability >= 0.5))
    assert measures.loc["auc", "after"] == pytest.approx(
        roc_auc_score(outcome[test], probability))
    assert measures.loc["brier", "after"] == pytest.approx(
        np.mean((probability - outcome[test]) ** 2))
    blind = minimise(load_run(folder / "runs" / "no-target"), ["income"], k=K)
    assert blind.against == "the model's own decisions"


def replace_inputs(run, inputs: list[str]):
    """The run's roles with only ``inputs`` as model inputs."""
    from dataclasses import replace

    return replace(run.roles, inputs=tuple(inputs), categorical=())
