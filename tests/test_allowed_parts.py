"""Models with parts skops does not trust by default: accepted as plain data, refused else."""

from __future__ import annotations

import os
from functools import partial

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_array

from sesame_audit.model.runs.allowed_parts import UnsafePartError
from sesame_audit.model.runs.model_files import (
    UnsafeModelError,
    load_model_bytes,
    model_bytes,
    untrusted_types,
)


def _data(n: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    X[:, 0] = rng.integers(0, 5, n)
    return X, (X[:, 1] + X[:, 0] % 2 > 0.5).astype(int)


def _hgb():
    X, y = _data()
    return HistGradientBoostingClassifier(max_iter=5, categorical_features=[0]).fit(X, y)


MODELS = {
    "native categorical HGB": _hgb,
    "MLP classifier, adam": lambda: MLPClassifier(hidden_layer_sizes=(5,), max_iter=30,
                                                  random_state=0).fit(*_data()),
    "MLP regressor, sgd": lambda: MLPRegressor(hidden_layer_sizes=(4,), solver="sgd",
                                               max_iter=30, random_state=0).fit(*_data()),
    "calibrated, sigmoid": lambda: CalibratedClassifierCV(LogisticRegression(), cv=3).fit(
        *_data()),
    "calibrated forest, isotonic": lambda: CalibratedClassifierCV(
        RandomForestClassifier(5, random_state=0), cv=3, method="isotonic").fit(*_data()),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_models_auditors_bring_load_and_predict_alike(make) -> None:
    model = make()
    data = model_bytes(model)
    assert untrusted_types(data)  # skops alone would refuse them
    loaded = load_model_bytes(data)
    X, _ = _data(seed=1)
    assert np.array_equal(loaded.predict(X), model.predict(X))


def test_a_partial_of_another_function_is_refused() -> None:
    crafted = Pipeline([("step", FunctionTransformer(partial(os.getcwd))),
                        ("model", LogisticRegression().fit(*_data()))])
    with pytest.raises(UnsafeModelError, match="getcwd"):
        load_model_bytes(model_bytes(crafted))


def _crafted_hgb(func: partial) -> bytes:
    model = _hgb()
    model._preprocessor.named_transformers_["numerical"].func = func
    return model_bytes(model)


@pytest.mark.parametrize("func", [partial(check_array, "rows"),
                                  partial(check_array, dtype=check_array),
                                  partial(check_array, dtype={"a": 1})],
                         ids=["positional", "function option", "dict option"])
def test_a_partial_of_check_array_with_more_than_options_is_refused(func) -> None:
    with pytest.raises(UnsafePartError, match="check_array"):
        load_model_bytes(_crafted_hgb(func))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_optimizer_or_calibration_holding_more_than_numbers_is_refused() -> None:
    mlp = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(*_data())
    mlp._optimizer.extra = check_array
    with pytest.raises(UnsafePartError, match="extra"):
        load_model_bytes(model_bytes(mlp))
    calibrated = CalibratedClassifierCV(LogisticRegression(), cv=2).fit(*_data())
    calibrated.calibrated_classifiers_[0].calibrators = [FunctionTransformer(check_array)]
    with pytest.raises(UnsafePartError, match="calibrators"):
        load_model_bytes(model_bytes(calibrated))
    sigmoid = CalibratedClassifierCV(LogisticRegression(), cv=2).fit(*_data())
    sigmoid.calibrated_classifiers_[1].calibrators[0].a_ = partial(check_array)
    with pytest.raises(UnsafePartError, match="a_"):
        load_model_bytes(model_bytes(sigmoid))
