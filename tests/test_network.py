"""Guilt by association: points from friends, unfriending recomputed from the edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tiny_runs import LinearModel, tiny_run

from sesame_audit.model.audit.network import (
    NotAvailableError,
    ego_network,
    friends_by_group,
    friends_points,
    unfriend_gain,
    unfriend_incentive,
)
from sesame_audit.model.runs.run import Run

INPUTS = ("friends_mean_score", "n_friends")


def _friends_world():
    # person 0 lists 1 (500), 2 (700) and 3 (600) twice: friends' mean (500+700+600+600)/4
    hidden = np.array([550.0, 500.0, 700.0, 600.0, 650.0])
    edges = pd.DataFrame({"person_id": [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4],
                          "friend_id": [1, 2, 3, 3, 0, 2, 0, 4, 1, 4, 2, 3]})
    means = (pd.Series(hidden[edges["friend_id"]]).groupby(edges["person_id"].to_numpy())
             .mean().to_numpy())
    counts = np.bincount(edges["person_id"])
    people = pd.DataFrame({"person_id": np.arange(5), "group": ["a", "b", "a", "b", "a"],
                           "friends_mean_score": means, "n_friends": counts,
                           "hidden_score": hidden, "score": hidden})
    model = LinearModel(300.0, {"friends_mean_score": 0.5, "n_friends": 2.0})
    shap = pd.DataFrame({"friends_mean_score": 0.5 * (means - means.mean()),
                         "n_friends": 2.0 * (counts - counts.mean())})
    return tiny_run(people, inputs=INPUTS, sensitive=("group",), model=model, shap=shap,
                    edges=edges)


def test_unfriend_gain_by_hand() -> None:
    run = _friends_world()
    gain = unfriend_gain(run, 0)
    assert gain.dropped == [1] and gain.dropped_scores == [500.0]
    assert gain.dropped_groups == {"group": ["b"]}
    assert gain.friends_mean_before == pytest.approx(600.0)
    assert gain.friends_mean_after == pytest.approx((700 + 600 + 600) / 3)
    assert (gain.friends_before, gain.friends_after) == (4, 3)
    assert gain.score_before == pytest.approx(300 + 0.5 * 600 + 2 * 4)
    assert gain.score_after == pytest.approx(300 + 0.5 * 1900 / 3 + 2 * 3)
    assert gain.gain == pytest.approx(gain.score_after - gain.score_before)
    both = unfriend_gain(run, 0, drop=2)
    assert both.dropped == [1, 3] and both.friends_after == 1
    assert both.friends_mean_after == pytest.approx(700.0)
    with pytest.raises(ValueError, match="would leave none"):
        unfriend_gain(run, 0, drop=3)
    with pytest.raises(ValueError, match="positive integer"):
        unfriend_gain(run, 0, drop=0)
    with pytest.raises(KeyError, match="no person with id"):
        unfriend_gain(run, 99)


def test_unfriend_incentive_by_hand() -> None:
    run = _friends_world()
    incentive = unfriend_incentive(run, "group", k=1)
    per_person = incentive.per_person.set_index("person_id")
    # lowest friend of each: 0 -> 1 (500); 1 -> 0 (550); 2 -> 0 (550); 3 -> 1 (500); 4 -> 3
    assert per_person["dropped_id"].to_dict() == {0: 1, 1: 0, 2: 0, 3: 1, 4: 3}
    assert per_person.loc[0, "gain"] == pytest.approx(unfriend_gain(run, 0).gain)
    by_group = incentive.by_group.set_index("group")
    # group a = {0, 2, 4} is dropped 2 times of 5, and is the friend in 7 of 12 links
    assert by_group.loc["a", "times_dropped"] == 2 and by_group.loc["b", "times_dropped"] == 3
    assert by_group.loc["a", "share_of_links"] == pytest.approx(7 / 12)
    assert by_group.loc["a", "pressure"] == pytest.approx((2 / 5) / (7 / 12))
    gains = [unfriend_gain(run, p).gain for p in (0, 2, 4)]
    assert by_group.loc["a", "mean_gain"] == pytest.approx(np.mean(gains))


def test_friends_points_and_groups_by_hand() -> None:
    run = _friends_world()
    points = friends_points(run)
    assert np.allclose(points.to_numpy(), run.explanation.values["friends_mean_score"])
    table = friends_by_group(run, "group", k=1).set_index("group")
    a = (run.people["group"] == "a").to_numpy()
    assert table.loc["a", "points"] == pytest.approx(points.to_numpy()[a].mean())
    mine = points.to_numpy()[a]
    half = 1.959963984540054 * mine.std(ddof=1) / np.sqrt(len(mine))
    assert (table.loc["a", "points_lower"], table.loc["a", "points_upper"]) == pytest.approx(
        (mine.mean() - half, mine.mean() + half))
    assert table.loc["b", "share_pulled_down"] == pytest.approx(
        np.mean(points.to_numpy()[~a] < 0))
    assert friends_by_group(run, "group", k=11)["suppressed"].all()


def test_ego_network_lists_distinct_friends_lowest_first() -> None:
    ego = ego_network(_friends_world(), 0)
    assert ego["role"].tolist() == ["person", "friend", "friend", "friend"]
    assert ego["id"].tolist()[1:] == [1, 3, 2]
    assert ego["links"].tolist()[1:] == [1, 2, 1]
    assert ego["lowest"].tolist() == [False, True, False, False]
    assert np.allclose(np.hypot(ego["x"], ego["y"]), [0, 1, 1, 1])


def test_without_graph_or_feature_says_not_available() -> None:
    world = _friends_world()
    run = Run(world.path, world.manifest, world.roles, people=world.people,
              explanation=world.explanation, _model=world.model)
    with pytest.raises(NotAvailableError, match="not available for this run: it has no social"):
        unfriend_gain(run, 0)
    with pytest.raises(NotAvailableError, match="no social graph"):
        unfriend_incentive(run, "group")
    assert len(friends_points(run)) == 5
    people = run.people.drop(columns=["friends_mean_score"])
    plain = tiny_run(people, inputs=("n_friends",), sensitive=("group",),
                     model=LinearModel(500.0, {"n_friends": 1.0}))
    with pytest.raises(NotAvailableError, match="friends' scores are not a model input"):
        friends_points(plain)


def test_friends_mean_is_recomputed_from_edges(social_run) -> None:
    gain = unfriend_gain(social_run, 3)
    stored = float(social_run.people.loc[social_run.row(3), "friends_mean_score"])
    assert gain.friends_mean_before == pytest.approx(stored, abs=0.006)
    edges = social_run.edges
    mine = edges.loc[edges["person_id"] == 3, "friend_id"]
    scores = social_run.people.set_index("person_id").loc[mine, "hidden_score"]
    assert gain.dropped[0] == int(scores.idxmin())
    incentive = unfriend_incentive(social_run, "ethnicity").per_person.set_index("person_id")
    for person in (3, 17, 1200):
        assert incentive.loc[person, "gain"] == pytest.approx(
            unfriend_gain(social_run, person).gain, abs=1e-6)


def test_incentive_equals_one_person_at_a_time_on_a_graph_with_ties() -> None:
    # Scores drawn from five values make ties between friends common; repeated links and
    # people with a single distinct friend are in the graph too.
    rng = np.random.default_rng(7)
    n = 60
    hidden = rng.choice([480.0, 520.0, 600.0, 640.0, 700.0], size=n)
    src = np.repeat(np.arange(n), rng.integers(1, 6, size=n))
    dst = (src + rng.integers(1, 9, size=len(src))) % n
    edges = pd.DataFrame({"person_id": src, "friend_id": dst})
    means = pd.Series(hidden[dst]).groupby(src).mean().to_numpy()
    counts = np.bincount(src, minlength=n)
    people = pd.DataFrame({"person_id": np.arange(n), "group": rng.choice(["a", "b"], n),
                           "friends_mean_score": means, "n_friends": counts,
                           "hidden_score": hidden, "score": hidden})
    model = LinearModel(300.0, {"friends_mean_score": 0.5, "n_friends": 2.0})
    shap = pd.DataFrame({"friends_mean_score": 0.5 * (means - means.mean()),
                         "n_friends": 2.0 * (counts - counts.mean())})
    run = tiny_run(people, inputs=INPUTS, sensitive=("group",), model=model, shap=shap,
                   edges=edges)
    per_person = unfriend_incentive(run, "group", k=1).per_person.set_index("person_id")
    several = [p for p in range(n) if len(set(dst[src == p])) > 1]
    assert sorted(per_person.index) == several
    for p in several:
        one = unfriend_gain(run, p)
        assert per_person.loc[p, "dropped_id"] == one.dropped[0]
        assert per_person.loc[p, "gain"] == pytest.approx(one.gain)
