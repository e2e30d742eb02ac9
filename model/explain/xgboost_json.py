"""XGBoost models in XGBoost's JSON format, read without XGBoost and without pickle.

``Booster.save_model("model.json")`` writes a model as JSON: the learner's parameters (base
score, objective, feature names and types) and, per tree, arrays of children, split
features, split conditions, default directions and hessian sums. This module reads that
JSON with the ``json`` module, checks its structure strictly (types, array lengths, sizes,
each node reached once from the root, features in range, finite numbers) and turns the trees
into the node records of :mod:`explain.sklearn_trees`, in pre-order, so that the fast exact
TreeSHAP kernels (:mod:`explain.treeshap`) explain them with the hessian sums as cover, as
XGBoost's own ``predict(..., pred_contribs=True)`` does.

XGBoost compares in float32: a row goes left where ``float32(x) < threshold``. The kernels
send a row left where ``x <= threshold``; with the rows rounded to float32
(:meth:`XGBoostJSONRegressor.tree_input`) and each threshold replaced by the float32 just
below it, the two rules pick the same side for every value. A missing value (NaN) follows
the node's default direction. The margin is added up in float32 from the base score, tree
after tree, as XGBoost does, so that it equals XGBoost's own to the last bit.

The base score is stored as the objective's prediction (a probability for
``binary:logistic``, written ``"[5E-1]"`` by XGBoost 3 and ``"5E-1"`` by older versions);
the trees start from it in margin space (its logit for ``binary:logistic``).

Supported: ``gbtree`` boosters (with any number of parallel trees) on numeric features, the
objectives ``reg:squarederror``, ``reg:absoluteerror``, ``reg:pseudohubererror``,
``reg:quantileerror`` (one quantile), ``binary:logistic`` and ``binary:logitraw`` (explained
on the log-odds). Refused with the reason: categorical splits, multiclass or multi-target
models, ``dart`` and ``gblinear`` boosters and other objectives. All trees in the file are
used, as ``Booster.predict`` does (not a ``best_iteration`` of early stopping).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from sesame_audit.model.explain.saved_trees import (
    BinaryOutput,
    ParsedTrees,
    SavedTrees,
    ScoreOutput,
)
from sesame_audit.model.explain.sklearn_trees import NODE_DTYPE

__all__ = ["XGBoostJSONClassifier", "XGBoostJSONRegressor", "XGBoostModelError",
           "estimator_from_json", "parse_xgboost_json"]

SCORE_OBJECTIVES = ("reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror",
                    "reg:quantileerror")
BINARY_OBJECTIVES = ("binary:logistic", "binary:logitraw")
MAX_TREES = 100_000
MAX_NODES = 2_000_000  # per tree
MAX_TOTAL_NODES = 20_000_000
MAX_FEATURES = 100_000
_NAME_LIMIT = 200
_NUMERIC_TYPES = ("float", "int", "i", "q")


class XGBoostModelError(ValueError):
    """An XGBoost JSON model that is malformed or uses what cannot be explained exactly."""


def _get(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``obj[key]``, refused unless ``obj`` is an object holding a ``kind`` there."""
    if not isinstance(obj, dict):
        raise XGBoostModelError(f"{where} is not a JSON object")
    if key not in obj:
        raise XGBoostModelError(f"{where} has no {key!r}")
    value = obj[key]
    if not isinstance(value, kind):
        raise XGBoostModelError(f"{where}.{key} is not a JSON {_kind_name(kind)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "object", list: "array", str: "string", int: "number", float: "number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def _count(text: Any, where: str, low: int, high: int) -> int:
    """An integer written as a string (XGBoost writes its parameters so), in range."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise XGBoostModelError(f"{where} is not a number")
    try:
        value = int(text)
    except ValueError:
        raise XGBoostModelError(f"{where} is not a whole number") from None
    if not low <= value <= high:
        raise XGBoostModelError(f"{where} is {value}, outside {low}..{high}")
    return value


def _array(tree: dict[str, Any], key: str, n: int, where: str, *, integers: bool
           ) -> np.ndarray:
    """A tree's array of ``n`` numbers (integers, or 0/1 and booleans for flags), checked."""
    values = _get(tree, key, list, where)
    if len(values) != n:
        raise XGBoostModelError(f"{where}.{key} has {len(values)} values, expected {n}")
    allowed = (int, bool) if integers else (int, float)
    if not all(type(v) in allowed for v in values):
        raise XGBoostModelError(f"{where}.{key} holds something that is not a number")
    if integers:
        return np.array(values, dtype=np.int64)
    array = np.array(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise XGBoostModelError(f"{where}.{key} has a value that is not finite")
    return array


def _tree(tree: Any, n_features: int, where: str) -> np.ndarray:
    """One tree's JSON as node records in pre-order, checked."""
    param = _get(tree, "tree_param", dict, where)
    n = _count(param.get("num_nodes"), f"{where}.tree_param.num_nodes", 1, MAX_NODES)
    deleted = _count(param.get("num_deleted", "0"), f"{where}.tree_param.num_deleted", 0, n - 1)
    if _count(param.get("size_leaf_vector", "1"), f"{where}.tree_param.size_leaf_vector",
              0, MAX_FEATURES) > 1:
        raise XGBoostModelError(f"{where} has vector leaves (a multi-target model), which are "
                                "not supported")
    left = _array(tree, "left_children", n, where, integers=True)
    right = _array(tree, "right_children", n, where, integers=True)
    feature = _array(tree, "split_indices", n, where, integers=True)
    default_left = _array(tree, "default_left", n, where, integers=True)
    # Numbers are written as float32 in shortest form: rounding gives them back exactly.
    condition = _array(tree, "split_conditions", n, where, integers=False).astype(np.float32)
    cover = _array(tree, "sum_hessian", n, where, integers=False)
    if "split_type" in tree and _array(tree, "split_type", n, where, integers=True).any():
        raise XGBoostModelError(f"{where} has categorical splits, which are not supported: "
                                "encode those columns as numbers")
    is_leaf = left == -1
    if not np.array_equal(is_leaf, right == -1):
        raise XGBoostModelError(f"{where} has a node with one child only")
    inner = ~is_leaf
    if inner.any() and (feature[inner].min() < 0 or feature[inner].max() >= n_features):
        raise XGBoostModelError(f"{where} splits on a feature outside the model's "
                                f"{n_features} columns")
    if not np.isin(default_left, (0, 1)).all():
        raise XGBoostModelError(f"{where}.default_left holds a value other than 0 and 1")
    if cover.min() < 0 or (inner.any() and cover[inner].min() <= 0):
        raise XGBoostModelError(f"{where} has a negative hessian sum, or zero on a split")
    # x < t in float32 is x <= (the float32 just below t): the kernels' rule.
    below = np.nextafter(condition, np.float32(-np.inf)).astype(np.float64)
    condition = condition.astype(np.float64)
    nodes = np.zeros(n - deleted, dtype=NODE_DTYPE)
    seen = np.zeros(n, dtype=bool)
    lefts, rights = left.tolist(), right.tolist()
    stack: list[tuple[int, int, str]] = [(0, -1, "")]  # node, parent's new id, side
    order = 0
    while stack:
        ref, parent, side = stack.pop()
        if not 0 <= ref < n or seen[ref]:
            raise XGBoostModelError(f"{where} has a child out of range or reached twice")
        if order >= len(nodes):
            raise XGBoostModelError(f"{where} reaches more than its {len(nodes)} live nodes")
        seen[ref] = True
        if parent >= 0:
            nodes[side][parent] = order
        if is_leaf[ref]:
            nodes[order] = (condition[ref], cover[ref], 0, 0.0, 0, 0, 0, 1, 0)
        else:
            nodes[order] = (0.0, cover[ref], feature[ref], below[ref], default_left[ref],
                            0, 0, 0, 0)
            # Right is pushed first so that the left subtree is numbered first (pre-order).
            stack.extend([(rights[ref], order, "right"), (lefts[ref], order, "left")])
        order += 1
    if order != len(nodes):
        raise XGBoostModelError(f"{where} reaches {order} nodes from the root, but has "
                                f"{len(nodes)} live nodes")
    return nodes


def _base_margin(learner: dict[str, Any], objective: str) -> float:
    """The base score in margin space (its logit for ``binary:logistic``)."""
    param = _get(learner, "learner_model_param", dict, "learner")
    text = _get(param, "base_score", str, "learner.learner_model_param")
    try:
        values = [float(v) for v in text.strip().strip("[]").split(",")]
    except ValueError:
        raise XGBoostModelError("the base score is not a number") from None
    if len(values) != 1 or not math.isfinite(values[0]):
        raise XGBoostModelError("the base score is not one finite number (a multi-target "
                                "model?)")
    base = float(np.float32(values[0]))
    if objective != "binary:logistic":
        return base
    if not 0.0 < base < 1.0:
        raise XGBoostModelError(f"the base score {base} of binary:logistic is not a "
                                "probability strictly between 0 and 1")
    # XGBoost: -logf(1.0f / base_score - 1.0f). The quotient in float32, its logarithm
    # rounded once to float32 (numpy's float32 log can miss that by one unit).
    odds = float(np.float32(1.0) / np.float32(base) - np.float32(1.0))
    return float(np.float32(-math.log(odds)))


def _feature_names(learner: dict[str, Any], n_features: int) -> list[str] | None:
    names = learner.get("feature_names", [])
    types = learner.get("feature_types", [])
    for what, values in (("feature_names", names), ("feature_types", types)):
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise XGBoostModelError(f"learner.{what} is not an array of strings")
        if values and len(values) != n_features:
            raise XGBoostModelError(f"learner.{what} has {len(values)} entries for "
                                    f"{n_features} columns")
    categorical = [i for i, t in enumerate(types) if t not in _NUMERIC_TYPES]
    if categorical:
        raise XGBoostModelError(f"feature {categorical[0]} has type {types[categorical[0]]!r} "
                                "(categorical): only numeric features are supported")
    for i, name in enumerate(names):
        if not 0 < len(name) <= _NAME_LIMIT or any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise XGBoostModelError(f"feature name {i} is empty, too long or has control "
                                    "characters")
    return names or None


def _loads(text: str) -> Any:
    """The JSON document, refusing NaN/Infinity literals and over-deep nesting."""
    def constant(name: str) -> Any:
        raise XGBoostModelError(f"the JSON holds {name}, which is not a JSON number")

    try:
        return json.loads(text, parse_constant=constant)
    except RecursionError:
        raise XGBoostModelError("the JSON is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of too many digits
        if isinstance(exc, XGBoostModelError):
            raise
        raise XGBoostModelError(f"not an XGBoost JSON model: {str(exc)[:120]}") from None


def parse_xgboost_json(text: str) -> ParsedTrees:
    """Parse and check an XGBoost JSON model (``Booster.save_model("m.json")``'s output).

    Parameters
    ----------
    text : str
        Contents of the model file.

    Returns
    -------
    ParsedTrees
        The checked trees, the feature names (None when the model names none), the kind of
        objective and the base score in margin space.

    Raises
    ------
    XGBoostModelError
        Naming what is malformed or not supported.

    Examples
    --------
    >>> import xgboost, numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> booster = xgboost.train({"nthread": 1}, xgboost.DMatrix(X, X[:, 0]), 3)
    >>> parsed = parse_xgboost_json(booster.save_raw("json").decode())
    >>> len(parsed.trees), parsed.feature_names, parsed.objective
    (3, None, 'score')
    """
    document = _loads(text)
    learner = _get(document, "learner", dict, "the model")
    objective = _get(_get(learner, "objective", dict, "learner"), "name", str,
                     "learner.objective")
    param = _get(learner, "learner_model_param", dict, "learner")
    if _count(param.get("num_class", "0"), "num_class", 0, 10**6) > 1 or _count(
            param.get("num_target", "1"), "num_target", 0, 10**6) > 1:
        raise XGBoostModelError("multiclass and multi-target XGBoost models are not supported")
    if objective not in SCORE_OBJECTIVES + BINARY_OBJECTIVES:
        raise XGBoostModelError(f"objective {objective[:60]!r} is not supported (supported: "
                                + ", ".join(SCORE_OBJECTIVES + BINARY_OBJECTIVES) + ")")
    n_features = _count(param.get("num_feature"), "learner.learner_model_param.num_feature",
                        1, MAX_FEATURES)
    booster = _get(learner, "gradient_booster", dict, "learner")
    name = _get(booster, "name", str, "learner.gradient_booster")
    if name != "gbtree":
        raise XGBoostModelError(f"booster {name[:40]!r} is not supported (only gbtree)")
    model = _get(booster, "model", dict, "learner.gradient_booster")
    trees = _get(model, "trees", list, "the booster's model")
    if not trees:
        raise XGBoostModelError("the model has no trees")
    if len(trees) > MAX_TREES:
        raise XGBoostModelError(f"the model has {len(trees)} trees, more than {MAX_TREES}")
    info = _get(model, "tree_info", list, "the booster's model")
    if len(info) != len(trees) or any(v != 0 or isinstance(v, bool) for v in info):
        raise XGBoostModelError("tree_info does not give every tree to the one output")
    if sum(len(t.get("left_children", [])) if isinstance(t, dict) else 0
           for t in trees) > MAX_TOTAL_NODES:
        raise XGBoostModelError(f"the model has more than {MAX_TOTAL_NODES} nodes")
    names = _feature_names(learner, n_features)
    baseline = _base_margin(learner, objective)
    parsed = [_tree(tree, n_features, f"tree {i}") for i, tree in enumerate(trees)]
    kind = "binary" if objective in BINARY_OBJECTIVES else "score"
    return ParsedTrees(parsed, names, kind, baseline, n_features)


class _XGBoostJSON(SavedTrees):
    """An XGBoost JSON model as a scikit-learn estimator; it keeps only the JSON text."""

    _format = "XGBoost JSON"
    _sum_dtype = np.float32  # XGBoost adds base score and leaf values in float32

    @classmethod
    def _parse(cls, text: str) -> ParsedTrees:
        return parse_xgboost_json(text)

    def tree_input(self, X: np.ndarray) -> np.ndarray:
        """Return the rows rounded to float32, as XGBoost reads them, held in float64.

        Parameters
        ----------
        X : numpy.ndarray
            Rows in float64 (NaN is missing).

        Returns
        -------
        numpy.ndarray
            The rows rounded to float32, as float64.
        """
        return np.asarray(X, dtype=np.float32).astype(np.float64)


class XGBoostJSONRegressor(RegressorMixin, ScoreOutput, _XGBoostJSON):
    """An XGBoost regression model read from its JSON file; ``predict`` is the margin."""


class XGBoostJSONClassifier(ClassifierMixin, BinaryOutput, _XGBoostJSON):
    """An XGBoost binary model read from its JSON file; classes are 0 and 1."""


def estimator_from_json(text: str) -> XGBoostJSONRegressor | XGBoostJSONClassifier:
    """Parse an XGBoost JSON model and wrap it as a scikit-learn estimator.

    Parameters
    ----------
    text : str
        Contents of the model file.

    Returns
    -------
    XGBoostJSONRegressor or XGBoostJSONClassifier
        By the model's objective.

    Raises
    ------
    XGBoostModelError
        As :func:`parse_xgboost_json`.
    """
    parsed = parse_xgboost_json(text)
    model = (XGBoostJSONClassifier if parsed.objective == "binary"
             else XGBoostJSONRegressor)(text)
    model.__dict__["_trees"] = parsed
    return model
