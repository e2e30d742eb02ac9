"""explain.tree_predict against scikit-learn's own predict, predict_proba and decision_function."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from test_treeshap import _models

from sesame_audit.model.explain import hgb_trees, tree_predict
from sesame_audit.model.explain import score_model as explain_module
from sesame_audit.model.explain.compiled import thread_count
from sesame_audit.model.explain.score_model import explain
from sesame_audit.model.explain.tree_predict import (
    PREDICT_CHECK_ROWS,
    encoded_output,
    fast_output,
    hgb_raw_predict,
)
from sesame_audit.model.explain.treeshap import flat_ensemble, hgb_shap_values
from sesame_audit.model.runs import scoring


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([
        rng.normal(size=n),
        rng.integers(0, 600, size=n).astype(float),  # thresholds land on data values: ties
        rng.integers(0, 3, size=n).astype(float),
        np.where(rng.random(n) < 0.15, np.nan, rng.normal(size=n)),  # missing values
    ])
    y = X[:, 0] * (X[:, 1] > 300) + X[:, 2] + np.nan_to_num(X[:, 3]) + rng.normal(size=n) * 0.1
    return X, y


@pytest.mark.parametrize(("max_iter", "max_leaf_nodes"), [(1, 2), (40, 7), (25, 31), (8, 63)])
def test_regressor_equals_predict_exactly(max_iter: int, max_leaf_nodes: int) -> None:
    X, y = _data(3000, seed=max_iter)
    est = HistGradientBoostingRegressor(max_iter=max_iter, max_leaf_nodes=max_leaf_nodes,
                                        early_stopping=False, random_state=0).fit(X, y)
    fresh, _ = _data(40_000, seed=99)  # more rows than one thread's task
    fresh[:50, 3] = np.nan  # rows missing where training rows were not, and a NaN-only block
    ours = hgb_raw_predict(est, fresh)
    assert np.array_equal(ours, est.predict(fresh))
    assert np.array_equal(hgb_raw_predict(est, fresh, n_jobs=1), ours)
    assert len(np.unique(ours)) > 1  # the trees split: not a comparison of two constants


def test_rows_on_a_threshold_go_left_as_in_sklearn() -> None:
    X, y = _data(3000, seed=3)
    est = HistGradientBoostingRegressor(max_iter=30, max_leaf_nodes=15, early_stopping=False,
                                        random_state=0).fit(X, y)
    nodes = np.concatenate([it[0].nodes for it in est._predictors])
    splits = nodes[nodes["is_leaf"] == 0]
    on = X[:len(splits)].copy()
    on[np.arange(len(splits)), splits["feature_idx"]] = splits["num_threshold"]
    assert np.array_equal(hgb_raw_predict(est, on), est.predict(on))


@pytest.mark.parametrize("output", ["probability", "log_odds"])
@pytest.mark.parametrize("positive", [0, 1])
def test_classifier_outputs_equal_sklearn(output: str, positive: int) -> None:
    X, y = _data(3000, seed=5)
    est = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, early_stopping=False,
                                         random_state=0).fit(X, y > np.median(y))
    frame = pd.DataFrame(X)
    ours = fast_output(est, frame, output, positive)
    if output == "probability":
        expected = est.predict_proba(X)[:, positive]
    else:
        expected = est.decision_function(X) * (1 if positive == 1 else -1)
    assert ours is not None
    assert np.allclose(ours, expected, rtol=0, atol=1e-12)


def test_pipeline_with_encoded_text_columns_equals_predict() -> None:
    model, frame = _pipeline(2_000)
    assert np.array_equal(fast_output(model, frame, "score", 1), model.predict(frame))


def test_other_models_are_left_to_their_own_predict() -> None:
    X, y = _data(300, seed=2)
    X = np.nan_to_num(X)
    forest = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, y)
    assert fast_output(forest, pd.DataFrame(X), "score", 1) is None
    boosted = HistGradientBoostingRegressor(max_iter=3).fit(X, y)
    assert fast_output(boosted, pd.DataFrame(X), "probability", 1) is None


def test_wrong_width_is_refused() -> None:
    X, y = _data(300, seed=4)
    est = HistGradientBoostingRegressor(max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="shape"):
        hgb_raw_predict(est, X[:, :2])


def _pipeline(n: int) -> tuple[Pipeline, pd.DataFrame]:
    rng = np.random.default_rng(12)
    frame = pd.DataFrame({"district": rng.choice(["north", "south", "east"], n),
                          "income": rng.normal(5000, 800, n)})
    y = (frame["district"] == "north") * 40 + frame["income"] / 100
    encode = ColumnTransformer([("c", OrdinalEncoder(), ["district"])],
                               remainder="passthrough", verbose_feature_names_out=False)
    model = Pipeline([("encode", encode.set_output(transform="pandas")),
                      ("trees", HistGradientBoostingRegressor(max_iter=20,
                                                              early_stopping=False))])
    return model.fit(frame, y), frame


def test_explain_predicts_what_the_model_predicts() -> None:
    model, frame = _pipeline(PREDICT_CHECK_ROWS + 3_000)
    assert np.array_equal(explain(model, frame).prediction, model.predict(frame))


def test_explain_falls_back_to_predict_when_the_fast_path_disagrees(monkeypatch) -> None:
    model, frame = _pipeline(PREDICT_CHECK_ROWS + 3_000)
    monkeypatch.setattr(explain_module, "encoded_output",
                        lambda *args: encoded_output(*args) + 1e-9)
    assert np.array_equal(explain(model, frame).prediction, model.predict(frame))


def test_score_rows_falls_back_to_the_model_when_the_fast_path_disagrees(social_run,
                                                                         monkeypatch) -> None:
    X = pd.concat([social_run.X] * 3, ignore_index=True)  # more rows than are checked
    assert len(X) > PREDICT_CHECK_ROWS
    expected = social_run.model.predict(X)
    assert np.array_equal(scoring.score_rows(social_run, X), expected)
    calls = []
    monkeypatch.setattr(scoring, "fast_output",
                        lambda *args: calls.append(1) or fast_output(*args) + 1e-9)
    assert np.array_equal(scoring.score_rows(social_run, X), expected)
    assert calls  # the fast path ran and was refused


def test_thread_setting_is_respected(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert thread_count(-1) == 3
    assert thread_count(2) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "many")
    assert thread_count(-1) == (os.cpu_count() or 1)
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert thread_count(-1) == (os.cpu_count() or 1)
    with pytest.raises(ValueError, match="n_jobs"):
        thread_count(0)
    X, y = _data(3000, seed=4)
    est = HistGradientBoostingRegressor(max_iter=5, early_stopping=False).fit(X, y)
    fresh, _ = _data(40_000, seed=5)  # several thread tasks
    pools = []

    class Pool(tree_predict.ThreadPoolExecutor):
        def __init__(self, max_workers: int) -> None:
            pools.append(max_workers)
            super().__init__(max_workers=max_workers)

    monkeypatch.setattr(tree_predict, "ThreadPoolExecutor", Pool)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert np.array_equal(hgb_raw_predict(est, fresh), est.predict(fresh))
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert np.array_equal(hgb_raw_predict(est, fresh), est.predict(fresh))
    assert pools == [1, 2]


def test_a_refit_is_never_served_the_old_trees() -> None:
    X, y = _data(3000, seed=6)
    est = HistGradientBoostingRegressor(max_iter=10, early_stopping=False, random_state=0)
    est.fit(X, y)
    first = flat_ensemble(est)
    assert flat_ensemble(est) is first  # kept while the fit stands
    est.fit(X, -y)  # same object, new trees
    assert flat_ensemble(est) is not first
    assert np.array_equal(hgb_raw_predict(est, X, n_jobs=1), est.predict(X))
    est.set_params(warm_start=True, max_iter=15).fit(X, -y)  # more trees, the first ones kept
    assert np.array_equal(hgb_raw_predict(est, X, n_jobs=1), est.predict(X))
    values, base = hgb_shap_values(est, X[:50], dtype=np.float64)
    np.testing.assert_allclose(base + values.sum(axis=1), est.predict(X[:50]), atol=1e-9)


def test_untested_scikit_learn_is_refused_or_left_to_predict(monkeypatch) -> None:
    assert hgb_trees.sklearn_supported("1.9.1")
    assert not hgb_trees.sklearn_supported("1.5.2")
    assert not hgb_trees.sklearn_supported("1.10.0")
    assert not hgb_trees.sklearn_supported("2.0")
    X, y = _data(3000, seed=7)
    est = HistGradientBoostingRegressor(max_iter=5, early_stopping=False).fit(X, y)
    monkeypatch.setattr(hgb_trees.sklearn, "__version__", "1.10.0")
    with pytest.raises(hgb_trees.UnsupportedScikitLearn,
                       match=r"scikit-learn 1\.10\.0 is not supported .*>=1\.6,<1\.10"):
        hgb_shap_values(est, X)
    assert encoded_output(est, X, "score", 1) is None


_QUIET_COMPILE = """
import sys, warnings
warnings.simplefilter("error")
from sesame_audit.model.explain.compiled import kernel

@kernel(nogil=True)
def double(x):
    return 2 * x

assert double(21) == 42
"""


@pytest.mark.parametrize("user_cache", ["writable", "blocked"])
def test_kernels_compile_quietly_where_nothing_beside_them_is_writable(
        tmp_path, user_cache: str) -> None:
    """The package folder cannot hold a cache (its ``__pycache__`` is a file): the kernel
    caches in the user's cache folder, or, if that is blocked too, compiles in memory."""
    package = tmp_path / "package"
    package.mkdir()
    (package / "__pycache__").write_text("not a folder")
    (package / "kernels.py").write_text(_QUIET_COMPILE)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, so nothing can be created below it")
    cache = tmp_path / "cache" if user_cache == "writable" else blocker / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "HOME": str(blocker)}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, str(package / "kernels.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    cached = list(cache.rglob("*.nbi")) if user_cache == "writable" else []
    assert len(cached) == (1 if user_cache == "writable" else 0)


@settings(settings.get_profile("exactness"))
@given(_models())
def test_property_walker_equals_predict(model) -> None:
    est, X = model
    assert np.array_equal(hgb_raw_predict(est, X, n_jobs=1), est._raw_predict(X).ravel())
    assert np.array_equal(hgb_raw_predict(est, X, n_jobs=1), est.predict(X))
