"""Fairness by group and tier: hand-computed cases, pandas recomputation, suppression."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio
from tiny_runs import tiny_run

from sesame_audit.model.audit.fairness import (
    demographic_parity,
    impact_ratios,
    score_distribution,
    score_frame,
    tier_table,
    tier_table_with_suppression,
)
from sesame_audit.model.figures.suppress import suppression


def _hand_run():
    # group A: 6 x 650, 3 x 550, 3 x 400; group B: 3 x 650, 3 x 550, 6 x 400
    scores = [650] * 6 + [550] * 3 + [400] * 3 + [650] * 3 + [550] * 3 + [400] * 6
    people = pd.DataFrame({"person_id": np.arange(24), "group": ["A"] * 12 + ["B"] * 12,
                           "x": 0.0, "score": scores})
    return tiny_run(people, inputs=("x",), sensitive=("group",),
                    prediction=np.asarray(scores, dtype=float))


def _wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = k / n
    middle, spread = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (middle - spread) / (1 + z * z / n), (middle + spread) / (1 + z * z / n)


def _katz(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    ratio = (k1 / n1) / (k2 / n2)
    spread = 1.959963984540054 * math.sqrt(1 / k1 - 1 / n1 + 1 / k2 - 1 / n2)
    return ratio, ratio * math.exp(-spread), ratio * math.exp(spread)


def test_tier_table_by_hand() -> None:
    table = tier_table(_hand_run(), "group", min_reference=12).set_index("group")
    assert table.loc["A", "count"] == 12 and table.loc["B", "count"] == 12
    assert table.loc["A", "mean_score"] == pytest.approx(562.5)
    assert table.loc["B", "mean_score"] == pytest.approx(500.0)
    assert table.loc["A", "median_score"] == pytest.approx(600.0)
    assert table.loc["B", "median_score"] == pytest.approx(475.0)
    assert table.loc["A", "share_low"] == pytest.approx(0.75)
    assert table.loc["A", "share_high"] == pytest.approx(0.5)
    assert table.loc["B", "share_low"] == pytest.approx(0.5)
    assert table.loc["B", "share_high"] == pytest.approx(0.25)
    assert table.loc["A", "impact_ratio_low"] == pytest.approx(1.0)
    assert table.loc["B", "impact_ratio_low"] == pytest.approx(2 / 3)
    assert table.loc["B", "impact_ratio_high"] == pytest.approx(0.5)
    assert not table["suppressed"].any()
    assert table.loc["A", "reached_low"] == 9 and table.loc["B", "reached_high"] == 3
    low, high = _wilson(9, 12)
    assert table.loc["A", "share_lower_low"] == pytest.approx(low)
    assert table.loc["A", "share_upper_low"] == pytest.approx(high)
    _, low, high = _katz(6, 12, 9, 12)
    assert table.loc["B", "impact_lower_low"] == pytest.approx(low)
    assert table.loc["B", "impact_upper_low"] == pytest.approx(high)
    assert table.loc["A", "impact_lower_low"] == table.loc["A", "impact_upper_low"] == 1.0
    scores_a = np.array([650] * 6 + [550] * 3 + [400] * 3, dtype=float)
    half = 1.959963984540054 * scores_a.std(ddof=1) / math.sqrt(12)
    assert table.loc["A", "mean_lower"] == pytest.approx(562.5 - half)
    assert table.loc["A", "mean_upper"] == pytest.approx(562.5 + half)


def test_no_ratio_without_a_reference_group_large_enough() -> None:
    long = impact_ratios(_hand_run(), "group")  # 12 people a group, under max(11, 30)
    assert long["impact_ratio"].isna().all() and long["reference"].isna().all()
    assert not long["flagged"].any() and set(long["finding"]) == {"none"}


def test_impact_ratios_and_parity_by_hand() -> None:
    run = _hand_run()
    long = impact_ratios(run, "group", min_reference=12).set_index(["group", "tier"])
    # 6 of 12 against 9 of 12 and 3 of 12 against 6 of 12: under 0.8, yet intervals reach it
    assert set(long.loc["B", "finding"]) == {"uncertain"} and not long["flagged"].any()
    assert long.loc[("B", "low"), "impact_upper"] == pytest.approx(_katz(6, 12, 9, 12)[2])
    assert set(long["reference"]) == {"A"}
    assert long.loc[("A", "low"), "finding"] == "none"
    assert long.loc[("B", "high"), "share"] == pytest.approx(0.25)
    parity = demographic_parity(run, "group").set_index("tier")
    assert parity.loc["low", "difference"] == pytest.approx(0.25)
    assert parity.loc["low", "ratio"] == pytest.approx(2 / 3)
    assert parity.loc["high", "highest_group"] == "A"
    assert parity.loc["high", "lowest_group"] == "B"


def test_suppression_primary_and_complementary() -> None:
    counts = pd.Series({"A": 14, "B": 12, "C": 3, "D": 20})
    hidden = suppression(counts, k=11)
    assert hidden.mask.to_dict() == {"A": False, "B": True, "C": True, "D": False}
    assert (hidden.primary, hidden.complementary, hidden.cells) == (1, 1, 2)
    assert "2 group(s) hidden" in hidden.note()
    two_small = suppression(pd.Series({"A": 14, "B": 5, "C": 3}), k=11)  # 5 + 3 < 11
    assert two_small.mask.tolist() == [True, True, True] and two_small.complementary == 1
    no_total = suppression(counts, k=11, total_shown=False)
    assert no_total.mask.tolist() == [False, False, True, False]
    assert suppression(counts, k=3).cells == 0
    with pytest.raises(ValueError, match="positive integer"):
        suppression(counts, k=0)


def test_suppression_of_an_intersection_closes_every_line() -> None:
    index = pd.MultiIndex.from_tuples([("a", "x"), ("a", "y"), ("a", "z"),
                                       ("b", "x"), ("b", "y"), ("b", "z")])
    hidden = suppression(pd.Series([30, 5, 25, 40, 50, 60], index=index), k=11)
    assert hidden.mask.tolist() == [False, True, True, False, True, True]
    assert (hidden.primary, hidden.complementary) == (1, 3)


def test_tier_table_hides_small_groups_and_their_complement() -> None:
    scores = np.r_[np.full(20, 620.0), np.full(15, 560.0), np.full(4, 450.0)]
    people = pd.DataFrame({"person_id": np.arange(39),
                           "group": ["A"] * 20 + ["B"] * 15 + ["C"] * 4, "x": 0.0,
                           "score": scores})
    run = tiny_run(people, inputs=("x",), sensitive=("group",), prediction=scores)
    table, hidden = tier_table_with_suppression(run, "group", k=11, min_reference=20)
    table = table.set_index("group")
    assert table["suppressed"].to_dict() == {"A": False, "B": True, "C": True}
    assert table.loc[["B", "C"], ["count", "mean_score", "share_low"]].isna().all().all()
    assert table.loc["A", "impact_ratio_low"] == pytest.approx(1.0)
    assert hidden.cells == 2
    long = impact_ratios(run, "group", k=11, min_reference=20)
    assert not long.loc[long["suppressed"], "flagged"].any()
    assert long.loc[long["suppressed"], ["count", "impact_ratio", "impact_upper"]].isna().all(
        axis=None)
    assert set(score_distribution(run, "group", k=11)["group"]) == {"A"}


def test_reference_is_the_most_favoured_large_group_and_findings_split() -> None:
    # big: 400 people, 240 reach "low"; poor: 400, 120 reach; mid: 40, 18 reach;
    # tiny: 12, all reach (the most favoured, but too small to be the reference)
    sizes, reach = {"big": 400, "poor": 400, "mid": 40, "tiny": 12}, \
        {"big": 240, "poor": 120, "mid": 18, "tiny": 12}
    groups = [g for g, n in sizes.items() for _ in range(n)]
    scores = np.concatenate([np.r_[np.full(reach[g], 550.0), np.full(sizes[g] - reach[g], 450.0)]
                             for g in sizes])
    people = pd.DataFrame({"person_id": np.arange(len(groups)), "group": groups, "x": 0.0,
                           "score": scores})
    run = tiny_run(people, inputs=("x",), sensitive=("group",), prediction=scores)
    long = impact_ratios(run, "group").set_index(["group", "tier"])
    low = long.xs("low", level="tier")
    assert set(low["reference"]) == {"big"}
    assert low.loc["tiny", "impact_ratio"] == pytest.approx(1.0 / 0.6)
    ratio, lower, upper = _katz(120, 400, 240, 400)
    assert (low.loc["poor", "impact_ratio"], low.loc["poor", "impact_lower"],
            low.loc["poor", "impact_upper"]) == pytest.approx((ratio, lower, upper))
    assert upper < 0.8 and low.loc["poor", "finding"] == "clear" and low.loc["poor", "flagged"]
    ratio, lower, upper = _katz(18, 40, 240, 400)
    assert ratio < 0.8 <= upper
    assert low.loc["mid", "finding"] == "uncertain" and not low.loc["mid", "flagged"]
    assert (low.loc["mid", "count"], low.loc["mid", "reached"]) == (40, 18)
    assert low.loc["big", "finding"] == "none" and low.loc["tiny", "finding"] == "none"


def test_tier_table_matches_pandas_masks(social_run) -> None:
    score = social_run.explanation.prediction
    people = social_run.people
    for attribute in ["ethnicity", ("ethnicity", "hukou"), "age_group"]:
        table = tier_table(social_run, attribute, k=11)
        columns = [attribute] if isinstance(attribute, str) else list(attribute)
        shown = table[~table["suppressed"]]
        best = {t.name: (0.0, 0, 0) for t in social_run.roles.tiers}
        for row in shown.itertuples():
            mask = np.ones(len(people), dtype=bool)
            for column, value in zip(columns, row.group.split(" & "), strict=True):
                mask &= (people[column].astype(str) == value).to_numpy()
            assert row.count == mask.sum() >= 11
            assert row.mean_score == pytest.approx(score[mask].mean())
            for t in social_run.roles.tiers:
                share = float(np.mean(score[mask] >= t.min_score))
                assert getattr(row, f"share_{t.name}") == pytest.approx(share)
                reached = int(np.sum(score[mask] >= t.min_score))
                assert getattr(row, f"reached_{t.name}") == reached
                if mask.sum() >= 30 and share > best[t.name][0]:
                    best[t.name] = (share, reached, int(mask.sum()))
        for t in social_run.roles.tiers:
            top, top_reached, top_n = best[t.name]
            if top > 0:
                expected = shown[f"share_{t.name}"] / top
                assert np.allclose(shown[f"impact_ratio_{t.name}"], expected)
                row = shown.iloc[int(np.argmin(shown[f"share_{t.name}"]))]
                if row[f"reached_{t.name}"] > 0 and row[f"share_{t.name}"] < top:
                    _, low, high = _katz(int(row[f"reached_{t.name}"]), int(row["count"]),
                                         top_reached, top_n)
                    assert row[f"impact_lower_{t.name}"] == pytest.approx(low)
                    assert row[f"impact_upper_{t.name}"] == pytest.approx(high)


def test_metricframe_agrees_with_fairlearn_scalars(social_run) -> None:
    score = social_run.explanation.prediction
    parity = demographic_parity(social_run, "gender").set_index("tier")
    for t in social_run.roles.tiers:
        reached = (score >= t.min_score).astype(int)
        sensitive = social_run.people["gender"].to_numpy()
        assert parity.loc[t.name, "difference"] == pytest.approx(
            demographic_parity_difference(reached, reached, sensitive_features=sensitive))
        assert parity.loc[t.name, "ratio"] == pytest.approx(
            demographic_parity_ratio(reached, reached, sensitive_features=sensitive))
    for attribute in ("age_group", ("ethnicity", "hukou")):
        frame = score_frame(social_run, attribute).by_group
        frame = frame[frame["count"].fillna(0) > 0]
        table = tier_table(social_run, attribute, k=1)
        assert table["group"].tolist() == [" & ".join(np.atleast_1d(key)) for key in frame.index]
        for column in frame.columns:
            assert np.allclose(table[column].to_numpy(float), frame[column].to_numpy(float))
    overall = score_frame(social_run, "gender").overall
    assert overall["count"] == len(score)
    assert overall["mean_score"] == pytest.approx(score.mean())


def test_score_distribution_shares(social_run) -> None:
    distribution = score_distribution(social_run, "hukou", width=50)
    sums = distribution.groupby("group")["share"].sum()
    assert np.allclose(sums, 1.0)
    score = social_run.explanation.prediction
    rural = (social_run.people["hukou"] == "rural").to_numpy()
    row = distribution[(distribution["group"] == "rural") & (distribution["bin_start"] == 600)]
    assert row["share"].iloc[0] == pytest.approx(
        np.mean((score[rural] >= 600) & (score[rural] < 650)))


def test_bad_attribute_is_named(social_run) -> None:
    with pytest.raises(ValueError, match="unknown attribute 'religion'"):
        tier_table(social_run, "religion")
    with pytest.raises(ValueError, match="two different attributes"):
        tier_table(social_run, ("gender", "gender"))
    with pytest.raises(ValueError, match="distinct values"):
        tier_table(social_run, "monthly_income")
