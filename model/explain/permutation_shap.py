"""Permutation SHAP for models with no exact explainer, with an error estimate and a sample.

Any model can be explained by permuting its inputs against a background sample (shap's
``PermutationExplainer``); the values are approximate and cost many model evaluations per
person. Two independent runs per person give both the values (their mean) and an estimate
of their error (their gap), stored per person. For a large table, a random sample of the
people can be explained instead of everyone: :func:`sample_positions` draws it from a seed,
and :func:`sample_text` says so in the words every page and export uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BACKGROUND_ROWS", "PROGRESS_ROWS", "REPEATS", "Progress", "permutation_shap",
           "sample_positions", "sample_text"]

BACKGROUND_ROWS = 50
REPEATS = 2  # independent permutation runs per row, for the error estimate
PROGRESS_ROWS = 25  # rows between two progress reports of the permutation explainer
Progress = Callable[[int, int, float], None]
"""Called with rows explained, rows in all and estimated seconds left."""


def sample_positions(rows: int, size: int, seed: int) -> np.ndarray:
    """Return the positions of a uniform random sample of rows, without replacement.

    Parameters
    ----------
    rows : int
        Rows in the table.
    size : int
        Rows to draw (at least 1; all rows when ``size >= rows``).
    seed : int
        Seed: the sample is ``numpy.random.default_rng(seed).choice(rows, size,
        replace=False)``, sorted.

    Returns
    -------
    numpy.ndarray
        Sorted row positions.

    Raises
    ------
    ValueError
        When ``size`` is under 1.
    """
    if size < 1:
        raise ValueError(f"a sample needs at least one person, not {size}")
    if size >= rows:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def sample_text(shap: Mapping[str, Any]) -> str | None:
    """Return "explained for N of M people (random sample, seed S)", or None for everyone.

    Parameters
    ----------
    shap : mapping
        A run manifest's ``shap`` entry (or :class:`explain.any_model.Method` as a
        dictionary): ``explained_rows``, ``table_rows`` and ``sample_seed``.

    Returns
    -------
    str or None
        The sentence when a sample was explained; None when every person was (or the run
        predates samples).
    """
    seed = shap.get("sample_seed")
    if seed is None:
        return None
    return (f"explained for {int(shap['explained_rows']):,} of {int(shap['table_rows']):,} "
            f"people (random sample, seed {int(seed)})")


def permutation_shap(output: Callable[[pd.DataFrame], np.ndarray], X: pd.DataFrame, *,
                     seed: int = 0, progress: Progress | None = None
                     ) -> tuple[np.ndarray, float, int, int, np.ndarray]:
    """Permutation SHAP over the original inputs, coded as numbers for shap's masker.

    The background is :data:`BACKGROUND_ROWS` rows of ``X`` drawn with ``seed``; each row is
    explained by :data:`REPEATS` independent runs of half the evaluations each, whose mean
    is the value and whose gap estimates its error.

    Parameters
    ----------
    output : callable
        ``output(frame)`` is the model's output (one float per row) for rows of ``X``'s
        columns and dtypes.
    X : pandas.DataFrame
        The rows to explain.
    seed : int, default=0
        Seed of the background sample and of the permutations.
    progress : callable, optional
        Called as ``progress(rows_done, rows, seconds_left)`` every :data:`PROGRESS_ROWS`
        rows.

    Returns
    -------
    values : numpy.ndarray of shape (n_rows, n_inputs)
        Mean of the runs' SHAP values.
    base : float
        The base value.
    background_rows : int
        Rows of the background.
    evaluations : int
        Model evaluations per row, over all runs.
    error : numpy.ndarray of shape (n_rows,)
        Each row's estimated error: the largest ``|a - b| / 2`` over its inputs, for the
        two runs' values ``a`` and ``b``.
    """
    inputs = list(X.columns)
    codes, levels = {}, {}
    for column in inputs:
        if pd.api.types.is_numeric_dtype(X[column]) and not pd.api.types.is_bool_dtype(X[column]):
            codes[column] = X[column].to_numpy(dtype=np.float64)
        else:
            codes[column], levels[column] = pd.factorize(X[column], use_na_sentinel=False)
    coded = np.column_stack([codes[c] for c in inputs]).astype(np.float64)
    dtypes = X.dtypes.to_dict()

    def decode(rows: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame(rows, columns=inputs)
        for column, values in levels.items():
            frame[column] = np.asarray(values, dtype=object)[rows[:, inputs.index(column)]
                                                             .astype(int)]
        return frame.astype(dtypes)

    def predict(rows: np.ndarray) -> np.ndarray:
        return output(decode(rows))

    import shap  # imported when first needed: importing shap takes seconds

    rng = np.random.default_rng(seed)
    take = rng.choice(len(coded), size=min(BACKGROUND_ROWS, len(coded)), replace=False)
    background = coded[np.sort(take)]
    # Two runs of half the evaluations each: their mean costs one run, their gap estimates
    # the error of that mean.
    half = max(2 * len(inputs) + 1, 5 * len(inputs))
    masker = shap.maskers.Independent(background, max_samples=len(take))
    runs = [shap.PermutationExplainer(predict, masker, seed=seed + r) for r in range(REPEATS)]
    values = np.zeros((REPEATS, len(coded), len(inputs)))
    base = 0.0
    start = time.perf_counter()
    for lo in range(0, len(coded), PROGRESS_ROWS):
        rows = coded[lo : lo + PROGRESS_ROWS]
        for r, explainer in enumerate(runs):
            result = explainer(rows, max_evals=half, silent=True)
            values[r, lo : lo + len(rows)] = result.values
            base = float(np.ravel(result.base_values)[0])
        if progress is not None:
            done = lo + len(rows)
            elapsed = time.perf_counter() - start
            progress(done, len(coded), elapsed / done * (len(coded) - done))
    error = np.abs(values[0] - values[1]).max(axis=1, initial=0.0) / 2
    return values.mean(axis=0), base, len(take), REPEATS * half, error
