"""The sesame-audit command line: happy paths and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sesame_audit.model.cli import main


def test_build_and_explain_json(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["build", "--policy", "marketed", "--n", "300", "--seed", "2", "--out",
                 str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 300 and summary["policy"] == "marketed"
    assert main(["explain", str(out), "--person", "7", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"person", "score", "base", "contributions", "reasons", "tier"} <= set(data)
    assert data["person"] == 7
    assert abs(data["base"] + sum(data["contributions"].values()) - data["score"]) < 1e-3
    assert len(data["reasons"]) <= 4


def test_explain_text(social_path, capsys) -> None:
    assert main(["explain", str(social_path), "--person", "0"]) == 0
    out = capsys.readouterr().out
    first, second = out.splitlines()[:2]
    assert first.startswith(f"Run {social_path.name} · ") and first.endswith("synthetic data")
    assert second.startswith("Person 0: score") and " points (tier " in second
    assert "Principal reasons" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["build", "--n", "10"], "--n must be between"),
    (["build", "--n", "many"], "--n must be an integer"),
    (["build", "--seed", "-3"], "--seed must be between"),
    (["build", "--policy", "nope", "--n", "100"], "no preset or policy file"),
    (["explain", "/nonexistent/run", "--person", "1"], "no run folder"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_give_one_line(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err
    assert len(err.splitlines()) == 1


def test_unknown_person_and_console_script(social_path) -> None:
    done = subprocess.run([sys.executable, "-m", "sesame_audit.model.cli", "explain",
                           str(social_path),
                           "--person", "123456"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: no person with id '123456' in this run (2,000 people)")
    assert "Traceback" not in done.stderr
