"""SHAP for a model a user brings: any scikit-learn regressor or classifier, per original input.

The last step of a pipeline is explained on what the earlier steps output; encoded columns
(one-hot and the like) are folded back, by summing, onto the input each came from. The
explainer is exact where shap has an exact one:

- every scikit-learn tree model (decision trees, random forests, extra trees, gradient
  boosting, histogram gradient boosting): exact path-dependent TreeSHAP by the fast kernels
  of :mod:`explain.treeshap` (the trees flattened by :mod:`explain.sklearn_trees`), checked
  against the model's own output;
- LightGBM text and XGBoost JSON models (:mod:`explain.lightgbm_text`,
  :mod:`explain.xgboost_json`): the same kernels on their parsed trees;
- linear models: LinearExplainer (interventional, exact for a linear model), against the
  mean of the whole table;
- anything else: a permutation explainer over the original inputs, an approximation whose
  background size and evaluation count are recorded.

Classifiers are explained on the probability of the positive class (tree ensembles that
average probabilities, and the permutation explainer) or on its log-odds (boosted trees and
linear models, whose raw output is the log-odds); :class:`Method` says which.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from sesame_audit.model.core.bad_input import ModelFitError
from sesame_audit.model.explain.explanation import Explanation
from sesame_audit.model.explain.hgb_trees import native_categorical, trees_of
from sesame_audit.model.explain.permutation_shap import (
    REPEATS,
    Progress,
    permutation_shap,
    sample_positions,
    sample_text,
)
from sesame_audit.model.explain.saved_trees import SavedTrees
from sesame_audit.model.explain.sklearn_trees import as_tree_input, sklearn_trees
from sesame_audit.model.explain.treeshap import trees_shap_values

ADDITIVITY_TOLERANCE = 1e-4
_PROBABILITY_TREES = ("DecisionTreeClassifier", "RandomForestClassifier",
                      "ExtraTreesClassifier", "ExtraTreeClassifier")
_LOG_ODDS_TREES = ("GradientBoostingClassifier", "HistGradientBoostingClassifier",
                   "LightGBMTextClassifier", "XGBoostJSONClassifier")
_REGRESSION_TREES = ("DecisionTreeRegressor", "RandomForestRegressor", "ExtraTreesRegressor",
                     "ExtraTreeRegressor", "GradientBoostingRegressor",
                     "HistGradientBoostingRegressor", "LightGBMTextRegressor",
                     "XGBoostJSONRegressor")


@dataclass(frozen=True)
class Method:
    """How an imported model was explained.

    Attributes
    ----------
    explainer : str
        ``tree``, ``linear`` or ``permutation``.
    exact : bool
        Whether the SHAP values are exact for the model (not sampled).
    output : str
        What is explained: ``score`` (a regressor's prediction), ``probability`` or
        ``log_odds`` (of the positive class).
    note : str
        One sentence for the manifest and the screen.
    background_rows : int or None
        Rows of the background sample (permutation explainer only).
    max_evals : int or None
        Model evaluations per row (permutation explainer only), over both repeats.
    repeats : int or None
        Independent permutation runs averaged per row (permutation explainer only); their
        spread estimates the approximation error.
    error_median, error_max : float or None
        Estimated approximation error of a person's values, over the people: the largest
        standard error of one person's SHAP values, ``|a - b| / 2`` for the two repeats'
        values ``a`` and ``b``, in the output's units (permutation explainer only).
    max_additivity_error : float
        Largest gap between base + sum of SHAP values and the model's own output.
    explained_rows, table_rows : int or None
        People explained and people in the table; fewer are explained only when an
        approximate explainer was asked for a sample.
    sample_seed : int or None
        Seed of the random sample of people explained (see
        :func:`explain.permutation_shap.sample_positions`); None when everyone was.
    """

    explainer: str
    exact: bool
    output: str
    note: str
    background_rows: int | None = None
    max_evals: int | None = None
    repeats: int | None = None
    error_median: float | None = None
    error_max: float | None = None
    max_additivity_error: float = float("nan")
    explained_rows: int | None = None
    table_rows: int | None = None
    sample_seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return asdict(self)


def model_output(model: Any, X: pd.DataFrame, output: str, positive: int) -> np.ndarray:
    """Return the model's own output that the SHAP values must add up to.

    Parameters
    ----------
    model : estimator
        A fitted regressor or classifier (or pipeline).
    X : pandas.DataFrame
        Inputs.
    output : {"score", "probability", "log_odds"}
        Which output.
    positive : int
        Index of the positive class in ``model.classes_`` (classifiers).

    Returns
    -------
    numpy.ndarray
        One float per row.
    """
    if output == "score":
        return np.asarray(model.predict(X), dtype=np.float64)
    if output == "probability":
        return np.asarray(model.predict_proba(X), dtype=np.float64)[:, positive]
    margin = np.asarray(model.decision_function(X), dtype=np.float64)
    return margin if positive == 1 else -margin


def _trace(step: Any, names: list[str], owners: list[str]) -> tuple[list[str], list[str]]:
    """Follow columns through a fitted transformer: output names and the input each owes to."""
    if isinstance(step, Pipeline):
        for _, sub in step.steps:
            if sub not in (None, "passthrough"):
                names, owners = _trace(sub, names, owners)
        return names, owners
    if isinstance(step, ColumnTransformer):
        out_names = [str(n) for n in step.get_feature_names_out(names)]
        out_owners = [""] * len(out_names)
        for name, transformer, columns in step.transformers_:
            part = step.output_indices_.get(name, slice(0, 0))
            if part.stop == part.start:
                continue
            picked = [c if isinstance(c, int | np.integer) else names.index(str(c))
                      for c in np.atleast_1d(columns)]
            sub_names = [names[i] for i in picked]
            sub_owners = [owners[i] for i in picked]
            if not (isinstance(transformer, str) and transformer == "passthrough"):
                sub_names, sub_owners = _trace(transformer, sub_names, sub_owners)
            out_owners[part] = sub_owners
        return out_names, out_owners
    out_names = [str(n) for n in step.get_feature_names_out(names)]
    if len(out_names) == len(names):
        return out_names, list(owners)
    if len(names) == 1:
        return out_names, owners * len(out_names)
    out_owners = []
    for out in out_names:
        matches = [i for i, c in enumerate(names) if out == c or out.startswith(f"{c}_")]
        if not matches:
            raise ModelFitError(f"cannot tell which input the encoded column {out!r} of "
                                f"{type(step).__name__} comes from; encode columns one by one "
                                "(e.g. in a ColumnTransformer)")
        out_owners.append(owners[max(matches, key=lambda i: len(names[i]))])
    return out_names, out_owners


def _split(model: Any) -> tuple[Any | None, Any]:
    if isinstance(model, Pipeline):
        return (model[:-1] if len(model) > 1 else None), model[-1]
    return None, model


def _dense(values: Any) -> np.ndarray:
    if sparse.issparse(values):
        values = values.toarray()
    if isinstance(values, pd.DataFrame):
        values = values.to_numpy()
    return np.asarray(values, dtype=np.float64)


def natural_output(model: Any) -> str:
    """Return the output a model is explained on exactly: score, probability or log_odds.

    Parameters
    ----------
    model : estimator
        A fitted regressor or classifier (or pipeline).

    Returns
    -------
    str
        ``score`` for regressors; ``probability`` for averaged trees (random forests) and
        models with no exact explainer; ``log_odds`` for boosted trees and linear models.
    """
    if not is_classifier(model):
        return "score"
    _, last = _split(model)
    name = type(last).__name__
    if name in _LOG_ODDS_TREES or (hasattr(last, "coef_") and hasattr(last, "decision_function")
                                   and len(last.classes_) == 2):
        return "log_odds"
    return "probability"


def _fast_tree_shap(last: Any, raw: Any, positive: int) -> tuple[np.ndarray, float]:
    """Exact path-dependent TreeSHAP of a tree model by the fast kernels.

    The explained output is the one its trees add up to: a regressor's prediction, a
    forest's probability of class ``positive``, a boosted classifier's log-odds of it.
    ``raw`` is what the model takes; native categorical columns are followed through their
    codes and the values returned per column of ``raw``.
    """
    left_sets, owner = None, None
    if isinstance(last, SavedTrees):  # LightGBM text, XGBoost JSON: rows as they compare them
        trees, baseline, encoded = last.trees_, last.baseline_, last.tree_input(_dense(raw))
    elif isinstance(last, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        if getattr(last, "_preprocessor", None) is not None:  # native categorical features
            trees, baseline, left_sets, encoded, owner = native_categorical(last, raw)
        else:
            (trees, baseline), encoded = trees_of(last), _dense(raw)
    else:
        trees, baseline = sklearn_trees(last, positive=positive)
        return trees_shap_values(trees, baseline, as_tree_input(_dense(raw)),
                                 n_jobs=_threads())
    if is_classifier(last) and positive == 0:  # the trees add up to the log-odds of class 1
        trees, baseline = [_signed(nodes, -1.0) for nodes in trees], -baseline
    values, base_value = trees_shap_values(trees, baseline, encoded, n_jobs=_threads(),
                                           left_sets=left_sets)
    if owner is not None:  # encoded columns put back in the input's order
        values = values[:, np.argsort(owner)]
    return values, base_value


def _signed(nodes: np.ndarray, sign: float) -> np.ndarray:
    """A copy of a tree's node records with its values multiplied by ``sign``."""
    if sign == 1.0:
        return nodes
    flipped = nodes.copy()
    flipped["value"] *= sign
    return flipped


def _threads() -> int:
    """Threads for the kernels: ``OMP_NUM_THREADS`` when set, else every core."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return os.cpu_count() or 1


def _exact(model: Any, X: pd.DataFrame, output: str, positive: int
           ) -> tuple[str, np.ndarray, float, list[str]] | None:
    """SHAP on the last step, by TreeSHAP or LinearExplainer; None when neither applies."""
    import shap  # imported when first needed: importing shap takes seconds

    pre, last = _split(model)
    name = type(last).__name__
    inputs = list(X.columns)
    owners = _trace(pre, inputs, inputs)[1] if pre is not None else inputs
    raw = pre.transform(X) if pre is not None else X
    classifier = is_classifier(model)
    if ((not classifier and name in _REGRESSION_TREES)
            or (output == "probability" and name in _PROBABILITY_TREES)
            or (output == "log_odds" and name in _LOG_ODDS_TREES and len(last.classes_) == 2)):
        values, base_value = _fast_tree_shap(last, raw, positive)
        return "tree", values, base_value, owners
    if hasattr(last, "coef_") and (not classifier or (output == "log_odds"
                                                        and len(last.classes_) == 2)):
        encoded = _dense(raw)
        background = shap.maskers.Independent(encoded, max_samples=len(encoded))
        explainer = shap.LinearExplainer(last, background)
        kind = "linear"
    else:
        return None
    values = np.asarray(explainer.shap_values(encoded), dtype=np.float64)
    base = np.ravel(explainer.expected_value)
    if values.ndim == 3:  # one slice per class
        values, base_value = values[:, :, positive], float(base[positive])
    else:
        sign = -1.0 if classifier and output == "log_odds" and positive == 0 else 1.0
        values, base_value = sign * values, sign * float(base[0])
    return kind, values, base_value, owners


def _fold(values: np.ndarray, owners: list[str], inputs: list[str]) -> pd.DataFrame:
    folded = pd.DataFrame(0.0, index=range(len(values)), columns=inputs)
    for j, owner in enumerate(owners):
        if owner:
            folded[owner] += values[:, j]
    return folded


def _gap(base: float, frame: pd.DataFrame, target: np.ndarray) -> float:
    """Largest gap between base + sum of SHAP values and the model's output (inf for NaN)."""
    if len(frame) == 0:
        return 0.0
    gap = float(np.max(np.abs(base + frame.to_numpy(dtype=np.float64).sum(axis=1) - target)))
    return gap if np.isfinite(gap) else float("inf")


def explain_any(model: Any, X: pd.DataFrame, *, output: str, positive: int = 1,
                seed: int = 0, progress: Progress | None = None, sample: int | None = None
                ) -> tuple[Explanation, Method]:
    """Explain the rows of ``X`` in the model's ``output``, one SHAP column per input.

    Parameters
    ----------
    model : estimator
        A fitted scikit-learn regressor or classifier, or a pipeline ending in one.
    X : pandas.DataFrame
        The model's inputs, in its feature order.
    output : {"score", "probability", "log_odds"}
        What to explain (see :func:`natural_output` for the exact choice).
    positive : int
        Index of the positive class in ``model.classes_`` (classifiers).
    seed : int
        Seed of the permutation explainer's background sample and permutations, and of
        the sample of rows it explains.
    progress : callable, optional
        Called as ``progress(rows_done, rows, seconds_left)`` while the permutation
        explainer works (exact explainers take seconds and do not report).
    sample : int, optional
        When the explainer is approximate, explain only this many rows, drawn at random
        (:func:`explain.permutation_shap.sample_positions` with ``seed``); an exact
        explainer always explains every row.

    Returns
    -------
    explanation : Explanation
        Base value, float32 SHAP values per original input, the model's own output and,
        when approximate, each row's estimated error (``error``, see :class:`Method`); its
        index is the explained rows' labels in ``X`` (a sample's, in table order).
    method : Method
        Which explainer, whether exact, the largest additivity gap and, when approximate,
        the estimated error.

    Raises
    ------
    ModelFitError
        When even the permutation explainer's values do not add up to the model's output
        (beyond :data:`ADDITIVITY_TOLERANCE` relative to the output's spread). An exact
        explainer whose values miss the output (e.g. TreeSHAP on native categorical splits)
        is replaced by the permutation explainer, and the note says why.
    """
    start = time.perf_counter()
    target = model_output(model, X, output, positive)
    inputs = list(X.columns)
    spread = max(float(np.ptp(target)) if len(target) else 0.0, 1.0)
    why = f"no exact explainer for {type(_split(model)[1]).__name__}"
    try:
        exact = _exact(model, X, output, positive)
    except Exception as exc:  # e.g. string columns or an encoder that cannot be folded back
        exact = None
        why = f"the exact explainer failed ({(str(exc).splitlines() or [''])[0][:160]})"
    if exact is not None:
        kind, values, base, owners = exact
        frame = _fold(values, owners, inputs)
        method = Method(kind, True, output, (
            f"exact {'TreeSHAP (path-dependent)' if kind == 'tree' else 'linear SHAP'} "
            f"of the {output.replace('_', '-')}"
            + ("" if output == "score" else " of the positive class")
            + (", encoded columns summed back onto their input" if len(owners) > len(inputs)
               else "")))
        gap = _gap(base, frame, target)
        if gap > ADDITIVITY_TOLERANCE * spread:
            why = (f"exact {kind} SHAP missed the model's own {output} by up to {gap:.3g} "
                   "(e.g. native categorical splits)")
            exact = None
    explained = np.arange(len(X))
    if exact is None:
        sampled = sample is not None and sample < len(X)
        if sampled:
            explained = sample_positions(len(X), sample, seed)
            target = target[explained]
        values, base, rows, evals, error = permutation_shap(
            lambda frame: model_output(model, frame, output, positive), X.iloc[explained],
            seed=seed, progress=progress)
        frame = pd.DataFrame(values, columns=inputs)
        median = float(np.median(error)) if len(error) else 0.0
        top = float(error.max(initial=0.0))
        chosen = {"explained_rows": len(explained), "table_rows": len(X),
                  "sample_seed": seed if sampled else None}
        method = Method("permutation", False, output, (
            f"approximate permutation SHAP of the {output.replace('_', '-')}: {why}; "
            f"background of {rows} rows, {evals} model evaluations per row in {REPEATS} "
            f"independent runs, averaged; estimated error of a person's values: median "
            f"{median:.3g}, largest {top:.3g}"
            + (f"; {sample_text(chosen)}" if sampled else "")),
            background_rows=rows, max_evals=evals, repeats=REPEATS, error_median=median,
            error_max=top, **chosen)
        gap = _gap(base, frame, target)
        if gap > ADDITIVITY_TOLERANCE * spread:
            raise ModelFitError(f"the SHAP values miss the model's own {output} by up to "
                                f"{gap:.3g}; this model cannot be explained reliably")
    elapsed = time.perf_counter() - start
    frame.index = X.index[explained]
    explanation = Explanation(base=base, values=frame.astype(np.float32), prediction=target,
                              rows_per_second=len(frame) / elapsed if elapsed > 0
                              else float("nan"),
                              error=None if exact is not None else error)
    counts = {"explained_rows": len(frame), "table_rows": len(X)}
    return explanation, Method(**{**method.to_dict(), **counts, "max_additivity_error": gap})
