"""Lessons: every answer matches the audit functions or a hand computation on the run.

These tests depend on the audit API (audit.fairness, audit.proxies, audit.network,
audit.findings); they fail with ImportError on a branch that does not have it yet.
"""

from __future__ import annotations

import numpy as np
import pytest

from sesame_audit.model.audit.fairness import impact_ratios
from sesame_audit.model.audit.findings import audit_findings
from sesame_audit.model.audit.network import unfriend_gain
from sesame_audit.model.audit.proxies import proxy_strength
from sesame_audit.model.audit.recourse_burden import recourse_burden, recourse_sample
from sesame_audit.model.audit.unawareness import unawareness_gap
from sesame_audit.model.course.lessons import (
    compare_presets,
    find_proxy,
    lessons,
    paired_run_path,
    penalised_group,
    recourse_gap,
    unawareness,
    unfriend_someone,
)
from sesame_audit.model.runs.store import load_run


def _share(run, attribute: str, group: str, threshold: float) -> float:
    mask = run.people[attribute].astype(str).to_numpy() == group
    return float(np.mean(run.explanation.prediction[mask] >= threshold))


def test_penalised_group_by_hand(social_run) -> None:
    lesson = penalised_group(social_run)
    f = lesson.figures
    threshold = dict(zip(social_run.roles.tier_names,
                         [t.min_score for t in social_run.roles.tiers], strict=True))[f["tier"]]
    assert f["tier"] == "deposit_free"
    assert f["share"] == pytest.approx(_share(social_run, f["attribute"], f["group"], threshold))
    favoured = _share(social_run, f["attribute"], f["favoured"], threshold)
    assert f["impact_ratio"] == pytest.approx(f["share"] / favoured)
    every = [impact_ratios(social_run, a) for a in social_run.roles.sensitive]
    lowest = min(r[(r["tier"] == "deposit_free") & ~r["suppressed"]]["impact_ratio"].min()
                 for r in every)
    assert f["impact_ratio"] == pytest.approx(lowest)
    assert f"{f['impact_ratio']:.2f}" in lesson.answer
    assert f"'{f['group'].replace('_', ' ')}'" in lesson.answer


def test_proxy_and_unawareness_match_the_audit(proxy_run) -> None:
    strength = proxy_strength(proxy_run)
    lesson = find_proxy(proxy_run, "ethnicity", strength=strength)
    rows = strength[strength["attribute"] == "ethnicity"]
    assert lesson.figures["feature"] == rows.iloc[0]["feature"]
    assert lesson.figures["strength"] == pytest.approx(rows["strength"].max())
    gap = unawareness_gap(proxy_run, "ethnicity", strength=strength)
    lesson = unawareness(proxy_run, "ethnicity", strength=strength)
    assert lesson.figures["gap"] == pytest.approx(gap.gap)
    assert lesson.figures["share_through_proxies"] == pytest.approx(gap.share_through_proxies)
    hand = (proxy_run.explanation.prediction[proxy_run.people["ethnicity"] == gap.favoured]
            .mean() - proxy_run.explanation.prediction[
                proxy_run.people["ethnicity"] == gap.disfavoured].mean())
    assert lesson.figures["gap"] == pytest.approx(hand)
    assert lesson.answer.startswith("No.") and f"{hand:.0f} points" in lesson.answer


def test_unfriend_matches_the_audit(social_run) -> None:
    lesson = unfriend_someone(social_run)
    assert lesson.available
    person = lesson.figures["person"]
    shap = social_run.explanation.values["friends_mean_score"].to_numpy(dtype=float)
    assert lesson.figures["friends_points"] == pytest.approx(shap[social_run.row(person)])
    assert lesson.figures["friends_points"] <= np.sort(shap)[20]
    gain = unfriend_gain(social_run, person, drop=1)
    assert lesson.figures["gain"] == pytest.approx(gain.gain)
    assert lesson.figures["dropped"] == gain.dropped[0]


def test_presets_compared(social_run, marketed_run, runs_dir) -> None:
    assert paired_run_path(social_run) == runs_dir / "marketed-n2000-s0"
    alone = compare_presets(social_run, None)
    assert not alone.available and "Build the 'marketed' run" in alone.answer
    lesson = compare_presets(social_run, marketed_run)
    attribute = lesson.figures["attribute"]
    assert attribute == social_run.roles.sensitive[0]  # the Fairness page's first choice
    flags = lesson.figures["flags"]
    # the audit's list of clear findings, restricted to the attribute the lesson asks about
    assert flags == {name: sum(f["attribute"] == attribute for f in audit_findings(r)["flags"])
                     for name, r in (("social-credit", social_run), ("marketed", marketed_run))}
    assert (f"'marketed': {flags['marketed']} group/tier pair(s) clearly fail the four-fifths "
            "rule") in lesson.answer
    assert "_" not in lesson.answer.split("difference:")[1]
    big = lesson.figures["biggest"]
    threshold = {t.name: t.min_score for t in social_run.roles.tiers}[big["tier"]]

    def ratio(run) -> float:
        shares = {g: _share(run, big["attribute"], g, threshold)
                  for g in run.people[big["attribute"]].astype(str).unique()}
        return shares[big["group"]] / max(shares.values())

    assert big["attribute"] == attribute
    assert big["ratio"] == pytest.approx(ratio(social_run))
    assert big["other_ratio"] == pytest.approx(ratio(marketed_run))
    assert len(lessons(social_run, other=marketed_run)) == 5


def test_recourse_lesson_matches_burden(social_run) -> None:
    found = recourse_sample(social_run, sample=120, seed=3)
    lesson = recourse_gap(social_run, "hukou", tier="car_rental", found=found)
    table = recourse_burden(social_run, "hukou", found=found)
    rows = table[(table["tier"] == "car_rental") & ~table["suppressed"]]
    assert lesson.figures["share_with_recourse"] == pytest.approx(
        dict(zip(rows["group"], rows["share_with_recourse"], strict=True)))
    # cost and "the rest" are said in plain words where the answer first uses them
    assert lesson.answer.index("median cost") < lesson.answer.index("Cost counts how far")
    assert "The rest of each group, the people no change within their control lifts" \
        in lesson.answer


def test_own_model_says_what_is_missing(own_run_path) -> None:
    run = load_run(own_run_path)
    assert paired_run_path(run) is None
    assert "needs a run built from a preset" in compare_presets(run, None).answer
    lesson = unfriend_someone(run)
    assert not lesson.available and lesson.answer.startswith("Not in this run")
    assert penalised_group(run).available
