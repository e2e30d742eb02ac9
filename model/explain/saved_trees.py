"""Tree models read from their own library's file format, as scikit-learn estimators.

A LightGBM text model (:mod:`explain.lightgbm_text`) or an XGBoost JSON model
(:mod:`explain.xgboost_json`) is parsed by the project itself into the node records of
:mod:`explain.sklearn_trees` plus a baseline (the output before any tree). This module holds
what both share: the parsed form (:class:`ParsedTrees`), the compiled walker that sums the
leaves each row reaches (:func:`raw_score`), and the estimator base class that keeps only
the file's text, parses and checks it again when loaded, and computes ``predict``,
``predict_proba`` and ``decision_function`` from the parsed trees. Nothing is unpickled and
the library that trained the model is not needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike
from sklearn.base import BaseEstimator

from sesame_audit.model.explain.compiled import kernel

__all__ = ["BinaryOutput", "ParsedTrees", "SavedTrees", "ScoreOutput", "raw_score"]


@dataclass(frozen=True)
class ParsedTrees:
    """A parsed tree model.

    Attributes
    ----------
    trees : list of numpy.ndarray
        Node records (``NODE_DTYPE``) of each tree in pre-order; ``baseline`` plus the leaf
        values a row reaches is the raw score (log-odds for a binary model).
    feature_names : list of str or None
        The model's columns, in order; None when the file names none.
    objective : str
        ``score`` (the raw score is the prediction) or ``binary``.
    baseline : float, default=0.0
        The raw score before any tree.
    n_features : int, default=0
        Number of columns the model reads (the length of ``feature_names`` when named).
    """

    trees: list[np.ndarray]
    feature_names: list[str] | None
    objective: str
    baseline: float = 0.0
    n_features: int = 0


@kernel(nogil=True)
def _walk_kernel(X, tree_start, feature, threshold, missing_left, left, right, is_leaf, value,
                 start, single, out):  # pragma: no cover - compiled
    """Write ``start`` plus the leaf value each row reaches in every tree, added in order.

    A row goes left where ``x <= threshold``, or where ``x`` is NaN and the node sends
    missing values left. With ``single`` the total is kept in float32, as XGBoost keeps it.
    """
    n_trees = tree_start.shape[0] - 1
    for i in range(X.shape[0]):
        total = start
        total32 = np.float32(start)
        for t in range(n_trees):
            s = tree_start[t]
            node = s
            while not is_leaf[node]:
                x = X[i, feature[node]]
                if x <= threshold[node] or (np.isnan(x) and missing_left[node]):
                    node = s + left[node]
                else:
                    node = s + right[node]
            if single:
                total32 += np.float32(value[node])
            else:
                total += value[node]
        out[i] = np.float64(total32) if single else total


def raw_score(trees: list[np.ndarray], X: np.ndarray, *, start: float = 0.0,
              dtype: DTypeLike = np.float64) -> np.ndarray:
    """Sum of the leaf values each row reaches, walking the node records (compiled).

    A row goes left where ``x <= num_threshold``, or where ``x`` is NaN and the node sends
    missing values left. The trees must be checked trees whose children come after their
    parents (as the parsers of this package return them).

    Parameters
    ----------
    trees : list of numpy.ndarray
        Node records (``NODE_DTYPE``), children after their parents.
    X : numpy.ndarray of shape (n_rows, n_features)
        Rows (NaN is missing).
    start : float, default=0.0
        The total before the first tree.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Precision of the running total (float32 adds as XGBoost does).

    Returns
    -------
    numpy.ndarray
        One float64 per row: ``start`` plus the trees' leaf values, added in tree order.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    nodes = np.concatenate(trees)
    n_features = 1 + int(nodes["feature_idx"].max(initial=0))
    if X.ndim != 2 or X.shape[1] < n_features:
        raise ValueError(f"X must have at least {n_features} columns, got shape {X.shape}")
    tree_start = np.cumsum([0] + [len(t) for t in trees]).astype(np.int64)
    out = np.empty(len(X))
    _walk_kernel(X, tree_start, np.ascontiguousarray(nodes["feature_idx"], dtype=np.int64),
                 np.ascontiguousarray(nodes["num_threshold"], dtype=np.float64),
                 nodes["missing_go_to_left"].astype(np.bool_),
                 np.ascontiguousarray(nodes["left"], dtype=np.int64),
                 np.ascontiguousarray(nodes["right"], dtype=np.int64),
                 nodes["is_leaf"].astype(np.bool_),
                 np.ascontiguousarray(nodes["value"], dtype=np.float64), float(start),
                 np.dtype(dtype) == np.float32, out)
    return out


class SavedTrees(BaseEstimator):
    """A tree model kept as its file's text, parsed and checked when first used.

    Subclasses name the format and parse it (:meth:`_parse`); they may round the rows as
    the library compares them (:meth:`tree_input`) and add the leaf values in the
    library's precision (``_sum_dtype``).

    Parameters
    ----------
    text : str, default=""
        Contents of the model file.
    """

    _format = "saved"
    _sum_dtype: DTypeLike = np.float64  # precision in which the trees' leaf values are added

    def __init__(self, text: str = "") -> None:
        self.text = text

    @classmethod
    def _parse(cls, text: str) -> ParsedTrees:  # pragma: no cover - always overridden
        raise NotImplementedError

    def _parsed(self) -> ParsedTrees:
        parsed = self.__dict__.get("_trees")
        if parsed is None:
            parsed = self.__dict__["_trees"] = self._parse(self.text)
        return parsed

    @property
    def n_features_in_(self) -> int:
        """Number of columns the model reads."""
        return self._parsed().n_features

    @property
    def feature_names_in_(self) -> np.ndarray:
        """The model's column names (AttributeError when the file names none)."""
        names = self._parsed().feature_names
        if names is None:
            raise AttributeError("the model file names no columns")
        return np.asarray(names, dtype=object)

    @property
    def trees_(self) -> list[np.ndarray]:
        """Node records of the trees, leaf values adding up to the raw score less baseline."""
        return self._parsed().trees

    @property
    def baseline_(self) -> float:
        """The raw score before any tree."""
        return self._parsed().baseline

    def tree_input(self, X: np.ndarray) -> np.ndarray:
        """Return the rows as the trees compare them (here: float64 as given).

        Parameters
        ----------
        X : numpy.ndarray
            Rows in float64 (NaN is missing).

        Returns
        -------
        numpy.ndarray
            The rows, as float64.
        """
        return np.asarray(X, dtype=np.float64)

    def __sklearn_is_fitted__(self) -> bool:
        return bool(self.text)

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        return f"{type(self).__name__}(<{self._format} model of {len(self.text):,} characters>)"

    def fit(self, X: Any, y: Any) -> SavedTrees:
        """Refuse: the model is read from its file and trained by its own library only.

        Raises
        ------
        TypeError
            Always.
        """
        raise TypeError(f"a {self._format} model is read, not fitted: train it with its "
                        "own library")

    def __getstate__(self) -> dict[str, Any]:
        return {"text": self.text}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.text = str(state.get("text", ""))
        self._parsed()  # parsed and checked on loading

    def decision_function(self, X: Any) -> np.ndarray:
        """Return the raw score (log-odds for a binary model) of each row."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} columns, got shape {X.shape}")
        return raw_score(self.trees_, self.tree_input(X), start=self.baseline_,
                         dtype=self._sum_dtype)


class ScoreOutput:
    """Regression: ``predict`` is the raw score."""

    def predict(self, X: Any) -> np.ndarray:
        """Return the model's prediction of each row."""
        return self.decision_function(X)  # type: ignore[attr-defined]


class BinaryOutput:
    """Binary classification on the log-odds; classes are 0 and 1."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return the probabilities of class 0 and class 1 of each row."""
        one = 1.0 / (1.0 + np.exp(-self.decision_function(X)))  # type: ignore[attr-defined]
        return np.column_stack([1.0 - one, one])

    def predict(self, X: Any) -> np.ndarray:
        """Return class 1 where its probability exceeds one half, else 0."""
        return (self.decision_function(X) > 0).astype(int)  # type: ignore[attr-defined]
