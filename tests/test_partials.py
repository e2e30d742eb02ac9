"""Chunk summaries merge into the same aggregates as the whole population at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sesame_audit.model.audit.fairness import score_distribution, tier_table
from sesame_audit.model.build.builder import build_run
from sesame_audit.model.build.summaries import merge, summarise
from sesame_audit.model.explain.explanation import Explanation, additivity_error
from sesame_audit.model.figures.profile import MAX_POINTS, column_profile, merge_profiles
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.store import load_run


def _fidelity_by_hand(people: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Two-pass fidelity, written here independently of the sums the library merges."""
    rows = []
    for column in [c for c in people.columns if c.startswith("true__")]:
        feature = column[len("true__"):]
        if feature not in values:
            continue
        truth = people[column].to_numpy(dtype=np.float64)
        truth = truth - truth.mean()
        shap = values[feature].to_numpy(dtype=np.float64)
        rows.append({"feature": feature, "pearson": np.corrcoef(truth, shap)[0, 1],
                     "true_sd_points": truth.std(), "shap_sd_points": shap.std(),
                     "rmse_points": np.sqrt(np.mean((shap - truth) ** 2))})
    return pd.DataFrame(rows).set_index("feature")


def _chunks(run: Run, cuts: list[int]) -> list:
    people, explanation = run.people, run.explanation
    found = []
    for lo, hi in zip([0, *cuts], [*cuts, len(people)], strict=True):
        part = Explanation(base=explanation.base, values=explanation.values.iloc[lo:hi],
                           prediction=explanation.prediction[lo:hi])
        found.append(summarise(people.iloc[lo:hi], part, run.roles, offset=lo,
                               total=len(people)))
    return found


def test_merged_chunks_equal_the_population_at_once(social_run) -> None:
    whole = merge(_chunks(social_run, []), social_run.roles)
    split = merge(_chunks(social_run, [1, 700, 1_333]), social_run.roles)  # uneven, a 1-row one
    assert set(whole.tables) == set(split.tables)
    for name in ("groups", "group_bins", "sample", "histogram", "tiers", "below", "profile"):
        pd.testing.assert_frame_equal(split.tables[name], whole.tables[name], check_exact=True)
    for name in ("influence", "privacy", "beeswarm"):
        pd.testing.assert_frame_equal(split.tables[name], whole.tables[name], rtol=1e-12)
    assert split.additivity == whole.additivity == additivity_error(social_run.explanation)


def test_merged_tables_recomputed_independently(social_run) -> None:
    people, values = social_run.people, social_run.explanation.values
    merged = merge(_chunks(social_run, [500, 1_200]), social_run.roles)
    influence = merged.tables["influence"].set_index("feature")
    np.testing.assert_allclose(influence.loc[list(values.columns), "mean_abs_points"],
                               values.astype(np.float64).abs().mean().to_numpy(), rtol=1e-12)
    groups = merged.tables["groups"]
    rows = groups[groups["attribute"] == '["ethnicity"]'].set_index("g0")
    score = social_run.explanation.prediction
    for group, mask in people.groupby("ethnicity").groups.items():
        mine = score[people.index.get_indexer(mask)]
        assert rows.loc[group, "count"] == len(mine)
        assert rows.loc[group, "median_score"] == np.median(mine)
    by_hand = _fidelity_by_hand(people, values)
    fidelity = merged.fidelity.set_index("feature").loc[by_hand.index]
    pd.testing.assert_frame_equal(fidelity, by_hand, rtol=1e-9)


def test_chunks_must_follow_one_another(social_run) -> None:
    chunks = _chunks(social_run, [800])
    with pytest.raises(ValueError, match="out of order"):
        merge(chunks[::-1], social_run.roles)
    with pytest.raises(ValueError, match="no chunk"):
        merge([], social_run.roles)


def test_merged_profiles_count_exactly_and_compress_within_bounds() -> None:
    rng = np.random.default_rng(0)
    words = pd.Series(rng.choice(["b", "a", "c"], 999))
    parts = [column_profile(words.iloc[lo:lo + 333], True) for lo in (0, 333, 666)]
    merged = merge_profiles(parts)
    counts = words.value_counts().sort_index()
    assert merged.categories == list(counts.index)
    np.testing.assert_array_equal(merged.counts, counts.to_numpy(dtype=float))

    numbers = rng.lognormal(3.0, 1.0, 60_000)  # all distinct: every chunk is compressed
    parts = [column_profile(pd.Series(numbers[lo:lo + 20_000]), False)
             for lo in (0, 20_000, 40_000)]
    merged = merge_profiles(parts)
    assert len(merged.values) <= MAX_POINTS and merged.total == pytest.approx(60_000)
    assert (merged.minimum, merged.maximum) == (numbers.min(), numbers.max())
    p = np.linspace(0.01, 0.99, 41)
    # the share of people at or below each merged quantile is within 2 / MAX_POINTS of p
    reached = np.searchsorted(np.sort(numbers), merged.quantile(p), side="right") / 60_000
    assert np.abs(reached - p).max() < 2 / MAX_POINTS + 1e-9
    with pytest.raises(ValueError, match="categorical"):
        merge_profiles([parts[0], column_profile(words, True)])


def test_a_build_of_several_cities_stores_what_the_population_gives(tmp_path) -> None:
    path = build_run("proxy", 1_200, 4, tmp_path / "cities", city_size=400)
    lazy = load_run(path)
    assert len(lazy.files("people")) == 3 and len(lazy.files("shap")) == 3
    files = {k: v for k, v in lazy.manifest["files"].items() if not k.startswith("aggregates/")}
    full = load_run(path)
    full = Run(full.path, {**full.manifest, "files": files}, full.roles,
               people=full.people.copy(), explanation=full.explanation, _model=full.model)
    for attribute in ("ethnicity", ("ethnicity", "hukou")):
        pd.testing.assert_frame_equal(tier_table(lazy, attribute, k=11),
                                      tier_table(full, attribute, k=11))
        pd.testing.assert_frame_equal(score_distribution(lazy, attribute, k=11),
                                      score_distribution(full, attribute, k=11))
    for kept, computed in zip(stored.influence(lazy), stored.influence(full),
                                strict=True):
        pd.testing.assert_frame_equal(kept, computed)
    pd.testing.assert_frame_equal(stored.beeswarm(lazy)[0], stored.beeswarm(full)[0])
    for kept, computed in zip(stored.sample(lazy), stored.sample(full), strict=True):
        pd.testing.assert_frame_equal(kept, computed)
    assert lazy.manifest["shap"]["max_additivity_error_points"] == pytest.approx(
        additivity_error(full.explanation), abs=1e-12)
    truth = _fidelity_by_hand(full.people, full.explanation.values).reset_index()
    for row in truth.itertuples():
        assert lazy.manifest["fidelity"][row.feature] == pytest.approx(row.pearson, abs=1e-9)
    assert not lazy.loaded
