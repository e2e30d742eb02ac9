"""The synthetic population: people, their social graph, and their score under a policy.

Sensitive attributes are drawn first; every other feature is drawn from them and from each
other, so that proxies (district, phone, purchase mix, friends' scores) arise from the
data's correlations, not from labels. The score is then computed by the policy's hidden
rules as a fixed point over the social graph, and every term's true contribution is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sesame_audit.datasets.dictionary import DICTIONARY, INPUTS, SENSITIVE, TRUE_PREFIX
from sesame_audit.datasets.policy import FRIENDS_FEATURE, Policy

MAX_PEOPLE = 100_000_000
MIN_PEOPLE = 50
CITY_SIZE = 250_000
_DISTRICTS = DICTIONARY["district"].categories
_ETHNICITY_P = (0.86, 0.08, 0.06)
_HOMOPHILY = 0.8  # share of friendships formed inside one's own (ethnicity, district) block


@dataclass(frozen=True)
class World:
    """A generated population and its social graph.

    Attributes
    ----------
    people : pandas.DataFrame
        One row per person: ``person_id``, sensitive attributes, model inputs, the hidden
        score, the published ``score`` and one ``true__<feature>`` column per policy feature.
    edges : pandas.DataFrame
        Directed friendships ``person_id -> friend_id``.
    policy : Policy
        The hidden rules that made the score.
    base : float
        Score of a person whose every true contribution is zero, so that
        ``base + sum(true__*) == hidden_score``.
    seed : int
        Seed of the generator.
    """

    people: pd.DataFrame
    edges: pd.DataFrame
    policy: Policy
    base: float
    seed: int


def _choice(rng: np.random.Generator, categories: tuple[str, ...], p: np.ndarray) -> np.ndarray:
    """Draw one category per row from row-wise probabilities ``p`` (n x k)."""
    cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    idx = (rng.random(len(p))[:, None] > cumulative).sum(axis=1)
    return np.asarray(categories, dtype=object)[np.minimum(idx, len(categories) - 1)]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _people(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Draw sensitive attributes, then features that depend on them."""
    ethnicity_idx = rng.choice(3, size=n, p=_ETHNICITY_P)
    minority = ethnicity_idx > 0
    female = rng.random(n) < 0.5
    age = rng.uniform(18, 75, size=n)
    young = (age < 30).astype(float)
    rural = rng.random(n) < np.where(minority, 0.6, 0.3)

    # Residence: the minority is concentrated in D7/D8, rural people in D5-D8.
    base_p = np.array([0.18, 0.17, 0.16, 0.14, 0.12, 0.11, 0.06, 0.06])
    p = np.tile(base_p, (n, 1))
    p[minority, 6:] *= 14.0
    p[rural, 4:] *= 2.5
    district = _choice(rng, _DISTRICTS, p)
    district_idx = np.searchsorted(np.asarray(_DISTRICTS), district.astype(str))
    poor_district = (district_idx >= 5).astype(float) + (district_idx >= 6).astype(float) * 0.5

    dissent = rng.beta(2, 5, size=n) + 0.12 * young + 0.1 * minority
    opinion = np.where(dissent > 0.42, "critical", np.where(dissent < 0.2, "supportive",
                                                             "neutral")).astype(object)

    edu_z = (0.6 - 0.5 * rural - 0.35 * poor_district - 0.2 * minority
             - 0.012 * np.maximum(age - 45, 0) + rng.normal(0, 0.8, n))
    education_idx = np.digitize(edu_z, [-0.4, 0.5, 1.4])
    education = np.asarray(DICTIONARY["education"].categories, dtype=object)[education_idx]

    log_income = (8.45 + 0.28 * education_idx - 0.25 * rural - 0.16 * poor_district
                  - 0.1 * female + 0.3 * np.exp(-((age - 45) / 15) ** 2) - 0.3 * young * 0.5
                  + rng.normal(0, 0.3, n))
    income = np.round(np.exp(log_income), -1)
    assets = np.round(np.exp(np.log(income) * 1.05 + 0.025 * (age - 18) + 1.6
                             + rng.normal(0, 0.9, n)), -2)

    state_p = _sigmoid(-1.6 + 0.5 * education_idx - 0.9 * minority - 0.4 * rural
                       - 1.5 * (dissent - 0.3))
    employer_p = np.column_stack([state_p, (1 - state_p) * 0.72, (1 - state_p) * 0.2,
                                  (1 - state_p) * 0.08 * (1 + rural)])
    employer = _choice(rng, DICTIONARY["employer_type"].categories, employer_p)
    unemployed = employer == "unemployed"
    income = np.where(unemployed, np.round(income * 0.3, -1), income)

    stability = 0.9 * (np.log(income) - 8.5) - 0.8 * unemployed + rng.normal(0, 0.7, n)
    payment = np.clip(rng.beta(8, 1.6, size=n) + 0.04 * stability, 0.2, 1.0)
    utilisation = np.clip(rng.beta(2, 3.5, size=n) - 0.05 * stability + 0.05 * young, 0.0, 1.0)
    defaults = rng.poisson(np.clip(0.15 + 1.2 * (0.9 - payment), 0.01, None))
    history = np.round(np.clip((age - 18) * rng.uniform(0.2, 0.7, n) - 1.5 * rural, 0, None), 1)
    verified = (rng.random(n) < np.where(rural, 0.7, 0.9)).astype(np.int64)
    spending = np.round(income * rng.uniform(0.25, 0.75, n), -1)
    idle = np.clip(rng.beta(1.2, 9, n) * (1 + 1.6 * young) * np.where(female, 0.7, 1.3), 0, 0.9)
    patriotic = np.clip(rng.beta(1.3, 14, n) * (1.6 - 1.2 * dissent) * np.where(minority, 0.4, 1.0)
                        * (1 + 0.01 * (age - 18)), 0, 0.6)
    iphone = 0.6 * (np.log(income) - 8.8) - 0.7 * minority + 0.4 * young - 0.3 * rural
    device_p = np.column_stack([np.exp(iphone), np.ones(n),
                                np.exp(-iphone + 0.25 + 0.8 * minority)])
    device = _choice(rng, DICTIONARY["device"].categories, device_p)
    posts = rng.poisson(0.05 + 6.0 * np.clip(dissent - 0.15, 0, None) ** 2 * (1 + young))
    recruited = rng.poisson(1.0 + 1.2 * young + 0.5 * (~rural))

    return pd.DataFrame({
        "person_id": np.arange(n, dtype=np.int64),
        "ethnicity": np.asarray(DICTIONARY["ethnicity"].categories, dtype=object)[ethnicity_idx],
        "gender": np.where(female, "female", "male").astype(object),
        "age_group": np.asarray(DICTIONARY["age_group"].categories, dtype=object)[
            np.digitize(age, [30, 45, 60])],
        "hukou": np.where(rural, "rural", "urban").astype(object),
        "political_opinion": opinion,
        "payment_history": np.round(payment, 3),
        "credit_utilisation": np.round(utilisation, 3),
        "credit_history_years": history,
        "loan_defaults": defaults.astype(np.int64),
        "monthly_income": income,
        "assets_value": assets,
        "identity_verified": verified,
        "education": education,
        "employer_type": employer,
        "district": district,
        "monthly_spending": spending,
        "idle_purchase_share": np.round(idle, 3),
        "patriotic_purchase_share": np.round(patriotic, 3),
        "device": device,
        "political_posts_flagged": posts.astype(np.int64),
        "friends_recruited": recruited.astype(np.int64),
    })


def _friendships(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Draw a directed friendship graph with homophily on (ethnicity, district)."""
    n = len(people)
    degree = np.minimum(2 + rng.poisson(6, n), 40)
    src = np.repeat(np.arange(n), degree)
    block = pd.factorize(people["ethnicity"].astype(str) + "|" + people["district"].astype(str))[0]
    order = np.argsort(block, kind="stable")
    block_sizes = np.bincount(block)
    block_start = np.concatenate([[0], np.cumsum(block_sizes)[:-1]])
    src_block = block[src]
    within = (rng.random(len(src)) < _HOMOPHILY) & (block_sizes[src_block] > 1)
    pick_in_block = block_start[src_block] + (rng.random(len(src)) * block_sizes[src_block])
    dst = np.where(within, order[pick_in_block.astype(np.int64)], rng.integers(0, n, len(src)))
    # no self-friendship: move a self-loop to the next person in the same block (or overall)
    self_loop = dst == src
    dst[self_loop] = (dst[self_loop] + 1) % n
    return pd.DataFrame({"person_id": src.astype(np.int64), "friend_id": dst.astype(np.int64)})


def friends_mean(edges: pd.DataFrame, scores: np.ndarray) -> np.ndarray:
    """Return each person's mean of their friends' ``scores`` (NaN for nobody's friend list).

    Parameters
    ----------
    edges : pandas.DataFrame
        ``person_id -> friend_id`` rows.
    scores : numpy.ndarray
        One score per person, indexed by ``person_id``.

    Returns
    -------
    numpy.ndarray
        Mean score of each person's friends.
    """
    n = len(scores)
    src = edges["person_id"].to_numpy()
    total = np.bincount(src, weights=scores[edges["friend_id"].to_numpy()], minlength=n)
    count = np.bincount(src, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def score_people(people: pd.DataFrame, edges: pd.DataFrame, policy: Policy,
                 *, tol: float = 1e-9, max_iter: int = 500) -> tuple[pd.DataFrame, np.ndarray]:
    """Apply a policy: true contributions, friends' mean score and hidden score.

    The friends' mean score and the hidden scores are a fixed point: each person's score
    counts ``policy.friends.weight`` times their friends' mean score above the pivot, and
    that mean is computed from the same scores.

    Parameters
    ----------
    people : pandas.DataFrame
        Population without scores.
    edges : pandas.DataFrame
        Friendships.
    policy : Policy
        The hidden rules.
    tol : float
        Convergence threshold in points.
    max_iter : int
        Iteration cap (the fixed point contracts by ``friends.weight`` per iteration).

    Returns
    -------
    contributions : pandas.DataFrame
        One ``true__<feature>`` column per feature the policy reads.
    hidden : numpy.ndarray
        ``policy.base + contributions.sum(axis=1)``.
    """
    contributions = {TRUE_PREFIX + t.feature: t.apply(people[t.feature].to_numpy())
                     for t in policy.active_terms}
    direct = policy.base + np.sum(list(contributions.values()), axis=0)
    w, pivot = policy.friends.weight, policy.friends.pivot
    hidden = direct.copy()
    if w:
        for _ in range(max_iter):
            pulled = w * (friends_mean(edges, hidden) - pivot)
            updated = direct + pulled
            if np.max(np.abs(updated - hidden)) < tol:
                hidden = updated
                break
            hidden = updated
        contributions[TRUE_PREFIX + FRIENDS_FEATURE] = w * (friends_mean(edges, hidden) - pivot)
        hidden = direct + contributions[TRUE_PREFIX + FRIENDS_FEATURE]
    return pd.DataFrame(contributions, index=people.index), hidden


def _check(n: object, seed: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise ValueError(f"n must be an integer, got {n!r}")
    if not MIN_PEOPLE <= n <= MAX_PEOPLE:
        raise ValueError(f"n must be between {MIN_PEOPLE} and {MAX_PEOPLE:,}, got {n:,}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def city_sizes(n: int, city_size: int = CITY_SIZE) -> list[int]:
    """Split ``n`` people into balanced cities of at most ``city_size`` people.

    Parameters
    ----------
    n : int
        Population size.
    city_size : int
        Largest city.

    Returns
    -------
    list of int
        Sizes, summing to ``n``, differing by at most one.
    """
    count = max(1, -(-n // city_size))
    return [len(part) for part in np.array_split(np.arange(n), count)]


def generate_city(policy: Policy, size: int, *, seed: int, index: int,
                  offset: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate and score one city: a chunk of the population with its own social graph.

    A city's random stream depends only on ``(seed, index)``, so cities can be generated in
    any order, in other processes or on other machines, and give the same people.

    Parameters
    ----------
    policy : Policy
        The hidden rules.
    size : int
        People in the city.
    seed : int
        Seed of the whole population.
    index : int
        Position of the city.
    offset : int
        ``person_id`` of the city's first person.

    Returns
    -------
    people : pandas.DataFrame
        The city's people, scored, with true contributions.
    edges : pandas.DataFrame
        Friendships inside the city, as global ``person_id``s.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
    people = _people(size, rng)
    edges = _friendships(people, rng)
    people["n_friends"] = np.bincount(edges["person_id"], minlength=size).astype(np.int64)
    contributions, hidden = score_people(people, edges, policy)
    people[FRIENDS_FEATURE] = np.round(friends_mean(edges, hidden), 2)
    noisy = hidden + rng.normal(0, policy.noise, size) if policy.noise else hidden
    people["hidden_score"] = hidden
    people["score"] = np.clip(np.round(noisy), policy.min_score, policy.max_score)
    people = pd.concat([people, contributions], axis=1)
    people["person_id"] += offset
    edges += offset
    ordered = ["person_id", *SENSITIVE, *INPUTS, "hidden_score", "score",
               *contributions.columns]
    return people[ordered], edges


@dataclass(frozen=True)
class CitySpec:
    """Which city to generate: its size, position and first ``person_id``."""

    size: int
    index: int
    offset: int


def plan_cities(n: int, *, seed: int = 0, city_size: int = CITY_SIZE) -> list[CitySpec]:
    """Validate ``n`` and ``seed`` and split the population into cities.

    Parameters
    ----------
    n : int
        Number of people, between 50 and 100,000,000.
    seed : int
        Seed of the population (validated here).
    city_size : int
        Largest city.

    Returns
    -------
    list of CitySpec
        One spec per city, in order.

    Raises
    ------
    ValueError
        When ``n`` or ``seed`` is out of range.
    """
    _check(n, seed)
    sizes = city_sizes(int(n), city_size)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return [CitySpec(size, index, int(offset))
            for index, (size, offset) in enumerate(zip(sizes, offsets, strict=True))]


def assemble(policy: Policy, seed: int,
             cities: list[tuple[pd.DataFrame, pd.DataFrame]]) -> World:
    """Join generated cities, in order, into one world.

    Parameters
    ----------
    policy : Policy
        The hidden rules the cities were scored by.
    seed : int
        Seed of the population.
    cities : list of (people, edges)
        Output of :func:`generate_city` for each :class:`CitySpec`, in order.

    Returns
    -------
    World
        The population.
    """
    return World(people=pd.concat([c[0] for c in cities], ignore_index=True),
                 edges=pd.concat([c[1] for c in cities], ignore_index=True), policy=policy,
                 base=policy.base, seed=int(seed))


def generate(policy: Policy, n: int, *, seed: int = 0, city_size: int = CITY_SIZE) -> World:
    """Generate a population of ``n`` people scored by ``policy``.

    The population is made of cities of at most ``city_size`` people; friendships stay
    inside a city, so each city is generated and scored on its own, in bounded memory
    (and, in a build with the Dask engine, on another machine).

    Parameters
    ----------
    policy : Policy
        The hidden rules.
    n : int
        Number of people, between 50 and 100,000,000.
    seed : int
        Seed; the same seed gives the same population.
    city_size : int
        Largest city.

    Returns
    -------
    World
        People, friendships and the policy; ``people`` holds the published ``score``
        (hidden score plus noise, rounded and clipped to the policy's range).

    Raises
    ------
    ValueError
        When ``n`` or ``seed`` is out of range.
    """
    specs = plan_cities(n, seed=seed, city_size=city_size)
    return assemble(policy, seed, [generate_city(policy, c.size, seed=int(seed), index=c.index,
                                                 offset=c.offset) for c in specs])
