"""Policy editor: edits, the rebuild round trip into a new folder, run comparisons."""

from __future__ import annotations

import numpy as np
import pytest

from sesame_audit.datasets.policy import PolicyError, load_policy, parse_policy, policy_to_toml
from sesame_audit.model.cli import main
from sesame_audit.model.course.compare import (
    check_population_size,
    compare_drivers,
    compare_scores,
    compare_tiers,
    edit_policy,
    rebuild,
)
from sesame_audit.model.runs.store import load_run

OFF = "political_posts_flagged"


@pytest.fixture(scope="module")
def edited():
    return edit_policy(load_policy("social-credit"), weights={"payment_history": 200.0},
                       enabled={OFF: False}, friends_weight=0.1)


@pytest.fixture(scope="module")
def edited_path(edited, tmp_path_factory):
    return rebuild(edited, 2_000, 0, root=tmp_path_factory.mktemp("edited-runs"))


def test_edit_policy(edited) -> None:
    original = load_policy("social-credit")
    terms = {t.feature: t for t in edited.terms}
    assert terms["payment_history"].weight == 200.0 and not terms[OFF].enabled
    assert edited.friends.weight == 0.1 and edited.name == "social-credit-edited"
    assert OFF not in edited.features
    assert edit_policy(original) == original
    assert parse_policy(policy_to_toml(edited)) == edited


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"weights": {"payment_history": 1e6}}, "between -1000 and 1000"),
    ({"weights": {"payment_history": float("nan")}}, "between -1000 and 1000"),
    ({"weights": {"shoe_size": 3.0}}, "no term on feature 'shoe_size'"),
    ({"friends_weight": 0.95}, "no fixed point"),
])
def test_bad_edits_named(kwargs, message) -> None:
    with pytest.raises(PolicyError, match=message):
        edit_policy(load_policy("social-credit"), **kwargs)


def test_every_term_off_is_refused() -> None:
    policy = load_policy("marketed")
    with pytest.raises(PolicyError, match="every term is switched off"):
        edit_policy(policy, enabled={t.feature: False for t in policy.terms})


@pytest.mark.parametrize("n", [10, 10**6, 2.5, "many", True])
def test_size_checked(n) -> None:
    with pytest.raises(ValueError, match="number of people"):
        check_population_size(n)


def test_rebuild_round_trip(edited, edited_path, social_path, social_run) -> None:
    before = (social_path / "manifest.json").read_bytes()
    assert edited_path.name.startswith("social-credit-edited-")
    assert edited_path.name.endswith("-n2000-s0") and edited_path != social_path
    run = load_run(edited_path)
    assert parse_policy(run.policy_text) == edited
    assert len(run.people) == 2_000
    assert f"true__{OFF}" not in run.people or not run.people[f"true__{OFF}"].any()
    old_mass = np.abs(social_run.explanation.values[OFF]).mean()
    new_mass = np.abs(run.explanation.values[OFF]).mean()
    assert new_mass < 1.0 < old_mass
    stamp = (edited_path / "manifest.json").stat().st_mtime_ns
    steps = []
    assert rebuild(edited, 2_000, 0, root=edited_path.parent,
                   progress=lambda step, done: steps.append(step)) == edited_path
    assert (edited_path / "manifest.json").stat().st_mtime_ns == stamp
    assert steps == ["This edit was built before: reusing it"]
    assert (social_path / "manifest.json").read_bytes() == before


def test_downloaded_toml_builds_with_the_cli(edited, tmp_path, capsys) -> None:
    file = tmp_path / "edited.toml"
    file.write_text(policy_to_toml(edited), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["build", "--policy", str(file), "--n", "300", "--out", str(out)]) == 0
    capsys.readouterr()
    assert parse_policy(load_run(out).policy_text) == edited


def test_compare_scores_and_drivers(social_run, edited_path) -> None:
    runs = {"before": social_run, "after": load_run(edited_path)}
    scores = compare_scores(runs, width=25)
    for name, run in runs.items():
        part = scores[scores["run"] == name]
        assert part["count"].sum() == len(run.people)
        assert part["share"].sum() == pytest.approx(1.0)
        lo, hi = part["bin_start"].min(), part["bin_end"].max()
        assert lo <= run.explanation.prediction.min() and run.explanation.prediction.max() < hi
        inside = ((run.explanation.prediction >= 600) & (run.explanation.prediction < 625)).sum()
        assert part.loc[part["bin_start"] == 600, "count"].item() == inside
    drivers = compare_drivers(runs)
    after = drivers[drivers["run"] == "after"].set_index("feature")["mean_abs_shap_points"]
    assert after["payment_history"] == pytest.approx(
        np.abs(runs["after"].explanation.values["payment_history"].astype(float)).mean())
    assert after.index[0] == "payment_history"


def test_compare_tiers_by_hand(social_run, edited_path) -> None:
    runs = {"before": social_run, "after": load_run(edited_path)}
    table = compare_tiers(runs, "hukou")
    for name, run in runs.items():
        rural = run.people["hukou"].to_numpy() == "rural"
        share = np.mean(run.explanation.prediction[rural] >= 650)
        row = table[(table["run"] == name) & (table["group"] == "rural")
                    & (table["tier"] == "car_rental")]
        assert row["share"].item() == pytest.approx(share)
        assert row["count"].item() == rural.sum()
    hidden = compare_tiers(runs, "hukou", k=10**6)
    assert hidden["suppressed"].all() and hidden["share"].isna().all()
    with pytest.raises(ValueError, match="unknown attribute 'shoe'"):
        compare_tiers(runs, "shoe")
