"""explain.treeshap against shap.TreeExplainer (tree_path_dependent) and sklearn's predict."""

from __future__ import annotations

import numpy as np
import pytest
import shap
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from sesame_audit.model.explain import treeshap
from sesame_audit.model.explain.treeshap import hgb_shap_values

ATOL = 1e-6


def _shap_reference(estimator, X: np.ndarray) -> tuple[np.ndarray, float]:
    explainer = shap.TreeExplainer(estimator)
    values = explainer.shap_values(X)
    return np.asarray(values), float(np.ravel(explainer.expected_value)[0])


def _raw_predict(estimator, X: np.ndarray) -> np.ndarray:
    return estimator._raw_predict(X).ravel()


def _assert_matches_shap(estimator, X: np.ndarray) -> np.ndarray:
    ours, base = hgb_shap_values(estimator, X, dtype=np.float64)
    ref, ref_base = _shap_reference(estimator, X)
    assert ours.shape == X.shape
    assert ours.dtype == np.float64
    assert np.allclose(ours, ref, atol=ATOL), np.abs(ours - ref).max()
    assert base == pytest.approx(ref_base, abs=ATOL)
    assert np.allclose(base + ours.sum(axis=1), _raw_predict(estimator, X), atol=ATOL)
    return ours


def _regression_data(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, 0] * X[:, 1] + np.sin(3 * X[:, -1]) + X[:, p // 2] ** 2 + 0.3 * rng.normal(size=n)
    return X, y


@pytest.mark.parametrize(
    ("max_iter", "max_leaf_nodes", "max_depth"),
    [
        (3, 2, None),  # stumps
        (5, 63, None),  # few, deep leaf-wise trees
        (40, 31, None),
        (20, 63, 4),  # depth-limited
        (25, 8, 3),
        (10, 17, None),
    ],
)
def test_regression_matches_shap(max_iter, max_leaf_nodes, max_depth):
    X, y = _regression_data(1500, 9, seed=max_iter)
    est = HistGradientBoostingRegressor(
        max_iter=max_iter,
        max_leaf_nodes=max_leaf_nodes,
        max_depth=max_depth,
        min_samples_leaf=5,
        early_stopping=False,
        random_state=0,
    ).fit(X, y)
    ours = _assert_matches_shap(est, X[:400])
    assert np.abs(ours).max() > 0.1  # the comparison is not between two zero arrays


def _split_nodes(estimator) -> np.ndarray:
    nodes = np.concatenate([it[0].nodes for it in estimator._predictors])
    return nodes[nodes["is_leaf"] == 0]


def test_values_on_thresholds_follow_sklearn():
    # Integers with more distinct values than bins give thresholds that are data values.
    rng = np.random.default_rng(1)
    X = rng.integers(0, 600, size=(3000, 4)).astype(np.float64)
    y = (X[:, 0] > 300) + X[:, 1] / 200 + ((X[:, 2] % 7) == 0) + rng.normal(size=3000) * 0.1
    est = HistGradientBoostingRegressor(
        max_iter=30, max_leaf_nodes=15, early_stopping=False, random_state=0
    ).fit(X, y)
    splits = _split_nodes(est)
    # Evaluate exactly on every threshold and one ulp either side of it.
    test = np.tile(X[:1], (3 * len(splits), 1))
    for i, node in enumerate(splits):
        thr = node["num_threshold"]
        for j, value in enumerate((thr, np.nextafter(thr, -np.inf), np.nextafter(thr, np.inf))):
            test[3 * i + j, node["feature_idx"]] = value
    test = np.vstack([test, X[:300]])
    on_threshold = [
        np.any(test[:, node["feature_idx"]] == node["num_threshold"]) for node in splits
    ]
    assert all(on_threshold)
    assert np.any(np.isin(X, splits["num_threshold"]))  # ties occur in the data itself
    _assert_matches_shap(est, test)


def test_missing_values_both_directions():
    rng = np.random.default_rng(2)
    n = 3000
    X = rng.normal(size=(n, 5))
    X[rng.random(n) < 0.2, 0] = np.nan  # missing at random
    informative = rng.random(n) < 0.3
    X[informative, 1] = np.nan  # missingness itself predicts y
    y = np.nan_to_num(X[:, 0]) + 2.0 * informative + X[:, 2] - X[:, 3] + 0.1 * rng.normal(size=n)
    est = HistGradientBoostingRegressor(
        max_iter=30, max_leaf_nodes=15, early_stopping=False, random_state=0
    ).fit(X, y)
    splits = _split_nodes(est)
    nan_features = splits[np.isin(splits["feature_idx"], [0, 1])]
    assert set(nan_features["missing_go_to_left"]) == {0, 1}
    assert np.isinf(splits["num_threshold"]).any()  # a "split on NaN" node
    test = X[:500].copy()
    test[rng.random(500) < 0.3, 4] = np.nan  # NaN at predict time only
    assert np.isnan(test[:, [0, 1, 4]]).any(axis=0).all()
    _assert_matches_shap(est, test)


def test_binary_classifier_raw_log_odds():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 6))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) ** 2 + rng.normal(size=2000)) > 1
    est = HistGradientBoostingClassifier(
        max_iter=30, max_leaf_nodes=20, early_stopping=False, random_state=0
    ).fit(X, y)
    ours = _assert_matches_shap(est, X[:400])
    values, base = hgb_shap_values(est, X[:400], dtype=np.float64)
    assert np.allclose(base + values.sum(axis=1), est.decision_function(X[:400]), atol=ATOL)
    assert np.abs(ours).max() > 0.1


def test_single_feature_model():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(800, 1))
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=800)
    est = HistGradientBoostingRegressor(max_iter=20, early_stopping=False).fit(X, y)
    ours = _assert_matches_shap(est, X[:200])
    # With one feature, its value is the whole deviation from the base value.
    assert np.allclose(ours[:, 0], est.predict(X[:200]) - hgb_shap_values(est, X[:1])[1])


def test_threads_and_chunks_do_not_change_values():
    X, y = _regression_data(20_000, 6, seed=5)
    est = HistGradientBoostingRegressor(max_iter=15, early_stopping=False).fit(X, y)
    serial, base1 = hgb_shap_values(est, X, n_jobs=1, dtype=np.float64)
    # Several chunks, each split into several thread tasks.
    parallel, base2 = hgb_shap_values(est, X, n_jobs=2, chunk_rows=12_000, dtype=np.float64)
    assert np.array_equal(serial, parallel)
    assert base1 == base2
    assert np.allclose(base1 + serial.sum(axis=1), est.predict(X), atol=ATOL)


def test_default_float32_output():
    X, y = _regression_data(1000, 4, seed=6)
    est = HistGradientBoostingRegressor(max_iter=10, early_stopping=False).fit(X, y)
    values32, _ = hgb_shap_values(est, X)
    values64, _ = hgb_shap_values(est, X, dtype=np.float64)
    assert values32.dtype == np.float32
    assert np.array_equal(values32, values64.astype(np.float32))


@pytest.mark.parametrize(("max_table_bits", "budget"), [(0, 2**28), (12, 0)])
def test_untabulated_leaves_match_shap(monkeypatch, max_table_bits, budget):
    """Leaves beyond the table cap or memory budget are evaluated per row."""
    monkeypatch.setattr(treeshap, "_MAX_TABLE_BITS", max_table_bits)
    monkeypatch.setattr(treeshap, "_TABLE_BUDGET", budget)
    X, y = _regression_data(1500, 12, seed=7)
    X[::7, 3] = np.nan
    est = HistGradientBoostingRegressor(
        max_iter=8, max_leaf_nodes=63, min_samples_leaf=3, early_stopping=False
    ).fit(X, y)
    flat = treeshap._FlatEnsemble([it[0].nodes for it in est._predictors], max_table_bits, budget)
    assert (flat.leaf_tab[flat.leaf_k > 0] == -1).all()
    _assert_matches_shap(est, X[:300])


def test_rejects_unsupported_models_and_inputs():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 3))
    multiclass = HistGradientBoostingClassifier(max_iter=3).fit(X, rng.integers(0, 3, 300))
    with pytest.raises(ValueError, match="binary"):
        hgb_shap_values(multiclass, X)
    Xc = X.copy()
    Xc[:, 0] = rng.integers(0, 4, 300)
    categorical = HistGradientBoostingRegressor(max_iter=3, categorical_features=[0]).fit(
        Xc, Xc[:, 0] + rng.normal(size=300)
    )
    with pytest.raises(ValueError, match="ordinal-encode"):
        hgb_shap_values(categorical, Xc)
    regressor = HistGradientBoostingRegressor(max_iter=3).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="shape"):
        hgb_shap_values(regressor, X[:, :2])
    with pytest.raises(TypeError):
        hgb_shap_values(object(), X)


@st.composite
def _models(draw):
    """A random regressor on random data: ties, missing values, stumps to deep trees."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(40, 400))
    p = draw(st.integers(1, 6))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    if draw(st.booleans()):
        X = np.round(X * 2)  # few distinct values: rows on the thresholds
    if draw(st.booleans()):
        X[rng.random((n, p)) < 0.2] = np.nan
    y = np.nan_to_num(X[:, 0]) * np.nan_to_num(X[:, -1]) + rng.normal(size=n)
    est = HistGradientBoostingRegressor(
        max_iter=draw(st.integers(1, 25)), max_leaf_nodes=draw(st.integers(2, 40)),
        max_depth=draw(st.one_of(st.none(), st.integers(1, 6))), min_samples_leaf=2,
        early_stopping=False, random_state=seed % 1000).fit(X, y)
    return est, X


@settings(settings.get_profile("exactness"))
@given(_models())
def test_property_treeshap_equals_shap(model) -> None:
    est, X = model
    _assert_matches_shap(est, X)
