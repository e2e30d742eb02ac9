"""The population generator: shape, determinism and the properties built into the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sesame_audit.datasets import INPUTS, SENSITIVE, generate, load_policy
from sesame_audit.datasets.dictionary import DICTIONARY, TRUE_PREFIX


@pytest.fixture(scope="module")
def social():
    return generate(load_policy("social-credit"), 20_000, seed=3)


def test_shape_and_columns(social) -> None:
    people = social.people
    assert len(people) == 20_000
    assert people["person_id"].tolist() == list(range(20_000))
    for column in (*SENSITIVE, *INPUTS, "score", "hidden_score"):
        assert column in people, column
        assert column in DICTIONARY
    assert not people[list(INPUTS)].isna().any().any()
    for column in DICTIONARY.values():
        if column.kind == "category" and column.name in people:
            assert set(people[column.name].unique()) <= set(column.categories), column.name
    assert people["score"].between(350, 950).all()


def test_same_seed_same_population_and_other_seed_differs() -> None:
    policy = load_policy("proxy")
    a, b = generate(policy, 500, seed=7), generate(policy, 500, seed=7)
    pd.testing.assert_frame_equal(a.people, b.people)
    pd.testing.assert_frame_equal(a.edges, b.edges)
    c = generate(policy, 500, seed=8)
    assert not a.people["score"].equals(c.people["score"])


def test_true_contributions_sum_to_hidden_score(social) -> None:
    people = social.people
    truth = people[[c for c in people if c.startswith(TRUE_PREFIX)]].sum(axis=1)
    assert np.allclose(social.base + truth, people["hidden_score"], atol=1e-9)
    # every term of the policy has its column, recomputed here from the term itself
    for term in social.policy.active_terms:
        expected = term.apply(people[term.feature].to_numpy())
        assert np.allclose(people[TRUE_PREFIX + term.feature], expected)


def test_friends_scores_are_a_fixed_point(social) -> None:
    people, edges = social.people, social.edges
    hidden = people["hidden_score"].to_numpy()
    recomputed = (pd.Series(hidden[edges["friend_id"]]).groupby(edges["person_id"].to_numpy())
                  .mean().reindex(range(len(people))).to_numpy())
    assert np.allclose(recomputed, people["friends_mean_score"], atol=0.01)
    w, pivot = social.policy.friends.weight, social.policy.friends.pivot
    assert np.allclose(people[TRUE_PREFIX + "friends_mean_score"], w * (recomputed - pivot),
                       atol=1e-6)


def test_homophily(social) -> None:
    people, edges = social.people, social.edges
    eth = people["ethnicity"].to_numpy()
    same = eth[edges["person_id"]] == eth[edges["friend_id"]]
    minority_src = eth[edges["person_id"]] != "majority"
    minority_share = (eth != "majority").mean()
    # a minority member's friends are mostly minority although the minority is ~14%
    assert same[minority_src].mean() > 0.6 > 3 * minority_share
    district = people["district"].to_numpy()
    assert (district[edges["person_id"]] == district[edges["friend_id"]]).mean() > 0.7
    assert (edges["person_id"] != edges["friend_id"]).all()


def test_planted_proxies(social) -> None:
    people = social.people
    minority = people["ethnicity"] != "majority"
    in_d78 = people["district"].isin(["D7", "D8"])
    assert in_d78[minority].mean() > 0.5 > 0.2 > in_d78[~minority].mean()
    budget = people["device"] == "android_budget"
    assert budget[minority].mean() > budget[~minority].mean() + 0.1
    assert (people.loc[minority, "patriotic_purchase_share"].mean()
            < 0.7 * people.loc[~minority, "patriotic_purchase_share"].mean())
    critical = people["political_opinion"] == "critical"
    assert (people.loc[critical, "political_posts_flagged"].mean()
            > 3 * people.loc[~critical, "political_posts_flagged"].mean())
    rural = people["hukou"] == "rural"
    assert (people.loc[rural, "monthly_income"].median()
            < people.loc[~rural, "monthly_income"].median())


def test_noise_level_matches_policy(social) -> None:
    gap = social.people["score"] - social.people["hidden_score"]
    inside = social.people["score"].between(351, 949)
    assert abs(gap[inside].std() - social.policy.noise) < 0.1 * social.policy.noise


def test_proxy_policy_disadvantages_the_minority_without_reading_ethnicity() -> None:
    world = generate(load_policy("proxy"), 20_000, seed=0)
    people = world.people
    minority = people["ethnicity"] != "majority"
    rate_min = (people.loc[minority, "score"] >= 650).mean()
    rate_maj = (people.loc[~minority, "score"] >= 650).mean()
    assert rate_min / rate_maj < 0.8


@pytest.mark.parametrize(("n", "seed", "message"), [
    (10, 0, "between 50"), (10**9, 0, "between 50"), (1.5, 0, "integer"), (True, 0, "integer"),
    (100, -1, "non-negative"), (100, "x", "non-negative"),
])
def test_bad_arguments(n, seed, message) -> None:
    with pytest.raises(ValueError, match=message):
        generate(load_policy("marketed"), n, seed=seed)


def test_cities_are_independent_chunks() -> None:
    from sesame_audit.datasets.generate import city_sizes, generate_city

    policy = load_policy("social-credit")
    assert city_sizes(1_000, 400) == [334, 333, 333]
    world = generate(policy, 1_000, seed=4, city_size=400)
    assert world.people["person_id"].tolist() == list(range(1_000))
    # friendships never cross a city's boundary
    city = np.repeat([0, 1, 2], [334, 333, 333])
    assert (city[world.edges["person_id"]] == city[world.edges["friend_id"]]).all()
    # the second city, generated alone, is the same people with the same scores
    alone, alone_edges = generate_city(policy, 333, seed=4, index=1, offset=334)
    pd.testing.assert_frame_equal(
        world.people.iloc[334:667].reset_index(drop=True), alone.reset_index(drop=True))
    inside = (world.edges["person_id"] >= 334) & (world.edges["person_id"] < 667)
    pd.testing.assert_frame_equal(world.edges[inside].reset_index(drop=True),
                                  alone_edges.reset_index(drop=True))
