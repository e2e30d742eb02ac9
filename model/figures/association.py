"""How much one coding of people tells about another: AUC, mutual information, entropy.

The measures behind the proxy ranking and the disclosure audit. They work on integer codes
(a category, a quantile bin of a number, a group), so that every measure is a sum over a
contingency table of counts rather than a pass over people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

N_BINS = 20

# The audit's own random stream, apart from any population's seed: a generator seeded like
# the population would draw the same numbers that decided who belongs to which group.
AUDIT_STREAM = 0x5E5A_A0D1


def feature_codes(values: pd.Series, *, categorical: bool, bins: int = N_BINS) -> np.ndarray:
    """Return integer codes of a feature: its categories, or quantile bins of a number.

    Parameters
    ----------
    values : pandas.Series
        The feature.
    categorical : bool
        Whether the feature holds categories.
    bins : int
        Most quantile bins of a number (fewer when values repeat).

    Returns
    -------
    numpy.ndarray of int
        One code per row; missing values get a code of their own.
    """
    if categorical or not pd.api.types.is_numeric_dtype(values):
        return pd.factorize(values.astype(object).where(values.notna(), "\0missing"))[0]
    numbers = values.to_numpy(dtype=float)
    edges = np.unique(np.nanquantile(numbers, np.linspace(0, 1, bins + 1)[1:-1]))
    codes = np.searchsorted(edges, numbers, side="right")
    return np.where(np.isnan(numbers), len(edges) + 1, codes)


def auc_from_counts(score: np.ndarray, positive: np.ndarray, negative: np.ndarray) -> float:
    """Return the ROC AUC of a score given as values with counts of members and non-members.

    Parameters
    ----------
    score : numpy.ndarray of float
        Score values (repeats allowed).
    positive, negative : numpy.ndarray of float
        Members and non-members of the group at each value.

    Returns
    -------
    float
        Probability that a random member scores above a random non-member (ties: 1/2);
        NaN when either side is empty.
    """
    values, index = np.unique(score, return_inverse=True)
    pos = np.bincount(index, weights=positive, minlength=len(values))
    neg = np.bincount(index, weights=negative, minlength=len(values))
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (n_pos * n_neg))


def binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Return the ROC AUC of ``score`` for ``positive``, counting ties as one half.

    The one-feature scores take few distinct values, so the AUC is computed from counts per
    value (the Mann-Whitney statistic, :func:`auc_from_counts`) rather than by sorting.

    Parameters
    ----------
    positive : numpy.ndarray of bool
        Whether each person belongs to the group.
    score : numpy.ndarray of float
        Score of each person.

    Returns
    -------
    float
        Probability that a random member scores above a random non-member (ties: 1/2);
        NaN when either side is empty.
    """
    member = positive.astype(float)
    return auc_from_counts(score, member, 1.0 - member)


def contingency(codes: np.ndarray, target: np.ndarray,
                shape: tuple[int, int] | None = None) -> np.ndarray:
    """Return the table of counts of people by code (rows) and group (columns).

    Parameters
    ----------
    codes : numpy.ndarray of int
        Category or bin of each person (0..c-1).
    target : numpy.ndarray of int
        Group of each person (0..m-1).
    shape : tuple of int, optional
        ``(c, m)`` when some codes or groups may be absent; else from the largest values.

    Returns
    -------
    numpy.ndarray of float, shape (c, m)
        Counts.
    """
    n_codes, n_groups = shape or (int(codes.max()) + 1, int(target.max()) + 1)
    return np.bincount(codes * n_groups + target,
                       minlength=n_codes * n_groups).reshape(n_codes, n_groups).astype(float)


def mutual_information(codes: np.ndarray, target: np.ndarray) -> float:
    """Return the mutual information, in bits, between two integer codings of people.

    Parameters
    ----------
    codes : numpy.ndarray of int
        Category or bin of each person.
    target : numpy.ndarray of int
        Group of each person.

    Returns
    -------
    float
        ``sum p(c, g) log2(p(c, g) / (p(c) p(g)))`` over the observed pairs.
    """
    joint = contingency(codes, target)
    joint /= joint.sum()
    outer = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    seen = joint > 0
    return max(float((joint[seen] * np.log2(joint[seen] / outer[seen])).sum()), 0.0)


def one_feature_auc(codes: np.ndarray, target: np.ndarray) -> float:
    """Return the cross-fitted AUC of predicting ``target`` from the codes' group rates.

    Parameters
    ----------
    codes : numpy.ndarray of int
        Category or bin of each person.
    target : numpy.ndarray of int
        Group (0..m-1) of each person; at least two groups.
    Returns
    -------
    float
        AUC (macro one-vs-rest for more than two groups) of rates fitted on one random half
        and applied to the other, pooled over both halves.
    """
    n_groups = int(target.max()) + 1
    half = np.random.default_rng(AUDIT_STREAM).random(len(codes)) < 0.5
    prior = np.bincount(target, minlength=n_groups) / len(target)
    # Everyone in one half with the same code gets the same fitted rates, so the AUC over
    # people is the AUC over (half, code) cells weighted by their members and non-members.
    shape = (int(codes.max()) + 1, n_groups)
    tables = [contingency(codes[part], target[part], shape) for part in (half, ~half)]
    fitted = [(t + prior) / (t.sum(axis=1, keepdims=True) + 1.0) for t in tables]
    scores = np.concatenate([fitted[0], fitted[1]])  # rates of half A for half B, and back
    counts = np.concatenate([tables[1], tables[0]])
    totals = counts.sum(axis=1)
    aucs = [auc_from_counts(scores[:, g], counts[:, g], totals - counts[:, g])
            for g in range(n_groups)]
    return aucs[1] if n_groups == 2 else float(np.mean(aucs))


def entropy(codes: np.ndarray) -> float:
    """Return the entropy, in bits, of a coding of people (0..c-1).

    Parameters
    ----------
    codes : numpy.ndarray of int
        Category or group of each person.

    Returns
    -------
    float
        ``-sum p log2 p`` over the codes present.
    """
    p = np.bincount(codes) / len(codes)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())
