"""Per-leaf tables of the TreeSHAP kernels: their values, their memory plan, blocks of trees."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pytest
import shap
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from sesame_audit.model.explain.leaf_tables import fill_tables, plan_tables, shapley_weights
from sesame_audit.model.explain.sklearn_trees import as_tree_input, sklearn_trees
from sesame_audit.model.explain.treeshap import _FlatEnsemble, trees_shap_values


def _brute_s(r: np.ndarray, pattern: int) -> float:
    """sum_m m!(k-1-m)!/k! [t^m] prod_j (r_j + b_j t), multiplying polynomials by numpy."""
    k = len(r)
    poly = np.array([1.0])
    for j in range(k):
        poly = np.polynomial.polynomial.polymul(poly, [r[j], float((pattern >> j) & 1)])
    return sum(poly[m] * factorial(m) * factorial(k - 1 - m) / factorial(k)
               for m in range(min(k, len(poly))))


@pytest.mark.parametrize("seed", range(4))
def test_tables_hold_the_weighted_polynomial_sums(seed: int) -> None:
    rng = np.random.default_rng(seed)
    leaf_k = rng.integers(0, 8, size=6)
    leaf_r = rng.uniform(0.01, 1.0, size=int(leaf_k.sum()))
    leaf_off = np.cumsum(leaf_k) - leaf_k
    sizes = 1 << leaf_k
    leaf_tab = np.cumsum(sizes) - sizes
    leaf_tab[2] = -1  # a leaf evaluated per row gets no table
    tables = np.full(int(sizes.sum()), np.nan)
    fill_tables(0, len(leaf_k), leaf_k, leaf_off, leaf_r, leaf_tab,
                shapley_weights(int(leaf_k.max())), tables)
    for leaf, k in enumerate(leaf_k.tolist()):
        r = leaf_r[leaf_off[leaf]:leaf_off[leaf] + k]
        block = tables[sizes[:leaf].sum():sizes[:leaf + 1].sum()]
        if leaf == 2:
            assert np.isnan(block).all()
            continue
        expected = [_brute_s(r, p) for p in range(1 << k)]
        assert np.allclose(block, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("budget", "max_bits"), [(0, 12), (64, 12), (4096, 12), (2**20, 6),
                                                   (2**30, 12)])
def test_plan_keeps_every_block_within_the_budget(budget: int, max_bits: int) -> None:
    rng = np.random.default_rng(budget % 97)
    leaves_per_tree = rng.integers(1, 40, size=30)
    tree_leaves = np.concatenate([[0], np.cumsum(leaves_per_tree)])
    leaf_k = rng.integers(0, 11, size=int(tree_leaves[-1]))
    leaf_r = rng.uniform(0.0, 1.0, size=int(leaf_k.sum()))
    leaf_r[rng.random(len(leaf_r)) < 0.01] = 0.0
    leaf_off = np.cumsum(leaf_k) - leaf_k
    leaf_tab, block_trees, cap = plan_tables(leaf_k, leaf_r, leaf_off, tree_leaves, max_bits,
                                             budget)
    assert block_trees[0] == 0 and block_trees[-1] == len(leaves_per_tree)
    assert np.all(np.diff(block_trees) > 0)
    zero_r = np.array([np.any(leaf_r[o:o + k] == 0) for o, k in zip(leaf_off, leaf_k,
                                                                     strict=True)])
    tabled = leaf_tab >= 0
    assert not np.any(tabled & zero_r)
    assert np.all(leaf_k[tabled] <= cap) and cap <= max_bits
    assert np.all(tabled[(leaf_k <= cap) & ~zero_r])  # every leaf within the cap is tabled
    for lo, hi in itertools.pairwise(block_trees):
        leaves = slice(tree_leaves[lo], tree_leaves[hi])
        entries = np.where(tabled[leaves], 1 << leaf_k[leaves], 0)
        assert 8 * entries.sum() <= budget
        # Tables of a block are laid end to end from 0.
        starts = leaf_tab[leaves][tabled[leaves]]
        assert np.array_equal(starts, np.concatenate([[0], np.cumsum(entries[entries > 0])])[:-1])
    if cap < max_bits:  # the next cap would put some tree over the budget
        per_tree = [8 * np.where((leaf_k[a:b] <= cap + 1) & ~zero_r[a:b], 1 << leaf_k[a:b],
                                 0).sum() for a, b in itertools.pairwise(tree_leaves)]
        assert max(per_tree) > budget


def test_blocks_of_trees_give_the_same_values_as_one_block() -> None:
    rng = np.random.default_rng(3)
    X = np.round(rng.normal(size=(1500, 8)), 1)
    X[rng.random(X.shape) < 0.05] = np.nan
    labels = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) * X[:, 2] > 0).astype(int)
    model = RandomForestClassifier(30, max_depth=8, random_state=0).fit(X, labels)
    trees, baseline = sklearn_trees(model)
    rows = as_tree_input(X)
    one = _FlatEnsemble(trees, 12, 2**28)
    per_tree = [8 * (1 << one.leaf_k[a:b]).sum() for a, b in itertools.pairwise(one.tree_leaves)]
    budget = 3 * max(per_tree)  # a few trees per block, none cut down
    many = _FlatEnsemble(trees, 12, budget)
    assert len(one.block_trees) == 2 and len(many.block_trees) > 3
    assert one.per_value and not many.per_value  # every value tabled, or one number per pattern
    assert max(many.block_size) * 8 <= budget and many.cap == one.cap
    whole, base = trees_shap_values(trees, baseline, rows)
    blocks, base_blocks = trees_shap_values(trees, baseline, rows, table_budget=budget, n_jobs=2,
                                            chunk_rows=700)
    assert np.max(np.abs(whole - blocks)) < 1e-12 and base == base_blocks
    same_budget, _ = trees_shap_values(trees, baseline, rows, table_budget=budget, n_jobs=1)
    assert np.array_equal(blocks, same_budget)  # the split of rows and threads changes nothing
    reference = np.asarray(shap.TreeExplainer(model).shap_values(X[:300]))[:, :, 1]
    assert np.max(np.abs(reference - blocks[:300])) < 1e-9
    assert np.max(np.abs(base + blocks.sum(axis=1) - model.predict_proba(X)[:, 1])) < 1e-9


def test_a_leaf_with_zero_cover_is_evaluated_per_row() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 5))
    model = RandomForestRegressor(5, max_depth=6, random_state=0).fit(X, X[:, 0] - X[:, 1])
    trees, baseline = sklearn_trees(model)
    nodes = trees[0]
    leaf = int(np.flatnonzero(nodes["is_leaf"])[3])
    nodes["count"][leaf] = 0.0  # a child no training weight reached
    flat = _FlatEnsemble(trees, 12, 2**28)
    assert flat.leaf_tab[3] == -1 and (flat.leaf_tab[4:] >= 0).all()
    tabled, _ = trees_shap_values(trees, baseline, X)
    per_row, _ = trees_shap_values(trees, baseline, X, table_budget=0)
    assert np.isfinite(tabled).all()
    assert np.max(np.abs(tabled - per_row)) < 1e-12
