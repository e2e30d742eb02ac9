"""LightGBM text models read by the project's own parser, against LightGBM itself."""

from __future__ import annotations

import re

import lightgbm  # a dev dependency: `make setup` installs it
import numpy as np
import pytest

from sesame_audit.model.explain.lightgbm_text import (
    LightGBMModelError,
    LightGBMTextClassifier,
    LightGBMTextRegressor,
    estimator_from_text,
    parse_lightgbm_text,
    raw_score,
)
from sesame_audit.model.explain.treeshap import trees_shap_values

TOLERANCE = 1e-9  # LightGBM's C++ TreeSHAP and ours both work in float64


def _data(n: int = 1500, p: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, :3] = np.round(X[:, :3], 1)  # ties on thresholds
    y = X[:, 0] * 2 + np.sin(X[:, 1] * 2) + X[:, 2] * X[:, 3] + rng.normal(size=n) * 0.3
    X[rng.random(n) < 0.1, 1] = np.nan  # column 1 has missing values when trained
    return X, y


def _probe(X: np.ndarray, seed: int = 1) -> np.ndarray:
    """Rows to explain: the training rows plus NaN where training had none (read as 0)."""
    rng = np.random.default_rng(seed)
    probe = X.copy()
    probe[rng.random(len(X)) < 0.1, 4] = np.nan
    probe[rng.random(len(X)) < 0.05, 0] = 0.0
    return probe


def _assert_like_lightgbm(booster, text: str, probe: np.ndarray) -> None:
    parsed = parse_lightgbm_text(text)
    values, base = trees_shap_values(parsed.trees, 0.0, probe, n_jobs=2)
    contrib = booster.predict(probe, pred_contrib=True)
    assert np.max(np.abs(values - contrib[:, :-1])) < TOLERANCE
    assert np.max(np.abs(base - contrib[:, -1])) < TOLERANCE
    raw = booster.predict(probe, raw_score=True)
    assert np.max(np.abs(raw_score(parsed.trees, probe) - raw)) < 1e-12
    assert np.max(np.abs(base + values.sum(axis=1) - raw)) < TOLERANCE


@pytest.mark.parametrize("params", [
    {"objective": "regression", "num_leaves": 31},
    {"objective": "regression", "num_leaves": 63, "min_data_in_leaf": 2, "max_depth": 12},
    {"objective": "huber", "num_leaves": 7, "learning_rate": 0.3},
    {"objective": "regression", "num_leaves": 15, "use_missing": False},
])
def test_regression_equals_pred_contrib(params) -> None:
    X, y = _data()
    booster = lightgbm.train({**params, "verbose": -1, "num_threads": 1},
                             lightgbm.Dataset(X, y), num_boost_round=40)
    _assert_like_lightgbm(booster, booster.model_to_string(), _probe(X))
    model = estimator_from_text(booster.model_to_string())
    assert isinstance(model, LightGBMTextRegressor)
    assert np.max(np.abs(model.predict(_probe(X)) - booster.predict(_probe(X)))) < 1e-12


def test_binary_equals_pred_contrib_and_probability() -> None:
    X, y = _data(seed=2)
    booster = lightgbm.train({"objective": "binary", "verbose": -1, "num_threads": 1},
                             lightgbm.Dataset(X, (y > 0).astype(int)), num_boost_round=60)
    _assert_like_lightgbm(booster, booster.model_to_string(), _probe(X))
    model = estimator_from_text(booster.model_to_string())
    assert isinstance(model, LightGBMTextClassifier)
    probability = model.predict_proba(_probe(X))[:, 1]
    assert np.max(np.abs(probability - booster.predict(_probe(X)))) < 1e-12
    assert np.array_equal(model.predict(X), (booster.predict(X) > 0.5).astype(int))


def test_zero_as_missing_is_exact_or_refused() -> None:
    X, y = _data(seed=3)
    X[::5, 2] = 0.0
    booster = lightgbm.train({"zero_as_missing": True, "verbose": -1, "num_threads": 1},
                             lightgbm.Dataset(X, y), num_boost_round=30)
    text = booster.model_to_string()
    decision = [int(d) for line in re.findall(r"^decision_type=(.*)$", text, re.M)
                for d in line.split()]
    assert any((d >> 2) & 3 == 1 for d in decision)  # zero-as-missing splits are present
    try:
        parse_lightgbm_text(text)
    except LightGBMModelError as exc:
        assert "zero as missing" in str(exc)
        return
    _assert_like_lightgbm(booster, text, _probe(X))


def _small_text() -> str:
    X, y = _data(300, 4, seed=4)
    return lightgbm.train({"num_leaves": 4, "verbose": -1}, lightgbm.Dataset(X, y),
                          num_boost_round=2).model_to_string()


def _edit(text: str, key: str, values: str) -> str:
    return re.sub(rf"^{key}=.*$", f"{key}={values}", text, count=1, flags=re.M)


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: _edit(t, "left_child", "0 -2 -1"), "reached twice"),
    (lambda t: _edit(t, "left_child", "1 5 -2"), "out of range"),
    (lambda t: _edit(t, "right_child", "1 -3 -1"), "reached twice"),
    (lambda t: _edit(t, "split_feature", "0 7 1"), "outside the model"),
    (lambda t: _edit(t, "threshold", "0.1 nan 0.2"), "not a number"),
    (lambda t: _edit(t, "leaf_value", "1 2"), "expected 4"),
    (lambda t: _edit(t, "decision_type", "2 3 2"), "categorical"),
    (lambda t: t.replace("objective=regression", "objective=poisson"), "not supported"),
    (lambda t: t.replace("num_class=1", "num_class=3"), "multiclass"),
    (lambda t: t.replace("Tree=1", "Tree=7"), "labelled"),
    (lambda t: "\x80\x04pickle", "not a LightGBM text model"),
])
def test_malformed_models_are_refused(change, message) -> None:
    text = _small_text()
    parse_lightgbm_text(text)  # the unchanged model parses
    with pytest.raises(LightGBMModelError, match=message):
        parse_lightgbm_text(change(text))


def test_categorical_and_multiclass_models_are_refused() -> None:
    rng = np.random.default_rng(5)
    X = np.column_stack([rng.integers(0, 6, 600), rng.normal(size=600)])
    y = (X[:, 0] % 2) * 2 + X[:, 1]
    categorical = lightgbm.train({"verbose": -1, "min_data_per_group": 5, "cat_smooth": 1},
                                 lightgbm.Dataset(X, y, categorical_feature=[0]), 5)
    with pytest.raises(LightGBMModelError, match="categorical"):
        parse_lightgbm_text(categorical.model_to_string())
    three = lightgbm.train({"objective": "multiclass", "num_class": 3, "verbose": -1},
                           lightgbm.Dataset(X, rng.integers(0, 3, 600)), 3)
    with pytest.raises(LightGBMModelError, match="multiclass"):
        parse_lightgbm_text(three.model_to_string())
