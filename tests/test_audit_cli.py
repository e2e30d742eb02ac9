"""Audit findings and the `sesame-audit audit` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sesame_audit.model.audit.findings import audit_findings, findings_text
from sesame_audit.model.cli import main
from sesame_audit.model.core.roles import Roles


def test_findings_are_json_and_consistent(proxy_run) -> None:
    findings = audit_findings(proxy_run, k=11)
    text = json.dumps(findings, allow_nan=False)
    assert json.loads(text)["people"] == len(proxy_run.people)
    flagged = {(f["attribute"], f["group"], f["tier"]) for f in findings["flags"]}
    uncertain = {(f["attribute"], f["group"], f["tier"]) for f in findings["uncertain"]}
    score = proxy_run.explanation.prediction
    for attribute, groups in findings["impact_ratios"].items():
        if " & " in attribute:  # intersections: tests/test_suppression_rules.py
            continue
        labels = proxy_run.people[attribute].astype(str).to_numpy()
        for group, tiers in groups.items():
            mask = labels == group
            for tier, cell in tiers.items():
                ratio, high = cell["ratio"], cell["high"]
                assert ((attribute, group, tier) in flagged) == (ratio is not None and high < 0.8)
                assert ((attribute, group, tier) in uncertain) == (
                    ratio is not None and ratio < 0.8 <= high)
                if cell["n"] is None:
                    continue
                reached = int(np.sum(score[mask] >= findings["tiers"][tier]))
                assert (cell["n"], cell["reached"]) == (int(mask.sum()), reached)
                reference = findings["references"][attribute][tier]
                ref = labels == reference
                assert ref.sum() >= findings["reference_min"] == 30
                expected = (reached / mask.sum()) / np.mean(score[ref] >= findings["tiers"][tier])
                assert ratio == pytest.approx(expected)
                assert cell["low"] <= ratio <= cell["high"]
    ratios = [f["impact_ratio"] for f in findings["flags"]]
    assert ratios == sorted(ratios)
    strengths = [p["strength"] for p in findings["proxies"]]
    assert strengths == sorted(strengths, reverse=True)
    assert len(findings["proxies"]) == len(proxy_run.roles.inputs) * len(proxy_run.roles.sensitive)
    assert findings["direct_use"] == []  # the proxy preset reads no sensitive attribute
    drivers = proxy_run.explanation.values.abs().mean()
    assert findings["drivers"]["district"] == pytest.approx(float(drivers["district"]))
    assert list(findings["drivers"]) == drivers.sort_values(ascending=False).index.tolist()
    points = proxy_run.explanation.values["friends_mean_score"].to_numpy()
    minority = (proxy_run.people["ethnicity"] == "minority_a").to_numpy()
    cell = findings["friends"]["ethnicity"]["minority_a"]
    assert cell["points"] == pytest.approx(float(np.mean(points[minority])), abs=1e-4)
    half = 1.959963984540054 * points[minority].std(ddof=1) / np.sqrt(minority.sum())
    assert (cell["low"], cell["high"]) == pytest.approx(
        (cell["points"] - half, cell["points"] + half), abs=1e-4)
    assert cell["n"] == int(minority.sum())
    assert findings["accuracy"]["r2"] == proxy_run.manifest["metrics"]["r2"]


def test_large_k_hides_groups_and_counts_them(proxy_run) -> None:
    counts = proxy_run.people["ethnicity"].value_counts()
    k = int(counts.sort_values().iloc[1]) + 1  # hides the two smaller ethnic groups
    findings = audit_findings(proxy_run, k=k)
    hidden = [g for g, tiers in findings["impact_ratios"]["ethnicity"].items()
              if all(set(c.values()) == {None} for c in tiers.values())]
    assert sorted(hidden) == sorted(counts.index[counts < k])
    assert set(findings["friends"]["ethnicity"][hidden[0]].values()) == {None}
    assert findings["suppressed_cells"] >= 2
    assert not any(f["attribute"] == "ethnicity" for f in findings["flags"])


def test_audit_command_text_and_json(proxy_run, capsys) -> None:
    path = str(proxy_run.path)
    assert main(["audit", path, "--json", "--k", "11"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"impact_ratios", "flags", "proxies", "suppressed_cells", "friends",
                         "accuracy", "drivers"}
    assert main(["audit", path]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Audit of {proxy_run.path.name}")
    assert "Four-fifths rule:" in out and "District of residence" in out
    assert "Friends' mean score" in out and "friends_mean_score" not in out


def test_text_says_when_friends_are_not_available() -> None:
    findings = {"run": "mine", "people": 30, "k": 11, "suppressed_cells": 0,
                "accuracy": {"r2": 0.5, "measured_on": "the imported table"},
                "flags": [], "proxies": [], "friends": None, "drivers": {"x": 2.0}}
    roles = Roles(id="id", inputs=("x",), sensitive=(), target="y", score_min=350,
                  score_max=950, tiers=())
    text = findings_text(findings, {"x": "Income"}, roles=roles)
    assert "Points from friends: not available for this run" in text
    assert "+2.0  Income" not in text and "2.0  Income" in text
    assert "in-sample R²" in text and "held-out" not in text


@pytest.mark.parametrize(("argv", "message"), [
    (["audit", "/nonexistent/run"], "no run folder"),
    (["audit", "RUN", "--k", "0"], "--k must be between"),
    (["audit", "RUN", "--k", "many"], "--k must be an integer"),
])
def test_audit_errors_are_one_line(argv, message, proxy_run, capsys) -> None:
    argv = [str(proxy_run.path) if a == "RUN" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and len(err.splitlines()) == 1
