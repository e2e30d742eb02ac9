"""Tree models read from their own library's file format, as scikit-learn estimators.

A LightGBM text model (:mod:`explain.lightgbm_text`) or an XGBoost JSON model
(:mod:`explain.xgboost_json`) is parsed by the project itself into the node records of
:mod:`explain.sklearn_trees` plus a baseline (the output before any tree). This module holds
what both share: the parsed form (:class:`ParsedTrees`), the numpy walker that sums the
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


def raw_score(trees: list[np.ndarray], X: np.ndarray, *, start: float = 0.0,
              dtype: DTypeLike = np.float64) -> np.ndarray:
    """Sum of the leaf values each row reaches, walking the node records in numpy.

    A row goes left where ``x <= num_threshold``, or where ``x`` is NaN and the node sends
    missing values left.

    Parameters
    ----------
    trees : list of numpy.ndarray
        Node records (``NODE_DTYPE``), children after their parents.
    X : numpy.ndarray of shape (n_rows, n_features)
        Rows (NaN is missing).
    start : float, default=0.0
        The total before the first tree.
    dtype : dtype-like, default=numpy.float64
        Precision of the running total (float32 adds as XGBoost does).

    Returns
    -------
    numpy.ndarray
        One float64 per row: ``start`` plus the trees' leaf values, added in tree order.
    """
    X = np.asarray(X, dtype=np.float64)
    rows = np.arange(len(X))
    total = np.full(len(X), start, dtype=dtype)
    for nodes in trees:
        at = np.zeros(len(X), dtype=np.int64)
        while True:
            inner = ~nodes["is_leaf"][at].astype(bool)
            if not inner.any():
                break
            here = at[inner]
            x = X[rows[inner], nodes["feature_idx"][here]]
            go_left = (x <= nodes["num_threshold"][here]) | (
                np.isnan(x) & nodes["missing_go_to_left"][here].astype(bool))
            at[inner] = np.where(go_left, nodes["left"][here], nodes["right"][here])
        total += nodes["value"][at].astype(dtype)
    return total.astype(np.float64)


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
