"""Fidelity: SHAP values against the hidden rules' true contributions, on every preset."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sesame_audit.datasets.policy import load_policy
from sesame_audit.model.cli import main
from sesame_audit.model.course.fidelity import (
    AGREE,
    FULL_SIZE,
    SWAP,
    NoHiddenRules,
    fidelity_points,
    fidelity_report,
    hidden_rules,
)
from sesame_audit.model.runs.store import load_run

VARIES_POINTS = 5.0


@pytest.fixture(params=["social_run", "proxy_run", "marketed_run"])
def preset_run(request):
    return request.getfixturevalue(request.param)


def _truth(run, feature: str) -> np.ndarray:
    values = run.people[f"true__{feature}"].to_numpy(dtype=float)
    return values - values.mean()


def test_additive_terms_are_recovered(preset_run) -> None:
    report = fidelity_report(preset_run)
    policy = load_policy(preset_run.manifest["policy"])
    expected = {t.feature for t in policy.active_terms}
    if policy.friends.weight:
        expected.add("friends_mean_score")
    assert set(report.terms["feature"]) == expected
    for row in report.terms.itertuples():
        truth = _truth(preset_run, row.feature)
        shap = preset_run.explanation.values[row.feature].to_numpy(dtype=float)
        assert row.true_sd_points == pytest.approx(truth.std())
        assert row.pearson == pytest.approx(np.corrcoef(truth, shap)[0, 1])
        assert row.slope == pytest.approx(np.polyfit(truth, shap, 1)[0], abs=0.05)
        if truth.std() > VARIES_POINTS and row.partner_corr > SWAP:
            assert row.pearson >= AGREE, (row.feature, row.pearson)
        elif truth.std() > VARIES_POINTS:
            # credit shared with another input: the two errors really move against each other
            assert row.pearson >= 0.9, (row.feature, row.pearson)
            partner = preset_run.explanation.values[row.partner].to_numpy(dtype=float)
            if f"true__{row.partner}" in preset_run.people:
                partner = partner - _truth(preset_run, row.partner)
            swap = np.corrcoef(shap - truth, partner)[0, 1]
            assert swap == pytest.approx(row.partner_corr) and swap <= SWAP
        full = row.pearson >= AGREE and row.slope >= FULL_SIZE
        assert row.agrees == full
        assert row.verdict == ("tracks the rule" if full else "under-states the rule"
                               if row.pearson >= AGREE else "disagrees")
        if row.verdict == "under-states the rule":
            assert f"{row.slope:.0%} of its size" in row.diagnosis or row.partner_corr <= SWAP
        if row.partner_corr <= SWAP:
            assert preset_run.roles.label(row.partner) in row.diagnosis


def test_mass_on_unread_inputs_and_model_error(preset_run) -> None:
    report = fidelity_report(preset_run)
    mass = preset_run.explanation.values.astype(float).abs().mean()
    read = set(report.terms["feature"])
    unread = [f for f in mass.index if f not in read]
    assert report.unread_share == pytest.approx(mass[unread].sum() / mass.sum())
    assert set(report.unread["feature"]) == set(unread)
    assert 0 <= report.unread_share < 0.1
    # one figure for "model error against the hidden score": the held-out one Overview shows
    assert report.mae_hidden_points == preset_run.manifest["metrics"]["mae_hidden_points"]
    assert np.isfinite(report.mae_hidden_points) and report.mae_hidden_points > 0


def test_rules_in_plain_words(social_run) -> None:
    rules = hidden_rules(social_run)
    policy = load_policy("social-credit")
    assert [r.feature for r in rules] == [t.feature for t in policy.terms] + [
        "friends_mean_score"]
    assert rules[0].text.startswith("Bills paid on time") and "+130 points" in rules[0].text
    assert "0.35 points per point above 600" in rules[-1].text


def test_points_sample(social_run) -> None:
    points = fidelity_points(social_run, "payment_history", max_points=500)
    assert len(points) == 500
    truth = set(np.round(_truth(social_run, "payment_history"), 6))
    assert set(np.round(points["true_points"], 6)) <= truth
    assert len(fidelity_points(social_run, "payment_history", max_points=10**6)) == 2000
    with pytest.raises(NoHiddenRules, match="no hidden rule reads 'monthly_income'"):
        fidelity_points(social_run, "monthly_income")


def test_own_model_has_no_hidden_rules(own_run_path) -> None:
    run = load_run(own_run_path)
    with pytest.raises(NoHiddenRules, match="has no hidden rules"):
        fidelity_report(run)
    with pytest.raises(NoHiddenRules):
        hidden_rules(run)


def test_cli_fidelity(social_path, own_run_path, capsys) -> None:
    assert main(["fidelity", str(social_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    report = fidelity_report(load_run(social_path))
    assert [t["feature"] for t in data["terms"]] == report.terms["feature"].tolist()
    assert data["unread_share"] == pytest.approx(report.unread_share)
    assert len(data["rules"]) == 13
    assert main(["fidelity", str(social_path)]) == 0
    assert "SHAP mass on inputs no rule reads" in capsys.readouterr().out
    assert main(["fidelity", str(own_run_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: zz-own-model has no hidden rules") and "\n" not in err


@pytest.mark.slow
def test_every_rule_recovered_at_full_size(tmp_path) -> None:
    """At 20,000 people even the rule sharing credit with income passes r >= 0.95."""
    from sesame_audit.model.build.builder import build_run

    run = load_run(build_run("social-credit", 20_000, 0, tmp_path / "run"))
    report = fidelity_report(run)
    assert len(report.terms) == 13
    assert (report.terms["pearson"] >= AGREE).all(), report.terms[["feature", "pearson"]]
