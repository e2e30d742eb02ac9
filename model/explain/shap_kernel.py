"""The compiled walk of path-dependent TreeSHAP over rows and trees (see :mod:`explain.treeshap`).

:func:`shap_kernel` takes the flattened trees and leaf tables of
:class:`explain.treeshap._FlatEnsemble` and adds the SHAP values of a range of trees to a
range of rows, on one thread with the GIL released.
"""

from __future__ import annotations

import numpy as np

from sesame_audit.model.explain.compiled import kernel
from sesame_audit.model.explain.leaf_tables import leaf_phi

__all__ = ["BLOCK_ROWS", "shap_kernel"]

BLOCK_ROWS = 512  # rows explained together (measured: 256 and 1024 are no faster)


@kernel(nogil=True)
def shap_kernel(  # pragma: no cover - compiled
    X,
    row_start,
    row_stop,
    tree_lo,
    tree_hi,
    tree_start,
    max_nodes,
    node_feat,
    node_thr,
    node_miss_left,
    node_left,
    node_right,
    node_cat,
    cat_bits,
    node_bit,
    node_leaf,
    leaf_k,
    leaf_value,
    leaf_off,
    leaf_feats,
    leaf_r,
    leaf_tab,
    weights,
    per_value,
    tables,
    out,
):
    """Add the SHAP values of trees ``tree_lo:tree_hi`` for rows ``row_start:row_stop``.

    Rows are processed in fixed-size blocks, transposed so that every node and leaf
    step is a branch-free loop over the block's rows. ``failed[n, i]`` has the slot
    bit of each path feature that row ``i`` does not follow on the way to node ``n``.
    The values are added to ``out`` (overwritten when ``tree_lo`` is 0), tree after tree,
    so the sums do not depend on how the trees are split into blocks.
    """
    n_features = X.shape[1]
    k_max = weights.shape[0] - 1
    # Every row block of the task is held transposed at once, so that each tree (whose
    # tables then stay in cache) is walked over all of them before the next tree.
    n_blocks = (row_stop - row_start + BLOCK_ROWS - 1) // BLOCK_ROWS
    xt_all = np.zeros((n_blocks, n_features, BLOCK_ROWS))  # short blocks: stale padding
    acc_all = np.zeros((n_blocks, n_features, BLOCK_ROWS))
    failed = np.zeros((max_nodes, BLOCK_ROWS), dtype=np.int64)  # row 0 (root) stays 0
    pat = np.zeros(BLOCK_ROWS, dtype=np.int64)
    poly = np.empty(k_max + 1)
    phi = np.empty(k_max)
    for blk in range(n_blocks):
        r0 = row_start + blk * BLOCK_ROWS
        for i in range(min(row_stop, r0 + BLOCK_ROWS) - r0):
            for f in range(n_features):
                xt_all[blk, f, i] = X[r0 + i, f]
                acc_all[blk, f, i] = out[r0 + i, f] if tree_lo > 0 else 0.0
    for t in range(tree_lo, tree_hi):
        s = tree_start[t]
        for blk in range(n_blocks):
            r0 = row_start + blk * BLOCK_ROWS
            n_valid = min(row_stop, r0 + BLOCK_ROWS) - r0
            xt = xt_all[blk]
            acc = acc_all[blk]
            for n in range(s, tree_start[t + 1]):
                h = n - s
                leaf = node_leaf[n]
                if leaf < 0:
                    f = node_feat[n]
                    thr = node_thr[n]
                    miss_left = np.int64(node_miss_left[n])
                    bit = node_bit[n]
                    lc = node_left[n]
                    rc = node_right[n]
                    cat = node_cat[n]
                    if cat >= 0:  # a category code goes left if its bit is set
                        for i in range(BLOCK_ROWS):
                            x = xt[f, i]
                            go_left = miss_left
                            if x >= 0:  # neither NaN nor negative
                                c = np.int64(x) & 255
                                go_left = (cat_bits[cat, c >> 5] >> (c & 31)) & 1
                            m = failed[h, i]
                            failed[lc, i] = m | (bit & (go_left - 1))
                            failed[rc, i] = m | (bit & -go_left)
                        continue
                    for i in range(BLOCK_ROWS):
                        x = xt[f, i]
                        # As sklearn: NaN follows missing_go_to_left, else x <= threshold.
                        go_left = np.int64(x <= thr) | (miss_left & np.int64(np.isnan(x)))
                        m = failed[h, i]
                        failed[lc, i] = m | (bit & (go_left - 1))
                        failed[rc, i] = m | (bit & -go_left)
                    continue
                k = leaf_k[leaf]
                full = (1 << k) - 1
                o = leaf_off[leaf]
                start = leaf_tab[leaf]
                v = leaf_value[leaf]
                if start >= 0 and per_value:  # the k values of pattern p at start + p * k
                    for i in range(BLOCK_ROWS):
                        pat[i] = start + (full & ~failed[h, i]) * k
                    for j in range(k):
                        fj = leaf_feats[o + j]
                        for i in range(BLOCK_ROWS):
                            acc[fj, i] += tables[pat[i] + j]
                elif start >= 0:
                    # phi_j = -v S(p) if bit j of p is clear, else c_j S(p - 2**j).
                    for i in range(BLOCK_ROWS):
                        pat[i] = full & ~failed[h, i]
                    for j in range(k):
                        fj = leaf_feats[o + j]
                        rj = leaf_r[o + j]
                        c = v * (1.0 - rj) / rj
                        bit = np.int64(1) << j
                        base = tables[start:]
                        for i in range(BLOCK_ROWS):
                            p = pat[i]
                            coef = c if p & bit else -v
                            acc[fj, i] += coef * base[p & ~bit]
                else:
                    r = leaf_r[o : o + k]
                    for i in range(n_valid):
                        leaf_phi(full & ~failed[h, i], r, v, weights[k], poly, phi)
                        for j in range(k):
                            acc[leaf_feats[o + j], i] += phi[j]
    for blk in range(n_blocks):
        r0 = row_start + blk * BLOCK_ROWS
        for i in range(min(row_stop, r0 + BLOCK_ROWS) - r0):
            for f in range(n_features):
                out[r0 + i, f] = acc_all[blk, f, i]
