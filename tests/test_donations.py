"""Data donations: the campaign, raking, the stand-in's audit against the truth, power."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sesame_audit.model.build.builder import build_run
from sesame_audit.model.core.bad_input import BadInputError
from sesame_audit.model.donations.campaign import parse_bias, simulate_campaign
from sesame_audit.model.donations.donated import audit_campaign, report_markdown
from sesame_audit.model.donations.power import parse_finding, power_curve
from sesame_audit.model.donations.raking import margins_of, rake
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.store import load_run

PLANTED_PROXIES = ("district", "device", "patriotic_purchase_share", "friends_mean_score")
DONATED_N = 8_000


@pytest.fixture(scope="module")
def proxy_big(runs_dir: Path) -> Run:
    """A proxy run large enough for a campaign of about 3,000 donations."""
    path = runs_dir / f"proxy-n{DONATED_N}-s0"
    if not (path / "manifest.json").is_file():
        build_run("proxy", DONATED_N, 0, path)
    return load_run(path)


@pytest.fixture(scope="module")
def mild_audit(proxy_big: Run) -> tuple:
    """A campaign of about 3,000 donations with mild bias, audited in memory."""
    campaign = simulate_campaign(proxy_big, requests=DONATED_N, response=0.38, bias="mild",
                                 seed=3)
    donated, audit = audit_campaign(proxy_big, campaign, margins=margins_of(proxy_big),
                                    refits=3, bootstrap=60, seed=0)
    return campaign, donated, audit


def _share_reaching(score: np.ndarray, mask: np.ndarray, threshold: float) -> float:
    return float((score[mask] >= threshold).mean())


def test_bias_presets_and_specs() -> None:
    assert parse_bias("none").factors == {}
    assert parse_bias("urban=2, education:postgraduate=3").factors == {
        ("hukou", ("urban",)): 2.0, ("education", ("postgraduate",)): 3.0}
    for bad in ("urban=-1", "urban=0", "foo=2", "urban"):
        with pytest.raises(BadInputError, match="bias"):
            parse_bias(bad)


def test_campaign_is_a_biased_sample_of_records(proxy_run: Run) -> None:
    people = proxy_run.people
    fair = simulate_campaign(proxy_run, requests=2_000, response=0.5, bias="none", seed=1)
    skewed = simulate_campaign(proxy_run, requests=2_000, response=0.5, bias="urban=4", seed=1)
    urban = (people["hukou"] == "urban").mean()
    for campaign, expected_more in ((fair, False), (skewed, True)):
        rows = people.set_index("person_id").loc[campaign.table["person_id"]]
        share = (rows["hukou"] == "urban").mean()
        se = np.sqrt(urban * (1 - urban) / len(rows))
        assert bool(share > urban + 3 * se) is expected_more
    again = simulate_campaign(proxy_run, requests=2_000, response=0.5, bias="none", seed=1)
    pd.testing.assert_frame_equal(fair.table, again.table)


def test_a_donation_holds_the_record(proxy_run: Run) -> None:
    campaign = simulate_campaign(proxy_run, requests=1_500, response=0.6, bias="mild",
                                 seed=2, round_to=10, blank=0.3)
    table = campaign.table
    assert abs(len(table) - 900) < 120
    rows = proxy_run.row  # id -> position
    positions = np.array([rows(i) for i in table["person_id"].head(50)])
    expected = np.round(proxy_run.explanation.prediction[positions] / 10) * 10
    np.testing.assert_allclose(table["score"].head(50).to_numpy(), expected)
    for column in proxy_run.roles.inputs:
        assert table[column].head(50).tolist() == proxy_run.people[column].iloc[
            positions].tolist()
    blank = table[list(proxy_run.roles.sensitive)].isna().to_numpy().mean()
    assert 0.25 < blank < 0.35
    assert set(campaign.roles["sensitive"]) == set(proxy_run.roles.sensitive)
    assert "hidden_score" not in table and not any(c.startswith("true__") for c in table)


def test_raking_meets_the_margins() -> None:
    groups = pd.DataFrame({"sex": ["f", "f", "f", "m", None, "m"],
                           "area": ["u", "u", "r", "u", "r", "r"]})
    margins = pd.DataFrame({"attribute": ["sex", "sex", "area", "area"],
                            "group": ["f", "m", "u", "r"], "share": [0.5, 0.5, 0.3, 0.7]})
    w = rake(groups, margins)
    assert w.mean() == pytest.approx(1.0)
    stated = groups["sex"].notna().to_numpy()
    female = (groups["sex"] == "f").to_numpy()
    assert w[female].sum() / w[stated].sum() == pytest.approx(0.5, abs=1e-5)
    urban = (groups["area"] == "u").to_numpy()
    assert w[urban].sum() / w.sum() == pytest.approx(0.3, abs=1e-5)
    with pytest.raises(BadInputError, match="no donor"):
        rake(groups, pd.DataFrame({"attribute": ["sex"] * 3, "group": ["f", "m", "x"],
                                   "share": [0.4, 0.4, 0.2]}))


def test_minority_interval_covers_the_white_box_figure(proxy_big: Run, mild_audit: tuple
                                                       ) -> None:
    campaign, donated, audit = mild_audit
    assert 2_700 <= len(campaign.table) <= 3_300
    tier = proxy_big.roles.tiers[0]
    score = proxy_big.explanation.prediction
    ethnicity = proxy_big.people["ethnicity"].to_numpy()
    reference = _share_reaching(score, ethnicity == "majority", tier.min_score)
    recorded = donated.people["score"].to_numpy()
    stated = donated.people["ethnicity"].astype(object).to_numpy()
    donor_reference = _share_reaching(recorded, stated == "majority", tier.min_score)
    for group in ("minority_a", "minority_b"):
        whitebox = _share_reaching(score, ethnicity == group, tier.min_score) / reference
        row = next(r for r in audit["findings"]["impact_ratios"]
                   if r["attribute"] == "ethnicity" and r["group"] == group
                   and r["tier"] == tier.name)
        donated_ratio = _share_reaching(recorded, stated == group, tier.min_score) / (
            donor_reference)
        assert row["ratio"] == pytest.approx(donated_ratio)
        assert row["n"] == int((stated == group).sum())
        assert row["low"] <= whitebox <= row["high"], (group, whitebox, row)
        assert row["weighted_low"] <= whitebox <= row["weighted_high"], (group, whitebox, row)
        assert row["finding"] == "clear"


def test_shap_ranking_recovers_the_planted_proxies(proxy_big: Run, mild_audit: tuple) -> None:
    _campaign, donated, audit = mild_audit
    mass = donated.explanation.values.abs().mean()
    read = {c[len("true__"):] for c in proxy_big.people.columns if c.startswith("true__")}
    unread = [f for f in donated.roles.inputs if f not in read]
    for proxy in PLANTED_PROXIES:
        assert mass[proxy] > mass[unread].max(), proxy
    rules = pd.DataFrame(audit["truth"]["rules"]).set_index("feature")
    assert rules.loc[list(PLANTED_PROXIES), "recovered"].all()
    drivers = {d["feature"]: d for d in audit["findings"]["drivers"]}
    for proxy in PLANTED_PROXIES:
        assert drivers[proxy]["mean_abs"] == pytest.approx(float(mass[proxy]), rel=1e-6)
        assert drivers[proxy]["low"] <= drivers[proxy]["mean_abs"] <= drivers[proxy]["high"]


def test_verdicts_follow_both_audits(mild_audit: tuple) -> None:
    _campaign, _donated, audit = mild_audit
    findings = pd.DataFrame(audit["truth"]["findings"])
    counts = audit["truth"]["counts"]
    assert sum(v for key, v in counts.items() if key != "weighted") == len(findings)
    confirmed = findings[findings["verdict"] == "confirmed"]
    assert (confirmed["finding"] == "clear").all()
    assert (confirmed["whitebox_finding"] == "clear").all()
    invented = findings[findings["verdict"] == "invented"]
    assert (invented["whitebox_finding"] != "clear").all()
    assert counts["confirmed"] >= 2
    report = report_markdown(audit)
    assert "Against the truth" in report
    assert len(report.splitlines()) < 60 < len(_donated.people)  # figures, not rows
    assert "person_id" not in report


def test_power_grows_with_donations(proxy_big: Run) -> None:
    finding = parse_finding(proxy_big, "impact_ratio:ethnicity=minority_a@standard")
    rule = parse_finding(proxy_big, "rule:device")
    plan = power_curve(proxy_big, [finding, rule], sizes=(100, 400, 1_600, 6_400),
                       biases=("none", "like-the-campaign"), reps=30, seed=1)
    curve = pd.DataFrame(plan["curve"])
    for (name, _bias), part in curve.groupby(["finding", "bias"]):
        power = part.sort_values("donations")["power"].to_numpy()
        assert (np.diff(power) >= 0).all(), (name, power)
    ratio = curve[curve["finding"] == finding.name].sort_values("donations")
    assert ratio["power"].iloc[-1] == 1.0
    errors = ratio[ratio["bias"] == "none"]["error"].to_numpy()
    assert errors[-1] < errors[0]
    with pytest.raises(BadInputError, match="finding"):
        parse_finding(proxy_big, "ratio of something")
    with pytest.raises(BadInputError, match="no hidden rule"):
        parse_finding(proxy_big, "rule:education")


def test_margins_no_donor_meets_leave_the_audit_unweighted(proxy_run: Run) -> None:
    import tomli_w

    from sesame_audit.model.donations.donor_audit import donation_findings
    from sesame_audit.model.donations.standin import standin_run
    from sesame_audit.model.importing.roles_file import parse_roles

    campaign = simulate_campaign(proxy_run, requests=600, response=0.5, bias="none", seed=5)
    donated, _standin = standin_run(campaign.table, parse_roles(tomli_w.dumps(campaign.roles)),
                                    name="d")
    margins = pd.DataFrame({"attribute": ["gender"] * 3, "group": ["female", "male", "other"],
                            "share": [0.45, 0.45, 0.1]})
    found = donation_findings(donated, margins=margins, refits=0, bootstrap=10)
    assert not found["weighted"] and "other" in found["not_weighted_because"]
    assert all("weighted_ratio" not in r for r in found["impact_ratios"])


def test_a_weighted_ratio_no_resample_can_move_has_no_interval() -> None:
    from sesame_audit.model.donations.donated import report_markdown

    row = {"attribute": "a", "group": "g", "tier": "t", "n": 40, "ratio": 0.0, "low": 0.0,
           "high": 0.5, "weighted_ratio": 0.0, "weighted_low": None, "weighted_high": None}
    audit = {"run": "r", "standin": {"candidates": []}, "clear": [row],
             "findings": {"donations": 100, "k": 11, "weighted": True, "drivers": []}}
    assert "weighted 0.00 (no interval" in report_markdown(audit)
