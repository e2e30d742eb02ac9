"""Recourse: only actionable inputs change, proposals really reach the tier, burden by group."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sesame_audit.model.audit.recourse_burden import recourse_burden, recourse_sample
from sesame_audit.model.core.roles import next_tier
from sesame_audit.model.figures.suppress import suppression
from sesame_audit.model.person.recourse import CATEGORY_COST, find_recourse, search
from sesame_audit.model.runs.run import Run

IMMUTABLE = {"ethnicity", "gender", "age_group", "hukou", "political_opinion", "district",
             "education", "credit_history_years", "loan_defaults"}


@pytest.fixture(scope="module")
def found(social_run) -> pd.DataFrame:
    return recourse_sample(social_run, sample=150, seed=1)


def _apply(run, person, changes) -> pd.DataFrame:
    row = run.X.iloc[[run.row(person)]].copy()
    for change in changes:
        column = row[change.feature]
        row[change.feature] = pd.Series([change.after], index=row.index).astype(column.dtype)
    return row


def _mid_rank(values: np.ndarray, x: float) -> float:
    return float((np.sum(values < x) + 0.5 * np.sum(values == x)) / len(values))


def test_no_immutable_feature_and_tier_really_reached(social_run) -> None:
    assert IMMUTABLE.isdisjoint(social_run.roles.actionable)
    checked = 0
    for person in range(0, 60, 3):
        result = find_recourse(social_run, person)
        if result.target is None or not result.changes:
            continue
        checked += 1
        features = {c.feature for c in result.changes}
        assert features <= set(social_run.roles.actionable)
        assert features.isdisjoint(IMMUTABLE)
        edited = _apply(social_run, person, result.changes)
        rescored = float(social_run.model.predict(edited)[0])
        assert rescored >= result.target.min_score
        assert rescored == pytest.approx(result.new_score, abs=1e-6)
        assert result.target == next_tier(result.score, social_run.roles.tiers)
        assert result.cost == pytest.approx(sum(c.cost for c in result.changes))
        for c in result.changes:
            column = social_run.people[c.feature]
            if c.feature in social_run.roles.categorical:
                assert c.after in set(column.astype(str)) and c.cost == CATEGORY_COST
            else:
                assert column.min() <= c.after <= column.max()
                values = column.to_numpy(dtype=float)
                by_hand = abs(_mid_rank(values, c.after) - _mid_rank(values, c.before))
                assert c.cost == pytest.approx(by_hand)
            assert c.label in result.text
    assert checked >= 5


def _one_change_reaches(run, rows: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Whether any change of one actionable input, to any value seen in the population,
    lifts each row's score to its target, found from the trees' own thresholds.

    A tree model is constant between consecutive thresholds of an input, so within the
    observed range one value per interval is enough: every threshold (rounded down for a
    whole-number input), the minimum and the maximum. Categories are tried one by one.
    """
    trees = run.model[-1]
    names = list(trees.feature_names_in_)
    nodes = np.concatenate([iteration[0].nodes for iteration in trees._predictors])
    nodes = nodes[nodes["is_leaf"] == 0]
    X = run.X.iloc[rows].reset_index(drop=True)
    edited = []
    for feature in run.roles.actionable:
        column = run.people[feature]
        if feature in run.roles.categorical:
            values = list(pd.unique(column.astype(str)))
        else:
            low, high = float(column.min()), float(column.max())
            cuts = nodes["num_threshold"][nodes["feature_idx"] == names.index(feature)]
            if column.dtype.kind in "iu":
                cuts = np.floor(cuts)
            values = sorted({low, high, *(float(c) for c in cuts if low <= c <= high)})
        for value in values:
            one = X.copy()
            one[feature] = pd.Series([value] * len(one)).astype(column.dtype)
            edited.append(one)
    scores = run.model.predict(pd.concat(edited, ignore_index=True)).reshape(-1, len(rows))
    return (scores >= targets[None, :]).any(axis=0)


def test_people_who_need_two_changes_get_two_each_needed(social_run) -> None:
    """People for whom no single change reaches the next tier (found from the trees, not by
    the search) get a proposal of at least two changes, none of which can be dropped."""
    rows = np.arange(200)
    scores = social_run.model.predict(social_run.X.iloc[rows])
    targets = [next_tier(s, social_run.roles.tiers) for s in scores]
    below = np.array([t is not None for t in targets])
    rows, scores = rows[below], scores[below]
    minimum = np.array([t.min_score for t in targets if t is not None], dtype=float)
    need_two = rows[~_one_change_reaches(social_run, rows, minimum)]
    checked = 0
    for row in need_two[:12]:
        person = social_run.people["person_id"].iloc[row]
        result = find_recourse(social_run, person)
        assert result.target.min_score == minimum[rows == row][0]
        if not result.reachable:
            continue
        checked += 1
        assert len(result.changes) >= 2
        for dropped in result.changes:
            kept = [c for c in result.changes if c is not dropped]
            score = float(social_run.model.predict(_apply(social_run, person, kept))[0])
            assert score < result.target.min_score
    assert checked >= 3, f"only {checked} of {len(need_two)} people needing two changes"


def test_search_never_moves_immutable_inputs(social_run, found) -> None:
    rows = np.arange(40)
    targets = np.full(40, 750.0)
    changed, scores, reached = search(social_run, social_run.X.iloc[rows], targets)
    original = social_run.X.iloc[rows].reset_index(drop=True)
    for feature in set(social_run.roles.inputs) - set(social_run.roles.actionable):
        pd.testing.assert_series_equal(changed[feature], original[feature])
    np.testing.assert_allclose(scores, social_run.model.predict(changed))
    assert (reached == (scores >= 750)).all()
    assert len(found) and set(found["tier"]) <= set(social_run.roles.tier_names)
    assert (found["score"] < found["min_score"]).all()


def test_plain_answers(social_run, found) -> None:
    stuck = found[~found["reachable"]]
    assert len(stuck), "some people should have no recourse to the top tier"
    person, tier = stuck.iloc[0][["person", "tier"]]
    result = find_recourse(social_run, person, target=tier)
    assert not result.reachable and result.changes == ()
    assert result.new_score < result.target.min_score
    assert result.text.startswith("No change to what this person can act on reaches")
    top = social_run.explanation.prediction.argmax()
    best = find_recourse(social_run, social_run.people["person_id"].iloc[top])
    assert best.target is None and best.text == "This score already reaches every tier."
    low = int(np.argmin(social_run.explanation.prediction))
    done = find_recourse(social_run, low, target="standard")
    assert done.target.name == "standard"
    with pytest.raises(KeyError, match="no tier named 'gold'"):
        find_recourse(social_run, 0, target="gold")
    with pytest.raises(KeyError, match="no person"):
        find_recourse(social_run, 10**9)


def test_nothing_actionable_says_so(social_run) -> None:
    frozen = Run(social_run.path, social_run.manifest,
                 replace(social_run.roles, actionable=()), people=social_run.people,
                 explanation=social_run.explanation, _model=social_run.model)
    person = int(np.argmin(social_run.explanation.prediction))
    result = find_recourse(frozen, person)
    assert not result.reachable and "lists no actionable input" in result.text


def test_burden_by_group_recomputed(social_run, found) -> None:
    table = recourse_burden(social_run, "ethnicity", found=found)
    groups = social_run.people["ethnicity"].astype(str).to_numpy()[found["row"]]
    assert len(table) == len(set(zip(groups, found["tier"], strict=True)))
    for tier, line in table.groupby("tier"):
        sizes = pd.Series({g: int(((groups == g) & (found["tier"] == tier)).sum())
                           for g in line["group"]})
        assert (line.set_index("group")["suppressed"]
                == suppression(sizes, k=11).mask.reindex(line["group"])).all()
    for row in table.itertuples():
        part = found[(groups == row.group) & (found["tier"] == row.tier)]
        if len(part) < 11:
            assert row.suppressed
        if row.suppressed:
            assert np.isnan(row.share_with_recourse) and np.isnan(row.below)
            continue
        assert row.below == len(part)
        assert row.share_with_recourse == pytest.approx(part["reachable"].mean())
        ok = part[part["reachable"]]
        if len(ok):
            assert row.median_cost == pytest.approx(ok["cost"].median())
    assert (~table["suppressed"]).any()
    hidden = recourse_burden(social_run, "ethnicity", found=found, k=10**6)
    assert hidden["suppressed"].all() and hidden["share_with_recourse"].isna().all()
    with pytest.raises(KeyError, match="no column"):
        recourse_burden(social_run, "shoe_size", found=found)


def test_cli_recourse(social_path, social_run, capsys) -> None:
    import json

    from sesame_audit.model.cli import main

    assert main(["recourse", str(social_path), "--person", "4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    direct = find_recourse(social_run, 4)
    assert data["text"] == direct.text and data["reachable"] == direct.reachable
    assert [c["feature"] for c in data["changes"]] == [c.feature for c in direct.changes]
    assert main(["recourse", str(social_path), "--person", "4"]) == 0
    assert capsys.readouterr().out.strip() == direct.text
    assert main(["recourse", str(social_path), "--person", "4", "--tier", "gold"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no tier named 'gold'") and "\n" not in err


def _with_roles(run: Run, **changes) -> Run:
    return Run(run.path, run.manifest, replace(run.roles, **changes), people=run.people,
               explanation=run.explanation, _model=run.model)


def test_an_input_allowed_one_way_never_moves_the_other(social_run, found) -> None:
    numeric = [f for f in social_run.roles.actionable if f not in social_run.roles.categorical]
    rows = found["row"].to_numpy()[:40]
    targets = found["min_score"].to_numpy()[:40]
    original = social_run.X.iloc[rows].reset_index(drop=True)
    free, _, _ = search(social_run, social_run.X.iloc[rows], targets)
    raised = [f for f in numeric
              if (free[f].to_numpy(float) > original[f].to_numpy(float) + 1e-9).any()]
    assert raised, "unconstrained, some proposal raises a numeric input"
    feature = raised[0]
    only_down = _with_roles(social_run, directions={feature: "fall"})
    changed, scores, reached = search(only_down, social_run.X.iloc[rows], targets)
    assert (changed[feature].to_numpy(float) <= original[feature].to_numpy(float) + 1e-9).all()
    rescored = social_run.model.predict(changed)
    assert np.allclose(rescored, scores) and ((scores >= targets) == reached).all()


def test_implausibly_large_moves_are_not_shown_as_a_way_out(social_run, found) -> None:
    from sesame_audit.model.person.recourse import LARGE_MOVE

    reachable = found[found["reachable"]]
    assert len(reachable)
    # recompute each row's largest single move from the values, independently
    implausible = reachable[~reachable["plausible"]]
    assert len(implausible), "some proposal should ask for a move past half the population"
    person, tier = implausible.iloc[0][["person", "tier"]]
    result = find_recourse(social_run, person, target=tier)
    assert result.reachable and not result.plausible
    large = [c for c in result.changes if not c.plausible]
    assert large and all(c.cost > LARGE_MOVE for c in large)
    for c in large:
        values = social_run.people[c.feature].to_numpy(float)
        assert abs(_mid_rank(values, c.after) - _mid_rank(values, c.before)) > LARGE_MOVE
    assert "out of reach in practice" in result.text
    assert result.to_dict()["plausible"] is False
    table = recourse_burden(social_run, "ethnicity", found=found)
    shown = table[~table["suppressed"]]
    assert (shown["share_plausible"] <= shown["share_with_recourse"] + 1e-12).all()
    assert (shown["share_plausible"] < shown["share_with_recourse"]).any()
