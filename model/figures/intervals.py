"""95% intervals for group figures: shares, ratios of shares, means and gaps of means.

Every group figure a page, the CLI or the report shows carries the number of people behind
it and one of these intervals:

- a share (k of n people reach a tier): the Wilson score interval;
- a ratio of two shares (an impact ratio, k1/n1 over k2/n2): the log method of Katz et al.
  (1978), ``exp(log r +- z sqrt(1/k1 - 1/n1 + 1/k2 - 1/n2))``, with one half added to every
  count when either group has no one reaching (then the lower end is 0 when k1 is 0);
- a mean, and the gap between two groups' means: the normal interval (Welch's standard
  error for a gap), sound for the group sizes shown (at least ``k`` people);
- a difference of two shares (two groups' true positive rates, say): Newcombe's hybrid
  score interval, built from each share's Wilson interval;
- the largest difference among several groups' shares (largest minus smallest rate): the
  Newcombe intervals of every pair at the Bonferroni level, combined so that the interval
  holds whichever pair turns out largest (the pair that looks largest is chosen *because*
  it looks largest, so its own 95% interval would cover too rarely);
- an area under the ROC curve: DeLong's variance, a normal interval clipped to [0, 1].

Functions take NumPy arrays or numbers and work element-wise; undefined cases (no people,
no reference share) give NaN.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

LEVEL = 0.95
Z = NormalDist().inv_cdf(0.5 + LEVEL / 2)  # 1.959963984540054

Bounds = tuple[np.ndarray, np.ndarray]


def wilson(k: np.ndarray | float, n: np.ndarray | float, *, z: float = Z) -> Bounds:
    """Return the Wilson score interval of a share of ``k`` people out of ``n``.

    Parameters
    ----------
    k : array-like
        People counted (0 <= k <= n).
    n : array-like
        People in the group.
    z : float
        Normal quantile of the level (1.96 for 95%, two-sided).

    Returns
    -------
    low, high : numpy.ndarray
        Bounds of the interval (95% by default), within [0, 1] (exactly 0 when ``k`` is 0,
        1 when ``k`` is ``n``); NaN where ``n`` is 0 or missing.

    Examples
    --------
    >>> low, high = wilson(3, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.1078, 0.6032)
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
        empty = ~(n > 0)
        low = np.where(empty, np.nan, np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0)))
        high = np.where(empty, np.nan, np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0)))
    return low, high


def ratio_interval(k1: np.ndarray | float, n1: np.ndarray | float, k2: np.ndarray | float,
                   n2: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the ratio of two shares, (k1/n1) / (k2/n2), and its 95% interval (Katz log method).

    Parameters
    ----------
    k1, n1 : array-like
        People reaching, and people, in the group compared.
    k2, n2 : array-like
        The same for the reference group.

    Returns
    -------
    ratio, low, high : numpy.ndarray
        The ratio and the bounds of its interval; NaN where the reference share is 0 or a
        group is empty. When ``k1`` is 0 the ratio and the lower bound are 0.

    Examples
    --------
    >>> ratio, low, high = ratio_interval(20, 100, 40, 100)
    >>> round(float(ratio), 3), round(float(low), 3), round(float(high), 3)
    (0.5, 0.316, 0.792)
    """
    k1, n1, k2, n2 = (np.asarray(v, dtype=float) for v in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (k1 / n1) / (k2 / n2)
        zero = (k1 == 0) | (k2 == 0)
        a, b = np.where(zero, k1 + 0.5, k1), np.where(zero, n1 + 0.5, n1)
        c, d = np.where(zero, k2 + 0.5, k2), np.where(zero, n2 + 0.5, n2)
        centre = np.log((a / b) / (c / d))
        half = Z * np.sqrt(1 / a - 1 / b + 1 / c - 1 / d)
        low = np.where(k1 == 0, 0.0, np.exp(centre - half))
        high = np.exp(centre + half)
        undefined = ~((n1 > 0) & (n2 > 0) & (k2 > 0))
    return tuple(np.where(undefined, np.nan, v) for v in (ratio, low, high))


def mean_interval(mean: np.ndarray | float, sd: np.ndarray | float, n: np.ndarray | float
                  ) -> Bounds:
    """Return the normal 95% interval of a group's mean.

    Parameters
    ----------
    mean : array-like
        The group's mean.
    sd : array-like
        The standard deviation of the values in the group.
    n : array-like
        People in the group.

    Returns
    -------
    low, high : numpy.ndarray
        ``mean -+ 1.96 sd / sqrt(n)``; NaN where ``n`` is 0 or ``sd`` is missing.
    """
    mean, sd, n = (np.asarray(v, dtype=float) for v in (mean, sd, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = np.where(n > 0, Z * sd / np.sqrt(n), np.nan)
    return mean - half, mean + half


def mean_gap_interval(mean1: float, sd1: float, n1: float, mean2: float, sd2: float,
                      n2: float) -> tuple[float, float, float]:
    """Return the gap between two groups' means and its normal 95% interval (Welch).

    Parameters
    ----------
    mean1, sd1, n1 : float
        Mean, standard deviation and size of the first group.
    mean2, sd2, n2 : float
        The same for the second group.

    Returns
    -------
    gap, low, high : float
        ``mean1 - mean2`` and ``gap -+ 1.96 sqrt(sd1**2 / n1 + sd2**2 / n2)``; NaN bounds
        when a group is empty.

    Examples
    --------
    >>> gap, low, high = mean_gap_interval(10.0, 3.0, 100, 8.0, 4.0, 100)
    >>> round(gap, 2), round(low, 2), round(high, 2)
    (2.0, 1.02, 2.98)
    """
    gap = float(mean1) - float(mean2)
    if not (n1 > 0 and n2 > 0):
        return gap, float("nan"), float("nan")
    half = Z * float(np.sqrt(sd1**2 / n1 + sd2**2 / n2))
    return gap, gap - half, gap + half


def difference_interval(k1: np.ndarray | float, n1: np.ndarray | float,
                        k2: np.ndarray | float, n2: np.ndarray | float, *, z: float = Z
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the difference of two shares, k1/n1 - k2/n2, and its 95% interval (Newcombe).

    Parameters
    ----------
    k1, n1 : array-like
        People counted, and people, in the first group.
    k2, n2 : array-like
        The same for the second group.
    z : float
        Normal quantile of the level (1.96 for 95%, two-sided).

    Returns
    -------
    difference, low, high : numpy.ndarray
        The difference and the bounds of Newcombe's hybrid score interval (method 10 of
        Newcombe, 1998), within [-1, 1]; NaN where a group is empty.

    Examples
    --------
    >>> d, low, high = difference_interval(56, 70, 48, 80)
    >>> round(float(d), 4), round(float(low), 4), round(float(high), 4)
    (0.2, 0.0524, 0.3339)
    """
    k1, n1, k2, n2 = (np.asarray(v, dtype=float) for v in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        (l1, u1), (l2, u2) = wilson(k1, n1, z=z), wilson(k2, n2, z=z)
        difference = p1 - p2
        low = difference - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = difference + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return difference, np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)


def largest_difference_interval(k: np.ndarray, n: np.ndarray, *, family: int | None = None
                                ) -> tuple[float, float, float, int, int]:
    """Return the largest difference among groups' shares and its simultaneous 95% interval.

    Every pair's Newcombe interval is taken at the Bonferroni level (``family`` intervals
    sharing 5%), so that with 95% confidence all hold at once. The largest difference ``D``
    is then at least every pair's lower bound (and 0) and at most the largest upper bound,
    whichever pair truly sets it.

    Parameters
    ----------
    k, n : numpy.ndarray
        People counted, and people, in each group (at least two groups, all ``n > 0``).
    family : int, optional
        Intervals sharing the 5% (default: the pairs of groups, ``m (m - 1) / 2``); give more
        when this figure is one of several read together (e.g. the larger of two such).

    Returns
    -------
    value, low, high : float
        ``max(k/n) - min(k/n)`` and its interval, within [0, 1].
    highest, lowest : int
        Positions of the groups with the largest and the smallest share.

    Examples
    --------
    >>> value, low, high, _, _ = largest_difference_interval(np.array([56, 48]),
    ...                                                      np.array([70, 80]))
    >>> round(value, 4), round(low, 4), round(high, 4)
    (0.2, 0.0524, 0.3339)
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    m = len(k)
    if m < 2:
        raise ValueError(f"a largest difference needs two groups or more, got {m}")
    first, second = np.triu_indices(m, 1)
    family = family or len(first)
    z = NormalDist().inv_cdf(1 - (1 - LEVEL) / (2 * family))
    _, low, high = difference_interval(k[first], n[first], k[second], n[second], z=z)
    # p_i - p_j lies in [low, high], so p_j - p_i lies in [-high, -low].
    lows, highs = np.concatenate([low, -high]), np.concatenate([high, -low])
    share = k / n
    highest, lowest = int(np.argmax(share)), int(np.argmin(share))
    value = float(share[highest] - share[lowest])
    return value, max(float(lows.max()), 0.0), min(float(highs.max()), 1.0), highest, lowest


def _midranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ordered)) + 1]
    ends = np.r_[starts[1:], len(ordered)]
    ranks = np.empty(len(values))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def auc_interval(scores: np.ndarray, positive: np.ndarray) -> tuple[float, float, float]:
    """Return the area under the ROC curve and its 95% interval (DeLong's variance).

    Parameters
    ----------
    scores : array-like of float
        One score per person; a higher score stands for the positive class.
    positive : array-like of bool
        Whether each person belongs to the positive class.

    Returns
    -------
    auc, low, high : float
        The chance that a positive person scores above a negative one (ties count one
        half) and ``auc -+ 1.96 se`` clipped to [0, 1], with DeLong et al.'s (1988)
        standard error; NaN when either class has fewer than two people.

    Examples
    --------
    >>> auc, low, high = auc_interval(np.array([0.1, 0.4, 0.35, 0.8]),
    ...                               np.array([False, False, True, True]))
    >>> auc
    0.75
    """
    scores = np.asarray(scores, dtype=float)
    positive = np.asarray(positive, dtype=bool)
    m, n = int(positive.sum()), int((~positive).sum())
    if m < 2 or n < 2:
        return float("nan"), float("nan"), float("nan")
    every = _midranks(scores)
    within_positive, within_negative = _midranks(scores[positive]), _midranks(scores[~positive])
    auc = float((every[positive].sum() - m * (m + 1) / 2) / (m * n))
    beats = (every[positive] - within_positive) / n  # share of negatives each positive beats
    beaten = 1.0 - (every[~positive] - within_negative) / m
    half = Z * float(np.sqrt(beats.var(ddof=1) / m + beaten.var(ddof=1) / n))
    return auc, max(0.0, auc - half), min(1.0, auc + half)
