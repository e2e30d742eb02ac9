"""95% intervals for the figures about groups: shares (Wilson)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(successes: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval of a share ``successes / n``.

    Parameters
    ----------
    successes : int
        People with the outcome.
    n : int
        People in all.
    z : float, default=1.96
        Normal quantile of the interval (95%).

    Returns
    -------
    tuple of float
        Lower and upper bound; ``(nan, nan)`` when ``n`` is 0.
    """
    if n <= 0:
        return float("nan"), float("nan")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return low, high
