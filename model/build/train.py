"""The score under audit: a scikit-learn pipeline that learns the published score.

Categorical inputs are ordinal-encoded into integer codes before a
HistGradientBoostingRegressor with no native categorical splits: shap's TreeExplainer
mis-explains native categorical splits, while integer codes keep one column per input, so
SHAP values stay exact and need no folding.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from sesame_audit.model.core.roles import Roles


@dataclass(frozen=True)
class TreeParams:
    """Size of the boosted trees: a speed/accuracy trade-off measured in ``bench/``.

    TreeSHAP cost grows with trees x leaves x depth^2. Measured at 20,000 people on every
    preset, 300 trees of 7 leaves reach the held-out R2 of 300 trees of 15 leaves or 200 of
    31 (0.96-0.98 against the noisy score, 0.99 against the hidden one) at 2-7x the SHAP
    throughput (see ``bench/results``).
    """

    max_iter: int = 300
    max_leaf_nodes: int = 7
    learning_rate: float = 0.15
    min_samples_leaf: int = 20
    l2_regularization: float = 1.0


CAPACITIES = (7, 15, 31)
SELECTION_ROWS = 50_000
SELECTION_TOLERANCE = 0.003


def choose_capacity(train: pd.DataFrame, roles: Roles, *, seed: int = 0,
                    base: TreeParams | None = None) -> tuple[TreeParams, dict[int, float]]:
    """Choose the trees' size for this run by validation, not a fixed preset size.

    Each size of :data:`CAPACITIES` (leaves per tree) is fitted on 80% of the training rows
    (at most :data:`SELECTION_ROWS` of them) and scored on the other 20%; the smallest size
    within :data:`SELECTION_TOLERANCE` of the best validation R2 is kept (smaller trees explain
    faster). A policy with steps or interactions gets larger trees; a smooth one keeps 7.

    Parameters
    ----------
    train : pandas.DataFrame
        The training split (the held-out split is never seen here).
    roles : Roles
        Column roles.
    seed : int
        Seed of the sample, the validation split and the trees.
    base : TreeParams, optional
        The other tree settings.

    Returns
    -------
    params : TreeParams
        The chosen size.
    scores : dict
        Leaves per tree -> validation R2.
    """
    base = base or TreeParams()
    rows = train.sample(n=min(len(train), SELECTION_ROWS), random_state=seed)
    fit, check = train_test_split(rows, test_size=0.2, random_state=seed)
    y_fit = fit[roles.target].to_numpy(dtype=float)
    y_check = check[roles.target].to_numpy(dtype=float)
    scores = {}
    for leaves in CAPACITIES:
        params = replace(base, max_leaf_nodes=leaves)
        model = make_pipeline(roles, params=params, seed=seed).fit(fit[list(roles.inputs)], y_fit)
        scores[leaves] = float(r2_score(y_check, model.predict(check[list(roles.inputs)])))
    best = max(scores.values())
    chosen = min(leaves for leaves, r2 in scores.items() if r2 >= best - SELECTION_TOLERANCE)
    return replace(base, max_leaf_nodes=chosen), scores


def make_pipeline(roles: Roles, *, params: TreeParams | None = None, seed: int = 0,
                  classifier: bool = False) -> Pipeline:
    """Return an unfitted pipeline: ordinal encoding of categories, then boosted trees.

    Parameters
    ----------
    roles : Roles
        Which inputs are categorical; the pipeline reads ``roles.inputs`` in that order.
    params : TreeParams, optional
        Tree sizes; defaults to :class:`TreeParams`.
    seed : int
        Random state of the trees.
    classifier : bool, default=False
        Whether the trees classify (HistGradientBoostingClassifier) rather than regress.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``encode`` and ``trees``; the encoder outputs a frame with the input names.
    """
    p = params or TreeParams()
    categorical = [c for c in roles.inputs if c in roles.categorical]
    numeric = [c for c in roles.inputs if c not in roles.categorical]
    encode = ColumnTransformer(
        [
            ("categories", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                          dtype=np.float64), categorical),
            ("numbers", "passthrough", numeric),
        ],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    kind = HistGradientBoostingClassifier if classifier else HistGradientBoostingRegressor
    trees = kind(
        max_iter=p.max_iter,
        max_leaf_nodes=p.max_leaf_nodes,
        learning_rate=p.learning_rate,
        min_samples_leaf=p.min_samples_leaf,
        l2_regularization=p.l2_regularization,
        early_stopping=False,
        random_state=seed,
    )
    return Pipeline([("encode", encode), ("trees", trees)])


def fit_score_model(people: pd.DataFrame, roles: Roles, *, seed: int = 0,
                    params: TreeParams | None = None, test_size: float = 0.2,
                    truth: str | None = "hidden_score") -> tuple[Pipeline, dict[str, float]]:
    """Fit the score model on a training split and measure it on the held-out rest.

    Parameters
    ----------
    people : pandas.DataFrame
        Table with the inputs and the target.
    roles : Roles
        Column roles.
    seed : int
        Seed of the split and the trees.
    params : TreeParams, optional
        Tree sizes; chosen by :func:`choose_capacity` on the training split when not given.
    test_size : float
        Held-out share.
    truth : str or None
        Column holding the noise-free score, when known, to measure accuracy against it too.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        The fitted pipeline (fitted on the training split only).
    metrics : dict
        ``r2`` and ``mae_points`` against the target on the held-out split, plus
        ``r2_hidden`` and ``mae_hidden_points`` against ``truth`` when present,
        ``n_train``, ``n_test``, ``max_leaf_nodes`` and, when the size was chosen here,
        ``validation_r2_leaves_<n>`` for each size tried.
    """
    train, test = train_test_split(people, test_size=test_size, random_state=seed)
    chosen_by: dict[int, float] = {}
    if params is None:
        params, chosen_by = choose_capacity(train, roles, seed=seed)
    pipeline = make_pipeline(roles, params=params, seed=seed)
    pipeline.fit(train[list(roles.inputs)], train[roles.target].to_numpy(dtype=float))
    predicted = pipeline.predict(test[list(roles.inputs)])
    y = test[roles.target].to_numpy(dtype=float)
    metrics = {
        "r2": float(r2_score(y, predicted)),
        "mae_points": float(mean_absolute_error(y, predicted)),
        "n_train": len(train),
        "n_test": len(test),
        "max_leaf_nodes": params.max_leaf_nodes,
        **{f"validation_r2_leaves_{leaves}": r2 for leaves, r2 in chosen_by.items()},
    }
    if truth is not None and truth in test:
        hidden = test[truth].to_numpy(dtype=float)
        metrics["r2_hidden"] = float(r2_score(hidden, predicted))
        metrics["mae_hidden_points"] = float(mean_absolute_error(hidden, predicted))
    return pipeline, metrics


def fit_outcome_classifier(people: pd.DataFrame, roles: Roles, positive: np.ndarray, *,
                           cutoff: float = 0.5, seed: int = 0, test_size: float = 0.2
                           ) -> tuple[Pipeline, dict[str, float]]:
    """Fit boosted trees that classify an outcome, and measure them on the held-out rest.

    Parameters
    ----------
    people : pandas.DataFrame
        Table with the inputs.
    roles : Roles
        Column roles (``inputs``, ``categorical``).
    positive : numpy.ndarray of bool
        The outcome per row of ``people``.
    cutoff : float, default=0.5
        Probability at which a person is selected, for the accuracy.
    seed : int
        Seed of the split and the trees.
    test_size : float
        Held-out share.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        The fitted pipeline (fitted on the training split only).
    metrics : dict
        On the held-out split: ``accuracy`` at ``cutoff``, ``auc`` (NaN when the split
        holds one class only) and ``brier`` (mean squared error of the probability),
        plus ``n_train`` and ``n_test``.
    """
    rows = np.arange(len(people))
    train, test = train_test_split(rows, test_size=test_size, random_state=seed)
    X = people[list(roles.inputs)]
    y = np.asarray(positive, dtype=bool)
    pipeline = make_pipeline(roles, seed=seed, classifier=True)
    pipeline.fit(X.iloc[train], y[train])
    probability = pipeline.predict_proba(X.iloc[test])[:, list(pipeline.classes_).index(True)]
    truth = y[test]
    both = 0 < truth.sum() < len(truth)
    return pipeline, {
        "accuracy": float(accuracy_score(truth, probability >= cutoff)),
        "auc": float(roc_auc_score(truth, probability)) if both else float("nan"),
        "brier": float(np.mean((probability - truth) ** 2)),
        "n_train": len(train), "n_test": len(test)}
