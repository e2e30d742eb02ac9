"""A score whose high end is bad for the person: a predicted number of days late.

A table is made with a planted penalty: people of group B live mostly in the east zone,
which the model reads and which adds 15 days, and their recorded lateness has 5 more days
on top. The roles file says ``favourable = "low"``: a person reaches a tier at or below its
threshold. Every figure is checked against numpy by hand, and the same table negated, with
``favourable = "high"``, must give the same shares and ratios.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from streamlit.testing.v1 import AppTest

from sesame_audit.app.charts import tier_chart, waterfall_chart
from sesame_audit.model.audit.classifier_views import recorded_outcomes, roc
from sesame_audit.model.audit.fairness import impact_ratios, tier_table
from sesame_audit.model.audit.findings import audit_findings, findings_text
from sesame_audit.model.audit.headline import penalty_of, penalty_sentence
from sesame_audit.model.audit.recourse_burden import recourse_burden, recourse_sample
from sesame_audit.model.cli import main
from sesame_audit.model.core import units
from sesame_audit.model.core.bad_input import RolesError
from sesame_audit.model.core.roles import Roles, TierSpec, next_tier, reaches, tier_of
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.figures.population import below_tiers, tier_reach_table
from sesame_audit.model.importing.checks import prepare
from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.importing.roles_file import parse_roles
from sesame_audit.model.person.explained import explain_person
from sesame_audit.model.person.recourse import find_recourse
from sesame_audit.model.person.waterfall import waterfall_data
from sesame_audit.model.report.document import build_report
from sesame_audit.model.runs.model_files import model_bytes
from sesame_audit.model.runs.store import load_run

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
PAGES = ["overview", "person", "drivers", "fairness", "proxies", "friends", "outcomes",
         "recourse", "hidden_rules", "policy_editor", "lessons", "own", "donations", "about"]
INPUTS = ["income", "debts", "zone", "tenure"]
THRESHOLDS = {"standard": 40.0, "prime": 25.0}  # least favourable first: descending
LOW_ROLES = """
id = "person"
target = "days_late"
sensitive = ["group"]
unit = "days"
favourable = "low"
[[tiers]]
name = "standard"
min_score = 40.0
perk = "standard terms"
[[tiers]]
name = "prime"
min_score = 25.0
perk = "prime rate"
[actionable]
debts = "fall"
income = "rise"
"""
HIGH_ROLES = """
id = "person"
target = "days_late"
sensitive = ["group"]
unit = "days"
[[tiers]]
name = "standard"
min_score = -40.0
[[tiers]]
name = "prime"
min_score = -25.0
"""


def _table(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["A", "B"], n, p=[0.6, 0.4])
    east = rng.random(n) < np.where(group == "B", 0.75, 0.15)
    frame = pd.DataFrame({"person": np.arange(5000, 5000 + n),
                          "income": rng.gamma(4.0, 1500.0, n).round(2),
                          "debts": rng.uniform(0, 5000, n).round(2),
                          "zone": np.where(east, "east", rng.choice(["north", "south"], n)),
                          "tenure": rng.integers(0, 30, n),
                          "group": group})
    frame["days_late"] = (30 + frame.debts / 200 - frame.income / 500 - frame.tenure / 3
                          + np.where(east, 15.0, 0.0) + np.where(group == "B", 5.0, 0.0)
                          + rng.normal(0, 4, n)).round(2)
    return frame


def _model(frame: pd.DataFrame) -> Pipeline:
    encode = ColumnTransformer([
        ("zone", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["zone"]),
        ("numbers", StandardScaler(), ["income", "debts", "tenure"])])
    return Pipeline([("encode", encode), ("ridge", Ridge(alpha=1.0))]).fit(
        frame[INPUTS], frame["days_late"])


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two imported runs: days late (low is favourable) and the same negated (high is)."""
    folder = tmp_path_factory.mktemp("favourable")
    frame = _table()
    negated = frame.assign(days_late=-frame["days_late"])
    late, early = _model(frame), _model(negated)
    for name, table, model, roles in (("late", frame, late, LOW_ROLES),
                                      ("early", negated, early, HIGH_ROLES)):
        (folder / f"{name}.csv").write_bytes(table.to_csv(index=False).encode())
        (folder / f"{name}.skops").write_bytes(model_bytes(model))
        (folder / f"{name}.toml").write_text(roles)
        import_files(folder / f"{name}.csv", folder / f"{name}.skops", folder / f"{name}.toml",
                     folder / "runs" / name)
    return {"runs": folder / "runs", "frame": frame, "model": late,
            "score": late.predict(frame[INPUTS]), "late": load_run(folder / "runs" / "late"),
            "early": load_run(folder / "runs" / "early")}


def _hand_shares(made: dict) -> dict[tuple[str, str], float]:
    group, score = made["frame"]["group"].to_numpy(), made["score"]
    return {(g, tier): float(np.mean(score[group == g] <= t))
            for g in ("A", "B") for tier, t in THRESHOLDS.items()}


def test_reaching_a_tier_is_at_or_below_when_low_is_favourable() -> None:
    tiers = (TierSpec("standard", 40.0), TierSpec("prime", 25.0))
    scores = np.array([10.0, 25.0, 25.01, 39.99, 40.0, 40.5, 90.0])
    assert reaches(scores, 40.0, "low").tolist() == [True] * 5 + [False] * 2
    assert reaches(scores, 40.0, "high").tolist() == [False] * 4 + [True] * 3
    assert tier_of(scores, tiers, "low").tolist() == [
        "prime", "prime", "standard", "standard", "standard", "below_tiers", "below_tiers"]
    assert next_tier(50.0, tiers, "low").name == "standard"
    assert next_tier(30.0, tiers, "low").name == "prime"
    assert next_tier(25.0, tiers, "low") is None
    roles = Roles(id="i", inputs=("x",), sensitive=("g",), target="y", score_min=0.0,
                  score_max=100.0, tiers=tiers, favourable="low")
    assert roles.reaches(scores, 25.0).tolist() == [True, True] + [False] * 5
    assert np.array_equal(roles.oriented(scores), -scores)
    with pytest.raises(ValueError, match="'high' or 'low'"):
        reaches(scores, 1.0, "up")


def test_old_manifests_read_as_high() -> None:
    raw = Roles(id="i", inputs=("x",), sensitive=("g",), target="y", score_min=0.0,
                score_max=1.0, tiers=(TierSpec("t", 0.5),)).to_dict()
    assert raw.pop("favourable") == "high"
    assert Roles.from_dict(raw).favourable == "high"
    assert Roles.from_dict(raw | {"favourable": "low"}).favourable == "low"


def test_roles_file_states_the_favourable_end() -> None:
    spec = parse_roles('sensitive = ["s"]\nfavourable = "low"\nthresholds = [0.6, 0.3]\n')
    assert spec.favourable == "low"
    assert [t.min_score for t in spec.tiers] == [0.6, 0.3]
    assert parse_roles('sensitive = ["s"]\nthresholds = [1.0]\n').favourable == "high"
    with pytest.raises(RolesError, match=r"strictly descending.*at or below"):
        parse_roles('sensitive = ["s"]\nfavourable = "low"\nthresholds = [0.3, 0.6]\n')
    with pytest.raises(RolesError, match="strictly ascending"):
        parse_roles('sensitive = ["s"]\nthresholds = [0.6, 0.3]\n')
    with pytest.raises(RolesError, match=r"favourable must be 'high' or 'low'.*'bad'"):
        parse_roles('sensitive = ["s"]\nfavourable = "bad"\nthresholds = [1.0]\n')
    with pytest.raises(RolesError, match="favourable must be 'high' or 'low'"):
        parse_roles('sensitive = ["s"]\nfavourable = 1\nthresholds = [1.0]\n')


def test_the_run_keeps_the_direction_and_scores_as_the_model(made) -> None:
    run = made["late"]
    assert run.roles.favourable == "low"
    assert [t.min_score for t in run.roles.tiers] == list(THRESHOLDS.values())
    assert np.allclose(run.explanation.prediction, made["score"])
    assert made["early"].roles.favourable == "high"


def test_tier_reach_per_group_is_the_share_at_or_below(made) -> None:
    run, hand = made["late"], _hand_shares(made)
    table = tier_table(run, "group").set_index("group")
    for (group, tier), share in hand.items():
        assert table.loc[group, f"share_{tier}"] == pytest.approx(share, abs=1e-12)
    everyone = tier_reach_table(run.explanation.prediction, run.roles).set_index("tier")
    for tier, t in THRESHOLDS.items():
        assert everyone.loc[tier, "people"] == int(np.sum(made["score"] <= t))
    assert below_tiers(run.explanation.prediction, run.roles)["people"] == int(
        np.sum(made["score"] > THRESHOLDS["standard"]))
    assert hand[("A", "prime")] > 2 * hand[("B", "prime")]  # the planted penalty shows


def test_impact_ratio_and_headline_name_group_b(made) -> None:
    run, hand = made["late"], _hand_shares(made)
    ratios = impact_ratios(run, "group").set_index(["group", "tier"])
    for tier in THRESHOLDS:
        assert ratios.loc[("B", tier), "reference"] == "A"
        assert ratios.loc[("B", tier), "impact_ratio"] == pytest.approx(
            hand[("B", tier)] / hand[("A", tier)])
        assert bool(ratios.loc[("B", tier), "flagged"])
        assert not bool(ratios.loc[("A", tier), "flagged"])
    penalty = penalty_of(run)
    assert penalty is not None and (penalty.group, penalty.reference) == ("B", "A")
    sentence = penalty_sentence(penalty, run.roles, run.roles.labels)
    assert "or less" in sentence and "or more" not in sentence
    assert sentence.startswith("A B person")


def test_principal_reasons_are_the_largest_positive_contributions(made) -> None:
    run = made["late"]
    values = run.explanation.values
    assert np.allclose(run.explanation.base + values.sum(axis=1).to_numpy(), made["score"])
    group = made["frame"]["group"].to_numpy()
    row = int(np.flatnonzero(group == "B")[np.argmax(made["score"][group == "B"])])
    person = explain_person(run, int(made["frame"]["person"].iloc[row]))
    pushes = values.iloc[row]
    smallest = units.smallest_reason(run.roles)
    expected = [f for f in pushes.sort_values(ascending=False).index if pushes[f] > smallest][:4]
    assert expected and [r.feature for r in person.reasons] == expected
    assert all(r.points > 0 and "raised the score by" in r.text for r in person.reasons)
    assert person.tier == "below_tiers" and person.next_tier.name == "standard"
    assert person.points_to_next == pytest.approx(made["score"][row] - 40.0)


def test_recourse_lowers_the_score_to_the_threshold(made) -> None:
    run, frame, model = made["late"], made["frame"], made["model"]
    score = made["score"]
    between = np.flatnonzero((score > 40.0) & (score < 48.0))
    assert len(between) >= 3
    checked = 0
    for row in between[:6]:
        found = find_recourse(run, int(frame["person"].iloc[row]))
        assert found.target is not None and found.target.name == "standard"
        if not found.reachable:
            continue
        changed = frame.loc[[row], INPUTS].copy()
        for change in found.changes:
            assert change.feature in ("debts", "income")
            changed[change.feature] = float(change.after)
            moved = float(change.after) - float(change.before)
            assert moved < 0 if change.feature == "debts" else moved > 0
        rescored = float(model.predict(changed)[0])
        assert rescored <= 40.0 + 1e-9 and rescored == pytest.approx(found.new_score)
        assert found.text.startswith("To reach the standard tier (a score of 40 days or "
                                     "less): ")
        checked += 1
    assert checked >= 3
    done = int(np.flatnonzero(score <= 25.0)[0])
    assert find_recourse(run, int(frame["person"].iloc[done])).target is None


def test_audit_json_agrees(made, capsys) -> None:
    hand = _hand_shares(made)
    assert main(["audit", str(made["runs"] / "late"), "--json", "--k", "11"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["favourable"] == "low" and data["tiers"] == THRESHOLDS
    group = made["frame"]["group"].to_numpy()
    for tier, t in THRESHOLDS.items():
        cell = data["impact_ratios"]["group"]["B"][tier]
        assert cell["reached"] == int(np.sum(made["score"][group == "B"] <= t))
        assert cell["ratio"] == pytest.approx(hand[("B", tier)] / hand[("A", tier)])
    assert {(f["group"], f["tier"]) for f in data["flags"]} == {("B", "standard"),
                                                                ("B", "prime")}
    assert data["headline"]["group"] == "B"


def test_negated_table_with_high_favourable_gives_the_same_figures(made) -> None:
    late, early = made["late"], made["early"]
    assert np.allclose(early.explanation.prediction, -late.explanation.prediction)
    columns = ["group", "count", *(f"share_{t}" for t in THRESHOLDS),
               *(f"impact_ratio_{t}" for t in THRESHOLDS)]
    a, b = tier_table(late, "group")[columns], tier_table(early, "group")[columns]
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-12)
    keep = ["group", "tier", "reached", "impact_ratio", "reference", "finding"]
    pd.testing.assert_frame_equal(impact_ratios(late, "group")[keep],
                                  impact_ratios(early, "group")[keep])
    first, second = audit_findings(late), audit_findings(early)
    assert first["flags"] == second["flags"]
    assert first["headline"]["group"] == second["headline"]["group"] == "B"


@pytest.mark.parametrize(("name", "headline"), [
    ("late", "A B person (group) reaches the prime tier (a score of 25 days or less)"),
    ("risk", "A B person (group) reaches a probability of 0.3 or less")])
def test_every_page_renders_and_the_overview_names_group_b(made, risky, name, headline,
                                                           monkeypatch) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(made["runs"]))
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.session_state["run_name"] = name
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    words = "\n".join(str(e.value) for e in at.markdown)
    assert escape_markdown(headline) in words, words
    for page in PAGES[1:]:
        at.switch_page(f"views/{page}.py")
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.session_state["run_name"] == name, page
        if page == "fairness":
            assert escape_markdown("A B person (group)") in "\n".join(
                str(e.value) for e in at.markdown)
            assert any("with a score at or below its threshold" in c.value for c in at.caption)
        if page == "outcomes" and name == "late":  # selected: 40 days or fewer, not "reaches"
            assert "selects a person with a score at or below 40" in at.text[0].value


def test_the_report_prints_tiers_at_or_below(made) -> None:
    run = made["late"]
    html = build_report(run, audit_findings(run), "html").decode()
    assert "standard ≤ 40, prime ≤ 25" in html
    assert "≥" not in html.split("sensitive attributes")[0]


@pytest.fixture(scope="module")
def risky(made: dict) -> dict:
    """A classifier of being late (the positive class, the bad outcome), imported as low."""
    folder = made["runs"].parent
    frame = made["frame"].copy()
    frame["late"] = np.where(frame["days_late"] > 35.0, "yes", "no")
    model = Pipeline([("encode", _model(frame).named_steps["encode"]),
                      ("logit", LogisticRegression(max_iter=500))]).fit(
        frame[INPUTS], frame["late"])
    (folder / "risk.csv").write_bytes(frame.drop(columns="days_late").to_csv(index=False)
                                      .encode())
    (folder / "risk.skops").write_bytes(model_bytes(model))
    (folder / "risk.toml").write_text('id = "person"\ntarget = "late"\nsensitive = ["group"]\n'
                                      'positive_class = "yes"\nfavourable = "low"\n'
                                      'thresholds = [0.6, 0.3]\n')
    path = import_files(folder / "risk.csv", folder / "risk.skops", folder / "risk.toml",
                        made["runs"] / "risk")
    return {"frame": frame, "model": model, "run": load_run(path)}


def test_a_classifier_whose_positive_class_is_the_bad_outcome(risky) -> None:
    frame, model, run = risky["frame"], risky["model"], risky["run"]
    risk = model.predict_proba(frame[INPUTS])[:, list(model.classes_).index("yes")]
    assert np.allclose(run.explanation.prediction, np.log(risk / (1 - risk)))  # log-odds
    table = tier_table(run, "group").set_index("group")
    group = frame["group"].to_numpy()
    for tier, t in zip(run.roles.tier_names, (0.6, 0.3), strict=True):
        for g in ("A", "B"):
            assert table.loc[g, f"share_{tier}"] == pytest.approx(np.mean(risk[group == g] <= t))
    assert penalty_of(run).group == "B"
    found = recorded_outcomes(run)
    assert np.array_equal(found.positive, frame["late"].to_numpy() == "no")
    assert np.array_equal(found.decision(), risk <= 0.6)
    assert run.roles.unit == "log_odds" and run.roles.tiers[0].min_score == np.log(0.6 / 0.4)
    _, auc = roc(found)
    assert auc["auc"] == pytest.approx(roc_auc_score(frame["late"] == "no", -risk))
    assert auc["auc"] > 0.8
    spec = parse_roles('id = "person"\nsensitive = ["group"]\npositive_class = "yes"\n'
                       'favourable = "low"\noutput = "log_odds"\n')
    default = prepare(frame.drop(columns="days_late"), model, spec).roles.tiers
    assert [(t.name, t.min_score, t.perk) for t in default] == [
        ("negative", 0.0, "probability at most 0.5")]  # log-odds of 0.5


def test_tier_labels_say_at_or_below(made) -> None:
    run = made["late"]
    assert [units.reach_label(t.min_score, run.roles) for t in run.roles.tiers] == [
        "≤ 40", "≤ 25"]
    assert units.reach_label(-40.0, made["early"].roles) == "-40+"
    spec = tier_chart(tier_reach_table(run.explanation.prediction, run.roles),
                      roles=run.roles).to_dict()
    names = [row["name"] for rows in spec["datasets"].values() for row in rows]
    assert names == ["standard (≤ 40)", "prime (≤ 25)"]


def test_the_waterfall_colours_a_raised_risk_as_adverse(made) -> None:
    run = made["late"]
    person = explain_person(run, int(made["frame"]["person"].iloc[0]))
    steps = waterfall_data(person, run.roles)
    legend = {}
    for roles in (run.roles, made["early"].roles):
        spec = waterfall_chart(steps, roles=roles).to_dict()
        scale = next(layer["encoding"]["color"]["scale"] for layer in spec["layer"]
                     if "color" in layer.get("encoding", {}))
        legend[roles.favourable] = dict(zip(scale["domain"], scale["range"], strict=True))
    assert legend["low"]["raises the score"] == legend["high"]["lowers the score"]
    assert legend["low"]["lowers the score"] == legend["high"]["raises the score"]
    assert legend["low"]["raises the score"] != legend["low"]["lowers the score"]


def test_the_burden_of_recourse_samples_people_above_the_threshold(made) -> None:
    run, frame = made["late"], made["frame"]
    found = recourse_sample(run, sample=80, seed=1)
    assert set(found["tier"]) == set(THRESHOLDS)
    for tier, t in THRESHOLDS.items():
        rows = found[found["tier"] == tier]
        scores = made["score"][rows["row"].to_numpy()]
        assert np.allclose(rows["score"], scores) and (scores > t).all()
        reached = rows["reachable"].to_numpy(bool)
        assert (rows["new_score"].to_numpy()[reached] <= t + 1e-9).all()
        assert (rows["new_score"].to_numpy()[~reached] > t).all()
    burden = recourse_burden(run, "group", found=found, k=1)
    assert list(burden["tier"].drop_duplicates()) == ["standard", "prime"]
    groups = frame["group"].to_numpy()[found["row"].to_numpy()]
    for row in burden.itertuples():
        mine = found[(found["tier"] == row.tier) & (groups == row.group)]
        assert row.below == len(mine)
        assert row.share_with_recourse == pytest.approx(mine["reachable"].mean())


def test_the_audit_text_speaks_days(made) -> None:
    run, frame = made["late"], made["frame"]
    text = findings_text(audit_findings(run), run.roles.labels, roles=run.roles)
    model_line = next(line for line in text.splitlines() if "typical error" in line)
    found = re.search(r"typical error ([\d.,]+) days$", model_line)
    assert found, model_line
    mae = np.abs(made["score"] - frame["days_late"].to_numpy()).mean()  # by hand
    assert float(found.group(1)) == pytest.approx(mae, abs=0.051)
    assert "Largest drivers (mean |SHAP|, days):" in text
    assert "points)" not in text and "points" not in model_line


def test_explain_lists_what_raised_the_days_first(made, capsys) -> None:
    run = made["late"]
    person = int(made["frame"]["person"].iloc[0])
    assert main(["explain", str(run.path), "--person", str(person)]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Contributions"))
    end = lines.index("Principal reasons:")
    shown = [float(line.split()[0]) for line in lines[start + 1:end]]
    assert len(shown) >= 2
    assert shown == sorted(shown, reverse=True)  # the most days added (unfavourable) first
    values = explain_person(run, person).contributions
    assert shown[0] == pytest.approx(max(values.values()), abs=0.05)
