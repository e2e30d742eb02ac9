"""Score spread: histogram, tiers reached, the group below every tier, accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from sesame_audit.datasets.tiers import RESTRICTED_NOTE
from sesame_audit.model.core.roles import Roles, TierSpec
from sesame_audit.model.figures.population import below_tiers, score_histogram, tier_reach_table
from sesame_audit.model.runs.stored import accuracy

ROLES = Roles(id="id", inputs=("x",), sensitive=(), target="y", score_min=350,
              score_max=950, tiers=(TierSpec("standard", 550, "none", "speculated", "a"),
                                    TierSpec("dating", 588, "shown", "reported", "b")),
              below_note=RESTRICTED_NOTE)


def test_histogram_counts_by_hand() -> None:
    scores = np.array([350, 355, 359.9, 360, 949, 950, 1000, 100])
    hist = score_histogram(scores, ROLES, width=10)
    assert len(hist) == 60
    assert hist["start"].iloc[0] == 350 and hist["end"].iloc[-1] == 950
    assert hist["people"].iloc[0] == 4  # 350, 355, 359.9 and 100 (clipped)
    assert hist["people"].iloc[1] == 1
    assert hist["people"].iloc[-1] == 3  # 949, 950 and 1000 (clipped)
    assert hist["people"].sum() == len(scores)
    with pytest.raises(ValueError, match="band width must be positive"):
        score_histogram(scores, ROLES, width=0)


def test_tiers_reached_by_hand() -> None:
    scores = np.array([500, 549.9, 550, 587, 588, 700])
    table = tier_reach_table(scores, ROLES)
    assert table["tier"].tolist() == ["standard", "dating"]
    assert table["people"].tolist() == [4, 2]
    assert table["share"].tolist() == pytest.approx([4 / 6, 2 / 6])
    assert table["status"].tolist() == ["speculated", "reported"]
    assert table["note"].tolist() == ["a", "b"]
    below = below_tiers(scores, ROLES)
    assert below["people"] == 2 and below["share"] == pytest.approx(2 / 6)
    assert below["threshold"] == 550 and below["note"] == RESTRICTED_NOTE


def test_unknown_tiers_have_no_note_and_no_restriction() -> None:
    roles = Roles(id="id", inputs=("x",), sensitive=(), target="y", score_min=0,
                  score_max=1, tiers=(TierSpec("approved", 0.5),))
    assert tier_reach_table(np.array([0.2, 0.7]), roles)["note"].tolist() == [""]
    assert below_tiers(np.array([0.2, 0.7]), roles)["note"] == ""


def test_tiers_of_a_run_match_the_model_scores(social_run) -> None:
    scores = social_run.explanation.prediction
    table = tier_reach_table(scores, social_run.roles)
    for row in table.itertuples():
        assert row.people == int(np.sum(scores >= row.min_score))
    assert table["people"].is_monotonic_decreasing
    assert score_histogram(scores, social_run.roles)["people"].sum() == len(scores)


def test_accuracy_reads_the_manifest(social_run) -> None:
    fit = accuracy(social_run)
    assert fit["r2"] == social_run.manifest["metrics"]["r2"]
    assert fit["mae_hidden_points"] == social_run.manifest["metrics"]["mae_hidden_points"]
    assert set(fit) == {"r2", "mae_points", "r2_hidden", "mae_hidden_points"}
