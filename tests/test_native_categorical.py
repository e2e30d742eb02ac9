"""Native categorical splits of HistGradientBoosting, explained exactly by the tree kernels."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from sesame_audit.model.explain.any_model import explain_any
from sesame_audit.model.explain.hgb_trees import native_categorical
from sesame_audit.model.explain.treeshap import trees_shap_values


def _data(n: int = 800, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "city": rng.choice(["north", "south", "east", "west", "port"], n),
        "x": np.round(rng.normal(size=n), 1),
        "grade": rng.integers(0, 7, n).astype(float),
        "y": rng.normal(size=n),
    })
    frame.loc[rng.random(n) < 0.08, "grade"] = np.nan
    frame.loc[rng.random(n) < 0.05, "x"] = np.nan
    effect = frame.city.map({"north": 2.0, "south": -1.0, "east": 0.5, "west": 0.0, "port": 3.0})
    target = effect + np.nan_to_num(frame.grade.to_numpy()) % 3 + frame.x.fillna(0) * frame.y
    frame["city"] = frame.city.astype("category")
    return frame, target.to_numpy()


def _probe(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows plus categories the model never saw, and missing categories."""
    probe = frame.copy()
    probe["city"] = probe.city.cat.add_categories(["harbour"])
    probe.loc[probe.index[::13], "city"] = "harbour"
    probe.loc[probe.index[::17], "city"] = np.nan
    probe.loc[probe.index[::11], "grade"] = 9.0  # a grade code never seen
    return probe


def _values(model, X: pd.DataFrame) -> tuple[np.ndarray, float]:
    trees, baseline, sets, codes, owner = native_categorical(model, X)
    values, base = trees_shap_values(trees, baseline, codes, left_sets=sets)
    return values[:, np.argsort(owner)], base


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_values_add_up_to_the_models_own_output(kind: str) -> None:
    frame, target = _data()
    X = frame[["city", "x", "grade", "y"]]
    if kind == "regressor":
        model = HistGradientBoostingRegressor(max_iter=40, categorical_features=["city", "grade"],
                                              early_stopping=False, random_state=0).fit(X, target)
        own = model.predict
    else:
        model = HistGradientBoostingClassifier(max_iter=40, categorical_features=["city", "grade"],
                                               early_stopping=False, random_state=0)
        own = model.fit(X, target > np.median(target)).decision_function
    probe = _probe(X)
    values, base = _values(model, probe)
    assert np.max(np.abs(base + values.sum(axis=1) - own(probe))) < 1e-9


def _goes_left(predictor, known, f_idx_map, node, x: float) -> bool:
    """One split as scikit-learn's predictor takes it, written out from its documentation."""
    if np.isnan(x):
        return bool(node["missing_go_to_left"])
    if not node["is_categorical"]:
        return x <= node["num_threshold"]
    code = int(x)
    if code < 0:
        return bool(node["missing_go_to_left"])

    def has(bits, c):
        return bool((int(bits[c // 32]) >> (c % 32)) & 1)

    if has(predictor.raw_left_cat_bitsets[node["bitset_idx"]], code):
        return True
    if has(known[f_idx_map[node["feature_idx"]]], code):
        return False
    return bool(node["missing_go_to_left"])


def _brute_force(model, codes: np.ndarray) -> np.ndarray:
    """Path-dependent Shapley values from their definition: every coalition, every tree."""
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    p = codes.shape[1]
    phi = np.zeros_like(codes)
    for iteration in model._predictors:
        predictor = iteration[0]
        nodes = predictor.nodes

        def value(n, row, coalition, nodes=nodes, predictor=predictor):
            node = nodes[n]
            if node["is_leaf"]:
                return node["value"]
            left, right = int(node["left"]), int(node["right"])
            if node["feature_idx"] in coalition:
                go = _goes_left(predictor, known, f_idx_map, node, row[node["feature_idx"]])
                return value(left if go else right, row, coalition, nodes, predictor)
            cl, cr = nodes[left]["count"], nodes[right]["count"]
            return (cl * value(left, row, coalition, nodes, predictor)
                    + cr * value(right, row, coalition, nodes, predictor)) / (cl + cr)

        for r, row in enumerate(codes):
            for i in range(p):
                others = [j for j in range(p) if j != i]
                for size in range(p):
                    weight = factorial(size) * factorial(p - size - 1) / factorial(p)
                    for subset in itertools.combinations(others, size):
                        s = set(subset)
                        phi[r, i] += weight * (value(0, row, s | {i}) - value(0, row, s))
    return phi


def test_values_equal_brute_force_shapley_values() -> None:
    frame, target = _data(300, seed=1)
    X = frame[["city", "x", "grade"]]
    model = HistGradientBoostingRegressor(max_iter=3, max_leaf_nodes=8, min_samples_leaf=5,
                                          categorical_features=["city", "grade"],
                                          early_stopping=False, random_state=0).fit(X, target)
    probe = _probe(X).iloc[:60]
    trees, baseline, sets, codes, _ = native_categorical(model, probe)
    assert any(nodes["is_categorical"][~nodes["is_leaf"].astype(bool)].any() for nodes in trees)
    values, _ = trees_shap_values(trees, baseline, codes, left_sets=sets)
    assert np.max(np.abs(values - _brute_force(model, codes))) < 1e-9


def test_import_explains_native_categorical_models_exactly() -> None:
    frame, target = _data(400, seed=2)
    X = frame[["city", "x", "grade"]]
    model = HistGradientBoostingClassifier(max_iter=20, categorical_features=["city", "grade"],
                                           random_state=0).fit(X, target > 0.5)
    explanation, method = explain_any(model, X, output="log_odds")
    assert method.explainer == "tree" and method.exact
    values, base = _values(model, X)
    assert np.max(np.abs(explanation.values.to_numpy(np.float64) - values)) < 1e-6
    assert explanation.base == pytest.approx(base, abs=1e-12)
