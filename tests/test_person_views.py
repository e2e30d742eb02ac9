"""One person's views: waterfall steps, what-if comparison, finder, subject-access summary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tiny_runs import tiny_run

from sesame_audit.model.core.roles import tier_of
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.person.explained import explain_person, what_if
from sesame_audit.model.person.finder import FinderError, find_people, nearest_person
from sesame_audit.model.person.subject_access import (
    person_data,
    subject_access,
    to_json,
    to_markdown,
)
from sesame_audit.model.person.waterfall import compare_explanations, waterfall_data


def test_waterfall_walks_from_the_average_to_the_score(social_run) -> None:
    person = explain_person(social_run, 42)
    steps = waterfall_data(person, social_run.roles, top=5)
    assert steps["kind"].iloc[0] == "base" and steps["kind"].iloc[-1] == "total"
    assert steps["end"].iloc[0] == pytest.approx(person.base)
    assert steps["end"].iloc[-1] == pytest.approx(person.score)
    moves = steps.iloc[1:-1]
    assert len(moves) == 6  # five features and "other features"
    assert np.allclose(moves["end"] - moves["start"], moves["points"])
    assert np.allclose(moves["start"].to_numpy()[1:], moves["end"].to_numpy()[:-1])
    assert moves["end"].iloc[-1] == pytest.approx(person.score, abs=1e-3)
    sizes = sorted(person.contributions.values(), key=abs, reverse=True)
    assert moves["points"].iloc[:5].tolist() == pytest.approx(sizes[:5])
    assert moves["points"].iloc[5] == pytest.approx(sum(sizes[5:]))
    assert ((moves["kind"] == "up") == (moves["points"] >= 0)).all()
    assert steps["order"].tolist() == list(range(len(steps)))


def test_what_if_comparison(social_run) -> None:
    before = explain_person(social_run, 7)
    after = what_if(social_run, 7, {"payment_history": 1.0, "loan_defaults": 0})
    table = compare_explanations(before, after, social_run.roles)
    score = table.iloc[-1]
    assert score["feature"] == "score"
    assert score["change"] == pytest.approx(after.score - before.score)
    rows = table.iloc[:-1].set_index("feature")
    assert rows.loc["payment_history", "value_after"] == "100%"
    assert rows.loc["payment_history", "points_before"] == pytest.approx(
        before.contributions["payment_history"])
    assert table.iloc[:-1]["change"].abs().is_monotonic_decreasing
    assert rows["change"].sum() == pytest.approx(after.score - before.score - after.base
                                                 + before.base, abs=1e-3)


def test_find_people_by_filters(social_run) -> None:
    people, scores = social_run.people, social_run.explanation.prediction
    matches, n = find_people(social_run, where={"ethnicity": "majority"}, limit=5)
    expected = (people["ethnicity"] == "majority").to_numpy()
    assert n == int(expected.sum())
    assert matches["person_id"].tolist() == people["person_id"][expected].head(5).tolist()
    assert (matches["ethnicity"] == "majority").all()
    tiers = tier_of(scores, social_run.roles.tiers)
    cells = pd.crosstab(people["ethnicity"].astype(str), tiers)
    group, tier = cells.stack()[lambda c: (c > 0) & (c < 11)].index[0]
    hidden, m = find_people(social_run, where={"ethnicity": group}, tier=tier, k=11)
    assert m is None and hidden.empty
    ranged, m = find_people(social_run, score_range=(600, 610))
    assert m == int(((scores >= 600) & (scores <= 610)).sum())
    assert ranged["score"].between(599.95, 610.05).all()
    with pytest.raises(FinderError, match="not an input or sensitive"):
        find_people(social_run, where={"hidden_score": 3})
    with pytest.raises(FinderError, match="not a number"):
        find_people(social_run, where={"n_friends": "many"})


def test_nearest_person_finds_an_exact_copy(social_run) -> None:
    row = social_run.people.iloc[123]
    wanted = {"monthly_income": row["monthly_income"], "district": row["district"],
              "n_friends": row["n_friends"], "gender": row["gender"]}
    person, distance = nearest_person(social_run, wanted)
    assert distance == 0.0
    found = social_run.people.iloc[social_run.row(person)]
    assert all(found[k] == v for k, v in wanted.items())
    _, far = nearest_person(social_run, {"monthly_income": 10**9})
    assert far > 10
    with pytest.raises(FinderError, match="at least one attribute"):
        nearest_person(social_run, {})
    with pytest.raises(FinderError, match="not an input or sensitive"):
        nearest_person(social_run, {"score": 600})


def test_person_data_marks_sensitive_attributes(social_run) -> None:
    data = person_data(social_run, 5)
    roles = social_run.roles
    assert set(data["column"]) == set(roles.inputs) | set(roles.sensitive)
    sensitive = data[data["sensitive"]]
    assert set(sensitive["column"]) == set(roles.sensitive)
    assert sensitive["use"].str.contains("sensitive").all()
    assert data.loc[data["column"] == "political_posts_flagged", "use"].item().startswith("⚠")
    assert data["privacy"].is_monotonic_increasing
    assert data.loc[data["column"] == "ethnicity", "value"].item() == str(
        social_run.people.loc[5, "ethnicity"]).replace("_", " ")


def test_a_sensitive_input_is_marked_as_read_and_ids_stay_integers() -> None:
    people = pd.DataFrame({"person_id": np.arange(40), "sex": np.tile([0.0, 1.0], 20),
                           "income": np.linspace(1.0, 2.0, 40), "score": 600.0})
    run = tiny_run(people, inputs=("sex", "income"), sensitive=("sex",),
                   prediction=np.full(40, 600.0))
    data = person_data(run, 7)
    assert data["column"].tolist().count("sex") == 1
    assert data.loc[data["column"] == "sex", "use"].item() == "⚠ sensitive, read by the model"
    assert data.loc[data["column"] == "income", "use"].item() == "model input"
    person = explain_person(run, 7)  # every column is a number: the id must stay 7, not 7.0
    assert isinstance(person.person, int) and f"Person {person.person}" == "Person 7"


def test_subject_access_summary(social_run) -> None:
    person = explain_person(social_run, 11)
    summary = subject_access(social_run, 11)
    assert summary["person"] == 11
    assert summary["score"] == pytest.approx(person.score, abs=0.05)
    assert summary["reasons"] == [r.text for r in person.reasons]
    assert sum(len(v) for v in summary["data"].values()) == (
        len(social_run.roles.inputs) + len(social_run.roles.sensitive))
    assert json.loads(to_json(summary)) == summary
    text = to_markdown(summary)
    for heading in ("## My score", "## Why", "## My data"):
        assert heading in text
    assert f"{person.score:.0f} points" in text
    for reason in summary["reasons"]:
        assert escape_markdown(reason) in text  # shown as text, whatever it holds
    with pytest.raises(KeyError, match="no person with id"):
        subject_access(social_run, 10**9)
