"""The permutation explainer's progress and its error estimate, against exact Shapley values."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd
from sklearn.neighbors import KNeighborsRegressor

from sesame_audit.model.explain import permutation_shap
from sesame_audit.model.explain.any_model import explain_any


def _exact_shapley(predict, X: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Interventional Shapley values from their definition, over the same background."""
    n, p = X.shape
    coalitions = [c for size in range(p + 1) for c in itertools.combinations(range(p), size)]
    rows = np.repeat(background[None, None], n, axis=0).repeat(len(coalitions), axis=1)
    for k, coalition in enumerate(coalitions):
        rows[:, k][:, :, list(coalition)] = X[:, None, list(coalition)]
    value = predict(rows.reshape(-1, p)).reshape(n, len(coalitions), -1).mean(axis=2)
    where = {c: k for k, c in enumerate(coalitions)}
    phi = np.zeros((n, p))
    for i in range(p):
        for c in coalitions:
            if i not in c:
                weight = factorial(len(c)) * factorial(p - len(c) - 1) / factorial(p)
                phi[:, i] += weight * (value[:, where[tuple(sorted((*c, i)))]]
                                       - value[:, where[c]])
    return phi


def test_progress_and_an_error_estimate_that_tracks_the_real_error() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 4)), columns=["a", "b", "c", "d"])
    y = X.a * X.b + np.sin(3 * X.c) + X.d ** 2
    model = KNeighborsRegressor(5).fit(X, y)
    reports = []
    explanation, method = explain_any(model, X, output="score",
                                      progress=lambda *r: reports.append(r))
    assert method.explainer == "permutation" and method.repeats == 2
    # Progress: rows done rise to every row; time left falls to zero.
    done = [r[0] for r in reports]
    assert done == sorted(done) and done[-1] == len(X) and all(r[1] == len(X) for r in reports)
    assert reports[-1][2] == 0.0 and all(r[2] >= 0 for r in reports)
    error = explanation.error
    assert error is not None and error.shape == (len(X),)
    assert method.error_median == np.median(error) and method.error_max == error.max()
    # The same background the explainer drew (same seed), then exact values per person.
    take = np.random.default_rng(0).choice(len(X), size=permutation_shap.BACKGROUND_ROWS,
                                           replace=False)
    background = X.to_numpy()[np.sort(take)]
    exact = _exact_shapley(lambda rows: model.predict(pd.DataFrame(rows, columns=X.columns)),
                           X.to_numpy(), background)
    real = np.abs(explanation.values.to_numpy(np.float64) - exact).max(axis=1)
    assert real.max() > 1e-3  # the approximation is not exact here, so the estimate matters
    # An error estimate from two runs is rough; it must still track the real error.
    assert np.median(real) <= 4 * np.median(error)
    assert np.corrcoef(real, error)[0, 1] > 0.3, (np.median(real), np.median(error))


def test_exact_explanations_carry_no_error() -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(50, 2)), columns=["a", "b"])
    from sklearn.tree import DecisionTreeRegressor

    explanation, method = explain_any(DecisionTreeRegressor(max_depth=3).fit(X, X.a), X,
                                      output="score")
    assert method.exact and explanation.error is None and method.repeats is None
