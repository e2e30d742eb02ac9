"""LightGBM models in LightGBM's own text format, read without LightGBM and without pickle.

``Booster.save_model("model.txt")`` writes a model as plain text: a header (objective,
feature names) and, per tree, arrays of split features, thresholds, decision types,
children, leaf values and the training counts of every node. This module parses that text
itself, checks that every tree is a proper tree over the model's columns (each node reached
once from the root, children in range, features in range, finite numbers), and turns the
trees into the node records of :mod:`explain.sklearn_trees`, in pre-order, so that the fast
exact TreeSHAP kernels (:mod:`explain.treeshap`) explain them. The values equal LightGBM's
own ``predict(X, pred_contrib=True)``: the same path-dependent TreeSHAP, with node counts
as cover.

Supported: regression objectives whose prediction is the raw score (``regression``,
``regression_l1``, ``huber``, ``fair``, ``quantile``, ``mape``) and ``binary`` (explained on
the log-odds); numerical splits with any missing-value rule LightGBM writes (NaN as missing,
none: NaN read as 0, or zero as missing where the threshold keeps zeros on the default
side). Refused with the reason: categorical splits, linear trees, multiclass and other
objectives.

:class:`LightGBMTextRegressor` and :class:`LightGBMTextClassifier` wrap a parsed model as a
scikit-learn estimator (``predict``, ``predict_proba``, ``decision_function``), computed from
the parsed trees. They keep only the text: a saved copy is parsed and checked again when
loaded.
"""

from __future__ import annotations

import math
import re

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from sesame_audit.model.explain.saved_trees import (
    BinaryOutput,
    ParsedTrees,
    SavedTrees,
    ScoreOutput,
    raw_score,
)
from sesame_audit.model.explain.sklearn_trees import NODE_DTYPE

__all__ = ["LightGBMModelError", "LightGBMTextClassifier", "LightGBMTextRegressor",
           "estimator_from_text", "parse_lightgbm_text", "raw_score"]

_SCORE_OBJECTIVES = ("regression", "regression_l1", "huber", "fair", "quantile", "mape")
_ZERO = 1e-35  # LightGBM's kZeroThreshold: |x| <= this counts as zero
_MAX_TREES = 100_000
_MAX_LEAVES = 1_000_000


class LightGBMModelError(ValueError):
    """A LightGBM text model that is malformed or uses what cannot be explained exactly."""


_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


def _check_feature_names(names: list[str]) -> None:
    """Refuse feature names with control characters or over 200 characters."""
    for i, name in enumerate(names):
        if not _NAME.match(name):
            raise LightGBMModelError(f"feature name {i} is empty, too long or has control "
                                     "characters")


def _numbers(fields: dict[str, str], key: str, count: int, where: str, kind: type = float
             ) -> np.ndarray:
    text = fields.get(key)
    if text is None:
        raise LightGBMModelError(f"{where} has no {key}")
    try:
        values = np.array([kind(v) for v in text.split()], dtype=np.float64 if kind is float
                          else np.int64)
    except ValueError:
        raise LightGBMModelError(f"{where} has a {key} that is not a list of numbers") from None
    if len(values) != count:
        raise LightGBMModelError(f"{where} has {len(values)} {key} values, expected {count}")
    if kind is float and not np.isfinite(values).all() and key != "threshold":
        raise LightGBMModelError(f"{where} has a {key} that is not finite")
    return values


def _tree(fields: dict[str, str], n_features: int, scale: float, where: str) -> np.ndarray:
    """One tree's fields as node records in pre-order, checked."""
    try:
        n_leaves = int(fields.get("num_leaves", ""))
    except ValueError:
        raise LightGBMModelError(f"{where} has no num_leaves") from None
    if not 1 <= n_leaves <= _MAX_LEAVES:
        raise LightGBMModelError(f"{where} has {n_leaves} leaves")
    if fields.get("num_cat", "0") != "0":
        raise LightGBMModelError(f"{where} has categorical splits, which are not supported: "
                                 "encode those columns as numbers and train without "
                                 "categorical_feature")
    if fields.get("is_linear", "0") != "0":
        raise LightGBMModelError(f"{where} is a linear tree, which is not supported")
    leaf_value = _numbers(fields, "leaf_value", n_leaves, where) * scale
    if n_leaves == 1:
        nodes = np.zeros(1, dtype=NODE_DTYPE)
        nodes["is_leaf"], nodes["value"], nodes["count"] = 1, leaf_value[0], 1.0
        return nodes
    n_inner = n_leaves - 1
    feature = _numbers(fields, "split_feature", n_inner, where, int)
    threshold = _numbers(fields, "threshold", n_inner, where)
    decision = _numbers(fields, "decision_type", n_inner, where, int)
    left = _numbers(fields, "left_child", n_inner, where, int)
    right = _numbers(fields, "right_child", n_inner, where, int)
    leaf_count = _numbers(fields, "leaf_count", n_leaves, where)
    inner_count = _numbers(fields, "internal_count", n_inner, where)
    if feature.min() < 0 or feature.max() >= n_features:
        raise LightGBMModelError(f"{where} splits on a feature outside the model's "
                                 f"{n_features} columns")
    if np.isnan(threshold).any():
        raise LightGBMModelError(f"{where} has a threshold that is not a number")
    if (decision & 1).any():
        raise LightGBMModelError(f"{where} has categorical splits, which are not supported")
    if np.concatenate([leaf_count, inner_count]).min() < 0:
        raise LightGBMModelError(f"{where} has a negative count")
    default_left = (decision & 2) > 0
    missing = (decision >> 2) & 3  # 0 none (NaN read as 0), 1 zero, 2 NaN
    # NaN goes where the kernels send it: the default side, or where 0 goes for "none".
    nan_left = np.where(missing == 0, threshold >= 0.0, default_left)
    zero_split = (missing == 1) & ~np.where(default_left, threshold >= _ZERO,
                                            threshold < -_ZERO)
    if zero_split.any():
        raise LightGBMModelError(f"{where} treats zero as missing with a threshold between "
                                 "zeros, which is not supported")
    # Children: i >= 0 is internal node i, ~j is leaf j. Walk from the root in pre-order.
    nodes = np.zeros(2 * n_leaves - 1, dtype=NODE_DTYPE)
    seen_inner = np.zeros(n_inner, dtype=bool)
    seen_leaf = np.zeros(n_leaves, dtype=bool)
    stack, order = [0], 0
    slot_of_parent: list[tuple[int, str]] = []
    while stack:
        ref = stack.pop()
        here = order
        order += 1
        if slot_of_parent:
            parent, side = slot_of_parent.pop()
            nodes[side][parent] = here
        if ref < 0:
            leaf = ~ref
            if leaf >= n_leaves or seen_leaf[leaf]:
                raise LightGBMModelError(f"{where} has a leaf out of range or reached twice")
            seen_leaf[leaf] = True
            nodes[here] = (leaf_value[leaf], leaf_count[leaf], 0, 0.0, 0, 0, 0, 1, 0)
            continue
        if ref >= n_inner or seen_inner[ref]:
            raise LightGBMModelError(f"{where} has a node out of range or reached twice")
        seen_inner[ref] = True
        nodes[here] = (0.0, inner_count[ref], feature[ref], threshold[ref], nan_left[ref],
                       0, 0, 0, 0)
        # Right is pushed first so that the left subtree is numbered first (pre-order).
        stack.extend([int(right[ref]), int(left[ref])])
        slot_of_parent.extend([(here, "right"), (here, "left")])
        if order + len(stack) > 2 * n_leaves - 1:
            raise LightGBMModelError(f"{where} has more nodes than its {n_leaves} leaves allow")
    if not (seen_leaf.all() and seen_inner.all()):
        raise LightGBMModelError(f"{where} has nodes never reached from the root")
    return nodes


def _blocks(text: str) -> tuple[dict[str, str], list[tuple[str, dict[str, str]]]]:
    """The header's fields and each tree's fields, as ``key=value`` text."""
    header: dict[str, str] = {}
    trees: list[tuple[str, dict[str, str]]] = []
    current = header
    for line in text.splitlines():
        line = line.strip()
        if line == "end of trees":
            break
        if line.startswith("Tree="):
            if len(trees) >= _MAX_TREES:
                raise LightGBMModelError(f"more than {_MAX_TREES} trees")
            trees.append((line, {}))
            current = trees[-1][1]
        elif "=" in line:
            key, value = line.split("=", 1)
            current[key] = value
    return header, trees


def parse_lightgbm_text(text: str) -> ParsedTrees:
    """Parse and check a LightGBM text model (``Booster.save_model``'s output).

    Parameters
    ----------
    text : str
        Contents of the model file.

    Returns
    -------
    ParsedTrees
        The checked trees, the feature names and the kind of objective (baseline 0: the
        trees hold it).

    Raises
    ------
    LightGBMModelError
        Naming what is malformed or not supported.

    Examples
    --------
    >>> import lightgbm, numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> booster = lightgbm.train({"verbose": -1}, lightgbm.Dataset(X, X[:, 0]), 3)
    >>> parsed = parse_lightgbm_text(booster.model_to_string())
    >>> len(parsed.trees), parsed.feature_names, parsed.objective
    (3, ['Column_0', 'Column_1', 'Column_2'], 'score')
    """
    if not text.startswith("tree\n") and not text.startswith("tree\r\n"):
        raise LightGBMModelError("not a LightGBM text model (it should start with 'tree')")
    header, blocks = _blocks(text)
    objective = header.get("objective", "").split()
    name = objective[0] if objective else ""
    if header.get("num_class", "1") != "1" or header.get("num_tree_per_iteration", "1") != "1":
        raise LightGBMModelError("multiclass LightGBM models are not supported")
    scale = 1.0
    if name == "binary":
        sigmoid = [o.split(":", 1)[1] for o in objective[1:] if o.startswith("sigmoid:")]
        scale = float(sigmoid[0]) if sigmoid else 1.0
        if not (math.isfinite(scale) and scale > 0):
            raise LightGBMModelError("the binary objective's sigmoid is not a positive number")
    elif name not in _SCORE_OBJECTIVES:
        raise LightGBMModelError(
            f"objective {name or '(none)'!r} is not supported (supported: binary, "
            + ", ".join(_SCORE_OBJECTIVES) + ")")
    try:
        n_features = int(header.get("max_feature_idx", "")) + 1
    except ValueError:
        raise LightGBMModelError("the model names no max_feature_idx") from None
    names = header.get("feature_names", "").split()
    if len(names) != n_features or not 0 < n_features <= 100_000:
        raise LightGBMModelError(f"the model has {len(names)} feature names for {n_features} "
                                 "columns")
    _check_feature_names(names)
    if not blocks:
        raise LightGBMModelError("the model has no trees")
    for i, (title, _) in enumerate(blocks):
        if title != f"Tree={i}":
            raise LightGBMModelError(f"tree {i} is labelled {title!r}")
    trees = [_tree(fields, n_features, scale, title.replace("=", " ").lower())
             for title, fields in blocks]
    return ParsedTrees(trees, names, "binary" if name == "binary" else "score", 0.0,
                       n_features)


class _LightGBMText(SavedTrees):
    """A LightGBM text model as a scikit-learn estimator; it keeps only the text."""

    _format = "LightGBM text"

    @classmethod
    def _parse(cls, text: str) -> ParsedTrees:
        return parse_lightgbm_text(text)


class LightGBMTextRegressor(RegressorMixin, ScoreOutput, _LightGBMText):
    """A LightGBM regression model read from its text file; ``predict`` is the raw score."""


class LightGBMTextClassifier(ClassifierMixin, BinaryOutput, _LightGBMText):
    """A LightGBM binary model read from its text file; classes are 0 and 1."""


def estimator_from_text(text: str) -> LightGBMTextRegressor | LightGBMTextClassifier:
    """Parse a LightGBM text model and wrap it as a scikit-learn estimator.

    Parameters
    ----------
    text : str
        Contents of the model file.

    Returns
    -------
    LightGBMTextRegressor or LightGBMTextClassifier
        By the model's objective.

    Raises
    ------
    LightGBMModelError
        As :func:`parse_lightgbm_text`.
    """
    parsed = parse_lightgbm_text(text)
    model = (LightGBMTextClassifier if parsed.objective == "binary"
             else LightGBMTextRegressor)(text)
    model.__dict__["_trees"] = parsed
    return model
