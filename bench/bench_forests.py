"""Benchmark the tree kernels on the models auditors bring, against shap's TreeExplainer.

For each model (random forest of 200 trees of depth 10, extra trees, gradient boosting of
300 trees of depth 5, histogram gradient boosting, and a LightGBM model through its own
``pred_contrib``), on the same synthetic table: rows per second of our exact TreeSHAP
(tables built inside the timing), of shap's TreeExplainer (timed on a few hundred rows and
extrapolated), the largest difference between the two, and the peak memory of ours (the
arrays it allocates, values and tables included, by tracemalloc). Writes
``bench/results/forests.md``.

Usage: ``python bench/bench_forests.py [--rows 20000 200000] [--shap-rows 300]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
from machine import describe
from sklearn.ensemble import (
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)

from sesame_audit.model.explain.hgb_trees import trees_of
from sesame_audit.model.explain.sklearn_trees import as_tree_input, sklearn_trees
from sesame_audit.model.explain.treeshap import trees_shap_values

RESULTS = Path(__file__).parent / "results" / "forests.md"


def _data(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 20))
    X[:, :5] = np.round(X[:, :5], 1)  # ties on thresholds
    y = X[:, 0] * 2 + np.sin(X[:, 1] * 2) + X[:, 2] * X[:, 3] + rng.normal(size=rows)
    return X, y, (y > np.median(y)).astype(int)


def _ours(model: object, X: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Our values, seconds, CPU seconds and peak MiB allocated while computing them."""
    if isinstance(model, HistGradientBoostingRegressor):
        trees, baseline = trees_of(model)
    else:
        trees, baseline = sklearn_trees(model)
        X = as_tree_input(X)
    tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    values, _ = trees_shap_values(trees, baseline, X, n_jobs=2)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return values, seconds, cpu, peak


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _size(rows: int, shap_rows: int, fit_rows: int) -> list[str]:
    """Benchmark every model on ``rows`` rows (fitted on the first ``fit_rows``)."""
    import shap

    X, y, labels = _data(rows)
    Xf, yf, lf = X[:fit_rows], y[:fit_rows], labels[:fit_rows]
    models = [
        ("RandomForestClassifier, 200 trees, depth 10",
         RandomForestClassifier(200, max_depth=10, random_state=0, n_jobs=2).fit(Xf, lf)),
        ("ExtraTreesRegressor, 200 trees, depth 10",
         ExtraTreesRegressor(200, max_depth=10, random_state=0, n_jobs=2).fit(Xf, yf)),
        ("GradientBoostingRegressor, 300 trees, depth 5",
         GradientBoostingRegressor(n_estimators=300, max_depth=5, random_state=0).fit(Xf, yf)),
        ("HistGradientBoostingRegressor, 200 trees, 31 leaves",
         HistGradientBoostingRegressor(max_iter=200, early_stopping=False,
                                       random_state=0).fit(Xf, yf)),
    ]
    _ours(models[-1][1], X[:100])  # compile the kernels before any timing
    lines = []
    for name, model in models:
        values, seconds, cpu, peak = _ours(model, X)
        explainer = shap.TreeExplainer(model)
        sample = X[:shap_rows]
        start, shap_cpu = time.perf_counter(), time.process_time()
        reference = np.asarray(explainer.shap_values(sample), dtype=np.float64)
        shap_seconds, shap_cpu = time.perf_counter() - start, time.process_time() - shap_cpu
        if reference.ndim == 3:
            reference = reference[:, :, 1]
        gap = float(np.max(np.abs(reference - values[:shap_rows])))
        ours_rate, shap_rate = rows / seconds, shap_rows / shap_seconds
        per_cpu = (rows / cpu) / (shap_rows / shap_cpu)
        lines.append(f"| {rows:,} | {name} | {ours_rate:,.0f} | {shap_rate:,.0f} | "
                     f"{ours_rate / shap_rate:.1f}x | {per_cpu:.1f}x | {gap:.1e} | {peak:,.0f} | "
                     f"{_load()} |")
        print(lines[-1], flush=True)
    try:
        import lightgbm
    except ImportError:
        return lines
    booster = lightgbm.LGBMRegressor(n_estimators=200, num_leaves=31, verbose=-1,
                                     n_jobs=2).fit(Xf, yf)
    start = time.perf_counter()
    booster.predict(X, pred_contrib=True)
    lines.append(f"| {rows:,} | LightGBM pred_contrib (its own C++ TreeSHAP), 200 trees, "
                 f"31 leaves | {rows / (time.perf_counter() - start):,.0f} | | | | | | "
                 f"{_load()} |")
    print(lines[-1], flush=True)
    return lines


def main() -> None:
    """Run the benchmark and write the results table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000])
    parser.add_argument("--shap-rows", type=int, default=300)
    parser.add_argument("--fit-rows", type=int, default=None,
                        help="fit the models on at most this many rows (default: all)")
    args = parser.parse_args()
    machine = describe()
    lines: list[str] = []
    for rows in args.rows:  # the file is rewritten after each size, so a long run shows progress
        lines += _size(rows, args.shap_rows, min(rows, args.fit_rows or rows))
        _write(machine, lines, args.shap_rows, args.fit_rows)


def _write(machine: str, lines: list[str], shap_rows: int, fit_rows: int | None) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.write_text("\n".join([
        "# Tree kernels on the models auditors bring", "", machine, "",
        "20 features; models fitted on "
        + (f"the first {fit_rows:,} rows" if fit_rows else "all rows")
        + "; ours timed on every row with 2 threads, tables built inside the timing; "
        f"shap's TreeExplainer timed on {shap_rows} rows and extrapolated; difference = "
        "largest |ours - shap| on those rows (float64); peak = the most memory ours held in "
        "arrays at once (values and tables included; tracemalloc); load = the machine's "
        "1/5/15-minute load average when the line was done. The machine is shared with other "
        "work: wall-clock rates fall with the load, and ours (2 threads) loses more of its "
        "share than shap (1 thread), so the ratio per CPU second (ours' CPU time over both "
        "threads against shap's) is given too.", "",
        "| rows | model | ours (rows/s) | shap (rows/s) | ours / shap | ours / shap per CPU s "
        "| max difference | peak (MiB) | load |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |", *lines, "",
        f"Peak resident memory of the whole benchmark process: {peak:,.0f} MB.", ""]))

if __name__ == "__main__":
    main()
