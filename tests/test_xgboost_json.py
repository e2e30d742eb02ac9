"""XGBoost JSON models read by the project's own parser, against XGBoost itself."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost  # a dev dependency: `make setup` installs it

from sesame_audit.model.explain.saved_trees import raw_score
from sesame_audit.model.explain.treeshap import trees_shap_values
from sesame_audit.model.explain.xgboost_json import (
    XGBoostJSONClassifier,
    XGBoostJSONRegressor,
    XGBoostModelError,
    estimator_from_json,
    parse_xgboost_json,
)

# XGBoost works in float32: its contributions and margins carry float32 rounding, about
# 1e-7 of the margin's size per addition. Ours are float64; they agree to 1e-6 of the size.
RELATIVE = 1e-6


def _data(n: int = 1500, p: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, :3] = np.round(X[:, :3], 1)  # ties on thresholds
    y = X[:, 0] * 2 + np.sin(X[:, 1] * 2) + X[:, 2] * X[:, 3] + rng.normal(size=n) * 0.3
    X[rng.random(n) < 0.1, 1] = np.nan  # column 1 has missing values when trained
    return X, y


def _probe(X: np.ndarray, booster, seed: int = 1) -> np.ndarray:
    """Rows to explain: training rows, NaN where training had none, values on thresholds."""
    rng = np.random.default_rng(seed)
    probe = X.copy()
    probe[rng.random(len(X)) < 0.1, 4] = np.nan
    # Put values exactly on split conditions, and on the float64 numbers either side of them
    # (which round onto the float32 threshold).
    model = json.loads(booster.save_raw("json").decode())
    tree = model["learner"]["gradient_booster"]["model"]["trees"][0]
    inner = [i for i, c in enumerate(tree["left_children"]) if c != -1]
    for k, i in enumerate(inner[:20]):
        t = float(np.float32(tree["split_conditions"][i]))
        rows = slice(3 * k, 3 * k + 3)
        probe[rows, tree["split_indices"][i]] = [np.nextafter(t, -1.0), t, np.nextafter(t, 2.0)]
    return probe


def _train(params: dict, X: np.ndarray, y: np.ndarray, rounds: int = 50):
    return xgboost.train({**params, "nthread": 1}, xgboost.DMatrix(X, y), rounds)


def _assert_like_xgboost(booster, probe: np.ndarray) -> None:
    model = estimator_from_json(booster.save_raw("json").decode())
    matrix = xgboost.DMatrix(probe)
    margin = booster.predict(matrix, output_margin=True)
    # Same paths and the same float32 additions: XGBoost's margin to the last bit.
    assert np.array_equal(model.decision_function(probe), margin)
    # Independently: each tree walked on its own, added up in float64 from the base score.
    per_tree = sum(raw_score([nodes], model.tree_input(probe)) for nodes in model.trees_)
    scale = max(1.0, float(np.abs(margin).max()))
    assert np.max(np.abs(model.baseline_ + per_tree - margin)) < RELATIVE * scale
    values, base = trees_shap_values(model.trees_, model.baseline_, model.tree_input(probe))
    contrib = booster.predict(matrix, pred_contribs=True)
    assert np.max(np.abs(values - contrib[:, :-1])) < RELATIVE * scale
    assert np.max(np.abs(base - contrib[:, -1])) < RELATIVE * scale
    assert np.max(np.abs(base + values.sum(axis=1) - margin)) < RELATIVE * scale


@pytest.mark.parametrize("params", [
    {"objective": "reg:squarederror", "max_depth": 6},
    {"objective": "reg:squarederror", "max_depth": 10, "min_child_weight": 0.1, "eta": 0.5},
    {"objective": "reg:absoluteerror", "max_depth": 4},
    {"objective": "reg:pseudohubererror", "max_depth": 5},
    {"objective": "reg:quantileerror", "quantile_alpha": 0.3, "max_depth": 4},
    {"objective": "reg:squarederror", "num_parallel_tree": 4, "subsample": 0.7,
     "colsample_bynode": 0.7, "max_depth": 5},
    {"objective": "reg:squarederror", "tree_method": "exact", "max_depth": 4},
])
def test_regression_equals_xgboost(params) -> None:
    X, y = _data()
    booster = _train(params, X, y)
    _assert_like_xgboost(booster, _probe(X, booster))
    model = estimator_from_json(booster.save_raw("json").decode())
    assert isinstance(model, XGBoostJSONRegressor)
    assert np.array_equal(model.predict(X), booster.predict(xgboost.DMatrix(X)))


@pytest.mark.parametrize("seed", range(6))
def test_random_models_on_integer_data_equal_xgboost(seed) -> None:
    # Small integer values: nearly every row sits on some split's threshold; NaN anywhere.
    rng = np.random.default_rng(100 + seed)
    n, p = 800, int(rng.integers(2, 7))
    X = rng.integers(-3, 4, size=(n, p)).astype(np.float64)
    X[rng.random((n, p)) < 0.15] = np.nan
    y = np.nansum(X[:, : min(p, 3)] * rng.normal(size=min(p, 3)), axis=1)
    binary = bool(seed % 2)
    params = {"objective": "binary:logistic" if binary else "reg:squarederror",
              "max_depth": int(rng.integers(1, 9)), "eta": float(rng.uniform(0.05, 1.0)),
              "min_child_weight": float(rng.uniform(0.0, 3.0)),
              "tree_method": ["hist", "exact", "approx"][seed % 3]}
    booster = _train(params, X, (y > np.median(y)).astype(int) if binary else y,
                     rounds=int(rng.integers(1, 40)))
    probe = np.vstack([X, rng.integers(-4, 5, size=(200, p)).astype(np.float64) + 0.5])
    _assert_like_xgboost(booster, probe)


@pytest.mark.parametrize("objective", ["binary:logistic", "binary:logitraw"])
def test_binary_equals_xgboost(objective) -> None:
    X, y = _data(seed=2)
    booster = _train({"objective": objective, "max_depth": 5}, X, (y > 0.5).astype(int))
    _assert_like_xgboost(booster, _probe(X, booster))
    model = estimator_from_json(booster.save_raw("json").decode())
    assert isinstance(model, XGBoostJSONClassifier)
    margin = booster.predict(xgboost.DMatrix(X), output_margin=True).astype(np.float64)
    assert np.max(np.abs(model.predict_proba(X)[:, 1] - 1 / (1 + np.exp(-margin)))) < 1e-12
    if objective == "binary:logistic":
        assert np.max(np.abs(model.predict_proba(X)[:, 1]
                             - booster.predict(xgboost.DMatrix(X)))) < 1e-6


def test_base_score_is_a_probability_for_logistic() -> None:
    X, y = _data(300, 4, seed=3)
    labels = (y > 1.5).astype(int)  # about a fifth positive
    booster = _train({"objective": "binary:logistic", "max_depth": 2}, X, labels, rounds=3)
    document = json.loads(booster.save_raw("json").decode())
    stored = document["learner"]["learner_model_param"]["base_score"]
    p = float(stored.strip("[]"))
    assert 0 < p < 1
    assert parse_xgboost_json(json.dumps(document)).baseline == pytest.approx(
        np.log(p / (1 - p)), abs=1e-6)
    # Older versions wrote the base score without brackets; the same number is read.
    document["learner"]["learner_model_param"]["base_score"] = stored.strip("[]")
    assert parse_xgboost_json(json.dumps(document)).baseline == pytest.approx(
        np.log(p / (1 - p)), abs=1e-6)


@pytest.mark.parametrize("rate", [0.41295, 0.05, 0.5, 0.731, 0.97])
def test_base_margin_is_xgboost_s_to_the_bit(rate) -> None:
    # With a learning rate of 0 every leaf is 0: XGBoost's margin is its base margin alone.
    X, _ = _data(2000, 4, seed=7)
    labels = (np.arange(2000) < round(rate * 2000)).astype(int)
    booster = _train({"objective": "binary:logistic", "eta": 0.0, "max_depth": 2}, X, labels,
                     rounds=1)
    margin = booster.predict(xgboost.DMatrix(X[:5]), output_margin=True)
    assert len(set(margin.tolist())) == 1
    model = estimator_from_json(booster.save_raw("json").decode())
    assert model.baseline_ == float(margin[0])
    assert np.array_equal(model.decision_function(X[:5]), margin)


def test_feature_names_come_from_the_model() -> None:
    import pandas as pd
    X, y = _data(300, 4, seed=4)
    frame = pd.DataFrame(X, columns=["income", "debts", "age", "tenure"])
    booster = _train({"max_depth": 3}, frame, y, rounds=3)
    model = estimator_from_json(booster.save_raw("json").decode())
    assert list(model.feature_names_in_) == ["income", "debts", "age", "tenure"]
    assert model.n_features_in_ == 4
    unnamed = estimator_from_json(_train({"max_depth": 3}, X, y, rounds=3)
                                  .save_raw("json").decode())
    assert not hasattr(unnamed, "feature_names_in_") and unnamed.n_features_in_ == 4


def _small() -> dict:
    X, y = _data(300, 4, seed=5)
    booster = _train({"max_depth": 2}, X, y, rounds=2)
    return json.loads(booster.save_raw("json").decode())


def _tree(doc: dict) -> dict:
    return doc["learner"]["gradient_booster"]["model"]["trees"][0]


def _set(path: str, value):
    def change(doc: dict) -> dict:
        *parents, key = path.split(".")
        at = doc
        for part in parents:
            at = at[int(part)] if isinstance(at, list) else at[part]
        at[key] = value
        return doc
    return change


def _in_tree(key: str, edit):
    def change(doc: dict) -> dict:
        _tree(doc)[key] = edit(_tree(doc)[key])
        return doc
    return change


@pytest.mark.parametrize(("change", "message"), [
    (_set("learner.objective.name", "count:poisson"), "not supported"),
    (_set("learner.gradient_booster.name", "dart"), "only gbtree"),
    (_set("learner.learner_model_param.num_class", "3"), "multiclass"),
    (_set("learner.learner_model_param.base_score", "[a]"), "base score"),
    (_set("learner.learner_model_param.num_feature", 2.5), "not a number"),
    (_set("learner.feature_types", ["float", "c", "float", "float"]), "numeric"),
    (_set("learner.feature_names", ["a", "b"]), "2 entries for 4"),
    (_set("learner.gradient_booster.model.trees", {"0": 1}), "not a JSON array"),
    (_set("learner.gradient_booster.model.trees", []), "no trees"),
    (_set("learner", []), "not a JSON object"),
    (_in_tree("split_conditions", lambda v: ["x", *v[1:]]), "not a number"),
    (_in_tree("split_conditions", lambda v: v[:-1]), "expected"),
    (_in_tree("split_indices", lambda v: [9, *v[1:]]), "outside the model"),
    (_in_tree("split_indices", lambda v: [-1, *v[1:]]), "outside the model"),
    (_in_tree("left_children", lambda v: [0, *v[1:]]), "reached twice"),  # a cycle
    (_in_tree("left_children", lambda v: [*v[:-1], 1]), "one child"),  # the last is a leaf
    (_in_tree("right_children", lambda v: [99, *v[1:]]), "out of range"),
    (_in_tree("left_children", lambda v: [v[2] if len(v) > 2 else 1, *v[1:]]), "twice"),
    (_in_tree("split_type", lambda v: [1, *v[1:]]), "categorical"),
    (_in_tree("sum_hessian", lambda v: [0.0, *v[1:]]), "hessian"),
    (_in_tree("default_left", lambda v: [7, *v[1:]]), "other than 0 and 1"),
    (_in_tree("left_children", lambda v: [float(v[0]), *v[1:]]), "not a number"),
    (_in_tree("split_conditions", lambda v: [[1.0], *v[1:]]), "not a number"),
])
def test_malformed_models_are_refused(change, message) -> None:
    document = _small()
    parse_xgboost_json(json.dumps(document))  # the unchanged model parses
    with pytest.raises(XGBoostModelError, match=message):
        parse_xgboost_json(json.dumps(change(document)))


def test_huge_nan_and_non_json_input_is_refused() -> None:
    document = _small()
    tree = _tree(document)
    tree["tree_param"]["num_nodes"] = "3000000"
    with pytest.raises(XGBoostModelError, match=r"outside 1\.\.2000000"):
        parse_xgboost_json(json.dumps(document))
    trees = document["learner"]["gradient_booster"]["model"]
    trees["trees"] = [_tree(_small())] * 100_001
    trees["tree_info"] = [0] * 100_001
    with pytest.raises(XGBoostModelError, match="more than 100000"):
        parse_xgboost_json(json.dumps(document))
    text = json.dumps(_small()).replace('"split_conditions": [', '"split_conditions": [NaN, ', 1)
    with pytest.raises(XGBoostModelError, match="NaN"):
        parse_xgboost_json(text)
    with pytest.raises(XGBoostModelError, match="nested too deeply"):
        parse_xgboost_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(XGBoostModelError, match="not an XGBoost JSON model"):
        parse_xgboost_json("\x80\x04pickle")
    with pytest.raises(XGBoostModelError, match="not an XGBoost JSON model"):
        parse_xgboost_json('{"learner": ' + "9" * 5000 + "}")


def test_categorical_and_multiclass_models_are_refused() -> None:
    import pandas as pd
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"kind": pd.Categorical(rng.integers(0, 6, 600)),
                          "x": rng.normal(size=600)})
    y = frame["kind"].cat.codes.to_numpy() % 2 * 2 + frame["x"].to_numpy()
    categorical = xgboost.train({"nthread": 1}, xgboost.DMatrix(frame, y,
                                                                enable_categorical=True), 5)
    with pytest.raises(XGBoostModelError, match="categorical"):
        parse_xgboost_json(categorical.save_raw("json").decode())
    three = xgboost.train({"objective": "multi:softprob", "num_class": 3, "nthread": 1},
                          xgboost.DMatrix(frame[["x"]], rng.integers(0, 3, 600)), 3)
    with pytest.raises(XGBoostModelError, match="multiclass"):
        parse_xgboost_json(three.save_raw("json").decode())
    linear = xgboost.train({"booster": "gblinear", "nthread": 1},
                           xgboost.DMatrix(frame[["x"]], y), 3)
    with pytest.raises(XGBoostModelError, match="only gbtree"):
        parse_xgboost_json(linear.save_raw("json").decode())


def test_the_estimator_keeps_only_the_text_and_cannot_be_fitted() -> None:
    document = _small()
    text = json.dumps(document)
    model = estimator_from_json(text)
    assert model.__getstate__() == {"text": text}
    with pytest.raises(TypeError, match="read, not fitted"):
        model.fit(np.zeros((2, 4)), np.zeros(2))
    with pytest.raises(ValueError, match="4 columns"):
        model.predict(np.zeros((2, 3)))
    _tree(document)["split_indices"][0] = 50
    copy = XGBoostJSONRegressor.__new__(XGBoostJSONRegressor)
    with pytest.raises(XGBoostModelError, match="outside the model"):
        copy.__setstate__({"text": json.dumps(document)})  # checked again when loaded
