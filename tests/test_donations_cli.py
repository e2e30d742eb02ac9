"""The donation commands: donate, import --donations and plan, and their one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sesame_audit.model.cli import main
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.store import load_run


def test_donate_then_import_donations(proxy_run: Run, tmp_path: Path, capsys) -> None:
    out = tmp_path / "donations.csv"
    assert main(["donate", str(proxy_run.path), "--requests", "2000", "--response", "0.5",
                 "--bias", "like-the-campaign", "--seed", "4", "--round", "10", "--out",
                 str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    table = pd.read_csv(out)
    assert summary["donations"] == len(table) and summary["requests"] == 2000
    assert (table["score"] % 10 == 0).all()
    margins = pd.read_csv(tmp_path / "donations.margins.csv")
    share = (proxy_run.people["ethnicity"] == "majority").mean()
    assert margins.set_index(["attribute", "group"]).loc[("ethnicity", "majority"),
                                                         "share"] == pytest.approx(share)
    run_dir = tmp_path / "runs" / "donated"
    run_dir.parent.mkdir()
    assert main(["import", "--donations", str(out), "--roles",
                 str(tmp_path / "donations.roles.toml"), "--margins",
                 str(tmp_path / "donations.margins.csv"), "--truth", str(proxy_run.path),
                 "--refits", "2", "--out", str(run_dir), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    run = load_run(run_dir)
    assert run.n == len(table)
    assert run.manifest["standin"]["model"] == found["standin"]["model"]
    chosen = [c for c in found["standin"]["candidates"] if c["chosen"]]
    assert chosen[0]["cv_mae"] == min(c["cv_mae"] for c in found["standin"]["candidates"])
    assert found["findings"]["weighted"] and found["truth"]["run"] == proxy_run.path.name
    assert found["findings"]["refits"] == 2


def test_plan_json(proxy_run: Run, capsys) -> None:
    assert main(["plan", str(proxy_run.path), "--finding",
                 "impact_ratio:ethnicity=minority_a@standard", "--sizes", "200", "1000",
                 "--biases", "mild", "--reps", "5", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["sizes"] == [200, 1000] and len(plan["curve"]) == 2
    assert set(plan["needed"]) == {"impact_ratio:ethnicity=minority_a@standard"}


@pytest.mark.parametrize(("argv", "message"), [
    (["donate", "RUN", "--requests", "10", "--response", "0", "--out", "x.csv"],
     "--response must be a share"),
    (["donate", "RUN", "--requests", "99999", "--out", "x.csv"], "requests must be between"),
    (["donate", "RUN", "--requests", "10", "--bias", "tall=2", "--out", "x.csv"],
     "unknown trait"),
    (["donate", "RUN", "--requests", "10", "--out", "x.txt"], "must name a .csv"),
    (["plan", "RUN", "--finding", "impact_ratio:ethnicity=nobody@standard"], "no impact ratio"),
    (["import", "--roles", "r.toml", "--out", "o"], "--data and --model, or --donations"),
    (["import", "--donations", "d.csv", "--data", "t.csv", "--roles", "r.toml", "--out", "o"],
     "not both"),
])
def test_bad_donation_arguments_give_one_line(proxy_run: Run, tmp_path: Path, monkeypatch,
                                              argv, message, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [str(proxy_run.path) if a == "RUN" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err, err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("unit", ["log_odds", "probability", "EUR", "", "points"])
def test_the_roles_of_donations_read_back_in_any_unit(proxy_run: Run, unit: str) -> None:
    from dataclasses import replace

    import tomli_w

    from sesame_audit.model.donations.campaign import donation_roles
    from sesame_audit.model.importing.roles_file import parse_roles

    run = Run(proxy_run.path, proxy_run.manifest, replace(proxy_run.roles, unit=unit),
              people=proxy_run.people, explanation=proxy_run.explanation)
    spec = parse_roles(tomli_w.dumps(donation_roles(run, ["ethnicity"])))
    assert spec.target == "score" and spec.sensitive == ("ethnicity",)
    assert spec.unit == {"log_odds": "log odds", "": "score units"}.get(unit, unit)


def test_donations_from_a_run_without_hidden_rules(own_run_path: Path) -> None:
    from sesame_audit.model.donations.campaign import simulate_campaign
    from sesame_audit.model.donations.donated import audit_campaign

    run = load_run(own_run_path)
    campaign = simulate_campaign(run, requests=1_500, response=0.5, bias="none", seed=0)
    donated, audit = audit_campaign(run, campaign, refits=0, bootstrap=0)
    assert audit["truth"] is None and not audit["findings"]["weighted"]
    assert donated.n == len(campaign.table)


def test_donate_never_overwrites(proxy_run: Run, tmp_path: Path, capsys) -> None:
    mine = tmp_path / "d.roles.toml"
    mine.write_text("mine")
    assert main(["donate", str(proxy_run.path), "--requests", "100", "--out",
                 str(tmp_path / "d.csv")]) == 2
    assert "d.roles.toml already exists" in capsys.readouterr().err
    assert mine.read_text() == "mine" and not (tmp_path / "d.csv").exists()
