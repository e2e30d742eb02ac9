"""The fast TreeSHAP kernels on every scikit-learn tree model, against shap.TreeExplainer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sesame_audit.model.explain.any_model import explain_any
from sesame_audit.model.explain.sklearn_trees import as_tree_input, sklearn_trees
from sesame_audit.model.explain.treeshap import trees_shap_values


def _data(n: int = 600, p: int = 6, *, missing: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 5, size=(n, p)).astype(float)  # few values: ties on thresholds
    X[:, 0] = rng.normal(size=n)
    y = X[:, 0] * 2 + (X[:, 1] > 2) * 3 + X[:, 2] * X[:, 3] + rng.normal(size=n)
    if missing:
        X[rng.random((n, p)) < 0.08] = np.nan
    return X, y, (y > np.median(y)).astype(int)


def _shap_reference(model, X: np.ndarray, column: int | None) -> tuple[np.ndarray, float]:
    explainer = shap.TreeExplainer(model)
    values = np.asarray(explainer.shap_values(X), dtype=np.float64)
    base = np.ravel(explainer.expected_value)
    if values.ndim == 3:
        return values[:, :, column], float(base[column])
    return values, float(base[0])


CASES = [
    ("tree regressor, deep, missing", lambda: DecisionTreeRegressor(random_state=0), True, "reg"),
    ("tree classifier, shallow", lambda: DecisionTreeClassifier(max_depth=3, random_state=0),
     False, "proba"),
    ("forest regressor, missing",
     lambda: RandomForestRegressor(25, max_depth=9, random_state=0), True, "reg"),
    ("forest classifier, deep, missing",
     lambda: RandomForestClassifier(25, random_state=1), True, "proba"),
    ("extra trees regressor", lambda: ExtraTreesRegressor(20, max_depth=8, random_state=0),
     False, "reg"),
    ("extra trees classifier", lambda: ExtraTreesClassifier(20, random_state=0), False, "proba"),
    ("boosting regressor",
     lambda: GradientBoostingRegressor(n_estimators=40, max_depth=5, random_state=0), False,
     "reg"),
    ("boosting classifier",
     lambda: GradientBoostingClassifier(n_estimators=40, max_depth=4, random_state=0), False,
     "log_odds"),
]


@pytest.mark.parametrize(("name", "make", "missing", "output"), CASES,
                         ids=[c[0] for c in CASES])
def test_equal_to_shap_and_adding_up_to_the_model(name, make, missing, output) -> None:
    X, y, labels = _data(missing=missing)
    model = make().fit(X, labels if output != "reg" else y)
    values, base = trees_shap_values(*sklearn_trees(model), as_tree_input(X))
    reference, reference_base = _shap_reference(model, X, 1 if output == "proba" else None)
    assert np.max(np.abs(values - reference)) < 1e-9
    assert base == pytest.approx(reference_base, abs=1e-9)
    own = {"reg": lambda: model.predict(X), "proba": lambda: model.predict_proba(X)[:, 1],
           "log_odds": lambda: model.decision_function(X)}[output]()
    assert np.max(np.abs(base + values.sum(axis=1) - own)) < 1e-9


def test_the_other_class_and_thread_counts() -> None:
    X, _, labels = _data(missing=True, seed=3)
    model = RandomForestClassifier(15, max_depth=7, random_state=0).fit(X, labels)
    X = as_tree_input(X)
    one, base_one = trees_shap_values(*sklearn_trees(model, positive=1), X)
    zero, base_zero = trees_shap_values(*sklearn_trees(model, positive=0), X, n_jobs=2)
    assert np.allclose(one, -zero, atol=1e-12) and base_one + base_zero == pytest.approx(1.0)
    boosted = GradientBoostingClassifier(n_estimators=10, random_state=0).fit(
        np.nan_to_num(X), labels)
    values, base = trees_shap_values(*sklearn_trees(boosted, positive=0), np.nan_to_num(X))
    assert np.allclose(base + values.sum(axis=1), -boosted.decision_function(np.nan_to_num(X)))


def test_rows_just_past_a_threshold_go_where_scikit_learn_sends_them() -> None:
    X, _, labels = _data(missing=False, seed=4)
    model = RandomForestClassifier(20, max_depth=6, random_state=0).fit(X, labels)
    thresholds = np.unique(np.concatenate([
        m.tree_.threshold[m.tree_.feature == 0] for m in model.estimators_]))
    probe = np.repeat(X[:1], len(thresholds), axis=0)
    probe[:, 0] = np.nextafter(thresholds, np.inf)  # float32 may round these back under
    values, base = trees_shap_values(*sklearn_trees(model), as_tree_input(probe))
    own = model.predict_proba(probe)[:, 1]
    assert np.max(np.abs(base + values.sum(axis=1) - own)) < 1e-9


def test_a_tight_table_budget_changes_nothing() -> None:
    X, y, _ = _data(missing=False, seed=5)
    model = RandomForestRegressor(10, random_state=0).fit(X, y)  # deep: long paths
    trees, baseline = sklearn_trees(model)
    roomy, _ = trees_shap_values(trees, baseline, X)
    tight, _ = trees_shap_values(trees, baseline, X, table_budget=1)  # every leaf per row
    assert np.max(np.abs(roomy - tight)) < 1e-9


def test_refuses_what_it_cannot_represent() -> None:
    X, y, _ = _data(missing=False)
    with pytest.raises(TypeError, match="not a scikit-learn tree model"):
        sklearn_trees(HistGradientBoostingClassifier())
    with pytest.raises(ValueError, match="not fitted"):
        sklearn_trees(RandomForestRegressor())
    three = GradientBoostingClassifier(n_estimators=5).fit(X, np.digitize(y, [-1, 2]))
    with pytest.raises(ValueError, match="binary"):
        sklearn_trees(three)
    with pytest.raises(ValueError, match="columns"):
        trees_shap_values(*sklearn_trees(RandomForestRegressor(3).fit(X, y)), X[:, :2])


def test_an_imported_pipeline_is_explained_exactly_by_the_kernels() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"colour": rng.choice(["red", " red", "blue"], 400),
                          "x": rng.normal(size=400), "z": rng.integers(0, 3, 400)})
    labels = ((frame["colour"] == "blue") ^ (frame["x"] > 0)).astype(int)
    encode = ColumnTransformer([("onehot", OneHotEncoder(), ["colour"])],
                               remainder="passthrough")
    model = Pipeline([("encode", encode),
                      ("trees", RandomForestClassifier(30, max_depth=6, random_state=0))])
    model.fit(frame, labels)
    explanation, method = explain_any(model, frame, output="probability")
    assert method.explainer == "tree" and method.exact
    reference, base = _shap_reference(model[-1], model[:-1].transform(frame), 1)
    folded = np.column_stack([reference[:, :3].sum(axis=1), reference[:, 3], reference[:, 4]])
    assert np.max(np.abs(explanation.values.to_numpy(dtype=float) - folded)) < 1e-6
    assert explanation.base == pytest.approx(base)
