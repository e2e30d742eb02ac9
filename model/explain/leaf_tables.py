"""Per-leaf Shapley tables of path-dependent TreeSHAP, and the memory plan that bounds them.

For a leaf with value ``v`` and ``k`` distinct path features with cover-ratio products
``r_j``, a row enters only through the ``k``-bit pattern ``p`` of the path features whose
conditions it satisfies (see :mod:`explain.treeshap`). With
``S(p) = sum_m w(m, k) [t^m] prod_j (r_j + b_j t)`` (``b_j`` the bits of ``p``) the leaf's
Shapley values are::

    phi_i = -v * S(p)                          if bit i of p is clear,
    phi_i = v * (1 - r_i) / r_i * S(p - 2**i)  if it is set,

because clearing bit ``i`` turns the factor ``r_i + t`` into ``r_i``. A leaf's table is the
``2**k`` numbers ``S(p)``, one float64 each (``k`` times less than tabulating every value),
filled in ``O(2**k k)`` by multiplying the factors in one feature at a time. Leaves with a
zero cover ratio, or more path features than the cap, are evaluated per row instead
(:func:`leaf_phi`, ``O(k**2)``).

Where every tabled leaf's ``k * 2**k`` values themselves fit the budget (small trees, as
in boosting), they are tabulated instead (:func:`fill_value_tables`), which spares the
rows any arithmetic.

Memory: the tables of a block of trees are built, used on every row and freed before the
next block's; :func:`plan_tables` chooses the cap and the blocks so that the tables alive at
any time take at most the budget (plus ``2**cap * (cap + 1)`` float64 of scratch per thread).
"""

from __future__ import annotations

import numpy as np

from sesame_audit.model.explain.compiled import kernel

__all__ = ["fill_tables", "fill_value_tables", "leaf_phi", "plan_tables", "shapley_weights"]


def shapley_weights(k_max: int) -> np.ndarray:
    """Return ``w[k, m] = m! (k - 1 - m)! / k!`` for ``0 <= m < k <= k_max``.

    Parameters
    ----------
    k_max : int
        The largest number of distinct path features.

    Returns
    -------
    numpy.ndarray of shape (k_max + 1, k_max + 1)
        The weights, zero elsewhere.
    """
    w = np.zeros((k_max + 1, k_max + 1))
    for k in range(1, k_max + 1):
        w[k, 0] = 1.0 / k
        for m in range(1, k):
            w[k, m] = w[k, m - 1] * m / (k - m)
    return w


def plan_tables(leaf_k: np.ndarray, leaf_r: np.ndarray, leaf_off: np.ndarray,
                tree_leaves: np.ndarray, max_table_bits: int, budget: int
                ) -> tuple[np.ndarray, np.ndarray, int]:
    """Choose which leaves get a table and group the trees into blocks within a budget.

    Parameters
    ----------
    leaf_k : numpy.ndarray of int64
        Distinct path features of each leaf.
    leaf_r : numpy.ndarray of float64
        Cover-ratio products of the leaves' path features, concatenated.
    leaf_off : numpy.ndarray of int64
        Where each leaf's products start in ``leaf_r``.
    tree_leaves : numpy.ndarray of int64
        First leaf of each tree, then the number of leaves (length ``n_trees + 1``).
    max_table_bits : int
        Leaves with more path features are never tabled.
    budget : int
        Bytes the tables of one block may take.

    Returns
    -------
    leaf_tab : numpy.ndarray of int64
        Where each leaf's table starts in its block's table array, or -1 (per row).
    block_trees : numpy.ndarray of int64
        First tree of each block, then the number of trees.
    cap : int
        The table cap used: leaves with more path features are evaluated per row. It is
        lowered from ``max_table_bits`` until the tables of every single tree fit the budget.
    """
    positive = np.ones(len(leaf_k), dtype=bool)
    if len(leaf_r):
        zero = np.flatnonzero(leaf_r <= 0.0)
        positive[np.searchsorted(leaf_off, zero, side="right") - 1] = False
    cap = max(max_table_bits, -1)
    while True:
        tabled = positive & (leaf_k <= cap)
        sizes = np.where(tabled, np.left_shift(1, np.minimum(leaf_k, 62)), 0) * 8
        per_tree = np.add.reduceat(sizes, tree_leaves[:-1]) if len(sizes) else sizes
        per_tree = np.where(np.diff(tree_leaves) > 0, per_tree, 0)
        if cap < 0 or per_tree.max(initial=0) <= budget:
            break
        cap -= 1
    starts, used = [0], 0
    for t, size in enumerate(per_tree.tolist()):
        if used + size > budget and used > 0:
            starts.append(t)
            used = 0
        used += size
    starts.append(len(per_tree))
    block_trees = np.asarray(starts, dtype=np.int64)
    leaf_tab = np.full(len(leaf_k), -1, dtype=np.int64)
    for b in range(len(block_trees) - 1):
        lo, hi = tree_leaves[block_trees[b]], tree_leaves[block_trees[b + 1]]
        block = sizes[lo:hi] // 8
        leaf_tab[lo:hi] = np.where(tabled[lo:hi], np.cumsum(block) - block, -1)
    return leaf_tab, block_trees, cap


@kernel(nogil=True)
def leaf_phi(pattern, r, value, w, poly, out):  # pragma: no cover - compiled
    """Write the Shapley values of one leaf, for one satisfied-feature pattern, to ``out``.

    ``pattern`` has bit ``j`` set when the row satisfies all path conditions on the
    leaf's ``j``-th feature; ``r`` holds the cover-ratio products; ``w`` is the row
    ``k`` of the Shapley weights; ``poly`` is scratch space of length ``k + 1``.
    """
    k = r.shape[0]
    # poly <- coefficients of prod_j (r_j + b_j t); its degree is the popcount.
    poly[0] = 1.0
    deg = 0
    for j in range(k):
        rj = r[j]
        if (pattern >> j) & 1:
            deg += 1
            poly[deg] = poly[deg - 1]
            for m in range(deg - 1, 0, -1):
                poly[m] = poly[m] * rj + poly[m - 1]
            poly[0] *= rj
        else:
            for m in range(deg + 1):
                poly[m] *= rj
    # Unsatisfied i: the factor r_i cancels against (0 - r_i).
    off = 0.0
    for m in range(deg + 1):
        off += poly[m] * w[m]
    off = -value * off
    for i in range(k):
        if (pattern >> i) & 1:
            # Divide out (r_i + t) top-down (stable since r_i <= 1) and weight.
            ri = r[i]
            q = poly[deg]
            acc = q * w[deg - 1]
            for m in range(deg - 1, 0, -1):
                q = poly[m] - ri * q
                acc += q * w[m - 1]
            out[i] = value * (1.0 - ri) * acc
        else:
            out[i] = off


@kernel(nogil=True)
def fill_tables(leaf_lo, leaf_hi, leaf_k, leaf_off, leaf_r, leaf_tab, weights,
                tables):  # pragma: no cover - compiled
    """Fill ``S(p)`` of every pattern of the tabled leaves ``leaf_lo:leaf_hi``.

    The polynomials of all patterns of the first ``j`` features are kept in ``polys`` (row
    ``p``, coefficient ``m``); adding feature ``j`` makes pattern ``p + 2**j`` from ``p``
    times ``(r_j + t)`` and turns ``p`` into ``p`` times ``r_j``.
    """
    k_max = weights.shape[0] - 1
    cap = 0
    for leaf in range(leaf_lo, leaf_hi):
        if leaf_tab[leaf] >= 0 and leaf_k[leaf] > cap:
            cap = leaf_k[leaf]
    polys = np.zeros((1 << cap, min(cap, k_max) + 1))
    for leaf in range(leaf_lo, leaf_hi):
        start = leaf_tab[leaf]
        if start < 0:
            continue
        k = leaf_k[leaf]
        o = leaf_off[leaf]
        polys[0, 0] = 1.0
        for j in range(k):
            rj = leaf_r[o + j]
            for p in range(1 << j):
                hi = p + (1 << j)
                polys[hi, j + 1] = polys[p, j]
                for m in range(j, 0, -1):
                    polys[hi, m] = polys[p, m] * rj + polys[p, m - 1]
                polys[hi, 0] = polys[p, 0] * rj
                for m in range(j + 1):
                    polys[p, m] *= rj
                polys[p, j + 1] = 0.0
        w = weights[k]
        for p in range(1 << k):
            s = 0.0
            for m in range(k):
                s += polys[p, m] * w[m]
            tables[start + p] = s


@kernel(nogil=True)
def fill_value_tables(leaf_lo, leaf_hi, leaf_k, leaf_value, leaf_off, leaf_r, leaf_tab,
                      weights, tables):  # pragma: no cover - compiled
    """Fill every value ``phi_j(p)`` of the tabled leaves ``leaf_lo:leaf_hi``.

    The ``k * 2**k`` layout (pattern ``p``'s ``k`` values at ``leaf_tab + p * k``) needs no
    arithmetic per row; it is used when all of an ensemble's fit the budget (small trees).
    """
    k_max = weights.shape[0] - 1
    poly = np.empty(k_max + 1)
    for leaf in range(leaf_lo, leaf_hi):
        k = leaf_k[leaf]
        start = leaf_tab[leaf]
        if start < 0:
            continue
        r = leaf_r[leaf_off[leaf] : leaf_off[leaf] + k]
        for pattern in range(1 << k):
            out = tables[start + pattern * k : start + (pattern + 1) * k]
            leaf_phi(pattern, r, leaf_value[leaf], weights[k], poly, out)
