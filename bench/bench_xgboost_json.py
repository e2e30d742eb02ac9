"""Benchmark XGBoost JSON models read by the project against XGBoost itself.

For a regression and a binary model (300 trees of depth 6, 8 features, ties on thresholds
and missing values), on the same rows: the JSON's size and the seconds to parse and check
it, rows per second of the margin (ours: the compiled walker, float32 total; XGBoost's
``predict(output_margin=True)``) and whether the two are bit-equal, rows per second of the
SHAP values (ours: the TreeSHAP kernels; XGBoost's ``pred_contribs``), the largest
difference of the values, and XGBoost's own gap between its contributions and its margin
(its float32 rounding). Both use one thread. Writes ``bench/results/xgboost_json.md``.

Usage: ``python bench/bench_xgboost_json.py [--rows 20000]``.
"""

from __future__ import annotations

import argparse
import os
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import xgboost
from machine import describe

from sesame_audit.model.explain.treeshap import trees_shap_values
from sesame_audit.model.explain.xgboost_json import estimator_from_json

RESULTS = Path(__file__).parent / "results" / "xgboost_json.md"


def _data(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 8))
    X[:, :3] = np.round(X[:, :3], 1)  # ties on thresholds
    y = X[:, 0] * 2 + np.sin(X[:, 1] * 2) + X[:, 2] * X[:, 3] + rng.normal(size=rows) * 0.3
    X[rng.random(rows) < 0.1, 1] = np.nan
    return X, y


def _timed(step):
    start = time.perf_counter()
    result = step()
    return result, time.perf_counter() - start


def _line(objective: str, X: np.ndarray, y: np.ndarray) -> str:
    booster = xgboost.train({"objective": objective, "max_depth": 6, "nthread": 1},
                            xgboost.DMatrix(X, y), 300)
    text = booster.save_raw("json").decode()
    model, parse = _timed(lambda: estimator_from_json(text))
    model.decision_function(X[:10])  # compiled before timing
    trees_shap_values(model.trees_, model.baseline_, model.tree_input(X[:10]))
    matrix = xgboost.DMatrix(X)
    margin, theirs_predict = _timed(lambda: booster.predict(matrix, output_margin=True))
    ours_margin, ours_predict = _timed(lambda: model.decision_function(X))
    contrib, theirs_shap = _timed(lambda: booster.predict(matrix, pred_contribs=True))
    (values, base), ours_shap = _timed(lambda: trees_shap_values(
        model.trees_, model.baseline_, model.tree_input(X), n_jobs=1))
    n = len(X)
    return (f"| {objective} | {len(text) / 2**20:.1f} | {parse:.2f} | {n / ours_predict:,.0f} | "
            f"{n / theirs_predict:,.0f} | {np.array_equal(ours_margin, margin)} | "
            f"{n / ours_shap:,.0f} | {n / theirs_shap:,.0f} | "
            f"{np.abs(values - contrib[:, :-1]).max():.1e} | "
            f"{abs(base - float(contrib[0, -1])):.1e} | "
            f"{np.abs(contrib.sum(axis=1) - margin).max():.1e} | "
            f"{np.abs(margin).max():.1f} | {', '.join(f'{x:.1f}' for x in os.getloadavg())} |")


def main() -> None:
    """Run the benchmark and write its results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    rows = parser.parse_args().rows
    X, y = _data(rows)
    lines = [_line("reg:squarederror", X, y),
             _line("binary:logistic", X, (y > 0.5).astype(int))]
    RESULTS.write_text("\n".join([
        "# XGBoost JSON models, read without XGBoost, against XGBoost", "",
        describe() + f"; xgboost {metadata.version('xgboost-cpu')}", "",
        f"{rows:,} rows, 8 features (three rounded to one decimal: ties on thresholds; 10% "
        "missing in one), 300 trees of depth 6; one thread each. Margin: ours is the "
        "compiled walker adding leaf values in float32 from the base score, XGBoost's is "
        "`predict(output_margin=True)`; SHAP: ours is the project's TreeSHAP kernels (float64) "
        "on the parsed trees, XGBoost's is `pred_contribs` (float32). XGBoost's own gap is "
        "the largest |sum of its contributions - its margin|: its float32 rounding, the scale "
        "of the differences between the two.", "",
        "| objective | JSON (MiB) | parse (s) | margin ours (rows/s) | margin XGBoost (rows/s) "
        "| margins bit-equal | SHAP ours (rows/s) | SHAP XGBoost (rows/s) | max SHAP difference "
        "| base difference | XGBoost's own gap | max abs margin | load |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *lines, ""]))
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
