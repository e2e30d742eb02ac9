"""Who the score penalises, in one sentence: the group chosen, its numbers and its wording."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sesame_audit.model.audit.fairness import four_fifths_finding, impact_ratios
from sesame_audit.model.audit.headline import (
    most_penalised,
    penalty_of,
    penalty_sentence,
)
from sesame_audit.model.core.roles import Roles, TierSpec
from sesame_audit.model.core.units import threshold_words
from sesame_audit.model.figures.intervals import ratio_interval, wilson

TIERS = {"low": 500.0, "high": 700.0}


def _ratios(rows: list[tuple[str, str, int, int, bool]], reference: str) -> pd.DataFrame:
    """An impact-ratio table like ``fairness.impact_ratios``, from (group, tier, n, reached,
    suppressed); intervals computed with the project's interval functions."""
    frame = pd.DataFrame(rows, columns=["group", "tier", "count", "reached", "suppressed"])
    frame.insert(0, "attribute", "colour")
    ref = frame[frame["group"] == reference].set_index("tier")
    k2, n2 = frame["tier"].map(ref["reached"]), frame["tier"].map(ref["count"])
    ratio, low, high = ratio_interval(frame["reached"], frame["count"], k2, n2)
    share_low, share_high = wilson(frame["reached"], frame["count"])
    frame = frame.assign(share=frame["reached"] / frame["count"], share_lower=share_low,
                         share_upper=share_high, impact_ratio=ratio, impact_lower=low,
                         impact_upper=high, reference=reference)
    frame["finding"] = four_fifths_finding(frame["impact_ratio"], frame["impact_upper"])
    return frame


def test_a_hidden_group_is_never_named() -> None:
    ratios = _ratios([("blue", "low", 1000, 500, False), ("red", "low", 900, 300, False),
                      ("tiny", "low", 12, 0, True), ("blue", "high", 1000, 200, False),
                      ("red", "high", 900, 150, False), ("tiny", "high", 12, 0, True)], "blue")
    found = most_penalised(ratios, TIERS)
    assert found is not None and found.group == "red"
    assert "tiny" not in set(found.groups["group"])
    assert "tiny" not in penalty_sentence(found, _roles("points"))


def test_a_clear_finding_comes_before_a_lower_uncertain_one() -> None:
    # green: ratio 0 on 15 people (interval reaching 0.8); red: 0.6 on 2,000 (clear)
    ratios = _ratios([("blue", "low", 2000, 1000, False), ("red", "low", 2000, 600, False),
                      ("green", "low", 15, 0, False)], "blue")
    by_group = ratios.set_index("group")
    assert by_group.loc["green", "finding"] == "uncertain"
    assert by_group.loc["red", "finding"] == "clear"
    found = most_penalised(ratios, TIERS)
    assert (found.group, found.finding) == ("red", "clear")
    assert found.ratio == pytest.approx((600 / 2000) / (1000 / 2000))


def test_the_sentence_carries_counts_interval_and_times() -> None:
    ratios = _ratios([("majority", "low", 4000, 2000, False),
                      ("minority_b", "low", 1000, 132, False)], "majority")
    found = most_penalised(ratios, TIERS)
    text = penalty_sentence(found, _roles("points"), {"colour": "Colour"})
    times = (2000 / 4000) / (132 / 1000)
    assert f"{times:.1f} times less often" in text
    assert "A minority b person (colour)" in text and "a majority person" in text
    assert "13.2% of 1,000 people against 50.0% of 4,000" in text
    assert f"95% interval {found.low:.2f} to {found.high:.2f}" in text
    assert "a score of 500 or more" in text and "clear four-fifths finding" in text
    assert "_" not in text


def test_no_penalty_says_so() -> None:
    ratios = _ratios([("blue", "low", 100, 50, False), ("red", "low", 100, 50, False)], "blue")
    assert most_penalised(ratios, TIERS) is None
    assert penalty_sentence(None, _roles("points")).startswith("No group shown")


def _roles(unit: str) -> Roles:
    task = "classification" if unit in ("probability", "log_odds") else "regression"
    return Roles(id="id", inputs=("a",), sensitive=("colour",), target="y", score_min=0,
                 score_max=1000, tiers=(TierSpec("low", 500),), task=task, unit=unit)


@pytest.mark.parametrize(("unit", "threshold", "words"), [
    ("points", 650.0, "a score of 650 or more"),
    ("probability", 0.5, "a probability of 0.5 or more"),
    ("log_odds", 0.0, "a probability of 0.5 or more"),
    ("EUR", 300.0, "a score of 300 EUR or more"),
])
def test_thresholds_read_in_the_run_unit(unit: str, threshold: float, words: str) -> None:
    assert threshold_words(threshold, _roles(unit)) == words


def test_on_a_run_the_numbers_are_the_fairness_tables(social_run) -> None:
    penalty = penalty_of(social_run)
    assert penalty is not None
    ratios = impact_ratios(social_run, penalty.attribute)
    row = ratios[(ratios["group"] == penalty.group) & (ratios["tier"] == penalty.tier)].iloc[0]
    assert not row["suppressed"]
    ref = ratios[(ratios["group"] == penalty.reference) & (ratios["tier"] == penalty.tier)]
    # the ratio recomputed from the people behind it
    people = social_run.people
    scores = np.asarray(social_run.explanation.prediction)
    reached = scores >= penalty.threshold
    mine = (people[penalty.attribute].astype(str) == penalty.group).to_numpy()
    theirs = (people[penalty.attribute].astype(str) == penalty.reference).to_numpy()
    assert (penalty.n, penalty.reached) == (mine.sum(), (reached & mine).sum())
    assert (penalty.reference_n, penalty.reference_reached) == (
        theirs.sum(), (reached & theirs).sum())
    assert penalty.ratio == pytest.approx(
        (reached & mine).sum() / mine.sum() / ((reached & theirs).sum() / theirs.sum()))
    assert len(ref) == 1 and penalty.high == pytest.approx(row["impact_upper"])
    # no group shown with a clear finding has stronger evidence
    shown = pd.concat([impact_ratios(social_run, a) for a in social_run.roles.sensitive])
    clear = shown[~shown["suppressed"] & (shown["finding"] == "clear")]
    if penalty.finding == "clear":
        assert penalty.high <= clear["impact_upper"].min() + 1e-12


def test_findings_and_audit_text_lead_with_the_same_sentence(social_run) -> None:
    from sesame_audit.model.audit.findings import audit_findings, findings_text

    findings = audit_findings(social_run)
    sentence = penalty_sentence(penalty_of(social_run), social_run.roles,
                                social_run.roles.labels)
    assert findings["headline"]["sentence"] == sentence
    text = findings_text(findings, roles=social_run.roles)
    assert text.splitlines()[1] == f"Headline: {sentence}"
