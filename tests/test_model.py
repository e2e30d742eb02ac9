"""The score under audit: accuracy, SHAP additivity and fidelity, safe model files."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score

from sesame_audit.datasets import generate, load_policy
from sesame_audit.datasets.policy import PRESETS
from sesame_audit.model.build.fidelity_sums import fidelity_table
from sesame_audit.model.build.synthetic import synthetic_roles
from sesame_audit.model.build.train import (
    CAPACITIES,
    SELECTION_TOLERANCE,
    fit_score_model,
)
from sesame_audit.model.explain.explanation import additivity_error
from sesame_audit.model.explain.score_model import explain
from sesame_audit.model.runs.model_files import (
    UnsafeModelError,
    load_model_bytes,
    model_bytes,
    untrusted_types,
)

ROLES = synthetic_roles()


@pytest.fixture(scope="module", params=PRESETS)
def fitted(request):
    world = generate(load_policy(request.param), 20_000, seed=0)
    model, metrics = fit_score_model(world.people, ROLES, seed=0)
    return world, model, metrics


def test_held_out_accuracy_on_every_preset(fitted) -> None:
    world, model, metrics = fitted
    assert metrics["r2"] >= 0.95
    assert metrics["r2_hidden"] >= 0.98
    # recompute on people the model never saw: a fresh population from another seed
    fresh = generate(world.policy, 3_000, seed=99).people
    assert r2_score(fresh["score"], model.predict(fresh[list(ROLES.inputs)])) >= 0.95


def test_capacity_is_chosen_by_validation(fitted) -> None:
    _, model, metrics = fitted
    scores = {leaves: metrics[f"validation_r2_leaves_{leaves}"] for leaves in CAPACITIES}
    best = max(scores.values())
    smallest_good = min(leaf for leaf, r2 in scores.items() if r2 >= best - SELECTION_TOLERANCE)
    assert metrics["max_leaf_nodes"] == smallest_good
    assert model.named_steps["trees"].max_leaf_nodes == smallest_good


def test_shap_adds_up_to_the_models_own_prediction(fitted) -> None:
    world, model, _ = fitted
    X = world.people[list(ROLES.inputs)].iloc[:2_000]
    result = explain(model, X)
    assert list(result.values.columns) == list(ROLES.inputs)
    assert result.values.dtypes.eq(np.float32).all()
    own = model.predict(X)
    total = result.base + result.values.to_numpy(np.float64).sum(axis=1)
    assert np.max(np.abs(total - own)) < 1e-3
    assert additivity_error(result) < 1e-3


def test_shap_recovers_the_hidden_rules(fitted) -> None:
    world, model, _ = fitted
    sample = world.people.iloc[:5_000]
    table = fidelity_table(sample, explain(model, sample[list(ROLES.inputs)]).values)
    varied = table[table["true_sd_points"] > 5]
    assert len(varied) >= 5
    assert (varied["pearson"] >= 0.95).all(), varied.to_string()
    # a feature no rule reads gets no true contribution and little SHAP
    unused = set(ROLES.inputs) - set(world.policy.features)
    assert "education" in unused
    shap_sd = explain(model, sample[list(ROLES.inputs)]).values.std()
    assert shap_sd["education"] < 0.2 * varied["true_sd_points"].max()


def test_skops_round_trip_predicts_the_same(fitted) -> None:
    world, model, _ = fitted
    data = model_bytes(model)
    assert data == model_bytes(model)  # reproducible bytes
    loaded = load_model_bytes(data)
    X = world.people[list(ROLES.inputs)].iloc[:500]
    assert np.allclose(loaded.predict(X), model.predict(X))


def test_untrusted_and_pickled_models_are_refused(fitted) -> None:
    _, model, _ = fitted
    data = model_bytes(model)
    assert untrusted_types(data) == [
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
    with pytest.raises(UnsafeModelError, match="TreePredictor"):
        load_model_bytes(data, trusted=())
    buffer = io.BytesIO()
    pickle.dump({"not": "a model"}, buffer)
    with pytest.raises(UnsafeModelError, match="pickle and joblib files"):
        load_model_bytes(buffer.getvalue())
    with pytest.raises(UnsafeModelError, match="not a skops file"):
        load_model_bytes(b"plain text")


def test_population_shap_equals_shaps_own_treeexplainer(fitted) -> None:
    import shap

    world, model, _ = fitted
    X = world.people[list(ROLES.inputs)].iloc[:1_000]
    ours = explain(model, X)
    reference = shap.TreeExplainer(model[-1])
    encoded = model[:-1].transform(X)
    expected = pd.DataFrame(reference.shap_values(encoded.to_numpy(np.float64)),
                            columns=encoded.columns)[list(X.columns)]
    assert np.allclose(ours.values.to_numpy(np.float64), expected.to_numpy(), atol=1e-3)
    assert abs(ours.base - float(np.ravel(reference.expected_value)[0])) < 1e-6


def test_a_build_whose_shap_values_do_not_add_up_fails_and_keeps_the_old_run(
        tmp_path, monkeypatch) -> None:
    import json

    from sesame_audit.model.build import builder
    from sesame_audit.model.explain.explanation import ADDITIVITY_TOLERANCE, Explanation

    path = builder.build_run("proxy", 300, 5, tmp_path / "run")
    before = {p: p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["shap"]["max_additivity_error_points"] <= ADDITIVITY_TOLERANCE

    def off_by(gap: float):
        def explain_off(model, X):
            right = explain(model, X)
            shifted = right.prediction.copy()
            shifted[len(shifted) // 2] += gap  # one person's values miss the prediction
            return Explanation(base=right.base, values=right.values, prediction=shifted)
        return explain_off

    monkeypatch.setattr(builder, "explain", off_by(3 * ADDITIVITY_TOLERANCE))
    with pytest.raises(ValueError, match=r"miss the model's predictions by up to 0\.003 points"):
        builder.build_run("proxy", 300, 6, path, replace=True)
    after = {p: p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging folder left
    monkeypatch.setattr(builder, "explain", off_by(ADDITIVITY_TOLERANCE / 2))
    rebuilt = json.loads((builder.build_run("proxy", 300, 6, path, replace=True)
                          / "manifest.json").read_text())
    assert rebuilt["seed"] == 6
    assert rebuilt["shap"]["max_additivity_error_points"] == pytest.approx(
        ADDITIVITY_TOLERANCE / 2, abs=1e-4)  # as stored: float32 values
