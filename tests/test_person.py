"""One person's explanation: reasons, tiers and what-if edits."""

from __future__ import annotations

import numpy as np
import pytest

from sesame_audit.model.core.roles import next_tier, tier_of
from sesame_audit.model.person.explained import (
    WhatIfError,
    explain_person,
    format_value,
    what_if,
)


def test_contributions_add_up_and_reasons_are_the_worst(social_run) -> None:
    for person in (0, 17, 1999):
        p = explain_person(social_run, person)
        assert abs(p.base + sum(p.contributions.values()) - p.score) < 1e-3
        negative = sorted((v, k) for k, v in p.contributions.items() if v < -0.5)
        assert [r.feature for r in p.reasons] == [k for _, k in negative[:4]]
        assert all(r.points < 0 and r.label and f"by {-r.points:.1f} points" in r.text
                   for r in p.reasons)


def test_tier_boundaries_by_hand(social_run) -> None:
    tiers = social_run.roles.tiers
    names = tier_of(np.array([100, 550, 587.9, 588, 600, 649, 650, 700, 750, 949]), tiers)
    assert names.tolist() == ["below_tiers", "standard", "standard", "dating", "deposit_free",
                              "deposit_free", "car_rental", "visa_singapore",
                              "visa_luxembourg", "visa_luxembourg"]
    assert next_tier(620, tiers).name == "car_rental"
    assert next_tier(800, tiers) is None
    p = explain_person(social_run, 3)
    if p.next_tier is not None:
        assert np.isclose(p.points_to_next, p.next_tier.min_score - p.score)


def test_unknown_person(social_run) -> None:
    with pytest.raises(KeyError, match="no person with id"):
        explain_person(social_run, 10**9)
    with pytest.raises(KeyError, match="no person with id"):
        explain_person(social_run, "abc")


def test_what_if_without_edits_is_the_stored_explanation(social_run) -> None:
    stored = explain_person(social_run, 42)
    again = what_if(social_run, 42, {})
    assert np.isclose(again.score, stored.score)
    assert np.allclose(list(again.contributions.values()), list(stored.contributions.values()),
                       atol=1e-3)


def test_what_if_moves_the_score_the_right_way(social_run) -> None:
    people = social_run.people
    person = int(people.index[people["political_posts_flagged"] >= 3][0])
    before = explain_person(social_run, person)
    after = what_if(social_run, person, {"political_posts_flagged": 0,
                                         "identity_verified": 1})
    assert after.score > before.score
    assert after.contributions["political_posts_flagged"] > before.contributions[
        "political_posts_flagged"]
    assert after.values["political_posts_flagged"] == 0
    assert abs(after.base + sum(after.contributions.values()) - after.score) < 1e-3


@pytest.mark.parametrize(("edits", "message"), [
    ({"shoe_size": 3}, "not a model input"),
    ({"ethnicity": "majority"}, "not a model input"),
    ({"monthly_income": -5}, "outside the range"),
    ({"monthly_income": "lots"}, "not a number"),
    ({"monthly_income": float("nan")}, "outside the range"),
    ({"district": "Mars"}, "not a value seen"),
])
def test_what_if_rejects_bad_edits(social_run, edits, message) -> None:
    with pytest.raises(WhatIfError, match=message):
        what_if(social_run, 1, edits)


@pytest.mark.parametrize(("value", "kind", "text"), [
    (10_220.4, "", "10,220"), (-1_500_000.0, "", "-1,500,000"), (0.000123456, "", "0.0001235"),
    (5.5, "", "5.5"), (999.96, "", "1000"), (0.25, "share", "25%"), (12_345.6, "money", "¥12,346"),
    (3.0, "count", "3"), (float("nan"), "", "missing"), ("north_east", "", "north east")])
def test_values_read_as_a_person_would_write_them(value, kind, text) -> None:
    assert format_value(value, kind) == text
    assert "e+" not in format_value(value, kind)
