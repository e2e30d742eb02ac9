"""Checks of the trees in a model file: every real model passes, every broken tree is named.

The broken trees are checked in this process with :func:`check_trees` alone, which never
walks them; the import of such a file through the CLI runs in a subprocess in
``test_bad_inputs.py``.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from crafted_models import FAULTS, boosted_trees, decision_tree
from own_inputs import INPUTS, table
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    BaggingRegressor,
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sesame_audit.model.runs import model_files
from sesame_audit.model.runs.model_files import UnsafeModelError, load_model_bytes, model_bytes
from sesame_audit.model.runs.tree_checks import TreeStructureError, check_trees

FRAME = table(n=200, seed=2)
X = FRAME[INPUTS]
CLASSES3 = pd.cut(FRAME.score, 3, labels=["low", "mid", "high"]).astype(str)


def _onehot(model):
    encode = ColumnTransformer([("d", OneHotEncoder(sparse_output=False), ["district"])],
                               remainder="passthrough")
    return Pipeline([("e", encode), ("m", model)])


def _codes(model):
    encode = ColumnTransformer([("d", OrdinalEncoder(), ["district"])], remainder="passthrough",
                               verbose_feature_names_out=False).set_output(transform="pandas")
    return Pipeline([("e", encode), ("m", model)])


REAL = {
    "decision tree regressor": (_onehot(DecisionTreeRegressor(max_depth=5)), FRAME.score),
    "decision tree, 3 classes": (_onehot(DecisionTreeClassifier(max_depth=5)), CLASSES3),
    "random forest": (_onehot(RandomForestRegressor(5, max_depth=4, random_state=0)),
                      FRAME.score),
    "extra trees, 2 classes": (_onehot(ExtraTreesClassifier(5, random_state=0)),
                               FRAME.approved),
    "forest classifier": (_onehot(RandomForestClassifier(4, random_state=0)), CLASSES3),
    "gradient boosting": (_onehot(GradientBoostingRegressor(n_estimators=5)), FRAME.score),
    "gradient boosting, 2 classes": (_onehot(GradientBoostingClassifier(n_estimators=5)),
                                     FRAME.approved),
    "gradient boosting, 3 classes": (_onehot(GradientBoostingClassifier(n_estimators=5)),
                                     CLASSES3),
    "hist gradient boosting": (_onehot(HistGradientBoostingRegressor(max_iter=5)),
                               FRAME.score),
    "hist gradient boosting, 3 classes": (
        _onehot(HistGradientBoostingClassifier(max_iter=5)), CLASSES3),
    "hist gradient boosting, native categories": (_codes(HistGradientBoostingRegressor(
        max_iter=5, categorical_features=["district"])), FRAME.score),
    "bagging on half the columns": (_onehot(BaggingRegressor(
        DecisionTreeRegressor(), n_estimators=4, max_features=0.5, random_state=0)),
        FRAME.score),
}
TRUSTED = (*model_files.TRUSTED_TYPES, "functools.partial",
           "sklearn.utils.validation.check_array")  # what a pandas-output encoder asks for


@pytest.mark.parametrize("name", REAL)
def test_real_models_pass_and_predict_the_same(name: str) -> None:
    model, y = REAL[name]
    model.fit(X, y)
    loaded = load_model_bytes(model_bytes(model), trusted=TRUSTED)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("make", [decision_tree, boosted_trees], ids=["tree", "boosted"])
def test_crafted_trees_are_named(make, fault: str) -> None:
    expected = {"child out of range": "has a child index outside its",
                "cycle": "has a node whose child comes before it",
                "feature index": "splits on a feature index outside the model's 6 features"}
    with pytest.raises(TreeStructureError, match=expected[fault]):
        check_trees(make(FRAME, fault))


def _tree_with(edit) -> Pipeline:
    model = _onehot(DecisionTreeRegressor(max_depth=3, random_state=0)).fit(X, FRAME.score)
    state = model[-1].tree_.__getstate__()
    edit(state)
    model[-1].tree_.__setstate__(state)
    return model


def _internal(state) -> np.ndarray:
    return np.flatnonzero(state["nodes"]["left_child"] != -1)


def _share(state) -> None:  # two parents point at the same child; one node left orphaned
    nodes = state["nodes"]
    a, b = nodes["left_child"][0], nodes["right_child"][0]  # both split (depth 3)
    nodes["left_child"][a] = nodes["left_child"][b]


def _one_child(state) -> None:
    state["nodes"]["right_child"][_internal(state)[0]] = -1


def _nan_threshold(state) -> None:
    state["nodes"]["threshold"][0] = np.nan


def _depth_lie(state) -> None:
    state["max_depth"] = 1


def _infinite_value(state) -> None:
    state["values"][3, 0, 0] = np.inf


@pytest.mark.parametrize(("edit", "match"), [
    (_share, "shared by two parents or never reached"),
    (_one_child, "a node with one child only"),
    (_nan_threshold, "a split without a threshold"),
    (_depth_lie, "states a depth other than its own"),
    (_infinite_value, "a value that is not a finite number"),
])
def test_other_broken_trees_are_named(edit, match: str) -> None:
    with pytest.raises(TreeStructureError, match=match):
        check_trees(_tree_with(edit))


def test_forest_tree_wider_than_the_forest_is_refused() -> None:
    forest = RandomForestRegressor(2, random_state=0).fit(X[["income", "debts", "age"]],
                                                           FRAME.score)
    forest.n_features_in_ = 2  # the forest hands its trees rows of 2 columns
    with pytest.raises(TreeStructureError, match="claims 3 features but its model takes 2"):
        check_trees(forest)


def test_category_split_on_an_unmarked_column_is_refused() -> None:
    model = _codes(HistGradientBoostingRegressor(max_iter=3, categorical_features=["district"]))
    model.fit(X, FRAME.score)
    hgb = model[-1]
    hgb._bin_mapper.is_categorical_ = np.zeros_like(hgb._bin_mapper.is_categorical_)
    with pytest.raises(TreeStructureError, match="splits by category on a column not marked"):
        check_trees(model)


def test_gradient_boosting_layout_must_match_its_classes() -> None:
    model = GradientBoostingClassifier(n_estimators=3).fit(X[["income", "age"]], CLASSES3)
    model.estimators_ = model.estimators_[:, :2]
    with pytest.raises(TreeStructureError, match="trees in a layout other than its classes"):
        check_trees(model)


def test_unpacked_size_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:  # stored, not compressed: ratio 1
        archive.writestr("schema.json", "{}")
        archive.writestr("a.bin", np.random.default_rng(0).bytes(3 * 2**20))
    monkeypatch.setattr(model_files, "MAX_UNPACKED", 2**21)
    with pytest.raises(UnsafeModelError, match="unpacks to 3 MiB, over the 2 MiB limit"):
        model_files.check_archive(out.getvalue())
