"""Command-line access to the dashboard's numbers: drivers and subject-access summaries."""

from __future__ import annotations

import json

import pytest

from sesame_audit.model.cli import main
from sesame_audit.model.figures.drivers import influence_by_privacy
from sesame_audit.model.person.explained import explain_person


def test_drivers_json_matches_the_api(social_path, social_run, capsys) -> None:
    assert main(["drivers", str(social_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["features"]) == len(social_run.roles.inputs)
    expected = influence_by_privacy(social_run.explanation.values, social_run.roles)
    assert [r["privacy"] for r in data["privacy"]] == expected["privacy"].tolist()
    assert [r["mean_abs_points"] for r in data["privacy"]] == pytest.approx(
        expected["mean_abs_points"].tolist())
    top = data["features"][0]
    assert top["mean_abs_points"] == pytest.approx(
        social_run.explanation.values[top["feature"]].abs().mean(), rel=1e-6)


def test_drivers_text(social_path, capsys) -> None:
    assert main(["drivers", str(social_path)]) == 0
    out = capsys.readouterr().out
    assert "by privacy category" in out and "social graph" in out


def test_subject_access(social_path, social_run, capsys) -> None:
    assert main(["subject-access", str(social_path), "--person", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Score explanation for person 3")
    assert main(["subject-access", str(social_path), "--person", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reasons"] == [r.text for r in explain_person(social_run, 3).reasons]
    assert main(["subject-access", str(social_path), "--person", "999999"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no person with id") and len(err.splitlines()) == 1
