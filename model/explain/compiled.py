"""How the tree kernels are compiled and how many threads they run on.

The numba kernels of :mod:`explain.treeshap` and :mod:`explain.tree_predict` take seconds to
compile. They are compiled once and cached on disk: beside their module where the install is
writable, else in the user's cache folder (numba's own fallback). Where neither can be
written, they are compiled in memory on each process start, without a warning.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from numba import njit

__all__ = ["kernel", "thread_count"]


def kernel(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return numba's ``njit(cache=True, **options)``, or ``njit(**options)`` if nothing caches.

    Parameters
    ----------
    **options
        numba ``njit`` options, e.g. ``nogil=True``.

    Returns
    -------
    callable
        A decorator compiling a function with those options.
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return njit(cache=True, **options)(function)
        except RuntimeError:  # numba found no writable cache folder
            return njit(cache=False, **options)(function)

    return decorate


def thread_count(n_jobs: int) -> int:
    """Return the number of threads a kernel runs on for ``n_jobs``.

    Parameters
    ----------
    n_jobs : int
        A positive count, or -1 for the thread setting of the process: ``OMP_NUM_THREADS``
        when it holds a positive integer, else one thread per core.

    Returns
    -------
    int
        A positive number of threads.

    Raises
    ------
    ValueError
        For zero or a negative count other than -1.
    """
    if n_jobs == -1:
        setting = os.environ.get("OMP_NUM_THREADS", "").strip()
        if setting.isdigit() and int(setting) > 0:
            return int(setting)
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise ValueError("n_jobs must be a positive integer or -1")
    return n_jobs
