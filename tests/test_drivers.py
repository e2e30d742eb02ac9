"""Global drivers: influence by feature and privacy category, beeswarm and dependence data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sesame_audit.model.core.roles import Roles
from sesame_audit.model.figures.dependence import (
    OTHER_GROUPS,
    dependence_data,
    dependence_summary,
    suppress_small_groups,
)
from sesame_audit.model.figures.drivers import (
    beeswarm_data,
    beeswarm_summary,
    influence_by_feature,
    influence_by_privacy,
    sample_rows,
    value_rank,
)
from sesame_audit.model.figures.suppress import DEFAULT_K


def _roles(**extra: object) -> Roles:
    return Roles(id="id", inputs=("a", "b", "c"), sensitive=("g",), target="y",
                 score_min=0, score_max=100, tiers=(), categorical=("c",),
                 labels={"a": "Alpha", "b": "Beta", "c": "Gamma"},
                 privacy={"a": "financial", "b": "financial", "c": "social graph"}, **extra)


def test_influence_by_feature_on_a_tiny_table() -> None:
    values = pd.DataFrame({"a": [1.0, -3.0], "b": [0.5, 0.5], "c": [-4.0, -6.0]})
    frame = influence_by_feature(values, _roles())
    assert frame["feature"].tolist() == ["c", "a", "b"]
    assert frame["label"].tolist() == ["Gamma", "Alpha", "Beta"]
    assert frame["mean_abs_points"].tolist() == pytest.approx([5.0, 2.0, 0.5])
    assert frame["mean_signed_points"].tolist() == pytest.approx([-5.0, -1.0, 0.5])
    assert frame["privacy"].tolist() == ["social graph", "financial", "financial"]


def test_influence_by_privacy_sums_within_a_category_before_the_absolute_value() -> None:
    # a and b cancel for the first person: financial moves them by |1 - 1| = 0, then |-3 - 1|.
    values = pd.DataFrame({"a": [1.0, -3.0], "b": [-1.0, -1.0], "c": [2.0, 2.0]})
    frame = influence_by_privacy(values, _roles()).set_index("privacy")
    assert frame.loc["financial", "mean_abs_points"] == pytest.approx(2.0)
    assert frame.loc["social graph", "mean_abs_points"] == pytest.approx(2.0)
    assert frame.loc["financial", "n_features"] == 2
    assert frame["share"].sum() == pytest.approx(1.0)


def test_influence_by_privacy_matches_a_hand_computation_on_a_run(social_run) -> None:
    values, roles = social_run.explanation.values, social_run.roles
    frame = influence_by_privacy(values, roles).set_index("privacy")
    for category in set(roles.privacy[c] for c in roles.inputs):
        columns = [c for c in roles.inputs if roles.privacy[c] == category]
        total = np.zeros(len(values))
        for column in columns:
            total += values[column].to_numpy(dtype=float)
        assert frame.loc[category, "mean_abs_points"] == pytest.approx(np.mean(np.abs(total)),
                                                                      rel=1e-9)
    assert frame["mean_abs_points"].is_monotonic_decreasing
    assert "social graph" in frame.index and "special category" in frame.index


def test_inputs_without_a_privacy_category_are_uncategorised() -> None:
    roles = Roles(id="id", inputs=("x",), sensitive=(), target="y", score_min=0,
                  score_max=1, tiers=())
    frame = influence_by_privacy(pd.DataFrame({"x": [1.0, -1.0]}), roles)
    assert frame["privacy"].tolist() == ["uncategorised"]
    assert influence_by_feature(pd.DataFrame({"x": [2.0]}), roles)["label"].tolist() == ["x"]


def test_sample_rows_is_reproducible_and_bounded() -> None:
    assert sample_rows(5, 10).tolist() == [0, 1, 2, 3, 4]
    first, again = sample_rows(1000, 100, seed=3), sample_rows(1000, 100, seed=3)
    assert len(first) == 100 and len(set(first)) == 100
    assert np.array_equal(first, again)
    assert np.all(np.diff(first) > 0)


def test_value_rank_orders_numbers_and_categories() -> None:
    roles = _roles()
    numbers = value_rank(pd.Series([3.0, 1.0, 2.0], name="a"), roles)
    # mid-rank: (people below + people at or below) / (2 n)
    assert numbers.tolist() == pytest.approx([5 / 6, 1 / 6, 3 / 6])
    ties = value_rank(pd.Series([1.0, 2.0, 2.0, np.nan], name="a"), roles)
    assert ties[:3].tolist() == pytest.approx([1 / 6, 4 / 6, 4 / 6]) and np.isnan(ties[3])
    categories = value_rank(pd.Series(["z", "b", "m", "b"], name="c"), roles)
    assert categories.tolist() == pytest.approx([1.0, 0.0, 0.5, 0.0])


def test_beeswarm_samples_the_top_features(social_run) -> None:
    values, roles = social_run.explanation.values, social_run.roles
    points, n = beeswarm_data(values, social_run.people, roles, top=5, sample=300, seed=1)
    top = values.abs().mean().sort_values(ascending=False).index[:5].tolist()
    assert n == 300
    assert len(points) == 5 * 300
    assert points.drop_duplicates("feature").sort_values("order")["feature"].tolist() == top
    assert points["offset"].between(-1, 1).all()
    assert points["value_rank"].between(0, 1).all()
    rows = sample_rows(len(values), 300, seed=1)
    first = points[points["feature"] == top[0]]["points"].to_numpy()
    assert np.allclose(first, values[top[0]].to_numpy()[rows])
    summary = beeswarm_summary(points)
    assert summary["label"].tolist() == [roles.label(f) for f in top]
    assert (summary["people"] == 300).all()
    assert (summary["lowest"] <= summary["median"]).all()


def test_small_groups_are_merged_or_hidden() -> None:
    groups = pd.Series(["a"] * 20 + ["b"] * 6 + ["c"] * 6)
    merged = suppress_small_groups(groups)
    assert merged.value_counts().to_dict() == {"a": 20, OTHER_GROUPS: 12}
    alone = suppress_small_groups(pd.Series(["a"] * 20 + ["b"] * 4))  # 24 - 20 would be b
    assert alone.value_counts().to_dict() == {OTHER_GROUPS: 24}
    assert suppress_small_groups(pd.Series(["a"] * 20 + ["b"] * 4), k=3).nunique() == 2
    assert suppress_small_groups(pd.Series(["a"] * 5)).isna().all()


def test_dependence_never_shows_a_group_under_eleven(social_run) -> None:
    values, people, roles = social_run.explanation.values, social_run.people, social_run.roles
    points, n = dependence_data(values, people, roles, "payment_history", "ethnicity",
                                sample=150, seed=2)
    assert n == len(points)
    assert points["group"].value_counts().min() >= DEFAULT_K
    rows = sample_rows(len(values), 150, seed=2)
    kept = people["ethnicity"].iloc[rows].value_counts()
    small = kept[kept < DEFAULT_K]
    assert 0 < small.sum() < DEFAULT_K  # so the next smallest group joins them
    merged = kept.index[kept.rank(method="first") <= len(small) + 1]
    assert (points["group"] == OTHER_GROUPS).sum() == kept[merged].sum()
    for group, size in kept.drop(merged).items():
        assert (points["group"] == group).sum() == size
    assert n == 150  # nobody left out, so no group is the sample minus those shown
    summary = dependence_summary(points, categorical=False)
    assert (summary["people"] >= DEFAULT_K).all()
    assert summary["people"].sum() <= n


def test_dependence_values_match_the_run(social_run) -> None:
    values, people, roles = social_run.explanation.values, social_run.people, social_run.roles
    points, n = dependence_data(values, people, roles, "district", sample=10_000)
    assert n == len(people)
    assert "group" not in points
    assert points["value"].tolist() == people["district"].tolist()
    table = dependence_summary(points, categorical=True).set_index("band")
    by_hand = values["district"].groupby(people["district"]).mean()
    for district, mean in by_hand.items():
        assert table.loc[district, "mean_points"] == pytest.approx(mean, rel=1e-6)


def test_dependence_rejects_unknown_columns(social_run) -> None:
    values, people, roles = social_run.explanation.values, social_run.people, social_run.roles
    with pytest.raises(KeyError, match="not a model input"):
        dependence_data(values, people, roles, "ethnicity")
    with pytest.raises(KeyError, match="not a column"):
        dependence_data(values, people, roles, "district", "shoe_size")
